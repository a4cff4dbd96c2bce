//! Worker-side plumbing shared by the routes and the Durable Objects: the configuration read
//! from `Env`, the clock, JSON and error responses, security headers, and calls between objects.

use std::cell::OnceCell;
use std::rc::Rc;

use serde::Serialize;
use worker::{web_sys, Env, Headers, Method, Request, Response, Stub};

use crate::config::Config;
use crate::error::AppError;
use crate::turn::{self, Selection};

thread_local! {
    // Env does not change within an isolate: read and validate it once, and log its problems once.
    static SETTINGS: OnceCell<Rc<(Config, Selection)>> = const { OnceCell::new() };
}

/// The configuration and the TURN provider it selects (shared: read once per isolate, never
/// copied per request).
pub fn settings(env: &Env) -> Rc<(Config, Selection)> {
    SETTINGS.with(|cell| {
        cell.get_or_init(|| {
            let config = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()));
            for warning in &config.warnings {
                crate::log::emit(crate::log::Level::Warn, &format!("config: {warning}"), None, &[]);
            }
            let selection = turn::select(&config.turn);
            if let Some(cause) = &selection.misconfigured {
                crate::log::emit(crate::log::Level::Warn, &format!("turn: {cause}"), None, &[]);
            }
            Rc::new((config, selection))
        })
        .clone()
    })
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> wasm_bindgen::JsValue;
}

/// Waits `ms`. Unlike `worker::Delay`, which keeps the waker of its first poll, this wakes
/// whoever polled it last: a room's handler may be polled once synchronously and finish on the
/// executor (`room/wasm.rs`, `run_now`).
pub fn sleep(ms: u64) -> worker::wasm_bindgen_futures::JsFuture {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms as f64);
    });
    worker::wasm_bindgen_futures::JsFuture::from(timer)
}

/// Milliseconds since the Unix epoch (workerd advances it on I/O).
pub fn now_ms() -> u64 {
    // The static `Date.now()`: no Date object made per call (workers-rs's `Date::now` makes one).
    js_sys::Date::now() as u64
}

pub fn now_secs() -> u64 {
    now_ms() / 1000
}

impl From<worker::Error> for AppError {
    fn from(err: worker::Error) -> Self {
        crate::log::emit(crate::log::Level::Error, "internal error", None, &[("error", err.to_string().into())]);
        AppError::internal()
    }
}

pub fn json<T: Serialize>(value: &T) -> Result<Response, AppError> {
    Ok(Response::from_json(value)?)
}

pub fn error_response(err: &AppError) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    match Response::ok(err.body()) {
        Ok(resp) => resp.with_status(err.status).with_headers(headers),
        Err(_) => Response::empty().map(|r| r.with_status(500)).unwrap_or_else(|_| unreachable!()),
    }
}

/// What the page needs and nothing more: own scripts, styles and sockets; media from blobs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; media-src 'self' blob:; manifest-src 'self'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response except WebSocket upgrades.
pub fn with_security_headers(resp: Response) -> Response {
    if resp.status_code() == 101 {
        return resp;
    }
    let headers = resp.headers().clone();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("permissions-policy", "microphone=(self), camera=(), geolocation=()"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        let _ = headers.set(name, value);
    }
    resp.with_headers(headers)
}

/// `resp` with `headers` set on it.
pub fn with_headers(resp: Response, headers: &[(&'static str, String)]) -> Response {
    let all = resp.headers().clone();
    for (name, value) in headers {
        let _ = all.set(name, value);
    }
    resp.with_headers(all)
}

/// A request built as the runtime's own Request from plain objects (a workers-rs `RequestInit`
/// and `Headers` cost a crossing per field): one header at most, a text body.
fn plain_request(
    url: &str,
    method: &str,
    header: Option<(&str, &str)>,
    body: Option<String>,
) -> worker::Result<web_sys::Request> {
    use wasm_bindgen::JsCast;
    let set = |target: &js_sys::Object, key: &str, value: &wasm_bindgen::JsValue| {
        js_sys::Reflect::set(target, &key.into(), value).map(drop)
    };
    let init = js_sys::Object::new();
    set(&init, "method", &method.into())?;
    if let Some((name, value)) = header {
        let headers = js_sys::Object::new();
        set(&headers, name, &value.into())?;
        set(&init, "headers", &headers)?;
    }
    if let Some(body) = body {
        set(&init, "body", &body.into())?;
    }
    Ok(web_sys::Request::new_with_str_and_init(url, init.unchecked_ref())?)
}

/// A request to another Durable Object (the host part of the URL is ignored).
pub fn internal_request(path_and_query: &str, method: Method, body: Option<String>) -> worker::Result<Request> {
    let header = body.as_ref().map(|_| ("content-type", "application/json"));
    plain_request(&format!("https://internal{path_and_query}"), method.as_ref(), header, body).map(Request::from)
}

/// The internal WebSocket upgrade to a Durable Object, as the runtime's own Request.
pub fn upgrade_request(url: &str) -> worker::Result<web_sys::Request> {
    plain_request(url, "GET", Some(("upgrade", "websocket")), None)
}

/// POSTs `body` as JSON to `stub`; any answer but 200 is an error. The answer's body is read
/// (a body left unread keeps the calling object referenced, so it can never be evicted) but not
/// parsed: the objects answer these with `{"ok": true}` only.
pub async fn post_json<B: Serialize>(stub: &Stub, path: &str, body: &B) -> worker::Result<()> {
    let body = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut resp = stub.fetch_with_request(internal_request(path, Method::Post, Some(body))?).await?;
    let status = resp.status_code();
    resp.text().await?;
    if status != 200 {
        return Err(worker::Error::RustError(format!("{path} answered {status}")));
    }
    Ok(())
}

/// The `VoiceRoom` of `channel_id` in `space` (`space.rs` names it).
pub fn room_stub(env: &Env, space: &str, channel_id: &str) -> worker::Result<Stub> {
    env.durable_object("VOICE_ROOM")?.id_from_name(&crate::space::room_name(space, channel_id))?.get_stub()
}

/// The `Lobby` of `space`.
pub fn lobby_stub(env: &Env, space: &str) -> worker::Result<Stub> {
    env.durable_object("LOBBY")?.id_from_name(&crate::space::lobby_name(space))?.get_stub()
}

/// A JSON error answer between objects and to clients.
pub fn error_answer(err: AppError) -> worker::Result<Response> {
    Ok(error_response(&err))
}

/// The 101 answer for an accepted WebSocket, naming the subprotocol the client offered, built
/// as the runtime's own Response in one step (a room's join answers with it; no workers-rs
/// Response to convert).
pub fn upgraded(client: &worker::WebSocket) -> worker::Result<web_sys::Response> {
    use wasm_bindgen::JsCast;
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(&headers, &"sec-websocket-protocol".into(), &crate::protocol::SUBPROTOCOL.into())?;
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"status".into(), &101.into())?;
    js_sys::Reflect::set(&init, &"webSocket".into(), client.as_ref())?;
    js_sys::Reflect::set(&init, &"headers".into(), &headers)?;
    Ok(web_sys::Response::new_with_opt_str_and_init(None, init.unchecked_ref())?)
}

/// The same 101 as a workers-rs `Response` (the Lobby's observers).
pub fn websocket_response(client: worker::WebSocket) -> worker::Result<Response> {
    upgraded(&client).map(Response::from)
}
