//! The space's channels as the Lobby keeps them: the configured ones (`VOICE_CHANNELS`, default
//! space only) and those created at runtime (`channels.rs` decides; stored here under
//! [`REGISTRY_KEY`]); the admin API's create, rename and delete; temporary channels' expiry; and
//! what observers are sent when the set or a roster changes.

use worker::Response;

use super::observers::{is_open, may_see, ALL_TAG, SOME_TAG};
use super::{key, Lobby};
use crate::channels::ChannelSpec;
use crate::config::Channel;
use crate::error::AppError;
use crate::http::{self, now_ms};
use crate::protocol::{ChannelRoster, LobbyMsg, Member};
use crate::space::{valid_id, DEFAULT_SPACE};

/// Storage key of the runtime channels (a `Registry`).
pub const REGISTRY_KEY: &str = "channels";
/// Storage key of the space this lobby serves.
pub const SPACE_KEY: &str = "space";

impl Lobby {
    /// Keeps the space a request names (the alarm needs it to reach the rooms).
    pub(super) async fn learn_space(&self, space: &str) -> worker::Result<()> {
        if !valid_id(space) || self.space.borrow().as_deref() == Some(space) {
            return Ok(());
        }
        let stored: Option<String> = self.state.storage().get(SPACE_KEY).await?;
        if stored.as_deref() != Some(space) {
            self.state.storage().put(SPACE_KEY, space).await?;
        }
        *self.space.borrow_mut() = Some(space.to_owned());
        Ok(())
    }

    pub(super) fn space_id(&self) -> String {
        self.space.borrow().clone().unwrap_or_else(|| DEFAULT_SPACE.to_owned())
    }

    /// The `VOICE_CHANNELS` channels: the default space's only.
    pub(super) fn configured(&self) -> &[Channel] {
        if self.space_id() == DEFAULT_SPACE {
            &self.config.channels
        } else {
            &[]
        }
    }

    /// Whether `id` is a channel of this space (after `load`).
    pub(super) fn exists(&self, id: &str) -> bool {
        self.configured().iter().any(|c| c.id == id) || self.registry.borrow().get(id).is_some()
    }

    /// Whether channel `id` has nobody in it (after `load`).
    pub(super) fn is_empty(&self, id: &str) -> bool {
        self.rosters.borrow().as_ref().and_then(|r| r.get(id)).is_none_or(|r| r.members.is_empty())
    }

    fn members_of(&self, id: &str) -> Vec<Member> {
        self.rosters.borrow().as_ref().and_then(|r| r.get(id)).map(|r| r.members.clone()).unwrap_or_default()
    }

    /// Every channel of the space with its members: the configured ones first, in configuration
    /// order, then the runtime ones in creation order.
    pub(super) async fn channels(&self) -> worker::Result<Vec<ChannelRoster>> {
        self.load().await?;
        let max = self.config.max_members;
        let configured = self.configured().iter().map(|c| (c.id.clone(), c.name.clone(), max, false));
        let registry = self.registry.borrow();
        let runtime = registry.channels.iter().map(|c| (c.id.clone(), c.name.clone(), c.max_members, c.temporary));
        Ok(configured
            .chain(runtime)
            .map(|(id, name, max_members, temporary)| {
                let members = self.members_of(&id);
                ChannelRoster { id, name, max_members, temporary, members }
            })
            .collect())
    }

    pub(super) async fn channel(&self, id: &str) -> worker::Result<Option<ChannelRoster>> {
        Ok(self.channels().await?.into_iter().find(|c| c.id == id))
    }

    fn configured_error(&self, id: &str) -> Option<AppError> {
        self.configured().iter().any(|c| c.id == id).then(|| {
            AppError::new(
                409,
                "configured_channel",
                format!("{id:?} is set by VOICE_CHANNELS and cannot be changed here"),
            )
        })
    }

