//! The `UserChannel` Durable Object: one per user id, holding the one channel that user is in.
//! A room asks it on every join (`claim`), learns which channel the user was in before and moves
//! them out of it; a room that removes a member gives the seat back (`release`) only if it still
//! holds it. One tiny object per user keeps the rule strict across tabs and devices without a
//! global lock (see README: "One channel per user").

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, State};

const KEY: &str = "channel";

#[derive(Deserialize)]
struct ChannelRef {
    channel_id: String,
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
                let claim: ChannelRef = req.json().await?;
                let previous: Option<String> = storage.get(KEY).await?;
                if previous.as_deref() != Some(claim.channel_id.as_str()) {
                    storage.put(KEY, &claim.channel_id).await?;
                }
                Response::from_json(&Claimed { previous })
            }
            (Method::Post, "/release") => {
                let release: ChannelRef = req.json().await?;
                let current: Option<String> = storage.get(KEY).await?;
                if current.as_deref() == Some(release.channel_id.as_str()) {
                    storage.delete(KEY).await?;
                }
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            _ => Response::error("not found", 404),
        }
    }
}
