// A token handed over in a link (`#token=<jwt>`, issue 16): taken out of the fragment, its claims
// read (space, role, channels; defaults for tokens without them), refused when unreadable or expired.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_SPACE, readClaims, takeFragmentToken, whoFromLink } from "../../public/session.js";
import { mintToken } from "../lib/tokens.mjs";

const NOW = 1_800_000_000;
const token = (claims) => mintToken({ sub: "u1", name: "Alice", exp: NOW + 3600, ...claims });

test("the token is taken out of the fragment, other parameters stay", () => {
  assert.deepEqual(takeFragmentToken("#token=a.b.c"), { token: "a.b.c", fragment: "" });
  assert.deepEqual(takeFragmentToken("#x=1&token=a.b.c&y=2"), { token: "a.b.c", fragment: "#x=1&y=2" });
  assert.deepEqual(takeFragmentToken("token=a.b.c"), { token: "a.b.c", fragment: "" }, "with or without the #");
  assert.deepEqual(takeFragmentToken("#token="), { token: "", fragment: "" }, "an empty token is still a link");
});

test("a fragment without a token is no link", () => {
  assert.equal(takeFragmentToken(""), null);
  assert.equal(takeFragmentToken("#"), null);
  assert.equal(takeFragmentToken("#channel=general"), null);
});

test("a guest token reads as a member of the default space, allowed every channel", () => {
  assert.deepEqual(readClaims(token({})), {
    sub: "u1", name: "Alice", exp: NOW + 3600, space: DEFAULT_SPACE, role: "member", channels: null,
  });
});

test("a host app's claims are read: space, moderator role, channels", () => {
  const claims = readClaims(token({ space: "acme", role: "moderator", channels: ["lounge", "ops"] }));
  assert.equal(claims?.space, "acme");
  assert.equal(claims?.role, "moderator");
  assert.deepEqual(claims?.channels, ["lounge", "ops"]);
});

test("an unknown role reads as member; a non-string space as the default one", () => {
  assert.equal(readClaims(token({ role: "admin" }))?.role, "member");
  assert.equal(readClaims(token({ space: 7 }))?.space, DEFAULT_SPACE);
});

test("names and ids outside ASCII survive the base64url payload", () => {
  const claims = readClaims(token({ sub: "用户-١", name: "Zoë 🎧" }));
  assert.equal(claims?.sub, "用户-١");
  assert.equal(claims?.name, "Zoë 🎧");
});

test("what is not a readable token has no claims", () => {
  for (const bad of [undefined, "", "a.b", "a.b.c.d", "x.!!!.y", `x.${Buffer.from("[1]").toString("base64url")}.y`,
    `x.${Buffer.from("not json").toString("base64url")}.y`, `x.${Buffer.from([0xff, 0xfe]).toString("base64url")}.y`]) {
    assert.equal(readClaims(bad), null, String(bad));
  }
  for (const missing of [{ sub: undefined }, { name: undefined }, { exp: undefined }, { sub: "" }, { exp: "soon" }]) {
    assert.equal(readClaims(token(missing)), null, JSON.stringify(missing));
  }
});

test("a link's token makes the user from its claims", () => {
  const t = token({ space: "acme" });
  assert.deepEqual(whoFromLink(t, NOW), { token: t, user: { id: "u1", name: "Alice" } });
});

test("an expired or unreadable link is refused with a sentence", () => {
  assert.match(/** @type {any} */ (whoFromLink(token({ exp: NOW - 1 }), NOW)).error, /expired/);
  assert.match(/** @type {any} */ (whoFromLink(token({ exp: NOW }), NOW)).error, /expired/);
  assert.match(/** @type {any} */ (whoFromLink("garbage", NOW)).error, /not valid/);
});
