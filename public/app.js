// @ts-check
/**
 * app.js — the page: sign-in, the sidebar (channels and who is in them, from the lobby socket),
 * the voice bar (state, mute, deafen, leave), the main area (member tiles), the audio devices
 * dialog. The WebRTC mesh lives in voice.js.
 */
import { VoiceRoom, socketUrl, subprotocols, PING, PING_INTERVAL_MS } from "./voice.js";

/** @typedef {import("./voice.js").Member} Member */
/** @typedef {import("./voice.js").ChannelRoster} ChannelRoster */
/** @typedef {import("./voice.js").LobbyMsg} LobbyMsg */

const TOKEN_KEY = "cromulent-voice.token";
const USER_KEY = "cromulent-voice.user";
/** The chosen devices (deviceIds), remembered in this browser. */
const MICROPHONE_KEY = "cromulent-voice.microphone";
const SPEAKER_KEY = "cromulent-voice.speaker";

/** Test-only switch: `?relay=1` forces every peer connection through TURN. */
const RELAY_ONLY = new URLSearchParams(location.search).get("relay") === "1";

/** What the voice bar says under its label when the connection is down, by reason. */
const REASON_TEXT = /** @type {Record<string, string>} */ ({
  already_in_channel: "You are in this channel in another tab",
  moved: "You joined another channel in another tab",
  replaced: "This tab reconnected elsewhere",
  heartbeat_timeout: "The connection went quiet",
  channel_full: "This channel is full",
  rate_limited: "Too many messages",
  no_relay_server: "No relay server to reach the others",
  microphone_denied: "Microphone access is blocked",
  microphone_missing: "No microphone found",
  microphone_busy: "The microphone could not be started",
  microphone_unavailable: "No microphone access",
  socket_closed: "Lost the connection to the server",
  refused: "The server did not let you in",
});

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

/** Peer connection states in words: the tile's status and the badge's label. */
const PEER_TEXT = { connecting: "Connecting…", connected: "Connected", failed: "Can't connect" };

/* ---- elements ----------------------------------------------------------------------------- */

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

const el = {
  signin: byId("signin"),
  signinForm: /** @type {HTMLFormElement} */ (byId("signin-form")),
  signinName: /** @type {HTMLInputElement} */ (byId("signin-name")),
  signinError: byId("signin-error"),
  signinButton: /** @type {HTMLButtonElement} */ (byId("signin-button")),
  app: byId("app"),
  channelList: byId("channel-list"),
  enableAudio: /** @type {HTMLButtonElement} */ (byId("enable-audio")),
  voiceBar: byId("voice-bar"),
  voiceDot: byId("voice-dot"),
  voiceLabel: byId("voice-label"),
  voiceDetail: byId("voice-detail"),
  muteButton: /** @type {HTMLButtonElement} */ (byId("mute-button")),
  deafenButton: /** @type {HTMLButtonElement} */ (byId("deafen-button")),
  leaveButton: /** @type {HTMLButtonElement} */ (byId("leave-button")),
  meAvatar: byId("me-avatar"),
  meName: byId("me-name"),
  devicesButton: /** @type {HTMLButtonElement} */ (byId("devices-button")),
  signoutButton: byId("signout-button"),
  stage: byId("stage"),
  stageTitle: byId("stage-title"),
  stageEmpty: byId("stage-empty"),
  stageNotice: byId("stage-notice"),
  stageNoticeTitle: byId("stage-notice-title"),
  stageNoticeText: byId("stage-notice-text"),
  stageNoticeRetry: /** @type {HTMLButtonElement} */ (byId("stage-notice-retry")),
  tiles: byId("tiles"),
  devicesDialog: /** @type {HTMLDialogElement} */ (byId("devices-dialog")),
  microphoneSelect: /** @type {HTMLSelectElement} */ (byId("microphone-select")),
  speakerSelect: /** @type {HTMLSelectElement} */ (byId("speaker-select")),
  devicesNote: byId("devices-note"),
  devicesError: byId("devices-error"),
  announcer: byId("announcer"),
};

