// Space isolation (CONTRACT.md v1.1 "Spaces, channels at runtime, claims", "v1.1 details"): two
// spaces' channels with the same id never meet — a member of one never appears in the other's
// `joined`, `member_joined`, lobby frames, `/api/channels` or admin listing, and signals do not
// cross; one channel per user holds within a space, while the same `sub` may sit in one channel
// of each space at once.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import {
  ADMIN_KEY, admin, adminChannels, channelIds, channelsPath, channelsWith, mustJoin, putChannel, recordedLobby, rosterWhere,
} from "../lib/admin.mjs";
import { ids } from "../lib/fixtures.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";

describe("spaces", () => {
  let worker;
  const opened = [];
  const asIn = (space, user) => tokenFor(user, space === "default" ? {} : { space });
  const membersIn = async (space, channel) =>
    ids((await channelsWith(worker, asIn(space, uniqueUser("observer")))).channels.find((c) => c.id === channel).members);

  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY } });
    await putChannel(worker, "acme", "general", { name: "Acme General" });
    await putChannel(worker, "acme", "lounge", { name: "Acme Lounge" });
    await putChannel(worker, "beta", "general", { name: "Beta General" });
  });
  afterEach(() => {
    worker.closeSockets();
    for (const s of opened.splice(0)) s.close();
  });
  after(async () => {
    await worker?.dispose();
  });

  test("each space lists its own channels", async () => {
    assert.deepEqual(channelIds((await channelsWith(worker, asIn("default", uniqueUser()))).channels), ["general", "gaming", "music"]);
    const acme = await channelsWith(worker, asIn("acme", uniqueUser()));
    assert.deepEqual(acme.channels.map((c) => [c.id, c.name]).sort(), [["general", "Acme General"], ["lounge", "Acme Lounge"]]);
    const beta = await channelsWith(worker, asIn("beta", uniqueUser()));
    assert.deepEqual(beta.channels.map((c) => [c.id, c.name]), [["general", "Beta General"]]);
  });

  test("members of one space's general never appear in another's joined or member_joined", async () => {
    const d1 = uniqueUser("d1");
    const a1 = uniqueUser("a1");
    const b1 = uniqueUser("b1");
    const d = await mustJoin(worker, "general", asIn("default", d1));
    const a = await mustJoin(worker, "general", asIn("acme", a1));
    const b = await mustJoin(worker, "general", asIn("beta", b1));
    assert.deepEqual(ids(d.joined.members), [d1]);
    assert.deepEqual(ids(a.joined.members), [a1]);
    assert.deepEqual(ids(b.joined.members), [b1]);
    for (const m of [d, a, b]) await m.socket.expectNothing(m === d ? 300 : 0, "member_joined");

    const a2 = uniqueUser("a2");
    const second = await mustJoin(worker, "general", asIn("acme", a2));
    assert.deepEqual(ids(second.joined.members), [a1, a2].sort());
    assert.equal((await a.socket.next("member_joined", 3000)).member.id, a2);
    await d.socket.expectNothing(300, "member_joined");
    await b.socket.expectNothing(0, "member_joined");
  });

  test("a signal to a member of another space's same channel is unknown_peer and never delivered", async () => {
    const d1 = uniqueUser("d1");
    const a1 = uniqueUser("a1");
    const d = await mustJoin(worker, "general", asIn("default", d1));
    const a = await mustJoin(worker, "general", asIn("acme", a1));
    a.socket.send({ type: "signal", to: d1, payload: { sdp: "x" } });
    assert.equal((await a.socket.next("error", 3000)).reason, "unknown_peer");
    await d.socket.expectNothing(300, "signal");
  });

  test("/api/channels and the admin listing show each space's members only", async () => {
    const d1 = uniqueUser("d1");
    const a1 = uniqueUser("a1");
    await mustJoin(worker, "general", asIn("default", d1));
    await mustJoin(worker, "general", asIn("acme", a1));
    const settled = async (space, want) => {
      for (let i = 0; i < 100; i++) {
        if (JSON.stringify(await membersIn(space, "general")) === JSON.stringify(want)) break;
        await sleep(20);
      }
      return membersIn(space, "general");
    };
    assert.deepEqual(await settled("default", [d1]), [d1]);
    assert.deepEqual(await settled("acme", [a1]), [a1]);
    assert.deepEqual(await membersIn("beta", "general"), []);
    assert.deepEqual(ids((await adminChannels(worker, "acme")).find((c) => c.id === "general").members), [a1]);
    assert.deepEqual(ids((await adminChannels(worker, "default")).find((c) => c.id === "general").members), [d1]);
  });

  test("each space's lobby gets its own space's updates and never another's", async () => {
    const dl = await recordedLobby(worker, asIn("default", uniqueUser("dl")));
    const al = await recordedLobby(worker, asIn("acme", uniqueUser("al")));
    opened.push(dl.socket, al.socket);
    assert.deepEqual(channelIds(dl.roster.channels), ["general", "gaming", "music"]);
    assert.deepEqual(channelIds(al.roster.channels).sort(), ["general", "lounge"]);
    const d1 = uniqueUser("d1");
    const a1 = uniqueUser("a1");
    const d = await mustJoin(worker, "general", asIn("default", d1));
    const a = await mustJoin(worker, "general", asIn("acme", a1));
    a.socket.send({ type: "state", muted: true, deafened: false });
    await dl.socket.next("channel", 3000, (m) => m.id === "general" && ids(m.members).includes(d1));
    await al.socket.next("channel", 3000, (m) => m.id === "general" && m.members.some((x) => x.id === a1 && x.muted));
    d.socket.send({ type: "leave" });
    await dl.socket.next("channel", 3000, (m) => m.id === "general" && !ids(m.members).includes(d1));
    await sleep(200);
    assert.deepEqual(dl.frames.filter((f) => JSON.stringify(f).includes(a1)), [], "the default lobby saw an acme member");
    assert.deepEqual(al.frames.filter((f) => JSON.stringify(f).includes(d1)), [], "the acme lobby saw a default member");
  });

  test("a channel created or renamed in one space never shows in another's lobby", async () => {
    const dl = await recordedLobby(worker, asIn("default", uniqueUser("dl")));
    const bl = await recordedLobby(worker, asIn("beta", uniqueUser("bl")));
    const al = await recordedLobby(worker, asIn("acme", uniqueUser("al")));
    opened.push(dl.socket, bl.socket, al.socket);
    await putChannel(worker, "acme", "stage", { name: "Acme Stage" });
    await putChannel(worker, "acme", "lounge", { name: "Acme Lounge Renamed" });
    // acme's own lobby hears of both (so the others' silence below means something).
    await rosterWhere(al.socket, (chs) => chs.some((c) => c.id === "stage") && chs.some((c) => c.name === "Acme Lounge Renamed"));
    await sleep(200);
    for (const [who, lobby] of [["default", dl], ["beta", bl]]) {
      const seen = lobby.frames.filter((f) => /Acme|stage|lounge/.test(JSON.stringify(f)));
      assert.deepEqual(seen, [], `the ${who} lobby saw acme's channels`);
    }
    assert.equal((await admin(worker, "DELETE", channelsPath("acme", "stage"))).status, 204);
  });

  test("the same sub may sit in one channel of each space at once", async () => {
    const user = { id: uniqueUser("both"), name: "Both" };
    const inDefault = await mustJoin(worker, "general", asIn("default", user));
    const inAcme = await mustJoin(worker, "lounge", asIn("acme", user));
    const inBeta = await mustJoin(worker, "general", asIn("beta", user));
    for (const m of [inDefault, inAcme, inBeta]) {
      await m.socket.expectNothing(m === inDefault ? 300 : 0, "error");
      assert.equal(m.socket.isClosed, false, "a join in another space closed this socket");
    }
    assert.deepEqual(await membersIn("default", "general"), [user.id]);
    assert.deepEqual(await membersIn("acme", "lounge"), [user.id]);
    assert.deepEqual(await membersIn("beta", "general"), [user.id]);
  });

  test("one channel per user holds within a space: a move in one space closes that space's socket only", async () => {
    const user = uniqueUser("mover");
    const inDefault = await mustJoin(worker, "general", asIn("default", user));
    const first = await mustJoin(worker, "general", asIn("acme", user));
    const moved = await mustJoin(worker, "lounge", asIn("acme", user));
    assert.equal(moved.joined.channel_id, "lounge");
    assert.equal((await first.socket.next("error", 3000)).reason, "moved");
    assert.equal(await first.socket.closed(), 4010);
    await inDefault.socket.expectNothing(300, "error");
    assert.equal(inDefault.socket.isClosed, false, "a move in acme closed the default space's socket");
    // And the other way round: a move in the default space leaves acme's socket alone.
    const movedHome = await mustJoin(worker, "gaming", asIn("default", user));
    assert.equal(movedHome.joined.channel_id, "gaming");
    assert.equal(await inDefault.socket.closed(), 4010);
    await moved.socket.expectNothing(300, "error");
    assert.equal(moved.socket.isClosed, false, "a move in the default space closed acme's socket");
  });

  test("a double join within a space is refused, across spaces it is not", async () => {
    const user = uniqueUser("double");
    const first = await mustJoin(worker, "general", asIn("acme", user));
    const again = await worker.upgrade("/api/channels/general/voice", { token: asIn("acme", user) });
    assert.equal((await again.socket.first()).reason, "already_in_channel");
    assert.equal(await again.socket.closed(), 4009);
    const other = await mustJoin(worker, "general", asIn("beta", user));
    assert.equal(other.joined.channel_id, "general");
    assert.equal(first.socket.isClosed, false);
  });

  test("deleting a channel in one space leaves the same id in another alone", async () => {
    await putChannel(worker, "gamma", "general", { name: "Gamma General" });
    const inBeta = await mustJoin(worker, "general", asIn("beta", uniqueUser("b")));
    const inDefault = await mustJoin(worker, "general", asIn("default", uniqueUser("d")));
    const inGamma = await mustJoin(worker, "general", asIn("gamma", uniqueUser("g")));
    assert.equal((await admin(worker, "DELETE", channelsPath("gamma", "general"))).status, 204);
    assert.equal((await inGamma.socket.next("error", 3000)).reason, "channel_deleted");
    assert.equal(await inGamma.socket.closed(), 4004);
    for (const m of [inBeta, inDefault]) {
      await m.socket.expectNothing(m === inBeta ? 300 : 0, "error");
      assert.equal(m.socket.isClosed, false);
    }
    assert.deepEqual(channelIds(await adminChannels(worker, "beta")), ["general"]);
  });
});
