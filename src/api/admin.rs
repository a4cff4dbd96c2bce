//! The admin API (contract v1.1, server to server): a space's channels (list, create or update,
//! delete — the space's Lobby owns them), its members (mute, kick, move: also open to the space's
//! moderators' tokens) and tokens minted for a host app that does not hold `AUTH_SECRET`. `Authorization: Bearer <ADMIN_API_KEY>`, compared in constant time; checked
//! before anything else is read. Never answered with CORS headers (`lib.rs`).

use percent_encoding::percent_decode_str;
use worker::{Env, Method, Request, Response};

use super::{auth_secret, body, header};
use crate::channels::ChannelSpec;
use crate::config::Config;
use crate::error::AppError;
use crate::grants::TokenRequest;
use crate::handshake;
use crate::http::{self, json, now_secs};
use crate::moderation::{self, Action};
use crate::space::valid_id;
use crate::{admin_key, auth};

/// Largest admin request body (a token request with 100 channel ids is ~7 KiB).
const MAX_ADMIN_BODY: usize = 8 * 1024;

/// `/api/admin/…`: `rest` is the path after it, split at `/`.
pub async fn route(req: Request, env: &Env, config: &Config, rest: &[&str]) -> Result<Response, AppError> {
    if let ["spaces", space, "members", user, action] = rest {
        return member(&req, env, config, space, user, action).await;
    }
    check_key(&req, config)?;
    match (req.method(), rest) {
        (Method::Post, ["tokens"]) => mint(&req, config).await,
        (Method::Get, ["spaces", space, "channels"]) => {
            let space = space_id(space)?;
            json(&serde_json::json!({ "channels": super::space_channels(env, space).await? }))
        }
        (Method::Put, ["spaces", space, "channels", id]) => {
            let (space, id) = (space_id(space)?, channel_id(id)?);
            let body = body::json_body(&req, MAX_ADMIN_BODY).await?;
            let spec = ChannelSpec::parse(&body, config.max_members)?;
            let normalized = serde_json::json!({
                "name": spec.name, "max_members": spec.max_members, "temporary": spec.temporary
            });
            lobby(env, space, Method::Put, &format!("/channels/{id}"), Some(normalized.to_string())).await
        }
        (Method::Delete, ["spaces", space, "channels", id]) => {
            let (space, id) = (space_id(space)?, channel_id(id)?);
            lobby(env, space, Method::Delete, &format!("/channels/{id}"), None).await
        }
        (_, ["tokens"] | ["spaces", _, "channels"] | ["spaces", _, "channels", _]) => {
            Err(AppError::new(405, "method_not_allowed", "this route does not take that method"))
        }
        _ => Err(AppError::not_found()),
    }
}

/// `POST /api/admin/spaces/{space}/members/{user_id}/{mute|kick|move}`: by the admin key or a
/// moderator token of that space; the space's Lobby finds the user and has their room act.
async fn member(
    req: &Request,
    env: &Env,
    config: &Config,
    space: &str,
    user: &str,
    action: &str,
) -> Result<Response, AppError> {
    let space = space_id(space)?;
    authorize_moderator(req, config, space)?;
    let action = match action {
        "mute" => Action::Mute,
        "kick" => Action::Kick,
        "move" => Action::Move,
        _ => return Err(AppError::not_found()),
    };
    if req.method() != Method::Post {
        return Err(AppError::new(405, "method_not_allowed", "this route takes POST"));
    }
    let user_id =
        percent_decode_str(user).decode_utf8().map_err(|_| AppError::bad_request("the user id is not UTF-8"))?;
    let chars = user_id.chars().count();
    if chars == 0 || chars > auth::MAX_USER_ID_CHARS || user_id.chars().any(char::is_control) {
        return Err(AppError::bad_request("user ids are 1-128 characters"));
    }
    let body = if action == Action::Kick && header(req, "content-type").is_none() {
        Vec::new() // a kick needs no body
    } else {
        body::json_body(req, MAX_ADMIN_BODY).await?
    };
    let order = moderation::parse_body(action, &user_id, &body).map_err(AppError::bad_request)?;
    let body = serde_json::to_string(&order).map_err(|_| AppError::internal())?;
    lobby(env, space, Method::Post, "/members", Some(body)).await
}

/// The admin key, or a token of a moderator of `space` (another space's moderator or a member:
/// 403 `forbidden`). Without `ADMIN_API_KEY` only the key's own use answers 503.
fn authorize_moderator(req: &Request, config: &Config, space: &str) -> Result<(), AppError> {
    let authorization = header(req, "authorization");
    let given = handshake::bearer_from_header(authorization.as_deref())?;
    if config.admin_api_key.as_deref().is_some_and(|key| admin_key::matches(given, key)) {
        return Ok(());
    }
    if given.matches('.').count() != 2 {
        // Not a token: a wrong admin key, or one the server does not have.
        return match config.admin_api_key {
            Some(_) => Err(AppError::unauthorized("the admin key is wrong")),
            None => Err(not_configured()),
        };
    }
    let user = super::verify(given, config)?;
    if user.grants.is_moderator() && user.grants.space == space {
        Ok(())
    } else {
        Err(AppError::new(403, "forbidden", "only the admin key or a moderator of this space may do this"))
    }
}

fn not_configured() -> AppError {
    AppError::new(503, "not_configured", "the server has no ADMIN_API_KEY configured")
}

/// 503 without `ADMIN_API_KEY`, 401 without the right one.
fn check_key(req: &Request, config: &Config) -> Result<(), AppError> {
    let Some(key) = config.admin_api_key.as_deref() else { return Err(not_configured()) };
    let authorization = header(req, "authorization");
    let given = handshake::bearer_from_header(authorization.as_deref())?;
    if admin_key::matches(given, key) {
        Ok(())
    } else {
        Err(AppError::unauthorized("the admin key is wrong"))
    }
}

fn space_id(space: &str) -> Result<&str, AppError> {
    valid_id(space).then_some(space).ok_or_else(|| AppError::bad_request("space ids are 1-64 of a-z, 0-9, - and _"))
}

fn channel_id(id: &str) -> Result<&str, AppError> {
    valid_id(id).then_some(id).ok_or_else(|| AppError::bad_request("channel ids are 1-64 of a-z, 0-9, - and _"))
}

/// Forwards to the space's Lobby; its answer (the channel, 204, or an error body) is the answer.
async fn lobby(env: &Env, space: &str, method: Method, path: &str, body: Option<String>) -> Result<Response, AppError> {
    let stub = http::lobby_stub(env, space)?;
    let request = http::internal_request(&format!("{path}?space={space}"), method, body)?;
    Ok(stub.fetch_with_request(request).await?)
}

/// `POST /api/admin/tokens`: a token like a host app would mint, signed with `AUTH_SECRET`.
async fn mint(req: &Request, config: &Config) -> Result<Response, AppError> {
    let secret = auth_secret(config)?;
    let body = body::json_body(req, MAX_ADMIN_BODY).await?;
    let request: TokenRequest = serde_json::from_slice(&body).map_err(|_| {
        AppError::bad_request(r#"expected JSON like {"sub": "u1", "name": "Ann", "space": "acme", "ttl_secs": 3600}"#)
    })?;
    let claims = request.into_claims(now_secs())?;
    let token = auth::sign(&claims, secret);
    // Every route refuses a token over 4 KiB: never hand one out.
    if token.len() > auth::MAX_TOKEN_BYTES {
        return Err(AppError::bad_request("that token would be over 4 KiB: list fewer or shorter channels"));
    }
    json(&serde_json::json!({ "token": token, "expires_at": claims.exp }))
}
