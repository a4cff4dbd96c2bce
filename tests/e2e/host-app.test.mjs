// A host app on another origin (issue 16): the example in examples/host-app — its page served by
// its own backend on another loopback port, importing VoiceRoom from the voice server, its token
// minted through the admin API by the backend — and two people who talk through it, measured as
// audio. Then the voice page opened from a host app's link (`#token=`): the space, the moderator
// badge, and channels that appear, are renamed and are deleted while someone is in them.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { freePort } from "../lib/net.mjs";
import { spawnGroup } from "../lib/process.mjs";
import { waitForHttp } from "../lib/wait.mjs";
import { AUDIBLE, SILENT, launchWithTone, sleep } from "./audio-helpers.mjs";
import {
  ROOT, VIEWPORT, assertQuiet, channelRow, closeBrowser, expectBar, openWithToken, screenshot, signIn, startWorker, unique,
  waitForSidebar, watch,
} from "./helpers.mjs";

const ADMIN_API_KEY = `e2e-admin-key-${Math.random().toString(36).slice(2)}`;
const SPACE = "acme";

/** @type {{url: string, stop: () => Promise<void>, log: () => string}} */
let worker;
/** @type {{url: string, proc: ReturnType<typeof spawnGroup>}} */
let host;

before(async () => {
  const hostPort = await freePort();
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  // The voice server lets the host app's origin in (CORS, WebSocket Origin) and has an admin key.
  worker = await startWorker({ port: await freePort(), vars: { ALLOWED_ORIGINS: hostUrl, ADMIN_API_KEY } });
  // The host app's channel lives in its own space, created at runtime.
  const created = await admin("PUT", `/api/admin/spaces/${SPACE}/channels/lounge`, { name: "Lounge" });
  assert.equal(created.status, 200, `PUT channel: ${JSON.stringify(created.body)}`);
  const proc = spawnGroup(process.execPath, [path.join(ROOT, "examples/host-app/server.mjs")], {
    env: { PORT: String(hostPort), VOICE_URL: worker.url, ADMIN_API_KEY, VOICE_SPACE: SPACE }, unref: true,
  });
  host = { url: hostUrl, proc };
  await waitForHttp(hostUrl, { timeoutMs: 10_000, okOnly: true, alive: proc.running, describe: proc.output });
});

after(async () => {
  await host?.proc.stop("SIGTERM");
  await worker?.stop();
});

/**
 * The admin API, server to server.
 * @param {string} method
 * @param {string} route
 * @param {unknown} [body]
 */
