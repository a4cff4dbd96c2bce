// The audio codec setup (public/audio-codec.js) end to end: two Chromiums negotiate RED first
// with our Opus parameters (in-band FEC on, the bitrate), and audio flows; a Chromium ↔ Firefox call still connects (either
// side offering) and audio flows both ways, whatever Firefox makes of RED. Firefox runs through
// puppeteer-core over WebDriver BiDi, launched here (not in helpers.mjs) with fake media and
// loopback ICE.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import puppeteer from "puppeteer-core";
import { OPUS_FMTP } from "../../public/audio-codec.js";
import {
  BASE_URL, assertQuiet, closeBrowser, joinInTurn, launch, packetsReceived, signIn, unique,
  waitForPeersConnected,
} from "./helpers.mjs";

/** The audio section's payload types in order, their codec names, and Opus's fmtp. @param {string} sdp */
function audioSetup(sdp) {
  const section = sdp.split(/\r?\nm=/).find((s) => s.startsWith("audio") || s.startsWith("m=audio")) ?? "";
  const order = section.split(/\r?\n/)[0].split(" ").slice(3);
  const name = (pt) => new RegExp(`a=rtpmap:${pt} ([^/\\r\\n]+)`).exec(section)?.[1]?.toLowerCase() ?? null;
  const opus = order.find((pt) => name(pt) === "opus");
  return {
    codecs: order.map(name),
    opusFmtp: new RegExp(`a=fmtp:${opus} ([^\\r\\n]*)`).exec(section)?.[1] ?? "",
  };
}

/** @param {import("playwright-core").Page} page */
async function audioGrows(page) {
  const before = await packetsReceived(page);
  await page.waitForTimeout(1000);
  const after = await packetsReceived(page);
  assert.ok(after > before + 10, `inbound audio packets grow (${before} → ${after})`);
}

describe("the audio codec setup", () => {
  test("Chromium ↔ Chromium negotiates RED first with Opus in-band FEC and our bitrate, and audio flows", { timeout: 60_000 }, async () => {
    const browser = await launch();
    try {
      const alice = await signIn(browser, unique("Alice"));
      const bob = await signIn(browser, unique("Bob"));
      await joinInTurn([alice, bob], "General");
      await waitForPeersConnected(alice.page, 1);
      await waitForPeersConnected(bob.page, 1);
      for (const { page, name } of [alice, bob]) {
        const sdp = await page.evaluate(() => window.__voiceDebug().peers[0].localSdp);
        const { codecs, opusFmtp } = audioSetup(sdp);
        assert.equal(codecs[0], "red", `${name}'s ${sdp.includes("a=setup:actpass") ? "offer" : "answer"} lists RED first: ${codecs}`);
        assert.equal(codecs[1], "opus", "then Opus (what RED carries)");
        for (const [key, value] of Object.entries(OPUS_FMTP)) {
          assert.match(opusFmtp, new RegExp(`(^|;)${key}=${value}(;|$)`), `Opus's ${key}=${value} (${opusFmtp})`);
        }
      }
      await audioGrows(alice.page);
      await audioGrows(bob.page);
      assertQuiet(alice.page);
      assertQuiet(bob.page);
    } finally {
      await closeBrowser(browser);
    }
  });
});

describe("Chromium ↔ Firefox", () => {
  /** @type {import("playwright-core").Browser} */
  let chromium;
  /** @type {import("puppeteer-core").Browser} */
  let firefox;

  before(async () => {
    chromium = await launch();
    firefox = await puppeteer.launch({
      browser: "firefox",
      executablePath: process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr",
      headless: true,
      extraPrefsFirefox: {
        "media.navigator.streams.fake": true,
        "media.navigator.permission.disabled": true,
        "permissions.default.microphone": 1,
        "media.peerconnection.ice.loopback": true,
        "media.peerconnection.ice.obfuscate_host_addresses": false,
      },
    });
  });

  after(async () => {
    await closeBrowser(chromium);
    if (firefox) {
      for (const page of await firefox.pages()) await page.evaluate(() => window.__voiceDebug?.leave()).catch(() => {});
      await firefox.close().catch(() => {});
    }
  });

  /** Signs in on Firefox and joins `channel`; resolves with the page once its bar is green. */
  async function firefoxJoins(name, channel) {
    // A fresh context: a new user (the page keeps its token in localStorage).
    const page = await (await firefox.createBrowserContext()).newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(`${BASE_URL}/`);
    await page.locator("#signin-name").fill(name);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#channel-list .channel-row", { timeout: 10_000 });
    const rows = await page.$$("#channel-list .channel-row");
    for (const row of rows) {
      if ((await row.evaluate((r) => r.querySelector(".channel-name")?.textContent)) === channel) await row.click();
    }
    await page.waitForFunction((channel) => {
      const bar = document.getElementById("voice-bar");
      return bar && !bar.hidden && bar.dataset.state === "green" && document.getElementById("voice-label")?.textContent === channel;
    }, { timeout: 15_000 }, channel);
    return { page, errors };
  }

  /** Firefox's side: connected to one peer, inbound audio growing, and its negotiated codecs. */
  async function firefoxHears(page) {
    await page.waitForFunction(() => {
      const room = window.__voiceDebug();
      return room?.peers.length === 1 && room.peers[0].connectionState === "connected";
    }, { timeout: 20_000, polling: 100 });
    const count = () => page.evaluate(async () => (await window.__voiceDebug.stats())
      .reduce((n, p) => n + p.packetsReceived, 0));
    const before = await count();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await count();
    assert.ok(after > before + 10, `Firefox receives audio (${before} → ${after})`);
    return page.evaluate(() => window.__voiceDebug().peers[0].localSdp);
  }

  for (const firstIn of ["Chromium", "Firefox"]) {
    test(`a call connects with audio both ways when ${firstIn} is in the channel first (and offers)`, { timeout: 90_000 }, async () => {
      const channel = firstIn === "Chromium" ? "General" : "Gaming";
      let chrome;
      let fox;
      if (firstIn === "Chromium") {
        chrome = await signIn(chromium, unique("Chrome"));
        await joinInTurn([chrome], channel);
        fox = await firefoxJoins(unique("Fox"), channel);
      } else {
        fox = await firefoxJoins(unique("Fox"), channel);
        chrome = await signIn(chromium, unique("Chrome"));
        await joinInTurn([chrome], channel);
      }
      await waitForPeersConnected(chrome.page, 1);
      await audioGrows(chrome.page);
      const foxSdp = await firefoxHears(fox.page);
      const chromeSdp = await chrome.page.evaluate(() => window.__voiceDebug().peers[0].localSdp);
      // Informational: whether Firefox took RED. Either way Opus is in the call.
      console.log(`[codec] ${firstIn} offered; Firefox's codecs: ${audioSetup(foxSdp).codecs}; Chromium's: ${audioSetup(chromeSdp).codecs}`);
      assert.ok(audioSetup(foxSdp).codecs.includes("opus"));
      assert.deepEqual(fox.errors, [], "no uncaught error in Firefox's page");
      assertQuiet(chrome.page);
      await fox.page.evaluate(() => window.__voiceDebug?.leave()).catch(() => {});
      await chrome.page.evaluate(() => window.__voiceDebug?.leave()).catch(() => {});
    });
  }
});
