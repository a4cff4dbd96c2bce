// TURN end to end: a worker configured for coturn (TURN_PROVIDER=coturn, its own wrangler dev)
// and Debian's coturn with the repository's turnserver.conf. Relay-only calls (`?relay=1`) go
// through it; credentials are refreshed before they expire; a TURN outage turns the bar red and
// an ICE restart brings the same call back; a worker with the wrong TURN_SECRET never connects.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, launch, median, packetsReceived, restartCoturnOn,
  selectedPairs, signIn, startCoturn, startWorker, unique, waitForPeersConnected,
} from "./helpers.mjs";

const TURN_SECRET = "e2e-coturn-secret-7f3a";
/** The shortest lifetime the worker accepts: the refresh is due 48 s after joining. */
const TTL_SECS = 60;

/** @param {{url: string}} turn @param {string} secret @param {number} port */
function turnWorker(turn, secret, port) {
  return startWorker({
    port,
    vars: { TURN_PROVIDER: "coturn", TURN_URL: turn.url, TURN_SECRET: secret, TURN_TTL_SECS: TTL_SECS },
  });
}

/**
 * Two fresh users join `channel` on `worker`; resolves when both are connected, with Bob's
 * click → connected time (he joins second, so his is the one that includes the offer).
 * @param {import("playwright-core").Browser} browser
 */
async function call(browser, worker, channel, { relay = true, aliceBeforeLoad = undefined } = {}) {
  const options = { base: worker.url, query: relay ? "?relay=1" : "" };
  const alice = await signIn(browser, unique("Alice"), { ...options, beforeLoad: aliceBeforeLoad });
  const bob = await signIn(browser, unique("Bob"), options);
  await joinInTurn([alice, bob], channel);
  await waitForPeersConnected(alice.page, 1);
  await waitForPeersConnected(bob.page, 1);
  const joinToConnectedMs = await bob.page.evaluate(() => {
    const room = window.__voiceDebug();
    return Math.round(room.peers[0].connectedAt - room.startedAt);
  });
  return { alice, bob, joinToConnectedMs };
}

/** @param {import("playwright-core").Page} page */
async function audioFlows(page) {
  const before = await packetsReceived(page);
  await page.waitForTimeout(1000);
  const after = await packetsReceived(page);
  assert.ok(after > before + 10, `inbound audio packets grow (${before} → ${after})`);
}

/** @param {import("playwright-core").Page} page */
function turnUsername(page) {
  return page.evaluate(() => window.__voiceDebug().peers[0].turnUsername);
}