/* ---- state -------------------------------------------------------------------------------- */

const app = {
  /** @type {string | null} */
  token: null,
  /** @type {{id: string, name: string} | null} */
  user: null,
  /** @type {ChannelRoster[]} */
  channels: [],
  /** @type {WebSocket | null} */
  lobby: null,
  /** @type {ReturnType<typeof setInterval> | undefined} */
  lobbyPing: undefined,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  lobbyRetry: undefined,
  lobbyBackoffMs: 500,
  /** @type {VoiceRoom | null} the channel we are in or joining (null when idle) */
  room: null,
  /** This tab's latest `session_id`: memory only, never storage (see the contract). */
  /** @type {string | null} */
  lastSessionId: null,
  /** Mute and deafen carry over from one channel to the next (as the voice bar shows them). */
  muted: false,
  deafened: false,
  /** @type {string | null} */
  microphoneId: localStorage.getItem(MICROPHONE_KEY),
  /** @type {string | null} */
  speakerId: localStorage.getItem(SPEAKER_KEY),
};

/* ---- HTTP API ----------------------------------------------------------------------------- */

class Unauthorized extends Error {}

/**
 * Calls the API with the bearer token. A 401 signs out (back to the sign-in card).
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (app.token) headers.set("Authorization", `Bearer ${app.token}`);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) {
    console.warn(`[app] ${path}: 401, signing out`);
    signOut();
    throw new Unauthorized("unauthorized");
  }
  return res;
}

/** @param {Response} res */
async function errorText(res) {
  try {
    const body = await res.json();
    if (body && typeof body.error === "string") return body.error;
  } catch { /* not JSON */ }
  return `The server answered ${res.status}.`;
}

/* ---- sign-in ------------------------------------------------------------------------------ */

function showSignIn() {
  el.app.hidden = true;
  el.signin.hidden = false;
  el.signinError.textContent = "";
  el.signinButton.disabled = false;
  el.signinName.focus();
}

el.signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = el.signinName.value.trim();
  if (name.length === 0 || [...name].length > 32) {
    el.signinError.textContent = "A name has 1 to 32 characters.";
    return;
  }
  el.signinButton.disabled = true;
  el.signinError.textContent = "";
  try {
    const res = await fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (!res.ok) {
      el.signinError.textContent = await errorText(res);
      return;
    }
    const body = await res.json();
    localStorage.setItem(TOKEN_KEY, body.token);
    localStorage.setItem(USER_KEY, JSON.stringify(body.user));
    startApp(body.token, body.user);
  } catch (err) {
    console.error("[app] sign-in failed:", err);
    el.signinError.textContent = "Could not reach the server.";
  } finally {
    el.signinButton.disabled = false;
  }
});

el.signoutButton.addEventListener("click", () => {
  signOut();
});

/** Leaves the channel, forgets the token (every tab of this browser signs out) and shows sign-in. */
function signOut() {
  stopSession();
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  showSignIn();
}

/** Leaves voice and the lobby, keeping storage as it is. */
function stopSession() {
  leaveRoom();
  closeLobby();
  app.token = null;
  app.user = null;
  app.channels = [];
  app.lastSessionId = null;
}

// Another tab signed out, or in as someone else: this tab follows (one user per browser).
window.addEventListener("storage", (event) => {
  if (event.key !== TOKEN_KEY && event.key !== null) return;
  const token = localStorage.getItem(TOKEN_KEY);
  if (token === app.token) return;
  stopSession();
  const user = readStoredUser();
  if (token && user) startApp(token, user);
  else showSignIn();
});

function readStoredUser() {
  try {
    const user = JSON.parse(localStorage.getItem(USER_KEY) ?? "null");
    if (user && typeof user.id === "string" && typeof user.name === "string") return user;
  } catch { /* corrupt: sign in again */ }
  return null;
}

