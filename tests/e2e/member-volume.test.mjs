// Each member's volume and "mute for me", measured on the listener's playback path (an
// AnalyserNode after the member's GainNode, i.e. what their <audio> element plays): Alice and
// Carol both play a gliding tone; Bob changes Alice's volume from her tile, keyboard only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AUDIBLE, SILENT, launchWithTone, levelsBetween, median, sleep, startLevels, waitForSteady } from "./audio-helpers.mjs";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, screenshot, signIn, unique, waitForPeersConnected,
} from "./helpers.mjs";

const heard = (v) => v > AUDIBLE;
const silent = (v) => v < SILENT;

/** Bob's gain on `userId` over the next second: median of played − received, in dB. */
async function gainDb(page, userId) {
  const from = Date.now();
  await sleep(1000);
  const all = await page.evaluate(() => window.__levels.length);
  assert.ok(all > 0);
  const w = await levelsBetween(page, from);
  return median(w.played.map((p, i) => p - w.received[i]));
}

/** Levels of both on Bob's page, sampled in the page: [{userId, received, played}]. */
function levelsNow(page) {
  return page.evaluate(() => window.__voiceDebug.levels());
}

test("per-member volume: 0 % silent, 200 % ≥ 4 dB above 100 %, mute for me silent while others are heard, remembered", { timeout: 120_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const carol = await signIn(browser, unique("Carol"));
    const bob = await signIn(browser, "Bob Tanaka");
    await joinInTurn([alice, carol, bob], "Music");
    await waitForPeersConnected(bob.page, 2);
    const aliceId = await alice.page.evaluate(() => window.__voiceDebug().userId);
    const carolId = await carol.page.evaluate(() => window.__voiceDebug().userId);
    await startLevels(bob.page, aliceId);
    await waitForSteady(bob.page, "played", heard, "Alice is heard at 100 %");
    const at100 = await gainDb(bob.page, aliceId);
    assert.ok(Math.abs(at100) < 0.5, `100 %: played as received (${at100.toFixed(2)} dB)`);

    // Keyboard: the tile's button opens the menu; the slider takes Home/End.
    const button = bob.page.locator("#tiles").getByRole("button", { name: `Volume for ${alice.name}` });
    await button.focus();
    await bob.page.keyboard.press("Enter");
    const menu = bob.page.getByRole("dialog", { name: alice.name });
    await menu.waitFor();
    const slider = menu.getByRole("slider", { name: "Volume" });
    assert.equal(await slider.inputValue(), "100");
    await bob.page.keyboard.press("Home");
    await waitForSteady(bob.page, "played", silent, "volume 0: Alice silent in the playback path", 500);
    const w0 = await levelsBetween(bob.page, Date.now() - 500);
    assert.ok(w0.received.every(heard), "while she still arrives");
    await bob.page.keyboard.press("End");
    assert.equal(await slider.getAttribute("aria-valuetext"), "200 %");
    await sleep(200);
    const at200 = await gainDb(bob.page, aliceId);
    assert.ok(at200 - at100 >= 4, `200 % is ${(at200 - at100).toFixed(2)} dB louder than 100 % (≥ 4)`);
    await screenshot(bob.page, "member-menu.png");

    // Mute for me: Alice silent, Carol still heard.
    await menu.getByRole("checkbox", { name: "Mute for me" }).check();
    await waitForSteady(bob.page, "played", silent, "Alice muted for Bob", 500);
    const both = await levelsNow(bob.page);
    const carolLevel = both.find((l) => l.userId === carolId);
    assert.ok(carolLevel && carolLevel.played > AUDIBLE, `Carol still heard (${carolLevel?.played})`);
    await bob.page.keyboard.press("Escape");
    await menu.waitFor({ state: "hidden" });
    assert.equal(await bob.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), `Volume for ${alice.name}`,
      "focus returns to the button");
    // Alice and Carol hear each other as before.
    const aliceHears = (await levelsNow(alice.page)).find((l) => l.userId === carolId);
    assert.ok(aliceHears && aliceHears.played > AUDIBLE, "the others hear Alice's friends as before");

    // A right-click on Carol's sidebar row opens her menu.
    await bob.page.locator("#channel-list .member", { hasText: carol.name }).click({ button: "right" });
    await bob.page.getByRole("dialog", { name: carol.name }).waitFor();
    await bob.page.keyboard.press("Escape");

    // Remembered: after a reload and a rejoin, Alice is still muted for Bob at 200 %.
    await bob.page.reload();
    await bob.page.locator("#channel-list .channel-row").first().waitFor();
    await clickChannel(bob.page, "Music");
    await expectBar(bob.page, "green", "Music");
    await waitForPeersConnected(bob.page, 2);
    await startLevels(bob.page, aliceId);
    await sleep(1500);
    const after = (await levelsNow(bob.page)).find((l) => l.userId === aliceId);
    assert.equal(after?.volume, 2);
    assert.equal(after?.mutedForMe, true);
    await waitForSteady(bob.page, "played", silent, "still muted for Bob after a reload", 500);
    await bob.page.locator("#tiles").getByRole("button", { name: `Volume for ${alice.name}` }).click();
    const again = bob.page.getByRole("dialog", { name: alice.name });
    assert.equal(await again.getByRole("slider", { name: "Volume" }).inputValue(), "200");
    await again.getByRole("checkbox", { name: "Mute for me" }).uncheck();
    await waitForSteady(bob.page, "played", heard, "unmuted for Bob", 500);
    for (const p of [alice.page, bob.page, carol.page]) assertQuiet(p);
  } finally {
    await closeBrowser(browser);
  }
});
