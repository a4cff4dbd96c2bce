// @ts-check
/**
 * view.js — the pieces the page is drawn with: ONE member component (the sidebar row and the
 * main area's tile are two layouts of it), the connection badge with its tooltip, avatars, icons,
 * and keeping focus and screen-reader announcements right across re-renders. Names are always
 * text (textContent), never HTML; namesakes in view get a short tag from their id (displayNames).
 */

import { poorConnection } from "./stats.js";

/** @typedef {import("./protocol.js").Member} Member */
/** @typedef {import("./peer.js").PeerState} PeerState */
/** @typedef {import("./stats.js").PeerStats} PeerStats */

/**
 * What the page knows about its connection to one member.
 * @typedef {Object} PeerView
 * @property {PeerState} state
 * @property {PeerStats} stats
 * @property {string} name  the member's name, for the badge's accessible name
 */

/** Peer connection states in words: the tile's status and the badge's label. */
export const PEER_TEXT = { connecting: "Connecting…", connected: "Connected", failed: "Can't connect" };

/** The two layouts of a member: their class names (style.css and the tests know them). */
const LAYOUTS = {
  row: { item: "member", avatar: "avatar-small", name: "member-name", badge: "sidebar" },
  tile: { item: "tile", avatar: "avatar-large", name: "tile-name", badge: "tile" },
};

/**
 * The name to show for each member: their display name, and where two or more members in view
 * share it (ignoring case and Unicode compatibility forms), a short tag from their id after it
 * ("Alice · 3f2a"), so namesakes can be told apart. The tag is a hash of the id (4 hex digits,
 * longer if two namesakes' tags clash): stable across renders, the same in the sidebar and tiles.
 * @param {Iterable<{id: string, name: string}>} members  everyone in view (an id may repeat)
 * @returns {Map<string, string>} member id → what to show
 */
export function displayNames(members) {
  /** @type {Map<string, Map<string, string>>} */
  const byName = new Map();
  for (const { id, name } of members) {
    const key = name.normalize("NFKC").trim().toLowerCase();
    const group = byName.get(key) ?? new Map();
    group.set(id, name);
    byName.set(key, group);
  }
  /** @type {Map<string, string>} */
  const labels = new Map();
  for (const group of byName.values()) {
    if (group.size === 1) {
      for (const [id, name] of group) labels.set(id, name);
      continue;
    }
    const tags = [...group.keys()].map(idTag);
    let digits = 4;
    while (digits < 8 && new Set(tags.map((t) => t.slice(0, digits))).size < tags.length) digits += 2;
    for (const [id, name] of group) labels.set(id, `${name} · ${idTag(id).slice(0, digits)}`);
  }
  return labels;
}

/** 8 hex digits of FNV-1a over the id's UTF-16 units: a short, stable tag (not a secret). */
function idTag(/** @type {string} */ id) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * A member in the sidebar (`row`: under their channel) or in the main area (`tile`).
 * @param {Member} member
 * @param {{layout: "row" | "tile", isMe: boolean, peer: PeerView | undefined, label?: string,
 *   moderate?: boolean}} options
 *   `peer`: we are in their call and have a connection to them (it shows as a badge);
 *   `label`: the name to show, when it is not just `member.name` (see displayNames);
 *   `moderate`: we are a moderator and this is someone else (their menu has moderation)
 */
export function memberItem(member, { layout, isMe, peer, label, moderate = false }) {
  const k = LAYOUTS[layout];
  const li = document.createElement("li");
  li.className = k.item;
  li.dataset.userId = member.id;
  const avatar = document.createElement("span");
  avatar.className = `avatar ${k.avatar}`;
  avatar.setAttribute("aria-hidden", "true");
  avatar.dataset.speakingId = member.id;
  fillAvatar(avatar, member);
  const name = document.createElement("span");
  name.className = k.name;
  name.textContent = label ?? member.name;
  const badge = peer ? peerBadge(member.id, peer, k.badge) : null;
  // Someone in our call (we have a connection to them): their volume menu; anyone else, for a
  // moderator: their menu with the moderation.
  const menu = peer || moderate ? [menuButton(member.id, label ?? member.name, layout, moderate)] : [];
  if (layout === "row") {
    li.append(avatar, name, ...stateIcons(member), ...(badge ? [badge] : []), ...menu);
    return li;
  }
  const status = document.createElement("span");
  status.className = "tile-status";
  if (isMe) {
    status.textContent = "You";
  } else if (peer) {
    status.textContent = PEER_TEXT[peer.state];
    li.dataset.peerState = peer.state;
  }
  const icons = document.createElement("span");
  icons.className = "tile-icons";
  icons.append(...stateIcons(member), ...(badge ? [badge] : []));
  li.append(avatar, name, status, icons, ...menu);
  return li;
}

