// Sockets do not outlive their token (issue 12, item 5): a voice socket and a lobby socket opened
// with a token that expires in ~3 s get `error` `token_expired` and close 4001 when it does; the
// member is removed at once (others get `member_left`, the lobby drops them), and sockets opened
// with longer tokens stay. Before: both stayed open for as long as the client kept them.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mintToken, now, uniqueUser } from "../lib/tokens.mjs";
import { firstOf, voicePath } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";

const LIFE_SECS = 3;

describe("token expiry", () => {
  let worker;

  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
  });

  test("voice and lobby sockets are closed with token_expired (4001) when their token expires", async () => {
    const shortId = uniqueUser("short");
    const exp = now() + LIFE_SECS;
    const token = mintToken({ sub: shortId, name: "Short", iat: now(), exp });
    const bob = await worker.join("general", uniqueUser("bob"));
    const voice = await worker.upgrade(voicePath("general"), { token });
    assert.equal(voice.status, 101);
    await firstOf(voice.socket, "joined", 3000);
    const lobby = await worker.upgrade("/api/lobby", { token });
    assert.equal(lobby.status, 101);
    await firstOf(lobby.socket, "roster", 3000);
    const watcher = await worker.openLobby();

    const waitMs = (exp - Date.now() / 1000) * 1000 + 3000;
    const voiceError = await voice.socket.next("error", waitMs);
    const lobbyError = await lobby.socket.next("error", waitMs);
    assert.equal(voiceError.reason, "token_expired");
    assert.equal(lobbyError.reason, "token_expired");
    assert.equal(await voice.socket.closed(2000), 4001);
    assert.equal(await lobby.socket.closed(2000), 4001);
    assert.ok(Date.now() / 1000 >= exp - 0.05, "closed before the token expired");

    assert.equal((await bob.socket.next("member_left", 2000)).user_id, shortId);
    await watcher.socket.next("channel", 2000, (m) => m.id === "general" && !m.members.some((x) => x.id === shortId));
    // Sockets with longer tokens stay.
    assert.equal(bob.socket.isClosed, false);
    assert.equal(watcher.socket.isClosed, false);
  });
});
