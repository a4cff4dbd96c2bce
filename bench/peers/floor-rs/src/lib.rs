//! floor-rs: a benchmark floor, not a peer, never shipped. The job of the PartyServer comparison
//! room (bench/peers/partyserver/room.js: HS256 token at the edge, one hibernating `VoiceRoom` per
//! room, members from socket attachments, relay by target id, broadcasts) in Rust on workers-rs,
//! as cheaply as Rust/wasm can do it on workerd and with none of our product's features: what a
//! Rust join costs at the least (bench/ab-join.mjs floor-rs; driven by the "partyserver" client).

use std::cell::OnceCell;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use js_sys::{JsString, Object, Reflect};
use serde::Deserialize;
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;
use worker::web_sys::{Request, Response, WebSocket};
use worker::worker_sys::ext::WebSocketExt;
use worker::worker_sys::{DurableObjectNamespace, DurableObjectState, WebSocketPair, WebSocketRequestResponsePair};

#[wasm_bindgen]
extern "C" {
    /// A socket as sent to: one JS string goes to many sockets without a copy out of wasm each.
    #[wasm_bindgen(extends = Object)]
    type Socket;
    #[wasm_bindgen(method, catch)]
    fn send(this: &Socket, frame: &JsString) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn close(this: &Socket, code: u16, reason: &JsValue) -> Result<(), JsValue>;

    /// The runtime's `TextEncoder` (src/room/wasm.rs): copies a frame into wasm natively, where
    /// wasm-bindgen's string glue copies ASCII one character at a time in JS.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &JsString, dest: &mut [u8]) -> EncodeIntoResult;
    type EncodeIntoResult;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> f64;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
    // AUTH_SECRET does not change within an isolate: keyed once (room.js caches its key too).
    static AUTH: OnceCell<Option<Hmac<sha2::Sha256>>> = const { OnceCell::new() };
}

/// `WebSocket.OPEN`.
const OPEN: u16 = 1;

