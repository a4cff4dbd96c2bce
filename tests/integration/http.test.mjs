// The HTTP API: guest sign-in, health, bearer auth on /api routes, channels and ICE servers.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SECRET, mintToken, now, tokenFor, uniqueUser, verifyToken } from "../lib/tokens.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { assertError, assertRefused } from "../lib/assertions.mjs";

describe("guest sign-in and the HTTP API (default configuration)", () => {
  let worker;
  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  // --- POST /api/session ----------------------------------------------------------------------

  test("a guest sign-in returns a token signed with AUTH_SECRET and the user", async () => {
    const res = await worker.postSession({ name: "Alice" });
    assert.equal(res.status, 200);
    const body = await readJson(res);
    assert.equal(typeof body.token, "string");
    assert.equal(body.user.name, "Alice");
    assert.equal(typeof body.user.id, "string");
    assert.ok(body.user.id.length >= 1 && body.user.id.length <= 128, `user id length: ${body.user.id}`);
    const { claims } = verifyToken(body.token, SECRET);
    assert.equal(claims.sub, body.user.id);
    assert.equal(claims.name, "Alice");
  });

  test("a guest token lives seven days", async () => {
    const before = now();
    const { token } = await readJson(await worker.postSession({ name: "Seven" }));
    const { claims } = verifyToken(token, SECRET);
    const week = 7 * 24 * 3600;
    assert.ok(Math.abs(claims.exp - (before + week)) <= 60, `exp ${claims.exp} is not now + 7 days (${before + week})`);
  });

  test("two guest sign-ins get different user ids", async () => {
    const a = await readJson(await worker.postSession({ name: "Same" }));
    const b = await readJson(await worker.postSession({ name: "Same" }));
    assert.notEqual(a.user.id, b.user.id);
  });

  test("a guest token opens the authenticated routes", async () => {
    const { token } = await readJson(await worker.postSession({ name: "Guest" }));
    const res = await worker.get("/api/channels", token);
    assert.equal(res.status, 200, await res.clone().text());
  });

  test("a guest name is trimmed", async () => {
    const body = await readJson(await worker.postSession({ name: "  Bob \t" }));
    assert.equal(body.user.name, "Bob");
    assert.equal(verifyToken(body.token).claims.name, "Bob");
  });

  test("a 32-character name is accepted", async () => {
    const res = await worker.postSession({ name: "n".repeat(32) });
    assert.equal(res.status, 200, await res.clone().text());
  });

  test("a 32-character name of non-ASCII letters is accepted (characters, not bytes)", async () => {
    const name = "é".repeat(32);
    const res = await worker.postSession({ name });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await readJson(res)).user.name, name);
  });

  test("an empty name is refused with invalid_name", async () => {
    await assertError(await worker.postSession({ name: "" }), 400, "invalid_name");
  });

  test("a name of only spaces is refused with invalid_name", async () => {
    await assertError(await worker.postSession({ name: "    " }), 400, "invalid_name");
  });

  test("a 33-character name is refused with invalid_name", async () => {
    await assertError(await worker.postSession({ name: "n".repeat(33) }), 400, "invalid_name");
  });

  test("a name with a control character is refused with invalid_name", async () => {
    await assertError(await worker.postSession({ name: "Al\u0007ice" }), 400, "invalid_name");
    await assertError(await worker.postSession({ name: "Al\nice" }), 400, "invalid_name");
  });

  test("malformed JSON is refused with bad_request", async () => {
    await assertError(await worker.postSession('{"name": "Alice"'), 400, "bad_request");
  });

  test("a body with the wrong content type is refused with bad_request", async () => {
    await assertError(
      await worker.postSession(JSON.stringify({ name: "Alice" }), { contentType: "text/plain" }),
      400,
      "bad_request",
    );
  });

  test("a JSON content type with a charset parameter is accepted", async () => {
    const res = await worker.postSession({ name: "Charset" }, { contentType: "application/json; charset=utf-8" });
    assert.equal(res.status, 200, await res.clone().text());
  });

  test("a huge body is refused with too_large", async () => {
    const body = JSON.stringify({ name: "a".repeat(1024 * 1024) });
    await assertError(await worker.postSession(body), 413, "too_large");
  });

  // --- GET /api/health ------------------------------------------------------------------------

  test("health answers without a token and reports no TURN provider", async () => {
    const res = await worker.get("/api/health");
    assert.equal(res.status, 200);
    const body = await readJson(res);
    assert.equal(body.ok, true);
    assert.equal(body.turn.provider, "none");
    assert.equal(body.turn.status, "ok");
    assert.equal(typeof body.turn.detail, "string");
    // Under miniflare: Cloudflare's runtime; through scripts/serve.sh (CROMULENT_TARGET=workerd):
    // self-hosted on disk. Either way the storage answered.
    const selfHosted = process.env.CROMULENT_TARGET === "workerd";
    assert.equal(body.runtime, selfHosted ? "workerd" : "cloudflare");
    assert.deepEqual(body.storage, { kind: selfHosted ? "disk" : "cloudflare", ok: true });
  });

  test("health does not reveal AUTH_SECRET", async () => {
    const text = await (await worker.get("/api/health")).text();
    assert.ok(!text.includes(SECRET), text);
  });

  // --- bearer auth ----------------------------------------------------------------------------

  for (const path of ["/api/channels", "/api/ice-servers"]) {
    test(`${path} without a token is unauthorized`, async () => {
      await assertError(await worker.get(path), 401, "unauthorized");
    });

    test(`${path} with a malformed Authorization header is unauthorized`, async () => {
      await assertError(await worker.get(path, null, { Authorization: "Bearer not-a-jwt" }), 401, "unauthorized");
      await assertError(await worker.get(path, null, { Authorization: `Basic ${tokenFor("x")}` }), 401, "unauthorized");
    });

    test(`${path} with a token signed by another secret is unauthorized`, async () => {
      const forged = mintToken({ sub: "mallory", name: "Mallory", exp: now() + 3600 }, { secret: "another-secret" });
      await assertError(await worker.get(path, forged), 401, "unauthorized");
    });

    test(`${path} with an alg none token is unauthorized`, async () => {
      const unsigned = mintToken({ sub: "mallory", name: "Mallory", exp: now() + 3600 }, { alg: "none" });
      await assertError(await worker.get(path, unsigned), 401, "unauthorized");
    });

    test(`${path} with an expired token is unauthorized`, async () => {
      const expired = mintToken({ sub: "old", name: "Old", iat: now() - 7200, exp: now() - 120 });
      await assertError(await worker.get(path, expired), 401, "unauthorized");
    });

    test(`${path} with a not-yet-valid token is unauthorized`, async () => {
      const early = mintToken({ sub: "early", name: "Early", nbf: now() + 300, exp: now() + 3600 });
      await assertError(await worker.get(path, early), 401, "unauthorized");
    });
  }

  test("a token signed with HS512 (alg other than HS256) is unauthorized", async () => {
    const hs512 = mintToken({ sub: "h", name: "H", exp: now() + 3600 }, { alg: "HS512" });
    await assertError(await worker.get("/api/channels", hs512), 401, "unauthorized");
  });

  test("a token without exp is unauthorized", async () => {
    const forever = mintToken({ sub: "forever", name: "Forever", iat: now() });
    await assertError(await worker.get("/api/channels", forever), 401, "unauthorized");
  });

  test("a token issued in the future (iat + 5 min) is unauthorized", async () => {
    const future = mintToken({ sub: "future", name: "Future", iat: now() + 300, exp: now() + 3600 });
    await assertError(await worker.get("/api/channels", future), 401, "unauthorized");
  });

  test("nbf and iat within the 60 s leeway are accepted", async () => {
    const skewed = mintToken({ sub: "skew", name: "Skew", iat: now() + 30, nbf: now() + 30, exp: now() + 3600 });
    const res = await worker.get("/api/channels", skewed);
    assert.equal(res.status, 200, await res.clone().text());
  });

  test("a token with an empty or over-long sub is unauthorized", async () => {
    const empty = mintToken({ sub: "", name: "Nobody", exp: now() + 3600 });
    await assertError(await worker.get("/api/channels", empty), 401, "unauthorized");
    const long = mintToken({ sub: "u".repeat(129), name: "Long", exp: now() + 3600 });
    await assertError(await worker.get("/api/channels", long), 401, "unauthorized");
  });

  test("a host-minted token with a 128-character sub is accepted", async () => {
    const res = await worker.get("/api/channels", mintToken({ sub: "u".repeat(128), name: "Host", exp: now() + 3600 }));
    assert.equal(res.status, 200, await res.clone().text());
  });

  // --- channels and ICE servers ---------------------------------------------------------------

  test("channels lists the default channels, empty", async () => {
    const res = await worker.get("/api/channels", tokenFor(uniqueUser()));
    assert.equal(res.status, 200);
    assert.deepEqual(await readJson(res), {
      channels: [
        { id: "general", name: "General", max_members: 16, temporary: false, members: [] },
        { id: "gaming", name: "Gaming", max_members: 16, temporary: false, members: [] },
        { id: "music", name: "Music", max_members: 16, temporary: false, members: [] },
      ],
    });
  });

  test("ice-servers gives the default STUN server and no expiry", async () => {
    const res = await worker.get("/api/ice-servers", tokenFor(uniqueUser()));
    assert.equal(res.status, 200);
    const body = await readJson(res);
    assert.equal(body.expires_at, null);
    assert.ok(Array.isArray(body.ice_servers) && body.ice_servers.length >= 1, JSON.stringify(body));
    const urls = body.ice_servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
    assert.deepEqual(urls, ["stun:stun.cloudflare.com:3478"]);
    for (const server of body.ice_servers) {
      assert.equal(server.username, undefined, "STUN needs no username");
      assert.equal(server.credential, undefined, "STUN needs no credential");
    }
  });

  test("an unknown /api route is not_found", async () => {
    const token = tokenFor(uniqueUser());
    await assertError(await worker.get("/api/nope", token), 404, "not_found");
    await assertError(await worker.get("/api/channels/general/nope", token), 404, "not_found");
  });
});

