// Fixtures of the resume tests (a call that survives its signalling socket): a worker that can be
// killed and restarted on the same state, a loopback proxy in front of it, and recorders installed
// in a page before anything happens — the voice bar's states (MutationObserver), the messages its
// voice sockets receive and how many it opened, and its inbound audio packets every 20 ms (the
// longest interval without a new packet is the audio gap).
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BUILD_DIR, ROOT, prebuiltWranglerToml } from "../lib/config.mjs";
import { freePort, startProxy } from "../lib/net.mjs";
import { WranglerDev } from "../lib/wrangler.mjs";
import { AUTH_SECRET } from "./helpers.mjs";

/**
 * A `wrangler dev` that the test may kill (SIGKILL, as a deploy or a crash does) and start again
 * on the same --persist-to state and port. With `proxy`, a loopback TCP proxy stands in front
 * and the pages are served through it (`pageUrl`), so their sockets can be cut alone.
 * @param {{vars?: Record<string, string | number>, proxy?: boolean}} [options]
 */
export async function startRestartable({ vars = {}, proxy = false } = {}) {
  const port = await freePort();
  const front = proxy ? await startProxy(`http://127.0.0.1:${port}`) : null;
  const pgidFile = process.env.E2E_RUN_DIR ? path.join(process.env.E2E_RUN_DIR, `worker-${port}.pgid`) : null;
  const dev = new WranglerDev({
    port,
    // CROMULENT_BUILD_DIR (another build, e.g. a server branch) is honoured here too.
    config: prebuiltWranglerToml().replaceAll(JSON.stringify(path.join(ROOT, "build")).slice(0, -1), JSON.stringify(BUILD_DIR).slice(0, -1)),
    // The page's origin is the proxy's when there is one.
    vars: { AUTH_SECRET, RECONNECT_GRACE_SECS: 15, ...(front ? { ALLOWED_ORIGINS: front.url } : {}), ...vars },
    unref: true,
    onSpawn: (pgid) => pgidFile && writeFileSync(pgidFile, String(pgid)),
  });
  const stop = async () => {
    await front?.close();
    await dev.dispose("SIGTERM");
    if (pgidFile) rmSync(pgidFile, { force: true });
  };
  await dev.start({ timeoutMs: 60_000 }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { dev, proxy: front, url: dev.url, pageUrl: front ? front.url : dev.url, stop };
}

/**
 * Installs the recorders in a page (call before it loads). `window.__resumeLog` then holds
 * `bar` (every state the voice bar showed: {at, state, label}), and the audio sampler fills
 * `window.__audio` once `startAudioSampler` runs.
 * @param {import("playwright-core").Page} page
 */
export async function recordBar(page) {
  // playwright's page, or puppeteer's (Firefox): the same script before any of the page's own.
  const beforeLoad = "addInitScript" in page ? page.addInitScript.bind(page) : page.evaluateOnNewDocument.bind(page);
  await beforeLoad(() => {
    const log = { bar: /** @type {{at: number, state: string, label: string}[]} */ ([]) };
    Object.defineProperty(window, "__resumeLog", { value: log });
    document.addEventListener("DOMContentLoaded", () => {
      const bar = document.getElementById("voice-bar");
      const label = document.getElementById("voice-label");
      if (!bar || !label) return;
      const note = () => {
        const last = log.bar[log.bar.length - 1];
        const now = { at: Date.now(), state: bar.hidden ? "hidden" : String(bar.dataset.state), label: label.textContent ?? "" };
        if (!last || last.state !== now.state || last.label !== now.label) log.bar.push(now);
      };
      new MutationObserver(note).observe(bar, { attributes: true, childList: true, subtree: true, characterData: true });
      note();
    });
  });
}

/** @param {import("playwright-core").Page} page */
export function barLog(page) {
  return page.evaluate(() => window.__resumeLog.bar);
}

/**
 * Records what the page's voice sockets receive (types, with `member_left`'s user) and how many
 * voice sockets it opened. Call before joining.
 * @param {import("playwright-core").Page} page
 */
export function recordVoiceSockets(page) {
  const rec = { opens: 0, received: /** @type {{at: number, msg: any}[]} */ ([]), closes: 0 };
  page.on("websocket", (ws) => {
    if (!ws.url().includes("/voice")) return;
    rec.opens += 1;
    ws.on("framereceived", (frame) => {
      const text = String(frame.payload);
      if (text.startsWith("{")) rec.received.push({ at: Date.now(), msg: JSON.parse(text) });
    });
    ws.on("close", () => { rec.closes += 1; });
  });
  return rec;
}

/**
 * Samples the page's inbound audio packets (every peer) every 20 ms, in the page.
 * @param {import("playwright-core").Page} page
 */
export function startAudioSampler(page) {
  return page.evaluate(() => {
    const audio = { samples: /** @type {[number, number][]} */ ([]) };
    Object.defineProperty(window, "__audio", { value: audio, configurable: true });
    const tick = async () => {
      try {
        const stats = await window.__voiceDebug.stats();
        const n = stats.reduce((total, peer) => total + peer.packetsReceived, 0);
        const last = audio.samples[audio.samples.length - 1];
        if (!last || last[1] !== n) audio.samples.push([Date.now(), n]);
      } catch { /* between calls */ }
      if (!audio.stopped) setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * Stops the sampler; the longest interval without a new packet between `from` and `to` (Date.now()
 * ms), and whether the count grew in every 500 ms window of it.
 * @param {import("playwright-core").Page} page
 * @param {number} from
 * @param {number} to
 */
export async function audioGap(page, from, to) {
  const samples = await page.evaluate(() => {
    window.__audio.stopped = true;
    return window.__audio.samples;
  });
  // Times at which the count had just grown, inside the window (plus the last one before it).
  const grew = samples.filter(([at]) => at <= to);
  const before = grew.filter(([at]) => at <= from).pop();
  const inside = grew.filter(([at]) => at > from);
  const times = [before ? before[0] : from, ...inside.map(([at]) => at), to];
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  const everyWindow = longest < 500;
  return { longestMs: Math.round(longest), everyWindow, packets: inside.length ? inside[inside.length - 1][1] - (before?.[1] ?? 0) : 0 };
}

/**
 * Waits for green after a drop; returns when the bar first turned green after `since` (Date.now()).
 * @param {import("playwright-core").Page} page
 * @param {number} since
 */
export async function greenAfter(page, since, timeout = 30_000) {
  await poll(page, (since) => window.__resumeLog.bar.some((b) => b.at >= since && b.state === "green"), since,
    { timeout, what: async () => `green again; the bar showed ${JSON.stringify(await barLog(page))}` });
  const log = await barLog(page);
  return /** @type {{at: number}} */ (log.find((b) => b.at >= since && b.state === "green")).at;
}

/**
 * Waits until `fn(arg)`, evaluated in the page every 50 ms, is truthy — for playwright's pages
 * and puppeteer's alike (their waitForFunction signatures differ).
 * @template T
 * @param {{evaluate: Function}} page
 * @param {(arg: T) => unknown} fn
 * @param {T} arg
 * @param {{timeout?: number, what: string | (() => Promise<string>)}} options
 */
export async function poll(page, fn, arg, { timeout = 15_000, what }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === "string" ? what : await what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What every resumed call must show: yellow "Reconnecting…" after `since`, never "Disconnected"
 * (or red), and no `member_left` for `otherId`.
 * @param {import("playwright-core").Page} page
 * @param {ReturnType<typeof recordVoiceSockets>} sockets
 * @param {number} since
 * @param {string} otherId
 * @param {string} who
 */
export async function assertResumedQuietly(page, sockets, since, otherId, who) {
  const log = await barLog(page);
  const after = log.filter((b) => b.at >= since);
  assert.ok(after.some((b) => b.state === "yellow" && b.label === "Reconnecting…"),
    `${who}'s bar went yellow "Reconnecting…": ${JSON.stringify(after)}`);
  assert.deepEqual(log.filter((b) => b.state === "red" || b.label.includes("Disconnected")), [],
    `${who}'s page never showed "Disconnected"`);
  assert.deepEqual(sockets.received.filter(({ msg }) => msg.type === "member_left" && msg.user_id === otherId), [],
    `${who} never got member_left for the other`);
  assert.equal(await page.evaluate(() => document.body.innerText.includes("Disconnected")), false);
}

/** The room's members (ids) and its peers' pcIds. @param {import("playwright-core").Page} page */
export function callShape(page) {
  return page.evaluate(() => {
    const room = window.__voiceDebug();
    return {
      status: room?.status,
      members: room?.members.map((m) => m.id).sort() ?? [],
      peers: room?.peers.map((p) => ({ userId: p.userId, pcId: p.pcId, state: p.state })) ?? [],
      socketOpens: room?.socketOpens ?? 0,
    };
  });
}
