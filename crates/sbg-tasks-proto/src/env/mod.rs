//! The environment a client's driver runs in: clocks, sleeping and randomness.
//!
//! The machines ([`crate::machine`]) never read a clock or sleep: their drivers, the clients,
//! ask an [`Env`] and pass the time in ([`Now`](crate::machine::Now)). [`StdEnv`] is the standard library's (the default of a
//! blocking client); the async transport adds its runtime's timer; tests use `FakeEnv`
//! (feature `test-util`), whose time moves only when the client sleeps.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use event_listener::{EventListener, Listener as _};

#[cfg(any(test, feature = "test-util"))]
mod fake;
#[cfg(any(test, feature = "test-util"))]
pub use fake::FakeEnv;

/// Clocks and a jitter source.
pub trait Env {
    /// A monotonic reading: time since an origin of the environment's choosing. Never goes
    /// back.
    fn now(&self) -> Duration;

    /// The wall clock: time since the Unix epoch (for `X-RateLimit-Reset` and `Retry-After`
    /// dates).
    fn unix_now(&self) -> Duration;

    /// A random number, for backoff jitter.
    fn random(&self) -> u64;
}

/// An [`Env`] that can block the current thread.
pub trait BlockingEnv: Env {
    /// Blocks for `duration`.
    fn sleep(&self, duration: Duration);

    /// Blocks for `duration`, or less once `wake` fires (another operation of the client got
    /// an answer that may be this one's). The default sleeps the whole `duration`: correct,
    /// only slower to notice a shared poll's answer. [`StdEnv`] wakes early.
    fn sleep_or_wake(&self, duration: Duration, wake: Wake) {
        drop(wake);
        self.sleep(duration);
    }
}

/// A notice that the state a client's operations share has changed: a sleeping operation may
/// have something to do before its time. Blocking: [`Wake::wait_timeout`]; async: a future.
#[derive(Debug)]
pub struct Wake(pub(crate) EventListener);

impl Wake {
    /// Blocks until the notice comes or `timeout` has passed (real time); whether it came.
    pub fn wait_timeout(self, timeout: Duration) -> bool {
        self.0.wait_timeout(timeout).is_some()
    }
}

impl Future for Wake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

/// An [`Env`] with an async timer.
pub trait AsyncEnv: Env {
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// The standard environment: [`Instant`] for the monotonic clock, [`SystemTime`] for the wall
/// clock, [`std::thread::sleep`], and a random jitter source (`fastrand`, seeded from the
/// operating system).
///
/// The one place in this crate that reads a clock or sleeps; the machines never do, they are
/// handed the time. It is the environment a [`BlockingClient`](crate::BlockingClient) gets by
/// default, and the source of the wall clock and jitter of the async transport's environment.
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

    fn sleep_or_wake(&self, duration: Duration, wake: Wake) {
        wake.wait_timeout(duration);
    }
}

impl<T: Env + ?Sized> Env for &T {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn unix_now(&self) -> Duration {
        (**self).unix_now()
    }
    fn random(&self) -> u64 {
        (**self).random()
    }
}

impl<T: BlockingEnv + ?Sized> BlockingEnv for &T {
    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
    fn sleep_or_wake(&self, duration: Duration, wake: Wake) {
        (**self).sleep_or_wake(duration, wake);
    }
}

impl<T: Env + ?Sized> Env for std::sync::Arc<T> {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn unix_now(&self) -> Duration {
        (**self).unix_now()
    }
    fn random(&self) -> u64 {
        (**self).random()
    }
}

impl<T: BlockingEnv + ?Sized> BlockingEnv for std::sync::Arc<T> {
    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
    fn sleep_or_wake(&self, duration: Duration, wake: Wake) {
        (**self).sleep_or_wake(duration, wake);
    }
}

impl<T: AsyncEnv + Sync + Send + ?Sized> AsyncEnv for std::sync::Arc<T> {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(duration)
    }
}

impl<T: AsyncEnv + Sync + ?Sized> AsyncEnv for &T {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_clocks_move_forward_and_sleep_blocks() {
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
