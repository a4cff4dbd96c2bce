// The reason table: every reason and close code of the contract (v1 and v1.1) is there, and the
// ones that end the call are marked.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CloseCode, REASONS, closeReason, endsCall, reasonText, socketUrl, subprotocols,
} from "../../public/protocol.js";

/** Contract reasons an `error` message or a close can carry, with their close code. */
const CONTRACT = {
  bad_message: null, unknown_type: null, binary_not_supported: null, too_large: null, unknown_peer: null,
  rate_limited: 4029, already_in_channel: 4009, moved: 4010, replaced: 4011, heartbeat_timeout: 4008,
  channel_full: 4013, resume_failed: 4012, kicked: 4003, banned: 4003, channel_deleted: 4004,
  forbidden_channel: null,
};
const ENDING = ["already_in_channel", "moved", "replaced", "heartbeat_timeout", "channel_full", "resume_failed",
  "kicked", "banned", "channel_deleted", "forbidden_channel"];

test("every contract reason is in the table with its close code", () => {
  for (const [reason, code] of Object.entries(CONTRACT)) {
    assert.ok(REASONS[reason], `${reason} is in the table`);
    assert.equal(REASONS[reason].code, code, `${reason} closes with ${code}`);
  }
});

test("the reasons that end the call are marked, and only those of the contract's refusals", () => {
  for (const reason of Object.keys(CONTRACT)) {
    assert.equal(endsCall(reason), ENDING.includes(reason), reason);
  }
  assert.equal(endsCall("a_reason_from_a_newer_server"), false, "an unknown reason refuses one request only");
});

test("every close code of the contract maps back to its reason", () => {
  assert.equal(closeReason(CloseCode.HEARTBEAT_TIMEOUT), "heartbeat_timeout");
  assert.equal(closeReason(4009), "already_in_channel");
  assert.equal(closeReason(4010), "moved");
  assert.equal(closeReason(4011), "replaced");
  assert.equal(closeReason(4012), "resume_failed");
  assert.equal(closeReason(4013), "channel_full");
  assert.equal(closeReason(4029), "rate_limited");
  assert.equal(closeReason(4003), "kicked");
  assert.equal(closeReason(4004), "channel_deleted");
  assert.equal(closeReason(1000), null);
  assert.equal(closeReason(1006), null);
});

test("every reason that ends the call has a sentence; unknown ones get a generic one", () => {
  for (const [reason, r] of Object.entries(REASONS)) {
    if (r.ends) assert.ok(r.text && !r.text.endsWith("."), `${reason} has a sentence without a full stop`);
  }
  assert.equal(reasonText("moved"), "You joined another channel in another tab");
  assert.equal(reasonText("already_in_channel"), "You are in this channel in another tab");
  assert.equal(reasonText("microphone_denied"), "Microphone access is blocked");
  assert.equal(reasonText("connection_failed"), "Lost the connection");
  assert.equal(reasonText(null), "Lost the connection");
  assert.doesNotMatch(Object.values(REASONS).map((r) => r.text ?? "").join(" "), /disconnected/i,
    "no sentence says the word the red state owns");
});

test("the token rides in the subprotocol list, and socket URLs follow the page's scheme", () => {
  assert.deepEqual(subprotocols("abc"), ["voice.v1", "bearer.abc"]);
  assert.equal(socketUrl("/api/lobby", "https://voice.example.com/x").href, "wss://voice.example.com/api/lobby");
  assert.equal(socketUrl("/api/lobby", "http://127.0.0.1:8787/").href, "ws://127.0.0.1:8787/api/lobby");
});
