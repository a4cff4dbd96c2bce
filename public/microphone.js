// @ts-check
/**
 * microphone.js — the local microphone: capture (a chosen device, or the default one), whether it
 * is sent as `track.enabled` (mute, push-to-talk, the voice gate: the receivers follow within
 * ~100 ms; replaceTrack(null) made their jitter buffers grow), a device that goes away, and its
 * level every `SAMPLE_MS` — read from a clone of the track, so the level goes on while nothing is
 * sent (the gate must hear you to open; "you are muted" must hear you talk).
 */
import { VOICE_ACTIVITY } from "./voice-activity.js";

/** The processing switches (getUserMedia constraints) the settings dialog offers. */
const PROCESSING = /** @type {const} */ (["echoCancellation", "noiseSuppression", "autoGainControl"]);

/** @param {MediaStream} stream */
export function stopStream(stream) {
  for (const track of stream.getTracks()) track.stop();
}

/**
 * Why getUserMedia failed, as a reason the page can explain.
 * @param {unknown} err
 * @returns {"microphone_denied"|"microphone_missing"|"microphone_busy"|"microphone_unavailable"}
 */
export function microphoneFailure(err) {
  const name = /** @type {{name?: string}} */ (err)?.name;
  switch (name) {
    case "NotAllowedError":
      return "microphone_denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "microphone_missing";
    case "NotReadableError":
    case "AbortError":
      return "microphone_busy";
    default:
      return "microphone_unavailable";
  }
}

/** Root mean square of samples in -1..1. @param {Float32Array} samples */
export function rms(samples) {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/**
 * @typedef {Object} MicrophoneOptions
 * @property {MediaTrackConstraints} constraints
 * @property {(level: number, now: number) => void} onLevel  Every SAMPLE_MS while metering.
 * @property {(label: string) => void} onOpened             A stream is in use (at join, or another device).
 * @property {() => void} onEnded                           The device in use went away.
 */

export class Microphone {
  /** @param {MicrophoneOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {MediaStream | null} */
    this.stream = null;
    /** Whether the track is sent (false: muted, push-to-talk released, below the threshold). */
    this.enabled = true;
    /** The last level reading (RMS 0..1), for the settings dialog's meter. */
    this.lastLevel = 0;
    /** @type {{source: MediaStreamAudioSourceNode, analyser: AnalyserNode, samples: Float32Array<ArrayBuffer>,
     *   clone: MediaStreamTrack | null} | null} */
    this.meter = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
  }

  /**
   * Asks for the microphone (the browser may ask the person). Rejects with getUserMedia's error.
   * @param {string | null} deviceId  null: the default device
   * @returns {Promise<MediaStream>}
   */
  open(deviceId) {
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.getUserMedia) {
      return Promise.reject(new DOMException("no navigator.mediaDevices: the page needs HTTPS (or localhost)",
        "SecurityError"));
    }
    /** @type {MediaTrackConstraints} */
    const audio = { ...this.options.constraints };
    // `exact`: Chromium does not honour an `ideal` deviceId next to the processing constraints.
    if (deviceId) audio.deviceId = { exact: deviceId };
    // Processing switches as `exact` too: while the device is open with other processing,
    // Chromium hands back a track of that same source for a plain value (measured in 156).
    /** @type {MediaTrackConstraints} */
    const exact = { ...audio };
    for (const name of PROCESSING) {
      const on = audio[name];
      if (typeof on === "boolean") exact[name] = { exact: on };
    }
    return media.getUserMedia({ audio: exact, video: false }).catch((err) => {
      // A browser that cannot switch one of them off: take what it has.
      if (err?.name !== "OverconstrainedError" || !PROCESSING.includes(err.constraint)) throw err;
      return media.getUserMedia({ audio, video: false });
    });
  }

  /**
   * Opens the chosen microphone; one that is gone (a remembered device unplugged) falls back to
   * the default one. Resolves with the stream and the device actually used.
   * @param {string | null} deviceId
   */
  async openPreferred(deviceId) {
    try {
      return { stream: await this.open(deviceId), deviceId };
    } catch (err) {
      if (!deviceId || microphoneFailure(err) !== "microphone_missing") throw err;
      console.warn(`[voice] microphone ${deviceId} is gone; using the default one`);
      return { stream: await this.open(null), deviceId: null };
    }
  }

  /** The track peer connections send, if any. */
  get track() {
    return this.stream?.getAudioTracks()[0] ?? null;
  }

  /**
   * Uses a stream from `open` (stopping the previous one) and meters it on `context`.
   * @param {MediaStream} stream
   * @param {AudioContext | null} context
   */
  use(stream, context) {
    const old = this.stream;
    this.stream = stream;
    this.setEnabled(this.enabled);
    this.options.onOpened(this.track?.label ?? "");
    this.track?.addEventListener("ended", () => {
      if (this.stream === stream) this.options.onEnded();
    });
    if (old && old !== stream) stopStream(old);
    this.startMeter(stream, context);
  }

  /**
   * Switches the processing on the track in use and for every later `open`. Resolves whether the
   * track now reports it (getSettings); false when the browser could not change it live.
   * @param {{echoCancellation?: boolean, noiseSuppression?: boolean, autoGainControl?: boolean}} processing
   */
  async applyProcessing(processing) {
    this.options.constraints = { ...this.options.constraints, ...processing };
    const track = this.track;
    if (!track) return true;
    try {
      await track.applyConstraints({ ...this.options.constraints });
    } catch (err) {
      console.warn("[voice] the microphone did not take the new processing:", err);
    }
    const settings = /** @type {Record<string, unknown>} */ (track.getSettings());
    return Object.entries(processing).every(([name, on]) => settings[name] === undefined || settings[name] === on);
  }

  /** @param {boolean} enabled */
  setEnabled(enabled) {
    this.enabled = enabled;
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = enabled;
  }

  /**
   * @param {MediaStream} stream
   * @param {AudioContext | null} context
   */
  startMeter(stream, context) {
    if (!context) return;
    this.stopMeter();
    const track = stream.getAudioTracks()[0];
    const clone = track ? track.clone() : null;
    if (clone) clone.enabled = true;
    const source = context.createMediaStreamSource(clone ? new MediaStream([clone]) : stream);
    const analyser = context.createAnalyser();
    // ~43 ms of sound per reading at 48 kHz: nearly the whole time between two readings.
    analyser.fftSize = 2048;
    source.connect(analyser);
    this.meter = { source, analyser, samples: new Float32Array(analyser.fftSize), clone };
    if (this.timer === undefined) this.timer = setInterval(() => this.sample(), VOICE_ACTIVITY.SAMPLE_MS);
  }

  sample() {
    const meter = this.meter;
    if (!meter) return;
    meter.analyser.getFloatTimeDomainData(meter.samples);
    this.lastLevel = rms(meter.samples);
    this.options.onLevel(this.lastLevel, performance.now());
  }

  stopMeter() {
    this.meter?.source.disconnect();
    this.meter?.clone?.stop();
    this.meter = null;
  }

  /** Releases the device and the meter. */
  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.stream) stopStream(this.stream);
    this.stream = null;
    this.stopMeter();
  }
}
