//! The `VoiceRoom` class as the runtime sees it, bound by hand rather than by `#[durable_object]`:
//! the constructor, `fetch`, `alarm` and the WebSocket events. Every event runs through
//! [`wasm::run_now`], so a join, a leave or a message whose data is all in memory is answered
//! synchronously, without a promise or a queued microtask; a relayed `signal` or `speaking` does
//! not even leave this file's first call.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use worker::{Env, Response, State, WebSocket};

use super::wasm::{self, promise, read_frame};
use super::Room;

/// The Durable Object class, bound by hand (not `#[durable_object]`): every event is run by
/// [`wasm::run_now`], so a join, a leave or a relayed message whose data is all in memory is
/// answered synchronously, without a promise or a queued microtask.
#[wasm_bindgen]
pub struct VoiceRoom {
    room: Rc<Room>,
}

#[wasm_bindgen]
impl VoiceRoom {
    #[wasm_bindgen(constructor)]
    pub fn new(state: worker::worker_sys::DurableObjectState, env: Env) -> VoiceRoom {
        VoiceRoom { room: Rc::new_cyclic(|me| Room::new(State::from(state), env, me.clone())) }
    }

    /// A request from the worker (`/join`, read from the runtime's request as it is) or another
    /// object (the rest, through workers-rs).
    pub fn fetch(&self, req: worker::web_sys::Request) -> JsValue {
        let room = Rc::clone(&self.room);
        let url = req.url();
        if req.method() == "GET" && crate::query::path_of(&url) == "/join" {
            return wasm::run_now(
                async move { room.join_request(&url).await.map(JsValue::from).map_err(JsValue::from) },
            );
        }
        wasm::run_now(async move { answer(room.fetch(req.into()).await) })
    }

    pub fn alarm(&self) -> JsValue {
        let room = Rc::clone(&self.room);
        wasm::run_now(async move { answer(room.alarm().await) })
    }

    /// A message: the hot ones (a `signal` or `speaking` within the sender's rate) are relayed
    /// here and now; anything else is handled by [`Room::websocket_message`] as a promise.
    #[wasm_bindgen(js_name = webSocketMessage)]
    pub fn websocket_message(&self, ws: worker::web_sys::WebSocket, message: JsValue) -> JsValue {
        let ws = WebSocket::from(ws);
        let frame = read_frame(&message);
        let Some(verdict) = self.room.relay_now(&ws, &frame) else { return JsValue::UNDEFINED };
        let room = Rc::clone(&self.room);
        promise(async move { room.websocket_message(ws, frame, verdict).await })
    }

    #[wasm_bindgen(js_name = webSocketClose)]
    pub fn websocket_close(
        &self,
        ws: worker::web_sys::WebSocket,
        code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> JsValue {
        let room = Rc::clone(&self.room);
        promise(async move { room.closed(ws.into(), code).await })
    }

    #[wasm_bindgen(js_name = webSocketError)]
    pub fn websocket_error(&self, ws: worker::web_sys::WebSocket, _error: JsValue) -> JsValue {
        // Treated as an unclean close: the member waits in grace.
        let room = Rc::clone(&self.room);
        promise(async move { room.closed(ws.into(), 1006).await })
    }
}

/// A handler's answer as the runtime takes it.
fn answer(resp: worker::Result<Response>) -> Result<JsValue, JsValue> {
    resp.map(|r| worker::web_sys::Response::from(r).into()).map_err(JsValue::from)
}
