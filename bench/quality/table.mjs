//! Medians per (profile, variant) and the markdown the quality bench prints: every variant's
//! MOS-LQO and mouth-to-ear delay beside the defaults' from the same run (differences, not
//! absolute times, are what compare on a shared machine).

/** @param {number[]} xs */
export function median(xs) {
  const s = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * @param {any[]} results  one per run (run.mjs)
 * @param {{name: string}[]} profiles
 * @param {{name: string}[]} variants
 */
export function summarize(results, profiles, variants) {
  return profiles.flatMap((p) => variants.map((v) => {
    const runs = results.filter((r) => r.profile === p.name && r.variant === v.name);
    const m = (/** @type {(r: any) => number} */ f) => median(runs.map(f));
    return {
      profile: p.name, variant: v.name, n: runs.filter((r) => typeof r.mos === "number").length,
      mos: m((r) => r.mos), mosAll: runs.map((r) => r.mos ?? null), delayMs: m((r) => r.delay_ms),
      // The least delay of the repetitions: a run the machine's stalls did not push NetEq's target up.
      delayMinMs: runs.some((r) => typeof r.delay_ms === "number")
        ? Math.min(...runs.filter((r) => typeof r.delay_ms === "number").map((r) => r.delay_ms)) : null,
      lossPct: m((r) => r.receiver?.lossPct), concealedPct: m((r) => r.receiver?.concealedPct),
      fecPackets: m((r) => r.receiver?.fecPackets), jitterBufferMs: m((r) => r.receiver?.jitterBufferMs),
      bytesPerPacket: m((r) => r.receiver?.bytesPerPacket), sendKbps: m((r) => r.sendKbps),
    };
  }));
}

const f = (x, digits = 2) => (x === null || x === undefined ? "–" : x.toFixed(digits));
const signed = (x, digits = 2) => (x === null || x === undefined ? "–" : `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`);

/** @param {ReturnType<typeof summarize>} summary @param {any} meta */
export function table(summary, meta) {
  const lines = [
    `Quality bench, ${meta.date}: \`${meta.command}\`; Chromium ${meta.chromium}; ${meta.cpus}; load average ${f(meta.load.min)}–${f(meta.load.max)} (shared machine)`,
    `${meta.reps} repetitions (medians; all MOS values in results.json), ${meta.seconds} s recorded after ${meta.warmup} s under the profile, seed ${meta.seed}.`,
    "",
    "| profile | variant | MOS-LQO (PESQ-WB) | Δ MOS vs defaults | mouth-to-ear ms (min) | Δ ms vs defaults | loss % | concealed % | FEC pkts | jitter buffer ms | B/packet | send kb/s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of summary) {
    const base = summary.find((r) => r.profile === row.profile && r.variant === "defaults");
    const dm = base && row !== base && row.mos !== null && base.mos !== null ? row.mos - base.mos : null;
    const dd = base && row !== base && row.delayMs !== null && base.delayMs !== null ? row.delayMs - base.delayMs : null;
    lines.push(`| ${row.profile} | ${row.variant} | ${f(row.mos)} (${row.mosAll.map((x) => f(x)).join(", ")}) | ${signed(dm)} | ${f(row.delayMs, 0)} (${f(row.delayMinMs, 0)}) | ${signed(dd, 0)} | ${f(row.lossPct, 1)} | ${f(row.concealedPct, 1)} | ${f(row.fecPackets, 0)} | ${f(row.jitterBufferMs, 0)} | ${f(row.bytesPerPacket, 0)} | ${f(row.sendKbps, 0)} |`);
  }
  return `${lines.join("\n")}\n`;
}
