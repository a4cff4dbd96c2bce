// Big frames cost nothing that lasts: a lobby socket and a voice socket each get three 16 MiB text
// frames, within the runtime's 32 MiB message limit but a thousand times the protocol's 16 KiB.
// The voice sender gets `too_large`, the other members and the lobby go on as before, and the
// workerd process grows by less than RSS_LIMIT_MB: a frame past the limit is never copied into
// wasm memory, which never shrinks. (A copy took up to three times the frame's length; these
// frames grew workerd by 35-48 MB that way, against 2-10 MB without a copy.)
//
// The first 16 MiB frame workerd receives costs it ~48 MB of its own buffers, whoever reads it,
// so one frame to the lobby warms those up before the measure. The lobby's frames are non-ASCII,
// so a copy would need three bytes per character: the hole the warm-up's copy left is too small.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startWorker } from "../lib/miniflare.mjs";
import { uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";

const CHANNELS = "big0:Big 0,big1:Big 1,big2:Big 2";
const FRAME = 16 * 1024 * 1024;
/** Growth allowed for six big frames after the warm-up (measured: 2-10 MB; with a copy: 35-48 MB). */
const RSS_LIMIT_MB = 20;

/** The workerd processes miniflare started for this test process (its children). */
function workerdPids() {
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // `pid (comm) state ppid ...`: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes("workerd")) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Resident memory of those processes, in MB. */
function rssMb(pids) {
  let kb = 0;
  for (const pid of pids) {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) kb += Number(m[1]);
  }
  return kb / 1024;
}

/** A `signal` frame to `to` that is exactly `bytes` long. */
function signalOfLength(to, bytes) {
  const empty = JSON.stringify({ type: "signal", to, payload: { sdp: "" } });
  return JSON.stringify({ type: "signal", to, payload: { sdp: "x".repeat(bytes - empty.length) } });
}

describe("big frames", () => {
  let worker;
  let pids;

  before(async () => {
    worker = await startWorker({ vars: { VOICE_CHANNELS: CHANNELS } });
    pids = workerdPids();
    assert.ok(pids.length > 0, "found the workerd process miniflare started");
  });
  after(async () => {
    await worker?.dispose();
  });

  /** Joins `n` members to `channel`; everyone has seen everyone join. */
  async function members(channel, n) {
    const joined = [];
    for (let i = 0; i < n; i++) {
      const id = uniqueUser(`m${i}`);
      const { socket } = await worker.join(channel, id);
      for (const other of joined) await other.socket.next("member_joined", 3000, (m) => m.member.id === id);
      joined.push({ id, socket });
    }
    return joined;
  }

  /** A signal from `from` to `to` still goes through. */
  async function relays(from, to, mark) {
    from.socket.send({ type: "signal", to: to.id, payload: { candidate: { candidate: mark } } });
    const got = await to.socket.next("signal", 3000, (m) => m.payload?.candidate?.candidate === mark);
    assert.equal(got.from, from.id);
  }

  test("16 MiB frames to a lobby and a voice socket are refused unread and break nothing", async () => {
    const [a, b, c] = await members("big0", 3);
    const { socket: lobby } = await worker.openLobby();
    const { socket: watcher } = await worker.openLobby();
    await relays(a, b, "warm-up");
    lobby.send("x".repeat(FRAME));
    await sleep(1000);

    const start = rssMb(pids);
    for (let i = 0; i < 3; i++) lobby.send("é".repeat(FRAME / 2));
    await sleep(1500); // the lobby answers nothing to these
    const afterLobby = rssMb(pids);
    for (let i = 0; i < 3; i++) {
      a.socket.send(signalOfLength(b.id, FRAME));
      assert.equal((await a.socket.next("error", 20_000)).reason, "too_large");
    }
    await sleep(500);
    const end = rssMb(pids);
    const mb = (x) => `+${x.toFixed(1)} MB`;
    console.log(`workerd RSS: lobby frames ${mb(afterLobby - start)}, voice frames ${mb(end - afterLobby)}`);

    // The room goes on: nothing was relayed, everyone still signals everyone.
    await b.socket.expectNothing(200, "signal");
    await relays(a, b, "after-big-frames");
    await relays(b, c, "bystander");
    await relays(c, a, "back-to-sender");
    // The lobby goes on: a join reaches both lobby sockets.
    const id = uniqueUser("after");
    const { socket } = await worker.join("big1", id);
    for (const s of [lobby, watcher]) {
      const update = await s.next("channel", 5000, (m) => m.id === "big1");
      assert.deepEqual(
        update.members.map((m) => m.id),
        [id],
      );
    }
    assert.equal(lobby.isClosed, false);
    await lobby.expectNothing(0, "error");
    socket.close();
    assert.ok(end - start < RSS_LIMIT_MB, `workerd grew by ${(end - start).toFixed(1)} MB (limit ${RSS_LIMIT_MB} MB)`);
  });

  test("a 16 MiB binary frame gets binary_not_supported and the socket stays usable", async () => {
    const [a, b] = await members("big2", 2);
    a.socket.ws.send(Buffer.alloc(FRAME, 0x7b), { binary: true });
    assert.equal((await a.socket.next("error", 20_000)).reason, "binary_not_supported");
    await relays(a, b, "after-binary");
  });
});
