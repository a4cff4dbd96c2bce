// Generated from public/stats.js by scripts/types.sh; do not edit.
/**
 * stats.js — what getStats() says about one peer connection: the selected candidate pair (round
 * trip, and whether either end is a relay) and the inbound audio loss since the last reading.
 * Pure: a report is anything with forEach/get, so Node tests it with a Map.
 */
export type PeerStats = {
    /**
     * Round trip on the selected candidate pair.
     */
    rttMs: number | null;
    /**
     * Inbound audio packets lost since the previous reading.
     */
    lossPct: number | null;
    /**
     * candidateType of the selected pair's local candidate.
     */
    localType: string | null;
    /**
     * …and of its remote candidate (`relay` = through TURN).
     */
    remoteType: string | null;
};
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
export declare const AUDIBLE_LOSS_PCT = 10;
/** Whether the last reading's loss is enough to be heard. @param {{lossPct: number | null}} stats */
export declare function poorConnection(stats: {
    lossPct: number | null;
}): boolean;
/**
 * Inbound audio loss since the previous reading, in percent (one decimal), and the new counts.
 * @param {RTCStatsReport} report
 * @param {{lost: number, received: number}} last
 */
export declare function lossSince(report: RTCStatsReport, last: {
    lost: number;
    received: number;
}): {
    lossPct: number | null;
    counts: {
        lost: number;
        received: number;
    };
};
/**
 * The selected candidate pair of a stats report: its round-trip time (seconds) and the types of
 * its local and remote candidates (`host`, `srflx`, `prflx`, `relay`).
 * @param {RTCStatsReport} report
 */
export declare function selectedPair(report: RTCStatsReport): {
    rtt: any;
    localType: any;
    remoteType: any;
};
