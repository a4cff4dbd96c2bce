//! Every environment variable, its default and its validation, in one place. Pure: built from a
//! lookup function so the host tests can feed it anything; the worker passes `Env`.

use std::collections::HashSet;

pub const DEFAULT_CHANNELS: &str = "general:General,gaming:Gaming,music:Music";
pub const DEFAULT_STUN_URLS: &str = "stun:stun.cloudflare.com:3478";
pub const DEFAULT_GRACE_SECS: u64 = 15;
pub const DEFAULT_HEARTBEAT_SECS: u64 = 30;
pub const DEFAULT_MAX_MEMBERS: usize = 16;
pub const DEFAULT_TURN_TTL_SECS: u64 = 3600;
pub const DEFAULT_RATE_PER_SEC: u64 = 50;
pub const DEFAULT_RATE_BURST: u64 = 100;
/// Guest sign-ins a minute from one address (README and wrangler.toml say the same; a test
/// below holds wrangler.toml to these defaults).
pub const DEFAULT_SIGNIN_PER_MINUTE: u64 = 20;
/// Joins one user may make in one room per 10 s (`JOINS_PER_10_SECS`; 0 = no limit).
pub const DEFAULT_JOINS_PER_10_SECS: u64 = 5;
/// Guest tokens live 7 days (contract).
pub const GUEST_TOKEN_SECS: u64 = 7 * 24 * 3600;
/// A temporary channel is deleted after this long empty (`TEMP_CHANNEL_IDLE_SECS`).
pub const DEFAULT_TEMP_CHANNEL_IDLE_SECS: u64 = 300;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub name: String,
}

