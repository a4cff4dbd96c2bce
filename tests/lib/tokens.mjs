// Tokens, minted and checked the way a host application does (CONTRACT.md "Identity"): HS256
// JWTs signed with AUTH_SECRET, claims `sub`, `name`, `iat`, `exp`.

import { createHmac, randomBytes } from "node:crypto";

/** The AUTH_SECRET the miniflare tests start the worker with. */
export const SECRET = "integration-test-secret-0123456789abcdef";

const b64url = (buf) => Buffer.from(buf).toString("base64url");
export const now = () => Math.floor(Date.now() / 1000);

/**
 * An HS256 JWT signed with `secret`. `claims` is used as given (pass `exp: undefined` to leave it
 * out); `alg` "none" gives an unsigned token, "HS512" one signed with SHA-512.
 */
export function mintToken(claims, { secret = SECRET, alg = "HS256" } = {}) {
  const header = b64url(JSON.stringify({ alg, typ: "JWT" }));
  const body = {};
  for (const [k, v] of Object.entries(claims)) if (v !== undefined) body[k] = v;
  const payload = b64url(JSON.stringify(body));
  const input = `${header}.${payload}`;
  if (alg === "none") return `${input}.`;
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg];
  return `${input}.${createHmac(hash, secret).update(input).digest("base64url")}`;
}

/** A valid token for `user` (an id or `{id, name}`), one hour long, signed with SECRET. */
export function tokenFor(user, extra = {}) {
  const { id, name } = typeof user === "string" ? { id: user, name: user.slice(0, 32) } : user;
  return mintToken({ sub: id, name, iat: now(), exp: now() + 3600, ...extra });
}

/** A one-hour token for `id` signed with `secret` (a server started with its own AUTH_SECRET). */
export const tokenWith = (secret, id, name = id.slice(0, 32)) =>
  mintToken({ sub: id, name, iat: now(), exp: now() + 3600 }, { secret });

/** Verifies an HS256 JWT with `secret`; returns `{header, claims}` or throws. */
export function verifyToken(token, secret = SECRET) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error(`not a JWT: ${token}`);
  const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  if (header.alg !== "HS256") throw new Error(`alg is ${header.alg}, not HS256`);
  const expected = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest("base64url");
  if (expected !== parts[2]) throw new Error("signature does not verify with AUTH_SECRET");
  return { header, claims: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) };
}

let userCounter = 0;
/** A user id no other test uses. */
export function uniqueUser(prefix = "user") {
  userCounter += 1;
  return `${prefix}-${userCounter}-${randomBytes(3).toString("hex")}`;
}
