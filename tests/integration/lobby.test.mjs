// The lobby: a live roster of every channel, for the sidebar.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { uniqueUser } from "../lib/tokens.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { ids } from "../lib/fixtures.mjs";

const CONFIGURED = Array.from({ length: 20 }, (_, i) => ({ id: `l${i}`, name: `Lobby ${i}` }));

describe("lobby", () => {
  let worker;
  let used = 0;
  const freshChannel = () => `l${used++}`;

  before(async () => {
    worker = await startWorker({ vars: { VOICE_CHANNELS: CONFIGURED.map((c) => `${c.id}:${c.name}`).join(",") } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  /** The next update for `channel` whose members satisfy `where`. */
  const updateFor = (lobby, channel, where, timeoutMs = 2000) =>
    lobby.next("channel", timeoutMs, (m) => m.id === channel && where(ids(m.members)));

  test("the first message is the roster of every configured channel", async () => {
    const { roster } = await worker.openLobby();
    assert.deepEqual(roster, {
      type: "roster",
      channels: CONFIGURED.map((c) => ({ ...c, max_members: 16, temporary: false, members: [] })),
    });
  });

  test("a join is announced with the channel's members", async () => {
    const channel = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const a = uniqueUser("a");
    await worker.join(channel, { id: a, name: "Ann" });
    const update = await updateFor(lobby, channel, (m) => m.includes(a));
    assert.deepEqual(update, {
      type: "channel",
      id: channel,
      members: [{ id: a, name: "Ann", muted: false, deafened: false, server_muted: false }],
    });
  });

  test("a leave is announced", async () => {
    const channel = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const a = uniqueUser("a");
    const b = uniqueUser("b");
    const first = await worker.join(channel, a);
    await worker.join(channel, b);
    await updateFor(lobby, channel, (m) => m.includes(a) && m.includes(b));
    first.socket.send({ type: "leave" });
    const update = await updateFor(lobby, channel, (m) => !m.includes(a));
    assert.deepEqual(ids(update.members), [b]);
  });

  test("a clean close is announced", async () => {
    const channel = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const a = uniqueUser("a");
    const { socket } = await worker.join(channel, a);
    await updateFor(lobby, channel, (m) => m.includes(a));
    socket.close(1000);
    const update = await updateFor(lobby, channel, (m) => !m.includes(a));
    assert.deepEqual(update.members, []);
  });

  test("a state change is announced", async () => {
    const channel = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const a = uniqueUser("a");
    const { socket } = await worker.join(channel, a);
    await updateFor(lobby, channel, (m) => m.includes(a));
    socket.send({ type: "state", muted: true, deafened: true });
    const update = await lobby.next("channel", 2000, (m) => m.id === channel && m.members.some((x) => x.id === a && x.muted));
    const me = update.members.find((x) => x.id === a);
    assert.equal(me.muted, true);
    assert.equal(me.deafened, true);
  });

  test("a move is announced for both channels", async () => {
    const from = freshChannel();
    const to = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const a = uniqueUser("a");
    await worker.join(from, a);
    await updateFor(lobby, from, (m) => m.includes(a));
    await worker.join(to, a);
    assert.deepEqual((await updateFor(lobby, to, (m) => m.includes(a))).members.map((m) => m.id), [a]);
    assert.deepEqual((await updateFor(lobby, from, (m) => !m.includes(a))).members, []);
  });

  test("a lobby opened later gets the current roster", async () => {
    const channel = freshChannel();
    const { socket: observer } = await worker.openLobby();
    const a = uniqueUser("a");
    await worker.join(channel, a);
    await updateFor(observer, channel, (m) => m.includes(a)); // the lobby knows by now
    const { roster } = await worker.openLobby();
    const entry = roster.channels.find((c) => c.id === channel);
    assert.deepEqual(ids(entry.members), [a]);
  });

  test("GET /api/channels reflects the same rosters as the lobby", async () => {
    const channel = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const a = uniqueUser("a");
    const b = uniqueUser("b");
    await worker.join(channel, a);
    const second = await worker.join(channel, b);
    second.socket.send({ type: "state", muted: true, deafened: false });
    const update = await lobby.next(
      "channel",
      2000,
      (m) => m.id === channel && m.members.some((x) => x.id === b && x.muted),
    );
    const listed = (await worker.channelsNow()).channels.find((c) => c.id === channel);
    const byId = (list) => [...list].sort((x, y) => x.id.localeCompare(y.id));
    assert.deepEqual(byId(listed.members), byId(update.members));
  });

  test("the lobby answers ping with pong", async () => {
    const { socket } = await worker.openLobby();
    socket.send("ping");
    assert.equal(await socket.nextText("pong"), "pong");
  });

  test("every lobby gets the updates", async () => {
    const channel = freshChannel();
    const one = await worker.openLobby();
    const two = await worker.openLobby();
    const a = uniqueUser("a");
    await worker.join(channel, a);
    await updateFor(one.socket, channel, (m) => m.includes(a));
    await updateFor(two.socket, channel, (m) => m.includes(a));
  });
});

// Its own instance: while rooms are in memory they may keep references to the lobby, and workerd
// refuses to evict an object with active references.
describe("lobby hibernation", () => {
  let worker;
  before(async () => {
    worker = await startWorker();
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("lobby subscribers still get updates after the lobby hibernates", async () => {
    const { socket: lobby } = await worker.openLobby();
    await worker.hibernate("Lobby", "lobby");
    const a = uniqueUser("a");
    await worker.join("general", a);
    const update = await lobby.next("channel", 3000, (m) => m.id === "general" && ids(m.members).includes(a));
    assert.deepEqual(ids(update.members), [a]);
  });
});
