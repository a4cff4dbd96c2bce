//! Webhooks to the host app (contract v1.1, Standard Webhooks): the settings, each event's body,
//! its signature, and the retry schedule. Which events a roster change makes is `events.rs`;
//! the space's Lobby queues them in storage and delivers them from its alarm (`lobby/webhooks.rs`).
//! A payload never holds a token, a session id or a secret: only the space, channel ids and the
//! public `Member`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

mod events;

pub use events::{events, Arrivals, EventKind, NewEvent, RosterChange};

/// How long a delivery may take before it counts as failed.
pub const TIMEOUT_MS: u64 = 10_000;
/// Events are retried for this long after they were made (the contract asks for at least 1 h).
pub const GIVE_UP_AFTER_MS: u64 = 3 * 3600 * 1000;
/// Most events kept waiting per space; past it the oldest are dropped (and logged).
pub const MAX_QUEUED: usize = 10_000;

/// `WEBHOOK_URL` and the key of `WEBHOOK_SECRET` (`whsec_<base64>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    pub url: String,
    pub key: Vec<u8>,
}

impl WebhookSettings {
    /// Both set and valid, or None and why not (None, None: webhooks are simply off).
    pub fn from_vars(url: Option<&str>, secret: Option<&str>) -> (Option<WebhookSettings>, Option<String>) {
        let (Some(url), Some(secret)) = (url, secret) else {
            return match (url, secret) {
                (None, None) => (None, None),
                _ => (None, Some("webhooks need both WEBHOOK_URL and WEBHOOK_SECRET; none are sent".into())),
            };
        };
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return (None, Some("WEBHOOK_URL must be an http(s) URL; no webhooks are sent".into()));
        }
        match secret.strip_prefix("whsec_").map(|k| B64.decode(k)) {
            Some(Ok(key)) if !key.is_empty() => (Some(WebhookSettings { url: url.to_owned(), key }), None),
            _ => (None, Some("WEBHOOK_SECRET must be whsec_<base64>; no webhooks are sent".into())),
        }
    }
}

/// One queued event, as stored: its id and body stay the same on every attempt.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub id: String,
    pub body: String,
    /// When the event was made (ms): it is given up `GIVE_UP_AFTER_MS` later.
    pub made_at: u64,
    pub attempts: u32,
    /// Not before this time (ms).
    pub next_at: u64,
}

impl Queued {
    pub fn new(event: &NewEvent, space: &str, now: u64, id: String) -> Queued {
        Queued { id, body: event.body(space, now), made_at: now, attempts: 0, next_at: now }
    }

    /// After a failed attempt at `now`: the next try, or None when it is given up.
    pub fn failed(&mut self, now: u64) -> Option<u64> {
        self.attempts += 1;
        if now >= self.made_at + GIVE_UP_AFTER_MS {
            return None;
        }
        self.next_at = now + backoff_ms(self.attempts);
        Some(self.next_at)
    }
}

/// The wait after `attempts` failures: 5 s, 10 s, 20 s, … up to 10 minutes (the first retry
/// comes within 10 s, as the contract asks).
pub fn backoff_ms(attempts: u32) -> u64 {
    (5_000u64 << attempts.saturating_sub(1).min(10)).min(600_000)
}

/// The `webhook-signature` header: `v1,` and base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
pub fn signature(key: &[u8], id: &str, timestamp_secs: u64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{id}.{timestamp_secs}.{body}").as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// `ms` since the epoch as an RFC 3339 UTC time with milliseconds (`2026-12-02T03:04:05.678Z`).
pub fn rfc3339(ms: u64) -> String {
    let (days, rem) = (ms / 86_400_000, ms % 86_400_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_need_both_and_a_whsec_secret() {
        let (ok, why) = WebhookSettings::from_vars(Some("http://127.0.0.1:9/hook"), Some("whsec_c2VjcmV0"));
        assert_eq!((ok.map(|s| s.key), why), (Some(b"secret".to_vec()), None));
        assert_eq!(WebhookSettings::from_vars(None, None), (None, None));
        for (url, secret) in [
            (Some("http://x/h"), None),
            (None, Some("whsec_c2VjcmV0")),
            (Some("ftp://x/h"), Some("whsec_c2VjcmV0")),
            (Some("http://x/h"), Some("c2VjcmV0")),
            (Some("http://x/h"), Some("whsec_!!")),
        ] {
            let (ok, why) = WebhookSettings::from_vars(url, secret);
            assert!(ok.is_none() && why.is_some(), "{url:?} {secret:?}");
        }
    }

    #[test]
    fn the_signature_is_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let key = B64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_180_645_678), "2026-12-02T03:04:05.678Z");
        assert_eq!(rfc3339(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn retries_back_off_and_stop_after_hours() {
        assert_eq!((backoff_ms(1), backoff_ms(2), backoff_ms(3)), (5_000, 10_000, 20_000));
        assert_eq!(backoff_ms(30), 600_000);
        let mut q = Queued { id: "m".into(), body: "{}".into(), made_at: 0, attempts: 0, next_at: 0 };
        assert_eq!(q.failed(1_000), Some(6_000));
        let mut tries = 1;
        let mut now = 6_000;
        while let Some(next) = q.failed(now) {
            now = next;
            tries += 1;
            assert!(tries < 100);
        }
        assert!(now >= 3600 * 1000, "retried for at least an hour: {now}");
    }
}
