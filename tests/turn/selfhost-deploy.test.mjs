// The self-hosting files without a Docker engine (none runs on these machines): the Dockerfile
// passes hadolint; docker-compose.prod.yml validates with docker-compose (v1) `config`, offline,
// and its resolved form (read with Python's YAML parser) has the health checks, restart
// policies, the data volume and the secrets where they belong; the Dockerfile's pins are the
// ones scripts/setup.sh and package-lock.json use; the build context lets in what the images copy
// and keeps secrets out; and the run stage's files, laid out as its COPY lines say, start and
// pass the image's own HEALTHCHECK command. What is NOT run: `docker build` and the containers.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { BUILD_DIR, ROOT } from "../lib/config.mjs";
import { freePort } from "../lib/net.mjs";
import { spawnGroup } from "../lib/process.mjs";
import { waitForHttp } from "../lib/wait.mjs";

const read = (f) => readFileSync(join(ROOT, f), "utf8");
const DOCKERFILE = read("Dockerfile");
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000, ...opts });

test("the Dockerfile passes hadolint", () => {
  const lint = run("hadolint", ["Dockerfile"]);
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
});

/** `docker-compose -f docker-compose.prod.yml config` with `.env` lines; `{status, stderr, config}`. */
function composeConfig(envLines) {
  const dir = mkdtempSync(join(tmpdir(), "cromulent-compose-"));
  try {
    const envFile = join(dir, ".env");
    writeFileSync(envFile, envLines.join("\n") + "\n");
    const r = run("docker-compose", ["-f", "docker-compose.prod.yml", "--env-file", envFile, "config"], {
      env: { PATH: process.env.PATH, CROMULENT_ENV_FILE: envFile },
    });
    if (r.status !== 0) return { status: r.status, stderr: r.stderr };
    const json = run("python3", ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], { input: r.stdout });
    assert.equal(json.status, 0, json.stderr);
    return { status: 0, config: JSON.parse(json.stdout) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("docker-compose.prod.yml validates: worker + coturn, health checks, restart policies, data on a volume, secrets from .env", () => {
  const { status, stderr, config } = composeConfig(["AUTH_SECRET=auth-secret-x", "TURN_SECRET=turn-secret-y", "PUBLIC_ORIGIN=https://voice.example.com"]);
  assert.equal(status, 0, stderr);
  const { voice, coturn } = config.services;
  for (const [name, s] of Object.entries({ voice, coturn })) {
    assert.equal(s.restart, "unless-stopped", name);
    assert.ok(Array.isArray(s.healthcheck?.test) && s.healthcheck.test[0] === "CMD", `${name} healthcheck`);
  }
  assert.equal(voice.build.dockerfile, "Dockerfile");
  assert.equal(coturn.build.dockerfile, "Dockerfile.coturn");
  assert.ok(voice.volumes.some((v) => /^voice-data:\/data(:rw)?$/.test(v)), JSON.stringify(voice.volumes));
  assert.ok("voice-data" in config.volumes);
  assert.deepEqual(voice.ports, ["127.0.0.1:8787:8787/tcp"], "only the local reverse proxy reaches the worker");
  assert.equal(voice.environment.AUTH_SECRET, "auth-secret-x");
  assert.equal(voice.environment.PUBLIC_ORIGIN, "https://voice.example.com");
  assert.equal(voice.environment.LISTEN, "0.0.0.0:8787");
  assert.match(voice.environment.REQUIRED_ENV, /AUTH_SECRET/);
  assert.equal(coturn.network_mode, "host");
  assert.equal(coturn.environment.TURN_SECRET, "turn-secret-y", "coturn and the worker share TURN_SECRET");
  assert.equal(coturn.environment.AUTH_SECRET, undefined, "coturn never gets AUTH_SECRET");
  assert.match(voice.healthcheck.test.join(" "), /\/api\/health/);
});

test("docker-compose.prod.yml refuses to run without TURN_SECRET", () => {
  const r = composeConfig(["AUTH_SECRET=auth-secret-x"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /TURN_SECRET/);
});

test("the Dockerfile's pins are setup.sh's, package.json's, package-lock.json's and Cargo.toml's", () => {
  const arg = (name) => new RegExp(`^ARG ${name}=(\\S+)$`, "m").exec(DOCKERFILE)?.[1];
  const setup = read("scripts/setup.sh");
  const shell = (name) => new RegExp(`^${name}=(\\S+)`, "m").exec(setup)?.[1];
  assert.equal(arg("WORKER_BUILD_VERSION"), shell("WORKER_BUILD_VERSION"));
  assert.equal(arg("WASM_BINDGEN_VERSION"), shell("WASM_BINDGEN_VERSION"));
  assert.equal(`"=${arg("WASM_BINDGEN_VERSION")}"`, /^wasm-bindgen = ("[^"]+")/m.exec(read("Cargo.toml"))?.[1]);
  assert.equal(arg("ESBUILD_VERSION"), JSON.parse(read("package.json")).devDependencies.esbuild);
  assert.equal(arg("WORKERD_VERSION"), JSON.parse(read("package-lock.json")).packages["node_modules/workerd"].version);
  const nodeImages = [...DOCKERFILE.matchAll(/^FROM node:(\S+?)-bookworm-slim/gm)].map((m) => m[1]);
  assert.equal(nodeImages.length, 2);
  for (const tag of nodeImages) assert.equal(tag, shell("NODE_VERSION"));
  assert.doesNotMatch(DOCKERFILE, /:latest\b/);
});

/** `.dockerignore` is an allowlist: is `path` (relative to the context) sent to the builder? */
function inContext(path) {
  let included = true;
  for (const line of read(".dockerignore").split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    const pattern = (negate ? line.slice(1) : line).replace(/\/$/, "");
    if (pattern === "*" || path === pattern || path.startsWith(`${pattern}/`)) included = negate;
  }
  return included;
}

test("the build context has every file the images copy and no secrets or local state", () => {
  for (const file of ["Dockerfile", "Dockerfile.coturn"]) {
    for (const m of read(file).matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) assert.ok(inContext(src), `${file} copies ${src}`);
    }
  }
  for (const path of [".dev.vars", ".env", "selfhost.env", "node_modules/x", "target/x", "build/index.js", "data/do/x", ".git/config", ".tools/node"]) {
    assert.equal(inContext(path), false, path);
  }
});

/** The run stage (after the last FROM) as a folder: its COPY lines applied to `app`. */
function layOutRunStage(app) {
  const stage = DOCKERFILE.slice(DOCKERFILE.lastIndexOf("\nFROM "));
  const workdir = /^WORKDIR (\S+)$/m.exec(stage)[1];
  const from = { "npm-tools": (p) => join(ROOT, p.replace(/^\/tools\//, "")), build: (p) => p.replace(/^\/src\/build/, BUILD_DIR) };
  for (const m of stage.matchAll(/^COPY (?:--from=(\S+) )?(.+) (\S+)$/gm)) {
    const [, stageName, srcs, dest] = m;
    for (const src of srcs.split(/\s+/)) {
      const source = stageName ? from[stageName](src) : join(ROOT, src);
      const target = dest.endsWith("/") ? join(app, dest, src.split("/").at(-1)) : join(app, dest.replace(/^\.\/?/, ""));
      mkdirSync(dirname(target), { recursive: true });
      if (stageName === "npm-tools") symlinkSync(source, target);
      else cpSync(source, target, { recursive: true });
    }
  }
  const env = {};
  for (const m of stage.matchAll(/(?:^ENV |^\s+)([A-Z_]+)=(\S+?)(?: \\)?$/gm)) env[m[1]] = m[2].replace(workdir, app);
  const health = /^\s+CMD (\[.+\])$/m.exec(stage);
  return { env, entrypoint: JSON.parse(/^ENTRYPOINT (\[.+\])$/m.exec(stage)[1]), healthcheck: JSON.parse(health[1]) };
}

test("the run stage's files start the server (REQUIRED_ENV refuses without AUTH_SECRET) and pass the HEALTHCHECK", async () => {
  assert.ok(existsSync(join(BUILD_DIR, "index.js")), "needs a build (CROMULENT_BUILD_DIR)");
  const dir = mkdtempSync(join(tmpdir(), "cromulent-image-"));
  let proc;
  try {
    const app = join(dir, "app");
    const { env, entrypoint, healthcheck } = layOutRunStage(app);
    assert.equal(env.REQUIRED_ENV, "AUTH_SECRET");
    const port = await freePort();
    const base = { PATH: process.env.PATH, HOME: dir, ...env, LISTEN: `127.0.0.1:${port}`, DATA_DIR: join(dir, "data") };
    const [cmd, ...args] = entrypoint;
    const refused = spawnSync(cmd, args, { cwd: app, env: base, encoding: "utf8", timeout: 30_000 });
    assert.equal(refused.status, 64, refused.stderr);
    assert.match(refused.stderr, /AUTH_SECRET not set/);
    proc = spawnGroup(cmd, args, { cwd: app, env: { ...base, AUTH_SECRET: "image-secret" } });
    await waitForHttp(`http://127.0.0.1:${port}/api/health`, { timeoutMs: 30_000, alive: proc.running, describe: () => proc.output() });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const [hc, ...hcArgs] = healthcheck;
    const healthy = spawnSync(hc, hcArgs, { env: base, encoding: "utf8", timeout: 10_000 });
    assert.equal(healthy.status, 0, healthy.stderr);
    await proc.stop("SIGKILL");
    const down = spawnSync(hc, hcArgs, { env: base, encoding: "utf8", timeout: 10_000 });
    assert.equal(down.status, 1, "the HEALTHCHECK fails once the server is gone");
  } finally {
    await proc?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
