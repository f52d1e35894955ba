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
    /// Unix seconds when the window ends (rounded up; the window closes exactly then).
    pub(crate) reset: u64,
}

/// One token's window: it opened with the token's first counted request and closes at `end`,
/// the instant whose wall time is the advertised reset (whole Unix seconds, rounded up), so a
/// client that waits until `X-RateLimit-Reset` is never refused and nothing is accepted
/// before it.
struct Bucket {
    end: Instant,
    reset: u64,
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

    /// The window that would open at `at`: its reset (Unix seconds, rounded up) and the
    /// instant of that reset.
    fn window_from(&self, at: Instant) -> (u64, Instant) {
        let since_base = at.saturating_duration_since(self.base_instant) + self.cfg.window;
        let wall = self.base_wall + since_base;
        let d = wall.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let reset = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        let reset_wall = UNIX_EPOCH + Duration::from_secs(reset);
        let extra = reset_wall.duration_since(wall).unwrap_or(Duration::ZERO);
        (reset, self.base_instant + since_base + extra)
    }

    /// The token's open window, if any (a closed one is forgotten).
    fn open(&mut self, key: &str, now: Instant) -> Option<&mut Bucket> {
        if self.buckets.get(key).is_some_and(|b| now >= b.end) {
            self.buckets.remove(key);
        }
        self.buckets.get_mut(key)
    }

    /// Count one request of `key`. A refused request (429) is not counted and does not move
    /// the window.
    pub(crate) fn hit(&mut self, key: &str, now: Instant) -> RateInfo {
        let limit = self.cfg.limit;
        if self.open(key, now).is_none() {
            let (reset, end) = self.window_from(now);
            self.buckets.insert(
                key.to_owned(),
                Bucket {
                    end,
                    reset,
                    used: 0,
                },
            );
        }
        let Some(b) = self.open(key, now) else {
            unreachable!("the window was just opened")
        };
        let allowed = b.used < limit;
        if allowed {
            b.used += 1;
        }
        RateInfo {
            allowed,
            limit,
            remaining: limit.saturating_sub(b.used),
            reset: b.reset,
        }
    }

    /// Look without counting and without opening a window (for `GET /v2/rate_limit` and
    /// forced 429s). Without an open window: the whole budget, and the reset a window opened
    /// now would have.
    pub(crate) fn peek(&mut self, key: &str, now: Instant) -> RateInfo {
        let limit = self.cfg.limit;
        match self.open(key, now) {
            Some(b) => RateInfo {
                allowed: b.used < limit,
                limit,
                remaining: limit.saturating_sub(b.used),
                reset: b.reset,
            },
            None => RateInfo {
                allowed: limit > 0,
                limit,
                remaining: limit,
                reset: self.window_from(now).0,
            },
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
        // nothing is accepted before the advertised reset (1_000_011 = t0 + 10.5 s)...
        let early = l.hit("k", t0 + Duration::from_millis(10_499));
        assert_eq!(
            (early.allowed, early.remaining, early.reset),
            (false, 0, 1_000_011)
        );
        // ...and a new window opens with the first request at or after it
        let d = l.hit("k", t0 + Duration::from_millis(10_500));
        assert_eq!((d.allowed, d.remaining, d.reset), (true, 1, 1_000_021));
        assert_eq!(l.peek("k", t0 + Duration::from_secs(11)).remaining, 1);
        // peeking opens no window: a token never seen has its whole budget
        let p = l.peek("new", t0 + Duration::from_secs(30));
        assert_eq!((p.remaining, p.reset), (2, 1_000_041));
        assert!(!l.buckets.contains_key("new"));
        // a 429 does not move the window
        l.hit("k", t0 + Duration::from_secs(11));
        let r = l.hit("k", t0 + Duration::from_secs(12));
        assert_eq!((r.allowed, r.reset), (false, 1_000_021));
    }
}
