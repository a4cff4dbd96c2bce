//! ICE servers for the join reply and `/api/ice-servers`: which provider `TURN_PROVIDER` selects,
//! whether its settings make sense, and the servers it hands a user. STUN (`STUN_URLS`) is always
//! included, so a broken TURN setup degrades to STUN-only instead of failing joins.

pub mod cloudflare;
pub mod coturn;
pub mod metered;
#[cfg(target_arch = "wasm32")]
pub mod remote;
pub mod stun;

use serde::{Deserialize, Serialize};

use crate::config::TurnSettings;
use crate::protocol::IceServer;

/// What `TURN_PROVIDER` names, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    /// STUN only.
    None,
    /// Time-limited HMAC credentials for a coturn with `use-auth-secret`, minted here.
    Coturn(coturn::Coturn),
    /// Credentials from Metered.ca's REST API.
    Metered(metered::Metered),
    /// Credentials from Cloudflare Realtime TURN.
    Cloudflare(cloudflare::Cloudflare),
}

impl Provider {
    /// The provider as an HTTP exchange, for those that fetch their credentials.
    pub fn remote(&self) -> Option<&dyn RemoteProvider> {
        match self {
            Provider::None | Provider::Coturn(_) => None,
            Provider::Metered(m) => Some(m),
            Provider::Cloudflare(c) => Some(c),
        }
    }
}

/// TURN servers and when their credentials expire (unix seconds; `None` = long-lived).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Credentials {
    pub servers: Vec<IceServer>,
    pub expires_at: Option<u64>,
}

/// One HTTP request to a provider's API, as data (performed by `remote.rs` in the worker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRequest {
    pub method: &'static str,
    pub url: String,
    pub bearer: Option<String>,
    pub body: Option<String>,
}

/// A provider whose credentials come from an HTTP API: what to ask and how to read the answer.
pub trait RemoteProvider {
    fn name(&self) -> &'static str;
    fn request(&self) -> RemoteRequest;
    /// Reads the answer; `Err` carries a cause for a log line (`remote.rs` redacts `secret()`
    /// from it, since an API may echo what it was sent).
    fn parse(&self, status: u16, body: &str, now: u64) -> Result<Credentials, String>;
    /// The secret this provider sends, to keep out of every message.
    fn secret(&self) -> &str;
}

/// `": <message>"` from an `{"error": "<message>"}` body, shortened; empty otherwise.
fn error_field(body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: serde_json::Value,
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody { error: serde_json::Value::String(msg) }) => {
            format!(": {}", msg.chars().take(200).collect::<String>())
        }
        Ok(ErrorBody { error }) => format!(": {}", error.to_string().chars().take(200).collect::<String>()),
        Err(_) => String::new(),
    }
}

/// `text` without the provider `url` or its `secret` (as sent, or percent-encoded in a URL).
pub fn redact(text: &str, url: &str, secret: &str) -> String {
    let mut out = text.replace(url, "<provider URL>");
    if !secret.is_empty() {
        out = out.replace(secret, "<redacted>");
        let encoded: String = secret
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        out = out.replace(&encoded, "<redacted>");
    }
    out
}

/// Keeps the servers whose every URL is a stun/turn URL.
fn keep_usable(servers: Vec<IceServer>) -> Vec<IceServer> {
    let usable = |u: &str| ["stun:", "stuns:", "turn:", "turns:"].iter().any(|p| u.starts_with(p));
    servers.into_iter().filter(|s| !s.urls.as_vec().is_empty() && s.urls.as_vec().into_iter().all(usable)).collect()
}

/// The provider block of `GET /api/health` (never contains secrets). `status` says whether the
/// configuration makes sense (the contract's "ok" | "misconfigured"); `last_call` says what a
/// remote provider last answered in this isolate: a reachable URL is not a working one.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub provider: &'static str,
    pub status: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_call: Option<LastCall>,
}

/// The outcome of the latest call to a remote provider's API.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct LastCall {
    /// True when it answered usable ICE servers.
    pub ok: bool,
    /// When (unix seconds).
    pub at: u64,
    /// "answered N ICE servers", or why it failed (redacted: no URL, no secret).
    pub detail: String,
}

/// The provider in force, and what is wrong with the configuration if it is not the one asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub provider: Provider,
    /// `Some(cause)` when `TURN_PROVIDER` asked for something that cannot work; `provider` is
    /// then `None` (STUN only).
    pub misconfigured: Option<String>,
    /// The name `TURN_PROVIDER` asked for (for health), `"none"` when unset.
    pub requested: &'static str,
}

impl Selection {
    pub fn health(&self) -> Health {
        match &self.misconfigured {
            Some(cause) => {
                Health { provider: self.requested, status: "misconfigured", detail: cause.clone(), last_call: None }
            }
            None => Health {
                provider: self.requested,
                status: "ok",
                detail: match &self.provider {
                    Provider::None => "STUN only".to_owned(),
                    Provider::Coturn(c) => {
                        format!("coturn, {} URL(s), credentials live {} s", c.urls.len(), c.ttl_secs)
                    }
                    Provider::Metered(_) => "Metered REST API".to_owned(),
                    Provider::Cloudflare(c) => format!("Cloudflare TURN, credentials live {} s", c.ttl_secs),
                },
                last_call: None,
            },
        }
    }
}

