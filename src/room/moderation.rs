//! A moderator's action on a member of this room (`POST /moderate`, from the space's Lobby, which
//! found the member here): server mute, kick and move. Kick and move remove the entry at once,
//! grace or not; others get `member_left` at once. And the space's standing mutes and bans
//! (`POST /policy`: the Lobby sends every room of the space its `Policy` when it changes), so a
//! join is held to them when it is accepted: a banned user is refused before it, a muted one
//! joins muted.

use std::cell::RefCell;

use worker::Response;

use super::{send, Room};
use crate::error::AppError;
use crate::http::{self, now_ms};
use crate::moderation::{Action, Moderate, Policy};
use crate::protocol::{close, Reason, ServerMsg};
use crate::report::MovedOut;

/// Storage key of the space's policy as this room knows it.
const POLICY_KEY: &str = "policy";

/// The policy as last read or written (None: not read since this object woke up).
#[derive(Default)]
pub struct PolicyCache {
    cached: RefCell<Option<Policy>>,
}

impl Room {
    pub(super) async fn policy(&self) -> worker::Result<Policy> {
        if let Some(policy) = self.policy.cached.borrow().clone() {
            return Ok(policy);
        }
        let stored: Policy = self.state.storage().get(POLICY_KEY).await?.unwrap_or_default();
        *self.policy.cached.borrow_mut() = Some(stored.clone());
        Ok(stored)
    }

    /// `POST /policy`: the space's mutes and bans, from its Lobby.
    pub(super) async fn set_policy(&self, mut policy: Policy) -> worker::Result<()> {
        policy.bans.prune(now_ms());
        self.state.storage().put(POLICY_KEY, &policy).await?;
        *self.policy.cached.borrow_mut() = Some(policy);
        Ok(())
    }

    async fn ban(&self, user_id: &str, until: u64) -> worker::Result<()> {
        let mut policy = self.policy().await?;
        policy.bans.add(user_id, until);
        self.set_policy(policy).await
    }

    pub(super) async fn moderate(&self, order: Moderate) -> worker::Result<Response> {
        let mut loaded = self.load().await?;
        let user_id = order.user_id.as_str();
        let Some(entry) = loaded.presence.get(user_id).cloned() else {
            return http::error_answer(AppError::new(404, "not_found", "that user is not in this channel"));
        };
        let socket = loaded.socket(user_id, &entry.session_id).cloned();
        if order.action == Action::Mute {
            let Some(member) = loaded.presence.set_server_muted(user_id, order.muted).cloned() else {
                return http::error_answer(AppError::internal());
            };
            if let Some(ws) = &socket {
                if let Some(mut att) = self.sockets.attachment(ws) {
                    att.entry.member = member.clone();
                    self.sockets.write(ws, &att)?;
                }
            }
            // Everyone, the member too: its page stops sending and says why.
            self.broadcast(&ServerMsg::MemberUpdated { member: &member }.to_json(), None);
            self.notify_lobby(&loaded.presence);
            self.persist(&loaded).await?;
            return Response::from_json(&serde_json::json!({ "member": member }));
        }
        if let Some(secs) = order.ban_secs.filter(|_| order.action == Action::Kick) {
            self.ban(user_id, now_ms() + secs * 1000).await?;
        }
        let (reason, detail) = match order.action {
            Action::Ban => (Reason::Banned, "you are banned from this space for now"),
            Action::Move => (Reason::Moved, "a moderator moved you to another channel"),
            _ => (Reason::Kicked, "a moderator removed you from this channel"),
        };
        if let Some(ws) = &socket {
            if let Some(mut att) = self.sockets.attachment(ws) {
                match (order.action, &order.channel_id) {
                    (Action::Move, Some(target)) => send(ws, &ServerMsg::Move { channel_id: target }),
                    _ => send(ws, &ServerMsg::error(reason, detail)),
                }
                let code = reason.close_code().unwrap_or(close::NORMAL);
                self.sockets.close(ws, &mut att, code, reason.as_str());
            }
        }
        if let (Action::Move, Some(to)) = (order.action, order.channel_id) {
            self.reports.moved(MovedOut { user_id: user_id.to_owned(), to });
        }
        let removed: Vec<_> = loaded.presence.remove(user_id).into_iter().collect();
        self.after_removal(&mut loaded, &removed).await?;
        Response::from_json(&serde_json::json!({ "member": entry.member }))
    }
}
