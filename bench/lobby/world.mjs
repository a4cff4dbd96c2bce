// The lobby scale benchmark's model of the world (bench/README.md, "Lobby scale"): spaces, their
// channels, the members the driver puts in and takes out of them, and the sidebar sockets
// ("viewers") on `/api/lobby` that must see every change.
//
// Every change is numbered per channel (k = 1, 2, …) and the member set after it is remembered
// (state key → k). Joiners are fresh users and a leave always takes the oldest member, so each
// channel's member set is a sliding window over its joiners and no set ever comes back: a
// `channel` frame's member set names exactly which prefix of the channel's changes it shows (the
// rooms fold changes within 100 ms into one report, and then one frame covers several). A
// frame whose set the driver never made (two joins that reached the room in the other order) is
// skipped; the next one covers it. A change is seen when every viewer of its space has had a
// frame at or past it; its latency is from its send (a join: `new WebSocket`; a leave: the
// `leave` frame sent) to the last viewer's receipt.
import WebSocket from "ws";
import { offerFor } from "../../tests/lib/client.mjs";
import { mintToken, now as unixNow } from "../../tests/lib/tokens.mjs";
import { SECRET } from "../lib/servers.mjs";

const now = () => performance.now();
/** The voice and lobby sockets' ping interval (the page's). */
const PING_MS = 10_000;

/**
 * A one-hour token for `sub` in `space` (no claim for `default`, as old tokens are), limited to
 * the channel ids `channels` when given (the `channels` claim).
 */
export function tokenIn(space, sub, channels = null) {
  const claims = { sub, name: sub.slice(0, 32), iat: unixNow(), exp: unixNow() + 3600 };
  if (space !== "default") claims.space = space;
  if (channels) claims.channels = channels;
  return mintToken(claims, { secret: SECRET });
}

const wsUrl = (base, path) => {
  const url = new URL(path, base);
  url.protocol = "ws:";
  return url;
};

/** One channel of one space as the driver changes it. */
class Channel {
  constructor(space, id, index) {
    Object.assign(this, { space, id, index });
    /** Changes by number; `changes[0]` is the empty start. */
    this.changes = [null];
    /** Member set (sorted ids joined by ",") → the change number that made it. */
    this.states = new Map([["", 0]]);
    /** The members in it, oldest first (as the driver has sent: joins not yet answered too). */
    this.members = [];
    this.joins = 0;
  }

  /** Records a change made now; `need` viewers must see it. */
  record(need, window) {
    const k = this.changes.length;
    this.states.set(this.members.map((m) => m.id).sort().join(","), k);
    const change = { t: now(), seen: 0, last: 0, need, window, done: need === 0 };
    this.changes.push(change);
    return change;
  }
}

/** A member in a voice channel: its socket, answered `joined` or not. */
class Member {
  constructor(world, channel, id) {
    Object.assign(this, { world, channel, id });
    this.joined = false;
    this.leaving = false;
    const ws = new WebSocket(wsUrl(world.base, `/api/channels/${channel.id}/voice`), offerFor(tokenIn(channel.space.name, id)),
      { perMessageDeflate: false, handshakeTimeout: 15_000, closeTimeout: 250 });
    this.ws = ws;
    ws.on("message", (data) => {
      const text = data.toString();
      if (this.joined || text === "pong") return;
      const msg = JSON.parse(text);
      if (msg.type === "joined") this.joined = true;
      else if (msg.type === "error") world.fail(`member ${id} in ${channel.space.name}/${channel.id}: error ${msg.reason}`);
    });
    ws.on("unexpected-response", (_req, res) => world.fail(`member ${id}: upgrade answered ${res.statusCode}`));
    ws.on("error", (err) => { if (!this.leaving) world.fail(`member ${id}: ${err.message}`); });
    ws.on("close", (code) => {
      clearInterval(this.pinger);
      world.members.delete(this);
      if (!this.leaving && !world.stopping) world.fail(`member ${id} closed ${code} without leaving`);
    });
    this.pinger = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send("ping"); }, PING_MS);
  }

  leave() {
    this.leaving = true;
    clearInterval(this.pinger);
    this.ws.send(JSON.stringify({ type: "leave" }));
  }

  close() {
    this.leaving = true;
    clearInterval(this.pinger);
    this.ws.terminate();
  }
}

/** A space: its channels and its viewers. */
class Space {
  constructor(name, channelIds, firstIndex, claim) {
    this.name = name;
    /** The viewers' `channels` claim (null: none, every channel). */
    this.claim = claim;
    this.channels = channelIds.map((id, i) => new Channel(this, id, firstIndex + i));
    this.byId = new Map(this.channels.map((c, i) => [c.id, i]));
    this.viewers = [];
  }
}

