//! Cromulent Voice: voice channels on the web. Host-testable logic lives in plain modules; the
//! worker's routes (this file), handlers and Durable Objects are wasm-only.

pub mod auth;
pub mod config;
pub mod error;
pub mod handshake;
pub mod names;
pub mod presence;
pub mod protocol;
pub mod rate_limit;
pub mod report;
pub mod seats;
pub mod signin_limit;
pub mod turn;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod lobby;
#[cfg(target_arch = "wasm32")]
mod room;

#[cfg(target_arch = "wasm32")]
use worker::{event, Context, Env, Method, Request, Response};

#[cfg(target_arch = "wasm32")]
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let answer = route(req, &env).await.unwrap_or_else(|err| http::error_response(&err));
    Ok(http::with_security_headers(answer))
}

#[cfg(target_arch = "wasm32")]
async fn route(req: Request, env: &Env) -> Result<Response, error::AppError> {
    use error::AppError;
    let (config, selection) = http::settings(env);
    let path = req.path();
    let method = req.method();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::Post, ["api", "session"]) => api::guest_signin(req, &config).await,
        (Method::Get, ["api", "health"]) => api::health(&selection).await,
        (Method::Get, ["api", "channels"]) => api::channels(&req, env, &config).await,
        (Method::Get, ["api", "ice-servers"]) => api::ice_servers(&req, &config, &selection).await,
        (Method::Get, ["api", "lobby"]) => api::lobby(&req, env, &config).await,
        (Method::Get, ["api", "channels", id, "voice"]) => api::voice(&req, env, &config, id).await,
        (_, ["api", "session" | "health" | "channels" | "ice-servers" | "lobby"] | ["api", "channels", _, "voice"]) => {
            Err(AppError::new(405, "method_not_allowed", "this route does not take that method"))
        }
        (_, ["api", ..]) => Err(AppError::not_found()),
        _ => api::asset(req, env).await,
    }
}
