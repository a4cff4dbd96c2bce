// The settings dialog's other controls: the processing switches reach the microphone track
// (getSettings) live; the choices survive a reload; the sound cues and their switch; the
// "You are muted" hint when you talk while muted; the microphone test; a narrow screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AUDIBLE, closeSettings, launchWithTone, openSettings, sleep, startLevels, waitForSteady } from "./audio-helpers.mjs";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, signIn, unique, waitForPeersConnected,
} from "./helpers.mjs";

/** @param {import("playwright-core").Page} page */
const trackSettings = (page) => page.evaluate(() => window.__voiceDebug().microphoneSettings);

test("processing switches reach the microphone track live, and every choice survives a reload", { timeout: 120_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    await joinInTurn([alice, bob], "General");
    await waitForPeersConnected(bob.page, 1);
    const aliceId = await alice.page.evaluate(() => window.__voiceDebug().userId);
    await startLevels(bob.page, aliceId);
    assert.equal((await trackSettings(alice.page)).noiseSuppression, true, "on by default");

    const dialog = await openSettings(alice.page);
    await dialog.getByRole("checkbox", { name: "Noise suppression" }).uncheck();
    await alice.page.waitForFunction(() => window.__voiceDebug().microphoneSettings?.noiseSuppression === false, null, { timeout: 5000 })
      .catch(async (e) => { throw new Error(`${JSON.stringify(await trackSettings(alice.page))} ${alice.page.e2e.console.join("\n")} ${e}`); });
    await dialog.getByRole("checkbox", { name: "Automatic gain" }).uncheck();
    await alice.page.waitForFunction(() => window.__voiceDebug().microphoneSettings?.autoGainControl === false, null, { timeout: 5000 });
    assert.equal((await trackSettings(alice.page)).echoCancellation, true, "the others unchanged");
    await sleep(300);
    await waitForSteady(bob.page, "received", (v) => v > AUDIBLE, "Bob still hears Alice after the switches", 1000);

    // Push-to-talk and a threshold chosen, then a reload.
    await dialog.getByRole("radio", { name: "Push to talk" }).check();
    await dialog.getByRole("radio", { name: "Voice activity" }).check();
    await dialog.getByRole("slider", { name: "Voice threshold" }).fill("-42");
    await dialog.getByRole("radio", { name: "Push to talk" }).check();
    await dialog.getByRole("button", { name: /Push-to-talk key/ }).click();
    await alice.page.keyboard.press("KeyV");
    assert.equal(await dialog.getByRole("button", { name: /Push-to-talk key/ }).textContent(), "V");
    await alice.page.keyboard.press("Escape");

    await alice.page.reload();
    await alice.page.locator("#channel-list .channel-row").first().waitFor();
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    const after = await alice.page.evaluate(() => window.__voiceDebug());
    assert.equal(after.inputMode, "push_to_talk");
    assert.equal(after.voiceThreshold, -42);
    assert.equal(after.microphoneSettings.noiseSuppression, false, "opened with the remembered processing");
    assert.equal(after.microphoneSettings.autoGainControl, false);
    assert.equal(after.sending, false, "push-to-talk, key up");
    await alice.page.keyboard.down("KeyV");
    await alice.page.waitForFunction(() => window.__voiceDebug().sending === true, null, { timeout: 1000 });
    await alice.page.keyboard.up("KeyV");
    const again = await openSettings(alice.page);
    assert.equal(await again.getByRole("checkbox", { name: "Noise suppression" }).isChecked(), false);
    assert.equal(await again.getByRole("radio", { name: "Push to talk" }).isChecked(), true);
    await again.getByRole("checkbox", { name: "Noise suppression" }).check();
    await alice.page.waitForFunction(() => window.__voiceDebug().microphoneSettings?.noiseSuppression === true, null, { timeout: 5000 });
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("sound cues for join, leave, mute and unmute (switchable); 'You are muted' when talking while muted", { timeout: 90_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    const cues = () => alice.page.evaluate(() => window.__voiceDebug.cues());
    await clickChannel(alice.page, "Music");
    await expectBar(alice.page, "green", "Music");
    await clickChannel(bob.page, "Music");
    await expectBar(bob.page, "green", "Music");
    await alice.page.waitForFunction(() => window.__voiceDebug.cues().length >= 2, null, { timeout: 5000 });
    assert.deepEqual(await cues(), ["join", "join"], "we joined, then Bob did");

    const hint = alice.page.getByRole("status").filter({ hasText: "You are muted" });
    assert.equal(await hint.isVisible(), false);
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    await hint.waitFor({ timeout: 3000 }); // the tone plays into a muted microphone
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    assert.equal(await hint.isVisible(), false, "gone once unmuted");
    await bob.page.getByRole("button", { name: "Leave" }).click();
    await alice.page.waitForFunction(() => window.__voiceDebug.cues().length >= 5, null, { timeout: 5000 });
    assert.deepEqual(await cues(), ["join", "join", "mute", "unmute", "leave"]);

    const dialog = await openSettings(alice.page);
    await dialog.getByRole("checkbox", { name: "Join, leave and mute sounds" }).uncheck();
    // The microphone test plays the microphone back (and can be stopped): the level of what the
    // element it starts plays (caught by wrapping play(), then read with an AnalyserNode).
    await alice.page.evaluate(() => {
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function caught() {
        if (this.srcObject instanceof MediaStream && !this.dataset.voicePeer) window.__played = this.srcObject;
        return play.call(this);
      };
    });
    const test = dialog.getByRole("button", { name: "Hear yourself" });
    await test.click();
    await dialog.getByRole("button", { name: "Stop hearing yourself" }).waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Stop hearing yourself" }).getAttribute("aria-pressed"), "true");
    const played = await alice.page.evaluate(async () => {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      context.createMediaStreamSource(window.__played).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let loudest = -Infinity;
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 50));
        analyser.getFloatTimeDomainData(samples);
        const rms = Math.sqrt(samples.reduce((t, v) => t + v * v, 0) / samples.length);
        loudest = Math.max(loudest, 20 * Math.log10(rms || 1e-12));
      }
      await context.close();
      return loudest;
    });
    assert.ok(played > AUDIBLE, `hear yourself plays the microphone (${played.toFixed(1)} dBFS)`);
    await alice.page.keyboard.press("Escape");
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    await sleep(300);
    assert.equal((await cues()).length, 5, "switched off: no more cues");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("at 375 px the settings dialog and a member's menu fit, keyboard only", { timeout: 60_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const narrow = { width: 375, height: 740 };
    const alice = await signIn(browser, unique("Alice"), { viewport: narrow });
    const bob = await signIn(browser, unique("Bob"));
    await joinInTurn([bob, alice], "Gaming");
    await waitForPeersConnected(alice.page, 1);
    const dialog = await openSettings(alice.page);
    const box = await dialog.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the dialog fits: ${JSON.stringify(box)}`);
    await closeSettings(alice.page);
    // At 375 px the sidebar is the screen: the member's row has the menu button.
    const button = alice.page.locator("#channel-list").getByRole("button", { name: `Volume for ${bob.name}` });
    await button.focus();
    await alice.page.keyboard.press("Enter");
    const menu = alice.page.getByRole("dialog", { name: bob.name });
    await menu.waitFor();
    const menuBox = await menu.boundingBox();
    assert.ok(menuBox && menuBox.x >= 0 && menuBox.x + menuBox.width <= 375, "the menu fits");
    await alice.page.keyboard.press("ArrowLeft");
    assert.equal(await menu.getByRole("slider", { name: "Volume" }).inputValue(), "95");
    await alice.page.keyboard.press("Escape");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});
