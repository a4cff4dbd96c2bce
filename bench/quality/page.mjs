//! The quality bench's page: one call between two RTCPeerConnections of this page (so both ends
//! share one clock), relay-only through the impairment relay; the sender's microphone is
//! Chromium's fake device playing the reference speech. It records the sender's own microphone
//! track and the receiver's remote track from the same instant and hands both back as 16-bit PCM (the harness aligns and scores them).
import { redFirst, tuneOpus } from "/public/audio-codec.js";

/** @type {any} */
let call = null;

/** @param {RTCPeerConnection} pc @param {any} variant */
function prefer(pc, variant) {
  if (!variant.red) return;
  const order = redFirst(RTCRtpReceiver.getCapabilities("audio")?.codecs ?? []);
  if (!order) throw new Error("this browser has no audio/red");
  for (const t of pc.getTransceivers()) t.setCodecPreferences(order);
}

/** @param {RTCSessionDescriptionInit} d @param {any} variant */
function tune(d, variant) {
  if (!variant.fmtp && !variant.ptime) return d;
  return { type: d.type, sdp: tuneOpus(d.sdp ?? "", variant.fmtp ?? {}, variant.ptime ?? null) };
}

function waitConnected(pc) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not connected: ${pc.connectionState}`)), 20000);
    const check = () => {
      if (pc.connectionState === "connected") { clearTimeout(timer); resolve(undefined); }
      if (pc.connectionState === "failed") { clearTimeout(timer); reject(new Error("ICE failed")); }
    };
    pc.addEventListener("connectionstatechange", check);
    check();
  });
}

async function start({ iceServers, variant }) {
  const config = { iceServers, iceTransportPolicy: /** @type {const} */ ("relay") };
  const sender = new RTCPeerConnection(config);
  const receiver = new RTCPeerConnection(config);
  sender.onicecandidate = (e) => e.candidate && receiver.addIceCandidate(e.candidate).catch(() => {});
  receiver.onicecandidate = (e) => e.candidate && sender.addIceCandidate(e.candidate).catch(() => {});
  const mic = await navigator.mediaDevices.getUserMedia({
    // Raw: the processing is the same for every variant and not under test, costs CPU on a
    // shared machine, and AGC moves the level while it settles.
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const remote = new Promise((resolve) => {
    receiver.ontrack = (e) => resolve(e.streams[0] ?? new MediaStream([e.track]));
  });
  sender.addTrack(mic.getAudioTracks()[0], mic);
  prefer(sender, variant);
  const offer = tune(await sender.createOffer(), variant);
  await sender.setLocalDescription(offer);
  await receiver.setRemoteDescription(offer);
  prefer(receiver, variant);
  const answer = tune(await receiver.createAnswer(), variant);
  await receiver.setLocalDescription(answer);
  await sender.setRemoteDescription(answer);
  if (variant.jitterBufferTarget != null) {
    for (const r of receiver.getReceivers()) r.jitterBufferTarget = variant.jitterBufferTarget;
  }
  await Promise.all([waitConnected(sender), waitConnected(receiver)]);
  const stream = /** @type {MediaStream} */ (await remote);
  // Chromium pulls a remote WebRTC track into Web Audio only while a media element plays it.
  const element = new Audio();
  element.muted = true;
  element.srcObject = stream;
  await element.play().catch(() => {});
  call = { sender, receiver, mic, stream, element };
  return { offer: offer.sdp, answer: answer.sdp };
}

/**
 * Records `seconds` of the microphone and of the remote track, as the tracks deliver them
 * (MediaStreamTrackProcessor: the decoder's output 10 ms at a time, no Web Audio FIFO between
 * two clocks, whose slips under load read as glitches), both readers started together.
 */
async function record(seconds) {
  const take = async (/** @type {MediaStreamTrack} */ track, /** @type {number} */ from) => {
    // @ts-ignore Chromium's breakout box
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    /** @type {Float32Array[]} */
    const chunks = [];
    let frames = 0;
    let rate = 48000;
    while (frames < seconds * rate) {
      const { value, done } = await reader.read();
      if (done) break;
      if (performance.now() >= from) {
        rate = value.sampleRate;
        const chunk = new Float32Array(value.numberOfFrames);
        value.copyTo(chunk, { planeIndex: 0, format: "f32-planar" });
        chunks.push(chunk);
        frames += chunk.length;
      }
      value.close();
    }
    reader.cancel().catch(() => {});
    return { chunks, rate, frames: Math.round(seconds * rate) };
  };
  const from = performance.now() + 200;
  const [local, remote] = await Promise.all([take(call.mic.getAudioTracks()[0], from), take(call.stream.getAudioTracks()[0], from)]);
  // Chromium's fake microphone runs at 44.1 kHz, the decoder at 48: each keeps its own rate.
  return { localRate: local.rate, remoteRate: remote.rate,
    local: pcm16(local.chunks, local.frames), remote: pcm16(remote.chunks, remote.frames) };
}

/** Float chunks → base64 of little-endian 16-bit PCM. @param {Float32Array[]} chunks */
function pcm16(chunks, frames) {
  const out = new Int16Array(frames);
  let i = 0;
  for (const c of chunks) for (const x of c) if (i < frames) out[i++] = Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
  let text = "";
  const bytes = new Uint8Array(out.buffer);
  for (let j = 0; j < bytes.length; j += 0x8000) text += String.fromCharCode(...bytes.subarray(j, j + 0x8000));
  return btoa(text);
}

/** What the receiver saw (inbound-rtp) and the sender sent (outbound-rtp), with their codecs. */
async function stats() {
  const read = async (pc, type) => {
    const report = await pc.getStats();
    let out = null;
    report.forEach((s) => {
      if (s.type === type && s.kind === "audio") out = { ...s, codec: report.get(s.codecId)?.mimeType ?? null };
    });
    return out;
  };
  return { inbound: await read(call.receiver, "inbound-rtp"), outbound: await read(call.sender, "outbound-rtp") };
}

async function stop() {
  if (!call) return;
  call.sender.close();
  call.receiver.close();
  for (const t of call.mic.getTracks()) t.stop();
  call.element.srcObject = null;
  call = null;
}

// @ts-ignore
window.quality = { start, record, stats, stop };
