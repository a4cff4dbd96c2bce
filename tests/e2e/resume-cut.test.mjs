// Only the voice socket is lost, the worker stays up: the pages are served through a loopback TCP
// proxy (tests/lib/net.mjs) whose voice connections are cut (a FIN: a Wi-Fi blip the browser
// notices) or black-holed (no FIN, nothing forwarded: the page's dead-socket detection must
// notice), or kept refused past the grace period (red, then a click rejoins), or refused until
// another tab of the same user took the place (the resume is refused: red at once, no loop).
import assert from "node:assert/strict";
import { test } from "node:test";
import { joinAt } from "../lib/client.mjs";
import { sleep } from "../lib/wait.mjs";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, launch, packetsReceived, signIn, unique,
  waitForPeersConnected,
} from "./helpers.mjs";
import {
  assertResumedQuietly, audioGap, barLog, callShape, greenAfter, recordBar, recordVoiceSockets, startAudioSampler,
  startRestartable,
} from "./resume-helpers.mjs";

/** Alice and Bob in General through the proxy (or Bob directly), their recorders running. */
async function callThrough(browser, worker, { bobDirect = false } = {}) {
  const alice = await signIn(browser, unique("Alice"), { base: worker.pageUrl, beforeLoad: recordBar });
  const bob = await signIn(browser, unique("Bob"), { base: bobDirect ? worker.url : worker.pageUrl, beforeLoad: recordBar });
  const people = [alice, bob];
  const sockets = people.map(({ page }) => recordVoiceSockets(page));
  await joinInTurn(people, "General");
  for (const { page } of people) await waitForPeersConnected(page, 1);
  const before = await Promise.all(people.map(({ page }) => callShape(page)));
  return { alice, bob, people, sockets, before };
}

/**
 * Cuts (or black-holes) both voice sockets; checks the call goes on and comes back green by itself.
 * @param {"cut" | "blackhole"} how
 */
async function survivesLosingTheSocket(how, greenWithinMs) {
  const worker = await startRestartable({ proxy: true });
  const browser = await launch();
  try {
    const { people, sockets, before } = await callThrough(browser, worker);
    for (const { page } of people) await startAudioSampler(page);
    await sleep(1000);
    const lostAt = Date.now();
    const n = how === "cut" ? worker.proxy.cut("/voice") : (worker.proxy.blackhole("/voice"), 2);
    // (A connection the browser opened for the upgrade and did not use may be listed too.)
    assert.ok(n >= 2, `both voice sockets went through the proxy (${n} connections)`);
    assert.deepEqual(before.map((b) => b.socketOpens), [1, 1], "no resume before the cut");
    const greens = await Promise.all(people.map(({ page }) => greenAfter(page, lostAt, greenWithinMs)));
    await sleep(1500);
    const to = Date.now();
    const gaps = await Promise.all(people.map(({ page }) => audioGap(page, lostAt - 500, to)));
    console.log(`${how}: lost→green ${greens.map((g) => g - lostAt).join(", ")} ms; `
      + `longest audio gap alice=${gaps[0].longestMs} ms bob=${gaps[1].longestMs} ms`);
    for (const [i, { page, name }] of people.entries()) {
      assert.ok(greens[i] - lostAt <= greenWithinMs, `${name} green within ${greenWithinMs} ms`);
      assert.ok(gaps[i].everyWindow, `${name} received audio in every 500 ms window (longest gap ${gaps[i].longestMs} ms)`);
      await assertResumedQuietly(page, sockets[i], lostAt, before[i].peers[0].userId, name);
      const after = await callShape(page);
      assert.deepEqual(after.members, before[i].members, "the roster is exactly the two of them");
      assert.deepEqual(after.peers.map((p) => p.pcId), before[i].peers.map((p) => p.pcId), "the peer connection was kept");
      assertQuiet(page);
    }
  } finally {
    await closeBrowser(browser);
    await worker.stop();
  }
}

test("the voice sockets cut (FIN) mid-call: audio goes on, yellow then green by themselves", { timeout: 120_000 }, async () => {
  await survivesLosingTheSocket("cut", 5000);
});

test("the voice sockets black-holed (no FIN): the pages notice within ~25 s and resume", { timeout: 150_000 }, async () => {
  await survivesLosingTheSocket("blackhole", 25_000);
});