describe("guest sign-in turned off (GUEST_SIGNIN=false)", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { GUEST_SIGNIN: "false" } });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a guest sign-in is refused with guest_signin_disabled", async () => {
    await assertError(await worker.postSession({ name: "Alice" }), 403, "guest_signin_disabled");
  });

  test("a host-minted token still works", async () => {
    const res = await worker.get("/api/channels", tokenFor(uniqueUser("host")));
    assert.equal(res.status, 200, await res.clone().text());
  });
});

describe("no AUTH_SECRET configured", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ secret: null });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a guest sign-in answers not_configured", async () => {
    await assertError(await worker.postSession({ name: "Alice" }), 503, "not_configured");
  });

  test("channels answers not_configured, even with a token", async () => {
    await assertError(await worker.get("/api/channels", tokenFor(uniqueUser())), 503, "not_configured");
  });

  test("a voice socket answers not_configured", async () => {
    const r = await worker.upgrade("/api/channels/general/voice", { token: tokenFor(uniqueUser()) });
    assertRefused(r, 503, "not_configured");
  });

  test("no built-in default secret: a token signed with an empty secret is not accepted", async () => {
    const res = await worker.get("/api/channels", mintToken({ sub: "x", name: "X", exp: now() + 3600 }, { secret: "" }));
    assert.notEqual(res.status, 200);
  });
});
