// @ts-check
/**
 * audio-out.js — what the page plays: one <audio> element per remote member, created and started
 * inside the join click (browsers that allow playback per element, Safari, then let them play the
 * streams that arrive later), the chosen output device (setSinkId), deafen, a browser that still
 * blocks autoplay (`blocked`, cleared by `resume()` from a click), the page's AudioContext, and
 * each member's volume and "mute for me" (member-volume.js: through Web Audio, up to 200 %), and
 * members a moderator muted (silent here whatever their volume: v1.1, receiver-enforced).
 */
import { MemberGain, validGain } from "./member-volume.js";

/**
 * One remote member's sound.
 * @typedef {Object} MemberOutput
 * @property {HTMLAudioElement} element
 * @property {MemberGain | null} graph  null without Web Audio: then the element's volume (≤ 100 %)
 */

/** A member's volume and "mute for me" in this browser (kept for members not connected yet). */
/** @typedef {{volume: number, muted: boolean}} MemberLevel */

/**
 * @typedef {Object} AudioOutOptions
 * @property {string} channelId            Marks the elements (data-voice-channel).
 * @property {Element | null} parent       Where the <audio> elements go.
 * @property {string | null} speakerId     deviceId of the output, null for the default.
 * @property {(blocked: boolean) => void} onBlocked
 */

export class AudioOut {
  /** @param {AudioOutOptions} options */
  constructor(options) {
    this.options = options;
    this.speakerId = options.speakerId;
    /** @type {HTMLAudioElement[]} primed during the click, handed out as tracks arrive */
    this.pool = [];
    /** @type {Map<string, MemberOutput>} */
    this.outputs = new Map();
    /** @type {Map<string, MemberLevel>} */
    this.levels = new Map();
    /** Members a moderator muted (v1.1): played silent whatever their volume here. */
    this.serverMuted = /** @type {Set<string>} */ (new Set());
    this.deafened = false;
    /** The browser refused to start remote audio without a click (see `resume`). */
    this.blocked = false;
    /** @type {AudioContext | null} also meters the microphone */
    this.context = null;
    this.stopped = false;
  }

  /** Whether this browser can choose the audio output. */
  static canChooseSpeaker() {
    return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
  }

  /** @param {number} count  elements to create and start now, inside the user's gesture */
  prime(count) {
    if (typeof document === "undefined") return;
    for (let i = 0; i < count; i++) this.pool.push(this.newElement());
  }

  newElement() {
    const audio = document.createElement("audio");
    audio.autoplay = true;
    audio.setAttribute("playsinline", "");
    audio.dataset.voiceChannel = this.options.channelId;
    audio.srcObject = new MediaStream();
    audio.play().catch(() => { /* nothing to play yet; the gesture is what counts */ });
    this.options.parent?.appendChild(audio);
    return audio;
  }

  /** After the click, not in it (creating one takes a while): the page has been clicked. */
  startContext() {
    const Context = globalThis.AudioContext;
    if (!Context) return null;
    try {
      this.context = new Context();
      // Resumed again by resume() if the browser still holds it back.
      this.context.resume().catch(() => {});
    } catch (err) {
      console.warn("[voice] no AudioContext: no speaking indicator", err);
    }
    return this.context;
  }

  /**
   * Plays a member's stream (on their element, or the next primed one).
   * @param {string} userId
   * @param {MediaStream} stream
   */
  attach(userId, stream) {
    let output = this.outputs.get(userId);
    if (!output) {
      const element = this.pool.shift() ?? this.newElement();
      element.dataset.voicePeer = userId;
      output = { element, graph: null };
      this.outputs.set(userId, output);
    }
    const audio = output.element;
    audio.muted = this.deafened;
    output.graph?.close();
    output.graph = null;
    if (this.context) {
      try {
        output.graph = new MemberGain(this.context, stream);
      } catch (err) {
        console.warn(`[voice] no Web Audio for ${userId}'s volume; playing it directly:`, err);
      }
    }
    audio.srcObject = output.graph ? output.graph.stream : stream;
    this.applyLevel(userId);
    this.applySink(audio);
    this.play(audio, userId);
  }

  /** The member's connection closed: their element goes back to the pool. @param {string} userId */
  detach(userId) {
    const output = this.outputs.get(userId);
    if (!output) return;
    this.outputs.delete(userId);
    output.graph?.close();
    const audio = output.element;
    audio.srcObject = new MediaStream();
    delete audio.dataset.voicePeer;
    audio.volume = 1;
    if (this.stopped) audio.remove();
    else this.pool.push(audio);
  }

