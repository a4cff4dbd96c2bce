// The admin API (CONTRACT.md v1.1 "Admin API") as a host app's backend calls it, and the routes
// a token of a space uses (`space`, `role`, `channels` claims): requests with the admin key,
// voice and lobby sockets opened with a given token, a lobby's next `roster` that satisfies a
// condition. Every wait is bounded.

import { request } from "node:http";
import { firstOf, openSocket, readJson, voicePath } from "./client.mjs";
import { tokenFor } from "./tokens.mjs";

/** The ADMIN_API_KEY the admin tests start the worker with (`startWorker({vars: {ADMIN_API_KEY}})`). */
export const ADMIN_KEY = "admin-test-key-0123456789abcdef0123456789";

/**
 * An admin request: `method` on `path` with `Authorization: Bearer <key>` (no header when `key`
 * is null). `body`: an object (sent as JSON), a string (sent as is) or undefined (no body).
 * `contentType` (null: no Content-Type header) and `headers` are added; a body is declared with
 * Content-Length, as curl and host backends do (adminChunked sends one without).
 */
export function admin(worker, method, path, body = undefined, { key = ADMIN_KEY, contentType = "application/json", headers = {} } = {}) {
  const h = { ...(key === null ? {} : { Authorization: `Bearer ${key}` }) };
  const init = { method, headers: h };
  if (body !== undefined) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    if (contentType !== null) h["Content-Type"] = contentType;
    h["Content-Length"] = String(Buffer.byteLength(text));
    init.body = text;
  }
  Object.assign(h, headers);
  return worker.fetch(path, init);
}

/**
 * An admin request whose body goes chunked (no Content-Length), on a connection of its own
 * through node:http to the worker's socket: a server that refuses the body before it is all read
 * may reset the upload, and the answer that came first must still be read. `{status, body}`.
 */
export function adminChunked(worker, method, path, text, { key = ADMIN_KEY } = {}) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(new URL(path, worker.url), {
      agent: false,
      method,
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)), 10_000);
    req.on("response", (res) => {
      answered = true;
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        const body = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch {
          resolve({ status: res.statusCode, body });
        }
      });
      res.on("error", reject);
    });
    req.on("error", (e) => {
      if (answered) return; // the upload reset after the answer: expected
      clearTimeout(timer);
      reject(e);
    });
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 1024) req.write(bytes.subarray(i, i + 1024));
    req.end();
  });
}

/** The admin path of a space's channels, or of one channel. */
export const channelsPath = (space, id = undefined) =>
  `/api/admin/spaces/${space}/channels${id === undefined ? "" : `/${id}`}`;

/** PUT a channel (created or updated); the parsed Channel, throwing unless the answer is 200. */
export async function putChannel(worker, space, id, body) {
  const res = await admin(worker, "PUT", channelsPath(space, id), body);
  if (res.status !== 200) throw new Error(`PUT ${channelsPath(space, id)} answered ${res.status}: ${await res.text()}`);
  return readJson(res);
}

/** GET a space's channels through the admin API; the parsed `channels` list, throwing unless 200. */
export async function adminChannels(worker, space) {
  const res = await admin(worker, "GET", channelsPath(space));
  if (res.status !== 200) throw new Error(`GET ${channelsPath(space)} answered ${res.status}: ${await res.text()}`);
  return (await readJson(res)).channels;
}

/** POST /api/admin/tokens with `body`; the Response. */
export const mintByAdmin = (worker, body, opts = {}) => admin(worker, "POST", "/api/admin/tokens", body, opts);

/** A one-hour token for `user` (an id or `{id, name}`) with the claims `claims` (`space`, `role`, `channels`). */
export const spaceToken = (user, claims = {}) => tokenFor(user, claims);

/** Opens a voice socket with `token`; `{status, body}` when refused, else `{status: 101, socket, joined}`. */
export async function joinWith(worker, channel, token, { origin = undefined } = {}) {
  const r = await worker.upgrade(voicePath(channel), { token, origin });
  if (r.status !== 101) return r;
  return { status: 101, socket: r.socket, joined: await firstOf(r.socket, "joined", 3000) };
}

/** Like joinWith, but the join must be accepted. */
export async function mustJoin(worker, channel, token) {
  const r = await joinWith(worker, channel, token);
  if (r.status !== 101) throw new Error(`join of ${channel} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r;
}

/** Opens the lobby with `token`; it must be accepted and send `roster` first. `{socket, roster}`. */
export async function lobbyWith(worker, token) {
  const r = await worker.upgrade("/api/lobby", { token });
  if (r.status !== 101) throw new Error(`lobby upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { socket: r.socket, roster: await firstOf(r.socket, "roster", 3000) };
}

/** GET /api/channels with `token`; the parsed body, throwing unless 200. */
export async function channelsWith(worker, token) {
  const res = await worker.get("/api/channels", token);
  if (res.status !== 200) throw new Error(`/api/channels answered ${res.status}: ${await res.text()}`);
  return readJson(res);
}

/**
 * The first `roster` frame on `lobby`, in the order they came, whose channels satisfy
 * `where(channels)`; the rosters before it are taken off the queue (so a later wait sees only
 * newer ones). Rejects after `timeoutMs` in all.
 */
export async function rosterWhere(lobby, where, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const roster = await lobby.next("roster", Math.max(1, deadline - Date.now()));
    if (Array.isArray(roster.channels) && where(roster.channels)) return roster;
  }
}

/**
 * The members of channel `id` of `space` as the admin listing shows them, once there are `count`
 * (asked every 20 ms for up to `timeoutMs`; rooms tell the lobby of a join just after it).
 */
export async function membersWhen(worker, space, id, count, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const members = (await adminChannels(worker, space)).find((c) => c.id === id)?.members ?? [];
    if (members.length === count || Date.now() > deadline) return members;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The channel ids of a channel list, in order. */
export const channelIds = (channels) => channels.map((c) => c.id);

/**
 * Opens the lobby with `token` and records every JSON frame it gets in `frames` (the first
 * `roster` included) from the moment the socket opens, so a test can assert on what never came.
 * Not closed by `worker.closeSockets()`: the caller closes `socket`. `{socket, roster, frames}`.
 */
export async function recordedLobby(worker, token) {
  const frames = [];
  const record = (data) => {
    try {
      frames.push(JSON.parse(Buffer.from(data).toString("utf8")));
    } catch {
      // a text pong
    }
  };
  const r = await openSocket(worker.url, "/api/lobby", { token, watch: (socket) => socket.ws.on("message", record) });
  if (r.status !== 101) throw new Error(`lobby upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { socket: r.socket, roster: await firstOf(r.socket, "roster", 3000), frames };
}
