//! The presence rules as behaviours: joins, the double-join rule, resume, grace and heartbeat,
//! restore after a restart, and the alarm time.

use super::*;

const T: Timing = Timing { heartbeat_ms: 30_000, grace_ms: 15_000 };
const MAX: usize = 16;

fn with(users: &[(&str, &str)]) -> Presence {
    let mut p = Presence::default();
    for (i, (id, session)) in users.iter().enumerate() {
        p.join(id, id, None, session, 1000 + i as u64, MAX).unwrap();
    }
    p
}

fn ids(p: &Presence) -> Vec<&str> {
    p.entries().iter().map(|e| e.member.id.as_str()).collect()
}

#[test]
fn first_join_is_new() {
    let mut p = Presence::default();
    assert_eq!(p.join("alice", "Alice", None, "s1", 0, MAX), Ok(Joined::New));
    assert_eq!(p.members(), vec![Member::new("alice", "Alice")]);
}

#[test]
fn second_join_of_same_user_is_rejected() {
    let mut p = with(&[("alice", "s1")]);
    assert_eq!(p.join("alice", "Alice", None, "s2", 5, MAX), Err(Refused::AlreadyInChannel));
    assert_eq!(p.join("alice", "Alice", Some("other"), "s2", 5, MAX), Err(Refused::AlreadyInChannel));
    assert_eq!(ids(&p), ["alice"]);
    assert_eq!(p.get("alice").unwrap().session_id, "s1");
}

#[test]
fn same_tab_presenting_its_session_replaces_the_socket() {
    let mut p = with(&[("alice", "s1")]);
    assert_eq!(p.join("alice", "Alice", Some("s1"), "s2", 5, MAX), Ok(Joined::Replaced { old_session: "s1".into() }));
    assert_eq!(p.get("alice").unwrap().session_id, "s2");
    assert_eq!(ids(&p), ["alice"]);
}

#[test]
fn join_within_grace_takes_the_entry_back() {
    let mut p = with(&[("alice", "s1"), ("bob", "b1")]);
    p.set_state("alice", true, false);
    assert!(p.drop_link("alice", "s1", 2000, T));
    assert_eq!(p.join("alice", "Alice", None, "s2", 3000, MAX), Ok(Joined::ResumedFromGrace));
    let entry = p.get("alice").unwrap();
    assert_eq!(entry.link, Link::Live { last_seen: 3000 });
    assert!(entry.member.muted, "state survives a resume");
    assert_eq!(ids(&p), ["alice", "bob"], "a resumed member keeps its place");
}

#[test]
fn drop_of_a_replaced_socket_changes_nothing() {
    let mut p = with(&[("alice", "s1")]);
    p.join("alice", "Alice", Some("s1"), "s2", 5, MAX).unwrap();
    assert!(!p.drop_link("alice", "s1", 10, T));
    assert!(matches!(p.get("alice").unwrap().link, Link::Live { .. }));
}

#[test]
fn dropped_member_stays_listed_until_grace_ends() {
    let mut p = with(&[("alice", "s1")]);
    p.drop_link("alice", "s1", 10_000, T);
    let before = p.sweep(10_000 + T.grace_ms - 1, T);
    assert!(before.evicted.is_empty());
    assert_eq!(ids(&p), ["alice"]);
    let after = p.sweep(10_000 + T.grace_ms, T);
    assert_eq!(after.evicted.len(), 1);
    assert!(ids(&p).is_empty());
}

#[test]
fn silent_socket_times_out_into_grace() {
    let mut p = with(&[("alice", "s1")]);
    let last_seen = 1000;
    assert!(p.sweep(last_seen + T.heartbeat_ms - 1, T).timed_out.is_empty());
    let sweep = p.sweep(last_seen + T.heartbeat_ms, T);
    assert_eq!(sweep.timed_out, vec![("alice".to_string(), "s1".to_string())]);
    assert_eq!(p.get("alice").unwrap().link, Link::Grace { deadline: last_seen + T.heartbeat_ms + T.grace_ms });
}

#[test]
fn alarm_is_the_earliest_deadline() {
    let mut p = with(&[("alice", "s1"), ("bob", "b1")]);
    assert_eq!(p.next_deadline(T), Some(1000 + T.heartbeat_ms));
    p.drop_link("bob", "b1", 2000, T);
    assert_eq!(p.next_deadline(T), Some(2000 + T.grace_ms));
    p.remove("bob");
    p.remove("alice");
    assert_eq!(p.next_deadline(T), None);
}

