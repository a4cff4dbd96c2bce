//! The `UserChannel` Durable Object: one per user id, holding the channel where the user last
//! took a seat. A room asks it on every join (`claim`), learns which channel the user was in
//! before and moves them out of it. Seats are never given back: a room that loses a member does
//! not call here, and a claim that names a channel the user has since left costs that room one
//! eviction with nothing to evict. One tiny object per user keeps the rule strict across tabs and
//! devices without a global lock (see README).

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, State};

const KEY: &str = "seat";

#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct Seat {
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
                let claim: Seat = req.json().await?;
                let previous: Option<Seat> = storage.get(KEY).await?;
                if previous.as_ref() != Some(&claim) {
                    storage.put(KEY, &claim).await?;
                }
                Response::from_json(&Claimed { previous: previous.map(|seat| seat.channel_id) })
            }
            _ => Response::error("not found", 404),
        }
    }
}
