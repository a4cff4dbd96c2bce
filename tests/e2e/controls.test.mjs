// The voice bar's controls and what the others see: mute and deafen (buttons, shortcuts,
// keyboard only), and the connection to each member with its round trip and loss.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, launch, memberView, signIn, unique, waitForMember,
  waitForPeersConnected, waitForSidebar,
} from "./helpers.mjs";

/** @param {import("playwright-core").Page} page */
function pressed(page) {
  return page.evaluate(() => ({
    mute: document.getElementById("mute-button")?.getAttribute("aria-pressed"),
    deafen: document.getElementById("deafen-button")?.getAttribute("aria-pressed"),
  }));
}

/** Whether every remote <audio> element of the page is muted. @param {import("playwright-core").Page} page */
function remoteAudioMuted(page) {
  return page.evaluate(() => [...document.querySelectorAll("audio[data-voice-peer]")].map((a) => a.muted));
}

const silent = (v) => v && !v.muted && !v.deafened;
const muted = (v) => v && v.muted && !v.deafened;
const deafened = (v) => v && v.deafened && !v.muted;

test("mute and deafen show for everyone: tiles, sidebars, the lobby and a newcomer", { timeout: 90_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    const dave = await signIn(browser, unique("Dave")); // in no channel: sees the lobby's roster
    await joinInTurn([alice, bob], "General");
    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    assert.deepEqual(await remoteAudioMuted(alice.page), [false]);

    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    assert.deepEqual(await pressed(alice.page), { mute: "true", deafen: "false" });
    // Our own view changes at once; Bob's in his tile and his sidebar; Dave's from the lobby.
    await waitForMember(alice.page, alice.name, (v) => muted(v.sidebar) && muted(v.tile), "muted (own view)", 1000);
    await waitForMember(bob.page, alice.name, (v) => muted(v.sidebar) && muted(v.tile), "muted");
    await waitForMember(dave.page, alice.name, (v) => muted(v.sidebar) && v.tile === null, "muted in the lobby");

    await alice.page.getByRole("button", { name: "Deafen" }).click();
    assert.deepEqual(await pressed(alice.page), { mute: "true", deafen: "true" });
    assert.deepEqual(await remoteAudioMuted(alice.page), [true], "deafened: every remote stream is silent");
    await waitForMember(bob.page, alice.name, (v) => deafened(v.sidebar) && deafened(v.tile), "deafened");
    await waitForMember(dave.page, alice.name, (v) => deafened(v.sidebar), "deafened in the lobby");

    // Carol arrives after: `joined` tells her.
    const carol = await signIn(browser, unique("Carol"));
    await clickChannel(carol.page, "General");
    await expectBar(carol.page, "green", "General");
    await waitForMember(carol.page, alice.name, (v) => deafened(v.sidebar) && deafened(v.tile), "deafened (newcomer)");
    await waitForMember(carol.page, bob.name, (v) => silent(v.sidebar) && silent(v.tile), "neither");

    // Undeafening gives back the mute Alice had before.
    await alice.page.getByRole("button", { name: "Deafen" }).click();
    assert.deepEqual(await pressed(alice.page), { mute: "true", deafen: "false" });
    await waitForPeersConnected(alice.page, 2);
    assert.deepEqual(await remoteAudioMuted(alice.page), [false, false], "sound is back for both");
    for (const page of [bob.page, carol.page]) {
      await waitForMember(page, alice.name, (v) => muted(v.sidebar) && muted(v.tile), "muted again");
    }
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    for (const page of [bob.page, carol.page]) {
      await waitForMember(page, alice.name, (v) => silent(v.sidebar) && silent(v.tile), "unmuted");
    }
    await waitForMember(dave.page, alice.name, (v) => silent(v.sidebar), "unmuted in the lobby");
    for (const page of [alice.page, bob.page, carol.page, dave.page]) assertQuiet(page);
  } finally {
    await closeBrowser(browser);
  }
});

