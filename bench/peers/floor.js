// The floor: the least a hibernating Durable Object on workerd can do to relay a signal (parse,
// look the target up by tag, stringify, send), with no framework, no auth and no presence. Not a
// peer: it shows how much of a relay's cost is the runtime's own (bench/README.md, "Profiles").
import { DurableObject } from "cloudflare:workers";

export class Room extends DurableObject {
  async fetch(req) {
    const id = new URL(req.url).searchParams.get("id");
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [id]);
    const members = this.ctx.getWebSockets().map((ws) => ({ id: this.ctx.getTags(ws)[0] }));
    pair[1].send(JSON.stringify({ type: "joined", members }));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, text) {
    const msg = JSON.parse(text);
    const from = this.ctx.getTags(ws)[0];
    if (msg.type === "signal") {
      this.ctx.getWebSockets(msg.to)[0]?.send(JSON.stringify({ type: "signal", from, payload: msg.payload }));
    } else if (msg.type === "speaking") {
      const frame = JSON.stringify({ type: "member_speaking", user_id: from, speaking: msg.speaking });
      for (const other of this.ctx.getWebSockets()) if (other !== ws) other.send(frame);
    }
  }
}

export default {
  fetch(req, env) {
    const room = new URL(req.url).pathname.split("/")[2] ?? "room";
    if (req.headers.get("upgrade") !== "websocket") return new Response("ok");
    return env.ROOM.get(env.ROOM.idFromName(room)).fetch(req);
  },
};
