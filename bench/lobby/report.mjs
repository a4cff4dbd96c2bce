// The lobby scale benchmark's section of the report (bench/lobby/scale.mjs): every step of the
// one-lobby climb, where each V saturates, and the spaces table.

/** Markdown lines for `results` (measureLobby's), `p` the profile, `fmt` main.mjs's number format. */
export function lobbySection({ single, spaces, claims = [] }, p, fmt) {
  const pct = (x) => `${fmt(x * 100, 0)}%`;
  const out = [
    `## 9. Lobby scale (ours only, one pass; one lobby = one space; ${p.channels} channels, members join and leave at a steady rate, every change to every viewer)`, "",
    `Steps: ${p.warmMs / 1000} s warm-up, ${p.stepMs / 1000} s measured, up to ${p.drainMs / 1000} s for the last viewer; a step fails when p99 explodes past ${p.limitMs} ms or a change is not seen by every viewer by then ("lost"); "live" marks p99 ≤ ${p.interactiveMs} ms with nothing lost. server CPU: the workerd process tree's utime + stime (/proc) over the measured window; per change: until the last viewer had it; per frame: over the window, per frame the viewers received (the rooms fold changes that come within 100 ms of each other, and more while their report to a busy lobby is in flight, so frames/s can be below changes/s × viewers).`, "",
    "| viewers | changes/s | frames/s to viewers | p50 ms | p99 ms | max ms | lost | server CPU | server CPU µs / change | µs / frame | driver CPU | step |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
  ];
  for (const r of single) {
    for (const s of r.steps) {
      out.push(`| ${fmt(r.viewers, 0)} | ${fmt(s.rate)} | ${fmt(s.frames_in_per_s)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${fmt(s.lost, 0)} | ${pct(s.server_cpu_share)} | ` +
        `${fmt(s.cpu_us_per_change)} | ${fmt(s.cpu_us_per_frame)} | ${pct(s.driver_cpu_share)} | ${s.ok ? (s.interactive ? "ok, live" : "ok") : "**failed**"} |`);
    }
  }
  out.push("", "Where one lobby saturates (the highest step held, and the first that failed):", "");
  for (const r of single) {
    const held = r.steps.find((s) => s.rate === r.sustained_rate);
    const failed = r.failed_rate === null ? "none of the steps failed" : `failed at ${fmt(r.failed_rate)} changes/s (${fmt(r.viewers * r.failed_rate)} viewers × changes/s)`;
    out.push(`- ${fmt(r.viewers, 0)} viewers (connected in ${fmt(r.connect_ms / 1000)} s): held ${fmt(r.sustained_rate)} changes/s (` +
      `${fmt(r.viewers * r.sustained_rate)} viewers × changes/s${held ? `, p99 ${fmt(held.p99)} ms` : ""}); live (p99 ≤ ${p.interactiveMs} ms) up to ${fmt(r.interactive_rate)} changes/s; ${failed}.`);
  }
  out.push("");
  if (!spaces) {
    out.push("Spaces: not run (this build has no admin API to create a space's channels).", "");
    return [...out, ...claimsTable(claims, p, fmt)];
  }
  const max = Math.max(...spaces.rows.map((r) => r.spaces));
  out.push(`### Spaces: ${fmt(spaces.viewers, 0)} viewers and ${fmt(spaces.rate)} changes/s spread over ${max} spaces, added one batch at a time`, "",
    `Each space: ${fmt(spaces.rows[0]?.viewers_per_space, 0)} viewers, ${fmt(spaces.rows[0]?.rate_per_space)} changes/s over ${p.spaces.channelsPerSpace} channels created with the admin API; ` +
    `tokens carry the \`space\` claim. All spaces on the one workerd process (one thread, the server core); on Cloudflare each space's lobby is its own Durable Object.`, "",
    ...oneLobbyWith(single, spaces, fmt),
    "| spaces | viewers (total) | changes/s (total) | p50 ms | p99 ms | max ms | lost | server CPU | server CPU ms/s per space | µs / change | µs / frame | driver CPU |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of spaces.rows) {
    out.push(`| ${r.spaces} | ${fmt(r.viewers_per_space * r.spaces, 0)} | ${fmt(r.rate)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.lost, 0)} | ${pct(r.server_cpu_share)} | ` +
      `${fmt(r.cpu_ms_per_s_per_space)} | ${fmt(r.cpu_us_per_change)} | ${fmt(r.cpu_us_per_frame)} | ${pct(r.driver_cpu_share)} |`);
  }
  out.push("");
  return [...out, ...claimsTable(claims, p, fmt)];
}

/** Part 3: the same lobby without and with a `channels` claim on every viewer. */
function claimsTable(claims, p, fmt) {
  if (!claims.length) return [];
  const c = p.claims;
  const out = [
    `### Viewers with a \`channels\` claim (${fmt(c.viewers, 0)} viewers, ${c.channels} channels, the claim names all ${c.channels})`, "",
    "| claim | changes/s | frames/s to viewers | p50 ms | p99 ms | lost | server CPU | µs / change | µs / frame | step |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
  ];
  for (const r of claims) {
    for (const s of r.steps) {
      out.push(`| ${r.claim ? "yes" : "no"} | ${fmt(s.rate)} | ${fmt(s.frames_in_per_s)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.lost, 0)} | ${fmt(s.server_cpu_share * 100, 0)}% | ` +
        `${fmt(s.cpu_us_per_change)} | ${fmt(s.cpu_us_per_frame)} | ${s.ok ? (s.interactive ? "ok, live" : "ok") : "**failed**"} |`);
    }
  }
  out.push("");
  return out;
}

/** What part 1 says about the spaces' whole load in a single lobby (when it measured that many viewers). */
function oneLobbyWith(single, spaces, fmt) {
  const r = single.find((x) => x.viewers === spaces.viewers);
  if (!r) return [];
  const verdict = r.failed_rate !== null && r.failed_rate <= spaces.rate
    ? `exploded at ${fmt(r.failed_rate)} changes/s, below this ${fmt(spaces.rate)}`
    : `held ${fmt(r.sustained_rate)} changes/s`;
  return [`One lobby with all ${fmt(spaces.viewers, 0)} viewers (part 1) ${verdict}.`, ""];
}