    /// `PUT`: creates or updates a runtime channel; observers get `roster` again.
    pub(super) async fn put_channel(&self, id: &str, body: &[u8]) -> worker::Result<Response> {
        self.load().await?;
        if !valid_id(id) {
            return http::error_answer(AppError::bad_request("channel ids are 1-64 of a-z, 0-9, - and _"));
        }
        if let Some(err) = self.configured_error(id) {
            return http::error_answer(err);
        }
        let spec = match ChannelSpec::parse(body, self.config.max_members) {
            Ok(spec) => spec,
            Err(err) => return http::error_answer(err),
        };
        let members = self.members_of(id).len();
        let put = self.registry.borrow_mut().put(id, spec, members, now_ms()).map(|c| c.empty_since);
        let empty_since = match put {
            Ok(empty_since) => empty_since,
            Err(err) => return http::error_answer(err),
        };
        self.store_registry().await?;
        let standing = !self.policy.borrow().muted.is_empty() || !self.policy.borrow().bans.list.is_empty();
        if members == 0 && standing {
            self.spread_policy(Some(id)).await; // a new channel's room learns the space's mutes and bans
        }
        if let Some(since) = empty_since {
            self.alarm_by(since + self.config.temp_channel_idle_secs * 1000).await?;
        }
        self.send_roster().await?;
        match self.channel(id).await? {
            Some(channel) => Response::from_json(&channel),
            None => http::error_answer(AppError::internal()),
        }
    }

    /// `DELETE`: removes a runtime channel; its members are closed with `channel_deleted`.
    pub(super) async fn delete_channel(&self, id: &str) -> worker::Result<Response> {
        self.load().await?;
        if let Some(err) = self.configured_error(id) {
            return http::error_answer(err);
        }
        if self.registry.borrow_mut().remove(id).is_none() {
            return http::error_answer(AppError::unknown_channel(id));
        }
        self.forget_channels(&[id.to_owned()]).await?;
        Ok(Response::empty()?.with_status(204))
    }

    /// Deletes the temporary channels that have been empty for `TEMP_CHANNEL_IDLE_SECS`.
    pub(super) async fn expire_temporary(&self, now: u64) -> worker::Result<()> {
        self.load().await?;
        let idle_ms = self.config.temp_channel_idle_secs * 1000;
        let expired = self.registry.borrow_mut().take_expired(now, idle_ms);
        if !expired.is_empty() {
            self.forget_channels(&expired).await?;
        }
        Ok(())
    }

    /// After channels left the registry: stores it, drops their rosters, tells observers, and
    /// closes whoever is still in their rooms.
    async fn forget_channels(&self, ids: &[String]) -> worker::Result<()> {
        self.store_registry().await?;
        for id in ids {
            if let Some(rosters) = self.rosters.borrow_mut().as_mut() {
                rosters.remove(id);
            }
            self.fanout.forget(id);
            self.state.storage().delete(&key(id)).await?;
        }
        self.send_roster().await?;
        for id in ids {
            self.close_room(id).await;
        }
        Ok(())
    }

    /// A temporary channel's roster changed size: its idle clock starts or stops.
    pub(super) async fn note_members(&self, id: &str, members: usize) -> worker::Result<()> {
        let now = now_ms();
        if !self.registry.borrow_mut().note_members(id, members, now) {
            return Ok(());
        }
        self.store_registry().await?;
        if members == 0 {
            self.alarm_by(now + self.config.temp_channel_idle_secs * 1000).await?;
        }
        Ok(())
    }

    async fn store_registry(&self) -> worker::Result<()> {
        let registry = self.registry.borrow().clone();
        self.state.storage().put(REGISTRY_KEY, &registry).await
    }

    /// Tells the room of `id` its channel is gone (errors are logged: nobody may be in it).
    pub(super) async fn close_room(&self, id: &str) {
        let closed = async {
            let stub = http::room_stub(&self.env, &self.space_id(), id)?;
            http::post_json(&stub, "/delete", &()).await
        };
        if let Err(err) = closed.await {
            crate::log::error("lobby", &format!("closing the room of deleted channel {id:?} failed"), err);
        }
    }

    /// Sends every observer the space's channels (those it may see).
    pub(super) async fn send_roster(&self) -> worker::Result<()> {
        let channels = self.channels().await?;
        let frame = LobbyMsg::Roster { channels: &channels }.to_json();
        for ws in self.state.get_websockets_with_tag(ALL_TAG) {
            let _ = ws.send_with_str(&frame);
        }
        for ws in self.state.get_websockets_with_tag(SOME_TAG) {
            if is_open(ws.as_ref()) {
                let visible: Vec<ChannelRoster> =
                    channels.iter().filter(|c| may_see(ws.as_ref(), &c.id)).cloned().collect();
                let _ = ws.send_with_str(LobbyMsg::Roster { channels: &visible }.to_json());
            }
        }
        Ok(())
    }

    /// Sends the observers that may see it a channel's new roster (folded, `fanout.rs`).
    pub(super) fn send_channel(&self, id: &str, members: &[Member]) {
        self.fanout.channel(self.state.as_raw(), id, members);
    }
}
