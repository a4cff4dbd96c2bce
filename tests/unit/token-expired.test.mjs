// `token_expired` (close 4001, issue 12 item 5): the server closes a socket whose token expired;
// the page reads it as the end of the call and says why.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CloseCode, closeReason, endsCall, reasonText } from "../../public/protocol.js";

test("token_expired ends the call, closes with 4001 and asks to sign in again", () => {
  assert.equal(CloseCode.TOKEN_EXPIRED, 4001);
  assert.equal(closeReason(4001), "token_expired");
  assert.equal(endsCall("token_expired"), true);
  assert.equal(reasonText("token_expired"), "Your session expired — sign in again");
});
