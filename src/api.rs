//! The HTTP handlers behind the routes in `lib.rs`: guest sign-in, health, channels, ICE servers,
//! and the two WebSocket upgrades, which are authorized here and handed to their Durable Object.

use std::cell::RefCell;

use serde::Deserialize;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::ReadableStreamDefaultReader;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::auth::{self, Claims, User};
use crate::config::{Config, GUEST_TOKEN_SECS};
use crate::error::AppError;
use crate::handshake;
use crate::http::{self, json, now_secs};
use crate::signin_limit::{ClientKey, SigninLimiter};
use crate::turn::{self, Selection};

/// Largest sign-in body accepted.
const MAX_SESSION_BODY: usize = 1024;
/// A declared body up to this size that is refused is still read to its end (and dropped, never
/// copied into wasm) before the 413, so a client that is still sending sees the answer; a larger
/// one is refused at once. (A chunked body is refused after the limit and released: reading it on
/// grew workerd by 18 MiB for 2 MiB drained, `tests/faults/chunked-body.test.mjs`.)
const MAX_DRAINED_BODY: usize = 2 * 1024 * 1024;

thread_local! {
    // Per isolate: a best-effort brake on scripted sign-ups, not a global quota.
    static SIGNINS: RefCell<SigninLimiter> = RefCell::new(SigninLimiter::default());
}

/// Whether this client may sign in as a guest now (`GUEST_SIGNIN_PER_MINUTE`, 0 = no limit).
/// Without `cf-connecting-ip` (local development) there is nothing to key on: no limit.
fn signin_allowed(ip: Option<&str>, per_minute: u64) -> bool {
    let Some(ip) = ip else { return true };
    SIGNINS.with(|limiter| limiter.borrow_mut().allow(ClientKey::from_header(ip), per_minute, http::now_ms()))
}

fn too_large() -> AppError {
    AppError::new(413, "too_large", "the body is too large")
}

