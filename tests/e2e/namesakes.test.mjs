// Two people with the same display name in one channel (issue 12, item 7): the page tells them
// apart with a short tag from each one's id ("Sam · 3f2a"), as text, the same in the sidebar and
// on the tiles; a name nobody shares stays as it is.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertQuiet, closeBrowser, joinInTurn, launch, sidebar, signIn, unique, waitForSidebar,
} from "./helpers.mjs";

test("namesakes in a channel get a short tag from their id, in the sidebar and on the tiles", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const name = unique("Sam");
    const first = await signIn(browser, name);
    const second = await signIn(browser, name);
    const other = await signIn(browser, unique("Robin"));
    await joinInTurn([first, second, other], "General");
    const tagged = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} · [0-9a-f]{4,8}$`);
    for (const { page } of [first, second, other]) {
      await waitForSidebar(page, (s) => (s.General ?? []).filter((n) => tagged.test(n)).length === 2, "two tagged namesakes under General");
      const listed = (await sidebar(page)).General;
      const sams = listed.filter((n) => tagged.test(n));
      assert.notEqual(sams[0], sams[1], "the two tags differ");
      assert.ok(listed.includes(other.name), "a name nobody shares is shown as it is");
      const tiles = await page.locator("#tiles .tile-name").allTextContents();
      assert.deepEqual(tiles.filter((n) => tagged.test(n)).sort(), [...sams].sort(), "the tiles show the same labels");
      assertQuiet(page);
    }
  } finally {
    await closeBrowser(browser);
  }
});
