//! Waiting for a task to end: a sans-IO polling state machine.
//!
//! The driver (a client) gets the task, hands it to [`WaitState::on_task`] and does what the
//! answer says: sleep and poll again, or stop with the terminal task or a typed error. Time is
//! passed in as monotonic [`Duration`] readings; nothing here reads a clock or sleeps.
//!
//! ```
//! use std::time::Duration;
//! use sbg_tasks_proto::Task;
//! use sbg_tasks_proto::machine::wait::{WaitPolicy, WaitState, WaitStep};
//!
//! let policy = WaitPolicy::default().with_interval(Duration::from_secs(2));
//! let mut wait = WaitState::new(policy, Duration::ZERO);
//! let running: Task = serde_json::from_str(r#"{"id": "t", "status": "RUNNING"}"#)?;
//! let step = wait.on_task(running, Duration::ZERO, &mut |p| assert_eq!(p.poll, 1));
//! assert!(matches!(step, WaitStep::Sleep(d) if d == Duration::from_secs(2)));
//! let done: Task = serde_json::from_str(r#"{"id": "t", "status": "COMPLETED"}"#)?;
//! let step = wait.on_task(done, Duration::from_secs(2), &mut |_| {});
//! assert!(matches!(step, WaitStep::Done(Ok(t)) if t.is_terminal()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use crate::error::ClientError;
use crate::model::{BatchCounts, Task, TaskStatus};

/// How to poll a task until it ends.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// The first interval between polls. Default 5 s.
    pub interval: Duration,
    /// Each interval is the previous one times this (1.0: a fixed interval). Default 1.5.
    pub backoff: f64,
    /// The longest interval. Default 60 s.
    pub max_interval: Duration,
    /// Give up after this long in all (`None`: wait as long as it takes). Default `None`.
    pub timeout: Option<Duration>,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            backoff: 1.5,
            max_interval: Duration::from_secs(60),
            timeout: None,
        }
    }
}

impl WaitPolicy {
    /// Sets the first [`interval`](Self::interval) (and raises `max_interval` to it if needed).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self.max_interval = self.max_interval.max(interval);
        self
    }

    /// Sets the [`backoff`](Self::backoff) factor (values below 1.0, or NaN, mean 1.0).
    pub fn with_backoff(mut self, factor: f64) -> Self {
        self.backoff = if factor.is_nan() {
            1.0
        } else {
            factor.max(1.0)
        };
        self
    }

    /// Sets [`max_interval`](Self::max_interval).
    pub fn with_max_interval(mut self, max: Duration) -> Self {
        self.max_interval = max;
        self
    }

    /// Sets the overall [`timeout`](Self::timeout).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What one poll showed, handed to the progress callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The task as polled.
    pub task: &'a Task,
    /// The poll number, from 1.
    pub poll: u32,
    /// Time since waiting began.
    pub elapsed: Duration,
}

impl Progress<'_> {
    /// The task's status, when the answer had one.
    pub fn status(&self) -> Option<&TaskStatus> {
        self.task.status.as_ref()
    }

    /// `(completed, total)` steps, when reported.
    pub fn steps(&self) -> Option<(u64, u64)> {
        self.task.execution_status.as_ref()?.steps()
    }

    /// The children's counts of a batch parent.
    pub fn batch_counts(&self) -> Option<BatchCounts> {
        self.task.execution_status.as_ref()?.batch_counts()
    }
}

/// What the driver does next.
// `Done` is large (a task), but a step lives only until the driver matches it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitStep {
    /// Sleep this long, then get the task again and call [`WaitState::on_task`].
    Sleep(Duration),
    /// Waiting is over: the terminal task, or [`ClientError::NotStarted`] / [`ClientError::Timeout`].
    Done(Result<Task, ClientError>),
}

/// The state of one wait.
#[derive(Debug, Clone)]
pub struct WaitState {
    policy: WaitPolicy,
    started: Duration,
    polls: u32,
    next: Duration,
}

impl WaitState {
    /// A wait starting at monotonic time `now`.
    pub fn new(policy: WaitPolicy, now: Duration) -> Self {
        let next = policy.interval;
        Self {
            policy,
            started: now,
            polls: 0,
            next,
        }
    }

