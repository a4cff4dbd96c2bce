// The lobby under attack (issue 12, item 1). One token may hold at most 20 lobby sockets (the
// 21st upgrade → 429 `rate_limited`); a lobby socket that sends frames (anything but `ping`, of
// any size: the lobby never reads them) past its bucket gets `rate_limited`, then close 4029.
// Measured: how late a bystander lobby hears of joins and leaves while 4 sockets of one token
// write 256 KiB frames as fast as they can (reopening when closed). Before: 300 sockets of one
// token were accepted, the flooders were never refused or closed, and the bystander's updates
// went from ~12 ms to seconds late.

import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { after, before, describe, test } from "node:test";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { summary } from "../lib/stats.mjs";

const CAP = 20;
const FLOOD_MS = 3000;
const PROBE_MS = 250;

describe("lobby limits", () => {
  let worker;

  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  test(`one user holds at most ${CAP} lobby sockets; the next is refused with 429`, async () => {
    const token = tokenFor(uniqueUser("tabs"));
    const results = [];
    for (let i = 0; i < CAP + 5; i++) results.push(await worker.upgrade("/api/lobby", { token }));
    const accepted = results.filter((r) => r.status === 101);
    const refused = results.filter((r) => r.status !== 101);
    assert.equal(accepted.length, CAP, `${accepted.length} of ${results.length} accepted`);
    for (const r of refused) {
      assert.equal(r.status, 429);
      assert.equal(r.body.reason, "rate_limited");
    }
    // One closed makes room for one more.
    accepted[0].socket.close();
    await accepted[0].socket.closed(2000);
    await sleep(50);
    assert.equal((await worker.upgrade("/api/lobby", { token })).status, 101);
    // Another user is not affected.
    assert.equal((await worker.upgrade("/api/lobby", { token: tokenFor(uniqueUser("other")) })).status, 101);
    worker.closeSockets();
  });

  test("a lobby socket that keeps sending gets rate_limited, then 4029", async () => {
    const { socket } = await worker.openLobby();
    for (let i = 0; i < 40; i++) socket.send("x".repeat(1000));
    const error = await socket.next("error", 2000);
    assert.equal(error.reason, "rate_limited");
    assert.equal(await socket.closed(2000), 4029);
  });

  test("a bystander's roster updates stay prompt while 4 sockets flood the lobby with 256 KiB frames", async (t) => {
    const { socket: bystander } = await worker.openLobby();
    const updates = [];
    bystander.ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "channel" && m.id === "music") updates.push({ at: performance.now(), ids: m.members.map((x) => x.id) });
    });
    /** Joins and leaves music every PROBE_MS for `ms`; the delay of each change reaching the bystander (a join's includes its handshake). */
    const probe = async (ms) => {
      const delays = [];
      let missed = 0;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const id = uniqueUser("probe");
        const seen = async (from, holds) => {
          for (let i = 0; i < 200; i++) {
            const u = updates.find((x) => x.at >= from && holds(x.ids));
            if (u) return u.at - from;
            await sleep(5);
          }
          return null;
        };
        // From the request (the update may overtake the client's reading of `joined`) and from
        // the `leave` (it may overtake the close).
        const joiningAt = performance.now();
        const { socket } = await worker.join("music", id);
        const inRoster = await seen(joiningAt, (ids) => ids.includes(id));
        const leavingAt = performance.now();
        socket.send({ type: "leave" });
        const gone = await seen(leavingAt, (ids) => !ids.includes(id));
        await socket.closed(5000).catch(() => {});
        for (const d of [inRoster, gone]) {
          if (d === null) missed++;
          else delays.push(d);
        }
        await sleep(PROBE_MS);
      }
      return { delays, missed };
    };

    const quiet = await probe(1500);
    const thread = new Worker(new URL("./lobby-flooder.mjs", import.meta.url), {
      workerData: { url: worker.url.origin.replace(/^http/, "ws"), token: tokenFor(uniqueUser("flooder")), sockets: 4, frameBytes: 256 * 1024 },
    });
    let stats = null;
    const done = new Promise((resolve, reject) => {
      thread.on("message", (m) => (m === "done" ? resolve() : (stats = m)));
      thread.on("error", reject);
      thread.on("exit", resolve);
    });
    let during;
    try {
      await sleep(300);
      during = await probe(FLOOD_MS);
      thread.postMessage("stop");
      await Promise.race([done, sleep(10_000)]);
    } finally {
      await thread.terminate();
    }
    const sq = summary(quiet.delays);
    const sd = summary(during.delays);
    t.diagnostic(`roster update delay quiet: n=${sq.n} p50=${sq.p50} ms max=${sq.max} ms; during the flood: n=${sd.n} p50=${sd.p50} ms max=${sd.max} ms, missed ${during.missed}`);
    t.diagnostic(`flooders: ${JSON.stringify(stats)}`);
    assert.ok(stats, "the flooder thread reported");
    assert.ok(stats.frames > 0, "the flooders wrote frames");
    assert.ok((stats.closes[4029] ?? 0) >= 4, `flooders closed with 4029: ${JSON.stringify(stats.closes)}`);
    assert.ok(stats.limited >= 4, "flooders were told rate_limited");
    assert.equal(bystander.isClosed, false);
    assert.equal(during.missed, 0, "updates the bystander never got");
    assert.ok(sd.max < 1000, `an update reached the bystander ${sd.max} ms late during the flood`);
  });
});
