//! The presence mirror: every presence entry is in storage under `presence` (so members in their
//! grace period, and members whose sockets vanished in a runtime restart, are known), the live
//! ones also in their sockets' attachments (with their last sign of life), and one storage alarm
//! is always set to the earliest heartbeat or grace deadline, or token expiry of a live socket. Copies kept in memory while the
//! object lives only save re-reading them: only this object writes them, so they stay exact.

use std::cell::{Cell, RefCell};

use wasm_bindgen::JsValue;
use worker::{State, WebSocket};

use super::sockets::{Attachment, Sockets};
use super::{wasm, Room};
use crate::http::now_ms;
use crate::presence::{Entry, Link, Presence, Timing};
use crate::stored::Stored;

/// Every presence entry (live ones without their last sign of life): lets the room notice members
/// whose sockets vanished without a close event, e.g. when the runtime restarted.
const PRESENCE_KEY: &str = "presence";
const CHANNEL_KEY: &str = "channel";

/// After a stored `state` change (mute, deafen), further changes within this window are folded
/// into one write at its end. The live member's attachment has each at once (it is what survives
/// hibernation); only a runtime restart within the window loses the newest toggles of a burst.
const STATE_WRITE_MS: u64 = 1000;

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

    /// Takes out the sockets whose token has expired at `now` (the alarm closes them).
    pub fn take_expired(&mut self, now: u64) -> Vec<(WebSocket, Attachment)> {
        let (expired, kept) = std::mem::take(&mut self.sockets)
            .into_iter()
            .partition(|(_, a)| a.expires_ms().is_some_and(|at| at <= now));
        self.sockets = kept;
        expired
    }

    /// The earliest token expiry of a live socket.
    fn first_expiry(&self) -> Option<u64> {
        self.sockets.iter().filter_map(|(_, a)| a.expires_ms()).min()
    }
}

/// The in-memory copies of what this room keeps in storage.
pub struct Store {
    channel_id: RefCell<Option<String>>,
    alarm: Cell<AlarmKnown>,
    /// Presence as last read from or written to storage (None: not read since this object woke).
    stored: RefCell<Option<Vec<Entry>>>,
    /// Whether a folded write of `state` changes is scheduled.
    write_due: Cell<bool>,
}

impl Store {
    pub fn new() -> Self {
        Store {
            channel_id: RefCell::new(None),
            alarm: Cell::new(AlarmKnown::Unknown),
            stored: RefCell::new(None),
            write_due: Cell::new(false),
        }
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

    /// Stores the channel this room serves (issued, not awaited: see [`Store::persist`]).
    pub fn set_channel_id(&self, state: &State, channel_id: &str) -> worker::Result<()> {
        if self.channel_id.borrow().as_deref() != Some(channel_id) {
            let _issued = state.storage().as_raw().put(CHANNEL_KEY, JsValue::from_str(channel_id))?;
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
                let stored = state.storage().get::<Stored<Vec<Entry>>>(PRESENCE_KEY).await?;
                let stored =
                    stored.map(Stored::into_value).transpose().map_err(worker::Error::RustError)?.unwrap_or_default();
                *self.stored.borrow_mut() = Some(stored.clone());
                stored
            }
        };
        let presence = Presence::restore(entries, stored_before.clone(), now_ms(), timing);
        Ok(Loaded { presence, sockets, stored_before })
    }

    /// Stores presence if it changed (membership, state, grace) and sets the alarm to the earliest
    /// deadline. Writes are issued, not awaited: they apply in order, the runtime's output gate
    /// holds every message this object sends (the `joined`, the announcements) until they are
    /// durable, and a write that fails breaks the object (it starts again from storage), so a
    /// join or a leave needs no turn of the event loop here.
    pub fn persist(&self, state: &State, loaded: &Loaded, timing: Timing) -> worker::Result<()> {
        let storage = state.storage();
        let raw = storage.as_raw();
        let stored = loaded.presence.stored_form();
        if stored != loaded.stored_before {
            let issued = if stored.is_empty() {
                raw.delete(PRESENCE_KEY)
            } else {
                raw.put(PRESENCE_KEY, JsValue::from_str(&Stored::json(&stored)))
            };
            // The copy follows the newest write issued; one the runtime refused at once drops it,
            // so the next event reads storage again.
            if let Err(err) = issued {
                *self.stored.borrow_mut() = None;
                return Err(err.into());
            }
            *self.stored.borrow_mut() = Some(stored);
        }
        let deadline = match (loaded.presence.next_deadline(timing), loaded.first_expiry()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Not known since this object woke (`Unknown`): set or cleared without reading it first.
        match (deadline, self.alarm.get()) {
            (Some(deadline), known) if known != AlarmKnown::At(deadline as i64) => {
                let date = js_sys::Date::new(&JsValue::from_f64(deadline as f64));
                let _issued = raw.set_alarm(date, js_sys::Object::new())?;
                self.alarm.set(AlarmKnown::At(deadline as i64));
            }
            (None, AlarmKnown::At(_) | AlarmKnown::Unknown) => {
                let _issued = raw.delete_alarm(js_sys::Object::new())?;
                self.alarm.set(AlarmKnown::Unset);
            }
            _ => {}
        }
        Ok(())
    }
}

impl Room {
    /// Stores a `state` change: the first at once (a deploy right after a mute keeps it), then at
    /// most one more write per [`STATE_WRITE_MS`], for every change made meanwhile (each toggle
    /// would otherwise be a storage write). Any other event that persists first writes them too,
    /// and the folded write then finds nothing to write.
    pub(super) async fn persist_state(&self, loaded: &Loaded) -> worker::Result<()> {
        if self.store.write_due.replace(true) {
            return Ok(());
        }
        let written = self.persist(loaded).await;
        self.later(|room| async move {
            let _ = crate::http::sleep(STATE_WRITE_MS).await;
            room.store.write_due.set(false);
            let loaded = room.load().await?;
            room.persist(&loaded).await
        });
        written
    }
}
