// Servers as child processes that cannot outlive the harness: each in its own process group (so
// stopping `wrangler dev` also stops its workerd and esbuild), optionally pinned to CPUs with
// taskset, its output kept for error messages, and every group still running killed when this
// process exits, whatever the reason.

import { spawn } from "node:child_process";
import { sleep } from "./wait.mjs";

const live = new Set();
let handlersInstalled = false;

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every group still running when this process ends (installed with the first spawn). */
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const child of live) killGroup(child.pid, "SIGKILL");
  };
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Spawns `cmd args` in its own process group, pinned with `taskset -c cpus` when given. `env` is
 * added to this process's environment; `log(text)` sees the output as it comes; `keep` is how many
 * characters of output are kept; `unref` lets this process exit while the child runs (it is still
 * killed on exit). Returns `{child, pid, output(), exited, running(), stop(signal)}`.
 */
export function spawnGroup(cmd, args, { cpus, env, cwd, log, keep = 100_000, unref = false } = {}) {
  installExitHandlers();
  const [file, argv] = cpus ? ["taskset", ["-c", String(cpus), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { env: { ...process.env, ...env }, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (d) => {
    output = (output + d).slice(-keep);
    log?.(String(d));
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  if (unref) {
    child.unref();
    child.stdout.unref();
    child.stderr.unref();
  }
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  live.add(child);
  exited.then(() => live.delete(child));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid,
    output: () => output,
    exited,
    running,
    /**
     * `signal` to the whole group, SIGKILL after `graceMs` if the leader has not exited, then
     * SIGKILL to whatever is left of the group (wrangler's workerd) and a bounded wait for it.
     */
    async stop(signal = "SIGTERM", { graceMs = 3000 } = {}) {
      if (running()) {
        killGroup(child.pid, signal);
        const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup(child.pid, "SIGKILL");
      for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
    },
  };
}
