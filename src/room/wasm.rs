//! The room's own bindings to the runtime, where workers-rs has none, copies too much or panics:
//! the auto-response timestamp of a socket, accepting a socket with a tag (as an error, never a
//! panic), a frame read into wasm by the runtime's `TextEncoder` (never a frame past the
//! protocol's limit), and a room event as the promise the runtime awaits.

use wasm_bindgen::prelude::*;
use worker::{State, WebSocket};

use crate::protocol::MAX_FRAME_BYTES;

#[wasm_bindgen]
extern "C" {
    /// The raw `DurableObjectState`, for the one method workers-rs does not wrap.
    #[wasm_bindgen(extends = js_sys::Object)]
    type RawState;

    /// When the runtime last auto-answered a `ping` on this socket.
    #[wasm_bindgen(method, js_name = getWebSocketAutoResponseTimestamp)]
    fn get_web_socket_auto_response_timestamp(this: &RawState, ws: &worker::web_sys::WebSocket)
        -> Option<js_sys::Date>;

    /// The runtime's `TextEncoder`: copies a frame into wasm memory natively (wasm-bindgen's own
    /// string glue copies ASCII one character at a time in JS, a third of a 1 KiB relay's wasm time).
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &js_sys::JsString, dest: &mut [u8]) -> EncodeIntoResult;

    type EncodeIntoResult;

    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> f64;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// When the runtime last answered a `ping` on `ws` by itself (ms since the epoch; 0: never).
pub fn auto_response_ms(state: &State, ws: &WebSocket) -> u64 {
    let raw: &RawState = state.as_raw().unchecked_ref();
    raw.get_web_socket_auto_response_timestamp(ws.as_ref()).map(|d| d.get_time() as u64).unwrap_or(0)
}

/// Accepts a hibernatable socket tagged `tag`. workers-rs unwraps the runtime's answer, and a
/// panic re-initialises the wasm module, wiping every object's memory in the isolate: here a
/// refusal (a tag past the runtime's limit, a socket already accepted) is an error.
pub fn accept_tagged(state: &State, ws: &WebSocket, tag: &str) -> worker::Result<()> {
    state.as_raw().accept_websocket_with_tags(ws.as_ref(), vec![JsValue::from_str(tag)]).map_err(worker::Error::from)
}

/// A frame as the room reads it.
pub enum Frame {
    /// A text frame (it may still be over the limit in UTF-8 bytes: the parsers check that).
    Text(String),
    /// A text frame over `MAX_FRAME_BYTES`, left in JS: refused with `too_large` unread.
    TooLarge,
    /// A binary frame, left in JS: the protocol is JSON text, so its bytes are never read.
    Binary,
}

/// Reads a frame. A text frame is copied by the runtime's `TextEncoder`, and only once its length
/// is known to be within the protocol's limit: a frame can be megabytes, and the copy takes up to
/// three times its length in wasm memory, which never shrinks.
pub fn read_frame(message: &JsValue) -> Frame {
    let Some(text) = message.dyn_ref::<js_sys::JsString>() else { return Frame::Binary };
    let units = text.length() as usize;
    // Every UTF-16 unit is at least one UTF-8 byte: past the limit in units is past it in bytes.
    if units > MAX_FRAME_BYTES {
        return Frame::TooLarge;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so the whole string always fits.
    let mut buf = vec![0u8; units * 3];
    let written = ENCODER.with(|e| e.encode_into(text, &mut buf).written() as usize);
    buf.truncate(written);
    // encodeInto writes well-formed UTF-8 (lone surrogates become U+FFFD, as `as_string` does).
    match String::from_utf8(buf).ok().or_else(|| message.as_string()) {
        Some(text) => Frame::Text(text),
        None => Frame::Binary,
    }
}

/// Runs a room event as far as it goes without waiting. Done (the usual join, leave or message:
/// every storage read cached, writes issued without awaiting), its answer goes back at once — no
/// promise, no task, no microtask; still waiting (a storage read after a wake-up, another
/// object), the rest runs as the promise the runtime awaits. Sound because everything the room
/// waits on wakes whoever polled it last (JS promises, `http::sleep`), never only its first
/// poller as `worker::Delay` does (not used by the room).
pub fn run_now(event: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static) -> JsValue {
    use std::task::{Context, Poll, Waker};
    let mut event = Box::pin(event);
    match event.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(answer)) => answer,
        Poll::Ready(Err(err)) => js_sys::Promise::reject(&err).into(),
        Poll::Pending => worker::wasm_bindgen_futures::future_to_promise(event).into(),
    }
}

/// A room event without an answer, run as [`run_now`] runs it.
pub fn promise(event: impl std::future::Future<Output = worker::Result<()>> + 'static) -> JsValue {
    run_now(async move { event.await.map(|()| JsValue::UNDEFINED).map_err(JsValue::from) })
}