test("unmuting while deafened undeafens too, and a state set before joining is sent on join", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    await clickChannel(bob.page, "Gaming");
    await expectBar(bob.page, "green", "Gaming");
    // Alice deafens in the yellow state, before the server said joined.
    await alice.page.routeWebSocket(/\/voice/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => { setTimeout(() => ws.send(m), 300); });
    });
    await clickChannel(alice.page, "Gaming");
    await alice.page.getByRole("button", { name: "Deafen" }).click();
    await expectBar(alice.page, "green", "Gaming");
    await waitForMember(bob.page, alice.name, (v) => deafened(v.tile), "deafened from the start");
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    assert.deepEqual(await pressed(alice.page), { mute: "false", deafen: "false" });
    await waitForMember(bob.page, alice.name, (v) => silent(v.tile), "neither muted nor deafened");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("keyboard only: join, mute, deafen (buttons and shortcuts) and leave", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const bob = await signIn(browser, unique("Bob"));
    await clickChannel(bob.page, "Music");
    await expectBar(bob.page, "green", "Music");
    const alice = await signIn(browser, unique("Alice"));
    const page = alice.page;

    /**
     * Presses Tab until the focused element matches; checks the focus is visible.
     * @param {string} selector
     */
    const tabTo = async (selector) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press("Tab");
        const hit = await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
        if (hit) {
          const outline = await page.evaluate(() => {
            const style = getComputedStyle(/** @type {Element} */ (document.activeElement));
            return { style: style.outlineStyle, width: style.outlineWidth };
          });
          assert.notEqual(outline.style, "none", `focus on ${selector} is visible`);
          assert.notEqual(outline.width, "0px");
          return;
        }
      }
      throw new Error(`Tab never reached ${selector}`);
    };

    await tabTo('.channel-row[data-channel-id="music"]');
    await page.keyboard.press("Enter");
    await expectBar(page, "green", "Music");
    await waitForMember(bob.page, alice.name, (v) => silent(v.tile), "Alice in Music");

    await tabTo("#mute-button");
    await page.keyboard.press("Space");
    await waitForMember(bob.page, alice.name, (v) => muted(v.tile) && muted(v.sidebar), "muted");
    await tabTo("#deafen-button");
    await page.keyboard.press("Enter");
    await waitForMember(bob.page, alice.name, (v) => deafened(v.tile) && deafened(v.sidebar), "deafened");

    // The shortcuts work wherever the focus is.
    await page.keyboard.press("Control+Shift+D");
    await waitForMember(bob.page, alice.name, (v) => muted(v.tile), "muted (undeafened)");
    await page.waitForFunction(() => document.getElementById("announcer")?.textContent?.includes("Sound on"));
    await page.keyboard.press("Control+Shift+M");
    await waitForMember(bob.page, alice.name, (v) => silent(v.tile), "unmuted");
    await page.waitForFunction(() => document.getElementById("announcer")?.textContent === "Microphone on");
    await page.keyboard.press("Control+Shift+M");
    await waitForMember(bob.page, alice.name, (v) => muted(v.tile), "muted by shortcut");
    await page.waitForFunction(() => document.getElementById("announcer")?.textContent === "Microphone muted");

    await tabTo("#leave-button");
    await page.keyboard.press("Enter");
    assert.equal(await page.locator("#voice-bar").isHidden(), true);
    await waitForSidebar(bob.page, (s) => !(s.Music ?? []).includes(alice.name), "Alice gone from Music");
    assertQuiet(page);
  } finally {
    await closeBrowser(browser);
  }
});

test("each member shows the connection to them; round trip and loss on hover and on keyboard focus", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    await joinInTurn([alice, bob], "General");
    // Connecting first, then connected, on both the row and the tile.
    const stats = /^Connected · \d+ ms · \d+(\.\d)?% loss$/;
    const view = await waitForMember(bob.page, alice.name,
      (v) => v.tile?.peer === "connected" && v.sidebar?.peer === "connected" && stats.test(v.tile.tooltip ?? ""),
      "a connected badge with round trip and loss");
    assert.match(view.sidebar?.tooltip ?? "", stats);
    assert.equal((await memberView(bob.page, bob.name)).tile?.peer, null, "no badge for yourself");
    assert.equal(await bob.page.locator('#tiles .tile[data-peer-state="connected"] .tile-status').textContent(), "Connected");

    const badge = bob.page.locator("#tiles [data-peer-badge]");
    const tooltipShown = () => badge.evaluate((node) => getComputedStyle(node, "::after").opacity);
    assert.equal(await tooltipShown(), "0");
    await badge.hover();
    await bob.page.waitForTimeout(150);
    assert.equal(await tooltipShown(), "1", "the tooltip shows on hover");
    await bob.page.mouse.move(0, 0);

    // Reachable with Tab, named for screen readers, and the tooltip shows on focus too.
    for (let i = 0; i < 40 && !(await badge.evaluate((n) => n === document.activeElement)); i++) {
      await bob.page.keyboard.press("Tab");
    }
    assert.equal(await badge.evaluate((n) => n === document.activeElement), true, "the badge takes focus");
    await bob.page.waitForTimeout(150);
    assert.equal(await tooltipShown(), "1", "the tooltip shows on focus");
    assert.match(await badge.getAttribute("aria-label") ?? "", new RegExp(`^Connection to ${alice.name}: Connected, round trip \\d+ ms, packet loss`));
    // The stats refresh in place: the focus stays where it is.
    await bob.page.waitForTimeout(2500);
    assert.equal(await badge.evaluate((n) => n === document.activeElement), true, "focus survives the refresh");
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});
