//! Moderation as plain data (contract v1.1 "Admin API" member routes): the request a room gets
//! from its space's Lobby, and the bans a kick leaves behind. A room keeps the bans of the kicks
//! it carried out (a rejoin there is refused before it is accepted); the Lobby keeps every ban and
//! server mute of its space and applies them to whoever turns up in another channel.

use serde::{Deserialize, Serialize};

use crate::protocol::Member;
use crate::space::valid_id;

/// Longest ban a kick may ask for (a year).
pub const MAX_BAN_SECS: u64 = 365 * 24 * 3600;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Set or clear the server mute.
    Mute,
    /// Remove at once (`kicked`, 4003), with an optional ban.
    Kick,
    /// Remove a banned user who joined anyway (`banned`, 4003).
    Ban,
    /// Send to another channel (`move`, then 4010).
    Move,
}

/// What the Lobby asks a room to do to one member (`POST /moderate`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Moderate {
    pub action: Action,
    pub user_id: String,
    #[serde(default)]
    pub muted: bool,
    /// Kick: ban the user from the space for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_secs: Option<u64>,
    /// Move: the target channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
}

/// The admin API's member-route bodies, checked: `Err` is the 400's sentence.
pub fn parse_body(action: Action, user_id: &str, body: &[u8]) -> Result<Moderate, &'static str> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        muted: Option<bool>,
        #[serde(default)]
        ban_secs: Option<u64>,
        #[serde(default)]
        channel_id: Option<String>,
    }
    let body: Body = if body.iter().all(u8::is_ascii_whitespace) && action == Action::Kick {
        Body { muted: None, ban_secs: None, channel_id: None }
    } else {
        serde_json::from_slice(body).map_err(|_| "expected a JSON object with this route's fields")?
    };
    let mut moderate = Moderate { action, user_id: user_id.to_owned(), muted: false, ban_secs: None, channel_id: None };
    match action {
        Action::Mute => moderate.muted = body.muted.ok_or(r#"expected {"muted": true|false}"#)?,
        Action::Kick => {
            moderate.ban_secs = body.ban_secs.filter(|&s| s > 0);
            if body.ban_secs.is_some_and(|s| s > MAX_BAN_SECS) {
                return Err("ban_secs must be at most a year");
            }
        }
        Action::Move => {
            let target = body.channel_id.filter(|c| valid_id(c)).ok_or(r#"expected {"channel_id": "<channel>"}"#)?;
            moderate.channel_id = Some(target);
        }
        Action::Ban => return Err("no such route"),
    }
    Ok(moderate)
}

/// Users banned until a time (ms).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Bans {
    pub list: Vec<(String, u64)>,
}

impl Bans {
    /// Bans `user_id` until `until`, or longer if already banned longer.
    pub fn add(&mut self, user_id: &str, until: u64) {
        match self.list.iter_mut().find(|(u, _)| u == user_id) {
            Some((_, at)) => *at = (*at).max(until),
            None => self.list.push((user_id.to_owned(), until)),
        }
    }

    pub fn active(&self, user_id: &str, now: u64) -> bool {
        self.list.iter().any(|(u, until)| u == user_id && *until > now)
    }

    /// Drops the bans that ended; returns whether any did.
    pub fn prune(&mut self, now: u64) -> bool {
        let before = self.list.len();
        self.list.retain(|(_, until)| *until > now);
        self.list.len() != before
    }
}

/// A space's standing moderation, kept by its Lobby: who is server-muted (until unmuted) and who
/// is banned (until when). Applied to whoever turns up in any channel of the space.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub muted: Vec<String>,
    pub bans: Bans,
}

