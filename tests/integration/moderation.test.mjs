// The member routes' gate (CONTRACT.md v1.1 "Admin API" member routes): who may mute, kick and
// move (the admin key, a moderator token of that space), who may not (another space's moderator
// or a member: 403 `forbidden`; a bad token: 401; no ADMIN_API_KEY: the key's own use 503), a
// user in no channel of the space (404 `not_found`) and bad bodies (400). What each action does
// to presence is in moderation-mute and moderation-kick.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { assertErrorBody } from "../lib/assertions.mjs";
import { ADMIN_KEY, joinWith, listed, moderate, mustModerate, runtimeChannel, startModerationWorker, tokenIn } from "../lib/moderation.mjs";
import { mintToken, now, tokenFor, uniqueUser } from "../lib/tokens.mjs";


/** Each route's harmless body and what its target's socket gets from it. */
const ACTIONS = {
  mute: { body: () => ({ muted: true }) },
  kick: { body: () => ({}) },
  move: { body: (to) => ({ channel_id: to }) },
};

/** Bearers that must not pass, with the status and reason each must get. */
function refusedBearers(space) {
  const user = uniqueUser("nomod");
  return [
    ["another space's moderator", tokenIn("elsewhere", user, "moderator"), 403, "forbidden"],
    ["a member of the space", tokenIn(space, user, "member"), 403, "forbidden"],
    ["a token without claims (a default-space member)", tokenFor(user), 403, "forbidden"],
    ["a moderator token signed with another secret", mintToken({ sub: user, name: "M", space, role: "moderator", exp: now() + 3600 }, { secret: "not-the-secret-0123456789abcdef0123" }), 401, "unauthorized"],
    ["an expired moderator token", mintToken({ sub: user, name: "M", space, role: "moderator", iat: now() - 7200, exp: now() - 3600 }), 401, "unauthorized"],
    ["a wrong admin key", `${ADMIN_KEY}x`, 401, "unauthorized"],
    ["no Authorization header", null, 401, "unauthorized"],
  ];
}

