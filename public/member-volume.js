// @ts-check
/**
 * member-volume.js — one remote member's sound through Web Audio, so this browser can set their
 * volume from 0 to 200 % (an <audio> element's volume stops at 100 %) or mute them for itself:
 *
 *     received stream → source ─┬→ analyser (what arrives)
 *                               └→ gain → analyser (what is played)
 *                                      └→ MediaStreamDestination → the member's <audio> element
 *
 * The <audio> element stays the last step, so the chosen output device (setSinkId), deafen and
 * the autoplay handling work as before. Chromium delivers a remote WebRTC track to Web Audio only
 * while a media element plays it too: a muted, detached <audio> does that.
 */

/** The volume a person or a host app asked for, made valid (0..2); anything else is a TypeError. */
export function validGain(/** @type {unknown} */ gain) {
  if (typeof gain !== "number" || !Number.isFinite(gain)) {
    throw new TypeError(`a member's volume is a number from 0 to 2, not ${String(gain)}`);
  }
  return Math.min(Math.max(gain, 0), 2);
}

/** The level of an analyser's latest block, in dBFS (-Infinity for digital silence). */
function analyserDbfs(/** @type {AnalyserNode} */ analyser, /** @type {Float32Array<ArrayBuffer>} */ samples) {
  analyser.getFloatTimeDomainData(samples);
  let sum = 0;
  for (const v of samples) sum += v * v;
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

export class MemberGain {
  /**
   * @param {AudioContext} context
   * @param {MediaStream} stream  the member's received audio
   */
  constructor(context, stream) {
    this.keepAlive = new Audio();
    this.keepAlive.muted = true;
    this.keepAlive.srcObject = stream;
    this.keepAlive.play().catch(() => { /* muted: allowed; a refusal only matters to the element that is heard */ });
    this.source = context.createMediaStreamSource(stream);
    this.gain = context.createGain();
    this.received = context.createAnalyser();
    this.played = context.createAnalyser();
    this.destination = context.createMediaStreamDestination();
    this.source.connect(this.received);
    this.source.connect(this.gain);
    this.gain.connect(this.played);
    this.gain.connect(this.destination);
    this.samples = new Float32Array(this.played.fftSize);
  }

  /** What the member's <audio> element plays. */
  get stream() {
    return this.destination.stream;
  }

  /**
   * @param {number} volume  0..2
   * @param {boolean} muted  muted for this browser
   */
  set(volume, muted) {
    this.gain.gain.value = muted ? 0 : volume;
  }

  /** dBFS of what arrives and of what is played (after the volume). */
  levels() {
    return { received: analyserDbfs(this.received, this.samples), played: analyserDbfs(this.played, this.samples) };
  }

  close() {
    this.source.disconnect();
    this.gain.disconnect();
    this.keepAlive.pause();
    this.keepAlive.srcObject = null;
  }
}
