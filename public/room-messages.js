// @ts-check
/**
 * room-messages.js — what each message of the voice channel does to a VoiceRoom: one handler per
 * server message type (a type left out here is a type error: socket.js `Handlers`), and what a
 * lost socket means. voice.js opens the channel's socket with these.
 */
import { CloseCode, closeReason, endsCall } from "./protocol.js";

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
    member_joined: live((msg) => memberJoined(room, msg.member)),
    member_left: live((msg) => memberLeft(room, msg.user_id)),
    member_updated: live((msg) => memberUpdated(room, msg.member)),
    member_speaking: live((msg) => {
      if (msg.user_id !== room.userId) room.speakers.set(msg.user_id, msg.speaking && !room.members.get(msg.user_id)?.muted);
    }),
    signal: live((msg) => room.mesh.receive(msg.from, msg.payload)),
    error: live((msg) => {
      const detail = msg.detail ? ` (${msg.detail})` : "";
      if (!endsCall(msg.reason)) return console.warn(`[voice] ${room.channelId}: request refused: ${msg.reason}${detail}`);
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
  room.userId = msg.user_id;
  room.sessionId = msg.session_id;
  room.members = new Map(msg.members.map((m) => [m.id, m]));
  room.ice.apply(Array.isArray(msg.ice_servers) ? msg.ice_servers : [], msg.ice_expires_at ?? null);
  room.joinedAt = performance.now();
  room.setStatus("connected", null);
  room.emit("joined", msg);
  // Our mute/deafen from before the join (the server starts everyone unmuted).
  const me = room.members.get(msg.user_id);
  if (me && (me.muted !== room.muted || me.deafened !== room.deafened)) room.stateChanged();
  else room.emit("members", room.memberList());
  room.speakers.joined(msg.user_id);
  room.statsTimer = setInterval(() => room.mesh.readStats(), STATS_INTERVAL_MS);
  // The newcomer offers to no one: the members already here offer to us.
}

/**
 * @param {VoiceRoom} room
 * @param {Member} member
 */
function memberJoined(room, member) {
  room.members.set(member.id, member);
  room.emit("members", room.memberList());
  if (member.id === room.userId) return;
  // Speaking is relayed, not stored: a newcomer learns that we are talking only if we say it again.
  room.speakers.newcomer();
  // We were here first: we offer (a connection we still had to them is dead on their side).
  room.mesh.offerTo(member.id);
}

/**
 * @param {VoiceRoom} room
 * @param {string} userId
 */
function memberLeft(room, userId) {
  room.members.delete(userId);
  room.speakers.who.delete(userId);
  room.mesh.close(userId);
  room.emit("members", room.memberList());
  room.refreshStatus();
}

/**
 * @param {VoiceRoom} room
 * @param {Member} member
 */
function memberUpdated(room, member) {
  // Our own echo may be older than a toggle we made since: ours is the truth for us.
  room.members.set(member.id, member.id === room.userId ? { ...member, muted: room.muted, deafened: room.deafened } : member);
  // A muted member sends no voice activity: whatever we last heard is over.
  if (member.muted) room.speakers.set(member.id, false);
  room.emit("members", room.memberList());
}

/**
 * The socket closed: a contract reason from its code, else refused (before `joined`) or lost.
 * @param {VoiceRoom} room
 * @param {number} code
 * @param {string} reason  the close frame's reason text
 */
export function socketClosed(room, code, reason) {
  socketLost(room, closeReason(code) ?? (room.joinedAt === null ? "refused" : "socket_closed"), code, reason);
}

/**
 * The signalling socket is gone (or about to be): unless we left, the room is disconnected.
 * @param {VoiceRoom} room
 * @param {string} why       a reason (protocol.js REASONS)
 * @param {number | null} code
 * @param {string} reason
 */
function socketLost(room, why, code, reason) {
  room.emit("closed", { code, reason });
  if (room.ended) return;
  const how = code === null ? "ended by the server" : `closed (code ${code}${reason ? `, ${reason}` : ""})`;
  const log = code === CloseCode.NORMAL || code === null ? console.warn : console.error;
  log(`[voice] ${room.channelId}: voice socket ${how}: ${why}`);
  room.fail(why);
}
