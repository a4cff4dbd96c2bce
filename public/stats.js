// @ts-check
/**
 * stats.js — what getStats() says about one peer connection: the selected candidate pair (round
 * trip, and whether either end is a relay) and the inbound audio loss since the last reading.
 * Pure: a report is anything with forEach/get, so Node tests it with a Map.
 */

/**
 * Measured from getStats() every few seconds while connected.
 * @typedef {Object} PeerStats
 * @property {number | null} rttMs        Round trip on the selected candidate pair.
 * @property {number | null} lossPct      Inbound audio packets lost since the previous reading.
 * @property {string | null} localType    candidateType of the selected pair's local candidate.
 * @property {string | null} remoteType   …and of its remote candidate (`relay` = through TURN).
 */

/**
 * Inbound packet loss (counted before RED and FEC repair it) from which people hear it: with our
 * codec setup PESQ-WB MOS-LQO stayed above 3.5 ("fair", the bar) at 5 % random loss
 * (3.66, from 4.23 at 0 %) and fell below it at 10 % (3.31; one quiet-machine call: 3.98, and
 * 3.38 at 20 %), so 10 % errs on the side of telling; Chromium's defaults were at 3.26 already at
 * 5 % (bench/README.md, "Voice quality on bad networks").
 */
export const AUDIBLE_LOSS_PCT = 10;

/** Whether the last reading's loss is enough to be heard. @param {{lossPct: number | null}} stats */
export function poorConnection(stats) {
  return stats.lossPct !== null && stats.lossPct >= AUDIBLE_LOSS_PCT;
}

/**
 * Inbound audio loss since the previous reading, in percent (one decimal), and the new counts.
 * @param {RTCStatsReport} report
 * @param {{lost: number, received: number}} last
 */
export function lossSince(report, last) {
  let lost = 0;
  let received = 0;
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      lost += s.packetsLost ?? 0;
      received += s.packetsReceived ?? 0;
    }
  });
  const dLost = Math.max(0, lost - last.lost);
  const dReceived = Math.max(0, received - last.received);
  const lossPct = dLost + dReceived === 0 ? null : Math.round((1000 * dLost) / (dLost + dReceived)) / 10;
  return { lossPct, counts: { lost, received } };
}

/**
 * The selected candidate pair of a stats report: its round-trip time (seconds) and the types of
 * its local and remote candidates (`host`, `srflx`, `prflx`, `relay`).
 * @param {RTCStatsReport} report
 */
export function selectedPair(report) {
  /** @type {any} */
  let pair = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId) ?? pair;
  });
  if (!pair) {
    report.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
    });
  }
  if (!pair) return { rtt: null, localType: null, remoteType: null };
  return {
    rtt: typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime : null,
    localType: report.get(pair.localCandidateId)?.candidateType ?? null,
    remoteType: report.get(pair.remoteCandidateId)?.candidateType ?? null,
  };
}
