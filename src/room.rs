//! The `VoiceRoom` Durable Object: one per channel (`idFromName(channel_id)`). It holds the
//! channel's hibernatable WebSockets, relays signals to one peer with a server-set `from`, and
//! keeps presence. Nothing that matters lives only in memory: each live member is its socket's
//! attachment (with its last sign of life), every entry is also in storage under `presence` (so
//! members in their grace period, and members whose sockets vanished in a runtime restart, are
//! known), and one storage alarm is always set to the earliest heartbeat or grace deadline (copies
//! kept in memory while the object lives only save re-reading them). After each change the room
//! reports its roster and seats to the Lobby, which keeps every user in one channel and may answer
//! with `/evict`. The rules are in `presence.rs` and `seats.rs`; this file reads state, calls
//! them and performs the effects.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use worker::{
    console_error, console_log, durable_object, DurableObject, Env, Method, Request, Response, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, WebSocketRequestResponsePair,
};

use crate::config::Config;
use crate::http::{self, now_ms, now_secs};
use crate::presence::{Entry, Joined, Link, Presence, Refused, Timing};
use crate::protocol::{self, close, parse_client_msg, ClientMsg, Member, Reason, ServerMsg};
use crate::rate_limit::{Bucket, Limits, Verdict};
use crate::seats::Seat;
use crate::turn::{self, Selection};

#[wasm_bindgen]
extern "C" {
    /// The raw `DurableObjectState`, for the one method workers-rs does not wrap.
    #[wasm_bindgen(extends = js_sys::Object)]
    type RawState;

    /// When the runtime last auto-answered a `ping` on this socket.
    #[wasm_bindgen(method, js_name = getWebSocketAutoResponseTimestamp)]
    fn get_web_socket_auto_response_timestamp(this: &RawState, ws: &worker::web_sys::WebSocket)
        -> Option<js_sys::Date>;

    /// The runtime's `TextEncoder`: copies a frame into wasm memory natively (wasm-bindgen's own
    /// string glue copies ASCII one character at a time in JS, a third of a 1 KiB relay's wasm time).
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &js_sys::JsString, dest: &mut [u8]) -> EncodeIntoResult;

    type EncodeIntoResult;

    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> f64;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A text frame as a Rust string, copied by the runtime's `TextEncoder`; None for a binary frame.
fn frame_text(message: &JsValue) -> Option<String> {
    let text: &js_sys::JsString = message.dyn_ref()?;
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so the whole string always fits.
    let mut buf = vec![0u8; text.length() as usize * 3];
    let written = ENCODER.with(|e| e.encode_into(text, &mut buf).written() as usize);
    buf.truncate(written);
    // encodeInto writes well-formed UTF-8 (lone surrogates become U+FFFD, as `as_string` does).
    String::from_utf8(buf).ok().or_else(|| message.as_string())
}

/// Every presence entry (live ones without their last sign of life): lets the room notice members
/// whose sockets vanished without a close event, e.g. when the runtime restarted.
const PRESENCE_KEY: &str = "presence";
const CHANNEL_KEY: &str = "channel";

/// A socket's attachment: the presence entry it holds. Survives hibernation.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct Attachment {
    entry: Entry,
    /// Set before the server closes the socket, so its late close event is ignored.
    #[serde(default)]
    closing: bool,
}

impl Attachment {
    /// Records a sign of life at `now` if the last one written is at least `every` old; true when
    /// the attachment must be written again.
    fn saw_life(&mut self, now: u64, every: u64) -> bool {
        match self.entry.link {
            Link::Live { last_seen } if now >= last_seen + every => {
                self.entry.link = Link::Live { last_seen: now };
                true
            }
            _ => false,
        }
    }
}

/// Lobby update: a roster with a version, so late deliveries never overwrite newer ones, and who
/// holds each seat since when, so the lobby can keep every user in one channel.
#[derive(Serialize)]
struct RosterUpdate<'a> {
    version: u64,
    members: &'a [Member],
    seats: &'a [Seat],
    /// Seats taken since the last update, even if given up again since (a join moves the user
    /// out of their other channel however briefly they stay).
    taken: &'a [Seat],
}

