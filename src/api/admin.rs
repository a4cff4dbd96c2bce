//! The admin API (contract v1.1, server to server): a space's channels (list, create or update,
//! delete — the space's Lobby owns them) and tokens minted for a host app that does not hold
//! `AUTH_SECRET`. `Authorization: Bearer <ADMIN_API_KEY>`, compared in constant time; checked
//! before anything else is read. Never answered with CORS headers (`lib.rs`).

use worker::{Env, Method, Request, Response};

use super::{auth_secret, body, header};
use crate::channels::ChannelSpec;
use crate::config::Config;
use crate::error::AppError;
use crate::grants::TokenRequest;
use crate::handshake;
use crate::http::{self, json, now_secs};
use crate::space::valid_id;
use crate::{admin_key, auth};

/// Largest admin request body (a token request with 100 channel ids is ~7 KiB).
const MAX_ADMIN_BODY: usize = 8 * 1024;

/// `/api/admin/…`: `rest` is the path after it, split at `/`.
pub async fn route(req: Request, env: &Env, config: &Config, rest: &[&str]) -> Result<Response, AppError> {
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

/// 503 without `ADMIN_API_KEY`, 401 without the right one.
fn check_key(req: &Request, config: &Config) -> Result<(), AppError> {
    let Some(key) = config.admin_api_key.as_deref() else {
        return Err(AppError::new(503, "not_configured", "the server has no ADMIN_API_KEY configured"));
    };
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
    json(&serde_json::json!({ "token": auth::sign(&claims, secret), "expires_at": claims.exp }))
}
