// A deploy, as the pages see it: two members in a call, the runtime (`wrangler dev`, every
// process of it) killed with SIGKILL and started again on the same persisted state, and both
// pages resume at once with `resume=1&media=kept` (contract v1.1). The room finds them in storage
// (their sockets vanished without a close, so the grace period runs from its waking up) and
// gives both places back: `joined.resumed`, `member_joined` with `media_kept`, never a
// `member_left`, and the rosters list exactly the two. RECONNECT_GRACE_SECS=4, so the test also
// sees the grace deadline pass without an eviction.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { tokenWith } from "../lib/tokens.mjs";
import { since, sleep } from "../lib/wait.mjs";
import { getJson, joinAt, lobbyAt, openSocket } from "../lib/client.mjs";
import { WranglerDev } from "../lib/wrangler.mjs";
import { RosterView, rosterMap } from "../lib/fixtures.mjs";

const SECRET = `resume-${randomBytes(16).toString("hex")}`;
const GRACE_MS = 4000;
/** How late an alarm or a message may be on a busy 2-core machine. */
const SLACK_MS = 3000;
const EXPECTED = { general: ["alice", "bob"], gaming: [], music: [] };

describe("a call survives a runtime restart (resume=1&media=kept)", () => {
  let dev;
  const token = (id) => tokenWith(SECRET, id);
  const before_ = {};
  const after_ = {};
  let lobby;
  let restartedAt;

  const channelsNow = async () => {
    const r = await getJson(dev.url, "/api/channels", token("observer"));
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
  /** A resuming page's socket, with its own roster view; its first message (`joined` or an error). */
  const resume = async (id) => {
    let view;
    const path = `/api/channels/general/voice?session=${before_[id].joined.session_id}&resume=1&media=kept`;
    const r = await openSocket(dev.url, path, { token: token(id), pingMs: 1000, watch: (s) => (view = new RosterView(s)) });
    assert.equal(r.status, 101, JSON.stringify(r.body));
    return { socket: r.socket, view, first: await r.socket.first(5000) };
  };

  before(async () => {
    dev = new WranglerDev({ vars: { AUTH_SECRET: SECRET, RECONNECT_GRACE_SECS: GRACE_MS / 1000 } });
    await dev.start();
    for (const id of ["alice", "bob"]) before_[id] = await joinAt(dev.url, "general", token(id), { pingMs: 1000 });
    before_.alice.socket.send({ type: "state", muted: true, deafened: false });
    await before_.bob.socket.next("member_updated", 3000);
    assert.deepEqual(await channelsWhenEqual({ ...EXPECTED }, 3000), EXPECTED);
  });

  after(async () => {
    for (const s of [...Object.values(before_), ...Object.values(after_)]) s.socket?.close();
    lobby?.socket.close();
    await dev?.dispose();
  });

  test("after a SIGKILL and a restart both pages resume within the grace and get their places back", async (t) => {
    const closes = Object.values(before_).map((m) => m.socket.closed(SLACK_MS + 2000));
    await dev.kill("SIGKILL");
    assert.deepEqual(await Promise.all(closes), [1006, 1006]);
    const start = performance.now();
    await dev.start();
    restartedAt = performance.now();
    t.diagnostic(`wrangler dev answered again after ${since(start).toFixed(0)} ms`);
    // Both at once, as pages whose sockets closed at the same moment do.
    const [alice, bob] = await Promise.all([resume("alice"), resume("bob")]);
    Object.assign(after_, { alice, bob });
    t.diagnostic(`both joined again ${since(restartedAt).toFixed(0)} ms after the runtime answered`);
    for (const [id, back] of Object.entries(after_)) {
      assert.equal(back.first.type, "joined", `${id}: ${JSON.stringify(back.first)}`);
      assert.equal(back.first.resumed, true, `${id} took its entry back`);
      assert.equal(back.first.grace_secs, GRACE_MS / 1000);
      assert.deepEqual(back.first.members.map((m) => m.id).sort(), ["alice", "bob"], `${id}'s joined.members`);
      assert.equal(back.first.members.find((m) => m.id === "alice").muted, true, "alice's mute survived the restart");
    }
  });

  test("the one who came back first sees the other's member_joined with resumed and media_kept", async () => {
    // The room decides one join after the other: the second page's socket did not exist yet when
    // the first took its place back, so only the first hears of the second.
    const announcements = await Promise.all(
      [["alice", "bob"], ["bob", "alice"]].map(async ([me, other]) => {
        try {
          return { me, msg: await after_[me].socket.next("member_joined", 1500, (m) => m.member.id === other) };
        } catch {
          return { me, msg: null };
        }
      }),
    );
    const heard = announcements.filter((a) => a.msg !== null);
    assert.equal(heard.length, 1, `exactly one announcement: ${JSON.stringify(announcements)}`);
    assert.equal(heard[0].msg.resumed, true);
    assert.equal(heard[0].msg.media_kept, true);
  });

  test("nobody receives member_left, also after the grace deadline, and the rosters list exactly the two", async (t) => {
    lobby = await lobbyAt(dev.url, token("watcher"), { pingMs: 1000 });
    // The entries' grace ran from the room's waking up after the restart; let it pass.
    const waitMs = Math.max(0, restartedAt + GRACE_MS + SLACK_MS - performance.now());
    await Promise.all(Object.values(after_).map((m) => m.socket.expectNothing(waitMs, "member_left")));
    for (const [id, m] of Object.entries(after_)) {
      assert.equal(m.socket.isClosed, false, `${id}'s socket is open`);
      assert.deepEqual(m.view.anomalies, [], `${id}'s roster`);
      assert.deepEqual(m.view.ids(), ["alice", "bob"], `${id}'s roster`);
    }
    assert.deepEqual(rosterMap(lobby.roster.channels), EXPECTED, "the lobby's roster on connect");
    await lobby.socket.expectNothing(0, "channel");
    const seen = await channelsWhenEqual(EXPECTED, 1000);
    t.diagnostic(`/api/channels ${(since(restartedAt) / 1000).toFixed(1)} s after the restart: ${JSON.stringify(seen)}`);
    assert.deepEqual(seen, EXPECTED, "GET /api/channels");
  });
});
