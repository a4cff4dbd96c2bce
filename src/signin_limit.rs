//! The brake on scripted guest sign-ups: a token bucket per client address, kept per isolate
//! (best effort, not a global quota). An IPv6 client is keyed by its /64, since one subscriber
//! usually holds a whole /64 and could otherwise sign in from 2^64 addresses. The table is
//! bounded: when it is full the buckets idle longest go, never the whole table (clearing it
//! would hand a flooder a fresh quota along with everyone else).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use crate::rate_limit::{Bucket, Limits, Verdict};

/// Addresses remembered before the oldest are evicted (bounds memory: ~100 bytes each).
pub const MAX_TRACKED: usize = 10_000;
/// How many go at once when the table is full, so a stream of new addresses does not pay a scan
/// of the whole table per sign-in.
const EVICT_BATCH: usize = MAX_TRACKED / 10;

/// Whom a sign-in is counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Prefix([u8; 8]),
    /// A header that is not an address: every such sign-in shares one bucket, so garbage in
    /// the header is no way around the limit.
    Unparsable,
}

impl ClientKey {
    /// Reads `cf-connecting-ip`. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is that IPv4 address.
    pub fn from_header(value: &str) -> ClientKey {
        match value.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => ClientKey::V4(v4.octets()),
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4.octets()),
                None => ClientKey::V6Prefix(prefix64(&v6)),
            },
            Err(_) => ClientKey::Unparsable,
        }
    }
}

fn prefix64(v6: &Ipv6Addr) -> [u8; 8] {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&v6.octets()[..8]);
    prefix
}

struct Entry {
    bucket: Bucket,
    last_ms: u64,
}

/// Sign-in buckets by client key.
#[derive(Default)]
pub struct SigninLimiter {
    table: HashMap<ClientKey, Entry>,
}

impl SigninLimiter {
    /// Whether `key` may sign in at `now_ms` with `per_minute` sign-ins a minute (burst: a
    /// minute's worth). `per_minute == 0` means no limit.
    pub fn allow(&mut self, key: ClientKey, per_minute: u64, now_ms: u64) -> bool {
        if per_minute == 0 {
            return true;
        }
        let limits = Limits { per_sec: per_minute as f64 / 60.0, burst: per_minute as f64, strikes: u32::MAX };
        if self.table.len() >= MAX_TRACKED && !self.table.contains_key(&key) {
            self.evict_oldest();
        }
        let entry =
            self.table.entry(key).or_insert_with(|| Entry { bucket: Bucket::new(limits, now_ms), last_ms: now_ms });
        entry.last_ms = now_ms;
        entry.bucket.take(limits, now_ms) == Verdict::Allow
    }

    /// Drops the `EVICT_BATCH` entries used longest ago. A bucket idle for a minute is full
    /// again, the same as a new one, so under normal traffic this loses nothing.
    fn evict_oldest(&mut self) {
        let ages = || self.table.values().map(|e| e.last_ms);
        let (Some(mut lo), Some(mut hi)) = (ages().min(), ages().max()) else { return };
        // The oldest time at or before which EVICT_BATCH entries were last used, by bisection:
        // a sort would add 2 KB of wasm for a path taken once per thousand new addresses.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if ages().filter(|&t| t <= mid).count() >= EVICT_BATCH {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let mut to_drop = EVICT_BATCH;
        self.table.retain(|_, e| {
            let drop = to_drop > 0 && e.last_ms <= lo;
            to_drop -= usize::from(drop);
            !drop
        });
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> ClientKey {
        ClientKey::from_header(s)
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_key() {
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:0DB8:0001:0002:abcd::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }

    #[test]
    fn ipv4_is_keyed_by_the_whole_address_and_mapped_ipv6_is_ipv4() {
        assert_eq!(key("192.0.2.1"), ClientKey::V4([192, 0, 2, 1]));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_eq!(key(" 192.0.2.1 "), key("192.0.2.1"));
    }

    #[test]
    fn garbage_shares_one_bucket() {
        assert_eq!(key("not an ip"), ClientKey::Unparsable);
        assert_eq!(key("1.2.3.4, 5.6.7.8"), ClientKey::Unparsable);
        assert_eq!(key(""), ClientKey::Unparsable);
    }

    #[test]
    fn a_64_gets_one_minutes_worth_then_is_limited() {
        let mut l = SigninLimiter::default();
        let allowed = (0..200u32).filter(|i| l.allow(key(&format!("2001:db8:1:2::{i:x}")), 20, 1000)).count();
        assert_eq!(allowed, 20);
        assert!(l.allow(key("2001:db8:1:3::1"), 20, 1000), "another /64 is not limited");
        // Three seconds later one more (20 a minute).
        assert!(l.allow(key("2001:db8:1:2::1"), 20, 4000));
        assert!(!l.allow(key("2001:db8:1:2::1"), 20, 4000));
    }

    #[test]
    fn zero_means_no_limit_and_tracks_nothing() {
        let mut l = SigninLimiter::default();
        assert!((0..100).all(|_| l.allow(key("192.0.2.1"), 0, 0)));
        assert!(l.is_empty());
    }

    #[test]
    fn a_full_table_evicts_the_oldest_and_keeps_the_limited() {
        let mut l = SigninLimiter::default();
        // A limited client.
        for _ in 0..5 {
            l.allow(key("198.51.100.7"), 5, 0);
        }
        assert!(!l.allow(key("198.51.100.7"), 5, 0));
        // A flood of new addresses, each seen once; the limited client keeps coming back.
        for i in 0..(MAX_TRACKED as u32 * 2) {
            let a = i.to_be_bytes();
            l.allow(key(&format!("10.{}.{}.{}", a[1], a[2], a[3])), 5, 1);
            if i % 1000 == 0 {
                l.allow(key("198.51.100.7"), 5, 2);
            }
            assert!(l.len() <= MAX_TRACKED);
        }
        assert!(l.len() >= MAX_TRACKED - EVICT_BATCH, "never cleared: {}", l.len());
        // The limited client kept its (still empty) bucket: no fresh quota from the flood.
        assert!(!l.allow(key("198.51.100.7"), 5, 2));
    }
}
