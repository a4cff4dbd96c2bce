// One load-driver client per protocol, all with the same shape, so every benchmark is written
// once and speaks each server's own protocol:
//   ours         CONTRACT.md: token in the subprotocol list, `joined` with members, `signal`
//                {to, payload} → {from, payload}, `speaking` broadcast, text `ping` every 10 s
//   partyserver  the room in peers/partyserver: token in the query (partysocket's way), same JSON
//   peerjs       PeerJS server: ?key&id&token, OPEN, {type: OFFER|ANSWER|CANDIDATE, dst, payload}
//                → {…, src}; HEARTBEAT every 5 s; the peer list from GET /peerjs/peers
//   ywebrtc      y-webrtc signalling: subscribe to the room topic, publish `announce`; every member
//                answers a newcomer with a `signal` addressed to it (what y-webrtc's WebrtcConn
//                does); a publish reaches every subscriber, which filters on `to`; `ping` → `pong`
import WebSocket from "ws";
import { randomBytes } from "node:crypto";
import { offerFor, voicePath } from "../../tests/lib/client.mjs";
import { tokenWith } from "../../tests/lib/tokens.mjs";
import { sleep } from "../../tests/lib/wait.mjs";
import { SECRET } from "./servers.mjs";

/** An HS256 token as a host app mints it (CONTRACT.md: sub, name, exp), for the bench's secret. */
export const tokenFor = (userId) => tokenWith(SECRET, userId);

/** Heartbeat interval each protocol's own client uses. */
export const HEARTBEAT_MS = { ours: 10_000, partyserver: 10_000, peerjs: 5_000, ywebrtc: 15_000 };

/** Which benchmarks a protocol can take part in. */
export const SUPPORTS = {
  ours: { broadcast: true, rooms: true },
  partyserver: { broadcast: true, rooms: true },
  peerjs: { broadcast: false, rooms: false },
  ywebrtc: { broadcast: true, rooms: true },
  floor: { broadcast: true, rooms: true },
};


export class Client {
  /**
   * @param {string} protocol ours | partyserver | peerjs | ywebrtc
   * @param {{base: string, wsBase: string}} server
   * @param {string} room
   * @param {string} userId
   */
  constructor(protocol, server, room, userId) {
    this.protocol = protocol;
    this.server = server;
    this.room = room;
    this.id = userId;
    this.ws = null;
    this.errors = [];
    this.members = null;
    this.closed = false;
    /** (from, payload) for every signal addressed to this client. */
    this.onSignal = null;
    /** (from) for every broadcast (speaking) from another member. */
    this.onBroadcast = null;
    this._ywResponders = new Set();
    this._ywWanted = 0;
    this._joinResolve = null;
    this._pinger = null;
    this._needle = `"to":"${userId}"`;
  }

  url() {
    const { wsBase } = this.server;
    switch (this.protocol) {
      case "ours":
        return wsBase + voicePath(this.room);
      case "partyserver":
        return `${wsBase}/parties/voice-room/${this.room}?token=${tokenFor(this.id)}`;
      case "floor":
        return `${wsBase}/room/${this.room}?id=${encodeURIComponent(this.id)}`;
      case "peerjs":
        return `${wsBase}/peerjs?key=peerjs&id=${encodeURIComponent(this.id)}&token=${randomBytes(6).toString("hex")}`;
      case "ywebrtc":
        return wsBase;
      default:
        throw new Error(`unknown protocol ${this.protocol}`);
    }
  }

