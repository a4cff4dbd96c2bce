// Benchmark 8: the herd after a deploy (issue 13). `rooms` × `perRoom` members are in calls on
// bare workerd with localDisk storage; the runtime is killed (SIGKILL to its process group) and
// started again on the same storage, on the same port. Every client resumes by itself as the page
// does (contract v1.1): `?session=<last>&resume=1&media=kept`, first try within 500 ms, then
// backoff with jitter (public/backoff.js, the page's own function), until it is back or
// RECONNECT_GRACE_SECS has passed since its socket closed. Measured: how long after the runtime
// answered again every member had `joined` again, refusals, server CPU meanwhile; then whether
// anyone is lost or listed twice (`/api/channels`, a fresh lobby) or saw a `member_left`.
import WebSocket from "ws";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { backoffDelay } from "../../public/backoff.js";
import { getJson, offerFor } from "../../tests/lib/client.mjs";
import { freePort } from "../../tests/lib/net.mjs";
import { percentile } from "../../tests/lib/stats.mjs";
import { sleep } from "../../tests/lib/wait.mjs";
import { ourWorker, startWorkerd } from "../../tests/lib/workerd.mjs";
import { HEARTBEAT_MS as HEARTBEATS, tokenFor } from "./clients.mjs";
import { cpuSeconds } from "./proc.mjs";
import { SERVER_CPUS, benchVars, roomName } from "./servers.mjs";

const now = () => performance.now();
/** The page's ping interval. */
const HEARTBEAT_MS = HEARTBEATS.ours;

/**
 * The voice socket's resume policy as the page runs it: 250–500 ms first, doubling to 5 s
 * (BENCH_HERD_MAX_BACKOFF_MS changes the cap, to see what a shorter one costs and gains).
 */
export const RESUME_BACKOFF = Object.freeze({ firstMs: 500, maxMs: Number(process.env.BENCH_HERD_MAX_BACKOFF_MS ?? 5000), jitter: 0.5 });

/** One member of a call: a voice socket that resumes by itself when it closes unexpectedly. */
class Member {
  constructor(base, room, id, graceMs) {
    Object.assign(this, { base, room, id, graceMs, token: tokenFor(id) });
    this.session = null;
    this.ws = null;
    /** The drop being recovered from: `{at, attempts}`; null while connected. */
    this.drop = null;
    this.backAt = null;
    this.joins = [];
    this.refusals = [];
    this.failures = 0;
    this.seen = { member_left: 0, member_joined: 0, not_kept: 0 };
    this.stopped = false;
  }

  get path() {
    const q = this.session === null ? "" : `?session=${this.session}&resume=1&media=kept`;
    return `/api/channels/${this.room}/voice${q}`;
  }

  /** One connection attempt; resolves `{joined}` or `{code, reason}` (or `{error}`) when it ends. */
  connect() {
    return new Promise((resolve) => {
      const url = new URL(this.path, this.base);
      url.protocol = "ws:";
      const ws = new WebSocket(url, offerFor(this.token), { handshakeTimeout: 10_000, closeTimeout: 250 });
      let reason = null;
      let settled = false;
      const settle = (v) => {
        if (!settled) {
          settled = true;
          resolve(v);
        }
      };
      ws.on("message", (data) => {
        let msg;
        try {
          msg = JSON.parse(String(data));
        } catch {
          return;
        }
        if (msg.type === "joined") {
          this.ws = ws;
          this.ping ??= setInterval(() => this.ws?.readyState === WebSocket.OPEN && this.ws.send("ping"), HEARTBEAT_MS);
          this.session = msg.session_id;
          settle({ joined: msg });
        } else if (msg.type === "error") {
          reason = msg.reason;
        } else if (msg.type === "member_left") {
          this.seen.member_left++;
        } else if (msg.type === "member_joined") {
          this.seen.member_joined++;
          if (msg.resumed && !msg.media_kept) this.seen.not_kept++;
        }
      });
      ws.on("error", () => {});
      ws.on("close", (code) => {
        if (!settled) return settle(code === 1006 && reason === null ? { error: "dropped" } : { code, reason });
        if (this.ws === ws) this.dropped();
      });
    });
  }

  async join() {
    const got = await this.connect();
    if (!got.joined) throw new Error(`${this.id} could not join ${this.room}: ${JSON.stringify(got)}`);
    return got.joined;
  }

  /** The socket closed under a joined member: resume until back, refused or the grace is over. */
  async dropped() {
    this.ws = null;
    if (this.stopped) return;
    this.drop = { at: now(), attempts: 0 };
    for (;;) {
      await sleep(backoffDelay(this.drop.attempts, RESUME_BACKOFF));
      if (this.stopped || now() - this.drop.at > this.graceMs) return;
      this.drop.attempts++;
      const tried = now();
      const got = await this.connect();
      if (got.joined) {
        this.backAt = now();
        this.attemptMs = this.backAt - tried;
        this.joins.push(got.joined);
        return;
      }
      if (got.error) {
        this.failures++; // nothing listening yet, or the connection broke: try again
        continue;
      }
      this.refusals.push(`${got.code} ${got.reason ?? ""}`.trim());
      return; // a refusal ends the call (4012: the place is gone)
    }
  }