#[test]
fn channel_full_refuses_newcomers_but_not_returning_members() {
    let mut p = Presence::default();
    p.join("a", "A", None, "s", 0, 2).unwrap();
    p.join("b", "B", None, "s", 0, 2).unwrap();
    assert_eq!(p.join("c", "C", None, "s", 0, 2), Err(Refused::ChannelFull));
    p.drop_link("a", "s", 1, T);
    assert_eq!(p.join("a", "A", None, "s2", 2, 2), Ok(Joined::ResumedFromGrace));
}

#[test]
fn state_change_is_reported_once() {
    let mut p = with(&[("alice", "s1")]);
    assert!(p.set_state("alice", true, false).is_some());
    assert!(p.set_state("alice", true, false).is_none());
    assert!(p.set_state("nobody", true, true).is_none());
}

#[test]
fn rebuilding_prefers_the_live_entry_of_a_user() {
    let live = Entry {
        member: Member::new("a", "A"),
        session_id: "new".into(),
        joined_at: 5,
        seated_at: 0,
        link: Link::Live { last_seen: 9 },
    };
    let stale = Entry {
        member: Member::new("a", "A"),
        session_id: "old".into(),
        joined_at: 1,
        seated_at: 0,
        link: Link::Grace { deadline: 20 },
    };
    let bob = Entry {
        member: Member::new("b", "B"),
        session_id: "b".into(),
        joined_at: 3,
        seated_at: 0,
        link: Link::Live { last_seen: 9 },
    };
    let p = Presence::new(vec![stale, bob, live]);
    assert_eq!(ids(&p), ["b", "a"]);
    assert_eq!(p.get("a").unwrap().session_id, "new");
}

#[test]
fn stored_form_ignores_signs_of_life() {
    let mut p = with(&[("alice", "s1"), ("bob", "b1")]);
    let before = p.stored_form();
    let mut later = p.clone();
    for e in &mut later.entries {
        e.link = Link::Live { last_seen: 20_000 };
    }
    assert_eq!(later.stored_form(), before, "a newer last_seen is not a change to store");
    p.drop_link("bob", "b1", 5, T);
    assert_ne!(p.stored_form(), before, "a drop is");
}

#[test]
fn restore_gives_members_who_lost_their_socket_the_grace_period() {
    let p = with(&[("alice", "s1"), ("bob", "b1")]);
    let stored = p.stored_form();
    let alice_live = p.get("alice").cloned().unwrap();
    // After a restart only alice's socket is back.
    let restored = Presence::restore(vec![alice_live.clone()], stored, 50_000, T);
    assert_eq!(restored.get("alice"), Some(&alice_live));
    assert_eq!(restored.get("bob").unwrap().link, Link::Grace { deadline: 50_000 + T.grace_ms });
    assert_eq!(ids(&restored), ["alice", "bob"]);
}

// `resume=1` joins: take an entry back, or nothing.

#[test]
fn resume_takes_back_an_entry_in_grace_whatever_its_session() {
    let mut p = with(&[("alice", "s1"), ("bob", "b1")]);
    p.set_state("alice", true, true);
    p.drop_link("alice", "s1", 2000, T);
    assert_eq!(p.resume("alice", "Alice", Some("not-s1"), "s2", 3000), Ok(Joined::ResumedFromGrace));
    let entry = p.get("alice").unwrap();
    assert_eq!((entry.session_id.as_str(), entry.link), ("s2", Link::Live { last_seen: 3000 }));
    assert!(entry.member.muted && entry.member.deafened, "mute and deafen survive a resume");
    assert_eq!(ids(&p), ["alice", "bob"]);
}

#[test]
fn resume_presenting_the_live_session_replaces_the_socket() {
    let mut p = with(&[("alice", "s1")]);
    assert_eq!(p.resume("alice", "Alice", Some("s1"), "s2", 5), Ok(Joined::Replaced { old_session: "s1".into() }));
    assert_eq!(p.get("alice").unwrap().session_id, "s2");
}

#[test]
fn resume_with_nothing_to_take_back_is_refused_and_adds_no_entry() {
    let mut p = with(&[("bob", "b1")]);
    assert_eq!(p.resume("alice", "Alice", Some("s1"), "s2", 5), Err(Refused::ResumeFailed));
    assert_eq!(p.resume("alice", "Alice", None, "s2", 5), Err(Refused::ResumeFailed));
    assert_eq!(ids(&p), ["bob"], "a refused resume never makes a fresh entry");
}

