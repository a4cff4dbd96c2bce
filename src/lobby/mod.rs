//! The `Lobby` Durable Object (one per deployment): the roster of every channel for the sidebar.
//! Each `VoiceRoom` posts its roster whenever it changes (a `RoomReport`, `report.rs`: with a
//! version, so a late delivery never overwrites a newer one); `/api/lobby` observers get `roster`
//! on connect, then `channel` updates; `/api/channels` answers from here. Rosters are stored, so
//! hibernation loses nothing.
//! It also keeps each user in one channel (`seats.rs`): a report names who holds each seat since
//! when and the seats taken since the last one; a seat whose user has claimed one elsewhere since
//! gives way: the lobby drops it from its rosters at once and tells that room to evict the session.
//! Observer sockets have limits (`observers.rs`): a cap per user, a rate limit, token expiry.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use worker::{
    console_error, durable_object, DurableObject, Env, Method, Request, Response, State, WebSocketPair,
    WebSocketRequestResponsePair,
};

use crate::auth::user_tag;
use crate::config::Config;
use crate::error::AppError;
use crate::http::{self, now_ms};
use crate::protocol::{self, close, ChannelRoster, LobbyMsg, Reason};
use crate::rate_limit::Verdict;
use crate::report::{EvictRequest, RoomReport, RoomRoster, SeatQuery};
use crate::seats::{Claims, GiveWay, Seat};

mod observers;

use observers::{expires_ms, is_open, is_ping, keep_expiry, send_error, Buckets, MAX_PER_USER};

/// The Durable Object class. Fetch and alarm go through workers-rs; the WebSocket events are
/// bound by hand (below) so a frame is never copied into wasm just to be ignored.
#[durable_object(alarm)]
pub struct Lobby {
    state: State,
    env: Env,
    config: Config,
    /// Cache of the stored rosters, filled on first use after (re)construction.
    rosters: RefCell<Option<HashMap<String, RoomRoster>>>,
    /// Each user's newest claim, rebuilt from the stored rosters' seats on first use.
    claims: RefCell<Claims>,
    /// Observer sockets' flood buckets (memory only).
    buckets: Buckets,
    /// The storage alarm as last read or set (None: not read since this object woke up): the
    /// earliest token expiry of an observer.
    alarm: Cell<Option<Option<u64>>>,
}

fn key(channel_id: &str) -> String {
    format!("room:{channel_id}")
}

