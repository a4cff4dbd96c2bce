//! The `UserChannel` Durable Object: one per user id, holding the one channel that user is in and
//! the session (socket) that holds the seat. A room asks it on every join (`claim`), learns which
//! channel the user was in before and moves them out of it; a room that removes a member gives
//! the seat back (`release`) only if that very session still holds it — so a release that arrives
//! after the user rejoined (same channel, new socket) or moved changes nothing. One tiny object
//! per user keeps the rule strict across tabs and devices without a global lock (see README).

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, State};

const KEY: &str = "seat";

#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct Seat {
    channel_id: String,
    session_id: String,
}

#[derive(Serialize)]
struct Claimed {
    previous: Option<String>,
}

#[durable_object]
pub struct UserChannel {
    state: State,
}

impl DurableObject for UserChannel {
    fn new(state: State, _env: Env) -> Self {
        UserChannel { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let storage = self.state.storage();
        match (req.method(), url.path()) {
            (Method::Post, "/claim") => {
                let claim: Seat = req.json().await?;
                let previous: Option<Seat> = storage.get(KEY).await?;
                storage.put(KEY, &claim).await?;
                Response::from_json(&Claimed { previous: previous.map(|seat| seat.channel_id) })
            }
            (Method::Post, "/release") => {
                let release: Seat = req.json().await?;
                let current: Option<Seat> = storage.get(KEY).await?;
                if current.as_ref() == Some(&release) {
                    storage.delete(KEY).await?;
                }
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            _ => Response::error("not found", 404),
        }
    }
}
