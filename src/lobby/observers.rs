//! The lobby's observer sockets and their limits: at most [`MAX_PER_USER`] open per user (tagged
//! by `user_tag`), a token bucket per socket (frames past it get `rate_limited`, then close 4029),
//! and each socket's token expiry in its attachment (the lobby's alarm closes it then with
//! `token_expired`, 4001). Observers only listen: the lobby reads no frame but `ping`, and that
//! only by its length first, so a frame of any size costs one token and is never copied.
//! Buckets live in memory (a slot number on the JS socket names one), lost with hibernation like
//! the room's: a fresh bucket after a quiet spell is harmless.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::WebSocket;

use crate::protocol::{Reason, ServerMsg};
use crate::rate_limit::{Bucket, Limits, Verdict};

/// Lobby sockets one user may hold open at once (tabs of one browser share a user); one more is
/// refused with 429 `rate_limited` before it is accepted.
pub const MAX_PER_USER: usize = 20;

/// An observer sends only `ping` (every 10 s, and the runtime answers it without waking the
/// lobby): 10 frames at once, one a second after that, 10 more refused before the close.
pub const LIMITS: Limits = Limits { per_sec: 1.0, burst: 10.0, strikes: 10 };

/// An observer socket's attachment.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observer {
    /// When the token the socket was opened with expires (unix seconds).
    #[serde(default)]
    pub exp: Option<u64>,
}

impl Observer {
    /// When the socket's token expires, in ms since the epoch.
    pub fn expires_ms(self) -> Option<u64> {
        self.exp.and_then(crate::auth::expiry_ms)
    }
}

/// `WebSocket.OPEN`.
const OPEN: u16 = 1;

pub fn is_open(ws: &WebSocket) -> bool {
    ws.ready_state() == OPEN
}

/// Sends `error` with `reason` (the close, if any, is the caller's).
pub fn send_error(ws: &WebSocket, reason: Reason, detail: &str) {
    let _ = ws.send_with_str(&ServerMsg::error(reason, detail).to_json());
}

/// Whether `message` is the text `ping`, judged by its length before its content is read.
pub fn is_ping(message: &JsValue) -> bool {
    message
        .dyn_ref::<js_sys::JsString>()
        .is_some_and(|text| text.length() as usize == crate::protocol::PING.len() && text == crate::protocol::PING)
}

thread_local! {
    static SLOT_KEY: JsValue = JsValue::from_str("__cvLobbySlot");
}

/// The buckets of the observer sockets this object has seen since it woke up.
#[derive(Default)]
pub struct Buckets {
    by_slot: RefCell<HashMap<u32, Bucket>>,
    next_slot: Cell<u32>,
}

impl Buckets {
    /// One frame from `ws` at `now` through its bucket.
    pub fn take(&self, ws: &WebSocket, now: u64) -> Verdict {
        let slot = self.slot(ws).unwrap_or_else(|| {
            let slot = self.next_slot.get().wrapping_add(1);
            self.next_slot.set(slot);
            SLOT_KEY.with(|k| js_sys::Reflect::set(ws, k, &JsValue::from_f64(f64::from(slot)))).ok();
            slot
        });
        self.by_slot.borrow_mut().entry(slot).or_insert_with(|| Bucket::new(LIMITS, now)).take(LIMITS, now)
    }

    /// Forgets a closed socket's bucket.
    pub fn forget(&self, ws: &WebSocket) {
        if let Some(slot) = self.slot(ws) {
            self.by_slot.borrow_mut().remove(&slot);
        }
    }

    fn slot(&self, ws: &WebSocket) -> Option<u32> {
        let kept = SLOT_KEY.with(|k| js_sys::Reflect::get(ws, k).ok())?.as_f64()?;
        Some(kept as u32)
    }
}
