// Assertions on the contract's shapes that several test files make: the error body
// `{"error": <sentence>, "reason": <snake_case>}` on HTTP answers and refused upgrades.

import assert from "node:assert/strict";

/** Asserts the contract's error shape: `status`, and a body `{"error": <sentence>, "reason"}`. */
export async function assertError(res, status, reason) {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${reason}, got ${res.status}: ${text}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`error body is not JSON: ${text}`);
  }
  assertErrorBody(body, reason);
  return body;
}

/** Asserts an already parsed error body. */
export function assertErrorBody(body, reason) {
  assert.ok(typeof body === "object" && body !== null, `error body is not an object: ${JSON.stringify(body)}`);
  assert.equal(typeof body.error, "string", `"error" must be a string: ${JSON.stringify(body)}`);
  assert.ok(body.error.length > 0, `"error" must not be empty: ${JSON.stringify(body)}`);
  assert.equal(body.reason, reason, `reason: ${JSON.stringify(body)}`);
}

/** Asserts an upgrade was refused with the contract's error shape. */
export function assertRefused(result, status, reason) {
  assert.equal(result.status, status, `expected ${status} ${reason}, got ${result.status}: ${JSON.stringify(result.body)}`);
  assertErrorBody(result.body, reason);
}
