// @ts-check
/**
 * render.js — what the page shows, drawn from the state: who you are (the space when it is not
 * the default one, a moderator's badge), the sidebar's channels (temporary and full ones marked)
 * and who is in them, the voice bar (yellow "Connecting…" or "Reconnecting…", green with the channel's name,
 * red "Disconnected" with the reason; the word appears only in that state; "Muted by a moderator"
 * and a mute button that cannot clear it), the main area's tiles or its notice,
 * and the "Click to enable audio" button. Members are view.js's one component.
 */
import { isFull } from "./lobby.js";
import { reasonText } from "./protocol.js";
import { DEFAULT_SPACE } from "./session.js";
import {
  SERVER_MUTED_TEXT, byId, displayNames, focusedKey, icon, memberItem, paintPeerBadges, paintSpeaking, restoreFocus,
  setText,
} from "./view.js";

/** @typedef {import("./voice.js").VoiceRoom} VoiceRoom */
/** @typedef {import("./lobby.js").Lobby} Lobby */
/** @typedef {import("./lobby.js").Channel} Channel */
/** @typedef {import("./view.js").PeerView} PeerView */

/**
 * What the page is drawn from.
 * @typedef {Object} PageState
 * @property {VoiceRoom | null} room       the channel we are in or joining (null when idle)
 * @property {Lobby | null} lobby           who is in which channel
 * @property {{id: string} | null} user
 * @property {import("./session.js").Claims | null} [claims]  what the token says (a moderator's
 *   menus offer moderation)
 */

/** The main area's explanation when the microphone is why we could not join. */
const MICROPHONE_HELP = /** @type {Record<string, {title: string, text: string}>} */ ({
  microphone_denied: {
    title: "Microphone blocked",
    text: "Cromulent Voice needs your microphone to join a voice channel. Allow it for this site "
      + "(the microphone icon in the address bar, or the site settings), then try again.",
  },
  microphone_missing: {
    title: "No microphone found",
    text: "Plug in a microphone, or pick another one under Audio devices, then try again.",
  },
  microphone_busy: {
    title: "Microphone unavailable",
    text: "Another app may be using your microphone. Close it, then try again.",
  },
  microphone_unavailable: {
    title: "Microphone unavailable",
    text: "This browser does not let the page use a microphone here (voice needs https).",
  },
});

/** Whether a member's menu offers moderation here: we moderate, and they are not us. */
function moderates(/** @type {PageState} */ s, /** @type {string} */ userId) {
  return s.claims?.role === "moderator" && userId !== (s.room?.userId ?? s.user?.id);
}

/** Whether the page is in this channel's call (so its members have peer connections). */
function inCall(/** @type {PageState} */ s, /** @type {string} */ channelId) {
  return !!s.room && s.room.channelId === channelId && s.room.inCall;
}

/**
 * Who is in a channel: for the one we are in (once joined) the room's own list, which is the
 * freshest (and has our own mute at once); for the others the lobby's.
 * @param {PageState} s
 * @param {string} channelId
 */
function membersOf(s, channelId) {
  if (inCall(s, channelId)) return /** @type {VoiceRoom} */ (s.room).memberList();
  return s.lobby?.membersOf(channelId) ?? [];
}

/**
 * Where a member is now, and as whom (a moderator's menu asks): our call's list for our channel,
 * the freshest, else the lobby's.
 * @param {PageState} s
 * @param {string} userId
 */
export function locateMember(s, userId) {
  for (const channel of s.lobby?.channels ?? []) {
    const member = membersOf(s, channel.id).find((m) => m.id === userId);
    if (member) return { member, channelId: channel.id };
  }
  return null;
}

/** What to show for each member in view (namesakes get a tag from their id): every channel's. */
function namesInView(/** @type {PageState} */ s) {
  const ids = new Set((s.lobby?.channels ?? []).map((c) => c.id));
  if (s.room) ids.add(s.room.channelId);
  return displayNames([...ids].flatMap((id) => membersOf(s, id)));
}

/**
 * The connection to a member of our call, as the view shows it.
 * @param {VoiceRoom | null} room
 * @param {string} userId
 * @returns {PeerView | undefined}
 */
function peerOf(room, userId) {
  const peer = room?.peers.get(userId);
  if (!room || !peer) return undefined;
  return { state: peer.state, stats: peer.stats, name: room.members.get(userId)?.name ?? "them" };
}

/**
 * The voice bar's second line in the red state when the server ended the call: the reason, and
 * how to get back in — unless the channel is gone (deleted) or a moderator's ban keeps us out,
 * where clicking it cannot help.
 * @param {string | null} reason
 * @param {string} channelName
 * @param {boolean} channelListed
 */