  /** @param {string} userId @returns {MemberLevel} */
  levelOf(userId) {
    return this.levels.get(userId) ?? { volume: 1, muted: false };
  }

  /**
   * This browser only, 0..2 (see MemberOutput); kept for a member who connects later.
   * @param {string} userId
   * @param {number} volume
   */
  setVolume(userId, volume) {
    this.levels.set(userId, { ...this.levelOf(userId), volume: validGain(volume) });
    this.applyLevel(userId);
  }

  /**
   * Silent for this browser only.
   * @param {string} userId
   * @param {boolean} muted
   */
  setMemberMuted(userId, muted) {
    this.levels.set(userId, { ...this.levelOf(userId), muted: !!muted });
    this.applyLevel(userId);
  }

  /**
   * Muted by a moderator: silent for everyone, enforced here (a page that goes on sending is not
   * heard); their volume and "mute for me" are kept for when it is cleared.
   * @param {string} userId
   * @param {boolean} muted
   */
  setServerMuted(userId, muted) {
    if (this.serverMuted.has(userId) === muted) return;
    if (muted) this.serverMuted.add(userId);
    else this.serverMuted.delete(userId);
    this.applyLevel(userId);
  }

  /** @param {string} userId */
  applyLevel(userId) {
    const output = this.outputs.get(userId);
    if (!output) return;
    const { volume, muted } = this.levelOf(userId);
    const silent = muted || this.serverMuted.has(userId);
    if (output.graph) output.graph.set(volume, silent);
    else output.element.volume = silent ? 0 : Math.min(volume, 1);
  }

  /** The call moved to another channel: the elements are marked with it. @param {string} channelId */
  setChannel(channelId) {
    this.options.channelId = channelId;
    for (const audio of [...this.pool, ...[...this.outputs.values()].map((o) => o.element)]) audio.dataset.voiceChannel = channelId;
  }

  /** @param {boolean} deafened */
  setDeafened(deafened) {
    this.deafened = deafened;
    for (const { element } of this.outputs.values()) element.muted = deafened;
  }

  /** @param {string | null} deviceId */
  async setSpeaker(deviceId) {
    this.speakerId = deviceId;
    // The primed elements get it when they are handed a stream (see `applySink`).
    await Promise.all([...this.outputs.values()].map(({ element }) => this.applySink(element)));
  }

  /**
   * Sends an element's sound to the chosen output. Only for an element with a stream: Chromium
   * aborts setSinkId on one whose MediaStream has no track yet.
   * @param {HTMLAudioElement} audio
   */
  async applySink(audio) {
    if (!AudioOut.canChooseSpeaker()) return;
    const sink = this.speakerId ?? "";
    if (audio.sinkId === sink) return;
    try {
      await audio.setSinkId(sink);
    } catch (err) {
      console.warn(`[voice] cannot play on output ${sink || "default"}:`, err);
    }
  }

  /**
   * @param {HTMLAudioElement} audio
   * @param {string} userId
   */
  play(audio, userId) {
    audio.play().then(
      () => { if (this.blocked) this.setBlocked(false); },
      (err) => {
        if (this.stopped || audio.srcObject === null) return;
        if (err?.name !== "NotAllowedError") {
          console.debug(`[voice] playing ${userId}'s audio was interrupted:`, err);
          return;
        }
        console.warn(`[voice] the browser will not play ${userId}'s audio without a click:`, err);
        this.setBlocked(true);
      },
    );
  }

  /** Starts what the browser held back; call it from a click. Resolves true when all plays. */
  async resume() {
    const elements = [...[...this.outputs.values()].map((o) => o.element), ...this.pool];
    const playing = elements.filter((a) => a.srcObject instanceof MediaStream && a.srcObject.getAudioTracks().length > 0);
    const attempts = playing.map((a) => a.play());
    if (this.context && this.context.state === "suspended") attempts.push(this.context.resume());
    const results = await Promise.allSettled(attempts);
    const ok = results.every((r) => r.status === "fulfilled");
    this.setBlocked(!ok);
    return ok;
  }

  /** @param {boolean} blocked */
  setBlocked(blocked) {
    if (this.blocked === blocked) return;
    this.blocked = blocked;
    this.options.onBlocked(blocked);
  }

  /** Removes every element and closes the context. */
  stop() {
    this.stopped = true;
    for (const userId of [...this.outputs.keys()]) this.detach(userId);
    for (const audio of this.pool.splice(0)) {
      audio.srcObject = null;
      audio.remove();
    }
    this.context?.close().catch(() => {});
    this.context = null;
    this.setBlocked(false);
  }
}
