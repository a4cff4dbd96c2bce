// Runtime channels and spaces kept in storage, not in memory (issue 16: "stored durably"): after
// a space's Lobby or a room of another space is forced out of memory (hibernation, as workerd
// does after ~10 s idle), the channels, their names and limits, a temporary channel's expiry,
// and a room's space are all still what they were.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { assertRefused } from "../lib/assertions.mjs";
import {
  ADMIN_KEY, admin, adminChannels, channelIds, channelsPath, channelsWith, joinWith, membersWhen, mustJoin, putChannel, recordedLobby, rosterWhere,
} from "../lib/admin.mjs";
import { ids } from "../lib/fixtures.mjs";
import { WORKER_NAME } from "../lib/config.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";

const asIn = (space, user = uniqueUser()) => tokenFor(user, space === "default" ? {} : { space });

/**
 * Evicts the running Durable Object of `className` named exactly `name` (no fallback to other
 * objects, unlike `worker.hibernate`); throws when no object of that name is running.
 */
async function evictByName(worker, className, name) {
  for (let attempt = 1; ; attempt++) {
    try {
      await worker.mf.unsafeEvictDurableObject(WORKER_NAME, className, { name, webSockets: "hibernate" });
      return;
    } catch (e) {
      // A request still in flight (a room telling the lobby about a change) holds it: retry.
      if (/active references/.test(String(e?.message)) && attempt < 20) {
        await sleep(100);
        continue;
      }
      throw e;
    }
  }
}

