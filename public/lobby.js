// @ts-check
/**
 * lobby.js — who is in which channel, for the sidebar: the lobby socket (`roster` on connect and
 * whenever the set of channels or a name changes — channels come and go at runtime, v1.1 —, then
 * `channel` on every change), reconnected with backoff, and the roster merging as plain functions
 * (Node tests them).
 */
import { LOBBY_BACKOFF } from "./backoff.js";
import { socketUrl } from "./protocol.js";
import { SignalSocket } from "./socket.js";

/** @typedef {import("./protocol.js").Member} Member */
/** @typedef {import("./protocol.js").ChannelRoster} ChannelRoster */
/** @typedef {import("./protocol.js").LobbyMsg} LobbyMsg */
/**
 * A channel as the lobby lists it (v1.1 adds `max_members` and `temporary`; a server before v1.1
 * sends neither).
 * @typedef {ChannelRoster & {max_members?: number, temporary?: boolean}} Channel
 */

/**
 * Whether a channel has no seat left (a join would be refused with `channel_full`).
 * @param {Channel} channel
 */
export function isFull(channel) {
  return typeof channel.max_members === "number" && channel.members.length >= channel.max_members;
}

/**
 * Each member once, first listing kept.
 * @param {Member[]} members
 */
export function uniqueMembers(members) {
  const seen = new Set();
  return members.filter((m) => !seen.has(m.id) && seen.add(m.id));
}

/**
 * The channels after a lobby message. `roster` replaces them all; `channel` replaces one
 * channel's members, and whoever it lists is dropped from every other channel (one channel per
 * user: a mover's old channel may be updated after the new one). Never lists a member twice.
 * A `channel` for a channel not in the roster is ignored (a `roster` brings new channels).
 * @param {ChannelRoster[]} channels
 * @param {LobbyMsg} msg
 * @returns {ChannelRoster[]}
 */
export function applyLobbyMsg(channels, msg) {
  if (msg.type === "roster") {
    if (!Array.isArray(msg.channels)) return channels;
    const seen = new Set();
    return msg.channels.map((c) => {
      const members = uniqueMembers(Array.isArray(c.members) ? c.members : []).filter((m) => !seen.has(m.id));
      for (const m of members) seen.add(m.id);
      return { ...c, members };
    });
  }
  if (!channels.some((c) => c.id === msg.id) || !Array.isArray(msg.members)) return channels;
  const members = uniqueMembers(msg.members);
  const ids = new Set(members.map((m) => m.id));
  return channels.map((c) => (c.id === msg.id ? { ...c, members }
    : { ...c, members: c.members.filter((m) => !ids.has(m.id)) }));
}

/**
 * @typedef {Object} LobbyOptions
 * @property {string} token
 * @property {() => void} onChange              The channels changed.
 * @property {() => Promise<boolean>} mayReconnect  Before each reconnect (a refused token closes
 *   the socket like anything else: the API tells, and signs out).
 */

export class Lobby {
  /** @param {LobbyOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {Channel[]} */
    this.channels = [];
    /** A `roster` came from the lobby socket (fresher than any `GET /api/channels`). */
    this.rostered = false;
    /** Every channel name seen, so a channel deleted under us is still called by its name. */
    this.names = /** @type {Map<string, string>} */ (new Map());
    /** @type {SignalSocket<LobbyMsg> | null} */
    this.socket = null;
  }

  /**
   * The channels from `GET /api/channels`, until the lobby's fresher roster arrives (and never
   * after it: a space may have no channel at all, and the roster says so).
   */
  fillIn(/** @type {unknown} */ channels) {
    if (this.rostered || !Array.isArray(channels)) return;
    this.apply({ type: "roster", channels });
  }

  /** A message from the lobby socket. @param {LobbyMsg} msg */
  received(msg) {
    if (msg.type === "roster") this.rostered = true;
    this.apply(msg);
  }

  /** @param {LobbyMsg} msg */
  apply(msg) {
    this.channels = applyLobbyMsg(this.channels, msg);
    for (const c of this.channels) this.names.set(c.id, c.name);
    this.options.onChange();
  }

  connect() {
    const apply = (/** @type {LobbyMsg} */ msg) => this.received(msg);
    this.socket = new SignalSocket(/** @type {import("./socket.js").SignalSocketOptions<LobbyMsg>} */ ({
      url: socketUrl("/api/lobby", location.href),
      token: this.options.token,
      log: "lobby",
      handlers: { roster: apply, channel: apply },
      onClose: (code) => console.warn(`[app] lobby socket closed (code ${code}); reconnecting`),
      reconnect: { backoff: LOBBY_BACKOFF, before: this.options.mayReconnect },
    })).open();
    return this;
  }

  /** The channel's name (its last known one once it is gone), else its id. @param {string | null} id */
  channelName(id) {
    return (id !== null && this.names.get(id)) || id || "";
  }

  /** Whether the channel is listed now. @param {string} id */
  has(id) {
    return this.channels.some((c) => c.id === id);
  }

  /** @param {string} id */
  membersOf(id) {
    return this.channels.find((c) => c.id === id)?.members ?? [];
  }

  close() {
    this.socket?.close();
    this.socket = null;
  }
}