/// TURN settings as configured; `turn::select` decides what they mean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnSettings {
    pub provider: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub ttl_secs: u64,
    pub api_key: Option<String>,
    pub metered_app: Option<String>,
    pub metered_api_url: Option<String>,
    pub key_id: Option<String>,
    pub key_api_token: Option<String>,
    /// Base of Cloudflare's TURN key API (tests point it at loopback).
    pub cloudflare_api_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub auth_secret: Option<String>,
    pub guest_signin: bool,
    pub channels: Vec<Channel>,
    pub allowed_origins: Vec<String>,
    /// `PUBLIC_ORIGIN`: when set, the page's own origin for the Origin check, instead of the
    /// request's Host (which a client can choose). Normalized: lower case, no default port.
    pub public_origin: Option<String>,
    pub stun_urls: Vec<String>,
    pub grace_secs: u64,
    pub heartbeat_secs: u64,
    pub max_members: usize,
    /// Messages per second and burst a socket may send before `rate_limited`.
    pub rate_per_sec: u64,
    pub rate_burst: u64,
    /// Guest sign-ins per minute from one IP (per isolate; 0 = unlimited).
    pub signin_per_minute: u64,
    /// Joins of one user in one room per 10 s (0 = no limit); a resume of the same tab is free.
    pub joins_per_10_secs: u64,
    /// `ADMIN_API_KEY` (secret): the admin API's bearer key; None = the admin API answers 503.
    pub admin_api_key: Option<String>,
    /// Seconds a temporary channel may stay empty before it is deleted.
    pub temp_channel_idle_secs: u64,
    /// Where the worker runs: "workerd" when self-hosted (`RUNTIME=workerd`, which
    /// scripts/serve.sh sets), else "cloudflare".
    pub runtime: &'static str,
    /// What its Durable Objects store on (`STORAGE`, e.g. "disk" when self-hosted).
    pub storage_kind: String,
    /// `WEBHOOK_URL` + `WEBHOOK_SECRET` (secret), when both are set and valid.
    pub webhook: Option<crate::webhook::WebhookSettings>,
    pub turn: TurnSettings,
    /// Problems found while reading the variables (each fell back to its default).
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads every variable through `lookup` (empty values count as unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut warnings = Vec::new();

        let guest_signin = match get("GUEST_SIGNIN").as_deref() {
            None => true,
            Some(v) => match parse_bool(v) {
                Some(b) => b,
                None => {
                    warnings.push(format!("GUEST_SIGNIN={v:?} is not true/false; using true"));
                    true
                }
            },
        };

        let channels = match get("VOICE_CHANNELS") {
            None => parse_channels(DEFAULT_CHANNELS).unwrap_or_default(),
            Some(spec) => parse_channels(&spec).unwrap_or_else(|err| {
                warnings.push(format!("VOICE_CHANNELS: {err}; using the default channels"));
                parse_channels(DEFAULT_CHANNELS).unwrap_or_default()
            }),
        };

        let stun_urls = {
            let urls = split_list(get("STUN_URLS").as_deref().unwrap_or(DEFAULT_STUN_URLS));
            let (good, bad): (Vec<_>, Vec<_>) =
                urls.into_iter().partition(|u| u.starts_with("stun:") || u.starts_with("stuns:"));
            if !bad.is_empty() {
                warnings.push(format!("STUN_URLS: ignoring {} entries that are not stun: URLs", bad.len()));
            }
            // Never empty (contract).
            if good.is_empty() {
                vec![DEFAULT_STUN_URLS.to_owned()]
            } else {
                good
            }
        };

        let mut number = |name: &str, default: u64, min: u64, max: u64| -> u64 {
            match get(name) {
                None => default,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        warnings.push(format!("{name}={v:?} is not a whole number in {min}..={max}; using {default}"));
                        default
                    }
                },
            }
        };
        let grace_secs = number("RECONNECT_GRACE_SECS", DEFAULT_GRACE_SECS, 0, 3600);
        let heartbeat_secs = number("HEARTBEAT_TIMEOUT_SECS", DEFAULT_HEARTBEAT_SECS, 1, 3600);
        let max_members = number("MAX_MEMBERS", DEFAULT_MAX_MEMBERS as u64, 1, 1000) as usize;
        let ttl_secs = number("TURN_TTL_SECS", DEFAULT_TURN_TTL_SECS, 60, 7 * 24 * 3600);
        let rate_per_sec = number("RATE_LIMIT_PER_SEC", DEFAULT_RATE_PER_SEC, 1, 100_000);
        let rate_burst = number("RATE_LIMIT_BURST", DEFAULT_RATE_BURST, 1, 100_000);
        let signin_per_minute = number("GUEST_SIGNIN_PER_MINUTE", DEFAULT_SIGNIN_PER_MINUTE, 0, 100_000);
        let joins_per_10_secs = number("JOINS_PER_10_SECS", DEFAULT_JOINS_PER_10_SECS, 0, 100_000);
        let temp_channel_idle_secs = number("TEMP_CHANNEL_IDLE_SECS", DEFAULT_TEMP_CHANNEL_IDLE_SECS, 1, 7 * 24 * 3600);

        let (webhook, webhook_problem) = crate::webhook::WebhookSettings::from_vars(
            get("WEBHOOK_URL").as_deref(),
            lookup("WEBHOOK_SECRET").filter(|s| !s.is_empty()).as_deref(),
        );
        warnings.extend(webhook_problem);

        let public_origin = get("PUBLIC_ORIGIN").and_then(|v| match parse_origin(&v) {
            Ok(origin) => Some(origin),
            Err(err) => {
                warnings.push(format!("PUBLIC_ORIGIN={v:?} {err}; ignoring it (the request's own origin counts)"));
                None
            }
        });

        Config {
            auth_secret: lookup("AUTH_SECRET").filter(|s| !s.is_empty()),
            guest_signin,
            channels,
            allowed_origins: split_list(get("ALLOWED_ORIGINS").as_deref().unwrap_or(""))
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
            public_origin,
            stun_urls,
            grace_secs,
            heartbeat_secs,
            max_members,
            rate_per_sec,
            rate_burst,
            signin_per_minute,
            joins_per_10_secs,
            admin_api_key: lookup("ADMIN_API_KEY").filter(|s| !s.is_empty()),
            temp_channel_idle_secs,
            runtime: if get("RUNTIME").as_deref() == Some("workerd") { "workerd" } else { "cloudflare" },
            storage_kind: get("STORAGE").unwrap_or_else(|| "cloudflare".to_owned()),
            webhook,
            turn: TurnSettings {
                provider: get("TURN_PROVIDER").map(|p| p.to_ascii_lowercase()),
                url: get("TURN_URL"),
                secret: lookup("TURN_SECRET").filter(|s| !s.is_empty()),
                ttl_secs,
                api_key: lookup("TURN_API_KEY").filter(|s| !s.is_empty()),
                metered_app: get("METERED_APP"),
                metered_api_url: get("METERED_API_URL"),
                key_id: get("TURN_KEY_ID"),
                key_api_token: lookup("TURN_KEY_API_TOKEN").filter(|s| !s.is_empty()),
                cloudflare_api_url: get("CLOUDFLARE_TURN_API_URL"),
            },
            warnings,
        }
    }

    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// An origin as a browser sends it in `Origin`: `scheme://host[:port]`, http or https, no path,
