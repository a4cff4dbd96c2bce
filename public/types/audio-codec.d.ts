// Generated from public/audio-codec.js by scripts/types.sh; do not edit.
/**
 * audio-codec.js — how the page asks for its audio to be sent, tuned for lossy networks: RED
 * (RFC 2198 redundant audio, `audio/red`) first when both ends support it, and Opus's format
 * parameters in our local description (which tell the other side how to send to us).
 * Pure functions over codec lists and SDP text, so Node tests them; peer.js sets
 * `await localDescription(pc)` as its local description (undefined: the browser's own).
 *
 * Every setting is backed by bench/quality (bench/README.md, "Voice quality on bad networks"):
 * PESQ-WB MOS-LQO and mouth-to-ear delay, Chromium's defaults against these, same run.
 */
/**
 * RED first. Chromium offers `audio/red` (after Opus, so unused) and Firefox may not: the offer
 * lists RED first and an end without it leaves it out of its answer, so the call falls back to
 * plain Opus (tests/e2e/codec.test.mjs: Chromium↔Firefox still talks, either side offering).
 * Measured (bench/quality, 2026-12-02, medians of 3, Δ to Chromium's defaults in the same run):
 * RED alone +0.49 MOS-LQO at 20 % random loss, +0.74 at 30 %, +0.27 at 10 %; it leaves 2.0 %
 * of samples concealed at 20 % where the defaults conceal 6.8 % (a lost packet's frame rides in
 * the next one); on a quiet machine +0.86 at 20 %. It cannot repair bursts longer than one
 * packet (bursty: −0.17 and +0.45). Cost: ~20 ms more jitter buffer under loss (a repaired
 * frame arrives a packet late); none without loss (mouth-to-ear 52 ms against 51).
 */
export declare const PREFER_RED = true;
/**
 * Opus format parameters in our local description (RFC 7587: they tell the other side how to
 * send to us). Same run as above:
 * - useinbandfec=1: Chromium and Firefox already say it; kept explicit. Turning it off measured
 *   −0.34 at 20 % loss (concealed 20 % of samples instead of 9 %).
 * - maxaveragebitrate=48000: with RED, +1.25 at 20 % (3.33 against 2.08; RED at Chromium's
 *   32 kb/s: 2.57; quiet machine 3.38 against 2.03), +0.24 at 0 % (4.25 against 4.01, five
 *   repetitions) and +0.38 under ±30 ms jitter (RED at 32 kb/s: −0.01 and +0.15), no added
 *   delay (48 ms against 51 at 0 %). It costs upload: 88 kb/s per member sent to (RED doubles
 *   the payload) against 29 for the defaults; Chromium's bandwidth estimate still lowers it on a
 *   congested path.
 *   24 kb/s measured worse than 32 (+0.31 against RED's +0.83 at 20 %, an earlier run).
 * - usedtx: left off. With RED it measured +0.55 at 20 % against RED alone's +0.83, and +0.53
 *   against +0.78 at 0 % (an earlier run): the silence-to-speech switch costs more than it saves.
 * @type {Record<string, number>}
 */
export declare const OPUS_FMTP: Record<string, number>;
/**
 * a=ptime for audio sections, or null to leave the browser's (20 ms). 40 ms with RED measured
 * +0.35 at 20 % loss against 20 ms's +0.83 (a lost packet loses twice the speech). Nor do we set
 * a receiver `jitterBufferTarget`: 60 ms measured no better under jitter (4.00 against 3.99) and
 * only adds delay on a clean path.
 * @type {number | null}
 */
export declare const PTIME_MS: number | null;
/**
 * Codec capabilities reordered so RED comes first and Opus next (RED's redundancy is Opus
 * inside), or null when RED or Opus is missing (nothing to change: the browser's order stands).
 * @template {{mimeType: string}} C
 * @param {readonly C[]} codecs
 * @returns {C[] | null}
 */
export declare function redFirst<C extends {
    mimeType: string;
}>(codecs: readonly C[]): C[] | null;
/**
 * Puts RED first on every audio transceiver of `pc` that has not stopped, when this browser can
 * receive it. Never throws: a browser that refuses the preferences keeps its own order.
 * @param {RTCPeerConnection} pc
 * @param {{codecs: {mimeType: string}[]} | null} [capabilities]  (tests) RTCRtpReceiver's
 * @returns {boolean} whether RED was put first
 */
export declare function preferRedundantAudio(pc: RTCPeerConnection, capabilities?: {
    codecs: {
        mimeType: string;
    }[];
} | null): boolean;
/**
 * SDP with the Opus format parameters of every audio section set to `params` (other parameters
 * kept, in their order) and, when `ptimeMs` is set, `a=ptime` in those sections.
 * @param {string} sdp
 * @param {Record<string, number | string>} [params]
 * @param {number | null} [ptimeMs]
 */
export declare function tuneOpus(sdp: string, params?: Record<string, number | string>, ptimeMs?: number | null): string;
/**
 * `key=value;key=value` with `params` set (existing keys replaced in place, new ones appended).
 * @param {string} fmtp
 * @param {Record<string, number | string>} params
 */
export declare function setFmtp(fmtp: string, params: Record<string, number | string>): string;
/**
 * What peer.js passes to setLocalDescription: RED put first on the audio transceivers (before
 * the offer or answer is made, so it lists RED first), then, when we change any Opus parameter
 * (`OPUS_FMTP` beyond what browsers already say, or `PTIME_MS`), the browser's own offer or
 * answer rewritten; otherwise undefined, and setLocalDescription() makes its own.
 * @param {RTCPeerConnection} pc
 * @param {boolean} [tune]  (tests) rewrite even when our parameters are the browsers' own
 * @returns {Promise<RTCSessionDescriptionInit | undefined>}
 */
export declare function localDescription(pc: RTCPeerConnection, tune?: boolean): Promise<RTCSessionDescriptionInit | undefined>;
