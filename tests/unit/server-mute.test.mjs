// A moderator's mute (contract v1.1 `server_muted`): our own wins over every way of sending (the
// input mode, push-to-talk, our own unmute), survives a moderator's move until the new channel
// says it again, and every other member muted that way is played silent whatever their volume.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InputControl, shouldSend } from "../../public/input-mode.js";
import { OwnServerMute, SERVER_MUTE, applyServerMutes } from "../../public/server-mute.js";

test("a moderator's mute wins over voice activity, push-to-talk and our own unmute", () => {
  for (const mode of /** @type {const} */ (["voice_activity", "push_to_talk"])) {
    assert.equal(shouldSend({ mode, muted: false, talking: true, gateOpen: true, serverMuted: true }), false, mode);
    assert.equal(shouldSend({ mode, muted: false, talking: true, gateOpen: true, serverMuted: false }), true, mode);
  }
  const sent = [];
  const input = new InputControl({ mode: "push_to_talk", apply: (s) => sent.push(s) });
  input.setPushToTalk(true);
  input.setServerMuted(true);
  input.setMuted(false);
  input.setPushToTalk(true);
  input.setMode("voice_activity");
  input.level(0.1, 0);
  assert.equal(input.sending, false, "nothing is sent while muted by a moderator");
  input.setServerMuted(false);
  assert.equal(input.sending, true, "sent again once a moderator unmutes (the gate is open)");
  assert.deepEqual(sent, [true, false, true]);
});

test("our server mute is what the server says, and carried over a move until the new channel says it", () => {
  const own = new OwnServerMute(1000);
  assert.equal(own.muted(0), false);
  own.report(true);
  assert.equal(own.muted(0), true);
  own.moved(100);
  assert.equal(own.muted(150), true, "the new channel's joined says unmuted: still muted");
  own.report(false); // joined in the new channel, and the echo of our own state
  assert.equal(own.muted(500), true);
  assert.equal(own.carryLeft(500), 600);
  assert.equal(own.muted(1100), false, "nobody said it again within the carry-over: the server's word holds");
  own.report(true);
  own.moved(2000);
  own.report(true); // the lobby told the new room: the carry-over is over
  assert.equal(own.carryLeft(2000), 0);
  own.report(false); // a moderator unmutes us right after
  assert.equal(own.muted(2001), false);
  const fresh = new OwnServerMute();
  fresh.moved(0);
  assert.equal(fresh.muted(1), false, "an unmuted member moved stays unmuted");
  assert.equal(SERVER_MUTE.CARRY_MS > 500, true, "the carry-over outlasts a lobby report (~100 ms)");
});

/** The parts of a room applyServerMutes acts on, recorded. */
function fakeRoom() {
  const events = [];
  const played = new Map();
  const room = {
    userId: "me",
    members: new Map(),
    ownServerMute: new OwnServerMute(1000),
    audioOut: {
      serverMuted: new Set(),
      setServerMuted(userId, muted) {
        if (muted) this.serverMuted.add(userId);
        else this.serverMuted.delete(userId);
        played.set(userId, !muted);
      },
    },
    input: new InputControl({ apply: () => {} }),
    speakers: { muted: (id) => events.push(["ring off", id]) },
    serverMuteTimer: undefined,
    emit: (type, detail) => events.push([type, detail]),
    memberList: () => [...room.members.values()],
  };
  return { room, events, played };
}

const member = (id, serverMuted) => ({ id, name: id, muted: false, deafened: false, server_muted: serverMuted });

test("others muted by a moderator are played silent; we stop sending and hear about it once", () => {
  const { room, events, played } = fakeRoom();
  room.members = new Map([["me", member("me", false)], ["bob", member("bob", true)], ["ann", member("ann", false)]]);
  assert.equal(applyServerMutes(room, 0), false);
  assert.deepEqual(Object.fromEntries(played), { bob: false, ann: true });
  room.members.set("bob", member("bob", false));
  applyServerMutes(room, 0);
  assert.equal(played.get("bob"), true, "bob heard again once unmuted");
  room.members.delete("ann");
  room.audioOut.serverMuted.add("ann");
  applyServerMutes(room, 0);
  assert.equal(room.audioOut.serverMuted.has("ann"), false, "a member who left is forgotten");

  room.ownServerMute.report(true);
  assert.equal(applyServerMutes(room, 0), true);
  assert.equal(room.input.serverMuted, true);
  assert.equal(room.members.get("me").server_muted, true, "our own entry shows it");
  assert.deepEqual(events, [["ring off", "me"], ["server_muted", { muted: true }]]);
  assert.equal(applyServerMutes(room, 0), false, "told once");
  room.ownServerMute.report(false);
  assert.equal(applyServerMutes(room, 0), true);
  assert.deepEqual(events.at(-1), ["server_muted", { muted: false }]);
  clearTimeout(room.serverMuteTimer);
});

test("after a move the carried mute ends by itself when the new channel never says it", async () => {
  const { room, events } = fakeRoom();
  room.ownServerMute = new OwnServerMute(30);
  room.ownServerMute.report(true);
  room.ownServerMute.moved(performance.now());
  room.members = new Map([["me", member("me", false)]]);
  room.ownServerMute.report(false);
  applyServerMutes(room, performance.now());
  assert.equal(room.input.serverMuted, true, "carried over");
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(room.input.serverMuted, false, "over once the carry-over ran out");
  assert.deepEqual(events.filter(([t]) => t !== "ring off").map(([t, d]) => `${t}:${JSON.stringify(d?.muted ?? d.length)}`),
    ["server_muted:true", "server_muted:false", "members:1"]);
});
