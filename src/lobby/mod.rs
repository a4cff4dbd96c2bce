//! The `Lobby` Durable Object (one per space, `space.rs`): the space's channels and the roster of
//! each for the sidebar. It owns the channels created at runtime (`registry.rs`: the admin API's
//! create, rename, delete; temporary channels' expiry) and re-sends `roster` when the set changes.
//! Each `VoiceRoom` posts its roster whenever it changes (a `RoomReport`, `report.rs`: with a
//! version, so a late delivery never overwrites a newer one); `/api/lobby` observers get `roster`
//! on connect, then `channel` updates; `/api/channels` answers from here. Rosters are stored, so
//! hibernation loses nothing.
//! It also keeps each user in one channel (`seats.rs`): a report names who holds each seat since
//! when and the seats taken since the last one; a seat whose user has claimed one elsewhere since
//! gives way: the lobby drops it from its rosters at once and tells that room to evict the session.
//! Observer sockets have limits (`observers.rs`): a cap per user, a rate limit, token expiry; an
//! observer whose token lists its channels sees only those.
//! Every request from the worker or a room names the space (`?space=`); the lobby keeps it.
//! What a room's report does (seats, webhook events, the space's moderation) is `reports.rs`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, State, WebSocketPair, WebSocketRequestResponsePair,
};

use crate::auth::user_tag;
use crate::channels::Registry;
use crate::config::Config;
use crate::error::AppError;
use crate::http::{self, now_ms};
use crate::moderation::{Moderate, Policy};
use crate::protocol::{self, close, LobbyMsg, Reason};
use crate::query::{self, Query};
use crate::rate_limit::Verdict;
use crate::report::{RoomReport, RoomRoster, SeatQuery};
use crate::seats::Claims;
use crate::stored::Stored;
use crate::webhook::Arrivals;

mod fanout;
mod moderation;
mod observers;
mod registry;
mod reports;
mod webhooks;

use observers::{expires_ms, is_open, is_ping, keep, send_error, Buckets, ALL_TAG, MAX_PER_USER, SOME_TAG};

/// The most keys one storage read takes (Cloudflare's limit for `get` with a list).
const KEYS_PER_READ: usize = 128;