/// Reads the TURN settings into a provider. Never fails: problems become `misconfigured`.
pub fn select(settings: &TurnSettings) -> Selection {
    let stun_only = |requested: &'static str, cause: String| Selection {
        provider: Provider::None,
        misconfigured: Some(cause),
        requested,
    };
    match settings.provider.as_deref() {
        None | Some("none") => Selection { provider: Provider::None, misconfigured: None, requested: "none" },
        Some("coturn") => match coturn::Coturn::from_settings(settings) {
            Ok(c) => Selection { provider: Provider::Coturn(c), misconfigured: None, requested: "coturn" },
            Err(cause) => stun_only("coturn", cause),
        },
        Some("metered") => match metered::Metered::from_settings(settings) {
            Ok(m) => Selection { provider: Provider::Metered(m), misconfigured: None, requested: "metered" },
            Err(cause) => stun_only("metered", format!("{cause}; serving STUN only")),
        },
        Some("cloudflare") => match cloudflare::Cloudflare::from_settings(settings) {
            Ok(c) => Selection { provider: Provider::Cloudflare(c), misconfigured: None, requested: "cloudflare" },
            Err(cause) => stun_only("cloudflare", format!("{cause}; serving STUN only")),
        },
        Some(other) => stun_only(
            "none",
            format!("TURN_PROVIDER={other:?} is not one of coturn, metered, cloudflare; serving STUN only"),
        ),
    }
}

/// The TURN credentials minted here for `user_id` (coturn), `None` for STUN-only and for the
/// providers that must be asked over HTTP (see `remote.rs`).
pub fn local_credentials(provider: &Provider, user_id: &str, now: u64) -> Option<Credentials> {
    match provider {
        Provider::Coturn(c) => {
            let (server, expires_at) = c.credentials(user_id, now);
            Some(Credentials { servers: vec![server], expires_at: Some(expires_at) })
        }
        Provider::None | Provider::Metered(_) | Provider::Cloudflare(_) => None,
    }
}

/// The STUN servers first, then the TURN ones; and when the TURN credentials expire.
pub fn with_stun(stun_urls: &[String], turn: Option<Credentials>) -> (Vec<IceServer>, Option<u64>) {
    let mut servers = vec![stun::server(stun_urls)];
    match turn {
        Some(creds) => {
            servers.extend(creds.servers);
            (servers, creds.expires_at)
        }
        None => (servers, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::IceUrls;

    fn settings(provider: Option<&str>) -> TurnSettings {
        TurnSettings { provider: provider.map(str::to_owned), ttl_secs: 3600, ..Default::default() }
    }

    #[test]
    fn unset_provider_is_stun_only_and_healthy() {
        let s = select(&settings(None));
        assert_eq!(s.provider, Provider::None);
        assert_eq!(s.health().status, "ok");
        let (servers, expires) = with_stun(&["stun:a:3478".into()], local_credentials(&s.provider, "u1", 0));
        assert_eq!(servers.len(), 1);
        assert_eq!(expires, None);
    }

    #[test]
    fn unknown_provider_is_reported_and_falls_back() {
        let s = select(&settings(Some("twilio")));
        assert_eq!(s.provider, Provider::None);
        let health = s.health();
        assert_eq!(health.status, "misconfigured");
        assert!(health.detail.contains("twilio"));
    }

    #[test]
    fn coturn_without_secret_is_misconfigured() {
        let mut t = settings(Some("coturn"));
        t.url = Some("turn:turn.example.com:3478".into());
        let s = select(&t);
        assert_eq!(s.provider, Provider::None);
        assert_eq!(s.health().provider, "coturn");
        assert!(s.health().detail.contains("TURN_SECRET"));
    }

    #[test]
    fn metered_and_cloudflare_are_selected_when_configured() {
        let mut t = settings(Some("metered"));
        t.api_key = Some("k".into());
        t.metered_app = Some("acme".into());
        assert!(matches!(select(&t).provider, Provider::Metered(_)));
        assert_eq!(select(&t).provider.remote().map(|r| r.name()), Some("metered"));
        let mut t = settings(Some("cloudflare"));
        t.key_id = Some("id".into());
        t.key_api_token = Some("tok".into());
        assert!(matches!(select(&t).provider, Provider::Cloudflare(_)));
        let missing = select(&settings(Some("cloudflare")));
        assert_eq!((missing.health().provider, missing.health().status), ("cloudflare", "misconfigured"));
    }

    #[test]
    fn error_field_reads_the_documented_error_body() {
        assert_eq!(error_field(r#"{"error":"Invalid API Key"}"#), ": Invalid API Key");
        assert_eq!(error_field("<html>"), "");
    }

    #[test]
    fn redaction_removes_the_url_and_the_secret() {
        let out = redact("GET https://x/?apiKey=a%20b failed: Invalid key a b", "https://x/?apiKey=a%20b", "a b");
        assert_eq!(out, "GET <provider URL> failed: Invalid key <redacted>");
        assert!(!redact("key a%20b echoed", "u", "a b").contains("a%20b"));
    }

    #[test]
    fn unusable_servers_are_dropped() {
        let ok = IceServer { urls: IceUrls::One("turn:a".into()), username: None, credential: None };
        let bad = IceServer { urls: IceUrls::One("http://a".into()), username: None, credential: None };
        let empty = IceServer { urls: IceUrls::Many(vec![]), username: None, credential: None };
        assert_eq!(keep_usable(vec![ok.clone(), bad, empty]), vec![ok]);
    }

    #[test]
    fn coturn_adds_a_credentialed_server() {
        let mut t = settings(Some("coturn"));
        t.url = Some("turn:turn.example.com:3478".into());
        t.secret = Some("s3cret".into());
        let s = select(&t);
        assert_eq!(s.health().status, "ok");
        assert!(!s.health().detail.contains("s3cret"));
        let (servers, expires) = with_stun(&["stun:a:3478".into()], local_credentials(&s.provider, "u1", 1000));
        assert_eq!(servers.len(), 2);
        assert_eq!(expires, Some(4600));
        assert_eq!(servers[1].username.as_deref(), Some("4600:u1"));
    }
}