impl DurableObject for Lobby {
    fn new(state: State, env: Env) -> Self {
        if let Ok(pair) = WebSocketRequestResponsePair::new(protocol::PING, protocol::PONG) {
            state.set_websocket_auto_response(&pair);
        }
        let (config, _) = http::settings(&env);
        Lobby {
            state,
            env,
            config,
            rosters: RefCell::new(None),
            claims: RefCell::new(Claims::default()),
            buckets: Buckets::default(),
            alarm: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let path = url.path().to_owned();
        match (req.method(), path.as_str()) {
            (Method::Get, "/channels") => {
                let channels = self.channels().await?;
                Response::from_json(&serde_json::json!({ "channels": channels }))
            }
            (Method::Get, "/observe") => {
                let query = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
                let user = query("user").unwrap_or_default();
                let exp = query("exp").and_then(|e| e.parse().ok());
                self.observe(&user, exp).await
            }
            (Method::Post, p) if p.starts_with("/rooms/") => {
                let channel_id = &p["/rooms/".len()..];
                let report: RoomReport = req.json().await?;
                let (roster, taken) = report.into_parts();
                self.update(channel_id, roster, &taken).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            (Method::Get, "/superseded") => {
                let Some(query) = SeatQuery::from_pairs(url.query_pairs()) else {
                    return Response::error("bad seat query", 400);
                };
                self.load().await?;
                let superseded = self.claims.borrow().superseded(&query.channel_id, &query.seat);
                Response::from_json(&serde_json::json!({ "superseded": superseded }))
            }
            _ => Response::error("not found", 404),
        }
    }

    /// The earliest observer token expired: close every expired socket, set the next one.
    async fn alarm(&self) -> worker::Result<Response> {
        self.alarm.set(Some(None));
        let now = now_ms();
        let mut next: Option<u64> = None;
        for ws in self.state.get_websockets() {
            if !is_open(ws.as_ref()) {
                continue;
            }
            match expires_ms(ws.as_ref()) {
                Some(at) if at <= now => {
                    send_error(ws.as_ref(), Reason::TokenExpired, "your session expired: sign in again");
                    let _ = ws.close(Some(close::TOKEN_EXPIRED), Some("token_expired"));
                }
                Some(at) => next = Some(next.map_or(at, |n| n.min(at))),
                None => {}
            }
        }
        if let Some(at) = next {
            self.set_alarm(at).await?;
        }
        Response::ok("")
    }
}

#[wasm_bindgen]
impl Lobby {
    /// Observers only listen. `ping` is auto-answered by the runtime (answered here too, for
    /// runtimes without auto-response); every other frame is ignored, and never copied into wasm
    /// (a frame can be megabytes). Every frame costs a token: a socket that keeps sending past
    /// its bucket gets `rate_limited`, then close 4029.
    #[wasm_bindgen(js_name = webSocketMessage)]
    pub fn websocket_message(&self, ws: worker::web_sys::WebSocket, message: JsValue) {
        // A socket we closed may still have frames in flight: they cost nothing (its slot may
        // already be another socket's).
        if !is_open(&ws) {
            return;
        }
        match self.buckets.take(&ws, now_ms()) {
            Verdict::Allow => {
                if is_ping(&message) {
                    let _ = ws.send_with_str(protocol::PONG);
                }
            }
            Verdict::Reject { notify } => {
                if notify {
                    send_error(&ws, Reason::RateLimited, "slow down: the lobby only answers ping");
                }
            }
            Verdict::Close => {
                send_error(&ws, Reason::RateLimited, "closed for flooding");
                let _ = ws.close_with_code_and_reason(close::RATE_LIMITED, "rate_limited");
                self.buckets.forget(&ws);
            }
        }
    }

    #[wasm_bindgen(js_name = webSocketClose)]
    pub fn websocket_close(&self, ws: worker::web_sys::WebSocket, _code: usize, _reason: String, _clean: bool) {
        self.buckets.forget(&ws);
        let _ = ws.close_with_code_and_reason(protocol::close::NORMAL, "bye");
    }

    #[wasm_bindgen(js_name = webSocketError)]
    pub fn websocket_error(&self, _ws: worker::web_sys::WebSocket, _error: JsValue) {}
}

impl Lobby {
    /// Accepts an observer of `user` (tagged by `user_tag`, at most [`MAX_PER_USER`] open) whose
    /// token expires at `exp` (unix seconds), and sends it the roster.
    async fn observe(&self, user: &str, exp: Option<u64>) -> worker::Result<Response> {
        let tag = user_tag(user);
        let open = self.state.get_websockets_with_tag(&tag).iter().filter(|ws| is_open(ws.as_ref())).count();
        if open >= MAX_PER_USER {
            let detail = format!("at most {MAX_PER_USER} lobby sockets per user");
            return Ok(http::error_response(&AppError::new(429, "rate_limited", detail)));
        }
        let pair = WebSocketPair::new()?;
        self.state
            .as_raw()
            .accept_websocket_with_tags(pair.server.as_ref(), vec![JsValue::from_str(&tag)])
            .map_err(worker::Error::from)?;
        keep_expiry(pair.server.as_ref(), exp)?;
        let channels = self.channels().await?;
        let _ = pair.server.send_with_str(LobbyMsg::Roster { channels: &channels }.to_json());
        let known = match self.alarm.get() {
            Some(known) => known,
            None => self.state.storage().get_alarm().await?.map(|at| at.max(0) as u64),
        };
        match exp.and_then(crate::auth::expiry_ms) {
            Some(at) if known.is_none_or(|known| at < known) => self.set_alarm(at).await?,
            _ => self.alarm.set(Some(known)),
        }
        http::websocket_response(pair.client)
    }

    async fn set_alarm(&self, at: u64) -> worker::Result<()> {
        let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
        self.state.storage().set_alarm(worker::ScheduledTime::new(date)).await?;
        self.alarm.set(Some(Some(at)));
        Ok(())
    }

    async fn load(&self) -> worker::Result<()> {
        if self.rosters.borrow().is_some() {
            return Ok(());
        }
        let storage = self.state.storage();
        let mut rosters = HashMap::new();
        for channel in &self.config.channels {
            if let Some(stored) = storage.get::<RoomRoster>(&key(&channel.id)).await? {
                rosters.insert(channel.id.clone(), stored);
            }
        }
        if self.rosters.borrow().is_some() {
            return Ok(()); // another event loaded them while we read
        }
        let mut claims = self.claims.borrow_mut();
        for (id, roster) in &rosters {
            claims.remember(id, &roster.seats);
        }
        *self.rosters.borrow_mut() = Some(rosters);
        Ok(())
    }

    /// Every configured channel, in configuration order, with its members.
    async fn channels(&self) -> worker::Result<Vec<ChannelRoster>> {
        self.load().await?;
        let rosters = self.rosters.borrow();
        Ok(self
            .config
            .channels
            .iter()
            .map(|c| ChannelRoster {
                id: c.id.clone(),
                name: c.name.clone(),
                members: rosters.as_ref().and_then(|r| r.get(&c.id)).map(|s| s.members.clone()).unwrap_or_default(),
            })
            .collect())
    }

    async fn update(&self, channel_id: &str, mut update: RoomRoster, taken: &[Seat]) -> worker::Result<()> {
        if self.config.channel(channel_id).is_none() {
            return Ok(());
        }
        self.load().await?;
        // Decide and apply in one step (no await in between), so concurrent updates see each
        // other's effects: the newer roster, minus every seat that gives way, and the other
        // channels that lose a seat.
        let (give_way, changed) = {
            let mut guard = self.rosters.borrow_mut();
            let Some(rosters) = guard.as_mut() else { return Ok(()) };
            // A late report's roster is old news, but the seats it says were taken still count.
            let stale = rosters.get(channel_id).is_some_and(|s| update.version <= s.version);
            let held: &[Seat] = if stale { &[] } else { &update.seats };
            let mut claims = self.claims.borrow_mut();
            claims.forget_old(http::now_ms());
            let others = rosters.iter().map(|(id, r)| (id.as_str(), r.seats.as_slice()));
            let give_way = claims.report(channel_id, held, taken, others);
            if stale && give_way.is_empty() {
                return Ok(());
            }
            let mut changed = if stale { vec![] } else { vec![channel_id.to_owned()] };
            for GiveWay { channel_id: from, seat } in &give_way {
                if from == channel_id {
                    update.unseat(&seat.user_id);
                } else if let Some(roster) = rosters.get_mut(from) {
                    roster.unseat(&seat.user_id);
                    if !changed.contains(from) {
                        changed.push(from.clone());
                    }
                }
            }
            if !stale {
                rosters.insert(channel_id.to_owned(), update);
            }
            let changed: Vec<(String, RoomRoster)> =
                changed.into_iter().filter_map(|id| rosters.get(&id).cloned().map(|r| (id, r))).collect();
            (give_way, changed)
        };
        for (id, roster) in &changed {
            self.state.storage().put(&key(id), roster).await?;
            let frame = LobbyMsg::Channel { id, members: &roster.members }.to_json();
            for ws in self.state.get_websockets() {
                let _ = ws.send_with_str(&frame);
            }
        }
        for GiveWay { channel_id: from, seat } in give_way {
            if let Err(err) = self.evict(&from, seat).await {
                console_error!("lobby: moving a user out of {from:?} failed: {err}");
            }
        }
        Ok(())
    }

    /// Tells the room `channel_id` that `seat` gave way to a newer one elsewhere.
    async fn evict(&self, channel_id: &str, seat: Seat) -> worker::Result<()> {
        let stub = http::room_stub(&self.env, channel_id)?;
        let evict = EvictRequest { user_id: seat.user_id, session_id: Some(seat.session_id) };
        http::post_json::<_, serde_json::Value>(&stub, "/evict", &evict).await.map(|_| ())
    }
}
