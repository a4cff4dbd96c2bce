// Resume (contract v1.1, "a call survives its signalling socket"): a `resume=1` join takes an
// entry back (in grace, or the same tab's live one) or is refused with `resume_failed` and 4012,
// never a fresh entry; `joined.resumed` and `joined.grace_secs`; `member_joined.media_kept` for a
// page that kept its peer connections (`media=kept`). Grace is 2 s here (1 s for the races with
// the grace alarm), the heartbeat the default 30 s.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { ids, membersOf, pair } from "../lib/fixtures.mjs";

const CHANNELS = Array.from({ length: 40 }, (_, i) => `r${i}:Resume ${i}`).join(",");

/** The voice path of a resuming page: `?session=…&resume=1`, plus `&media=kept` when `kept`. */
function resumePath(channel, session, { kept = false, resume = true } = {}) {
  const query = new URLSearchParams();
  if (session != null) query.set("session", session);
  if (resume) query.set("resume", "1");
  if (kept) query.set("media", "kept");
  return `/api/channels/${channel}/voice?${query}`;
}

/** Opens a resuming socket for `user` and reads its first message (`joined` or an `error`). */
async function resume(worker, channel, user, session, opts) {
  const r = await worker.upgrade(resumePath(channel, session, opts), { token: tokenFor(user) });
  assert.equal(r.status, 101, `resume upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { socket: r.socket, first: await r.socket.first(3000) };
}

/** Drops `member`'s socket without a close frame and waits until the room has it in grace. */
async function dropIntoGrace(member) {
  member.socket.terminate();
  // The room sees the cut within milliseconds; until then the entry is live (a resume presenting
  // the session would replace it, which is also a resume, but these tests want the grace path).
  await sleep(150);
}

/** Every queued message of `type` (what arrives within 50 ms of the last one included). */
async function drain(socket, type) {
  const got = [];
  for (;;) {
    try {
      got.push(await socket.next(type, 50));
    } catch {
      return got;
    }
  }
}

async function assertRefused(opened) {
  assert.equal(opened.first.type, "error", JSON.stringify(opened.first));
  assert.equal(opened.first.reason, "resume_failed");
  assert.equal(await opened.socket.closed(), 4012);
}

describe("resume=1 joins", () => {
  const GRACE_SECS = 2;
  let worker;
  let used = 0;
  const freshChannel = () => `r${used++}`;

  before(async () => {
    worker = await startWorker({ vars: { VOICE_CHANNELS: CHANNELS, RECONNECT_GRACE_SECS: String(GRACE_SECS) } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("a plain join says resumed false and the configured grace_secs; others get media_kept false", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    assert.equal(a.joined.resumed, false);
    assert.equal(b.joined.resumed, false);
    assert.equal(a.joined.grace_secs, GRACE_SECS);
    // pair() took b's member_joined off a's queue; look at a third one's announcement.
    const c = await worker.join(channel, uniqueUser("c"));
    const news = await a.socket.next("member_joined");
    assert.equal(news.member.id, c.joined.user_id);
    assert.equal(news.resumed, false);
    assert.equal(news.media_kept, false);
  });

  test("resume=1&media=kept takes back an entry in grace: resumed, state kept, others see media_kept", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.send({ type: "state", muted: true, deafened: true });
    await b.socket.next("member_updated");
    await dropIntoGrace(a);
    const back = await resume(worker, channel, a.id, a.joined.session_id, { kept: true });
    assert.equal(back.first.type, "joined", JSON.stringify(back.first));
    assert.equal(back.first.resumed, true);
    assert.equal(back.first.grace_secs, GRACE_SECS);
    assert.notEqual(back.first.session_id, a.joined.session_id, "a new socket gets a new session id");
    const me = back.first.members.find((m) => m.id === a.id);
    assert.deepEqual([me.muted, me.deafened], [true, true], "mute and deafen are kept");
    const news = await b.socket.next("member_joined");
    assert.equal(news.member.id, a.id);
    assert.equal(news.resumed, true);
    assert.equal(news.media_kept, true);
    assert.equal(news.member.muted, true);
    await b.socket.expectNothing(300, "member_left");
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort());
  });

  test("a resume without media=kept is announced with media_kept false", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    await dropIntoGrace(a);
    const back = await resume(worker, channel, a.id, a.joined.session_id);
    assert.equal(back.first.resumed, true);
    const news = await b.socket.next("member_joined");
    assert.deepEqual([news.resumed, news.media_kept], [true, false]);
  });

  test("an entry in grace is taken back whatever session the resume presents", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    await dropIntoGrace(a);
    const back = await resume(worker, channel, a.id, "AAAAAAAAAAAAAAAAAAAAAA", { kept: true });
    assert.equal(back.first.resumed, true);
    assert.equal((await b.socket.next("member_joined")).media_kept, true);
  });

  test("resume=1 with nothing to take back is refused 4012, and nobody sees a member come or go", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    const lobby = await worker.openLobby();
    const stranger = uniqueUser("s");
    await assertRefused(await resume(worker, channel, stranger, "AAAAAAAAAAAAAAAAAAAAAA", { kept: true }));
    await assertRefused(await resume(worker, channel, stranger, null));
    for (const m of [a, b]) await m.socket.expectNothing(300);
    const updates = await drain(lobby.socket, "channel");
    assert.deepEqual(updates.filter((u) => u.id === channel && ids(u.members).join() !== [a.id, b.id].sort().join()), []);
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort());
  });

  test("resume=1 presenting the live socket's session replaces it (4011) and takes over", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    const back = await resume(worker, channel, a.id, a.joined.session_id, { kept: true });
    assert.equal(back.first.type, "joined", JSON.stringify(back.first));
    assert.equal(back.first.resumed, true);
    assert.equal(await a.socket.closed(), 4011);
    const news = await b.socket.next("member_joined");
    assert.deepEqual([news.member.id, news.resumed, news.media_kept], [a.id, true, true]);
    await b.socket.expectNothing(300, "member_left");
    b.socket.send({ type: "signal", to: a.id, payload: { sdp: "v=0" } });
    assert.equal((await back.socket.next("signal")).from, b.id, "the new socket is the member now");
  });

  test("resume=1 against another tab's live socket is refused 4012 and the live one stays", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    await assertRefused(await resume(worker, channel, a.id, "AAAAAAAAAAAAAAAAAAAAAA", { kept: true }));
    await assertRefused(await resume(worker, channel, a.id, null));
    assert.equal(a.socket.isClosed, false);
    await b.socket.expectNothing(300);
  });

  test("resume=1 after the grace period is refused 4012; a plain join then makes a fresh entry", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.terminate();
    assert.equal((await b.socket.next("member_left", GRACE_SECS * 1000 + 3000)).user_id, a.id);
    await assertRefused(await resume(worker, channel, a.id, a.joined.session_id, { kept: true }));
    await b.socket.expectNothing(300);
    const fresh = await worker.join(channel, a.id);
    assert.equal(fresh.joined.resumed, false);
    assert.deepEqual(
      [(await b.socket.next("member_joined")).resumed, ids(fresh.joined.members)],
      [false, [a.id, b.id].sort()],
    );
  });

  test("a member in grace takes its entry back with resume=1 after the room hibernated", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    await dropIntoGrace(a);
    await worker.hibernateRoom(channel);
    const back = await resume(worker, channel, a.id, a.joined.session_id, { kept: true });
    assert.equal(back.first.resumed, true, JSON.stringify(back.first));
    const news = await b.socket.next("member_joined", 3000);
    assert.deepEqual([news.member.id, news.resumed, news.media_kept], [a.id, true, true]);
    await b.socket.expectNothing(GRACE_SECS * 1000 + 500, "member_left");
  });

  test("media=kept on a plain join that makes a fresh entry is not announced as kept", async () => {
    const channel = freshChannel();
    const [a] = await pair(worker, channel);
    const c = uniqueUser("c");
    const r = await worker.upgrade(resumePath(channel, null, { kept: true, resume: false }), { token: tokenFor(c) });
    assert.equal((await r.socket.first()).resumed, false);
    const news = await a.socket.next("member_joined");
    assert.deepEqual([news.member.id, news.resumed, news.media_kept], [c, false, false]);
  });
});

describe("a resume racing the grace alarm", () => {
  const GRACE_MS = 1000;
  /** How late an alarm may fire on a busy 2-core machine. */
  const SLACK_MS = 3000;
  let worker;
  let used = 0;
  const freshChannel = () => `r${used++}`;

  before(async () => {
    worker = await startWorker({ vars: { VOICE_CHANNELS: CHANNELS, RECONNECT_GRACE_SECS: String(GRACE_MS / 1000) } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("before the deadline the resume wins, and the alarm evicts nobody", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.terminate();
    // Halfway through the grace period, leaving room for a slow upgrade on a busy machine (the
    // spread test below goes right up to the deadline).
    await sleep(GRACE_MS / 2);
    const back = await resume(worker, channel, a.id, a.joined.session_id, { kept: true });
    assert.equal(back.first.resumed, true, JSON.stringify(back.first));
    assert.equal((await b.socket.next("member_joined")).media_kept, true);
    await b.socket.expectNothing(GRACE_MS + 1000, "member_left");
    assert.equal(back.socket.isClosed, false);
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort());
  });

  test("just after the deadline the resume is refused, and member_left stays the last word", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.terminate();
    await b.socket.next("member_left", GRACE_MS + SLACK_MS);
    await assertRefused(await resume(worker, channel, a.id, a.joined.session_id, { kept: true }));
    await b.socket.expectNothing(300);
    assert.deepEqual(await membersOf(worker, channel), [b.id]);
  });

  test("resumes spread around the deadline are each decided one way, consistently", async () => {
    // Ten calls, each drops one member and resumes it 850–1300 ms later, all at once: some land
    // before the alarm, some after. Each must end as exactly one of the two stories.
    const offsets = Array.from({ length: 10 }, (_, i) => 850 + i * 50);
    const calls = await Promise.all(offsets.map(async () => {
      const channel = freshChannel();
      const [a, b] = await pair(worker, channel);
      return { channel, a, b };
    }));
    const outcomes = await Promise.all(calls.map(async ({ channel, a, b }, i) => {
      a.socket.terminate();
      await sleep(offsets[i]);
      const back = await resume(worker, channel, a.id, a.joined.session_id, { kept: true });
      // Long enough for any alarm to have fired and its member_left to have arrived.
      await sleep(GRACE_MS + 1500);
      const seen = b.socket.describeQueue();
      const left = seen.includes('"member_left"');
      const joined = seen.includes('"member_joined"');
      const members = await membersOf(worker, channel);
      if (back.first.type === "joined") {
        assert.equal(back.first.resumed, true);
        assert.ok(joined && !left, `resumed at +${offsets[i]} ms, but b saw: ${seen}`);
        assert.deepEqual(members, [a.id, b.id].sort());
        assert.equal(back.socket.isClosed, false);
        return "resumed";
      }
      assert.equal(back.first.reason, "resume_failed", JSON.stringify(back.first));
      assert.equal(await back.socket.closed(), 4012);
      assert.ok(left && !joined, `refused at +${offsets[i]} ms, but b saw: ${seen}`);
      assert.deepEqual(members, [b.id]);
      return "refused";
    }));
    console.log(`# resume around the deadline: ${offsets.map((o, i) => `+${o} ms ${outcomes[i]}`).join(", ")}`);
  });
});
