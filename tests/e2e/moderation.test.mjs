// Moderation from the page (issue 17): three people in General, each opened from a host app's
// link with a token minted through the admin API, one of them a moderator of the space. The
// moderator mutes a member for everyone from the member's menu: the others stop hearing them —
// measured on the listeners' own Web Audio path (what arrives and what is played), and also while
// the muted page is made to send anyway (the receivers enforce it) — the member's page says
// "Muted by a moderator" and its own unmute does not clear it; unmuted, they are heard again.
// A moderator's move: the moved page follows to the other channel by itself, green, never red,
// with its mute; its own switch tells the old channel where it goes. A kick with a ban: red with
// the reason, and a rejoin refused.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freePort } from "../lib/net.mjs";
import { AUDIBLE, SILENT, launchWithTone, levelsBetween, sleep, startLevels, waitForSteady } from "./audio-helpers.mjs";
import {
  assertQuiet, clickChannel, closeBrowser, expectBar, joinInTurn, openWithToken, recordSent, screenshot, startWorker, unique,
  waitForMember, waitForPeersConnected, waitForSidebar,
} from "./helpers.mjs";

const ADMIN_API_KEY = `e2e-admin-key-${Math.random().toString(36).slice(2)}`;
const SERVER_MUTED = "Muted by a moderator";

const heard = (v) => v > AUDIBLE;
const silent = (v) => v < SILENT;

/** @type {{url: string, stop: () => Promise<void>, log: () => string}} */
let worker;

before(async () => {
  worker = await startWorker({ port: await freePort(), vars: { ADMIN_API_KEY } });
});

after(async () => {
  await worker?.stop();
});

/**
 * A POST with the admin key, server to server (what a host app's backend does).
 * @param {string} route
 * @param {unknown} body
 */
async function adminPost(route, body) {
  const res = await fetch(`${worker.url}${route}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * A new person (a browser context) on the voice page, opened from a host app's link with a token
 * of the default space.
 * @param {import("playwright-core").Browser} browser
 * @param {string} name
 * @param {"member" | "moderator"} [role]
 */
async function openAs(browser, name, role = "member") {
  const id = `${role}-${Math.random().toString(36).slice(2, 10)}`;
  const minted = await adminPost("/api/admin/tokens", { sub: id, name, role });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  const { context, page } = await openWithToken(browser, worker.url, minted.body.token);
  return { context, page, name, id };
}

/**
 * Whether a member shows as muted by a moderator in the sidebar row and the tile of a page.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
function serverMutedShown(page, name) {
  return page.evaluate(([name, label]) => {
    const find = (/** @type {string} */ items, /** @type {string} */ names) => [...document.querySelectorAll(items)]
      .find((li) => li.querySelector(names)?.textContent === name);
    const has = (/** @type {Element | undefined} */ li) => li ? li.querySelector(`[role="img"][aria-label="${label}"]`) !== null : null;
    return { sidebar: has(find("#channel-list .member", ".member-name")), tile: has(find("#tiles .tile", ".tile-name")) };
  }, [name, SERVER_MUTED]);
}

/** @param {import("playwright-core").Page} page @param {string} text */
function waitForDetail(page, text) {
  return page.waitForFunction((text) => document.getElementById("voice-detail")?.textContent === text, text, { timeout: 10_000 })
    .catch(async (err) => {
      throw new Error(`the voice bar never said "${text}"; it says "${await page.locator("#voice-detail").textContent()}"\n${err.message}`);
    });
}

/**
 * Opens a member's menu on the moderator's page (right-click on their sidebar row, or the tile's
 * button from the keyboard) and returns the dialog.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 * @param {"tile-keyboard" | "row-right-click"} how
 */
async function openMenu(page, name, how) {
  if (how === "tile-keyboard") {
    await page.locator("#tiles").getByRole("button", { name: `Options for ${name}` }).focus();
    await page.keyboard.press("Enter");
  } else {
    await page.locator("#channel-list .member", { hasText: name }).click({ button: "right" });
  }
  const menu = page.getByRole("dialog", { name });
  await menu.waitFor();
  return menu;
}

