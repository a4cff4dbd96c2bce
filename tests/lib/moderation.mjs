// Moderation as a host app's backend or a moderator's page does it (CONTRACT.md v1.1 "Admin API"
// member routes): the member routes with the admin key or a token, members of a space joined
// with their own token, and waiting until the space's Lobby lists someone (the member routes find
// users through it, ≤ ~100 ms after a join). Every wait is bounded.

import { firstOf, readJson, voicePath } from "./client.mjs";
import { crowd, ids } from "./fixtures.mjs";
import { startWorker } from "./miniflare.mjs";
import { tokenFor, uniqueUser } from "./tokens.mjs";
import { sleep } from "./wait.mjs";

/** The ADMIN_API_KEY the moderation and webhook tests start the worker with. */
export const ADMIN_KEY = "moderation-admin-key-0123456789abcdef0123";

/**
 * The worker as the moderation tests run it: 40 configured channels `<prefix>0`…`<prefix>39`,
 * the admin key, and a 30 s grace period (so a removal seen at once is not the grace alarm's).
 * `vars` are added (or override).
 */
export const startModerationWorker = (prefix, vars = {}) =>
  startWorker({
    vars: {
      VOICE_CHANNELS: Array.from({ length: 40 }, (_, i) => `${prefix}${i}:Channel ${i}`).join(","),
      ADMIN_API_KEY: ADMIN_KEY,
      RECONNECT_GRACE_SECS: "30",
      ...vars,
    },
  });

/** The path of a member route; the user id is percent-encoded. */
export const memberPath = (space, user, action) =>
  `/api/admin/spaces/${space}/members/${encodeURIComponent(user)}/${action}`;

/**
 * POST a member route. `auth`: the bearer (the admin key by default, a token, or null for no
 * header). `body`: an object (JSON), a string (as is) or undefined (no body, no content type).
 * `contentType` overrides the JSON one. Returns `{status, body}` (the body parsed when JSON).
 */
export async function moderate(worker, space, user, action, body, { auth = ADMIN_KEY, contentType = "application/json" } = {}) {
  const headers = auth === null ? {} : { Authorization: `Bearer ${auth}` };
  const init = { method: "POST", headers };
  if (body !== undefined) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    if (contentType !== null) headers["Content-Type"] = contentType;
    headers["Content-Length"] = String(Buffer.byteLength(text));
    init.body = text;
  }
  const res = await worker.fetch(memberPath(space, user, action), init);
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the assertion to show
  }
  return { status: res.status, body: parsed };
}

/** Like `moderate`, but it must answer 200; the `member` of the answer. */
export async function mustModerate(worker, space, user, action, body, opts) {
  const r = await moderate(worker, space, user, action, body, opts);
  if (r.status !== 200) throw new Error(`${action} of ${user} in ${space} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.member;
}

/** A one-hour token of `user` (an id or `{id, name}`) in `space` with `role`. */
export const tokenIn = (space, user, role = "member") => tokenFor(user, { space, role });

/**
 * Opens a voice socket of `channel` with `token` through the worker (so `closeSockets()` closes
 * it). Accepted: `{status: 101, socket, first}` (`first` the first message, `joined` or an error
 * frame); refused: `{status, body}`.
 */
export async function connect(worker, channel, token) {
  const r = await worker.upgrade(voicePath(channel), { token });
  if (r.status !== 101) return r;
  return { status: 101, socket: r.socket, first: await r.socket.first(3000) };
}

/** A join that must be accepted with `joined`; `{socket, joined}`. */
export async function joinWith(worker, channel, token) {
  const r = await worker.upgrade(voicePath(channel), { token });
  if (r.status !== 101) throw new Error(`join of ${channel} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { socket: r.socket, joined: await firstOf(r.socket, "joined", 3000) };
}

/**
 * The `/api/channels` answer (seen with `token`, so of its space) once `where(channels)` holds,
 * asked every 20 ms for up to `timeoutMs`; throws with the last answer otherwise.
 */
export async function channelsWhere(worker, token, where, timeoutMs = 2000, what = "a roster") {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await worker.get("/api/channels", token);
    if (res.status !== 200) throw new Error(`/api/channels answered ${res.status}: ${await res.text()}`);
    const { channels } = await readJson(res);
    if (where(channels)) return channels;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(channels)}`);
    await sleep(20);
  }
}

/** The entry of `user` in `channel` of a channel list, or undefined. */
export const memberIn = (channels, channel, user) =>
  channels.find((c) => c.id === channel)?.members.find((m) => m.id === user);

/** Waits until the space of `token` lists `user` in `channel` (so the member routes find them). */
export const listed = (worker, token, channel, user, timeoutMs = 2000) =>
  channelsWhere(worker, token, (cs) => memberIn(cs, channel, user) !== undefined, timeoutMs, `${user} listed in ${channel}`);

/** A token of someone who only looks (`/api/channels` of the default space). */
export const observer = () => tokenFor(uniqueUser("observer"));

/**
 * `count` fresh members of `channel` (default space, `crowd`), the last of them the target, once
 * the lobby lists the target (so the member routes find them). `{channel, members, target, token}`.
 */
export async function seatedCrowd(worker, channel, count) {
  const members = await crowd(worker, channel, count);
  const target = members.at(-1);
  await listed(worker, observer(), channel, target.id);
  return { channel, members, target, token: tokenFor(target.id) };
}

/**
 * Waits until `lobby` (a lobby Socket) shows `channel` with exactly the ids `members`, each as
 * `where` wants; earlier frames of that channel are taken off the queue, so successive waits
 * move forward in time (a step is reported before the next one starts). The frame.
 */
export async function lobbyShows(lobby, channel, members, where = () => true, timeoutMs = 3000) {
  const want = JSON.stringify([...members].sort());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await lobby.next("channel", Math.max(1, deadline - Date.now()), (x) => x.id === channel);
    if (JSON.stringify(ids(f.members)) === want && f.members.every(where)) return f;
  }
}

/** A channel `room` created through the admin API in the space `space` (a new one). `{space, channel}`. */
export async function runtimeChannel(worker, space, channel = "room") {
  const path = `/api/admin/spaces/${space}/channels/${channel}`;
  const res = await worker.fetch(path, {
    method: "PUT",
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: `Room of ${space}` }),
  });
  if (res.status !== 200) throw new Error(`PUT ${path} answered ${res.status}: ${await res.text()}`);
  return { space, channel };
}
