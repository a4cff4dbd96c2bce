// Shared fixtures of the end-to-end tests: Debian's Chromium through playwright-core, signed-in
// users, readers of the page's state, and extra servers (another wrangler dev with its own
// --vars, coturn). Run them with tests/e2e/run.sh (it starts the main server inside a
// loopback-only network namespace and sets E2E_BASE_URL and E2E_AUTH_SECRET).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";
import { BUILD_DIR, prebuiltWranglerToml } from "../lib/config.mjs";
import { WranglerDev } from "../lib/wrangler.mjs";
import { CONF as COTURN_CONF, startCoturn } from "../turn/coturn.mjs";

// The repository's coturn with its own turnserver.conf (tests/turn/coturn.mjs).
export { startCoturn };

export const BASE_URL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8787";
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SCREENSHOT_DIR = process.env.E2E_SCREENSHOT_DIR ?? path.join(ROOT, "docs/screenshots");
export const VIEWPORT = { width: 1280, height: 720 };

export const COLORS = {
  yellow: "rgb(240, 178, 50)",
  green: "rgb(35, 165, 90)",
  red: "rgb(242, 63, 67)",
};

/** Chromium flags that make WebRTC work headless on loopback with a fake microphone. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

/**
 * @param {{askForMicrophone?: boolean, args?: string[]}} [options]  `askForMicrophone`: no automatic
 *   "Allow" — headless Chromium then refuses the microphone (NotAllowedError), as a person clicking
 *   "Block"; `args`: more Chromium switches (e.g. a WAV file as the microphone, audio-helpers.mjs).
 */
export function launch(options = {}) {
  const args = [...(options.askForMicrophone ? CHROMIUM_ARGS.filter((a) => a !== "--use-fake-ui-for-media-stream")
    : CHROMIUM_ARGS), ...(options.args ?? [])];
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args,
    timeout: 30_000,
  });
}

/**
 * Prefs that make WebRTC work in headless Firefox on loopback with a fake microphone (a tone):
 * no permission prompt, host candidates on 127.0.0.1 and not hidden behind mDNS names.
 */
export const FIREFOX_PREFS = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  "permissions.default.microphone": 1,
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
};

/**
 * Debian's firefox-esr, headless, driven by puppeteer-core over WebDriver BiDi (starts in ~3.5 s).
 * Its pages have puppeteer's API, not playwright's: firefox.test.mjs has the few readers it needs.
 */
export function launchFirefox() {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr",
    headless: true,
    timeout: 60_000,
    extraPrefsFirefox: FIREFOX_PREFS,
  });
}

/** A short unique suffix, so each test's people are told apart from the last test's leftovers. */
export function unique(name) {
  return `${name} ${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Watches a page: its console lines, its page errors, and any dialog (which fails the test
 * when `assertQuiet` is called: nothing may pop up).
 * @param {import("playwright-core").Page} page
 */
export async function watch(page) {
  const log = { console: /** @type {string[]} */ ([]), dialogs: /** @type {string[]} */ ([]),
    errors: /** @type {string[]} */ ([]) };
  page.on("console", (msg) => log.console.push(`${msg.type()}: ${msg.text()}`));
  page.on("pageerror", (err) => log.errors.push(String(err)));
  // The page must run under the server's CSP: report any violation loudly.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  page.on("dialog", (dialog) => {
    log.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.e2e = log;
  return log;
}

/** @param {import("playwright-core").Page} page */
export function assertQuiet(page) {
  assert.deepEqual(page.e2e.dialogs, [], "no dialog may pop up");
  assert.deepEqual(page.e2e.errors, [], "no uncaught error in the page");
  assert.deepEqual(page.e2e.console.filter((l) => /CSP violation|Content Security Policy/.test(l)), [],
    "nothing blocked by the Content-Security-Policy");
}

/**
 * Opens the page in a new browser context (a new user) and signs in.
 * @param {import("playwright-core").Browser} browser
 * @param {string} name
 * @param {{viewport?: {width: number, height: number}, query?: string, base?: string,
 *   beforeLoad?: (page: import("playwright-core").Page) => Promise<void>}} [options]
 */
export async function signIn(browser, name, options = {}) {
  const context = await browser.newContext({ viewport: options.viewport ?? VIEWPORT });
  const page = await openPage(context, options.query, options.base, options.beforeLoad);
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Display name").press("Enter");
  await page.locator("#channel-list .channel-row").first().waitFor({ timeout: 10_000 });
  return { context, page, name };
}

/**
 * Opens the page as a host app's link does (`#token=<jwt>`, contract v1.1) in a new context and
 * waits for the channel list: signed in as the token's user, no sign-in card.
 * @param {import("playwright-core").Browser} browser
 * @param {string} base  the server's URL
 * @param {string} token
 */
export async function openWithToken(browser, base, token) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await openPage(context, `#token=${token}`, base);
  await page.locator("#channel-list .channel-row").first().waitFor({ timeout: 10_000 });
  return { context, page };
}

