// The signal icon says "poor connection" from the loss people hear (public/stats.js,
// AUDIBLE_LOSS_PCT, measured by bench/quality).
import assert from "node:assert/strict";
import { test } from "node:test";
import { AUDIBLE_LOSS_PCT, poorConnection } from "../../public/stats.js";

test("loss below the audible threshold is not a poor connection; at or above it, it is", () => {
  assert.equal(poorConnection({ lossPct: null }), false, "nothing measured yet");
  assert.equal(poorConnection({ lossPct: 0 }), false);
  assert.equal(poorConnection({ lossPct: AUDIBLE_LOSS_PCT - 0.1 }), false);
  assert.equal(poorConnection({ lossPct: AUDIBLE_LOSS_PCT }), true);
  assert.equal(poorConnection({ lossPct: 40 }), true);
});
