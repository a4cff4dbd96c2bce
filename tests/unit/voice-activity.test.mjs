// Voice activity: speaking starts at START, holds above KEEP, ends HANGOVER_MS after the last loud
// reading (no flicker between words); `speaking` is sent only on change, at most every 300 ms.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SpeakingReporter, Speakers, VOICE_ACTIVITY, VoiceActivity, speakingPlan,
} from "../../public/voice-activity.js";

const { START, KEEP, HANGOVER_MS, SAMPLE_MS, MIN_SEND_MS } = VOICE_ACTIVITY;

/** Feeds levels one reading per SAMPLE_MS; returns the speaking state after each. */
function run(levels, activity = new VoiceActivity()) {
  return levels.map((level, i) => activity.step(level, i * SAMPLE_MS));
}

test("a level below START never counts as speaking; one at START does at once", () => {
  assert.deepEqual(run([0, START * 0.9, KEEP, START * 0.99]), [false, false, false, false]);
  assert.deepEqual(run([0, START]), [false, true]);
});

test("speaking holds while the level stays above KEEP, even below START", () => {
  const out = run([START, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP]);
  assert.ok(out.every(Boolean), "no drop while above KEEP");
});

test("speaking ends HANGOVER_MS after the last loud reading, not before", () => {
  const activity = new VoiceActivity();
  assert.equal(activity.step(START, 0), true);
  assert.equal(activity.step(0, HANGOVER_MS - 1), true, "still in the hangover");
  assert.equal(activity.step(0, HANGOVER_MS), false, "over");
});

test("the gaps between words do not flicker: one change on, one change off", () => {
  // Words of 200 ms with 300 ms pauses, then silence.
  const levels = [];
  for (let word = 0; word < 5; word++) levels.push(0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0, 0, 0);
  levels.push(...new Array(30).fill(0));
  const out = run([0, ...levels]);
  const changes = out.filter((v, i) => i > 0 && v !== out[i - 1]).length;
  assert.equal(changes, 2, `one start and one end, got ${JSON.stringify(out)}`);
});

test("reset silences at once (muted): no hangover", () => {
  const activity = new VoiceActivity();
  activity.step(0.2, 0);
  activity.reset();
  assert.equal(activity.speaking, false);
  assert.equal(activity.step(KEEP, 10), false, "KEEP alone does not restart it");
});

test("speakingPlan: only changes are sent, silence is assumed, the rate limit makes it wait", () => {
  assert.deepEqual(speakingPlan({ told: null, toldAt: -Infinity, speaking: false, now: 0 }), { send: false, waitMs: 0 });
  assert.deepEqual(speakingPlan({ told: null, toldAt: -Infinity, speaking: true, now: 0 }), { send: true });
  assert.deepEqual(speakingPlan({ told: true, toldAt: 0, speaking: true, now: 50 }), { send: false, waitMs: 0 });
  assert.deepEqual(speakingPlan({ told: true, toldAt: 1000, speaking: false, now: 1100 }), { send: false, waitMs: MIN_SEND_MS - 100 });
  assert.deepEqual(speakingPlan({ told: true, toldAt: 1000, speaking: false, now: 1000 + MIN_SEND_MS }), { send: true });
});

test("SpeakingReporter sends a change that came too soon once the time is up, and nothing twice", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let now = 0;
  const sent = [];
  const reporter = new SpeakingReporter((s) => sent.push([now, s]), () => now);
  let speaking = true;
  reporter.report(() => speaking);
  now = 100;
  speaking = false;
  reporter.report(() => speaking);
  reporter.report(() => speaking);
  assert.deepEqual(sent, [[0, true]], "the change waits for the rate limit");
  now = MIN_SEND_MS;
  t.mock.timers.tick(MIN_SEND_MS - 100);
  assert.deepEqual(sent, [[0, true], [MIN_SEND_MS, false]]);
  now = 2000;
  reporter.report(() => speaking);
  assert.equal(sent.length, 2, "no change, nothing sent");
  reporter.forget();
  reporter.report(() => speaking);
  assert.equal(sent.length, 2, "after forget, silence is still assumed");
  reporter.report(() => null);
  reporter.stop();
});

test("Speakers: our ring at once, the others told once, muted clears both", () => {
  const events = [];
  const sent = [];
  let mayTell = true;
  const speakers = new Speakers({ emit: (id, s) => events.push([id, s]), send: (s) => sent.push(s), mayTell: () => mayTell });
  speakers.level(0.2, 0, false, "me");
  assert.deepEqual(events, [["me", true]]);
  assert.deepEqual(sent, [true]);
  speakers.level(0.2, 50, false, "me");
  assert.deepEqual(sent, [true], "no repeat while still speaking");
  speakers.muted("me");
  assert.deepEqual(events, [["me", true], ["me", false]]);
  speakers.level(0.5, 100, true, "me");
  assert.equal(speakers.who.has("me"), false, "no ring while muted");
  mayTell = false;
  speakers.level(0.5, 1000, false, "me");
  assert.deepEqual(sent, [true], "nothing is told while telling is not allowed");
  speakers.set("bob", true);
  speakers.set("bob", true);
  assert.equal(events.filter(([id]) => id === "bob").length, 1, "set emits on change only");
  speakers.stop();
  assert.equal(speakers.who.size, 0);
});
