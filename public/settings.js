// @ts-check
/**
 * settings.js — the audio devices dialog (the gear button): which microphone and which speaker,
 * remembered in this browser and applied to the call at once.
 */
import { byId } from "./view.js";
import { VoiceRoom } from "./voice.js";

/** The chosen devices (deviceIds), remembered in this browser. */
const MICROPHONE_KEY = "cromulent-voice.microphone";
const SPEAKER_KEY = "cromulent-voice.speaker";

/**
 * @param {string} key
 * @param {string | null} value
 */
function remember(key, value) {
  if (value) localStorage.setItem(key, value);
  else localStorage.removeItem(key);
}

/**
 * The option to select: the remembered device if it is still there, else the system default,
 * else the first one.
 * @param {string[]} ids
 * @param {string | null} chosen
 */
export function pickDevice(ids, chosen) {
  return chosen && ids.includes(chosen) ? chosen : ids.includes("default") ? "default" : ids[0] ?? "";
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
  select.value = pickDevice(devices.map((d) => d.deviceId), chosen);
}

export class DeviceSettings {
  /** @param {{room: () => VoiceRoom | null}} options  the call to apply a choice to, if any */
  constructor(options) {
    this.room = options.room;
    /** @type {string | null} */
    this.microphoneId = localStorage.getItem(MICROPHONE_KEY);
    /** @type {string | null} */
    this.speakerId = localStorage.getItem(SPEAKER_KEY);
    this.el = {
      button: /** @type {HTMLButtonElement} */ (byId("devices-button")),
      dialog: /** @type {HTMLDialogElement} */ (byId("devices-dialog")),
      microphone: /** @type {HTMLSelectElement} */ (byId("microphone-select")),
      speaker: /** @type {HTMLSelectElement} */ (byId("speaker-select")),
      note: byId("devices-note"),
      error: byId("devices-error"),
    };
    this.listen();
  }

  listen() {
    const el = this.el;
    el.button.addEventListener("click", async () => {
      el.error.textContent = "";
      await this.fillLists();
      el.dialog.showModal();
    });
    el.dialog.addEventListener("close", () => el.button.focus());
    el.microphone.addEventListener("change", async () => {
      const id = el.microphone.value || null;
      this.microphoneId = id;
      remember(MICROPHONE_KEY, id);
      el.error.textContent = "";
      try {
        await this.room()?.setMicrophone(id);
      } catch (err) {
        console.error("[app] switching the microphone failed:", err);
        el.error.textContent = "That microphone could not be opened; the previous one is still in use.";
      }
    });
    el.speaker.addEventListener("change", async () => {
      const id = el.speaker.value || null;
      this.speakerId = id;
      remember(SPEAKER_KEY, id);
      await this.room()?.setSpeaker(id);
    });
    navigator.mediaDevices?.addEventListener?.("devicechange", () => {
      if (el.dialog.open) this.fillLists();
    });
  }

  /** Lists the microphones and speakers the browser knows, with the remembered ones selected. */
  async fillLists() {
    const el = this.el;
    /** @type {MediaDeviceInfo[]} */
    let devices = [];
    try {
      devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
    } catch (err) {
      console.warn("[app] enumerateDevices failed:", err);
    }
    const microphones = devices.filter((d) => d.kind === "audioinput");
    const speakers = devices.filter((d) => d.kind === "audiooutput");
    fillSelect(el.microphone, microphones, this.microphoneId, "Microphone");
    const canChoose = VoiceRoom.canChooseSpeaker() && speakers.length > 0;
    fillSelect(el.speaker, canChoose ? speakers : [], this.speakerId, "Speaker");
    el.speaker.disabled = !canChoose;
    const notes = [];
    if (devices.some((d) => d.kind === "audioinput" && !d.label)) {
      notes.push("Device names show once this site may use the microphone (join a channel once).");
    }
    if (!canChoose) notes.push("This browser plays voice through the system's default output.");
    el.note.textContent = notes.join(" ");
  }
}
