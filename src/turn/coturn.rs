//! coturn's TURN REST API scheme (`use-auth-secret`): username `"<expiry>:<user_id>"`, credential
//! base64(HMAC-SHA1(secret, username)). coturn checks the expiry only when an allocation is made.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::config::TurnSettings;
use crate::protocol::{IceServer, IceUrls};

#[derive(Clone, PartialEq, Eq)]
pub struct Coturn {
    pub urls: Vec<String>,
    secret: String,
    pub ttl_secs: u64,
}

// Hand-written so the secret can never reach a log line through `{:?}`.
impl std::fmt::Debug for Coturn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coturn").field("urls", &self.urls).field("ttl_secs", &self.ttl_secs).finish_non_exhaustive()
    }
}

impl Coturn {
    pub fn from_settings(settings: &TurnSettings) -> Result<Coturn, String> {
        let secret =
            settings.secret.clone().ok_or("TURN_PROVIDER=coturn needs the TURN_SECRET secret; serving STUN only")?;
        let urls: Vec<String> = settings
            .url
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if urls.is_empty() {
            return Err(
                "TURN_PROVIDER=coturn needs TURN_URL (e.g. turn:turn.example.com:3478); serving STUN only".into()
            );
        }
        if let Some(bad) = urls.iter().find(|u| !valid_turn_url(u)) {
            return Err(format!("TURN_URL entry {bad:?} is not a turn: or turns: URL with a host; serving STUN only"));
        }
        Ok(Coturn { urls, secret, ttl_secs: settings.ttl_secs })
    }

    /// The credential for `user_id`, valid until `now + ttl`; returns the server and that expiry.
    pub fn credentials(&self, user_id: &str, now: u64) -> (IceServer, u64) {
        let expires_at = now + self.ttl_secs;
        let username = format!("{expires_at}:{user_id}");
        let credential = credential(&self.secret, &username);
        let server = IceServer {
            urls: IceUrls::Many(self.urls.clone()),
            username: Some(username),
            credential: Some(credential),
        };
        (server, expires_at)
    }
}

/// base64(HMAC-SHA1(secret, username)), as coturn computes it.
pub fn credential(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(username.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// `turn:host[:port][?transport=udp|tcp]` or `turns:…`.
fn valid_turn_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("turn:").or_else(|| url.strip_prefix("turns:")) else {
        return false;
    };
    let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
    let host = match hostport.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || hostport.starts_with('[') => {
            if port.parse::<u16>().is_err() {
                return false;
            }
            host
        }
        _ => hostport,
    };
    let query_ok = query.is_empty() || query == "transport=udp" || query == "transport=tcp";
    !host.is_empty() && !host.contains(['/', ' ', '@']) && query_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, secret: &str) -> TurnSettings {
        TurnSettings {
            provider: Some("coturn".into()),
            url: Some(url.into()),
            secret: Some(secret.into()),
            ttl_secs: 3600,
            ..Default::default()
        }
    }

    // Expected values computed independently:
    //   printf '%s' '1700003600:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64
    #[test]
    fn credential_matches_openssl() {
        assert_eq!(credential("north", "1700003600:alice"), "wjwSXO2ch1B6VaLTLMy2Avn5O9o=");
        assert_eq!(credential("s3cret", "4600:u1"), "Hr3a8OFzVgKER/q4CXdZJ4+OILI=");
    }

    #[test]
    fn username_carries_the_expiry_then_the_user() {
        let c = Coturn::from_settings(&settings("turn:t.example:3478", "north")).unwrap();
        let (server, expires) = c.credentials("alice", 1_700_000_000);
        assert_eq!(expires, 1_700_003_600);
        assert_eq!(server.username.as_deref(), Some("1700003600:alice"));
        assert_eq!(server.credential.as_deref(), Some("wjwSXO2ch1B6VaLTLMy2Avn5O9o="));
    }

    #[test]
    fn several_urls_are_split_on_commas() {
        let c = Coturn::from_settings(&settings(
            "turn:t.example:3478?transport=udp, turns:t.example:5349?transport=tcp",
            "x",
        ))
        .unwrap();
        assert_eq!(c.urls, ["turn:t.example:3478?transport=udp", "turns:t.example:5349?transport=tcp"]);
    }

    #[test]
    fn bad_urls_are_misconfiguration() {
        for url in ["", "http://t.example", "turn:", "turn:t.example:99999", "turn:t.example?transport=quic"] {
            assert!(Coturn::from_settings(&settings(url, "x")).is_err(), "{url}");
        }
        assert!(Coturn::from_settings(&settings("turn:[::1]:3478", "x")).is_ok());
        assert!(Coturn::from_settings(&settings("turn:127.0.0.1", "x")).is_ok());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let c = Coturn::from_settings(&settings("turn:t.example:3478", "hunter2")).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
