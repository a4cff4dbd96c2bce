// Roster merging: the lobby's `roster`, then `channel` updates; nobody is ever listed twice.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyLobbyMsg, uniqueMembers } from "../../public/lobby.js";

const member = (id) => ({ id, name: id.toUpperCase(), muted: false, deafened: false });
const ids = (channels) => Object.fromEntries(channels.map((c) => [c.id, c.members.map((m) => m.id)]));

const roster = {
  type: /** @type {const} */ ("roster"),
  channels: [
    { id: "general", name: "General", members: [member("alice")] },
    { id: "gaming", name: "Gaming", members: [] },
    { id: "music", name: "Music", members: [member("bob")] },
  ],
};

test("a roster replaces everything; channel updates replace one channel's members", () => {
  let channels = applyLobbyMsg([], roster);
  assert.deepEqual(ids(channels), { general: ["alice"], gaming: [], music: ["bob"] });
  channels = applyLobbyMsg(channels, { type: "channel", id: "gaming", members: [member("carol")] });
  assert.deepEqual(ids(channels), { general: ["alice"], gaming: ["carol"], music: ["bob"] });
  channels = applyLobbyMsg(channels, { type: "channel", id: "general", members: [] });
  assert.deepEqual(ids(channels), { general: [], gaming: ["carol"], music: ["bob"] });
  assert.equal(channels[1].name, "Gaming", "names stay");
});

test("a mover is listed once even when the new channel's update comes before the old one's", () => {
  let channels = applyLobbyMsg([], roster);
  channels = applyLobbyMsg(channels, { type: "channel", id: "gaming", members: [member("alice")] });
  assert.deepEqual(ids(channels), { general: [], gaming: ["alice"], music: ["bob"] });
  channels = applyLobbyMsg(channels, { type: "channel", id: "general", members: [] });
  assert.deepEqual(ids(channels), { general: [], gaming: ["alice"], music: ["bob"] });
});

test("the same member twice in one message is listed once", () => {
  let channels = applyLobbyMsg([], {
    type: "roster",
    channels: [{ id: "general", name: "General", members: [member("a"), member("a")] },
      { id: "gaming", name: "Gaming", members: [member("a"), member("b")] }],
  });
  assert.deepEqual(ids(channels), { general: ["a"], gaming: ["b"] });
  channels = applyLobbyMsg(channels, { type: "channel", id: "general", members: [member("b"), member("b")] });
  assert.deepEqual(ids(channels), { general: ["b"], gaming: [] });
});

test("updates for a channel not in the roster, and malformed messages, change nothing", () => {
  const channels = applyLobbyMsg([], roster);
  assert.equal(applyLobbyMsg(channels, { type: "channel", id: "nowhere", members: [member("x")] }), channels);
  assert.equal(applyLobbyMsg(channels, /** @type {any} */ ({ type: "channel", id: "general" })), channels);
  assert.equal(applyLobbyMsg(channels, /** @type {any} */ ({ type: "roster" })), channels);
});

test("a new roster (channels added or renamed) starts over from it", () => {
  let channels = applyLobbyMsg([], roster);
  channels = applyLobbyMsg(channels, { type: "roster", channels: [{ id: "lounge", name: "Lounge", members: [member("bob")] }] });
  assert.deepEqual(ids(channels), { lounge: ["bob"] });
});

test("uniqueMembers keeps the first listing and the order", () => {
  assert.deepEqual(uniqueMembers([member("a"), member("b"), member("a"), member("c")]).map((m) => m.id), ["a", "b", "c"]);
});
