//! Moderation in a space (contract v1.1 member routes): the Lobby finds the channel the user is
//! in, records what lasts (server mutes, bans: the space's `Policy`, stored) and has the room act.
//! Every roster a room reports is held to the policy, so a muted or banned user who turns up in
//! another channel is muted or removed there within a report.

use worker::{Method, Response};

use super::Lobby;
use crate::error::AppError;
use crate::http::{self, now_ms};
use crate::moderation::{Action, Moderate, Policy};
use crate::protocol::Member;

/// Storage key of the space's moderation policy.
pub const POLICY_KEY: &str = "policy";

impl Lobby {
    /// `POST /members/{user}`: a moderator's order for the user wherever they are in the space.
    pub(super) async fn moderate(&self, order: Moderate) -> worker::Result<Response> {
        self.load().await?;
        let user_id = order.user_id.clone();
        let found = self.rosters.borrow().as_ref().and_then(|rosters| {
            rosters.iter().find(|(_, r)| r.members.iter().any(|m| m.id == user_id)).map(|(id, _)| id.clone())
        });
        let Some(channel_id) = found else {
            return http::error_answer(AppError::new(404, "not_found", "that user is not in a channel of this space"));
        };
        if let (Action::Move, Some(target)) = (order.action, &order.channel_id) {
            if !self.exists(target) {
                return http::error_answer(AppError::unknown_channel(target));
            }
            if *target == channel_id {
                let member = self
                    .rosters
                    .borrow()
                    .as_ref()
                    .and_then(|r| r.get(&channel_id))
                    .and_then(|r| r.members.iter().find(|m| m.id == user_id).cloned());
                return Response::from_json(&serde_json::json!({ "member": member }));
            }
        }
        let changed = self.policy.borrow_mut().record(&order, now_ms());
        if changed {
            let policy = self.policy.borrow().clone();
            self.state.storage().put(POLICY_KEY, &policy).await?;
        }
        let answer = self.order_room(&channel_id, &order).await;
        if changed {
            self.spread_policy(None).await;
        }
        answer
    }

    /// Sends the space's policy to the room of every channel (or of `only`), so each holds a join
    /// to it when it accepts it (errors are logged: the reported rosters are held to it anyway).
    pub(super) async fn spread_policy(&self, only: Option<&str>) {
        let policy = self.policy.borrow().clone();
        let ids: Vec<String> = match only {
            Some(id) => vec![id.to_owned()],
            None => {
                let runtime = self.registry.borrow().channels.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
                self.configured().iter().map(|c| c.id.clone()).chain(runtime).collect()
            }
        };
        for id in ids {
            let sent = async {
                let stub = http::room_stub(&self.env, &self.space_id(), &id)?;
                http::post_json(&stub, "/policy", &policy).await
            };
            if let Err(err) = sent.await {
                crate::log::error("lobby", &format!("sending the space's moderation to {id:?} failed"), err);
            }
        }
    }

    /// Has the room of `channel_id` carry out `order`; its answer is the answer.
    async fn order_room(&self, channel_id: &str, order: &Moderate) -> worker::Result<Response> {
        let stub = http::room_stub(&self.env, &self.space_id(), channel_id)?;
        let body = serde_json::to_string(order).map_err(|e| worker::Error::RustError(e.to_string()))?;
        stub.fetch_with_request(http::internal_request("/moderate", Method::Post, Some(body))?).await
    }

    /// Holds a reported roster to the space's policy (errors are logged: the next report retries).
    pub(super) async fn enforce(&self, channel_id: &str, members: &[Member]) {
        let orders = self.policy.borrow().orders_for(members, now_ms());
        for order in orders {
            if let Err(err) = self.order_room(channel_id, &order).await {
                crate::log::error("lobby", "applying the space's moderation failed", err);
            }
        }
    }

    pub(super) async fn load_policy(&self) -> worker::Result<Policy> {
        Ok(self.state.storage().get(POLICY_KEY).await?.unwrap_or_default())
    }
}
