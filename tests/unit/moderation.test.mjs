// A moderator's orders from the page (contract v1.1 member routes with the moderator's own
// token): who is offered them, the request each makes, the move targets, what is announced, and
// the server's sentence on a refusal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BAN_CHOICES, doneText, mayModerate, moderate, moderationRequest, moveTargets } from "../../public/moderation.js";

test("moderation is offered to a moderator, about someone else only", () => {
  const mod = { role: "moderator", space: "default" };
  assert.equal(mayModerate(mod, "me", "bob"), true);
  assert.equal(mayModerate(mod, "me", "me"), false, "never on your own row");
  assert.equal(mayModerate({ role: "member", space: "default" }, "me", "bob"), false);
  assert.equal(mayModerate(null, "me", "bob"), false);
  assert.equal(mayModerate(mod, "me", ""), false);
});

test("each order is one POST to the member route, the user id percent-encoded", () => {
  assert.deepEqual(moderationRequest("acme", "bob", { action: "mute", muted: true }),
    { path: "/api/admin/spaces/acme/members/bob/mute", body: { muted: true } });
  assert.deepEqual(moderationRequest("acme", "a/b?c#d é", { action: "kick", banSecs: 0 }),
    { path: "/api/admin/spaces/acme/members/a%2Fb%3Fc%23d%20%C3%A9/kick", body: {} });
  assert.deepEqual(moderationRequest("default", "bob", { action: "kick", banSecs: 3600 }).body, { ban_secs: 3600 });
  assert.deepEqual(moderationRequest("default", "bob", { action: "move", channelId: "gaming" }),
    { path: "/api/admin/spaces/default/members/bob/move", body: { channel_id: "gaming" } });
  assert.deepEqual(BAN_CHOICES.map((b) => b.secs), [0, 600, 3600, 86_400]);
});

test("a member may be moved to any other channel of the space", () => {
  const channels = [{ id: "general", name: "General", members: [] }, { id: "gaming", name: "Gaming" }, { id: "music", name: "Music" }];
  assert.deepEqual(moveTargets(channels, "gaming"), [{ id: "general", name: "General" }, { id: "music", name: "Music" }]);
  assert.deepEqual(moveTargets(channels, null).length, 3);
});

test("what is announced once the server did it", () => {
  assert.equal(doneText({ action: "mute", muted: true }, "Bob"), "Bob muted for everyone");
  assert.equal(doneText({ action: "mute", muted: false }, "Bob"), "Bob unmuted for everyone");
  assert.equal(doneText({ action: "kick", banSecs: 0 }, "Bob"), "Bob removed from the channel");
  assert.equal(doneText({ action: "kick", banSecs: 3600 }, "Bob"), "Bob removed from the channel and banned for 1 hour");
  assert.equal(doneText({ action: "move", channelId: "gaming", channelName: "Gaming" }, "Bob"), "Bob moved to Gaming");
});

test("moderate sends JSON with the page's API and returns the member, or the server's sentence", async () => {
  const calls = [];
  const answer = (status, body) => async (path, init) => {
    calls.push({ path, init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  const bob = { id: "bob", name: "Bob", muted: false, deafened: false, server_muted: true };
  assert.deepEqual(await moderate(answer(200, { member: bob }), "default", "bob", { action: "mute", muted: true }), { member: bob });
  assert.equal(calls[0].path, "/api/admin/spaces/default/members/bob/mute");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(new Headers(calls[0].init.headers).get("content-type"), "application/json");
  assert.equal(calls[0].init.body, '{"muted":true}');
  assert.deepEqual(await moderate(answer(404, { error: "That user is in no channel of this space.", reason: "not_found" }), "default", "bob",
    { action: "kick", banSecs: 0 }), { error: "That user is in no channel of this space." });
  assert.deepEqual(await moderate(answer(502), "default", "bob", { action: "move", channelId: "music" }),
    { error: "The server answered 502." });
});

test("a kick says how to get back in; a ban does not offer a rejoin it would refuse", async () => {
  const { endedDetail } = await import("../../public/render.js");
  assert.equal(endedDetail("kicked", "General", true), "You were removed from this channel. Click General to rejoin.");
  assert.equal(endedDetail("banned", "General", true), "You may not join this channel for now.");
});
