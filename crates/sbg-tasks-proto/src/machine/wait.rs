//! Waiting for tasks to end: [`Wait`] (one task, with progress) and [`WaitMany`]
//! (`wait_any` / `wait_all`), as [`Operation`]s.
//!
//! A [`Wait`] follows its id on the client's shared [`Watcher`] (in [`Shared`]); its
//! interval and backoff set when the id is next due. When due, it uses a task the watcher
//! fetched since its last look, or sleeps while another wait's request is in flight, or leads
//! the watcher's next request: its id and every other followed id due within half its
//! interval, in one bulk get, or `GET /tasks/{id}` when it is due alone (the fast path).
//! [`WaitMany`] follows its tasks with a [`Watcher`] of its own (bulk sweeps of 100 ids in
//! the budget's watch lane).
//!
//! A wait polls at [`WaitPolicy::interval`], each interval [`WaitPolicy::backoff`] times the
//! one before up to [`WaitPolicy::max_interval`], for at most [`WaitPolicy::timeout`].

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::call::Call;
use super::watch::{WatchEvent, WatchWant, Watcher};
use super::{over, InFlight as _, Now, Operation, Reply, Settings, Shared, Step};
use crate::endpoint::Lane;
use crate::endpoints::bulk_get::{BulkGetTasks, BulkItemError};
use crate::endpoints::get_task::GetTask;
use crate::error::ClientError;
use crate::id::TaskId;
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

/// What one poll showed: the event of a [`Wait`], handed to the clients' progress callback.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Progress {
    /// The task as polled.
    pub task: Task,
    /// The poll number, from 1.
    pub poll: u32,
    /// Time since waiting began.
    pub elapsed: Duration,
}

impl Progress {
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
pub(crate) enum WaitStep {
    /// Sleep this long, then get the task again and call [`WaitState::on_task`].
    Sleep(Duration),
    /// Waiting is over: the terminal task, or [`ClientError::NotStarted`] / [`ClientError::Timeout`].
    Done(Result<Task, ClientError>),
}

/// The state of one wait.
#[derive(Debug, Clone)]
pub(crate) struct WaitState {
    policy: WaitPolicy,
    started: Duration,
    polls: u32,
    next: Duration,
}

impl WaitState {
    /// A wait starting at monotonic time `now`.
    pub(crate) fn new(policy: WaitPolicy, now: Duration) -> Self {
        let next = policy.interval;
        Self {
            policy,
            started: now,
            polls: 0,
            next,
        }
    }

    /// Polls so far.
    #[cfg(test)]
    pub(crate) fn polls(&self) -> u32 {
        self.polls
    }

    /// Hands over the task polled at monotonic time `now`: what the poll showed, and what next.
    ///
    /// A terminal task ends the wait. A DRAFT task ends it at once with
    /// [`ClientError::NotStarted`]: a draft never moves on its own. Past the timeout the wait ends with
    /// [`ClientError::Timeout`] holding this task. Otherwise: sleep the current interval (never past
    /// the timeout), which then grows by the backoff factor up to the maximum.
    pub(crate) fn on_task(&mut self, task: Task, now: Duration) -> (Progress, WaitStep) {
        self.polls += 1;
        let elapsed = now.saturating_sub(self.started);
        let progress = Progress {
            task: task.clone(),
            poll: self.polls,
            elapsed,
        };
        (progress, self.decide(task, elapsed))
    }

