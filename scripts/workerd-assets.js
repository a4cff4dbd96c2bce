// The ASSETS binding of the self-hosted server (bare workerd, scripts/serve.sh): serves the page's
// static files from a read-only workerd `disk` service (FILES) the way Cloudflare's static assets
// do for this app — `/` and `…/` are `index.html`, a content type by extension, a strong ETag and
// `If-None-Match` → 304, `Cache-Control: public, max-age=0, must-revalidate`, 404 with an empty
// body for anything else, 405 for methods other than GET and HEAD. The Rust worker calls it for
// every path outside /api and adds its security headers to the answer, as on Cloudflare.

const TYPES = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  txt: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/x-icon",
  woff2: "font/woff2",
  woff: "font/woff",
  wav: "audio/wav",
  ogg: "audio/ogg",
  mp3: "audio/mpeg",
  webmanifest: "application/manifest+json",
  wasm: "application/wasm",
};

/** ETags by path, valid while the file's Last-Modified and length stay the same. */
const etags = new Map();

function typeOf(path) {
  const dot = path.lastIndexOf(".");
  const ext = dot > path.lastIndexOf("/") ? path.slice(dot + 1).toLowerCase() : "";
  return TYPES[ext] ?? "application/octet-stream";
}

async function etagOf(path, stamp, body) {
  const known = etags.get(path);
  if (known && known.stamp === stamp) return known.etag;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const etag = `"${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}"`;
  if (etags.size > 1000) etags.clear();
  etags.set(path, { stamp, etag });
  return etag;
}

const notFound = () => new Response(null, { status: 404 });

export default {
  async fetch(request, env) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(null, { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    let path;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return notFound();
    }
    // No dot files, no way out of the folder (the disk service refuses `..` as well).
    if (path.includes("\0") || path.split("/").some((part) => part.startsWith("."))) return notFound();
    if (path.endsWith("/")) path += "index.html";
    const file = await env.FILES.fetch(new Request(`http://files${encodeURI(path)}`));
    // A folder answers with a JSON listing: never shown.
    if (file.status !== 200 || file.headers.get("content-type") === "application/json") {
      await file.body?.cancel();
      return notFound();
    }
    const body = await file.arrayBuffer();
    const stamp = `${file.headers.get("last-modified")}|${body.byteLength}`;
    const etag = await etagOf(path, stamp, body);
    const headers = {
      "Content-Type": typeOf(path),
      "Cache-Control": "public, max-age=0, must-revalidate",
      ETag: etag,
    };
    const inm = request.headers.get("if-none-match");
    if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers["Content-Length"] = String(body.byteLength);
    return new Response(request.method === "HEAD" ? null : body, { headers });
  },
};
