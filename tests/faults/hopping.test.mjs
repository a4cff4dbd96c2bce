// Hopping between channels with the old sockets still open (issue 12, item 9): one user's sockets
// are opened to general, gaming, music, general, gaming, music in quick succession (each waits
// only for the server's first message), none closed by the client. The newest choice must win:
// the last join is accepted and ends up the user's only seat, and every older socket is closed
// 4010 `moved` — none refused 4009 `already_in_channel` because its channel still held an older
// socket of the same user that a newer join elsewhere had already superseded. Before: the newest
// join was refused 4009 in 4 of 4 runs.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { uniqueUser } from "../lib/tokens.mjs";
import { memoryTmpdir, startWorker } from "../lib/miniflare.mjs";

const HOPS = ["general", "gaming", "music", "general", "gaming", "music"];
const RUNS = 4;

describe("hopping between channels with old sockets open", () => {
  let worker;
  let tmp;

  before(async () => {
    tmp = memoryTmpdir();
    worker = await startWorker();
  });
  after(async () => {
    await worker?.dispose();
    await tmp?.cleanup();
  });

  test("the newest join wins: it is never refused, every older socket is moved (4010)", async (t) => {
    const failures = [];
    for (let run = 1; run <= RUNS; run++) {
      const id = uniqueUser("hopper");
      const opened = [];
      for (const channel of HOPS) {
        const socket = await worker.openVoice(channel, id);
        opened.push({ channel, socket, first: await socket.first(3000) });
      }
      const last = opened.at(-1);
      const where = (answer) => answer.channels.filter((c) => c.members.some((m) => m.id === id)).map((c) => c.id);
      const listed = where(await worker.channelsWhen((answer) => where(answer).join() === "music", 3000));
      const codes = await Promise.all(opened.slice(0, -1).map((o) => o.socket.closed(3000).catch(() => "open")));
      const got = opened.map((o, i) => `${o.channel}:${o.first.type === "joined" ? "joined" : o.first.reason}${i < codes.length ? `→${codes[i]}` : ""}`);
      t.diagnostic(`run ${run}: ${got.join(" ")}; listed in ${listed.join(",") || "nothing"}`);
      const problems = [];
      if (last.first.type !== "joined") problems.push(`the last join was refused: ${last.first.reason}`);
      if (last.socket.isClosed) problems.push(`the last socket was closed with ${await last.socket.closed()}`);
      codes.forEach((code, i) => {
        if (code !== 4010) problems.push(`socket ${i + 1} (${HOPS[i]}) ended with ${code}, not 4010`);
      });
      if (listed.join() !== "music") problems.push(`listed in ${listed.join(" and ") || "no channel"}`);
      if (problems.length > 0) failures.push(`run ${run}: ${problems.join("; ")}`);
      worker.closeSockets();
    }
    assert.deepEqual(failures, []);
  });
});