async function admin(method, route, body) {
  const res = await fetch(`${worker.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Opens the host app's page as a new person and signs in there; records every request the page
 * makes and every answer from the voice server.
 * @param {import("playwright-core").Browser} browser
 * @param {string} name
 */
async function openHostApp(browser, name) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await watch(page);
  const seen = { requests: /** @type {string[]} */ ([]), fromVoice: /** @type {{url: string, status: number, acao?: string, origin?: string}[]} */ ([]), sockets: /** @type {string[]} */ ([]) };
  page.on("request", async (req) => {
    const headers = await req.allHeaders().catch(() => ({}));
    seen.requests.push(`${req.method()} ${req.url()} ${JSON.stringify(headers)} ${req.postData() ?? ""}`);
  });
  page.on("response", async (res) => {
    if (!res.url().startsWith(`${worker.url}/`)) return;
    const origin = (await res.request().allHeaders().catch(() => ({}))).origin;
    seen.fromVoice.push({ url: res.url(), status: res.status(), acao: res.headers()["access-control-allow-origin"], origin });
  });
  page.on("websocket", (ws) => seen.sockets.push(ws.url()));
  await page.goto(host.url);
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#channel option", { hasText: "Lounge" }).waitFor({ state: "attached", timeout: 10_000 });
  return { context, page, name, seen };
}

/** @param {import("playwright-core").Page} page @param {string} status */
function waitForStatus(page, status, timeout = 15_000) {
  return page.waitForFunction((status) => document.getElementById("status")?.dataset.status === status, status, { timeout });
}

/** The names in the host page's member list, with their muted flag. @param {import("playwright-core").Page} page */
function memberList(page) {
  return page.locator("#members li").evaluateAll((items) => items.map((li) => `${li.textContent}${li.dataset.muted === "true" ? " (muted)" : ""}`));
}

/** @param {import("playwright-core").Page} page @param {(names: string[]) => boolean} predicate */
async function waitForMembers(page, predicate, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last = [];
  while (Date.now() < deadline) {
    last = await memberList(page);
    if (predicate(last)) return last;
    await sleep(100);
  }
  throw new Error(`member list never showed ${what}; it shows ${JSON.stringify(last)}`);
}

/**
 * Inbound audio packets over every peer connection of the host page's room (getStats).
 * @param {import("playwright-core").Page} page
 */
function packetsIn(page) {
  return page.evaluate(async () => {
    let packets = 0;
    for (const peer of window.hostRoom.peers.values()) {
      (await peer.pc.getStats()).forEach((/** @type {any} */ s) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") packets += s.packetsReceived ?? 0;
      });
    }
    return packets;
  });
}

/**
 * What one page received over `ms`: packets (getStats), and the median level in dBFS of what
 * arrives from the others, read every 20 ms on the room's own Web Audio path (the analyser that
 * debug.js's `levels()` reads on the voice page; -Infinity is digital silence). (getStats'
 * `totalAudioEnergy` stays 0 in headless Chromium, whose playout is muted.)
 * @param {import("playwright-core").Page} page
 */
async function receivedOver(page, ms) {
  const before = await packetsIn(page);
  const levels = await page.evaluate(async (ms) => {
    const out = [];
    for (const end = Date.now() + ms; Date.now() < end;) {
      for (const [, o] of window.hostRoom.audioOut.outputs) if (o.graph) out.push(o.graph.levels().received ?? -Infinity);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return out.map(String);
  }, ms);
  const sorted = levels.map(Number).sort((a, b) => a - b);
  return { packets: (await packetsIn(page)) - before, dbfs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN };
}

test("two people on the host app's origin join through voice.js loaded from the voice server and hear each other", { timeout: 120_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const alice = await openHostApp(browser, unique("Alice"));
    const bob = await openHostApp(browser, unique("Bob"));
    for (const person of [alice, bob]) {
      await person.page.getByRole("button", { name: "Join" }).click();
      await waitForStatus(person.page, "connected");
    }
    for (const { page } of [alice, bob]) {
      await page.waitForFunction(() => window.hostRoom?.peers.size === 1
        && [...window.hostRoom.peers.values()].every((p) => p.state === "connected"), null, { timeout: 20_000 });
      await waitForMembers(page, (names) => names.includes(alice.name) && names.includes(bob.name) && names.length === 2,
        "both of them");
    }

    // Each hears the other: packets arrive and carry the other's tone (the receiver's own measure).
    for (const [listener, speaker] of [[alice, bob], [bob, alice]]) {
      // The first window can fall before playback has started on a loaded machine (packets in,
      // the level still silent, seen once in CI): measured again for up to 10 s.
      const until = Date.now() + 10_000;
      let got = await receivedOver(listener.page, 1500);
      while (got.dbfs <= AUDIBLE && Date.now() < until) got = await receivedOver(listener.page, 1500);
      console.log(`${listener.name} hears ${speaker.name}: ${got.packets} packets, ${got.dbfs.toFixed(1)} dBFS`);
      assert.ok(got.packets > 25, `${listener.name} receives ${speaker.name}'s audio packets (${got.packets})`);
      assert.ok(got.dbfs > AUDIBLE, `${listener.name} hears ${speaker.name} (${got.dbfs.toFixed(1)} dBFS > ${AUDIBLE})`);
    }

    // The page is the host app's, and voice.js (and every module it imports, and the API) came
    // from the voice server's origin, answered with CORS for exactly the host's origin.
    for (const { page, seen } of [alice, bob]) {
      assert.equal(await page.evaluate(() => location.origin), host.url);
      assert.notEqual(host.url, worker.url, "two origins");
      const module = seen.fromVoice.find((r) => r.url === `${worker.url}/voice.js`);
      assert.ok(module, `voice.js was loaded from ${worker.url}: ${JSON.stringify(seen.fromVoice.map((r) => r.url))}`);
      const scripts = seen.fromVoice.filter((r) => r.url.endsWith(".js"));
      assert.ok(scripts.length > 5, "voice.js's own imports came along");
      for (const r of [...scripts, ...seen.fromVoice.filter((r) => r.url.includes("/api/channels"))]) {
        assert.equal(r.status, 200, r.url);
        assert.equal(r.origin, host.url, `${r.url} was a cross-origin request`);
        assert.equal(r.acao, host.url, `${r.url} answered with CORS for the host's origin`);
      }
      assert.ok(seen.sockets.some((u) => u.startsWith(`${worker.url.replace("http", "ws")}/api/channels/lounge/voice`)),
        `the voice socket went to the voice server: ${JSON.stringify(seen.sockets)}`);
    }

    await screenshot(bob.page, "host-app.png");

    // Mute from the host app's button: the other side sees it and hears silence.
    await alice.page.getByRole("button", { name: "Mute" }).click();
    await waitForMembers(bob.page, (names) => names.includes(`${alice.name} (muted)`), "Alice muted");
    const deadline = Date.now() + 10_000;
    let quiet = await receivedOver(bob.page, 500);
    while (quiet.dbfs > SILENT && Date.now() < deadline) quiet = await receivedOver(bob.page, 500);
    assert.ok(quiet.dbfs <= SILENT, `Bob hears nothing from muted Alice (${quiet.dbfs} dBFS)`);

    // Leave: the other's list drops her.
    await alice.page.getByRole("button", { name: "Leave" }).click();
    await waitForStatus(alice.page, "left");
    await waitForMembers(bob.page, (names) => names.length === 1 && names[0] === bob.name, "Bob alone");

    // The admin key stayed in the host's backend: in no request, header or body the pages made.
    for (const { page, seen } of [alice, bob]) {
      assert.ok(seen.requests.length > 0);
      assert.deepEqual(seen.requests.filter((r) => r.includes(ADMIN_API_KEY)), [], "the admin key never reached a page");
      assert.equal((await page.content()).includes(ADMIN_API_KEY), false);
      assertQuiet(page);
    }
  } finally {
    for (const context of browser.contexts()) {
      for (const page of context.pages()) await page.evaluate(() => window.hostRoom?.leave()).catch(() => {});
    }
    await closeBrowser(browser);
  }
});

