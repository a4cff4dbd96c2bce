// @ts-check
/**
 * member-moderation.js — the moderation part of a member's menu (member-menu.js), shown to a
 * moderator of the space only and never for themselves: "Mute for everyone" / "Unmute for
 * everyone", "Kick" with a ban choice, and "Move to…" another channel of the space. Each calls
 * the server with the moderator's own token (moderation.js); a refusal shows the server's
 * sentence in the menu, a success is announced (and a kick or a move closes the menu: the member
 * is gone from here).
 */
import { BAN_CHOICES, doneText, mayModerate, moderate, moveTargets } from "./moderation.js";
import { Unauthorized } from "./session.js";
import { announce, byId } from "./view.js";

/** @typedef {import("./protocol.js").Member} Member */
/** @typedef {import("./moderation.js").Order} Order */

/**
 * @typedef {Object} ModerationOptions
 * @property {(path: string, init: RequestInit) => Promise<Response>} api  the page's API (our bearer)
 * @property {() => {space: string, role: string} | null} claims  our token's
 * @property {() => string | null} selfId
 * @property {(userId: string) => {member: Member, channelId: string} | null} locate  where a member is now
 * @property {() => {id: string, name: string}[]} channels  the space's channels, in the sidebar's order
 * @property {HTMLElement} announcer
 * @property {() => void} close  closes the menu
 */

export class MemberModeration {
  /** @param {ModerationOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {string | null} the member shown, while the menu is open for a moderator */
    this.userId = null;
    this.name = "";
    this.serverMuted = false;
    /** An order is on its way (a second click waits for its answer). */
    this.busy = false;
    this.el = {
      section: byId("member-moderation"),
      mute: /** @type {HTMLButtonElement} */ (byId("moderate-mute")),
      ban: /** @type {HTMLSelectElement} */ (byId("kick-ban")),
      kick: /** @type {HTMLButtonElement} */ (byId("moderate-kick")),
      target: /** @type {HTMLSelectElement} */ (byId("move-target")),
      move: /** @type {HTMLButtonElement} */ (byId("moderate-move")),
      error: byId("moderation-error"),
    };
    this.el.ban.replaceChildren(...BAN_CHOICES.map(({ secs, label }) => new Option(label, String(secs))));
    this.el.mute.addEventListener("click", () => this.run({ action: "mute", muted: !this.serverMuted }));
    this.el.kick.addEventListener("click", () => this.run({ action: "kick", banSecs: Number(this.el.ban.value) || 0 }));
    this.el.move.addEventListener("click", () => {
      const option = this.el.target.selectedOptions[0];
      if (option) this.run({ action: "move", channelId: option.value, channelName: option.text });
    });
  }

  /**
   * Shows the section for `userId`, or hides it (we are no moderator, or it is us).
   * @param {string} userId
   * @param {string} name  as the page shows it
   * @returns {boolean} whether it is shown
   */
  show(userId, name) {
    const o = this.options;
    const shown = mayModerate(o.claims(), o.selfId(), userId);
    this.el.section.hidden = !shown;
    this.userId = shown ? userId : null;
    if (!shown) return false;
    this.name = name;
    this.el.error.textContent = "";
    const where = o.locate(userId);
    this.serverMuted = where?.member.server_muted === true;
    this.showMute();
    this.el.ban.value = "0";
    const targets = moveTargets(o.channels(), where?.channelId ?? null);
    this.el.target.replaceChildren(...targets.map(({ id, name }) => new Option(name, id)));
    this.el.target.disabled = targets.length === 0;
    this.el.move.disabled = targets.length === 0;
    return true;
  }

  /** The menu closed: a late answer changes nothing in it. */
  hide() {
    this.userId = null;
  }

  showMute() {
    this.el.mute.textContent = this.serverMuted ? "Unmute for everyone" : "Mute for everyone";
  }

  /** @param {Order} order */
  async run(order) {
    const userId = this.userId;
    const claims = this.options.claims();
    if (!userId || !claims || this.busy) return;
    this.busy = true;
    this.el.section.setAttribute("aria-busy", "true");
    this.el.error.textContent = "";
    try {
      const result = await moderate(this.options.api, claims.space, userId, order);
      if (this.userId !== userId) return;
      if ("error" in result) {
        this.el.error.textContent = result.error;
        return;
      }
      announce(this.options.announcer, doneText(order, this.name));
      if (order.action !== "mute") {
        this.options.close();
        return;
      }
      this.serverMuted = result.member ? result.member.server_muted === true : order.muted;
      this.showMute();
    } catch (err) {
      // A 401 has signed the page out already.
      if (!(err instanceof Unauthorized) && this.userId === userId) this.el.error.textContent = "Could not reach the server.";
      console.warn(`[moderation] ${order.action} failed:`, err);
    } finally {
      this.busy = false;
      this.el.section.removeAttribute("aria-busy");
    }
  }
}