impl Policy {
    /// Records a moderator's order; returns whether anything changed (to store).
    pub fn record(&mut self, order: &Moderate, now: u64) -> bool {
        match order.action {
            Action::Mute if order.muted && !self.muted.contains(&order.user_id) => {
                self.muted.push(order.user_id.clone());
                true
            }
            Action::Mute if !order.muted && self.muted.contains(&order.user_id) => {
                self.muted.retain(|u| u != &order.user_id);
                true
            }
            Action::Kick => match order.ban_secs {
                Some(secs) => {
                    self.bans.prune(now);
                    self.bans.add(&order.user_id, now + secs * 1000);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// What a channel's roster needs to follow the policy: banned members out, server mutes as
    /// recorded.
    pub fn orders_for(&self, members: &[Member], now: u64) -> Vec<Moderate> {
        let order = |action, user_id: &str, muted| Moderate {
            action,
            user_id: user_id.to_owned(),
            muted,
            ban_secs: None,
            channel_id: None,
        };
        members
            .iter()
            .filter_map(|m| {
                let muted = self.muted.contains(&m.id);
                if self.bans.active(&m.id, now) {
                    Some(order(Action::Ban, &m.id, false))
                } else if muted != m.server_muted {
                    Some(order(Action::Mute, &m.id, muted))
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_policy_follows_members_into_every_channel() {
        let mut policy = Policy::default();
        let mute = parse_body(Action::Mute, "u1", br#"{"muted": true}"#).unwrap();
        assert!(policy.record(&mute, 0) && !policy.record(&mute, 0));
        let kick = parse_body(Action::Kick, "u2", br#"{"ban_secs": 10}"#).unwrap();
        assert!(policy.record(&kick, 0));
        assert!(!policy.record(&parse_body(Action::Kick, "u3", b"").unwrap(), 0), "a kick without a ban bans nothing");
        let members = [Member::new("u1", "A"), Member::new("u2", "B"), Member::new("u3", "C")];
        let orders = policy.orders_for(&members, 5_000);
        let got: Vec<(Action, &str, bool)> = orders.iter().map(|o| (o.action, o.user_id.as_str(), o.muted)).collect();
        assert_eq!(got, [(Action::Mute, "u1", true), (Action::Ban, "u2", false)]);
        // After the ban ends, and with the mute applied, nothing is left to do.
        let applied = [Member { server_muted: true, ..Member::new("u1", "A") }, Member::new("u2", "B")];
        assert!(policy.orders_for(&applied, 10_000).is_empty());
        // Unmuted while away: a member who still shows the mute gets it cleared.
        assert!(policy.record(&parse_body(Action::Mute, "u1", br#"{"muted": false}"#).unwrap(), 0));
        let orders = policy.orders_for(&applied, 10_000);
        assert_eq!((orders[0].action, orders[0].muted), (Action::Mute, false));
    }

    #[test]
    fn member_route_bodies_are_checked() {
        let mute = parse_body(Action::Mute, "u1", br#"{"muted": true}"#).unwrap();
        assert_eq!((mute.action, mute.user_id.as_str(), mute.muted), (Action::Mute, "u1", true));
        assert!(parse_body(Action::Mute, "u1", b"{}").is_err());
        assert!(parse_body(Action::Mute, "u1", br#"{"muted": "yes"}"#).is_err());
        assert_eq!(parse_body(Action::Kick, "u1", b"").unwrap().ban_secs, None);
        assert_eq!(parse_body(Action::Kick, "u1", b"{}").unwrap().ban_secs, None);
        assert_eq!(parse_body(Action::Kick, "u1", br#"{"ban_secs": 0}"#).unwrap().ban_secs, None);
        assert_eq!(parse_body(Action::Kick, "u1", br#"{"ban_secs": 60}"#).unwrap().ban_secs, Some(60));
        assert!(parse_body(Action::Kick, "u1", br#"{"ban_secs": -1}"#).is_err());
        assert!(parse_body(Action::Kick, "u1", br#"{"ban_secs": 31536001}"#).is_err());
        assert!(parse_body(Action::Kick, "u1", br#"{"reason": "spam"}"#).is_err());
        let moved = parse_body(Action::Move, "u1", br#"{"channel_id": "b"}"#).unwrap();
        assert_eq!(moved.channel_id.as_deref(), Some("b"));
        assert!(parse_body(Action::Move, "u1", br#"{"channel_id": "B B"}"#).is_err());
        assert!(parse_body(Action::Move, "u1", b"{}").is_err());
    }

    #[test]
    fn a_ban_lasts_until_its_time_and_the_longer_one_wins() {
        let mut bans = Bans::default();
        bans.add("u1", 1000);
        assert!(bans.active("u1", 999) && !bans.active("u1", 1000) && !bans.active("u2", 0));
        bans.add("u1", 500);
        assert!(bans.active("u1", 999), "a shorter ban does not shorten a longer one");
        bans.add("u1", 2000);
        assert!(bans.active("u1", 1999));
        assert!(!bans.prune(1999));
        assert!(bans.prune(2000) && bans.list.is_empty());
    }
}