/* ---- the app ------------------------------------------------------------------------------ */

/**
 * @param {string} token
 * @param {{id: string, name: string}} user
 */
function startApp(token, user) {
  app.token = token;
  app.user = user;
  el.signin.hidden = true;
  el.app.hidden = false;
  el.meName.textContent = user.name;
  fillAvatar(el.meAvatar, user);
  render();
  // A quick first roster (and a token check) while the lobby socket opens.
  loadChannels();
  connectLobby();
}

async function loadChannels() {
  try {
    const res = await api("/api/channels");
    if (!res.ok) {
      console.warn(`[app] GET /api/channels: ${res.status} ${await errorText(res)}`);
      return;
    }
    const body = await res.json();
    // The lobby's roster is fresher; only fill in when it has not arrived yet.
    if (app.channels.length === 0 && Array.isArray(body.channels)) {
      app.channels = body.channels;
      render();
    }
  } catch (err) {
    if (!(err instanceof Unauthorized)) console.warn("[app] GET /api/channels failed:", err);
  }
}

/* ---- lobby: who is in which channel ------------------------------------------------------- */

function connectLobby() {
  if (!app.token) return;
  const ws = new WebSocket(socketUrl("/api/lobby", location.href), subprotocols(app.token));
  app.lobby = ws;
  ws.addEventListener("open", () => {
    if (ws !== app.lobby) return;
    app.lobbyBackoffMs = 500;
    clearInterval(app.lobbyPing);
    app.lobbyPing = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(PING);
    }, PING_INTERVAL_MS);
  });
  ws.addEventListener("message", (event) => {
    if (ws !== app.lobby || typeof event.data !== "string" || event.data === "pong") return;
    /** @type {LobbyMsg} */
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (msg.type === "roster" && Array.isArray(msg.channels)) {
      app.channels = msg.channels;
    } else if (msg.type === "channel") {
      const channel = app.channels.find((c) => c.id === msg.id);
      if (channel) channel.members = msg.members;
    }
    render();
  });
  ws.addEventListener("close", (event) => {
    if (ws !== app.lobby) return;
    clearInterval(app.lobbyPing);
    app.lobby = null;
    console.warn(`[app] lobby socket closed (code ${event.code}); reconnecting`);
    const delay = app.lobbyBackoffMs;
    app.lobbyBackoffMs = Math.min(app.lobbyBackoffMs * 2, 10_000);
    app.lobbyRetry = setTimeout(async () => {
      // A handshake refused for the token looks like any other close: ask the API (401 → sign-in).
      try {
        await api("/api/channels");
      } catch (err) {
        if (err instanceof Unauthorized) return;
      }
      if (app.token && !app.lobby) connectLobby();
    }, delay);
  });
}

function closeLobby() {
  clearTimeout(app.lobbyRetry);
  clearInterval(app.lobbyPing);
  const ws = app.lobby;
  app.lobby = null;
  if (ws) ws.close(1000);
}


/* ---- voice -------------------------------------------------------------------------------- */

/**
 * Clicking a channel: join it, or move there (leaving the current one first), or rejoin it
 * after a drop (presenting this tab's session_id).
 * @param {string} channelId
 */
function onChannelClick(channelId) {
  if (!app.token) return;
  const room = app.room;
  if (room && room.channelId === channelId && (room.status === "connecting" || room.status === "connected")) {
    return;
  }
  if (room) leaveRoom();
  joinRoom(channelId);
}

