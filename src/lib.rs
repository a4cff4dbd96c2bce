//! Cromulent Voice: voice channels on the web. Host-testable logic lives in plain modules; the
//! worker's routes (this file), handlers and Durable Objects are wasm-only.

pub mod admin_key;
pub mod auth;
pub mod channels;
pub mod config;
pub mod cors;
pub mod error;
pub mod fold;
pub mod grants;
pub mod handshake;
pub mod log;
pub mod moderation;
pub mod names;
pub mod presence;
pub mod protocol;
pub mod query;
pub mod rate_limit;
pub mod report;
pub mod seats;
pub mod signin_limit;
pub mod space;
pub mod stored;
pub mod turn;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod lobby;
#[cfg(target_arch = "wasm32")]
mod room;

#[cfg(target_arch = "wasm32")]
use worker::{Context, Env, Method, Request, Response};

/// Every request but a join decided at once (`entry.rs`).
#[cfg(target_arch = "wasm32")]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Response {
    let settings = http::settings(&env);
    let config = &settings.0;
    let started = http::now_ms();
    let request_id = log::request_id_of(req.inner(), config);
    let method = req.method();
    // CORS (contract v1.1): only for an allowed origin, only on the page's files and routes.
    let path = req.path();
    let origin = req.headers().get("origin").ok().flatten();
    let cors_origin = cors::allowed_origin(origin.as_deref(), &config.allowed_origins)
        .filter(|_| cors::is_cors_path(&path))
        .map(str::to_owned);
    let answer = if req.method() == Method::Options {
        preflight(cors_origin.as_deref())
    } else {
        route(req, &env, &request_id).await.unwrap_or_else(|err| http::error_response(&err))
    };
    finish(answer, method.as_ref(), &path, started, request_id, cors_origin.as_deref())
}

/// Every answer but a room's 101 passed through (`entry.rs`): logged, with the security headers,
/// its request id and, for an allowed origin, the CORS headers.
#[cfg(target_arch = "wasm32")]
fn finish(
    answer: Response,
    method: &str,
    path: &str,
    started: u64,
    request_id: String,
    cors: Option<&str>,
) -> Response {
    log::access(method, path, answer.status_code(), started, &request_id);
    let answer = http::with_security_headers(answer);
    let mut headers = vec![("x-request-id", request_id)];
    if let Some(origin) = cors {
        headers.extend(cors::response_headers(origin));
    }
    http::with_headers(answer, &headers)
}

/// `OPTIONS`: a preflight from an allowed origin on a CORS path gets 204 and the CORS headers;
/// any other is refused without them.
#[cfg(target_arch = "wasm32")]
fn preflight(origin: Option<&str>) -> Response {
    match origin {
        Some(origin) => {
            let resp = Response::empty().map(|r| r.with_status(204)).unwrap_or_else(|_| unreachable!());
            http::with_headers(resp, &cors::preflight_headers(origin))
        }
        None => http::error_response(&error::AppError::new(
            403,
            "forbidden_origin",
            "this origin may not call this route from a browser",
        )),
    }
}

#[cfg(target_arch = "wasm32")]
async fn route(req: Request, env: &Env, request_id: &str) -> Result<Response, error::AppError> {
    use error::AppError;
    let settings = http::settings(env);
    let (config, selection) = (&settings.0, &settings.1);
    let path = req.path();
    let method = req.method();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::Post, ["api", "session"]) => api::guest_signin(req, config).await,
        (Method::Get, ["api", "health"]) => api::health(env, config, selection).await,
        (Method::Get, ["api", "channels"]) => api::channels(&req, env, config).await,
        (Method::Get, ["api", "ice-servers"]) => api::ice_servers(&req, config, selection).await,
        (Method::Get, ["api", "lobby"]) => api::lobby(&req, env, config).await,
        (Method::Get, ["api", "channels", id, "voice"]) => api::voice(&req, env, config, id, request_id).await,
        (_, ["api", "admin", rest @ ..]) => api::admin::route(req, env, config, rest).await,
        (_, ["api", "session" | "health" | "channels" | "ice-servers" | "lobby"] | ["api", "channels", _, "voice"]) => {
            Err(AppError::new(405, "method_not_allowed", "this route does not take that method"))
        }
        (_, ["api", ..]) => Err(AppError::not_found()),
        _ => api::asset(req, env).await,
    }
}
