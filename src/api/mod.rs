//! The HTTP handlers behind the routes in `lib.rs`: guest sign-in, health, channels, ICE servers,
//! and the two WebSocket upgrades, which are authorized here and handed to their Durable Object
//! (the caller's space's: the token's `space` claim). The admin API is `admin.rs`.

use std::cell::RefCell;

use serde::Deserialize;
use worker::{web_sys, Env, Method, Request, Response};

use crate::auth::{self, Claims, User};
use crate::config::{Config, GUEST_TOKEN_SECS};
use crate::error::AppError;
use crate::handshake;
use crate::http::{self, json, now_secs};
use crate::protocol::ChannelRoster;
use crate::query::{self, Query};
use crate::signin_limit::{ClientKey, SigninLimiter};
use crate::space::{valid_id, DEFAULT_SPACE};
use crate::turn::{self, Selection};

pub mod admin;
mod body;

/// Largest sign-in body accepted.
const MAX_SESSION_BODY: usize = 1024;

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

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub(crate) fn auth_secret(config: &Config) -> Result<&str, AppError> {
    config.auth_secret.as_deref().ok_or_else(AppError::not_configured)
}

pub(crate) fn verify(token: &str, config: &Config) -> Result<User, AppError> {
    auth::verify(token, auth_secret(config)?, now_secs()).map_err(|e| AppError::unauthorized(e.detail()))
}

/// The caller of an HTTP route, from `Authorization: Bearer`.
pub(crate) fn authenticate(req: &Request, config: &Config) -> Result<User, AppError> {
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
    let body = body::json_body(&req, MAX_SESSION_BODY).await?;
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
        space: None,
        role: None,
        channels: None,
    };
    let token = auth::sign(&claims, secret);
    json(&serde_json::json!({ "token": token, "user": { "id": claims.sub, "name": claims.name } }))
}

/// `GET /api/health`: no secrets, no auth. Where the worker runs, whether its storage answers (a
/// write and a read in the default space's Lobby; 503 when it does not), and what a remote TURN
/// provider's last call gave (see `turn::remote::health`).
pub async fn health(env: &Env, config: &Config, selection: &Selection) -> Result<Response, AppError> {
    let checked = async {
        let stub = http::lobby_stub(env, DEFAULT_SPACE)?;
        let resp = stub.fetch_with_request(http::internal_request("/health", Method::Get, None)?).await?;
        Ok::<_, worker::Error>(resp.status_code() == 200)
    };
    let storage_ok = checked.await.unwrap_or(false);
    let body = serde_json::json!({
        "ok": storage_ok,
        "runtime": config.runtime,
        "storage": { "kind": config.storage_kind, "ok": storage_ok },
        "turn": turn::remote::health(selection, now_secs()).await,
    });
    Ok(Response::from_json(&body)?.with_status(if storage_ok { 200 } else { 503 }))
}

/// `GET /api/channels`: the caller's space's channels (those its token may join) with their
/// members, from the space's Lobby.
pub async fn channels(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    let user = authenticate(req, config)?;
    let mut channels = space_channels(env, &user.grants.space).await?;
    channels.retain(|c| user.grants.allows(&c.id));
    json(&serde_json::json!({ "channels": channels }))
}

/// Every channel of `space` with its members.
pub async fn space_channels(env: &Env, space: &str) -> Result<Vec<ChannelRoster>, AppError> {
    let stub = http::lobby_stub(env, space)?;
    let path = format!("/channels?space={space}");
    let mut resp = stub.fetch_with_request(http::internal_request(&path, Method::Get, None)?).await?;
    #[derive(Deserialize)]
    struct Listed {
        channels: Vec<ChannelRoster>,
    }
    Ok(resp.json::<Listed>().await?.channels)
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
fn authorize_socket(req: &web_sys::Request, config: &Config) -> Result<User, AppError> {
    let header = |name: &str| -> Option<String> { req.headers().get(name).ok().flatten() };
    if !header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err(AppError::bad_request("this route expects a WebSocket upgrade"));
    }
    // PUBLIC_ORIGIN, when set, is the page's origin; else the request's, whose Host a
    // non-browser client can choose. Only a request with an Origin needs either.
    if let Some(origin) = header("origin") {
        let url = req.url();
        let own_origin = match &config.public_origin {
            Some(own) => own.as_str(),
            None => query::origin_of(&url).unwrap_or(""),
        };
        handshake::check_origin(Some(&origin), own_origin, &config.allowed_origins)?;
    }
    let protocols = header("sec-websocket-protocol");
    let token = handshake::bearer_from_subprotocols(protocols.as_deref())?;
    auth_secret(config)?;
    verify(token, config)
}

/// Whether `id` is a channel of `VOICE_CHANNELS` in `space`: known without asking its Lobby,
/// with `MAX_MEMBERS` as its limit.
fn configured(config: &Config, space: &str, id: &str) -> bool {
    space == DEFAULT_SPACE && config.channel(id).is_some()
}

