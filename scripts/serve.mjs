// Writes the self-hosted server's workerd config and prints its path (scripts/serve.sh then execs
// `workerd serve` on it). The config comes from the one generator, tests/lib/workerd.mjs: the
// build's worker and wasm, both Durable Object namespaces with their SQLite files in
// `<data>/do`, the static files of public/, wrangler.toml's [vars] overridden by the environment,
// and the secrets as names only (workerd reads their values from its own environment; they are
// never written to disk).
//
// Usage: node scripts/serve.mjs [--listen HOST:PORT] [--data DIR]
//   --listen  LISTEN, default 127.0.0.1:8787 (0.0.0.0:8787 in the container)
//   --data    DATA_DIR, default ./data (relative to the current directory)
//   the build: CROMULENT_BUILD_DIR, default build/ of this checkout
//   REQUIRED_ENV: comma-separated secret names that must be set (else exit 64)

import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BUILD_DIR } from "../tests/lib/config.mjs";
import { SECRET_NAMES, selfHostConfig } from "../tests/lib/workerd.mjs";

const fail = (message) => {
  process.stderr.write(`serve: ${message}\n`);
  process.exit(64);
};

let args;
try {
  args = parseArgs({
    options: { listen: { type: "string" }, data: { type: "string" }, help: { type: "boolean", short: "h" } },
  }).values;
} catch (e) {
  fail(`${e.message} (usage: scripts/serve.sh [--listen HOST:PORT] [--data DIR])`);
}
if (args.help) {
  process.stderr.write("usage: scripts/serve.sh [--listen HOST:PORT] [--data DIR]  (or LISTEN, DATA_DIR; secrets and variables from the environment)\n");
  process.exit(0);
}

const listen = args.listen ?? process.env.LISTEN ?? "127.0.0.1:8787";
if (!/^(\*|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/.test(listen) || Number(listen.split(":").at(-1)) > 65535) {
  fail(`--listen/LISTEN must be HOST:PORT (e.g. 127.0.0.1:8787, 0.0.0.0:8787, [::]:8787), got ${JSON.stringify(listen)}`);
}
const dataDir = resolve(args.data ?? process.env.DATA_DIR ?? "data");
for (const file of ["index.js", "index_bg.wasm"]) {
  if (!existsSync(join(BUILD_DIR, file))) fail(`${join(BUILD_DIR, file)} is missing: build the worker first (bash scripts/build.sh)`);
}

const configPath = join(dataDir, "workerd.capnp");
const { config, storageDir, secrets } = selfHostConfig({ dataDir, listen, configPath, env: process.env });
// REQUIRED_ENV (the container sets AUTH_SECRET): refuse to start without them rather than
// serve 503s, or hand out TURN credentials coturn will refuse.
const required = (process.env.REQUIRED_ENV ?? "").split(",").map((n) => n.trim()).filter(Boolean);
const absent = required.filter((n) => !secrets.includes(n));
if (absent.length) fail(`${absent.join(", ")} not set (REQUIRED_ENV): put it in the environment or the env file`);
try {
  mkdirSync(storageDir, { recursive: true });
  accessSync(storageDir, constants.W_OK);
  writeFileSync(configPath, config, { mode: 0o644 });
} catch (e) {
  fail(`the data directory ${dataDir} is not writable: ${e.message}`);
}
if (!secrets.includes("AUTH_SECRET")) {
  process.stderr.write("serve: AUTH_SECRET is not set: sign-in and every authenticated route answer 503 not_configured\n");
}
const missing = SECRET_NAMES.filter((n) => !secrets.includes(n) && n !== "AUTH_SECRET");
process.stderr.write(
  `serve: listening on http://${listen}, data in ${storageDir}, build ${BUILD_DIR}; secrets set: ${secrets.join(", ") || "none"}` +
    (missing.length ? ` (unset: ${missing.join(", ")})` : "") + "\n",
);
process.stdout.write(`${configPath}\n`);
