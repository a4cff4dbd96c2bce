//! Who gets into the room and who is put out by others: a join (with the double-join rule, the
//! same tab coming back, a `resume=1` join that takes an entry back or is refused, a full
//! channel), an eviction the Lobby asks for when the user took a seat
//! elsewhere, and what every removal is followed by.

use worker::{web_sys, Response, WebSocketPair};

use super::sockets::Attachment;
use super::store::Loaded;
use super::{send, wasm, Room};
use crate::auth::user_tag;
use crate::http::{self, now_ms, now_secs};
use crate::presence::{Entry, Joined, Refused};
use crate::protocol::{close, Reason, ServerMsg};
use crate::turn;

/// What a join asks for, from the internal `/join` query (`api.rs` forwards the page's).
pub(super) struct Ask {
    /// `session=`: the session id the tab last held here.
    pub session: Option<String>,
    /// `resume=1`: take an entry back or be refused (4012), never a fresh entry.
    pub resume: bool,
    /// `media=kept`: the page kept its peer connections; a resumed join tells the others so.
    pub media_kept: bool,
    /// `exp=`: when the token the socket is opened with expires (unix seconds; `api.rs` sets it).
    pub exp: Option<u64>,
    /// `max=`: the channel's `max_members` when the admin API set it (else `MAX_MEMBERS`).
    pub max: Option<usize>,
}

impl Ask {
    pub fn from_query(query: &crate::query::Query) -> Self {
        Ask {
            session: query.get("session").map(str::to_owned),
            resume: query.get("resume") == Some("1"),
            media_kept: query.get("media") == Some("kept"),
            exp: query.get("exp").and_then(|e| e.parse().ok()),
            max: query.get("max").and_then(|m| m.parse().ok()),
        }
    }
}

impl Room {
    pub(super) async fn join(
        &self,
        space: &str,
        channel_id: &str,
        user_id: &str,
        name: &str,
        ask: Ask,
    ) -> worker::Result<web_sys::Response> {
        let (presented, exp) = (ask.session.as_deref(), ask.exp);
        self.store.set_channel_id(&self.state, &crate::space::room_name(space, channel_id))?;
        let pair = WebSocketPair::new()?;
        let max = ask.max.unwrap_or(self.config().max_members);
        let session_id = crate::auth::random_id();

        // The only wait (≤ 2 s for a remote TURN provider, cached) comes before the decision. One
        // channel per user waits for nothing: the lobby moves the user out of any other channel
        // when this room's roster reaches it (`seats.rs`).
        let (ice_servers, ice_expires_at) =
            turn::remote::ice_servers(&self.settings.1, &self.config().stun_urls, user_id, now_secs()).await;

        let policy = self.policy().await?;
        if policy.bans.active(user_id, now_ms()) {
            return refuse_with(pair, Reason::Banned, "you are banned from this space for now");
        }
        // Decide on fresh state, with no await between the decision and accepting the socket (nor
        // the in-memory copy of storage, `persist`): the grace alarm is another event of this
        // object, so a resume either finds the entry before the alarm removed it (and the alarm
        // then finds it live) or after (4012, and its `member_left` stays the last word).
        let mut loaded = self.load().await?;
        if loaded.presence.check_join(user_id, presented, usize::MAX) == Err(Refused::AlreadyInChannel) {
            // Only a second socket of a user already here asks the Lobby (and waits).
            self.yield_superseded_seat(channel_id, user_id, presented).await?;
            loaded = self.load().await?;
        }
        let now = now_ms();
        if !self.admit(&loaded, user_id, &ask, now) {
            return refuse_with(pair, Reason::RateLimited, "too many joins: wait a few seconds");
        }
        let decided = if ask.resume {
            loaded.presence.resume(user_id, name, presented, &session_id, now)
        } else {
            loaded.presence.join(user_id, name, presented, &session_id, now, max)
        };
        let joined = match decided {
            Ok(joined) => joined,
            Err(refused) => return refuse(pair, refused),
        };
        // A user the space's moderators muted joins muted (a resume keeps the entry's own).
        if policy.muted.iter().any(|u| u == user_id) {
            loaded.presence.set_server_muted(user_id, true);
        }
        let Some(entry) = loaded.presence.get(user_id).cloned() else {
            return Response::error("join lost its entry", 500).map(web_sys::Response::from);
        };

        if let Joined::Replaced { old_session } = &joined {
            if let Some(old) = loaded.socket(user_id, old_session).cloned() {
                if let Some(mut att) = self.sockets.attachment(&old) {
                    send(&old, &ServerMsg::error(Reason::Replaced, "this tab reconnected on a new socket"));
                    self.sockets.close(&old, &mut att, close::REPLACED, "replaced");
                }
            }
        }

        let server = pair.server;
        wasm::accept_tagged(&self.state, &server, &user_tag(user_id))?;
        let att = Attachment { entry: entry.clone(), closing: false, exp };
        self.sockets.write(&server, &att)?;
        loaded.sockets.push((server.clone(), att)); // its token's expiry sets the alarm too

        send(
            &server,
            &ServerMsg::Joined {
                channel_id,
                user_id,
                session_id: &session_id,
                members: loaded.presence.members(),
                ice_servers: &ice_servers,
                ice_expires_at,
                resumed: joined.resumed(),
                grace_secs: self.config().grace_secs,
            },
        );
        let (resumed, media_kept) = (joined.resumed(), joined.resumed() && ask.media_kept);
        let announce = ServerMsg::MemberJoined { member: &entry.member, resumed, media_kept }.to_json();
        self.broadcast(&announce, Some(&server));

        self.persist(&loaded).await?;
        self.reports.took(entry.seat());
        self.notify_lobby(&loaded.presence);
        http::upgraded(&pair.client)
    }

