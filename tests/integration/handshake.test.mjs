// The WebSocket handshake: subprotocols carry the token, Origin is checked first, then the token,
// then the channel.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { mintToken, now, tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { assertRefused } from "../lib/assertions.mjs";

const LISTED = "https://app.example.com";

describe("WebSocket handshake", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { ALLOWED_ORIGINS: `${LISTED}, https://other.example.org` } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  const voice = (channel = "general") => `/api/channels/${channel}/voice`;

  test("an accepted voice socket answers with the voice.v1 subprotocol", async () => {
    const r = await worker.upgrade(voice(), { token: tokenFor(uniqueUser()) });
    assert.equal(r.status, 101, JSON.stringify(r.body));
    assert.equal(r.headers.get("sec-websocket-protocol"), "voice.v1");
  });

  test("an accepted lobby socket answers with the voice.v1 subprotocol", async () => {
    const r = await worker.upgrade("/api/lobby", { token: tokenFor(uniqueUser()) });
    assert.equal(r.status, 101, JSON.stringify(r.body));
    assert.equal(r.headers.get("sec-websocket-protocol"), "voice.v1");
  });

  test("an offer without voice.v1 is a bad_request", async () => {
    const r = await worker.upgrade(voice(), { protocols: [`bearer.${tokenFor(uniqueUser())}`] });
    assertRefused(r, 400, "bad_request");
  });

  test("an offer without a bearer entry is unauthorized", async () => {
    assertRefused(await worker.upgrade(voice(), { protocols: ["voice.v1"] }), 401, "unauthorized");
  });

  test("an offer with a forged bearer token is unauthorized", async () => {
    const forged = mintToken({ sub: "m", name: "M", exp: now() + 3600 }, { secret: "not-the-secret" });
    assertRefused(await worker.upgrade(voice(), { token: forged }), 401, "unauthorized");
  });

  test("an offer with an expired bearer token is unauthorized", async () => {
    const expired = mintToken({ sub: "e", name: "E", exp: now() - 120 });
    assertRefused(await worker.upgrade(voice(), { token: expired }), 401, "unauthorized");
  });

  test("a token in the query string is not accepted", async () => {
    const token = tokenFor(uniqueUser());
    for (const param of ["token", "access_token", "bearer"]) {
      const r = await worker.upgrade(`${voice()}?${param}=${token}`, { protocols: ["voice.v1"] });
      assertRefused(r, 401, "unauthorized");
    }
  });

  test("a foreign Origin is forbidden_origin", async () => {
    const r = await worker.upgrade(voice(), { token: tokenFor(uniqueUser()), origin: "https://evil.example" });
    assertRefused(r, 403, "forbidden_origin");
  });

  test("Origin is checked before the token", async () => {
    const r = await worker.upgrade(voice(), { protocols: ["voice.v1", "bearer.garbage"], origin: "https://evil.example" });
    assertRefused(r, 403, "forbidden_origin");
  });

  test("the token is checked before the channel", async () => {
    const r = await worker.upgrade(voice("no-such-channel"), { protocols: ["voice.v1", "bearer.garbage"] });
    assertRefused(r, 401, "unauthorized");
  });

  test("the page's own origin is accepted", async () => {
    const r = await worker.upgrade(voice(), { token: tokenFor(uniqueUser()), origin: worker.ownOrigin });
    assert.equal(r.status, 101, JSON.stringify(r.body));
  });

  test("a missing Origin is accepted", async () => {
    const r = await worker.upgrade(voice(), { token: tokenFor(uniqueUser()) });
    assert.equal(r.status, 101, JSON.stringify(r.body));
  });

  test("the same host on another port or scheme is a foreign origin", async () => {
    const token = tokenFor(uniqueUser());
    const own = new URL(worker.ownOrigin);
    const otherPort = `${own.protocol}//${own.hostname}:${Number(own.port) + 1}`;
    const otherScheme = `https://${own.host}`;
    for (const origin of [otherPort, otherScheme]) {
      assertRefused(await worker.upgrade(voice(), { token, origin }), 403, "forbidden_origin");
    }
  });

  test("an origin listed in ALLOWED_ORIGINS is accepted", async () => {
    for (const origin of [LISTED, "https://other.example.org"]) {
      const r = await worker.upgrade(voice(), { token: tokenFor(uniqueUser()), origin });
      assert.equal(r.status, 101, `${origin}: ${JSON.stringify(r.body)}`);
    }
  });

  test("ALLOWED_ORIGINS match exactly, not by prefix", async () => {
    const token = tokenFor(uniqueUser());
    for (const origin of [`${LISTED}.evil.example`, `${LISTED}:8443`, "http://app.example.com"]) {
      assertRefused(await worker.upgrade(voice(), { token, origin }), 403, "forbidden_origin");
    }
  });

  test("an unknown channel is unknown_channel", async () => {
    const r = await worker.upgrade(voice("no-such-channel"), { token: tokenFor(uniqueUser()) });
    assertRefused(r, 404, "unknown_channel");
  });

  test("the lobby refuses a foreign Origin", async () => {
    const r = await worker.upgrade("/api/lobby", { token: tokenFor(uniqueUser()), origin: "https://evil.example" });
    assertRefused(r, 403, "forbidden_origin");
  });

  test("the lobby refuses an offer without a bearer entry", async () => {
    assertRefused(await worker.upgrade("/api/lobby", { protocols: ["voice.v1"] }), 401, "unauthorized");
  });

  test("the lobby refuses an offer without voice.v1", async () => {
    const r = await worker.upgrade("/api/lobby", { protocols: [`bearer.${tokenFor(uniqueUser())}`] });
    assertRefused(r, 400, "bad_request");
  });
});
