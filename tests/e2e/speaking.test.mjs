// Who is speaking: a ring around the avatar, from the microphone's level (Chromium's fake
// microphone beeps about twice a second), relayed as rate-limited `speaking` messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, launch, recordSent, screenshot, signIn, unique,
  waitForMember, waitForPeersConnected,
} from "./helpers.mjs";

/**
 * Starts recording, in the page, every moment a ring appears around `name`'s avatar.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
async function watchRing(page, name) {
  await page.evaluate((name) => {
    const seen = { rings: 0 };
    window.__rings = seen;
    const check = () => {
      for (const avatar of document.querySelectorAll(".avatar.is-speaking")) {
        const holder = avatar.closest(".member, .tile");
        const label = holder?.querySelector(".member-name, .tile-name")?.textContent;
        if (label === name) seen.rings += 1;
      }
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true,
      attributeFilter: ["class"] });
  }, name);
}

test("a ring shows around whoever speaks, on the other pages (even for a newcomer) and at once on your own", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    const sent = recordSent(alice.page);
    await joinInTurn([alice, bob], "General");
    await waitForPeersConnected(bob.page, 1);

    await waitForMember(alice.page, alice.name, (v) => !!v.tile?.speaking && !!v.sidebar?.speaking, "her own ring", 5000);
    await waitForMember(bob.page, alice.name, (v) => !!v.tile?.speaking && !!v.sidebar?.speaking, "a ring", 5000);
    // The ring fades in (an 80 ms transition): read it until it has, for up to 3 s.
    const GREEN = /rgba?\(35, 165, 90\b/;
    let ring = "";
    for (let i = 0; i < 60 && !GREEN.test(ring); i++) {
      if (i > 0) await bob.page.waitForTimeout(50);
      ring = await bob.page.evaluate(() => {
        const node = document.querySelector("#tiles .avatar.is-speaking");
        return node ? getComputedStyle(node).boxShadow : "(no ring at this moment)";
      });
    }
    assert.match(ring, GREEN, "the ring is green");

    assert.ok(sent.some((s) => s.msg.type === "speaking" && s.msg.speaking), "Alice said she speaks");
    // Rate-limited: only changes are sent (a repeat is sent only for a newcomer: Bob is in now),
    // and never more than a few per second.
    const from = Date.now();
    await alice.page.waitForTimeout(3000);
    const speaking = sent.filter((s) => s.msg.type === "speaking" && s.at >= from);
    for (let i = 1; i < speaking.length; i++) {
      assert.notEqual(speaking[i].msg.speaking, speaking[i - 1].msg.speaking, "only changes are sent");
      assert.ok(speaking[i].at - speaking[i - 1].at >= 250, `at most ~3 a second (${speaking[i].at - speaking[i - 1].at} ms apart)`);
    }
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("someone who talks without a pause has a ring for those who join later", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    // Alice's microphone never goes quiet: she says she speaks once, and never changes.
    await alice.page.evaluate(() => {
      AnalyserNode.prototype.getFloatTimeDomainData = function loud(samples) { samples.fill(0.3); };
    });
    const sent = recordSent(alice.page);
    await clickChannel(alice.page, "Music");
    await expectBar(alice.page, "green", "Music");
    await waitForMember(alice.page, alice.name, (v) => !!v.tile?.speaking, "her own ring", 5000);
    await alice.page.waitForTimeout(500);
    assert.deepEqual(sent.filter((s) => s.msg.type === "speaking").map((s) => s.msg.speaking), [true]);

    await clickChannel(bob.page, "Music");
    await expectBar(bob.page, "green", "Music");
    await waitForMember(bob.page, alice.name, (v) => !!v.tile?.speaking && !!v.sidebar?.speaking,
      "a ring (Alice says it again for the newcomer)", 3000);
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("no ring and no speaking message while muted; the ring comes back after unmuting", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    const sent = recordSent(alice.page);
    await joinInTurn([bob, alice], "Gaming");
    await waitForPeersConnected(bob.page, 1);
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    const mutedAt = Date.now();
    await waitForMember(bob.page, alice.name, (v) => !!v.tile?.muted && !v.tile.speaking && !v.sidebar?.speaking, "muted, no ring");
    await watchRing(bob.page, alice.name);
    await watchRing(alice.page, alice.name);

    // Six beeps' worth of time.
    await alice.page.waitForTimeout(3000);
    assert.equal(await bob.page.evaluate(() => window.__rings.rings), 0, "Bob never saw a ring around Alice");
    assert.equal(await alice.page.evaluate(() => window.__rings.rings), 0, "nor did Alice around herself");
    const whileMuted = sent.filter((s) => s.at > mutedAt && s.msg.type === "speaking");
    assert.deepEqual(whileMuted, [], "nothing about her voice was sent while muted");

    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    await waitForMember(bob.page, alice.name, (v) => !!v.tile?.speaking, "the ring after unmuting", 5000);
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("screenshot: a call with someone speaking and someone muted", { timeout: 60_000 }, async () => {
  // Plain names: they appear in the README's picture (no other test uses them).
  const browser = await launch();
  try {
    const maya = await signIn(browser, "Maya Chen");
    const sam = await signIn(browser, "Sam Ortiz");
    const priya = await signIn(browser, "Priya Nair");
    for (const { page } of [maya, sam, priya]) {
      await clickChannel(page, "General");
      await expectBar(page, "green", "General");
    }
    await waitForPeersConnected(priya.page, 2);
    await sam.page.getByRole("button", { name: "Mute", exact: true }).click();
    await waitForMember(priya.page, sam.name, (v) => !!v.tile?.muted && !!v.sidebar?.muted, "Sam muted");
    await waitForMember(priya.page, maya.name, (v) => !!v.tile?.speaking && !!v.sidebar?.speaking
      && v.tile.peer === "connected", "Maya speaking", 5000);
    await screenshot(priya.page, "call.png");
  } finally {
    await closeBrowser(browser);
  }
});
