//! A room's roster report to its space's Lobby: the newer roster kept (a late one is old news),
//! one channel per user (a seat that gave way is dropped here and its room told to evict), the
//! observers told, temporary channels' idle clocks, the webhook events the change makes, and the
//! reported roster held to the space's mutes and bans.

use super::{key, Lobby};
use crate::http::{self, now_ms};
use crate::protocol::Member;
use crate::report::{EvictRequest, MovedOut, RoomRoster};
use crate::seats::{GiveWay, Seat};
use crate::stored::Stored;
use crate::webhook::RosterChange;

impl Lobby {
    pub(super) async fn update(
        &self,
        channel_id: &str,
        mut update: RoomRoster,
        taken: &[Seat],
        moved: &[MovedOut],
    ) -> worker::Result<()> {
        self.load().await?;
        if !self.exists(channel_id) {
            // A room of a channel deleted meanwhile (a join that raced the delete): close it.
            if !update.members.is_empty() {
                self.close_room(channel_id).await;
            }
            return Ok(());
        }
        // Decide and apply in one step (no await in between), so concurrent updates see each
        // other's effects: the newer roster, minus every seat that gives way, and the other
        // channels that lose a seat.
        let (give_way, changed, before) = {
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
            // Each changed channel's members before this report (for the webhooks, when on).
            let hooked = self.config.webhook.is_some();
            let before: Vec<Vec<Member>> = changed
                .iter()
                .filter(|_| hooked)
                .map(|id| {
                    let old = rosters.get(id).map(|r| r.members.clone()).unwrap_or_default();
                    if id == channel_id {
                        return old;
                    }
                    // A channel that lost a seat: its roster before the unseat.
                    let mut old = old;
                    for GiveWay { channel_id: from, seat } in &give_way {
                        if from == id {
                            if let Some(m) = update.members.iter().find(|m| m.id == seat.user_id) {
                                old.push(m.clone());
                            }
                        }
                    }
                    old
                })
                .collect();
            if !stale {
                rosters.insert(channel_id.to_owned(), update);
            }
            let changed: Vec<(String, RoomRoster)> =
                changed.into_iter().filter_map(|id| rosters.get(&id).cloned().map(|r| (id, r))).collect();
            (give_way, changed, before)
        };
        for (id, roster) in &changed {
            self.state.storage().put(&key(id), Stored::json(roster)).await?;
            self.send_channel(id, &roster.members);
            self.note_members(id, roster.members.len()).await?;
        }
        self.announce(channel_id, &changed, &before, moved).await?;
        if let Some((_, roster)) = changed.iter().find(|(id, _)| id == channel_id) {
            self.enforce(channel_id, &roster.members).await;
        }
        for GiveWay { channel_id: from, seat } in give_way {
            if let Err(err) = self.evict(&from, seat).await {
                crate::log::error("lobby", &format!("moving a user out of {from:?} failed"), err);
            }
        }
        Ok(())
    }

    /// The webhook events of one report (`before[i]` is `changed[i]`'s members before it).
    async fn announce(
        &self,
        channel_id: &str,
        changed: &[(String, RoomRoster)],
        before: &[Vec<Member>],
        moved: &[MovedOut],
    ) -> worker::Result<()> {
        if self.config.webhook.is_none() {
            return Ok(());
        }
        let all: Vec<RosterChange> = changed
            .iter()
            .zip(before)
            .map(|((id, roster), old)| RosterChange { channel_id: id, before: old, after: &roster.members })
            .collect();
        let (reported, others): (Vec<RosterChange>, Vec<RosterChange>) =
            all.into_iter().partition(|c| c.channel_id == channel_id);
        let Some(reported) = reported.first() else { return Ok(()) };
        // A switch to a channel that is not (or no longer) in the space is a plain leave.
        let moved: Vec<MovedOut> = moved.iter().filter(|m| self.exists(&m.to)).cloned().collect();
        let now = now_ms();
        let events = crate::webhook::events(reported, &others, &moved, &mut self.arrivals.borrow_mut(), now, |id| {
            self.is_empty(id)
        });
        let deadline = self.arrivals.borrow().next_deadline();
        if let Some(at) = deadline {
            self.alarm_by(at).await?;
        }
        self.enqueue(events).await
    }

    /// Tells the room `channel_id` that `seat` gave way to a newer one elsewhere.
    async fn evict(&self, channel_id: &str, seat: Seat) -> worker::Result<()> {
        let stub = http::room_stub(&self.env, &self.space_id(), channel_id)?;
        let evict = EvictRequest { user_id: seat.user_id, session_id: Some(seat.session_id) };
        http::post_json(&stub, "/evict", &evict).await
    }
}
