//! The `VoiceRoom` Durable Object: one per channel of a space (`space.rs` names it). It holds the
//! channel's hibernatable WebSockets, relays signals to one peer with a server-set `from`, and
//! keeps presence. Nothing that matters lives only in memory (`store.rs`: each live member is its
//! socket's attachment, every entry is also in storage, one alarm covers every deadline). After
//! each change the room reports its roster and seats to the Lobby (`lobby_report.rs`), which keeps
//! every user in one channel and may answer with `/evict`. The rules are in `presence.rs` and
//! `seats.rs`; this file and `join.rs` read state, call them and perform the effects.
//!
//! The parts: `class.rs` (the class the runtime calls: fetch, alarm, WebSocket events),
//! `sockets.rs` (who each socket is, its flood bucket; the only writer of attachments), `store.rs`
//! (the presence mirror and the alarm), `lobby_report.rs` (the report queue to the Lobby),
//! `moderation.rs` (server mute, kick, move), `wasm.rs` (bindings: reading a frame, the
//! auto-response timestamp, running an event now).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use worker::{Env, Method, Request, Response, State, WebSocket, WebSocketRequestResponsePair};

use crate::auth::user_tag;
use crate::config::Config;
use crate::http::{self, now_ms};
use crate::presence::{Entry, Link, Timing};
use crate::protocol::{self, close, parse_client_msg, parse_relay, ClientMsg, ProtocolError, Reason, Relay, ServerMsg};
use crate::rate_limit::{JoinLimit, Limits, Verdict};
use crate::report::EvictRequest;
use crate::turn::Selection;

mod class;
mod join;
mod lobby_report;
mod moderation;
mod sockets;
mod store;
mod wasm;

use lobby_report::ReportQueue;
use sockets::{is_open, Attachment, Sockets};
use store::Store;
use wasm::Frame;

/// The room itself, shared with the WebSocket events that need to wait (storage, other objects).
pub struct Room {
    state: State,
    env: Env,
    /// The configuration and TURN provider, shared with every object of the isolate.
    settings: Rc<(Config, Selection)>,
    /// Who each live socket is, and its flood bucket.
    sockets: Sockets,
    /// The presence mirror, the alarm and the channel id.
    store: Store,
    /// What the Lobby has not been told yet.
    reports: ReportQueue,
    /// Recent joins per user (memory only: a limit, not a record).
    joins: RefCell<JoinLimit>,
    /// The space's mutes and bans, as its Lobby last sent them (and this room's kicks).
    policy: moderation::PolicyCache,
    /// This room, for work that goes on after the event that started it.
    me: Weak<Room>,
}

