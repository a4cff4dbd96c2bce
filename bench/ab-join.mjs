// Interleaved A/B of the join path: server CPU per join + leave for several servers measured in
// the same minutes, so a 2-core VM's drifting speed falls on all of them alike.
//   node bench/ab-join.mjs <seconds> <target>...   (target: a build dir of ours, "partyserver" or
//                                                   "floor-rs", room.js's job in Rust)
// Every target runs on bare workerd pinned to the server core (BENCH_SERVER_CPUS); the driver
// takes turns: 4 rooms fill at once, 8 members each, then everyone leaves; next target. Prints
// each target's CPU (/proc, its whole process tree, over the whole run) per join + leave and its
// ratio to the first target. Nothing but loopback; every server is stopped at the end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundlePartyServer, protocolOf, roomName, snapshotBuild, startServer } from "./lib/servers.mjs";
import { closeAll } from "./lib/clients.mjs";
import { fillRoom } from "./lib/signalling.mjs";
import { sleep } from "../tests/lib/wait.mjs";

const [secsArg = "30", ...targets] = process.argv.slice(2);
if (!targets.length) throw new Error("usage: node bench/ab-join.mjs <seconds> <build-dir|partyserver|floor-rs>...");
const work = mkdtempSync(join(tmpdir(), "cv-ab-join-"));
const servers = [];
try {
  for (const [i, target] of targets.entries()) {
    const dir = join(work, `t${i}`);
    const kind = ["partyserver", "floor-rs"].includes(target) ? target : "ours";
    if (kind === "ours") {
      process.env.BENCH_BUILD_DIR = target;
      snapshotBuild(join(dir, "build"));
    }
    bundlePartyServer(join(dir, "partyserver-room.js"));
    const server = await startServer(kind, { work: dir });
    servers.push({ target, kind, server, protocol: protocolOf(kind), joins: 0, cpu: 0 });
  }
  const batch = async (s, round) => {
    const rooms = await Promise.all([0, 1, 2, 3].map((r) => fillRoom(s.protocol, s.server, roomName(r), 8, `ab${round}-${r}`)));
    const clients = rooms.flat();
    await closeAll(clients);
    s.joins += clients.length;
  };
  // Warm-up: every server once, not counted.
  for (const s of servers) await batch(s, "w");
  await sleep(300);
  const start = servers.map((s) => s.server.cpu());
  const until = Date.now() + Number(secsArg) * 1000;
  for (const s of servers) s.joins = 0;
  for (let round = 0; Date.now() < until && round < 100_000; round++) {
    for (const s of servers) await batch(s, round);
  }
  const runMs = Date.now() - (until - Number(secsArg) * 1000);
  await sleep(300); // the last leaves' aftermath (reports to the Lobby) is counted too
  servers.forEach((s, i) => { s.cpu = s.server.cpu() - start[i]; });
  // What each server spends doing nothing (timers, the runtime's own threads), measured for 3 s
  // and taken out: each one idles while the others take their turns.
  const idle0 = servers.map((s) => s.server.cpu());
  await sleep(3000);
  servers.forEach((s, i) => {
    const idlePerMs = (s.server.cpu() - idle0[i]) / 3000;
    s.idle = idlePerMs * (runMs + 300);
    s.cpu -= s.idle;
  });
  const first = servers[0].cpu / servers[0].joins;
  for (const s of servers) {
    const per = (s.cpu * 1e6) / s.joins;
    console.log(`${s.target}: ${s.joins} joins, ${per.toFixed(1)} µs of server CPU per join + leave (${(per / (first * 1e6)).toFixed(2)}× the first; idle ${((s.idle * 1e6) / s.joins).toFixed(1)} µs taken out)`);
  }
} finally {
  for (const s of servers) await s.server.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
