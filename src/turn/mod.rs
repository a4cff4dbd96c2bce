//! ICE servers for the join reply and `/api/ice-servers`: which provider `TURN_PROVIDER` selects,
//! whether its settings make sense, and the servers it hands a user. STUN (`STUN_URLS`) is always
//! included, so a broken TURN setup degrades to STUN-only instead of failing joins.

pub mod coturn;
pub mod stun;

use serde::Serialize;

use crate::config::TurnSettings;
use crate::protocol::IceServer;

/// What `TURN_PROVIDER` names, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    /// STUN only.
    None,
    /// Time-limited HMAC credentials for a coturn with `use-auth-secret`.
    Coturn(coturn::Coturn),
}

/// The provider block of `GET /api/health` (never contains secrets).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub provider: &'static str,
    pub status: &'static str,
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
            Some(cause) => Health { provider: self.requested, status: "misconfigured", detail: cause.clone() },
            None => Health {
                provider: self.requested,
                status: "ok",
                detail: match &self.provider {
                    Provider::None => "STUN only".to_owned(),
                    Provider::Coturn(c) => format!("coturn, {} URL(s), credentials live {} s", c.urls.len(), c.ttl_secs),
                },
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
        Some(other) => stun_only(
            "none",
            format!("TURN_PROVIDER={other:?} is not one of coturn, metered, cloudflare; serving STUN only"),
        ),
    }
}

/// ICE servers for `user_id` at `now` (unix seconds), and when their credentials expire.
pub fn ice_servers(selection: &Selection, stun_urls: &[String], user_id: &str, now: u64) -> (Vec<IceServer>, Option<u64>) {
    let mut servers = vec![stun::server(stun_urls)];
    match &selection.provider {
        Provider::None => (servers, None),
        Provider::Coturn(c) => {
            let (server, expires_at) = c.credentials(user_id, now);
            servers.push(server);
            (servers, Some(expires_at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(provider: Option<&str>) -> TurnSettings {
        TurnSettings { provider: provider.map(str::to_owned), ttl_secs: 3600, ..Default::default() }
    }

    #[test]
    fn unset_provider_is_stun_only_and_healthy() {
        let s = select(&settings(None));
        assert_eq!(s.provider, Provider::None);
        assert_eq!(s.health().status, "ok");
        let (servers, expires) = ice_servers(&s, &["stun:a:3478".into()], "u1", 0);
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
    fn coturn_adds_a_credentialed_server() {
        let mut t = settings(Some("coturn"));
        t.url = Some("turn:turn.example.com:3478".into());
        t.secret = Some("s3cret".into());
        let s = select(&t);
        assert_eq!(s.health().status, "ok");
        assert!(!s.health().detail.contains("s3cret"));
        let (servers, expires) = ice_servers(&s, &["stun:a:3478".into()], "u1", 1000);
        assert_eq!(servers.len(), 2);
        assert_eq!(expires, Some(4600));
        assert_eq!(servers[1].username.as_deref(), Some("4600:u1"));
    }
}
