// The microphone and the speaker: choosing them (remembered in this browser), a refused
// microphone, and a browser that refuses to play audio without a click.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, count, expectBar, joinInTurn, launch, openPage, packetsReceived, screenshot,
  signIn, unique, waitForPeersConnected, waitForSidebar,
} from "./helpers.mjs";

/** @param {import("playwright-core").Page} page */
function localTrack(page) {
  return page.evaluate(() => {
    const room = window.__voiceDebug();
    return {
      label: room.microphone,
      sending: room.peers[0]?.sending ?? null,
      sinks: [...document.querySelectorAll("audio[data-voice-peer]")].map((a) => a.sinkId),
    };
  });
}

test("the audio devices dialog switches microphone and speaker live and remembers them", { timeout: 90_000 }, async () => {
  const browser = await launch();
  try {
    // Plain name: the dialog is in the README's pictures.
    const alice = await signIn(browser, "Alice Moreau");
    const bob = await signIn(browser, unique("Bob"));
    await joinInTurn([alice, bob], "General");
    await waitForPeersConnected(alice.page, 1);

    await alice.page.getByRole("button", { name: "Audio devices" }).click();
    const dialog = alice.page.getByRole("dialog", { name: "Audio devices" });
    await dialog.waitFor();
    const microphone = dialog.getByLabel("Microphone");
    const speaker = dialog.getByLabel("Speaker");
    const mics = await microphone.locator("option").allTextContents();
    assert.ok(mics.includes("Fake Audio Input 2"), `the microphones are listed by name: ${mics}`);
    assert.ok((await speaker.locator("option").allTextContents()).includes("Fake Audio Output 1"));
    assert.equal(await speaker.isDisabled(), false, "Chromium can choose the output (setSinkId)");

    await microphone.selectOption({ label: "Fake Audio Input 2" });
    await speaker.selectOption({ label: "Fake Audio Output 1" });
    const speakerId = await speaker.inputValue();
    await alice.page.waitForFunction((id) => window.__voiceDebug().microphone === "Fake Audio Input 2"
      && [...document.querySelectorAll("audio[data-voice-peer]")].every((a) => a.sinkId === id), speakerId,
    { timeout: 5000 });
    const now = await localTrack(alice.page);
    assert.equal(now.sending, "Fake Audio Input 2", "the peer connection sends the new microphone (replaceTrack)");
    assert.ok(now.sinks.length > 0 && now.sinks.every((s) => s === speakerId), "every <audio> plays on the chosen output");
    const before = await packetsReceived(bob.page);
    await bob.page.waitForTimeout(1000);
    assert.ok(await packetsReceived(bob.page) > before + 10, "Bob still hears Alice");
    await screenshot(alice.page, "devices.png");

    await alice.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await alice.page.evaluate(() => document.activeElement?.id), "devices-button", "focus returns");

    // Another tab of the same browser starts with the remembered devices.
    await alice.page.getByRole("button", { name: "Leave" }).click();
    const tab2 = await openPage(alice.context);
    await tab2.locator("#channel-list .channel-row").first().waitFor();
    await clickChannel(tab2, "General");
    await expectBar(tab2, "green", "General");
    await waitForPeersConnected(tab2, 1);
    const again = await localTrack(tab2);
    assert.equal(again.label, "Fake Audio Input 2");
    assert.ok(again.sinks.length > 0 && again.sinks.every((s) => s === speakerId), `sinks ${again.sinks}`);
    await tab2.getByRole("button", { name: "Audio devices" }).click();
    assert.equal(await tab2.getByLabel("Microphone").locator("option:checked").textContent(), "Fake Audio Input 2");
    assertQuiet(alice.page);
    assertQuiet(tab2);
  } finally {
    await closeBrowser(browser);
  }
});

test("a refused microphone says so, turns the bar red and never joins the channel", { timeout: 60_000 }, async () => {
  // This browser asks for the microphone, and headless Chromium answers "Block".
  const browser = await launch({ askForMicrophone: true });
  const other = await launch();
  try {
    const erin = await signIn(browser, "Erin Walsh");
    const bob = await signIn(other, unique("Bob"));
    /** @type {string[]} */
    const sockets = [];
    erin.page.on("websocket", (ws) => sockets.push(ws.url()));
    await clickChannel(erin.page, "Music");
    await expectBar(erin.page, "red", "Disconnected");
    assert.equal(await erin.page.locator("#voice-detail").textContent(),
      "Microphone access is blocked. Click Music to rejoin.");
    const notice = erin.page.getByRole("region", { name: "Microphone blocked" });
    await notice.waitFor();
    assert.match(await notice.textContent() ?? "", /Allow it for this site/);
    await notice.getByRole("button", { name: "Try again" }).waitFor();
    assert.ok(erin.page.e2e.console.some((l) => l.includes("microphone_denied")), "the console says why");
    await screenshot(erin.page, "microphone-denied.png");

    // No voice socket was ever opened: nobody saw Erin in Music, not even for a moment.
    await erin.page.waitForTimeout(500);
    assert.deepEqual(sockets.filter((u) => u.includes("/voice")), [], "no voice socket");
    for (const page of [erin.page, bob.page]) {
      await waitForSidebar(page, (s) => count(s, "Music", erin.name) === 0, "Erin not in Music");
    }
    // Trying again asks again (and is refused again).
    await notice.getByRole("button", { name: "Try again" }).click();
    await expectBar(erin.page, "red", "Disconnected");
    assert.equal(erin.page.e2e.console.filter((l) => l.includes("microphone_denied")).length, 2);
    assertQuiet(erin.page);
  } finally {
    await closeBrowser(browser);
    await closeBrowser(other);
  }
});

test("when the browser blocks autoplay, a button starts the audio", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    // Alice's browser refuses to play remote audio until she clicks on the page again.
    await alice.page.evaluate(() => {
      const play = HTMLMediaElement.prototype.play;
      window.__unblock = () => { HTMLMediaElement.prototype.play = play; };
      HTMLMediaElement.prototype.play = function blocked() {
        const stream = /** @type {MediaStream | null} */ (this.srcObject);
        if (stream && stream.getTracks().length > 0) {
          return Promise.reject(new DOMException("play() needs a user gesture", "NotAllowedError"));
        }
        return play.call(this);
      };
    });
    await joinInTurn([bob, alice], "General");
    const button = alice.page.getByRole("button", { name: "Click to enable audio" });
    await button.waitFor({ timeout: 10_000 });

    await alice.page.evaluate(() => window.__unblock());
    await button.click();
    await button.waitFor({ state: "hidden", timeout: 5000 });
    assert.equal(await alice.page.evaluate(() => [...document.querySelectorAll("audio[data-voice-peer]")]
      .every((a) => !a.paused)), true, "the remote audio plays");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});