/// The lobby's word that a user took a seat elsewhere after `session_id` took theirs here.
#[derive(Serialize, Deserialize)]
pub struct EvictRequest {
    pub user_id: String,
    /// Only this session is evicted (a later join here keeps its seat); None: whoever holds it.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// Presence as rebuilt for one event, with the sockets that hold its live entries.
struct Loaded {
    presence: Presence,
    sockets: Vec<(WebSocket, Attachment)>,
    stored_before: Vec<Entry>,
}

impl Loaded {
    fn socket(&self, user_id: &str, session_id: &str) -> Option<&WebSocket> {
        self.sockets
            .iter()
            .find(|(_, a)| a.entry.member.id == user_id && a.entry.session_id == session_id)
            .map(|(ws, _)| ws)
    }
}

/// The Durable Object class. Fetch and alarm go through workers-rs; the WebSocket events are
/// bound by hand (below) so a relayed `signal` or `speaking` is handled synchronously, without a
/// promise or a queued microtask per message.
#[durable_object(alarm)]
pub struct VoiceRoom {
    room: Rc<Room>,
}

/// The room itself, shared with the WebSocket events that need to wait (storage, other objects).
pub struct Room {
    state: State,
    env: Env,
    config: Config,
    turn: Selection,
    channel_id: RefCell<Option<String>>,
    lobby_seq: Cell<u64>,
    /// The newest roster (and seats) the lobby has not been sent yet, and whether a send is under
    /// way: the lobby gets every change, after the event that made it, one request at a time.
    lobby_pending: RefCell<Option<(Vec<Member>, Vec<Seat>)>>,
    /// Seats taken since the last update was sent.
    lobby_taken: RefCell<Vec<Seat>>,
    lobby_sending: Cell<bool>,
    /// The alarm as last read or set (None: not known since this object woke up).
    alarm_at: Cell<Option<Option<i64>>>,
    /// Presence as last read from or written to storage (None: not read since this object woke
    /// up). Only this object writes it, so the copy is exact while the object lives.
    stored: RefCell<Option<Vec<Entry>>>,
    /// This room, for work that goes on after the event that started it.
    me: Weak<Room>,
    /// Who each live socket is (its attachment), with its flood-control bucket, keyed by a slot
    /// number kept on the JS socket object. In memory on purpose: lost with hibernation and
    /// rebuilt from the attachment when the socket is next seen (a flooding socket keeps the
    /// object awake, and a fresh bucket after hibernation is harmless).
    idents: RefCell<HashMap<u32, Ident>>,
    next_slot: Cell<u32>,
}

/// What the room knows of a member socket without deserializing its attachment.
struct Ident {
    /// Its attachment as last written or read (every write goes through
    /// [`Room::write_attachment`], which keeps this copy exact).
    att: Attachment,
    /// Flood control for this socket.
    bucket: Bucket,
}

thread_local! {
    static SLOT_KEY: JsValue = JsValue::from_str("__cvSlot");
}

/// The least time between two roster updates from one room to the lobby: a room filling up or
/// emptying sends a few updates, not one per member, and the sidebar is at most this late.
const LOBBY_GAP_MS: u64 = 100;

/// `WebSocket.OPEN`.
const OPEN: u16 = 1;

/// A `signal` or `speaking` frame, parsed without copying the payload.
#[derive(Deserialize)]
struct FastMsg<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    to: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<&'a serde_json::value::RawValue>,
    #[serde(default)]
    speaking: Option<bool>,
}

impl DurableObject for VoiceRoom {
    fn new(state: State, env: Env) -> Self {
        VoiceRoom { room: Rc::new_cyclic(|me| Room::new(state, env, me.clone())) }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        self.room.fetch(req).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.room.alarm().await
    }
}

