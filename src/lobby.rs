//! The `Lobby` Durable Object (one per deployment): the roster of every channel for the sidebar.
//! Each `VoiceRoom` posts its roster whenever it changes (with a version, so a late delivery never
//! overwrites a newer one); `/api/lobby` observers get `roster` on connect, then `channel` updates;
//! `/api/channels` answers from here. Rosters are stored, so hibernation loses nothing.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair, WebSocketRequestResponsePair,
};

use crate::config::Config;
use crate::http;
use crate::protocol::{self, ChannelRoster, LobbyMsg, Member};

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
struct StoredRoster {
    version: u64,
    members: Vec<Member>,
}

#[durable_object]
pub struct Lobby {
    state: State,
    config: Config,
    /// Cache of the stored rosters, filled on first use after (re)construction.
    rosters: RefCell<Option<HashMap<String, StoredRoster>>>,
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
        Lobby { state, config, rosters: RefCell::new(None) }
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
                let update: StoredRoster = req.json().await?;
                self.update(channel_id, update).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        // Observers only listen; `ping` is auto-answered. Anything else gets a pong as a sign of life.
        if let WebSocketIncomingMessage::String(text) = message {
            if text == protocol::PING {
                let _ = ws.send_with_str(protocol::PONG);
            }
        }
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, _code: usize, _reason: String, _clean: bool) -> worker::Result<()> {
        let _ = ws.close(Some(protocol::close::NORMAL), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        Ok(())
    }

    async fn alarm(&self) -> worker::Result<Response> {
        Response::ok("")
    }
}

impl Lobby {
    async fn load(&self) -> worker::Result<()> {
        if self.rosters.borrow().is_some() {
            return Ok(());
        }
        let storage = self.state.storage();
        let mut rosters = HashMap::new();
        for channel in &self.config.channels {
            if let Some(stored) = storage.get::<StoredRoster>(&key(&channel.id)).await? {
                rosters.insert(channel.id.clone(), stored);
            }
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
                members: rosters
                    .as_ref()
                    .and_then(|r| r.get(&c.id))
                    .map(|s| s.members.clone())
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn update(&self, channel_id: &str, update: StoredRoster) -> worker::Result<()> {
        if self.config.channel(channel_id).is_none() {
            return Ok(());
        }
        self.load().await?;
        let newer = {
            let rosters = self.rosters.borrow();
            rosters.as_ref().and_then(|r| r.get(channel_id)).is_none_or(|s| update.version > s.version)
        };
        if !newer {
            return Ok(());
        }
        let frame = LobbyMsg::Channel { id: channel_id, members: &update.members }.to_json();
        self.state.storage().put(&key(channel_id), &update).await?;
        if let Some(rosters) = self.rosters.borrow_mut().as_mut() {
            rosters.insert(channel_id.to_owned(), update);
        }
        for ws in self.state.get_websockets() {
            let _ = ws.send_with_str(&frame);
        }
        Ok(())
    }
}