    fn decide(&mut self, task: Task, elapsed: Duration) -> WaitStep {
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

// Short-lived states; a call is the large one and the usual one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Phase<'a> {
    /// Not stepped yet.
    Start,
    /// Wants a view of the task fresher than its last look.
    Fresh,
    /// Polls again at this monotonic time.
    Sleeping(Duration),
    /// Gets the task alone; `led`: the poll the other waits wait for.
    One {
        call: Call<'a, GetTask>,
        led: bool,
    },
    /// Gets the task and the others due soon.
    Many(Call<'a, BulkGetTasks>),
    /// Polled: what next.
    Decided(WaitStep),
    Over,
}

/// Waits for one task to end, as the [`WaitPolicy`] says: each poll is a [`Progress`] event;
/// the outcome is the terminal task, [`ClientError::NotStarted`] for a DRAFT, or
/// [`ClientError::Timeout`] with the last task seen. Polls are shared with the other waits of
/// the client (see the [module docs](self)).
#[derive(Debug)]
pub struct Wait<'a> {
    settings: &'a Settings,
    id: TaskId,
    policy: WaitPolicy,
    state: WaitState,
    /// When it last looked at the task (monotonic).
    since: Duration,
    phase: Phase<'a>,
}

impl<'a> Wait<'a> {
    /// A wait for `id` with `settings`, polling as `policy` says.
    pub fn new(settings: &'a Settings, id: TaskId, policy: WaitPolicy) -> Self {
        Self {
            settings,
            id,
            state: WaitState::new(policy.clone(), Duration::ZERO),
            policy,
            since: Duration::ZERO,
            phase: Phase::Start,
        }
    }

    fn polled(&mut self, task: Task, now: Now) -> Step<Progress, Result<Task, ClientError>> {
        self.since = now.mono;
        let (progress, step) = self.state.on_task(task, now.mono);
        self.phase = Phase::Decided(step);
        Step::Event(progress)
    }

