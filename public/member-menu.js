// @ts-check
/**
 * member-menu.js — one member's menu: their volume (0–200 %) and "mute for me", for this browser
 * only, remembered by user id (preferences.js) and applied to the call at once; for a moderator
 * also mute for everyone, kick and move (member-moderation.js). Opened from the member's tile or
 * row button (keyboard), or a right-click (or the context-menu key) on their tile or sidebar row.
 * A modal <dialog>: focus stays in it, Escape closes it, focus goes back after.
 */
import { MemberModeration } from "./member-moderation.js";
import { memberLevel, withMemberLevel } from "./preferences.js";
import { announce, byId } from "./view.js";

/** @typedef {import("./preferences.js").PreferenceStore} PreferenceStore */
/** @typedef {import("./voice.js").VoiceRoom} VoiceRoom */

export class MemberMenu {
  /**
   * @param {{prefs: PreferenceStore, room: () => VoiceRoom | null, selfId: () => string | null,
   *   announcer: HTMLElement,
   *   moderation: Omit<import("./member-moderation.js").ModerationOptions, "selfId" | "announcer" | "close">}} options
   */
  constructor(options) {
    this.options = options;
    /** @type {string | null} the member whose menu is open */
    this.userId = null;
    /** @type {string | null} what to focus when it closes (a data-focus-key) */
    this.returnKey = null;
    this.el = {
      dialog: /** @type {HTMLDialogElement} */ (byId("member-menu")),
      title: byId("member-menu-title"),
      volume: /** @type {HTMLInputElement} */ (byId("member-volume")),
      volumeText: byId("member-volume-text"),
      mute: /** @type {HTMLInputElement} */ (byId("member-mute")),
    };
    this.moderation = new MemberModeration({
      ...options.moderation, selfId: options.selfId, announcer: options.announcer, close: () => this.el.dialog.close(),
    });
    this.listen();
  }

  listen() {
    const el = this.el;
    document.addEventListener("click", (event) => {
      const button = /** @type {Element} */ (event.target).closest?.("[data-member-menu]");
      if (button instanceof HTMLElement) this.open(button.dataset.memberMenu ?? "", button.dataset.focusKey ?? null);
    });
    document.addEventListener("contextmenu", (event) => {
      const item = /** @type {Element} */ (event.target).closest?.("#tiles [data-user-id], #channel-list [data-user-id]");
      const userId = item instanceof HTMLElement ? item.dataset.userId ?? "" : "";
      if (!userId || userId === this.options.selfId()) return;
      event.preventDefault();
      const button = item?.querySelector("[data-member-menu]");
      this.open(userId, button instanceof HTMLElement ? button.dataset.focusKey ?? null : null);
    });
    el.volume.addEventListener("input", () => this.change());
    el.mute.addEventListener("change", () => this.change());
    el.dialog.addEventListener("close", () => {
      this.userId = null;
      this.moderation.hide();
      const back = this.returnKey ? document.querySelector(`[data-focus-key="${CSS.escape(this.returnKey)}"]`) : null;
      if (back instanceof HTMLElement) back.focus();
    });
  }

  /**
   * @param {string} userId
   * @param {string | null} returnKey
   */
  open(userId, returnKey) {
    if (!userId) return;
    const el = this.el;
    this.userId = userId;
    this.returnKey = returnKey;
    const level = memberLevel(this.options.prefs.value, userId);
    el.title.textContent = nameOf(userId);
    el.volume.value = String(Math.round(level.volume * 100));
    el.mute.checked = level.muted;
    this.showVolume();
    this.moderation.show(userId, el.title.textContent);
    if (!el.dialog.open) el.dialog.showModal();
    el.volume.focus();
  }

  change() {
    const userId = this.userId;
    if (!userId) return;
    const level = { volume: Number(this.el.volume.value) / 100, muted: this.el.mute.checked };
    const was = memberLevel(this.options.prefs.value, userId);
    this.options.prefs.update((p) => withMemberLevel(p, userId, level));
    const room = this.options.room();
    room?.setMemberVolume(userId, level.volume);
    room?.setMemberMuted(userId, level.muted);
    this.showVolume();
    if (was.muted !== level.muted) {
      announce(this.options.announcer, `${nameOf(userId)} ${level.muted ? "muted for you" : "unmuted for you"}`);
    }
  }

  showVolume() {
    const text = `${this.el.volume.value} %`;
    this.el.volumeText.textContent = text;
    this.el.volume.setAttribute("aria-valuetext", text);
  }
}

/** The member's name as the page shows it (their tile, else their row). @param {string} userId */
function nameOf(userId) {
  const item = document.querySelector(`#tiles [data-user-id="${CSS.escape(userId)}"], #channel-list [data-user-id="${CSS.escape(userId)}"]`);
  return item?.querySelector(".tile-name, .member-name")?.textContent ?? "Member";
}
