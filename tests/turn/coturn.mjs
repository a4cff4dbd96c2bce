// Starts Debian's coturn on 127.0.0.1 with the very turnserver.conf the Docker image uses, plus
// the test-only switches (loopback addresses, --allow-loopback-peers, no TLS, temp files).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../lib/config.mjs";
import { freePort } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";

export const CONF = join(ROOT, "coturn", "turnserver.conf");

export async function startCoturn({ secret, realm = "cromulent.test", minPort = 49160, maxPort = 49200 }) {
  if (spawnSync("which", ["turnserver"]).status !== 0) throw new Error("turnserver (Debian package coturn) is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "cromulent-coturn-"));
  const args = [
    "-c", CONF,
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    "--listening-ip=127.0.0.1",
    "--relay-ip=127.0.0.1",
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${maxPort}`,
    // Test only: the peers are on loopback.
    "--allow-loopback-peers",
    // Logs every ALLOCATE, which the tests look for.
    "--verbose",
    "--no-tls",
    "--no-dtls",
    `--userdb=${join(dir, "turndb")}`,
    `--pidfile=${join(dir, "turn.pid")}`,
  ];
  // turnserver.conf logs to stdout: collect it for the assertions.
  const proc = spawn("stdbuf", ["-oL", "-eL", "turnserver", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const collect = (chunk) => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  proc.stdout.on("data", collect);
  proc.stderr.on("data", collect);
  const exited = new Promise((r) => proc.once("exit", r));
  // Ready when the port is bound.
  for (let i = 0; i < 50; i++) {
    const ss = spawnSync("ss", ["-Hlun", `sport = :${port}`], { encoding: "utf8" });
    if (ss.stdout.trim() !== "") break;
    await sleep(100);
  }
  return {
    port,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    log: () => log,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs coturn's own client: allocates with `username`/`credential`; resolves to its exit code. */
export function uclient(port, username, credential) {
  return new Promise((resolve) => {
    const proc = spawn(
      "timeout",
      ["20", "turnutils_uclient", "-y", "-c", "-n", "3", "-p", String(port), "-u", username, "-w", credential, "127.0.0.1"],
      { stdio: "ignore" },
    );
    proc.on("exit", (code) => resolve(code));
  });
}
