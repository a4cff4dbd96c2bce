// @ts-check
/**
 * app.js — the page's start-up and wiring: the sign-in card, a token handed over in the link
 * (`#token=…`), the signed-in app (session.js), the lobby (lobby.js), the call (voice.js), the settings dialog (settings.js: devices,
 * voice-settings.js: input mode and threshold), the push-to-talk key, each member's menu
 * (member-menu.js: volume, and a moderator's mute, kick and move), a moderator's move followed
 * (the room does it; the page shows it), and drawing it all (render.js) when something changes.
 * The buttons and shortcuts of the voice bar live here.
 */
import { installVoiceDebug } from "./debug.js";
import { Lobby } from "./lobby.js";
import { MemberMenu } from "./member-menu.js";
import { PreferenceStore } from "./preferences.js";
import { installPushToTalkKey } from "./push-to-talk-key.js";
import { Screen, locateMember } from "./render.js";
import {
  Session, Unauthorized, errorText, readClaims, takeFragmentToken, validName, whoFromLink,
} from "./session.js";
import { DeviceSettings } from "./settings.js";
import { Sounds } from "./sounds.js";
import { VoiceSettings } from "./voice-settings.js";
import { SERVER_MUTED_TEXT, announce, byId, fillAvatar } from "./view.js";
import { VoiceRoom } from "./voice.js";

/** Test-only switch: `?relay=1` forces every peer connection through TURN. */
const RELAY_ONLY = new URLSearchParams(location.search).get("relay") === "1";

const el = {
  signin: byId("signin"),
  signinForm: /** @type {HTMLFormElement} */ (byId("signin-form")),
  signinName: /** @type {HTMLInputElement} */ (byId("signin-name")),
  signinError: byId("signin-error"),
  signinButton: /** @type {HTMLButtonElement} */ (byId("signin-button")),
  app: byId("app"),
  enableAudio: /** @type {HTMLButtonElement} */ (byId("enable-audio")),
  voiceBar: byId("voice-bar"),
  muteButton: /** @type {HTMLButtonElement} */ (byId("mute-button")),
  deafenButton: /** @type {HTMLButtonElement} */ (byId("deafen-button")),
  leaveButton: /** @type {HTMLButtonElement} */ (byId("leave-button")),
  meAvatar: byId("me-avatar"),
  meName: byId("me-name"),
  signoutButton: byId("signout-button"),
  stageNoticeRetry: /** @type {HTMLButtonElement} */ (byId("stage-notice-retry")),
  announcer: byId("announcer"),
  mutedHint: byId("muted-hint"),
};

/** @type {import("./render.js").PageState & {lastSessionId: string | null, muted: boolean, deafened: boolean}} */
const state = {
  room: null,
  lobby: null,
  user: null,
  /** What our token says (space, role): a moderator's menus offer moderation. */
  claims: null,
  /** This tab's latest `session_id`: memory only, never storage (see the contract). */
  lastSessionId: null,
  /** Mute and deafen carry over from one channel to the next (as the voice bar shows them). */
  muted: false,
  deafened: false,
};

const session = new Session({ onSignedOut: () => signOut() });
const screen = new Screen({ onChannelClick });
const devices = new DeviceSettings({ room: () => state.room });
/** Input mode, push-to-talk key, threshold, members' volumes: remembered in this browser. */
const prefs = new PreferenceStore(localStorage);
const voiceSettings = new VoiceSettings({ prefs, room: () => state.room, announcer: el.announcer, devices });
const sounds = new Sounds({ enabled: () => prefs.value.sounds });
new MemberMenu({
  prefs, room: () => state.room, selfId: () => state.user?.id ?? null, announcer: el.announcer,
  moderation: {
    api: (path, init) => session.api(path, init),
    claims: () => state.claims ?? null,
    locate: (userId) => locateMember(state, userId),
    channels: () => state.lobby?.channels ?? [],
  },
});
byId("devices-button").addEventListener("click", () => voiceSettings.opened());
installPushToTalkKey({
  key: () => prefs.value.pushToTalkKey,
  active: () => prefs.value.inputMode === "push_to_talk" && !voiceSettings.binding,
  press: (pressed) => state.room?.setPushToTalk(pressed),
});
const render = () => screen.render(state);
installVoiceDebug(() => state.room, () => sounds.played);