#[test]
fn resume_against_another_tabs_live_socket_is_refused() {
    let mut p = with(&[("alice", "s1")]);
    assert_eq!(p.resume("alice", "Alice", Some("other"), "s2", 5), Err(Refused::ResumeFailed));
    assert_eq!(p.resume("alice", "Alice", None, "s2", 5), Err(Refused::ResumeFailed));
    assert_eq!(p.get("alice").unwrap().session_id, "s1", "the live socket keeps its place");
}

#[test]
fn resume_into_a_full_channel_takes_its_entry_back() {
    let mut p = Presence::default();
    p.join("a", "A", None, "s", 0, 2).unwrap();
    p.join("b", "B", None, "s", 0, 2).unwrap();
    p.drop_link("a", "s", 1, T);
    assert_eq!(p.resume("a", "A", None, "s2", 2), Ok(Joined::ResumedFromGrace));
    assert_eq!(p.resume("c", "C", None, "s3", 2), Err(Refused::ResumeFailed), "not channel_full: nothing to take back");
}

#[test]
fn resume_after_a_restart_takes_back_the_entry_whose_socket_vanished() {
    let p = with(&[("alice", "s1"), ("bob", "b1")]);
    // The runtime restarted: no socket is back, storage still lists both as live.
    let mut restored = Presence::restore(Vec::new(), p.stored_form(), 50_000, T);
    assert_eq!(restored.resume("alice", "Alice", Some("s1"), "s2", 50_100), Ok(Joined::ResumedFromGrace));
    assert_eq!(restored.resume("bob", "Bob", Some("b1"), "b2", 50_200), Ok(Joined::ResumedFromGrace));
    assert!(restored.entries().iter().all(|e| matches!(e.link, Link::Live { .. })));
    assert_eq!(ids(&restored), ["alice", "bob"]);
}

#[test]
fn resume_just_before_the_grace_alarm_wins_and_the_alarm_finds_a_live_entry() {
    let mut p = with(&[("alice", "s1"), ("bob", "b1")]);
    p.drop_link("alice", "s1", 10_000, T);
    let deadline = 10_000 + T.grace_ms;
    assert_eq!(p.resume("alice", "Alice", Some("s1"), "s2", deadline - 1), Ok(Joined::ResumedFromGrace));
    let sweep = p.sweep(deadline, T);
    assert!(sweep.evicted.is_empty(), "the alarm evicts nobody who came back");
    assert_eq!(ids(&p), ["alice", "bob"]);
    assert_eq!(p.next_deadline(T), Some(1001 + T.heartbeat_ms), "the next alarm is a heartbeat, not the old grace");
}

#[test]
fn resume_just_after_the_grace_alarm_is_refused() {
    let mut p = with(&[("alice", "s1"), ("bob", "b1")]);
    p.drop_link("alice", "s1", 10_000, T);
    let deadline = 10_000 + T.grace_ms;
    let sweep = p.sweep(deadline, T);
    assert_eq!(sweep.evicted.len(), 1, "others get member_left");
    assert_eq!(p.resume("alice", "Alice", Some("s1"), "s2", deadline + 1), Err(Refused::ResumeFailed));
    assert_eq!(ids(&p), ["bob"], "no member_joined follows the member_left");
}

#[test]
fn a_plain_join_after_the_grace_is_still_a_fresh_entry() {
    let mut p = with(&[("alice", "s1")]);
    p.drop_link("alice", "s1", 10_000, T);
    p.sweep(10_000 + T.grace_ms, T);
    assert_eq!(p.join("alice", "Alice", Some("s1"), "s2", 30_000, MAX), Ok(Joined::New));
}

#[test]
fn a_server_mute_survives_the_members_own_state() {
    let mut p = Presence::default();
    p.join("alice", "Alice", None, "s1", 1, 8).unwrap();
    assert!(p.set_server_muted("alice", true).is_some_and(|m| m.server_muted));
    // The member unmutes itself: its own mute changes, the server mute stays.
    p.set_state("alice", true, false);
    let member = p.set_state("alice", false, false).cloned().unwrap();
    assert!(member.server_muted && !member.muted);
    assert!(!p.set_server_muted("alice", false).unwrap().server_muted);
    assert!(p.set_server_muted("nobody", true).is_none());
}
