// Runs the benchmarks (bench/README.md) and writes the table.
//   node bench/main.mjs [--smoke] [--only join,relay,capacity,idle,size,credentials,audio,herd,lobby]
//                       [--rounds N] [--out FILE.md]
// bench/run.sh (full) and bench/smoke.sh (tiny counts) are the usual entry points: they pin this
// driver to one core and the servers to the other. Every load loop is bounded in count and time;
// every server and browser started here is stopped when this process ends.
import { execFileSync, spawn } from "node:child_process";
import { cpus, hostname, release, totalmem } from "node:os";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  BENCH, KINDS, ROOT, SERVER_CPUS, bundlePartyServer, protocolOf, roomName, snapshotBuild, startServer,
} from "./lib/servers.mjs";
import { measureCapacity, measureIdle, measureJoin, measureRelay } from "./lib/signalling.mjs";
import { measureCredentials, measureSizes } from "./lib/http.mjs";
import { herdSection, measureHerd } from "./lib/herd.mjs";
import { LOBBY_PROFILE, measureLobby } from "./lobby/scale.mjs";
import { lobbySection } from "./lobby/report.mjs";
import { median, medianOf } from "../tests/lib/stats.mjs";

// ---------------------------------------------------------------------------------------------
// Options and profiles.

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const SMOKE = flag("--smoke");
const ALL = ["size", "join", "relay", "capacity", "idle", "credentials", "audio", "herd", "lobby"];
const ONLY = (opt("--only", ALL.join(",")) ?? "").split(",").filter(Boolean);
for (const o of ONLY) if (!ALL.includes(o)) throw new Error(`unknown benchmark ${o}; one of ${ALL.join(", ")}`);

const P = SMOKE
  ? {
    rounds: 1,
    start: { rounds: 1 },
    join: { sizes: [2, 4], rooms: 2 },
    relay: { members: 4, kinds: ["sdp", "ice"], wdKinds: ["ice"], rates: [500, 2000], warmMs: 150, stepMs: 300, closedMs: 500, window: 8 },
    capacity: { steps: [4, 8], hz: 2, windowMs: 600, limitMs: 250, budgetMs: 10_000 },
    idle: { sockets: 20, perRoom: 5, durationMs: 3000 },
    credentials: { concurrency: 4, warmMs: 200, durationMs: 500 },
    audio: { runs: 1 },
    herd: { rooms: 4, perRoom: 3 },
    lobby: LOBBY_PROFILE.smoke,
  }
  : {
    rounds: 3,
    start: { rounds: 3 },
    join: { sizes: [2, 8, 32], rooms: 10 },
    relay: {
      members: 8, kinds: ["sdp", "ice"], wdKinds: ["ice"],
      rates: [1000, 2000, 5000, 10000, 20000, 40000, 80000], warmMs: 400, stepMs: 1500, closedMs: 3000, window: 16,
    },
    capacity: { steps: [8, 16, 32, 64, 96, 128, 192, 256, 384, 512], hz: 1, windowMs: 2500, limitMs: 250, budgetMs: 60_000 },
    idle: { sockets: 500, perRoom: 10, durationMs: 45_000 },
    credentials: { concurrency: 32, warmMs: 1000, durationMs: 4000 },
    audio: { runs: 10 },
    herd: { rooms: 50, perRoom: 8 },
    lobby: LOBBY_PROFILE.full, // one pass, not rounds (bench/lobby/scale.mjs)
  };
const ROUNDS = Number(opt("--rounds", P.rounds));

const BARE = ["ours", "partyserver", "peerjs", "ywebrtc"];
const WD = ["ours-wd", "partyserver-wd"];
const PEERS = ["partyserver", "peerjs", "ywebrtc"];

const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------------------------------------------------------------------------------------------
// Running rounds.

