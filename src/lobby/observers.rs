//! The lobby's observer sockets and their limits: at most [`MAX_PER_USER`] open per user (tagged
//! by `user_tag`), a token bucket per socket (frames past it get `rate_limited`, then close 4029),
//! and each socket's token expiry as its attachment (the lobby's alarm closes it then with
//! `token_expired`, 4001). Observers only listen: the lobby reads no frame but `ping`, and that
//! only by its length first, so a frame of any size costs one token and is never copied.
//! Buckets live in memory (a slot number on the JS socket names one), lost with hibernation like
//! the room's: a fresh bucket after a quiet spell is harmless. (Plain numbers and a `Vec` rather
//! than serde and a map: each generic instance is wasm size.)

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::WebSocket;
use worker::worker_sys::ext::WebSocketExt;

use crate::protocol::{Reason, ServerMsg};
use crate::rate_limit::{Bucket, Limits, Verdict};

/// Lobby sockets one user may hold open at once (tabs of one browser share a user); one more is
/// refused with 429 `rate_limited` before it is accepted.
pub const MAX_PER_USER: usize = 20;

/// An observer sends only `ping` (every 10 s, and the runtime answers it without waking the
/// lobby): 10 frames at once, one a second after that, 10 more refused before the close.
pub const LIMITS: Limits = Limits { per_sec: 1.0, burst: 10.0, strikes: 10 };

/// Tag of the observers that see every channel of the space.
pub const ALL_TAG: &str = "#all";
/// Tag of the observers whose token lists the channels they may see (user tags never look like
/// either: a raw one never starts with '#', a hashed one is '#' and 32 hex digits).
pub const SOME_TAG: &str = "#some";

/// Keeps `exp` (when the socket's token expires, unix seconds) as the socket's attachment, with
/// the channels it may see when its token lists them: a number (or null), or an array of the
/// expiry and the channel ids.
pub fn keep(ws: &WebSocket, exp: Option<u64>, channels: Option<&[String]>) -> worker::Result<()> {
    let exp = exp.map_or(JsValue::NULL, |secs| JsValue::from_f64(secs as f64));
    let value = match channels {
        None => exp,
        Some(list) => {
            let array = js_sys::Array::of1(&exp);
            for id in list {
                array.push(&JsValue::from_str(id));
            }
            array.into()
        }
    };
    WebSocketExt::serialize_attachment(ws, value).map_err(worker::Error::from)
}

/// When the socket's token expires, in ms since the epoch (None: not kept, or never).
pub fn expires_ms(ws: &WebSocket) -> Option<u64> {
    let kept = WebSocketExt::deserialize_attachment(ws).ok()?;
    let secs = match kept.dyn_ref::<js_sys::Array>() {
        Some(array) => array.get(0).as_f64()?,
        None => kept.as_f64()?,
    };
    crate::auth::expiry_ms(secs as u64)
}

/// Whether an observer tagged [`SOME_TAG`] may see `channel_id`.
pub fn may_see(ws: &WebSocket, channel_id: &str) -> bool {
    let Ok(kept) = WebSocketExt::deserialize_attachment(ws) else { return false };
    kept.dyn_ref::<js_sys::Array>()
        .is_some_and(|array| array.iter().skip(1).any(|id| id.as_string().as_deref() == Some(channel_id)))
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

/// The buckets of the observer sockets this object has seen since it woke up: slot `i` is
/// `slots[i]`; a closed socket's slot is reused.
#[derive(Default)]
pub struct Buckets {
    slots: RefCell<Vec<Option<Bucket>>>,
}

impl Buckets {
    /// One frame from `ws` at `now` through its bucket.
    pub fn take(&self, ws: &WebSocket, now: u64) -> Verdict {
        let mut slots = self.slots.borrow_mut();
        let slot = match slot_of(ws).filter(|&i| slots.get(i).is_some_and(Option::is_some)) {
            Some(i) => i,
            None => {
                let i = slots.iter().position(Option::is_none).unwrap_or(slots.len());
                if i == slots.len() {
                    slots.push(None);
                }
                slots[i] = Some(Bucket::new(LIMITS, now));
                SLOT_KEY.with(|k| js_sys::Reflect::set(ws, k, &JsValue::from_f64(i as f64))).ok();
                i
            }
        };
        slots[slot].as_mut().map_or(Verdict::Allow, |bucket| bucket.take(LIMITS, now))
    }

    /// Forgets a closed socket's bucket (its slot goes to the next new socket).
    pub fn forget(&self, ws: &WebSocket) {
        if let Some(i) = slot_of(ws) {
            if let Some(slot) = self.slots.borrow_mut().get_mut(i) {
                *slot = None;
            }
            SLOT_KEY.with(|k| js_sys::Reflect::delete_property(ws, k)).ok();
        }
    }
}

fn slot_of(ws: &WebSocket) -> Option<usize> {
    let kept = SLOT_KEY.with(|k| js_sys::Reflect::get(ws, k).ok())?.as_f64()?;
    Some(kept as usize)
}