test("a cut longer than the grace period: red Disconnected, then a click rejoins and audio flows", { timeout: 120_000 }, async () => {
  const worker = await startRestartable({ proxy: true, vars: { RECONNECT_GRACE_SECS: 3 } });
  const browser = await launch();
  try {
    // Only Alice goes through the proxy: Bob stays and sees her leave after the grace period.
    const { alice, bob, sockets } = await callThrough(browser, worker, { bobDirect: true });
    const lostAt = Date.now();
    worker.proxy.refuse("/voice");
    assert.equal(worker.proxy.cut("/voice"), 1);
    await expectBar(alice.page, "red", "Disconnected", 15_000);
    const redAt = (await barLog(alice.page)).find((b) => b.at >= lostAt && b.state === "red")?.at ?? Date.now();
    const refused = worker.proxy.accept();
    console.log(`grace: red ${redAt - lostAt} ms after the cut (grace 3 s), after ${refused} refused resume tries`);
    assert.ok(refused >= 2, "the page kept trying meanwhile");
    // joined.grace_secs told the page 3 s: the last try goes just before the end, then red.
    assert.ok(redAt - lostAt >= 2000 && redAt - lostAt <= 6000, `red when the 3 s grace period ends (${redAt - lostAt} ms)`);
    assert.ok((await barLog(alice.page)).some((b) => b.at >= lostAt && b.label === "Reconnecting…"), "yellow first");
    await bob.page.waitForFunction(() => window.__voiceDebug().peers.length === 0, null, { timeout: 10_000 });
    assert.ok(sockets[1].received.some(({ msg }) => msg.type === "member_left"), "Bob was told Alice left");

    // A click on the channel joins afresh; audio flows both ways again.
    await clickChannel(alice.page, "General");
    await expectBar(alice.page, "green", "General");
    for (const { page } of [alice, bob]) await waitForPeersConnected(page, 1);
    const counts = [await packetsReceived(alice.page), await packetsReceived(bob.page)];
    await sleep(1000);
    assert.ok(await packetsReceived(alice.page) > counts[0], "Alice hears Bob again");
    assert.ok(await packetsReceived(bob.page) > counts[1], "Bob hears Alice again");
    assertQuiet(alice.page);
  } finally {
    await closeBrowser(browser);
    await worker.stop();
  }
});

test("a refused resume (another tab of the same user took the place) ends at once, with no loop", { timeout: 120_000 }, async () => {
  const worker = await startRestartable({ proxy: true });
  const browser = await launch();
  let otherTab = null;
  try {
    const { alice, sockets } = await callThrough(browser, worker, { bobDirect: true });
    const token = await alice.page.evaluate(() => localStorage.getItem("cromulent-voice.token"));
    worker.proxy.refuse("/voice");
    assert.equal(worker.proxy.cut("/voice"), 1);
    await alice.page.waitForFunction(() => window.__voiceDebug().reconnecting, null, { timeout: 5000 });
    // The same user in another tab joins General while this one is away: it takes the place.
    otherTab = (await joinAt(worker.url, "general", token, { pingMs: 5000 })).socket;
    const acceptedAt = Date.now();
    worker.proxy.accept();
    await expectBar(alice.page, "red", "Disconnected", 10_000);
    const redAt = (await barLog(alice.page)).find((b) => b.at >= acceptedAt && b.state === "red")?.at ?? Date.now();
    const refusal = sockets[0].received.filter(({ at }) => at >= acceptedAt).map(({ msg }) => msg.reason ?? msg.type);
    const opens = sockets[0].opens;
    await sleep(3000);
    console.log(`refused resume: red ${redAt - acceptedAt} ms after the way was open again; the server said ${JSON.stringify(refusal)}`);
    assert.equal(sockets[0].opens, opens, "no socket opened after the refusal");
    assert.ok(refusal.some((r) => r === "resume_failed" || r === "already_in_channel"), "refused by the server");
    assert.equal((await callShape(alice.page)).status, "disconnected");
    assertQuiet(alice.page);
  } finally {
    await otherTab?.close();
    await closeBrowser(browser);
    await worker.stop();
  }
});
