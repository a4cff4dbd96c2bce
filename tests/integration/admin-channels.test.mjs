// Channels at runtime through the admin API (CONTRACT.md v1.1 "Spaces, channels at runtime,
// claims", "Admin API", "v1.1 details"): create, rename and delete, answered with the bare
// Channel `{id, name, max_members, temporary, members}`; the configured channels of the default
// space refused with 409 `configured_channel`; `max_members` enforced (4013); a delete closes its
// members with `channel_deleted` + 4004; the lobby re-sends `roster` on every change of the set
// of channels or of a name.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { assertError } from "../lib/assertions.mjs";
import {
  ADMIN_KEY, admin, adminChannels, channelIds, channelsPath, channelsWith, joinWith, lobbyWith, membersWhen, mustJoin, putChannel, rosterWhere,
} from "../lib/admin.mjs";
import { readJson } from "../lib/client.mjs";
import { ids } from "../lib/fixtures.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";

const CONFIGURED = [
  { id: "general", name: "General" },
  { id: "gaming", name: "Gaming" },
  { id: "music", name: "Music" },
];
const MAX_MEMBERS = 16; // wrangler.toml's default

describe("admin channel routes", () => {
  let worker;
  let used = 0;
  const fresh = (prefix = "room") => `${prefix}-${used++}`;
  const oldToken = () => tokenFor(uniqueUser());

  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("PUT creates a channel and answers the bare Channel with the defaults", async () => {
    const id = fresh();
    const res = await admin(worker, "PUT", channelsPath("default", id), { name: "Lounge" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await readJson(res), { id, name: "Lounge", max_members: MAX_MEMBERS, temporary: false, members: [] });
  });

  test("PUT with every field answers them back, and GET lists the same channel", async () => {
    const id = fresh();
    const channel = await putChannel(worker, "fields", id, { name: "Stage", max_members: 3, temporary: true });
    assert.deepEqual(channel, { id, name: "Stage", max_members: 3, temporary: true, members: [] });
    assert.deepEqual((await adminChannels(worker, "fields")).find((c) => c.id === id), channel);
  });

  test("GET of the default space lists the configured channels as Channel objects", async () => {
    const listed = await adminChannels(worker, "default");
    for (const c of CONFIGURED) {
      assert.deepEqual(listed.find((x) => x.id === c.id), { ...c, max_members: MAX_MEMBERS, temporary: false, members: [] });
    }
  });

  test("GET of a space with no channels answers 200 with an empty list", async () => {
    const res = await admin(worker, "GET", channelsPath("nobody-here"));
    assert.equal(res.status, 200);
    assert.deepEqual(await readJson(res), { channels: [] });
  });

  test("a channel created in the default space reaches the lobby, /api/channels and old tokens", async () => {
    const id = fresh();
    const { socket: lobby } = await lobbyWith(worker, oldToken());
    await putChannel(worker, "default", id, { name: "Created" });
    const roster = await rosterWhere(lobby, (chs) => chs.some((c) => c.id === id));
    const entry = { id, name: "Created", max_members: MAX_MEMBERS, temporary: false, members: [] };
    assert.deepEqual(roster.channels.find((c) => c.id === id), entry);
    for (const c of CONFIGURED) assert.ok(channelIds(roster.channels).includes(c.id), `roster lost ${c.id}`);
    const listed = await channelsWith(worker, oldToken());
    assert.deepEqual(listed.channels.find((c) => c.id === id), entry);
    const { joined } = await mustJoin(worker, id, oldToken());
    assert.equal(joined.channel_id, id);
  });

  test("PUT and DELETE of a configured channel of the default space are 409 configured_channel", async () => {
    for (const { id, name } of CONFIGURED) {
      await assertError(await admin(worker, "PUT", channelsPath("default", id), { name: "Renamed" }), 409, "configured_channel");
      await assertError(await admin(worker, "PUT", channelsPath("default", id), { name, max_members: 2 }), 409, "configured_channel");
      await assertError(await admin(worker, "DELETE", channelsPath("default", id)), 409, "configured_channel");
    }
    const listed = await adminChannels(worker, "default");
    for (const c of CONFIGURED) {
      assert.deepEqual(listed.find((x) => x.id === c.id), { ...c, max_members: MAX_MEMBERS, temporary: false, members: [] });
    }
    const { joined } = await mustJoin(worker, "general", oldToken());
    assert.equal(joined.channel_id, "general");
  });

  test("the configured ids are free in another space", async () => {
    const channel = await putChannel(worker, "acme", "general", { name: "Acme General" });
    assert.equal(channel.name, "Acme General");
    assert.equal((await admin(worker, "DELETE", channelsPath("acme", "general"))).status, 204);
    assert.equal((await adminChannels(worker, "default")).find((c) => c.id === "general").name, "General");
  });

  test("a rename keeps the members, answers them, and the lobby re-sends roster with the new name", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Before" });
    const a = uniqueUser("a");
    const { socket: member } = await mustJoin(worker, id, tokenFor({ id: a, name: "Ann" }));
    await membersWhen(worker, "default", id, 1);
    const { socket: lobby } = await lobbyWith(worker, oldToken());
    const renamed = await putChannel(worker, "default", id, { name: "After" });
    assert.equal(renamed.name, "After");
    assert.deepEqual(ids(renamed.members), [a]);
    const roster = await rosterWhere(lobby, (chs) => chs.find((c) => c.id === id)?.name === "After");
    assert.deepEqual(ids(roster.channels.find((c) => c.id === id).members), [a]);
    const listed = (await channelsWith(worker, oldToken())).channels.find((c) => c.id === id);
    assert.equal(listed.name, "After");
    await member.expectNothing(300, "error");
    assert.equal(member.isClosed, false, "a rename closed the member's socket");
  });

  test("a delete closes its members with channel_deleted and 4004, and the lobby re-sends roster", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Doomed" });
    const a = await mustJoin(worker, id, oldToken());
    const b = await mustJoin(worker, id, oldToken());
    await a.socket.next("member_joined");
    const bystander = await mustJoin(worker, "music", oldToken());
    const { socket: lobby } = await lobbyWith(worker, oldToken());
    assert.ok(channelIds((await lobbyWith(worker, oldToken())).roster.channels).includes(id));

    const res = await admin(worker, "DELETE", channelsPath("default", id));
    assert.equal(res.status, 204);
    assert.equal(await res.text(), "");
    for (const m of [a, b]) {
      const err = await m.socket.next("error", 3000);
      assert.equal(err.reason, "channel_deleted");
      assert.equal(await m.socket.closed(), 4004);
    }
    const roster = await rosterWhere(lobby, (chs) => !chs.some((c) => c.id === id));
    assert.deepEqual(channelIds(roster.channels).filter((x) => CONFIGURED.some((c) => c.id === x)), CONFIGURED.map((c) => c.id));
    assert.ok(!channelIds((await channelsWith(worker, oldToken())).channels).includes(id));
    assert.ok(!channelIds(await adminChannels(worker, "default")).includes(id));
    await bystander.socket.expectNothing(300);
    assert.equal(bystander.socket.isClosed, false, "a member of another channel was closed");
  });

  test("a deleted channel is unknown: joins 404, a second DELETE 404, a re-creation is empty", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Gone" });
    const member = await mustJoin(worker, id, oldToken());
    assert.equal((await admin(worker, "DELETE", channelsPath("default", id))).status, 204);
    assert.equal(await member.socket.closed(), 4004);
    const r = await joinWith(worker, id, oldToken());
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(r.body.reason, "unknown_channel");
    await assertError(await admin(worker, "DELETE", channelsPath("default", id)), 404, "unknown_channel");
    const again = await putChannel(worker, "default", id, { name: "Again" });
    assert.deepEqual(again.members, [], "a re-created channel lists a member of the deleted one");
  });

  test("a member in grace when its channel is deleted cannot resume into a re-created channel of that id", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Graceful" });
    const user = uniqueUser("grace");
    const member = await mustJoin(worker, id, tokenFor(user));
    await membersWhen(worker, "default", id, 1);
    member.socket.terminate(); // dropped: its entry stays for RECONNECT_GRACE_SECS (15 s)
    await sleep(150);
    assert.equal((await admin(worker, "DELETE", channelsPath("default", id))).status, 204);
    const again = await putChannel(worker, "default", id, { name: "Graceful again" });
    assert.deepEqual(again.members, [], "the re-created channel lists the deleted one's member");
    const path = `/api/channels/${id}/voice?session=${encodeURIComponent(member.joined.session_id)}&resume=1`;
    const resumed = await worker.upgrade(path, { token: tokenFor(user) });
    assert.equal(resumed.status, 101, JSON.stringify(resumed.body));
    const first = await resumed.socket.first(3000);
    assert.equal(first.reason, "resume_failed", `a deleted channel's entry was taken back: ${JSON.stringify(first)}`);
    assert.equal(await resumed.socket.closed(), 4012);
    assert.deepEqual((await adminChannels(worker, "default")).find((c) => c.id === id).members, []);
  });

  test("DELETE of a channel that never existed is 404 unknown_channel", async () => {
    await assertError(await admin(worker, "DELETE", channelsPath("default", "never-was")), 404, "unknown_channel");
    await assertError(await admin(worker, "DELETE", channelsPath("empty-space", "never-was")), 404, "unknown_channel");
  });

  test("an empty channel's delete re-sends roster too", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Empty" });
    const { socket: lobby, roster } = await lobbyWith(worker, oldToken());
    assert.ok(channelIds(roster.channels).includes(id));
    assert.equal((await admin(worker, "DELETE", channelsPath("default", id))).status, 204);
    await rosterWhere(lobby, (chs) => !chs.some((c) => c.id === id));
  });

  test("max_members is enforced: a join past it gets channel_full and close 4013", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Pair", max_members: 2 });
    const first = await mustJoin(worker, id, oldToken());
    const second = await mustJoin(worker, id, oldToken());
    await first.socket.next("member_joined");
    const third = await worker.upgrade(`/api/channels/${id}/voice`, { token: oldToken() });
    assert.equal(third.status, 101);
    const err = await third.socket.first();
    assert.equal(err.type, "error");
    assert.equal(err.reason, "channel_full");
    assert.equal(await third.socket.closed(), 4013);
    await first.socket.expectNothing(300, "member_joined");
    await second.socket.expectNothing(0, "member_joined");
    assert.equal((await adminChannels(worker, "default")).find((c) => c.id === id).members.length, 2);
  });

  test("lowering max_members below the count keeps who is in and refuses new joins; raising it lets them in", async () => {
    const id = fresh();
    await putChannel(worker, "default", id, { name: "Shrink", max_members: 3 });
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await mustJoin(worker, id, oldToken()));
    assert.equal((await membersWhen(worker, "default", id, 3)).length, 3);
    const lowered = await putChannel(worker, "default", id, { name: "Shrink", max_members: 1 });
    assert.equal(lowered.max_members, 1);
    assert.equal(lowered.members.length, 3);
    for (const m of members) {
      await m.socket.expectNothing(0, "error");
      assert.equal(m.socket.isClosed, false, "lowering max_members closed a member");
    }
    const refused = await worker.upgrade(`/api/channels/${id}/voice`, { token: oldToken() });
    assert.equal((await refused.socket.first()).reason, "channel_full");
    assert.equal(await refused.socket.closed(), 4013);
    members[0].socket.send({ type: "leave" });
    assert.equal(await members[0].socket.closed(), 1000);
    const stillFull = await worker.upgrade(`/api/channels/${id}/voice`, { token: oldToken() });
    assert.equal((await stillFull.socket.first()).reason, "channel_full", "2 members of max 1 must still refuse");
    assert.equal(await stillFull.socket.closed(), 4013);
    await putChannel(worker, "default", id, { name: "Shrink", max_members: 5 });
    const { joined } = await mustJoin(worker, id, oldToken());
    assert.equal(joined.members.length, 3);
  });

  test("a runtime channel in another space is administered there and not in the default space", async () => {
    const id = fresh();
    await putChannel(worker, "other", id, { name: "Elsewhere" });
    assert.deepEqual(channelIds(await adminChannels(worker, "other")), [id]);
    assert.ok(!channelIds(await adminChannels(worker, "default")).includes(id));
    await assertError(await admin(worker, "DELETE", channelsPath("default", id)), 404, "unknown_channel");
    assert.equal((await admin(worker, "DELETE", channelsPath("other", id))).status, 204);
    assert.deepEqual(await adminChannels(worker, "other"), []);
  });
});
