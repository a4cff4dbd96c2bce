// The self-hosted server restarted on the same data directory (an upgrade, `docker restart`, a
// crash): scripts/serve.sh killed — SIGTERM as `docker stop` sends (workerd then waits for its
// sockets to drain, and is killed after 3 s like Docker does after its grace period), or SIGKILL
// as a crash — and started again with the same `--data`. What must survive is in the Durable
// Objects' SQLite files: the rosters (the Lobby) and the members in their grace period (the
// rooms). Two members resume with `resume=1&media=kept` and get their places back with their
// mute; a third never comes back and is evicted once heartbeat + grace are over (the room's alarm
// is in storage too); nobody gets `member_left` for the two. RECONNECT_GRACE_SECS=4,
// HEARTBEAT_TIMEOUT_SECS=2.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getJson, joinAt, lobbyAt, openSocket } from "../lib/client.mjs";
import { RosterView, rosterMap } from "../lib/fixtures.mjs";
import { SelfHosted } from "../lib/serve.mjs";
import { tokenWith } from "../lib/tokens.mjs";
import { since, sleep } from "../lib/wait.mjs";

const SECRET = `selfhost-${randomBytes(16).toString("hex")}`;
const GRACE_MS = 4000;
/** A socket that died in the crash is noticed at the room's heartbeat alarm (in storage too). */
const HEARTBEAT_MS = 2000;
/** How late an alarm or a message may be on a busy 2-core machine. */
const SLACK_MS = 3000;
const BEFORE = { general: ["alice", "bob"], gaming: ["carol"], music: [] };
const AFTER = { general: ["alice", "bob"], gaming: [], music: [] };

/** The `.sqlite` files of one Durable Object namespace under the data directory (metadata aside). */
const objectFiles = (dataDir, className) => {
  try {
    return readdirSync(join(dataDir, "do", `cromulent-voice-${className}`)).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  } catch {
    return [];
  }
};

for (const signal of ["SIGKILL", "SIGTERM"]) {
  describe(`the self-hosted server restarts on the same data directory (${signal})`, () => {
    let server;
    const token = (id) => tokenWith(SECRET, id);
    const before_ = {};
    const after_ = {};
    let lobby;
    let restartedAt;

    const channelsNow = async () => {
      const r = await getJson(server.url, "/api/channels", token("observer"));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return rosterMap(r.body.channels);
    };
    const channelsWhenEqual = async (expected, timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const seen = await channelsNow();
        if (JSON.stringify(seen) === JSON.stringify(expected) || performance.now() >= deadline) return seen;
        await sleep(50);
      }
    };
    const resume = async (id) => {
      let view;
      const path = `/api/channels/general/voice?session=${before_[id].joined.session_id}&resume=1&media=kept`;
      const r = await openSocket(server.url, path, { token: token(id), pingMs: 1000, watch: (s) => (view = new RosterView(s)) });
      assert.equal(r.status, 101, JSON.stringify(r.body));
      return { socket: r.socket, view, first: await r.socket.first(5000) };
    };

    before(async () => {
      server = new SelfHosted({ vars: {
        AUTH_SECRET: SECRET, RECONNECT_GRACE_SECS: String(GRACE_MS / 1000), HEARTBEAT_TIMEOUT_SECS: String(HEARTBEAT_MS / 1000),
      } });
      await server.start();
      for (const [id, channel] of [["alice", "general"], ["bob", "general"], ["carol", "gaming"]]) {
        before_[id] = await joinAt(server.url, channel, token(id), { pingMs: 1000 });
      }
      before_.alice.socket.send({ type: "state", muted: true, deafened: false });
      await before_.bob.socket.next("member_updated", 3000);
      assert.deepEqual(await channelsWhenEqual(BEFORE, 3000), BEFORE);
    });

    after(async () => {
      for (const m of [...Object.values(before_), ...Object.values(after_)]) m.socket?.close();
      lobby?.socket.close();
      await server?.dispose();
    });

    test("the Durable Objects keep their SQLite files in <data>/do", () => {
      assert.ok(objectFiles(server.dataDir, "VoiceRoom").length >= 2, `rooms: ${objectFiles(server.dataDir, "VoiceRoom")}`);
      assert.ok(objectFiles(server.dataDir, "Lobby").length >= 1, `lobby: ${objectFiles(server.dataDir, "Lobby")}`);
    });

    test(`after ${signal} and a start on the same data directory, the rosters and the grace entries are still there`, async (t) => {
      const closes = Object.values(before_).map((m) => m.socket.closed(SLACK_MS + 5000));
      await server.kill(signal);
      assert.deepEqual(await Promise.all(closes), [1006, 1006, 1006]);
      const start = performance.now();
      await server.start();
      restartedAt = performance.now();
      t.diagnostic(`serve.sh answered again after ${since(start).toFixed(0)} ms`);
      // Nobody has come back yet: everyone is in the grace period, listed as before.
      assert.deepEqual(await channelsNow(), BEFORE, "GET /api/channels right after the restart");
    });

    test("two members resume within the grace period and get their places and mute back", async () => {
      const [alice, bob] = await Promise.all([resume("alice"), resume("bob")]);
      Object.assign(after_, { alice, bob });
      for (const [id, back] of Object.entries(after_)) {
        assert.equal(back.first.type, "joined", `${id}: ${JSON.stringify(back.first)}`);
        assert.equal(back.first.resumed, true, `${id} took its entry back`);
        assert.deepEqual(back.first.members.map((m) => m.id).sort(), ["alice", "bob"], `${id}'s joined.members`);
        assert.equal(back.first.members.find((m) => m.id === "alice").muted, true, "alice's mute survived the restart");
      }
    });

    test("the member who never came back is evicted after heartbeat + grace; the two stay, nobody hears member_left", async (t) => {
      const waitMs = Math.max(0, restartedAt + HEARTBEAT_MS + GRACE_MS + SLACK_MS - performance.now());
      await Promise.all(Object.values(after_).map((m) => m.socket.expectNothing(waitMs, "member_left")));
      const seen = await channelsWhenEqual(AFTER, SLACK_MS);
      t.diagnostic(`/api/channels ${(since(restartedAt) / 1000).toFixed(1)} s after the restart: ${JSON.stringify(seen)}`);
      assert.deepEqual(seen, AFTER, "GET /api/channels");
      lobby = await lobbyAt(server.url, token("watcher"), { pingMs: 1000 });
      assert.deepEqual(rosterMap(lobby.roster.channels), AFTER, "a fresh lobby's roster");
      for (const [id, m] of Object.entries(after_)) {
        assert.equal(m.socket.isClosed, false, `${id}'s socket is open`);
        assert.deepEqual(m.view.anomalies, [], `${id}'s roster`);
        assert.deepEqual(m.view.ids(), ["alice", "bob"], `${id}'s roster`);
      }
    });
  });
}
