// @ts-check
/**
 * push-to-talk-key.js — the page's push-to-talk key: held while the page has focus, it calls
 * `setPushToTalk(true)`, released (or the page loses focus) `false`. Never while typing in a text
 * field, never with Ctrl/Alt/⌘ (shortcuts), and the key's own character is not typed.
 */

/** Keys a push-to-talk binding may not take: they move focus, press buttons or close dialogs. */
export const RESERVED_KEYS = new Set(["Tab", "Enter", "NumpadEnter", "Space", "Escape"]);

/** Whether keys typed at `target` are text (inputs that take text, textareas, editable content). */
export function isTextField(/** @type {EventTarget | null} */ target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !["button", "checkbox", "radio", "range", "color", "submit", "reset", "file", "image"].includes(target.type);
}

/** A key code as people read it: "Backquote" → "`", "KeyV" → "V", "Digit1" → "1". */
export function keyName(/** @type {string} */ code) {
  const named = /** @type {Record<string, string>} */ ({
    Backquote: "`", Minus: "-", Equal: "=", BracketLeft: "[", BracketRight: "]", Backslash: "\\",
    Semicolon: ";", Quote: "'", Comma: ",", Period: ".", Slash: "/", CapsLock: "Caps Lock",
  });
  if (named[code]) return named[code];
  const m = /^(?:Key|Digit)(.)$/.exec(code);
  return m ? m[1] : code.replace(/([a-z])([A-Z0-9])/g, "$1 $2");
}

/**
 * @param {{key: () => string, active: () => boolean, press: (pressed: boolean) => void}} options
 *   `key`: the bound KeyboardEvent.code; `active`: push-to-talk mode and not rebinding the key
 */
export function installPushToTalkKey(options) {
  let held = false;
  const release = () => {
    if (!held) return;
    held = false;
    options.press(false);
  };
  document.addEventListener("keydown", (event) => {
    if (event.code !== options.key() || !options.active()) return;
    if (event.ctrlKey || event.metaKey || event.altKey || isTextField(event.target)) return;
    event.preventDefault();
    if (held) return;
    held = true;
    options.press(true);
  });
  // A release counts wherever the focus went meanwhile.
  document.addEventListener("keyup", (event) => {
    if (event.code === options.key()) release();
  });
  window.addEventListener("blur", release);
  document.addEventListener("visibilitychange", () => { if (document.hidden) release(); });
  return { release };
}
