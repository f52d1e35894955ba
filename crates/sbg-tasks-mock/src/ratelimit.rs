//! The per-token fixed-window rate limiter.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::RateLimit;

/// The numbers put in the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateInfo {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Unix seconds when the window ends (rounded up).
    pub(crate) reset: u64,
}

struct Bucket {
    start: Instant,
    used: u32,
}

pub(crate) struct Limiter {
    cfg: RateLimit,
    buckets: HashMap<String, Bucket>,
    /// Maps `Instant`s to wall time.
    base_instant: Instant,
    base_wall: SystemTime,
}

impl Limiter {
    pub(crate) fn new(cfg: RateLimit, base_instant: Instant, base_wall: SystemTime) -> Self {
        Limiter {
            cfg,
            buckets: HashMap::new(),
            base_instant,
            base_wall,
        }
    }

    fn unix_ceil(&self, at: Instant) -> u64 {
        let wall = self.base_wall + at.saturating_duration_since(self.base_instant);
        let d = wall.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }

    fn bucket(&mut self, key: &str, now: Instant) -> &mut Bucket {
        let window = self.cfg.window;
        let b = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            start: now,
            used: 0,
        });
        if now.saturating_duration_since(b.start) >= window {
            b.start = now;
            b.used = 0;
        }
        b
    }

    /// Count one request of `key`.
    pub(crate) fn hit(&mut self, key: &str, now: Instant) -> RateInfo {
        let limit = self.cfg.limit;
        let window = self.cfg.window;
        let b = self.bucket(key, now);
        let allowed = b.used < limit;
        if allowed {
            b.used += 1;
        }
        let (used, start) = (b.used, b.start);
        RateInfo {
            allowed,
            limit,
            remaining: limit.saturating_sub(used),
            reset: self.unix_ceil(start + window),
        }
    }

    /// Look without counting (for `GET /v2/rate_limit` and forced 429s).
    pub(crate) fn peek(&mut self, key: &str, now: Instant) -> RateInfo {
        let limit = self.cfg.limit;
        let window = self.cfg.window;
        let b = self.bucket(key, now);
        let (used, start) = (b.used, b.start);
        RateInfo {
            allowed: used < limit,
            limit,
            remaining: limit.saturating_sub(used),
            reset: self.unix_ceil(start + window),
        }
    }

    pub(crate) fn reset_all(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_refuses_then_resets_with_the_window() {
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_millis(1_000_000_500);
        let mut l = Limiter::new(
            RateLimit {
                limit: 2,
                window: Duration::from_secs(10),
            },
            t0,
            wall,
        );
        let a = l.hit("k", t0);
        assert_eq!((a.allowed, a.remaining), (true, 1));
        // window ends at 1_000_010.5 s → reset rounds up to 1_000_011
        assert_eq!(a.reset, 1_000_011);
        let b = l.hit("k", t0 + Duration::from_secs(1));
        assert_eq!((b.allowed, b.remaining, b.reset), (true, 0, 1_000_011));
        let c = l.hit("k", t0 + Duration::from_secs(2));
        assert_eq!((c.allowed, c.remaining), (false, 0));
        // other keys have their own budget
        assert_eq!(l.hit("other", t0).remaining, 1);
        // a new window starts with the first request after the old one ended
        let d = l.hit("k", t0 + Duration::from_secs(10));
        assert_eq!((d.allowed, d.remaining, d.reset), (true, 1, 1_000_021));
        assert_eq!(l.peek("k", t0 + Duration::from_secs(11)).remaining, 1);
    }
}
