//! What the voice rooms and the Lobby say to each other, declared once for both objects: a room
//! posts a [`RoomReport`] to the Lobby's `/rooms/{channel_id}` after each change; the Lobby keeps
//! its [`RoomRoster`] (in storage too) and may post an [`EvictRequest`] to a room's `/evict`.
//! Plain data, host-tested.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::protocol::Member;
use crate::seats::Seat;

/// A room's roster as the Lobby keeps it: with a version, so a late delivery never overwrites a
/// newer one, and who holds each seat since when, so the Lobby can keep every user in one channel.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomRoster {
    pub version: u64,
    pub members: Vec<Member>,
    /// Who holds each seat (rosters stored before seats were reported have none).
    #[serde(default)]
    pub seats: Vec<Seat>,
}

impl RoomRoster {
    /// Drops the user from the roster and from the seats.
    pub fn unseat(&mut self, user_id: &str) {
        self.members.retain(|m| m.id != user_id);
        self.seats.retain(|s| s.user_id != user_id);
    }
}

/// What a room reports: its roster, plus the seats taken since its last report. Flat on the wire
/// (`version`, `members`, `seats`, `taken`); the Lobby keeps the first three as a [`RoomRoster`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RoomReport {
    pub version: u64,
    pub members: Vec<Member>,
    /// Who holds each seat now.
    #[serde(default)]
    pub seats: Vec<Seat>,
    /// Seats taken since the last report, even if given up again since (a join moves the user
    /// out of their other channel however briefly they stay).
    #[serde(default)]
    pub taken: Vec<Seat>,
    /// Members who left for another channel of the space since the last report (a moderator's
    /// move, or the page's own switch): the webhooks say `member.moved`, not `member.left`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<MovedOut>,
}

/// A member who left this channel for channel `to`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MovedOut {
    pub user_id: String,
    pub to: String,
}

impl RoomReport {
    /// The roster the Lobby keeps, the seats taken and the members moved out.
    pub fn into_parts(self) -> (RoomRoster, Vec<Seat>, Vec<MovedOut>) {
        let RoomReport { version, members, seats, taken, moved } = self;
        (RoomRoster { version, members, seats }, taken, moved)
    }
}

/// A room's question to the Lobby's `GET /superseded` before it refuses a second socket of a
/// user: has that user claimed a seat in another channel since `seat` was taken here? (A hop
/// whose move has not reached this room yet: the newest choice wins.) Asked in the query string
/// (no JSON body to parse), answered `{"superseded": bool}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatQuery {
    pub channel_id: String,
    pub seat: Seat,
}

impl SeatQuery {
    /// The Lobby path that asks it (every byte but the unreserved ones percent-encoded).
    pub fn to_path(&self) -> String {
        let seat = &self.seat;
        format!(
            "/superseded?channel={}&user={}&session={}&since={}",
            encode(&self.channel_id),
            encode(&seat.user_id),
            encode(&seat.session_id),
            seat.since
        )
    }

    /// Reads it back from the request's query pairs; None when a field is missing or malformed.
    pub fn from_pairs<'a>(pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>) -> Option<Self> {
        let (mut channel_id, mut user_id, mut session_id, mut since) = (None, None, None, None);
        for (key, value) in pairs {
            match key.as_ref() {
                "channel" => channel_id = Some(value.into_owned()),
                "user" => user_id = Some(value.into_owned()),
                "session" => session_id = Some(value.into_owned()),
                "since" => since = value.parse().ok(),
                _ => {}
            }
        }
        Some(SeatQuery {
            channel_id: channel_id?,
            seat: Seat { user_id: user_id?, session_id: session_id?, since: since? },
        })
    }
}

/// `text` percent-encoded but for RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The Lobby's word that a user took a seat elsewhere after `session_id` took theirs here.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EvictRequest {
    pub user_id: String,
    /// Only this session is evicted (a later join here keeps its seat); None: whoever holds it.
    #[serde(default)]
    pub session_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(user: &str, session: &str, since: u64) -> Seat {
        Seat { user_id: user.into(), session_id: session.into(), since }
    }

    fn report() -> RoomReport {
        RoomReport {
            version: 1_700_000_000_000_001,
            members: vec![Member::new("u1", "Alice")],
            seats: vec![seat("u1", "s1", 5)],
            taken: vec![seat("u1", "s1", 5), seat("u2", "s2", 6)],
            moved: vec![],
        }
    }

    #[test]
    fn a_report_is_one_flat_object() {
        let json = serde_json::to_value(report()).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["members", "seats", "taken", "version"]);
    }

    #[test]
    fn a_report_arrives_as_it_was_sent() {
        let sent = report();
        let got: RoomReport = serde_json::from_str(&serde_json::to_string(&sent).unwrap()).unwrap();
        assert_eq!(got, sent);
        let (roster, taken, _) = got.into_parts();
        assert_eq!((roster.version, roster.members, roster.seats), (sent.version, sent.members, sent.seats));
        assert_eq!(taken, sent.taken);
    }

    #[test]
    fn a_stored_roster_reads_back_from_a_report() {
        let roster: RoomRoster = serde_json::from_str(&serde_json::to_string(&report()).unwrap()).unwrap();
        assert_eq!(roster, report().into_parts().0);
    }

    #[test]
    fn rosters_stored_before_seats_still_load() {
        let old: RoomRoster = serde_json::from_str(r#"{"version":3,"members":[{"id":"u1","name":"A"}]}"#).unwrap();
        assert_eq!(old, RoomRoster { version: 3, members: vec![Member::new("u1", "A")], seats: vec![] });
        let report: RoomReport = serde_json::from_str(r#"{"version":3,"members":[]}"#).unwrap();
        assert!(report.taken.is_empty() && report.moved.is_empty());
    }

    #[test]
    fn an_eviction_without_a_session_takes_whoever_holds_the_seat() {
        let evict: EvictRequest = serde_json::from_str(r#"{"user_id":"u1"}"#).unwrap();
        assert_eq!(evict.session_id, None);
        let named = EvictRequest { user_id: "u1".into(), session_id: Some("s1".into()) };
        assert_eq!(serde_json::to_string(&named).unwrap(), r#"{"user_id":"u1","session_id":"s1"}"#);
    }

    #[test]
    fn a_seat_query_is_asked_in_the_query_string() {
        let query = SeatQuery { channel_id: "general".into(), seat: seat("\u{4e2d} & =?", "s_1-x", 42) };
        assert_eq!(query.to_path(), "/superseded?channel=general&user=%E4%B8%AD%20%26%20%3D%3F&session=s_1-x&since=42");
        // The runtime's URL parser decodes the pairs; they read back as the query.
        let pairs = [("channel", "general"), ("user", "\u{4e2d} & =?"), ("session", "s_1-x"), ("since", "42")];
        let decoded = pairs.iter().map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)));
        assert_eq!(SeatQuery::from_pairs(decoded), Some(query));
        let partial = [("channel", "general"), ("user", "u1"), ("since", "x")];
        assert_eq!(SeatQuery::from_pairs(partial.iter().map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))), None);
    }

    #[test]
    fn unseating_drops_the_member_and_the_seat() {
        let mut roster = report().into_parts().0;
        roster.unseat("u1");
        assert!(roster.members.is_empty() && roster.seats.is_empty());
    }
}
