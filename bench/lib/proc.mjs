// Process accounting from /proc: CPU seconds and resident memory of a process and all of its
// descendants (wrangler dev is a node process with a workerd child), and child-process hygiene.
import { readFileSync, readdirSync } from "node:fs";
import { spawn, execFileSync } from "node:child_process";

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
  } catch {
    return null;
  }
}

/** `pid` and every descendant of it. */
export function tree(pid) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(Number(name));
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    for (const c of children.get(p) ?? []) todo.push(c);
  }
  return out;
}

/** CPU seconds (user + system) used so far by `pid` and its descendants. */
export function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of tree(pid)) {
    const s = stat(p);
    if (s) ticks += s.utime + s.stime;
  }
  return ticks / CLK_TCK;
}

/** Resident memory in bytes of `pid` and its descendants. */
export function rssBytes(pid) {
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

const live = new Set();

/**
 * Spawns `cmd args` in its own process group, pinned with `taskset -c cpus` when given. Every
 * child started here is killed (whole group) when this process exits, whatever the reason.
 */
export function spawnPinned(cmd, args, { cpus, env, cwd, log } = {}) {
  const argv = cpus ? ["taskset", ["-c", String(cpus), cmd, ...args]] : [cmd, args];
  const child = spawn(argv[0], argv[1], {
    env: { ...process.env, ...env },
    cwd,
    detached: true, // own process group: stop() kills wrangler's workerd too
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (d) => {
    output = (output + d).slice(-100_000);
    if (log) log(String(d));
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  live.add(child);
  exited.then(() => live.delete(child));
  return {
    child,
    pid: child.pid,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
      // Anything left in the group (wrangler's workerd) goes too.
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    },
  };
}

function killAll() {
  for (const c of live) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
