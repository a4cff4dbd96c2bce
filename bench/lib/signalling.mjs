// Benchmarks 1–4: join, targeted relay, room capacity, idle cost. Each `measure*` runs one round
// against one running server and returns plain numbers; bench/main.mjs repeats rounds, takes
// medians and prints the tables.
import { Client, closeAll, SUPPORTS } from "./clients.mjs";
import { roomName } from "./servers.mjs";
import { Latency } from "./latency.mjs";
import { sleep } from "../../tests/lib/wait.mjs";

const now = () => performance.now();

function assertClean(clients, what) {
  const errs = clients.flatMap((c) => c.errors.map((e) => `${c.id}: ${e}`));
  if (errs.length) throw new Error(`${what}: server reported ${errs.length} error(s): ${errs.slice(0, 5).join("; ")}`);
}

/** Joins `n` members to `room` one after another; returns the clients and each join's ms. */
export async function fillRoom(protocol, server, room, n, prefix, onJoin, onClient) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = new Client(protocol, server, room, `${prefix}-u${i}`);
    const t0 = now();
    const members = await c.join({ expectOthers: clients.length });
    const ms = now() - t0;
    const missing = [...clients.map((x) => x.id), c.id].filter((id) => !members.includes(id));
    if (missing.length) throw new Error(`${protocol}: ${c.id} joined ${room} with a member list missing ${missing.join(",")}`);
    clients.push(c);
    onClient?.(c);
    onJoin?.(ms, i);
  }
  return clients;
}

// ---------------------------------------------------------------------------------------------
// 1. Join → full member list.

/**
 * For each N: `rooms` rooms fill in parallel, members joining one after another; every join is a
 * sample (connect → the full member list). Everyone leaves cleanly between sizes.
 */