/**
 * Opens the member's menu (their volume and "mute for me", member-menu.js; for a moderator also
 * mute for everyone, kick and move): the keyboard's way to what a right-click on the tile or the
 * row opens too.
 * @param {string} userId
 * @param {string} label
 * @param {string} where  part of its focus key (a row and a tile each have one)
 * @param {boolean} moderate
 */
function menuButton(userId, label, where, moderate) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `icon-button member-menu-button member-menu-${where}`;
  button.dataset.memberMenu = userId;
  button.dataset.focusKey = `${where}-menu:${userId}`;
  button.setAttribute("aria-haspopup", "dialog");
  button.setAttribute("aria-label", moderate ? `Options for ${label}` : `Volume for ${label}`);
  button.dataset.tooltip = moderate ? "Options" : "Volume";
  button.append(icon("speaker", "member-menu-icon"));
  return button;
}

/** What a moderator's mute is called wherever it shows (the member's icon, the voice bar). */
export const SERVER_MUTED_TEXT = "Muted by a moderator";

/**
 * Deafened implies muted: one icon says it. A moderator's mute has its own icon (and name), and
 * says the mute already.
 * @param {Member} member
 */
function stateIcons(member) {
  const icons = member.server_muted ? [icon("muted", "state-icon is-server-muted", SERVER_MUTED_TEXT)] : [];
  if (member.deafened) icons.push(icon("deafened", "state-icon", "Deafened"));
  else if (member.muted && !member.server_muted) icons.push(icon("muted", "state-icon", "Muted"));
  return icons;
}

/**
 * The connection to one member: a coloured signal icon, focusable, whose tooltip (hover or
 * focus) and accessible name give the state, round-trip time and packet loss.
 * @param {string} userId
 * @param {PeerView} peer
 * @param {string} where  part of its focus key (a row and a tile each have one)
 */
function peerBadge(userId, peer, where) {
  const badge = document.createElement("span");
  badge.className = "peer-badge";
  badge.tabIndex = 0;
  badge.setAttribute("role", "img");
  badge.dataset.peerBadge = userId;
  badge.dataset.focusKey = `${where}-badge:${userId}`;
  badge.append(icon("signal", "peer-badge-icon"));
  updatePeerBadge(badge, peer);
  return badge;
}

/**
 * Updates the badges in place (stats come every few seconds; focus and hover must survive).
 * @param {(userId: string) => PeerView | undefined} peerOf
 */
export function paintPeerBadges(peerOf) {
  for (const badge of document.querySelectorAll("[data-peer-badge]")) {
    const peer = badge instanceof HTMLElement ? peerOf(badge.dataset.peerBadge ?? "") : undefined;
    if (peer) updatePeerBadge(/** @type {HTMLElement} */ (badge), peer);
  }
}

/**
 * @param {HTMLElement} badge
 * @param {PeerView} peer
 */
function updatePeerBadge(badge, peer) {
  const parts = [PEER_TEXT[peer.state]];
  const spoken = [`Connection to ${peer.name}: ${PEER_TEXT[peer.state].replace("…", "")}`];
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
    if (poorConnection(peer.stats)) {
      parts.push("poor connection");
      spoken.push("poor connection");
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

/**
 * Rings the avatars of whoever speaks, in place (it changes several times a second).
 * @param {(userId: string) => boolean} isSpeaking
 */
export function paintSpeaking(isSpeaking) {
  for (const avatar of document.querySelectorAll("[data-speaking-id]")) {
    avatar.classList.toggle("is-speaking", isSpeaking(/** @type {HTMLElement} */ (avatar).dataset.speakingId ?? ""));
  }
}

/** @param {string} id */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

/* ---- focus and announcements -------------------------------------------------------------- */

/** The `data-focus-key` of the focused element, so a re-render can put focus back. */
export function focusedKey() {
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  return active?.dataset?.focusKey ?? null;
}

/** @param {string | null} key */
export function restoreFocus(key) {
  if (!key || focusedKey() === key) return;
  const again = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (again instanceof HTMLElement) again.focus();
}

/** Changes text only when it differs, so live regions announce changes, not re-renders. */
export function setText(/** @type {HTMLElement} */ node, /** @type {string} */ text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Says something to screen readers (what a shortcut did).
 * @param {HTMLElement} announcer  an aria-live region
 * @param {string} text
 */
export function announce(announcer, text) {
  announcer.textContent = "";
  // A new text node in a later task: the same words twice are announced twice.
  setTimeout(() => { announcer.textContent = text; }, 50);
}

/* ---- avatars and icons -------------------------------------------------------------------- */

/**
 * Initials (up to two) and a colour picked from the id, as text.
 * @param {HTMLElement} node
 * @param {{id: string, name: string}} who
 */
export function fillAvatar(node, who) {
  node.textContent = initials(who.name);
  for (const cls of [...node.classList]) if (cls.startsWith("avatar-c")) node.classList.remove(cls);
  node.classList.add(`avatar-c${hash(who.id) % 6}`);
}

/** @param {string} name */
export function initials(name) {
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
export function icon(name, className, label) {
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
