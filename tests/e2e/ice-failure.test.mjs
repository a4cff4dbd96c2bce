// Peer connections that can never connect, and that Chromium never reports as `failed`: the page
// must still turn the voice bar red (TOOLCHAIN.md: refused TURN credentials leave it at "new").
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, launch, signIn, startCoturn, unique,
} from "./helpers.mjs";

/**
 * Replaces the ICE servers in the voice channel's `joined` message seen by this page.
 * @param {import("playwright-core").Page} page
 * @param {object[]} iceServers
 */
async function overrideIceServers(page, iceServers) {
  await page.routeWebSocket(/\/api\/channels\/[^/]+\/voice/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      const text = String(message);
      if (text.startsWith("{")) {
        const msg = JSON.parse(text);
        if (msg.type === "joined") {
          ws.send(JSON.stringify({ ...msg, ice_servers: iceServers }));
          return;
        }
      }
      ws.send(message);
    });
  });
}

/** @param {import("playwright-core").Page} page */
function firstPeer(page) {
  return page.evaluate(() => {
    const p = [...window.__voice.peers.values()][0];
    return p && { state: p.pc.connectionState, failure: p.failure, candidates: p.localCandidates };
  });
}

test("a peer connection whose TURN credential is refused counts as failed", { timeout: 60_000 }, async () => {
  const turn = await startCoturn({ port: 3479, secret: "the-real-secret" });
  const browser = await launch();
  try {
    // Relay-only (?relay=1), through a TURN server that refuses the credential (401).
    const refused = [{ urls: turn.url, username: `${Math.floor(Date.now() / 1000) + 3600}:e2e`, credential: "wrong" }];
    const alice = await signIn(browser, unique("Alice"), { query: "?relay=1" });
    const bob = await signIn(browser, unique("Bob"), { query: "?relay=1" });
    await overrideIceServers(alice.page, refused);
    await overrideIceServers(bob.page, refused);

    await clickChannel(alice.page, "Music");
    await expectBar(alice.page, "green", "Music");
    const clicked = Date.now();
    await clickChannel(bob.page, "Music");
    // Well before the 15 s connect timeout: the 401s alone say it.
    await expectBar(alice.page, "red", "Disconnected", 10_000);
    await expectBar(bob.page, "red", "Disconnected", 10_000);
    console.log(`refused_turn_to_red_ms=${Date.now() - clicked}`);
    for (const page of [alice.page, bob.page]) {
      const peer = await firstPeer(page);
      assert.equal(peer.failure, "no_ice_candidates");
      assert.equal(peer.candidates, 0);
      assert.equal(peer.state, "new", "Chromium itself never says failed");
      assert.ok(page.e2e.console.some((l) => l.includes("401")), "the console shows the 401");
    }
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
    await turn.stop();
  }
});

test("relay-only with no TURN server counts as failed at once", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const alice = await signIn(browser, unique("Alice"), { query: "?relay=1" });
    const bob = await signIn(browser, unique("Bob"), { query: "?relay=1" });
    await overrideIceServers(alice.page, [{ urls: "stun:127.0.0.1:3478" }]);
    await overrideIceServers(bob.page, [{ urls: "stun:127.0.0.1:3478" }]);
    await clickChannel(alice.page, "Gaming");
    await expectBar(alice.page, "green", "Gaming");
    await clickChannel(bob.page, "Gaming");
    await expectBar(alice.page, "red", "Disconnected", 5000);
    await expectBar(bob.page, "red", "Disconnected", 5000);
    assert.equal((await firstPeer(alice.page)).failure, "no_relay_server");
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});
