// The client module's TypeScript declarations (public/types/, served as /types/voice.d.ts for host
// apps) are generated from its JSDoc by scripts/types.sh: regenerated here into a temporary
// folder, they must equal the committed ones, so the two never drift apart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const COMMITTED = path.join(ROOT, "public/types");

const declarations = (dir) => readdirSync(dir).filter((f) => f.endsWith(".d.ts")).sort();

test("the committed declarations are what scripts/types.sh generates from the JSDoc", () => {
  const fresh = mkdtempSync(path.join(tmpdir(), "cv-types-"));
  try {
    const run = spawnSync("bash", [path.join(ROOT, "scripts/types.sh"), fresh], { encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, `scripts/types.sh failed:\n${run.stdout}${run.stderr}`);
    const files = declarations(fresh);
    assert.ok(files.includes("voice.d.ts"), `no voice.d.ts among ${files.join(", ")}`);
    assert.deepEqual(declarations(COMMITTED), files, "the same files (run bash scripts/types.sh and commit public/types/)");
    for (const file of files) {
      assert.equal(readFileSync(path.join(COMMITTED, file), "utf8"), readFileSync(path.join(fresh, file), "utf8"),
        `public/types/${file} is stale: run bash scripts/types.sh and commit it`);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});

test("voice.d.ts declares the contract's VoiceRoom: constructor, methods and options", () => {
  const voice = readFileSync(path.join(COMMITTED, "voice.d.ts"), "utf8");
  assert.match(voice, /export declare class VoiceRoom extends EventTarget/);
  assert.match(voice, /constructor\(options: VoiceRoomOptions\)/);
  for (const method of ["join", "leave", "setMuted", "setDeafened", "setInputMode", "setPushToTalk",
    "setVoiceThreshold", "setMemberVolume", "setMemberMuted"]) {
    assert.match(voice, new RegExp(`\\n    ${method}\\(`), `VoiceRoom.${method}`);
  }
  const api = readFileSync(path.join(COMMITTED, "voice-api.d.ts"), "utf8");
  for (const option of ["channelId: string", "token: string", "baseUrl\\?: string \\| URL", "sessionId\\?",
    "iceTransportPolicy\\?"]) {
    assert.match(api, new RegExp(option), option);
  }
  assert.match(api, /export type VoiceRoomEvents = \{/);
});

test("a host app written in strict TypeScript compiles against them, and misuse does not", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cv-host-ts-"));
  const types = JSON.stringify(path.join(COMMITTED, "voice.js")).slice(1, -1);
  const api = JSON.stringify(path.join(COMMITTED, "voice-api.js")).slice(1, -1);
  // Each @ts-expect-error fails the compile if the line is NOT an error (declarations of `any`).
  writeFileSync(path.join(dir, "host.ts"), `
import { VoiceRoom, type Member, type VoiceRoomOptions } from "${types}";
import type { VoiceRoomEvents } from "${api}";
const options: VoiceRoomOptions = { channelId: "general", token: "jwt", baseUrl: "https://voice.example.com" };
const room = new VoiceRoom(options);
room.addEventListener("status", (event) => {
  const { status, reason, reconnecting } = (event as VoiceRoomEvents["status"]).detail;
  const known: "idle" | "connecting" | "connected" | "disconnected" | "left" = status;
  console.log(known, reason?.length, reconnecting === true);
});
room.addEventListener("members", (event) => {
  const members: Member[] = (event as VoiceRoomEvents["members"]).detail;
  console.log(members.map((m) => m.name.toUpperCase()));
});
room.join().setMuted(true);
room.setInputMode("push_to_talk");
room.setMemberVolume("user", 1.5);
// @ts-expect-error a channel id is required
new VoiceRoom({ token: "jwt" });
// @ts-expect-error muted is a boolean
room.setMuted("yes");
// @ts-expect-error only the two input modes
room.setInputMode("always");
`);
  try {
    const tsc = path.join(ROOT, "node_modules/.bin/tsc");
    const run = spawnSync(tsc, ["--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
      "--moduleResolution", "bundler", "--lib", "es2022,dom,dom.iterable", path.join(dir, "host.ts")],
    { encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, `tsc:\n${run.stdout}${run.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
