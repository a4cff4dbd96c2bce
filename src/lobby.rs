//! The `Lobby` Durable Object (one per deployment): the roster of every channel for the sidebar.
//! Each `VoiceRoom` posts its roster whenever it changes (a `RoomReport`, `report.rs`: with a
//! version, so a late delivery never overwrites a newer one); `/api/lobby` observers get `roster`
//! on connect, then `channel` updates; `/api/channels` answers from here. Rosters are stored, so
//! hibernation loses nothing.
//! It also keeps each user in one channel (`seats.rs`): a report names who holds each seat since
//! when and the seats taken since the last one; a seat whose user has claimed one elsewhere since
//! gives way: the lobby drops it from its rosters at once and tells that room to evict the session.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use worker::{
    console_error, durable_object, DurableObject, Env, Method, Request, Response, State, WebSocketPair,
    WebSocketRequestResponsePair,
};

use crate::config::Config;
use crate::http;
use crate::protocol::{self, ChannelRoster, LobbyMsg};
use crate::report::{EvictRequest, RoomReport, RoomRoster};
use crate::seats::{Claims, GiveWay, Seat};

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
        Lobby { state, env, config, rosters: RefCell::new(None), claims: RefCell::new(Claims::default()) }
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
                let pair = WebSocketPair::new()?;
                self.state.accept_web_socket(&pair.server);
                let channels = self.channels().await?;
                let _ = pair.server.send_with_str(LobbyMsg::Roster { channels: &channels }.to_json());
                http::websocket_response(pair.client)
            }
            (Method::Post, p) if p.starts_with("/rooms/") => {
                let channel_id = &p["/rooms/".len()..];
                let report: RoomReport = req.json().await?;
                let (roster, taken) = report.into_parts();
                self.update(channel_id, roster, &taken).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        Response::ok("")
    }
}

#[wasm_bindgen]
impl Lobby {
    /// Observers only listen. `ping` is auto-answered by the runtime (answered here too, for
    /// runtimes without auto-response); every other frame is ignored, and never copied into wasm
    /// (a frame can be megabytes).
    #[wasm_bindgen(js_name = webSocketMessage)]
    pub fn websocket_message(&self, ws: worker::web_sys::WebSocket, message: JsValue) {
        let is_ping = message
            .dyn_ref::<js_sys::JsString>()
            .is_some_and(|text| text.length() as usize == protocol::PING.len() && text == protocol::PING);
        if is_ping {
            let _ = ws.send_with_str(protocol::PONG);
        }
    }

    #[wasm_bindgen(js_name = webSocketClose)]
    pub fn websocket_close(&self, ws: worker::web_sys::WebSocket, _code: usize, _reason: String, _clean: bool) {
        let _ = ws.close_with_code_and_reason(protocol::close::NORMAL, "bye");
    }

    #[wasm_bindgen(js_name = webSocketError)]
    pub fn websocket_error(&self, _ws: worker::web_sys::WebSocket, _error: JsValue) {}
}

impl Lobby {
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