describe("TURN through coturn", () => {
  /** @type {Awaited<ReturnType<typeof startCoturn>>} */
  let turn;
  /** @type {Awaited<ReturnType<typeof startWorker>>} */
  let worker;

  /** The same coturn, but a worker that signs with another secret. */
  /** @type {Awaited<ReturnType<typeof startWorker>>} */
  let wrongWorker;

  before(async () => {
    turn = await startCoturn({ secret: TURN_SECRET });
    // One after the other: two wrangler devs starting at once can pick the same internal port.
    worker = await turnWorker(turn, TURN_SECRET, 8788);
    wrongWorker = await turnWorker(turn, "not-the-secret-coturn-has", 8789);
  });

  after(async () => {
    await worker?.stop();
    await wrongWorker?.stop();
    await turn?.stop();
  });

  test("relay-only users talk through coturn", { timeout: 90_000 }, async () => {
    const browser = await launch();
    try {
      const health = await (await fetch(`${worker.url}/api/health`)).json();
      assert.equal(health.turn.provider, "coturn");
      assert.equal(health.turn.status, "ok");

      const { alice, bob } = await call(browser, worker, "General");
      for (const page of [alice.page, bob.page]) {
        assert.deepEqual(await selectedPairs(page), [{ local: "relay", remote: "relay" }],
          "the selected candidate pair is relay on both ends");
        await audioFlows(page);
        assertQuiet(page);
      }
      const allocations = turn.log().split("\n").filter((l) => /ALLOCATE processed, success/.test(l));
      assert.ok(allocations.length >= 2, `coturn allocated for both users:\n${turn.log().slice(-2000)}`);
      // The page says it too (the tooltip of the connection to the other member).
      await bob.page.locator('#tiles [data-peer-badge][data-tooltip*="relayed"]').waitFor({ timeout: 5000 });
    } finally {
      await closeBrowser(browser);
    }
  });

  test("join to connected, relayed and direct (p50 of three)", { timeout: 120_000 }, async () => {
    const browser = await launch();
    try {
      /** @type {Record<string, number[]>} */
      const runs = { relay: [], direct: [] };
      for (const relay of [true, false]) {
        const options = { base: worker.url, query: relay ? "?relay=1" : "" };
        const alice = await signIn(browser, unique("Alice"), options);
        const bob = await signIn(browser, unique("Bob"), options);
        for (const channel of ["General", "Gaming", "Music"]) {
          await clickChannel(alice.page, channel);
          await expectBar(alice.page, "green", channel);
          await clickChannel(bob.page, channel);
          await waitForPeersConnected(bob.page, 1);
          const { ms } = await bob.page.evaluate(() => {
            const room = window.__voiceDebug();
            return { ms: Math.round(room.peers[0].connectedAt - room.startedAt) };
          });
          runs[relay ? "relay" : "direct"].push(ms);
          const pair = (await selectedPairs(bob.page))[0];
          assert.equal(pair?.local === "relay", relay, `the ${relay ? "relayed" : "direct"} call is ${JSON.stringify(pair)}`);
          for (const { page } of [alice, bob]) await page.getByRole("button", { name: "Leave" }).click();
        }
      }
      console.log(`join_to_connected_relay_ms=${median(runs.relay)} (runs: ${runs.relay.join(", ")})`);
      console.log(`join_to_connected_direct_ms=${median(runs.direct)} (runs: ${runs.direct.join(", ")})`);
      for (const ms of [...runs.relay, ...runs.direct]) assert.ok(ms > 0 && ms < 10_000, `${ms} ms`);
    } finally {
      await closeBrowser(browser);
    }
  });

  test("TURN credentials are refreshed at 80% of their lifetime and the relayed call moves onto them", { timeout: 90_000 }, async () => {
    const browser = await launch();
    try {
      // Alice's page runs on a clock the test can move forward (the worker's stays real).
      const { alice, bob } = await call(browser, worker, "Music", {
        aliceBeforeLoad: (page) => page.clock.install(),
      });
      const schedule = await alice.page.evaluate(() => ({
        expiresAt: window.__voiceDebug().iceExpiresAt,
        refreshAt: window.__voiceDebug().iceRefreshAt,
        now: Date.now(),
      }));
      assert.ok(schedule.expiresAt && schedule.refreshAt, `a refresh is scheduled: ${JSON.stringify(schedule)}`);
      // 80% of a 60 s lifetime: due 48 s after joining, 12 s before the credential expires.
      const beforeExpiry = schedule.expiresAt * 1000 - schedule.refreshAt;
      assert.ok(beforeExpiry > 10_000 && beforeExpiry < 12_500, `refresh ${beforeExpiry} ms before expiry`);
      const dueIn = schedule.refreshAt - schedule.now;
      const oldName = await turnUsername(alice.page);
      assert.ok(oldName, "the peer connection has a TURN credential");

      /** @type {string[]} */
      const fetches = [];
      alice.page.on("request", (r) => { if (r.url().endsWith("/api/ice-servers")) fetches.push(r.url()); });
      // The worker mints in whole seconds: let one pass so the fresh credential differs.
      await alice.page.waitForTimeout(1100);
      await alice.page.clock.fastForward(Math.max(0, dueIn - 3000));
      await alice.page.waitForTimeout(500);
      assert.deepEqual(fetches, [], "nothing is fetched before the refresh is due");

      await alice.page.clock.fastForward(4000);
      await alice.page.waitForFunction((old) => {
        const name = window.__voiceDebug().peers[0].turnUsername;
        return name && name !== old;
      }, oldName, { timeout: 10_000 });
      assert.equal(fetches.length, 1, "one GET /api/ice-servers");
      const newName = await turnUsername(alice.page);
      const fresh = await alice.page.evaluate(() => ({
        expiresAt: window.__voiceDebug().iceExpiresAt, refreshAt: window.__voiceDebug().iceRefreshAt, now: Date.now(),
      }));
      assert.ok(fresh.expiresAt > schedule.expiresAt, "the new credential lives longer");
      assert.ok(fresh.refreshAt > fresh.now, "the next refresh is scheduled");

      // The relayed call restarted ICE with the fresh credential: coturn allocated for it.
      const deadline = Date.now() + 15_000;
      const allocatedWithNew = () => turn.log().split("\n")
        .some((l) => l.includes(`user <${newName}>`) && /ALLOCATE processed, success/.test(l));
      while (!allocatedWithNew() && Date.now() < deadline) await alice.page.waitForTimeout(200);
      assert.ok(allocatedWithNew(), `coturn allocated with ${newName}:\n${turn.log().slice(-2000)}`);
      await waitForPeersConnected(alice.page, 1);
      await waitForPeersConnected(bob.page, 1);
      await expectBar(alice.page, "green", "Music");
      await audioFlows(bob.page);
      assertQuiet(alice.page);
    } finally {
      await closeBrowser(browser);
    }
  });

  test("a TURN outage turns the bar red and an ICE restart brings the same call back", { timeout: 120_000 }, async () => {
    const browser = await launch();
    /** @type {Awaited<ReturnType<typeof restartCoturnOn>> | null} */
    let again = null;
    try {
      const { alice, bob } = await call(browser, worker, "Gaming");
      for (const page of [alice.page, bob.page]) {
        await page.evaluate(() => { window.__pcBefore = window.__voiceDebug().peers[0].pcId; });
      }
      const stopped = Date.now();
      await turn.stop();
      // Chromium gives up on the relayed path (~15 s): both sides show it.
      await expectBar(alice.page, "red", "Disconnected", 40_000);
      await expectBar(bob.page, "red", "Disconnected", 40_000);
      console.log(`turn_outage_to_red_ms=${Date.now() - stopped}`);
      assert.match(await alice.page.locator("#voice-detail").textContent() ?? "", /Can't reach .*Reconnecting/);
      assert.equal((await alice.page.locator('#tiles .tile[data-peer-state="failed"]').count()), 1,
        "the tile of the unreachable member is red");

      again = await restartCoturnOn({ port: turn.port, secret: TURN_SECRET });
      const restarted = Date.now();
      await expectBar(alice.page, "green", "Gaming", 40_000);
      await expectBar(bob.page, "green", "Gaming", 40_000);
      console.log(`turn_back_to_green_ms=${Date.now() - restarted}`);
      for (const page of [alice.page, bob.page]) {
        await waitForPeersConnected(page, 1);
        assert.equal(await page.evaluate(() => window.__voiceDebug().peers[0].pcId === window.__pcBefore), true,
          "the same peer connection recovered (ICE restart, not a new connection)");
        assert.deepEqual(await selectedPairs(page), [{ local: "relay", remote: "relay" }]);
        await audioFlows(page);
        assert.ok(page.e2e.console.some((l) => l.includes("ICE restart")), "the console says it restarted ICE");
      }
      assert.match(again.log(), /ALLOCATE processed, success/);
    } finally {
      await closeBrowser(browser);
      // The next tests (and after()) expect a coturn on that port.
      if (again) turn = again;
    }
  });

  test("a worker with the wrong TURN_SECRET never connects a relay-only call: red, not stuck", { timeout: 90_000 }, async () => {
    const wrong = wrongWorker;
    const browser = await launch();
    try {
      const alice = await signIn(browser, unique("Alice"), { base: wrong.url, query: "?relay=1" });
      const bob = await signIn(browser, unique("Bob"), { base: wrong.url, query: "?relay=1" });
      await clickChannel(alice.page, "General");
      await expectBar(alice.page, "green", "General");
      const clicked = Date.now();
      await clickChannel(bob.page, "General");
      // Well before the 15 s connect timeout: the 401s alone say it.
      await expectBar(alice.page, "red", "Disconnected", 10_000);
      await expectBar(bob.page, "red", "Disconnected", 10_000);
      console.log(`refused_turn_to_red_ms=${Date.now() - clicked}`);
      // It keeps trying (ICE restarts with freshly fetched credentials) and stays red.
      await alice.page.waitForFunction(() => window.__voiceDebug().peers[0]?.restarts >= 2, null, { timeout: 15_000 });
      await expectBar(alice.page, "red", "Disconnected");
      for (const page of [alice.page, bob.page]) {
        const peer = await page.evaluate(() => {
          const p = window.__voiceDebug().peers[0];
          return { state: p.state, failure: p.failure, candidates: p.localCandidates };
        });
        assert.equal(peer.state, "failed");
        assert.equal(peer.failure, "no_ice_candidates");
        assert.ok(page.e2e.console.some((l) => l.includes("401")), "the console shows the 401");
      }
      // coturn refused that very credential (not just the first challenge every login gets).
      const userId = await alice.page.evaluate(() => window.__voiceDebug().userId);
      const refusals = turn.log().split("\n").filter((l) => l.includes(`:${userId}>`) && /error 401/.test(l));
      assert.ok(refusals.length > 0, `coturn logged a 401 for ${userId}:\n${turn.log().slice(-1500)}`);
    } finally {
      await closeBrowser(browser);
    }
  });
});
