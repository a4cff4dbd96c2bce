// The admin API's key (CONTRACT.md v1.1 "Admin API"): `Authorization: Bearer <ADMIN_API_KEY>` on
// every channel and token route; no key configured → 503 `not_configured`; a missing or wrong
// key → 401 `unauthorized`, checked before the body is read, and nothing changes.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError } from "../lib/assertions.mjs";
import { ADMIN_KEY, admin, adminChannels, channelsPath, mintByAdmin, putChannel } from "../lib/admin.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";

/** Every channel and token route, each with a body it would accept. */
const ROUTES = [
  { method: "GET", path: channelsPath("default") },
  { method: "GET", path: channelsPath("acme") },
  { method: "PUT", path: channelsPath("acme", "lounge"), body: { name: "Lounge" } },
  { method: "PUT", path: channelsPath("default", "extra"), body: { name: "Extra" } },
  { method: "DELETE", path: channelsPath("acme", "lounge") },
  { method: "POST", path: "/api/admin/tokens", body: { sub: "u1", name: "User" } },
];
const label = (r) => `${r.method} ${r.path}`;

describe("admin API without ADMIN_API_KEY configured", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: undefined } });
  });
  after(async () => {
    await worker?.dispose();
  });

  for (const route of ROUTES) {
    test(`${label(route)} answers 503 not_configured, with or without a key`, async () => {
      await assertError(await admin(worker, route.method, route.path, route.body), 503, "not_configured");
      await assertError(await admin(worker, route.method, route.path, route.body, { key: null }), 503, "not_configured");
      await assertError(await admin(worker, route.method, route.path, route.body, { key: "" }), 503, "not_configured");
    });
  }

  test("the rest of the API still works (guest sign-in, channels)", async () => {
    assert.equal((await worker.postSession({ name: "Guest" })).status, 200);
    const res = await worker.get("/api/channels", tokenFor(uniqueUser()));
    assert.equal(res.status, 200, await res.clone().text());
  });
});

describe("admin API with an empty ADMIN_API_KEY", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: "" } });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("an empty key is no key: an empty bearer gets nothing done", async () => {
    for (const route of ROUTES) {
      const res = await admin(worker, route.method, route.path, route.body, { key: "" });
      const text = await res.text();
      assert.ok([401, 503].includes(res.status), `${label(route)} with an empty key answered ${res.status}: ${text}`);
    }
  });
});

describe("admin API key checks", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY } });
  });
  after(async () => {
    await worker?.dispose();
  });

  const WRONG = [
    ["no Authorization header", { key: null }],
    ["an empty bearer", { key: "" }],
    ["a wrong key", { key: "not-the-admin-key" }],
    ["the key with one character changed", { key: `${ADMIN_KEY.slice(0, -1)}X` }],
    ["a prefix of the key", { key: ADMIN_KEY.slice(0, 10) }],
    ["the key with a suffix", { key: `${ADMIN_KEY}0` }],
    ["the key upper-cased", { key: ADMIN_KEY.toUpperCase() }],
    ["a user's valid token", { key: tokenFor(uniqueUser("user")) }],
    ["the key in a Basic header", { key: null, headers: { Authorization: `Basic ${ADMIN_KEY}` } }],
    ["the key without a scheme", { key: null, headers: { Authorization: ADMIN_KEY } }],
  ];

  for (const route of ROUTES) {
    test(`${label(route)}: a missing or wrong key answers 401 unauthorized`, async () => {
      for (const [what, opts] of WRONG) {
        const res = await admin(worker, route.method, route.path, route.body, opts);
        const text = await res.text();
        assert.equal(res.status, 401, `${what}: ${res.status} ${text}`);
        assert.equal(JSON.parse(text).reason, "unauthorized", `${what}: ${text}`);
      }
    });
  }

  test("the right key is accepted on every route", async () => {
    for (const route of ROUTES) {
      const res = await admin(worker, route.method, route.path, route.body);
      const text = await res.text();
      const want = route.method === "DELETE" ? 204 : 200;
      assert.equal(res.status, want, `${label(route)}: ${res.status} ${text}`);
    }
  });

  test("a PUT with a wrong key creates nothing", async () => {
    const res = await admin(worker, "PUT", channelsPath("acme", "sneaky"), { name: "Sneaky" }, { key: "wrong" });
    await assertError(res, 401, "unauthorized");
    const listed = await adminChannels(worker, "acme");
    assert.ok(!listed.some((c) => c.id === "sneaky"), JSON.stringify(listed));
  });

  test("a DELETE with a wrong key deletes nothing", async () => {
    await putChannel(worker, "acme", "keep", { name: "Keep" });
    await assertError(await admin(worker, "DELETE", channelsPath("acme", "keep"), undefined, { key: null }), 401, "unauthorized");
    const listed = await adminChannels(worker, "acme");
    assert.ok(listed.some((c) => c.id === "keep"), JSON.stringify(listed));
  });

  test("a token request with a wrong key gets no token", async () => {
    const res = await mintByAdmin(worker, { sub: "u2", name: "User" }, { key: "wrong" });
    const body = await assertError(res, 401, "unauthorized");
    assert.equal(body.token, undefined);
  });

  test("the key is checked before the body: a wrong key with a bad or huge body is 401", async () => {
    const bodies = [
      ["malformed JSON", '{"name": "x"', "application/json"],
      ["the wrong content type", JSON.stringify({ name: "x" }), "text/plain"],
      ["a 64 KiB body", JSON.stringify({ name: "x", pad: "a".repeat(64 * 1024) }), "application/json"],
    ];
    for (const [what, body, contentType] of bodies) {
      for (const [method, path] of [["PUT", channelsPath("acme", "x")], ["POST", "/api/admin/tokens"]]) {
        const res = await admin(worker, method, path, body, { key: "wrong", contentType });
        const text = await res.text();
        assert.equal(res.status, 401, `${method} ${path} with ${what}: ${res.status} ${text}`);
      }
    }
  });

  test("the admin key is not a user token: it does not open /api/channels", async () => {
    await assertError(await worker.get("/api/channels", ADMIN_KEY), 401, "unauthorized");
  });
});

describe("admin API with ADMIN_API_KEY but no AUTH_SECRET", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ secret: null, vars: { ADMIN_API_KEY: ADMIN_KEY } });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a token request answers 503 not_configured (there is nothing to sign with)", async () => {
    const body = await assertError(await mintByAdmin(worker, { sub: "u1", name: "User" }), 503, "not_configured");
    assert.equal(body.token, undefined);
  });
});
