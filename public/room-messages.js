// @ts-check
/**
 * room-messages.js — what each message of the voice channel does to a VoiceRoom: one handler per
 * server message type (a type left out here is a type error: socket.js `Handlers`), and what a
 * lost socket means: the end of the call (an ending close code) or a resume (anything else, once
 * joined: the call goes on while the page takes its place back; resume.js decides), and a
 * moderator's move (the call follows to the other channel by itself). voice.js opens the
 * channel's socket with these.
 */
import { CloseCode, closeReason } from "./protocol.js";
import { closeEndsCall, errorEndsCall, resumeDelay } from "./resume.js";
import { applyServerMutes } from "./server-mute.js";

/** @typedef {import("./voice.js").VoiceRoom} VoiceRoom */
/** @typedef {import("./protocol.js").ServerMsg} ServerMsg */
/** @typedef {import("./protocol.js").JoinedMsg} JoinedMsg */
/** @typedef {import("./protocol.js").Member} Member */

/** How often each peer connection's getStats() is read for round-trip time and loss. */
const STATS_INTERVAL_MS = 2000;

/**
 * @param {VoiceRoom} room
 * @returns {import("./socket.js").Handlers<ServerMsg>}
 */
export function roomHandlers(room) {
  /** Nothing arrives for a room that is over. */
  const live = (/** @type {(msg: any) => unknown} */ fn) => (/** @type {any} */ msg) => (room.ended ? undefined : fn(msg));
  return {
    joined: live((/** @type {JoinedMsg} */ msg) => joined(room, msg)),
    member_joined: live((msg) => memberJoined(room, msg)),
    member_left: live((msg) => memberLeft(room, msg.user_id)),
    member_updated: live((msg) => memberUpdated(room, msg.member)),
    member_speaking: live((msg) => {
      const member = room.members.get(msg.user_id);
      if (msg.user_id !== room.userId) room.speakers.set(msg.user_id, msg.speaking && !member?.muted && !member?.server_muted);
    }),
    move: live((msg) => moved(room, msg.channel_id)),
    signal: live((msg) => room.mesh.receive(msg.from, msg.payload)),
    error: live((msg) => {
      const detail = msg.detail ? ` (${msg.detail})` : "";
      if (!errorEndsCall(msg.reason)) return console.warn(`[voice] ${room.channelId}: request refused: ${msg.reason}${detail}`);
      console.warn(`[voice] ${room.channelId}: the server says ${msg.reason}${detail}`);
      // The server closes the socket right after this, but the closing handshake can take
      // seconds to finish (seen with `moved`): the room is over now.
      room.socket?.detach();
      return socketLost(room, msg.reason, null, "");
    }),
  };
}

/**
 * @param {VoiceRoom} room
 * @param {JoinedMsg} msg
 */
function joined(room, msg) {
  const resuming = room.joinedAt !== null;
  room.userId = msg.user_id;
  room.sessionId = msg.session_id;
  room.members = new Map(msg.members.map((m) => [m.id, m]));
  room.ownServerMute.report(room.members.get(msg.user_id)?.server_muted === true);
  applyServerMutes(room, performance.now());
  if (typeof msg.grace_secs === "number" && msg.grace_secs >= 0) room.graceSecs = msg.grace_secs;
  room.ice.apply(Array.isArray(msg.ice_servers) ? msg.ice_servers : [], msg.ice_expires_at ?? null);
  if (resuming) resumed(room, msg);
  room.joinedAt = performance.now();
  room.setStatus("connected", null);
  room.refreshStatus();
  room.emit("joined", msg);
  // Our mute/deafen from before the join (the server starts everyone unmuted).
  const me = room.members.get(msg.user_id);
  if (me && (me.muted !== room.muted || me.deafened !== room.deafened)) room.stateChanged();
  else room.emit("members", room.memberList());
  room.speakers.joined(msg.user_id);
  clearInterval(room.statsTimer);
  room.statsTimer = setInterval(() => room.mesh.readStats(), STATS_INTERVAL_MS);
  // The newcomer offers to no one: the members already here offer to us.
}

/**
 * `joined` on a resumed socket: the place is ours again. The kept peer connections are squared
 * with the members listed (resume.js peerAction). `resumed: false` means the server made a fresh
 * entry (a server before v1.1 that ignores `resume=1`): then everyone offers to us anew.
 * @param {VoiceRoom} room
 * @param {JoinedMsg} msg
 */
function resumed(room, msg) {
  if (room.droppedAt !== null) {
    console.info(`[voice] ${room.channelId}: resumed after ${Math.round(performance.now() - room.droppedAt)} ms`);
  }
  room.droppedAt = null;
  room.reconnecting = false;
  if (msg.resumed === false) room.mesh.closeAll();
  else room.mesh.afterResume(msg.members.map((m) => m.id));
}

/**
 * @param {VoiceRoom} room
 * @param {import("./protocol.js").MemberJoinedMsg} msg
 */
