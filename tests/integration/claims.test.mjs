// The token claims `space`, `role` and `channels` (CONTRACT.md v1.1 "Spaces, channels at runtime,
// claims", "v1.1 details"): a channel not in the caller's space → 404 `unknown_channel`, one the
// `channels` claim excludes → 403 `forbidden_channel` (checked after Origin 403 and token 401);
// /api/channels and the lobby list only the channels the token may join; a bad claim makes the
// token invalid (401); tokens without the new claims behave as before (default space, every
// channel).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { assertError, assertRefused } from "../lib/assertions.mjs";
import {
  ADMIN_KEY, channelIds, channelsWith, joinWith, lobbyWith, mustJoin, putChannel, recordedLobby,
} from "../lib/admin.mjs";
import { ids } from "../lib/fixtures.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { mintToken, now, tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";

const DEFAULT_IDS = ["general", "gaming", "music", "extra"];

describe("token claims", () => {
  let worker;
  const opened = [];
  const token = (claims = {}, user = uniqueUser()) => tokenFor(user, claims);

  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY, ALLOWED_ORIGINS: "http://host.example" } });
    await putChannel(worker, "default", "extra", { name: "Extra" });
    await putChannel(worker, "acme", "lounge", { name: "Lounge" });
    await putChannel(worker, "acme", "stage", { name: "Stage" });
  });
  afterEach(() => {
    worker.closeSockets();
    for (const s of opened.splice(0)) s.close();
  });
  after(async () => {
    await worker?.dispose();
  });

  const refusedJoin = async (channel, tok, status, reason, opts) => assertRefused(await joinWith(worker, channel, tok, opts), status, reason);

  // --- the voice route ---------------------------------------------------------------------------

  test("a channel the channels claim excludes is 403 forbidden_channel; an allowed one joins", async () => {
    const tok = token({ channels: ["general"] });
    await refusedJoin("gaming", tok, 403, "forbidden_channel");
    await refusedJoin("extra", tok, 403, "forbidden_channel");
    const { joined } = await mustJoin(worker, "general", tok);
    assert.equal(joined.channel_id, "general");
  });

  test("an empty channels claim allows no channel", async () => {
    const tok = token({ channels: [] });
    for (const channel of ["general", "extra"]) await refusedJoin(channel, tok, 403, "forbidden_channel");
    assert.deepEqual((await channelsWith(worker, tok)).channels, []);
    assert.deepEqual((await lobbyWith(worker, tok)).roster.channels, []);
  });

  test("a channel of another space is 404 unknown_channel", async () => {
    await refusedJoin("lounge", token(), 404, "unknown_channel");
    await refusedJoin("general", token({ space: "acme" }), 404, "unknown_channel");
    await refusedJoin("extra", token({ space: "acme" }), 404, "unknown_channel");
    const { joined } = await mustJoin(worker, "lounge", token({ space: "acme" }));
    assert.equal(joined.channel_id, "lounge");
  });

  test("a space with no channels: every channel is 404, the lists are empty", async () => {
    const tok = token({ space: "empty-space" });
    await refusedJoin("general", tok, 404, "unknown_channel");
    assert.deepEqual((await channelsWith(worker, tok)).channels, []);
    assert.deepEqual((await lobbyWith(worker, tok)).roster.channels, []);
  });

  test("not in the space is 404 before the claim's 403", async () => {
    await refusedJoin("gaming", token({ space: "acme", channels: ["lounge"] }), 404, "unknown_channel");
    await refusedJoin("general", token({ space: "acme", channels: ["general"] }), 404, "unknown_channel");
    await refusedJoin("stage", token({ space: "acme", channels: ["lounge"] }), 403, "forbidden_channel");
  });

  test("Origin (403 forbidden_origin) and token (401) are checked before the channel", async () => {
    const narrow = token({ channels: ["general"] });
    await refusedJoin("gaming", narrow, 403, "forbidden_origin", { origin: "http://evil.example" });
    await refusedJoin("lounge", narrow, 403, "forbidden_origin", { origin: "http://evil.example" });
    const forged = mintToken({ sub: "m", name: "M", exp: now() + 3600, space: "acme", channels: ["lounge"] }, { secret: "other" });
    await refusedJoin("stage", forged, 401, "unauthorized");
    await refusedJoin("general", forged, 401, "unauthorized");
  });

  // --- the lists -----------------------------------------------------------------------------------

  test("/api/channels lists only the channels the claim allows", async () => {
    const listed = await channelsWith(worker, token({ channels: ["music", "general", "not-a-channel", "lounge"] }));
    assert.deepEqual(channelIds(listed.channels).sort(), ["general", "music"]);
    const acme = await channelsWith(worker, token({ space: "acme", channels: ["stage"] }));
    assert.deepEqual(acme.channels, [{ id: "stage", name: "Stage", max_members: 16, temporary: false, members: [] }]);
  });

  test("the lobby's roster lists only the allowed channels and no channel frame of another arrives", async () => {
    const { socket: lobby, roster, frames } = await recordedLobby(worker, token({ channels: ["general"] }));
    opened.push(lobby);
    assert.deepEqual(channelIds(roster.channels), ["general"]);
    const { socket: watcher } = await lobbyWith(worker, token());
    const g = uniqueUser("g");
    await mustJoin(worker, "gaming", token({}, g));
    await watcher.next("channel", 3000, (m) => m.id === "gaming" && ids(m.members).includes(g));
    const a = uniqueUser("a");
    await mustJoin(worker, "general", token({}, a));
    await lobby.next("channel", 3000, (m) => m.id === "general" && ids(m.members).includes(a));
    await sleep(200);
    const leaked = frames.filter((f) => (f.type === "channel" && f.id !== "general") || JSON.stringify(f).includes(g));
    assert.deepEqual(leaked, [], "a lobby limited to general got frames of another channel");
  });

  test("a roster re-sent after a change of the channel set is filtered too", async () => {
    const { socket: lobby } = await lobbyWith(worker, token({ space: "resent", channels: ["later"] }));
    await putChannel(worker, "resent", "hidden", { name: "Hidden" });
    await putChannel(worker, "resent", "later", { name: "Later" });
    // Every roster up to the one with "later" (the one for "hidden" too, if it was sent) is filtered.
    for (;;) {
      const roster = await lobby.next("roster", 3000);
      assert.deepEqual(channelIds(roster.channels).filter((id) => id !== "later"), [], JSON.stringify(roster));
      if (channelIds(roster.channels).includes("later")) break;
    }
  });

  // --- invalid claims --------------------------------------------------------------------------------

  const BAD_CLAIMS = [
    { space: "Acme" },
    { space: "" },
    { space: "a".repeat(65) },
    { space: "ac/me" },
    { space: 7 },
    { role: "admin" },
    { role: "" },
    { role: 1 },
    { channels: "general" },
    { channels: [1] },
    { channels: ["Bad Id"] },
    { channels: ["a".repeat(65)] },
    { channels: Array.from({ length: 101 }, (_, i) => `c${i}`) },
    { channels: { general: true } },
  ];

  test("a bad space, role or channels claim makes the token invalid: 401 on every route", async () => {
    for (const claims of BAD_CLAIMS) {
      const tok = token(claims);
      const what = JSON.stringify(claims).slice(0, 80);
      for (const path of ["/api/channels", "/api/ice-servers"]) {
        const res = await worker.get(path, tok);
        const text = await res.text();
        assert.equal(res.status, 401, `${path} with ${what}: ${res.status} ${text}`);
        assert.equal(JSON.parse(text).reason, "unauthorized", `${path} with ${what}: ${text}`);
      }
      const lobby = await worker.upgrade("/api/lobby", { token: tok });
      assert.equal(lobby.status, 401, `lobby with ${what}: ${lobby.status}`);
      const voice = await joinWith(worker, "general", tok);
      assert.equal(voice.status, 401, `voice with ${what}: ${voice.status}`);
    }
  });

  test("100 channel ids and the moderator role are valid claims", async () => {
    const channels = [...Array.from({ length: 99 }, (_, i) => `c${i}`), "general"];
    const tok = token({ role: "moderator", channels });
    assert.deepEqual(channelIds((await channelsWith(worker, tok)).channels), ["general"]);
    const { joined } = await mustJoin(worker, "general", tok);
    assert.equal(joined.channel_id, "general");
    assert.equal((await worker.get("/api/channels", token({ role: "member" }))).status, 200);
  });

  test("a long channels claim (100 ids of 20 characters, a token under 4 KiB) works on the lobby and voice", async () => {
    const channels = [...Array.from({ length: 99 }, (_, i) => `channel-${String(i).padStart(3, "0")}-abcdefgh`), "general"];
    assert.ok(channels.every((id) => id === "general" || id.length === 20));
    const tok = token({ channels });
    assert.ok(tok.length < 4096, `the token is ${tok.length} bytes`);
    assert.deepEqual(channelIds((await channelsWith(worker, tok)).channels), ["general"]);
    const r = await worker.upgrade("/api/lobby", { token: tok });
    assert.equal(r.status, 101, `lobby: ${r.status} ${JSON.stringify(r.body)}`);
    const roster = await r.socket.first(3000);
    assert.equal(roster.type, "roster", JSON.stringify(roster));
    assert.deepEqual(channelIds(roster.channels), ["general"]);
    const a = uniqueUser("a");
    await mustJoin(worker, "general", token({}, a));
    await r.socket.next("channel", 3000, (m) => m.id === "general" && ids(m.members).includes(a));
    const { joined } = await mustJoin(worker, "general", tok);
    assert.equal(joined.channel_id, "general");
  });

  // --- old tokens -------------------------------------------------------------------------------------

  test("an old token (no space, role or channels) sees the default space's channels and joins any of them", async () => {
    const old = token();
    assert.deepEqual(channelIds((await channelsWith(worker, old)).channels).sort(), [...DEFAULT_IDS].sort());
    const { roster } = await lobbyWith(worker, old);
    assert.deepEqual(channelIds(roster.channels).sort(), [...DEFAULT_IDS].sort());
    for (const channel of DEFAULT_IDS) {
      const { joined, socket } = await mustJoin(worker, channel, token());
      assert.equal(joined.channel_id, channel);
      socket.close();
    }
    await refusedJoin("lounge", old, 404, "unknown_channel");
  });

  test("a guest token is a default-space member", async () => {
    const res = await worker.postSession({ name: "Guest" });
    assert.equal(res.status, 200);
    const { token: guest } = await res.json();
    assert.deepEqual(channelIds((await channelsWith(worker, guest)).channels).sort(), [...DEFAULT_IDS].sort());
    assert.equal((await mustJoin(worker, "extra", guest)).joined.channel_id, "extra");
  });

  test("space \"default\" spelled out is the same space as no claim: one channel per user holds across them", async () => {
    const user = uniqueUser("same");
    const first = await mustJoin(worker, "general", token({}, user));
    const second = await mustJoin(worker, "gaming", token({ space: "default", role: "member" }, user));
    assert.equal(second.joined.channel_id, "gaming");
    assert.equal((await first.socket.next("error", 3000)).reason, "moved");
    assert.equal(await first.socket.closed(), 4010);
  });

  test("an old token's /api/channels answer carries the Channel fields", async () => {
    const listed = await channelsWith(worker, token());
    assert.deepEqual(listed.channels.find((c) => c.id === "general"), { id: "general", name: "General", max_members: 16, temporary: false, members: [] });
    await assertError(await worker.get("/api/channels"), 401, "unauthorized");
  });
});
