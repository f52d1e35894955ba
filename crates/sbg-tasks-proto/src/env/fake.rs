//! [`FakeEnv`]: time that moves only when the client sleeps.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use super::{AsyncEnv, BlockingEnv, Env};

/// A fake environment for tests: time stands still except when the client sleeps, which
/// returns at once and moves both clocks forward. Randomness is a fixed xorshift sequence.
///
/// ```
/// use std::time::Duration;
/// use sbg_tasks_proto::env::{BlockingEnv, Env, FakeEnv};
/// let env = FakeEnv::new(Duration::from_secs(1_700_000_000));
/// env.sleep(Duration::from_secs(3));
/// assert_eq!(env.now(), Duration::from_secs(3));
/// assert_eq!(env.unix_now(), Duration::from_secs(1_700_000_003));
/// assert_eq!(env.sleeps(), [Duration::from_secs(3)]);
/// ```
#[derive(Debug)]
pub struct FakeEnv {
    state: Mutex<FakeState>,
}

#[derive(Debug)]
struct FakeState {
    now: Duration,
    unix_start: Duration,
    rng: u64,
    sleeps: Vec<Duration>,
}

impl FakeEnv {
    /// A fake environment whose wall clock starts at `unix_start` and monotonic clock at zero.
    pub fn new(unix_start: Duration) -> Self {
        Self {
            state: Mutex::new(FakeState {
                now: Duration::ZERO,
                unix_start,
                rng: 0x9E37_79B9_7F4A_7C15,
                sleeps: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves both clocks forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// The total time slept.
    pub fn slept(&self) -> Duration {
        self.lock().sleeps.iter().sum()
    }

    fn record_sleep(&self, d: Duration) {
        let mut s = self.lock();
        s.now += d;
        s.sleeps.push(d);
    }
}

impl Env for FakeEnv {
    fn now(&self) -> Duration {
        self.lock().now
    }

    fn unix_now(&self) -> Duration {
        let s = self.lock();
        s.unix_start + s.now
    }

    fn random(&self) -> u64 {
        let mut s = self.lock();
        let mut x = s.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.rng = x;
        x
    }
}

impl BlockingEnv for FakeEnv {
    fn sleep(&self, duration: Duration) {
        self.record_sleep(duration);
    }
}

impl AsyncEnv for FakeEnv {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.record_sleep(duration);
        std::future::ready(())
    }
}
