// Cross-origin host apps (CONTRACT.md v1.1 "Cross-origin host apps"): for an Origin exactly in
// ALLOWED_ORIGINS, the client module and the files it imports and the page's API routes
// (`/api/session`, `/api/channels`, `/api/ice-servers`), answers and errors alike, carry
// `Access-Control-Allow-Origin: <origin>` and `Vary: Origin`; their `OPTIONS` preflight is 204
// with the methods, `Authorization, Content-Type` and a max age of 600, never credentials. Any
// other origin, no origin, and every admin route get no `Access-Control-*` header at all (another
// origin's preflight → 403 `forbidden_origin`).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { assertError } from "../lib/assertions.mjs";
import { ADMIN_KEY, admin, channelsPath } from "../lib/admin.mjs";
import { ROOT } from "../lib/config.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";

const HOST = "http://host.example";
const APP = "https://app.example:8443";
const OTHERS = ["http://evil.example", "https://host.example", "http://host.example:8080", "http://host.example.evil", "http://sub.host.example", "null"];

/** The files /voice.js imports (relative imports of public/voice.js). */
const IMPORTED = [...readFileSync(join(ROOT, "public", "voice.js"), "utf8").matchAll(/^import[^;]*?from "\.\/([^"]+)";/gms)].map((m) => `/${m[1]}`);

/** The names of a response's Access-Control-* headers. */
const corsNames = (res) => [...res.headers.keys()].filter((k) => k.toLowerCase().startsWith("access-control-"));
/** A comma-separated header as a sorted lower-case list. */
const listOf = (value) => (value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean).sort();

function assertCors(res, origin, what) {
  assert.equal(res.headers.get("access-control-allow-origin"), origin, `${what}: ACAO (headers: ${JSON.stringify([...res.headers])})`);
  assert.ok(listOf(res.headers.get("vary")).includes("origin"), `${what}: Vary is ${res.headers.get("vary")}`);
  assert.equal(res.headers.get("access-control-allow-credentials"), null, `${what}: credentials must not be allowed`);
}

function assertNoCors(res, what) {
  assert.deepEqual(corsNames(res), [], `${what}: ${JSON.stringify([...res.headers])}`);
}

const preflight = (worker, path, origin, method = "GET", headers = "authorization") =>
  worker.fetch(path, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers },
  });