    /// Another channel took this user: drop them here at once (only `session_id`'s seat, when
    /// named: a later join here is newer than the seat elsewhere).
    pub(super) async fn evict_moved(&self, user_id: &str, session_id: Option<&str>) -> worker::Result<()> {
        let mut loaded = self.load().await?;
        let named = |e: &Entry| session_id.is_none_or(|s| s == e.session_id);
        if !loaded.presence.get(user_id).is_some_and(named) {
            return Ok(());
        }
        let Some(entry) = loaded.presence.remove(user_id) else { return Ok(()) };
        let removed = [entry.clone()];
        if let Some(ws) = loaded.socket(user_id, &entry.session_id).cloned() {
            if let Some(mut att) = self.sockets.attachment(&ws) {
                send(&ws, &ServerMsg::error(Reason::Moved, "you joined another channel"));
                self.sockets.close(&ws, &mut att, close::MOVED, "moved");
            }
        }
        self.after_removal(&mut loaded, &removed).await
    }

    /// The channel was deleted: everyone in it gets `channel_deleted` (4004) and every entry goes,
    /// grace ones too (nobody can come back to a channel that is gone).
    pub(super) async fn delete(&self) -> worker::Result<()> {
        let mut loaded = self.load().await?;
        for (ws, mut att) in std::mem::take(&mut loaded.sockets) {
            send(&ws, &ServerMsg::error(Reason::ChannelDeleted, "this channel was deleted"));
            self.sockets.close(&ws, &mut att, close::CHANNEL_DELETED, "channel_deleted");
        }
        let ids: Vec<String> = loaded.presence.entries().iter().map(|e| e.member.id.clone()).collect();
        for id in ids {
            loaded.presence.remove(&id);
        }
        self.persist(&loaded).await
    }

    /// The join limit (`JOINS_PER_10_SECS` per user): counts a join that would be accepted, except
    /// a resume presenting the session id of the entry it takes back (a network blip, a reload).
    fn admit(&self, loaded: &Loaded, user_id: &str, ask: &Ask, now: u64) -> bool {
        let presented = ask.session.as_deref();
        let resumes = presented.is_some_and(|s| loaded.presence.get(user_id).is_some_and(|e| e.session_id == s));
        let refused = if ask.resume {
            loaded.presence.check_resume(user_id, presented).is_err()
        } else {
            loaded.presence.check_join(user_id, presented, ask.max.unwrap_or(self.config().max_members)).is_err()
        };
        resumes || refused || self.joins.borrow_mut().admit(user_id, self.config().joins_per_10_secs, now)
    }

    /// Tells everyone, stores, re-arms the alarm and updates the lobby after members left.
    pub(super) async fn after_removal(&self, loaded: &mut Loaded, removed: &[Entry]) -> worker::Result<()> {
        for entry in removed {
            self.broadcast(&ServerMsg::MemberLeft { user_id: &entry.member.id }.to_json(), None);
        }
        self.persist(loaded).await?;
        self.notify_lobby(&loaded.presence);
        Ok(())
    }
}

/// Accepts the socket only to say why it is refused, then closes it (it never joins presence).
fn refuse(pair: WebSocketPair, refused: Refused) -> worker::Result<web_sys::Response> {
    let (reason, detail) = match refused {
        Refused::AlreadyInChannel => (Reason::AlreadyInChannel, "you are already in this channel on another socket"),
        Refused::ChannelFull => (Reason::ChannelFull, "this channel is full"),
        Refused::ResumeFailed => (Reason::ResumeFailed, "there is no place to take back here: join afresh"),
    };
    refuse_with(pair, reason, detail)
}

/// Accepts the socket only to send `error` with `reason`, then closes it with its code.
fn refuse_with(pair: WebSocketPair, reason: Reason, detail: &str) -> worker::Result<web_sys::Response> {
    pair.server.accept()?;
    send(&pair.server, &ServerMsg::error(reason, detail));
    let code = reason.close_code().unwrap_or(close::NORMAL);
    let _ = pair.server.close(Some(code), Some(reason.as_str()));
    http::upgraded(&pair.client)
}
