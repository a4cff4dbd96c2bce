// The example host app's backend: plain node:http, no dependencies. It serves the page
// (index.html, with the voice server's origin filled in) and answers `POST /token` by asking the
// voice server's admin API for a token (`POST /api/admin/tokens` with ADMIN_API_KEY). The key
// stays here: the browser only ever sees the token minted for its user.
//
//   VOICE_URL=http://127.0.0.1:8787 ADMIN_API_KEY=... node examples/host-app/server.mjs
//
// Environment: VOICE_URL (the voice server, default http://127.0.0.1:8787), ADMIN_API_KEY
// (required), PORT (default 8790), HOST (default 127.0.0.1), VOICE_SPACE (the space the tokens
// name; unset: the default space).
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";

const VOICE_URL = new URL(process.env.VOICE_URL ?? "http://127.0.0.1:8787").origin;
const ADMIN_API_KEY = process.env.ADMIN_API_KEY ?? "";
const PORT = Number(process.env.PORT ?? 8790);
const HOST = process.env.HOST ?? "127.0.0.1";
const SPACE = process.env.VOICE_SPACE || undefined;
/** A token's lifetime: long enough for a session in the host app, short enough to matter. */
const TTL_SECS = 6 * 3600;
const MAX_BODY = 4096;

if (!ADMIN_API_KEY) {
  console.error("host-app: set ADMIN_API_KEY (the voice server's admin key)");
  process.exit(1);
}

// The page, with the voice server's origin where it imports the client module from.
const PAGE = readFileSync(new URL("./index.html", import.meta.url), "utf8")
  .replaceAll("__VOICE_ORIGIN__", VOICE_URL);

/** @param {http.ServerResponse} res @param {number} status @param {unknown} body */
function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** The request's JSON body (at most MAX_BODY bytes), or null. @param {http.IncomingMessage} req */
async function readJson(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return null;
  }
}

/**
 * `POST /token {"name"}`: a voice token for this browser's user. A real host app takes the user
 * from its own session (its user id as `sub`, its display name, the channels they may join);
 * this example has no accounts, so each sign-in is a new user.
 */
async function mintToken(req, res) {
  const body = await readJson(req);
  const name = typeof body?.name === "string" ? body.name.trim() : "";
  if (!name || [...name].length > 32) return json(res, 400, { error: "A name has 1 to 32 characters." });
  const request = { sub: `host-${randomUUID()}`, name, ttl_secs: TTL_SECS, ...(SPACE ? { space: SPACE } : {}) };
  let answer;
  try {
    answer = await fetch(`${VOICE_URL}/api/admin/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    console.error(`host-app: the voice server did not answer: ${err}`);
    return json(res, 502, { error: "The voice server did not answer." });
  }
  const minted = await answer.json().catch(() => null);
  if (!answer.ok || typeof minted?.token !== "string") {
    // Its error sentence is safe to pass on (never the key); log the status for the operator.
    console.error(`host-app: POST /api/admin/tokens answered ${answer.status} ${minted?.reason ?? ""}`);
    return json(res, answer.status === 400 ? 400 : 502, { error: minted?.error ?? "No token from the voice server." });
  }
  json(res, 200, { token: minted.token, expires_at: minted.expires_at, user: { id: request.sub, name } });
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://host").pathname;
  if (req.method === "GET" && (path === "/" || path === "/index.html")) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    return res.end(PAGE);
  }
  if (req.method === "POST" && path === "/token") {
    return mintToken(req, res).catch((err) => {
      console.error("host-app:", err);
      if (!res.headersSent) json(res, 500, { error: "Something went wrong." });
    });
  }
  json(res, 404, { error: "Not found." });
});

server.listen(PORT, HOST, () => {
  console.log(`host-app: http://${HOST}:${PORT} (voice server ${VOICE_URL}${SPACE ? `, space ${SPACE}` : ""})`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
