// Configuration from [vars]: the channel list, the member limit and the STUN servers.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { ids } from "../lib/fixtures.mjs";
import { assertRefused } from "../lib/assertions.mjs";

const urlsOf = (servers) => servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));

describe("custom channels, MAX_MEMBERS=2 and two STUN servers", () => {
  let worker;
  before(async () => {
    worker = await startWorker({
      vars: {
        VOICE_CHANNELS: "a:Alpha,b:Beta",
        MAX_MEMBERS: "2",
        STUN_URLS: "stun:one.example.net:3478, stun:two.example.net:19302",
      },
    });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("channels lists exactly the configured channels, in order", async () => {
    assert.deepEqual(await worker.channelsNow(), {
      channels: [
        { id: "a", name: "Alpha", max_members: 2, temporary: false, members: [] },
        { id: "b", name: "Beta", max_members: 2, temporary: false, members: [] },
      ],
    });
  });

  test("a default channel that is not configured is unknown_channel", async () => {
    const r = await worker.upgrade("/api/channels/general/voice", { token: tokenFor(uniqueUser()) });
    assertRefused(r, 404, "unknown_channel");
  });

  test("the lobby roster lists exactly the configured channels", async () => {
    const { roster } = await worker.openLobby();
    assert.deepEqual(
      roster.channels.map((c) => [c.id, c.name]),
      [
        ["a", "Alpha"],
        ["b", "Beta"],
      ],
    );
  });

  test("ice-servers lists every STUN_URLS entry", async () => {
    const res = await worker.get("/api/ice-servers", tokenFor(uniqueUser()));
    assert.equal(res.status, 200);
    const body = await readJson(res);
    assert.deepEqual(urlsOf(body.ice_servers).sort(), ["stun:one.example.net:3478", "stun:two.example.net:19302"]);
    assert.equal(body.expires_at, null);
  });

  test("joined carries the configured STUN servers", async () => {
    const { joined } = await worker.join("b", uniqueUser());
    assert.deepEqual(urlsOf(joined.ice_servers).sort(), ["stun:one.example.net:3478", "stun:two.example.net:19302"]);
  });

  test("a third member of a full channel gets channel_full and close 4013", async () => {
    const first = await worker.join("a", uniqueUser("one"));
    const second = await worker.join("a", uniqueUser("two"));
    await first.socket.next("member_joined");
    const third = await worker.openVoice("a", uniqueUser("three"));
    const err = await third.first();
    assert.equal(err.type, "error");
    assert.equal(err.reason, "channel_full");
    assert.equal(await third.closed(), 4013);
    await first.socket.expectNothing(300);
    await second.socket.expectNothing(0);
    assert.equal((await worker.channelsNow()).channels.find((c) => c.id === "a").members.length, 2);
  });

  test("a place freed by a leave can be taken", async () => {
    const first = await worker.join("a", uniqueUser("one"));
    const second = await worker.join("a", uniqueUser("two"));
    first.socket.send({ type: "leave" });
    await second.socket.next("member_left");
    const third = await worker.join("a", uniqueUser("three"));
    assert.equal(third.joined.members.length, 2);
  });

  test("the same tab resuming in a full channel is not refused", async () => {
    const a = uniqueUser("one");
    const first = await worker.join("a", a);
    const second = await worker.join("a", uniqueUser("two"));
    const resumed = await worker.join("a", a, { session: first.joined.session_id });
    assert.equal(await first.socket.closed(), 4011);
    assert.deepEqual(ids(resumed.joined.members), ids(second.joined.members));
  });
});

describe("empty STUN_URLS", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { STUN_URLS: "" } });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("STUN is never empty: the default STUN server is served", async () => {
    const body = await readJson(await worker.get("/api/ice-servers", tokenFor(uniqueUser())));
    assert.deepEqual(urlsOf(body.ice_servers), ["stun:stun.cloudflare.com:3478"]);
  });
});
