// TURN credentials minted by the running worker are accepted by a real coturn; expired ones and
// ones signed with another secret are refused.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { now, tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { startCoturn, uclient } from "./coturn.mjs";

const TURN_SECRET = "coturn-test-secret-4b1d";

describe("coturn provider", () => {
  let turn;
  let worker;
  let wrongWorker;

  before(async () => {
    turn = await startCoturn({ secret: TURN_SECRET });
    const vars = { TURN_PROVIDER: "coturn", TURN_URL: `${turn.url},turn:127.0.0.1:${turn.port}?transport=tcp` };
    worker = await startWorker({ vars: { ...vars, TURN_SECRET } });
    wrongWorker = await startWorker({ vars: { ...vars, TURN_SECRET: "not-the-secret-coturn-has" } });
  });

  after(async () => {
    await worker?.dispose();
    await wrongWorker?.dispose();
    await turn?.stop();
  });

  async function iceServers(w, userId) {
    const res = await w.get("/api/ice-servers", tokenFor(userId));
    assert.equal(res.status, 200);
    return readJson(res);
  }

  test("health reports coturn as ok without revealing the secret", async () => {
    const res = await worker.get("/api/health");
    const text = await res.text();
    assert.equal(res.status, 200);
    const body = JSON.parse(text);
    assert.equal(body.turn.provider, "coturn");
    assert.equal(body.turn.status, "ok");
    assert.ok(!text.includes(TURN_SECRET));
  });

  test("credential is bound to the user and expires after the TTL", async () => {
    const user = uniqueUser("turn");
    const body = await iceServers(worker, user);
    const turnServer = body.ice_servers.find((s) => s.username);
    assert.ok(turnServer, `no TURN entry in ${JSON.stringify(body)}`);
    const [expiry, boundTo] = turnServer.username.split(/:(.*)/s);
    assert.equal(boundTo, user);
    assert.equal(Number(expiry), body.expires_at);
    assert.ok(Math.abs(body.expires_at - (now() + 3600)) <= 5, `expires_at ${body.expires_at}`);
    const expected = createHmac("sha1", TURN_SECRET).update(turnServer.username).digest("base64");
    assert.equal(turnServer.credential, expected);
    assert.deepEqual(turnServer.urls, [turn.url, `turn:127.0.0.1:${turn.port}?transport=tcp`]);
    assert.ok(body.ice_servers.some((s) => !s.username && [].concat(s.urls).every((u) => u.startsWith("stun:"))));
  });

  test("credential from the worker is accepted by coturn", async () => {
    const body = await iceServers(worker, uniqueUser("turn"));
    const { username, credential } = body.ice_servers.find((s) => s.username);
    assert.equal(await uclient(turn.port, username, credential), 0, turn.log().slice(-2000));
    assert.match(turn.log(), /ALLOCATE.*success|success.*ALLOCATE/i);
  });

  test("expired credential is refused by coturn", async () => {
    const username = `${now() - 60}:${uniqueUser("late")}`;
    const credential = createHmac("sha1", TURN_SECRET).update(username).digest("base64");
    assert.notEqual(await uclient(turn.port, username, credential), 0);
  });

  test("credential signed with another secret is refused by coturn", async () => {
    const body = await iceServers(wrongWorker, uniqueUser("wrong"));
    const { username, credential } = body.ice_servers.find((s) => s.username);
    assert.notEqual(await uclient(turn.port, username, credential), 0);
  });

  test("joined carries the same kind of credential as the endpoint", async () => {
    const user = uniqueUser("join");
    const { socket } = await worker.upgrade("/api/channels/general/voice", { token: tokenFor(user) });
    const joined = await socket.next("joined", 3000);
    const entry = joined.ice_servers.find((s) => s.username);
    assert.ok(entry.username.endsWith(`:${user}`));
    assert.equal(joined.ice_expires_at, Number(entry.username.split(":")[0]));
    assert.equal(await uclient(turn.port, entry.username, entry.credential), 0);
    socket.close(1000);
  });
});
