// Two people talk: the WebRTC mesh, moving between channels, leaving, a failed peer.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, count, expectBar, launch, packetsReceived, screenshot,
  sidebar, signIn, unique, waitForPeersConnected, waitForSidebar,
} from "./helpers.mjs";

test("two users who join the same channel connect and receive each other's audio", { timeout: 90_000 }, async () => {
  // Plain names: this test takes the README's screenshot (no other test uses these names).
  const browser = await launch();
  try {
    const alice = await signIn(browser, "Alice");
    const bob = await signIn(browser, "Bob");

    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    await clickChannel(bob.page, "General");
    await expectBar(bob.page, "green", "General");

    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    // Bob clicked last: from his click to his peer connection to Alice being connected.
    const joinToConnected = await bob.page.evaluate(() => {
      const room = window.__voice;
      const peer = [...room.peers.values()][0];
      return Math.round(peer.connectedAt - room.startedAt);
    });
    console.log(`join_to_connected_ms=${joinToConnected}`);

    const before = [await packetsReceived(alice.page), await packetsReceived(bob.page)];
    await alice.page.waitForTimeout(1000);
    const after = [await packetsReceived(alice.page), await packetsReceived(bob.page)];
    console.log(`inbound_audio_packets alice=${before[0]}→${after[0]} bob=${before[1]}→${after[1]}`);
    assert.ok(after[0] > before[0], "Alice keeps receiving Bob's audio packets");
    assert.ok(after[1] > before[1], "Bob keeps receiving Alice's audio packets");

    for (const { page } of [alice, bob]) {
      await waitForSidebar(page, (s) => count(s, "General", alice.name) === 1 && count(s, "General", bob.name) === 1,
        "both in General");
    }
    // Both as tiles in the main area too.
    await bob.page.locator("#tiles .tile", { hasText: alice.name }).waitFor();
    await bob.page.locator("#tiles .tile.is-connected").waitFor();
    await screenshot(bob.page, "connected.png");
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("moving to another channel and then leaving shows in every sidebar", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    await clickChannel(bob.page, "General");
    await expectBar(bob.page, "green", "General");
    await waitForPeersConnected(alice.page, 1);

    // Alice moves: she leaves General first (her peer connections close), then joins Gaming.
    await clickChannel(alice.page, "Gaming");
    await expectBar(alice.page, "green", "Gaming");
    for (const { page } of [alice, bob]) {
      await waitForSidebar(page, (s) => count(s, "Gaming", alice.name) === 1 && count(s, "General", alice.name) === 0
        && count(s, "General", bob.name) === 1, "Alice in Gaming, Bob in General");
    }
    assert.equal(await alice.page.evaluate(() => window.__voice.peers.size), 0, "Alice is alone in Gaming");
    await bob.page.waitForFunction(() => window.__voice.peers.size === 0, null, { timeout: 5000 });
    await expectBar(bob.page, "green", "General");
    const current = await alice.page.locator("#channel-list .channel-row.is-current").textContent();
    assert.equal(current?.trim(), "Gaming", "the channel Alice is in is highlighted");

    await alice.page.getByRole("button", { name: "Leave" }).click();
    for (const { page } of [alice, bob]) {
      await waitForSidebar(page, (s) => Object.values(s).every((names) => !names.includes(alice.name)),
        "Alice in no channel");
    }
    assert.equal((await sidebar(bob.page)).General.filter((n) => n === bob.name).length, 1);
    assert.equal(await alice.page.locator("#voice-bar").isHidden(), true, "no voice bar when idle");
    assert.equal(await alice.page.locator("#channel-list .channel-row.is-current").count(), 0);
    assert.equal(await alice.page.evaluate(() => window.__voice), null);
    await alice.page.getByText("Pick a voice channel to start talking").waitFor();
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("a failed peer connection turns the bar red until that peer leaves", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    await clickChannel(alice.page, "Music");
    await expectBar(alice.page, "green", "Music");
    await clickChannel(bob.page, "Music");
    await expectBar(bob.page, "green", "Music");
    await waitForPeersConnected(alice.page, 1);

    // The connection to Bob reports `failed`, as Chromium does when ICE gives up.
    await alice.page.evaluate(() => {
      const peer = [...window.__voice.peers.values()][0];
      Object.defineProperty(peer.pc, "connectionState", { value: "failed", configurable: true });
      peer.pc.dispatchEvent(new Event("connectionstatechange"));
    });
    await expectBar(alice.page, "red", "Disconnected");
    assert.ok(alice.page.e2e.console.some((l) => l.includes("failed")), "the console says why");

    await bob.page.getByRole("button", { name: "Leave" }).click();
    await expectBar(alice.page, "green", "Music");
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("after the voice socket drops, clicking the channel again takes the same place back", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    /** @type {string[]} */
    const urls = [];
    /** @type {import("playwright-core").WebSocketRoute[]} */
    const pageSides = [];
    await alice.page.routeWebSocket(/\/api\/channels\/[^/]+\/voice/, (ws) => {
      urls.push(ws.url());
      pageSides.push(ws);
      const server = ws.connectToServer();
      // A half-open drop: when the test closes the page's side, the server's stays open.
      ws.onClose(() => {});
      server.onClose(() => {});
    });

    await clickChannel(bob.page, "General");
    await expectBar(bob.page, "green", "General");
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    const sessionId = await alice.page.evaluate(() => window.__voice.sessionId);
    assert.ok(sessionId, "joined gave a session_id");
    assert.doesNotMatch(await alice.page.evaluate(() => JSON.stringify(localStorage)), new RegExp(sessionId),
      "the session_id is kept in memory only");

    await pageSides[0].close({ code: 4000, reason: "test drop" });
    await expectBar(alice.page, "red", "Disconnected");
    await bob.page.evaluate(() => { window.__oldPc = [...window.__voice.peers.values()][0].pc; });

    // No reconnect button: clicking the channel again rejoins, presenting the tab's session_id.
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    assert.equal(urls.length, 2);
    assert.equal(new URL(urls[0]).searchParams.get("session"), null, "the first join presents no session");
    assert.equal(new URL(urls[1]).searchParams.get("session"), sessionId, "the rejoin presents the tab's session_id");
    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    assert.equal(await bob.page.evaluate(() => [...window.__voice.peers.values()][0].pc !== window.__oldPc), true,
      "Bob replaced his peer connection to Alice (member_joined resumed)");
    for (const { page } of [alice, bob]) {
      await waitForSidebar(page, (s) => count(s, "General", alice.name) === 1 && count(s, "General", bob.name) === 1,
        "both in General, once each");
    }
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});