#[wasm_bindgen]
impl VoiceRoom {
    /// A message: the hot ones (a `signal` or `speaking` within the sender's rate) are relayed
    /// here and now; anything else is handled by [`Room::websocket_message`] as a promise.
    #[wasm_bindgen(js_name = webSocketMessage)]
    pub fn websocket_message(&self, ws: worker::web_sys::WebSocket, message: JsValue) -> JsValue {
        let ws = WebSocket::from(ws);
        let message = match frame_text(&message) {
            Some(text) => WebSocketIncomingMessage::String(text),
            None => WebSocketIncomingMessage::Binary(js_sys::Uint8Array::new(&message).to_vec()),
        };
        let Some(verdict) = self.room.relay_now(&ws, &message) else { return JsValue::UNDEFINED };
        let room = Rc::clone(&self.room);
        promise(async move { room.websocket_message(ws, message, verdict).await })
    }

    #[wasm_bindgen(js_name = webSocketClose)]
    pub fn websocket_close(
        &self,
        ws: worker::web_sys::WebSocket,
        code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> JsValue {
        let room = Rc::clone(&self.room);
        promise(async move { room.closed(ws.into(), code).await })
    }

    #[wasm_bindgen(js_name = webSocketError)]
    pub fn websocket_error(&self, ws: worker::web_sys::WebSocket, _error: JsValue) -> JsValue {
        // Treated as an unclean close: the member waits in grace.
        let room = Rc::clone(&self.room);
        promise(async move { room.closed(ws.into(), 1006).await })
    }
}

/// A room event that waits, as the promise the runtime awaits.
fn promise(event: impl std::future::Future<Output = worker::Result<()>> + 'static) -> JsValue {
    worker::wasm_bindgen_futures::future_to_promise(async move {
        event.await.map(|()| JsValue::UNDEFINED).map_err(JsValue::from)
    })
    .into()
}

impl Room {
    fn new(state: State, env: Env, me: Weak<Room>) -> Self {
        // `ping` is answered by the runtime without waking this object.
        if let Ok(pair) = WebSocketRequestResponsePair::new(protocol::PING, protocol::PONG) {
            state.set_websocket_auto_response(&pair);
        }
        let (config, turn) = http::settings(&env);
        Room {
            state,
            env,
            config,
            turn,
            channel_id: RefCell::new(None),
            lobby_seq: Cell::new(0),
            lobby_pending: RefCell::new(None),
            lobby_taken: RefCell::new(Vec::new()),
            lobby_sending: Cell::new(false),
            alarm_at: Cell::new(None),
            stored: RefCell::new(None),
            me,
            idents: RefCell::new(HashMap::new()),
            next_slot: Cell::new(1),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        match (req.method(), url.path()) {
            (Method::Get, "/join") => {
                let query = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
                let (Some(channel_id), Some(user_id), Some(name)) = (query("channel"), query("user"), query("name"))
                else {
                    return Response::error("bad internal join", 400);
                };
                self.join(&channel_id, &user_id, &name, query("session").as_deref()).await
            }
            (Method::Post, "/evict") => {
                let evict: EvictRequest = req.json().await?;
                self.evict_moved(&evict.user_id, evict.session_id.as_deref()).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            _ => Response::error("not found", 404),
        }
    }

    /// What every message goes through first, synchronously: who sent it (without deserializing
    /// the attachment), the rate check, and for a hot message within the rate (a `signal` or
    /// `speaking`) the relay itself. Returns the verdict when the full path must answer it; None
    /// when nothing is left to do (relayed, or not from a member).
    fn relay_now(&self, ws: &WebSocket, message: &WebSocketIncomingMessage) -> Option<Verdict> {
        let slot = self.slot(ws)?;
        let now = now_ms();
        let mut idents = self.idents.borrow_mut();
        let sender = idents.get_mut(&slot)?;
        let limits = self.limits();
        let verdict = sender.bucket.take(limits, now);
        if let (Verdict::Allow, WebSocketIncomingMessage::String(text)) = (verdict, message) {
            if self.fast_path(ws, text, sender, now) {
                return None;
            }
        }
        Some(verdict)
    }

    /// The full path, for every message the fast path did not relay (`verdict` is its rate check).
    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
        verdict: Verdict,
    ) -> worker::Result<()> {
        let Some(mut att) = self.attachment(&ws) else { return Ok(()) };
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
                self.close_socket(&ws, &mut att, close::RATE_LIMITED, "rate_limited");
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
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                send(&ws, &ServerMsg::error(Reason::BinaryNotSupported, "frames must be JSON text"));
                return Ok(());
            }
        };
        if text == protocol::PING {
            // Normally answered by the auto-response; kept for runtimes without it.
            let _ = ws.send_with_str(protocol::PONG);
            self.touch(&ws, &mut att);
            return Ok(());
        }
        let user_id = att.entry.member.id.clone();
        let msg = match parse_client_msg(&text, &user_id) {
            Ok(msg) => msg,
            Err(err) => {
                send(&ws, &ServerMsg::error(err.reason, err.detail));
                self.touch(&ws, &mut att);
                return Ok(());
            }
        };
        match msg {
            ClientMsg::Signal { to, payload } => {
                let targets: Vec<WebSocket> = self
                    .state
                    .get_websockets_with_tag(&to)
                    .into_iter()
                    .filter(|t| self.attachment(t).is_some())
                    .collect();
                if targets.is_empty() {
                    send(&ws, &ServerMsg::error(Reason::UnknownPeer, format!("{to:?} is not connected here")));
                } else {
                    let frame = ServerMsg::Signal { from: &user_id, payload: &payload }.to_json();
                    for target in targets {
                        let _ = target.send_with_str(&frame);
                    }
                }
                self.touch(&ws, &mut att);
            }
            ClientMsg::Speaking { speaking } => {
                let frame = ServerMsg::MemberSpeaking { user_id: &user_id, speaking }.to_json();
                self.broadcast(&frame, Some(&ws));
                self.touch(&ws, &mut att);
            }
            ClientMsg::State { muted, deafened } => {
                let mut loaded = self.load().await?;
                let updated = loaded.presence.set_state(&user_id, muted, deafened).cloned();
                if let Some(member) = updated {
                    att.entry.member = member.clone();
                    att.entry.link = Link::Live { last_seen: now_ms() };
                    let _ = self.write_attachment(&ws, &att);
                    self.broadcast(&ServerMsg::MemberUpdated { member: &member }.to_json(), None);
                    self.persist(&loaded).await?;
                    self.notify_lobby(&loaded.presence);
                } else {
                    self.touch(&ws, &mut att);
                }
            }
            ClientMsg::Leave => {
                let mut loaded = self.load().await?;
                self.close_socket(&ws, &mut att, close::NORMAL, "left");
                if let Some(entry) = loaded.presence.remove(&user_id) {
                    self.after_removal(&mut loaded, &[entry]).await?;
                }
            }
        }
        Ok(())
    }

