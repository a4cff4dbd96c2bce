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