describe("spaces after hibernation", () => {
  let worker;
  const opened = [];
  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY, TEMP_CHANNEL_IDLE_SECS: "1" } });
  });
  afterEach(() => {
    worker.closeSockets();
    for (const s of opened.splice(0)) s.close();
  });
  after(async () => {
    await worker?.dispose();
  });

  test("runtime channels of a space survive its lobby's hibernation", async () => {
    await putChannel(worker, "keep", "alpha", { name: "Alpha", max_members: 1 });
    await putChannel(worker, "keep", "beta", { name: "Beta", temporary: false });
    await putChannel(worker, "keep", "alpha", { name: "Alpha Renamed", max_members: 1 });
    await worker.hibernate("Lobby", "space:keep");
    assert.deepEqual(
      (await adminChannels(worker, "keep")).map((c) => [c.id, c.name, c.max_members, c.temporary]).sort(),
      [["alpha", "Alpha Renamed", 1, false], ["beta", "Beta", 16, false]],
    );
    assert.deepEqual(channelIds((await channelsWith(worker, asIn("keep"))).channels).sort(), ["alpha", "beta"]);
    await mustJoin(worker, "alpha", asIn("keep"));
    const second = await worker.upgrade("/api/channels/alpha/voice", { token: asIn("keep") });
    assert.equal((await second.socket.first()).reason, "channel_full", "max_members was lost with the lobby's memory");
    assert.equal(await second.socket.closed(), 4013);
  });

  test("a runtime channel of the default space survives the default lobby's hibernation", async () => {
    await putChannel(worker, "default", "kept", { name: "Kept" });
    await worker.hibernate("Lobby", "lobby");
    assert.ok(channelIds((await channelsWith(worker, asIn("default"))).channels).includes("kept"));
    const { joined } = await mustJoin(worker, "kept", asIn("default"));
    assert.equal(joined.channel_id, "kept");
  });

  test("a deleted channel stays deleted after the lobby's hibernation", async () => {
    await putChannel(worker, "gone", "x", { name: "X" });
    assert.equal((await admin(worker, "DELETE", channelsPath("gone", "x"))).status, 204);
    await worker.hibernate("Lobby", "space:gone").catch(() => {}); // may already be out of memory
    assert.deepEqual(await adminChannels(worker, "gone"), []);
    assertRefused(await joinWith(worker, "x", asIn("gone")), 404, "unknown_channel");
  });

  test("a temporary channel still expires when its lobby hibernated in between", async () => {
    await putChannel(worker, "fleet", "stays", { name: "Stays" });
    await putChannel(worker, "fleet", "brief", { name: "Brief", temporary: true });
    await worker.hibernate("Lobby", "space:fleet");
    const deadline = Date.now() + 10_000;
    let listed = channelIds(await adminChannels(worker, "fleet"));
    while (listed.includes("brief") && Date.now() < deadline) {
      await sleep(100);
      listed = channelIds(await adminChannels(worker, "fleet"));
    }
    assert.deepEqual(listed, ["stays"], "the temporary channel outlived its idle time after a hibernation");
  });

  test("a room of another space, hibernated with a member, still reports to its own space's lobby", async () => {
    await putChannel(worker, "acme", "general", { name: "Acme General" });
    const a = uniqueUser("a");
    const first = await mustJoin(worker, "general", asIn("acme", a));
    assert.deepEqual(ids(await membersWhen(worker, "acme", "general", 1)), [a]);
    const acmeLobby = await recordedLobby(worker, asIn("acme"));
    const defaultLobby = await recordedLobby(worker, asIn("default"));
    opened.push(acmeLobby.socket, defaultLobby.socket);
    await worker.hibernate("VoiceRoom", "acme/general");

    const b = uniqueUser("b");
    const second = await mustJoin(worker, "general", asIn("acme", b));
    assert.deepEqual(ids(second.joined.members), [a, b].sort());
    assert.equal((await first.socket.next("member_joined", 3000)).member.id, b);
    await acmeLobby.socket.next("channel", 3000, (m) => m.id === "general" && ids(m.members).includes(b));
    await sleep(200);
    assert.deepEqual(defaultLobby.frames.filter((f) => JSON.stringify(f).includes(b) || JSON.stringify(f).includes(a)), [],
      "after hibernation the acme room reported to the default lobby");
    assert.deepEqual(ids((await channelsWith(worker, asIn("default"))).channels.find((c) => c.id === "general").members), []);
  });

  test("a delete reaches members of a hibernated room: channel_deleted and 4004", async () => {
    await putChannel(worker, "sleepy", "room", { name: "Room" });
    const member = await mustJoin(worker, "room", asIn("sleepy"));
    await membersWhen(worker, "sleepy", "room", 1);
    const { socket: lobby } = await recordedLobby(worker, asIn("sleepy"));
    opened.push(lobby);
    await worker.hibernate("VoiceRoom", "sleepy/room");
    assert.equal((await admin(worker, "DELETE", channelsPath("sleepy", "room"))).status, 204);
    assert.equal((await member.socket.next("error", 3000)).reason, "channel_deleted");
    assert.equal(await member.socket.closed(), 4004);
    await rosterWhere(lobby, (chs) => !chs.some((c) => c.id === "room"));
  });

  test("max_members lowered while the room is hibernated holds on the next join", async () => {
    await putChannel(worker, "cap", "room", { name: "Room", max_members: 5 });
    await mustJoin(worker, "room", asIn("cap"));
    await membersWhen(worker, "cap", "room", 1);
    await worker.hibernate("VoiceRoom", "cap/room");
    await putChannel(worker, "cap", "room", { name: "Room", max_members: 1 });
    const refused = await worker.upgrade("/api/channels/room/voice", { token: asIn("cap") });
    assert.equal(refused.status, 101);
    assert.equal((await refused.socket.first()).reason, "channel_full");
    assert.equal(await refused.socket.closed(), 4013);
  });

  test("Durable Object names: the default space keeps \"lobby\" and channel ids, others use \"space:<s>\" and \"<s>/<c>\"", async () => {
    await putChannel(worker, "named", "general", { name: "Named General" });
    const { socket: defaultLobby } = await recordedLobby(worker, asIn("default"));
    const { socket: namedLobby } = await recordedLobby(worker, asIn("named"));
    opened.push(defaultLobby, namedLobby);
    await mustJoin(worker, "music", asIn("default"));
    await mustJoin(worker, "general", asIn("named"));
    await membersWhen(worker, "named", "general", 1);
    for (const [className, name] of [["VoiceRoom", "music"], ["VoiceRoom", "named/general"], ["Lobby", "lobby"], ["Lobby", "space:named"]]) {
      await assert.doesNotReject(evictByName(worker, className, name), `no running ${className} named "${name}"`);
    }
    for (const [className, name] of [["VoiceRoom", "named:general"], ["Lobby", "named"], ["Lobby", "space:default"]]) {
      await assert.rejects(evictByName(worker, className, name), /not currently running/, `a ${className} named "${name}" runs`);
    }
  });
});
