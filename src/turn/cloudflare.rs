//! Cloudflare Realtime TURN: `POST https://rtc.live.cloudflare.com/v1/turn/keys/<TURN_KEY_ID>/
//! credentials/generate-ice-servers` with `Authorization: Bearer <TURN_KEY_API_TOKEN>` and
//! `{"ttl": ...}`; the 201 answer is `{"iceServers": [...]}` (or one object). URLs on port 53
//! are dropped: browsers block them and they only slow ICE down.

use serde::Deserialize;

use super::{Credentials, RemoteProvider, RemoteRequest};
use crate::config::TurnSettings;
use crate::protocol::{IceServer, IceUrls};

const API: &str = "https://rtc.live.cloudflare.com/v1/turn/keys";

#[derive(Clone, PartialEq, Eq)]
pub struct Cloudflare {
    api: String,
    key_id: String,
    token: String,
    pub ttl_secs: u64,
}

impl std::fmt::Debug for Cloudflare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cloudflare").field("ttl_secs", &self.ttl_secs).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<IceServer>),
    One(IceServer),
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "iceServers")]
    ice_servers: OneOrMany,
}

impl Cloudflare {
    pub fn from_settings(settings: &TurnSettings) -> Result<Cloudflare, String> {
        let key_id = settings.key_id.clone().ok_or("TURN_PROVIDER=cloudflare needs TURN_KEY_ID")?;
        if !key_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err("TURN_KEY_ID must be the key's id (letters, digits, - and _)".into());
        }
        let token =
            settings.key_api_token.clone().ok_or("TURN_PROVIDER=cloudflare needs the TURN_KEY_API_TOKEN secret")?;
        let api = match &settings.cloudflare_api_url {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(_) => return Err("CLOUDFLARE_TURN_API_URL must be an http(s) URL".into()),
            None => API.to_owned(),
        };
        Ok(Cloudflare { api, key_id, token, ttl_secs: settings.ttl_secs })
    }
}

impl RemoteProvider for Cloudflare {
    fn name(&self) -> &'static str {
        "cloudflare"
    }

    fn secret(&self) -> &str {
        &self.token
    }

    fn request(&self) -> RemoteRequest {
        RemoteRequest {
            method: "POST",
            url: format!("{}/{}/credentials/generate-ice-servers", self.api, self.key_id),
            bearer: Some(self.token.clone()),
            body: Some(format!(r#"{{"ttl":{}}}"#, self.ttl_secs)),
        }
    }

    fn parse(&self, status: u16, body: &str, now: u64) -> Result<Credentials, String> {
        if status != 201 && status != 200 {
            return Err(format!("cloudflare answered {status}{}", super::error_field(body)));
        }
        let answer: Answer =
            serde_json::from_str(body).map_err(|e| format!("cloudflare answered malformed JSON: {e}"))?;
        let servers = match answer.ice_servers {
            OneOrMany::Many(servers) => servers,
            OneOrMany::One(server) => vec![server],
        };
        let servers: Vec<IceServer> = servers.into_iter().filter_map(drop_port_53).collect();
        let servers = super::keep_usable(servers);
        if servers.is_empty() {
            return Err("cloudflare answered no usable ICE servers".into());
        }
        Ok(Credentials { servers, expires_at: Some(now + self.ttl_secs) })
    }
}

fn on_port_53(url: &str) -> bool {
    let without_query = url.split('?').next().unwrap_or(url);
    without_query.ends_with(":53")
}

fn drop_port_53(server: IceServer) -> Option<IceServer> {
    let urls: Vec<String> = server.urls.as_vec().into_iter().filter(|u| !on_port_53(u)).map(str::to_owned).collect();
    (!urls.is_empty()).then_some(IceServer { urls: IceUrls::Many(urls), ..server })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloudflare() -> Cloudflare {
        Cloudflare::from_settings(&TurnSettings {
            key_id: Some("abc123".into()),
            key_api_token: Some("t0ken".into()),
            ttl_secs: 3600,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn request_posts_the_ttl_with_the_bearer_token() {
        let req = cloudflare().request();
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://rtc.live.cloudflare.com/v1/turn/keys/abc123/credentials/generate-ice-servers");
        assert_eq!(req.bearer.as_deref(), Some("t0ken"));
        assert_eq!(req.body.as_deref(), Some(r#"{"ttl":3600}"#));
    }

    #[test]
    fn documented_answer_parses_without_port_53() {
        let body = r#"{"iceServers": [
            {"urls": ["stun:stun.cloudflare.com:3478", "stun:stun.cloudflare.com:53"]},
            {"urls": ["turn:turn.cloudflare.com:3478?transport=udp", "turn:turn.cloudflare.com:53?transport=udp",
                      "turns:turn.cloudflare.com:5349?transport=tcp"],
             "username": "u", "credential": "c"}
        ]}"#;
        let creds = cloudflare().parse(201, body, 1000).unwrap();
        assert_eq!(creds.expires_at, Some(4600));
        let all: Vec<&str> = creds.servers.iter().flat_map(|s| s.urls.as_vec()).collect();
        assert_eq!(
            all,
            [
                "stun:stun.cloudflare.com:3478",
                "turn:turn.cloudflare.com:3478?transport=udp",
                "turns:turn.cloudflare.com:5349?transport=tcp"
            ]
        );
    }

    #[test]
    fn single_object_answer_parses() {
        let body = r#"{"iceServers": {"urls": ["turn:t:3478"], "username": "u", "credential": "c"}}"#;
        assert_eq!(cloudflare().parse(201, body, 0).unwrap().servers.len(), 1);
    }

    #[test]
    fn error_bodies_and_garbage_are_errors() {
        assert!(cloudflare().parse(401, r#"{"error":"bad token"}"#, 0).unwrap_err().contains("401"));
        assert!(cloudflare().parse(500, "", 0).is_err());
        assert!(cloudflare().parse(201, "<html>", 0).is_err());
        assert!(cloudflare().parse(201, r#"{"iceServers": [{"urls": ["turn:t:53"]}]}"#, 0).is_err());
    }

    #[test]
    fn missing_settings_are_misconfiguration() {
        assert!(Cloudflare::from_settings(&TurnSettings { key_id: Some("k".into()), ..Default::default() }).is_err());
        assert!(
            Cloudflare::from_settings(&TurnSettings { key_api_token: Some("t".into()), ..Default::default() }).is_err()
        );
    }

    #[test]
    fn debug_hides_the_token() {
        assert!(!format!("{:?}", cloudflare()).contains("t0ken"));
    }
}
