// Generated from public/ice.js by scripts/types.sh; do not edit.
/**
 * ice.js — the ICE servers a call uses, and their refresh: TURN credentials expire, so fresh ones
 * are fetched (`GET /api/ice-servers`) when 80 % of their remaining lifetime has passed, before
 * an ICE restart, and applied to every peer connection (`setConfiguration`); newer connections
 * start with them.
 */
export type IceServer = import("./protocol.js").IceServer;
export type IceServersResponse = import("./protocol.js").IceServersResponse;
/** @typedef {import("./protocol.js").IceServer} IceServer */
/** @typedef {import("./protocol.js").IceServersResponse} IceServersResponse */
/** TURN credentials are refreshed when this share of their remaining lifetime has passed. */
export declare const ICE_REFRESH_AT = 0.8;
/** `turn:host:3478?transport=udp` → `turn:host:3478` (Chromium reports URLs either way). */
export declare function stripQuery(/** @type {string} */ url: string): string;
/**
 * The TURN URLs (query stripped) among ICE servers.
 * @param {IceServer[]} servers
 */
export declare function turnUrls(servers: IceServer[]): string[];
/**
 * Milliseconds until the refresh of credentials expiring at `expiresAt` (unix seconds), or null
 * when they do not expire. At least a few seconds (a clock that is off must not make it spin), at
 * most what setTimeout can wait.
 * @param {number | null} expiresAt
 * @param {number} now  Date.now()
 */
export declare function refreshDelay(expiresAt: number | null, now: number): number | null;
export type IceConfigOptions = {
    baseUrl: string | URL;
    token: string;
    onApplied: (servers: IceServer[], expiresAt: number | null) => void;
    /**
     * Fresh credentials arrived on schedule.
     */
    onScheduledRefresh: () => Promise<void>;
};
/**
 * @typedef {Object} IceConfigOptions
 * @property {string | URL} baseUrl
 * @property {string} token
 * @property {(servers: IceServer[], expiresAt: number | null) => void} onApplied
 * @property {() => Promise<void>} onScheduledRefresh  Fresh credentials arrived on schedule.
 */
export declare class IceConfig {
    options: IceConfigOptions;
    /** @type {IceServer[]} The freshest ICE servers: every new peer connection uses these. */
    servers: IceServer[];
    /** When the TURN credentials in `servers` expire (unix seconds), if they do. */
    expiresAt: number | null;
    /** When the next refresh is due (Date.now() milliseconds), if one is scheduled. */
    refreshAt: number | null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    timer: ReturnType<typeof setTimeout> | undefined;
    /** @type {Promise<void> | null} a fetch in flight (shared by its callers) */
    fetching: Promise<void> | null;
    stopped: boolean;
    /** @param {IceConfigOptions} options */
    constructor(options: IceConfigOptions);
    /** Whether a relay-only call has any TURN server to use. */
    hasTurn(): boolean;
    /**
     * @param {IceServer[]} servers
     * @param {number | null} expiresAt
     */
    apply(servers: IceServer[], expiresAt: number | null): void;
    /** Fetches and applies fresh ICE servers; concurrent callers share one fetch. */
    refresh(): Promise<void>;
    fetchFresh(): Promise<void>;
    /** @param {number | null} delayMs */
    schedule(delayMs: number | null): void;
    refreshOnSchedule(): Promise<void>;
    stop(): void;
}
