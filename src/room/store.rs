//! The presence mirror: every presence entry is in storage under `presence` (so members in their
//! grace period, and members whose sockets vanished in a runtime restart, are known), the live
//! ones also in their sockets' attachments (with their last sign of life), and one storage alarm
//! is always set to the earliest heartbeat or grace deadline. Copies kept in memory while the
//! object lives only save re-reading them: only this object writes them, so they stay exact.

use std::cell::{Cell, RefCell};

use wasm_bindgen::JsValue;
use worker::{State, WebSocket};

use super::sockets::{Attachment, Sockets};
use super::wasm;
use crate::http::now_ms;
use crate::presence::{Entry, Link, Presence, Timing};

/// Every presence entry (live ones without their last sign of life): lets the room notice members
/// whose sockets vanished without a close event, e.g. when the runtime restarted.
const PRESENCE_KEY: &str = "presence";
const CHANNEL_KEY: &str = "channel";

/// The storage alarm as this object last read or set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AlarmKnown {
    /// Not read since this object woke up.
    Unknown,
    /// No alarm is set.
    Unset,
    /// Set for this time (ms since the epoch).
    At(i64),
}

/// Presence as rebuilt for one event, with the sockets that hold its live entries.
pub struct Loaded {
    pub presence: Presence,
    pub sockets: Vec<(WebSocket, Attachment)>,
    stored_before: Vec<Entry>,
}

impl Loaded {
    pub fn socket(&self, user_id: &str, session_id: &str) -> Option<&WebSocket> {
        self.sockets
            .iter()
            .find(|(_, a)| a.entry.member.id == user_id && a.entry.session_id == session_id)
            .map(|(ws, _)| ws)
    }
}

/// The in-memory copies of what this room keeps in storage.
pub struct Store {
    channel_id: RefCell<Option<String>>,
    alarm: Cell<AlarmKnown>,
    /// Presence as last read from or written to storage (None: not read since this object woke).
    stored: RefCell<Option<Vec<Entry>>>,
}

impl Store {
    pub fn new() -> Self {
        Store { channel_id: RefCell::new(None), alarm: Cell::new(AlarmKnown::Unknown), stored: RefCell::new(None) }
    }

    /// The channel this room serves, as the first join named it.
    pub async fn channel_id(&self, state: &State) -> worker::Result<String> {
        if let Some(id) = self.channel_id.borrow().clone() {
            return Ok(id);
        }
        let id: String = state.storage().get(CHANNEL_KEY).await?.unwrap_or_default();
        *self.channel_id.borrow_mut() = Some(id.clone());
        Ok(id)
    }

    pub async fn set_channel_id(&self, state: &State, channel_id: &str) -> worker::Result<()> {
        if self.channel_id.borrow().as_deref() != Some(channel_id) {
            state.storage().put(CHANNEL_KEY, channel_id).await?;
            *self.channel_id.borrow_mut() = Some(channel_id.to_owned());
        }
        Ok(())
    }

    /// The alarm that fired is no longer set.
    pub fn alarm_fired(&self) {
        self.alarm.set(AlarmKnown::Unset);
    }

    /// Rebuilds presence: live entries from socket attachments (last sign of life = the later of
    /// the last message and the last auto-answered ping), entries in grace from storage.
    pub async fn load(&self, state: &State, members: &Sockets, timing: Timing) -> worker::Result<Loaded> {
        let mut sockets = Vec::new();
        let mut entries = Vec::new();
        for ws in state.get_websockets() {
            let Some(att) = members.attachment(&ws) else { continue };
            let mut entry = att.entry.clone();
            if let Link::Live { last_seen } = &mut entry.link {
                *last_seen = (*last_seen).max(wasm::auto_response_ms(state, &ws));
            }
            entries.push(entry);
            sockets.push((ws, att));
        }
        let known = self.stored.borrow().clone();
        let stored_before = match known {
            Some(stored) => stored,
            None => {
                let stored: Vec<Entry> = state.storage().get(PRESENCE_KEY).await?.unwrap_or_default();
                *self.stored.borrow_mut() = Some(stored.clone());
                stored
            }
        };
        let presence = Presence::restore(entries, stored_before.clone(), now_ms(), timing);
        Ok(Loaded { presence, sockets, stored_before })
    }

    /// Stores presence if it changed (membership, state, grace) and sets the alarm to the earliest
    /// deadline.
    pub async fn persist(&self, state: &State, loaded: &Loaded, timing: Timing) -> worker::Result<()> {
        let storage = state.storage();
        let stored = loaded.presence.stored_form();
        if stored != loaded.stored_before {
            // The copy follows the newest write issued (writes land in order); a failed write
            // drops it, so the next event reads storage again.
            *self.stored.borrow_mut() = Some(stored.clone());
            let written = if stored.is_empty() {
                storage.delete(PRESENCE_KEY).await.map(|_| ())
            } else {
                storage.put(PRESENCE_KEY, &stored).await
            };
            if let Err(err) = written {
                *self.stored.borrow_mut() = None;
                return Err(err);
            }
        }
        let current = match self.alarm.get() {
            AlarmKnown::Unknown => storage.get_alarm().await?,
            AlarmKnown::Unset => None,
            AlarmKnown::At(at) => Some(at),
        };
        match loaded.presence.next_deadline(timing) {
            Some(deadline) if current != Some(deadline as i64) => {
                let date = js_sys::Date::new(&JsValue::from_f64(deadline as f64));
                storage.set_alarm(worker::ScheduledTime::new(date)).await?;
                self.alarm.set(AlarmKnown::At(deadline as i64));
            }
            None if current.is_some() => {
                storage.delete_alarm().await?;
                self.alarm.set(AlarmKnown::Unset);
            }
            _ => self.alarm.set(current.map_or(AlarmKnown::Unset, AlarmKnown::At)),
        }
        Ok(())
    }
}
