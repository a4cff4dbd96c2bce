// @ts-check
/**
 * server-mute.js — a moderator's mute (contract v1.1 `server_muted`) in a call: our own (nothing is
 * sent, whatever the input mode, push-to-talk or our own mute say; the member cannot clear it) and
 * the others' (this page plays none of a muted member's audio, whatever their volume here: the
 * receivers enforce it, so a modified client is not heard by honest ones).
 *
 * After a moderator's move the new channel's `joined` lists us unmuted until the space's lobby
 * tells the room again (~100 ms later), and our own `state` is echoed unmuted meanwhile: a mute we
 * had is carried over the move until the server says it again, for CARRY_MS at most (then what the
 * server said last holds).
 */

export const SERVER_MUTE = Object.freeze({ CARRY_MS: 2000 });

/** Our own server mute, as the server last said it, with the carry-over across a move. Pure. */
export class OwnServerMute {
  constructor(carryMs = SERVER_MUTE.CARRY_MS) {
    this.carryMs = carryMs;
    /** What the server said last (our entry's `server_muted`). */
    this.reported = false;
    /** Until when (ms) a mute from before a move holds whatever the new channel said. */
    this.carryUntil = -Infinity;
  }

  /** Whether we are muted by a moderator now. @param {number} now  ms */
  muted(now) {
    return this.reported || now < this.carryUntil;
  }

  /** How long the carry-over still holds (0: none). @param {number} now */
  carryLeft(now) {
    return this.reported ? 0 : Math.max(0, this.carryUntil - now);
  }

  /**
   * Our entry as the server sent it (`joined`, `member_updated`).
   * @param {boolean} serverMuted
   */
  report(serverMuted) {
    this.reported = serverMuted;
    // The new channel knows now: the carry-over has done its job.
    if (serverMuted) this.carryUntil = -Infinity;
  }

  /** A moderator moved us to another channel. @param {number} now */
  moved(now) {
    if (this.muted(now)) this.carryUntil = now + this.carryMs;
    this.reported = false;
  }
}

/**
 * What a room holds that a server mute acts on (VoiceRoom's parts, so this file needs no room).
 * @typedef {Object} ServerMuteRoom
 * @property {string | null} userId
 * @property {Map<string, import("./protocol.js").Member>} members
 * @property {OwnServerMute} ownServerMute
 * @property {import("./audio-out.js").AudioOut} audioOut
 * @property {import("./input-mode.js").InputControl} input
 * @property {import("./voice-activity.js").Speakers} speakers
 * @property {ReturnType<typeof setTimeout> | undefined} serverMuteTimer
 * @property {(type: string, detail: unknown) => void} emit
 * @property {() => import("./protocol.js").Member[]} memberList
 */

/**
 * Squares playback and sending with who is muted by a moderator: every other member's playback
 * (gain 0 while muted), our microphone (not sent while muted), our own entry (as we hold it), and
 * a `server_muted` event when ours changed. Call it after every change of the members.
 * @param {ServerMuteRoom} room
 * @param {number} now  performance.now()
 * @returns {boolean} whether our own server mute changed
 */
export function applyServerMutes(room, now) {
  for (const member of room.members.values()) {
    if (member.id !== room.userId) room.audioOut.setServerMuted(member.id, member.server_muted === true);
  }
  for (const userId of [...room.audioOut.serverMuted]) {
    if (!room.members.has(userId)) room.audioOut.setServerMuted(userId, false);
  }
  const muted = room.ownServerMute.muted(now);
  const me = room.userId ? room.members.get(room.userId) : undefined;
  if (me && (me.server_muted === true) !== muted) room.members.set(me.id, { ...me, server_muted: muted });
  clearTimeout(room.serverMuteTimer);
  room.serverMuteTimer = undefined;
  const left = room.ownServerMute.carryLeft(now);
  if (left > 0) {
    room.serverMuteTimer = setTimeout(() => {
      room.serverMuteTimer = undefined;
      if (applyServerMutes(room, performance.now())) room.emit("members", room.memberList());
    }, left + 1);
  }
  if (muted === room.input.serverMuted) return false;
  room.input.setServerMuted(muted);
  if (muted) room.speakers.muted(room.userId);
  room.emit("server_muted", { muted });
  return true;
}
