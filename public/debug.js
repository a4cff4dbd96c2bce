// @ts-check
/**
 * debug.js — a small, documented window onto the call for tests and for people debugging in the
 * console, so nothing outside reaches into VoiceRoom's private parts (which may change).
 *
 *   window.__voiceDebug()  → null when the page is in no call, else plain data (JSON-safe):
 *     {
 *       status, reason,              the VoiceRoom's (`connecting`, `connected`, `disconnected`, …)
 *       reconnecting,                true while `connecting` means resuming a dropped socket
 *       socketOpens,                 voice sockets opened so far (the join and every resume try)
 *       channelId, userId, sessionId,
 *       startedAt, joinedAt,         performance.now() at join() and at `joined` (null before)
 *       iceExpiresAt,                unix seconds when the TURN credentials expire (or null)
 *       iceRefreshAt,                Date.now() ms of the next credential refresh (or null)
 *       microphone,                  label of the microphone track in use (or null)
 *       microphoneSettings,          the track's getSettings() (echoCancellation, noiseSuppression,
 *                                    autoGainControl, deviceId, …) or null
 *       inputMode,                   "voice_activity" | "push_to_talk"
 *       voiceThreshold,              dBFS (voice activity sends only above it)
 *       sending,                     whether our microphone is sent now (track.enabled)
 *       audioBlocked,                the browser refused to play without a click
 *       serverMuted,                 a moderator muted us (v1.1): nothing is sent
 *       members: [{id, name, muted, deafened, server_muted}],  in join order, us included
 *       speaking: [userId],
 *       peers: [{                    one per other member, in creation order
 *         userId, state,             state: "connecting" | "connected" | "failed"
 *         connectionState, signalingState,   the RTCPeerConnection's own
 *         failure, restarts,         why it counts as failed; ICE restarts since last connected
 *         localCandidates,           gathered in this ICE generation
 *         pcId,                      a number that changes when the RTCPeerConnection is replaced
 *         connectedAt,               performance.now() when first connected (or null)
 *         localSdp,                  the local description's SDP (or null)
 *         sending,                   label of the track sent to them (or null)
 *         turnUsername,              the TURN username in the connection's configuration (or null)
 *       }]
 *     }
 *   await window.__voiceDebug.stats()  → [{userId, packetsReceived, pair}] per peer, where
 *     packetsReceived counts inbound audio packets and pair is the selected candidate pair's
 *     candidate types {local, remote} (`host`, `srflx`, `relay`, …) or null.
 *   window.__voiceDebug.restartIce(userId?)  → calls restartIce() on that member's peer
 *     connection (every one without an argument), as a network change would.
 *   window.__voiceDebug.leave()  → leaves the call (what the Leave button does, without a click).
 *   window.__voiceDebug.levels()  → [{userId, received, played, volume, mutedForMe, serverMuted}] per remote
 *     member with a Web Audio path (member-volume.js): `received` is the dBFS of the received
 *     track, `played` the dBFS after this browser's volume (what the <audio> element plays);
 *     -Infinity (as null in JSON) is digital silence; `serverMuted`: a moderator muted them, so
 *     nothing of theirs is played here.
 *   window.__voiceDebug.cues()  → the sound cues the page played ("join", "leave", "mute",
 *     "unmute", "disconnect"), oldest first (at most 50).
 */
import { selectedPair } from "./stats.js";

/** @typedef {import("./voice.js").VoiceRoom} VoiceRoom */

/** @param {VoiceRoom} room */
export function snapshot(room) {
  return {
    status: room.status,
    reason: room.reason,
    reconnecting: room.reconnecting,
    socketOpens: room.socketOpens,
    channelId: room.channelId,
    userId: room.userId,
    sessionId: room.sessionId,
    startedAt: room.startedAt,
    joinedAt: room.joinedAt,
    iceExpiresAt: room.iceExpiresAt,
    iceRefreshAt: room.iceRefreshAt,
    microphone: room.localStream?.getAudioTracks()[0]?.label ?? null,
    microphoneSettings: room.localStream?.getAudioTracks()[0]?.getSettings() ?? null,
    inputMode: room.inputMode,
    voiceThreshold: room.voiceThreshold,
    sending: room.sending,
    serverMuted: room.serverMuted,
    audioBlocked: room.audioBlocked,
    members: room.memberList().map(({ id, name, muted, deafened, server_muted }) => ({
      id, name, muted, deafened, server_muted: server_muted === true,
    })),
    speaking: [...room.speaking],
    peers: [...room.peers.values()].map((p) => ({
      userId: p.userId,
      state: p.state,
      connectionState: p.pc.connectionState,
      signalingState: p.pc.signalingState,
      failure: p.failure ?? null,
      restarts: p.restarts,
      localCandidates: p.localCandidates,
      pcId: p.pcId,
      connectedAt: p.connectedAt,
      localSdp: p.pc.localDescription?.sdp ?? null,
      sending: p.pc.getSenders().find((/** @type {RTCRtpSender} */ s) => s.track)?.track?.label ?? null,
      turnUsername: p.pc.getConfiguration().iceServers?.find((/** @type {RTCIceServer} */ s) => s.username)?.username ?? null,
    })),
  };
}

/** @param {VoiceRoom} room */
async function stats(room) {
  const out = [];
  for (const peer of [...room.peers.values()]) {
    const report = await peer.pc.getStats();
    let packetsReceived = 0;
    report.forEach((/** @type {any} */ s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") packetsReceived += s.packetsReceived ?? 0;
    });
    const { localType, remoteType } = selectedPair(report);
    out.push({ userId: peer.userId, packetsReceived, pair: localType || remoteType ? { local: localType, remote: remoteType } : null });
  }
  return out;
}

/**
 * Installs `window.__voiceDebug` (see above) for whichever call `current` returns.
 * @param {() => VoiceRoom | null} current
 * @param {() => string[]} [cues]  the sound cues played (sounds.js)
 */
export function installVoiceDebug(current, cues = () => []) {
  const debug = Object.assign(() => {
    const room = current();
    return room ? snapshot(room) : null;
  }, {
    stats: async () => {
      const room = current();
      return room ? stats(room) : [];
    },
    restartIce: (/** @type {string | undefined} */ userId) => {
      for (const peer of current()?.peers.values() ?? []) {
        if (userId === undefined || peer.userId === userId) peer.pc.restartIce();
      }
    },
    leave: () => current()?.leave(),
    cues: () => [...cues()],
    levels: () => {
      const out = current()?.audioOut;
      if (!out) return [];
      return [...out.outputs].filter(([, o]) => o.graph).map(([userId, o]) => {
        const { volume, muted } = out.levelOf(userId);
        return {
          userId, ...(/** @type {import("./member-volume.js").MemberGain} */ (o.graph)).levels(), volume, mutedForMe: muted,
          serverMuted: out.serverMuted.has(userId),
        };
      });
    },
  });
  Object.defineProperty(window, "__voiceDebug", { value: debug, configurable: true, writable: false });
}
