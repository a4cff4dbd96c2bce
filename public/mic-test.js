// @ts-check
/**
 * mic-test.js — the settings dialog's microphone test: "hear yourself" plays your microphone back
 * (on the chosen speaker) and the level meter reads it. In a call it uses the call's microphone;
 * outside one it opens the chosen microphone for the test and releases it when the test stops.
 */
import { rms } from "./microphone.js";

export class MicTest {
  constructor() {
    /** @type {HTMLAudioElement | null} */
    this.player = null;
    /** @type {MediaStream | null} the stream we opened ourselves (outside a call) */
    this.own = null;
    /** @type {{context: AudioContext, analyser: AnalyserNode, samples: Float32Array<ArrayBuffer>} | null} */
    this.meter = null;
    this.running = false;
  }

  /**
   * @param {{stream: MediaStream | null, deviceId: string | null, speakerId: string | null,
   *   constraints: MediaTrackConstraints}} from  `stream`: the call's microphone, if in a call
   */
  async start(from) {
    this.stop();
    this.running = true;
    let stream = from.stream;
    if (!stream) {
      const audio = { ...from.constraints };
      if (from.deviceId) audio.deviceId = { exact: from.deviceId };
      stream = await navigator.mediaDevices.getUserMedia({ audio, video: false });
      if (!this.running) {
        for (const t of stream.getTracks()) t.stop();
        return;
      }
      this.own = stream;
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(stream).connect(analyser);
      this.meter = { context, analyser, samples: new Float32Array(analyser.fftSize) };
    }
    // A clone: the call's track may be disabled (muted, push-to-talk) while you test.
    const track = stream.getAudioTracks()[0]?.clone();
    if (!track) return;
    track.enabled = true;
    const player = new Audio();
    player.srcObject = new MediaStream([track]);
    if (from.speakerId && "setSinkId" in player) await player.setSinkId(from.speakerId).catch(() => {});
    this.player = player;
    await player.play().catch((err) => console.warn("[app] the microphone test cannot play:", err));
  }

  /** The level (RMS 0..1) of the microphone the test opened, or null when it uses the call's. */
  level() {
    if (!this.meter) return null;
    this.meter.analyser.getFloatTimeDomainData(this.meter.samples);
    return rms(this.meter.samples);
  }

  stop() {
    this.running = false;
    if (this.player) {
      const stream = /** @type {MediaStream | null} */ (this.player.srcObject);
      for (const t of stream?.getTracks() ?? []) t.stop();
      this.player.pause();
      this.player.srcObject = null;
    }
    this.player = null;
    for (const t of this.own?.getTracks() ?? []) t.stop();
    this.own = null;
    this.meter?.context.close().catch(() => {});
    this.meter = null;
  }
}
