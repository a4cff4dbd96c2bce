//! A userspace UDP impairment relay between the browsers and coturn (the kernel here has no
//! netem). The pages' ICE server points at this port; each browser socket gets its own upstream
//! socket to coturn (so coturn sees distinct clients) and its own seeded `impairment` (loss.mjs).
//! Only the browser → coturn direction is impaired: in a relay-only call every media packet
//! crosses it exactly once (sender → its allocation), and so does the receiver's RTCP; coturn →
//! browser is passed through. `armed` starts false so TURN allocation and ICE are not slowed by
//! the loss under test: the bench arms it once the call is up.

import { createSocket } from "node:dgram";
import { impairment } from "./loss.mjs";

/**
 * @param {{targetPort: number, targetHost?: string, seed?: number}} options
 */
export async function startImpairRelay({ targetPort, targetHost = "127.0.0.1", seed = 1 }) {
  const listen = createSocket("udp4");
  /** @type {Map<string, {upstream: import("node:dgram").Socket, impair: ReturnType<typeof impairment>}>} */
  const flows = new Map();
  /** @type {import("./loss.mjs").Profile} */
  let profile = { name: "clean" };
  let armed = false;
  let flowCount = 0;
  const counts = { forwarded: 0, dropped: 0, back: 0, channelData: 0 };
  /** @type {Set<ReturnType<typeof setTimeout>>} */
  const timers = new Set();

  /** @param {string} address @param {number} port */
  function flowFor(address, port) {
    const key = `${address}:${port}`;
    let flow = flows.get(key);
    if (flow) return flow;
    const upstream = createSocket("udp4");
    upstream.on("message", (msg) => {
      counts.back += 1;
      listen.send(msg, port, address);
    });
    upstream.on("error", () => {});
    flowCount += 1;
    flow = { upstream, impair: impairment(profile, seed * 1000 + flowCount) };
    flows.set(key, flow);
    return flow;
  }

  listen.on("message", (msg, rinfo) => {
    const flow = flowFor(rinfo.address, rinfo.port);
    const send = () => flow.upstream.send(msg, targetPort, targetHost);
    if (!armed) {
      counts.forwarded += 1;
      send();
      return;
    }
    // TURN ChannelData (first two bits 01) carries the media once a channel is bound.
    if ((msg[0] & 0xc0) === 0x40) counts.channelData += 1;
    const { drop, delayMs } = flow.impair.next();
    if (drop) {
      counts.dropped += 1;
      return;
    }
    counts.forwarded += 1;
    if (delayMs < 0.5) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, delayMs);
    timers.add(timer);
  });
  listen.on("error", () => {});
  await new Promise((resolve) => listen.bind(0, "127.0.0.1", () => resolve(undefined)));

  return {
    port: listen.address().port,
    /** Applies a profile to every flow (fresh seeded state) and starts impairing. @param {import("./loss.mjs").Profile} next */
    arm(next) {
      profile = next;
      let i = 0;
      for (const flow of flows.values()) flow.impair = impairment(profile, seed * 1000 + ++i);
      armed = true;
    },
    disarm() { armed = false; },
    counts: () => ({ ...counts, flows: flows.size }),
    resetCounts() { for (const k of Object.keys(counts)) counts[k] = 0; },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const { upstream } of flows.values()) upstream.close();
      await new Promise((resolve) => listen.close(() => resolve(undefined)));
    },
  };
}