    async fn alarm(&self) -> worker::Result<Response> {
        // The alarm that fired is no longer set.
        self.alarm_at.set(Some(None));
        let mut loaded = self.load().await?;
        let sweep = loaded.presence.sweep(now_ms(), self.timing());
        for (user_id, session_id) in &sweep.timed_out {
            if let Some(ws) = loaded.socket(user_id, session_id).cloned() {
                if let Some(mut att) = self.attachment(&ws) {
                    send(
                        &ws,
                        &ServerMsg::error(Reason::HeartbeatTimeout, "no sign of life within the heartbeat timeout"),
                    );
                    self.close_socket(&ws, &mut att, close::HEARTBEAT_TIMEOUT, "heartbeat_timeout");
                }
            }
        }
        if sweep.evicted.is_empty() {
            self.persist(&loaded).await?;
        } else {
            console_log!("room: {} member(s) evicted after the grace period", sweep.evicted.len());
            self.after_removal(&mut loaded, &sweep.evicted).await?;
        }
        Response::ok("")
    }

    /// The slot number kept on this JS socket object, if it names a known socket.
    fn kept_slot(&self, ws: &WebSocket) -> Option<u32> {
        let raw: &JsValue = ws.as_ref();
        let kept = SLOT_KEY.with(|k| js_sys::Reflect::get(raw, k).ok()).and_then(|v| v.as_f64()).map(|f| f as u32)?;
        self.idents.borrow().contains_key(&kept).then_some(kept)
    }

