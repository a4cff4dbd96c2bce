//! Channels created at runtime (contract v1.1): what the admin API's `PUT` asks for, and a
//! space's set of them as its Lobby stores it, in creation order, with each temporary channel's
//! idle clock (it is deleted after `TEMP_CHANNEL_IDLE_SECS` empty). Pure: the Lobby stores and
//! broadcasts, this decides.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Most channels one space may hold at runtime (each is a roster the lobby sends on connect).
pub const MAX_RUNTIME_CHANNELS: usize = 500;
/// Largest `max_members` (as `MAX_MEMBERS`).
pub const MAX_MEMBERS_LIMIT: u64 = 1000;

/// A channel's name: trimmed, 1–64 characters, none of them a control character.
pub fn valid_channel_name(name: &str) -> Option<String> {
    let name = name.trim();
    let chars = name.chars().count();
    ((1..=64).contains(&chars) && !name.chars().any(char::is_control)).then(|| name.to_owned())
}

/// The body of `PUT /api/admin/spaces/{space}/channels/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    name: String,
    #[serde(default)]
    max_members: Option<u64>,
    #[serde(default)]
    temporary: Option<bool>,
}

/// What a `PUT` asks a channel to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    pub name: String,
    pub max_members: usize,
    pub temporary: bool,
}

impl ChannelSpec {
    /// Reads and checks a `PUT` body; `max_members` defaults to `default_max` (`MAX_MEMBERS`).
    pub fn parse(body: &[u8], default_max: usize) -> Result<ChannelSpec, AppError> {
        let put: PutBody = serde_json::from_slice(body).map_err(|_| {
            AppError::bad_request(r#"expected JSON like {"name": "Stand-up", "max_members": 8, "temporary": false}"#)
        })?;
        let name = valid_channel_name(&put.name)
            .ok_or_else(|| AppError::bad_request("name must be 1-64 printable characters"))?;
        let max_members = put.max_members.unwrap_or(default_max as u64);
        if !(1..=MAX_MEMBERS_LIMIT).contains(&max_members) {
            return Err(AppError::bad_request(format!("max_members must be 1..={MAX_MEMBERS_LIMIT}")));
        }
        Ok(ChannelSpec { name, max_members: max_members as usize, temporary: put.temporary.unwrap_or(false) })
    }
}

/// A runtime channel as its space's Lobby stores it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredChannel {
    pub id: String,
    pub name: String,
    pub max_members: usize,
    pub temporary: bool,
    /// Since when (ms) a temporary channel has been empty; None while someone is in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_since: Option<u64>,
}

/// A space's runtime channels, in creation order.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub channels: Vec<StoredChannel>,
}

impl Registry {
    pub fn get(&self, id: &str) -> Option<&StoredChannel> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// Creates or updates `id`; `members` is how many are in it now (a new temporary channel
    /// that is empty starts its idle clock at `now`). Err when the space is full of channels.
    pub fn put(&mut self, id: &str, spec: ChannelSpec, members: usize, now: u64) -> Result<&StoredChannel, AppError> {
        let empty_since = (spec.temporary && members == 0).then_some(now);
        let index = match self.channels.iter().position(|c| c.id == id) {
            Some(i) => {
                let old = &mut self.channels[i];
                // An update keeps a running idle clock.
                let empty_since = if spec.temporary { old.empty_since.or(empty_since) } else { None };
                *old = StoredChannel {
                    id: id.to_owned(),
                    name: spec.name,
                    max_members: spec.max_members,
                    temporary: spec.temporary,
                    empty_since,
                };
                i
            }
            None if self.channels.len() >= MAX_RUNTIME_CHANNELS => {
                return Err(AppError::new(
                    409,
                    "too_many_channels",
                    format!("a space holds at most {MAX_RUNTIME_CHANNELS} channels"),
                ));
            }
            None => {
                let channel = StoredChannel {
                    id: id.to_owned(),
                    name: spec.name,
                    max_members: spec.max_members,
                    temporary: spec.temporary,
                    empty_since,
                };
                self.channels.push(channel);
                self.channels.len() - 1
            }
        };
        Ok(&self.channels[index])
    }

    pub fn remove(&mut self, id: &str) -> Option<StoredChannel> {
        let index = self.channels.iter().position(|c| c.id == id)?;
        Some(self.channels.remove(index))
    }

    /// A roster of `members` arrived for `id`: a temporary channel's idle clock starts when it
    /// empties and stops when someone joins. Returns whether anything changed (to store).
    pub fn note_members(&mut self, id: &str, members: usize, now: u64) -> bool {
        let Some(channel) = self.channels.iter_mut().find(|c| c.id == id && c.temporary) else { return false };
        let next = if members == 0 { channel.empty_since.or(Some(now)) } else { None };
        let changed = next != channel.empty_since;
        channel.empty_since = next;
        changed
    }

