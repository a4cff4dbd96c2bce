// Benchmark 9: the lobby at scale (issue 16, "Scale"; bench/README.md, "Lobby scale"). Our worker
// on bare workerd (the build snapshot, pinned to the server core). V viewers hold `/api/lobby`
// open (distinct users: the lobby caps 20 sockets per user); members join and leave voice channels
// at a steady rate (open loop, round robin over the channels); every change must reach every
// viewer of its space as a `channel` frame (world.mjs). Per step: p50/p99/max from a change to its
// last viewer, changes not seen by every viewer within the drain time ("lost"), server CPU per
// change (/proc, the workerd process tree) and the driver's own CPU.
//   1. one lobby (space `default`, channels r0…r63): per V, rates climb until a step fails
//      (p99 explodes past `limitMs`, or a change is lost);
//      the highest step with p99 ≤ `interactiveMs` is reported too (a sidebar that feels live);
//   2. spaces (admin API): a total of viewers and changes/s (more than one lobby holds) spread
//      over 10 spaces, added 1, 2, 5, 10 at a time, each with a tenth of the viewers and of the
//      changes/s: per-space cost and latency should not move as spaces are added;
//   3. claims: one lobby's viewers without and with a `channels` claim (8 channels, all named in
//      the claim): what the lobby's per-viewer filter costs.
import { sleep } from "../../tests/lib/wait.mjs";
import { Latency } from "../lib/latency.mjs";
import { benchVars, roomName, startServer } from "../lib/servers.mjs";
import { World } from "./world.mjs";

const now = () => performance.now();
export const ADMIN_KEY = "bench-admin-key-0123456789abcdef";

/** The bench's vars plus the admin key (the spaces part creates channels through the admin API). */
export const lobbyVars = () => benchVars({ extra: { ADMIN_API_KEY: ADMIN_KEY } });

/** The counts: `smoke` runs in seconds (bench/smoke.sh), `full` in about 3 minutes. */
export const LOBBY_PROFILE = {
  smoke: {
    viewers: [3, 10], rates: { 3: [5], 10: [5, 10] }, channels: 4, depth: 2, warmMs: 200, stepMs: 600, drainMs: 2000,
    limitMs: 1000, interactiveMs: 250, connectConcurrency: 8, spaces: { viewers: 10, rate: 10, counts: [1, 2], channelsPerSpace: 2, stepMs: 600 },
    claims: { viewers: 5, channels: 2, rates: [5] },
  },
  full: {
    viewers: [1, 100, 1000, 5000],
    rates: { 1: [20, 50], 100: [10, 25, 50, 100, 200, 400, 800, 1600], 1000: [5, 10, 20, 35, 50, 75, 100, 150], 5000: [1, 2, 4, 7, 10, 15] },
    channels: 64, depth: 2, warmMs: 1000, stepMs: 4000, drainMs: 4000, limitMs: 1000, interactiveMs: 250, connectConcurrency: 32,
    spaces: { viewers: 5000, rate: 20, counts: [1, 2, 5, 10], channelsPerSpace: 8, stepMs: 8000 },
    claims: { viewers: 1000, channels: 8, rates: [5, 10, 20, 35, 50, 75] },
  },
};

/**
 * Offers `rate` changes/s for `ms` over `channels` (round robin); the changes made are pushed to
 * `out` when given. A driver that woke late (a busy core) catches up at once, so the window always
 * holds rate × ms changes; how late it was is returned (`lagMs`, the worst).
 */
async function openLoop(world, channels, { rate, ms, depth, out, rr }) {
  const t0 = now();
  const total = Math.floor((rate * ms) / 1000);
  let sent = 0;
  let lagMs = 0;
  for (;;) {
    const elapsed = now() - t0;
    const due = Math.min(total, Math.floor((rate * elapsed) / 1000)) - sent;
    if (due > 0) lagMs = Math.max(lagMs, elapsed - ((sent + 1) * 1000) / rate);
    for (let k = 0; k < due; k++) {
      const c = world.change(channels[rr.i++ % channels.length], depth);
      out?.push(c);
      sent += 1;
    }
    if (sent >= total && elapsed >= ms) break;
    await sleep(Math.min(2, Math.max(0, ms - elapsed)));
  }
  return { sent, lagMs };
}

/**
 * One step at `rate` changes/s over `channels`: a warm-up, then the measured window, then up to
 * `drainMs` for every viewer to catch up. Returns the step's figures.
 */
