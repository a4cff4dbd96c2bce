//! The quality bench (bench/README.md, "Voice quality on bad networks"): for each impairment
//! profile and audio variant, one relay-only call in Chromium through the impairment relay and
//! coturn, the reference speech as microphone, both ends recorded; then score.py gives PESQ-WB
//! MOS-LQO and mouth-to-ear delay. Repetitions are interleaved (every variant of a profile runs
//! back to back) so load on the shared machine hits them alike; the table shows medians.
//! Run it through run.sh (loopback-only namespace, venv). Options: --smoke, --reps N,
//! --profiles 0%,20%, --variants defaults,ours, --seconds S, --warmup S, --out DIR.
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { startCoturn } from "../../tests/turn/coturn.mjs";
import { startImpairRelay } from "./impair.mjs";
import { PROFILES, VARIANTS, pick } from "./plan.mjs";
import { summarize, table } from "./table.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    reps: { type: "string" },
    profiles: { type: "string" },
    variants: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    out: { type: "string" },
    seed: { type: "string", default: "1" },
  },
});
const smoke = opts.smoke;
const reps = Number(opts.reps ?? (smoke ? 1 : 3));
const profiles = pick((opts.profiles ?? (smoke ? "10%" : PROFILES.map((p) => p.name).join(","))).split(","), PROFILES);
const variants = pick((opts.variants ?? "defaults,ours").split(","), VARIANTS);
const seconds = Number(opts.seconds ?? (smoke ? 8 : 16.5));
const warmup = Number(opts.warmup ?? (smoke ? 2 : 4));
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const out = path.resolve(opts.out ?? path.join(HERE, "out", stamp + (smoke ? "-smoke" : "")));
const PYTHON = process.env.QUALITY_PYTHON ?? path.join(HERE, ".venv/bin/python");
const TURN_SECRET = "quality-bench-only-secret";

mkdirSync(out, { recursive: true });
const ref = path.join(out, "reference.wav");
if (spawnSync("bash", [path.join(HERE, "speech.sh"), ref], { stdio: "inherit" }).status !== 0) {
  throw new Error("speech.sh failed (espeak-ng and sox installed?)");
}

/** Mono 16-bit WAV from base64 PCM. */
function writeWav(file, base64, rate) {
  const pcm = Buffer.from(base64, "base64");
  const h = Buffer.alloc(44);
  h.write("RIFF", 0); h.writeUInt32LE(36 + pcm.length, 4); h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write("data", 36); h.writeUInt32LE(pcm.length, 40);
  writeFileSync(file, Buffer.concat([h, pcm]));
}

/** Serves the bench page and the page's own modules (public/) on loopback. */
async function serve() {
  const types = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript" };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x").pathname;
    const file = url === "/" ? path.join(HERE, "page.html")
      : url.startsWith("/bench/") ? path.join(HERE, path.basename(url))
        : url.startsWith("/public/") ? path.join(ROOT, "public", path.basename(url)) : null;
    try {
      if (!file) throw new Error("not found");
      res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  return server;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Gives every thread of this process's descendants (Chromium resets its children's niceness;
 * run.sh niced this process) the priority run.sh asked for, QUALITY_NICE.
 */
