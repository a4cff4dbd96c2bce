//! Which webhook events a roster change makes, in the order the contract asks: `channel.started`
//! before the `member.joined` that fills a channel, `member.left` before the `channel.ended` of
//! the leave that empties it, and one `member.moved` (never a left/joined pair) for a member who
//! went from one channel of the space to another: by joining elsewhere (the seat gave way), by a
//! moderator's move or by the page's own switch (the room reports it moved out; its arrival in the
//! target is then not announced again).

use serde_json::{json, Value};

use crate::protocol::Member;
use crate::report::MovedOut;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    MemberJoined,
    MemberLeft,
    MemberMoved,
    MemberUpdated,
    ChannelStarted,
    ChannelEnded,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MemberJoined => "member.joined",
            EventKind::MemberLeft => "member.left",
            EventKind::MemberMoved => "member.moved",
            EventKind::MemberUpdated => "member.updated",
            EventKind::ChannelStarted => "channel.started",
            EventKind::ChannelEnded => "channel.ended",
        }
    }
}

/// One event before it is queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub channel_id: String,
    pub member: Member,
    /// `member.moved`: where from (`channel_id` is the target).
    pub from_channel_id: Option<String>,
}

impl NewEvent {
    fn new(kind: EventKind, channel_id: &str, member: &Member) -> Self {
        NewEvent { kind, channel_id: channel_id.to_owned(), member: member.clone(), from_channel_id: None }
    }

    /// The body as POSTed: `{"type", "timestamp", "data"}`.
    pub fn body(&self, space: &str, now_ms: u64) -> String {
        let mut data = json!({ "space": space, "channel_id": self.channel_id, "member": self.member });
        if let Some(from) = &self.from_channel_id {
            data["from_channel_id"] = Value::from(from.as_str());
        }
        json!({ "type": self.kind.as_str(), "timestamp": super::rfc3339(now_ms), "data": data }).to_string()
    }
}

/// One channel's roster before and after a change.
pub struct RosterChange<'a> {
    pub channel_id: &'a str,
    pub before: &'a [Member],
    pub after: &'a [Member],
}

/// A member announced as moved to `channel` whose arrival there is still to come (it is not
/// announced again): by `deadline` (ms), or `member.left` is sent for the target. `started`: the
/// move into the empty target announced its `channel.started` too.
#[derive(Debug)]
struct Arrival {
    user_id: String,
    channel: String,
    member: Member,
    deadline: u64,
    started: bool,
}

/// The moved members still to arrive.
#[derive(Default, Debug)]
pub struct Arrivals {
    pending: Vec<Arrival>,
}

/// How long a moved member has to turn up in the target channel.
pub const ARRIVAL_MS: u64 = 60_000;

impl Arrivals {
    fn expect(&mut self, user_id: &str, channel: &str, member: &Member, deadline: u64, started: bool) {
        self.pending.retain(|a| a.user_id != user_id);
        let (user_id, channel, member) = (user_id.to_owned(), channel.to_owned(), member.clone());
        self.pending.push(Arrival { user_id, channel, member, deadline, started });
    }

    fn arrived(&mut self, user_id: &str, channel_id: &str) -> bool {
        let before = self.pending.len();
        self.pending.retain(|a| !(a.user_id == user_id && a.channel == channel_id));
        self.pending.len() != before
    }

    /// Whether a move into `channel_id` already announced its `channel.started`.
    fn start_announced(&self, channel_id: &str) -> bool {
        self.pending.iter().any(|a| a.channel == channel_id && a.started)
    }

    /// The channel has members now: an announced start is used up.
    fn started(&mut self, channel_id: &str) {
        for arrival in self.pending.iter_mut().filter(|a| a.channel == channel_id) {
            arrival.started = false;
        }
    }

    /// `member.left` for the target of every move whose member did not arrive by `now` (and
    /// `channel.ended` when that move announced the start of a channel that is still empty:
    /// `is_empty` says which are).
    pub fn overdue(&mut self, now: u64, is_empty: impl Fn(&str) -> bool) -> Vec<NewEvent> {
        let (late, kept): (Vec<Arrival>, Vec<Arrival>) =
            std::mem::take(&mut self.pending).into_iter().partition(|a| a.deadline <= now);
        self.pending = kept;
        let mut out = Vec::new();
        for arrival in late {
            out.push(NewEvent::new(EventKind::MemberLeft, &arrival.channel, &arrival.member));
            let still_coming = self.pending.iter().any(|a| a.channel == arrival.channel);
            if arrival.started && is_empty(&arrival.channel) && !still_coming {
                out.push(NewEvent::new(EventKind::ChannelEnded, &arrival.channel, &arrival.member));
            }
        }
        out
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.pending.iter().map(|a| a.deadline).min()
    }
}