export async function step(world, server, channels, { rate, warmMs, stepMs, drainMs, depth, limitMs, interactiveMs, rr }) {
  await openLoop(world, channels, { rate, ms: warmMs, depth, rr });
  const made = [];
  const cpu0 = server.cpu();
  const drv0 = process.cpuUsage();
  const frames0 = world.framesIn;
  const t0 = now();
  const { lagMs } = await openLoop(world, channels, { rate, ms: stepMs, depth, out: made, rr });
  const secs = (now() - t0) / 1000;
  const cpuStep = server.cpu() - cpu0;
  const drv = process.cpuUsage(drv0);
  const framesIn = world.framesIn - frames0;
  const deadline = now() + drainMs;
  while (made.some((c) => !c.done) && now() < deadline) await sleep(20);
  const cpuAll = server.cpu() - cpu0;
  const lat = new Latency();
  let lost = 0;
  let deliveries = 0;
  for (const c of made) {
    if (c.done) lat.record(c.last - c.t);
    else lost += 1;
    deliveries += c.need;
  }
  const s = lat.summary();
  const out = {
    rate, changes: made.length, driver_lag_ms: lagMs, p50: s.p50, p99: s.p99, max: s.max, lost,
    cpu_us_per_change: made.length ? (cpuAll * 1e6) / made.length : NaN,
    cpu_us_per_delivery: deliveries ? (cpuAll * 1e6) / deliveries : NaN,
    // Frames the viewers actually got in the window: fewer than changes × viewers when the rooms
    // folded changes (one report in flight per room: a busy lobby makes them fold more).
    cpu_us_per_frame: framesIn ? (cpuStep * 1e6) / framesIn : NaN,
    server_cpu_share: cpuStep / secs,
    driver_cpu_share: (drv.user + drv.system) / 1e6 / secs,
    deliveries_per_s: deliveries / secs,
    frames_in_per_s: framesIn / secs,
  };
  out.interactive = s.p99 <= interactiveMs && lost === 0;
  out.ok = s.p99 <= limitMs && lost === 0 && world.errors.length === 0;
  return out;
}

/**
 * Part 1: one lobby (space `default`) with `v` viewers, rates climbing until a step fails. With
 * `claim`, every viewer's token carries a `channels` claim naming the `channels` used (so each
 * still sees every change, through the lobby's per-viewer filter).
 */
async function oneLobby({ work, v, rates, p, tag, log, channels = p.channels, claim = false }) {
  const server = await startServer("ours", { work, vars: lobbyVars() });
  const ids = Array.from({ length: channels }, (_, i) => roomName(i));
  const world = new World(server.base, [{ name: "default", channels: ids, claim: claim ? ids : null }], `l${tag}v${v}${claim ? "c" : ""}`);
  try {
    const t0 = now();
    await world.addViewers(world.spaces[0], v, p.connectConcurrency);
    const connectMs = now() - t0;
    log(`lobby: ${v} viewers connected in ${Math.round(connectMs)} ms`);
    const rr = { i: 0 };
    const steps = [];
    for (const rate of rates) {
      const s = await step(world, server, world.spaces[0].channels, { ...p, rate, rr });
      steps.push(s);
      log(`lobby: V=${v} ${rate}/s: p50 ${s.p50?.toFixed(1)} p99 ${s.p99?.toFixed(1)} ms, lost ${s.lost}, server CPU ${Math.round(s.server_cpu_share * 100)}%, ` +
        `driver ${Math.round(s.driver_cpu_share * 100)}%, ${s.cpu_us_per_change.toFixed(0)} µs/change${s.ok ? "" : " — FAILED"}`);
      if (world.errors.length) throw new Error(`lobby V=${v}: ${world.errors.join("; ")}`);
      if (!s.ok) break;
    }
    const best = steps.filter((s) => s.ok).at(-1) ?? null;
    const live = steps.filter((s) => s.interactive).at(-1) ?? null;
    const failed = steps.find((s) => !s.ok) ?? null;
    return { viewers: v, connect_ms: connectMs, steps, sustained_rate: best?.rate ?? 0, interactive_rate: live?.rate ?? 0, failed_rate: failed?.rate ?? null };
  } finally {
    world.close();
    await server.stop();
  }
}