export function endedDetail(reason, channelName, channelListed) {
  if (!channelListed || reason === "channel_deleted" || reason === "banned") return `${reasonText(reason)}.`;
  return `${reasonText(reason)}. Click ${channelName} to rejoin.`;
}

/** What the sidebar marks a temporary channel with (a clock; the words are for screen readers). */
export const TEMPORARY_TEXT = "Temporary channel: removed once it has been empty for a while";

const SVG = "http://www.w3.org/2000/svg";
const CLOCK = "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7V7z";

/** The clock beside a temporary channel's name: a titled image, no text of its own. */
function temporaryMark() {
  const mark = document.createElement("span");
  mark.className = "channel-temporary";
  mark.setAttribute("role", "img");
  mark.setAttribute("aria-label", "Temporary channel");
  mark.title = TEMPORARY_TEXT;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", CLOCK);
  svg.append(path);
  mark.append(svg);
  return mark;
}

/** "3/3" beside a full channel's name (a join would be refused). @param {Channel} channel */
function fullMark(channel) {
  const mark = document.createElement("span");
  mark.className = "channel-full";
  mark.textContent = `${channel.members.length}/${channel.max_members}`;
  mark.title = `Full: ${channel.members.length} of ${channel.max_members} places taken`;
  return mark;
}

export class Screen {
  /** @param {{onChannelClick: (channelId: string) => void}} options */
  constructor(options) {
    this.onChannelClick = options.onChannelClick;
    this.el = {
      channelList: byId("channel-list"),
      enableAudio: /** @type {HTMLButtonElement} */ (byId("enable-audio")),
      voiceBar: byId("voice-bar"),
      voiceLabel: byId("voice-label"),
      voiceDetail: byId("voice-detail"),
      muteButton: /** @type {HTMLButtonElement} */ (byId("mute-button")),
      deafenButton: /** @type {HTMLButtonElement} */ (byId("deafen-button")),
      stage: byId("stage"),
      stageTitle: byId("stage-title"),
      stageEmpty: byId("stage-empty"),
      stageNotice: byId("stage-notice"),
      stageNoticeTitle: byId("stage-notice-title"),
      stageNoticeText: byId("stage-notice-text"),
      tiles: byId("tiles"),
      spaceName: byId("space-name"),
      roleBadge: byId("role-badge"),
    };
  }

  /**
   * Who the token makes us: the space's name when it is not the default one, and a badge for a
   * moderator (what a moderator may do comes with the moderation actions). Null: signed out.
   * @param {{space: string, role: string} | null} claims
   */
  identity(claims) {
    const space = claims && claims.space !== DEFAULT_SPACE ? claims.space : null;
    this.el.spaceName.hidden = space === null;
    this.el.spaceName.textContent = space ?? "";
    this.el.spaceName.title = space ? `Space: ${space}` : "";
    const moderator = claims?.role === "moderator";
    this.el.roleBadge.hidden = !moderator;
    this.el.roleBadge.textContent = moderator ? "Moderator" : "";
  }

  /** @param {PageState} s */
  render(s) {
    this.channels(s);
    this.voiceBar(s);
    this.stage(s);
    this.enableAudio(s);
  }

  /** @param {PageState} s */
  channels(s) {
    const focusKey = focusedKey();
    const current = s.room ? s.room.channelId : null;
    const labels = namesInView(s);
    const items = (s.lobby?.channels ?? []).map((channel) => {
      const li = document.createElement("li");
      li.className = "channel";
      const row = document.createElement("button");
      row.type = "button";
      row.className = "channel-row";
      row.dataset.channelId = channel.id;
      row.dataset.focusKey = `channel:${channel.id}`;
      if (channel.id === current) {
        row.classList.add("is-current");
        row.setAttribute("aria-current", "true");
      }
      const name = document.createElement("span");
      name.className = "channel-name";
      name.textContent = channel.name;
      row.append(icon("speaker", "channel-icon"), name);
      if (channel.temporary) row.append(temporaryMark());
      if (isFull(channel)) row.append(fullMark(channel));
      row.addEventListener("click", () => this.onChannelClick(channel.id));
      li.append(row);
      const members = membersOf(s, channel.id);
      if (members.length > 0) {
        const ul = document.createElement("ul");
        ul.className = "channel-members";
        ul.setAttribute("aria-label", `In ${channel.name}`);
        const room = inCall(s, channel.id) ? s.room : null;
        for (const member of members) {
          const label = labels.get(member.id);
          ul.append(memberItem(member, {
            layout: "row", isMe: false, peer: peerOf(room, member.id), label, moderate: moderates(s, member.id),
          }));
        }
        li.append(ul);
      }
      return li;
    });
    this.el.channelList.replaceChildren(...items);
    restoreFocus(focusKey);
    this.speaking(s);
  }

