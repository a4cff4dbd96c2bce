//! Asks a remote provider (Metered, Cloudflare) for credentials from the worker: at most 2 s, a
//! good answer cached per isolate for a few minutes (never one API call per join or signal), and
//! a failure logged once per cause. A join never waits longer than the timeout and never fails
//! for TURN: without credentials it goes on STUN-only.
//!
//! The cached answer is shared by every user of the isolate: Metered's endpoint hands every
//! caller the app's same credentials, and Cloudflare's are not tied to a user either, so one
//! call per user would only multiply API calls (and add up to 2 s to joins) without making a
//! credential revocable per user.

use std::cell::RefCell;

use futures_util::future::{select, Either};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use super::{local_credentials, with_stun, Credentials, Health, LastCall, RemoteProvider, Selection};
use crate::protocol::IceServer;

/// How long one provider call may take, body included.
pub const TIMEOUT_MS: u64 = 2000;
/// How long a good answer is reused.
pub const CACHE_SECS: u64 = 300;
/// `/api/health` asks the provider itself when this isolate has not heard from it for this
/// long (so at most one call a minute comes from health checks, however often they come).
pub const HEALTH_PROBE_SECS: u64 = 60;

struct Cached {
    provider: &'static str,
    creds: Credentials,
    fetched_at: u64,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
    static LAST_FAILURE: RefCell<Option<String>> = const { RefCell::new(None) };
    static LAST_CALL: RefCell<Option<LastCall>> = const { RefCell::new(None) };
}

/// The health block: the configuration's status and, for a remote provider, what its latest call
/// gave, asking it first when nothing recent is known.
pub async fn health(selection: &Selection, now: u64) -> Health {
    let mut health = selection.health();
    if let Some(remote) = selection.provider.remote() {
        let stale = LAST_CALL.with(|c| c.borrow().as_ref().is_none_or(|c| now >= c.at + HEALTH_PROBE_SECS));
        if stale {
            credentials(remote, now).await;
        }
        health.last_call = LAST_CALL.with(|c| c.borrow().clone());
    }
    health
}

/// ICE servers for `user_id` at `now` (unix seconds), from whichever provider is selected.
pub async fn ice_servers(
    selection: &Selection,
    stun_urls: &[String],
    user_id: &str,
    now: u64,
) -> (Vec<IceServer>, Option<u64>) {
    let turn = match selection.provider.remote() {
        None => local_credentials(&selection.provider, user_id, now),
        Some(remote) => credentials(remote, now).await,
    };
    with_stun(stun_urls, turn)
}

async fn credentials(remote: &dyn RemoteProvider, now: u64) -> Option<Credentials> {
    let fresh = |c: &Cached| {
        c.provider == remote.name()
            && now < c.fetched_at + CACHE_SECS
            // Never hand out a credential in its last minute.
            && c.creds.expires_at.is_none_or(|e| now + 60 < e)
    };
    if let Some(creds) = CACHE.with(|c| c.borrow().as_ref().filter(|c| fresh(c)).map(|c| c.creds.clone())) {
        return Some(creds);
    }
    let outcome = fetch(remote, now).await;
    let detail = match &outcome {
        Ok(creds) => format!("answered {} ICE server(s)", creds.servers.len()),
        Err(cause) => cause.clone(),
    };
    LAST_CALL.with(|c| *c.borrow_mut() = Some(LastCall { ok: outcome.is_ok(), at: now, detail }));
    match outcome {
        Ok(creds) => {
            CACHE.with(|c| {
                *c.borrow_mut() = Some(Cached { provider: remote.name(), creds: creds.clone(), fetched_at: now })
            });
            LAST_FAILURE.with(|f| f.borrow_mut().take());
            Some(creds)
        }
        Err(cause) => {
            let first = LAST_FAILURE.with(|f| f.borrow_mut().replace(cause.clone()).as_ref() != Some(&cause));
            if first {
                let msg = format!("turn: {} failed: {cause}; joins go on STUN-only", remote.name());
                crate::log::emit(crate::log::Level::Warn, &msg, None, &[]);
            }
            None
        }
    }
}

async fn fetch(remote: &dyn RemoteProvider, now: u64) -> Result<Credentials, String> {
    let spec = remote.request();
    // The URL may carry the API key, and an API may echo what it was sent: keep both out of
    // every message.
    let redact = |text: String| super::redact(&text, &spec.url, remote.secret());
    let exchange = async {
        let headers = Headers::new();
        let mut init = RequestInit::new();
        init.with_method(if spec.method == "POST" { Method::Post } else { Method::Get });
        if let Some(token) = &spec.bearer {
            headers.set("authorization", &format!("Bearer {token}"))?;
        }
        if let Some(body) = &spec.body {
            headers.set("content-type", "application/json")?;
            init.with_body(Some(body.as_str().into()));
        }
        init.with_headers(headers);
        let mut resp = Fetch::Request(Request::new_with_init(&spec.url, &init)?).send().await?;
        let status = resp.status_code();
        let body = resp.text().await?;
        Ok::<_, worker::Error>((status, body))
    };
    // Not `worker::Delay`: a join may poll this first synchronously (`room/wasm.rs`, `run_now`).
    let timeout = crate::http::sleep(TIMEOUT_MS);
    futures_util::pin_mut!(exchange, timeout);
    match select(exchange, timeout).await {
        Either::Left((Ok((status, body)), _)) => remote.parse(status, &body, now).map_err(redact),
        Either::Left((Err(err), _)) => Err(redact(format!("request failed: {err}"))),
        Either::Right(_) => Err(format!("no answer within {TIMEOUT_MS} ms")),
    }
}
