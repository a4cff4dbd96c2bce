// Profiles one server under a benchmark load with `perf` (bench/README.md, "Profiles").
//   node bench/profile.mjs <kind> <relay-sdp|relay-ice|join> [seconds]
// Starts <kind> (ours, partyserver, …) pinned to the server core, drives the load from this
// process, records `perf record -g` on the server process for [seconds] (default 6) and prints
// the top of `perf report` by shared object and by symbol (PROFILE_PERF=0: no perf, CPU only). V8's JIT and wasm code shows up as
// anonymous memory ("[unknown]"/"[JIT] tid"), workerd's runtime and V8 by symbol when present.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tree } from "./lib/proc.mjs";
import { bundlePartyServer, protocolOf, roomName, snapshotBuild, startServer } from "./lib/servers.mjs";
import { Client, closeAll } from "./lib/clients.mjs";
import { fillRoom, payloadOf } from "./lib/signalling.mjs";
import { sleep } from "../tests/lib/wait.mjs";

const [kind = "ours", load = "relay-ice", secsArg = "6"] = process.argv.slice(2);
const secs = Number(secsArg);
const work = mkdtempSync(join(tmpdir(), "cv-profile-"));
snapshotBuild(join(work, "build"));
bundlePartyServer(join(work, "partyserver-room.js"));
const server = await startServer(kind, { work });
const protocol = protocolOf(kind);
let running = true;
let delivered = 0;
const clients = [];
try {
  let driver;
  if (load.startsWith("relay")) {
    const kindOfMsg = load.endsWith("sdp") ? "sdp" : "ice";
    const make = payloadOf(kindOfMsg);
    for (let i = 0; i < 8; i++) {
      const c = new Client(protocol, server, roomName(20), `prof-${i}`);
      await c.join({ expectOthers: i });
      clients.push(c);
    }
    const index = new Map(clients.map((c, i) => [c.id, i]));
    const target = (i) => clients[(i + 1) % clients.length].id;
    for (const c of clients) {
      c.onSignal = (from) => {
        delivered += 1;
        if (!running) return;
        const i = index.get(from);
        clients[i].signal(target(i), make(), kindOfMsg);
      };
    }
    clients.forEach((c, i) => { for (let w = 0; w < 16; w++) c.signal(target(i), make(), kindOfMsg); });
    driver = Promise.resolve();
  } else if (load === "join") {
    driver = (async () => {
      let round = 0;
      while (running) {
        const batch = [];
        // PROFILE_JOIN_PARALLEL=1: the 4 rooms fill at once (the server busier, as in the join
        // benchmark); else one after another.
        const fill = async (r) => {
          batch.push(...await fillRoom(protocol, server, roomName(r), 8, `pj${round}-${r}`, () => { delivered += 1; }));
        };
        if (process.env.PROFILE_JOIN_PARALLEL === "1") await Promise.all([0, 1, 2, 3].map(fill));
        else for (let r = 0; r < 4; r++) await fill(r);
        await closeAll(batch);
        round += 1;
      }
    })();
  } else throw new Error(`unknown load ${load}`);
  await sleep(1000);
  const out = join(work, "perf.data");
  const d0 = delivered;
  const cpu0 = server.cpu();
  // PROFILE_PERF=0: no perf attached, only the server's CPU per unit (for A/B runs of two builds).
  const withPerf = process.env.PROFILE_PERF !== "0";
  if (withPerf) {
    const perf = spawn("perf", ["record", "-F", "1999", "-g", "-o", out, "-p", tree(server.pid).join(","), "--", "sleep", String(secs)], { stdio: "ignore" });
    await new Promise((r) => perf.on("exit", r));
  } else await sleep(secs * 1000);
  const n = delivered - d0;
  const cpu = server.cpu() - cpu0;
  running = false;
  console.log(`${kind} ${load}: ${n} ${load === "join" ? "joins" : "messages"} in ~${secs} s, server CPU ${(cpu * 1e6 / n).toFixed(1)} µs each`);
  for (const sort of withPerf ? ["dso", "sym"] : []) {
    const rep = execFileSync("perf", ["report", "-i", out, "--no-children", "--sort", sort === "dso" ? "comm,dso" : sort, "--stdio", "-g", "none", "--percent-limit", "1.5"],
      { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
    console.log(rep.split("\n").filter((l) => l && !l.startsWith("#")).slice(0, 30).join("\n"));
  }
  await driver;
} finally {
  running = false;
  await closeAll(clients);
  await server.stop();
  if (process.env.PERF_KEEP) console.log(`perf data kept in ${work}/perf.data`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(0);
