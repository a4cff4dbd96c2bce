// @ts-check
/**
 * socket.js — one signalling WebSocket, as the voice room and the lobby both use it: the token in
 * the subprotocol list (`["voice.v1", "bearer." + token]`: browsers cannot set headers and a
 * token in the URL ends up in logs), a `ping` every 10 s while open, JSON frames parsed and
 * handed to one handler per message type (one at a time, in order: WebRTC calls are async), a
 * socket that stays silent for 2 × the ping interval treated as dead (closed here, at once: a
 * half-open connection would otherwise linger for minutes), and, when asked, reconnects with backoff.
 */
import { backoffDelay } from "./backoff.js";
import { CloseCode, PING, PING_INTERVAL_MS, PONG, subprotocols } from "./protocol.js";
import { deadAfterMs } from "./resume.js";

/**
 * The code `onClose` reports for a socket this page gave up on (no frame for 2 × the ping
 * interval, or no handshake in time). 1006 is what browsers report for a connection that died.
 */
export const DEAD_SOCKET_CODE = 1006;
/**
 * The code the page closes a dead socket with, should it reach the server after all: not 1000 or
 * 1001, which the server takes for a leave (the member would be removed at once, not kept for
 * the resume).
 */
export const GAVE_UP_CODE = 4000;
/** How long the last `ping` before giving up may wait for its answer. */
const PROBE_MS = 1000;

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
 * @property {number} [pingMs]     Ping interval (default 10 s); silent for twice that = dead.
 * @property {number} [handshakeMs]  No `open` within this long = dead (default: 2 × pingMs).
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
    /** @type {ReturnType<typeof setTimeout> | undefined} Fires when the socket went silent too long. */
    this.deadTimer = undefined;
    /** The last ping before giving up is out (see giveUp). */
    this.probing = false;
    this.pingMs = options.pingMs ?? PING_INTERVAL_MS;
    /** WebSockets made so far (each open() is one: tests count resume tries with it). */
    this.opens = 0;
    this.queue = Promise.resolve();
  }

  /** Opens the socket (again). */
  open() {
    if (this.ended) return this;
    const ws = new WebSocket(this.options.url, subprotocols(this.options.token));
    this.ws = ws;
    this.opens += 1;
    this.armDeadTimer(this.options.handshakeMs ?? deadAfterMs(this.pingMs));
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.sendText(PING), this.pingMs);
      this.armDeadTimer(deadAfterMs(this.pingMs));
      this.options.onOpen?.();
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      // Any frame, `pong` included, is a sign of life.
      this.armDeadTimer(deadAfterMs(this.pingMs));
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
      this.lost(event.code, event.reason);
    });
    return this;
  }

  /** @param {number} ms */
  armDeadTimer(ms) {
    clearTimeout(this.deadTimer);
    this.probing = false;
    this.deadTimer = setTimeout(() => this.giveUp(ms), ms);
  }

  /**
   * Nothing came for `ms`: one last `ping`, and if nothing answers it within a moment the
   * connection is dead though the browser has not noticed. Close it (its close event is ignored:
   * it may take minutes) and report it closed now. The last ping is for timers that jumped (a
   * laptop waking up, a background tab): the silence may be the page's, not the server's.
   * @param {number} ms
   */
  giveUp(ms) {
    const ws = this.ws;
    if (!ws || this.ended) return;
    if (!this.probing) {
      this.probing = true;
      this.sendText(PING);
      this.deadTimer = setTimeout(() => this.giveUp(ms), Math.min(PROBE_MS, this.pingMs));
      return;
    }
    console.warn(`[${this.log}] no sign of life from the server for ${ms} ms: the socket is dead`);
    this.ws = null;
    try { ws.close(GAVE_UP_CODE, "no sign of life"); } catch { /* closing already */ }
    this.lost(DEAD_SOCKET_CODE, "no sign of life");
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  lost(code, reason) {
    this.stopPing();
    this.ws = null;
    this.options.onClose?.(code, reason);
    this.retry();
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
    clearTimeout(this.deadTimer);
    this.pingTimer = undefined;
    this.deadTimer = undefined;
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
