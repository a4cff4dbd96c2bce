// Small fixtures the test files share: members in a call, a member's own view of the roster,
// rosters as plain maps to compare.

import { uniqueUser } from "./tokens.mjs";

/** The ids of a member list, sorted. */
export const ids = (members) => members.map((m) => m.id).sort();

/** `{channel id: [member ids]}` of a `channels` list (from /api/channels or a lobby roster). */
export function rosterMap(channels) {
  return Object.fromEntries(channels.map((c) => [c.id, c.members.map((m) => m.id).sort()]));
}

/** "a", "b", "c"…: the default name prefixes of a crowd. */
const letter = (i) => String.fromCharCode(97 + i);

/**
 * `count` fresh users joined to `channel` on `worker` (a miniflare `Worker`), one after another,
 * each newcomer's `member_joined` taken off the earlier members' queues. `prefix(i)` names the
 * i-th user. Returns `[{id, socket, joined}]` in join order.
 */
export async function crowd(worker, channel, count, prefix = letter) {
  const members = [];
  for (let i = 0; i < count; i++) {
    const id = uniqueUser(prefix(i));
    const { socket, joined } = await worker.join(channel, id);
    for (const m of members) await m.socket.next("member_joined", 2000, (msg) => msg.member.id === id);
    members.push({ id, socket, joined });
  }
  return members;
}

/** Two members in a call: "a" joined first and has seen "b" arrive. */
export const pair = (worker, channel) => crowd(worker, channel, 2);

/** The member ids `/api/channels` lists in `channel` now. */
export const membersOf = async (worker, channel) => ids((await worker.channelsNow()).channels.find((c) => c.id === channel).members);

/**
 * A member's roster as its messages describe it: `joined.members`, then every `member_joined`
 * and `member_left` applied in order. Start it with `openSocket(..., {watch})` (client.mjs) so it
 * sees every message. `anomalies` lists what does not fit: a `member_joined` (not resumed) of
 * someone already listed, a resumed one of someone not listed, a `member_left` of someone not
 * listed, a duplicate in `joined.members`.
 */
export class RosterView {
  constructor(socket) {
    /** null until `joined` arrives. */
    this.members = null;
    this.anomalies = [];
    this.events = 0;
    socket.ws.on("message", (data) => {
      let msg;
      try {
        msg = JSON.parse(Buffer.from(data).toString("utf8"));
      } catch {
        return;
      }
      this.apply(msg);
    });
  }

  apply(msg) {
    if (msg.type === "joined") {
      this.members = new Map(msg.members.map((m) => [m.id, m]));
      if (this.members.size !== msg.members.length) this.anomalies.push(`duplicate in joined: ${JSON.stringify(msg.members)}`);
      return;
    }
    if (this.members === null) return;
    if (msg.type === "member_joined") {
      this.events++;
      const id = msg.member.id;
      if (!msg.resumed && this.members.has(id)) this.anomalies.push(`member_joined of ${id}, already listed`);
      if (msg.resumed && !this.members.has(id)) this.anomalies.push(`member_joined resumed of ${id}, not listed`);
      this.members.set(id, msg.member);
    } else if (msg.type === "member_left") {
      this.events++;
      if (!this.members.delete(msg.user_id)) this.anomalies.push(`member_left of ${msg.user_id}, not listed`);
    }
  }

  ids() {
    return this.members === null ? [] : [...this.members.keys()].sort();
  }
}
