// The admin API's requests (CONTRACT.md v1.1 "Admin API", "v1.1 details"): JSON bodies only
// (`application/json`, else 400 `bad_request`), at most 8 KiB (else 413 `too_large`), fields
// checked (channel `name` 1–64 printable characters, `max_members` 1..=1000, `temporary` a bool),
// space and channel ids in the URL `[a-z0-9_-]{1,64}` (else 400 `bad_request`). A refused
// request changes nothing.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError, assertRefused } from "../lib/assertions.mjs";
import { ADMIN_KEY, admin, adminChannels, adminChunked, channelsPath, putChannel } from "../lib/admin.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";

const LIMIT = 8 * 1024;

/** `{"name": "<name>"}` padded with spaces inside the object to exactly `bytes` bytes. */
function paddedBody(name, bytes) {
  const head = `{"name": ${JSON.stringify(name)}`;
  const pad = bytes - Buffer.byteLength(head) - 1;
  assert.ok(pad >= 0);
  return `${head}${" ".repeat(pad)}}`;
}

/** Asserts a 400 whose reason is one of `reasons`. */
async function assertBadRequest(res, what, reasons = ["bad_request"]) {
  const text = await res.text();
  assert.equal(res.status, 400, `${what}: ${res.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(typeof body.error, "string", `${what}: ${text}`);
  assert.ok(reasons.includes(body.reason), `${what}: reason ${body.reason}, expected one of ${reasons}`);
}

describe("admin API request checks", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { ADMIN_API_KEY: ADMIN_KEY } });
  });
  after(async () => {
    await worker?.dispose();
  });

  const BODY_ROUTES = [
    ["PUT", channelsPath("bodies", "room")],
    ["POST", "/api/admin/tokens"],
  ];
  const validBody = (method) => (method === "PUT" ? { name: "Room" } : { sub: "u1", name: "User" });

  for (const [method, path] of BODY_ROUTES) {
    test(`${method} ${path}: a body that is not JSON is 400 bad_request`, async () => {
      for (const body of ['{"name": "Room"', "name=Room", "", "{'name': 'Room'}"]) {
        await assertBadRequest(await admin(worker, method, path, body), `body ${JSON.stringify(body)}`);
      }
    });

    test(`${method} ${path}: JSON that is not an object is 400 bad_request`, async () => {
      for (const body of ["[]", "null", '"Room"', "42", "true"]) {
        await assertBadRequest(await admin(worker, method, path, body), `body ${body}`);
      }
    });

    test(`${method} ${path}: a wrong or missing content type is 400 bad_request`, async () => {
      const text = JSON.stringify(validBody(method));
      for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null]) {
        await assertBadRequest(await admin(worker, method, path, text, { contentType }), `content type ${contentType}`);
      }
    });

    test(`${method} ${path}: a JSON content type with a charset is accepted`, async () => {
      const res = await admin(worker, method, path, validBody(method), { contentType: "application/json; charset=utf-8" });
      assert.equal(res.status, 200, await res.text());
    });

    test(`${method} ${path}: a body over 8 KiB is 413 too_large`, async () => {
      const over = method === "PUT" ? paddedBody("Room", LIMIT + 1) : JSON.stringify({ sub: "u1", name: "User", pad: "a".repeat(LIMIT) });
      await assertError(await admin(worker, method, path, over), 413, "too_large");
      await assertError(await admin(worker, method, path, JSON.stringify({ pad: "a".repeat(64 * 1024) })), 413, "too_large");
    });

    test(`${method} ${path}: a chunked body over 8 KiB (no Content-Length) is 413 too_large`, async () => {
      const over = JSON.stringify({ ...validBody(method), pad: "a".repeat(2 * LIMIT) });
      assertRefused(await adminChunked(worker, method, path, over), 413, "too_large");
    });
  }

  test("a PUT body of exactly 8 KiB is accepted", async () => {
    const res = await admin(worker, "PUT", channelsPath("bodies", "exact"), paddedBody("Exact", LIMIT));
    assert.equal(res.status, 200, await res.text());
  });

  test("a PUT body of 8 KiB + 1 creates nothing", async () => {
    await assertError(await admin(worker, "PUT", channelsPath("bodies", "over"), paddedBody("Over", LIMIT + 1)), 413, "too_large");
    assert.ok(!(await adminChannels(worker, "bodies")).some((c) => c.id === "over"));
  });

  // --- channel fields --------------------------------------------------------------------------

  test("a channel name that is missing, empty, over 64 characters or not printable is 400", async () => {
    const bad = [
      [{}, "missing"],
      [{ name: "" }, "empty"],
      [{ name: "n".repeat(65) }, "65 characters"],
      [{ name: "Lo\u0007unge" }, "a control character"],
      [{ name: "Lo\nunge" }, "a newline"],
      [{ name: 42 }, "a number"],
      [{ name: null }, "null"],
    ];
    for (const [body, what] of bad) {
      await assertBadRequest(await admin(worker, "PUT", channelsPath("bodies", "named"), body), `name ${what}`, ["bad_request", "invalid_name"]);
    }
    assert.ok(!(await adminChannels(worker, "bodies")).some((c) => c.id === "named"), "a refused PUT created the channel");
  });

  test("a 64-character channel name (characters, not bytes) is accepted", async () => {
    const name = "é".repeat(64);
    const channel = await putChannel(worker, "bodies", "long-name", { name });
    assert.equal(channel.name, name);
  });

  test("max_members outside 1..=1000 or not an integer is 400 bad_request", async () => {
    for (const max of [0, -1, 1001, 1e9, 2.5, "3", true, {}]) {
      await assertBadRequest(await admin(worker, "PUT", channelsPath("bodies", "sized"), { name: "Sized", max_members: max }), `max_members ${JSON.stringify(max)}`);
    }
    assert.ok(!(await adminChannels(worker, "bodies")).some((c) => c.id === "sized"), "a refused PUT created the channel");
  });

  test("max_members 1 and 1000 are accepted", async () => {
    assert.equal((await putChannel(worker, "bodies", "one", { name: "One", max_members: 1 })).max_members, 1);
    assert.equal((await putChannel(worker, "bodies", "thousand", { name: "K", max_members: 1000 })).max_members, 1000);
  });

  test("temporary that is not a bool is 400 bad_request", async () => {
    for (const temporary of ["yes", 1, "true", []]) {
      await assertBadRequest(await admin(worker, "PUT", channelsPath("bodies", "temp"), { name: "Temp", temporary }), `temporary ${JSON.stringify(temporary)}`);
    }
  });

  test("a refused update leaves the channel as it was", async () => {
    await putChannel(worker, "bodies", "stable", { name: "Stable", max_members: 5 });
    await assertBadRequest(await admin(worker, "PUT", channelsPath("bodies", "stable"), { name: "", max_members: 7 }), "empty name", ["bad_request", "invalid_name"]);
    await assertBadRequest(await admin(worker, "PUT", channelsPath("bodies", "stable"), { name: "Changed", max_members: 0 }), "max_members 0");
    const stable = (await adminChannels(worker, "bodies")).find((c) => c.id === "stable");
    assert.equal(stable.name, "Stable");
    assert.equal(stable.max_members, 5);
  });

  // --- ids in the URL --------------------------------------------------------------------------

  const BAD_IDS = ["Acme", "ac.me", "a%20b", "%C3%A9", "a".repeat(65), "a+b", "a%2Fb"];

  test("an invalid space id in the URL is 400 bad_request on every channel route", async () => {
    for (const space of BAD_IDS) {
      await assertBadRequest(await admin(worker, "GET", channelsPath(space)), `GET space ${space}`);
      await assertBadRequest(await admin(worker, "PUT", channelsPath(space, "room"), { name: "Room" }), `PUT space ${space}`);
      await assertBadRequest(await admin(worker, "DELETE", channelsPath(space, "room")), `DELETE space ${space}`);
    }
  });

  test("an invalid channel id in the URL is 400 bad_request", async () => {
    for (const id of BAD_IDS) {
      await assertBadRequest(await admin(worker, "PUT", channelsPath("bodies", id), { name: "Room" }), `PUT channel ${id}`);
      await assertBadRequest(await admin(worker, "DELETE", channelsPath("bodies", id)), `DELETE channel ${id}`);
    }
  });

  test("64-character ids of [a-z0-9_-] are accepted", async () => {
    const space = `s${"_-9".repeat(21)}`;
    const id = `c${"x-0".repeat(21)}`;
    assert.equal(space.length, 64);
    assert.equal(id.length, 64);
    const channel = await putChannel(worker, space, id, { name: "Long ids" });
    assert.equal(channel.id, id);
    const res = await admin(worker, "GET", channelsPath(space));
    assert.equal(res.status, 200);
    assert.deepEqual((await readJson(res)).channels.map((c) => c.id), [id]);
  });
});