  close() {
    this.stopped = true;
    clearInterval(this.ping);
    try {
      this.ws?.close(1000);
    } catch {
      // already closed
    }
  }
}

/** Where the Durable Objects' SQLite lives: tmpfs when there is one (BENCH_HERD_DISK=1: `work`). */
function storageHome(work) {
  if (process.env.BENCH_HERD_DISK !== "1" && existsSync("/dev/shm")) return { dir: mkdtempSync("/dev/shm/cv-herd-"), kind: "tmpfs" };
  return { dir: mkdtempSync(join(work, "herd-")), kind: "disk" };
}

async function answering(base, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.status === 200) return now();
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  throw new Error(`the restarted runtime did not answer within ${timeoutMs} ms`);
}

/** `{room: [ids]}` from a channels list, and what it says about `expected` (same shape). */
function compare(channels, expected) {
  const counts = new Map();
  for (const c of channels) for (const m of c.members) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
  let lost = 0;
  let misplaced = 0;
  for (const [room, ids] of Object.entries(expected)) {
    const listed = new Set(channels.find((c) => c.id === room)?.members.map((m) => m.id) ?? []);
    for (const id of ids) {
      if (!counts.has(id)) lost++;
      else if (!listed.has(id)) misplaced++;
    }
  }
  const everyone = new Set(Object.values(expected).flat());
  return {
    lost,
    misplaced,
    twice: [...counts.values()].filter((n) => n > 1).length,
    ghosts: [...counts.keys()].filter((id) => !everyone.has(id)).length,
  };
}

async function lobbyRoster(base) {
  return new Promise((resolve, reject) => {
    const url = new URL("/api/lobby", base);
    url.protocol = "ws:";
    const ws = new WebSocket(url, offerFor(tokenFor("herd-watcher")), { handshakeTimeout: 10_000 });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no lobby roster within 10 s"));
    }, 10_000);
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type !== "roster") return;
      clearTimeout(timer);
      ws.close(1000);
      resolve(msg.channels);
    });
    ws.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * One round. Returns plain numbers (ms, counts, CPU) for main.mjs's medians, and `detail`.
 * `rooms` rooms of `perRoom` members; `graceSecs` the server's RECONNECT_GRACE_SECS.
 */
export async function measureHerd({
  work, rooms, perRoom, graceSecs = 15, downMs = Number(process.env.BENCH_HERD_DOWN_MS ?? 0), tag = 0, log = () => {},
}) {
  const home = storageHome(work);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const options = {
    worker: ourWorker(join(work, "build")), vars: benchVars({ extra: { RECONNECT_GRACE_SECS: String(graceSecs) } }),
    port, dir: home.dir, storage: "disk", cpus: SERVER_CPUS,
  };
  let server = await startWorkerd(options);
  const members = [];
  const expected = {};
  try {
    // Calls fill in parallel, members one after another within a call (as in benchmark 1).
    await Promise.all(Array.from({ length: rooms }, async (_, r) => {
      const room = roomName(r);
      expected[room] = [];
      for (let i = 0; i < perRoom; i++) {
        const m = new Member(base, room, `herd${tag}-${r}-${i}`, graceSecs * 1000);
        await m.join();
        members.push(m);
        expected[room].push(m.id);
      }
    }));
    await sleep(500); // the rooms' last reports to the lobby
    log(`herd: ${members.length} members in ${rooms} calls on ${home.kind} storage; SIGKILL to the runtime`);

    const killedAt = now();
    process.kill(-server.pid, "SIGKILL");
    for (let i = 0; i < 100 && server.running(); i++) await sleep(10);
    // A real deploy is down longer than bare workerd's restart: BENCH_HERD_DOWN_MS holds it down.
    await sleep(downMs);
    // Restart on the same storage and port (startWorkerd writes the same config again).
    server = await startWorkerd({ ...options, healthPath: null });
    const answeredAt = await answering(base, 60_000);
    const cpu0 = cpuSeconds(server.pid);
    log(`herd: the runtime answers again ${Math.round(answeredAt - killedAt)} ms after the kill`);

    const deadline = killedAt + graceSecs * 1000 + 5000;
    while (now() < deadline && members.some((m) => m.backAt === null && m.refusals.length === 0)) await sleep(20);
    const allBackAt = Math.max(...members.map((m) => m.backAt ?? now()));
    const cpuS = cpuSeconds(server.pid) - cpu0;
    const herdMs = Math.max(1, allBackAt - answeredAt);

    const back = members.filter((m) => m.backAt !== null).map((m) => Math.max(0, m.backAt - answeredAt));
    const attemptMs = members.filter((m) => m.backAt !== null).map((m) => m.attemptMs);
    // The rooms tell the lobby within ~100 ms of a change; give the last reports time to land.
    let check;
    for (let i = 0; i < 50; i++) {
      const res = await getJson(base, "/api/channels", tokenFor("herd-observer"));
      check = compare(res.body.channels ?? [], expected);
      if (check.lost + check.twice + check.misplaced + check.ghosts === 0) break;
      await sleep(200);
    }
    const lobby = compare(await lobbyRoster(base), expected);
    const refusals = members.flatMap((m) => m.refusals);
    return {
      members: members.length,
      restart_ms: answeredAt - killedAt,
      back_p50: percentile(back, 50),
      back_p99: percentile(back, 99),
      back_max: back.length ? Math.max(...back) : NaN,
      not_back: members.length - back.length,
      attempt_p50: percentile(attemptMs, 50),
      attempt_p99: percentile(attemptMs, 99),
      refused_4012: refusals.filter((r) => r.startsWith("4012")).length,
      refused_other: refusals.filter((r) => !r.startsWith("4012")).length,
      resumed_false: members.flatMap((m) => m.joins).filter((j) => !j.resumed).length,
      attempts: members.reduce((n, m) => n + (m.drop?.attempts ?? 0), 0),
      failed_connects: members.reduce((n, m) => n + m.failures, 0),
      lost: check.lost,
      listed_twice: check.twice,
      misplaced: check.misplaced + check.ghosts,
      lobby_lost: lobby.lost,
      lobby_twice: lobby.twice,
      member_left_seen: members.reduce((n, m) => n + m.seen.member_left, 0),
      not_media_kept: members.reduce((n, m) => n + m.seen.not_kept, 0),
      server_cpu_s: cpuS,
      server_cpu_share: cpuS / (herdMs / 1000),
      detail: { storage: home.kind, downMs, refusals: refusals.slice(0, 10) },
    };
  } finally {
    for (const m of members) m.close();
    await server.stop();
    rmSync(home.dir, { recursive: true, force: true });
  }
}

