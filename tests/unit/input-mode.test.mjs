// When the microphone is sent: push-to-talk with its release delay, the threshold gate with its
// hangover, and mute over both.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GATE, ThresholdGate, toDbfs, validThreshold } from "../../public/gate.js";
import { InputControl, PUSH_TO_TALK, PushToTalk, shouldSend, validInputMode } from "../../public/input-mode.js";

/** Timers driven by hand: `run()` fires what is due at `now`. */
function fakeTimers() {
  const t = { now: 0, pending: /** @type {{at: number, fn: () => void, id: number}[]} */ ([]), next: 1 };
  return Object.assign(t, {
    set: (/** @type {() => void} */ fn, /** @type {number} */ ms) => {
      const id = t.next++;
      t.pending.push({ at: t.now + ms, fn, id });
      return id;
    },
    clear: (/** @type {unknown} */ id) => { t.pending = t.pending.filter((p) => p.id !== id); },
    advance(/** @type {number} */ ms) {
      t.now += ms;
      for (const p of t.pending.filter((p) => p.at <= t.now)) {
        t.pending = t.pending.filter((q) => q !== p);
        p.fn();
      }
    },
  });
}

const LOUD = 0.1; // -20 dBFS
const QUIET = 0.0001; // -80 dBFS

test("push-to-talk sends from the press until the release delay has passed", () => {
  const timers = fakeTimers();
  const sent = [];
  const input = new InputControl({ mode: "push_to_talk", apply: (s) => sent.push(s), timers });
  assert.equal(input.sending, false, "nothing is sent before the key is held");
  input.setPushToTalk(true);
  assert.deepEqual(sent, [true], "at once on press");
  input.setPushToTalk(false);
  timers.advance(PUSH_TO_TALK.RELEASE_MS - 1);
  assert.equal(input.sending, true, "still sending within the release delay");
  timers.advance(1);
  assert.deepEqual(sent, [true, false]);
});

test("pressing again within the release delay keeps sending without a gap", () => {
  const timers = fakeTimers();
  const sent = [];
  const input = new InputControl({ mode: "push_to_talk", apply: (s) => sent.push(s), timers });
  input.setPushToTalk(true);
  input.setPushToTalk(false);
  timers.advance(100);
  input.setPushToTalk(true);
  timers.advance(1000);
  assert.deepEqual(sent, [true], "one continuous transmission");
  input.setPushToTalk(true); // key repeat
  assert.deepEqual(sent, [true]);
});

test("mute wins over push-to-talk and over the gate", () => {
  const timers = fakeTimers();
  const sent = [];
  const input = new InputControl({ mode: "push_to_talk", muted: true, apply: (s) => sent.push(s), timers });
  input.setPushToTalk(true);
  assert.equal(input.sending, false, "held while muted: nothing sent");
  input.setMuted(false);
  assert.deepEqual(sent, [true], "unmuting while held sends");
  input.setMuted(true);
  assert.deepEqual(sent, [true, false], "muting while held stops at once");
  input.setMode("voice_activity");
  input.level(LOUD, 0);
  assert.equal(input.sending, false, "loud but muted: nothing sent");
  assert.equal(shouldSend({ mode: "voice_activity", muted: true, talking: true, gateOpen: true }), false);
});

test("the gate opens at the threshold and closes after its hangover", () => {
  const gate = new ThresholdGate(-40);
  assert.equal(gate.open, true, "open before the first reading (no meter: nothing gated)");
  assert.equal(gate.step(QUIET, 0), false);
  assert.equal(gate.step(LOUD, 50), true);
  assert.equal(gate.step(QUIET, 50 + GATE.HANGOVER_MS - 1), true, "the hangover keeps word ends");
  assert.equal(gate.step(QUIET, 50 + GATE.HANGOVER_MS), false);
  gate.threshold = -10;
  assert.equal(gate.step(LOUD, 1000), false, "-20 dBFS is below a -10 dBFS threshold");
});

test("voice activity sends while the gate is open; push-to-talk ignores the level", () => {
  const timers = fakeTimers();
  const sent = [];
  const input = new InputControl({ thresholdDbfs: -30, apply: (s) => sent.push(s), timers });
  input.level(QUIET, 0);
  input.level(LOUD, 50);
  input.level(QUIET, 500);
  assert.deepEqual(sent, [false, true, false]);
  input.setMode("push_to_talk");
  input.level(LOUD, 600);
  assert.equal(input.sending, false, "loud is not enough in push-to-talk");
  input.setThreshold(-70);
  input.setMode("voice_activity");
  input.level(QUIET, 1000);
  assert.equal(input.sending, false, "-80 dBFS is below -70");
});

test("thresholds and modes from outside are checked", () => {
  assert.throws(() => validThreshold(Number.NaN), TypeError);
  assert.throws(() => validThreshold("-40"), TypeError);
  assert.equal(validThreshold(-500), GATE.MIN_DBFS);
  assert.equal(validThreshold(12), GATE.MAX_DBFS);
  assert.throws(() => validInputMode("always"), TypeError);
  assert.equal(toDbfs(0), -Infinity);
  assert.ok(Math.abs(toDbfs(0.1) + 20) < 1e-9);
  const ptt = new PushToTalk(() => {}, fakeTimers());
  ptt.set(false);
  assert.equal(ptt.talking, false, "a release without a press is nothing");
});

test("the push-to-talk key reads as people know it, and keys that press buttons cannot be bound", async () => {
  const { RESERVED_KEYS, keyName } = await import("../../public/push-to-talk-key.js");
  assert.equal(keyName(PUSH_TO_TALK.DEFAULT_KEY), "`");
  assert.equal(keyName("KeyV"), "V");
  assert.equal(keyName("Digit4"), "4");
  assert.equal(keyName("F13"), "F13");
  assert.equal(keyName("ControlRight"), "Control Right");
  for (const key of ["Tab", "Enter", "Space", "Escape"]) assert.ok(RESERVED_KEYS.has(key), key);
  assert.ok(!RESERVED_KEYS.has(PUSH_TO_TALK.DEFAULT_KEY));
});