    fn end(
        &mut self,
        result: Result<Task, ClientError>,
        shared: &mut Shared,
    ) -> Step<Progress, Result<Task, ClientError>> {
        shared.waits.unfollow(&self.id);
        self.phase = Phase::Over;
        Step::Done(result)
    }
}

impl Operation for Wait<'_> {
    type Event = Progress;
    type Output = Result<Task, ClientError>;

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Progress, Self::Output> {
        loop {
            match &mut self.phase {
                Phase::Start => {
                    shared.waits.follow(&self.id, now.mono);
                    self.state = WaitState::new(self.policy.clone(), now.mono);
                    self.since = now.mono;
                    self.phase = Phase::Fresh;
                }
                Phase::Fresh => {
                    if let Some(task) = shared.waits.latest(&self.id, self.since) {
                        let task = task.clone();
                        return self.polled(task, now);
                    }
                    if shared.waits.in_flight() {
                        // Another wait's poll is in flight: its answer wakes this one.
                        return Step::SleepUntil(now.mono + self.policy.interval);
                    }
                    let lookahead = self.policy.interval / 2;
                    self.phase = match shared.waits.lead(&self.id, now.mono, lookahead) {
                        WatchWant::Get(get) => Phase::One {
                            call: Call::owned(self.settings, get),
                            led: true,
                        },
                        WatchWant::Bulk(bulk) => Phase::Many(Call::owned(self.settings, bulk)),
                        // `lead` asks for one of the two.
                        _ => Phase::One {
                            call: Call::owned(self.settings, GetTask::new(self.id.clone())),
                            led: true,
                        },
                    };
                }
                Phase::One { call, led } => {
                    let answer = match call.step(now, shared).outcome() {
                        Ok(answer) => answer,
                        Err(pass) => return pass,
                    };
                    if *led {
                        let fetched = match &answer {
                            Ok(a) => vec![(self.id.clone(), a.value.clone())],
                            Err(_) => Vec::new(),
                        };
                        shared.waits.on_polled(fetched, now.mono);
                    }
                    return match answer {
                        Ok(a) => self.polled(a.value, now),
                        Err(e) => self.end(Err(e), shared),
                    };
                }
                Phase::Many(call) => {
                    let answer = match call.step(now, shared).outcome() {
                        Ok(answer) => answer,
                        Err(pass) => return pass,
                    };
                    let mut fetched = Vec::new();
                    if let Ok(a) = &answer {
                        for (asked, item) in call.endpoint().ids().iter().zip(&a.value.items) {
                            if let Ok(task) = item {
                                fetched.push((asked.clone(), task.clone()));
                            }
                        }
                    }
                    let mine = fetched
                        .iter()
                        .find(|(asked, _)| *asked == self.id)
                        .map(|(_, t)| t.clone());
                    shared.waits.on_polled(fetched, now.mono);
                    if let Err(e) = answer {
                        return self.end(Err(e), shared);
                    }
                    match mine {
                        Some(task) => return self.polled(task, now),
                        None => {
                            // This id's own error in the bulk answer: ask for it alone, so the
                            // caller gets the platform's error as a plain call would.
                            let get = GetTask::new(self.id.clone());
                            self.phase = Phase::One {
                                call: Call::owned(self.settings, get),
                                led: false,
                            };
                        }
                    }
                }
                Phase::Sleeping(until) if now.mono < *until => return Step::SleepUntil(*until),
                Phase::Sleeping(_) => self.phase = Phase::Fresh,
                Phase::Decided(_) => {
                    let Phase::Decided(step) = std::mem::replace(&mut self.phase, Phase::Over)
                    else {
                        continue;
                    };
                    match step {
                        WaitStep::Sleep(d) => {
                            let due = self.since + d;
                            shared.waits.set_due(&self.id, due);
                            self.phase = Phase::Sleeping(due);
                        }
                        WaitStep::Done(result) => return self.end(result, shared),
                    }
                }
                Phase::Over => return over(),
            }
        }
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        match &mut self.phase {
            Phase::One { call, .. } => call.on_answer(answer, now, shared),
            Phase::Many(call) => call.on_answer(answer, now, shared),
            _ => {}
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        match std::mem::replace(&mut self.phase, Phase::Over) {
            Phase::Start | Phase::Over => return,
            Phase::One { mut call, led } => {
                call.abandon(shared);
                if led {
                    shared.waits.on_polled(Vec::new(), Duration::ZERO);
                }
            }
            Phase::Many(mut call) => {
                call.abandon(shared);
                shared.waits.on_polled(Vec::new(), Duration::ZERO);
            }
            _ => {}
        }
        shared.waits.unfollow(&self.id);
    }
}

/// What [`WaitMany`] found (the clients' `wait_any`): the tasks that ended (or are gone), in
/// the order they did, and the ids still pending.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitAny {
    /// Each id that ended — its last task — or that the platform does not know — its error.
    pub ended: Vec<(TaskId, Result<Task, BulkItemError>)>,
    /// The ids that had not ended when the wait stopped.
    pub pending: Vec<TaskId>,
}

impl WaitAny {
    /// One result per id of `ids` that ended, in the order of `ids` (the clients' `wait_all`).
    pub fn in_order(self, ids: &[TaskId]) -> Vec<Result<Task, BulkItemError>> {
        let by_id: HashMap<_, _> = self.ended.into_iter().collect();
        ids.iter().filter_map(|id| by_id.get(id).cloned()).collect()
    }
}

/// Waits until `n` of the tasks of `ids` have ended (or are unknown to the platform), or a
/// timeout has passed (checked between requests), following them with a [`Watcher`]: bulk
/// gets of 100 ids in the budget's watch lane, each task refreshed at most every
/// [`WatcherPolicy::min_interval`](super::watch::WatcherPolicy::min_interval), after a probe
/// of the rate limit. [`ClientError::NotStarted`] when one is a DRAFT (it would never end);
/// the first request that fails after its retries ends the wait with its error.
#[derive(Debug)]
pub struct WaitMany<'a> {
    settings: &'a Settings,
    ids: Vec<TaskId>,
    n: usize,
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    watcher: Option<Watcher>,
    call: Option<Call<'a, BulkGetTasks>>,
    ended: Vec<(TaskId, Result<Task, BulkItemError>)>,
    over: bool,
}