/// The body, read from the stream up to `limit` bytes: a longer one, chunked or not, is refused
/// after at most `limit` bytes plus one chunk, and the rest is never read into the worker. The
/// stream is released, not cancelled: a cancelled upload makes workerd drop the connection, and a
/// client still sending loses the 413 with it (the runtime discards what is left).
async fn read_limited(req: &Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let Some(stream) = req.inner().body() else { return Ok(Vec::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let unreadable = |_| AppError::bad_request("could not read the body");
    let mut body = Vec::new();
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(unreadable)?;
        if Reflect::get(&step, &"done".into()).map_err(unreadable)?.is_truthy() {
            return Ok(body);
        }
        let chunk: Uint8Array = Reflect::get(&step, &"value".into()).and_then(|v| v.dyn_into()).map_err(unreadable)?;
        if body.len() + chunk.length() as usize > limit {
            reader.release_lock();
            return Err(too_large());
        }
        body.extend_from_slice(&chunk.to_vec());
    }
}

/// Reads and drops what the client is still uploading until `cap` bytes were seen in all
/// (`seen` so far), then releases the stream. Answering before an upload ends and closing makes
/// the client's kernel see a reset that can swallow the answer (a lingering close, as web servers do).
async fn drain(reader: &ReadableStreamDefaultReader, mut seen: usize, cap: usize) {
    while seen <= cap {
        let Ok(step) = JsFuture::from(reader.read()).await else { break };
        if Reflect::get(&step, &"done".into()).map_or(true, |d| d.is_truthy()) {
            break;
        }
        let chunk = Reflect::get(&step, &"value".into()).ok().and_then(|v| v.dyn_into::<Uint8Array>().ok());
        seen += chunk.map_or(cap + 1, |c| c.length() as usize);
    }
    reader.release_lock();
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn auth_secret(config: &Config) -> Result<&str, AppError> {
    config.auth_secret.as_deref().ok_or_else(AppError::not_configured)
}

fn verify(token: &str, config: &Config) -> Result<User, AppError> {
    auth::verify(token, auth_secret(config)?, now_secs()).map_err(|e| AppError::unauthorized(e.detail()))
}

/// The caller of an HTTP route, from `Authorization: Bearer`.
fn authenticate(req: &Request, config: &Config) -> Result<User, AppError> {
    auth_secret(config)?;
    let header = header(req, "authorization");
    verify(handshake::bearer_from_header(header.as_deref())?, config)
}

#[derive(Deserialize)]
struct SignIn {
    name: String,
}

/// `POST /api/session`: guest sign-in.
pub async fn guest_signin(req: Request, config: &Config) -> Result<Response, AppError> {
    let secret = auth_secret(config)?;
    if !config.guest_signin {
        return Err(AppError::new(403, "guest_signin_disabled", "guest sign-in is turned off here"));
    }
    if !signin_allowed(header(&req, "cf-connecting-ip").as_deref(), config.signin_per_minute) {
        return Err(AppError::new(429, "rate_limited", "too many sign-ins from this address; try again in a minute"));
    }
    let content_type = header(&req, "content-type").unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(AppError::bad_request("send the body as application/json"));
    }
    // A declared length is refused before anything is read; a chunked body while it is read.
    let declared = header(&req, "content-length").and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
    if declared > MAX_SESSION_BODY {
        if let (true, Some(stream)) = (declared <= MAX_DRAINED_BODY, req.inner().body()) {
            drain(&stream.get_reader().unchecked_into(), 0, MAX_DRAINED_BODY).await;
        }
        return Err(too_large());
    }
    let body = read_limited(&req, MAX_SESSION_BODY).await?;
    let sign_in: SignIn =
        serde_json::from_slice(&body).map_err(|_| AppError::bad_request("expected JSON like {\"name\": \"Alice\"}"))?;
    let name = auth::validate_name(&sign_in.name).map_err(|e| AppError::new(400, "invalid_name", e.detail()))?;
    let now = now_secs();
    let claims = Claims {
        sub: format!("g_{}", auth::random_id()),
        name,
        exp: now + GUEST_TOKEN_SECS,
        iat: Some(now),
        nbf: None,
    };
    let token = auth::sign(&claims, secret);
    json(&serde_json::json!({ "token": token, "user": { "id": claims.sub, "name": claims.name } }))
}

/// `GET /api/health`: no secrets, no auth. A remote TURN provider's block says what its last call
/// gave (see `turn::remote::health`).
pub async fn health(selection: &Selection) -> Result<Response, AppError> {
    json(&serde_json::json!({ "ok": true, "turn": turn::remote::health(selection, now_secs()).await }))
}

/// `GET /api/channels`: every channel with its members, from the Lobby.
pub async fn channels(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    authenticate(req, config)?;
    let stub = http::lobby_stub(env)?;
    let mut resp = stub.fetch_with_request(http::internal_request("/channels", Method::Get, None)?).await?;
    let body: serde_json::Value = resp.json().await?;
    json(&body)
}

/// `GET /api/ice-servers`: fresh ICE servers, the TURN credential bound to the caller's id.
/// Guests get one too, for `TURN_TTL_SECS` like everyone: a shorter life would not limit them
/// (a guest token asks again for a week), so the brakes are the sign-in limit, coturn's
/// per-user quota (the credential names the user) and `GUEST_SIGNIN=false`.
pub async fn ice_servers(req: &Request, config: &Config, selection: &Selection) -> Result<Response, AppError> {
    let user = authenticate(req, config)?;
    let (servers, expires_at) = turn::remote::ice_servers(selection, &config.stun_urls, &user.id, now_secs()).await;
    json(&serde_json::json!({ "ice_servers": servers, "expires_at": expires_at }))
}

/// Checks a WebSocket upgrade in the contract's order: Origin (403), token (401); the caller
/// checks the channel (404) after.
fn authorize_socket(req: &Request, config: &Config) -> Result<User, AppError> {
    if !header(req, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err(AppError::bad_request("this route expects a WebSocket upgrade"));
    }
    // PUBLIC_ORIGIN, when set, is the page's origin; else the request's, whose Host a
    // non-browser client can choose.
    let own_origin = match &config.public_origin {
        Some(origin) => origin.clone(),
        None => req.url()?.origin().ascii_serialization(),
    };
    handshake::check_origin(header(req, "origin").as_deref(), &own_origin, &config.allowed_origins)?;
    let protocols = header(req, "sec-websocket-protocol");
    let token = handshake::bearer_from_subprotocols(protocols.as_deref())?;
    auth_secret(config)?;
    verify(token, config)
}

fn upgrade_request(url: &str) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("upgrade", "websocket")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    Request::new_with_init(url, &init)
}

/// `GET /api/channels/{id}/voice`: joins the channel's `VoiceRoom`.
pub async fn voice(req: &Request, env: &Env, config: &Config, channel_id: &str) -> Result<Response, AppError> {
    let user = authorize_socket(req, config)?;
    let channel = config.channel(channel_id).ok_or_else(|| AppError::unknown_channel(channel_id))?;
    // A session id is only ever our own random id; anything else is ignored, not trusted.
    let session = req.url()?.query_pairs().find(|(k, _)| k == "session").map(|(_, v)| v.into_owned()).filter(|s| {
        (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let mut url = worker::Url::parse("https://internal/join").map_err(|_| AppError::internal())?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("channel", &channel.id).append_pair("user", &user.id).append_pair("name", &user.name);
        if let Some(session) = &session {
            query.append_pair("session", session);
        }
        // A resuming page (contract v1.1): only these exact values mean anything to the room.
        let asked = req.url()?;
        for (key, value) in [("resume", "1"), ("media", "kept")] {
            if asked.query_pairs().any(|(k, v)| k == key && v == value) {
                query.append_pair(key, value);
            }
        }
    }
    let stub = http::room_stub(env, &channel.id)?;
    Ok(stub.fetch_with_request(upgrade_request(url.as_str())?).await?)
}

/// `GET /api/lobby`: the live roster of every channel.
pub async fn lobby(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    authorize_socket(req, config)?;
    let stub = http::lobby_stub(env)?;
    Ok(stub.fetch_with_request(upgrade_request("https://internal/observe")?).await?)
}

/// Everything outside `/api`: the page's static files.
pub async fn asset(req: Request, env: &Env) -> Result<Response, AppError> {
    Ok(env.assets("ASSETS")?.fetch_request(req).await?)
}
