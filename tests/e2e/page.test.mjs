// The page around voice: sign-in, names as text, a stale token, a phone-sized screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, BASE_URL, clickChannel, closeBrowser, count, expectBar, launch, screenshot, signIn,
  unique, VIEWPORT, waitForSidebar, watch,
} from "./helpers.mjs";

test("signing in with a name shows the channels, and the token is kept for every tab", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    await watch(page);
    const response = await page.goto(`${BASE_URL}/`);
    const csp = response?.headers()["content-security-policy"] ?? "";
    assert.match(csp, /script-src 'self'/, "the page runs under the server's CSP");
    const input = page.getByLabel("Display name");
    await input.waitFor();
    await screenshot(page, "signin.png");
    const name = unique("Carol");
    await input.fill(name);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator("#channel-list .channel-row").first().waitFor();
    const channels = await page.locator("#channel-list .channel-name").allTextContents();
    assert.deepEqual(channels, ["General", "Gaming", "Music"]);
    assert.equal(await page.locator("#me-name").textContent(), name);

    const tab2 = await context.newPage();
    await watch(tab2);
    await tab2.goto(`${BASE_URL}/`);
    await tab2.locator("#channel-list .channel-row").first().waitFor();
    assert.equal(await tab2.locator("#me-name").textContent(), name, "same user in the second tab");

    await tab2.getByRole("button", { name: "Sign out" }).click();
    await tab2.getByLabel("Display name").waitFor();
    // The other tab follows (the token is gone from this browser).
    await page.getByLabel("Display name").waitFor({ timeout: 5000 });
    assertQuiet(page);
    assertQuiet(tab2);
  } finally {
    await closeBrowser(browser);
  }
});

test("names are shown as text, never as HTML", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const name = "<img src=x onerror=alert(1)>";
    const mallory = await signIn(browser, name);
    await clickChannel(mallory.page, "Gaming");
    await expectBar(mallory.page, "green", "Gaming");
    await waitForSidebar(mallory.page, (s) => count(s, "Gaming", name) === 1, "the name as text under Gaming");
    assert.equal(await mallory.page.locator("#app img").count(), 0, "no element made from the name");
    assert.equal(await mallory.page.locator("#me-name").textContent(), name);
    await mallory.page.locator("#tiles .tile-name", { hasText: name }).waitFor();
    assertQuiet(mallory.page);
  } finally {
    await closeBrowser(browser);
  }
});

test("a token the server refuses sends the page back to sign-in", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    await context.addInitScript(() => {
      if (!sessionStorage.getItem("seeded")) {
        sessionStorage.setItem("seeded", "1");
        localStorage.setItem("cromulent-voice.token", "not-a-valid-token");
        localStorage.setItem("cromulent-voice.user", JSON.stringify({ id: "ghost", name: "Ghost" }));
      }
    });
    const page = await context.newPage();
    await watch(page);
    await page.goto(`${BASE_URL}/`);
    await page.getByLabel("Display name").waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => localStorage.getItem("cromulent-voice.token")), null);
    assertQuiet(page);
  } finally {
    await closeBrowser(browser);
  }
});

test("at 375 px wide the sidebar fills the screen and the voice bar works", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const phone = { width: 375, height: 667 };
    const dave = await signIn(browser, unique("Dave"), { viewport: phone });
    await clickChannel(dave.page, "General");
    await expectBar(dave.page, "green", "General");
    const layout = await dave.page.evaluate(() => {
      const nav = document.querySelector(".sidebar")?.getBoundingClientRect();
      const bar = document.getElementById("voice-bar")?.getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        navWidth: nav?.width,
        barBottom: bar?.bottom,
        leaveVisible: document.getElementById("leave-button")?.getClientRects().length === 1,
      };
    });
    assert.ok(layout.scrollWidth <= phone.width, `no sideways scrolling (${layout.scrollWidth})`);
    assert.equal(layout.navWidth, phone.width, "the sidebar is the whole width");
    assert.ok(layout.barBottom !== undefined && layout.barBottom <= phone.height, "the voice bar is on screen");
    assert.ok(layout.leaveVisible);
    await dave.page.getByRole("button", { name: "Leave" }).click();
    assert.equal(await dave.page.locator("#voice-bar").isHidden(), true);
    assertQuiet(dave.page);
  } finally {
    await closeBrowser(browser);
  }
});
