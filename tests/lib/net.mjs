// Loopback networking for tests: a free port, and a TCP proxy whose connections can be cut off
// without a trace (a laptop lid closed, a NAT entry dropped). Everything listens on 127.0.0.1.

import { createServer, connect as tcpConnect } from "node:net";

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released; coturn also gets UDP on it). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Forwards 127.0.0.1:<port> to `target` (a URL). `blackhole()` makes every current connection
 * half-open: nothing is forwarded either way any more and nothing is closed, so the server keeps
 * a socket whose client is gone (a laptop lid closed, a NAT entry dropped).
 */
export async function startProxy(target) {
  const { hostname, port: targetPort } = new URL(target);
  const pairs = new Set();
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(targetPort), hostname);
    const pair = { client, upstream, dead: false };
    pairs.add(pair);
    const forward = (from, to) =>
      from.on("data", (d) => {
        if (!pair.dead) to.write(d);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", () => {
        if (!pair.dead) end();
      });
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Every connection open now goes silent in both directions (nothing is closed). */
    blackhole() {
      for (const pair of pairs) pair.dead = true;
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise((r) => server.close(r));
    },
  };
}
