// @ts-check
/**
 * voice-settings.js — the "Voice" part of the settings dialog: the input mode (voice activity or
 * push-to-talk), the push-to-talk key (rebindable: press the button, then the key), the voice
 * threshold as a slider drawn on a live level meter of the microphone, the microphone test
 * ("hear yourself", mic-test.js), the processing switches and the sound cues switch. Remembered
 * in this browser (preferences.js) and applied to the call at once.
 */
import { GATE, toDbfs } from "./gate.js";
import { MicTest } from "./mic-test.js";
import { RESERVED_KEYS, keyName } from "./push-to-talk-key.js";
import { announce, byId } from "./view.js";

/** @typedef {import("./preferences.js").PreferenceStore} PreferenceStore */
/** @typedef {import("./voice.js").VoiceRoom} VoiceRoom */

/** Where a dBFS value sits on the meter, 0..100 %. */
export function meterPercent(/** @type {number} */ dbfs) {
  const span = GATE.MAX_DBFS - GATE.MIN_DBFS;
  return Math.min(Math.max((dbfs - GATE.MIN_DBFS) / span, 0), 1) * 100;
}

export class VoiceSettings {
  /**
   * @param {{prefs: PreferenceStore, room: () => VoiceRoom | null, announcer: HTMLElement,
   *   devices: {microphoneId: string | null, speakerId: string | null}}} options
   */
  constructor(options) {
    this.options = options;
    /** Waiting for the key to bind (push-to-talk ignores keys meanwhile). */
    this.binding = false;
    /** @type {number | undefined} */
    this.frame = undefined;
    this.micTest = new MicTest();
    this.el = {
      dialog: /** @type {HTMLDialogElement} */ (byId("devices-dialog")),
      modes: /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name="input-mode"]')),
      pttRow: byId("ptt-row"),
      pttKey: /** @type {HTMLButtonElement} */ (byId("ptt-key")),
      thresholdRow: byId("threshold-row"),
      threshold: /** @type {HTMLInputElement} */ (byId("threshold")),
      thresholdText: byId("threshold-text"),
      meterFill: byId("meter-fill"),
      meterMark: byId("meter-mark"),
      hearYourself: /** @type {HTMLButtonElement} */ (byId("hear-yourself")),
      sounds: /** @type {HTMLInputElement} */ (byId("sound-cues")),
      processing: {
        noiseSuppression: /** @type {HTMLInputElement} */ (byId("noise-suppression")),
        echoCancellation: /** @type {HTMLInputElement} */ (byId("echo-cancellation")),
        autoGainControl: /** @type {HTMLInputElement} */ (byId("auto-gain")),
      },
    };
    this.listen();
    this.show();
  }

  get prefs() {
    return this.options.prefs.value;
  }

  listen() {
    const el = this.el;
    for (const radio of el.modes) {
      radio.addEventListener("change", () => {
        if (!radio.checked) return;
        const mode = radio.value === "push_to_talk" ? "push_to_talk" : "voice_activity";
        this.options.prefs.update((p) => ({ ...p, inputMode: mode }));
        this.options.room()?.setInputMode(mode);
        this.show();
      });
    }
    el.threshold.addEventListener("input", () => {
      const dbfs = Number(el.threshold.value);
      this.options.prefs.update((p) => ({ ...p, voiceThreshold: dbfs }));
      this.options.room()?.setVoiceThreshold(dbfs);
      this.show();
    });
    el.pttKey.addEventListener("click", () => {
      this.binding = true;
      el.pttKey.textContent = "Press a key…";
    });
    el.pttKey.addEventListener("keydown", (event) => {
      if (!this.binding) return;
      if (event.code === "Escape" || event.code === "Tab") {
        if (event.code === "Escape") event.preventDefault();
        this.stopBinding();
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      if (RESERVED_KEYS.has(event.code) || event.ctrlKey || event.metaKey || event.altKey) return;
      this.options.prefs.update((p) => ({ ...p, pushToTalkKey: event.code }));
      this.stopBinding();
      announce(this.options.announcer, `Push-to-talk key: ${keyName(event.code)}`);
    });
    el.pttKey.addEventListener("blur", () => { if (this.binding) this.stopBinding(); });
    for (const [name, box] of Object.entries(el.processing)) {
      box.addEventListener("change", async () => {
        const processing = { ...this.prefs.processing, [name]: box.checked };
        this.options.prefs.update((p) => ({ ...p, processing }));
        this.micTest.stop();
        this.show();
        await this.options.room()?.setAudioProcessing(processing)
          .catch((/** @type {unknown} */ err) => console.warn("[app] the processing switch failed:", err));
      });
    }
    el.sounds.addEventListener("change", () => {
      this.options.prefs.update((p) => ({ ...p, sounds: el.sounds.checked }));
    });
    el.hearYourself.addEventListener("click", async () => {
      if (this.micTest.running) {
        this.micTest.stop();
        this.show();
        return;
      }
      el.hearYourself.setAttribute("aria-pressed", "true");
      el.hearYourself.textContent = "Stop hearing yourself";
      try {
        await this.micTest.start({ stream: this.options.room()?.localStream ?? null, deviceId: this.options.devices.microphoneId,
          speakerId: this.options.devices.speakerId, constraints: this.prefs.processing });
      } catch (err) {
        console.warn("[app] the microphone test could not open the microphone:", err);
        this.micTest.stop();
        this.show();
      }
    });
    el.dialog.addEventListener("close", () => {
      this.micTest.stop();
      this.stopBinding();
      if (this.frame !== undefined) cancelAnimationFrame(this.frame);
      this.frame = undefined;
    });
  }

  stopBinding() {
    this.binding = false;
    this.show();
  }

  /** Draws the remembered choices. */
  show() {
    const el = this.el;
    const p = this.prefs;
    for (const radio of el.modes) radio.checked = radio.value === p.inputMode;
    el.pttRow.hidden = p.inputMode !== "push_to_talk";
    el.thresholdRow.hidden = p.inputMode !== "voice_activity";
    if (!this.binding) el.pttKey.textContent = keyName(p.pushToTalkKey);
    el.pttKey.setAttribute("aria-label", `Push-to-talk key: ${keyName(p.pushToTalkKey)}. Press to change`);
    el.threshold.min = String(GATE.MIN_DBFS);
    el.threshold.max = String(GATE.MAX_DBFS);
    el.threshold.value = String(p.voiceThreshold);
    const text = `${p.voiceThreshold} dBFS`;
    el.thresholdText.textContent = text;
    el.threshold.setAttribute("aria-valuetext", text);
    el.meterMark.style.left = `${meterPercent(p.voiceThreshold)}%`;
    el.meterMark.hidden = p.inputMode !== "voice_activity";
    for (const [name, box] of Object.entries(el.processing)) box.checked = p.processing[/** @type {"noiseSuppression"} */ (name)];
    el.sounds.checked = p.sounds;
    el.hearYourself.setAttribute("aria-pressed", String(this.micTest.running));
    el.hearYourself.textContent = this.micTest.running ? "Stop hearing yourself" : "Hear yourself";
  }

  /** The dialog opened: draw the meter until it closes. */
  opened() {
    this.show();
    const tick = () => {
      const room = this.options.room();
      const dbfs = toDbfs(this.micTest.level() ?? room?.inputLevel ?? 0);
      this.el.meterFill.style.width = `${meterPercent(dbfs)}%`;
      this.el.meterFill.classList.toggle("is-open", dbfs >= this.prefs.voiceThreshold);
      this.frame = requestAnimationFrame(tick);
    };
    if (this.frame === undefined) this.frame = requestAnimationFrame(tick);
  }
}
