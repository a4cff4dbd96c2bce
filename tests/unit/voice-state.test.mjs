// Our own mute and deafen: deafen mutes, undeafen restores the mute we had, unmuting undeafens.
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialVoiceState, withDeafened, withMuted } from "../../public/voice-state.js";

const plain = initialVoiceState({});

test("starting deafened means muted; starting muted remembers it", () => {
  assert.deepEqual(plain, { muted: false, deafened: false, mutedBeforeDeafen: false });
  assert.deepEqual(initialVoiceState({ deafened: true }), { muted: true, deafened: true, mutedBeforeDeafen: false });
  assert.deepEqual(initialVoiceState({ muted: true }), { muted: true, deafened: false, mutedBeforeDeafen: true });
});

test("undeafening gives back the mute we had before", () => {
  const muted = withMuted(plain, true);
  const deaf = withDeafened(muted, true);
  assert.deepEqual(deaf, { muted: true, deafened: true, mutedBeforeDeafen: true });
  assert.deepEqual(withDeafened(deaf, false), { muted: true, deafened: false, mutedBeforeDeafen: true });
  assert.deepEqual(withDeafened(withDeafened(plain, true), false), plain);
});

test("unmuting while deafened undeafens too; muting while deafened only changes what undeafen restores", () => {
  const deaf = withDeafened(plain, true);
  assert.deepEqual(withMuted(deaf, false), { muted: false, deafened: false, mutedBeforeDeafen: false });
  const stillDeaf = withMuted(deaf, true);
  assert.deepEqual(stillDeaf, { muted: true, deafened: true, mutedBeforeDeafen: true });
  assert.deepEqual(withDeafened(stillDeaf, false).muted, true);
});

test("setting what already is changes nothing (same object)", () => {
  assert.equal(withMuted(plain, false), plain);
  assert.equal(withDeafened(plain, false), plain);
});
