// A call survives a runtime restart (what every deploy does): `wrangler dev` is killed mid-call
// and started again on the same persisted state and port. The audio is peer to peer and goes on;
// both pages resume their voice socket by themselves. Prints the audio gap at each receiver and
// the time from the worker answering again to green.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep } from "../lib/wait.mjs";
import {
  assertQuiet, closeBrowser, count, joinInTurn, launch, signIn, unique, waitForPeersConnected, waitForSidebar,
} from "./helpers.mjs";
import {
  assertResumedQuietly, audioGap, callShape, greenAfter, recordBar, recordVoiceSockets, startAudioSampler,
  startRestartable,
} from "./resume-helpers.mjs";

test("a runtime restart mid-call: audio goes on, both bars go yellow then green by themselves, nobody leaves", { timeout: 150_000 }, async () => {
  const worker = await startRestartable();
  const browser = await launch();
  try {
    const options = { base: worker.pageUrl, beforeLoad: recordBar };
    const alice = await signIn(browser, unique("Alice"), options);
    const bob = await signIn(browser, unique("Bob"), options);
    // Dave is in no call: his sidebar is the lobby's, which must reconnect and refresh too.
    const dave = await signIn(browser, unique("Dave"), options);
    let daveLobbies = 0;
    dave.page.on("websocket", (ws) => { if (ws.url().includes("/api/lobby")) daveLobbies += 1; });
    const people = [alice, bob];
    const sockets = people.map(({ page }) => recordVoiceSockets(page));
    await joinInTurn(people, "General");
    for (const { page } of people) await waitForPeersConnected(page, 1);
    const before = await Promise.all(people.map(({ page }) => callShape(page)));
    const ids = before.map((s) => s.members).flat().filter((v, i, all) => all.indexOf(v) === i).sort();
    assert.equal(ids.length, 2);
    for (const { page } of people) await startAudioSampler(page);
    await sleep(1000);

    const killedAt = Date.now();
    await worker.dev.kill("SIGKILL");
    await worker.dev.start({ timeoutMs: 60_000 });
    const answeredAt = Date.now();
    const greens = await Promise.all(people.map(({ page }) => greenAfter(page, killedAt)));
    await sleep(1500); // audio keeps flowing after green too
    const to = Date.now();
    const gaps = await Promise.all(people.map(({ page }) => audioGap(page, killedAt - 500, to)));
    console.log(`restart: runtime down for ${answeredAt - killedAt} ms; answered→green ${greens.map((g) => g - answeredAt).join(", ")} ms; `
      + `longest audio gap alice=${gaps[0].longestMs} ms bob=${gaps[1].longestMs} ms`);

    for (const [i, { page, name }] of people.entries()) {
      assert.ok(gaps[i].everyWindow, `${name} received audio in every 500 ms window (longest gap ${gaps[i].longestMs} ms)`);
      const other = before[i].peers[0].userId;
      await assertResumedQuietly(page, sockets[i], killedAt, other, name);
      const after = await callShape(page);
      assert.equal(after.status, "connected");
      assert.deepEqual(after.members, ids, "the roster is exactly the two of them");
      assert.deepEqual(after.peers.map((p) => p.pcId), before[i].peers.map((p) => p.pcId), "the peer connection was kept");
      await waitForSidebar(page, (s) => count(s, "General", alice.name) === 1 && count(s, "General", bob.name) === 1
        && Object.values(s).flat().length === 2, "both in General, once each, nobody else");
      assertQuiet(page);
    }
    await waitForSidebar(dave.page, (s) => count(s, "General", alice.name) === 1 && count(s, "General", bob.name) === 1
      && Object.values(s).flat().length === 2, "both in General on a page that is in no call", 20_000);
    assert.ok(daveLobbies >= 1, "Dave's lobby socket reconnected");
    assertQuiet(dave.page);
  } finally {
    await closeBrowser(browser);
    await worker.stop();
  }
});
