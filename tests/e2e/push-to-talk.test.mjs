// Push-to-talk and the voice threshold, measured at the receiver: Bob's page reads the level of
// the track it receives from Alice (an AnalyserNode on it), whose microphone plays a gliding tone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AUDIBLE, SILENT, launchWithTone, levelsBetween, sleep, startLevels, waitForSteady } from "./audio-helpers.mjs";
import { assertQuiet, closeBrowser, joinInTurn, screenshot, signIn, unique, waitForPeersConnected } from "./helpers.mjs";

/** Alice and Bob in a call; Bob samples what he receives from Alice. */
async function aliceAndBob(browser, channel, aliceName = unique("Alice")) {
  const alice = await signIn(browser, aliceName);
  const bob = await signIn(browser, unique("Bob"));
  await joinInTurn([alice, bob], channel);
  await waitForPeersConnected(alice.page, 1);
  await waitForPeersConnected(bob.page, 1);
  const aliceId = await alice.page.evaluate(() => window.__voiceDebug().userId);
  await startLevels(bob.page, aliceId);
  return { alice, bob, aliceId };
}

/** @param {import("playwright-core").Page} page */
async function openSettings(page) {
  await page.getByRole("button", { name: "Audio devices" }).click();
  const dialog = page.getByRole("dialog", { name: "Audio devices" });
  await dialog.waitFor();
  return dialog;
}

const heard = (v) => v > AUDIBLE;
const silent = (v) => v < SILENT;

/**
 * What Bob received around one press: the delay from `pressAt` to the first audible sample, and
 * whether it was silent again from `silentFrom` to `to`.
 */
async function pressWindow(bob, pressAt, silentFrom, to) {
  const after = await levelsBetween(bob.page, pressAt, to);
  const first = after.at.find((_, i) => heard(after.received[i]));
  const tail = await levelsBetween(bob.page, silentFrom, to);
  return { delay: first === undefined ? null : first - pressAt, tailSilent: tail.received.every(silent), tail: tail.received };
}

test("push-to-talk: silence until the key is held, audio within 300 ms, silence after release; setPushToTalk; mute wins", { timeout: 120_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const { alice, bob } = await aliceAndBob(browser, "General", "Alice Moreau");
    await waitForSteady(bob.page, "received", heard, "voice activity: Alice is heard");

    // Alice picks push-to-talk in the settings dialog, keyboard only.
    const dialog = await openSettings(alice.page);
    await dialog.getByRole("radio", { name: "Push to talk" }).check();
    assert.equal(await dialog.getByRole("button", { name: /Push-to-talk key: `/ }).isVisible(), true, "the key is shown");
    await screenshot(alice.page, "settings.png");
    await alice.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await waitForSteady(bob.page, "received", silent, "push-to-talk, key up: silence", 1000);
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().inputMode), "push_to_talk");

    for (const how of ["key", "setPushToTalk"]) {
      const press = (down) => (how === "key"
        ? (down ? alice.page.keyboard.down("Backquote") : alice.page.keyboard.up("Backquote"))
        : alice.page.evaluate((down) => window.__voice.setPushToTalk(down), down));
      const pressAt = Date.now();
      await press(true);
      await sleep(1000);
      const releaseAt = Date.now();
      await press(false);
      await sleep(1200);
      const r = await pressWindow(bob, pressAt, releaseAt + 200 + 400, Date.now());
      assert.ok(r.delay !== null && r.delay <= 300, `${how}: audio ${r.delay} ms after the press (≤ 300)`);
      assert.ok(r.tailSilent, `${how}: silence again after release + delay: ${JSON.stringify(r.tail.slice(0, 30))}`);
      const held = await levelsBetween(bob.page, pressAt + 300, releaseAt);
      assert.ok(held.received.every(heard), `${how}: audio all the time the key is held`);
    }

    // Mute wins: held while muted sends nothing.
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    const mutedAt = Date.now();
    await alice.page.keyboard.down("Backquote");
    await sleep(1000);
    await alice.page.keyboard.up("Backquote");
    const whileMuted = await levelsBetween(bob.page, mutedAt, Date.now());
    assert.ok(whileMuted.received.length > 50 && whileMuted.received.every(silent), "muted: the key sends nothing");
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    // (the key's release delay ran past the unmute: wait until that last bit has arrived)
    await sleep(400);
    await waitForSteady(bob.page, "received", silent, "unmuted, key up: silence", 500);

    // Never while typing in a text field.
    await alice.page.evaluate(() => {
      const input = document.createElement("input");
      input.id = "scratch";
      document.body.append(input);
      input.focus();
    });
    const typingAt = Date.now();
    await alice.page.keyboard.down("Backquote");
    await sleep(800);
    await alice.page.keyboard.up("Backquote");
    const typing = await levelsBetween(bob.page, typingAt, Date.now());
    assert.ok(typing.received.every(silent), `the key types in a text box and sends nothing: ${JSON.stringify(typing.received.filter((v) => !silent(v)).slice(0, 20))} of ${typing.received.length}, sending=${await alice.page.evaluate(() => window.__voiceDebug().sending)}`);
    assert.equal(await alice.page.inputValue("#scratch"), "`", "and the character is typed");
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("voice threshold: above the signal Bob hears silence, below it he hears Alice (slider and setVoiceThreshold)", { timeout: 90_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const { alice, bob } = await aliceAndBob(browser, "Gaming");
    await waitForSteady(bob.page, "received", heard, "default threshold: Alice is heard");

    const dialog = await openSettings(alice.page);
    const slider = dialog.getByRole("slider", { name: "Voice threshold" });
    await slider.focus();
    await alice.page.keyboard.press("End"); // 0 dBFS: above any signal
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().voiceThreshold), 0);
    await waitForSteady(bob.page, "received", silent, "threshold above the signal: silence", 1000);
    // The meter shows the level under the line (not sent).
    assert.equal(await alice.page.evaluate(() => document.getElementById("meter-fill")?.classList.contains("is-open")), false);
    await alice.page.keyboard.press("Home"); // -100 dBFS
    await waitForSteady(bob.page, "received", heard, "threshold below the signal: audio", 1000);
    assert.equal(await alice.page.evaluate(() => document.getElementById("meter-fill")?.classList.contains("is-open")), true);
    await alice.page.keyboard.press("Escape");

    await alice.page.evaluate(() => window.__voice.setVoiceThreshold(-3));
    await waitForSteady(bob.page, "received", silent, "setVoiceThreshold(-3): silence", 1000);
    await alice.page.evaluate(() => window.__voice.setVoiceThreshold(-50));
    await waitForSteady(bob.page, "received", heard, "setVoiceThreshold(-50): audio", 1000);
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});