fn has(members: &[Member], id: &str) -> bool {
    members.iter().any(|m| m.id == id)
}

/// The events of one report: `reported` is the reporting channel, `gave_way` the other channels
/// that lost a member to it, `moved_out` what the report says left for another channel;
/// `is_empty` says which channels of the space have nobody in them now.
pub fn events(
    reported: &RosterChange,
    gave_way: &[RosterChange],
    moved_out: &[MovedOut],
    arrivals: &mut Arrivals,
    now: u64,
    is_empty: impl Fn(&str) -> bool,
) -> Vec<NewEvent> {
    let RosterChange { channel_id, before, after } = *reported;
    let mut out = Vec::new();
    if before.is_empty() && !arrivals.start_announced(channel_id) {
        if let Some(first) = after.first() {
            out.push(NewEvent::new(EventKind::ChannelStarted, channel_id, first));
        }
    }
    if !after.is_empty() {
        arrivals.started(channel_id);
    }
    let mut moved_in: Vec<&str> = Vec::new();
    for other in gave_way {
        for member in other.before.iter().filter(|m| !has(other.after, &m.id) && has(after, &m.id)) {
            let arrived = after.iter().find(|m2| m2.id == member.id).unwrap_or(member);
            out.push(NewEvent {
                from_channel_id: Some(other.channel_id.to_owned()),
                ..NewEvent::new(EventKind::MemberMoved, channel_id, arrived)
            });
            arrivals.arrived(&member.id, channel_id);
            moved_in.push(&member.id);
        }
        if let (Some(last), true) = (other.before.last(), other.after.is_empty()) {
            out.push(NewEvent::new(EventKind::ChannelEnded, other.channel_id, last));
        }
    }
    for member in after.iter().filter(|m| !has(before, &m.id) && !moved_in.contains(&m.id.as_str())) {
        if !arrivals.arrived(&member.id, channel_id) {
            out.push(NewEvent::new(EventKind::MemberJoined, channel_id, member));
        }
    }
    for member in after.iter().filter(|m| before.iter().any(|b| b.id == m.id && b != *m)) {
        out.push(NewEvent::new(EventKind::MemberUpdated, channel_id, member));
    }
    for member in before.iter().filter(|m| !has(after, &m.id)) {
        match moved_out.iter().find(|m2| m2.user_id == member.id && m2.to != channel_id) {
            Some(moved) => {
                // Into an empty channel: its start comes first, as for a join.
                let start = is_empty(&moved.to) && !arrivals.start_announced(&moved.to);
                if start {
                    out.push(NewEvent::new(EventKind::ChannelStarted, &moved.to, member));
                }
                out.push(NewEvent {
                    from_channel_id: Some(channel_id.to_owned()),
                    ..NewEvent::new(EventKind::MemberMoved, &moved.to, member)
                });
                arrivals.expect(&member.id, &moved.to, member, now + ARRIVAL_MS, start);
            }
            None => out.push(NewEvent::new(EventKind::MemberLeft, channel_id, member)),
        }
    }
    if let (Some(last), true) = (before.last(), after.is_empty()) {
        out.push(NewEvent::new(EventKind::ChannelEnded, channel_id, last));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str) -> Member {
        Member::new(id, id)
    }

    fn kinds(events: &[NewEvent]) -> Vec<(&'static str, &str)> {
        events.iter().map(|e| (e.kind.as_str(), e.channel_id.as_str())).collect()
    }

    fn change<'a>(channel_id: &'a str, before: &'a [Member], after: &'a [Member]) -> RosterChange<'a> {
        RosterChange { channel_id, before, after }
    }

    /// No channel is empty (for tests where it does not matter).
    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn a_first_join_starts_the_channel_and_the_last_leave_ends_it() {
        let mut arrivals = Arrivals::default();
        let started = events(&change("a", &[], &[m("u1")]), &[], &[], &mut arrivals, 0, none);
        assert_eq!(kinds(&started), [("channel.started", "a"), ("member.joined", "a")]);
        let second = events(&change("a", &[m("u1")], &[m("u1"), m("u2")]), &[], &[], &mut arrivals, 0, none);
        assert_eq!(kinds(&second), [("member.joined", "a")]);
        assert_eq!(second[0].member.id, "u2");
        let ended = events(&change("a", &[m("u1")], &[]), &[], &[], &mut arrivals, 0, none);
        assert_eq!(kinds(&ended), [("member.left", "a"), ("channel.ended", "a")]);
    }

    #[test]
    fn a_state_change_is_an_update() {
        let muted = Member { muted: true, ..m("u1") };
        let out = events(&change("a", &[m("u1")], &[muted]), &[], &[], &mut Arrivals::default(), 0, none);
        assert_eq!(kinds(&out), [("member.updated", "a")]);
        assert!(out[0].member.muted);
        assert!(events(&change("a", &[m("u1")], &[m("u1")]), &[], &[], &mut Arrivals::default(), 0, none).is_empty());
    }

    #[test]
    fn joining_elsewhere_is_one_move() {
        let out = events(
            &change("b", &[], &[m("u1")]),
            &[change("a", &[m("u1")], &[])],
            &[],
            &mut Arrivals::default(),
            0,
            none,
        );
        assert_eq!(kinds(&out), [("channel.started", "b"), ("member.moved", "b"), ("channel.ended", "a")]);
        assert_eq!(out[1].from_channel_id.as_deref(), Some("a"));
    }

    #[test]
    fn a_reported_move_is_announced_once_and_the_arrival_is_not() {
        let mut arrivals = Arrivals::default();
        let moved = [MovedOut { user_id: "u1".into(), to: "b".into() }];
        let out = events(&change("a", &[m("u1"), m("u2")], &[m("u2")]), &[], &moved, &mut arrivals, 0, none);
        assert_eq!(kinds(&out), [("member.moved", "b")]);
        assert_eq!(out[0].from_channel_id.as_deref(), Some("a"));
        let arrival = events(&change("b", &[], &[m("u1")]), &[], &[], &mut arrivals, 10, none);
        assert_eq!(kinds(&arrival), [("channel.started", "b")]);
        assert!(arrivals.overdue(u64::MAX, none).is_empty());
    }

    #[test]
    fn a_move_into_an_empty_channel_starts_it_first_and_once() {
        let mut arrivals = Arrivals::default();
        let empty = |c: &str| c == "b";
        let moved = [MovedOut { user_id: "u1".into(), to: "b".into() }];
        let out = events(&change("a", &[m("u1"), m("u2")], &[m("u2")]), &[], &moved, &mut arrivals, 0, empty);
        assert_eq!(kinds(&out), [("channel.started", "b"), ("member.moved", "b")]);
        let arrival = events(&change("b", &[], &[m("u1")]), &[], &[], &mut arrivals, 10, none);
        assert!(arrival.is_empty(), "neither the start nor the join again: {arrival:?}");
        // Never arriving: the target is left and, still empty, ended.
        let mut arrivals = Arrivals::default();
        events(&change("a", &[m("u1")], &[]), &[], &moved, &mut arrivals, 0, empty);
        assert_eq!(kinds(&arrivals.overdue(ARRIVAL_MS, empty)), [("member.left", "b"), ("channel.ended", "b")]);
    }

    #[test]
    fn a_moved_member_who_never_arrives_leaves_the_target() {
        let mut arrivals = Arrivals::default();
        let moved = [MovedOut { user_id: "u1".into(), to: "b".into() }];
        events(&change("a", &[m("u1")], &[]), &[], &moved, &mut arrivals, 0, none);
        assert_eq!(arrivals.next_deadline(), Some(ARRIVAL_MS));
        assert!(arrivals.overdue(ARRIVAL_MS - 1, none).is_empty());
        assert_eq!(kinds(&arrivals.overdue(ARRIVAL_MS, none)), [("member.left", "b")]);
        // A later join there is a plain join.
        let late = events(&change("b", &[], &[m("u1")]), &[], &[], &mut arrivals, ARRIVAL_MS + 1, none);
        assert_eq!(kinds(&late), [("channel.started", "b"), ("member.joined", "b")]);
    }

    #[test]
    fn a_body_has_the_space_the_channel_and_the_public_member_only() {
        let event =
            NewEvent { from_channel_id: Some("a".into()), ..NewEvent::new(EventKind::MemberMoved, "b", &m("u1")) };
        let body: Value = serde_json::from_str(&event.body("acme", 0)).unwrap();
        assert_eq!(body["type"], "member.moved");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(body["data"]["space"], "acme");
        assert_eq!(
            (body["data"]["channel_id"].as_str(), body["data"]["from_channel_id"].as_str()),
            (Some("b"), Some("a"))
        );
        let member_keys: Vec<&String> = body["data"]["member"].as_object().unwrap().keys().collect();
        assert_eq!(member_keys, ["deafened", "id", "muted", "name", "server_muted"]);
    }
}
