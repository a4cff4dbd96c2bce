// A worker on bare `workerd serve` (no wrangler, no proxy worker, no inspector). The capnp config
// is generated here from what wrangler.toml says (vars, compatibility date, Durable Object
// bindings) — the one generator shared by the benchmarks (`startWorkerd`, the fastest local
// runtime) and the self-hosted server (`scripts/serve.mjs` → `selfHostConfig`): the same worker
// module and wasm, both Durable Object namespaces (on disk in a data directory, or in memory), the
// static assets (`public/` through `scripts/workerd-assets.js` as the ASSETS binding), `[vars]`,
// and secrets taken from the environment by workerd itself (never written into the config file).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { BUILD_DIR, COMPAT_DATE, ROOT, WORKER_NAME, durableObjectBindings, wranglerVars } from "./config.mjs";
import { freePort } from "./net.mjs";
import { spawnGroup } from "./process.mjs";
import { waitForHttp } from "./wait.mjs";

export const WORKERD = join(ROOT, "node_modules", ".bin", "workerd");
/** The page's static files, served as wrangler.toml's `[assets]` are on Cloudflare. */
export const PUBLIC_DIR = join(ROOT, "public");
/** The small worker that serves `PUBLIC_DIR` as the ASSETS binding (content types, ETags, 404). */
export const ASSETS_WORKER = join(ROOT, "scripts", "workerd-assets.js");

/**
 * Variables the worker reads that are secrets: they go into the config as `fromEnvironment`
 * bindings (workerd reads them with getenv at start), so they are never written to disk.
 */
export const SECRET_NAMES = ["AUTH_SECRET", "TURN_SECRET", "TURN_API_KEY", "TURN_KEY_API_TOKEN", "ADMIN_API_KEY", "WEBHOOK_SECRET"];
/**
 * Plain variables the worker reads beyond wrangler.toml's `[vars]` (those are read from there):
 * set in the environment of scripts/serve.sh, they override the defaults.
 */
export const OPTIONAL_VAR_NAMES = [
  "PUBLIC_ORIGIN", "TURN_URL", "METERED_APP", "METERED_API_URL", "TURN_KEY_ID", "CLOUDFLARE_TURN_API_URL",
  "TEMP_CHANNEL_IDLE_SECS", "WEBHOOK_URL",
];
/** Every plain variable a self-hosted server takes from its environment. */
export function varNames() {
  return [...new Set([...Object.keys(wranglerVars()), ...OPTIONAL_VAR_NAMES])];
}
/**
 * Set by the self-hosted config only: tells the worker where it runs (`GET /api/health` reports
 * it) and that its Durable Objects keep their state in SQLite files on this machine's disk.
 */
export const SELF_HOST_MARKERS = { RUNTIME: "workerd", STORAGE: "disk" };

/** Our worker for workerd: the build's JS glue and wasm, the Durable Objects of wrangler.toml. */
export function ourWorker(buildDir = BUILD_DIR) {
  return {
    name: WORKER_NAME,
    modules: [
      { name: "index.js", type: "esModule", path: join(buildDir, "index.js") },
      { name: "index_bg.wasm", type: "wasm", path: join(buildDir, "index_bg.wasm") },
    ],
    doClasses: durableObjectBindings(),
  };
}

const capStr = (s) => JSON.stringify(String(s));

/**
 * A workerd capnp config serving `worker` (`{name, modules: [{name, type, path}], doClasses:
 * [{binding, className}]}`) on `address` (`host:port`; `127.0.0.1:<port>` when only `port` is
 * given) with text bindings `vars` and `secrets` (names read by workerd from its environment).
 * Durable Objects keep their SQLite in memory, or with `storage: "disk"` under `storageDir`.
 * `assets` (a directory) adds the ASSETS binding serving it. `tail: {port, module}` adds a tail
 * worker (an ES module file) answering on its own port. `dir` is where the config is written:
 * capnp resolves `embed` paths relative to it.
 */