/* ---- signing in and out ------------------------------------------------------------------- */

function showSignIn() {
  el.app.hidden = true;
  el.signin.hidden = false;
  el.signinError.textContent = "";
  el.signinButton.disabled = false;
  el.signinName.focus();
}

el.signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = validName(el.signinName.value);
  if (!name) {
    el.signinError.textContent = "A name has 1 to 32 characters.";
    return;
  }
  el.signinButton.disabled = true;
  el.signinError.textContent = "";
  try {
    const result = await session.signIn(name);
    if ("error" in result) el.signinError.textContent = result.error;
    else startApp(result);
  } catch (err) {
    console.error("[app] sign-in failed:", err);
    el.signinError.textContent = "Could not reach the server.";
  } finally {
    el.signinButton.disabled = false;
  }
});

el.signoutButton.addEventListener("click", () => signOut());

/** Leaves the channel, forgets the token (every tab of this browser signs out) and shows sign-in. */
function signOut() {
  stopSession();
  session.forget();
  showSignIn();
}

/** Leaves voice and the lobby, keeping storage as it is. */
function stopSession() {
  leaveRoom();
  state.lobby?.close();
  state.lobby = null;
  state.user = null;
  state.claims = null;
  state.lastSessionId = null;
  session.clear();
  screen.identity(null);
}

/**
 * A link with `#token=<jwt>` (a host app sending its user here): the token is taken out of the
 * address bar at once (history.replaceState: not kept in the history either), remembered like a
 * guest's, and used. A link that cannot be used leaves whoever is signed in signed in.
 * @param {{token: string, fragment: string}} link
 * @returns {boolean} whether the page now runs as the link's user
 */
function useLink(link) {
  history.replaceState(history.state, "", `${location.pathname}${location.search}${link.fragment}`);
  const who = whoFromLink(link.token, Date.now() / 1000);
  if ("error" in who) {
    console.warn(`[app] ${who.error}`);
    if (!session.token) {
      showSignIn();
      el.signinError.textContent = who.error;
    }
    return false;
  }
  session.remember(who);
  stopSession();
  startApp(who);
  return true;
}

// A new link opened in this tab (only the fragment changed: no reload).
window.addEventListener("hashchange", () => {
  const link = takeFragmentToken(location.hash);
  if (link) useLink(link);
});

// Another tab signed out, or in as someone else: this tab follows (one user per browser).
session.watchOtherTabs((who) => {
  stopSession();
  if (who) startApp(who);
  else showSignIn();
});

/** @param {{token: string, user: {id: string, name: string}}} who */
function startApp(who) {
  session.use(who);
  state.user = who.user;
  el.signin.hidden = true;
  el.app.hidden = false;
  el.meName.textContent = who.user.name;
  fillAvatar(el.meAvatar, who.user);
  state.claims = readClaims(who.token);
  screen.identity(state.claims);
  state.lobby = new Lobby({
    token: who.token,
    onChange: render,
    // A handshake refused for the token looks like any other close: ask the API (401 → sign-in).
    mayReconnect: async () => !(await checkToken()),
  });
  render();
  // A quick first roster (and a token check) while the lobby socket opens.
  loadChannels(state.lobby);
  state.lobby.connect();
}

/** @param {Lobby} lobby */
async function loadChannels(lobby) {
  try {
    const res = await session.api("/api/channels");
    if (!res.ok) return console.warn(`[app] GET /api/channels: ${res.status} ${await errorText(res)}`);
    const body = await res.json();
    if (lobby === state.lobby) lobby.fillIn(body.channels);
  } catch (err) {
    if (!(err instanceof Unauthorized)) console.warn("[app] GET /api/channels failed:", err);
  }
}

