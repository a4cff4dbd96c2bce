// The voice bar's three states: yellow while joining, green once joined, red when refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, barState, clickChannel, closeBrowser, count, expectBar, joinInTurn, launch, openPage, screenshot,
  signIn, unique, waitForSidebar,
} from "./helpers.mjs";

test("a second tab of the same user is refused without a dialog and shows Disconnected", { timeout: 60_000 }, async () => {
  // A plain name: this test takes the README's screenshot (no other test uses it).
  const browser = await launch();
  try {
    const carol = await signIn(browser, "Carol");
    await clickChannel(carol.page, "General");
    await expectBar(carol.page, "green", "General");

    // Same browser context: same localStorage, same token, same user.
    const tab2 = await openPage(carol.context);
    await tab2.locator("#channel-list .channel-row").first().waitFor();
    await clickChannel(tab2, "General");
    await expectBar(tab2, "red", "Disconnected");
    await tab2.waitForFunction(() => window.__voiceDebug()?.status === "disconnected");
    assert.equal(await tab2.locator("#voice-detail").textContent(),
      "You are in this channel in another tab. Click General to rejoin.");
    assert.ok(tab2.e2e.console.some((line) => line.includes("already_in_channel")),
      `the console says already_in_channel: ${JSON.stringify(tab2.e2e.console)}`);
    assert.deepEqual(tab2.e2e.dialogs, [], "no dialog");

    // The first tab is untouched, and the user is listed once.
    await expectBar(carol.page, "green", "General");
    for (const page of [carol.page, tab2]) {
      const side = await waitForSidebar(page, (s) => count(s, "General", carol.name) >= 1, "Carol in General");
      assert.equal(count(side, "General", carol.name), 1, "listed once");
    }
    await screenshot(tab2, "disconnected.png");
    assertQuiet(carol.page);
    assertQuiet(tab2);
  } finally {
    await closeBrowser(browser);
  }
});

test("the bar shows Connecting… between the click and the server's joined", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    // Hold back everything the voice channel's server says until the test lets it through.
    /** @type {() => void} */
    let release = () => {};
    const gate = new Promise((resolve) => { release = () => resolve(undefined); });
    let held = 0;
    await alice.page.routeWebSocket(/\/api\/channels\/[^/]+\/voice/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage(async (message) => {
        held += 1;
        await gate;
        ws.send(message);
      });
    });

    // When the click happened and when the bar turned yellow, both measured inside the page.
    await alice.page.evaluate(() => {
      const bar = /** @type {HTMLElement} */ (document.getElementById("voice-bar"));
      const times = { click: 0, yellow: 0 };
      window.__feedback = times;
      document.addEventListener("click", () => { times.click = performance.now(); }, { capture: true });
      new MutationObserver(() => {
        if (bar.dataset.state === "yellow" && !times.yellow) times.yellow = performance.now();
      }).observe(bar, { attributes: true });
    });
    await clickChannel(alice.page, "Gaming");
    await expectBar(alice.page, "yellow", "Connecting…", 5000);
    const feedback = await alice.page.evaluate(() => window.__feedback);
    const feedbackMs = Math.round(feedback.yellow - feedback.click);
    console.log(`click_to_connecting_ms=${feedbackMs}`);
    assert.ok(feedback.click > 0 && feedbackMs >= 0 && feedbackMs < 100, `feedback within 100 ms (${feedbackMs})`);
    // Still yellow a moment later: nothing says joined yet.
    await alice.page.waitForTimeout(500);
    assert.equal((await barState(alice.page)).state, "yellow");
    await alice.page.waitForFunction(() => document.querySelector("#channel-list .is-current") !== null);
    assert.ok(held >= 1, "the server's joined was held back");

    release();
    await expectBar(alice.page, "green", "Gaming");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("the word Disconnected is absent from the page when idle and when connected", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    for (const { page } of [alice, bob]) {
      assert.doesNotMatch(await page.content(), /disconnected/i, "idle");
    }
    await joinInTurn([alice, bob], "Music");
    await alice.page.waitForFunction(() => window.__voiceDebug().peers
      .every((p) => p.connectionState === "connected") && window.__voiceDebug().peers.length === 1);
    for (const { page } of [alice, bob]) {
      assert.doesNotMatch(await page.content(), /disconnected/i, "connected");
    }
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("a tab turns red at once when the same user joins another channel in another tab", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");

    const tab2 = await openPage(alice.context);
    await tab2.locator("#channel-list .channel-row").first().waitFor();
    await clickChannel(tab2, "Gaming");
    await expectBar(tab2, "green", "Gaming");
    // The server says `moved` and closes with 4010; the first tab does not wait for the close.
    await expectBar(alice.page, "red", "Disconnected", 3000);
    assert.equal(await alice.page.locator("#voice-detail").textContent(),
      "You joined another channel in another tab. Click General to rejoin.", "the bar says why");
    assert.ok(alice.page.e2e.console.some((line) => line.includes("moved")),
      `the console says moved: ${JSON.stringify(alice.page.e2e.console)}`);
    for (const page of [alice.page, tab2]) {
      await waitForSidebar(page, (s) => count(s, "Gaming", alice.name) === 1 && count(s, "General", alice.name) === 0,
        "Alice in Gaming only");
    }
    assertQuiet(alice.page);
    assertQuiet(tab2);
  } finally {
    await closeBrowser(browser);
  }
});