test("a moderator mutes a member for everyone: nobody hears them (even if their page sends), they cannot unmute themselves, until unmuted", { timeout: 150_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const mod = await openAs(browser, unique("Mod"), "moderator");
    const alice = await openAs(browser, unique("Alice"));
    const bob = await openAs(browser, unique("Bob"));
    await joinInTurn([mod, alice, bob], "General");
    for (const person of [mod, alice, bob]) await waitForPeersConnected(person.page, 2);
    const listeners = [mod, bob];
    for (const listener of listeners) {
      await startLevels(listener.page, alice.id);
      await waitForSteady(listener.page, "played", heard, `${listener.name} hears Alice`);
    }

    // A member's menu has no moderation, and nobody has a menu on their own row or tile.
    await bob.page.locator("#tiles").getByRole("button", { name: `Volume for ${alice.name}` }).click();
    const bobMenu = bob.page.getByRole("dialog", { name: alice.name });
    await bobMenu.waitFor();
    assert.equal(await bobMenu.getByRole("button", { name: /for everyone|Kick|Move/ }).count(), 0, "no moderation for a member");
    assert.equal(await bob.page.locator("#member-moderation").isHidden(), true);
    await bob.page.keyboard.press("Escape");
    assert.equal(await mod.page.locator(`[data-member-menu="${mod.id}"]`).count(), 0, "no menu on your own row or tile");

    // The moderator, keyboard only: Alice's tile button, then "Mute for everyone".
    const menu = await openMenu(mod.page, alice.name, "tile-keyboard");
    await menu.getByRole("button", { name: "Mute for everyone" }).focus();
    await mod.page.keyboard.press("Enter");
    await menu.getByRole("button", { name: "Unmute for everyone" }).waitFor({ timeout: 5_000 });
    await screenshot(mod.page, "moderation-menu.png");
    await mod.page.keyboard.press("Escape");
    await menu.waitFor({ state: "hidden" });
    // The dialog hides at once; its `close` event (which moves the focus back) follows as a task.
    const focused = () => mod.page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
    let back = await focused();
    for (let i = 0; i < 20 && back !== `Options for ${alice.name}`; i++) {
      await mod.page.waitForTimeout(50);
      back = await focused();
    }
    assert.equal(back, `Options for ${alice.name}`, "focus returns to the button");

    // Nobody hears her: nothing is played, and nothing arrives either (her page stopped sending).
    for (const listener of listeners) {
      await waitForSteady(listener.page, "played", silent, `${listener.name}: Alice muted by a moderator is not played`, 1000);
      await waitForSteady(listener.page, "received", silent, `${listener.name}: Alice's page sends nothing`, 1000);
      const shown = await serverMutedShown(listener.page, alice.name);
      assert.deepEqual(shown, { sidebar: true, tile: true }, `${listener.name} sees Alice muted by a moderator`);
    }
    // Her page says so, and her own unmute does not clear it (the button explains instead).
    await waitForDetail(alice.page, SERVER_MUTED);
    assert.equal(await alice.page.locator("#mute-button").getAttribute("aria-pressed"), "true");
    assert.equal(await alice.page.locator("#mute-button").getAttribute("aria-disabled"), "true");
    assert.deepEqual(await serverMutedShown(alice.page, alice.name), { sidebar: true, tile: true });
    // (aria-disabled: the button stays focusable and clickable, and says why it does nothing.)
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click({ force: true });
    await alice.page.locator("#muted-hint", { hasText: "Only a moderator can unmute you" }).waitFor({ timeout: 5_000 });
    await alice.page.locator("#mute-button").focus();
    await alice.page.keyboard.press("Enter");
    await alice.page.keyboard.press("Control+Shift+M");
    const state = await alice.page.evaluate(() => window.__voiceDebug());
    assert.equal(state.serverMuted, true);
    assert.equal(state.sending, false, "nothing sent");
    assert.equal(state.members.find((m) => m.id === state.userId)?.muted, false, "her own mute was not toggled");
    assert.equal(await alice.page.locator("#voice-detail").textContent(), SERVER_MUTED);
    const clickedAt = Date.now();
    await sleep(1200);
    for (const listener of listeners) {
      const w = await levelsBetween(listener.page, clickedAt);
      assert.ok(w.played.length > 20 && w.played.every(silent), `${listener.name} still hears nothing after her own unmute`);
    }

    // A page that sends anyway (forced here) arrives, and is still not played: the receivers enforce it.
    await alice.page.evaluate(() => window.__voice.microphone.setEnabled(true));
    for (const listener of listeners) {
      await waitForSteady(listener.page, "received", heard, `${listener.name}: the forced audio arrives`, 500);
      const w = await levelsBetween(listener.page, Date.now() - 500);
      assert.ok(w.played.every(silent), `${listener.name} plays none of it (${Math.max(...w.played).toFixed(1)} dBFS)`);
    }
    await alice.page.evaluate(() => window.__voice.microphone.setEnabled(false));

    // Unmuted from her sidebar row (right-click): heard again, and her page says so.
    const again = await openMenu(mod.page, alice.name, "row-right-click");
    await again.getByRole("button", { name: "Unmute for everyone" }).click();
    await again.getByRole("button", { name: "Mute for everyone" }).waitFor({ timeout: 5_000 });
    await mod.page.keyboard.press("Escape");
    for (const listener of listeners) {
      await waitForSteady(listener.page, "played", heard, `${listener.name} hears Alice again`, 1000);
      assert.deepEqual(await serverMutedShown(listener.page, alice.name), { sidebar: false, tile: false });
    }
    await waitForDetail(alice.page, "Voice connected");
    await alice.page.locator("#muted-hint").waitFor({ state: "hidden", timeout: 5_000 });
    assert.equal(await alice.page.locator("#mute-button").getAttribute("aria-pressed"), "false");
    for (const { page } of [mod, alice, bob]) assertQuiet(page);
  } finally {
    await closeBrowser(browser);
  }
});

