//! The worker's `fetch`, bound by hand instead of `#[event(fetch)]`: a join to a channel of
//! `VOICE_CHANNELS` (`GET /api/channels/:id/voice`, the hot path) is decided at once and answered
//! with the room's own promise — no executor, no workers-rs request or response conversions, no
//! copy of the 101 to add a header (the room sets the request id on it). Everything else, and a
//! join that must ask the space's Lobby first, goes through `lib.rs`'s `fetch` as before.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{wasm_bindgen_futures, web_sys, Context, Env, Request, Response};

use crate::{api, http, log};

#[wasm_bindgen]
extern "C" {
    /// The room's answer to come (a promise).
    type Answer;
    /// `answer.then(f, f)`: one JS function for both outcomes.
    #[wasm_bindgen(method, js_name = then)]
    fn settle(this: &Answer, fulfilled: &JsValue, rejected: &JsValue) -> JsValue;
}

#[wasm_bindgen(js_name = fetch)]
pub fn entry(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> JsValue {
    if let Some(answer) = join_now(&req, &env) {
        return answer;
    }
    let (req, ctx) = (Request::from(req), Context::new(ctx));
    wasm_bindgen_futures::future_to_promise(async move {
        Ok(web_sys::Response::from(crate::fetch(req, env, ctx).await).into())
    })
    .into()
}

/// A join that needs nothing to wait for, answered now: the room's promise, logged when it
/// settles. None when the request is anything else (or its channel must be looked up).
fn join_now(req: &web_sys::Request, env: &Env) -> Option<JsValue> {
    if req.method() != "GET" {
        return None;
    }
    let url = req.url();
    let path = crate::query::path_of(&url);
    let id = path.strip_prefix("/api/channels/")?.strip_suffix("/voice")?;
    if id.contains('/') {
        return None;
    }
    let settings = http::settings(env);
    let config = &settings.0;
    let started = http::now_ms();
    let request_id = log::request_id_of(req, config);
    let joined = match api::voice_now(req, env, config, id, &request_id)? {
        Ok(joined) => joined,
        Err(err) => return Some(finish(http::error_response(&err), path, started, request_id).into()),
    };
    let path = path.to_owned();
    // One function for both outcomes (only one is ever called, so it is never leaked).
    let settled = Closure::once_into_js(move |answer: JsValue| -> JsValue {
        match answer.dyn_into::<web_sys::Response>() {
            Ok(resp) if resp.status() == 101 => {
                log::access("GET", &path, 101, started, &request_id);
                resp.into()
            }
            // The room's own refusal of a bad internal request: headers as any answer's.
            Ok(resp) => finish(Response::from(resp), &path, started, request_id).into(),
            Err(err) => {
                log::error("worker", "the room did not answer a join", format!("{err:?}"));
                finish(http::error_response(&crate::error::AppError::internal()), &path, started, request_id).into()
            }
        }
    });
    Some(joined.unchecked_into::<Answer>().settle(&settled, &settled))
}

/// An answer of the join route other than the room's 101, as `lib.rs` finishes every answer (the
/// voice route is not a CORS route).
fn finish(answer: Response, path: &str, started: u64, request_id: String) -> web_sys::Response {
    crate::finish(answer, "GET", path, started, request_id, None).into()
}
