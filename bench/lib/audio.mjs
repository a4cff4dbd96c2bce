// Benchmark 7: click Join → remote inbound audio, in two Chromium pages, direct and relay-only
// (through coturn). Runs inside a loopback-only network namespace (bench/main.mjs starts it with
// `unshare -n`); our worker runs under `wrangler dev` (the page needs its static assets), coturn
// is Debian's turnserver with the repo's coturn/turnserver.conf.
//   node bench/lib/audio.mjs <work dir> <runs per mode>
// Prints one JSON line: {direct: {runs: [ms...]}, relay: {runs: [ms...]}}.
import { createRequire } from "node:module";
import { join } from "node:path";
import { startCoturn } from "../../tests/turn/coturn.mjs";
import { benchVars, ROOT, startServer, TURN_SECRET } from "./servers.mjs";

const require = createRequire(join(ROOT, "package.json"));
const { chromium } = require("playwright-core");

const [work, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 10);

const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
];

async function signIn(browser, base, name, query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${name}] page error: ${e}`));
  await page.goto(`${base}/${query}`);
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Display name").press("Enter");
  await page.locator("#channel-list .channel-row").first().waitFor({ timeout: 15_000 });
  return { context, page, name };
}

const row = (page, channel) => page.locator("#channel-list .channel-row").filter({
  has: page.locator(".channel-name", { hasText: new RegExp(`^${channel}$`) }),
});

/** Click → first inbound audio packet on the clicking page; also the selected pair's type. */
async function joinToAudio(page, channel) {
  await page.evaluate(() => {
    window.__bench = { clickAt: null };
    document.addEventListener("click", () => { window.__bench.clickAt = performance.now(); }, { capture: true, once: true });
  });
  await row(page, channel).click();
  return page.evaluate(async () => {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const room = window.__voice;
      for (const peer of room ? room.peers.values() : []) {
        const stats = await peer.pc.getStats();
        let packets = 0;
        stats.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "audio") packets += s.packetsReceived ?? 0;
        });
        if (packets > 0) {
          const at = performance.now();
          let type = "?";
          stats.forEach((s) => {
            if (s.type === "transport" && s.selectedCandidatePairId) {
              const pair = stats.get(s.selectedCandidatePairId);
              type = `${stats.get(pair.localCandidateId)?.candidateType}/${stats.get(pair.remoteCandidateId)?.candidateType}`;
            }
          });
          return { ms: at - window.__bench.clickAt, pair: type };
        }
      }
      if (performance.now() > deadline) throw new Error("no inbound audio within 30 s of the click");
      await new Promise((r) => setTimeout(r, 5));
    }
  });
}

async function mode(browser, base, relay, runs) {
  const query = relay ? "?relay=1" : "";
  const alice = await signIn(browser, base, `Alice ${relay ? "R" : "D"}`, query);
  const bob = await signIn(browser, base, `Bob ${relay ? "R" : "D"}`, query);
  await row(alice.page, "General").click();
  await alice.page.waitForFunction(() => window.__voice?.status === "connected", null, { timeout: 15_000 });
  const out = { runs: [], pairs: [] };
  for (let i = 0; i < runs; i++) {
    const r = await joinToAudio(bob.page, "General");
    out.runs.push(r.ms);
    out.pairs.push(r.pair);
    if (relay && !r.pair.startsWith("relay")) throw new Error(`relay-only run used a ${r.pair} pair`);
    await bob.page.getByRole("button", { name: "Leave" }).click();
    await alice.page.waitForFunction(() => window.__voice && window.__voice.peers.size === 0, null, { timeout: 15_000 });
    await bob.page.waitForTimeout(200);
  }
  await alice.page.evaluate(() => window.__voice?.leave());
  await alice.context.close();
  await bob.context.close();
  return out;
}

const turn = await startCoturn({ secret: TURN_SECRET, realm: "bench.test" });
let server;
let browser;
try {
  server = await startServer("ours-wd", { work, vars: benchVars({ turnUrl: turn.url, extra: { STUN_URLS: `stun:127.0.0.1:${turn.port}` } }) });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ARGS, timeout: 30_000 });
  const direct = await mode(browser, server.base, false, RUNS);
  const relay = await mode(browser, server.base, true, RUNS);
  console.log(JSON.stringify({ direct, relay }));
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  await turn.stop();
}
process.exit(0);