const work = mkdtempSync(join(tmpdir(), "cv-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
snapshotBuild(join(work, "build"));
bundlePartyServer(join(work, "partyserver-room.js"));

/** Starts `kind`, runs `fn(server, protocol)`, stops it whatever happens. */
async function withServer(kind, options, fn) {
  const server = await startServer(kind, { work, ...options });
  try {
    return await fn(server, protocolOf(kind));
  } finally {
    await server.stop();
  }
}

/** `ROUNDS` rounds, servers interleaved within a round; medians per kind. */
async function rounds(name, kinds, fn, options = {}) {
  const per = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of kinds) {
      log(`${name}: ${kind}, round ${r + 1}/${ROUNDS}`);
      per[kind].push(await withServer(kind, options, (server, protocol) => fn(server, protocol, r, kind)));
    }
  }
  return { rounds: per, median: Object.fromEntries(kinds.map((k) => [k, medianOf(per[k].map(flat))])) };
}

/** Drops nested arrays/objects (kept in the JSON, not in medians). */
const flat = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === "number"));

// ---------------------------------------------------------------------------------------------
// The benchmarks.

const results = {};

async function benchSize() {
  const sizes = measureSizes(work);
  const start = {};
  for (const kind of [...BARE, "ours-wd"]) {
    start[kind] = [];
    for (let r = 0; r < P.start.rounds; r++) {
      log(`start: ${kind}, round ${r + 1}`);
      const s = await startServer(kind, { work });
      start[kind].push(s.startMs);
      await s.stop();
    }
  }
  results.size = { sizes, start: Object.fromEntries(Object.entries(start).map(([k, v]) => [k, { runs: v, median: median(v) }])) };
}

async function benchJoin() {
  results.join = await rounds("join", [...BARE, "ours+disk", "partyserver+disk"], (server, protocol, r) =>
    measureJoin(protocol, server, { ...P.join, tag: r }));
}

async function benchRelay() {
  results.relay = {};
  for (const kind of P.relay.kinds) {
    const kinds = [...BARE, "floor", ...(P.relay.wdKinds.includes(kind) ? WD : [])];
    results.relay[kind] = await rounds(`relay ${kind}`, kinds, (server, protocol, r) =>
      measureRelay(protocol, server, { ...P.relay, kind, room: roomName(20), tag: `${kind}${r}` }));
  }
}

async function benchCapacity() {
  results.capacity = await rounds("capacity", ["ours", "partyserver", "ywebrtc"], (server, protocol, r) =>
    measureCapacity(protocol, server, { ...P.capacity, room: roomName(21), tag: r }));
}

async function benchIdle() {
  // Idle servers barely use the CPU: the four run side by side, each with its own sockets.
  const per = Object.fromEntries(BARE.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    log(`idle: ${BARE.join(", ")} side by side, round ${r + 1}/${ROUNDS} (${P.idle.durationMs / 1000} s)`);
    // Workers on localDisk storage here: the heartbeat alarm is stored like in production.
    const outs = await Promise.all(BARE.map((kind) => withServer(["ours", "partyserver"].includes(kind) ? `${kind}+disk` : kind,
      { tail: kind === "ours" || kind === "partyserver" },
      (server, protocol) => measureIdle(protocol, server, { ...P.idle, tag: r, firstRoom: 0 }))));
    BARE.forEach((k, i) => per[k].push(outs[i]));
  }
  results.idle = { rounds: per, median: Object.fromEntries(BARE.map((k) => [k, medianOf(per[k].map(flat))])) };
}

async function benchCredentials() {
  results.credentials = await rounds("credentials", ["ours", "partyserver"], (server) => measureCredentials(server, P.credentials));
}

async function benchAudio() {
  log(`audio: ${P.audio.runs} run(s) per mode in a loopback-only network namespace`);
  const out = await new Promise((resolve, reject) => {
    const child = spawn("unshare", ["-n", "--", "sh", "-c", `ip link set lo up && exec "${process.execPath}" "${join(BENCH, "lib", "audio.mjs")}" "${work}" ${P.audio.runs}`],
      { stdio: ["ignore", "pipe", "inherit"], detached: true });
    let text = "";
    child.stdout.on("data", (d) => { text += d; });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ }
    }, 10 * 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = text.trim().split("\n").pop();
      if (code !== 0) reject(new Error(`audio benchmark exited ${code}: ${text.slice(-2000)}`));
      else resolve(JSON.parse(line));
    });
  });
  results.audio = {
    direct: { runs: out.direct.runs, pairs: out.direct.pairs, p50: median(out.direct.runs) },
    relay: { runs: out.relay.runs, pairs: out.relay.pairs, p50: median(out.relay.runs) },
  };
}

