//! The tokio environment: `tokio::time` clock and timer, `SystemTime`, `fastrand`.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sbg_tasks_proto::client::{AsyncEnv, Env};
use tokio::time::Instant;

/// tokio's monotonic clock and timer (paused test time applies), the system wall clock and a
/// random jitter source.
#[derive(Debug, Clone, Copy)]
pub struct TokioEnv {
    origin: Instant,
}

impl TokioEnv {
    /// An environment whose monotonic clock starts now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
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
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }

    fn random(&self) -> u64 {
        fastrand::u64(..)
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
