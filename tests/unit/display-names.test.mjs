// Namesakes told apart (issue 12, item 7, the page's part): two members in view with the same
// display name get a short tag from their id after it, as text; everyone else shows their name.
import assert from "node:assert/strict";
import { test } from "node:test";
import { displayNames } from "../../public/view.js";

const m = (id, name) => ({ id, name });

test("a unique name is shown as it is", () => {
  const labels = displayNames([m("u1", "Alice"), m("u2", "Bob")]);
  assert.deepEqual([...labels], [["u1", "Alice"], ["u2", "Bob"]]);
});

test("two members with the same name get different short tags from their ids", () => {
  const labels = displayNames([m("g_abc", "Alice"), m("g_xyz", "Alice"), m("u3", "Bob")]);
  const [a, b] = [labels.get("g_abc"), labels.get("g_xyz")];
  assert.match(a, /^Alice · [0-9a-f]{4}$/);
  assert.match(b, /^Alice · [0-9a-f]{4}$/);
  assert.notEqual(a, b);
  assert.equal(labels.get("u3"), "Bob");
});

test("the tag is stable: the same id gets the same label in every render", () => {
  const once = displayNames([m("g_abc", "Alice"), m("g_xyz", "Alice")]);
  const again = displayNames([m("g_xyz", "Alice"), m("g_other", "Carol"), m("g_abc", "Alice")]);
  assert.equal(once.get("g_abc"), again.get("g_abc"));
});

test("names that differ only in case or compatibility form count as the same", () => {
  const labels = displayNames([m("u1", "alice"), m("u2", "ALICE"), m("u3", "\uff21lice")]);
  for (const id of ["u1", "u2", "u3"]) assert.match(labels.get(id), / · [0-9a-f]{4,8}$/);
  assert.ok(labels.get("u1").startsWith("alice · "), "each keeps their own spelling");
  assert.ok(labels.get("u3").startsWith("\uff21lice · "));
});

test("the same member listed twice (a move in flight) is not their own namesake", () => {
  const labels = displayNames([m("u1", "Alice"), m("u1", "Alice")]);
  assert.equal(labels.get("u1"), "Alice");
});

test("many namesakes all get distinct labels", () => {
  const members = Array.from({ length: 300 }, (_, i) => m(`user-${i}`, "Sam"));
  const labels = displayNames(members);
  assert.equal(new Set(labels.values()).size, 300);
});

test("a name with markup stays text", () => {
  const labels = displayNames([m("u1", "<b>x</b>"), m("u2", "<b>x</b>")]);
  assert.ok(labels.get("u1").startsWith("<b>x</b> · "));
});