  /** @param {PageState} s */
  voiceBar(s) {
    const { room } = s;
    const el = this.el;
    if (!room || room.status === "left" || room.status === "idle") {
      el.voiceBar.hidden = true;
      el.voiceBar.dataset.state = "idle";
      el.voiceLabel.textContent = "";
      el.voiceDetail.textContent = "";
      return;
    }
    el.voiceBar.hidden = false;
    const name = s.lobby?.channelName(room.channelId) ?? room.channelId;
    // The state names in the DOM are colours: the word for the red state appears only as its label.
    if (room.status === "connecting") {
      // Resuming a dropped socket is the same yellow state; the call (and its audio) goes on.
      setText(el.voiceLabel, room.reconnecting ? "Reconnecting…" : "Connecting…");
      // Until the browser hands over the microphone (it may be asking the person right now).
      setText(el.voiceDetail, room.localStream ? name : `${name}: waiting for the microphone`);
      el.voiceBar.dataset.state = "yellow";
    } else if (room.status === "connected") {
      setText(el.voiceLabel, name);
      setText(el.voiceDetail, room.serverMuted ? SERVER_MUTED_TEXT : "Voice connected");
      el.voiceBar.dataset.state = "green";
    } else {
      setText(el.voiceLabel, "Disconnected");
      if (room.failedPeer) {
        const who = room.members.get(room.failedPeer)?.name ?? "someone";
        setText(el.voiceDetail, `Can't reach ${who}. Reconnecting…`);
      } else {
        setText(el.voiceDetail, endedDetail(room.reason, name, s.lobby?.has(room.channelId) ?? true));
      }
      el.voiceBar.dataset.state = "red";
    }
    // A moderator's mute shows as muted, and as a button that cannot clear it (a click says why).
    const serverMuted = room.serverMuted && room.status !== "disconnected";
    setToggle(el.muteButton, room.muted || serverMuted,
      serverMuted ? `${SERVER_MUTED_TEXT}: only a moderator can unmute you` : room.muted ? "Unmute (Ctrl+Shift+M)" : "Mute (Ctrl+Shift+M)");
    if (serverMuted) el.muteButton.setAttribute("aria-disabled", "true");
    else el.muteButton.removeAttribute("aria-disabled");
    setToggle(el.deafenButton, room.deafened, room.deafened ? "Undeafen (Ctrl+Shift+D)" : "Deafen (Ctrl+Shift+D)");
  }

  /** @param {PageState} s */
  stage(s) {
    const { room } = s;
    const el = this.el;
    if (!room || room.status === "left") {
      el.stage.dataset.state = "idle";
      el.stageTitle.textContent = "";
      el.stageEmpty.hidden = false;
      el.stageNotice.hidden = true;
      el.tiles.hidden = true;
      el.tiles.replaceChildren();
      return;
    }
    el.stage.dataset.state = "channel";
    el.stageTitle.textContent = s.lobby?.channelName(room.channelId) ?? room.channelId;
    el.stageEmpty.hidden = true;
    const help = room.status === "disconnected" ? MICROPHONE_HELP[room.reason ?? ""] : undefined;
    el.stageNotice.hidden = !help;
    el.tiles.hidden = !!help;
    if (help) {
      el.stageNoticeTitle.textContent = help.title;
      el.stageNoticeText.textContent = help.text;
      el.tiles.replaceChildren();
      return;
    }
    const focusKey = focusedKey();
    const withPeers = inCall(s, room.channelId) ? room : null;
    const me = room.userId ?? s.user?.id;
    const labels = namesInView(s);
    el.tiles.replaceChildren(...membersOf(s, room.channelId).map((member) => memberItem(member, {
      layout: "tile", isMe: member.id === me, peer: peerOf(withPeers, member.id), label: labels.get(member.id),
      moderate: moderates(s, member.id),
    })));
    restoreFocus(focusKey);
    this.speaking(s);
  }

  /** Rings the avatars of whoever speaks, in place. @param {PageState} s */
  speaking(s) {
    const room = s.room;
    paintSpeaking((id) => !!room && room.status !== "left" && room.isSpeaking(id));
  }

  /** Fresh round trip and loss, in place. @param {PageState} s */
  stats(s) {
    paintPeerBadges((userId) => peerOf(s.room, userId));
  }

  /** @param {PageState} s */
  enableAudio(s) {
    this.el.enableAudio.hidden = !(s.room && s.room.audioBlocked);
  }
}

/**
 * @param {HTMLButtonElement} button
 * @param {boolean} on
 * @param {string} tooltip
 */
function setToggle(button, on, tooltip) {
  button.setAttribute("aria-pressed", String(on));
  button.dataset.tooltip = tooltip;
}
