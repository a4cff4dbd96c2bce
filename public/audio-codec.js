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
 * lists RED first and an end without it simply leaves it out of its answer, so the call falls
 * back to plain Opus (tests/e2e/codec.test.mjs: Chromium↔Firefox still talks).
 * Measured: it is what moves the score under random loss (each packet also carries the previous
 * frame, so a single lost packet costs nothing); see the README table.
 */
export const PREFER_RED = true;

/**
 * Opus format parameters we put in our local description (RFC 7587). Chromium's own offer
 * already says `minptime=10;useinbandfec=1`; we keep in-band FEC on explicitly (Firefox and
 * other stacks read it) and leave the rest at the defaults, which measured no worse:
 * - useinbandfec=1: the encoder adds LBRR (a low-rate copy of the previous frame) once it hears
 *   of loss; kept, it is free when there is none.
 * - usedtx: left off (the default). DTX stops sending during silence; it saved bandwidth but
 *   measured no better in score, and a silent stream makes loss and RTT readings go stale.
 * - maxaveragebitrate / ptime: left at Chromium's (32 kb/s, 20 ms); see the README for what the
 *   variants measured.
 * @type {Record<string, number>}
 */
export const OPUS_FMTP = { useinbandfec: 1, maxaveragebitrate: 48000 };

/** a=ptime for audio sections, or null to leave the browser's. @type {number | null} */
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