/** @param {string} channelId */
function joinRoom(channelId) {
  if (!app.token) return;
  const room = new VoiceRoom({
    channelId,
    token: app.token,
    sessionId: app.lastSessionId,
    iceTransportPolicy: RELAY_ONLY ? "relay" : "all",
    microphoneId: app.microphoneId,
    speakerId: app.speakerId,
    muted: app.muted,
    deafened: app.deafened,
  });
  app.room = room;
  exposeRoom(room);
  const mine = (/** @type {() => void} */ fn) => () => { if (room === app.room) fn(); };
  room.addEventListener("status", mine(() => {
    if (room.status === "disconnected" && room.reason === "refused") checkToken();
    render();
  }));
  room.addEventListener("joined", mine(() => {
    if (room.sessionId) app.lastSessionId = room.sessionId;
  }));
  room.addEventListener("members", mine(() => {
    renderChannels();
    renderStage();
  }));
  room.addEventListener("peer", mine(() => {
    renderChannels();
    renderVoiceBar();
    renderStage();
  }));
  room.addEventListener("speaking", mine(paintSpeaking));
  room.addEventListener("stats", mine(paintPeerBadges));
  room.addEventListener("audio", mine(renderEnableAudio));
  room.addEventListener("microphone", mine(renderVoiceBar));
  // Synchronously inside the click: the room creates and starts its <audio> elements here.
  room.join();
  render();
}

function leaveRoom() {
  const room = app.room;
  if (!room) return;
  app.room = null;
  exposeRoom(null);
  room.leave();
  render();
}

/** The voice socket closed before `joined`: a bad token is one reason, and only the API tells. */
async function checkToken() {
  try {
    await api("/api/channels");
  } catch { /* a 401 has signed out already */ }
}

/** Tests read the current room (peer connections, members) from `window.__voice`. */
function exposeRoom(/** @type {VoiceRoom | null} */ room) {
  Object.defineProperty(window, "__voice", { value: room, configurable: true, writable: false });
}
exposeRoom(null);

/** Mute or unmute (unmuting while deafened undeafens too, see VoiceRoom.setMuted). */
function toggleMute() {
  const room = app.room;
  if (!room) return;
  room.setMuted(!room.muted);
  afterVoiceStateChange(room);
  announce(room.muted ? "Microphone muted" : "Microphone on");
}

/** Deafen (which mutes too) or undeafen (back to the mute you had). */
function toggleDeafen() {
  const room = app.room;
  if (!room) return;
  room.setDeafened(!room.deafened);
  afterVoiceStateChange(room);
  announce(room.deafened ? "Deafened: you hear no one" : `Sound on${room.muted ? ", microphone still muted" : ""}`);
}

/** @param {VoiceRoom} room */
function afterVoiceStateChange(room) {
  app.muted = room.muted;
  app.deafened = room.deafened;
  renderVoiceBar();
  renderChannels();
  renderStage();
}

el.muteButton.addEventListener("click", toggleMute);
el.deafenButton.addEventListener("click", toggleDeafen);
el.leaveButton.addEventListener("click", () => {
  leaveRoom();
});
el.enableAudio.addEventListener("click", async () => {
  const room = app.room;
  if (room && !(await room.resumeAudio())) console.warn("[app] audio is still blocked");
  renderEnableAudio();
});
el.stageNoticeRetry.addEventListener("click", () => {
  const room = app.room;
  if (room) onChannelClick(room.channelId);
});

// Ctrl+Shift+M mutes, Ctrl+Shift+D deafens (⌘ on a Mac), whenever the voice bar is shown.
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || !event.shiftKey || event.altKey || event.repeat) return;
  if (!app.room || el.voiceBar.hidden) return;
  if (event.code === "KeyM") {
    event.preventDefault();
    toggleMute();
  } else if (event.code === "KeyD") {
    event.preventDefault();
    toggleDeafen();
  }
});

// Closing or reloading the tab leaves at once rather than after the grace period.
window.addEventListener("pagehide", () => {
  if (app.room) app.room.leave();
});

/* ---- audio devices ------------------------------------------------------------------------ */

el.devicesButton.addEventListener("click", async () => {
  el.devicesError.textContent = "";
  await fillDeviceLists();
  el.devicesDialog.showModal();
});

