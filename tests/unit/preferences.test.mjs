// The voice controls remembered in this browser: defaults, bad stored data, per-member volumes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PreferenceStore, defaults, memberLevel, parsePreferences, withMemberLevel } from "../../public/preferences.js";

function memoryStorage() {
  const map = new Map();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)), map };
}

test("a member's volume and mute for me are remembered by user id and survive a reload", () => {
  const storage = memoryStorage();
  const store = new PreferenceStore(storage);
  store.update((p) => withMemberLevel(p, "u-bob", { volume: 1.5, muted: false }));
  store.update((p) => withMemberLevel(p, "u-carol", { volume: 1, muted: true }));
  store.update((p) => ({ ...p, inputMode: "push_to_talk", pushToTalkKey: "KeyV", voiceThreshold: -42 }));
  const again = new PreferenceStore(storage).value;
  assert.deepEqual(memberLevel(again, "u-bob"), { volume: 1.5, muted: false });
  assert.deepEqual(memberLevel(again, "u-carol"), { volume: 1, muted: true });
  assert.deepEqual(memberLevel(again, "u-dave"), { volume: 1, muted: false }, "others at 100 %");
  assert.equal(again.inputMode, "push_to_talk");
  assert.equal(again.pushToTalkKey, "KeyV");
  assert.equal(again.voiceThreshold, -42);
});

test("a member back at 100 % and unmuted is forgotten", () => {
  const p = withMemberLevel(withMemberLevel(defaults(), "u-bob", { volume: 0.5, muted: false }), "u-bob", { volume: 1, muted: false });
  assert.deepEqual(p.members, {});
});

test("whatever is stored, reading gives valid preferences", () => {
  assert.deepEqual(parsePreferences(null), defaults());
  assert.deepEqual(parsePreferences("{not json"), defaults());
  assert.deepEqual(parsePreferences("[1,2]").inputMode, "voice_activity");
  const odd = parsePreferences(JSON.stringify({
    inputMode: "always", pushToTalkKey: "<img>", voiceThreshold: "loud", sounds: "yes",
    members: { a: { volume: 9 }, b: { volume: "x" }, c: null, d: { volume: -1, muted: "true" } },
    processing: { noiseSuppression: false, echoCancellation: 1 },
  }));
  assert.equal(odd.inputMode, "voice_activity");
  assert.equal(odd.pushToTalkKey, defaults().pushToTalkKey);
  assert.equal(odd.voiceThreshold, defaults().voiceThreshold);
  assert.equal(odd.sounds, true);
  assert.deepEqual(odd.members, { a: { volume: 2, muted: false }, d: { volume: 0, muted: false } });
  assert.deepEqual(odd.processing, { echoCancellation: true, noiseSuppression: false, autoGainControl: true });
  assert.equal(parsePreferences(JSON.stringify({ voiceThreshold: -500 })).voiceThreshold, -100);
});

test("a storage that refuses to write keeps the preferences in memory", () => {
  const store = new PreferenceStore({ getItem: () => null, setItem: () => { throw new Error("quota"); } });
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(store.update((p) => ({ ...p, sounds: false })).sounds, false);
  } finally {
    console.warn = warn;
  }
});
