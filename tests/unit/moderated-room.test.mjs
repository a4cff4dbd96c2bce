// What the voice channel's messages do to a room when a moderator acts (room-messages.js with the
// room's own parts, no browser): `member_updated` with `server_muted` silences that member here and
// stops our own sending; a `move` makes the call follow to the target channel by itself (no end at
// the 4010 that follows), with our mute and a moderator's mute carried over.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AudioOut } from "../../public/audio-out.js";
import { InputControl } from "../../public/input-mode.js";
import { roomHandlers, socketClosed } from "../../public/room-messages.js";
import { OwnServerMute } from "../../public/server-mute.js";
import { Speakers } from "../../public/voice-activity.js";

const member = (id, extra = {}) => ({ id, name: id.toUpperCase(), muted: false, deafened: false, server_muted: false, ...extra });

/** A VoiceRoom's parts the handlers touch, with what they did recorded. */
function fakeRoom() {
  const log = [];
  const room = {
    channelId: "general", userId: "me", sessionId: "s1", joinedAt: 1, ended: false, reconnecting: false, droppedAt: null,
    muted: true, deafened: false, status: "connected", reason: null,
    members: new Map([["me", member("me", { muted: true })], ["bob", member("bob")]]),
    ownServerMute: new OwnServerMute(),
    serverMuteTimer: undefined,
    audioOut: new AudioOut({ channelId: "general", parent: null, speakerId: null, onBlocked: () => {} }),
    input: new InputControl({ muted: false, apply: (sending) => log.push(`sending ${sending}`) }),
    speakers: null,
    socket: { detach: () => log.push("old socket detached"), send: () => {} },
    mesh: { closeAll: () => log.push("peers closed"), close: () => {}, memberJoined: () => {}, readStats: () => {} },
    ice: { apply: () => {} },
    stopTimers: () => log.push("timers stopped"),
    openSocket: () => log.push(`socket for ${room.channelId} (session ${room.sessionId})`),
    setStatus: (status) => { room.status = status; log.push(`status ${status}`); },
    emit: (type, detail) => log.push(`${type} ${JSON.stringify(detail)}`),
    memberList: () => [...room.members.values()],
    refreshStatus: () => {},
    fail: (why) => log.push(`failed ${why}`),
    // VoiceRoom's: our mute/deafen into our entry, and sent to the server.
    stateChanged: () => {
      room.members.set("me", { ...room.members.get("me"), muted: room.muted, deafened: room.deafened });
      log.push("state sent");
    },
  };
  room.speakers = new Speakers({ emit: () => {}, send: () => {}, mayTell: () => false });
  return { room, log, on: roomHandlers(/** @type {any} */ (room)) };
}

test("a member muted by a moderator is silenced here; our own server mute stops our sending", () => {
  const { room, log, on } = fakeRoom();
  on.member_updated({ type: "member_updated", member: member("bob", { server_muted: true }) });
  assert.deepEqual([...room.audioOut.serverMuted], ["bob"]);
  on.member_updated({ type: "member_updated", member: member("me", { server_muted: true }) });
  assert.equal(room.input.serverMuted, true);
  assert.equal(room.input.sending, false);
  assert.equal(room.members.get("me").muted, true, "our own mute is ours");
  assert.ok(log.includes('server_muted {"muted":true}'));
  on.member_updated({ type: "member_updated", member: member("bob") });
  on.member_left({ type: "member_left", user_id: "bob" });
  assert.deepEqual([...room.audioOut.serverMuted], []);
  clearTimeout(room.serverMuteTimer);
});

test("a moderator's move: the call follows to the target, and the 4010 after it ends nothing", () => {
  const { room, log, on } = fakeRoom();
  on.member_updated({ type: "member_updated", member: member("me", { server_muted: true }) });
  log.length = 0;
  on.move({ type: "move", channel_id: "gaming" });
  assert.deepEqual(log, [
    "old socket detached", "timers stopped", "peers closed",
    'moved {"from":"general","channelId":"gaming"}', "status connecting", "members []", "socket for gaming (session null)",
  ]);
  assert.equal(room.channelId, "gaming");
  assert.equal(room.joinedAt, null, "a fresh join there");
  assert.equal(room.audioOut.options.channelId, "gaming");
  // The new channel says we are not muted by a moderator yet (its lobby report comes later): still muted.
  on.joined({
    type: "joined", channel_id: "gaming", user_id: "me", session_id: "s2", ice_servers: [],
    members: [member("me"), member("ann")],
  });
  clearInterval(room.statsTimer);
  assert.equal(room.input.serverMuted, true, "carried over the move");
  assert.equal(room.members.get("me").server_muted, true);
  assert.equal(room.status, "connected");
  assert.equal(room.members.get("me").muted, true, "our own mute went along (and was sent)");
  assert.ok(log.includes("state sent"));
  on.member_updated({ type: "member_updated", member: member("me", { server_muted: true }) });
  assert.equal(room.input.serverMuted, true);
  clearTimeout(room.serverMuteTimer);
  assert.ok(!log.some((l) => l.startsWith("failed")), "never ended");
});

test("without a move message first, a 4010 still ends the call (another tab joined elsewhere)", () => {
  const { room, log } = fakeRoom();
  socketClosed(/** @type {any} */ (room), 4010, "moved");
  assert.deepEqual(log.filter((l) => l.startsWith("failed")), ["failed moved"]);
});
