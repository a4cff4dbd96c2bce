// Hardening, round 2 (issue 12), on the HTTP side: display names that vanish or impersonate
// (item 7), the guest sign-in limit keyed by IPv6 /64 (item 8) with its documented default, and
// PUBLIC_ORIGIN as the page's only own origin (item 10).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError, assertRefused } from "../lib/assertions.mjs";
import { readJson } from "../lib/client.mjs";
import { BASE, startWorker } from "../lib/miniflare.mjs";
import { mintToken, now, tokenFor, uniqueUser } from "../lib/tokens.mjs";

const hex = (s) => [...s].map((c) => `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`).join(" ");

// Each of these draws nothing, rewrites the text around it, or stacks past 4 marks.
const REFUSED_NAMES = [
  ...[
    "\u200B", "\u200E", "\u200F", "\u061C", "\u2060", "\u00AD", "\uFEFF", "\u3164", "\u115F", "\u1160", "\uFFA0",
    "\u2800", "\u2028", "\u2029", "\u180E", "\u034F", "\u2061",
  ].flatMap((c) => [`Ali${c}ce`, c]),
  "\u00AD\u2060",
  "\u200E\u200F",
  "Al\u200Dice",
  `Z${"\u0336".repeat(31)}`,
  `e${"\u0301".repeat(5)}`,
  "\u0301\u0302",
  "\uFE0F",
];

const ACCEPTED_NAMES = [
  "👨\u200D👩\u200D👧\u200D👦",
  "❤\uFE0F Bo",
  "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
  "Nguyễn Thị Ánh",
  "می\u200Cخواهم",
  "<b>Bo</b>",
];

describe("display names (item 7)", () => {
  let worker;
  before(async () => {
    // Every sign-in here comes from one address (miniflare's); the limit is not under test.
    worker = await startWorker({ vars: { GUEST_SIGNIN_PER_MINUTE: "0" } });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a guest sign-in with an invisible, format or stacked-mark name is refused with invalid_name", async () => {
    for (const name of REFUSED_NAMES) {
      const res = await worker.postSession({ name });
      const text = await res.text();
      assert.equal(res.status, 400, `${hex(name)} answered ${res.status}: ${text}`);
      assert.equal(JSON.parse(text).reason, "invalid_name", `${hex(name)}: ${text}`);
    }
  });

  test("emoji sequences, accents and joiners that scripts need are accepted as sent", async () => {
    for (const name of ACCEPTED_NAMES) {
      const res = await worker.postSession({ name });
      assert.equal(res.status, 200, `${hex(name)}: ${await res.clone().text()}`);
      assert.equal((await readJson(res)).user.name, name);
    }
  });

  test("a host-minted token whose name breaks the rule is unauthorized on HTTP and WebSocket", async () => {
    for (const name of ["\u200B", "\u3164", "Al\u200Eice", `Z${"\u0336".repeat(31)}`]) {
      const token = mintToken({ sub: uniqueUser("named"), name, iat: now(), exp: now() + 3600 });
      await assertError(await worker.get("/api/channels", token), 401, "unauthorized");
      assertRefused(await worker.upgrade("/api/channels/general/voice", { token }), 401, "unauthorized");
    }
  });

  test("a host-minted token with an emoji ZWJ name joins under that name", async () => {
    const name = "👩\u200D💻 Ada";
    const { socket, joined } = await worker.join("general", { id: uniqueUser("ada"), name });
    assert.equal(joined.members.find((m) => m.id === joined.user_id)?.name, name);
    socket.close(1000);
  });
});

describe("guest sign-in limit (item 8 and the default from issue 11)", () => {
  let worker;
  before(async () => {
    // GUEST_SIGNIN_PER_MINUTE as deployed (wrangler.toml's [vars]).
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  const signInFrom = (ip, w = worker) =>
    w.fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ name: "Guest" }),
    });

  async function count(ips, w = worker) {
    let allowed = 0;
    for (const ip of ips) {
      const res = await signInFrom(ip, w);
      if (res.status === 200) {
        allowed += 1;
        await res.arrayBuffer();
      } else {
        await assertError(res, 429, "rate_limited");
      }
    }
    return allowed;
  }

  test("200 sign-ins from different addresses of one IPv6 /64 are limited to a minute's worth", async () => {
    const ips = Array.from({ length: 200 }, (_, i) => `2001:db8:77:1:${((i * 7919) % 65536).toString(16)}::${i.toString(16)}`);
    const allowed = await count(ips);
    // 20 a minute, with the burst of one minute; the run takes seconds, so at most one refill.
    assert.ok(allowed >= 20 && allowed <= 21, `allowed ${allowed} of 200 from one /64`);
  });

  test("another /64 is not limited by the first one's sign-ins", async () => {
    assert.equal(await count(["2001:db8:77:2::1", "2001:db8:77:2::2"]), 2);
  });

  test("an IPv4 address and its IPv4-mapped IPv6 form share one limit", async () => {
    const ips = Array.from({ length: 30 }, (_, i) => (i % 2 ? "::ffff:198.51.100.9" : "198.51.100.9"));
    const allowed = await count(ips);
    assert.ok(allowed >= 20 && allowed <= 21, `allowed ${allowed} of 30`);
    assert.equal(await count(["198.51.100.10"]), 1);
  });

  test("without GUEST_SIGNIN_PER_MINUTE the default is the documented 20 a minute", async () => {
    const unset = await startWorker({ vars: { GUEST_SIGNIN_PER_MINUTE: undefined } });
    try {
      const allowed = await count(Array.from({ length: 25 }, () => "203.0.113.40"), unset);
      assert.ok(allowed >= 20 && allowed <= 21, `allowed ${allowed} of 25`);
    } finally {
      await unset.dispose();
    }
  });
});