impl<'a> WaitMany<'a> {
    /// Waits for `n` of `ids` (`usize::MAX`: all of them) for at most `timeout`.
    pub fn new(
        settings: &'a Settings,
        ids: &[TaskId],
        n: usize,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            settings,
            ids: ids.to_vec(),
            n,
            timeout,
            deadline: None,
            watcher: None,
            call: None,
            ended: Vec::new(),
            over: false,
        }
    }

    fn finish(&mut self) -> WaitAny {
        self.over = true;
        let done: HashSet<_> = self.ended.iter().map(|(id, _)| id.clone()).collect();
        let mut pending = Vec::new();
        for id in &self.ids {
            if !done.contains(id) && !pending.contains(id) {
                pending.push(id.clone());
            }
        }
        WaitAny {
            ended: std::mem::take(&mut self.ended),
            pending,
        }
    }
}

impl Operation for WaitMany<'_> {
    type Event = std::convert::Infallible;
    type Output = Result<WaitAny, ClientError>;

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Self::Event, Self::Output> {
        if self.over {
            return over();
        }
        let watcher = self.watcher.get_or_insert_with(|| {
            let policy = self
                .settings
                .watcher
                .clone()
                .with_follow_children(false)
                .with_feed(false);
            let mut watcher = Watcher::new(policy);
            watcher.add(self.ids.iter().cloned());
            shared.budget_mut().want_probe();
            self.deadline = self.timeout.map(|t| now.mono + t);
            watcher
        });
        loop {
            if let Some(call) = &mut self.call {
                match call.step(now, shared).outcome() {
                    Ok(Ok(answer)) => watcher.on_bulk(now.unix, answer),
                    Ok(Err(e)) => {
                        self.over = true;
                        return Step::Done(Err(e));
                    }
                    Err(pass) => return pass,
                }
                self.call = None;
            }
            while let Some(event) = watcher.pop_event() {
                match event {
                    WatchEvent::Ended { id, task } => self.ended.push((id, Ok(*task))),
                    WatchEvent::Gone { id, error } => self.ended.push((id, Err(error))),
                    WatchEvent::Status { task, .. } if task.status == Some(TaskStatus::Draft) => {
                        self.over = true;
                        return Step::Done(Err(ClientError::NotStarted { task }));
                    }
                    _ => {}
                }
            }
            let past = self.deadline.is_some_and(|d| now.mono >= d);
            if self.ended.len() >= self.n || watcher.is_empty() || past {
                break;
            }
            match watcher.next_request(now.unix) {
                WatchWant::Bulk(call) => {
                    self.call = Some(Call::owned(self.settings, call).in_lane(Lane::Watch));
                }
                WatchWant::Wait(d) => {
                    let d = self
                        .deadline
                        .map_or(d, |dl| d.min(dl.saturating_sub(now.mono)));
                    return Step::SleepUntil(now.mono + d);
                }
                _ => break,
            }
        }
        Step::Done(Ok(self.finish()))
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        self.call.answer(answer, now, shared);
    }

    fn abandon(&mut self, shared: &mut Shared) {
        self.call.give_back(shared);
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
            let (p, step) = w.on_task(task(running), now);
            seen.push((p.poll, p.elapsed, p.steps()));
            match step {
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
        match w.on_task(task(r#"{"id":"t","status":"FAILED"}"#), now).1 {
            WaitStep::Done(Ok(t)) => assert_eq!(t.status, Some(TaskStatus::Failed)),
            other => panic!("{other:?}"),
        }
        assert_eq!(w.polls(), 6);
    }

    #[test]
    fn a_draft_fails_at_once() {
        let mut w = WaitState::new(WaitPolicy::default(), S(0));
        match w.on_task(task(r#"{"id":"d","status":"DRAFT"}"#), S(0)).1 {
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
            match w.on_task(t, now).1 {
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
        let (p, step) = w.on_task(
            task(
                r#"{"status":"Active","execution_status":{"queued":1,"running":2,"completed":3}}"#,
            ),
            S(0),
        );
        counts = counts.or(p.batch_counts());
        assert!(matches!(step, WaitStep::Sleep(_)));
        assert_eq!(
            counts.map(|c| (c.queued, c.running, c.completed, c.total())),
            Some((1, 2, 3, 6))
        );
        assert!(matches!(w.on_task(task("{}"), S(5)).1, WaitStep::Sleep(_)));
    }
}
