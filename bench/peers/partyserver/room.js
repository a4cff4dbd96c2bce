// The smallest idiomatic PartyServer room that does our room's job, for comparison on the same
// runtime (bench/README.md): a hibernating Server per room, presence on connect, relay by target
// id, a broadcast, and the same HS256 token check at the edge. Written for the benchmarks; only
// `partyserver` itself comes from the npm registry (bench/package.json).
import { Server, routePartykitRequest } from "partyserver";

const enc = new TextEncoder();
const keys = new Map();

function hmacKey(secret, hash) {
  const id = `${hash}:${secret}`;
  if (!keys.has(id)) {
    keys.set(id, crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash }, false, ["sign", "verify"]));
  }
  return keys.get(id);
}

const b64urlDecode = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

/** The claims of a valid HS256 token signed with `secret`, or null. */
async function verify(token, secret) {
  const parts = (token ?? "").split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0])));
    if (header.alg !== "HS256") return null;
    const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret, "SHA-256"), b64urlDecode(parts[2]),
      enc.encode(`${parts[0]}.${parts[1]}`));
    if (!ok) return null;
    const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1])));
    const now = Date.now() / 1000;
    if (typeof claims.sub !== "string" || typeof claims.name !== "string" || !(claims.exp > now)) return null;
    return claims;
  } catch {
    return null;
  }
}

function bearer(req) {
  const h = req.headers.get("authorization") ?? "";
  return h.startsWith("Bearer ") ? h.slice(7) : null;
}

/** coturn's REST credential: username "<expiry>:<user>", base64(HMAC-SHA1(secret, username)). */
async function coturnCredential(env, userId) {
  const expires = Math.floor(Date.now() / 1000) + Number(env.TURN_TTL_SECS ?? 3600);
  const username = `${expires}:${userId}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(env.TURN_SECRET, "SHA-1"), enc.encode(username));
  const credential = btoa(String.fromCharCode(...new Uint8Array(mac)));
  return { server: { urls: [env.TURN_URL], username, credential }, expires };
}

const member = (c) => ({ id: c.id, name: c.state?.name ?? c.id, muted: false, deafened: false });

export class VoiceRoom extends Server {
  static options = { hibernate: true };

  onStart() {
    // The same heartbeat as ours: `ping` answered by the runtime without waking the object.
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  onConnect(conn, ctx) {
    conn.setState({ name: new URL(ctx.request.url).searchParams.get("name") ?? conn.id });
    const members = [];
    for (const c of this.getConnections()) members.push(member(c));
    conn.send(JSON.stringify({ type: "joined", channel_id: this.name, user_id: conn.id, members }));
    this.broadcast(JSON.stringify({ type: "member_joined", member: member(conn), resumed: false }), [conn.id]);
  }

  onMessage(conn, message) {
    let msg;
    try {
      msg = JSON.parse(message);
    } catch {
      conn.send(JSON.stringify({ type: "error", reason: "bad_message" }));
      return;
    }
    if (msg.type === "signal") {
      const target = this.getConnection(msg.to);
      if (!target) conn.send(JSON.stringify({ type: "error", reason: "unknown_peer" }));
      else target.send(JSON.stringify({ type: "signal", from: conn.id, payload: msg.payload }));
    } else if (msg.type === "speaking") {
      this.broadcast(JSON.stringify({ type: "member_speaking", user_id: conn.id, speaking: !!msg.speaking }), [conn.id]);
    }
  }

  onClose(conn) {
    this.broadcast(JSON.stringify({ type: "member_left", user_id: conn.id }), [conn.id]);
  }
}

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    if (url.pathname === "/api/health") return Response.json({ ok: true });
    if (url.pathname === "/api/ice-servers") {
      const claims = await verify(bearer(req), env.AUTH_SECRET);
      if (!claims) return Response.json({ error: "unauthorized", reason: "unauthorized" }, { status: 401 });
      const { server, expires } = await coturnCredential(env, claims.sub);
      return Response.json({ ice_servers: [{ urls: env.STUN_URLS }, server], expires_at: expires });
    }
    const res = await routePartykitRequest(req, env, {
      // The token rides in the query (partysocket's way); the connection id is the verified user id.
      async onBeforeConnect(request) {
        const u = new URL(request.url);
        const claims = await verify(u.searchParams.get("token"), env.AUTH_SECRET);
        if (!claims) return new Response("unauthorized", { status: 401 });
        u.searchParams.delete("token");
        u.searchParams.set("_pk", claims.sub);
        u.searchParams.set("name", claims.name);
        return new Request(u, request);
      },
    });
    return res ?? new Response("not found", { status: 404 });
  },
};