test("a moderator moves a member, who follows with the same mute; a kick with a ban ends a call red and refuses the rejoin", { timeout: 150_000 }, async () => {
  const browser = await launchWithTone();
  try {
    const mod = await openAs(browser, unique("Mod"), "moderator");
    const alice = await openAs(browser, unique("Alice"));
    const bob = await openAs(browser, unique("Bob"));
    const sent = recordSent(alice.page);
    await joinInTurn([mod, alice, bob], "General");
    await waitForPeersConnected(mod.page, 2);

    // Alice mutes herself; her voice bar is watched from now on (it must never turn red).
    await alice.page.getByRole("button", { name: "Mute", exact: true }).click();
    await waitForMember(mod.page, alice.name, (v) => v.tile?.muted === true, "Alice muted");
    await alice.page.evaluate(() => {
      const bar = /** @type {HTMLElement} */ (document.getElementById("voice-bar"));
      const seen = /** @type {string[]} */ ([]);
      window.__barStates = seen;
      new MutationObserver(() => seen.push(`${bar.dataset.state}:${document.getElementById("voice-label")?.textContent}`))
        .observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    });

    // Muted for everyone too, then moved to Gaming from her menu ("Move to…"): her page follows by
    // itself, with both mutes.
    const menu = await openMenu(mod.page, alice.name, "tile-keyboard");
    await menu.getByRole("button", { name: "Mute for everyone" }).click();
    await menu.getByRole("button", { name: "Unmute for everyone" }).waitFor({ timeout: 5_000 });
    await waitForDetail(alice.page, SERVER_MUTED);
    await menu.getByLabel("Move to…").selectOption({ label: "Gaming" });
    await menu.getByRole("button", { name: "Move", exact: true }).click();
    await menu.waitFor({ state: "hidden", timeout: 5_000 });
    await expectBar(alice.page, "green", "Gaming");
    const states = await alice.page.evaluate(() => window.__barStates);
    assert.ok(states.every((s) => !s.startsWith("red")) && !states.some((s) => s.includes("Disconnected")),
      `never red nor Disconnected on the way: ${JSON.stringify(states)}`);
    const moved = await alice.page.evaluate(() => window.__voiceDebug());
    assert.equal(moved.channelId, "gaming");
    assert.equal(moved.members.find((m) => m.id === moved.userId)?.muted, true, "still muted in Gaming");
    assert.equal(moved.sending, false);
    assert.equal(await alice.page.locator("#mute-button").getAttribute("aria-pressed"), "true");
    assert.equal(await alice.page.locator("#channel-list .channel-row.is-current .channel-name").textContent(), "Gaming");
    for (const { page } of [mod, bob, alice]) {
      await waitForSidebar(page, (s) => s.Gaming?.includes(alice.name) && !s.General?.includes(alice.name), "Alice in Gaming only");
    }
    // Still muted by a moderator there (the space remembers it), past the page's own carry-over.
    await waitForDetail(alice.page, SERVER_MUTED);
    await sleep(3000);
    assert.equal(await alice.page.locator("#voice-detail").textContent(), SERVER_MUTED);
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().serverMuted), true);
    assert.equal((await serverMutedShown(mod.page, alice.name)).sidebar, true, "listed muted by a moderator in Gaming");
    // Unmuted from her row in Gaming (a channel the moderator is not in): her own mute stays.
    await mod.page.getByRole("button", { name: `Options for ${alice.name}` }).click();
    const unmute = mod.page.getByRole("dialog", { name: alice.name });
    await unmute.getByRole("button", { name: "Unmute for everyone" }).click();
    await unmute.getByRole("button", { name: "Mute for everyone" }).waitFor({ timeout: 5_000 });
    await mod.page.keyboard.press("Escape");
    await waitForDetail(alice.page, "Voice connected");
    await waitForMember(mod.page, alice.name, (v) => v.sidebar?.muted === true, "Alice listed muted (her own) in Gaming");
    assert.equal(await alice.page.evaluate(() => window.__voiceDebug().sending), false, "her own mute holds");

    // Her own switch to Music tells Gaming where she goes.
    await clickChannel(alice.page, "Music");
    await expectBar(alice.page, "green", "Music");
    assert.ok(sent.some(({ msg }) => msg.type === "leave" && msg.to === "music"),
      `leave with to: ${JSON.stringify(sent.filter(({ msg }) => msg.type === "leave").map(({ msg }) => msg))}`);

    // A refusal shows the server's sentence: Alice leaves while the moderator's menu is open on her.
    const stale = await openMenu(mod.page, alice.name, "row-right-click");
    await alice.page.evaluate(() => window.__voiceDebug.leave());
    await waitForSidebar(mod.page, (s) => !Object.values(s).some((names) => names.includes(alice.name)), "Alice gone");
    await sleep(500); // the lobby knows within ~100 ms
    await stale.getByRole("button", { name: "Mute for everyone" }).click();
    const direct = await adminPost(`/api/admin/spaces/default/members/${encodeURIComponent(alice.id)}/mute`, { muted: true });
    assert.equal(direct.status, 404);
    await stale.getByRole("alert").filter({ hasText: direct.body.error }).waitFor({ timeout: 5_000 });
    await mod.page.keyboard.press("Escape");

    // Kicked with a one-hour ban: red with the reason; a rejoin is refused.
    const kick = await openMenu(mod.page, bob.name, "tile-keyboard");
    await kick.getByLabel("Ban").selectOption({ label: "1 hour" });
    await kick.getByRole("button", { name: "Kick" }).click();
    await kick.waitFor({ state: "hidden", timeout: 5_000 });
    await expectBar(bob.page, "red", "Disconnected");
    assert.equal(await bob.page.locator("#voice-detail").textContent(), "You were removed from this channel. Click General to rejoin.");
    await waitForSidebar(mod.page, (s) => !s.General?.includes(bob.name), "Bob gone from General");
    await screenshot(bob.page, "kicked.png");
    await clickChannel(bob.page, "General");
    await bob.page.waitForFunction(() => document.getElementById("voice-detail")?.textContent === "You may not join this channel for now.",
      null, { timeout: 10_000 });
    await expectBar(bob.page, "red", "Disconnected");
    for (const { page } of [mod, alice, bob]) assertQuiet(page);
  } finally {
    await closeBrowser(browser);
  }
});
