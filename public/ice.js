// @ts-check
/**
 * ice.js — the ICE servers a call uses, and their refresh: TURN credentials expire, so fresh ones
 * are fetched (`GET /api/ice-servers`) when 80 % of their remaining lifetime has passed, before
 * an ICE restart, and applied to every peer connection (`setConfiguration`); newer connections
 * start with them.
 */

/** @typedef {import("./protocol.js").IceServer} IceServer */
/** @typedef {import("./protocol.js").IceServersResponse} IceServersResponse */

/** TURN credentials are refreshed when this share of their remaining lifetime has passed. */
export const ICE_REFRESH_AT = 0.8;
/** After a failed refresh, the next try. */
const RETRY_MS = 30_000;

/** `turn:host:3478?transport=udp` → `turn:host:3478` (Chromium reports URLs either way). */
export function stripQuery(/** @type {string} */ url) {
  const i = url.indexOf("?");
  return i === -1 ? url : url.slice(0, i);
}

/**
 * The TURN URLs (query stripped) among ICE servers.
 * @param {IceServer[]} servers
 */
export function turnUrls(servers) {
  return servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]))
    .filter((url) => typeof url === "string" && /^turns?:/i.test(url))
    .map(stripQuery);
}

/**
 * Milliseconds until the refresh of credentials expiring at `expiresAt` (unix seconds), or null
 * when they do not expire. At least a few seconds (a clock that is off must not make it spin), at
 * most what setTimeout can wait.
 * @param {number | null} expiresAt
 * @param {number} now  Date.now()
 */
export function refreshDelay(expiresAt, now) {
  if (expiresAt === null) return null;
  const remaining = expiresAt * 1000 - now;
  return Math.min(Math.max(remaining * ICE_REFRESH_AT, 5000), 2 ** 31 - 1);
}

/**
 * @typedef {Object} IceConfigOptions
 * @property {string | URL} baseUrl
 * @property {string} token
 * @property {(servers: IceServer[], expiresAt: number | null) => void} onApplied
 * @property {() => Promise<void>} onScheduledRefresh  Fresh credentials arrived on schedule.
 */

export class IceConfig {
  /** @param {IceConfigOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {IceServer[]} The freshest ICE servers: every new peer connection uses these. */
    this.servers = [];
    /** When the TURN credentials in `servers` expire (unix seconds), if they do. */
    this.expiresAt = /** @type {number | null} */ (null);
    /** When the next refresh is due (Date.now() milliseconds), if one is scheduled. */
    this.refreshAt = /** @type {number | null} */ (null);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {Promise<void> | null} a fetch in flight (shared by its callers) */
    this.fetching = null;
    this.stopped = false;
  }

  /** Whether a relay-only call has any TURN server to use. */
  hasTurn() {
    return turnUrls(this.servers).length > 0;
  }

  /**
   * @param {IceServer[]} servers
   * @param {number | null} expiresAt
   */
  apply(servers, expiresAt) {
    this.servers = servers;
    this.expiresAt = expiresAt;
    this.options.onApplied(servers, expiresAt);
    this.schedule(refreshDelay(expiresAt, Date.now()));
  }

  /** Fetches and applies fresh ICE servers; concurrent callers share one fetch. */
  refresh() {
    if (!this.fetching) {
      this.fetching = this.fetchFresh().finally(() => { this.fetching = null; });
    }
    return this.fetching;
  }

  async fetchFresh() {
    const res = await fetch(new URL("/api/ice-servers", this.options.baseUrl), {
      headers: { Authorization: `Bearer ${this.options.token}` },
    });
    if (!res.ok) throw new Error(`GET /api/ice-servers answered ${res.status}`);
    /** @type {IceServersResponse} */
    const body = await res.json();
    if (this.stopped) return;
    if (!Array.isArray(body.ice_servers)) throw new Error("GET /api/ice-servers: no ice_servers");
    // A TURN provider that is down makes the server answer STUN only: keep a TURN credential
    // that still works rather than lose the relay.
    const stillValid = this.expiresAt !== null && this.expiresAt * 1000 > Date.now();
    if (turnUrls(body.ice_servers).length === 0 && this.hasTurn() && stillValid) {
      throw new Error("the server offered no TURN server this time; keeping the current credential");
    }
    this.apply(body.ice_servers, body.expires_at ?? null);
  }

  /** @param {number | null} delayMs */
  schedule(delayMs) {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.refreshAt = null;
    if (delayMs === null || this.stopped) return;
    this.refreshAt = Date.now() + delayMs;
    this.timer = setTimeout(() => this.refreshOnSchedule(), delayMs);
  }

  async refreshOnSchedule() {
    try {
      await this.refresh();
    } catch (err) {
      console.warn(`[voice] refreshing the TURN credentials failed; trying again in ${RETRY_MS / 1000} s:`, err);
      this.schedule(RETRY_MS);
      return;
    }
    await this.options.onScheduledRefresh();
  }

  stop() {
    this.stopped = true;
    this.schedule(null);
  }
}