/// query or user info; lower-cased and without the scheme's default port, as browsers write it.
/// A single trailing `/` is forgiven.
pub fn parse_origin(v: &str) -> Result<String, &'static str> {
    let lower = v.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = lower.split_once("://").ok_or("is not an origin like https://voice.example.com")?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err("must start with https:// or http://"),
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', '\\', ' ']) {
        return Err("must be scheme://host[:port] with no path, query or user info");
    }
    // The port is after the last ':' unless that ':' is inside an IPv6 literal.
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let host_ok = if let Some(inner) = host.strip_prefix('[') {
        inner.strip_suffix(']').is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
    } else {
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    if !host_ok {
        return Err("has no valid host");
    }
    match port {
        None => Ok(format!("{scheme}://{host}")),
        Some(p) if p == default_port => Ok(format!("{scheme}://{host}")),
        Some(p) if p.parse::<u16>().is_ok_and(|n| n > 0) && !p.starts_with('0') => Ok(format!("{scheme}://{host}:{p}")),
        Some(_) => Err("has an invalid port"),
    }
}

/// `id:Name,id2:Name 2` → channels. Ids are URL-safe (`[a-z0-9_-]`, 1–64); a missing name is the id.
pub fn parse_channels(spec: &str) -> Result<Vec<Channel>, String> {
    let mut channels = Vec::new();
    let mut seen = HashSet::new();
    for entry in split_list(spec) {
        let (id, name) = match entry.split_once(':') {
            Some((id, name)) => (id.trim(), name.trim()),
            None => (entry.as_str(), entry.as_str()),
        };
        if !crate::space::valid_id(id) {
            return Err(format!("channel id {id:?} must be 1-64 of a-z, 0-9, - and _"));
        }
        if crate::channels::valid_channel_name(name).is_none() {
            return Err(format!("channel {id:?} needs a name of 1-64 printable characters"));
        }
        if !seen.insert(id.to_owned()) {
            return Err(format!("channel id {id:?} appears twice"));
        }
        channels.push(Channel { id: id.to_owned(), name: name.to_owned() });
    }
    if channels.is_empty() {
        return Err("no channels".into());
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = config(&[]);
        assert_eq!(c.auth_secret, None);
        assert!(c.guest_signin);
        let ids: Vec<_> = c.channels.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
        assert_eq!(ids, [("general", "General"), ("gaming", "Gaming"), ("music", "Music")]);
        assert_eq!(c.stun_urls, ["stun:stun.cloudflare.com:3478"]);
        assert_eq!((c.grace_secs, c.heartbeat_secs, c.max_members), (15, 30, 16));
        assert_eq!(c.turn.ttl_secs, 3600);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn channels_parse_ids_and_names() {
        let c = config(&[("VOICE_CHANNELS", " lounge:The Lounge , dev:Dev Talk,afk ")]);
        let ids: Vec<_> = c.channels.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
        assert_eq!(ids, [("lounge", "The Lounge"), ("dev", "Dev Talk"), ("afk", "afk")]);
        assert_eq!(c.channel("dev").map(|c| c.name.as_str()), Some("Dev Talk"));
        assert_eq!(c.channel("nope"), None);
    }

    #[test]
    fn bad_channel_specs_are_refused() {
        assert!(parse_channels("Bad Id:x").is_err());
        assert!(parse_channels("a:x,a:y").is_err());
        assert!(parse_channels(",,").is_err());
        assert!(parse_channels("a:").is_err());
        assert!(parse_channels(&format!("{}:x", "a".repeat(65))).is_err());
    }

    #[test]
    fn bad_channel_spec_falls_back_with_a_warning() {
        let c = config(&[("VOICE_CHANNELS", "NOT VALID")]);
        assert_eq!(c.channels.len(), 3);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn guest_signin_can_be_turned_off() {
        assert!(!config(&[("GUEST_SIGNIN", "false")]).guest_signin);
        assert!(!config(&[("GUEST_SIGNIN", "0")]).guest_signin);
        assert!(config(&[("GUEST_SIGNIN", "maybe")]).guest_signin);
    }

    #[test]
    fn numbers_out_of_range_fall_back() {
        let c = config(&[("RECONNECT_GRACE_SECS", "2"), ("HEARTBEAT_TIMEOUT_SECS", "0"), ("MAX_MEMBERS", "x")]);
        assert_eq!((c.grace_secs, c.heartbeat_secs, c.max_members), (2, 30, 16));
        assert_eq!(c.warnings.len(), 2);
    }

    #[test]
    fn stun_urls_are_never_empty() {
        assert_eq!(config(&[("STUN_URLS", "http://x")]).stun_urls, ["stun:stun.cloudflare.com:3478"]);
        assert_eq!(config(&[("STUN_URLS", "stun:a:3478, stun:b:3478")]).stun_urls, ["stun:a:3478", "stun:b:3478"]);
    }

    #[test]
    fn wrangler_toml_vars_are_the_defaults() {
        // The defaults live here; wrangler.toml lists them for people reading it, and must agree.
        let mut vars = HashMap::new();
        let mut in_vars = false;
        for line in include_str!("../wrangler.toml").lines().map(str::trim) {
            if line.starts_with('[') {
                in_vars = line == "[vars]";
            } else if let Some((k, v)) = line.split_once('=').filter(|_| in_vars && !line.starts_with('#')) {
                vars.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
            }
        }
        assert!(vars.contains_key("GUEST_SIGNIN_PER_MINUTE"), "{vars:?}");
        assert_eq!(Config::from_lookup(|k| vars.get(k).cloned()), config(&[]));
        assert_eq!(config(&[]).signin_per_minute, 20);
    }

    #[test]
    fn the_admin_key_is_a_secret_and_temporary_channels_idle_5_minutes() {
        assert_eq!((config(&[]).admin_api_key, config(&[]).temp_channel_idle_secs), (None, 300));
        let c = config(&[("ADMIN_API_KEY", "k"), ("TEMP_CHANNEL_IDLE_SECS", "1")]);
        assert_eq!((c.admin_api_key.as_deref(), c.temp_channel_idle_secs), (Some("k"), 1));
        assert_eq!(config(&[("TEMP_CHANNEL_IDLE_SECS", "0")]).temp_channel_idle_secs, 300);
    }

    #[test]
    fn a_self_hosted_worker_knows_it() {
        assert_eq!((config(&[]).runtime, config(&[]).storage_kind.as_str()), ("cloudflare", "cloudflare"));
        let c = config(&[("RUNTIME", "workerd"), ("STORAGE", "disk")]);
        assert_eq!((c.runtime, c.storage_kind.as_str()), ("workerd", "disk"));
    }

    #[test]
    fn the_join_limit_defaults_to_5_and_0_turns_it_off() {
        assert_eq!(config(&[]).joins_per_10_secs, 5);
        assert_eq!(config(&[("JOINS_PER_10_SECS", "0")]).joins_per_10_secs, 0);
    }

    #[test]
    fn public_origin_is_validated_and_normalized() {
        let origin = |v: &str| config(&[("PUBLIC_ORIGIN", v)]);
        assert_eq!(config(&[]).public_origin, None);
        assert_eq!(origin("https://Voice.Example.com").public_origin.as_deref(), Some("https://voice.example.com"));
        assert_eq!(
            origin("https://voice.example.com:443/").public_origin.as_deref(),
            Some("https://voice.example.com")
        );
        assert_eq!(origin("http://localhost:8787").public_origin.as_deref(), Some("http://localhost:8787"));
        assert_eq!(origin("http://[::1]:8787").public_origin.as_deref(), Some("http://[::1]:8787"));
        for bad in [
            "voice.example.com",
            "ftp://voice.example.com",
            "https://voice.example.com/app",
            "https://voice.example.com?x=1",
            "https://user@voice.example.com",
            "https://",
            "https://voice.example.com:99999",
            "https://voice.example.com:0",
            "https://voice.example.com:",
            "https://exa mple.com",
            "https://[nope]:80",
        ] {
            let c = origin(bad);
            assert_eq!(c.public_origin, None, "{bad}");
            assert!(c.warnings.iter().any(|w| w.contains("PUBLIC_ORIGIN")), "{bad}: {:?}", c.warnings);
        }
    }

    #[test]
    fn allowed_origins_are_exact_and_trimmed() {
        let c = config(&[("ALLOWED_ORIGINS", "https://a.example, https://b.example/")]);
        assert_eq!(c.allowed_origins, ["https://a.example", "https://b.example"]);
    }
}
