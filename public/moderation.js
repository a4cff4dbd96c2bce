// @ts-check
/**
 * moderation.js — what a moderator does to a member from the page (contract v1.1: the admin API's
 * member routes, which take a moderator's own token as the bearer): mute for everyone, kick with
 * an optional ban, move to another channel of the space. Requests, answers and the sentences the
 * page says, as plain functions (Node tests them); member-moderation.js is the menu's part.
 */

/** @typedef {import("./protocol.js").Member} Member */

/**
 * A moderator's order about one member.
 * @typedef {{action: "mute", muted: boolean} | {action: "kick", banSecs: number} |
 *   {action: "move", channelId: string, channelName?: string}} Order
 */

/** The bans a kick may carry, as the menu offers them. */
export const BAN_CHOICES = Object.freeze([
  { secs: 0, label: "No ban" },
  { secs: 600, label: "10 minutes" },
  { secs: 3600, label: "1 hour" },
  { secs: 86_400, label: "1 day" },
]);

/**
 * Whether the page offers moderation of `userId`: our token is a moderator's (of the space it
 * names: the page only ever shows that space) and they are not us.
 * @param {{role: string} | null | undefined} claims
 * @param {string | null | undefined} selfId
 * @param {string} userId
 */
export function mayModerate(claims, selfId, userId) {
  return claims?.role === "moderator" && !!userId && userId !== selfId;
}

/**
 * The request for an order: its path (the user id percent-encoded: ids may hold `/`, `?`, `#`,
 * anything) and its JSON body.
 * @param {string} space
 * @param {string} userId
 * @param {Order} order
 */
export function moderationRequest(space, userId, order) {
  const path = `/api/admin/spaces/${encodeURIComponent(space)}/members/${encodeURIComponent(userId)}/${order.action}`;
  /** @type {Record<string, unknown>} */
  let body;
  if (order.action === "mute") body = { muted: order.muted };
  else if (order.action === "kick") body = order.banSecs > 0 ? { ban_secs: order.banSecs } : {};
  else body = { channel_id: order.channelId };
  return { path, body };
}

/**
 * The channels a member may be moved to: the space's others, in the sidebar's order.
 * @param {{id: string, name: string}[]} channels
 * @param {string | null} currentId  the member's channel
 */
export function moveTargets(channels, currentId) {
  return channels.filter((c) => c.id !== currentId).map(({ id, name }) => ({ id, name }));
}

/**
 * What the page says once the server has done it (announced to screen readers).
 * @param {Order} order
 * @param {string} name  the member's name as shown
 */
export function doneText(order, name) {
  if (order.action === "mute") return `${name} ${order.muted ? "muted" : "unmuted"} for everyone`;
  if (order.action === "move") return `${name} moved to ${order.channelName ?? order.channelId}`;
  const ban = BAN_CHOICES.find((b) => b.secs === order.banSecs && b.secs > 0);
  return ban ? `${name} removed from the channel and banned for ${ban.label}` : `${name} removed from the channel`;
}

/**
 * Sends an order with the page's API (the bearer is ours). Resolves with the member as the server
 * answered, or the server's sentence when it refused.
 * @param {(path: string, init: RequestInit) => Promise<Response>} api
 * @param {string} space
 * @param {string} userId
 * @param {Order} order
 * @returns {Promise<{member: Member | null} | {error: string}>}
 */
export async function moderate(api, space, userId, order) {
  const { path, body } = moderationRequest(space, userId, order);
  const res = await api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  /** @type {any} */
  let answer = null;
  try {
    answer = await res.json();
  } catch { /* no JSON body */ }
  if (!res.ok) {
    return { error: typeof answer?.error === "string" ? answer.error : `The server answered ${res.status}.` };
  }
  return { member: answer && typeof answer.member === "object" ? answer.member : null };
}