el.devicesDialog.addEventListener("close", () => {
  el.devicesButton.focus();
});

el.microphoneSelect.addEventListener("change", async () => {
  const id = el.microphoneSelect.value || null;
  app.microphoneId = id;
  remember(MICROPHONE_KEY, id);
  el.devicesError.textContent = "";
  try {
    await app.room?.setMicrophone(id);
  } catch (err) {
    console.error("[app] switching the microphone failed:", err);
    el.devicesError.textContent = "That microphone could not be opened; the previous one is still in use.";
  }
});

el.speakerSelect.addEventListener("change", async () => {
  const id = el.speakerSelect.value || null;
  app.speakerId = id;
  remember(SPEAKER_KEY, id);
  await app.room?.setSpeaker(id);
});

navigator.mediaDevices?.addEventListener?.("devicechange", () => {
  if (el.devicesDialog.open) fillDeviceLists();
});

/** Lists the microphones and speakers the browser knows, with the remembered ones selected. */
async function fillDeviceLists() {
  /** @type {MediaDeviceInfo[]} */
  let devices = [];
  try {
    devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
  } catch (err) {
    console.warn("[app] enumerateDevices failed:", err);
  }
  const microphones = devices.filter((d) => d.kind === "audioinput");
  const speakers = devices.filter((d) => d.kind === "audiooutput");
  fillSelect(el.microphoneSelect, microphones, app.microphoneId, "Microphone");
  const canChoose = VoiceRoom.canChooseSpeaker() && speakers.length > 0;
  fillSelect(el.speakerSelect, canChoose ? speakers : [], app.speakerId, "Speaker");
  el.speakerSelect.disabled = !canChoose;
  const notes = [];
  if (devices.some((d) => d.kind === "audioinput" && !d.label)) {
    notes.push("Device names show once this site may use the microphone (join a channel once).");
  }
  if (!canChoose) notes.push("This browser plays voice through the system's default output.");
  el.devicesNote.textContent = notes.join(" ");
}

/**
 * @param {HTMLSelectElement} select
 * @param {MediaDeviceInfo[]} devices
 * @param {string | null} chosen
 * @param {string} noun
 */
function fillSelect(select, devices, chosen, noun) {
  const options = devices.map((device, i) => {
    const option = document.createElement("option");
    option.value = device.deviceId;
    option.textContent = device.label || `${noun} ${i + 1}`;
    return option;
  });
  if (options.length === 0) {
    const none = document.createElement("option");
    none.value = "";
    none.textContent = noun === "Speaker" ? "System default" : `No ${noun.toLowerCase()} found`;
    options.push(none);
  }
  select.replaceChildren(...options);
  const ids = devices.map((d) => d.deviceId);
  select.value = chosen && ids.includes(chosen) ? chosen : ids.includes("default") ? "default" : ids[0] ?? "";
}

/**
 * @param {string} key
 * @param {string | null} value
 */
function remember(key, value) {
  if (value) localStorage.setItem(key, value);
  else localStorage.removeItem(key);
}

/* ---- rendering ---------------------------------------------------------------------------- */

function render() {
  renderChannels();
  renderVoiceBar();
  renderStage();
  renderEnableAudio();
}

/** The channel we are in or joining, if any. */
function currentChannelId() {
  return app.room ? app.room.channelId : null;
}

/** @param {string | null} id */
function channelName(id) {
  return app.channels.find((c) => c.id === id)?.name ?? id ?? "";
}

/**
 * Who is in a channel: for the one we are in (once joined) the room's own list, which is the
 * freshest (and has our own mute at once); for the others the lobby's.
 * @param {string} channelId
 */
function membersOf(channelId) {
  if (inCall(channelId)) return /** @type {VoiceRoom} */ (app.room).memberList();
  return app.channels.find((c) => c.id === channelId)?.members ?? [];
}