/// The Durable Object class. Fetch and alarm go through workers-rs; the WebSocket events are
/// bound by hand (below) so a frame is never copied into wasm just to be ignored.
#[durable_object(alarm)]
pub struct Lobby {
    state: State,
    env: Env,
    config: Config,
    /// Cache of the stored rosters, filled on first use after (re)construction.
    rosters: RefCell<Option<HashMap<String, RoomRoster>>>,
    /// The channels created at runtime (loaded with the rosters).
    registry: RefCell<Registry>,
    /// Which space this lobby serves (from requests, kept in storage for the alarm).
    space: RefCell<Option<String>>,
    /// Server mutes and bans of the space (loaded with the rosters).
    policy: RefCell<Policy>,
    /// Webhook events waiting for delivery.
    webhooks: RefCell<webhooks::Queue>,
    /// Members announced as moved whose arrival is still to come (memory only).
    arrivals: RefCell<Arrivals>,
    /// Each user's newest claim, rebuilt from the stored rosters' seats on first use.
    claims: RefCell<Claims>,
    /// Observer sockets' flood buckets (memory only).
    buckets: Buckets,
    /// Roster changes on their way to the observers (folded).
    fanout: std::rc::Rc<fanout::Fanout>,
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
        let config = http::settings(&env).0.clone();
        Lobby {
            state,
            env,
            config,
            rosters: RefCell::new(None),
            registry: RefCell::new(Registry::default()),
            space: RefCell::new(None),
            policy: RefCell::new(Policy::default()),
            webhooks: RefCell::new(webhooks::Queue::default()),
            arrivals: RefCell::new(Arrivals::default()),
            claims: RefCell::new(Claims::default()),
            buckets: Buckets::default(),
            fanout: std::rc::Rc::default(),
            alarm: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.inner().url();
        let pairs = Query::of_url(&url);
        let query = |key: &str| pairs.get(key).map(str::to_owned);
        if let Some(space) = query("space") {
            self.learn_space(&space).await?;
        }
        let path = query::path_of(&url).to_owned();
        match (req.method(), path.as_str()) {
            (Method::Get, "/channels") => {
                let channels = self.channels().await?;
                Response::from_json(&serde_json::json!({ "channels": channels }))
            }
            (Method::Get, "/channel") => match self.channel(&query("id").unwrap_or_default()).await? {
                Some(channel) => Response::from_json(&channel),
                None => http::error_answer(AppError::unknown_channel(&query("id").unwrap_or_default())),
            },
            (Method::Put, p) if p.starts_with("/channels/") => {
                let body = req.bytes().await?;
                self.put_channel(&p["/channels/".len()..], &body).await
            }
            (Method::Delete, p) if p.starts_with("/channels/") => self.delete_channel(&p["/channels/".len()..]).await,
            (Method::Get, "/observe") => {
                let user = query("user").unwrap_or_default();
                let exp = query("exp").and_then(|e| e.parse().ok());
                let channels: Option<Vec<String>> =
                    query("channels").map(|c| c.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect());
                self.observe(&user, exp, channels.as_deref()).await
            }
            (Method::Post, "/members") => {
                let order: Moderate = req.json().await?;
                self.moderate(order).await
            }
            (Method::Post, p) if p.starts_with("/rooms/") => {
                let channel_id = &p["/rooms/".len()..];
                // Read as text and parsed here: one string into wasm, not a JS object walked field
                // by field.
                let text = req.text().await?;
                let report: RoomReport = serde_json::from_str(&text)
                    .map_err(|e| worker::Error::RustError(format!("bad room report: {e}")))?;
                let (roster, taken, moved) = report.into_parts();
                self.update(channel_id, roster, &taken, &moved).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            (Method::Get, "/health") => {
                // A write and a read: the storage answers, or this fails and health says so.
                let now = now_ms();
                self.state.storage().put("health", now).await?;
                let read: Option<u64> = self.state.storage().get("health").await?;
                if read == Some(now) {
                    Response::ok("ok")
                } else {
                    Response::error("storage read back something else", 500)
                }
            }
            (Method::Get, "/superseded") => {
                let Some(query) = SeatQuery::from_pairs(pairs.pairs()) else {
                    return Response::error("bad seat query", 400);
                };
                self.load().await?;
                let superseded = self.claims.borrow().superseded(&query.channel_id, &query.seat);
                Response::from_json(&serde_json::json!({ "superseded": superseded }))
            }
            _ => Response::error("not found", 404),
        }
    }

    /// An observer's token expired, or a temporary channel ran out of idle time: close every
    /// expired socket, delete every expired channel, set the next alarm.
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
        self.expire_temporary(now).await?;
        let overdue = self.arrivals.borrow_mut().overdue(now, |id| self.is_empty(id));
        self.enqueue(overdue).await?;
        let idle_ms = self.config.temp_channel_idle_secs * 1000;
        let delivery = self.deliver_due().await?;
        let later = [
            self.registry.borrow().next_expiry(idle_ms),
            self.arrivals.borrow().next_deadline().filter(|_| self.config.webhook.is_some()),
            delivery,
        ];
        for at in later.into_iter().flatten() {
            next = Some(next.map_or(at, |n| n.min(at)));
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
    /// token expires at `exp` (unix seconds) and lists `channels` (None: every channel), and
    /// sends it the roster.
    async fn observe(&self, user: &str, exp: Option<u64>, channels: Option<&[String]>) -> worker::Result<Response> {
        let tag = user_tag(user);
        let open = self.state.get_websockets_with_tag(&tag).iter().filter(|ws| is_open(ws.as_ref())).count();
        if open >= MAX_PER_USER {
            let detail = format!("at most {MAX_PER_USER} lobby sockets per user");
            return http::error_answer(AppError::new(429, "rate_limited", detail));
        }
        let pair = WebSocketPair::new()?;
        let scope = if channels.is_some() { SOME_TAG } else { ALL_TAG };
        self.state
            .as_raw()
            .accept_websocket_with_tags(pair.server.as_ref(), vec![JsValue::from_str(&tag), JsValue::from_str(scope)])
            .map_err(worker::Error::from)?;
        keep(pair.server.as_ref(), exp, channels)?;
        let mut roster = self.channels().await?;
        if let Some(list) = channels {
            roster.retain(|c| list.contains(&c.id));
        }
        let _ = pair.server.send_with_str(LobbyMsg::Roster { channels: &roster }.to_json());
        if let Some(at) = exp.and_then(crate::auth::expiry_ms) {
            self.alarm_by(at).await?;
        }
        http::websocket_response(pair.client)
    }

    /// Makes sure the alarm fires by `at` (ms).
    async fn alarm_by(&self, at: u64) -> worker::Result<()> {
        let known = match self.alarm.get() {
            Some(known) => known,
            None => self.state.storage().get_alarm().await?.map(|at| at.max(0) as u64),
        };
        match known {
            Some(known) if known <= at => {
                self.alarm.set(Some(Some(known)));
                Ok(())
            }
            _ => self.set_alarm(at).await,
        }
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
        if self.space.borrow().is_none() {
            let stored: Option<String> = storage.get(registry::SPACE_KEY).await?;
            if self.space.borrow().is_none() {
                *self.space.borrow_mut() = stored;
            }
        }
        let registry: Registry = storage.get(registry::REGISTRY_KEY).await?.unwrap_or_default();
        let policy = self.load_policy().await?;
        let configured = self.configured().iter().map(|c| c.id.clone());
        let ids: Vec<String> = configured.chain(registry.channels.iter().map(|c| c.id.clone())).collect();
        // A read per chunk of keys, not per channel (a space may have hundreds).
        let mut rosters = HashMap::new();
        for chunk in ids.chunks(KEYS_PER_READ) {
            let keys: Vec<String> = chunk.iter().map(|id| key(id)).collect();
            let found = storage.get_multiple(keys.iter().map(String::as_str).collect()).await?;
            for (id, key) in chunk.iter().zip(&keys) {
                let value = found.get(&key.as_str().into());
                if !value.is_undefined() {
                    let roster = Stored::<RoomRoster>::from_js(&value).map_err(worker::Error::RustError)?;
                    rosters.insert(id.clone(), roster);
                }
            }
        }
        if self.rosters.borrow().is_some() {
            return Ok(()); // another event loaded them while we read
        }
        let mut claims = self.claims.borrow_mut();
        for (id, roster) in &rosters {
            claims.remember(id, &roster.seats);
        }
        *self.registry.borrow_mut() = registry;
        *self.policy.borrow_mut() = policy;
        *self.rosters.borrow_mut() = Some(rosters);
        Ok(())
    }
}
