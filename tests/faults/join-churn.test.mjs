// Join churn and state writes (issue 12, item 6). One user joining and leaving one channel as fast
// as it can made every other member get two frames (and build a peer connection) per cycle: now a
// user gets JOINS_PER_10_SECS (default 5) joins per room per 10 s, the next join gets `error`
// `rate_limited` and close 4029 (a resume presenting its session id is free). And each `state`
// toggle was a storage write: now the attachment and the broadcast change at once and storage
// within a second, once for all the toggles in it — counted here as the frames the room's SQLite
// write-ahead log grows by (miniflare keeps it in the worker's persist folder; 4 KiB pages).

import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";

const CYCLES = 60;
const TOGGLES = 50;
/** A WAL frame: a 24-byte header and a 4 KiB page. */
const WAL_FRAME = 24 + 4096;

describe("join churn and state writes", () => {
  let worker;

  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  test(`${CYCLES} join/leave cycles by one user reach a bystander as at most 5 joins' frames`, async (t) => {
    const bystander = await worker.join("gaming", uniqueUser("bystander"));
    let frames = 0;
    bystander.socket.ws.on("message", (data) => {
      if (String(data) !== "pong") frames++;
    });
    const churner = uniqueUser("churner");
    const outcomes = {};
    const start = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const socket = await worker.openVoice("gaming", churner);
      const first = await socket.first(3000);
      if (first.type === "joined") {
        socket.send({ type: "leave" });
        const key = `joined→${await socket.closed(3000)}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      } else {
        const key = `${first.reason}→${await socket.closed(3000)}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      }
    }
    const ms = performance.now() - start;
    await sleep(300);
    t.diagnostic(`${CYCLES} cycles in ${Math.round(ms)} ms: ${JSON.stringify(outcomes)}; the bystander got ${frames} frames`);
    assert.ok(ms < 10_000, "the cycles fit in the 10 s window");
    assert.ok(frames <= 2 * 5, `the bystander got ${frames} frames`);
    assert.equal(outcomes["joined→1000"], 5);
    assert.equal(outcomes["rate_limited→4029"], CYCLES - 5);
  });

  test(`${TOGGLES} state toggles are stored in one write, and the last state is the one kept`, async (t) => {
    const channel = "music";
    const alice = await worker.join(channel, uniqueUser("alice"));
    const bobId = uniqueUser("bob");
    const bob = await worker.join(channel, bobId);
    await sleep(300);
    const wal = () => walBytes(worker.persistDir);
    const before = wal();
    for (let i = 0; i < TOGGLES; i++) bob.socket.send({ type: "state", muted: i % 2 === 0, deafened: false });
    // Everyone hears of each change at once.
    for (let i = 0; i < TOGGLES; i++) await alice.socket.next("member_updated", 2000);
    await sleep(1500);
    const grown = Math.round((wal() - before) / WAL_FRAME);
    t.diagnostic(`${TOGGLES} toggles grew the rooms' write-ahead logs by ${grown} frames`);
    assert.ok(grown <= 10, `${grown} WAL frames for ${TOGGLES} toggles`);
    // The last toggle (muted: false) is the state everyone sees afterwards.
    const newcomer = await worker.join(channel, uniqueUser("newcomer"));
    assert.equal(newcomer.joined.members.find((m) => m.id === bobId).muted, false);
  });
});

/** The bytes of every VoiceRoom SQLite write-ahead log under `dir`. */
function walBytes(dir) {
  let total = 0;
  for (const ns of readdirSync(dir)) {
    if (!ns.includes("VoiceRoom")) continue;
    for (const f of readdirSync(join(dir, ns))) if (f.endsWith(".sqlite-wal")) total += statSync(join(dir, ns, f)).size;
  }
  return total;
}