async function benchHerd() {
  // Its own server: killed and restarted mid-round on the same storage (lib/herd.mjs).
  const per = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`herd: ${P.herd.rooms} × ${P.herd.perRoom}, round ${r + 1}/${ROUNDS}`);
    per.push(await measureHerd({ work, ...P.herd, tag: r, log }));
  }
  results.herd = { rounds: per, median: medianOf(per.map(flat)) };
}

async function benchLobby() {
  // Its own servers (one per viewer count, one for the spaces); one pass, see the profile.
  results.lobby = await measureLobby({ work, p: P.lobby, log });
}

// ---------------------------------------------------------------------------------------------
// Report.

const fmt = (v, digits) => {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  if (digits !== undefined) return v.toFixed(digits);
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString("en-US") : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
};

/**
 * A markdown table: one row per kind, one column per metric; each cell "value (ratio×)" where the
 * ratio is to the best peer (not ours) in this run for that metric; `higher` marks metrics where
 * more is better.
 */
function table(medians, columns, kinds = Object.keys(medians)) {
  const head = `| server | ${columns.map((c) => `${c.label} ${c.higher ? "↑" : "↓"}`).join(" | ")} |`;
  const sep = `|---|${columns.map(() => "---:").join("|")}|`;
  const best = {};
  for (const c of columns) {
    const vals = PEERS.filter((k) => k in medians).map((k) => medians[k]?.[c.key]).filter((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
    best[c.key] = vals.length ? (c.higher ? Math.max(...vals) : Math.min(...vals)) : NaN;
  }
  const rows = kinds.filter((k) => k in medians).map((k) => {
    const cells = columns.map((c) => {
      const v = medians[k]?.[c.key];
      const b = best[c.key];
      const ratio = Number.isFinite(v) && Number.isFinite(b) && b > 0 ? ` (${fmt(v / b, 2)}×)` : "";
      return `${fmt(v, c.digits)}${ratio}`;
    });
    return `| ${KINDS[k]?.label ?? k} | ${cells.join(" | ")} |`;
  });
  return [head, sep, ...rows].join("\n");
}

const targets = [];
function target(name, value, ok, detail) {
  targets.push({ name, value, ok, detail });
}

function report(meta) {
  const out = [];
  out.push(`# Benchmark run ${meta.date}${SMOKE ? " (smoke: tiny counts, not a measurement)" : ""}`, "");
  out.push(`- command: \`${meta.command}\``);
  out.push(`- worker under test: ${meta.build}`);
  out.push(`- machine: ${meta.machine}`);
  out.push(`- versions: ${meta.versions}`);
  out.push(`- rounds: ${ROUNDS} per figure (medians shown); driver pinned to CPU ${meta.driverCpus}, servers to CPU ${SERVER_CPUS}`);
  out.push(`- every cell: value (ratio to the best peer in this run for that column: PartyServer, PeerJS or y-webrtc; ↑ higher is better, ↓ lower is better)`, "");

  if (results.join) {
    const cols = P.join.sizes.flatMap((n) => [
      { key: `n${n}_p50`, label: `N=${n} p50 ms` }, { key: `n${n}_p99`, label: `N=${n} p99 ms` }]);
    out.push(`## 1. Join → full member list (${P.join.rooms} rooms in parallel, members join one after another)`, "", table(results.join.median, cols), "");
    const n = Math.max(...P.join.sizes);
    const o = results.join.median.ours?.[`n${n}_p99`];
    const ps = results.join.median.partyserver?.[`n${n}_p99`];
    const od = results.join.median["ours+disk"]?.[`n${n}_p99`];
    const psd = results.join.median["partyserver+disk"]?.[`n${n}_p99`];
    target(`Join p99 at N=${n} ≤ 0.8× PartyServer (bare workerd)`, `${fmt(o)} ms vs ${fmt(ps)} ms = ${fmt(o / ps, 2)}× (localDisk storage: ${fmt(od)} vs ${fmt(psd)} ms = ${fmt(od / psd, 2)}×)`, o / ps <= 0.8);
  }
  if (results.relay) {
    for (const [kind, r] of Object.entries(results.relay)) {
      const cols = [
        { key: "sat_msgs", label: "saturation msg/s", higher: true },
        { key: "cpu_us_per_msg", label: "server CPU µs/msg" },
        { key: "sustained_rate", label: "highest sustained step msg/s", higher: true },
        { key: "p99_below_sat", label: "p99 ms at that step" },
        { key: "p99_light", label: `p99 ms at ${P.relay.rates[0]} msg/s` },
      ];
      out.push(`## 2. Targeted relay, ${kind === "sdp" ? "1 KiB SDP-like" : "200 B ICE-like"} messages (${P.relay.members} members in one room, ring)`, "", table(r.median, cols), "",
        "- floor: the least a hibernating JS Durable Object can do per message on the same workerd (bench/peers/floor.js); not a peer, not in the ratios.", "");
      const o = r.median.ours;
      const ps = r.median.partyserver;
      if (o && ps) {
        target(`Relay (${kind}) saturation ≥ 1.25× PartyServer msg/s`, `${fmt(o.sat_msgs)} vs ${fmt(ps.sat_msgs)} = ${fmt(o.sat_msgs / ps.sat_msgs, 2)}×`, o.sat_msgs / ps.sat_msgs >= 1.25);
        target(`Relay (${kind}) ≤ 15 µs server CPU per delivered message`, `${fmt(o.cpu_us_per_msg)} µs (PartyServer ${fmt(ps.cpu_us_per_msg)}, PeerJS ${fmt(r.median.peerjs?.cpu_us_per_msg)})`, o.cpu_us_per_msg <= 15);
      }
      const wd = r.median["ours-wd"];
      if (wd) target(`wrangler dev holds ≥ 10k msg/s in one busy room (${kind})`, `${fmt(wd.sat_msgs)} msg/s, p99 ${fmt(wd.sat_p99)} ms at saturation`, wd.sat_msgs >= 10_000);
    }
  }
  if (results.capacity) {
    const cols = [{ key: "capacity", label: `members with broadcast p99 ≤ ${P.capacity.limitMs} ms`, higher: true }];
    out.push(`## 3. Room capacity (every member toggles "speaking" ${P.capacity.hz}×/s; steps ${P.capacity.steps.join(", ")})`, "", table(results.capacity.median, cols), "");
    const lines = [];
    for (const [k, rs] of Object.entries(results.capacity.rounds)) {
      const last = rs.map((x) => x.steps?.at(-1)).filter(Boolean);
      lines.push(`- ${KINDS[k].label}: last step per round ${last.map((s) => `N=${s.n} p99 ${fmt(s.p99)} ms, server CPU ${fmt(s.server_cpu_share * 100, 0)}%, driver CPU ${fmt(s.driver_cpu_share * 100, 0)}%`).join("; ")}`);
    }
    out.push(...lines, "");
  }
  if (results.idle) {
    const cols = [
      { key: "cpu_ms_per_s", label: "server CPU ms per s" },
      { key: "cpu_s", label: "server CPU s (window)" },
      { key: "rss_mb", label: "RSS MiB" },
      { key: "wake_msgs", label: "DO wake-ups: messages" },
      { key: "wake_alarms", label: "DO wake-ups: alarms" },
    ];
    const s = P.idle;
    out.push(`## 4. Idle cost (${s.sockets} sockets in rooms of ${s.perRoom}, heartbeats on, ${s.durationMs / 1000} s window; the four servers side by side)`, "", table(results.idle.median, cols), "",
      "- Workers on localDisk storage; wake-ups are Durable Object events seen by a tail worker (bare workerd). Heartbeats: ours and PartyServer text `ping` every 10 s (auto-response), PeerJS HEARTBEAT every 5 s, y-webrtc `ping` every 15 s.", "");
    const o = results.idle.median.ours;
    if (o) {
      const rooms = Math.ceil(s.sockets / s.perRoom);
      const allowed = rooms * Math.ceil(s.durationMs / 30_000);
      target("Idle: pings wake no Durable Object", `${fmt(o.wake_msgs, 0)} message wake-ups`, o.wake_msgs === 0);
      target("Idle: only the heartbeat alarm wakes it, ≤ once per heartbeat timeout", `${fmt(o.wake_alarms, 0)} alarms for ${rooms} rooms in ${s.durationMs / 1000} s (allowed ${allowed})`, o.wake_alarms <= allowed && (o.wake_other ?? 0) === 0);
    }
  }
  if (results.size) {
    const { sizes, start } = results.size;
    const m = {};
    for (const k of Object.keys(sizes)) m[k] = { gzip_kib: sizes[k].gzip_kib, upload_kib: sizes[k].upload_kib };
    for (const k of Object.keys(start)) m[k] = { ...(m[k] ?? {}), start_ms: start[k].median };
    out.push("## 5. Size and start", "", table(m, [
      { key: "gzip_kib", label: "gzip KiB" }, { key: "upload_kib", label: "upload KiB" }, { key: "start_ms", label: "start → first answer ms" },
    ], [...BARE, "ours-wd"]), "");
    out.push(`- Worker sizes are \`wrangler deploy --dry-run --outdir\`'s "Total Upload" (ours: wasm ${fmt(sizes.ours.wasm_gzip_kib)} KiB + JS glue ${fmt(sizes.ours.glue_gzip_kib)} KiB gzip); PeerJS and y-webrtc are Node servers, sized as one esbuild --minify bundle.`, "");
    target("Worker ≤ 250 KiB gzip", `${fmt(sizes.ours.gzip_kib)} KiB`, sizes.ours.gzip_kib <= 250);
  }
  if (results.credentials) {
    out.push(`## 6. Credentials endpoint (GET /api/ice-servers, TURN_PROVIDER=coturn, ${P.credentials.concurrency} keep-alive connections)`, "",
      table(results.credentials.median, [
        { key: "rps", label: "req/s", higher: true }, { key: "p50", label: "p50 ms" }, { key: "p99", label: "p99 ms" }, { key: "cpu_us_per_req", label: "server CPU µs/req" },
      ]), "", "- PartyServer row: the same endpoint written in JS beside the room (Web Crypto HMAC-SHA1); PeerJS and y-webrtc have none.", "");
  }
  if (results.audio) {
    const a = results.audio;
    out.push(`## 7. Join → audio (Chromium, click Join → first remote inbound audio packet; ${a.direct.runs.length} runs per mode; ours under wrangler dev, coturn for relay)`, "",
      "| mode | p50 ms | min | max | ratio to direct |", "|---|---:|---:|---:|---:|",
      `| direct (${[...new Set(a.direct.pairs)].join(", ")}) | ${fmt(a.direct.p50)} | ${fmt(Math.min(...a.direct.runs))} | ${fmt(Math.max(...a.direct.runs))} | 1.00× |`,
      `| relay-only via coturn (${[...new Set(a.relay.pairs)].join(", ")}) | ${fmt(a.relay.p50)} | ${fmt(Math.min(...a.relay.runs))} | ${fmt(Math.max(...a.relay.runs))} | ${fmt(a.relay.p50 / a.direct.p50, 2)}× |`,
      "", "- No peer serves this page, so there is no peer ratio here.", "");
  }
  if (results.herd) out.push(...herdSection(results.herd, P.herd, fmt, target));
  if (results.lobby) out.push(...lobbySection(results.lobby, P.lobby, fmt));
  if (targets.length) {
    out.push("## Targets (same run)", "", "| target | measured | met |", "|---|---|:---:|");
    for (const t of targets) out.push(`| ${t.name} | ${t.value} | ${t.ok ? "yes" : "**no**"} |`);
    out.push("");
  }
  return out.join("\n");
}

function versions() {
  const pkg = (p) => {
    try {
      return JSON.parse(readFileSync(join(p, "package.json"), "utf8")).version;
    } catch {
      return "?";
    }
  };
  const wd = (() => {
    try {
      return execFileSync(join(ROOT, "node_modules", ".bin", "workerd"), ["--version"], { encoding: "utf8" }).trim();
    } catch {
      return "workerd ?";
    }
  })();
  return `${wd} (npm workerd ${pkg(join(ROOT, "node_modules", "workerd"))}), wrangler ${pkg(join(ROOT, "node_modules", "wrangler"))} ` +
    `(its workerd ${pkg(join(ROOT, "node_modules", "wrangler", "node_modules", "workerd"))}), node ${process.version}, ` +
    `partyserver ${pkg(join(BENCH, "node_modules", "partyserver"))}, peer ${pkg(join(BENCH, "node_modules", "peer"))}, ` +
    `y-webrtc ${pkg(join(BENCH, "node_modules", "y-webrtc"))}, ws ${pkg(join(BENCH, "node_modules", "ws"))}, ` +
    `hdr-histogram-js ${pkg(join(BENCH, "node_modules", "hdr-histogram-js"))}, playwright-core ${pkg(join(ROOT, "node_modules", "playwright-core"))}`;
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
const fns = { size: benchSize, join: benchJoin, relay: benchRelay, capacity: benchCapacity, idle: benchIdle, credentials: benchCredentials, audio: benchAudio, herd: benchHerd, lobby: benchLobby };
let failed = null;
for (const name of ALL.filter((n) => ONLY.includes(n))) {
  try {
    await fns[name]();
  } catch (e) {
    log(`${name} FAILED: ${e?.stack ?? e}`);
    failed ??= name;
    results[`${name}_error`] = String(e?.message ?? e);
  }
}
const date = new Date().toISOString();
const affinity = (() => {
  try {
    return execFileSync("taskset", ["-cp", String(process.pid)], { encoding: "utf8" }).split(":").pop().trim();
  } catch {
    return "?";
  }
})();
const meta = {
  date: `${date.slice(0, 16).replace("T", " ")} UTC`,
  command: process.env.BENCH_COMMAND ?? `node bench/main.mjs ${argv.join(" ")}`,
  machine: `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores (2 on the benchmark machine: driver and server get one each, other work shares them), ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
  versions: versions(),
  driverCpus: affinity,
  build: process.env.BENCH_BUILD_DIR ? `the build in ${process.env.BENCH_BUILD_DIR}${process.env.BENCH_LABEL ? ` (${process.env.BENCH_LABEL})` : ""}`
    : `build/ from the working tree at ${(() => {
      try {
        return execFileSync("git", ["-C", ROOT, "describe", "--always", "--dirty"], { encoding: "utf8" }).trim();
      } catch {
        return "?";
      }
    })()}`,
};
const md = report(meta) + `\nTotal time: ${Math.round((Date.now() - started) / 1000)} s.\n` +
  (failed ? `\n**Failed:** ${Object.entries(results).filter(([k]) => k.endsWith("_error")).map(([k, v]) => `${k}: ${v}`).join("; ")}\n` : "");
const outFile = opt("--out", join(BENCH, "results", `${date.slice(0, 19).replace(/:/g, "-")}${SMOKE ? "-smoke" : ""}.md`));
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, md);
writeFileSync(outFile.replace(/\.md$/, ".json"), JSON.stringify({ meta, profile: P, results, targets }, null, 1));
console.log(md);
log(`wrote ${outFile}`);
process.exit(failed ? 1 : 0);