function boost() {
  const nice = process.env.QUALITY_NICE;
  if (!nice || nice === "0") return;
  const parents = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      parents.set(pid, readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);
    } catch { /* gone */ }
  }
  const ours = new Set([String(process.pid)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!ours.has(pid) && ours.has(parent)) { ours.add(pid); grew = true; }
    }
  }
  const tids = [...ours].flatMap((pid) => { try { return readdirSync(`/proc/${pid}/task`); } catch { return []; } });
  spawnSync("renice", ["-n", nice, "-p", ...tids], { stdio: "ignore" });
}
const load = [loadavg()[0]];
const turn = await startCoturn({ secret: TURN_SECRET });
// A killed run (timeout, Ctrl-C) stops its coturn too; the browser goes with playwright.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => turn.stop().finally(() => process.exit(130)));
}
const relay = await startImpairRelay({ targetPort: turn.port, seed: Number(opts.seed) });
const server = await serve();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${ref}`,
    "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"],
});
const results = [];
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error("[page]", err));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => "quality" in window);
  const username = `${Math.floor(Date.now() / 1000) + 24 * 3600}:bench`;
  const iceServers = [{
    urls: `turn:127.0.0.1:${relay.port}?transport=udp`, username,
    credential: createHmac("sha1", TURN_SECRET).update(username).digest("base64"),
  }];
  const total = reps * profiles.length * variants.length;
  for (let rep = 1; rep <= reps; rep++) {
    for (const profile of profiles) {
      for (const variant of variants) {
        const id = `${profile.name}-${variant.name}-${rep}`.replace(/[^\w.+-]/g, "_");
        relay.disarm();
        const sdp = await page.evaluate((a) => window.quality.start(a), { iceServers, variant });
        boost();
        relay.resetCounts();
        relay.arm(profile);
        await sleep(warmup * 1000);
        const before = await page.evaluate(() => window.quality.stats());
        const rec = await page.evaluate((s) => window.quality.record(s), seconds);
        const after = await page.evaluate(() => window.quality.stats());
        const counts = relay.counts();
        await page.evaluate(() => window.quality.stop());
        relay.disarm();
        writeWav(path.join(out, `${id}-local.wav`), rec.local, rec.localRate);
        writeWav(path.join(out, `${id}-remote.wav`), rec.remote, rec.remoteRate);
        results.push({ id, rep, profile: profile.name, variant: variant.name, relay: counts,
          sendCodec: after.outbound?.codec, answer: sdp.answer, ...delta(before, after) });
        load.push(loadavg()[0]);
        console.log(`[quality] ${results.length}/${total} ${id}: ${JSON.stringify(results.at(-1).receiver)}`);
      }
    }
  }
} finally {
  await browser.close().catch(() => {});
  server.close();
  await relay.close();
  await turn.stop();
}

/** What the receiver saw during the recording: loss, concealment, FEC, jitter buffer. */
function delta(before, after) {
  const d = (k, side = "inbound") => (after[side]?.[k] ?? 0) - (before[side]?.[k] ?? 0);
  const received = d("packetsReceived");
  const samples = d("totalSamplesReceived");
  const emitted = d("jitterBufferEmittedCount");
  return {
    receiver: {
      lossPct: round(100 * d("packetsLost") / Math.max(1, d("packetsLost") + received)),
      concealedPct: round(100 * d("concealedSamples") / Math.max(1, samples)),
      fecPackets: d("fecPacketsReceived"),
      jitterBufferMs: emitted ? round(1000 * d("jitterBufferDelay") / emitted) : null,
      bytesPerPacket: round(d("bytesReceived") / Math.max(1, received)),
      jitterMs: round(1000 * (after.inbound?.jitter ?? 0)),
      stretchedPct: round(100 * (d("insertedSamplesForDeceleration") + d("removedSamplesForAcceleration")) / Math.max(1, samples)),
    },
    sendKbps: round(8 * d("bytesSent", "outbound") / (seconds + 0.3) / 1000),
  };
}

function round(x) {
  return Math.round(x * 10) / 10;
}

// Score every pair at once (numpy/scipy load once).
const pairs = results.map((r) => ({ id: r.id, local: path.join(out, `${r.id}-local.wav`), remote: path.join(out, `${r.id}-remote.wav`) }));
writeFileSync(path.join(out, "pairs.json"), JSON.stringify(pairs));
const scored = await new Promise((resolve, reject) => {
  const py = spawn(PYTHON, [path.join(HERE, "score.py"), path.join(out, "pairs.json")], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  py.stdout.on("data", (d) => { text += d; });
  py.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`score.py exited ${code}`))));
});
for (const r of results) Object.assign(r, scored.find((s) => s.id === r.id));

const meta = {
  date: new Date().toISOString(), command: process.env.QUALITY_COMMAND ?? "bash bench/quality/run.sh",
  chromium: browser.version(), cpus: `${cpus().length} × ${cpus()[0]?.model}`,
  load: { min: Math.min(...load), max: Math.max(...load) }, reps, seconds, warmup, seed: opts.seed,
  profiles, variants,
};
const summary = summarize(results, profiles, variants);
const markdown = table(summary, meta);
writeFileSync(path.join(out, "results.json"), JSON.stringify({ meta, summary, results }, null, 1));
writeFileSync(path.join(out, "results.md"), markdown);
console.log(markdown);
const failed = results.filter((r) => r.error || typeof r.mos !== "number");
if (results.length === 0 || failed.length > 0) {
  console.error(`[quality] ${failed.length} of ${results.length} runs without a score: ${JSON.stringify(failed.map((r) => [r.id, r.error]))}`);
  process.exit(1);
}
