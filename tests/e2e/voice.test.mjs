// Two people talk: the WebRTC mesh, moving between channels, leaving, offers that cross, a rejoin.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, count, expectBar, joinInTurn, launch, packetsReceived, screenshot,
  sidebar, signIn, unique, waitForPeersConnected, waitForSidebar,
} from "./helpers.mjs";

test("two users who join the same channel connect and receive each other's audio", { timeout: 90_000 }, async () => {
  // Plain names: this test takes the README's screenshot (no other test uses these names).
  const browser = await launch();
  try {
    const alice = await signIn(browser, "Alice");
    const bob = await signIn(browser, "Bob");

    await joinInTurn([alice, bob], "General");

    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    // Bob clicked last: from his click to his peer connection to Alice being connected.
    const joinToConnected = await bob.page.evaluate(() => {
      const room = window.__voiceDebug();
      return Math.round(room.peers[0].connectedAt - room.startedAt);
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
    await bob.page.locator('#tiles .tile[data-peer-state="connected"]').waitFor();
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
    await joinInTurn([alice, bob], "General");
    await waitForPeersConnected(alice.page, 1);

    // Alice moves: she leaves General first (her peer connections close), then joins Gaming.
    await clickChannel(alice.page, "Gaming");
    await expectBar(alice.page, "green", "Gaming");
    for (const { page } of [alice, bob]) {
      await waitForSidebar(page, (s) => count(s, "Gaming", alice.name) === 1 && count(s, "General", alice.name) === 0
        && count(s, "General", bob.name) === 1, "Alice in Gaming, Bob in General");
    }
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().peers.length), 0, "Alice is alone in Gaming");
    await bob.page.waitForFunction(() => window.__voiceDebug().peers.length === 0, null, { timeout: 5000 });
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
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug()), null);
    await alice.page.getByText("Pick a voice channel to start talking").waitFor();
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("offers that cross (both ends restart ICE at once) settle by perfect negotiation", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"));
    const bob = await signIn(browser, unique("Bob"));
    // Everything the server relays reaches each page 400 ms late once `delay` is set, so both
    // offers are on the way before either page sees the other's.
    const delay = { ms: 0 };
    for (const { page } of [alice, bob]) {
      await page.routeWebSocket(/\/api\/channels\/[^/]+\/voice/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((message) => { setTimeout(() => ws.send(message), delay.ms); });
      });
    }
    await joinInTurn([alice, bob], "Music");
    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    const ufrag = (page) => page.evaluate(() => /a=ice-ufrag:(\S+)/.exec(
      window.__voiceDebug().peers[0].localSdp ?? "")?.[1]);
    const before = [await ufrag(alice.page), await ufrag(bob.page)];

    delay.ms = 400;
    await Promise.all([alice, bob].map(({ page }) => page.evaluate(() => {
      window.__voiceDebug.restartIce();
    })));
    for (const { page } of [alice, bob]) {
      await page.waitForFunction((old) => {
        const pc = window.__voiceDebug().peers[0];
        const now = /a=ice-ufrag:(\S+)/.exec(pc.localSdp ?? "")?.[1];
        return pc.signalingState === "stable" && pc.connectionState === "connected" && now !== old;
      }, before[page === alice.page ? 0 : 1], { timeout: 10_000 });
    }
    // The offers did cross: one side yielded, the other kept its own.
    const crossed = (page) => page.e2e.console.filter((l) => l.includes("offers crossed")).join("\n");
    const sides = [crossed(alice.page), crossed(bob.page)];
    assert.ok(sides.every((lines) => lines.length > 0), `both saw the collision: ${JSON.stringify(sides)}`);
    assert.ok(sides.some((l) => l.includes("(we are polite)")) && sides.some((l) => l.includes("(impolite)")),
      "the polite one yielded");
    const packets = await packetsReceived(alice.page);
    await alice.page.waitForTimeout(1000);
    assert.ok(await packetsReceived(alice.page) > packets + 10, "audio still flows");
    await expectBar(alice.page, "green", "Music");
    await expectBar(bob.page, "green", "Music");
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
    // Since v1.1 the page resumes a dropped socket by itself; it turns red only when it cannot:
    // here every resume try is refused (the network still down) until the grace period is over.
    let refusing = false;
    let refused = 0;
    await alice.page.routeWebSocket(/\/api\/channels\/[^/]+\/voice/, (ws) => {
      if (refusing) {
        refused += 1;
        ws.close({ code: 4000, reason: "network still down" });
        return;
      }
      urls.push(ws.url());
      pageSides.push(ws);
      const server = ws.connectToServer();
      // A half-open drop: when the test closes the page's side, the server's stays open.
      ws.onClose(() => {});
      server.onClose(() => {});
    });

    await joinInTurn([bob, alice], "General");
    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    const sessionId = await alice.page.evaluate(() => window.__voiceDebug().sessionId);
    assert.ok(sessionId, "joined gave a session_id");
    assert.doesNotMatch(await alice.page.evaluate(() => JSON.stringify(localStorage)), new RegExp(sessionId),
      "the session_id is kept in memory only");

    refusing = true;
    await pageSides[0].close({ code: 4000, reason: "test drop" });
    await expectBar(alice.page, "red", "Disconnected", 25_000);
    refusing = false;
    assert.ok(refused >= 1, "the page tried to resume first");
    await bob.page.evaluate(() => { window.__oldPc = window.__voiceDebug().peers[0].pcId; });

    // No reconnect button: clicking the channel again rejoins, presenting the tab's session_id.
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    assert.equal(urls.length, 2);
    assert.equal(new URL(urls[0]).searchParams.get("session"), null, "the first join presents no session");
    assert.equal(new URL(urls[1]).searchParams.get("session"), sessionId, "the rejoin presents the tab's session_id");
    await waitForPeersConnected(alice.page, 1);
    await waitForPeersConnected(bob.page, 1);
    assert.equal(await bob.page.evaluate(() => window.__voiceDebug().peers[0].pcId !== window.__oldPc), true,
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