function memberJoined(room, msg) {
  const member = msg.member;
  room.members.set(member.id, member);
  applyServerMutes(room, performance.now());
  room.emit("members", room.memberList());
  if (member.id === room.userId) return;
  // Speaking is relayed, not stored: a newcomer learns that we are talking only if we say it again.
  room.speakers.newcomer();
  // We were here first: we offer — unless they came back with their connection to us kept.
  room.mesh.memberJoined(member.id, !msg.resumed ? "they_joined" : msg.media_kept ? "they_resumed_kept" : "they_resumed");
}

/**
 * @param {VoiceRoom} room
 * @param {string} userId
 */
function memberLeft(room, userId) {
  room.members.delete(userId);
  room.speakers.who.delete(userId);
  room.mesh.close(userId);
  applyServerMutes(room, performance.now());
  room.emit("members", room.memberList());
  room.refreshStatus();
}

/**
 * @param {VoiceRoom} room
 * @param {Member} member
 */
function memberUpdated(room, member) {
  // Our own echo may be older than a toggle we made since: ours is the truth for us (but a
  // moderator's mute is the server's).
  const ours = member.id === room.userId;
  room.members.set(member.id, ours ? { ...member, muted: room.muted, deafened: room.deafened } : member);
  if (ours) room.ownServerMute.report(member.server_muted === true);
  applyServerMutes(room, performance.now());
  // A muted member sends no voice activity: whatever we last heard is over.
  if (member.muted || member.server_muted) room.speakers.set(member.id, false);
  room.emit("members", room.memberList());
}

/**
 * A moderator moved us (contract v1.1): the server closes this socket with 4010 next, which alone
 * would end the call. Instead the call follows to `channelId` by itself: the microphone, our
 * mute/deafen, a moderator's mute (server-mute.js) and each member's volume are kept; the old
 * channel's peer connections close; a `moved` event, then `connecting` and `connected` as for a
 * join.
 * @param {VoiceRoom} room
 * @param {unknown} channelId
 */
function moved(room, channelId) {
  if (typeof channelId !== "string" || !channelId) return;
  const from = room.channelId;
  console.info(`[voice] ${from}: a moderator moved us to ${channelId}`);
  room.socket?.detach();
  room.socket = null;
  room.stopTimers();
  room.mesh.closeAll();
  for (const userId of [...room.speakers.who]) if (userId !== room.userId) room.speakers.set(userId, false);
  room.ownServerMute.moved(performance.now());
  room.channelId = channelId;
  room.audioOut.setChannel(channelId);
  room.members = new Map();
  // A fresh entry there: no session to take back, no resume under way.
  room.sessionId = null;
  room.joinedAt = null;
  room.reconnecting = false;
  room.droppedAt = null;
  room.emit("moved", { from, channelId });
  room.setStatus("connecting", null);
  room.emit("members", []);
  room.openSocket();
}

/**
 * The socket closed. Once joined, anything but an ending code is resumed; otherwise the call is
 * over: a contract reason from the code, else refused (before `joined`) or lost.
 * @param {VoiceRoom} room
 * @param {number} code
 * @param {string} reason  the close frame's reason text
 */
export function socketClosed(room, code, reason) {
  const resuming = !room.ended && room.joinedAt !== null && !closeEndsCall(code, { left: false });
  if (resuming) {
    room.emit("closed", { code, reason, resuming });
    if (room.droppedAt === null) console.warn(`[voice] ${room.channelId}: voice socket closed (code ${code}${reason ? `, ${reason}` : ""}); resuming`);
    resume(room);
    return;
  }
  socketLost(room, closeReason(code) ?? (room.joinedAt === null ? "refused" : "socket_closed"), code, reason);
}

/**
 * The socket dropped mid-call (or a resume try failed): keep the call — peer connections,
 * microphone, mute/deafen — show yellow "Reconnecting…", and try again until the grace period
 * since the drop is over (then the place is gone: disconnected).
 * @param {VoiceRoom} room
 */
function resume(room) {
  room.socket = null;
  if (room.droppedAt === null) {
    room.droppedAt = performance.now();
    room.resumeAttempt = 0;
  }
  room.reconnecting = true;
  room.setStatus("connecting", null);
  const delay = resumeDelay(room.resumeAttempt, {
    droppedAt: room.droppedAt, now: performance.now(), graceMs: room.graceSecs * 1000,
  });
  if (delay === null) {
    console.error(`[voice] ${room.channelId}: could not resume within ${room.graceSecs} s; the place is gone`);
    room.fail("socket_closed");
    return;
  }
  room.resumeAttempt += 1;
  clearTimeout(room.resumeTimer);
  room.resumeTimer = setTimeout(() => {
    room.resumeTimer = undefined;
    if (!room.ended) room.openSocket();
  }, delay);
}

/**
 * The signalling socket is gone (or about to be): unless we left, the room is disconnected.
 * @param {VoiceRoom} room
 * @param {string} why       a reason (protocol.js REASONS)
 * @param {number | null} code
 * @param {string} reason
 */
function socketLost(room, why, code, reason) {
  room.emit("closed", { code, reason, resuming: false });
  if (room.ended) return;
  const how = code === null ? "ended by the server" : `closed (code ${code}${reason ? `, ${reason}` : ""})`;
  const log = code === CloseCode.NORMAL || code === null ? console.warn : console.error;
  log(`[voice] ${room.channelId}: voice socket ${how}: ${why}`);
  room.fail(why);
}
