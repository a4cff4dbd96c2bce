// POST /api/admin/tokens (CONTRACT.md v1.1 "Admin API"): a host app without AUTH_SECRET gets a
// token `{"token", "expires_at"}` signed with AUTH_SECRET (HS256), carrying the claims it asked
// for; `ttl_secs` 60..=604800 (default 6 h); `sub` 1–128 characters; a bad name → 400
// `invalid_name`; a bad space, role, channels list, ttl or sub → 400 `bad_request`. The token
// works on the routes of its space.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { ADMIN_KEY, channelIds, channelsWith, joinWith, mintByAdmin, mustJoin, putChannel } from "../lib/admin.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { SECRET, now, uniqueUser, verifyToken } from "../lib/tokens.mjs";

/** Mints through the admin API; `{token, expires_at, claims}`, throwing unless 200. */
async function mint(worker, body) {
  const res = await mintByAdmin(worker, body);
  const text = await res.text();
  assert.equal(res.status, 200, `POST /api/admin/tokens ${JSON.stringify(body)}: ${res.status} ${text}`);
  const answer = JSON.parse(text);
  return { ...answer, claims: verifyToken(answer.token, SECRET).claims };
}

/** Asserts a 400 with `reason` for `body`, and that no token came back. */
async function refused(worker, body, reason) {
  const res = await mintByAdmin(worker, body);
  const text = await res.text();
  assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.status} ${text}`);
  const answer = JSON.parse(text);
  assert.equal(answer.reason, reason, `${JSON.stringify(body).slice(0, 200)}: ${text}`);
  assert.equal(typeof answer.error, "string");
  assert.equal(answer.token, undefined);
}

describe("POST /api/admin/tokens", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY } });
    await putChannel(worker, "acme", "lounge", { name: "Lounge" });
    await putChannel(worker, "acme", "stage", { name: "Stage" });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("the answer is {token, expires_at}; the token verifies with AUTH_SECRET and carries sub and name", async () => {
    const sub = uniqueUser("host");
    const before = now();
    const res = await mintByAdmin(worker, { sub, name: "Host User" });
    assert.equal(res.status, 200);
    const answer = await readJson(res);
    assert.deepEqual(Object.keys(answer).sort(), ["expires_at", "token"]);
    const { header, claims } = verifyToken(answer.token, SECRET);
    assert.equal(header.alg, "HS256");
    assert.equal(claims.sub, sub);
    assert.equal(claims.name, "Host User");
    assert.ok(Number.isInteger(answer.expires_at), `expires_at ${answer.expires_at} is not an integer`);
    assert.equal(claims.exp, answer.expires_at);
    if (claims.iat !== undefined) assert.ok(Math.abs(claims.iat - before) <= 60, `iat ${claims.iat}`);
  });

  test("the default lifetime is 6 hours", async () => {
    const before = now();
    const { expires_at } = await mint(worker, { sub: uniqueUser(), name: "Six" });
    assert.ok(Math.abs(expires_at - (before + 21600)) <= 60, `expires_at ${expires_at} is not now + 21600 (${before + 21600})`);
  });

  test("ttl_secs sets the lifetime, 60 and 604800 included", async () => {
    for (const ttl of [60, 3600, 604800]) {
      const before = now();
      const { expires_at, claims } = await mint(worker, { sub: uniqueUser(), name: "Ttl", ttl_secs: ttl });
      assert.ok(Math.abs(expires_at - (before + ttl)) <= 60, `ttl ${ttl}: expires_at ${expires_at}, now ${before}`);
      assert.equal(claims.exp, expires_at);
    }
  });

  test("space, role and channels come back as claims exactly as asked", async () => {
    const { claims } = await mint(worker, { sub: uniqueUser(), name: "Mod", space: "acme", role: "moderator", channels: ["lounge", "stage"] });
    assert.equal(claims.space, "acme");
    assert.equal(claims.role, "moderator");
    assert.deepEqual(claims.channels, ["lounge", "stage"]);
    const member = await mint(worker, { sub: uniqueUser(), name: "Mem", role: "member", channels: [] });
    assert.equal(member.claims.role, "member");
    assert.deepEqual(member.claims.channels, []);
  });

  test("without space, role or channels the token is a default-space member of every channel", async () => {
    const { claims, token } = await mint(worker, { sub: uniqueUser(), name: "Plain" });
    assert.equal(claims.space ?? "default", "default");
    assert.equal(claims.role ?? "member", "member");
    assert.equal(claims.channels, undefined, "an absent channels claim means every channel; a list would narrow it");
    assert.deepEqual(channelIds((await channelsWith(worker, token)).channels), ["general", "gaming", "music"]);
    const first = await mustJoin(worker, "general", token);
    assert.equal(first.joined.channel_id, "general");
    const second = await mustJoin(worker, "music", token);
    assert.equal(second.joined.channel_id, "music");
    assert.equal(await first.socket.closed(), 4010, "one channel per user: the move to music must close general");
  });

  test("a minted space token sees and joins its space's channels and nothing else", async () => {
    const sub = uniqueUser("acme");
    const { token } = await mint(worker, { sub, name: "Acme", space: "acme" });
    assert.deepEqual(channelIds((await channelsWith(worker, token)).channels).sort(), ["lounge", "stage"]);
    const { joined } = await mustJoin(worker, "lounge", token);
    assert.equal(joined.user_id, sub);
    const r = await joinWith(worker, "general", token);
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(r.body.reason, "unknown_channel");
  });

  test("a minted channels claim is enforced: an excluded channel is 403 forbidden_channel", async () => {
    const { token } = await mint(worker, { sub: uniqueUser(), name: "Narrow", space: "acme", channels: ["lounge"] });
    assert.deepEqual(channelIds((await channelsWith(worker, token)).channels), ["lounge"]);
    const r = await joinWith(worker, "stage", token);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.reason, "forbidden_channel");
  });

  test("a 128-character sub is accepted; an empty, 129-character or non-string sub is 400 bad_request", async () => {
    assert.equal((await mint(worker, { sub: "u".repeat(128), name: "Long" })).claims.sub, "u".repeat(128));
    for (const sub of ["", "u".repeat(129), 42, null]) await refused(worker, { sub, name: "Sub" }, "bad_request");
    await refused(worker, { name: "No sub" }, "bad_request");
  });

  test("a bad name is 400 invalid_name", async () => {
    for (const name of ["", "   ", "n".repeat(33), "Al\u0007ice", "Ali\u200Bce"]) {
      await refused(worker, { sub: uniqueUser(), name }, "invalid_name");
    }
  });

  test("the name is trimmed, as every name is", async () => {
    assert.equal((await mint(worker, { sub: uniqueUser(), name: "  Bob \t" })).claims.name, "Bob");
  });

  test("a missing or non-string name is 400", async () => {
    for (const body of [{ sub: uniqueUser() }, { sub: uniqueUser(), name: 7 }]) {
      const res = await mintByAdmin(worker, body);
      const text = await res.text();
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${text}`);
      assert.ok(["bad_request", "invalid_name"].includes(JSON.parse(text).reason), text);
    }
  });

  test("a bad space is 400 bad_request", async () => {
    for (const space of ["Acme", "ac me", "ac.me", "", "a".repeat(65), 7, ["acme"]]) {
      await refused(worker, { sub: uniqueUser(), name: "S", space }, "bad_request");
    }
  });

  test("a bad role is 400 bad_request", async () => {
    for (const role of ["admin", "Moderator", "", 1, true]) {
      await refused(worker, { sub: uniqueUser(), name: "R", role }, "bad_request");
    }
  });

  test("a bad channels list is 400 bad_request; 100 valid ids are accepted", async () => {
    const many = (n) => Array.from({ length: n }, (_, i) => `c${i}`);
    for (const channels of ["lounge", ["Lounge"], ["ok", "no way"], [7], [""], ["a".repeat(65)], many(101), { lounge: true }]) {
      await refused(worker, { sub: uniqueUser(), name: "C", channels }, "bad_request");
    }
    assert.deepEqual((await mint(worker, { sub: uniqueUser(), name: "C", channels: many(100) })).claims.channels, many(100));
  });

  test("a token that would be over 4 KiB (which every route refuses) is never minted: 400", async () => {
    const long = Array.from({ length: 100 }, (_, i) => `${"x".repeat(60)}${String(i).padStart(4, "0")}`);
    await refused(worker, { sub: uniqueUser(), name: "L", channels: long }, "bad_request");
  });

  test("ttl_secs outside 60..=604800 or not an integer is 400 bad_request", async () => {
    for (const ttl_secs of [0, 59, 604801, -60, 3600.5, "3600", true]) {
      await refused(worker, { sub: uniqueUser(), name: "T", ttl_secs }, "bad_request");
    }
  });
});
