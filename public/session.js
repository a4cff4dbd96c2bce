// @ts-check
/**
 * session.js — who is signed in: the token and user kept in localStorage (every tab of a browser
 * is the same person until "Sign out"), guest sign-in (`POST /api/session`), a token handed over
 * in a link (`#token=<jwt>`, what a host app opens the page with) and what the page reads from a
 * token's claims (space, role), and the HTTP API with the bearer token, where a 401 signs out.
 */

const TOKEN_KEY = "cromulent-voice.token";
const USER_KEY = "cromulent-voice.user";

/** The space of a token without a `space` claim (guests, tokens from before v1.1). */
export const DEFAULT_SPACE = "default";

/** @typedef {{id: string, name: string}} User */

/**
 * What the page reads from a token (contract v1.1 claims). Read, never verified: the server
 * verifies every use, and these only decide what the page shows.
 * @typedef {Object} Claims
 * @property {string} sub
 * @property {string} name
 * @property {number} exp                 unix seconds
 * @property {string} space               `default` when the claim is absent
 * @property {"member" | "moderator"} role  `member` when absent (or unknown)
 * @property {string[] | null} channels   null: every channel of the space
 */

/** base64url text to a string (UTF-8); throws on anything else. @param {string} text */
function decodeBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * The claims of a JWT, or null when it is not one or lacks `sub`, `name` or `exp`.
 * @param {unknown} token
 * @returns {Claims | null}
 */
export function readClaims(token) {
  if (typeof token !== "string") return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  let payload;
  try {
    payload = JSON.parse(decodeBase64Url(parts[1]));
  } catch {
    return null;
  }
  if (!payload || typeof payload !== "object") return null;
  const { sub, name, exp, space, role, channels } = payload;
  if (typeof sub !== "string" || !sub || typeof name !== "string" || !name || typeof exp !== "number") return null;
  return {
    sub,
    name,
    exp,
    space: typeof space === "string" && space ? space : DEFAULT_SPACE,
    role: role === "moderator" ? "moderator" : "member",
    channels: Array.isArray(channels) ? channels.filter((c) => typeof c === "string") : null,
  };
}

/**
 * The token in a URL fragment (`#token=<jwt>`, possibly among other parameters), and the fragment
 * without it (to put back in the address bar: a token must not stay there, nor in the history).
 * Null when the fragment has no token.
 * @param {string} hash  `location.hash`
 * @returns {{token: string, fragment: string} | null}
 */
export function takeFragmentToken(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token === null) return null;
  params.delete("token");
  const rest = params.toString();
  return { token, fragment: rest ? `#${rest}` : "" };
}

/**
 * Who a link's token makes this browser, or why it cannot.
 * @param {string} token
 * @param {number} nowSecs
 * @returns {{token: string, user: User} | {error: string}}
 */
export function whoFromLink(token, nowSecs) {
  const claims = readClaims(token);
  if (!claims) return { error: "This sign-in link is not valid." };
  if (claims.exp <= nowSecs) return { error: "This sign-in link has expired. Ask for a new one." };
  return { token, user: { id: claims.sub, name: claims.name } };
}

/** Thrown by `api` after a 401 (the page has signed out already). */
export class Unauthorized extends Error {}

/** A name the server accepts: 1 to 32 characters once trimmed. @param {string} name */
export function validName(name) {
  const trimmed = name.trim();
  return trimmed.length > 0 && [...trimmed].length <= 32 ? trimmed : null;
}

/** The server's sentence from an error body, or a generic one. @param {Response} res */
export async function errorText(res) {
  try {
    const body = await res.json();
    if (body && typeof body.error === "string") return body.error;
  } catch { /* not JSON */ }
  return `The server answered ${res.status}.`;
}

export class Session {
  /** @param {{onSignedOut: () => void}} options  called when a 401 signs the page out */
  constructor(options) {
    this.options = options;
    /** @type {string | null} */
    this.token = null;
    /** @type {User | null} */
    this.user = null;
  }

  /** The token and user this browser remembers, if both are there and readable. */
  stored() {
    const token = localStorage.getItem(TOKEN_KEY);
    let user = null;
    try {
      const parsed = JSON.parse(localStorage.getItem(USER_KEY) ?? "null");
      if (parsed && typeof parsed.id === "string" && typeof parsed.name === "string") user = parsed;
    } catch { /* corrupt: sign in again */ }
    return token && user ? { token, user } : null;
  }

  /**
   * Guest sign-in; remembered for every tab. Resolves with the error sentence on refusal.
   * @param {string} name
   * @returns {Promise<{token: string, user: User} | {error: string}>}
   */
  async signIn(name) {
    const res = await fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (!res.ok) return { error: await errorText(res) };
    const body = await res.json();
    this.remember(body);
    return { token: body.token, user: body.user };
  }

  /**
   * Keeps a token and its user for every tab (a guest's, or one handed over in a link).
   * @param {{token: string, user: User}} who
   */
  remember(who) {
    localStorage.setItem(TOKEN_KEY, who.token);
    localStorage.setItem(USER_KEY, JSON.stringify(who.user));
  }

  /** @param {{token: string, user: User}} who */
  use(who) {
    this.token = who.token;
    this.user = who.user;
  }

  clear() {
    this.token = null;
    this.user = null;
  }

  /** Forgets the token in this browser (every tab signs out). */
  forget() {
    this.clear();
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  }

  /**
   * Another tab signed out, or in as someone else: `follow` gets what is stored now.
   * @param {(who: {token: string, user: User} | null) => void} follow
   */
  watchOtherTabs(follow) {
    window.addEventListener("storage", (event) => {
      if (event.key !== TOKEN_KEY && event.key !== null) return;
      if (localStorage.getItem(TOKEN_KEY) === this.token) return;
      follow(this.stored());
    });
  }

  /**
   * Calls the API with the bearer token. A 401 signs out (back to the sign-in card).
   * @param {string} path
   * @param {RequestInit} [init]
   */
  async api(path, init = {}) {
    const headers = new Headers(init.headers);
    if (this.token) headers.set("Authorization", `Bearer ${this.token}`);
    const res = await fetch(path, { ...init, headers });
    if (res.status === 401) {
      console.warn(`[app] ${path}: 401, signing out`);
      this.options.onSignedOut();
      throw new Unauthorized("unauthorized");
    }
    return res;
  }
}