/**
 * Another tab of the same browser context (same localStorage: same user).
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} [query]
 * @param {string} [base]  another server's URL (startWorker) instead of run.sh's
 * @param {(page: import("playwright-core").Page) => Promise<void>} [beforeLoad]  e.g. clock.install
 */
export async function openPage(context, query = "", base = BASE_URL, beforeLoad = undefined) {
  const page = await context.newPage();
  await watch(page);
  if (beforeLoad) await beforeLoad(page);
  await page.goto(`${base}/${query}`);
  return page;
}

/**
 * @param {import("playwright-core").Page} page
 * @param {string} channelName
 */
export function channelRow(page, channelName) {
  return page.locator("#channel-list .channel-row").filter({
    has: page.locator(".channel-name", { hasText: new RegExp(`^${channelName}$`) }),
  });
}

/**
 * Clicks a channel in the sidebar; resolves with performance.now() in the page just before.
 * @param {import("playwright-core").Page} page
 * @param {string} channelName
 */
export async function clickChannel(page, channelName) {
  await channelRow(page, channelName).click();
}

/**
 * Waits until the voice bar shows a state, and checks its dot colour and label.
 * @param {import("playwright-core").Page} page
 * @param {"yellow"|"green"|"red"} state
 * @param {string} label
 */
export async function expectBar(page, state, label, timeout = 15_000) {
  await page.waitForFunction(
    ([state, label]) => {
      const bar = document.getElementById("voice-bar");
      return bar && !bar.hidden && bar.dataset.state === state
        && document.getElementById("voice-label")?.textContent === label;
    },
    [state, label],
    { timeout },
  ).catch(async (err) => {
    throw new Error(`voice bar never showed ${state} "${label}"; it shows ${JSON.stringify(await barState(page))}\n${err.message}`);
  });
  const now = await barState(page);
  assert.equal(now.dot, COLORS[state], `the dot is ${state}`);
  assert.equal(now.label, label);
  assert.equal(now.live, "polite", "the label is announced");
  assert.equal(now.leave, true, "the Leave button is there in every state");
  assert.equal(now.truncated, false, "the label is readable in full");
}

/**
 * The people click `channel` one after the other, each waiting for the green bar before the next
 * clicks (the first is in the channel when the second joins, so the first offers).
 * @param {{page: import("playwright-core").Page}[]} people
 * @param {string} channel
 */
export async function joinInTurn(people, channel) {
  for (const { page } of people) {
    await clickChannel(page, channel);
    await expectBar(page, "green", channel);
  }
}

/** @param {import("playwright-core").Page} page */
export function barState(page) {
  return page.evaluate(() => {
    const bar = /** @type {HTMLElement} */ (document.getElementById("voice-bar"));
    const label = /** @type {HTMLElement} */ (document.getElementById("voice-label"));
    const dot = /** @type {HTMLElement} */ (document.getElementById("voice-dot"));
    const leave = [...bar.querySelectorAll("button")].some((b) => b.getAttribute("aria-label") === "Leave"
      && b.getClientRects().length > 0);
    return {
      hidden: bar.hidden,
      state: bar.dataset.state,
      label: label.textContent,
      live: label.getAttribute("aria-live"),
      dot: getComputedStyle(dot).backgroundColor,
      leave,
      truncated: label.scrollWidth > label.clientWidth,
    };
  });
}