/** Asks the API whether the token still holds; resolves true when it signed the page out. */
async function checkToken() {
  try {
    await session.api("/api/channels");
    return false;
  } catch (err) {
    return err instanceof Unauthorized;
  }
}

/* ---- the call ----------------------------------------------------------------------------- */

/**
 * Clicking a channel: join it, or move there (leaving the current one first), or rejoin it
 * after a drop (presenting this tab's session_id).
 * @param {string} channelId
 */
function onChannelClick(channelId) {
  if (!session.token) return;
  const room = state.room;
  if (room && room.channelId === channelId && (room.status === "connecting" || room.status === "connected")) return;
  // Switching: the old channel is told where we go (one `member.moved` for the host app's webhooks).
  if (room) leaveRoom(room.channelId !== channelId ? channelId : undefined);
  joinRoom(channelId, session.token);
}

/**
 * @param {string} channelId
 * @param {string} token
 */
function joinRoom(channelId, token) {
  const room = new VoiceRoom({
    channelId,
    token,
    sessionId: state.lastSessionId,
    iceTransportPolicy: RELAY_ONLY ? "relay" : "all",
    microphoneId: devices.microphoneId,
    speakerId: devices.speakerId,
    muted: state.muted,
    deafened: state.deafened,
    inputMode: prefs.value.inputMode,
    voiceThreshold: prefs.value.voiceThreshold,
    audioConstraints: { ...prefs.value.processing },
  });
  for (const [userId, { volume, muted }] of Object.entries(prefs.value.members)) {
    room.setMemberVolume(userId, volume);
    room.setMemberMuted(userId, muted);
  }
  state.room = room;
  exposeRoom(room);
  const on = (/** @type {string} */ type, /** @type {() => void} */ fn) => room.addEventListener(type, () => {
    if (room === state.room) fn();
  });
  let wasStatus = room.status;
  on("status", () => {
    if (room.status === "disconnected" && room.reason === "refused") checkToken();
    if (room.status === "connected" && wasStatus === "connecting" && !room.reconnecting) sounds.play("join");
    if (room.status === "disconnected" && wasStatus !== "disconnected") sounds.play("disconnect");
    wasStatus = room.status;
    render();
  });
  /** Who else is in the call, for the join and leave cues. */
  let others = /** @type {Set<string> | null} */ (null);
  on("members", () => {
    if (!room.inCall) return;
    const now = new Set(room.memberList().map((m) => m.id).filter((id) => id !== room.userId));
    if (others && [...now].some((id) => !others?.has(id))) sounds.play("join");
    else if (others && [...others].some((id) => !now.has(id))) sounds.play("leave");
    others = now;
  });
  on("talking_while_muted", () => paintMutedHint(room));
  on("server_muted", () => {
    paintMutedHint(room);
    screen.voiceBar(state);
    announce(el.announcer, room.serverMuted ? "A moderator muted you" : "A moderator unmuted you");
  });
  // A moderator moved us: the room joins the other channel by itself (no "Disconnected").
  on("moved", () => {
    render();
    announce(el.announcer, `A moderator moved you to ${state.lobby?.channelName(room.channelId) ?? room.channelId}`);
  });
  on("joined", () => { if (room.sessionId) state.lastSessionId = room.sessionId; });
  on("members", () => { screen.channels(state); screen.stage(state); });
  on("peer", () => { screen.channels(state); screen.voiceBar(state); screen.stage(state); });
  on("speaking", () => screen.speaking(state));
  on("stats", () => screen.stats(state));
  on("audio", () => screen.enableAudio(state));
  on("microphone", () => screen.voiceBar(state));
  // Synchronously inside the click: the room creates and starts its <audio> elements here.
  room.join();
  render();
}

/** @param {string} [to]  the channel we switch to, if that is why */
function leaveRoom(to) {
  const room = state.room;
  if (!room) return;
  state.room = null;
  exposeRoom(null);
  paintMutedHint(null);
  room.leave({ to });
  render();
}

