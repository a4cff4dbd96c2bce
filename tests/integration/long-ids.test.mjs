// A valid user id that is long in bytes (issue 12, item 3): a host-minted `sub` of 128 CJK
// characters is within the contract's 128 characters but 384 bytes of UTF-8, past the runtime's
// 256-byte limit on a socket's tags. Tagged by the raw id, accepting its socket failed, workers-rs
// panicked, the wasm module was re-initialised (every object's memory in the isolate wiped) and
// the join hung. Now sockets are tagged by a fixed-length hash of the id: the member joins and
// signals both ways, and another room's flood bucket (memory only) is still there afterwards.
// Low rate limits (1 a second, burst 5) so a wiped bucket shows.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { firstOf, openSocket, voicePath } from "../lib/client.mjs";
import { sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";

const BURST = 5;

describe("a user id long in bytes", () => {
  let worker;

  before(async () => {
    worker = await startWorker({ vars: { RATE_LIMIT_PER_SEC: "1", RATE_LIMIT_BURST: String(BURST) } });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("joins, signals both ways, and wipes no other room's memory", async () => {
    // In gaming, a sender uses up its bucket: its next signals are refused (in memory only).
    const flooder = await worker.join("gaming", uniqueUser("flooder"));
    const victimId = uniqueUser("victim");
    const victim = await worker.join("gaming", victimId);
    const signal = (n) => ({ type: "signal", to: victimId, payload: { candidate: { candidate: `c${n}` } } });
    for (let n = 0; n <= BURST; n++) flooder.socket.send(signal(n));
    await flooder.socket.next("error", 2000, (m) => m.reason === "rate_limited");
    const start = performance.now();

    // 128 CJK characters: 384 bytes.
    const longId = "\u4e2d".repeat(128);
    const bobId = uniqueUser("bob");
    const bob = await worker.join("general", bobId);
    let long = null;
    let failure = null;
    try {
      // A short upgrade timeout: on the old build this join hangs.
      const r = await openSocket(worker.url, voicePath("general"), { token: tokenFor({ id: longId, name: "\u4e2d\u6587" }), timeoutMs: 2000 });
      if (r.status !== 101) throw new Error(`upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
      long = { socket: r.socket, joined: await firstOf(r.socket, "joined", 2000) };
    } catch (e) {
      failure = e;
    }
    if (long) {
      assert.deepEqual(long.joined.members.map((m) => m.id).sort(), [bobId, longId].sort());
      const joined = await bob.socket.next("member_joined");
      assert.equal(joined.member.id, longId);
      long.socket.send({ type: "signal", to: bobId, payload: { sdp: "offer" } });
      const atBob = await bob.socket.next("signal");
      assert.deepEqual([atBob.from, atBob.payload.sdp], [longId, "offer"]);
      bob.socket.send({ type: "signal", to: longId, payload: { sdp: "answer" } });
      const atLong = await long.socket.next("signal");
      assert.deepEqual([atLong.from, atLong.payload.sdp], [bobId, "answer"]);
      const listed = await worker.membersWhen("general", [bobId, longId]);
      assert.deepEqual(listed, [bobId, longId].sort());
    }

    // The flooder's bucket is still empty: of five more signals, at most what refilled since
    // (1 a second) reaches the victim. A wiped bucket lets all five through.
    const refilled = Math.floor((performance.now() - start) / 1000);
    for (let n = 100; n < 105; n++) flooder.socket.send(signal(n));
    await sleep(500);
    let through = 0;
    while (await victim.socket.next("signal", 50, (m) => Number(m.payload.candidate.candidate.slice(1)) >= 100).then(() => true, () => false)) {
      through++;
    }
    console.log(`${through} of 5 signals got through ${refilled} s after the bucket was emptied`);
    assert.equal(failure, null, `the long id's join failed: ${failure?.message}`);
    assert.ok(through <= Math.min(refilled, 4), `${through} of 5 signals got through after ${refilled} s: the flooder's bucket was wiped`);
  });
});