/** PUTs `channel` into `space` through the admin API; resolves with the HTTP status. */
async function putChannel(base, space, channel) {
  const res = await fetch(`${base}/api/admin/spaces/${space}/channels/${channel}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: `Bench ${channel}` }),
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Part 2: `spaces.counts` (e.g. 1, 2, 5, 10) spaces added one after another on one server, each
 * with `viewers / maxSpaces` viewers and `rate / maxSpaces` changes/s; at each count one step at
 * the sum. Returns null when this build has no admin API (no spaces).
 */
async function manySpaces({ work, viewers, rate, p, tag, log }) {
  const { counts, channelsPerSpace } = p.spaces;
  const max = Math.max(...counts);
  const server = await startServer("ours", { work, vars: lobbyVars() });
  const names = Array.from({ length: max }, (_, i) => `bench${i}`);
  const ids = Array.from({ length: channelsPerSpace }, (_, i) => `c${i}`);
  const world = new World(server.base, names.map((name) => ({ name, channels: ids })), `s${tag}`);
  try {
    const probe = await putChannel(server.base, names[0], ids[0]);
    if (probe === 404) {
      log("lobby spaces: this build has no admin API (PUT answered 404): the spaces part is not run");
      return null;
    }
    if (probe !== 200) throw new Error(`admin PUT answered ${probe}`);
    const perSpace = Math.max(1, Math.round(viewers / max));
    const perSpaceRate = rate / max;
    const rows = [];
    let active = 0;
    const rr = { i: 0 };
    for (const count of counts) {
      for (; active < count; active++) {
        const space = world.spaces[active];
        for (const id of ids) {
          const status = await putChannel(server.base, space.name, id);
          if (status !== 200) throw new Error(`admin PUT ${space.name}/${id} answered ${status}`);
        }
        await world.addViewers(space, perSpace, p.connectConcurrency);
      }
      // Round robin over channels interleaved across spaces: each space gets the same share.
      const channels = ids.flatMap((_, c) => world.spaces.slice(0, count).map((s) => s.channels[c]));
      const s = await step(world, server, channels, { ...p, stepMs: p.spaces.stepMs ?? p.stepMs, rate: perSpaceRate * count, rr });
      const row = { spaces: count, viewers_per_space: perSpace, rate_per_space: perSpaceRate, ...s, cpu_ms_per_s_per_space: (s.server_cpu_share * 1000) / count };
      rows.push(row);
      log(`lobby spaces: ${count} × (${perSpace} viewers, ${perSpaceRate}/s): p50 ${s.p50?.toFixed(1)} p99 ${s.p99?.toFixed(1)} ms, lost ${s.lost}, ` +
        `server CPU ${Math.round(s.server_cpu_share * 100)}%, ${s.cpu_us_per_change.toFixed(0)} µs/change`);
      if (world.errors.length) throw new Error(`lobby spaces: ${world.errors.join("; ")}`);
    }
    return { viewers, rate, rows };
  } finally {
    world.close();
    await server.stop();
  }
}

/**
 * The whole benchmark. `p`: {viewers: [V…], rates: {V: [changes/s…]}, channels, depth, warmMs,
 * stepMs, drainMs, limitMs, connectConcurrency, spaces: {viewers, rate, counts, channelsPerSpace},
 * claims: {viewers, channels, rates}}.
 */
export async function measureLobby({ work, p, tag = 0, log }) {
  const single = [];
  for (const v of p.viewers) {
    log(`lobby: one lobby, ${v} viewers, rates ${p.rates[v].join(", ")}/s`);
    single.push(await oneLobby({ work, v, rates: p.rates[v], p, tag, log }));
  }
  const { viewers, rate, counts } = p.spaces;
  log(`lobby spaces: ${viewers} viewers and ${rate} changes/s over ${counts.join(", ")} spaces`);
  const spaces = await manySpaces({ work, viewers, rate, p, tag, log });
  // Part 3: the same viewers and channels without and with a `channels` claim (the filter path).
  const claims = [];
  for (const claim of [false, true]) {
    const c = p.claims;
    log(`lobby claims: ${c.viewers} viewers ${claim ? "with" : "without"} a channels claim, ${c.channels} channels, rates ${c.rates.join(", ")}/s`);
    claims.push({ claim, ...(await oneLobby({ work, v: c.viewers, rates: c.rates, p, tag, log, channels: c.channels, claim })) });
  }
  return { single, spaces, claims };
}