/**
 * Names listed under each channel in the sidebar: {"General": ["Alice", ...], ...}.
 * @param {import("playwright-core").Page} page
 */
export function sidebar(page) {
  return page.evaluate(() => {
    /** @type {Record<string, string[]>} */
    const out = {};
    for (const li of document.querySelectorAll("#channel-list > .channel")) {
      const name = li.querySelector(".channel-name")?.textContent ?? "";
      out[name] = [...li.querySelectorAll(".member-name")].map((n) => n.textContent ?? "");
    }
    return out;
  });
}

/**
 * Waits until `predicate(sidebar)` holds on the page.
 * @param {import("playwright-core").Page} page
 * @param {(s: Record<string, string[]>) => boolean} predicate
 * @param {string} what
 */
export async function waitForSidebar(page, predicate, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last = {};
  while (Date.now() < deadline) {
    last = await sidebar(page);
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100)); // (playwright's and puppeteer's pages)
  }
  throw new Error(`sidebar never showed ${what}; it shows ${JSON.stringify(last)}`);
}

/** How often a name is listed under a channel. */
export function count(side, channel, name) {
  return (side[channel] ?? []).filter((n) => n === name).length;
}

/**
 * Waits until every peer connection of the page's room is `connected` (and there are `n`).
 * @param {import("playwright-core").Page} page
 * @param {number} n
 */
export async function waitForPeersConnected(page, n, timeout = 20_000) {
  await page.waitForFunction(
    (n) => {
      const room = window.__voiceDebug();
      if (!room || room.peers.length !== n) return false;
      return room.peers.every((p) => p.state === "connected" && p.connectionState === "connected");
    },
    n,
    { timeout, polling: 50 },
  ).catch(async (err) => {
    const states = await page.evaluate(() => window.__voiceDebug()?.peers
      .map((p) => [p.userId, p.state, p.connectionState, p.failure]) ?? null);
    throw new Error(`peer connections never all connected: ${JSON.stringify(states)}\n${err.message}`);
  });
}

/**
 * Inbound audio packets received so far over every peer connection of the page.
 * @param {import("playwright-core").Page} page
 */
export function packetsReceived(page) {
  return page.evaluate(async () => (await window.__voiceDebug.stats())
    .reduce((total, peer) => total + peer.packetsReceived, 0));
}

/** @param {import("playwright-core").Page} page @param {string} file */
export async function screenshot(page, file) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.setViewportSize(VIEWPORT);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, file) });
}

/**
 * Leaves cleanly from every open page (so the next test starts with empty channels), then
 * closes the browser.
 * @param {import("playwright-core").Browser | undefined} browser
 */
export async function closeBrowser(browser) {
  if (!browser) return;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.evaluate(() => window.__voiceDebug?.leave()).catch(() => {});
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  await browser.close().catch(() => {});
}

/** The AUTH_SECRET run.sh gives the main worker; extra workers use it too. */
export const AUTH_SECRET = process.env.E2E_AUTH_SECRET ?? "e2e-only-secret-0123456789abcdef0123456789abcdef";

/**
 * Starts another `wrangler dev` (same build, its own port, state and `--var`s; tests/lib/wrangler.mjs)
 * for tests that need a differently configured server, e.g. TURN. Call `stop()` in a `finally`/`after`.
 * @param {{port: number, vars: Record<string, string | number>}} options
 * @returns {Promise<{url: string, stop: () => Promise<void>, log: () => string}>}
 */
