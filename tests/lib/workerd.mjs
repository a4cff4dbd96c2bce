// A worker on bare `workerd serve` (no wrangler, no proxy worker, no inspector): the fastest
// local runtime, which the benchmarks measure. The capnp config is generated here from what
// wrangler.toml says (vars, compatibility date, Durable Object bindings) — the one generator the
// benchmarks and any serve script share. Static assets are not served (there is no ASSETS
// binding): the API and the sockets are.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { BUILD_DIR, COMPAT_DATE, ROOT, WORKER_NAME, durableObjectBindings, wranglerVars } from "./config.mjs";
import { freePort } from "./net.mjs";
import { spawnGroup } from "./process.mjs";
import { waitForHttp } from "./wait.mjs";

export const WORKERD = join(ROOT, "node_modules", ".bin", "workerd");

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
 * [{binding, className}]}`) on 127.0.0.1:`port` with text bindings `vars`. Durable Objects keep
 * their SQLite in memory, or with `storage: "disk"` under `storageDir`. `tail: {port, module}` adds
 * a tail worker (an ES module file) answering on its own port. `dir` is where the config is
 * written: capnp resolves `embed` paths relative to it.
 */
export function workerdConfig({ dir, worker, vars, port, storageDir, storage = "memory", tail = null }) {
  const rel = (p) => relative(dir, p);
  const bindings = Object.entries(vars).map(([k, v]) => `(name = ${capStr(k)}, text = ${capStr(v)})`);
  for (const { binding, className } of worker.doClasses) {
    bindings.push(`(name = ${capStr(binding)}, durableObjectNamespace = ${capStr(className)})`);
  }
  const namespaces = worker.doClasses.map(({ className }) =>
    `(className = ${capStr(className)}, uniqueKey = ${capStr(`${worker.name}-${className}`)}, enableSql = true)`);
  const mods = worker.modules.map((m) => `(name = ${capStr(m.name)}, ${m.type} = embed ${capStr(rel(m.path))})`);
  const services = [
    `(name = "main", worker = .mainWorker)`,
    `(name = "do-disk", disk = (path = ${capStr(storageDir)}, writable = true))`,
  ];
  const sockets = [`(name = "http", address = ${capStr(`127.0.0.1:${port}`)}, http = (), service = "main")`];
  if (tail) {
    services.push(`(name = "tail", worker = .tailWorker)`);
    sockets.push(`(name = "tail-http", address = ${capStr(`127.0.0.1:${tail.port}`)}, http = (), service = "tail")`);
  }
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(", ")}],
  sockets = [${sockets.join(", ")}],
);
const mainWorker :Workerd.Worker = (
  modules = [${mods.join(", ")}],
  compatibilityDate = ${capStr(COMPAT_DATE)},
  bindings = [${bindings.join(",\n    ")}],
  durableObjectNamespaces = [${namespaces.join(", ")}],
  durableObjectStorage = ${storage === "disk" ? '(localDisk = "do-disk")' : "(inMemory = void)"},
  ${tail ? 'tails = ["tail"],' : ""}
);
${tail ? `const tailWorker :Workerd.Worker = (
  modules = [(name = "tail.js", esModule = embed ${capStr(rel(tail.module))})],
  compatibilityDate = ${capStr(COMPAT_DATE)},
);` : ""}
`;
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
