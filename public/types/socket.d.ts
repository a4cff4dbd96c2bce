// Generated from public/socket.js by scripts/types.sh; do not edit.
/**
 * The code `onClose` reports for a socket this page gave up on (no frame for 2 × the ping
 * interval, or no handshake in time). 1006 is what browsers report for a connection that died.
 */
export declare const DEAD_SOCKET_CODE = 1006;
/**
 * The code the page closes a dead socket with, should it reach the server after all: not 1000 or
 * 1001, which the server takes for a leave (the member would be removed at once, not kept for
 * the resume).
 */
export declare const GAVE_UP_CODE = 4000;
export type Handlers<M extends {
    type: string;
}> = {
    [K in M["type"]]: (msg: Extract<M, {
        type: K;
    }>) => unknown;
};
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
export declare function parseFrame(data: unknown): {
    type: string;
} | null;
/**
 * Calls the handler for `msg.type`; a type this page does not know (a newer server) is ignored.
 * @param {{type: string}} msg
 * @param {Record<string, (msg: any) => unknown>} handlers
 * @param {string} [log]  prefix of the console line
 */
export declare function dispatch(msg: {
    type: string;
}, handlers: Record<string, (msg: any) => unknown>, log?: string): unknown;
export type SignalSocketOptions<M extends {
    type: string;
}> = {
    url: URL;
    token: string;
    handlers: Handlers<M>;
    /**
     * Console prefix ("voice", "lobby").
     */
    log?: string;
    onOpen?: () => void;
    /**
     * The socket closed (not by `close()`).
     */
    onClose?: (code: number, reason: string) => void;
    /**
     * Ping interval (default 10 s); silent for twice that = dead.
     */
    pingMs?: number;
    /**
     * No `open` within this long = dead (default: 2 × pingMs).
     */
    handshakeMs?: number;
    /**
     * Open again after a close, waiting more each time (reset once open); `before` may say no.
     */
    reconnect?: {
        backoff: import("./backoff.js").Backoff;
        before?: () => Promise<boolean>;
    };
};
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
export declare class SignalSocket<M extends {
    type: string;
}> {
    options: SignalSocketOptions<M>;
    log: string;
    /** @type {WebSocket | null} */
    ws: WebSocket | null;
    /** Closes before the last `open` event, for the backoff. */
    attempt: number;
    ended: boolean;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    pingTimer: ReturnType<typeof setInterval> | undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    retryTimer: ReturnType<typeof setTimeout> | undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} Fires when the socket went silent too long. */
    deadTimer: ReturnType<typeof setTimeout> | undefined;
    /** The last ping before giving up is out (see giveUp). */
    probing: boolean;
    pingMs: number;
    /** WebSockets made so far (each open() is one: tests count resume tries with it). */
    opens: number;
    queue: Promise<void>;
    /** @param {SignalSocketOptions<M>} options */
    constructor(options: SignalSocketOptions<M>);
    /** Opens the socket (again). */
    open(): this;
    /** @param {number} ms */
    armDeadTimer(ms: number): void;
    /**
     * Nothing came for `ms`: one last `ping`, and if nothing answers it within a moment the
     * connection is dead though the browser has not noticed. Close it (its close event is ignored:
     * it may take minutes) and report it closed now. The last ping is for timers that jumped (a
     * laptop waking up, a background tab): the silence may be the page's, not the server's.
     * @param {number} ms
     */
    giveUp(ms: number): void;
    /**
     * @param {number} code
     * @param {string} reason
     */
    lost(code: number, reason: string): void;
    get isOpen(): boolean;
    /** @param {unknown} msg  a client message */
    send(msg: unknown): void;
    /** @param {string} text */
    sendText(text: string): void;
    /**
     * Stops listening (and pinging) without closing: the server said it is closing, and its close
     * can take seconds to arrive. No `onClose` follows.
     */
    detach(): void;
    /**
     * Closes for good. With `last`, that message is sent first — once open if the handshake is
     * still under way, so the server does not keep a grace entry for a socket that said goodbye.
     * @param {number} [code]
     * @param {unknown} [last]
     */
    close(code?: number, last?: unknown): void;
    stopPing(): void;
    retry(): void;
}
