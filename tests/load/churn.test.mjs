// Churn: simulated members join and go away over and over — a `leave`, a clean close, an abrupt
// drop (terminate), the same tab coming back on a new socket with its session id (?session=), or
// (across channels) a join elsewhere that moves them — with random short pauses, some long enough
// for the grace period to run out. At the end, after the grace period, the rooms as a newcomer
// sees them, GET /api/channels, a fresh lobby and a lobby that watched the whole time all list
// exactly the members still connected, once each and where they are; and every member's own
// roster (joined.members + member_joined/member_left) agrees.
//
// CI: 20 members × 10 cycles in one channel, 10 × 10 across three. LOAD_FULL=1: 20 × 100 and
// 10 × 100. CHURN_SEED=<n> replays a run's random choices (timing still varies).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FULL } from "../lib/config.mjs";
import { tokenFor } from "../lib/tokens.mjs";
import { since, sleep } from "../lib/wait.mjs";
import { prng } from "../lib/random.mjs";
import { joinAt, openSocket, voicePath } from "../lib/client.mjs";
import { memoryTmpdir, startWorker } from "../lib/miniflare.mjs";
import { RosterView, rosterMap } from "../lib/fixtures.mjs";

const GRACE_MS = 1000;
const SEED = Number(process.env.CHURN_SEED ?? Date.now() % 1_000_000);

/**
 * Drives `members` simulated members through `cycles` cycles over `channels`, then checks every
 * view of the rosters. Returns the numbers for the report.
 */