    /// The socket's slot in `idents`: the one kept on it, or (once per socket per wake-up) a new
    /// one filled from its attachment. None for a socket that is not a member, or that the
    /// server is closing.
    fn slot(&self, ws: &WebSocket) -> Option<u32> {
        if let Some(slot) = self.kept_slot(ws) {
            return Some(slot);
        }
        let att = read_attachment(ws)?;
        self.remember(ws, att)
    }

    fn remember(&self, ws: &WebSocket, att: Attachment) -> Option<u32> {
        let slot = self.next_slot.get();
        self.next_slot.set(slot.wrapping_add(1));
        let raw: &JsValue = ws.as_ref();
        SLOT_KEY.with(|k| js_sys::Reflect::set(raw, k, &JsValue::from_f64(f64::from(slot))).ok())?;
        self.idents.borrow_mut().insert(slot, Ident { att, bucket: Bucket::new(self.limits(), now_ms()) });
        Some(slot)
    }

    /// The attachment of a member socket the server has not closed: from memory when this
    /// object has seen the socket since it woke up, else deserialized (once).
    fn attachment(&self, ws: &WebSocket) -> Option<Attachment> {
        let slot = self.slot(ws)?;
        self.idents.borrow().get(&slot).map(|ident| ident.att.clone())
    }

    /// Writes the socket's attachment and keeps the copy in memory exact (a closing socket is
    /// forgotten: it is no member and no sender any more).
    fn write_attachment(&self, ws: &WebSocket, att: &Attachment) -> worker::Result<()> {
        let written = ws.serialize_attachment(att);
        if att.closing {
            self.forget(ws);
        } else if let Some(slot) = self.kept_slot(ws) {
            if let Some(ident) = self.idents.borrow_mut().get_mut(&slot) {
                ident.att = att.clone();
            }
        } else {
            self.remember(ws, att.clone());
        }
        written
    }

    /// Marks the socket as closed by us (its close event is then ignored, and it is no sender any
    /// more) and closes it.
    fn close_socket(&self, ws: &WebSocket, att: &mut Attachment, code: u16, reason: &str) {
        att.closing = true;
        let _ = self.write_attachment(ws, att);
        let _ = ws.close(Some(code), Some(reason));
    }

    /// Forgets a socket's identity and bucket (the next lookup reads its attachment, which says
    /// whether it is closing).
    fn forget(&self, ws: &WebSocket) {
        if let Some(slot) = self.kept_slot(ws) {
            self.idents.borrow_mut().remove(&slot);
        }
    }

