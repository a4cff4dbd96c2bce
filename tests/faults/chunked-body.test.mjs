// Issue 12, item 4: a sign-in body without Content-Length (chunked) must be refused after the
// 1 KiB limit, not read whole. Sent by a real HTTP client over loopback; the worker's memory is
// the resident set of the workerd process this test's miniflare started.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { sleep } from "../lib/wait.mjs";

const MiB = 1024 * 1024;
/** What the attacker offers: far past 1 KiB and big enough to show in the worker's memory. */
const OFFERED = 16 * MiB;
const CHUNK = 64 * 1024;

/** The workerd processes started by this test process (miniflare spawns them as children). */
function workerdPids() {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  } catch {
    return [];
  }
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm && comm.startsWith("workerd"))
    .map(([pid]) => Number(pid));
}

/** Resident memory of the given processes, in bytes. */
function rss(pids) {
  let total = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) total += Number(m[1]) * 1024;
  }
  return total;
}

/**
 * POSTs a chunked JSON body to /api/session: `prefix`, then filler in 64 KiB chunks (one every
 * `paceMs`, as the socket drains), up to `total` bytes, stopped as soon as an answer comes.
 * Resolves `{status, body, sent, ms}`.
 *
 * Pacing keeps what is in flight when the answer comes small. A server that answers before the
 * body is over closes the connection if much is left unread, and the client's next write then
 * meets a reset that can swallow the answer: how every HTTP server treats an upload it refuses,
 * but this test wants to read the 413.
 */
function postChunked(base, { total, prefix = '{"name":"', suffix = '"}', paceMs = 0 }) {
  const url = new URL("/api/session", base);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let sent = 0;
    let answered = false;
    const req = request(url, {
      // A connection of its own: one the worker stopped reading must not be reused.
      agent: false,
      method: "POST",
      headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within 20 s (${sent} bytes sent)`));
    }, 20_000);
    req.on("response", (res) => {
      answered = true;
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        const ms = performance.now() - started;
        const text = Buffer.concat(chunks).toString("utf8");
        req.destroy();
        resolve({ status: res.statusCode, body: text, sent, ms });
      });
      res.on("error", reject);
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      // Once the answer is in, a reset of the upload is expected.
      if (!answered) reject(e);
    });
    const filler = Buffer.alloc(CHUNK, "a");
    const write = async () => {
      req.write(prefix);
      sent += prefix.length;
      while (!answered && sent < total - suffix.length) {
        const n = Math.min(CHUNK, total - suffix.length - sent);
        sent += n;
        const drained = req.write(n === CHUNK ? filler : filler.subarray(0, n));
        if (!drained) await new Promise((r) => req.once("drain", r));
        if (paceMs > 0) await sleep(paceMs);
      }
      if (!answered) req.end(suffix);
    };
    write().catch(reject);
  });
}

describe("a chunked sign-in body (no Content-Length)", () => {
  let worker;
  let pids;
  before(async () => {
    worker = await startWorker({ vars: { GUEST_SIGNIN_PER_MINUTE: "0" } });
    pids = workerdPids();
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a small chunked body signs in as usual", async () => {
    const r = await postChunked(worker.url, { total: 17, prefix: '{"name":"Ch', suffix: 'unky"}' });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).user.name, "Chunky");
  });

  test("a chunked body of 1025 bytes is too_large, one of 1024 is read", async () => {
    const over = await postChunked(worker.url, { total: 1025 });
    assert.equal(over.status, 413, over.body);
    assert.equal(JSON.parse(over.body).reason, "too_large");
    // 1024 bytes is within the limit: read, and refused for the name (too long), not the size.
    const at = await postChunked(worker.url, { total: 1024 });
    assert.equal(at.status, 400, at.body);
    assert.equal(JSON.parse(at.body).reason, "invalid_name");
  });

  test("a chunked body of 16 MiB is refused quickly without growing the worker's memory", async () => {
    assert.ok(pids.length > 0, "found no workerd process started by this test");
    // Warm up: the wasm instance and its first allocations are in place before measuring.
    for (let i = 0; i < 3; i++) {
      const res = await worker.postSession({ name: "Warm" });
      await readJson(res);
    }
    await sleep(200);
    const before = rss(pids);
    // 64 KiB every 2 ms: 16 MiB take about a second to send whole. On a loaded machine the
    // client's next write can still meet the reset of a connection the worker already answered
    // and closed, before the answer is read (ECONNRESET, seen once in CI): up to three tries.
    let r;
    for (let attempt = 1; ; attempt++) {
      try {
        r = await postChunked(worker.url, { total: OFFERED, paceMs: 2 });
        break;
      } catch (e) {
        if (e.code !== "ECONNRESET" || attempt === 3) throw e;
        console.log(`# attempt ${attempt}: the upload was reset before the answer was read; again`);
      }
    }
    await sleep(300);
    const grown = rss(pids) - before;
    console.log(
      `# ${OFFERED / MiB} MiB offered chunked: ${r.status} after ${Math.round(r.ms)} ms, ` +
        `${(r.sent / MiB).toFixed(1)} MiB written by the client, workerd RSS ${grown >= 0 ? "+" : ""}${(grown / MiB).toFixed(1)} MiB`,
    );
    assert.equal(r.status, 413, r.body);
    assert.equal(JSON.parse(r.body).reason, "too_large");
    assert.ok(grown < 8 * MiB, `workerd grew by ${(grown / MiB).toFixed(1)} MiB for a refused body`);
    assert.ok(r.ms < 500, `answered after ${Math.round(r.ms)} ms`);
    assert.ok(r.sent < OFFERED / 2, `the client could send ${(r.sent / MiB).toFixed(1)} MiB before the answer`);
    // The worker is fine afterwards.
    const after = await worker.postSession({ name: "After" });
    assert.equal(after.status, 200);
    await after.arrayBuffer();
  });
});
