//! One channel per user, decided by the lobby from what the rooms already report. With every
//! roster a room names who holds each seat and since when, and the seats taken since its last
//! report (a join counts even if the user left again at once). The lobby remembers each user's
//! newest claim; a seat held anywhere by a user whose newest claim is in another channel gives
//! way, and the lobby tells that room to evict that session. A join therefore waits for no other
//! object: the move happens as soon as the new room's report reaches the lobby. Plain data,
//! host-tested; `lobby.rs` performs the evictions.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::presence::Millis;

/// Who holds (or took) a seat in a channel, as its room reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub user_id: String,
    /// The session holding it: an eviction names it, so a later join to the same room survives.
    pub session_id: String,
    /// When that session took the seat (join, resume or replaced socket).
    pub since: Millis,
}

/// A seat that must give way: room `channel_id` evicts `seat.user_id` if `seat.session_id` still
/// holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GiveWay {
    pub channel_id: String,
    pub seat: Seat,
}

/// How long a claim is remembered. Reports arrive within milliseconds of the join; a claim only
/// matters until the reports of both channels have met, and held seats are in the rosters anyway.
const REMEMBER_MS: Millis = 10 * 60 * 1000;

/// How often old claims are looked for (a scan of every user, so not on every report).
const FORGET_EVERY_MS: Millis = 60 * 1000;

/// Each user's newest claim: the channel and seat with the latest `since` (on a tie the larger
/// channel id, so the order reports arrive in never matters).
#[derive(Clone, Debug, Default)]
pub struct Claims {
    newest: HashMap<String, (String, Seat)>,
    forgot_at: Millis,
}