/**
 * A WebSocket upgrade of `url` (its host is the Host the worker sees, which any non-browser
 * client chooses) with an optional Origin. Resolves `{status}` and, when refused, the `body`; an
 * accepted socket is closed at once.
 */
async function upgradeAs(worker, url, { origin, token }) {
  const headers = { Upgrade: "websocket", "Sec-WebSocket-Protocol": `voice.v1, bearer.${token}` };
  if (origin) headers.Origin = origin;
  const res = await worker.mf.dispatchFetch(url, { headers });
  if (res.status === 101) {
    res.webSocket.accept();
    res.webSocket.close(1000);
    return { status: 101 };
  }
  return { status: res.status, body: await readJson(res) };
}

const expectAccepted = (result, what) => assert.equal(result.status, 101, `${what}: ${JSON.stringify(result.body)}`);

describe("PUBLIC_ORIGIN (item 10)", () => {
  const PUBLIC = "https://voice.example.com";
  const workers = {};
  before(async () => {
    workers.set = await startWorker({ vars: { PUBLIC_ORIGIN: PUBLIC, ALLOWED_ORIGINS: "https://host-app.example" } });
    workers.unset = await startWorker();
    workers.invalid = await startWorker({ vars: { PUBLIC_ORIGIN: "voice.example.com/app" } });
  });
  after(async () => {
    for (const w of Object.values(workers)) await w.dispose();
  });

  const token = () => tokenFor(uniqueUser("origin"));
  const EVIL = "http://evil.example";
  const VOICE = "/api/channels/general/voice";

  test("with PUBLIC_ORIGIN set, a Host that matches a forged Origin does not make it the page's own", async () => {
    for (const path of [VOICE, "/api/lobby"]) {
      assertRefused(await upgradeAs(workers.set, `${EVIL}${path}`, { origin: EVIL, token: token() }), 403, "forbidden_origin");
    }
  });

  test("with PUBLIC_ORIGIN set, the request's own host is no longer the page's origin", async () => {
    const r = await upgradeAs(workers.set, `${BASE}${VOICE}`, { origin: BASE, token: token() });
    assertRefused(r, 403, "forbidden_origin");
  });

  test("with PUBLIC_ORIGIN set, that origin is accepted whatever the Host, and so are ALLOWED_ORIGINS", async () => {
    expectAccepted(await upgradeAs(workers.set, `${EVIL}${VOICE}`, { origin: PUBLIC, token: token() }), PUBLIC);
    const listed = "https://host-app.example";
    expectAccepted(await upgradeAs(workers.set, `${BASE}/api/lobby`, { origin: listed, token: token() }), listed);
    expectAccepted(await upgradeAs(workers.set, `${BASE}/api/lobby`, { token: token() }), "no Origin");
  });

  test("without PUBLIC_ORIGIN the request's own origin is the page's (as before)", async () => {
    const r = await upgradeAs(workers.unset, `${EVIL}${VOICE}`, { origin: EVIL, token: token() });
    expectAccepted(r, "Host evil.example with Origin http://evil.example");
    expectAccepted(await upgradeAs(workers.unset, `${BASE}/api/lobby`, { origin: BASE, token: token() }), "own origin");
  });

  test("an invalid PUBLIC_ORIGIN is logged and ignored", async () => {
    const w = workers.invalid;
    expectAccepted(await upgradeAs(w, `${BASE}/api/lobby`, { origin: BASE, token: token() }), "own origin");
    assert.ok(
      w.logs.some((l) => l.includes("PUBLIC_ORIGIN")),
      `no warning about PUBLIC_ORIGIN in: ${w.logs.join("\n")}`,
    );
  });
});