export async function measureJoin(protocol, server, { sizes, rooms, tag }) {
  // Warm-up (not measured): the first Durable Object instances, JIT.
  const warm = await Promise.all(Array.from({ length: rooms }, (_, r) => fillRoom(protocol, server, roomName(r), 2, `w${tag}-${r}`)));
  await closeAll(warm.flat());
  await sleep(200);
  const out = {};
  for (const n of sizes) {
    const lat = new Latency();
    const filled = await Promise.all(Array.from({ length: rooms }, (_, r) =>
      fillRoom(protocol, server, roomName(r), n, `j${tag}n${n}-${r}`, (ms) => lat.record(ms))));
    const all = filled.flat();
    assertClean(all, `join N=${n}`);
    await closeAll(all);
    await sleep(200);
    const s = lat.summary();
    out[`n${n}_p50`] = s.p50;
    out[`n${n}_p99`] = s.p99;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. Targeted relay through one room.

const SDP_LINE = "a=candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host generation 0 network-id 1\r\n";
/** A payload whose frame (as our client sends it) is about `bytes` long, with a send time. */
export function payloadOf(kind) {
  if (kind === "sdp") {
    let sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Wk2s\r\n" +
      "a=ice-pwd:7eLx2X1nq1mXrQ9q4m0xJ3kx\r\na=fingerprint:sha-256 3C:4A:AA:BD:2C:5E:0F:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n" +
      "a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
    while (sdp.length < 880) sdp += SDP_LINE;
    return () => ({ sdp: { type: "offer", sdp: sdp.slice(0, 880) }, t: now() });
  }
  const candidate = "candidate:842163049 1 udp 1677729535 198.51.100.7 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag Wk2s network-cost 999";
  return () => ({ candidate: { candidate, sdpMid: "0", sdpMLineIndex: 0 }, t: now() });
}

/**
 * `members` join one room; member i signals member i+1 (a ring). Open-loop steps at `rates`
 * (msg/s offered, spread over the senders) record one-way latency and delivered msg/s until the
 * server falls behind; then a closed-loop phase (each sender keeps `window` messages in flight)
 * gives the saturation throughput and server CPU per delivered message.
 */
export async function measureRelay(protocol, server, { members, kind, rates, warmMs, stepMs, closedMs, window, room, tag }) {
  const clients = await fillRoom(protocol, server, room, members, `rl${tag}`);
  const make = payloadOf(kind);
  let delivered = 0;
  let lat = new Latency();
  let onDeliver = null;
  for (const c of clients) {
    c.onSignal = (from, payload) => {
      delivered += 1;
      lat.record(now() - payload.t);
      onDeliver?.(from);
    };
  }
  const target = (i) => clients[(i + 1) % clients.length].id;
  const senderIndex = new Map(clients.map((c, i) => [c.id, i]));
  let sent = 0;
  const BUFFER_LIMIT = 4 << 20;

  const drain = async (ms = 5000) => {
    const deadline = now() + ms;
    while (delivered < sent && now() < deadline) await sleep(20);
    return sent - delivered;
  };

  /** Open loop at `rate` msg/s for `ms`; returns { offered, delivered/s, lat } for that window. */
  const openLoop = async (rate, ms, record) => {
    const t0 = now();
    let mine = 0;
    let rr = 0;
    const d0 = delivered;
    const cpu0 = server.cpu();
    if (record) lat = new Latency();
    while (now() - t0 < ms) {
      const due = Math.floor((rate * (now() - t0)) / 1000) - mine;
      for (let k = 0; k < Math.min(due, 2000); k++) {
        const i = rr++ % clients.length;
        if (clients[i].buffered > BUFFER_LIMIT) continue;
        clients[i].signal(target(i), make(), kind);
        mine += 1;
        sent += 1;
      }
      await new Promise((r) => setImmediate(r));
    }
    const secs = (now() - t0) / 1000;
    return { offered: mine / secs, delivered: (delivered - d0) / secs, cpu: server.cpu() - cpu0, count: delivered - d0, lat };
  };

  const out = { steps: [] };
  let best = null;
  for (const rate of rates) {
    await openLoop(rate, warmMs, false);
    const r = await openLoop(rate, stepMs, true);
    const s = r.lat.summary();
    const step = { rate, offered: r.offered, delivered: r.delivered, p50: s.p50, p99: s.p99 };
    out.steps.push(step);
    const keptUp = r.delivered >= 0.95 * rate && r.offered >= 0.95 * rate;
    const left = await drain();
    if (keptUp && left === 0 && s.p99 < 250) best = step;
    else break;
  }
  await drain();
  // Closed loop: the most this server delivers with `window` messages in flight per sender.
  delivered = 0;
  sent = 0;
  let running = true;
  onDeliver = (from) => {
    if (!running) return;
    const i = senderIndex.get(from);
    clients[i].signal(target(i), make(), kind);
    sent += 1;
  };
  for (let i = 0; i < clients.length; i++) {
    for (let w = 0; w < window; w++) {
      clients[i].signal(target(i), make(), kind);
      sent += 1;
    }
  }
  await sleep(warmMs);
  lat = new Latency();
  const d0 = delivered;
  const cpu0 = server.cpu();
  const t0 = now();
  await sleep(closedMs);
  const secs = (now() - t0) / 1000;
  const count = delivered - d0;
  const cpu = server.cpu() - cpu0;
  running = false;
  const sat = lat.summary();
  await drain();
  assertClean(clients, `relay ${kind}`);
  await closeAll(clients);
  out.sat_msgs = count / secs;
  out.sat_p99 = sat.p99;
  out.cpu_us_per_msg = count ? (cpu * 1e6) / count : NaN;
  out.server_cpu_share = cpu / secs;
  out.sustained_rate = best?.rate ?? 0;
  out.p99_below_sat = best?.p99 ?? NaN;
  out.p50_below_sat = best?.p50 ?? NaN;
  out.p99_light = out.steps[0]?.p99 ?? NaN;
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Room capacity.

/** Every member toggles "speaking" `hz` times a second for `windowMs`; broadcast latency. */
async function broadcastWindow(server, clients, { hz, windowMs, n }) {
  const lat = new Latency();
  const sentAt = new Map(clients.map((c) => [c.id, []]));
  let expected = 0;
  let got = 0;
  for (const c of clients) {
    const seen = new Map();
    c.onBroadcast = (from) => {
      const k = seen.get(from) ?? 0;
      seen.set(from, k + 1);
      const t = sentAt.get(from)?.[k];
      if (t !== undefined) {
        lat.record(now() - t);
        got += 1;
      }
    };
  }
  const cpu0 = server.cpu();
  const drv0 = process.cpuUsage();
  const t0 = now();
  const period = 1000 / hz;
  const timers = [];
  for (const c of clients) {
    let flag = false;
    const fire = () => {
      flag = !flag;
      sentAt.get(c.id).push(now());
      expected += clients.length - 1;
      c.speaking(flag);
    };
    timers.push(setTimeout(() => {
      fire();
      timers.push(setInterval(fire, period));
    }, Math.random() * period));
  }
  await sleep(windowMs);
  for (const t of timers) {
    clearTimeout(t);
    clearInterval(t);
  }
  const deadline = now() + 5000;
  while (got < expected && now() < deadline) await sleep(20);
  const secs = (now() - t0) / 1000;
  const drv = process.cpuUsage(drv0);
  const s = lat.summary();
  for (const c of clients) c.onBroadcast = null;
  return {
    n, p50: s.p50, p99: s.p99, deliveries_per_s: got / secs, lost: expected - got,
    server_cpu_share: (server.cpu() - cpu0) / secs, driver_cpu_share: (drv.user + drv.system) / 1e6 / secs,
  };
}

/**
 * Grows one room in `steps`; at each size every member toggles "speaking" `hz` times a second
 * (broadcast to all others) for `windowMs`. Stops when broadcast p99 exceeds `limitMs`.
 */
export async function measureCapacity(protocol, server, { steps, hz, windowMs, limitMs, room, tag, budgetMs }) {
  if (!SUPPORTS[protocol].broadcast) return { capacity: NaN, note: "no rooms" };
  const clients = [];
  const started = now();
  let capacity = 0;
  const out = { steps: [] };
  for (const n of steps) {
    if (now() - started > budgetMs) break;
    // Join up to n, 8 at a time.
    while (clients.length < n) {
      const batch = [];
      const base = clients.length;
      for (let i = base; i < Math.min(n, base + 8); i++) {
        const c = new Client(protocol, server, room, `cap${tag}-u${i}`);
        batch.push(c.join({ expectOthers: base, timeoutMs: 30_000 }).then(() => c));
      }
      clients.push(...(await Promise.all(batch)));
    }
    await sleep(300);
    let step = await broadcastWindow(server, clients, { hz, windowMs, n });
    // One disturbance (another job on the machine, a GC pause) must not end the climb: a step
    // that misses the limit is measured once more before it counts.
    if (step.p99 > limitMs || step.lost > 0) step = { ...(await broadcastWindow(server, clients, { hz, windowMs, n })), retried: true };
    out.steps.push(step);
    assertClean(clients, `capacity N=${n}`);
    if (step.p99 > limitMs || step.lost > 0) break;
    capacity = n;
    out.driver_bound = step.driver_cpu_share > 0.9;
  }
  await closeAll(clients);
  out.capacity = capacity;
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. Idle cost.

/**
 * `sockets` members in rooms of `perRoom`, each sending its protocol's heartbeat, idle for
 * `durationMs`. Server CPU seconds and memory over the idle window; with a tail worker (bare
 * workerd), the Durable Object events (wake-ups) by kind.
 */
export async function measureIdle(protocol, server, { sockets, perRoom, durationMs, tag, firstRoom }) {
  const rooms = Math.ceil(sockets / perRoom);
  const rss0 = server.rss();
  const filled = [];
  // Ten rooms at a time, members one after another.
  for (let r = 0; r < rooms; r += 10) {
    const batch = [];
    for (let k = r; k < Math.min(rooms, r + 10); k++) {
      const n = Math.min(perRoom, sockets - k * perRoom);
      // Each member starts its heartbeat as soon as it has joined, as the page does.
      batch.push(fillRoom(protocol, server, roomName(firstRoom + k), n, `idle${tag}-${k}`, null, (c) => c.startHeartbeat()));
    }
    filled.push(...(await Promise.all(batch)).flat());
  }
  await sleep(2000);
  const tail0 = server.tailCounts ? await server.tailCounts().catch(() => null) : null;
  const cpu0 = server.cpu();
  const t0 = now();
  await sleep(durationMs);
  const secs = (now() - t0) / 1000;
  const cpu = server.cpu() - cpu0;
  const rss = server.rss();
  const tail1 = tail0 ? await server.tailCounts() : null;
  for (const c of filled) c.stopHeartbeat();
  const closedEarly = filled.filter((c) => c.closed).length;
  assertClean(filled, "idle");
  await closeAll(filled);
  const out = {
    sockets: filled.length, rooms, secs,
    cpu_s: cpu, cpu_ms_per_s: (cpu * 1000) / secs,
    rss_mb: rss / 2 ** 20, rss_growth_mb: (rss - rss0) / 2 ** 20,
    dropped: closedEarly,
  };
  if (tail1) {
    const diff = {};
    for (const [k, v] of Object.entries(tail1)) {
      const d = v - (tail0[k] ?? 0);
      if (d) diff[k] = d;
    }
    out.events = diff;
    out.wake_msgs = Object.entries(diff).filter(([k]) => k.startsWith("VoiceRoom:websocket")).reduce((a, [, v]) => a + v, 0);
    out.wake_alarms = diff["VoiceRoom:alarm"] ?? 0;
    out.wake_other = Object.entries(diff).filter(([k]) => k.startsWith("VoiceRoom:") && !k.startsWith("VoiceRoom:websocket") && k !== "VoiceRoom:alarm")
      .reduce((a, [, v]) => a + v, 0);
  }
  return out;
}