/// The worker: health, and the upgrade to a room with its token checked here (room.js's
/// `onBeforeConnect`; its /api/ice-servers is no part of a join: 404). Bound by hand, not
/// `#[event(fetch)]`: nothing here waits, so the answer is a Response or the room's own promise,
/// with no executor and no workers-rs conversions.
#[wasm_bindgen]
pub fn fetch(req: Request, env: worker::Env, _ctx: JsValue) -> Result<JsValue, JsValue> {
    let url = req.url();
    let (path, query) = split_url(&url);
    if path == "/api/health" {
        return respond(Some(r#"{"ok":true}"#), 200, true, None);
    }
    // PartyServer's route: /parties/<party>/<name>[/…]; only an upgrade reaches onBeforeConnect.
    let room = path.strip_prefix("/parties/voice-room/").and_then(|rest| rest.split('/').next());
    let upgrade = req.headers().get("upgrade")?.is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let Some(room) = room.filter(|r| !r.is_empty() && upgrade) else {
        return respond(Some("not found"), 404, false, None);
    };
    let Some(token) = param(query, "token").filter(|token| verify(token, &env).is_some()) else {
        return respond(Some("unauthorized"), 401, false, None);
    };
    // The verified claims go to the room as signed (base64url: nothing to escape in a URL), and
    // `new Request(url, request)` (as room.js does) carries the upgrade and its headers.
    let claims = token.split('.').nth(1).unwrap_or_default();
    let internal = format!("https://internal/{room}?claims={claims}");
    let forwarded = Request::new_with_str_and_init(&internal, req.unchecked_ref())?;
    let rooms: DurableObjectNamespace = Reflect::get(&env, &"VoiceRoom".into())?.unchecked_into();
    Ok(rooms.get_by_name(room)?.fetch_with_request(&forwarded)?.into())
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    name: String,
    exp: f64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// The claims of a valid HS256 token signed with `AUTH_SECRET` (room.js's `verify`), or None.
fn verify(token: &str, env: &worker::Env) -> Option<Claims> {
    let mut parts = token.split('.');
    let (Some(head), Some(body), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let header: Header = serde_json::from_slice(&B64URL.decode(head).ok()?).ok()?;
    if header.alg != "HS256" {
        return None;
    }
    let secret = || Reflect::get(env, &"AUTH_SECRET".into()).ok()?.as_string();
    let mut mac = AUTH.with(|key| key.get_or_init(|| Hmac::new_from_slice(secret()?.as_bytes()).ok()).clone())?;
    mac.update(head.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&B64URL.decode(sig).ok()?).ok()?;
    claims_of(body).filter(|claims| claims.exp > js_sys::Date::now() / 1000.0)
}

fn claims_of(payload: &str) -> Option<Claims> {
    serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
}

/// The room: a hibernating Durable Object whose only state is its sockets (tag: the user id;
/// attachment: `{"id","name"}` as JSON text). Bound by hand like src/room/class.rs; every event is
/// answered synchronously (nothing awaits, so not even src/room/wasm.rs's `run_now` is needed).
#[wasm_bindgen]
pub struct VoiceRoom {
    state: DurableObjectState,
}

#[wasm_bindgen]
impl VoiceRoom {
    #[wasm_bindgen(constructor)]
    pub fn new(state: DurableObjectState, _env: JsValue) -> VoiceRoom {
        // `ping` answered by the runtime without waking the object (room.js's onStart).
        if let Ok(pair) = WebSocketRequestResponsePair::new("ping", "pong") {
            let _ = state.set_websocket_auto_response(&pair);
        }
        VoiceRoom { state }
    }

    /// A join from the worker, `/<room>?claims` (room.js's onConnect): the 101 is the answer.
    pub fn fetch(&self, req: Request) -> Result<JsValue, JsValue> {
        let url = req.url();
        let (path, query) = split_url(&url);
        let room = path.trim_start_matches('/');
        let Some(Claims { sub: id, name, .. }) = param(query, "claims").and_then(claims_of) else {
            return respond(Some("bad internal join"), 400, false, None);
        };
        let mut pair = WebSocketPair::new()?;
        let (client, server) = (pair.client()?, pair.server()?);
        self.state.accept_websocket_with_tags(&server, vec![JsValue::from_str(&id)])?;
        let id_json = json_string(&id);
        let me = format!(r#"{{"id":{id_json},"name":{}}}"#, json_string(&name));
        server.serialize_attachment(JsValue::from_str(&me))?;
        // Every open socket is a member (the newcomer too); the others, by id as PartyServer's
        // `broadcast(…, [conn.id])`, are told: every attachment starts with its id.
        let same_id = format!(r#"{{"id":{id_json},"#);
        let (mut members, mut others) = (String::new(), Vec::new());
        for ws in self.state.get_websockets()? {
            if ws.ready_state() != OPEN {
                continue;
            }
            let Some(member) = ws.deserialize_attachment()?.as_string() else { continue };
            push_member(&mut members, &member);
            if !member.starts_with(&same_id) {
                others.push(ws);
            }
        }
        let room_json = json_string(room);
        let joined =
            format!(r#"{{"type":"joined","channel_id":{room_json},"user_id":{id_json},"members":[{members}]}}"#);
        let _ = server.unchecked_ref::<Socket>().send(&joined.as_str().into());
        let mut announce = String::from(r#"{"type":"member_joined","member":"#);
        push_member(&mut announce, &me);
        announce.push_str(r#","resumed":false}"#);
        let announce = JsString::from(announce);
        for ws in others {
            let _ = ws.unchecked_ref::<Socket>().send(&announce);
        }
        respond(None, 101, false, Some(&client))
    }

    /// `signal` {to, payload} to the socket tagged `to`; `speaking` to the others; bad JSON is
    /// answered `bad_message` (room.js's onMessage).
    #[wasm_bindgen(js_name = webSocketMessage)]
    pub fn websocket_message(&self, ws: WebSocket, message: JsValue) -> Result<(), JsValue> {
        let text = read_frame(&message);
        let Some(msg) = text.as_deref().and_then(|t| serde_json::from_str::<Incoming>(t).ok()) else {
            return ws.unchecked_ref::<Socket>().send(&r#"{"type":"error","reason":"bad_message"}"#.into());
        };
        let Some(from) = id_of(&ws) else { return Ok(()) };
        match msg.kind.as_deref() {
            Some("signal") => {
                let to = msg.to.as_deref().map(|to| self.state.get_websockets_with_tag(to));
                let mut targets = to.transpose()?.unwrap_or_default();
                targets.retain(|t| t.ready_state() == OPEN);
                if targets.is_empty() {
                    return ws.unchecked_ref::<Socket>().send(&r#"{"type":"error","reason":"unknown_peer"}"#.into());
                }
                // An absent payload is left out, as room.js's JSON.stringify does (a null one too).
                let payload = msg.payload.map_or(String::new(), |p| format!(r#","payload":{}"#, p.get()));
                let frame = JsString::from(format!(r#"{{"type":"signal","from":{from}{payload}}}"#));
                for target in targets {
                    let _ = target.unchecked_ref::<Socket>().send(&frame);
                }
            }
            Some("speaking") => {
                let speaking = msg.speaking.is_some_and(truthy);
                let frame = format!(r#"{{"type":"member_speaking","user_id":{from},"speaking":{speaking}}}"#);
                self.broadcast(&ws, &frame)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Everyone else hears `member_left`; the close is returned as PartyServer's `closeQuietly`
    /// does (not for the codes no peer sent).
    #[wasm_bindgen(js_name = webSocketClose)]
    pub fn websocket_close(&self, ws: WebSocket, code: u16, reason: JsValue, _clean: bool) -> Result<(), JsValue> {
        if let Some(id) = id_of(&ws) {
            self.broadcast(&ws, &format!(r#"{{"type":"member_left","user_id":{id}}}"#))?;
        }
        if !matches!(code, 1005 | 1006 | 1015) {
            let _ = ws.unchecked_ref::<Socket>().close(code, &reason);
        }
        Ok(())
    }

    /// Nothing to do: PartyServer's default `onError` only logs.
    #[wasm_bindgen(js_name = webSocketError)]
    pub fn websocket_error(&self, _ws: WebSocket, _error: JsValue) {}
}

impl VoiceRoom {
    /// Sends `frame` to every open socket but `sender` (one JS string for all). By socket, not by
    /// id as PartyServer does: the same for every benchmark, which never joins one id twice.
    fn broadcast(&self, sender: &WebSocket, frame: &str) -> Result<(), JsValue> {
        let frame = JsString::from(frame);
        for ws in self.state.get_websockets()? {
            if ws.ready_state() == OPEN && ws != *sender {
                let _ = ws.unchecked_ref::<Socket>().send(&frame);
            }
        }
        Ok(())
    }
}

/// A client message; `payload` and `speaking` stay raw JSON (a relayed payload is never rebuilt).
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    to: Option<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(borrow)]
    speaking: Option<&'a RawValue>,
}

/// A socket's id as its attachment holds it, a JSON string: what precedes `,"name":` (a quote
/// inside a JSON string is always escaped, so the first one is the attachment's own).
fn id_of(ws: &WebSocket) -> Option<String> {
    let attachment = ws.deserialize_attachment().ok()?.as_string()?;
    Some(attachment.strip_prefix(r#"{"id":"#)?.split_once(r#","name":"#)?.0.to_owned())
}

/// JavaScript's `!!value` for a JSON value.
fn truthy(value: &RawValue) -> bool {
    let text = value.get();
    !(matches!(text, "false" | "null" | "\"\"") || text.parse::<f64>().is_ok_and(|n| n == 0.0))
}

/// `{"id","name"}` as a member: `{…,"muted":false,"deafened":false}`, after a comma if needed.
fn push_member(out: &mut String, attachment: &str) {
    let Some(open) = attachment.strip_suffix('}') else { return };
    if out.ends_with('}') {
        out.push(',');
    }
    out.push_str(open);
    out.push_str(r#","muted":false,"deafened":false}"#);
}

/// A text frame copied into wasm by the runtime's `TextEncoder`; None for a binary frame.
fn read_frame(message: &JsValue) -> Option<String> {
    let text = message.dyn_ref::<JsString>()?;
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so the whole string always fits.
    let mut buf = vec![0u8; text.length() as usize * 3];
    let written = ENCODER.with(|e| e.encode_into(text, &mut buf).written() as usize);
    buf.truncate(written);
    String::from_utf8(buf).ok()
}

/// A response built as the runtime's own in one step (src/http.rs `upgraded`).
fn respond(body: Option<&str>, status: u16, json: bool, ws: Option<&WebSocket>) -> Result<JsValue, JsValue> {
    let init = Object::new();
    Reflect::set(&init, &"status".into(), &status.into())?;
    if json {
        let headers = Object::new();
        Reflect::set(&headers, &"content-type".into(), &"application/json".into())?;
        Reflect::set(&init, &"headers".into(), &headers)?;
    }
    if let Some(ws) = ws {
        Reflect::set(&init, &"webSocket".into(), ws)?;
    }
    Ok(Response::new_with_opt_str_and_init(body, init.unchecked_ref())?.into())
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// The path and the query of a URL as the runtime serializes it: no URL parser (src/query.rs).
fn split_url(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = &rest[rest.find('/').unwrap_or(rest.len())..];
    let rest = rest.split_once('#').map_or(rest, |(rest, _)| rest);
    rest.split_once('?').unwrap_or((rest, ""))
}

/// The raw value of `key` in `query` (only ever base64url here: nothing to decode).
fn param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}