/** Whether the person asked why they cannot unmute (the hint says it until a moderator unmutes). */
let serverMuteExplained = false;

/**
 * The hint above the voice bar: "You are muted" while talking muted; a moderator's mute says so,
 * and after a click on the mute button, that only a moderator can clear it.
 * @param {VoiceRoom | null} room
 */
function paintMutedHint(room) {
  const server = !!room?.serverMuted;
  if (!server) serverMuteExplained = false;
  el.mutedHint.textContent = !server ? "You are muted"
    : serverMuteExplained ? `${SERVER_MUTED_TEXT}. Only a moderator can unmute you.` : SERVER_MUTED_TEXT;
  el.mutedHint.hidden = !room || !(room.mutedTalk.talking || (server && serverMuteExplained));
}

/**
 * `window.__voice` is the current VoiceRoom (bench/lib/audio.mjs reads it); tests read the
 * documented snapshot `window.__voiceDebug()` instead (debug.js).
 * @param {VoiceRoom | null} room
 */
function exposeRoom(room) {
  Object.defineProperty(window, "__voice", { value: room, configurable: true, writable: false });
}
exposeRoom(null);

/** Mute or unmute (unmuting while deafened undeafens too, see VoiceRoom.setMuted). */
function toggleMute() {
  const room = state.room;
  if (!room) return;
  if (room.serverMuted && room.status !== "disconnected") {
    // Our own mute cannot clear a moderator's: say so instead of pretending.
    serverMuteExplained = true;
    paintMutedHint(room);
    announce(el.announcer, `${SERVER_MUTED_TEXT}. Only a moderator can unmute you.`);
    return;
  }
  room.setMuted(!room.muted);
  sounds.play(room.muted ? "mute" : "unmute");
  afterVoiceStateChange(room);
  announce(el.announcer, room.muted ? "Microphone muted" : "Microphone on");
}

/** Deafen (which mutes too) or undeafen (back to the mute you had). */
function toggleDeafen() {
  const room = state.room;
  if (!room) return;
  room.setDeafened(!room.deafened);
  afterVoiceStateChange(room);
  announce(el.announcer, room.deafened ? "Deafened: you hear no one" : `Sound on${room.muted ? ", microphone still muted" : ""}`);
}

/** @param {VoiceRoom} room */
function afterVoiceStateChange(room) {
  if (!room.muted && !room.serverMuted) el.mutedHint.hidden = true;
  state.muted = room.muted;
  state.deafened = room.deafened;
  screen.voiceBar(state);
  screen.channels(state);
  screen.stage(state);
}

el.muteButton.addEventListener("click", toggleMute);
el.deafenButton.addEventListener("click", toggleDeafen);
el.leaveButton.addEventListener("click", () => leaveRoom());
el.enableAudio.addEventListener("click", async () => {
  const room = state.room;
  if (room && !(await room.resumeAudio())) console.warn("[app] audio is still blocked");
  screen.enableAudio(state);
});
el.stageNoticeRetry.addEventListener("click", () => {
  if (state.room) onChannelClick(state.room.channelId);
});

// Ctrl+Shift+M mutes, Ctrl+Shift+D deafens (⌘ on a Mac), whenever the voice bar is shown.
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || !event.shiftKey || event.altKey || event.repeat) return;
  if (!state.room || el.voiceBar.hidden) return;
  if (event.code === "KeyM") {
    event.preventDefault();
    toggleMute();
  } else if (event.code === "KeyD") {
    event.preventDefault();
    toggleDeafen();
  }
});

// Closing or reloading the tab leaves at once rather than after the grace period.
window.addEventListener("pagehide", () => state.room?.leave());

/* ---- start -------------------------------------------------------------------------------- */

const link = takeFragmentToken(location.hash);
if (!link || !useLink(link)) {
  const stored = session.stored();
  if (stored) startApp(stored);
  else if (!link) showSignIn();
}
