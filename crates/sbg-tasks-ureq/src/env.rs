//! The standard environment: `Instant`, `SystemTime`, `thread::sleep`, `fastrand`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sbg_tasks_proto::client::{BlockingEnv, Env};

/// The real clocks, blocking sleep and a random jitter source.
#[derive(Debug, Clone, Copy)]
pub struct StdEnv {
    origin: Instant,
}

impl StdEnv {
    /// An environment whose monotonic clock starts now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for StdEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for StdEnv {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }

    fn random(&self) -> u64 {
        fastrand::u64(..)
    }
}

impl BlockingEnv for StdEnv {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_move_forward_and_sleep_blocks() {
        let env = StdEnv::new();
        let t0 = env.now();
        env.sleep(Duration::from_millis(20));
        assert!(env.now() >= t0 + Duration::from_millis(20));
        // After 2020-01-01 and before 2200.
        let unix = env.unix_now().as_secs();
        assert!((1_577_836_800..7_258_118_400).contains(&unix), "{unix}");
        assert_ne!(env.random(), env.random());
    }
}
