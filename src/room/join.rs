//! Who gets into the room and who is put out by others: a join (with the double-join rule, the
//! same tab coming back, a `resume=1` join that takes an entry back or is refused, a full
//! channel), an eviction the Lobby asks for when the user took a seat
//! elsewhere, and what every removal is followed by.

use worker::{Response, WebSocketPair};

use super::sockets::Attachment;
use super::store::Loaded;
use super::{send, Room};
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
}

impl Ask {
    pub fn from_query(query: impl Fn(&str) -> Option<String>) -> Self {
        Ask {
            session: query("session"),
            resume: query("resume").as_deref() == Some("1"),
            media_kept: query("media").as_deref() == Some("kept"),
        }
    }
}

impl Room {
    pub(super) async fn join(&self, channel_id: &str, user_id: &str, name: &str, ask: Ask) -> worker::Result<Response> {
        let presented = ask.session.as_deref();
        self.store.set_channel_id(&self.state, channel_id).await?;
        let pair = WebSocketPair::new()?;
        let max = self.config.max_members;
        let session_id = crate::auth::random_id();

        // The only wait (≤ 2 s for a remote TURN provider, cached) comes before the decision. One
        // channel per user waits for nothing: the lobby moves the user out of any other channel
        // when this room's roster reaches it (`seats.rs`).
        let (ice_servers, ice_expires_at) =
            turn::remote::ice_servers(&self.turn, &self.config.stun_urls, user_id, now_secs()).await;

        // Decide on fresh state, with no await between the decision and accepting the socket (nor
        // the in-memory copy of storage, `persist`): the grace alarm is another event of this
        // object, so a resume either finds the entry before the alarm removed it (and the alarm
        // then finds it live) or after (4012, and its `member_left` stays the last word).
        let mut loaded = self.load().await?;
        let now = now_ms();
        let decided = if ask.resume {
            loaded.presence.resume(user_id, name, presented, &session_id, now)
        } else {
            loaded.presence.join(user_id, name, presented, &session_id, now, max)
        };
        let joined = match decided {
            Ok(joined) => joined,
            Err(refused) => return refuse(pair, refused),
        };
        let Some(entry) = loaded.presence.get(user_id).cloned() else {
            return Response::error("join lost its entry", 500);
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
        self.state.accept_websocket_with_tags(&server, &[user_id]);
        self.sockets.write(&server, &Attachment { entry: entry.clone(), closing: false })?;

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
                grace_secs: self.config.grace_secs,
            },
        );
        let (resumed, media_kept) = (joined.resumed(), joined.resumed() && ask.media_kept);
        let announce = ServerMsg::MemberJoined { member: &entry.member, resumed, media_kept }.to_json();
        self.broadcast(&announce, Some(&server));

        self.persist(&loaded).await?;
        self.reports.took(entry.seat());
        self.notify_lobby(&loaded.presence);
        http::websocket_response(pair.client)
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
fn refuse(pair: WebSocketPair, refused: Refused) -> worker::Result<Response> {
    let (reason, detail) = match refused {
        Refused::AlreadyInChannel => (Reason::AlreadyInChannel, "you are already in this channel on another socket"),
        Refused::ChannelFull => (Reason::ChannelFull, "this channel is full"),
        Refused::ResumeFailed => (Reason::ResumeFailed, "there is no place to take back here: join afresh"),
    };
    pair.server.accept()?;
    send(&pair.server, &ServerMsg::error(reason, detail));
    let code = reason.close_code().unwrap_or(close::NORMAL);
    let _ = pair.server.close(Some(code), Some(reason.as_str()));
    http::websocket_response(pair.client)
}
