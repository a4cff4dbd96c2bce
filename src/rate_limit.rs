//! Token buckets: per socket in a room (a flood gets `rate_limited` errors, then close 4029) and,
//! through `signin_limit.rs`, per client address for guest sign-in; and the joins per user a
//! room admits ([`JoinLimit`]). Plain data over a millisecond clock, host-tested.

use std::collections::HashMap;

/// What to do with one message.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Verdict {
    Allow,
    /// Drop it; `notify` is true at most once per second, so the errors do not become a flood.
    Reject {
        notify: bool,
    },
    /// The socket kept flooding after being told: close it with 4029.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub per_sec: f64,
    pub burst: f64,
    /// Rejected messages tolerated before the socket is closed.
    pub strikes: u32,
}

impl Limits {
    pub const SOCKET: Limits = Limits { per_sec: 50.0, burst: 100.0, strikes: 200 };
}

/// How many joins one user may make in one room per [`JoinLimit::WINDOW_MS`]: every join of a
/// new socket tells everyone else (`member_joined`, then `member_left`) and makes them build a
/// peer connection, so join/leave churn is paid by the others. A sliding window per user.
#[derive(Debug, Clone, Default)]
pub struct JoinLimit {
    /// Each user who joined lately, with the times of their counted joins within the window,
    /// oldest first. A map: a busy room sees thousands of users in a window, and a join must not
    /// cost a scan of all of them.
    recent: HashMap<String, Vec<u64>>,
    /// When users with no join left in the window are next looked for (at most once a second).
    next_prune: u64,
}

impl JoinLimit {
    pub const WINDOW_MS: u64 = 10_000;
    /// Users tracked before the idle ones are looked for.
    const PRUNE_AT: usize = 256;
    /// The least time between two such looks.
    const PRUNE_EVERY_MS: u64 = 1_000;

    /// Whether `user_id` may join now, given `max` joins per window (0: no limit); if so, the
    /// join is counted.
    pub fn admit(&mut self, user_id: &str, max: u64, now: u64) -> bool {
        if max == 0 {
            return true;
        }
        if self.recent.len() >= Self::PRUNE_AT && now >= self.next_prune {
            self.recent.retain(|_, times| times.last().is_some_and(|t| now < t + Self::WINDOW_MS));
            self.next_prune = now + Self::PRUNE_EVERY_MS;
        }
        let times = match self.recent.get_mut(user_id) {
            Some(times) => times,
            None => self.recent.entry(user_id.to_owned()).or_default(),
        };
        times.retain(|t| now < t + Self::WINDOW_MS);
        if times.len() as u64 >= max {
            return false;
        }
        times.push(now);
        true
    }

    /// How many users are tracked (for tests).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.recent.len()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    tokens: f64,
    last_ms: u64,
    rejected: u32,
    last_notice_ms: Option<u64>,
}

impl Bucket {
    pub fn new(limits: Limits, now_ms: u64) -> Self {
        Bucket { tokens: limits.burst, last_ms: now_ms, rejected: 0, last_notice_ms: None }
    }

    pub fn take(&mut self, limits: Limits, now_ms: u64) -> Verdict {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * limits.per_sec).min(limits.burst);
        self.last_ms = now_ms;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // A socket that calmed down for a full burst's worth of time is forgiven.
            if self.tokens >= limits.burst - 1.0 {
                self.rejected = 0;
            }
            return Verdict::Allow;
        }
        self.rejected += 1;
        if self.rejected > limits.strikes {
            return Verdict::Close;
        }
        let notify = self.last_notice_ms.is_none_or(|t| now_ms >= t + 1000);
        if notify {
            self.last_notice_ms = Some(now_ms);
        }
        Verdict::Reject { notify }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { per_sec: 50.0, burst: 100.0, strikes: 20 };

    #[test]
    fn a_burst_is_allowed() {
        let mut b = Bucket::new(L, 0);
        assert!((0..100).all(|_| b.take(L, 0) == Verdict::Allow));
    }

    #[test]
    fn past_the_burst_messages_are_rejected_with_one_notice_per_second() {
        let mut b = Bucket::new(L, 0);
        (0..100).for_each(|_| {
            b.take(L, 0);
        });
        assert_eq!(b.take(L, 0), Verdict::Reject { notify: true });
        assert_eq!(b.take(L, 1), Verdict::Reject { notify: false });
    }

    #[test]
    fn tokens_refill_at_the_rate() {
        let mut b = Bucket::new(L, 0);
        (0..100).for_each(|_| {
            b.take(L, 0);
        });
        // 100 ms at 50/s = 5 tokens.
        assert!((0..5).all(|_| b.take(L, 100) == Verdict::Allow));
        assert!(matches!(b.take(L, 100), Verdict::Reject { .. }));
    }

    #[test]
    fn steady_traffic_under_the_rate_is_never_rejected() {
        let mut b = Bucket::new(L, 0);
        // 40 messages a second for a minute.
        assert!((0..2400u64).all(|i| b.take(L, i * 25) == Verdict::Allow));
    }

    #[test]
    fn joins_past_the_window_limit_are_refused_until_the_oldest_ages_out() {
        let mut joins = JoinLimit::default();
        assert!((0..5).all(|i| joins.admit("u", 5, i * 100)));
        assert!(!joins.admit("u", 5, 600));
        assert!(joins.admit("other", 5, 600), "per user");
        assert!(!joins.admit("u", 5, JoinLimit::WINDOW_MS - 1));
        assert!(joins.admit("u", 5, JoinLimit::WINDOW_MS), "the first join aged out");
        assert!(!joins.admit("u", 5, JoinLimit::WINDOW_MS + 50));
    }

    #[test]
    fn a_refused_join_is_not_counted() {
        let mut joins = JoinLimit::default();
        assert!((0..5).all(|_| joins.admit("u", 5, 0)));
        // Refused over and over within the window: the window still ends 10 s after the first joins.
        assert!((1..100).all(|i| !joins.admit("u", 5, i * 10)));
        assert!(joins.admit("u", 5, JoinLimit::WINDOW_MS));
    }

    #[test]
    fn no_limit_when_the_maximum_is_zero() {
        let mut joins = JoinLimit::default();
        assert!((0..1000).all(|_| joins.admit("u", 0, 0)));
    }

    #[test]
    fn idle_users_are_forgotten() {
        let mut joins = JoinLimit::default();
        for i in 0..JoinLimit::PRUNE_AT {
            joins.admit(&format!("u{i}"), 5, 0);
        }
        joins.admit("late", 5, JoinLimit::WINDOW_MS);
        assert_eq!(joins.tracked(), 1);
        // Looked for at most once a second, however many users are tracked.
        for i in 0..JoinLimit::PRUNE_AT {
            joins.admit(&format!("v{i}"), 5, JoinLimit::WINDOW_MS + 1);
        }
        assert!(!joins.admit("late", 1, 2 * JoinLimit::WINDOW_MS - 1), "still counted within its window");
        assert_eq!(joins.tracked(), JoinLimit::PRUNE_AT + 1);
        joins.admit("later", 5, 3 * JoinLimit::WINDOW_MS);
        assert_eq!(joins.tracked(), 1, "everyone idle is gone at the next look");
    }

    #[test]
    fn a_socket_that_keeps_flooding_is_closed() {
        let mut b = Bucket::new(L, 0);
        let verdicts: Vec<_> = (0..200).map(|_| b.take(L, 0)).collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Close).count(), 200 - 100 - 20);
        assert_eq!(verdicts[100 + 20], Verdict::Close);
    }
}