describe("CORS for ALLOWED_ORIGINS", () => {
  let worker;
  before(async () => {
    // Every sign-in comes from one address; the sign-in limit is not under test.
    worker = await startWorker({ vars: { ALLOWED_ORIGINS: `${HOST},${APP}`, ADMIN_API_KEY: ADMIN_KEY, GUEST_SIGNIN_PER_MINUTE: "0" } });
  });
  after(async () => {
    await worker?.dispose();
  });

  /** The page's routes as a host page calls them from `origin`: [what, () => Response, status]. */
  const pageCalls = (origin) => {
    const h = origin === undefined ? {} : { Origin: origin };
    const auth = (tok) => ({ ...h, Authorization: `Bearer ${tok}` });
    const session = (body) =>
      worker.fetch("/api/session", { method: "POST", headers: { ...h, "Content-Type": "application/json", "Content-Length": String(body.length) }, body });
    return [
      ["GET /voice.js", () => worker.fetch("/voice.js", { headers: h }), 200],
      ["HEAD /voice.js", () => worker.fetch("/voice.js", { method: "HEAD", headers: h }), 200],
      ...IMPORTED.map((p) => [`GET ${p}`, () => worker.fetch(p, { headers: h }), 200]),
      ["GET /api/channels", () => worker.fetch("/api/channels", { headers: auth(tokenFor(uniqueUser())) }), 200],
      ["GET /api/channels without a token", () => worker.fetch("/api/channels", { headers: h }), 401],
      ["GET /api/ice-servers", () => worker.fetch("/api/ice-servers", { headers: auth(tokenFor(uniqueUser())) }), 200],
      ["GET /api/ice-servers with a forged token", () => worker.fetch("/api/ice-servers", { headers: auth("x.y.z") }), 401],
      ["POST /api/session", () => session(JSON.stringify({ name: "Host Guest" })), 200],
      ["POST /api/session with a bad name", () => session(JSON.stringify({ name: "" })), 400],
    ];
  };

  test("the client module imports files (the test reads them right)", () => {
    assert.ok(IMPORTED.length >= 3, `imports found: ${IMPORTED}`);
  });

  for (const origin of [HOST, APP]) {
    test(`${origin}: the client module, its imports and the page's API routes answer with ACAO and Vary`, async () => {
      for (const [what, call, status] of pageCalls(origin)) {
        const res = await call();
        const text = await res.text();
        assert.equal(res.status, status, `${what}: ${res.status} ${text.slice(0, 200)}`);
        assertCors(res, origin, what);
      }
    });
  }

  test("a preflight from an allowed origin is 204 with methods, headers and max age", async () => {
    const cases = [
      ["/api/session", "POST", "content-type"],
      ["/api/channels", "GET", "authorization"],
      ["/api/ice-servers", "GET", "authorization, content-type"],
      ["/voice.js", "GET", ""],
    ];
    for (const [path, method, headers] of cases) {
      for (const origin of [HOST, APP]) {
        const res = await preflight(worker, path, origin, method, headers);
        const what = `OPTIONS ${path} from ${origin}`;
        assert.equal(res.status, 204, `${what}: ${res.status} ${await res.text()}`);
        assertCors(res, origin, what);
        assert.deepEqual(listOf(res.headers.get("access-control-allow-methods")), ["get", "options", "post"], what);
        assert.deepEqual(listOf(res.headers.get("access-control-allow-headers")), ["authorization", "content-type"], what);
        assert.equal(res.headers.get("access-control-max-age"), "600", what);
      }
    }
  });

  test("another origin gets no Access-Control-* header, and the answer is otherwise the same", async () => {
    for (const origin of OTHERS) {
      for (const [what, call, status] of pageCalls(origin)) {
        const res = await call();
        await res.arrayBuffer();
        assert.equal(res.status, status, `${what} from ${origin}`);
        assertNoCors(res, `${what} from ${origin}`);
      }
    }
  });

  test("another origin's preflight is 403 forbidden_origin without Access-Control-* headers", async () => {
    for (const origin of OTHERS) {
      for (const path of ["/api/session", "/api/channels", "/api/ice-servers", "/voice.js"]) {
        const res = await preflight(worker, path, origin);
        assertNoCors(res, `OPTIONS ${path} from ${origin}`);
        await assertError(res, 403, "forbidden_origin");
      }
    }
  });

  test("a request without Origin gets no Access-Control-* header", async () => {
    for (const [what, call] of pageCalls(undefined)) {
      const res = await call();
      await res.arrayBuffer();
      assertNoCors(res, `${what} without Origin`);
    }
  });

  test("admin routes never answer with Access-Control-* headers, even to an allowed origin", async () => {
    const calls = [
      ["GET", channelsPath("default"), undefined],
      ["PUT", channelsPath("acme", "cors"), { name: "Cors" }],
      ["GET", channelsPath("acme"), undefined],
      ["DELETE", channelsPath("acme", "cors"), undefined],
      ["DELETE", channelsPath("acme", "cors"), undefined],
      ["PUT", channelsPath("default", "general"), { name: "No" }],
      ["PUT", channelsPath("acme", "Bad Id"), { name: "No" }],
      ["POST", "/api/admin/tokens", { sub: "u", name: "U" }],
      ["POST", "/api/admin/tokens", "not json"],
    ];
    for (const origin of [HOST, APP]) {
      for (const [method, path, body] of calls) {
        for (const key of [ADMIN_KEY, "wrong", null]) {
          const res = await admin(worker, method, path, body, { key, headers: { Origin: origin } });
          await res.arrayBuffer();
          assertNoCors(res, `${method} ${path} from ${origin} with key ${key === ADMIN_KEY ? "right" : key}`);
        }
      }
      for (const path of [channelsPath("default"), channelsPath("acme", "x"), "/api/admin/tokens"]) {
        const res = await preflight(worker, path, origin, "POST", "authorization, content-type");
        await res.arrayBuffer();
        assertNoCors(res, `OPTIONS ${path} from ${origin}`);
      }
    }
  });

  test("admin routes still work for a server-to-server call from an allowed origin's backend", async () => {
    const res = await admin(worker, "GET", channelsPath("default"), undefined, { headers: { Origin: HOST } });
    assert.equal(res.status, 200, await res.clone().text());
    assertNoCors(res, "GET admin channels");
  });
});

describe("CORS with ALLOWED_ORIGINS empty (the default)", () => {
  let worker;
  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  test("no origin gets Access-Control-* headers", async () => {
    for (const origin of [HOST, "http://localhost", "null"]) {
      for (const path of ["/voice.js", "/api/ice-servers"]) {
        const res = await worker.fetch(path, { headers: { Origin: origin, Authorization: `Bearer ${tokenFor(uniqueUser())}` } });
        await res.arrayBuffer();
        assert.equal(res.status, 200);
        assertNoCors(res, `${path} from ${origin}`);
      }
      const pre = await preflight(worker, "/api/channels", origin);
      await pre.arrayBuffer();
      assertNoCors(pre, `OPTIONS /api/channels from ${origin}`);
    }
  });
});
