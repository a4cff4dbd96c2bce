// "You are muted": talking into a muted microphone is noticed (and its end), never while unmuted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MutedTalk, VOICE_ACTIVITY } from "../../public/voice-activity.js";

test("talking while muted starts and ends the hint; unmuted talk never does", () => {
  const seen = [];
  const talk = new MutedTalk((t) => seen.push(t));
  talk.level(0.2, 0, false);
  assert.deepEqual(seen, [], "talking unmuted is normal");
  talk.level(0.2, 100, true);
  assert.deepEqual(seen, [true]);
  talk.level(0, 100 + VOICE_ACTIVITY.HANGOVER_MS + 1, true);
  assert.deepEqual(seen, [true, false], "ends after the hangover");
  talk.level(0.2, 2000, true);
  talk.level(0.2, 2050, false);
  assert.deepEqual(seen, [true, false, true, false], "unmuting ends it at once");
});