/// The channel `id` of `space`, when it exists there: its `max_members` when the admin API set it
/// (None: `MAX_MEMBERS`).
async fn find_channel(env: &Env, config: &Config, space: &str, id: &str) -> Result<Option<usize>, AppError> {
    if configured(config, space, id) {
        return Ok(None);
    }
    if !valid_id(id) {
        return Err(AppError::unknown_channel(id));
    }
    let stub = http::lobby_stub(env, space)?;
    let path = format!("/channel?space={space}&id={id}");
    let mut resp = stub.fetch_with_request(http::internal_request(&path, Method::Get, None)?).await?;
    match resp.status_code() {
        200 => Ok(Some(resp.json::<ChannelRoster>().await?.max_members)),
        404 => Err(AppError::unknown_channel(id)),
        status => Err(worker::Error::RustError(format!("lobby answered {status}")).into()),
    }
}

/// `GET /api/channels/{id}/voice`: joins the `VoiceRoom` of channel `id` in the caller's space.
/// The room's 101 is the answer; `request_id` goes on it (the room sets it).
pub async fn voice(
    req: &Request,
    env: &Env,
    config: &Config,
    id: &str,
    request_id: &str,
) -> Result<Response, AppError> {
    let user = authorize_socket(req.inner(), config)?;
    let max = find_channel(env, config, user.grants.space.as_str(), id).await?;
    let (stub, upgrade) = join_request(req.inner(), env, &user, id, max, request_id)?;
    Ok(stub.fetch_with_request(upgrade.into()).await?)
}

/// The same join, decided now when nothing has to wait (a channel of `VOICE_CHANNELS`, whose
/// limit is `MAX_MEMBERS`): the room's answer as the runtime's own promise, for `entry.rs` to pass
/// on. None when the channel must be looked up in the space's Lobby first (`voice` does that).
pub fn voice_now(
    req: &web_sys::Request,
    env: &Env,
    config: &Config,
    id: &str,
    request_id: &str,
) -> Option<Result<js_sys::Promise, AppError>> {
    // Any other id can only be a runtime channel: `voice` checks the token (once) and asks.
    config.channel(id)?;
    let user = match authorize_socket(req, config) {
        Ok(user) => user,
        Err(err) => return Some(Err(err)),
    };
    if !configured(config, &user.grants.space, id) {
        return None; // another space's channel of the same id
    }
    let joined = join_request(req, env, &user, id, None, request_id).and_then(|(stub, upgrade)| {
        let stub: worker::worker_sys::DurableObject = stub.into_rpc();
        stub.fetch_with_request(&upgrade).map_err(|e| AppError::from(worker::Error::from(e)))
    });
    Some(joined)
}

/// The room's stub and the internal `/join` request for `user` in channel `id` (found; its
/// `max_members`, when the admin API set one): the user, the session asked for, whether it resumes.
fn join_request(
    req: &web_sys::Request,
    env: &Env,
    user: &User,
    channel_id: &str,
    max: Option<usize>,
    request_id: &str,
) -> Result<(worker::Stub, web_sys::Request), AppError> {
    if !user.grants.allows(channel_id) {
        return Err(AppError::new(403, "forbidden_channel", "your token does not let you join this channel"));
    }
    let space = user.grants.space.as_str();
    let asked = Query::of_url(&req.url());
    // A session id is only ever our own random id; anything else is ignored, not trusted.
    let session = asked.get("session").filter(|s| {
        (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let (exp, max) = (user.exp.to_string(), max.map(|m| m.to_string()));
    let mut pairs = vec![
        ("channel", channel_id),
        ("user", user.id.as_str()),
        ("name", user.name.as_str()),
        ("exp", &exp),
        ("rid", request_id),
    ];
    if space != DEFAULT_SPACE {
        pairs.push(("space", space));
    }
    if let Some(max) = &max {
        pairs.push(("max", max));
    }
    if let Some(session) = session {
        pairs.push(("session", session));
    }
    // A resuming page (contract v1.1): only these exact values mean anything to the room.
    for (key, value) in [("resume", "1"), ("media", "kept")] {
        if asked.has(key, value) {
            pairs.push((key, value));
        }
    }
    let url = query::with_query("https://internal/join", &pairs);
    let stub = http::room_stub(env, space, channel_id)?;
    Ok((stub, http::upgrade_request(&url)?))
}

/// `GET /api/lobby`: the live roster of the caller's space (the channels its token may join).
pub async fn lobby(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    let user = authorize_socket(req.inner(), config)?;
    let space = user.grants.space.as_str();
    // Who (for the cap on lobby sockets per user), until when (the token's expiry), what it sees.
    let exp = user.exp.to_string();
    let list = user.grants.channels.as_ref().map(|list| list.join(","));
    let mut pairs = vec![("user", user.id.as_str()), ("exp", exp.as_str()), ("space", space)];
    if let Some(list) = &list {
        pairs.push(("channels", list));
    }
    let url = query::with_query("https://internal/observe", &pairs);
    let stub = http::lobby_stub(env, space)?;
    Ok(stub.fetch_with_request(http::upgrade_request(&url)?.into()).await?)
}

/// Everything outside `/api`: the page's static files. TypeScript declarations (`/types/*.d.ts`)
/// as text (by their extension alone they would be video/mp2t).
pub async fn asset(req: Request, env: &Env) -> Result<Response, AppError> {
    let declarations = req.path().ends_with(".d.ts");
    let resp = env.assets("ASSETS")?.fetch_request(req).await?;
    if declarations && resp.status_code() == 200 {
        return Ok(http::with_headers(resp, &[("content-type", "text/plain; charset=utf-8".to_owned())]));
    }
    Ok(resp)
}
