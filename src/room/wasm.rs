//! The room's own bindings to the runtime, where workers-rs has none or copies too much: the
//! auto-response timestamp of a socket, a frame read into wasm by the runtime's `TextEncoder`
//! (never a frame past the protocol's limit), and a room event as the promise the runtime awaits.

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

/// A room event that waits, as the promise the runtime awaits.
pub fn promise(event: impl std::future::Future<Output = worker::Result<()>> + 'static) -> JsValue {
    worker::wasm_bindgen_futures::future_to_promise(async move {
        event.await.map(|()| JsValue::UNDEFINED).map_err(JsValue::from)
    })
    .into()
}