export function workerdConfig({
  dir, worker, vars, secrets = [], port, address = `127.0.0.1:${port}`, storageDir, storage = "memory", assets = null, tail = null,
}) {
  const rel = (p) => relative(dir, p);
  const bindings = Object.entries(vars).map(([k, v]) => `(name = ${capStr(k)}, text = ${capStr(v)})`);
  for (const name of secrets) bindings.push(`(name = ${capStr(name)}, fromEnvironment = ${capStr(name)})`);
  for (const { binding, className } of worker.doClasses) {
    bindings.push(`(name = ${capStr(binding)}, durableObjectNamespace = ${capStr(className)})`);
  }
  if (assets) bindings.push(`(name = "ASSETS", service = "assets")`);
  // The uniqueKey seeds every Durable Object id (idFromName): changing it orphans stored state.
  const namespaces = worker.doClasses.map(({ className }) =>
    `(className = ${capStr(className)}, uniqueKey = ${capStr(`${worker.name}-${className}`)}, enableSql = true)`);
  const mods = worker.modules.map((m) => `(name = ${capStr(m.name)}, ${m.type} = embed ${capStr(rel(m.path))})`);
  const services = [
    `(name = "main", worker = .mainWorker)`,
    `(name = "do-disk", disk = (path = ${capStr(storageDir)}, writable = true))`,
    // The worker's own fetches (TURN provider APIs, WEBHOOK_URL) go to URLs the operator
    // configured, never to one a client chose: a host app on this machine or the private network
    // (a compose service, 127.0.0.1) must be reachable, not only the public internet (workerd's
    // default).
    `(name = "outbound", network = (allow = ["public", "private", "local"]))`,
  ];
  const sockets = [`(name = "http", address = ${capStr(address)}, http = (), service = "main")`];
  if (assets) {
    services.push(`(name = "assets", worker = .assetsWorker)`, `(name = "public-files", disk = (path = ${capStr(resolve(assets))}, writable = false))`);
  }
  if (tail) {
    services.push(`(name = "tail", worker = .tailWorker)`);
    sockets.push(`(name = "tail-http", address = ${capStr(`127.0.0.1:${tail.port}`)}, http = (), service = "tail")`);
  }
  // WORKERD_V8_FLAGS (space-separated; profiling only, e.g. "--perf-basic-prof"): V8 flags.
  const v8Flags = (process.env.WORKERD_V8_FLAGS ?? "").split(/\s+/).filter(Boolean).map(capStr);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(", ")}],
  sockets = [${sockets.join(", ")}],
  ${v8Flags.length ? `v8Flags = [${v8Flags.join(", ")}],` : ""}
);
const mainWorker :Workerd.Worker = (
  modules = [${mods.join(", ")}],
  compatibilityDate = ${capStr(COMPAT_DATE)},
  bindings = [${bindings.join(",\n    ")}],
  durableObjectNamespaces = [${namespaces.join(", ")}],
  durableObjectStorage = ${storage === "disk" ? '(localDisk = "do-disk")' : "(inMemory = void)"},
  globalOutbound = "outbound",
  ${tail ? 'tails = ["tail"],' : ""}
);
${assets ? `const assetsWorker :Workerd.Worker = (
  modules = [(name = "assets.js", esModule = embed ${capStr(rel(ASSETS_WORKER))})],
  compatibilityDate = ${capStr(COMPAT_DATE)},
  bindings = [(name = "FILES", service = "public-files")],
);` : ""}
${tail ? `const tailWorker :Workerd.Worker = (
  modules = [(name = "tail.js", esModule = embed ${capStr(rel(tail.module))})],
  compatibilityDate = ${capStr(COMPAT_DATE)},
);` : ""}
`;
}

/**
 * What a self-hosted server runs, from wrangler.toml and `env` (the server's environment): the
 * plain variables (wrangler.toml's `[vars]`, each overridden by the environment variable of the
 * same name — an empty value unsets it — plus the optional ones set there, plus
 * SELF_HOST_MARKERS) and the names of the secrets set (non-empty) in `env`. Unknown names in
 * `env` are ignored.
 */
export function selfHostBindings(env = process.env) {
  const vars = wranglerVars();
  for (const name of varNames()) {
    if (env[name] !== undefined) vars[name] = env[name];
  }
  for (const [name, value] of Object.entries(vars)) if (value === "") delete vars[name];
  const secrets = SECRET_NAMES.filter((name) => (env[name] ?? "") !== "");
  return { vars: { ...vars, ...SELF_HOST_MARKERS }, secrets };
}

/**
 * The self-hosted server's config: `{config, storageDir}` for `dataDir` (the Durable Objects'
 * SQLite files go to `<dataDir>/do`), `listen` (`host:port`), the build in `buildDir` and the
 * static files in `publicDir`, written as `configPath` (the config's embeds are relative to it).
 */
export function selfHostConfig({ dataDir, listen, configPath, env = process.env, buildDir = BUILD_DIR, publicDir = PUBLIC_DIR }) {
  const storageDir = join(resolve(dataDir), "do");
  const { vars, secrets } = selfHostBindings(env);
  const config = workerdConfig({
    dir: resolve(configPath, ".."), worker: ourWorker(resolve(buildDir)), vars, secrets, address: listen,
    storageDir, storage: "disk", assets: publicDir,
  });
  return { config, storageDir, vars, secrets };
}

/**
 * Starts `worker` (ours by default) on bare workerd. Options: `vars` (default wrangler.toml's;
 * AUTH_SECRET must be among them for the API to work), `port` (a free one by default), `dir` (its
 * files; a new temp dir, removed by `stop()`), `storage`, `tail`, `cpus` (taskset), `inspector`
 * (listen with an inspector, as wrangler dev runs workerd), `healthPath` (waited for; null: do
 * not wait). Returns `{port, url, dir, pid, spawnedAt, output(), running(), stop()}`.
 */
export async function startWorkerd({
  worker = ourWorker(), vars = wranglerVars(), port, dir, storage = "memory", tail = null, cpus, inspector = false,
  healthPath = "/api/health", timeoutMs = 60_000,
} = {}) {
  port ??= await freePort();
  dir ??= mkdtempSync(join(tmpdir(), "cromulent-workerd-"));
  const storageDir = join(dir, "do");
  mkdirSync(storageDir, { recursive: true });
  const configPath = join(dir, "config.capnp");
  writeFileSync(configPath, workerdConfig({ dir, worker, vars, port, storageDir, storage, tail }));
  const inspectorArgs = inspector ? [`--inspector-addr=127.0.0.1:${await freePort()}`] : [];
  const spawnedAt = performance.now();
  const proc = spawnGroup(WORKERD, ["serve", configPath, ...inspectorArgs], { cpus });
  const url = `http://127.0.0.1:${port}`;
  const server = {
    port, url, dir, pid: proc.pid, spawnedAt, output: proc.output, running: proc.running,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (healthPath !== null) {
    try {
      await waitForHttp(url + healthPath, { timeoutMs, alive: proc.running, describe: () => proc.output().slice(-3000) });
    } catch (e) {
      await server.stop();
      throw e;
    }
  }
  return server;
}
