//! The presence set of one voice channel and its rules, as plain data: one entry per user, the
//! double-join rule, same-tab resume, `resume=1` joins (take an entry back or nothing), heartbeat
//! and grace deadlines, and the one alarm time that covers them all. The room (`room/store.rs`) rebuilds a `Presence` from socket attachments (live
//! entries) and storage (entries in grace); its handlers call these methods and perform the
//! effects they describe.

use serde::{Deserialize, Serialize};

use crate::protocol::Member;
use crate::seats::Seat;

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A live socket with no sign of life for this long is dropped.
    pub heartbeat_ms: Millis,
    /// A dropped entry is kept this long for its user to come back.
    pub grace_ms: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub member: Member,
    /// The id of the socket that holds (or last held) this entry; a tab that presents it again
    /// takes the entry over.
    pub session_id: String,
    pub joined_at: Millis,
    /// When `session_id` took the seat (a new join, a resume or a replaced socket): the lobby
    /// compares these when a user is seated in two channels, and the older seat gives way.
    #[serde(default)]
    pub seated_at: Millis,
    pub link: Link,
}

impl Entry {
    /// The seat this entry holds, as the lobby sees it.
    pub fn seat(&self) -> Seat {
        Seat { user_id: self.member.id.clone(), session_id: self.session_id.clone(), since: self.seated_at }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "link", rename_all = "snake_case")]
pub enum Link {
    /// A socket is open; `last_seen` is its last sign of life.
    Live { last_seen: Millis },
    /// The socket is gone; the entry is removed at `deadline` unless its user comes back.
    Grace { deadline: Millis },
}

#[derive(Debug, PartialEq, Eq, Clone)]
pub enum Joined {
    /// A new entry; others get `member_joined` with `resumed: false`.
    New,
    /// The user's entry was in grace and is live again (`resumed: true`).
    ResumedFromGrace,
    /// The same tab came back on a new socket: the socket of `old_session` is closed with 4011.
    Replaced { old_session: String },
}

impl Joined {
    pub fn resumed(&self) -> bool {
        !matches!(self, Joined::New)
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Refused {
    /// The user has a live socket here and did not present its session id.
    AlreadyInChannel,
    /// `MAX_MEMBERS` seats are taken.
    ChannelFull,
    /// A `resume=1` join found no entry to take back: none in grace for this user, and no live
    /// one holding the session it presented.
    ResumeFailed,
}

/// What an alarm found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Live entries silent past the heartbeat timeout, now in grace: `(user_id, session_id)` of
    /// the sockets to close with 4008.
    pub timed_out: Vec<(String, String)>,
    /// Entries whose grace ran out, now removed: others get `member_left`.
    pub evicted: Vec<Entry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Presence {
    /// Ordered by `joined_at`: the order members are listed in.
    entries: Vec<Entry>,
}

impl Presence {
    /// Builds the set from stored entries; if a user appears twice (a live socket and a stale
    /// grace record), the live one wins, then the newest.
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| {
            let live = |e: &Entry| matches!(e.link, Link::Live { .. });
            (a.member.id.as_str(), !live(a), std::cmp::Reverse(a.joined_at)).cmp(&(
                b.member.id.as_str(),
                !live(b),
                std::cmp::Reverse(b.joined_at),
            ))
        });
        entries.dedup_by(|later, first| later.member.id == first.member.id);
        entries.sort_by_key(|e| e.joined_at);
        Presence { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, user_id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.member.id == user_id)
    }

