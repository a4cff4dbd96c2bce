//! Who each member socket is, without deserializing its attachment on every message: a slot
//! number kept on the JS socket object names the attachment as last written or read, and the
//! socket's flood-control bucket. This is the only writer of attachments, so the copy is exact.
//! In memory on purpose: lost with hibernation and rebuilt from the attachment when the socket is
//! next seen (a flooding socket keeps the object awake, and a fresh bucket after hibernation is
//! harmless).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::WebSocket;

use crate::http::now_ms;
use crate::presence::{Entry, Link};
use crate::rate_limit::{Bucket, Limits, Verdict};
use crate::stored::Stored;

/// A socket's attachment: the presence entry it holds. Survives hibernation.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Attachment {
    pub entry: Entry,
    /// Set before the server closes the socket, so its late close event is ignored.
    #[serde(default)]
    pub closing: bool,
    /// When the token the socket was opened with expires (unix seconds): the alarm closes the
    /// socket then. None for sockets accepted before this was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
}

impl Attachment {
    /// When the socket's token expires, in ms since the epoch.
    pub fn expires_ms(&self) -> Option<u64> {
        self.exp.and_then(crate::auth::expiry_ms)
    }

    /// Records a sign of life at `now` if the last one written is at least `every` old; true when
    /// the attachment must be written again.
    fn saw_life(&mut self, now: u64, every: u64) -> bool {
        match self.entry.link {
            Link::Live { last_seen } if now >= last_seen + every => {
                self.entry.link = Link::Live { last_seen: now };
                true
            }
            _ => false,
        }
    }
}

/// Writes a socket's attachment, as JSON (`Stored`).
fn attach(ws: &WebSocket, att: &Attachment) -> worker::Result<()> {
    ws.serialize_attachment(Stored::json(att))
}

/// What the room knows of a member socket.
struct Ident {
    att: Attachment,
    bucket: Bucket,
}

thread_local! {
    static SLOT_KEY: JsValue = JsValue::from_str("__cvSlot");
}

/// `WebSocket.OPEN`.
const OPEN: u16 = 1;

/// Whether the socket is open (the server marks and closes a socket before anything else).
pub fn is_open(ws: &WebSocket) -> bool {
    ws.as_ref().ready_state() == OPEN
}

/// The member sockets this object has seen since it woke up.
pub struct Sockets {
    idents: RefCell<HashMap<u32, Ident>>,
    next_slot: Cell<u32>,
    limits: Limits,
    /// How often a sign of life is written to a socket's attachment.
    touch_every: u64,
}

impl Sockets {
    pub fn new(limits: Limits, touch_every: u64) -> Self {
        Sockets { idents: RefCell::new(HashMap::new()), next_slot: Cell::new(1), limits, touch_every }
    }

    /// A message from `ws` goes through its bucket; within the rate, `relay` may handle it at
    /// once (given the sender's attachment) and says whether it did. Returns the verdict when the
    /// full path must answer the message; None when nothing is left to do (relayed, or not from a
    /// member).
    pub fn take_message(&self, ws: &WebSocket, relay: impl FnOnce(&Attachment) -> bool) -> Option<Verdict> {
        let slot = self.slot(ws)?;
        let now = now_ms();
        let mut idents = self.idents.borrow_mut();
        let sender = idents.get_mut(&slot)?;
        let verdict = sender.bucket.take(self.limits, now);
        if verdict == Verdict::Allow && relay(&sender.att) {
            // A sign of life, as `touch` (written here: `idents` is borrowed, and this is its copy).
            if sender.att.saw_life(now, self.touch_every) {
                let _ = attach(ws, &sender.att);
            }
            return None;
        }
        Some(verdict)
    }

    /// The attachment of a member socket the server has not closed: from memory when this
    /// object has seen the socket since it woke up, else deserialized (once).
    pub fn attachment(&self, ws: &WebSocket) -> Option<Attachment> {
        let slot = self.slot(ws)?;
        self.idents.borrow().get(&slot).map(|ident| ident.att.clone())
    }

    /// Writes the socket's attachment and keeps the copy in memory exact (a closing socket is
    /// forgotten: it is no member and no sender any more).
    pub fn write(&self, ws: &WebSocket, att: &Attachment) -> worker::Result<()> {
        let written = attach(ws, att);
        if att.closing {
            self.forget(ws);
        } else if let Some(slot) = self.kept_slot(ws) {
            if let Some(ident) = self.idents.borrow_mut().get_mut(&slot) {
                ident.att = att.clone();
            }
        } else {
            self.remember(ws, att.clone());
        }
        written
    }

    /// A message or ping proves the socket alive; written down at most every few seconds.
    pub fn touch(&self, ws: &WebSocket, att: &mut Attachment) {
        if att.saw_life(now_ms(), self.touch_every) {
            let _ = self.write(ws, att);
        }
    }

    /// Marks the socket as closed by us (its close event is then ignored, and it is no sender any
    /// more) and closes it.
    pub fn close(&self, ws: &WebSocket, att: &mut Attachment, code: u16, reason: &str) {
        att.closing = true;
        let _ = self.write(ws, att);
        let _ = ws.close(Some(code), Some(reason));
    }

    /// The slot number kept on this JS socket object, if it names a known socket.
    fn kept_slot(&self, ws: &WebSocket) -> Option<u32> {
        let raw: &JsValue = ws.as_ref();
        let kept = SLOT_KEY.with(|k| js_sys::Reflect::get(raw, k).ok()).and_then(|v| v.as_f64()).map(|f| f as u32)?;
        self.idents.borrow().contains_key(&kept).then_some(kept)
    }

    /// The socket's slot: the one kept on it, or (once per socket per wake-up) a new one filled
    /// from its attachment. None for a socket that is not a member, or that the server is closing.
    fn slot(&self, ws: &WebSocket) -> Option<u32> {
        if let Some(slot) = self.kept_slot(ws) {
            return Some(slot);
        }
        let stored = ws.deserialize_attachment::<Stored<Attachment>>().ok().flatten()?;
        let att = stored.into_value().ok().filter(|a| !a.closing)?;
        self.remember(ws, att)
    }

    fn remember(&self, ws: &WebSocket, att: Attachment) -> Option<u32> {
        let slot = self.next_slot.get();
        self.next_slot.set(slot.wrapping_add(1));
        let raw: &JsValue = ws.as_ref();
        SLOT_KEY.with(|k| js_sys::Reflect::set(raw, k, &JsValue::from_f64(f64::from(slot))).ok())?;
        self.idents.borrow_mut().insert(slot, Ident { att, bucket: Bucket::new(self.limits, now_ms()) });
        Some(slot)
    }

    /// Forgets a socket's identity and bucket (the next lookup reads its attachment, which says
    /// whether it is closing).
    fn forget(&self, ws: &WebSocket) {
        if let Some(slot) = self.kept_slot(ws) {
            self.idents.borrow_mut().remove(&slot);
        }
    }
}