    /// Relays a well-formed `signal` or `speaking` without deserializing any attachment or
    /// re-serializing the payload. Returns false (nothing done) for anything else, including
    /// every error case: the full path handles those and answers with the right error.
    fn fast_path(&self, ws: &WebSocket, text: &str, sender: &mut Ident, now: u64) -> bool {
        // (A socket the server closes is forgotten first, so `sender` is never one of those.)
        if text.len() > protocol::MAX_FRAME_BYTES {
            return false;
        }
        let Ok(msg) = serde_json::from_str::<FastMsg>(text) else { return false };
        match (msg.kind.as_ref(), msg.to, msg.payload, msg.speaking) {
            ("signal", Some(to), Some(payload), _)
                if payload.get().starts_with('{')
                    && !to.is_empty()
                    && to != sender.att.entry.member.id
                    && protocol::nesting_within(payload.get(), protocol::MAX_NESTING) =>
            {
                let targets: Vec<WebSocket> = self
                    .state
                    .get_websockets_with_tag(&to)
                    .into_iter()
                    .filter(|t| t.as_ref().ready_state() == OPEN)
                    .collect();
                if targets.is_empty() {
                    return false; // unknown_peer: the full path answers it
                }
                let from = serde_json::to_string(&sender.att.entry.member.id).unwrap_or_default();
                let frame = format!(r#"{{"type":"signal","from":{from},"payload":{}}}"#, payload.get());
                for target in targets {
                    let _ = target.send_with_str(&frame);
                }
            }
            ("speaking", _, _, Some(speaking)) => {
                let frame = ServerMsg::MemberSpeaking { user_id: &sender.att.entry.member.id, speaking }.to_json();
                self.broadcast(&frame, Some(ws));
            }
            _ => return false,
        }
        // A sign of life, as `touch` (written here: `idents` is borrowed, and this is its copy).
        if sender.att.saw_life(now, self.touch_every()) {
            let _ = ws.serialize_attachment(&sender.att);
        }
        true
    }

    /// A socket closed by its client: a clean close is a leave, anything else starts the grace
    /// period (the member stays listed until the alarm, unless they come back).
    async fn closed(&self, ws: WebSocket, code: usize) -> worker::Result<()> {
        let Some(mut att) = self.attachment(&ws) else {
            // Our own close, echoed back: finish the handshake so the client is not left waiting.
            let _ = ws.close(Some(close::NORMAL), Some("closed"));
            return Ok(());
        };
        let mut loaded = self.load().await?;
        let (user_id, session_id) = (att.entry.member.id.clone(), att.entry.session_id.clone());
        self.close_socket(&ws, &mut att, close::NORMAL, "closed");
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

    fn limits(&self) -> Limits {
        Limits { per_sec: self.config.rate_per_sec as f64, burst: self.config.rate_burst as f64, ..Limits::SOCKET }
    }

    /// How often a sign of life is written to a socket's attachment.
    fn touch_every(&self) -> u64 {
        (self.timing().heartbeat_ms / 6).clamp(250, 5000)
    }

    fn timing(&self) -> Timing {
        Timing { heartbeat_ms: self.config.heartbeat_secs * 1000, grace_ms: self.config.grace_secs * 1000 }
    }

    async fn channel_id(&self) -> worker::Result<String> {
        if let Some(id) = self.channel_id.borrow().clone() {
            return Ok(id);
        }
        let id: String = self.state.storage().get(CHANNEL_KEY).await?.unwrap_or_default();
        *self.channel_id.borrow_mut() = Some(id.clone());
        Ok(id)
    }

    /// Rebuilds presence: live entries from socket attachments (last sign of life = the later of
    /// the last message and the last auto-answered ping), entries in grace from storage.
    async fn load(&self) -> worker::Result<Loaded> {
        let mut sockets = Vec::new();
        let mut entries = Vec::new();
        for ws in self.state.get_websockets() {
            let Some(att) = self.attachment(&ws) else { continue };
            let mut entry = att.entry.clone();
            if let Link::Live { last_seen } = &mut entry.link {
                let raw: &RawState = self.state.as_raw().unchecked_ref();
                let pinged =
                    raw.get_web_socket_auto_response_timestamp(ws.as_ref()).map(|d| d.get_time() as u64).unwrap_or(0);
                *last_seen = (*last_seen).max(pinged);
            }
            entries.push(entry);
            sockets.push((ws, att));
        }
        let known = self.stored.borrow().clone();
        let stored_before = match known {
            Some(stored) => stored,
            None => {
                let stored: Vec<Entry> = self.state.storage().get(PRESENCE_KEY).await?.unwrap_or_default();
                *self.stored.borrow_mut() = Some(stored.clone());
                stored
            }
        };
        let presence = Presence::restore(entries, stored_before.clone(), now_ms(), self.timing());
        Ok(Loaded { presence, sockets, stored_before })
    }

    /// Stores presence if it changed (membership, state, grace) and sets the alarm to the earliest
    /// deadline.
    async fn persist(&self, loaded: &Loaded) -> worker::Result<()> {
        let storage = self.state.storage();
        let stored = loaded.presence.stored_form();
        if stored != loaded.stored_before {
            // The copy follows the newest write issued (writes land in order); a failed write
            // drops it, so the next event reads storage again.
            *self.stored.borrow_mut() = Some(stored.clone());
            let written = if stored.is_empty() {
                storage.delete(PRESENCE_KEY).await.map(|_| ())
            } else {
                storage.put(PRESENCE_KEY, &stored).await
            };
            if let Err(err) = written {
                *self.stored.borrow_mut() = None;
                return Err(err);
            }
        }
        let current = match self.alarm_at.get() {
            Some(known) => known,
            None => storage.get_alarm().await?,
        };
        match loaded.presence.next_deadline(self.timing()) {
            Some(deadline) if current != Some(deadline as i64) => {
                let date = js_sys::Date::new(&JsValue::from_f64(deadline as f64));
                storage.set_alarm(worker::ScheduledTime::new(date)).await?;
                self.alarm_at.set(Some(Some(deadline as i64)));
            }
            None if current.is_some() => {
                storage.delete_alarm().await?;
                self.alarm_at.set(Some(None));
            }
            _ => self.alarm_at.set(Some(current)),
        }
        Ok(())
    }

    /// A message or ping proves the socket alive; written down at most every few seconds.
    fn touch(&self, ws: &WebSocket, att: &mut Attachment) {
        if att.saw_life(now_ms(), self.touch_every()) {
            let _ = self.write_attachment(ws, att);
        }
    }

    /// Sends `frame` to every member socket except `except`.
    fn broadcast(&self, frame: &str, except: Option<&WebSocket>) {
        for ws in self.state.get_websockets() {
            // Open sockets only: the server closes a socket (CLOSING) before anything else.
            if except == Some(&ws) || ws.as_ref().ready_state() != OPEN {
                continue;
            }
            let _ = ws.send_with_str(frame);
        }
    }

    async fn join(
        &self,
        channel_id: &str,
        user_id: &str,
        name: &str,
        presented: Option<&str>,
    ) -> worker::Result<Response> {
        if self.channel_id.borrow().as_deref() != Some(channel_id) {
            self.state.storage().put(CHANNEL_KEY, channel_id).await?;
            *self.channel_id.borrow_mut() = Some(channel_id.to_owned());
        }
        let pair = WebSocketPair::new()?;
        let max = self.config.max_members;
        let session_id = crate::auth::random_id();

        // The only wait (≤ 2 s for a remote TURN provider, cached) comes before the decision. One
        // channel per user waits for nothing: the lobby moves the user out of any other channel
        // when this room's roster reaches it (`seats.rs`).
        let (ice_servers, ice_expires_at) =
            turn::remote::ice_servers(&self.turn, &self.config.stun_urls, user_id, now_secs()).await;

        // Decide on fresh state, with no await between the decision and accepting the socket.
        let mut loaded = self.load().await?;
        let now = now_ms();
        let joined = match loaded.presence.join(user_id, name, presented, &session_id, now, max) {
            Ok(joined) => joined,
            Err(refused) => return refuse(pair, refused),
        };
        let Some(entry) = loaded.presence.get(user_id).cloned() else {
            return Response::error("join lost its entry", 500);
        };

        if let Joined::Replaced { old_session } = &joined {
            if let Some(old) = loaded.socket(user_id, old_session).cloned() {
                if let Some(mut att) = self.attachment(&old) {
                    send(&old, &ServerMsg::error(Reason::Replaced, "this tab reconnected on a new socket"));
                    self.close_socket(&old, &mut att, close::REPLACED, "replaced");
                }
            }
        }

        let server = pair.server;
        self.state.accept_websocket_with_tags(&server, &[user_id]);
        self.write_attachment(&server, &Attachment { entry: entry.clone(), closing: false })?;

        send(
            &server,
            &ServerMsg::Joined {
                channel_id,
                user_id,
                session_id: &session_id,
                members: loaded.presence.members(),
                ice_servers: &ice_servers,
                ice_expires_at,
            },
        );
        let announce = ServerMsg::MemberJoined { member: &entry.member, resumed: joined.resumed() }.to_json();
        self.broadcast(&announce, Some(&server));

        self.persist(&loaded).await?;
        self.lobby_taken.borrow_mut().push(entry.seat());
        self.notify_lobby(&loaded.presence);
        http::websocket_response(pair.client)
    }

    /// Another channel took this user: drop them here at once (only `session_id`'s seat, when
    /// named: a later join here is newer than the seat elsewhere).
    async fn evict_moved(&self, user_id: &str, session_id: Option<&str>) -> worker::Result<()> {
        let mut loaded = self.load().await?;
        let named = |e: &Entry| session_id.is_none_or(|s| s == e.session_id);
        if !loaded.presence.get(user_id).is_some_and(named) {
            return Ok(());
        }
        let Some(entry) = loaded.presence.remove(user_id) else { return Ok(()) };
        let removed = [entry.clone()];
        if let Some(ws) = loaded.socket(user_id, &entry.session_id).cloned() {
            if let Some(mut att) = self.attachment(&ws) {
                send(&ws, &ServerMsg::error(Reason::Moved, "you joined another channel"));
                self.close_socket(&ws, &mut att, close::MOVED, "moved");
            }
        }
        self.after_removal(&mut loaded, &removed).await
    }

    /// Tells everyone, stores, re-arms the alarm and updates the lobby after members left.
    async fn after_removal(&self, loaded: &mut Loaded, removed: &[Entry]) -> worker::Result<()> {
        for entry in removed {
            self.broadcast(&ServerMsg::MemberLeft { user_id: &entry.member.id }.to_json(), None);
        }
        self.persist(loaded).await?;
        self.notify_lobby(&loaded.presence);
        Ok(())
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
                console_error!("room: background work failed: {err}");
            }
        });
    }

    /// Queues the roster for the lobby. The first change goes at once; changes within
    /// [`LOBBY_GAP_MS`] of a sent update (or while it is under way) are folded into the next one,
    /// which carries the newest roster. One request at a time per room.
    fn notify_lobby(&self, presence: &Presence) {
        *self.lobby_pending.borrow_mut() = Some((presence.members(), presence.seats()));
        if self.lobby_sending.replace(true) {
            return;
        }
        self.later(|room| async move {
            loop {
                let next = room.lobby_pending.borrow_mut().take();
                let Some((members, seats)) = next else { break };
                let taken = std::mem::take(&mut *room.lobby_taken.borrow_mut());
                if let Err(err) = room.send_roster(&members, &seats, &taken).await {
                    console_error!("room: lobby update failed: {err}");
                    // Kept for the next update: the lobby must still hear of these joins.
                    room.lobby_taken.borrow_mut().splice(0..0, taken);
                }
                worker::Delay::from(std::time::Duration::from_millis(LOBBY_GAP_MS)).await;
            }
            room.lobby_sending.set(false);
            Ok(())
        });
    }

    async fn send_roster(&self, members: &[Member], seats: &[Seat], taken: &[Seat]) -> worker::Result<()> {
        let channel_id = self.channel_id().await?;
        // Versions grow across hibernation (the clock) and within a millisecond (the counter).
        let seq = self.lobby_seq.get().wrapping_add(1);
        self.lobby_seq.set(seq);
        let update = RosterUpdate { version: now_ms() * 1000 + seq % 1000, members, seats, taken };
        let stub = http::lobby_stub(&self.env)?;
        http::post_json::<_, serde_json::Value>(&stub, &format!("/rooms/{channel_id}"), &update).await.map(|_| ())
    }
}

/// The attachment of a member socket the server has not closed, as stored on the socket.
fn read_attachment(ws: &WebSocket) -> Option<Attachment> {
    ws.deserialize_attachment::<Attachment>().ok().flatten().filter(|a| !a.closing)
}

fn send(ws: &WebSocket, msg: &ServerMsg) {
    let _ = ws.send_with_str(msg.to_json());
}

/// Accepts the socket only to say why it is refused, then closes it (it never joins presence).
fn refuse(pair: WebSocketPair, refused: Refused) -> worker::Result<Response> {
    let (reason, detail) = match refused {
        Refused::AlreadyInChannel => (Reason::AlreadyInChannel, "you are already in this channel on another socket"),
        Refused::ChannelFull => (Reason::ChannelFull, "this channel is full"),
    };
    pair.server.accept()?;
    send(&pair.server, &ServerMsg::error(reason, detail));
    let code = reason.close_code().unwrap_or(close::NORMAL);
    let _ = pair.server.close(Some(code), Some(reason.as_str()));
    http::websocket_response(pair.client)
}