export class World {
  /** `spaces`: [{name, channels: [id…], claim?: [id…]}]; `base`: the server's http URL. */
  constructor(base, spaces, tag) {
    this.base = base;
    this.tag = tag;
    let n = 0;
    this.spaces = spaces.map(({ name, channels, claim = null }) => {
      const s = new Space(name, channels, n, claim);
      n += channels.length;
      return s;
    });
    /** Frame text → [[channel index in its space, change number]] (every viewer gets the same text). */
    this.cache = new Map();
    this.errors = [];
    this.stopping = false;
    this.window = null;
    this.onComplete = null;
    this.framesIn = 0;
    this.members = new Set();
  }

  fail(what) {
    if (this.errors.length < 20) this.errors.push(what);
  }

  /** Opens `count` more viewers in `space` (distinct users: the lobby allows 20 sockets per user), `concurrency` at a time. */
  async addViewers(space, count, concurrency) {
    let next = 0;
    const open = async () => {
      while (next < count) {
        const i = space.viewers.length + next++;
        space.viewers.push(await this.openViewer(space, `${this.tag}-v-${space.name}-${i}`));
      }
    };
    // Push order does not matter; only that each viewer got its roster.
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, open));
    if (this.errors.length) throw new Error(`lobby viewers: ${this.errors.join("; ")}`);
  }

  openViewer(space, id) {
    return new Promise((resolve, reject) => {
      // Marks start at each channel's newest change: a viewer counts only changes made after it opened.
      const viewer = { space, seen: Int32Array.from(space.channels, (c) => c.changes.length - 1), ws: null };
      const ws = new WebSocket(wsUrl(this.base, "/api/lobby"), offerFor(tokenIn(space.name, id, space.claim)),
        { perMessageDeflate: false, handshakeTimeout: 30_000, closeTimeout: 250 });
      viewer.ws = ws;
      let ready = false;
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`viewer ${id}: no roster within 30 s`)); }, 30_000);
      ws.on("message", (data) => {
        this.onFrame(viewer, data);
        if (!ready) {
          ready = true;
          clearTimeout(timer);
          resolve(viewer);
        }
      });
      ws.on("unexpected-response", (_req, res) => { clearTimeout(timer); reject(new Error(`viewer ${id}: upgrade answered ${res.statusCode}`)); });
      ws.on("error", (err) => { clearTimeout(timer); if (!ready) reject(err); else this.fail(`viewer ${id}: ${err.message}`); });
      ws.on("close", (code) => { if (!this.stopping) this.fail(`viewer ${id} closed ${code}`); });
      viewer.pinger = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send("ping"); }, PING_MS);
    });
  }

  /** A lobby frame at `viewer`: every channel it names moves that viewer's mark forward. */
  onFrame(viewer, data) {
    const text = data.toString();
    if (text === "pong") return;
    this.framesIn += 1;
    let hits = this.cache.get(text);
    if (hits === undefined) {
      hits = this.parse(viewer.space, text);
      this.cache.set(text, hits);
    }
    if (hits.length === 0) return;
    const t = now();
    for (const [i, k] of hits) {
      const from = viewer.seen[i];
      if (k <= from) continue;
      viewer.seen[i] = k;
      const changes = viewer.space.channels[i].changes;
      for (let j = from + 1; j <= k; j++) {
        const c = changes[j];
        c.seen += 1;
        if (t > c.last) c.last = t;
        if (c.seen === c.need) {
          c.done = true;
          this.onComplete?.(c);
        }
      }
    }
  }

  parse(space, text) {
    const msg = JSON.parse(text);
    if (msg.type === "error") this.fail(`lobby error frame: ${text.slice(0, 200)}`);
    const list = msg.type === "channel" ? [msg] : msg.type === "roster" ? msg.channels : [];
    const hits = [];
    const ours = `${this.tag}-m-${space.name}-`;
    for (const ch of list) {
      // Spaces never meet: a member the driver put in another space must not show up here.
      for (const m of ch.members) {
        if (m.id.startsWith(`${this.tag}-m-`) && !m.id.startsWith(ours)) this.fail(`space ${space.name}'s lobby lists ${m.id} in ${ch.id}`);
      }
      const i = space.byId.get(ch.id);
      if (i === undefined) continue;
      const k = space.channels[i].states.get(ch.members.map((m) => m.id).sort().join(","));
      if (k !== undefined) hits.push([i, k]);
    }
    return hits;
  }

  /**
   * One change in `channel`: the oldest member leaves if it has been answered `joined` and the
   * channel holds `depth` members, else a fresh member joins. Returns the change.
   */
  change(channel, depth) {
    const oldest = channel.members[0];
    const need = channel.space.viewers.length;
    if (oldest && oldest.joined && channel.members.length >= depth) {
      channel.members.shift();
      oldest.leave();
      return channel.record(need, this.window);
    }
    channel.joins += 1;
    const m = new Member(this, channel, `${this.tag}-m-${channel.space.name}-${channel.id}-${channel.joins}`);
    this.members.add(m);
    channel.members.push(m);
    return channel.record(need, this.window);
  }

  /** Closes every socket (viewers and members). */
  close() {
    this.stopping = true;
    for (const m of this.members) m.close();
    for (const s of this.spaces) {
      for (const v of s.viewers) {
        clearInterval(v.pinger);
        v.ws.terminate();
      }
    }
  }
}
