// A flood of `signal` messages in a room: each flooding socket gets `rate_limited`, then close
// 4029, its victim gets no more than the bucket lets through, and the signalling of the other
// members in the same room stays fast. Default limits (RATE_LIMIT_PER_SEC=50, RATE_LIMIT_BURST=100).
//
// Latency on a shared 2-core machine is noisy (another test run or a benchmark next door can
// stall workerd for a few hundred ms), so the measurement is made up to three times, each in a
// fresh room; the rules (4029, what reaches the victim, no probe lost) must hold in every one,
// the latency bound in at least one. A real regression — a flood that stalls the room — fails all.

import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { after, before, describe, test } from "node:test";
import { wranglerVars } from "../lib/config.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { since, sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { summary } from "../lib/stats.mjs";

const PROBE_EVERY_MS = 25; // 40 signals a second: under the rate limit
const BASELINE_MS = 1500;
const FLOOD_MS = 2000;
const MAX_FLOODERS = 30;
const FLOOD_FRAMES = 20_000; // per flooding socket, as fast as the client can write them
const ATTEMPTS = ["general", "gaming", "music"];

describe("flood control under load", () => {
  let worker;
  const perSec = Number(wranglerVars().RATE_LIMIT_PER_SEC ?? 50);
  const burst = Number(wranglerVars().RATE_LIMIT_BURST ?? 100);

  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  /** One measurement in `channel`: round trips before and during a flood, and what the flooders got. */
  async function measure(channel) {
    const [b, c, d] = [uniqueUser("prober"), uniqueUser("echo"), uniqueUser("victim")];
    const B = await worker.join(channel, b);
    const C = await worker.join(channel, c);
    const D = await worker.join(channel, d);

    // C answers every probe; B times the round trip B → room → C → room → B.
    C.socket.ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "signal" && m.from === b) C.socket.send({ type: "signal", to: b, payload: { candidate: { echo: m.payload.candidate.seq } } });
    });
    const pending = new Map();
    let rtts = [];
    B.socket.ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type !== "signal" || m.from !== c) return;
      const sent = pending.get(m.payload.candidate.echo);
      if (sent !== undefined) {
        pending.delete(m.payload.candidate.echo);
        rtts.push(since(sent));
      }
    });
    let seq = 0;
    const probe = async (ms) => {
      rtts = [];
      pending.clear();
      const end = Date.now() + ms;
      while (Date.now() < end) {
        seq += 1;
        pending.set(seq, performance.now());
        B.socket.send({ type: "signal", to: c, payload: { candidate: { seq } } });
        await sleep(PROBE_EVERY_MS);
      }
      for (let i = 0; i < 40 && pending.size > 0; i++) await sleep(50);
      return { rtts, lost: pending.size };
    };
    // Relayed flood frames, per flooder, as the victim receives them.
    const relayed = new Map();
    D.socket.ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "signal") relayed.set(m.from, (relayed.get(m.from) ?? 0) + 1);
    });

    const before = await probe(BASELINE_MS);

    // The flooders run on their own thread (writing 20k frames would stall this one's timers),
    // one after another, until the probing window ends.
    const ids = Array.from({ length: MAX_FLOODERS }, () => uniqueUser("flooder"));
    const flooders = [];
    const thread = new Worker(new URL("./flooder.mjs", import.meta.url), {
      workerData: { url: worker.url.origin.replace(/^http/, "ws"), channel, victim: d, tokens: ids.map((id) => tokenFor(id)), frames: FLOOD_FRAMES },
    });
    const flood = new Promise((resolve, reject) => {
      thread.on("message", (m) => (m === "done" ? resolve() : flooders.push({ ...m, id: ids[m.index] })));
      thread.on("error", reject);
      thread.on("exit", resolve);
    });
    let during;
    try {
      during = await probe(FLOOD_MS);
      thread.postMessage("stop");
      await Promise.race([flood, sleep(20_000)]);
    } finally {
      await thread.terminate();
    }
    const bystandersOpen = !B.socket.isClosed && !C.socket.isClosed && !D.socket.isClosed;
    const bystanderErrors = [B, C].map((s) => s.socket.describeQueue()).filter((q) => q.includes('"error"'));
    for (const s of [B, C, D]) s.socket.close();
    return { before, during, flooders, relayed, bystandersOpen, bystanderErrors };
  }

  test("flooders are cut off with 4029 while another member's signalling round trip stays normal", async (t) => {
    const tries = [];
    for (const channel of ATTEMPTS) {
      const m = await measure(channel);
      const sb = summary(m.before.rtts);
      const sd = summary(m.during.rtts);
      const sent = m.flooders.reduce((n, f) => n + f.sent, 0);
      const delivered = [...m.relayed.values()].reduce((n, x) => n + x, 0);
      t.diagnostic(`${channel}: round trip before: n=${sb.n} p50=${sb.p50} ms p99=${sb.p99} ms; during: n=${sd.n} p50=${sd.p50} ms p99=${sd.p99} ms max=${sd.max} ms`);
      t.diagnostic(
        `${channel}: ${m.flooders.length} flooders wrote ${sent} frames; ${delivered} reached the victim; closed with ` +
          `${[...new Set(m.flooders.map((f) => f.code))].join(",")} after ${summary(m.flooders.map((f) => f.aliveMs)).p50} ms (median)`,
      );

      // The rules hold in every attempt.
      assert.ok(m.flooders.length >= 3, `only ${m.flooders.length} flooders ran`);
      for (const f of m.flooders) {
        assert.equal(f.limited, true, `${f.id} got no rate_limited error`);
        assert.equal(f.code, 4029, `${f.id} closed with ${f.code}`);
        const allowed = burst + perSec * (f.aliveMs / 1000) + 5;
        assert.ok((m.relayed.get(f.id) ?? 0) <= allowed, `${f.id}: ${m.relayed.get(f.id)} frames relayed, the bucket allows ${allowed}`);
      }
      assert.equal(m.before.lost, 0, "probes lost before the flood");
      assert.equal(m.during.lost, 0, "probes lost during the flood");
      assert.equal(m.bystandersOpen, true, "no bystander was closed");
      assert.deepEqual(m.bystanderErrors, [], "no bystander got an error");

      // Generous bounds: 10× the quiet p99 (never below 10 ms: timer noise), and half a second.
      const bound = Math.min(10 * Math.max(sb.p99, 10), 500);
      tries.push({ channel, sb, sd, bound });
      if (sd.p99 < bound) break;
    }
    const best = tries.reduce((x, y) => (y.sd.p99 - y.bound < x.sd.p99 - x.bound ? y : x));
    assert.ok(
      best.sd.p99 < best.bound,
      `p99 during the flood ${best.sd.p99} ms ≥ ${best.bound} ms (quiet p99 ${best.sb.p99} ms) in all ${tries.length} attempts`,
    );
  });
});
