// A peer connection that can never connect, and that Chromium never reports as `failed`: the
// page must still turn the voice bar red. (Refused TURN credentials, the other such case, are
// tested against a real coturn in turn.test.mjs.)
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, launch, signIn, unique,
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
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().peers[0].failure), "no_relay_server");
    assertQuiet(alice.page);
    assertQuiet(bob.page);
  } finally {
    await closeBrowser(browser);
  }
});
