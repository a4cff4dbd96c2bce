// The deployment files: docker-compose.yml validates offline, Dockerfile.coturn passes hadolint,
// and the production entrypoint refuses to start without a secret and passes the right options.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../lib/config.mjs";

const run = (cmd, args, env = {}) =>
  spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });

test("docker-compose.yml validates and passes the secret on the command line", () => {
  const ok = run("docker-compose", ["-f", "docker-compose.yml", "config"], { TURN_SECRET: "compose-secret" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /--static-auth-secret=compose-secret/);
  assert.match(ok.stdout, /turnserver\.conf/);
});

test("docker-compose.yml refuses to run without TURN_SECRET", () => {
  const missing = run("docker-compose", ["-f", "docker-compose.yml", "config"]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /TURN_SECRET/);
});

test("Dockerfile.coturn passes hadolint", () => {
  const lint = run("hadolint", ["Dockerfile.coturn"]);
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
});

test("turnserver.conf denies private networks and carries no addresses or secrets", () => {
  const conf = readFileSync(join(ROOT, "coturn", "turnserver.conf"), "utf8");
  for (const range of ["10.0.0.0-10.255.255.255", "172.16.0.0-172.31.255.255", "192.168.0.0-192.168.255.255", "169.254.0.0-169.254.255.255"]) {
    assert.ok(conf.includes(`denied-peer-ip=${range}`), range);
  }
  const settings = conf.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  for (const banned of ["listening-ip", "relay-ip", "external-ip", "static-auth-secret", "cert=", "pkey=", "allow-loopback-peers"]) {
    assert.ok(!settings.some((l) => l.startsWith(banned)), `${banned} must not be in the shared config`);
  }
  assert.ok(settings.includes("use-auth-secret"));
});

test("the production entrypoint refuses to start without a secret, else passes its options", () => {
  const dir = mkdtempSync(join(tmpdir(), "cromulent-entry-"));
  try {
    // A stand-in turnserver that prints its arguments.
    writeFileSync(join(dir, "turnserver"), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n');
    chmodSync(join(dir, "turnserver"), 0o755);
    const PATH = `${dir}:${process.env.PATH}`;
    const refused = spawnSync("sh", ["coturn/entrypoint.sh"], { cwd: ROOT, encoding: "utf8", env: { PATH } });
    assert.equal(refused.status, 64);
    assert.match(refused.stderr, /TURN_SECRET/);
    const started = spawnSync("sh", ["coturn/entrypoint.sh"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH, TURN_SECRET: "prod-secret", TURN_REALM: "turn.example.com", TURN_EXTERNAL_IP: "203.0.113.7" },
    });
    assert.equal(started.status, 0, started.stderr);
    const args = started.stdout.trim().split("\n");
    for (const want of ["--static-auth-secret=prod-secret", "--realm=turn.example.com", "--external-ip=203.0.113.7", "--no-tls"]) {
      assert.ok(args.includes(want), `${want} in ${args.join(" ")}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
