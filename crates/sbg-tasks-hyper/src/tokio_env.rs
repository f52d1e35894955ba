//! The tokio environment: tokio's clock and timer, and the standard environment's wall clock
//! and jitter.

use std::future::Future;
use std::time::Duration;

use sbg_tasks_proto::env::{AsyncEnv, Env, StdEnv};
use tokio::time::Instant;

/// tokio's monotonic clock and timer (so paused test time applies), with the wall clock and
/// the random jitter source of the standard environment ([`StdEnv`]).
#[derive(Debug, Clone, Copy)]
pub struct TokioEnv {
    origin: Instant,
    std: StdEnv,
}

impl TokioEnv {
    /// An environment whose monotonic clock starts now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            std: StdEnv::new(),
        }
    }
}

impl Default for TokioEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for TokioEnv {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_now(&self) -> Duration {
        self.std.unix_now()
    }

    fn random(&self) -> u64 {
        self.std.random()
    }
}

impl AsyncEnv for TokioEnv {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sleeping_follows_tokio_time() {
        let env = TokioEnv::new();
        env.sleep(Duration::from_secs(3600)).await;
        assert!(env.now() >= Duration::from_secs(3600));
        assert_ne!(env.random(), env.random());
    }
}