impl Room {
    fn new(state: State, env: Env, me: Weak<Room>) -> Self {
        // `ping` is answered by the runtime without waking this object.
        if let Ok(pair) = WebSocketRequestResponsePair::new(protocol::PING, protocol::PONG) {
            state.set_websocket_auto_response(&pair);
        }
        let settings = http::settings(&env);
        let config = &settings.0;
        let limits = Limits { per_sec: config.rate_per_sec as f64, burst: config.rate_burst as f64, ..Limits::SOCKET };
        // How often a sign of life is written to a socket's attachment.
        let touch_every = (config.heartbeat_secs * 1000 / 6).clamp(250, 5000);
        Room {
            state,
            env,
            settings: Rc::clone(&settings),
            sockets: Sockets::new(limits, touch_every),
            store: Store::new(),
            reports: ReportQueue::new(),
            joins: RefCell::new(JoinLimit::default()),
            policy: moderation::PolicyCache::default(),
            me,
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/moderate") => {
                let order: crate::moderation::Moderate = req.json().await?;
                self.moderate(order).await
            }
            (Method::Post, "/policy") => {
                let policy: crate::moderation::Policy = req.json().await?;
                self.set_policy(policy).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            (Method::Post, "/delete") => {
                self.delete().await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            (Method::Post, "/evict") => {
                let evict: EvictRequest = req.json().await?;
                self.evict_moved(&evict.user_id, evict.session_id.as_deref()).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            _ => Response::error("not found", 404),
        }
    }

    /// `/join?channel&user&name…` from the worker (`api::voice`).
    async fn join_request(&self, url: &str) -> worker::Result<worker::web_sys::Response> {
        let query = crate::query::Query::of_url(url);
        let (Some(channel_id), Some(user_id), Some(name)) =
            (query.get("channel"), query.get("user"), query.get("name"))
        else {
            return Response::error("bad internal join", 400).map(Into::into);
        };
        let space = query.get("space").unwrap_or(crate::space::DEFAULT_SPACE);
        let answer = self.join(space, channel_id, user_id, name, join::Ask::from_query(&query)).await?;
        // The worker passes the 101 on as it is (`entry.rs`): the request id goes on it here.
        if let Some(id) = query.get("rid") {
            answer.headers().set("x-request-id", id)?;
        }
        Ok(answer)
    }

    /// What every message goes through first, synchronously: who sent it (without deserializing
    /// the attachment), the rate check, and for a hot message within the rate (a `signal` or
    /// `speaking`) the relay itself. Returns the verdict when the full path must answer it; None
    /// when nothing is left to do (relayed, or not from a member).
    fn relay_now(&self, ws: &WebSocket, frame: &Frame) -> Option<Verdict> {
        self.sockets.take_message(ws, |sender| match frame {
            Frame::Text(text) => self.fast_path(ws, text, sender),
            Frame::TooLarge | Frame::Binary => false,
        })
    }

    /// Relays a well-formed `signal` or `speaking` without deserializing any attachment or
    /// re-serializing the payload. Returns false (nothing done) for anything else, including
    /// every error case: the full path handles those and answers with the right error.
    fn fast_path(&self, ws: &WebSocket, text: &str, sender: &Attachment) -> bool {
        // (A socket the server closes is forgotten first, so `sender` is never one of those.)
        let sender_id = &sender.entry.member.id;
        match parse_relay(text, sender_id) {
            Some(Relay::Signal { to, payload }) => {
                // Sockets are tagged with their member's `user_tag` (fixed length): one hash here.
                let targets: Vec<WebSocket> =
                    self.state.get_websockets_with_tag(&user_tag(&to)).into_iter().filter(is_open).collect();
                if targets.is_empty() {
                    return false; // unknown_peer: the full path answers it
                }
                let from = serde_json::to_string(sender_id).unwrap_or_default();
                let frame = format!(r#"{{"type":"signal","from":{from},"payload":{}}}"#, payload.get());
                for target in targets {
                    let _ = target.send_with_str(&frame);
                }
            }
            Some(Relay::Speaking(speaking)) => {
                let frame = ServerMsg::MemberSpeaking { user_id: sender_id, speaking }.to_json();
                self.broadcast(&frame, Some(ws));
            }
            None => return false,
        }
        true
    }

    /// The full path, for every message the fast path did not relay (`verdict` is its rate check).
    async fn websocket_message(&self, ws: WebSocket, frame: Frame, verdict: Verdict) -> worker::Result<()> {
        let Some(mut att) = self.sockets.attachment(&ws) else { return Ok(()) };
        match verdict {
            Verdict::Allow => {}
            Verdict::Reject { notify } => {
                if notify {
                    send(&ws, &ServerMsg::error(Reason::RateLimited, "slow down: too many messages"));
                }
                return Ok(());
            }
            Verdict::Close => {
                send(&ws, &ServerMsg::error(Reason::RateLimited, "closed for flooding"));
                self.sockets.close(&ws, &mut att, close::RATE_LIMITED, "rate_limited");
                let mut loaded = self.load().await?;
                let user_id = att.entry.member.id.clone();
                if loaded.presence.get(&user_id).is_some_and(|e| e.session_id == att.entry.session_id) {
                    if let Some(entry) = loaded.presence.remove(&user_id) {
                        self.after_removal(&mut loaded, &[entry]).await?;
                    }
                }
                return Ok(());
            }
        }
        let text = match frame {
            Frame::Text(text) => text,
            Frame::TooLarge => {
                let err = ProtocolError::too_large();
                send(&ws, &ServerMsg::error(err.reason, err.detail));
                self.sockets.touch(&ws, &mut att);
                return Ok(());
            }
            Frame::Binary => {
                send(&ws, &ServerMsg::error(Reason::BinaryNotSupported, "frames must be JSON text"));
                return Ok(());
            }
        };
        if text == protocol::PING {
            // Normally answered by the auto-response; kept for runtimes without it.
            let _ = ws.send_with_str(protocol::PONG);
            self.sockets.touch(&ws, &mut att);
            return Ok(());
        }
        let user_id = att.entry.member.id.clone();
        let msg = match parse_client_msg(&text, &user_id) {
            Ok(msg) => msg,
            Err(err) => {
                send(&ws, &ServerMsg::error(err.reason, err.detail));
                self.sockets.touch(&ws, &mut att);
                return Ok(());
            }
        };
        match msg {
            ClientMsg::Signal { to, payload } => {
                let targets: Vec<WebSocket> = self
                    .state
                    .get_websockets_with_tag(&user_tag(&to))
                    .into_iter()
                    .filter(|t| self.sockets.attachment(t).is_some())
                    .collect();
                if targets.is_empty() {
                    send(&ws, &ServerMsg::error(Reason::UnknownPeer, format!("{to:?} is not connected here")));
                } else {
                    let frame = ServerMsg::Signal { from: &user_id, payload: &payload }.to_json();
                    for target in targets {
                        let _ = target.send_with_str(&frame);
                    }
                }
                self.sockets.touch(&ws, &mut att);
            }
            ClientMsg::Speaking { speaking } => {
                let frame = ServerMsg::MemberSpeaking { user_id: &user_id, speaking }.to_json();
                self.broadcast(&frame, Some(&ws));
                self.sockets.touch(&ws, &mut att);
            }
            ClientMsg::State { muted, deafened } => {
                let mut loaded = self.load().await?;
                let updated = loaded.presence.set_state(&user_id, muted, deafened).cloned();
                if let Some(member) = updated {
                    att.entry.member = member.clone();
                    att.entry.link = Link::Live { last_seen: now_ms() };
                    let _ = self.sockets.write(&ws, &att);
                    self.broadcast(&ServerMsg::MemberUpdated { member: &member }.to_json(), None);
                    self.notify_lobby(&loaded.presence);
                    self.persist_state(&loaded).await?; // bursts folded: at most ~1 write a second
                } else {
                    self.sockets.touch(&ws, &mut att);
                }
            }
            ClientMsg::Leave { to } => {
                let mut loaded = self.load().await?;
                self.sockets.close(&ws, &mut att, close::NORMAL, "left");
                if let Some(to) = to.filter(|to| crate::space::valid_id(to)) {
                    self.reports.moved(crate::report::MovedOut { user_id: user_id.clone(), to });
                }
                if let Some(entry) = loaded.presence.remove(&user_id) {
                    self.after_removal(&mut loaded, &[entry]).await?;
                }
            }
        }
        Ok(())
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.store.alarm_fired();
        let mut loaded = self.load().await?;
        let expired = self.close_expired(&mut loaded);
        let sweep = loaded.presence.sweep(now_ms(), self.timing());
        for (user_id, session_id) in &sweep.timed_out {
            if let Some(ws) = loaded.socket(user_id, session_id).cloned() {
                if let Some(mut att) = self.sockets.attachment(&ws) {
                    send(
                        &ws,
                        &ServerMsg::error(Reason::HeartbeatTimeout, "no sign of life within the heartbeat timeout"),
                    );
                    self.sockets.close(&ws, &mut att, close::HEARTBEAT_TIMEOUT, "heartbeat_timeout");
                }
            }
        }
        if sweep.evicted.is_empty() && expired.is_empty() {
            self.persist(&loaded).await?;
        } else {
            let evicted = sweep.evicted.len() + expired.len();
            let fields = [("object", "room".into()), ("evicted", evicted.into())];
            crate::log::emit(
                crate::log::Level::Info,
                "members evicted (grace period over or token expired)",
                None,
                &fields,
            );
            self.after_removal(&mut loaded, &[expired, sweep.evicted].concat()).await?;
        }
        Response::ok("")
    }

    /// Closes the sockets whose token has expired (`token_expired`, 4001) and removes their
    /// entries at once: the page signs in again (or asks its host app) and joins afresh.
    fn close_expired(&self, loaded: &mut store::Loaded) -> Vec<Entry> {
        let mut removed = Vec::new();
        for (ws, mut att) in loaded.take_expired(now_ms()) {
            send(&ws, &ServerMsg::error(Reason::TokenExpired, "your session expired: sign in again"));
            self.sockets.close(&ws, &mut att, close::TOKEN_EXPIRED, "token_expired");
            let (user_id, session_id) = (&att.entry.member.id, &att.entry.session_id);
            if loaded.presence.get(user_id).is_some_and(|e| &e.session_id == session_id) {
                removed.extend(loaded.presence.remove(user_id));
            }
        }
        removed
    }

    /// A socket closed by its client: a clean close is a leave, anything else starts the grace
    /// period (the member stays listed until the alarm, unless they come back).
    async fn closed(&self, ws: WebSocket, code: usize) -> worker::Result<()> {
        let Some(mut att) = self.sockets.attachment(&ws) else {
            // Our own close, echoed back: finish the handshake so the client is not left waiting.
            let _ = ws.close(Some(close::NORMAL), Some("closed"));
            return Ok(());
        };
        let mut loaded = self.load().await?;
        let (user_id, session_id) = (att.entry.member.id.clone(), att.entry.session_id.clone());
        self.sockets.close(&ws, &mut att, close::NORMAL, "closed");
        let clean = code == usize::from(close::NORMAL) || code == usize::from(close::GOING_AWAY);
        if clean {
            // A clean close is a leave.
            let holds_entry = loaded.presence.get(&user_id).is_some_and(|e| e.session_id == session_id);
            if let Some(entry) = loaded.presence.remove(&user_id).filter(|_| holds_entry) {
                self.after_removal(&mut loaded, &[entry]).await?;
            }
        } else if loaded.presence.drop_link(&user_id, &session_id, now_ms(), self.timing()) {
            // Still listed for the grace period; the alarm removes it unless it comes back.
            self.persist(&loaded).await?;
        }
        Ok(())
    }

    fn config(&self) -> &Config {
        &self.settings.0
    }

    fn timing(&self) -> Timing {
        Timing { heartbeat_ms: self.config().heartbeat_secs * 1000, grace_ms: self.config().grace_secs * 1000 }
    }

    async fn load(&self) -> worker::Result<store::Loaded> {
        self.store.load(&self.state, &self.sockets, self.timing()).await
    }

    async fn persist(&self, loaded: &store::Loaded) -> worker::Result<()> {
        self.store.persist(&self.state, loaded, self.timing())
    }

    /// Sends `frame` to every member socket except `except`.
    fn broadcast(&self, frame: &str, except: Option<&WebSocket>) {
        for ws in self.state.get_websockets() {
            // Open sockets only: the server closes a socket (CLOSING) before anything else.
            if except == Some(&ws) || !is_open(&ws) {
                continue;
            }
            let _ = ws.send_with_str(frame);
        }
    }

    /// Runs `work` after the current event, on this room (errors are logged).
    fn later<F, Fut>(&self, work: F)
    where
        F: FnOnce(Rc<Room>) -> Fut,
        Fut: std::future::Future<Output = worker::Result<()>> + 'static,
    {
        let Some(room) = self.me.upgrade() else { return };
        let fut = work(room);
        worker::wasm_bindgen_futures::spawn_local(async move {
            if let Err(err) = fut.await {
                crate::log::error("room", "background work failed", err);
            }
        });
    }
}

fn send(ws: &WebSocket, msg: &ServerMsg) {
    let _ = ws.send_with_str(msg.to_json());
}
