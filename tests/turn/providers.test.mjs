// Metered and Cloudflare TURN against loopback servers that answer like their documented APIs:
// success, 401, 500, too slow, malformed JSON. A join always succeeds — with the provider's servers
// or, when it fails, STUN-only — and never waits past the 2 s timeout.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";

const API_KEY = "metered-key-7f3a";
const CF_TOKEN = "cf-token-9e1c";
const CF_KEY_ID = "key123";

const METERED_OK = [
  { urls: "stun:stun.relay.metered.ca:80" },
  { urls: "turn:global.relay.metered.ca:80", username: "mu", credential: "mc" },
  { urls: "turns:global.relay.metered.ca:443?transport=tcp", username: "mu", credential: "mc" },
];
const CLOUDFLARE_OK = {
  iceServers: [
    { urls: ["stun:stun.cloudflare.com:3478", "stun:stun.cloudflare.com:53"] },
    {
      urls: [
        "turn:turn.cloudflare.com:3478?transport=udp",
        "turn:turn.cloudflare.com:53?transport=udp",
        "turns:turn.cloudflare.com:443?transport=tcp",
      ],
      username: "cu",
      credential: "cc",
    },
  ],
};

/** A loopback API whose behaviour each test picks with a path prefix: /<mode>/... */
function startFakeApi() {
  const requests = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const [, mode, ...rest] = req.url.split("/");
      requests.push({ mode, method: req.method, path: "/" + rest.join("/"), auth: req.headers.authorization, body });
      const send = (status, payload) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
      };
      const isCloudflare = req.url.includes("/generate-ice-servers");
      switch (mode) {
        case "ok":
          return isCloudflare ? send(201, CLOUDFLARE_OK) : send(200, METERED_OK);
        case "unauthorized":
          return send(401, { error: "Invalid API Key" });
        case "broken":
          return send(500, { error: "internal" });
        case "garbage":
          return send(isCloudflare ? 201 : 200, "{ this is not json");
        case "slow":
          // Longer than the worker's 2 s timeout; the test's own bounds end it.
          return setTimeout(() => send(200, METERED_OK), 4000).unref();
        default:
          return send(404, { error: "unknown mode" });
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const base = `http://127.0.0.1:${server.address().port}`;
      resolve({ base, requests, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

function turnUrls(iceServers) {
  return iceServers.filter((s) => s.username).flatMap((s) => [].concat(s.urls));
}

async function joinAndTime(worker) {
  const user = uniqueUser("prov");
  const started = Date.now();
  const { status, socket } = await worker.upgrade("/api/channels/general/voice", { token: tokenFor(user) });
  assert.equal(status, 101);
  const joined = await socket.next("joined", 5000);
  const ms = Date.now() - started;
  socket.close(1000);
  return { joined, ms };
}

describe("remote TURN providers", () => {
  let api;
  const workers = [];
  const start = async (vars) => {
    const w = await startWorker({ vars });
    workers.push(w);
    return w;
  };
  const metered = (mode) => start({ TURN_PROVIDER: "metered", TURN_API_KEY: API_KEY, METERED_API_URL: `${api.base}/${mode}` });
  const cloudflare = (mode) =>
    start({
      TURN_PROVIDER: "cloudflare",
      TURN_KEY_ID: CF_KEY_ID,
      TURN_KEY_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_TURN_API_URL: `${api.base}/${mode}/v1/turn/keys`,
    });

  before(async () => {
    api = await startFakeApi();
  });
  after(async () => {
    for (const w of workers) await w.dispose();
    await api?.close();
  });

  test("metered servers reach the join and the endpoint, asked once with the API key", async () => {
    const w = await metered("ok");
    const { joined } = await joinAndTime(w);
    assert.deepEqual(turnUrls(joined.ice_servers), ["turn:global.relay.metered.ca:80", "turns:global.relay.metered.ca:443?transport=tcp"]);
    const res = await w.get("/api/ice-servers", tokenFor(uniqueUser("ep")));
    const body = await readJson(res);
    assert.equal(turnUrls(body.ice_servers).length, 2);
    const calls = api.requests.filter((r) => r.mode === "ok" && r.path.startsWith("/api/v1/turn/credentials"));
    assert.equal(calls.length, 1, "a good answer is cached, not fetched per join");
    assert.equal(calls[0].method, "GET");
    assert.ok(calls[0].path.endsWith(`?apiKey=${API_KEY}`), calls[0].path);
    const health = await readJson(await w.get("/api/health"));
    assert.deepEqual([health.turn.provider, health.turn.status], ["metered", "ok"]);
    assert.ok(!JSON.stringify(health).includes(API_KEY));
  });

  test("cloudflare servers arrive without port 53, asked with the bearer token and TTL", async () => {
    const w = await cloudflare("ok");
    const { joined } = await joinAndTime(w);
    assert.deepEqual(turnUrls(joined.ice_servers), [
      "turn:turn.cloudflare.com:3478?transport=udp",
      "turns:turn.cloudflare.com:443?transport=tcp",
    ]);
    assert.ok(!JSON.stringify(joined.ice_servers).includes(":53"));
    assert.ok(joined.ice_expires_at > Date.now() / 1000 + 3000);
    const call = api.requests.find((r) => r.mode === "ok" && r.path.includes("generate-ice-servers"));
    assert.equal(call.method, "POST");
    assert.equal(call.path, `/v1/turn/keys/${CF_KEY_ID}/credentials/generate-ice-servers`);
    assert.equal(call.auth, `Bearer ${CF_TOKEN}`);
    assert.deepEqual(JSON.parse(call.body), { ttl: 3600 });
  });

  for (const [provider, make] of [["metered", metered], ["cloudflare", cloudflare]]) {
    for (const mode of ["unauthorized", "broken", "garbage"]) {
      test(`${provider} answering ${mode} still lets the member join, STUN-only`, async () => {
        const w = await make(mode);
        const { joined } = await joinAndTime(w);
        assert.deepEqual(turnUrls(joined.ice_servers), []);
        assert.ok(joined.ice_servers.length >= 1, "STUN stays");
        assert.equal(joined.ice_expires_at, null);
      });
    }
  }

  test("a provider slower than the timeout does not hold the join past it", async () => {
    const w = await metered("slow");
    const { joined, ms } = await joinAndTime(w);
    assert.deepEqual(turnUrls(joined.ice_servers), []);
    assert.ok(ms < 3500, `join took ${ms} ms`);
  });

  test("misconfigured providers are reported by health and calls go on STUN-only", async () => {
    for (const [vars, provider] of [
      [{ TURN_PROVIDER: "coturn", TURN_URL: "turn:127.0.0.1:3478" }, "coturn"],
      [{ TURN_PROVIDER: "coturn", TURN_SECRET: "x", TURN_URL: "http://nope" }, "coturn"],
      [{ TURN_PROVIDER: "metered" }, "metered"],
      [{ TURN_PROVIDER: "twilio" }, "none"],
    ]) {
      const w = await start(vars);
      const health = await readJson(await w.get("/api/health"));
      assert.equal(health.turn.status, "misconfigured", JSON.stringify(vars));
      assert.equal(health.turn.provider, provider);
      assert.ok(health.turn.detail.length > 10);
      const { joined } = await joinAndTime(w);
      assert.deepEqual(turnUrls(joined.ice_servers), []);
    }
  });
});
