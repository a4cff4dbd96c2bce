// @ts-check
/**
 * socket.js — one signalling WebSocket, as the voice room and the lobby both use it: the token in
 * the subprotocol list (`["voice.v1", "bearer." + token]`: browsers cannot set headers and a
 * token in the URL ends up in logs), a `ping` every 10 s while open, JSON frames parsed and
 * handed to one handler per message type (one at a time, in order: WebRTC calls are async), and,
 * when asked, reconnects with backoff.
 */
import { backoffDelay } from "./backoff.js";
import { CloseCode, PING, PING_INTERVAL_MS, PONG, subprotocols } from "./protocol.js";

/**
 * One handler per message type: a message type the page forgets is a type error (checkJs).
 * @template {{type: string}} M
 * @typedef {{[K in M["type"]]: (msg: Extract<M, {type: K}>) => unknown}} Handlers
 */

/**
 * A text frame as a message: null for `pong`, binary frames, text that is not JSON, and JSON
 * that is not an object with a string `type`.
 * @param {unknown} data
 * @returns {{type: string} | null}
 */
export function parseFrame(data) {
  if (typeof data !== "string" || data === PONG) return null;
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  return msg !== null && typeof msg === "object" && typeof msg.type === "string" ? msg : null;
}

/**
 * Calls the handler for `msg.type`; a type this page does not know (a newer server) is ignored.
 * @param {{type: string}} msg
 * @param {Record<string, (msg: any) => unknown>} handlers
 * @param {string} [log]  prefix of the console line
 */
export function dispatch(msg, handlers, log = "socket") {
  const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : undefined;
  if (!handler) {
    console.debug(`[${log}] ignoring an unknown message:`, msg);
    return undefined;
  }
  return handler(msg);
}

/**
 * @template {{type: string}} M
 * @typedef {Object} SignalSocketOptions
 * @property {URL} url
 * @property {string} token
 * @property {Handlers<M>} handlers
 * @property {string} [log]        Console prefix ("voice", "lobby").
 * @property {() => void} [onOpen]
 * @property {(code: number, reason: string) => void} [onClose]  The socket closed (not by `close()`).
 * @property {{backoff: import("./backoff.js").Backoff, before?: () => Promise<boolean>}} [reconnect]
 *   Open again after a close, waiting more each time (reset once open); `before` may say no.
 */

/** @template {{type: string}} M */
export class SignalSocket {
  /** @param {SignalSocketOptions<M>} options */
  constructor(options) {
    this.options = options;
    this.log = options.log ?? "socket";
    /** @type {WebSocket | null} */
    this.ws = null;
    /** Closes before the last `open` event, for the backoff. */
    this.attempt = 0;
    this.ended = false;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    this.queue = Promise.resolve();
  }

  /** Opens the socket (again). */
  open() {
    if (this.ended) return this;
    const ws = new WebSocket(this.options.url, subprotocols(this.options.token));
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.sendText(PING), PING_INTERVAL_MS);
      this.options.onOpen?.();
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      const msg = parseFrame(event.data);
      if (!msg) {
        if (typeof event.data === "string" && event.data !== PONG) {
          console.warn(`[${this.log}] ignoring a frame that is not a message:`, event.data.slice(0, 80));
        }
        return;
      }
      this.queue = this.queue
        .then(async () => { await dispatch(msg, /** @type {any} */ (this.options.handlers), this.log); })
        .catch((err) => console.error(`[${this.log}] handling ${msg.type} failed:`, err));
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.stopPing();
      this.ws = null;
      this.options.onClose?.(event.code, event.reason);
      this.retry();
    });
    return this;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** @param {unknown} msg  a client message */
  send(msg) {
    this.sendText(JSON.stringify(msg));
  }

  /** @param {string} text */
  sendText(text) {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /**
   * Stops listening (and pinging) without closing: the server said it is closing, and its close
   * can take seconds to arrive. No `onClose` follows.
   */
  detach() {
    this.ended = true;
    this.stopPing();
    clearTimeout(this.retryTimer);
    this.ws = null;
  }

  /**
   * Closes for good. With `last`, that message is sent first — once open if the handshake is
   * still under way, so the server does not keep a grace entry for a socket that said goodbye.
   * @param {number} [code]
   * @param {unknown} [last]
   */
  close(code = CloseCode.NORMAL, last = undefined) {
    const ws = this.ws;
    this.detach();
    if (!ws) return;
    const bye = () => {
      try {
        if (last !== undefined) ws.send(JSON.stringify(last));
        ws.close(code);
      } catch { /* already closing */ }
    };
    if (ws.readyState === WebSocket.OPEN) bye();
    else if (ws.readyState === WebSocket.CONNECTING) {
      if (last === undefined) ws.close(code);
      else ws.addEventListener("open", bye, { once: true });
    }
  }

  stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  retry() {
    const reconnect = this.options.reconnect;
    if (!reconnect || this.ended) return;
    const delay = backoffDelay(this.attempt, reconnect.backoff);
    this.attempt += 1;
    this.retryTimer = setTimeout(async () => {
      const go = reconnect.before ? await reconnect.before().catch(() => true) : true;
      if (go && !this.ended && this.ws === null) this.open();
    }, delay);
  }
}
