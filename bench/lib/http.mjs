// Benchmarks 5 and 6: worker size as `wrangler deploy --dry-run --outdir` reports it, runtime
// start → first answered request, and the credentials endpoint under load.
import http from "node:http";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenFor } from "./clients.mjs";
import { BENCH, COMPAT_DATE, ROOT } from "./servers.mjs";
import { Latency } from "./latency.mjs";

const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const ESBUILD = join(BENCH, "node_modules", ".bin", "esbuild");

/** "Total Upload: 733.12 KiB / gzip: 241.50 KiB" → { upload_kib, gzip_kib }. */
function dryRun(tomlLines) {
  const dir = mkdtempSync(join(tmpdir(), "bench-size-"));
  try {
    writeFileSync(join(dir, "wrangler.toml"), tomlLines.join("\n") + "\n");
    const out = execFileSync(WRANGLER, ["deploy", "--dry-run", "--outdir", join(dir, "out"), "--config", join(dir, "wrangler.toml")], {
      cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(out);
    if (!m) throw new Error(`no "Total Upload" line in wrangler's output: ${out.slice(-1000)}`);
    return { upload_kib: Number(m[1]), gzip_kib: Number(m[2]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const doToml = (classes, bindingOf) => [
  ...classes.flatMap((c) => ["[[durable_objects.bindings]]", `name = "${bindingOf(c)}"`, `class_name = "${c}"`]),
  "[[migrations]]", 'tag = "v1"', `new_sqlite_classes = [${classes.map((c) => `"${c}"`).join(", ")}]`,
];

/** Sizes of every peer's deployable: the two workers via wrangler, the Node servers via esbuild. */
export function measureSizes(work) {
  const ours = dryRun([
    'name = "cromulent-voice"', `main = "${join(work, "build", "index.js")}"`, `compatibility_date = "${COMPAT_DATE}"`,
    ...doToml(["VoiceRoom", "Lobby"], (c) => ({ VoiceRoom: "VOICE_ROOM", Lobby: "LOBBY" })[c]),
  ]);
  const partyserver = dryRun([
    'name = "partyserver-room"', `main = "${join(BENCH, "peers", "partyserver", "room.js")}"`, `compatibility_date = "${COMPAT_DATE}"`,
    ...doToml(["VoiceRoom"], (c) => c),
  ]);
  const wasm = readFileSync(join(work, "build", "index_bg.wasm"));
  const glue = readFileSync(join(work, "build", "index.js"));
  const nodeBundle = (entry) => {
    const out = join(work, `size-${Math.random().toString(36).slice(2)}.js`);
    execFileSync(ESBUILD, [entry, "--bundle", "--minify", "--platform=node", "--format=esm", "--log-level=error",
      "--external:utf-8-validate", "--external:bufferutil", `--outfile=${out}`]);
    const bytes = readFileSync(out);
    rmSync(out);
    return { upload_kib: bytes.length / 1024, gzip_kib: gzipSync(bytes, { level: 9 }).length / 1024 };
  };
  return {
    ours: { ...ours, wasm_gzip_kib: gzipSync(wasm, { level: 9 }).length / 1024, glue_gzip_kib: gzipSync(glue, { level: 9 }).length / 1024 },
    partyserver,
    peerjs: nodeBundle(join(BENCH, "node_modules", "peer", "dist", "bin", "peerjs.js")),
    ywebrtc: nodeBundle(join(BENCH, "node_modules", "y-webrtc", "bin", "server.js")),
  };
}

/**
 * GET /api/ice-servers with a bearer token from `concurrency` keep-alive connections for
 * `durationMs` (after `warmMs`); req/s, p50/p99, server CPU per request.
 */
export async function measureCredentials(server, { concurrency, warmMs, durationMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(`${server.base}/api/ice-servers`);
  const tokens = Array.from({ length: concurrency }, (_, i) => tokenFor(`cred-${i}`));
  let phase = "warm";
  let ok = 0;
  let bad = 0;
  let firstBad = null;
  const lat = new Latency();
  const one = (token) => new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const ms = performance.now() - t0;
        const body = Buffer.concat(chunks).toString();
        const good = res.statusCode === 200 && body.includes('"credential"');
        if (phase === "measure") {
          if (good) {
            ok += 1;
            lat.record(ms);
          } else bad += 1;
        }
        if (!good && !firstBad) firstBad = `${res.statusCode} ${body.slice(0, 200)}`;
        resolve();
      });
    });
    req.on("error", (e) => {
      bad += 1;
      firstBad ??= String(e);
      resolve();
    });
    req.end();
  });
  let running = true;
  const loops = tokens.map(async (token) => {
    while (running) await one(token);
  });
  await new Promise((r) => setTimeout(r, warmMs));
  phase = "measure";
  const cpu0 = server.cpu();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  phase = "done";
  const secs = (performance.now() - t0) / 1000;
  const cpu = server.cpu() - cpu0;
  running = false;
  await Promise.all(loops);
  agent.destroy();
  if (firstBad) throw new Error(`credentials endpoint answered badly (${bad}x): ${firstBad}`);
  const s = lat.summary();
  return { rps: ok / secs, p50: s.p50, p99: s.p99, cpu_us_per_req: ok ? (cpu * 1e6) / ok : NaN };
}