/** Whether the page is in this channel's call (so its members have peer connections). */
function inCall(/** @type {string} */ channelId) {
  return !!app.room && app.room.channelId === channelId && app.room.inCall;
}

function renderChannels() {
  const focusKey = focusedKey();
  const current = currentChannelId();
  const items = app.channels.map((channel) => {
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
    row.append(icon("speaker", "channel-icon"));
    const name = document.createElement("span");
    name.className = "channel-name";
    name.textContent = channel.name;
    row.append(name);
    row.addEventListener("click", () => onChannelClick(channel.id));
    li.append(row);

    const members = membersOf(channel.id);
    if (members.length > 0) {
      const ul = document.createElement("ul");
      ul.className = "channel-members";
      ul.setAttribute("aria-label", `In ${channel.name}`);
      const withPeers = inCall(channel.id);
      for (const member of members) ul.append(memberRow(member, withPeers));
      li.append(ul);
    }
    return li;
  });
  el.channelList.replaceChildren(...items);
  restoreFocus(focusKey);
  paintSpeaking();
}

/**
 * @param {Member} member
 * @param {boolean} withPeers  we are in this call: show the connection to them
 */
function memberRow(member, withPeers) {
  const li = document.createElement("li");
  li.className = "member";
  li.dataset.userId = member.id;
  const avatar = document.createElement("span");
  avatar.className = "avatar avatar-small";
  avatar.setAttribute("aria-hidden", "true");
  avatar.dataset.speakingId = member.id;
  fillAvatar(avatar, member);
  const name = document.createElement("span");
  name.className = "member-name";
  name.textContent = member.name;
  li.append(avatar, name, ...stateIcons(member));
  if (withPeers && app.room?.peers.has(member.id)) li.append(peerBadge(member, "sidebar"));
  return li;
}

/** Deafened implies muted: one icon says it. @param {Member} member */
function stateIcons(member) {
  if (member.deafened) return [icon("deafened", "state-icon", "Deafened")];
  if (member.muted) return [icon("muted", "state-icon", "Muted")];
  return [];
}