    /// Polls so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Hands over the task polled at monotonic time `now`: calls `progress`, then decides.
    ///
    /// A terminal task ends the wait. A DRAFT task ends it at once with
    /// [`ClientError::NotStarted`]: a draft never moves on its own. Past the timeout the wait ends with
    /// [`ClientError::Timeout`] holding this task. Otherwise: sleep the current interval (never past
    /// the timeout), which then grows by the backoff factor up to the maximum.
    pub fn on_task(
        &mut self,
        task: Task,
        now: Duration,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> WaitStep {
        self.polls += 1;
        let elapsed = now.saturating_sub(self.started);
        progress(&Progress {
            task: &task,
            poll: self.polls,
            elapsed,
        });
        if task.is_terminal() {
            return WaitStep::Done(Ok(task));
        }
        if task.status == Some(TaskStatus::Draft) {
            return WaitStep::Done(Err(ClientError::NotStarted {
                task: Box::new(task),
            }));
        }
        let mut sleep = self.next;
        if let Some(limit) = self.policy.timeout {
            let left = limit.saturating_sub(elapsed);
            if left.is_zero() {
                return WaitStep::Done(Err(ClientError::Timeout {
                    waited: elapsed,
                    polls: self.polls,
                    last: Box::new(task),
                }));
            }
            sleep = sleep.min(left);
        }
        let factor = if self.policy.backoff.is_nan() {
            1.0
        } else {
            self.policy.backoff.clamp(1.0, 1e6)
        };
        self.next = self
            .next
            .mul_f64(factor)
            .min(self.policy.max_interval.max(self.policy.interval));
        WaitStep::Sleep(sleep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(json: &str) -> Task {
        serde_json::from_str(json).unwrap()
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn polls_with_backoff_up_to_the_max_then_ends_with_the_terminal_task() {
        let p = WaitPolicy::default()
            .with_interval(S(2))
            .with_backoff(2.0)
            .with_max_interval(S(10));
        let mut w = WaitState::new(p, S(1000));
        let mut now = S(1000);
        let mut sleeps = Vec::new();
        let mut seen = Vec::new();
        let running = r#"{"id":"t","status":"RUNNING","execution_status":{"steps_completed":1,"steps_total":4}}"#;
        for _ in 0..5 {
            match w.on_task(task(running), now, &mut |p| {
                seen.push((p.poll, p.elapsed, p.steps()));
            }) {
                WaitStep::Sleep(d) => {
                    sleeps.push(d.as_secs());
                    now += d;
                }
                WaitStep::Done(r) => panic!("ended early: {r:?}"),
            }
        }
        assert_eq!(sleeps, [2, 4, 8, 10, 10]);
        assert_eq!(seen[0], (1, S(0), Some((1, 4))));
        assert_eq!(seen[2], (3, S(6), Some((1, 4))));
        match w.on_task(task(r#"{"id":"t","status":"FAILED"}"#), now, &mut |_| {}) {
            WaitStep::Done(Ok(t)) => assert_eq!(t.status, Some(TaskStatus::Failed)),
            other => panic!("{other:?}"),
        }
        assert_eq!(w.polls(), 6);
    }

    #[test]
    fn a_draft_fails_at_once() {
        let mut w = WaitState::new(WaitPolicy::default(), S(0));
        match w.on_task(task(r#"{"id":"d","status":"DRAFT"}"#), S(0), &mut |_| {}) {
            WaitStep::Done(Err(ClientError::NotStarted { task })) => {
                assert_eq!(task.id.as_deref(), Some("d"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn times_out_with_the_last_task_and_never_sleeps_past_the_deadline() {
        let p = WaitPolicy::default()
            .with_interval(S(4))
            .with_backoff(1.0)
            .with_timeout(Some(S(10)));
        let mut w = WaitState::new(p, S(0));
        let mut now = S(0);
        let mut sleeps = Vec::new();
        let last = loop {
            let t = task(r#"{"id":"t","status":"QUEUED"}"#);
            match w.on_task(t, now, &mut |_| {}) {
                WaitStep::Sleep(d) => {
                    sleeps.push(d.as_secs());
                    now += d;
                }
                WaitStep::Done(Err(ClientError::Timeout {
                    waited,
                    polls,
                    last,
                })) => {
                    assert_eq!((waited, polls), (S(10), 4));
                    break last;
                }
                WaitStep::Done(other) => panic!("{other:?}"),
            }
        };
        assert_eq!(sleeps, [4, 4, 2]);
        assert_eq!(last.status, Some(TaskStatus::Queued));
    }

    #[test]
    fn unknown_or_missing_statuses_keep_polling_and_batch_counts_are_reported() {
        let mut w = WaitState::new(WaitPolicy::default(), S(0));
        let mut counts = None;
        let step = w.on_task(
            task(
                r#"{"status":"Active","execution_status":{"queued":1,"running":2,"completed":3}}"#,
            ),
            S(0),
            &mut |p| counts = p.batch_counts(),
        );
        assert!(matches!(step, WaitStep::Sleep(_)));
        assert_eq!(
            counts.map(|c| (c.queued, c.running, c.completed, c.total())),
            Some((1, 2, 3, 6))
        );
        assert!(matches!(
            w.on_task(task("{}"), S(5), &mut |_| {}),
            WaitStep::Sleep(_)
        ));
    }
}