async function churn(worker, { members, cycles, channels, prefix, seed }) {
  const random = prng(seed);
  const pick = (weights) => {
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    let r = random() * total;
    for (const [k, w] of Object.entries(weights)) if ((r -= w) < 0) return k;
    return Object.keys(weights).at(-1);
  };
  const stats = { joins: 0, moves: 0, leaves: 0, closes: 0, drops: 0, replaces: 0, resumesAfterDrop: 0, refusedRetries: 0, frames: 0 };
  const unexpected = [];
  /** Every socket ever opened: {id, channel, socket, view, joined, ended}. */
  const sockets = [];

  /** Notes a close code that the way the socket ended does not explain. */
  const expectClose = (entry, codes) =>
    entry.socket.closed(5000).then(
      (code) => {
        if (!codes.includes(code)) unexpected.push(`${entry.id} in ${entry.channel} (${entry.ended}) closed with ${code}`);
      },
      () => unexpected.push(`${entry.id} in ${entry.channel} (${entry.ended}) was never closed`),
    );

  /** A voice socket for `id` in `channel`; a refusal while the server has not yet seen this member's last socket drop is retried. */
  async function open(id, channel, session) {
    for (let attempt = 0; ; attempt++) {
      let view;
      const r = await openSocket(worker.url, voicePath(channel, session || undefined), {
        token: tokenFor(id),
        pingMs: 5000,
        watch: (s) => {
          view = new RosterView(s);
          s.ws.on("message", () => stats.frames++);
        },
      });
      if (r.status !== 101) throw new Error(`${id}: upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
      const first = await r.socket.first(5000);
      if (first.type === "joined") {
        const entry = { id, channel, socket: r.socket, view, joined: first, ended: null };
        sockets.push(entry);
        stats.joins++;
        return entry;
      }
      const code = await r.socket.closed(3000);
      if (first.reason !== "already_in_channel" || code !== 4009 || attempt >= 40) {
        throw new Error(`${id}: join of ${channel} refused: ${JSON.stringify(first)} (close ${code}, attempt ${attempt})`);
      }
      stats.refusedRetries++;
      await sleep(25);
    }
  }

  /** One member's life; returns its open socket at the end, if any. */
  async function live(id) {
    let current = null;
    let dropped = null; // the last terminated socket: its tab may come back with its session id
    for (let cycle = 0; cycle < cycles; cycle++) {
      const target = channels[Math.floor(random() * channels.length)];
      if (current && current.channel !== target) {
        // A join elsewhere moves the member: the old socket gets 4010.
        const old = current;
        old.ended = "moved";
        current = await open(id, target);
        expectClose(old, [4010]);
        stats.moves++;
      } else if (!current) {
        const resume = dropped && random() < 0.5;
        current = await open(id, target, resume ? dropped.joined.session_id : undefined);
        if (resume) stats.resumesAfterDrop++;
        dropped = null;
      }
      await sleep(random() * 40);
      const how = pick({ stay: channels.length > 1 ? 3 : 0, leave: 3, close: 3, drop: 3, replace: 2 });
      if (how === "leave") {
        current.ended = "leave";
        current.socket.send({ type: "leave" });
        expectClose(current, [1000]);
        await current.socket.closed(3000).catch(() => {});
        stats.leaves++;
        current = null;
      } else if (how === "close") {
        current.ended = "close";
        current.socket.close(1000);
        stats.closes++;
        current = null;
      } else if (how === "drop") {
        current.ended = "drop";
        current.socket.terminate();
        stats.drops++;
        dropped = current;
        current = null;
      } else if (how === "replace") {
        // The same tab reconnects while its socket is still open: the old one gets 4011.
        const old = current;
        old.ended = "replaced";
        current = await open(id, old.channel, old.joined.session_id);
        expectClose(old, [4011]);
        stats.replaces++;
      }
      // Now and then a pause past the grace period, so evictions happen during the churn.
      await sleep(random() < 0.08 ? GRACE_MS + 200 : random() * 30);
    }
    if (!current && random() < 0.5) current = await open(id, channels[Math.floor(random() * channels.length)], dropped?.joined.session_id);
    return current;
  }

  const { socket: watcher } = await worker.openLobby();
  const watched = {};
  watcher.ws.on("message", (data) => {
    const m = JSON.parse(String(data));
    if (m.type === "channel") watched[m.id] = m.members.map((x) => x.id).sort();
  });

  const ids = Array.from({ length: members }, (_, i) => `${prefix}-${i}`);
  const start = performance.now();
  // A member whose join keeps being refused stops there; the checks below report it.
  const finals = await Promise.all(
    ids.map((id) =>
      live(id).catch((e) => {
        unexpected.push(e.message);
        return null;
      }),
    ),
  );
  const churnMs = since(start);
  await sleep(GRACE_MS + 1500);

  const connected = finals.filter(Boolean);
  const truth = Object.fromEntries(channels.map((c) => [c, connected.filter((x) => x.channel === c).map((x) => x.id).sort()]));
  for (const s of sockets) {
    if (!s.ended && s.socket.isClosed) unexpected.push(`${s.id} in ${s.channel} was closed by the server with ${await s.socket.closed()}`);
  }
  const anomalies = sockets.flatMap((s) => s.view.anomalies.map((a) => `${s.id} in ${s.channel}: ${a}`));
  const report =
    `${members}×${cycles} cycles over ${channels.length} channel(s) in ${(churnMs / 1000).toFixed(1)} s: ${stats.joins} joins ` +
    `(${stats.moves} moves, ${stats.resumesAfterDrop} resumed after a drop, ${stats.replaces} same-tab replaces), ${stats.leaves} leaves, ` +
    `${stats.closes} clean closes, ${stats.drops} drops, ${stats.refusedRetries} refused-then-retried, ${stats.frames} frames received; ` +
    `${connected.length} connected at the end; ${anomalies.length} anomalies, ${unexpected.length} unexpected closes`;

  const check = async () => {
    // Nobody ever saw a message that did not fit their roster; no socket ended in a surprising way.
    assert.deepEqual(anomalies, []);
    assert.deepEqual(unexpected, []);
    // Every connected member's own view.
    for (const c of connected) assert.deepEqual(c.view.ids(), truth[c.channel], `${c.id}'s roster of ${c.channel}`);
    // The HTTP view: everyone once, where they are.
    const listed = (await worker.channelsNow()).channels.filter((c) => channels.includes(c.id));
    const everyone = listed.flatMap((c) => c.members.map((m) => m.id));
    assert.equal(new Set(everyone).size, everyone.length, `someone is listed twice: ${JSON.stringify(rosterMap(listed))}`);
    const pickChannels = (map) => Object.fromEntries(channels.map((c) => [c, map[c] ?? []]));
    assert.deepEqual(pickChannels(rosterMap(listed)), truth, "GET /api/channels");
    // The lobby that watched everything, and a fresh one.
    assert.deepEqual(pickChannels(watched), truth, "the watching lobby's last updates");
    const fresh = await worker.openLobby();
    fresh.socket.close();
    assert.deepEqual(pickChannels(rosterMap(fresh.roster.channels)), truth, "a fresh lobby");
    // A newcomer in each channel sees the same, and everyone there hears of it.
    for (const channel of channels) {
      const newcomer = await joinAt(worker.url, channel, tokenFor(`${prefix}-newcomer-${channel}`));
      const seen = newcomer.joined.members.map((m) => m.id).filter((x) => !x.includes("newcomer"));
      assert.equal(new Set(seen).size, seen.length, "duplicates in joined.members");
      assert.deepEqual(seen.sort(), truth[channel], `a newcomer's joined.members in ${channel}`);
      for (const c of connected.filter((x) => x.channel === channel)) {
        await c.socket.next("member_joined", 3000, (m) => m.member.id === `${prefix}-newcomer-${channel}`);
      }
      newcomer.socket.close();
    }
  };
  return { report, check, close: () => [...sockets.map((s) => s.socket), watcher].forEach((s) => s.close()) };
}

describe("churn", () => {
  let worker;
  let tmp;
  const runs = [];

  before(async () => {
    tmp = memoryTmpdir();
    worker = await startWorker({
      vars: {
        VOICE_CHANNELS: "general:General,hop1:Hop 1,hop2:Hop 2,hop3:Hop 3",
        RECONNECT_GRACE_SECS: String(GRACE_MS / 1000),
        MAX_MEMBERS: "64", RATE_LIMIT_PER_SEC: "1000",
        RATE_LIMIT_BURST: "1000",
        // Each simulated member rejoins one room several times a second: the join limit (5 per
        // 10 s per user per room, faults/join-churn.test.mjs) would refuse that on purpose.
        JOINS_PER_10_SECS: "0",
      },
    });
  });
  after(async () => {
    for (const r of runs) r.close();
    await sleep(300);
    await worker?.dispose();
    await tmp?.cleanup();
  });

  test(`${FULL ? "20 × 100" : "20 × 10"} join/leave cycles in one channel leave every roster exact (seed ${SEED})`, async (t) => {
    const run = await churn(worker, { members: 20, cycles: FULL ? 100 : 10, channels: ["general"], prefix: "churner", seed: SEED });
    runs.push(run);
    t.diagnostic(run.report);
    await run.check();
  });

  test(`${FULL ? "10 × 100" : "10 × 10"} cycles with moves across three channels leave every roster exact (seed ${SEED + 1})`, async (t) => {
    const run = await churn(worker, {
      members: 10,
      cycles: FULL ? 100 : 10,
      channels: ["hop1", "hop2", "hop3"],
      prefix: "mover",
      seed: SEED + 1,
    });
    runs.push(run);
    t.diagnostic(run.report);
    await run.check();
  });
});
