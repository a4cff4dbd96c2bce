// Lobby flooders on their own thread (node:worker_threads), so writing 256 KiB frames as fast as
// the sockets take them does not stall the test that measures the bystander's roster updates.
// workerData: {url, token, sockets, frameBytes}. Each of `sockets` lobby sockets (one token) writes
// frames while its send buffer is under 4 MiB; a socket the server closes is opened again, until
// told "stop". Posts {opened, refused, frames, closes: {code: n}, limited} then "done".

import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { offerFor } from "../lib/client.mjs";

const { url, token, sockets, frameBytes } = workerData;
const frame = "x".repeat(frameBytes);
const stats = { opened: 0, refused: 0, frames: 0, closes: {}, limited: 0 };
let stopping = false;
const live = new Set();
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  stopping = true;
  for (const ws of live) ws.terminate();
});

function flood() {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}/api/lobby`, offerFor(token), { closeTimeout: 250 });
    live.add(ws);
    ws.on("unexpected-response", (_req, res) => {
      stats.refused++;
      res.resume();
      live.delete(ws);
      resolve();
    });
    ws.on("open", () => {
      stats.opened++;
      const burst = () => {
        while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 4 * 1024 * 1024) {
          ws.send(frame);
          stats.frames++;
        }
        if (ws.readyState === WebSocket.OPEN && !stopping) setTimeout(burst, 1);
      };
      burst();
    });
    ws.on("message", (data) => {
      if (String(data).includes('"rate_limited"')) stats.limited++;
    });
    ws.on("error", () => {});
    ws.on("close", (code) => {
      stats.closes[code] = (stats.closes[code] ?? 0) + 1;
      live.delete(ws);
      resolve();
    });
  });
}

async function loop() {
  while (!stopping) {
    await flood();
    if (!stopping) await new Promise((r) => setTimeout(r, 20));
  }
}

await Promise.all(Array.from({ length: sockets }, loop));
parentPort.postMessage(stats);
parentPort.postMessage("done");
