// @ts-check
/**
 * preferences.js — the voice controls a person chose, remembered in this browser (localStorage):
 * the input mode, the push-to-talk key, the voice threshold, each member's volume and "mute for
 * me" (by user id), the sound cues switch and the microphone's processing switches. Reading never
 * trusts what is stored (another version of the page, or a person, may have written it): anything
 * invalid reads as the default. The storage is a parameter, so Node tests it.
 */
import { GATE } from "./gate.js";
import { PUSH_TO_TALK } from "./input-mode.js";

const KEY = "cromulent-voice.controls";

/** @typedef {{volume: number, muted: boolean}} MemberLevel */
/**
 * @typedef {Object} Preferences
 * @property {"voice_activity" | "push_to_talk"} inputMode
 * @property {string} pushToTalkKey   a KeyboardEvent.code
 * @property {number} voiceThreshold  dBFS
 * @property {Record<string, MemberLevel>} members  by user id; only those not at 100 % and unmuted
 * @property {boolean} sounds         join/leave/mute cues
 * @property {{echoCancellation: boolean, noiseSuppression: boolean, autoGainControl: boolean}} processing
 */

/** @returns {Preferences} */
export function defaults() {
  return {
    inputMode: "voice_activity",
    pushToTalkKey: PUSH_TO_TALK.DEFAULT_KEY,
    voiceThreshold: GATE.DEFAULT_DBFS,
    members: {},
    sounds: true,
    processing: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  };
}

const isNumber = (/** @type {unknown} */ v) => typeof v === "number" && Number.isFinite(v);

/**
 * What was stored, checked field by field.
 * @param {string | null} text
 * @returns {Preferences}
 */
export function parsePreferences(text) {
  const out = defaults();
  /** @type {any} */
  let raw = null;
  try {
    raw = JSON.parse(text ?? "null");
  } catch {
    return out;
  }
  if (!raw || typeof raw !== "object") return out;
  if (raw.inputMode === "push_to_talk" || raw.inputMode === "voice_activity") out.inputMode = raw.inputMode;
  if (typeof raw.pushToTalkKey === "string" && /^[A-Za-z0-9]{1,24}$/.test(raw.pushToTalkKey)) out.pushToTalkKey = raw.pushToTalkKey;
  if (isNumber(raw.voiceThreshold)) out.voiceThreshold = Math.min(Math.max(raw.voiceThreshold, GATE.MIN_DBFS), GATE.MAX_DBFS);
  if (typeof raw.sounds === "boolean") out.sounds = raw.sounds;
  for (const name of /** @type {const} */ (["echoCancellation", "noiseSuppression", "autoGainControl"])) {
    if (typeof raw.processing?.[name] === "boolean") out.processing[name] = raw.processing[name];
  }
  if (raw.members && typeof raw.members === "object") {
    for (const [id, level] of Object.entries(raw.members)) {
      if (!level || typeof level !== "object" || !isNumber(level.volume)) continue;
      out.members[id] = { volume: Math.min(Math.max(level.volume, 0), 2), muted: level.muted === true };
    }
  }
  return out;
}

/**
 * A member's level set to `level`; a member back at 100 % and unmuted is forgotten (the store
 * holds only the people someone changed).
 * @param {Preferences} prefs
 * @param {string} userId
 * @param {MemberLevel} level
 * @returns {Preferences}
 */
export function withMemberLevel(prefs, userId, level) {
  const members = { ...prefs.members };
  if (level.volume === 1 && !level.muted) delete members[userId];
  else members[userId] = { volume: level.volume, muted: level.muted };
  return { ...prefs, members };
}

/** @param {Preferences} prefs @param {string} userId @returns {MemberLevel} */
export function memberLevel(prefs, userId) {
  return prefs.members[userId] ?? { volume: 1, muted: false };
}

/** The preferences in a Storage (localStorage in the page). */
export class PreferenceStore {
  /** @param {Pick<Storage, "getItem" | "setItem">} storage */
  constructor(storage) {
    this.storage = storage;
    this.value = parsePreferences(storage.getItem(KEY));
  }

  /** @param {(p: Preferences) => Preferences} change */
  update(change) {
    this.value = change(this.value);
    try {
      this.storage.setItem(KEY, JSON.stringify(this.value));
    } catch (err) {
      console.warn("[app] the voice settings could not be saved:", err);
    }
    return this.value;
  }
}
