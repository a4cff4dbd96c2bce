// Push-to-talk and the voice threshold, measured at the receiver: Bob's page reads the level of
// the track it receives from Alice (an AnalyserNode on it), whose microphone plays a gliding tone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AUDIBLE, SILENT, launchWithTone, levelsBetween, openSettings, sleep, startLevels, waitForSteady } from "./audio-helpers.mjs";
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
    const { alice, bob } = await aliceAndBob(browser, "General");
    await waitForSteady(bob.page, "received", heard, "voice activity: Alice is heard");

    // Alice picks push-to-talk in the settings dialog, keyboard only.
    const dialog = await openSettings(alice.page);
    await dialog.getByRole("radio", { name: "Push to talk" }).check();
    assert.equal(await dialog.getByRole("button", { name: /Push-to-talk key: `/ }).isVisible(), true, "the key is shown");
    await alice.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await waitForSteady(bob.page, "received", silent, "push-to-talk, key up: silence", 1000);
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().inputMode), "push_to_talk");

    // The press is timed in Alice's page (the key's event, or just before the call), and Bob's
    // samples carry Date.now() too: the same clock, no round trip to the test in between.
    await alice.page.evaluate(() => document.addEventListener("keydown", (e) => {
      if (e.code === "Backquote" && !e.repeat) window.__pressAt = Date.now();
    }, { capture: true }));
    for (const how of ["key", "setPushToTalk"]) {
      const delays = [];
      for (let i = 0; i < 3; i++) {
        if (how === "key") await alice.page.keyboard.down("Backquote");
        else await alice.page.evaluate(() => { window.__pressAt = Date.now(); window.__voice.setPushToTalk(true); });
        const pressAt = await alice.page.evaluate(() => window.__pressAt);
        await sleep(1000);
        const releaseAt = Date.now();
        if (how === "key") await alice.page.keyboard.up("Backquote");
        else await alice.page.evaluate(() => window.__voice.setPushToTalk(false));
        await sleep(1200);
        const r = await pressWindow(bob, pressAt, releaseAt + 200 + 400, Date.now());
        assert.ok(r.delay !== null, `${how}: audio after the press`);
        delays.push(r.delay);
        assert.ok(r.tailSilent, `${how}: silence again after release + delay: ${JSON.stringify(r.tail.slice(0, 30))}`);
        const held = await levelsBetween(bob.page, pressAt + 600, releaseAt);
        assert.ok(held.received.every(heard), `${how}: audio all the time the key is held`);
      }
      // On a loaded 2-core machine one press in three may be late: the median must be in time.
      const sorted = [...delays].sort((a, b) => a - b);
      console.log(`push-to-talk (${how}): audio at the receiver ${delays.join(", ")} ms after the press`);
      assert.ok(sorted[1] <= 300, `${how}: audio within 300 ms of the press (median of ${delays.join(", ")} ms)`);
      assert.ok(sorted[2] <= 1000, `${how}: never later than 1 s (${delays.join(", ")} ms)`);
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
    const { alice, bob } = await aliceAndBob(browser, "Gaming", "Alice Moreau");
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
    await slider.fill("-40");
    await sleep(300);
    await screenshot(alice.page, "settings.png");
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
