//! Virtual time: a shared clock, an [`Env`] reading it, and a single-threaded executor that
//! runs the callers' futures and moves the clock from one wake-up to the next.
//!
//! Every sleep of a caller (the client's `AsyncEnv::sleep`, the simulated network's latency)
//! registers a timer; when no caller can make progress, the executor jumps the clock to the
//! earliest timer and wakes its caller. Timers that fall due at the same moment wake in the
//! order they were set, so a run is deterministic.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use sbg_tasks_mock::SplitMix;
use sbg_tasks_proto::env::{AsyncEnv, Env};

/// The wall-clock instant (Unix seconds) that virtual time zero stands for.
pub const T0: u64 = 1_700_000_000;

struct Timer {
    at: Duration,
    seq: u64,
    waker: Waker,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

struct ClockState {
    now: Duration,
    seq: u64,
    timers: BinaryHeap<Reverse<Timer>>,
    rng: SplitMix,
    /// The caller being polled (its index in the executor), for the network to tag requests.
    current: usize,
}

/// The virtual clock shared by the executor, the callers' environments and the network.
pub struct Clock {
    state: Mutex<ClockState>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock").field("now", &self.now()).finish()
    }
}

impl Clock {
    /// A clock at virtual time zero, its jitter source seeded with `seed`.
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(ClockState {
                now: Duration::ZERO,
                seq: 0,
                timers: BinaryHeap::new(),
                rng: SplitMix::new(seed),
                current: 0,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Virtual time since the start.
    pub fn now(&self) -> Duration {
        self.lock().now
    }

    /// The caller being polled (its spawn index).
    pub fn current(&self) -> usize {
        self.lock().current
    }

    fn add_timer(&self, at: Duration, waker: Waker) {
        let mut s = self.lock();
        s.seq += 1;
        let seq = s.seq;
        s.timers.push(Reverse(Timer { at, seq, waker }));
    }

    /// Moves to the earliest timer (if it is not past `horizon`) and wakes it, with every
    /// other timer due at the same moment. `false` when there is none.
    fn advance(&self, horizon: Duration) -> bool {
        let mut wake = Vec::new();
        {
            let mut s = self.lock();
            let Some(Reverse(first)) = s.timers.peek() else {
                return false;
            };
            if first.at > horizon {
                return false;
            }
            let at = first.at;
            s.now = s.now.max(at);
            while s.timers.peek().is_some_and(|Reverse(t)| t.at <= at) {
                if let Some(Reverse(t)) = s.timers.pop() {
                    wake.push(t.waker);
                }
            }
        }
        for w in wake {
            w.wake();
        }
        true
    }

    /// A future that completes once the clock has moved `d` past now.
    pub fn sleep(self: &Arc<Self>, d: Duration) -> Sleep {
        Sleep {
            clock: Arc::clone(self),
            at: self.now() + d,
            registered: false,
        }
    }
}

/// See [`Clock::sleep`].
#[derive(Debug)]
pub struct Sleep {
    clock: Arc<Clock>,
    at: Duration,
    registered: bool,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.clock.now() >= self.at {
            return Poll::Ready(());
        }
        if !self.registered {
            self.registered = true;
            self.clock.add_timer(self.at, cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A client environment on the virtual clock: `now` is virtual time, `unix_now` is
/// [`T0`] plus it, sleeping waits for the executor to move the clock, and the jitter is a
/// seeded [`SplitMix`] shared by every caller.
#[derive(Debug, Clone)]
pub struct SimEnv {
    clock: Arc<Clock>,
}

impl SimEnv {
    /// An environment on `clock`.
    pub fn new(clock: &Arc<Clock>) -> Self {
        Self {
            clock: Arc::clone(clock),
        }
    }
}

impl Env for SimEnv {
    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn unix_now(&self) -> Duration {
        Duration::from_secs(T0) + self.clock.now()
    }

    fn random(&self) -> u64 {
        self.clock.lock().rng.next_u64()
    }
}

impl AsyncEnv for SimEnv {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.clock.sleep(duration)
    }
}

struct TaskWaker {
    index: usize,
    ready: Arc<Mutex<VecDeque<usize>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(self.index);
    }
}

type Caller<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Runs callers (futures) in virtual time on one thread.
pub struct Executor<'a> {
    clock: Arc<Clock>,
    callers: Vec<Option<Caller<'a>>>,
    wakers: Vec<Waker>,
    ready: Arc<Mutex<VecDeque<usize>>>,
    polls: u64,
}

impl std::fmt::Debug for Executor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("now", &self.clock.now())
            .field("callers", &self.callers.len())
            .field("polls", &self.polls)
            .finish()
    }
}

