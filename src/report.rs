//! What the voice rooms and the Lobby say to each other, declared once for both objects: a room
//! posts a [`RoomReport`] to the Lobby's `/rooms/{channel_id}` after each change; the Lobby keeps
//! its [`RoomRoster`] (in storage too) and may post an [`EvictRequest`] to a room's `/evict`.
//! Plain data, host-tested.

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
}

impl RoomReport {
    /// The roster the Lobby keeps, and the seats taken.
    pub fn into_parts(self) -> (RoomRoster, Vec<Seat>) {
        let RoomReport { version, members, seats, taken } = self;
        (RoomRoster { version, members, seats }, taken)
    }
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
        let (roster, taken) = got.into_parts();
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
        assert!(report.taken.is_empty());
    }

    #[test]
    fn an_eviction_without_a_session_takes_whoever_holds_the_seat() {
        let evict: EvictRequest = serde_json::from_str(r#"{"user_id":"u1"}"#).unwrap();
        assert_eq!(evict.session_id, None);
        let named = EvictRequest { user_id: "u1".into(), session_id: Some("s1".into()) };
        assert_eq!(serde_json::to_string(&named).unwrap(), r#"{"user_id":"u1","session_id":"s1"}"#);
    }

    #[test]
    fn unseating_drops_the_member_and_the_seat() {
        let mut roster = report().into_parts().0;
        roster.unseat("u1");
        assert!(roster.members.is_empty() && roster.seats.is_empty());
    }
}