export async function startWorker({ port, vars }) {
  // run.sh stops the process groups listed in E2E_RUN_DIR if a test dies before it could.
  const pgidFile = process.env.E2E_RUN_DIR ? path.join(process.env.E2E_RUN_DIR, `worker-${port}.pgid`) : null;
  const dev = new WranglerDev({
    port, vars: { AUTH_SECRET, RECONNECT_GRACE_SECS: 2, ...vars }, unref: true,
    // CROMULENT_BUILD_DIR (another build, e.g. the lead's latest) is honoured, as in resume-helpers.mjs.
    config: prebuiltWranglerToml().replaceAll(JSON.stringify(path.join(ROOT, "build")).slice(0, -1), JSON.stringify(BUILD_DIR).slice(0, -1)),
    onSpawn: (pgid) => pgidFile && writeFileSync(pgidFile, String(pgid)),
  });
  const stop = async () => {
    await dev.dispose("SIGTERM");
    if (pgidFile) rmSync(pgidFile, { force: true });
  };
  await dev.start({ timeoutMs: 60_000 }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { url: dev.url, stop, log: () => dev.output };
}

/**
 * Starts coturn again on a port it used before (so the worker's TURN_URL still points at it),
 * with the same switches as tests/turn/coturn.mjs.
 * @param {{port: number, secret: string}} options
 */
export async function restartCoturnOn({ port, secret }) {
  const dir = mkdtempSync(path.join(tmpdir(), "cv-coturn-"));
  let output = "";
  const child = spawn("stdbuf", ["-oL", "-eL", "turnserver", "-c", COTURN_CONF, `--static-auth-secret=${secret}`,
    "--realm=cromulent.test", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${port}`,
    "--min-port=49160", "--max-port=49200", "--allow-loopback-peers", "--verbose", "--no-tls", "--no-dtls",
    `--userdb=${path.join(dir, "turndb")}`, `--pidfile=${path.join(dir, "turn.pid")}`],
  { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => { output = (output + d).slice(-200_000); });
  child.stderr.on("data", (d) => { output = (output + d).slice(-200_000); });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`coturn exited: ${output.slice(-2000)}`);
    const ss = spawnSync("ss", ["-Hlun", `sport = :${port}`], { encoding: "utf8" });
    if (ss.stdout?.trim()) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not listen on ${port}: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, url: `turn:127.0.0.1:${port}?transport=udp`, stop, log: () => output };
}

/**
 * What one member looks like on a page, in the sidebar row and in the tile (null when absent):
 * the mute/deafen icons (by accessible name), the speaking ring, the connection badge.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export function memberView(page, name) {
  return page.evaluate((name) => {
    /** @param {Element | null | undefined} node */
    const read = (node) => {
      if (!node) return null;
      const badge = /** @type {HTMLElement | null} */ (node.querySelector("[data-peer-badge]"));
      return {
        muted: node.querySelector('[role="img"][aria-label="Muted"]') !== null,
        deafened: node.querySelector('[role="img"][aria-label="Deafened"]') !== null,
        speaking: node.querySelector(".avatar.is-speaking") !== null,
        peer: badge?.dataset.state ?? null,
        tooltip: badge?.dataset.tooltip ?? null,
      };
    };
    const row = [...document.querySelectorAll("#channel-list .member")]
      .find((li) => li.querySelector(".member-name")?.textContent === name);
    const tile = [...document.querySelectorAll("#tiles .tile")]
      .find((li) => li.querySelector(".tile-name")?.textContent === name);
    return { sidebar: read(row), tile: read(tile) };
  }, name);
}

/**
 * Waits until `predicate(memberView)` holds.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 * @param {(v: Awaited<ReturnType<typeof memberView>>) => boolean} predicate
 * @param {string} what
 */
export async function waitForMember(page, name, predicate, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last = null;
  while (Date.now() < deadline) {
    last = await memberView(page, name);
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} never showed ${what}; shows ${JSON.stringify(last)}`);
}

/**
 * Records the JSON messages the page sends on its voice sockets (call before joining).
 * @param {import("playwright-core").Page} page
 * @returns {{at: number, msg: any}[]}
 */
export function recordSent(page) {
  /** @type {{at: number, msg: any}[]} */
  const sent = [];
  page.on("websocket", (ws) => {
    if (!ws.url().includes("/voice")) return;
    ws.on("framesent", (frame) => {
      const text = String(frame.payload);
      if (text.startsWith("{")) sent.push({ at: Date.now(), msg: JSON.parse(text) });
    });
  });
  return sent;
}

/**
 * The candidate types of the selected pair of every peer connection of the page.
 * @param {import("playwright-core").Page} page
 */
export function selectedPairs(page) {
  return page.evaluate(async () => (await window.__voiceDebug.stats()).map((peer) => peer.pair));
}

/** The median of some numbers. @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}
