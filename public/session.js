// @ts-check
/**
 * session.js — who is signed in: the token and user kept in localStorage (every tab of a browser
 * is the same person until "Sign out"), guest sign-in (`POST /api/session`), and the HTTP API
 * with the bearer token, where a 401 signs out.
 */

const TOKEN_KEY = "cromulent-voice.token";
const USER_KEY = "cromulent-voice.user";

/** @typedef {{id: string, name: string}} User */

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
    localStorage.setItem(TOKEN_KEY, body.token);
    localStorage.setItem(USER_KEY, JSON.stringify(body.user));
    return { token: body.token, user: body.user };
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
