// A client of the worker's contract (CONTRACT.md), for any server that speaks it: miniflare,
// `wrangler dev`, a proxy in front of either, bare workerd. WebSockets carry the token in the
// subprotocol list (`voice.v1`, `bearer.<token>`) as the page does; HTTP reads go on their own
// connection. Every wait is bounded.

import { get as httpGet } from "node:http";
import WebSocket from "ws";
import { CLOSE_TIMEOUT_MS, Socket } from "./socket.mjs";
import { since } from "./wait.mjs";

/** The subprotocol offer of the page: `voice.v1`, plus `bearer.<token>` when there is a token. */
export const offerFor = (token) => ["voice.v1", ...(token == null ? [] : [`bearer.${token}`])];

/** The voice socket's path; `session` (a previous session id) resumes that session. */
export const voicePath = (channel, session) =>
  `/api/channels/${channel}/voice${session == null ? "" : `?session=${encodeURIComponent(session)}`}`;

/** A body as JSON when it parses, else as text. */
const parsed = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const headersOf = (res) => new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));

/**
 * A WebSocket upgrade of `path` on `base` (an http(s) URL), made by a real WebSocket client as a
 * browser would. Options: `token` (offered as `bearer.<token>`), `protocols` (the whole offer,
 * overriding `offerFor(token)`), `origin`, `pingMs` (send `ping` at that interval), `watch(socket)`
 * (called as the socket opens, before any message can arrive: e.g. a `RosterView`). Returns
 * `{status: 101, headers, socket}`, or `{status, headers, body}` when refused; rejects when the
 * server is unreachable or silent for `timeoutMs`.
 */
export async function openSocket(base, path, { token = null, protocols, origin, pingMs = 0, watch, timeoutMs = 10_000 } = {}) {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url, protocols ?? offerFor(token), {
    headers: origin === undefined ? {} : { Origin: origin },
    closeTimeout: CLOSE_TIMEOUT_MS,
    handshakeTimeout: timeoutMs,
  });
  let timer;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for the WebSocket upgrade of ${url}`));
      }, timeoutMs);
      let headers;
      ws.once("upgrade", (res) => {
        headers = headersOf(res);
      });
      ws.once("open", () => {
        const socket = new Socket(ws, headers);
        watch?.(socket);
        if (pingMs > 0) socket.startPinging(pingMs);
        resolve({ status: 101, headers, socket });
      });
      ws.once("unexpected-response", (_req, res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: headersOf(res), body: parsed(Buffer.concat(chunks).toString("utf8")) }));
        res.on("error", reject);
      });
      ws.once("error", reject);
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The first message of an accepted socket, which must be of `type`; otherwise a clear error. */
export async function firstOf(socket, type, timeoutMs) {
  const first = await socket.first(timeoutMs);
  if (first.type !== type) throw new Error(`expected "${type}" first, got ${JSON.stringify(first)}`);
  return first;
}

/** A voice socket that must be accepted; its first message must be `joined`. `{socket, joined}`. */
export async function joinAt(base, channel, token, { session, pingMs = 0, watch, timeoutMs = 10_000 } = {}) {
  const r = await openSocket(base, voicePath(channel, session), { token, pingMs, watch, timeoutMs });
  if (r.status !== 101) throw new Error(`join of ${channel} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { socket: r.socket, joined: await firstOf(r.socket, "joined", Math.max(5000, timeoutMs)) };
}

/** The lobby socket; its first message must be `roster`. `{socket, roster}`. */
export async function lobbyAt(base, token, { pingMs = 0 } = {}) {
  const r = await openSocket(base, "/api/lobby", { token, pingMs });
  if (r.status !== 101) throw new Error(`lobby answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { socket: r.socket, roster: await firstOf(r.socket, "roster", 5000) };
}

/**
 * GET `path` with a bearer token on a connection of its own (no keep-alive, so a busy server
 * closing an idle connection can never be mistaken for a failed request); `{status, body, ms}`.
 */
export function getJson(base, path, token, { timeoutMs = 30_000 } = {}) {
  const start = performance.now();
  return new Promise((resolveGet, reject) => {
    const req = httpGet(
      new URL(path, base),
      { agent: false, headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => resolveGet({ status: res.statusCode, body: parsed(Buffer.concat(chunks).toString("utf8")), ms: since(start) }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** Reads a fetch Response's body as JSON, failing with the raw text when it is not JSON. */
export async function readJson(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected a JSON body (status ${res.status}), got: ${text.slice(0, 300)}`);
  }
}