    /// When the next temporary channel runs out of idle time (ms).
    pub fn next_expiry(&self, idle_ms: u64) -> Option<u64> {
        self.channels.iter().filter_map(|c| c.empty_since).map(|since| since + idle_ms).min()
    }

    /// Removes and returns the ids of the temporary channels empty for `idle_ms` by `now`.
    pub fn take_expired(&mut self, now: u64, idle_ms: u64) -> Vec<String> {
        let expired: Vec<String> = self
            .channels
            .iter()
            .filter(|c| c.empty_since.is_some_and(|since| since + idle_ms <= now))
            .map(|c| c.id.clone())
            .collect();
        self.channels.retain(|c| !expired.contains(&c.id));
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<ChannelSpec, AppError> {
        ChannelSpec::parse(json.as_bytes(), 16)
    }

    #[test]
    fn a_put_body_is_checked() {
        assert_eq!(
            spec(r#"{"name":" Stand-up "}"#).unwrap(),
            ChannelSpec { name: "Stand-up".into(), max_members: 16, temporary: false }
        );
        assert_eq!(spec(r#"{"name":"A","max_members":2,"temporary":true}"#).unwrap().max_members, 2);
        for bad in [
            "",
            "[]",
            r#"{"name":""}"#,
            r#"{"name":"a\u0007"}"#,
            r#"{"max_members":3}"#,
            r#"{"name":"A","max_members":0}"#,
            r#"{"name":"A","max_members":1001}"#,
            r#"{"name":"A","max_members":-1}"#,
            r#"{"name":"A","temporary":"yes"}"#,
            r#"{"name":"A","colour":"red"}"#,
        ] {
            assert_eq!(spec(bad).unwrap_err().status, 400, "{bad}");
        }
        assert!(spec(&format!(r#"{{"name":"{}"}}"#, "é".repeat(64))).is_ok());
        assert!(spec(&format!(r#"{{"name":"{}"}}"#, "é".repeat(65))).is_err());
    }

    fn temporary(name: &str) -> ChannelSpec {
        ChannelSpec { name: name.into(), max_members: 4, temporary: true }
    }

    #[test]
    fn a_temporary_channel_expires_after_being_empty_for_the_idle_time() {
        let mut reg = Registry::default();
        reg.put("t", temporary("T"), 0, 1000).unwrap();
        reg.put("p", ChannelSpec { temporary: false, ..temporary("P") }, 0, 1000).unwrap();
        assert_eq!(reg.next_expiry(500), Some(1500));
        // Someone joins at 1200: the clock stops; they leave at 2000: it starts again.
        assert!(reg.note_members("t", 1, 1200));
        assert_eq!(reg.next_expiry(500), None);
        assert!(!reg.note_members("t", 2, 1300));
        assert!(reg.note_members("t", 0, 2000));
        assert!(!reg.note_members("t", 0, 2100), "an empty roster again keeps the first time");
        assert!(reg.take_expired(2499, 500).is_empty());
        assert_eq!(reg.take_expired(2500, 500), vec!["t".to_owned()]);
        assert!(reg.get("t").is_none() && reg.get("p").is_some());
        assert!(!reg.note_members("p", 0, 3000), "a permanent channel has no idle clock");
    }

    #[test]
    fn an_update_renames_in_place_and_keeps_a_running_clock() {
        let mut reg = Registry::default();
        reg.put("a", temporary("A"), 0, 1000).unwrap();
        reg.put("b", temporary("B"), 3, 1000).unwrap();
        assert_eq!(reg.put("a", temporary("Renamed"), 0, 5000).unwrap().empty_since, Some(1000));
        assert_eq!(reg.channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Renamed", "B"]);
        assert_eq!(reg.get("b").unwrap().empty_since, None);
        // Made permanent: no clock.
        assert_eq!(
            reg.put("a", ChannelSpec { temporary: false, ..temporary("A") }, 0, 6000).unwrap().empty_since,
            None
        );
        assert_eq!(reg.remove("a").map(|c| c.id), Some("a".to_owned()));
        assert!(reg.remove("a").is_none());
    }

    #[test]
    fn a_space_holds_a_bounded_number_of_channels() {
        let mut reg = Registry::default();
        for i in 0..MAX_RUNTIME_CHANNELS {
            reg.put(&format!("c{i}"), temporary("C"), 1, 0).unwrap();
        }
        assert_eq!(reg.put("one-more", temporary("C"), 0, 0).unwrap_err().status, 409);
        assert!(reg.put("c0", temporary("Still fine"), 0, 0).is_ok(), "updating an existing one is fine");
    }
}
