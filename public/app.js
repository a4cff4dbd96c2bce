// @ts-check
/**
 * app.js — the page: sign-in, the sidebar (channels and who is in them, from the lobby socket),
 * the voice bar and the main area. The WebRTC mesh lives in voice.js.
 */
import { VoiceRoom, socketUrl, subprotocols, PING, PING_INTERVAL_MS } from "./voice.js";

/** @typedef {import("./voice.js").Member} Member */
/** @typedef {import("./voice.js").ChannelRoster} ChannelRoster */
/** @typedef {import("./voice.js").LobbyMsg} LobbyMsg */

const TOKEN_KEY = "cromulent-voice.token";
const USER_KEY = "cromulent-voice.user";

/** Test-only switch: `?relay=1` forces every peer connection through TURN. */
const RELAY_ONLY = new URLSearchParams(location.search).get("relay") === "1";

/** What the voice bar says under its label when the connection is down, by reason. */
const REASON_TEXT = /** @type {Record<string, string>} */ ({
  already_in_channel: "You are in this channel in another tab",
  moved: "You joined a channel in another tab",
  replaced: "This tab reconnected elsewhere",
  heartbeat_timeout: "The connection went quiet",
  channel_full: "This channel is full",
  rate_limited: "Too many messages",
  connection_failed: "Can't reach someone in this channel",
  no_ice_candidates: "Can't reach someone in this channel",
  connect_timeout: "Can't reach someone in this channel",
  no_relay_server: "No relay server to reach the others",
  microphone_unavailable: "No microphone access",
  socket_closed: "Lost the connection to the server",
  refused: "The server did not let you in",
});

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
  voiceBar: byId("voice-bar"),
  voiceDot: byId("voice-dot"),
  voiceLabel: byId("voice-label"),
  voiceDetail: byId("voice-detail"),
  leaveButton: byId("leave-button"),
  meAvatar: byId("me-avatar"),
  meName: byId("me-name"),
  signoutButton: byId("signout-button"),
  stage: byId("stage"),
  stageTitle: byId("stage-title"),
  stageEmpty: byId("stage-empty"),
  tiles: byId("tiles"),
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
  });
  app.room = room;
  exposeRoom(room);
  room.addEventListener("status", () => {
    if (room !== app.room) return;
    if (room.status === "disconnected" && room.reason === "refused") checkToken();
    render();
  });
  room.addEventListener("joined", () => {
    if (room === app.room && room.sessionId) app.lastSessionId = room.sessionId;
  });
  room.addEventListener("members", () => { if (room === app.room) renderStage(); });
  room.addEventListener("peer", () => { if (room === app.room) renderStage(); });
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

el.leaveButton.addEventListener("click", () => {
  leaveRoom();
});

// Closing or reloading the tab leaves at once rather than after the grace period.
window.addEventListener("pagehide", () => {
  if (app.room) app.room.leave();
});

/* ---- rendering ---------------------------------------------------------------------------- */

function render() {
  renderChannels();
  renderVoiceBar();
  renderStage();
}

/** The channel we are in or joining, if any. */
function currentChannelId() {
  return app.room ? app.room.channelId : null;
}

/** @param {string | null} id */
function channelName(id) {
  return app.channels.find((c) => c.id === id)?.name ?? id ?? "";
}

function renderChannels() {
  const focusedId = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.channelId;
  const current = currentChannelId();
  const items = app.channels.map((channel) => {
    const li = document.createElement("li");
    li.className = "channel";

    const row = document.createElement("button");
    row.type = "button";
    row.className = "channel-row";
    row.dataset.channelId = channel.id;
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

    if (channel.members.length > 0) {
      const ul = document.createElement("ul");
      ul.className = "channel-members";
      ul.setAttribute("aria-label", `In ${channel.name}`);
      for (const member of channel.members) ul.append(memberRow(member));
      li.append(ul);
    }
    return li;
  });
  el.channelList.replaceChildren(...items);
  if (focusedId) {
    const again = el.channelList.querySelector(`[data-channel-id="${CSS.escape(focusedId)}"]`);
    if (again instanceof HTMLElement) again.focus();
  }
}

/** @param {Member} member */
function memberRow(member) {
  const li = document.createElement("li");
  li.className = "member";
  li.dataset.userId = member.id;
  const avatar = document.createElement("span");
  avatar.className = "avatar avatar-small";
  avatar.setAttribute("aria-hidden", "true");
  fillAvatar(avatar, member);
  const name = document.createElement("span");
  name.className = "member-name";
  name.textContent = member.name;
  li.append(avatar, name, ...stateIcons(member));
  return li;
}

/** @param {Member} member */
function stateIcons(member) {
  const icons = [];
  if (member.muted) icons.push(icon("muted", "state-icon", "Muted"));
  if (member.deafened) icons.push(icon("deafened", "state-icon", "Deafened"));
  return icons;
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
    el.voiceBar.dataset.state = "yellow";
    el.voiceLabel.textContent = "Connecting…";
    el.voiceDetail.textContent = name;
  } else if (room.status === "connected") {
    el.voiceBar.dataset.state = "green";
    el.voiceLabel.textContent = name;
    el.voiceDetail.textContent = "Voice connected";
  } else {
    el.voiceBar.dataset.state = "red";
    el.voiceLabel.textContent = "Disconnected";
    const why = REASON_TEXT[room.reason ?? ""] ?? "Lost the connection";
    el.voiceDetail.textContent = `${why}. Click ${name} to rejoin.`;
  }
}

function renderStage() {
  const room = app.room;
  if (!room || room.status === "left") {
    el.stage.dataset.state = "idle";
    el.stageTitle.textContent = "";
    el.stageEmpty.hidden = false;
    el.tiles.hidden = true;
    el.tiles.replaceChildren();
    return;
  }
  el.stage.dataset.state = "channel";
  el.stageTitle.textContent = channelName(room.channelId);
  el.stageEmpty.hidden = true;
  el.tiles.hidden = false;
  // Once joined, the room's own list is the freshest; before that (or after a drop), the lobby's.
  const members = room.status === "connected" ? room.memberList()
    : app.channels.find((c) => c.id === room.channelId)?.members ?? [];
  el.tiles.replaceChildren(...members.map((member) => memberTile(room, member)));
}

/**
 * @param {VoiceRoom} room
 * @param {Member} member
 */
function memberTile(room, member) {
  const li = document.createElement("li");
  li.className = "tile";
  li.dataset.userId = member.id;
  const avatar = document.createElement("span");
  avatar.className = "avatar avatar-large";
  avatar.setAttribute("aria-hidden", "true");
  fillAvatar(avatar, member);
  const name = document.createElement("span");
  name.className = "tile-name";
  name.textContent = member.name;
  const status = document.createElement("span");
  status.className = "tile-status";
  const isMe = member.id === (room.userId ?? app.user?.id);
  const peer = room.peers.get(member.id);
  if (isMe) {
    status.textContent = "You";
  } else if (peer?.failed) {
    status.textContent = "Can't connect";
    li.classList.add("is-failed");
  } else if (peer?.pc.connectionState === "connected") {
    status.textContent = "Connected";
    li.classList.add("is-connected");
  } else if (peer) {
    status.textContent = "Connecting…";
  }
  const icons = document.createElement("span");
  icons.className = "tile-icons";
  icons.append(...stateIcons(member));
  li.append(avatar, name, status, icons);
  return li;
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
