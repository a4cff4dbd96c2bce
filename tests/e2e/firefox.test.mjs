// Firefox ↔ Chromium: the whole call with Debian's firefox-esr (headless, puppeteer-core over
// WebDriver BiDi) on one side and Chromium (playwright-core) on the other — join, audio both ways
// (packets, and the speaking rings that need each side's Web Audio levels), mute, a resume after
// a runtime restart, move, leave.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep } from "../lib/wait.mjs";
import {
  assertQuiet, closeBrowser, count, expectBar, joinInTurn, launch, launchFirefox, memberView, packetsReceived, sidebar,
  signIn, unique, waitForSidebar,
} from "./helpers.mjs";
import {
  assertResumedQuietly, audioGap, barLog, greenAfter, poll, recordBar, startAudioSampler, startRestartable,
} from "./resume-helpers.mjs";

/**
 * Signs in with Firefox in a fresh browser context (its own storage: its own user).
 * @param {import("puppeteer-core").Browser} browser
 */
async function firefoxSignIn(browser, name, base) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const errors = /** @type {string[]} */ ([]);
  const consoleLines = /** @type {string[]} */ ([]);
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => consoleLines.push(`${msg.type()}: ${msg.text()}`));
  await recordBar(page);
  await page.goto(base);
  await page.waitForSelector("#signin-name", { visible: true });
  await page.type("#signin-name", name);
  await page.keyboard.press("Enter");
  await poll(page, () => document.querySelector("#channel-list .channel-row") !== null, null, { what: "the channel list" });
  return { context, page, name, errors, console: consoleLines };
}

/**
 * A real (trusted) click on a channel row: the join must come from a user gesture. The sidebar is
 * redrawn whenever the lobby speaks, so a row found a moment ago may be gone: find it again.
 */
async function firefoxClickChannel(page, channelId) {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.click(`#channel-list .channel-row[data-channel-id="${channelId}"]`);
      return;
    } catch (err) {
      if (attempt >= 5 || !/detached|not (visible|clickable)/i.test(String(err))) throw err;
    }
  }
}

/** Waits for the voice bar's state and label (Firefox page). */
function firefoxBar(page, state, label, timeout = 15_000) {
  return poll(page, ([state, label]) => {
    const bar = document.getElementById("voice-bar");
    return bar && !bar.hidden && bar.dataset.state === state && document.getElementById("voice-label")?.textContent === label;
  }, [state, label], { timeout, what: `the bar ${state} "${label}"` });
}

const connected = (page) => poll(page, () => {
  const room = window.__voiceDebug();
  return room && room.peers.length === 1 && room.peers.every((p) => p.state === "connected");
}, null, { timeout: 20_000, what: "the peer connection" });

/** Packets grow over one second on each page. */
async function audioBothWays(pages, what) {
  const before = await Promise.all(pages.map((p) => packetsReceived(p)));
  await sleep(1000);
  const after = await Promise.all(pages.map((p) => packetsReceived(p)));
  console.log(`firefox ${what}: inbound packets firefox ${before[0]}→${after[0]}, chromium ${before[1]}→${after[1]}`);
  assert.ok(after[0] > before[0], `Firefox receives Chromium's audio (${what})`);
  assert.ok(after[1] > before[1], `Chromium receives Firefox's audio (${what})`);
}

/** Waits until `name` is seen on `page` in the state `predicate` holds for (either browser). */
async function seen(page, name, predicate, what) {
  const deadline = Date.now() + 10_000;
  let last = null;
  while (Date.now() < deadline) {
    last = await memberView(page, name);
    if (predicate(last)) return;
    await sleep(50);
  }
  throw new Error(`${name} never showed ${what}; shows ${JSON.stringify(last)}`);
}

