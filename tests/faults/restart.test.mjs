// The runtime dies mid-call: `wrangler dev` (wrangler, workerd and all) is killed with SIGKILL
// while members are in channels and a lobby is watching, then started again on the same
// persisted state. Clients must notice at once, rejoining must work, and once the grace period is
// over nothing of the old sessions may stay listed. Short timings: RECONNECT_GRACE_SECS=1,
// HEARTBEAT_TIMEOUT_SECS=2; clients ping every 500 ms.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { tokenWith } from "../lib/tokens.mjs";
import { since, sleep } from "../lib/wait.mjs";
import { getJson, joinAt, lobbyAt } from "../lib/client.mjs";
import { WranglerDev } from "../lib/wrangler.mjs";
import { RosterView, rosterMap } from "../lib/fixtures.mjs";

const SECRET = `restart-${randomBytes(16).toString("hex")}`;
const GRACE_MS = 1000;
const HEARTBEAT_MS = 2000;
/** How late a close or an alarm may be on a busy 2-core machine. */
const SLACK_MS = 3000;

describe("the runtime restarts mid-call", () => {
  let dev;
  const token = (id) => tokenWith(SECRET, id);
  const tokensUsed = [];
  const members = {};
  let lobby;
  let restartedAt;
  let alice2;

  const channelsNow = async () => {
    const t = token("observer");
    tokensUsed.push(t);
    const r = await getJson(dev.url, "/api/channels", t);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return rosterMap(r.body.channels);
  };
  /** The rosters once they equal `expected` (asked every `everyMs`), or the last seen at `deadline`. */
  const channelsWhenEqual = async (expected, deadline, everyMs) => {
    for (;;) {
      const seen = await channelsNow();
      if (JSON.stringify(seen) === JSON.stringify(expected) || performance.now() >= deadline) return seen;
      await sleep(everyMs);
    }
  };

  before(async () => {
    dev = new WranglerDev({
      vars: { AUTH_SECRET: SECRET, RECONNECT_GRACE_SECS: GRACE_MS / 1000, HEARTBEAT_TIMEOUT_SECS: HEARTBEAT_MS / 1000 },
    });
    await dev.start();
    for (const [id, channel] of [["alice", "general"], ["bob", "general"], ["carol", "gaming"]]) {
      const t = token(id);
      tokensUsed.push(t);
      members[id] = { channel, ...(await joinAt(dev.url, channel, t, { pingMs: 500 })) };
    }
    lobby = (await lobbyAt(dev.url, token("lobby-watcher"), { pingMs: 500 })).socket;
    // The rooms tell the lobby just after each join (changes within 100 ms folded into one).
    const expected = { general: ["alice", "bob"], gaming: ["carol"], music: [] };
    assert.deepEqual(await channelsWhenEqual(expected, performance.now() + 2000, 20), expected);
  });

  after(async () => {
    for (const m of Object.values(members)) m.socket.close();
    lobby?.close();
    alice2?.socket.close();
    members.bob2?.socket.close();
    await dev?.dispose();
  });

  test("every client sees its socket close within 3 s of the runtime being killed", async (t) => {
    const start = performance.now();
    const closes = [...Object.values(members).map((m) => m.socket), lobby].map(async (s) => {
      const code = await s.closed(SLACK_MS + 2000);
      return { code, ms: since(start) };
    });
    await dev.kill("SIGKILL");
    const seen = await Promise.all(closes);
    const slowest = Math.max(...seen.map((s) => s.ms));
    t.diagnostic(`4 sockets closed (codes ${seen.map((s) => s.code).join(",")}) within ${slowest.toFixed(0)} ms of SIGKILL`);
    for (const { code } of seen) assert.equal(code, 1006, "no close frame can come from a dead runtime");
    assert.ok(slowest < 3000, `slowest close after ${slowest} ms`);
  });

  test("after a restart on the same state, members can join again, with or without their old session id", async (t) => {
    const start = performance.now();
    await dev.start();
    restartedAt = performance.now();
    t.diagnostic(`wrangler dev ready again after ${since(start).toFixed(0)} ms`);
    let view;
    alice2 = await joinAt(dev.url, "general", token("alice"), { pingMs: 500, watch: (s) => (view = new RosterView(s)) });
    alice2.view = view;
    assert.equal(alice2.joined.user_id, "alice");
    assert.notEqual(alice2.joined.session_id, members.alice.joined.session_id, "a new socket gets a new session id");
    // The same tab presents the session id it had before the crash: it must not be refused.
    members.bob2 = await joinAt(dev.url, "general", token("bob"), { session: members.bob.joined.session_id, pingMs: 500 });
    assert.ok(members.bob2.joined.members.some((m) => m.id === "alice"));
    const announced = await alice2.socket.next("member_joined", 3000, (m) => m.member.id === "bob");
    assert.equal(announced.member.id, "bob");
  });

  // Failed before c497306: a room that lost its sockets in the crash found nothing to evict when
  // its alarm fired and never told the lobby, so carol stayed listed in gaming for good.
  test("once the grace period after a restart is over, no ghost of the old sessions is listed", async (t) => {
    assert.ok(restartedAt, "the runtime restarted");
    // carol never came back: her old session must be gone everywhere once the alarm had its chance.
    const expected = { general: ["alice", "bob"], gaming: [], music: [] };
    const seen = await channelsWhenEqual(expected, restartedAt + HEARTBEAT_MS + GRACE_MS + SLACK_MS, 250);
    t.diagnostic(`/api/channels ${((performance.now() - restartedAt) / 1000).toFixed(1)} s after the restart: ${JSON.stringify(seen)}`);
    assert.deepEqual(seen, expected, "GET /api/channels");
    const fresh = await lobbyAt(dev.url, token("late-watcher"));
    fresh.socket.close();
    assert.deepEqual(rosterMap(fresh.roster.channels), expected, "a fresh lobby's roster");
    assert.deepEqual(alice2.view.ids(), expected.general, "alice's view of general");
    assert.deepEqual(alice2.view.anomalies, []);
  });

  test("wrangler's output never shows AUTH_SECRET or a token", () => {
    assert.ok(dev.output.includes("Ready on"), "the output was captured");
    assert.ok(!dev.output.includes(SECRET), "AUTH_SECRET appears in wrangler's output");
    for (const t of tokensUsed) assert.ok(!dev.output.includes(t), "a token appears in wrangler's output");
  });
});
