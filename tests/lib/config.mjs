// The repository's worker configuration as every harness needs it: where the repo and the build
// are, and what wrangler.toml says (its `[vars]`, the compatibility date, the Durable Object
// bindings). wrangler.toml is read once, here, so tests, the e2e servers and the benchmarks all
// run the configuration a deployment gets.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The built worker (bash scripts/build.sh); CROMULENT_BUILD_DIR points the tests at another build. */
export const BUILD_DIR = process.env.CROMULENT_BUILD_DIR ?? join(ROOT, "build");
/** The worker's name in wrangler.toml; miniflare addresses Durable Objects by it. */
export const WORKER_NAME = "cromulent-voice";
/** The full variant of the load tests (LOAD_FULL=1); the default is the short CI variant. */
export const FULL = process.env.LOAD_FULL === "1";

const TOML = readFileSync(join(ROOT, "wrangler.toml"), "utf8");

/** Each line of wrangler.toml with the table it sits in (`""` before the first header). */
function tomlLines() {
  let section = "";
  return TOML.split("\n").map((line) => {
    const header = /^\s*\[+([^\]]+)\]+/.exec(line);
    if (header) section = header[1].trim();
    return { line, section, header: header !== null };
  });
}

/** `[vars]` of wrangler.toml, as strings. */
export function wranglerVars() {
  const vars = {};
  for (const { line, section, header } of tomlLines()) {
    if (section !== "vars" || header) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(line.trim());
    if (m) vars[m[1]] = JSON.parse(`"${m[2]}"`);
  }
  return vars;
}

/** `compatibility_date` of wrangler.toml. */
export const COMPAT_DATE = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(TOML)?.[1] ?? "2026-07-30";

/** The `[[durable_objects.bindings]]`: `[{binding, className}]` in file order. */
export function durableObjectBindings() {
  const out = [];
  for (const { line, section, header } of tomlLines()) {
    if (section !== "durable_objects.bindings") continue;
    if (header) out.push({});
    const m = /^\s*(name|class_name)\s*=\s*"([^"]+)"/.exec(line);
    if (m) out.at(-1)[m[1] === "name" ? "binding" : "className"] = m[2];
  }
  return out;
}

/**
 * wrangler.toml with absolute paths and no `[build]` step, so `wrangler dev` serves the build that
 * exists (bash scripts/build.sh) instead of rebuilding it while other work edits src/ or while
 * another server runs the same build/.
 */
export function prebuiltWranglerToml() {
  const out = [];
  for (const { line, section } of tomlLines()) {
    if (section === "build") continue;
    const path = /^(\s*(?:main|directory)\s*=\s*)"([^"]+)"(.*)$/.exec(line);
    if (path && (section === "" || section === "assets") && !isAbsolute(path[2])) {
      out.push(`${path[1]}${JSON.stringify(resolve(ROOT, path[2]))}${path[3]}`);
    } else {
      out.push(line);
    }
  }
  return out.join("\n");
}

/** `base` with `overrides` applied; an override of `undefined` removes the variable. */
export function withVars(base, overrides) {
  const vars = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete vars[k];
    else vars[k] = v;
  }
  return vars;
}