describe("member routes: who may", () => {
  let worker;
  let used = 0;
  const fresh = () => `g${used++}`;

  before(async () => {
    worker = await startModerationWorker("g");
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  /** A member `target` joined to a fresh channel and known to the lobby. */
  async function seated(channel = fresh()) {
    const id = uniqueUser("target");
    const token = tokenFor(id);
    const { socket } = await joinWith(worker, channel, token);
    await listed(worker, token, channel, id);
    return { id, token, socket, channel };
  }

  /** Asserts the target felt `action` (and consumes what it got). */
  async function felt(target, action, to) {
    if (action === "mute") {
      const update = await target.socket.next("member_updated", 2000, (m) => m.member.id === target.id);
      assert.equal(update.member.server_muted, true, JSON.stringify(update));
      await mustModerate(worker, "default", target.id, "mute", { muted: false });
      await target.socket.next("member_updated", 2000, (m) => m.member.id === target.id && !m.member.server_muted);
      return target;
    }
    if (action === "kick") {
      assert.equal((await target.socket.next("error", 2000)).reason, "kicked");
      assert.equal(await target.socket.closed(), 4003);
      const { socket } = await joinWith(worker, target.channel, target.token);
      await listed(worker, target.token, target.channel, target.id);
      return { ...target, socket };
    }
    assert.deepEqual(await target.socket.next("move", 2000), { type: "move", channel_id: to });
    assert.equal(await target.socket.closed(), 4010);
    const { socket } = await joinWith(worker, to, target.token);
    await listed(worker, target.token, to, target.id);
    return { ...target, socket, channel: to };
  }

  for (const [action, { body }] of Object.entries(ACTIONS)) {
    test(`${action}: refused to other bearers (403/401, nothing happens), done for a moderator of the space and for the admin key (200)`, async () => {
      let target = await seated();
      for (const [who, bearer, status, reason] of refusedBearers("default")) {
        const r = await moderate(worker, "default", target.id, action, body(fresh()), { auth: bearer });
        assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
        assertErrorBody(r.body, reason);
      }
      await target.socket.expectNothing(300);
      await listed(worker, target.token, target.channel, target.id);

      const moderator = tokenIn("default", uniqueUser("mod"), "moderator");
      let to = fresh();
      const byModerator = await moderate(worker, "default", target.id, action, body(to), { auth: moderator });
      assert.equal(byModerator.status, 200, JSON.stringify(byModerator.body));
      assert.equal(byModerator.body.member.id, target.id, JSON.stringify(byModerator.body));
      target = await felt(target, action, to);

      to = fresh();
      const byAdmin = await moderate(worker, "default", target.id, action, body(to));
      assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
      assert.equal(byAdmin.body.member.id, target.id, JSON.stringify(byAdmin.body));
      await felt(target, action, to);
    });
  }

  test("a moderator of a runtime space moderates there; the default space's moderator and the space's members may not", async () => {
    const { space, channel } = await runtimeChannel(worker, `acme${used++}`);
    const id = uniqueUser("acme-member");
    const token = tokenIn(space, id);
    const { socket } = await joinWith(worker, channel, token);
    await listed(worker, token, channel, id);
    for (const bearer of [tokenIn("default", uniqueUser("mod"), "moderator"), tokenIn(space, uniqueUser("peer"))]) {
      const r = await moderate(worker, space, id, "mute", { muted: true }, { auth: bearer });
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assertErrorBody(r.body, "forbidden");
    }
    await socket.expectNothing(200);
    const member = await mustModerate(worker, space, id, "mute", { muted: true }, { auth: tokenIn(space, uniqueUser("mod"), "moderator") });
    assert.equal(member.server_muted, true, JSON.stringify(member));
    assert.equal((await socket.next("member_updated", 2000)).member.server_muted, true);
  });

  test("a user in no channel of the space is 404 not_found, on every route and for the admin key and a moderator", async () => {
    // Also someone who sits in another space's channel under the same id.
    const { space: elsewhere, channel } = await runtimeChannel(worker, `else${used++}`);
    const away = uniqueUser("away");
    await joinWith(worker, channel, tokenIn(elsewhere, away));
    await listed(worker, tokenIn(elsewhere, away), channel, away);
    const moderator = tokenIn("default", uniqueUser("mod"), "moderator");
    for (const user of [uniqueUser("ghost"), away]) {
      for (const [action, { body }] of Object.entries(ACTIONS)) {
        for (const auth of [ADMIN_KEY, moderator]) {
          const r = await moderate(worker, "default", user, action, body("g0"), { auth });
          assert.equal(r.status, 404, `${action} of ${user}: ${JSON.stringify(r.body)}`);
          assertErrorBody(r.body, "not_found");
        }
      }
    }
  });

  test("a member who left is not_found at once the lobby knows", async () => {
    const target = await seated();
    target.socket.send({ type: "leave" });
    assert.equal(await target.socket.closed(), 1000);
    await worker.membersWhen(target.channel, []);
    const r = await moderate(worker, "default", target.id, "mute", { muted: true });
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assertErrorBody(r.body, "not_found");
  });

  test("a user id with spaces, slashes and non-ASCII characters is found through its percent-encoded path", async () => {
    const id = `Zoë / ${uniqueUser("ünïcode")} ?#%`;
    const token = tokenFor({ id, name: "Zoe" });
    const channel = fresh();
    const { socket } = await joinWith(worker, channel, token);
    await listed(worker, token, channel, id);
    const member = await mustModerate(worker, "default", id, "mute", { muted: true });
    assert.equal(member.id, id);
    assert.equal((await socket.next("member_updated", 2000)).member.server_muted, true);
  });

  test("bad bodies are 400 bad_request and change nothing", async () => {
    const target = await seated();
    const to = fresh();
    const cases = [
      ["mute", {}],
      ["mute", { muted: "yes" }],
      ["mute", { muted: 1 }],
      ["mute", { muted: null }],
      ["mute", "{\"muted\": tru"],
      ["mute", "[]"],
      ["mute", undefined],
      ["kick", { ban_secs: -1 }],
      ["kick", { ban_secs: 1.5 }],
      ["kick", { ban_secs: "60" }],
      ["kick", { ban_secs: 365 * 24 * 3600 + 1 }],
      ["kick", "not json"],
      ["move", {}],
      ["move", { channel_id: "Not An Id" }],
      ["move", { channel_id: "" }],
      ["move", { channel_id: 7 }],
      ["move", undefined],
    ];
    for (const [action, body] of cases) {
      const r = await moderate(worker, "default", target.id, action, body);
      assert.equal(r.status, 400, `${action} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
      assertErrorBody(r.body, "bad_request");
    }
    for (const action of ["mute", "kick", "move"]) {
      const body = { mute: { muted: true }, kick: {}, move: { channel_id: to } }[action];
      const r = await moderate(worker, "default", target.id, action, JSON.stringify(body), { contentType: "text/plain" });
      assert.equal(r.status, 400, `${action} as text/plain: ${r.status} ${JSON.stringify(r.body)}`);
      assertErrorBody(r.body, "bad_request");
    }
    await target.socket.expectNothing(300);
    const still = await listed(worker, target.token, target.channel, target.id);
    assert.equal(still.find((c) => c.id === target.channel).members.find((m) => m.id === target.id).server_muted, false);
  });

  test("a kick may come with no body and no content type (200)", async () => {
    const target = await seated();
    const r = await moderate(worker, "default", target.id, "kick", undefined);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.member.id, target.id);
    assert.equal((await target.socket.next("error", 2000)).reason, "kicked");
    assert.equal(await target.socket.closed(), 4003);
  });
});

describe("member routes without ADMIN_API_KEY", () => {
  let worker;

  before(async () => {
    worker = await startModerationWorker("g", { ADMIN_API_KEY: undefined });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("a moderator token still works; a non-JWT key gets 503 not_configured; members and bad tokens are still refused", async () => {
    const id = uniqueUser("target");
    const token = tokenFor(id);
    const { socket } = await joinWith(worker, "g1", token);
    await listed(worker, token, "g1", id);
    const key = await moderate(worker, "default", id, "mute", { muted: true }, { auth: ADMIN_KEY });
    assert.equal(key.status, 503, JSON.stringify(key.body));
    assertErrorBody(key.body, "not_configured");
    for (const [who, bearer, status, reason] of refusedBearers("default").filter(([, b]) => b !== null && b.includes("."))) {
      const r = await moderate(worker, "default", id, "mute", { muted: true }, { auth: bearer });
      assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
      assertErrorBody(r.body, reason);
    }
    await socket.expectNothing(200);
    const member = await mustModerate(worker, "default", id, "mute", { muted: true }, { auth: tokenIn("default", uniqueUser("mod"), "moderator") });
    assert.equal(member.server_muted, true);
    assert.equal((await socket.next("member_updated", 2000)).member.server_muted, true);
  });
});