test("a host app's link opens the voice page as its user in its space, with channels that come and go", { timeout: 90_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const name = unique("Mod");
    const minted = await admin("POST", "/api/admin/tokens", { sub: `mod-${Date.now()}`, name, space: SPACE, role: "moderator" });
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    const { context, page } = await openWithToken(browser, worker.url, minted.body.token);

    // Signed in as the token's user, without the sign-in card; the token left the address bar.
    assert.equal(await page.locator("#signin").isHidden(), true);
    assert.equal(await page.locator("#me-name").textContent(), name);
    assert.equal(page.url(), `${worker.url}/`, "no token in the address bar (replaced, not a new history entry)");
    // The space's name, the moderator badge, and only the space's channels.
    assert.equal(await page.locator("#space-name").textContent(), SPACE);
    assert.equal(await page.locator("#space-name").isVisible(), true);
    assert.equal(await page.locator("#role-badge").textContent(), "Moderator");
    assert.equal(await page.locator("#role-badge").isVisible(), true);
    await waitForSidebar(page, (s) => JSON.stringify(Object.keys(s)) === JSON.stringify(["Lounge"]), "Lounge only");

    // A temporary channel created now appears (the lobby sends the roster again), marked.
    const put = await admin("PUT", `/api/admin/spaces/${SPACE}/channels/pop-up`, { name: "Pop-up", temporary: true });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await waitForSidebar(page, (s) => "Pop-up" in s, "the new channel");
    assert.equal(await channelRow(page, "Pop-up").locator(".channel-temporary").count(), 1, "marked temporary");
    assert.equal(await channelRow(page, "Lounge").locator(".channel-temporary").count(), 0);
    await screenshot(page, "space.png");
    // Renamed, and one seat only: the sidebar follows.
    const renamed = await admin("PUT", `/api/admin/spaces/${SPACE}/channels/pop-up`, { name: "Stand-up", temporary: true, max_members: 1 });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    await waitForSidebar(page, (s) => "Stand-up" in s && !("Pop-up" in s), "the new name");
    assert.equal(await channelRow(page, "Stand-up").locator(".channel-full").count(), 0, "not full while empty");

    // Deleted while we are in it: the call ends, red, and no rejoin is offered.
    await channelRow(page, "Stand-up").click();
    await expectBar(page, "green", "Stand-up");
    await channelRow(page, "Stand-up").locator(".channel-full", { hasText: /^1\/1$/ }).waitFor({ timeout: 5_000 });
    assert.equal((await admin("DELETE", `/api/admin/spaces/${SPACE}/channels/pop-up`)).status, 204);
    await expectBar(page, "red", "Disconnected");
    assert.equal(await page.locator("#voice-detail").textContent(), "This channel was deleted.");
    await waitForSidebar(page, (s) => JSON.stringify(Object.keys(s)) === JSON.stringify(["Lounge"]), "the channel gone");

    // Another link opened in the same tab (only the fragment changes): the page follows it.
    const memberName = unique("Member");
    const member = await admin("POST", "/api/admin/tokens", { sub: `member-${Date.now()}`, name: memberName, space: SPACE });
    assert.equal(member.status, 200, JSON.stringify(member.body));
    await page.evaluate((token) => { location.hash = `token=${token}`; }, member.body.token);
    await page.locator("#me-name", { hasText: memberName }).waitFor({ timeout: 10_000 });
    assert.equal(page.url(), `${worker.url}/`);
    assert.equal(await page.locator("#role-badge").isVisible(), false, "a member has no badge");
    assert.equal(await page.locator("#space-name").textContent(), SPACE);
    assert.equal(await page.locator("#voice-bar").isHidden(), true, "the new user is in no call");

    // A link that cannot be used, in a browser nobody signed in to: the sign-in card says so.
    const fresh = await browser.newContext({ viewport: VIEWPORT });
    const bad = await fresh.newPage();
    await watch(bad);
    await bad.goto(`${worker.url}/#token=not-a-token`);
    await bad.getByText("This sign-in link is not valid.").waitFor({ timeout: 10_000 });
    assert.equal(await bad.getByLabel("Display name").isVisible(), true);
    assert.equal(bad.url(), `${worker.url}/`);

    // A guest of the default space sees neither a space name nor a badge.
    const guest = await signIn(browser, unique("Guest"), { base: worker.url });
    assert.equal(await guest.page.locator("#space-name").isVisible(), false);
    assert.equal(await guest.page.locator("#role-badge").isVisible(), false);
    await waitForSidebar(guest.page, (s) => "General" in s && !("Lounge" in s), "the default space's channels");
    assertQuiet(page);
    assertQuiet(bad);
    assertQuiet(guest.page);
  } finally {
    await closeBrowser(browser);
  }
});