/** The report's section and its targets, from the medians (and every round) of `measureHerd`. */
export function herdSection({ median: m, rounds }, profile, fmt, target) {
  const { storage = "?", downMs = 0 } = rounds[0]?.detail ?? {};
  const down = downMs > 0 ? `, held down ${downMs} ms` : "";
  const out = [
    `## 8. Herd after a deploy (${profile.rooms} calls × ${profile.perRoom} members on bare workerd, localDisk storage on ${storage}; SIGKILL, restart on the same storage${down}, everyone resumes at once)`, "",
    "| runtime answers again ms | back p50 ms | back p99 ms | all back ms | winning attempt p50 / p99 ms | refused (4012 / other) | not back | lost / listed twice (/api/channels) | lobby lost / twice | member_left seen | server CPU s (share) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${fmt(m.restart_ms)} | ${fmt(m.back_p50)} | ${fmt(m.back_p99)} | ${fmt(m.back_max)} | ${fmt(m.attempt_p50)} / ${fmt(m.attempt_p99)} | ${fmt(m.refused_4012, 0)} / ${fmt(m.refused_other, 0)} | ${fmt(m.not_back, 0)} | ${fmt(m.lost, 0)} / ${fmt(m.listed_twice, 0)} | ${fmt(m.lobby_lost, 0)} / ${fmt(m.lobby_twice, 0)} | ${fmt(m.member_left_seen, 0)} | ${fmt(m.server_cpu_s)} (${fmt(m.server_cpu_share * 100, 0)}%) |`,
    "",
    `- back: from the restarted runtime's first answer to each member's \`joined\`; clients resume as the page does (\`resume=1&media=kept\`, first try 250–500 ms after the close, doubling to ${RESUME_BACKOFF.maxMs / 1000} s, 50 % jitter), so the backoff is part of the time; the winning attempt is that one connection, upgrade to \`joined\`. runtime answers again: from the SIGKILL. Per round: ${rounds.map((r) => `all back ${fmt(r.back_max)} ms, ${fmt(r.attempts, 0)} attempts (${fmt(r.failed_connects, 0)} before the runtime listened)`).join("; ")}.`,
    "",
  ];
  target("Herd: every member back within 5 s of the runtime answering", `${fmt(m.back_max)} ms (p50 ${fmt(m.back_p50)}, p99 ${fmt(m.back_p99)})`, m.back_max <= 5000 && m.not_back === 0);
  const bad = m.lost + m.listed_twice + m.misplaced + m.lobby_lost + m.lobby_twice + m.refused_4012 + m.refused_other + m.member_left_seen;
  target("Herd: none lost, refused or listed twice; no member_left", `${fmt(bad, 0)} anomalies`, bad === 0);
  return out;
}