  /**
   * Connects and resolves with the full member list once this protocol gives it: `joined.members`
   * (ours, PartyServer); OPEN then GET /peerjs/peers (PeerJS); a signal from each of the
   * `expectOthers` members already there (y-webrtc).
   */
  join({ expectOthers = 0, timeoutMs = 20_000 } = {}) {
    const protocols = this.protocol === "ours" ? offerFor(tokenFor(this.id)) : undefined;
    const ws = new WebSocket(this.url(), protocols, { perMessageDeflate: false, closeTimeout: 250, handshakeTimeout: timeoutMs });
    this.ws = ws;
    this._ywWanted = expectOthers;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${this.protocol} join of ${this.id} to ${this.room} timed out after ${timeoutMs} ms`)), timeoutMs);
      const done = (members) => {
        clearTimeout(timer);
        this.members = members;
        this._joinResolve = null;
        resolve(members);
      };
      const fail = (err) => {
        clearTimeout(timer);
        this._joinResolve = null;
        try {
          ws.terminate();
        } catch {
          // closed
        }
        reject(err);
      };
      this._joinResolve = done;
      ws.on("message", (data) => this._onMessage(data));
      ws.on("error", (err) => {
        if (this._joinResolve) fail(err);
        else this.errors.push(String(err));
      });
      ws.on("unexpected-response", (_req, res) => fail(new Error(`${this.protocol} upgrade answered ${res.statusCode}`)));
      ws.on("close", (code) => {
        this.closed = true;
        this.closeCode = code;
        this.stopHeartbeat();
        if (this._joinResolve) fail(new Error(`${this.protocol} socket closed (${code}) before the join completed`));
      });
      ws.on("open", () => {
        if (this.protocol === "ywebrtc") {
          this._send({ type: "subscribe", topics: [this.room] });
          this._send({ type: "publish", topic: this.room, data: { type: "announce", from: this.id } });
          if (expectOthers === 0) done([this.id]);
        }
      });
    });
  }

  _send(obj) {
    this.ws.send(typeof obj === "string" ? obj : JSON.stringify(obj));
  }

  _onMessage(data) {
    const text = data.toString();
    if (text === "pong") return;
    if (this.protocol === "ywebrtc") {
      // Every publish on the topic reaches every subscriber: skip those for others unparsed.
      if (!text.includes(this._needle) && !text.includes('"announce"') && !text.includes('"speaking"')) return;
    }
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      this.errors.push(`not JSON: ${text.slice(0, 100)}`);
      return;
    }
    switch (this.protocol) {
      case "ours":
      case "partyserver":
      case "floor":
        switch (msg.type) {
          case "signal":
            this.onSignal?.(msg.from, msg.payload);
            break;
          case "member_speaking":
            this.onBroadcast?.(msg.user_id);
            break;
          case "joined":
            this._joinResolve?.(msg.members.map((m) => m.id));
            break;
          case "error":
            this.errors.push(`${msg.reason}: ${msg.detail ?? ""}`);
            break;
          default:
        }
        break;
      case "peerjs":
        switch (msg.type) {
          case "OPEN":
            this._peerList();
            break;
          case "OFFER":
          case "ANSWER":
          case "CANDIDATE":
            this.onSignal?.(msg.src, msg.payload);
            break;
          case "ERROR":
          case "ID-TAKEN":
          case "INVALID-KEY":
            this.errors.push(`${msg.type}: ${JSON.stringify(msg.payload)}`);
            break;
          default:
        }
        break;
      case "ywebrtc": {
        if (msg.type !== "publish" || !msg.data) break;
        const d = msg.data;
        if (d.from === this.id) break;
        if (d.type === "announce") {
          // What a y-webrtc member does for a newcomer: open a connection to it, i.e. signal it.
          this._send({ type: "publish", topic: this.room, data: { type: "signal", to: d.from, from: this.id, signal: { type: "offer" } } });
        } else if (d.type === "signal" && d.to === this.id) {
          if (this._joinResolve) {
            this._ywResponders.add(d.from);
            if (this._ywResponders.size >= this._ywWanted) this._joinResolve([this.id, ...this._ywResponders]);
          } else if (d.signal?.t !== undefined) {
            this.onSignal?.(d.from, d.signal);
          }
        } else if (d.type === "speaking") {
          this.onBroadcast?.(d.from);
        }
        break;
      }
      default:
    }
  }

  async _peerList() {
    try {
      const res = await fetch(`${this.server.base}/peerjs/peers`);
      const ids = await res.json();
      this._joinResolve?.(ids);
    } catch (e) {
      this.errors.push(`peers: ${e}`);
    }
  }

  /** Sends a signal to `to`; `kind` "sdp" or "ice" picks PeerJS's message type. */
  signal(to, payload, kind = "ice") {
    switch (this.protocol) {
      case "ours":
      case "partyserver":
      case "floor":
        this._send({ type: "signal", to, payload });
        break;
      case "peerjs":
        this._send({ type: kind === "sdp" ? "OFFER" : "CANDIDATE", dst: to, payload });
        break;
      case "ywebrtc":
        this._send({ type: "publish", topic: this.room, data: { type: "signal", to, from: this.id, signal: payload } });
        break;
      default:
    }
  }

  /** A voice-activity change, broadcast to every other member. */
  speaking(flag) {
    switch (this.protocol) {
      case "ours":
      case "partyserver":
      case "floor":
        this._send({ type: "speaking", speaking: flag });
        break;
      case "ywebrtc":
        this._send({ type: "publish", topic: this.room, data: { type: "speaking", from: this.id, speaking: flag } });
        break;
      default:
        throw new Error(`${this.protocol} has no rooms to broadcast in`);
    }
  }

  ping() {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    switch (this.protocol) {
      case "ours":
      case "partyserver":
        this.ws.send("ping");
        break;
      case "peerjs":
        this._send({ type: "HEARTBEAT" });
        break;
      case "ywebrtc":
        this._send({ type: "ping" });
        break;
      default:
    }
  }

  /** Heartbeats at the protocol's own interval, starting at a random phase. */
  startHeartbeat(everyMs = HEARTBEAT_MS[this.protocol]) {
    this.stopHeartbeat();
    const first = setTimeout(() => {
      this.ping();
      this._pinger = setInterval(() => this.ping(), everyMs);
    }, Math.random() * everyMs);
    this._pinger = first;
  }

  stopHeartbeat() {
    if (this._pinger) {
      clearTimeout(this._pinger);
      clearInterval(this._pinger);
    }
    this._pinger = null;
  }

  get buffered() {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** A clean close (1000); resolves when the socket is closed (or after 2 s). */
  async close() {
    this.stopHeartbeat();
    if (!this.ws || this.closed) return;
    const closed = new Promise((r) => this.ws.once("close", r));
    try {
      this.ws.close(1000);
    } catch {
      this.ws.terminate();
    }
    await Promise.race([closed, sleep(2000)]);
    if (!this.closed) this.ws.terminate();
  }
}

/** Closes every client, a few at a time. */
export async function closeAll(clients) {
  for (let i = 0; i < clients.length; i += 50) {
    await Promise.all(clients.slice(i, i + 50).map((c) => c.close()));
  }
}