impl Claims {
    /// Records `channel_id`'s report — `held`, its seats now, and `taken`, the seats taken since
    /// its last report — and returns the seats that give way: each one held, here or in `others`,
    /// by a user of this report whose newest claim is in another channel.
    pub fn report<'a>(
        &mut self,
        channel_id: &str,
        held: &[Seat],
        taken: &[Seat],
        others: impl IntoIterator<Item = (&'a str, &'a [Seat])>,
    ) -> Vec<GiveWay> {
        self.remember(channel_id, taken.iter().chain(held));
        let mut out: Vec<GiveWay> = held
            .iter()
            .filter(|seat| self.beaten(channel_id, seat))
            .map(|seat| GiveWay { channel_id: channel_id.to_owned(), seat: seat.clone() })
            .collect();
        let users: HashSet<&str> = taken.iter().chain(held).map(|s| s.user_id.as_str()).collect();
        for (other_id, seats) in others {
            if other_id == channel_id {
                continue;
            }
            for seat in seats.iter().filter(|s| users.contains(s.user_id.as_str())) {
                if self.beaten(other_id, seat) {
                    out.push(GiveWay { channel_id: other_id.to_owned(), seat: seat.clone() });
                }
            }
        }
        out
    }

    /// Records `seats` as claimed in `channel_id`, where newer than what is known of their users.
    pub fn remember<'a>(&mut self, channel_id: &str, seats: impl IntoIterator<Item = &'a Seat>) {
        for seat in seats {
            let newer = self
                .newest
                .get(&seat.user_id)
                .is_none_or(|(channel, known)| (known.since, channel.as_str()) < (seat.since, channel_id));
            if newer {
                self.newest.insert(seat.user_id.clone(), (channel_id.to_owned(), seat.clone()));
            }
        }
    }

    /// Forgets claims older than [`REMEMBER_MS`] at `now`; looks at most once a minute.
    pub fn forget_old(&mut self, now: Millis) {
        if now < self.forgot_at + FORGET_EVERY_MS {
            return;
        }
        self.forgot_at = now;
        let cutoff = now.saturating_sub(REMEMBER_MS);
        self.newest.retain(|_, (_, seat)| seat.since >= cutoff);
    }

    /// Whether the user of `seat` (held in `channel_id`) has claimed a seat elsewhere since: a
    /// room asks before refusing a second socket of that user (the newest choice wins).
    pub fn superseded(&self, channel_id: &str, seat: &Seat) -> bool {
        self.beaten(channel_id, seat)
    }

    /// Whether the user of `seat` (held in `channel_id`) has claimed a seat elsewhere since.
    fn beaten(&self, channel_id: &str, seat: &Seat) -> bool {
        self.newest.get(&seat.user_id).is_some_and(|(channel, newest)| {
            channel != channel_id && (newest.since, channel.as_str()) > (seat.since, channel_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(user: &str, session: &str, since: Millis) -> Seat {
        Seat { user_id: user.into(), session_id: session.into(), since }
    }

    fn give_way(channel: &str, s: Seat) -> GiveWay {
        GiveWay { channel_id: channel.into(), seat: s }
    }

    #[test]
    fn a_newer_seat_elsewhere_moves_the_user_out_of_the_old_channel() {
        let mut claims = Claims::default();
        let general = [seat("alice", "s1", 100), seat("bob", "s2", 50)];
        assert!(claims.report("general", &general, &general, []).is_empty());
        let gaming = [seat("alice", "s3", 200)];
        let out = claims.report("gaming", &gaming, &gaming, [("general", &general[..])]);
        assert_eq!(out, vec![give_way("general", seat("alice", "s1", 100))]);
    }

    #[test]
    fn a_late_report_of_an_older_seat_gives_way_itself() {
        // gaming's newer seat reached the lobby first; general's older report arrives late.
        let mut claims = Claims::default();
        let gaming = [seat("alice", "s3", 200)];
        claims.report("gaming", &gaming, &gaming, []);
        let general = [seat("alice", "s1", 100)];
        let out = claims.report("general", &general, &general, [("gaming", &gaming[..])]);
        assert_eq!(out, vec![give_way("general", seat("alice", "s1", 100))]);
    }

    #[test]
    fn a_seat_taken_and_given_up_between_two_reports_still_moves_the_user() {
        let mut claims = Claims::default();
        let general = [seat("alice", "s1", 100)];
        claims.report("general", &general, &general, []);
        let out = claims.report("gaming", &[], &[seat("alice", "s3", 200)], [("general", &general[..])]);
        assert_eq!(out, vec![give_way("general", seat("alice", "s1", 100))]);
    }

    #[test]
    fn a_brief_claim_is_remembered_for_a_seat_whose_report_comes_later() {
        // alice joined gaming (200) and left it at once; general reports her older seat (150) only
        // afterwards: it must still give way.
        let mut claims = Claims::default();
        claims.report("gaming", &[], &[seat("alice", "s3", 200)], []);
        let general = [seat("alice", "s2", 150)];
        let out = claims.report("general", &general, &general, []);
        assert_eq!(out, vec![give_way("general", seat("alice", "s2", 150))]);
    }

    #[test]
    fn coming_back_to_the_first_channel_keeps_the_new_seat_there() {
        let mut claims = Claims::default();
        claims.report("general", &[seat("alice", "s1", 100)], &[seat("alice", "s1", 100)], []);
        claims.report("gaming", &[], &[seat("alice", "s3", 200)], []);
        let back = [seat("alice", "s4", 300)];
        assert!(claims.report("general", &back, &back, []).is_empty());
    }

    #[test]
    fn a_seat_given_up_that_is_older_than_the_one_elsewhere_changes_nothing() {
        let mut claims = Claims::default();
        let general = [seat("alice", "s3", 200)];
        claims.report("general", &general, &general, []);
        assert!(claims.report("gaming", &[], &[seat("alice", "s1", 100)], [("general", &general[..])]).is_empty());
    }

    #[test]
    fn different_users_never_conflict() {
        let mut claims = Claims::default();
        let general = [seat("bob", "s2", 50)];
        claims.report("general", &general, &general, []);
        let gaming = [seat("alice", "s3", 200)];
        assert!(claims.report("gaming", &gaming, &gaming, [("general", &general[..])]).is_empty());
    }

    #[test]
    fn a_tie_is_decided_by_channel_id_whichever_arrives_first() {
        let a = [seat("alice", "s1", 100)];
        let b = [seat("alice", "s2", 100)];
        let mut one = Claims::default();
        one.report("a", &a, &a, []);
        let first = one.report("b", &b, &b, [("a", &a[..])]);
        let mut two = Claims::default();
        two.report("b", &b, &b, []);
        let second = two.report("a", &a, &a, [("b", &b[..])]);
        assert_eq!(first, second);
        assert_eq!(first, vec![give_way("a", seat("alice", "s1", 100))]);
    }

    #[test]
    fn every_doubly_seated_user_is_reported_once() {
        let mut claims = Claims::default();
        let general = [seat("alice", "s1", 10), seat("bob", "s2", 10)];
        claims.report("general", &general, &general, []);
        let gaming = [seat("alice", "s3", 20), seat("bob", "s4", 20), seat("carol", "s5", 20)];
        let out = claims.report("gaming", &gaming, &gaming, [("general", &general[..])]);
        let users: Vec<_> = out.iter().map(|g| (g.channel_id.as_str(), g.seat.user_id.as_str())).collect();
        assert_eq!(users, [("general", "alice"), ("general", "bob")]);
    }

    #[test]
    fn a_seat_is_superseded_only_by_a_newer_claim_in_another_channel() {
        let mut claims = Claims::default();
        let held = [seat("alice", "s1", 100)];
        claims.report("general", &held, &held, []);
        assert!(!claims.superseded("general", &held[0]), "its own claim");
        claims.report("gaming", &[], &[seat("alice", "s2", 50)], []);
        assert!(!claims.superseded("general", &held[0]), "an older claim elsewhere");
        claims.report("music", &[], &[seat("alice", "s3", 200)], []);
        assert!(claims.superseded("general", &held[0]));
        assert!(!claims.superseded("general", &seat("bob", "s4", 100)), "another user");
    }

    #[test]
    fn old_claims_are_forgotten() {
        let mut claims = Claims::default();
        let at = FORGET_EVERY_MS; // after the first look
        claims.report("gaming", &[], &[seat("alice", "s3", at + 200)], []);
        claims.forget_old(at + 200 + REMEMBER_MS + 1);
        let general = [seat("alice", "s2", at + 150)];
        assert!(claims.report("general", &general, &general, []).is_empty());
    }

    #[test]
    fn recent_claims_survive_a_look_for_old_ones() {
        let mut claims = Claims::default();
        let at = FORGET_EVERY_MS;
        claims.report("gaming", &[], &[seat("alice", "s3", at + 200)], []);
        claims.forget_old(at + 200 + REMEMBER_MS - 1);
        let general = [seat("alice", "s2", at + 150)];
        assert_eq!(claims.report("general", &general, &general, []).len(), 1);
    }
}
