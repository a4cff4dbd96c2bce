// Issue 12, "also noted": /api/health must say what a remote TURN provider last answered, not
// "ok" for a URL that fails. `status` keeps the contract's values ("ok" | "misconfigured": the
// configuration makes sense); the added `last_call` says `ok`, when, and why not.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";

const API_KEY = "metered-health-key-51c2";
const CF_TOKEN = "cf-health-token-a803";

/** A loopback Metered/Cloudflare API whose answer the test switches: "ok" or "unauthorized". */
function startFakeApi() {
  const api = { mode: "unauthorized", calls: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      api.calls += 1;
      const cloudflare = req.url.includes("generate-ice-servers");
      if (api.mode === "ok") {
        res.writeHead(cloudflare ? 201 : 200, { "content-type": "application/json" });
        const turn = { urls: "turn:turn.example.net:3478", username: "u", credential: "c" };
        res.end(JSON.stringify(cloudflare ? { iceServers: [turn] } : [turn]));
      } else {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "Invalid API Key" }));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      api.base = `http://127.0.0.1:${server.address().port}`;
      api.close = () => new Promise((r) => server.close(r));
      resolve(api);
    });
  });
}

/** A loopback port with nothing listening on it (bound, then released). */
function closedPort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const health = async (w) => (await readJson(await w.get("/api/health"))).turn;

describe("health reports what the TURN provider last answered", () => {
  let api;
  const workers = [];
  const start = async (vars) => {
    const w = await startWorker({ vars });
    workers.push(w);
    return w;
  };
  before(async () => {
    api = await startFakeApi();
  });
  after(async () => {
    for (const w of workers) await w.dispose();
    await api?.close();
  });

  test("metered answering 401 is reported as a failed last call, then ok once it answers", async () => {
    api.mode = "unauthorized";
    const w = await start({ TURN_PROVIDER: "metered", TURN_API_KEY: API_KEY, METERED_API_URL: api.base });
    const failed = await health(w);
    assert.equal(failed.status, "ok", "status keeps the contract's meaning: the configuration is complete");
    assert.equal(failed.provider, "metered");
    assert.equal(failed.last_call?.ok, false, JSON.stringify(failed));
    assert.match(failed.last_call.detail, /401/);
    assert.ok(Math.abs(failed.last_call.at - Date.now() / 1000) < 60, JSON.stringify(failed));
    assert.ok(!JSON.stringify(failed).includes(API_KEY) && !JSON.stringify(failed).includes(api.base));

    // Health asks at most once a minute by itself; a member's request asks again after a failure.
    const calls = api.calls;
    await health(w);
    assert.equal(api.calls, calls, "a second health check within the minute does not call the provider");
    api.mode = "ok";
    const res = await w.get("/api/ice-servers", tokenFor(uniqueUser("h")));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const recovered = await health(w);
    assert.equal(recovered.last_call?.ok, true, JSON.stringify(recovered));
    assert.equal(recovered.status, "ok");
  });

  test("an unreachable metered URL is reported, not called ok", async () => {
    const port = await closedPort();
    const w = await start({ TURN_PROVIDER: "metered", TURN_API_KEY: API_KEY, METERED_API_URL: `http://127.0.0.1:${port}` });
    const turn = await health(w);
    assert.equal(turn.last_call?.ok, false, JSON.stringify(turn));
    assert.ok(turn.last_call.detail.length > 0);
    assert.ok(!JSON.stringify(turn).includes(API_KEY));
  });

  test("cloudflare answering 401 is reported as a failed last call", async () => {
    api.mode = "unauthorized";
    const w = await start({
      TURN_PROVIDER: "cloudflare",
      TURN_KEY_ID: "key123",
      TURN_KEY_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_TURN_API_URL: `${api.base}/v1/turn/keys`,
    });
    const turn = await health(w);
    assert.equal(turn.last_call?.ok, false, JSON.stringify(turn));
    assert.ok(!JSON.stringify(turn).includes(CF_TOKEN));
  });

  test("providers that are not called over HTTP have no last_call", async () => {
    const w = await start({ TURN_PROVIDER: "coturn", TURN_URL: "turn:127.0.0.1:3478", TURN_SECRET: "s" });
    const turn = await health(w);
    assert.equal(turn.status, "ok");
    assert.equal(turn.last_call, undefined);
  });
});