    fn position(&self, user_id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.member.id == user_id)
    }

    pub fn members(&self) -> Vec<Member> {
        self.entries.iter().map(|e| e.member.clone()).collect()
    }

    /// Who holds each seat, and since when: what the lobby needs to keep each user in one channel.
    pub fn seats(&self) -> Vec<Seat> {
        self.entries.iter().map(Entry::seat).collect()
    }

    /// Rebuilds the set after the object woke up: `live` from the open sockets' attachments,
    /// `stored` from storage. A stored live entry with no socket any more lost it without a
    /// close event (the runtime restarted): it gets the grace period from `now`, like any drop.
    pub fn restore(live: Vec<Entry>, stored: Vec<Entry>, now: Millis, timing: Timing) -> Self {
        let mut entries = live;
        for mut entry in stored {
            if entries.iter().any(|e| e.member.id == entry.member.id) {
                continue;
            }
            if let Link::Live { .. } = entry.link {
                entry.link = Link::Grace { deadline: now + timing.grace_ms };
            }
            entries.push(entry);
        }
        Presence::new(entries)
    }

    /// What storage keeps: every entry, with live ones' `last_seen` left out so that signs of
    /// life (which the socket attachments track) never cause a write.
    pub fn stored_form(&self) -> Vec<Entry> {
        self.entries
            .iter()
            .cloned()
            .map(|mut e| {
                if let Link::Live { .. } = e.link {
                    e.link = Link::Live { last_seen: 0 };
                }
                e
            })
            .collect()
    }

    /// Decides a join without changing anything: the double-join rule and the member limit, which
    /// `join` applies first. (The user's other channel is not asked: the lobby moves the user out
    /// of it when this room's roster reaches it, `seats.rs`.)
    pub fn check_join(
        &self,
        user_id: &str,
        presented_session: Option<&str>,
        max_members: usize,
    ) -> Result<(), Refused> {
        match self.get(user_id) {
            Some(Entry { link: Link::Live { .. }, session_id, .. }) => {
                if presented_session == Some(session_id.as_str()) {
                    Ok(())
                } else {
                    Err(Refused::AlreadyInChannel)
                }
            }
            Some(Entry { link: Link::Grace { .. }, .. }) => Ok(()),
            None if self.entries.len() >= max_members => Err(Refused::ChannelFull),
            None => Ok(()),
        }
    }

    /// Decides a `resume=1` join without changing anything. It may only take an entry back: the
    /// user's entry in grace (whatever session last held it: after a runtime restart the page's
    /// session is the one that vanished) or the live entry whose session it presents (the same
    /// tab, whose old socket is not known to be gone yet). Anything else — no entry, or another
    /// tab's live socket — is refused, and never becomes a fresh entry, so others never see the
    /// member flicker in and out. An entry the alarm already removed is gone: the alarm and the
    /// join are events of one object, each decided on the state the other left.
    pub fn check_resume(&self, user_id: &str, presented_session: Option<&str>) -> Result<(), Refused> {
        match self.get(user_id) {
            Some(Entry { link: Link::Grace { .. }, .. }) => Ok(()),
            Some(Entry { link: Link::Live { .. }, session_id, .. }) if presented_session == Some(session_id) => Ok(()),
            Some(_) | None => Err(Refused::ResumeFailed),
        }
    }

    /// Admits a `resume=1` join: `join`, but only when [`check_resume`](Self::check_resume) allows.
    pub fn resume(
        &mut self,
        user_id: &str,
        name: &str,
        presented_session: Option<&str>,
        new_session: &str,
        now: Millis,
    ) -> Result<Joined, Refused> {
        self.check_resume(user_id, presented_session)?;
        // The entry exists, so no seat is added: the member limit has nothing to refuse.
        self.join(user_id, name, presented_session, new_session, now, usize::MAX)
    }

    /// Admits `user_id` on a new socket with session id `new_session`.
    pub fn join(
        &mut self,
        user_id: &str,
        name: &str,
        presented_session: Option<&str>,
        new_session: &str,
        now: Millis,
        max_members: usize,
    ) -> Result<Joined, Refused> {
        self.check_join(user_id, presented_session, max_members)?;
        let link = Link::Live { last_seen: now };
        match self.position(user_id) {
            Some(i) => {
                let entry = &mut self.entries[i];
                let joined = match entry.link {
                    Link::Live { .. } => Joined::Replaced { old_session: entry.session_id.clone() },
                    Link::Grace { .. } => Joined::ResumedFromGrace,
                };
                entry.member.name = name.to_owned();
                entry.session_id = new_session.to_owned();
                entry.seated_at = now;
                entry.link = link;
                Ok(joined)
            }
            None => {
                self.entries.push(Entry {
                    member: Member::new(user_id, name),
                    session_id: new_session.to_owned(),
                    joined_at: now,
                    seated_at: now,
                    link,
                });
                Ok(Joined::New)
            }
        }
    }

    /// Removes the user at once (`leave`, a clean close, a move to another channel).
    pub fn remove(&mut self, user_id: &str) -> Option<Entry> {
        self.position(user_id).map(|i| self.entries.remove(i))
    }

    /// The socket of `session_id` went away without leaving: its entry waits in grace. A socket
    /// that was already replaced changes nothing.
    pub fn drop_link(&mut self, user_id: &str, session_id: &str, now: Millis, timing: Timing) -> bool {
        match self.position(user_id) {
            Some(i)
                if self.entries[i].session_id == session_id && matches!(self.entries[i].link, Link::Live { .. }) =>
            {
                self.entries[i].link = Link::Grace { deadline: now + timing.grace_ms };
                true
            }
            _ => false,
        }
    }

    /// Mute/deafen; returns the updated member if anything changed.
    pub fn set_state(&mut self, user_id: &str, muted: bool, deafened: bool) -> Option<&Member> {
        let i = self.position(user_id)?;
        let member = &mut self.entries[i].member;
        if member.muted == muted && member.deafened == deafened {
            return None;
        }
        member.muted = muted;
        member.deafened = deafened;
        Some(member)
    }

    /// Server mute (a moderator's); returns the updated member, changed or not.
    pub fn set_server_muted(&mut self, user_id: &str, muted: bool) -> Option<&Member> {
        let i = self.position(user_id)?;
        self.entries[i].member.server_muted = muted;
        Some(&self.entries[i].member)
    }

    /// Moves silent sockets to grace and removes entries whose grace ran out.
    pub fn sweep(&mut self, now: Millis, timing: Timing) -> Sweep {
        let mut sweep = Sweep::default();
        for entry in &mut self.entries {
            if let Link::Live { last_seen } = entry.link {
                if now >= last_seen + timing.heartbeat_ms {
                    entry.link = Link::Grace { deadline: now + timing.grace_ms };
                    sweep.timed_out.push((entry.member.id.clone(), entry.session_id.clone()));
                }
            }
        }
        let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| matches!(e.link, Link::Grace { deadline } if now >= deadline));
        self.entries = kept;
        sweep.evicted = expired;
        sweep
    }

    /// When the alarm must next fire: the earliest heartbeat or grace deadline, if any.
    pub fn next_deadline(&self, timing: Timing) -> Option<Millis> {
        self.entries
            .iter()
            .map(|e| match e.link {
                Link::Live { last_seen } => last_seen + timing.heartbeat_ms,
                Link::Grace { deadline } => deadline,
            })
            .min()
    }
}

#[cfg(test)]
mod tests;
