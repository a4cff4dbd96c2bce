// Channels created, renamed and deleted at runtime (issue 16): every lobby `roster` replaces the
// sidebar's channels, an older `GET /api/channels` never undoes one, a deleted channel keeps its
// name for the voice bar, and full channels and the red state's words follow the channel.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Lobby, isFull } from "../../public/lobby.js";
import { endedDetail } from "../../public/render.js";

const member = (id) => ({ id, name: id.toUpperCase(), muted: false, deafened: false });
const channel = (id, name, extra = {}) => ({ id, name, max_members: 16, temporary: false, members: [], ...extra });

function lobby() {
  let changes = 0;
  const l = new Lobby({ token: "t", onChange: () => { changes += 1; }, mayReconnect: async () => true });
  return { l, changes: () => changes };
}

test("each roster replaces the channel list: added, renamed and deleted channels show", () => {
  const { l, changes } = lobby();
  l.received({ type: "roster", channels: [channel("general", "General"), channel("lounge", "Lounge", { temporary: true })] });
  l.received({ type: "roster", channels: [channel("general", "Town square"), channel("ops", "Ops")] });
  assert.deepEqual(l.channels.map((c) => [c.id, c.name]), [["general", "Town square"], ["ops", "Ops"]]);
  assert.equal(changes(), 2);
  assert.equal(l.has("lounge"), false);
});

test("max_members and temporary are kept through channel updates", () => {
  const { l } = lobby();
  l.received({ type: "roster", channels: [channel("lounge", "Lounge", { temporary: true, max_members: 2 })] });
  l.received({ type: "channel", id: "lounge", members: [member("a")] });
  assert.deepEqual(l.channels[0], { ...channel("lounge", "Lounge", { temporary: true, max_members: 2 }), members: [member("a")] });
});

test("an answer of GET /api/channels that arrives after the lobby's roster changes nothing", () => {
  const { l } = lobby();
  l.received({ type: "roster", channels: [] });
  l.fillIn([channel("gone", "Deleted meanwhile")]);
  assert.deepEqual(l.channels, []);
});

test("before any roster, GET /api/channels fills the sidebar in", () => {
  const { l } = lobby();
  l.fillIn([channel("general", "General", { members: [member("a")] })]);
  assert.deepEqual(l.channels.map((c) => c.id), ["general"]);
});

test("a deleted channel is still called by its last name", () => {
  const { l } = lobby();
  l.received({ type: "roster", channels: [channel("lounge", "Lounge")] });
  l.received({ type: "roster", channels: [channel("lounge", "Chill")] });
  l.received({ type: "roster", channels: [] });
  assert.equal(l.channelName("lounge"), "Chill");
  assert.equal(l.channelName("never-seen"), "never-seen");
  assert.equal(l.channelName(null), "");
});

test("a channel is full when its members reach max_members (never without a limit)", () => {
  assert.equal(isFull(channel("a", "A", { max_members: 2, members: [member("x")] })), false);
  assert.equal(isFull(channel("a", "A", { max_members: 2, members: [member("x"), member("y")] })), true);
  assert.equal(isFull(channel("a", "A", { max_members: 1, members: [member("x"), member("y")] })), true,
    "a limit lowered below the members in it");
  assert.equal(isFull({ id: "a", name: "A", members: [member("x")] }), false, "a server before v1.1");
});

test("the red state offers a rejoin only while the channel exists", () => {
  assert.equal(endedDetail("channel_deleted", "Lounge", true), "This channel was deleted.");
  assert.equal(endedDetail("channel_deleted", "Lounge", false), "This channel was deleted.");
  assert.equal(endedDetail("channel_full", "Lounge", true), "This channel is full. Click Lounge to rejoin.");
  assert.equal(endedDetail("kicked", "Lounge", false), "You were removed from this channel.");
});