impl<'a> Executor<'a> {
    /// An executor on `clock`.
    pub fn new(clock: &Arc<Clock>) -> Self {
        Self {
            clock: Arc::clone(clock),
            callers: Vec::new(),
            wakers: Vec::new(),
            ready: Arc::new(Mutex::new(VecDeque::new())),
            polls: 0,
        }
    }

    /// Adds a caller; it is first polled when the executor runs. Returns its index (what
    /// [`Clock::current`] says while it is polled).
    pub fn spawn(&mut self, caller: impl Future<Output = ()> + 'a) -> usize {
        let index = self.callers.len();
        self.callers.push(Some(Box::pin(caller)));
        self.wakers.push(Waker::from(Arc::new(TaskWaker {
            index,
            ready: Arc::clone(&self.ready),
        })));
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(index);
        index
    }

    /// Polls of callers so far.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    fn pop_ready(&self) -> Option<usize> {
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    /// Runs until every caller has finished, `stop()` says so (asked each time the clock is
    /// about to move), or the next wake-up is past `horizon`. Returns the virtual time reached.
    pub fn run(&mut self, horizon: Duration, mut stop: impl FnMut() -> bool) -> Duration {
        loop {
            while let Some(i) = self.pop_ready() {
                let Some(caller) = self.callers[i].as_mut() else {
                    continue;
                };
                self.clock.lock().current = i;
                self.polls += 1;
                let mut cx = Context::from_waker(&self.wakers[i]);
                if caller.as_mut().poll(&mut cx).is_ready() {
                    self.callers[i] = None;
                }
            }
            if self.callers.iter().all(Option::is_none) || stop() {
                break;
            }
            if !self.clock.advance(horizon) {
                break;
            }
        }
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn callers_wake_in_virtual_time_order_and_hours_pass_without_waiting() {
        let clock = Clock::new(1);
        let log = RefCell::new(Vec::new());
        let mut ex = Executor::new(&clock);
        for (name, step) in [("a", 3u64), ("b", 2)] {
            let clock = Arc::clone(&clock);
            let log = &log;
            ex.spawn(async move {
                for _ in 0..3 {
                    clock.sleep(Duration::from_secs(step * 3600)).await;
                    log.borrow_mut().push((name, clock.now().as_secs() / 3600));
                }
            });
        }
        let end = ex.run(Duration::MAX, || false);
        assert_eq!(end, Duration::from_secs(9 * 3600));
        // At 6 h both are due: "a" set its timer first (at 3 h), so it wakes first.
        assert_eq!(
            *log.borrow(),
            [("b", 2), ("a", 3), ("b", 4), ("a", 6), ("b", 6), ("a", 9)]
        );
    }

    #[test]
    fn the_horizon_and_the_stop_condition_end_a_run() {
        let clock = Clock::new(1);
        let mut ex = Executor::new(&clock);
        let c = Arc::clone(&clock);
        ex.spawn(async move {
            loop {
                c.sleep(Duration::from_secs(10)).await;
            }
        });
        assert_eq!(
            ex.run(Duration::from_secs(95), || false),
            Duration::from_secs(90)
        );
        let c = Arc::clone(&clock);
        assert_eq!(
            ex.run(Duration::MAX, || c.now() >= Duration::from_secs(200)),
            Duration::from_secs(200)
        );
    }
}
