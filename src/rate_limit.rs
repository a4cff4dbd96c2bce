//! Token buckets: per socket in a room (a flood gets `rate_limited` errors, then close 4029) and,
//! through `signin_limit.rs`, per client address for guest sign-in. Plain data over a millisecond
//! clock, host-tested.

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
    fn a_socket_that_keeps_flooding_is_closed() {
        let mut b = Bucket::new(L, 0);
        let verdicts: Vec<_> = (0..200).map(|_| b.take(L, 0)).collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Close).count(), 200 - 100 - 20);
        assert_eq!(verdicts[100 + 20], Verdict::Close);
    }
}
