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
 * a socket whose client is gone (a laptop lid closed, a NAT entry dropped). `cut()` closes
 * connections (a FIN both ways: a Wi-Fi blip the browser notices), `refuse()` closes new ones as
 * soon as their request arrives (the network still down) until `accept()`. Those three take an
 * optional `match` (a RegExp or a substring of the request's path, e.g. "/voice"): only the
 * connections whose first request line matches are touched (all when it is absent).
 */
export async function startProxy(target) {
  const { hostname, port: targetPort } = new URL(target);
  const pairs = new Set();
  let refusing = null;
  const matches = (pair, match) =>
    match === undefined || (pair.path !== null && (match instanceof RegExp ? match.test(pair.path) : pair.path.includes(match)));
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(targetPort), hostname);
    const pair = { client, upstream, dead: false, path: null };
    pairs.add(pair);
    client.once("data", (d) => {
      pair.path = /^[A-Z]+ (\S+)/.exec(d.toString("latin1", 0, Math.min(d.length, 2048)))?.[1] ?? "";
      if (refusing && matches(pair, refusing.match)) {
        pair.dead = true;
        refusing.count += 1;
        client.end();
        upstream.destroy();
      }
    });
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
    /** Every connection open now (that matches) goes silent in both directions (nothing is closed). */
    blackhole(match) {
      for (const pair of pairs) if (matches(pair, match)) pair.dead = true;
    },
    /** Closes the connections open now (that match) with a FIN both ways; returns how many. */
    cut(match) {
      let n = 0;
      for (const pair of [...pairs]) {
        if (!matches(pair, match)) continue;
        n += 1;
        pair.dead = true;
        pairs.delete(pair);
        pair.client.end();
        pair.upstream.end();
      }
      return n;
    },
    /** New connections (that match) are closed as soon as their request arrives, until `accept()`. */
    refuse(match) {
      refusing = { match, count: 0 };
    },
    /** Lets new connections through again; returns how many were refused meanwhile. */
    accept() {
      const n = refusing?.count ?? 0;
      refusing = null;
      return n;
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