test("Firefox and Chromium: join, audio both ways, speaking, mute, a runtime restart, move, leave", { timeout: 180_000 }, async () => {
  const worker = await startRestartable();
  const chromium = await launch();
  const firefox = await launchFirefox();
  try {
    const alice = await signIn(chromium, unique("Alice"), { base: worker.url, beforeLoad: recordBar });
    const fred = await firefoxSignIn(firefox, unique("Fred"), worker.url);

    await joinInTurn([alice], "General");
    await firefoxClickChannel(fred.page, "general");
    await firefoxBar(fred.page, "green", "General");
    await connected(fred.page);
    await connected(alice.page);
    // Firefox starts sending about a second after the connection is up.
    await poll(alice.page, async () => (await window.__voiceDebug.stats()).some((p) => p.packetsReceived > 0), null,
      { timeout: 10_000, what: "Firefox's first audio packets" });
    await audioBothWays([fred.page, alice.page], "after joining");

    // Levels: each side's voice activity (Web Audio on its own microphone) reaches the other.
    await seen(alice.page, fred.name, (v) => v.tile?.speaking, "Firefox speaking (its Web Audio levels)");
    await seen(fred.page, alice.name, (v) => v.tile?.speaking, "Chromium speaking, seen in Firefox");

    // Mute, both ways.
    await fred.page.click("#mute-button");
    await seen(alice.page, fred.name, (v) => v.tile?.muted && v.sidebar?.muted, "muted (Firefox)");
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    await seen(fred.page, alice.name, (v) => v.tile?.muted && v.sidebar?.muted, "muted (Chromium)");
    await fred.page.click("#mute-button");
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    await seen(alice.page, fred.name, (v) => v.tile && !v.tile.muted, "unmuted (Firefox)");

    // A runtime restart: both resume by themselves, the audio goes on.
    const pages = [fred.page, alice.page];
    const pcIds = () => Promise.all(pages.map((page) => page.evaluate(() => window.__voiceDebug().peers.map((p) => p.pcId))));
    const pcsBefore = await pcIds();
    for (const page of pages) await startAudioSampler(page);
    await sleep(500);
    const killedAt = Date.now();
    await worker.dev.kill("SIGKILL");
    await worker.dev.start({ timeoutMs: 60_000 });
    const answeredAt = Date.now();
    const greens = await Promise.all(pages.map((page) => greenAfter(page, killedAt)));
    await sleep(1000);
    const gaps = await Promise.all(pages.map((page) => audioGap(page, killedAt - 500, Date.now())));
    console.log(`firefox restart: answered→green firefox ${greens[0] - answeredAt} ms, chromium ${greens[1] - answeredAt} ms; `
      + `longest audio gap firefox=${gaps[0].longestMs} ms chromium=${gaps[1].longestMs} ms`);
    const fredLog = await barLog(fred.page);
    assert.ok(fredLog.some((b) => b.at >= killedAt && b.label === "Reconnecting…"), "Firefox's bar said Reconnecting…");
    assert.deepEqual(fredLog.filter((b) => b.state === "red"), [], "Firefox never showed Disconnected");
    await assertResumedQuietly(alice.page, { received: [] }, killedAt, "", "Chromium");
    for (const [i, gap] of gaps.entries()) assert.ok(gap.everyWindow, `audio in every 500 ms window (${i ? "chromium" : "firefox"}: ${gap.longestMs} ms)`);
    assert.deepEqual(await pcIds(), pcsBefore, "both kept their peer connection (media_kept)");
    await audioBothWays(pages, "after the restart");

    // Move: Firefox goes to Gaming; both sidebars say so.
    await firefoxClickChannel(fred.page, "gaming");
    await firefoxBar(fred.page, "green", "Gaming");
    for (const page of pages) {
      await waitForSidebar(page, (s) => count(s, "Gaming", fred.name) === 1 && count(s, "General", fred.name) === 0
        && count(s, "General", alice.name) === 1, "Fred in Gaming, Alice in General");
    }
    // Leave.
    await fred.page.click("#leave-button");
    await poll(fred.page, () => document.getElementById("voice-bar")?.hidden === true, null, { what: "no voice bar" });
    await waitForSidebar(alice.page, (s) => Object.values(s).every((names) => !names.includes(fred.name)), "Fred in no channel");
    assert.equal(count(await sidebar(fred.page), "General", alice.name), 1);
    await expectBar(alice.page, "green", "General");
    // Firefox reports each refused WebSocket (the runtime was down) as a page error.
    const refused = (e) => /can.t establish a connection to the server at ws:/.test(e);
    assert.deepEqual(fred.errors.filter((e) => !refused(e)), [], "no uncaught error in Firefox");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(chromium);
    await firefox.close().catch(() => {});
    await worker.stop();
  }
});
