//! Metered.ca: `GET <base>/api/v1/turn/credentials?apiKey=<TURN_API_KEY>` answers a JSON array
//! of `{urls, username?, credential?}`; 400/401 carry `{"error": "..."}`. The base is
//! `https://<METERED_APP>.metered.live`, or `METERED_API_URL` (the tests point it at loopback).

use super::{Credentials, RemoteProvider, RemoteRequest};
use crate::config::TurnSettings;
use crate::protocol::IceServer;

#[derive(Clone, PartialEq, Eq)]
pub struct Metered {
    base: String,
    api_key: String,
}

// The API key rides in the URL: never print either.
impl std::fmt::Debug for Metered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metered { .. }")
    }
}

impl Metered {
    pub fn from_settings(settings: &TurnSettings) -> Result<Metered, String> {
        let api_key = settings.api_key.clone().ok_or("TURN_PROVIDER=metered needs the TURN_API_KEY secret")?;
        let base = match (&settings.metered_api_url, &settings.metered_app) {
            (Some(url), _) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err("METERED_API_URL must be an http(s) base URL".into());
                }
                url.trim_end_matches('/').to_owned()
            }
            (None, Some(app)) => {
                if app.is_empty() || !app.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err("METERED_APP must be the app's subdomain (letters, digits, -)".into());
                }
                format!("https://{app}.metered.live")
            }
            (None, None) => return Err("TURN_PROVIDER=metered needs METERED_APP or METERED_API_URL".into()),
        };
        Ok(Metered { base, api_key })
    }
}

impl RemoteProvider for Metered {
    fn name(&self) -> &'static str {
        "metered"
    }

    fn secret(&self) -> &str {
        &self.api_key
    }

    fn request(&self) -> RemoteRequest {
        RemoteRequest {
            method: "GET",
            url: format!("{}/api/v1/turn/credentials?apiKey={}", self.base, url_encode(&self.api_key)),
            bearer: None,
            body: None,
        }
    }

    fn parse(&self, status: u16, body: &str, _now: u64) -> Result<Credentials, String> {
        if status != 200 {
            return Err(format!("metered answered {status}{}", super::error_field(body)));
        }
        let servers: Vec<IceServer> =
            serde_json::from_str(body).map_err(|e| format!("metered answered malformed JSON: {e}"))?;
        let servers = super::keep_usable(servers);
        if servers.is_empty() {
            return Err("metered answered no ICE servers".into());
        }
        // Metered's credentials are long-lived: nothing to refresh.
        Ok(Credentials { servers, expires_at: None })
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metered() -> Metered {
        Metered::from_settings(&TurnSettings {
            api_key: Some("k3y".into()),
            metered_app: Some("acme".into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn request_goes_to_the_app_subdomain_with_the_key() {
        let req = metered().request();
        assert_eq!(req.method, "GET");
        assert_eq!(req.url, "https://acme.metered.live/api/v1/turn/credentials?apiKey=k3y");
    }

    #[test]
    fn api_url_overrides_the_app() {
        let m = Metered::from_settings(&TurnSettings {
            api_key: Some("a b".into()),
            metered_api_url: Some("http://127.0.0.1:9999/".into()),
            metered_app: Some("acme".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(m.request().url, "http://127.0.0.1:9999/api/v1/turn/credentials?apiKey=a%20b");
    }

    #[test]
    fn missing_settings_are_misconfiguration() {
        assert!(
            Metered::from_settings(&TurnSettings { metered_app: Some("acme".into()), ..Default::default() }).is_err()
        );
        assert!(Metered::from_settings(&TurnSettings { api_key: Some("k".into()), ..Default::default() }).is_err());
        let bad_app = TurnSettings { api_key: Some("k".into()), metered_app: Some("a/b".into()), ..Default::default() };
        assert!(Metered::from_settings(&bad_app).is_err());
    }

    #[test]
    fn documented_answer_parses() {
        let body = r#"[
            {"urls": "stun:stun.relay.metered.ca:80"},
            {"urls": "turn:global.relay.metered.ca:80", "username": "u", "credential": "c"},
            {"urls": ["turns:global.relay.metered.ca:443?transport=tcp"], "username": "u", "credential": "c"}
        ]"#;
        let creds = metered().parse(200, body, 0).unwrap();
        assert_eq!(creds.servers.len(), 3);
        assert_eq!(creds.servers[1].username.as_deref(), Some("u"));
        assert_eq!(creds.expires_at, None);
    }

    #[test]
    fn error_bodies_and_garbage_are_errors() {
        let unauthorized = metered().parse(401, r#"{"error":"Invalid API Key"}"#, 0).unwrap_err();
        assert!(unauthorized.contains("401") && unauthorized.contains("Invalid API Key"), "{unauthorized}");
        assert!(metered().parse(500, "oops", 0).unwrap_err().contains("500"));
        assert!(metered().parse(200, "{not json", 0).is_err());
        assert!(metered().parse(200, r#"{"urls":"x"}"#, 0).is_err());
        assert!(metered().parse(200, "[]", 0).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(!format!("{:?}", metered()).contains("k3y"));
    }
}