function renderVoiceBar() {
  const room = app.room;
  if (!room || room.status === "left" || room.status === "idle") {
    el.voiceBar.hidden = true;
    el.voiceBar.dataset.state = "idle";
    el.voiceLabel.textContent = "";
    el.voiceDetail.textContent = "";
    return;
  }
  el.voiceBar.hidden = false;
  const name = channelName(room.channelId);
  // The state names in the DOM are colours: the word for the red state appears only as its label.
  if (room.status === "connecting") {
    setText(el.voiceLabel, "Connecting…");
    // Until the browser hands over the microphone (it may be asking the person right now).
    setText(el.voiceDetail, room.localStream ? name : `${name}: waiting for the microphone`);
    el.voiceBar.dataset.state = "yellow";
  } else if (room.status === "connected") {
    setText(el.voiceLabel, name);
    setText(el.voiceDetail, "Voice connected");
    el.voiceBar.dataset.state = "green";
  } else {
    setText(el.voiceLabel, "Disconnected");
    if (room.failedPeer) {
      const who = room.members.get(room.failedPeer)?.name ?? "someone";
      setText(el.voiceDetail, `Can't reach ${who}. Reconnecting…`);
    } else {
      const why = REASON_TEXT[room.reason ?? ""] ?? "Lost the connection";
      setText(el.voiceDetail, `${why}. Click ${name} to rejoin.`);
    }
    el.voiceBar.dataset.state = "red";
  }
  setToggle(el.muteButton, room.muted, room.muted ? "Unmute (Ctrl+Shift+M)" : "Mute (Ctrl+Shift+M)");
  setToggle(el.deafenButton, room.deafened, room.deafened ? "Undeafen (Ctrl+Shift+D)" : "Deafen (Ctrl+Shift+D)");
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

/** Changes text only when it differs, so live regions announce changes, not re-renders. */
function setText(/** @type {HTMLElement} */ node, /** @type {string} */ text) {
  if (node.textContent !== text) node.textContent = text;
}

function renderStage() {
  const room = app.room;
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
  el.stageTitle.textContent = channelName(room.channelId);
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
  const withPeers = inCall(room.channelId);
  el.tiles.replaceChildren(...membersOf(room.channelId).map((member) => memberTile(room, member, withPeers)));
  restoreFocus(focusKey);
  paintSpeaking();
}

/**
 * @param {VoiceRoom} room
 * @param {Member} member
 * @param {boolean} withPeers
 */
function memberTile(room, member, withPeers) {
  const li = document.createElement("li");
  li.className = "tile";
  li.dataset.userId = member.id;
  const avatar = document.createElement("span");
  avatar.className = "avatar avatar-large";
  avatar.setAttribute("aria-hidden", "true");
  avatar.dataset.speakingId = member.id;
  fillAvatar(avatar, member);
  const name = document.createElement("span");
  name.className = "tile-name";
  name.textContent = member.name;
  const status = document.createElement("span");
  status.className = "tile-status";
  const isMe = member.id === (room.userId ?? app.user?.id);
  const peer = withPeers ? room.peers.get(member.id) : undefined;
  if (isMe) {
    status.textContent = "You";
  } else if (peer) {
    status.textContent = PEER_TEXT[peer.state];
    li.dataset.peerState = peer.state;
  }
  const icons = document.createElement("span");
  icons.className = "tile-icons";
  icons.append(...stateIcons(member));
  if (peer) icons.append(peerBadge(member, "tile"));
  li.append(avatar, name, status, icons);
  return li;
}

/**
 * The connection to one member: a coloured signal icon, focusable, whose tooltip (hover or
 * focus) and accessible name give the state, round-trip time and packet loss.
 * @param {Member} member
 * @param {"sidebar" | "tile"} where
 */
function peerBadge(member, where) {
  const badge = document.createElement("span");
  badge.className = "peer-badge";
  badge.tabIndex = 0;
  badge.setAttribute("role", "img");
  badge.dataset.peerBadge = member.id;
  badge.dataset.focusKey = `${where}-badge:${member.id}`;
  badge.append(icon("signal", "peer-badge-icon"));
  updatePeerBadge(badge);
  return badge;
}

/** Updates the badges in place (stats come every few seconds; focus and hover must survive). */
function paintPeerBadges() {
  for (const badge of document.querySelectorAll("[data-peer-badge]")) {
    if (badge instanceof HTMLElement) updatePeerBadge(badge);
  }
}

/** @param {HTMLElement} badge */
function updatePeerBadge(badge) {
  const room = app.room;
  const userId = badge.dataset.peerBadge ?? "";
  const peer = room?.peers.get(userId);
  if (!room || !peer) return;
  const who = room.members.get(userId)?.name ?? "them";
  const parts = [PEER_TEXT[peer.state]];
  const spoken = [`Connection to ${who}: ${PEER_TEXT[peer.state].replace("…", "")}`];
  if (peer.state === "connected") {
    const { rttMs, lossPct, localType, remoteType } = peer.stats;
    if (rttMs !== null) {
      parts.push(`${rttMs} ms`);
      spoken.push(`round trip ${rttMs} ms`);
    }
    if (lossPct !== null) {
      parts.push(`${lossPct}% loss`);
      spoken.push(`packet loss ${lossPct}%`);
    }
    if (localType === "relay" || remoteType === "relay") {
      parts.push("relayed");
      spoken.push("through a relay server");
    }
  } else if (peer.state === "failed") {
    parts.push("reconnecting");
  }
  badge.dataset.state = peer.state;
  badge.dataset.tooltip = parts.join(" · ");
  badge.setAttribute("aria-label", spoken.join(", "));
}

/** Rings the avatars of whoever speaks, in place (it changes several times a second). */
function paintSpeaking() {
  const room = app.room;
  for (const avatar of document.querySelectorAll("[data-speaking-id]")) {
    const id = /** @type {HTMLElement} */ (avatar).dataset.speakingId ?? "";
    const speaking = !!room && room.status !== "left" && room.isSpeaking(id);
    avatar.classList.toggle("is-speaking", speaking);
  }
}

function renderEnableAudio() {
  el.enableAudio.hidden = !(app.room && app.room.audioBlocked);
}

/* ---- focus and announcements -------------------------------------------------------------- */

/** The `data-focus-key` of the focused element, so a re-render can put focus back. */
function focusedKey() {
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  return active?.dataset?.focusKey ?? null;
}

/** @param {string | null} key */
function restoreFocus(key) {
  if (!key || focusedKey() === key) return;
  const again = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (again instanceof HTMLElement) again.focus();
}

/** Says something to screen readers (what a shortcut did). @param {string} text */
function announce(text) {
  el.announcer.textContent = "";
  // A new text node in a later task: the same words twice are announced twice.
  setTimeout(() => { el.announcer.textContent = text; }, 50);
}

/* ---- small helpers ------------------------------------------------------------------------ */

/**
 * Initials (up to two) and a colour picked from the id, as text.
 * @param {HTMLElement} node
 * @param {{id: string, name: string}} who
 */
function fillAvatar(node, who) {
  node.textContent = initials(who.name);
  for (const cls of [...node.classList]) if (cls.startsWith("avatar-c")) node.classList.remove(cls);
  node.classList.add(`avatar-c${hash(who.id) % 6}`);
}

/** @param {string} name */
function initials(name) {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return "?";
  const first = [...words[0]][0] ?? "";
  const last = words.length > 1 ? [...words[words.length - 1]][0] ?? "" : "";
  return (first + last).toUpperCase();
}

/** @param {string} text */
function hash(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}

const ICON_PATHS = /** @type {Record<string, string>} */ ({
  speaker: "M11 5 6 9H3v6h3l5 4V5zm4.5 7a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4zM13 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z",
  muted: "M19 11h-1.7c0 .7-.2 1.4-.4 2l1.2 1.2c.6-.9.9-2 .9-3.2zm-4 .2V5a3 3 0 0 0-5.9-.6L15 10.3v.9zM4.3 3 3 4.3l6 6V11a3 3 0 0 0 4.4 2.7l1.6 1.6A5.3 5.3 0 0 1 6.7 11H5c0 3.4 2.7 6.2 6 6.7V21h2v-3.3c.9-.1 1.8-.5 2.5-.9l4.2 4.2 1.3-1.3L4.3 3z",
  signal: "M3 20h4v-5H3v5zm7 0h4V10h-4v10zm7 0h4V4h-4v16z",
  deafened: "M12 3a9 9 0 0 0-9 9v7a2 2 0 0 0 2 2h3v-8H5v-1a7 7 0 0 1 11.9-5L18.3 5.6A9 9 0 0 0 12 3zm7 7.4-2 2V21h3a2 2 0 0 0 2-2v-7c0-.5 0-1-.1-1.5L19 10.4zM3.3 2 2 3.3 20.7 22l1.3-1.3L3.3 2z",
});

/**
 * @param {string} name
 * @param {string} className
 * @param {string} [label]  an accessible name; decorative when absent
 */
function icon(name, className, label) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("class", className);
  svg.setAttribute("focusable", "false");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const title = document.createElementNS(ns, "title");
    title.textContent = label;
    svg.append(title);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", ICON_PATHS[name] ?? "");
  svg.append(path);
  return svg;
}

/* ---- start -------------------------------------------------------------------------------- */

function boot() {
  const token = localStorage.getItem(TOKEN_KEY);
  const user = readStoredUser();
  if (token && user) startApp(token, user);
  else showSignIn();
}

boot();
