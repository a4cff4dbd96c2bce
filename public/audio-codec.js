// @ts-check
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
export const PREFER_RED = true;

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
export const OPUS_FMTP = { useinbandfec: 1, maxaveragebitrate: 48000 };

/**
 * a=ptime for audio sections, or null to leave the browser's (20 ms). 40 ms with RED measured
 * +0.35 at 20 % loss against 20 ms's +0.83 (a lost packet loses twice the speech). Nor do we set
 * a receiver `jitterBufferTarget`: 60 ms measured no better under jitter (4.00 against 3.99) and
 * only adds delay on a clean path.
 * @type {number | null}
 */
export const PTIME_MS = null;

/**
 * Whether our local descriptions need rewriting at all: not while `OPUS_FMTP` only says what
 * Chromium and Firefox already put in theirs (useinbandfec=1) and `PTIME_MS` is unset.
 */
const TUNE_SDP = PTIME_MS !== null || Object.entries(OPUS_FMTP).some(([k, v]) => !(k === "useinbandfec" && v === 1));

/**
 * Codec capabilities reordered so RED comes first and Opus next (RED's redundancy is Opus
 * inside), or null when RED or Opus is missing (nothing to change: the browser's order stands).
 * @template {{mimeType: string}} C
 * @param {readonly C[]} codecs
 * @returns {C[] | null}
 */
export function redFirst(codecs) {
  const is = (/** @type {C} */ c, /** @type {string} */ mime) => c.mimeType.toLowerCase() === mime;
  const red = codecs.filter((c) => is(c, "audio/red"));
  const opus = codecs.filter((c) => is(c, "audio/opus"));
  if (red.length === 0 || opus.length === 0) return null;
  return [...red, ...opus, ...codecs.filter((c) => !is(c, "audio/red") && !is(c, "audio/opus"))];
}

/**
 * Puts RED first on every audio transceiver of `pc` that has not stopped, when this browser can
 * receive it. Never throws: a browser that refuses the preferences keeps its own order.
 * @param {RTCPeerConnection} pc
 * @param {{codecs: {mimeType: string}[]} | null} [capabilities]  (tests) RTCRtpReceiver's
 * @returns {boolean} whether RED was put first
 */
export function preferRedundantAudio(pc, capabilities = receiverCapabilities()) {
  if (!PREFER_RED || !capabilities || typeof pc.getTransceivers !== "function") return false;
  const order = redFirst(capabilities.codecs);
  if (!order) return false;
  let applied = false;
  for (const transceiver of pc.getTransceivers()) {
    const kind = transceiver.receiver?.track?.kind ?? transceiver.sender?.track?.kind;
    if (kind !== "audio" || transceiver.currentDirection === "stopped"
        || typeof transceiver.setCodecPreferences !== "function") continue;
    try {
      transceiver.setCodecPreferences(/** @type {RTCRtpCodec[]} */ (order));
      applied = true;
    } catch (err) {
      console.debug("[voice] this browser refused RED-first codec preferences:", err);
    }
  }
  return applied;
}

function receiverCapabilities() {
  try {
    return globalThis.RTCRtpReceiver?.getCapabilities?.("audio") ?? null;
  } catch {
    return null;
  }
}

/**
 * SDP with the Opus format parameters of every audio section set to `params` (other parameters
 * kept, in their order) and, when `ptimeMs` is set, `a=ptime` in those sections.
 * @param {string} sdp
 * @param {Record<string, number | string>} [params]
 * @param {number | null} [ptimeMs]
 */
export function tuneOpus(sdp, params = OPUS_FMTP, ptimeMs = PTIME_MS) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const sections = sdp.split(/(?=^m=)/m);
  return sections.map((section) => {
    if (!section.startsWith("m=audio")) return section;
    const lines = section.split(eol);
    const opus = lines.map((l) => /^a=rtpmap:(\d+) opus\/48000/i.exec(l)?.[1]).filter(Boolean);
    for (const pt of opus) {
      const at = lines.findIndex((l) => l.startsWith(`a=fmtp:${pt} `));
      const fmtp = at >= 0 ? lines[at].slice(`a=fmtp:${pt} `.length) : "";
      const line = `a=fmtp:${pt} ${setFmtp(fmtp, params)}`;
      if (at >= 0) lines[at] = line;
      else lines.splice(lines.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `)) + 1, 0, line);
    }
    if (ptimeMs !== null && opus.length > 0) {
      const at = lines.findIndex((l) => l.startsWith("a=ptime:"));
      if (at >= 0) lines[at] = `a=ptime:${ptimeMs}`;
      else lines.splice(lines.length - (lines[lines.length - 1] === "" ? 1 : 0), 0, `a=ptime:${ptimeMs}`);
    }
    return lines.join(eol);
  }).join("");
}

/**
 * `key=value;key=value` with `params` set (existing keys replaced in place, new ones appended).
 * @param {string} fmtp
 * @param {Record<string, number | string>} params
 */
export function setFmtp(fmtp, params) {
  const pairs = fmtp.split(";").map((p) => p.trim()).filter(Boolean).map((p) => {
    const eq = p.indexOf("=");
    return eq < 0 ? [p, ""] : [p.slice(0, eq), p.slice(eq + 1)];
  });
  for (const [key, value] of Object.entries(params)) {
    const found = pairs.find(([k]) => k.toLowerCase() === key.toLowerCase());
    if (found) found[1] = String(value);
    else pairs.push([key, String(value)]);
  }
  return pairs.map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(";");
}

/**
 * What peer.js passes to setLocalDescription: RED put first on the audio transceivers (before
 * the offer or answer is made, so it lists RED first), then, when we change any Opus parameter
 * (`OPUS_FMTP` beyond what browsers already say, or `PTIME_MS`), the browser's own offer or
 * answer rewritten; otherwise undefined, and setLocalDescription() makes its own.
 * @param {RTCPeerConnection} pc
 * @param {boolean} [tune]  (tests) rewrite even when our parameters are the browsers' own
 * @returns {Promise<RTCSessionDescriptionInit | undefined>}
 */
export async function localDescription(pc, tune = TUNE_SDP) {
  preferRedundantAudio(pc);
  if (!tune || typeof pc.createOffer !== "function" || typeof pc.createAnswer !== "function") return undefined;
  const state = pc.signalingState;
  if (state !== "stable" && state !== "have-local-offer" && state !== "have-remote-offer") return undefined;
  const description = state === "have-remote-offer" ? await pc.createAnswer() : await pc.createOffer();
  return { type: description.type, sdp: tuneOpus(description.sdp ?? "") };
}
