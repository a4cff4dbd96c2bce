// A flooding client on its own thread (node:worker_threads), so writing tens of thousands of
// frames does not stall the event loop of the test that measures everyone else's latency.
// workerData: {url, channel, victim, tokens: [token...], frames}. For each token in turn, until
// told "stop": join, write `frames` signals to `victim` as fast as the socket takes them, wait
// for the close; posts one report per flooder: {index, sent, code, limited, aliveMs}, then "done".

import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { offerFor, voicePath } from "../lib/client.mjs";

const { url, channel, victim, tokens, frames } = workerData;
let stopping = false;
parentPort.on("message", (m) => {
  if (m === "stop") stopping = true;
});

function flood(token, index) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url + voicePath(channel), offerFor(token), { closeTimeout: 250 });
    let sent = 0;
    let limited = false;
    let started = 0;
    const timer = setTimeout(() => ws.terminate(), 15_000);
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === "error" && msg.reason === "rate_limited") limited = true;
      if (msg.type !== "joined") return;
      started = performance.now();
      const burst = () => {
        for (let k = 0; k < 200 && sent < frames && ws.readyState === WebSocket.OPEN; k++, sent++) {
          ws.send(JSON.stringify({ type: "signal", to: victim, payload: { candidate: { candidate: `candidate:${sent} 1 udp 1 127.0.0.1 9 typ host` } } }));
        }
        if (sent < frames && ws.readyState === WebSocket.OPEN) setImmediate(burst);
      };
      burst();
    });
    ws.on("error", () => {});
    ws.on("close", (code) => {
      clearTimeout(timer);
      resolve({ index, sent, code, limited, aliveMs: started ? performance.now() - started : 0 });
    });
  });
}

for (let i = 0; i < tokens.length && !stopping; i++) {
  parentPort.postMessage(await flood(tokens[i], i));
}
parentPort.postMessage("done");
