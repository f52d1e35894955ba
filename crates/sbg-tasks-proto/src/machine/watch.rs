//! Following many tasks at once: a sans-IO watcher that refreshes them with bulk gets, 100 ids
//! a request, least recently refreshed first, and says what changed.
//!
//! The platform pushes nothing to programs, and its rate limit is the scarce resource: one GET
//! per task per poll (what the official clients do) refreshes 10 000 tasks once every ~50
//! minutes at the full budget. A bulk get refreshes 100 tasks for one request, so one sweep of
//! 10 000 tasks costs 100 requests.
//!
//! [`Watch`] is the operation (the clients' `watch`; [`WaitMany`](super::WaitMany) is
//! `wait_any` / `wait_all` on the same [`Watcher`]): each request is sent in the budget's
//! [`Lane::Watch`], which caps and paces it, and what changed comes out as [`WatchEvent`]s:
//!
//! - a task seen for the first time or in a new status: [`WatchEvent::Status`];
//! - its steps or its batch children's counts moved: [`WatchEvent::Progress`];
//! - it ended (COMPLETED, FAILED, ABORTED): [`WatchEvent::Ended`], exactly once, and it is
//!   followed no more;
//! - an id the platform does not know (or refuses as malformed): [`WatchEvent::Gone`], once;
//! - a batch parent's children: when the parent's counts of ended children grow, the watcher
//!   lists the children that ended since the last listing (`parent=`, `ended_from`, a short
//!   `fields`) and reports each once as [`WatchEvent::ChildEnded`] — never on a sweep where the
//!   counts did not change.
//!
//! Time is passed in; nothing here reads a clock. Stepped by hand:
//!
//! ```
//! use std::time::Duration;
//! use sbg_tasks_proto::machine::{Now, Operation, Settings, Shared, Step, Watch};
//! use sbg_tasks_proto::{http, AuthToken, BudgetPolicy, Config, Platform, WatchEvent};
//!
//! let settings = Settings::new(Config::new(Platform::Cgc, AuthToken::new("token")?));
//! let mut shared = Shared::new(BudgetPolicy::default());
//! let mut watch = Watch::new(&settings, ["t1".parse()?, "t2".parse()?]);
//! let now = Now { mono: Duration::ZERO, unix: Duration::from_secs(1_700_000_000), random: 0 };
//! // A watch starts with the free probe of the rate limit.
//! let Step::Send(probe) = watch.step(now, &mut shared) else { unreachable!() };
//! assert_eq!(probe.uri().path(), "/v2/rate_limit");
//! let limit = br#"{"rate": {"limit": 1000, "remaining": 1000, "reset": 1700000300}}"#;
//! watch.on_answer(Ok(http::Response::builder().body(limit.to_vec())?), now, &mut shared);
//! // Then one bulk get for both ids.
//! let Step::Send(sweep) = watch.step(now, &mut shared) else { unreachable!() };
//! assert_eq!(sweep.body(), br#"{"task_ids":["t1","t2"]}"#);
//! let body = br#"{"items": [{"resource": {"id": "t1", "status": "RUNNING"}},
//!                           {"resource": {"id": "t2", "status": "COMPLETED"}}]}"#;
//! watch.on_answer(Ok(http::Response::builder().body(body.to_vec())?), now, &mut shared);
//! assert!(matches!(watch.step(now, &mut shared), Step::Event(Ok(WatchEvent::Status { .. }))));
//! assert!(matches!(watch.step(now, &mut shared), Step::Event(Ok(WatchEvent::Ended { .. }))));
//! assert_eq!(watch.watcher().len(), 1); // t2 ended: followed no more
//! // t1 was just refreshed: nothing is due before the minimum interval.
//! let step = watch.step(now, &mut shared);
//! assert!(matches!(step, Step::SleepUntil(t) if t == Duration::from_secs(10)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Lane::Watch`]: crate::machine::budget::Lane::Watch

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use super::call::Call;
use super::{Now, Operation, Reply, Settings, Shared, Step};
use crate::endpoint::{Answer, Lane};
use crate::endpoints::get_task::GetTask;
use crate::endpoints::{
    BulkGetTasks, BulkItemError, BulkTasks, ListTasks, PageLimit, MAX_BULK_IDS,
};
use crate::error::ClientError;
use crate::fields::Fields;
use crate::model::{BatchCounts, Task, TaskPage, TaskStatus};
use crate::{ErrorCode, ProjectId, TaskId};

/// How a [`Watcher`] follows its tasks.
///
/// The defaults: bulk gets at most every 10 s per task ([`min_interval`](Self::min_interval));
/// for the watched tasks of a project whose listing strategy is cheaper (see the
/// [module docs](self)), an ended listing every 3 s, a started listing every 30 s, windows
/// overlapping by 60 s, bulk gets of the running tasks every 10 min for their progress and a
/// bulk sweep of all of them every 30 min (the reconciliation).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatcherPolicy {
    /// No task is refreshed more often than this (default 10 s, the official clients' poll
    /// interval): with few tasks, fewer requests; with many, the budget's pace decides.
    pub min_interval: Duration,
    /// Whether a batch parent's children are listed and reported (default on).
    pub follow_children: bool,
    /// Whether the tasks of a project may be followed by listings, the change feed (default
    /// on). Off: bulk gets only, as [`WaitMany`](super::WaitMany) and the client's waits do.
    pub feed: bool,
    /// How often a project on the listing strategy lists its tasks that ended (default 3 s).
    pub feed_interval: Duration,
    /// How often a project on the listing strategy lists its tasks that started (default
    /// 30 s): QUEUED → RUNNING, and new tasks of a project followed whole.
    pub started_interval: Duration,
    /// How far back each listing reaches before the previous one was sent (default 60 s): the
    /// platform's timestamps have 1-second precision, its listings may lag behind its gets
    /// and its clock may differ from ours. Repeats are dropped by id.
    pub feed_margin: Duration,
    /// How often the running tasks of a project on the listing strategy are refreshed by bulk
    /// gets, for their progress (default 10 min).
    pub progress_interval: Duration,
    /// How often every watched task of a project on the listing strategy is refreshed by bulk
    /// gets (default 30 min): the reconciliation, which catches an ending a lagging listing or
    /// a skewed clock hid. It costs ⌈n/100⌉ requests per interval for n tasks.
    pub reconcile_interval: Duration,
}

impl Default for WatcherPolicy {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(10),
            follow_children: true,
            feed: true,
            feed_interval: Duration::from_secs(3),
            started_interval: Duration::from_secs(30),
            feed_margin: Duration::from_secs(60),
            progress_interval: Duration::from_secs(600),
            reconcile_interval: Duration::from_secs(1800),
        }
    }
}

impl WatcherPolicy {
    /// Sets [`min_interval`](Self::min_interval).
    pub fn with_min_interval(self, min_interval: Duration) -> Self {
        Self {
            min_interval,
            ..self
        }
    }

    /// Sets [`follow_children`](Self::follow_children).
    pub fn with_follow_children(self, follow_children: bool) -> Self {
        Self {
            follow_children,
            ..self
        }
    }

    /// Sets [`feed`](Self::feed).
    pub fn with_feed(self, feed: bool) -> Self {
        Self { feed, ..self }
    }

    /// Sets [`feed_interval`](Self::feed_interval).
    pub fn with_feed_interval(self, feed_interval: Duration) -> Self {
        Self {
            feed_interval,
            ..self
        }
    }

    /// Sets [`started_interval`](Self::started_interval).
    pub fn with_started_interval(self, started_interval: Duration) -> Self {
        Self {
            started_interval,
            ..self
        }
    }

    /// Sets [`feed_margin`](Self::feed_margin).
    pub fn with_feed_margin(self, feed_margin: Duration) -> Self {
        Self {
            feed_margin,
            ..self
        }
    }

    /// Sets [`progress_interval`](Self::progress_interval).
    pub fn with_progress_interval(self, progress_interval: Duration) -> Self {
        Self {
            progress_interval,
            ..self
        }
    }

    /// Sets [`reconcile_interval`](Self::reconcile_interval).
    pub fn with_reconcile_interval(self, reconcile_interval: Duration) -> Self {
        Self {
            reconcile_interval,
            ..self
        }
    }
}

/// How the watched tasks of one project are followed ([`Watcher::strategies`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FeedStrategy {
    /// Bulk gets, 100 ids a request, each task every
    /// [`min_interval`](WatcherPolicy::min_interval): cheaper for a few tasks.
    BulkGet,
    /// Listings of the project's endings and starts (the change feed), plus slower bulk gets
    /// for progress and reconciliation: cheaper for many tasks.
    Listing,
}

/// What a [`Watcher`] knows of one project it follows tasks of ([`Watcher::projects`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProjectFeed {
    /// How its tasks are followed now (`None`: not chosen yet).
    pub strategy: Option<FeedStrategy>,
    /// Whether the project is followed whole ([`Watcher::add_project`]): its new tasks are
    /// followed too.
    pub whole: bool,
    /// Its watched tasks.
    pub watched: usize,
    /// Those of them last seen RUNNING.
    pub running: usize,
    /// The estimated requests per hour of [`FeedStrategy::BulkGet`].
    pub bulk_per_hour: f64,
    /// The estimated requests per hour of [`FeedStrategy::Listing`].
    pub listing_per_hour: f64,
}

/// What changed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// The task was seen for the first time (`from: None`), or in another status than before;
    /// it has not ended.
    Status {
        /// The task.
        id: TaskId,
        /// The status before (`None` the first time).
        from: Option<TaskStatus>,
        /// The task as just seen.
        task: Box<Task>,
    },
    /// Same status, but its steps or its batch children's counts moved.
    Progress {
        /// The task.
        id: TaskId,
        /// The task as just seen.
        task: Box<Task>,
    },
    /// The task ended (COMPLETED, FAILED or ABORTED): reported once; it is followed no more.
    Ended {
        /// The task.
        id: TaskId,
        /// The task as last seen.
        task: Box<Task>,
    },
    /// The platform does not know the id, or refuses it: reported once; followed no more.
    Gone {
        /// The id.
        id: TaskId,
        /// The platform's error for it.
        error: BulkItemError,
    },
    /// A child of a followed batch parent was seen for the first time (`from: None`) or in a
    /// new status, and it has not ended (an ending is [`WatchEvent::ChildEnded`]). The child
    /// carries the fields the children listing asked for (id, name, status, start and end
    /// times, parent).
    ChildStatus {
        /// The parent.
        parent: TaskId,
        /// The child's status before (`None` the first time).
        from: Option<TaskStatus>,
        /// The child as listed.
        child: Box<Task>,
    },
    /// A child of a followed batch parent ended (reported once per child).
    ChildEnded {
        /// The parent.
        parent: TaskId,
        /// The child, with the fields the listing asked for (id, name, status, end time).
        child: Box<Task>,
    },
}

impl WatchEvent {
    /// The id the event is about (the parent's, for [`WatchEvent::ChildStatus`] and
    /// [`WatchEvent::ChildEnded`]).
    pub fn id(&self) -> &TaskId {
        match self {
            WatchEvent::Status { id, .. }
            | WatchEvent::Progress { id, .. }
            | WatchEvent::Ended { id, .. }
            | WatchEvent::Gone { id, .. } => id,
            WatchEvent::ChildStatus { parent, .. } | WatchEvent::ChildEnded { parent, .. } => {
                parent
            }
        }
    }
}

/// What the driver of a [`Watcher`] does next.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
#[non_exhaustive]
pub(crate) enum WatchWant {
    /// Send this bulk get (in the budget's watch lane), then call [`Watcher::on_bulk`].
    Bulk(BulkGetTasks),
    /// The fast path of [`Watcher::lead`]: one id is due, alone; get it with
    /// `GET /tasks/{id}` and hand the task to [`Watcher::on_polled`].
    Get(GetTask),
    /// Send this listing of a batch parent's ended children, then call
    /// [`Watcher::on_children`].
    Children(Box<ListTasks>),
    /// Nothing is due: ask again after this long (or sooner, after [`Watcher::add`]).
    Wait(Duration),
    /// A request is in flight: hand its answer back first.
    Busy,
    /// Every task has ended or is gone.
    Done,
}

/// Nothing seen yet, followed by no wait.
#[derive(Debug, Clone, Default)]
struct Tracked {
    status: Option<TaskStatus>,
    steps: Option<(u64, u64)>,
    counts: Option<BatchCounts>,
    refreshed: Option<Duration>,
    /// The waits following it by [`Watcher::follow`] (0: followed by [`Watcher::add`] only).
    followers: usize,
    /// When it is next due, as its waiters set it ([`Watcher::set_due`]); `None`: due by
    /// `refreshed + min_interval` (the sweep order of [`Watcher::next_request`]).
    due: Option<Duration>,
    /// The task as last fetched for its waiters, and when (kept only for followed ids).
    latest: Option<(Duration, Task)>,
}

#[derive(Debug, Clone)]
struct ChildListing {
    parent: TaskId,
    /// `ended_from` of this listing: the start of the previous one (minus a margin), so that
    /// nothing is missed; repeats are dropped by id.
    since: Option<time::OffsetDateTime>,
    offset: u64,
    /// When its first page was asked for (set when that page is sent).
    started: Option<Duration>,
}

#[derive(Debug, Clone, Default)]
struct ParentState {
    /// Ended children already reported.
    reported: HashSet<TaskId>,
    /// Where the next listing starts (`ended_from`, wall clock): a minute before the last
    /// listing's first page was asked for.
    listed_at: Option<time::OffsetDateTime>,
    /// A listing is wanted (the ended counts grew).
    wanted: bool,
}

/// Follows a set of tasks: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Watcher {
    policy: WatcherPolicy,
    tasks: HashMap<TaskId, Tracked>,
    /// Ids in the order they are due: least recently refreshed first. May hold ids that have
    /// since ended (skipped when met).
    order: VecDeque<TaskId>,
    in_flight: Option<InFlight>,
    parents: HashMap<TaskId, ParentState>,
    children_queue: VecDeque<ChildListing>,
    events: VecDeque<WatchEvent>,
    requests: u64,
    projects: BTreeMap<ProjectId, ProjectState>,
}

/// The feed of one project.
#[derive(Debug, Clone, Default)]
struct ProjectState {
    whole: bool,
    strategy: Option<FeedStrategy>,
    members: HashSet<TaskId>,
    running: usize,
}

#[derive(Debug, Clone)]
enum InFlight {
    Bulk(Vec<TaskId>),
    Children(ChildListing),
}

/// How many children a listing page asks for.
const CHILD_PAGE: u32 = 100;

impl Watcher {
    /// A watcher following nothing yet.
    pub fn new(policy: WatcherPolicy) -> Self {
        Self {
            policy,
            tasks: HashMap::new(),
            order: VecDeque::new(),
            in_flight: None,
            parents: HashMap::new(),
            children_queue: VecDeque::new(),
            events: VecDeque::new(),
            requests: 0,
            projects: BTreeMap::new(),
        }
    }

    /// Follows every task of `project`: those that have not ended when it is first listed,
    /// and those that start (or end) after it was added. With
    /// [`feed`](WatcherPolicy::feed) off, nothing is followed for it.
    pub fn add_project(&mut self, project: ProjectId) {
        if !self.policy.feed {
            return;
        }
        self.projects.entry(project).or_default().whole = true;
    }

    /// The strategy of each project whose tasks are watched (projects whose strategy is not
    /// chosen yet are left out).
    pub fn strategies(&self) -> BTreeMap<ProjectId, FeedStrategy> {
        self.projects
            .iter()
            .filter_map(|(p, s)| Some((p.clone(), s.strategy?)))
            .collect()
    }

    /// What the watcher knows of each project it follows tasks of.
    pub fn projects(&self) -> BTreeMap<ProjectId, ProjectFeed> {
        self.projects
            .iter()
            .map(|(p, s)| {
                (
                    p.clone(),
                    ProjectFeed {
                        strategy: s.strategy,
                        whole: s.whole,
                        watched: s.members.len(),
                        running: s.running,
                        bulk_per_hour: 0.0,
                        listing_per_hour: 0.0,
                    },
                )
            })
            .collect()
    }

    /// Follows these ids too (ids already followed are not added twice). New ids are due at
    /// once, before every id already seen.
    pub fn add(&mut self, ids: impl IntoIterator<Item = TaskId>) {
        let mut fresh = Vec::new();
        for id in ids {
            if !self.tasks.contains_key(&id) {
                self.tasks.insert(id.clone(), Tracked::default());
                fresh.push(id);
            }
        }
        for id in fresh.into_iter().rev() {
            self.order.push_front(id);
        }
    }

    /// Stops following `id` (no event is reported for it from now on).
    pub fn remove(&mut self, id: &TaskId) {
        self.tasks.remove(id);
        self.parents.remove(id);
    }

    /// How many tasks are followed (not ended, not gone).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is followed.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Whether `id` is followed.
    pub fn contains(&self, id: &TaskId) -> bool {
        self.tasks.contains_key(id)
    }

    /// Requests asked for so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The followed tasks by last known status (`None`: not seen yet).
    pub fn status_counts(&self) -> HashMap<Option<TaskStatus>, usize> {
        let mut out = HashMap::new();
        for t in self.tasks.values() {
            *out.entry(t.status.clone()).or_insert(0) += 1;
        }
        out
    }

    /// The oldest and the newest refresh among the followed tasks that have been seen.
    pub fn refresh_span(&self) -> Option<(Duration, Duration)> {
        let mut it = self.tasks.values().filter_map(|t| t.refreshed);
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
    }

    /// A wait follows `id` from `now` on (reference-counted: the id is followed until its
    /// last [`Watcher::unfollow`]); it is due at once.
    /// (Not queued for [`Watcher::next_request`]'s sweeps: a followed id is due by its
    /// waiters' [`Watcher::set_due`].)
    pub(crate) fn follow(&mut self, id: &TaskId, now: Duration) {
        let t = self.tasks.entry(id.clone()).or_default();
        t.followers += 1;
        t.due = Some(t.due.map_or(now, |d| d.min(now)));
    }

    /// A wait that followed `id` is over: the last one stops following it.
    pub(crate) fn unfollow(&mut self, id: &TaskId) {
        let Some(t) = self.tasks.get_mut(id) else {
            return;
        };
        t.followers = t.followers.saturating_sub(1);
        if t.followers == 0 {
            self.remove(id);
        }
    }

    /// A waiter of `id` wants it next at `due` (its own interval and backoff).
    pub(crate) fn set_due(&mut self, id: &TaskId, due: Duration) {
        if let Some(t) = self.tasks.get_mut(id) {
            t.due = Some(due);
        }
    }

    /// The task of a followed `id` as fetched after `since`, if a request did.
    pub(crate) fn latest(&self, id: &TaskId, since: Duration) -> Option<&Task> {
        let (at, task) = self.tasks.get(id)?.latest.as_ref()?;
        (*at > since).then_some(task)
    }

    /// Whether a request is in flight (its answer is not handed back yet).
    pub(crate) fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The next request, led by a waiter of `id` at `now`: `id` first, then the other
    /// followed ids due before `now + lookahead`, soonest first (100 at most), in one bulk
    /// get; or, when `id` is the only one, the fast path [`WatchWant::Get`]. Hand the tasks
    /// fetched to [`Watcher::on_polled`].
    pub(crate) fn lead(&mut self, id: &TaskId, now: Duration, lookahead: Duration) -> WatchWant {
        let mut others: Vec<(Duration, &TaskId)> = self
            .tasks
            .iter()
            .filter_map(|(other, t)| Some((t.due?, other)))
            .filter(|(due, other)| *other != id && *due <= now + lookahead)
            .collect();
        others.sort();
        let mut ids = vec![id.clone()];
        ids.extend(
            others
                .into_iter()
                .take(MAX_BULK_IDS - 1)
                .map(|(_, other)| other.clone()),
        );
        self.requests += 1;
        let want = if ids.len() == 1 {
            WatchWant::Get(GetTask::new(id.clone()))
        } else {
            WatchWant::Bulk(BulkGetTasks::new(ids.clone()))
        };
        self.in_flight = Some(InFlight::Bulk(ids));
        want
    }

    /// The tasks fetched at `now` by the request of [`Watcher::lead`]: each followed id
    /// keeps its latest task for its waiters. Nothing fetched (the request failed or was
    /// abandoned): the waiters poll again themselves.
    pub(crate) fn on_polled(&mut self, fetched: Vec<(TaskId, Task)>, now: Duration) {
        for (id, task) in fetched {
            if let Some(t) = self.tasks.get_mut(&id) {
                t.refreshed = Some(now);
                t.latest = Some((now, task));
            }
        }
        self.in_flight = None;
    }

    /// The next event, if any.
    pub(crate) fn pop_event(&mut self) -> Option<WatchEvent> {
        self.events.pop_front()
    }

    /// What to send at wall-clock time `now`.
    pub(crate) fn next_request(&mut self, now: Duration) -> WatchWant {
        if self.in_flight.is_some() {
            return WatchWant::Busy;
        }
        if let Some(mut listing) = self.children_queue.pop_front() {
            if listing.offset == 0 && listing.started.is_none() {
                listing.started = Some(now);
            }
            let call = child_listing(&listing);
            self.in_flight = Some(InFlight::Children(listing));
            self.requests += 1;
            return WatchWant::Children(Box::new(call));
        }
        if self.tasks.is_empty() {
            return WatchWant::Done;
        }
        let mut ids = Vec::with_capacity(MAX_BULK_IDS);
        let mut seen = HashSet::new();
        let mut wait: Option<Duration> = None;
        let horizon = self.policy.min_interval / 4;
        while ids.len() < MAX_BULK_IDS {
            let Some(id) = self.order.front() else { break };
            let Some(t) = self.tasks.get(id) else {
                // Ended, gone or removed since it was queued.
                self.order.pop_front();
                continue;
            };
            if !seen.insert(id.clone()) {
                // Queued twice (re-added): the later place counts.
                self.order.pop_front();
                continue;
            }
            if let Some(at) = t.refreshed {
                let due = at + self.policy.min_interval;
                // Ids due within a quarter of the interval ride along in a request that goes
                // anyway: the requests of a sweep stay full, instead of keeping for ever the
                // cut of a sweep that was sent in pieces.
                let limit = if ids.is_empty() { now } else { now + horizon };
                if due > limit {
                    wait = Some(due.saturating_sub(now));
                    break;
                }
            }
            if let Some(id) = self.order.pop_front() {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return WatchWant::Wait(wait.unwrap_or(self.policy.min_interval));
        }
        self.in_flight = Some(InFlight::Bulk(ids.clone()));
        self.requests += 1;
        WatchWant::Bulk(BulkGetTasks::new(ids))
    }

    /// The request asked for failed (after its retries): a sweep's ids are due again at once,
    /// a listing is asked again after the next sweep.
    pub(crate) fn on_failed(&mut self) {
        match self.in_flight.take() {
            Some(InFlight::Bulk(ids)) => {
                for id in ids.into_iter().rev() {
                    self.order.push_front(id);
                }
            }
            Some(InFlight::Children(listing)) => self.children_queue.push_back(listing),
            None => {}
        }
    }

    /// The answer to the [`WatchWant::Bulk`] request.
    pub(crate) fn on_bulk(&mut self, now: Duration, answer: Answer<BulkTasks>) {
        let Some(InFlight::Bulk(ids)) = self.in_flight.take() else {
            return;
        };
        for (id, item) in ids.into_iter().zip(answer.value.items) {
            if !self.tasks.contains_key(&id) {
                continue;
            }
            match item {
                Ok(task) => self.on_task(now, id, task),
                Err(error) if is_gone(&error) => {
                    self.tasks.remove(&id);
                    self.parents.remove(&id);
                    self.events.push_back(WatchEvent::Gone { id, error });
                }
                Err(_) => {
                    // Another error for this id (a 5xx inside the answer): try again later.
                    if let Some(t) = self.tasks.get_mut(&id) {
                        t.refreshed = Some(now);
                    }
                    self.order.push_back(id);
                }
            }
        }
    }

    fn on_task(&mut self, now: Duration, id: TaskId, task: Task) {
        let Some(t) = self.tasks.get_mut(&id) else {
            return;
        };
        let status = task.status.clone();
        let steps = task.execution_status.as_ref().and_then(|e| e.steps());
        let counts = task
            .execution_status
            .as_ref()
            .and_then(|e| e.batch_counts());
        let ended_children =
            |c: Option<BatchCounts>| c.map_or(0, |c| c.completed + c.failed + c.aborted);
        let children_grew =
            self.policy.follow_children && ended_children(counts) > ended_children(t.counts);
        let first = t.refreshed.is_none();
        let before = t.status.clone();
        let status_changed = first || before != status;
        let progressed = !status_changed && (t.steps != steps || t.counts != counts);
        t.status = status.clone();
        t.steps = steps;
        t.counts = counts;
        t.refreshed = Some(now);
        if children_grew {
            let p = self.parents.entry(id.clone()).or_default();
            if !p.wanted {
                p.wanted = true;
                self.children_queue.push_back(ChildListing {
                    parent: id.clone(),
                    since: p.listed_at,
                    offset: 0,
                    started: None,
                });
            }
        }
        if status.as_ref().is_some_and(TaskStatus::is_terminal) {
            // Followed no more; a parent's last children are still listed (already queued).
            self.tasks.remove(&id);
            self.events.push_back(WatchEvent::Ended {
                id,
                task: Box::new(task),
            });
            return;
        }
        self.order.push_back(id.clone());
        if status_changed {
            let from = if first { None } else { before };
            self.events.push_back(WatchEvent::Status {
                id,
                from,
                task: Box::new(task),
            });
        } else if progressed {
            self.events.push_back(WatchEvent::Progress {
                id,
                task: Box::new(task),
            });
        }
    }

    /// The answer to the [`WatchWant::Children`] request.
    pub(crate) fn on_children(&mut self, now: Duration, page: Answer<TaskPage>) {
        let Some(InFlight::Children(listing)) = self.in_flight.take() else {
            return;
        };
        let total = page.meta.total_matching;
        let items = page.value.items.unwrap_or_default();
        let n = items.len() as u64;
        let state = self.parents.entry(listing.parent.clone()).or_default();
        for child in items {
            let Some(cid) = child.id.as_deref().and_then(|s| s.parse::<TaskId>().ok()) else {
                continue;
            };
            let ended = child.status.as_ref().is_some_and(TaskStatus::is_terminal);
            if ended && state.reported.insert(cid) {
                self.events.push_back(WatchEvent::ChildEnded {
                    parent: listing.parent.clone(),
                    child: Box::new(child),
                });
            }
        }
        let next_offset = listing.offset + n;
        let more = match total {
            Some(total) => next_offset < total,
            None => n == u64::from(CHILD_PAGE),
        };
        if more && n > 0 {
            self.children_queue.push_front(ChildListing {
                offset: next_offset,
                ..listing
            });
        } else {
            state.wanted = false;
            // The next listing reaches a minute before this one's first page was asked for:
            // a child that ended while the pages were read (a 429 can pause them for long) is
            // not missed, the platform's clock and ours may differ, and repeats are dropped
            // by id.
            let from = listing.started.unwrap_or(now);
            let secs = i64::try_from(from.as_secs()).unwrap_or(i64::MAX);
            if let Ok(wall) = time::OffsetDateTime::from_unix_timestamp(secs) {
                state.listed_at = Some(wall - time::Duration::minutes(1));
            }
            // A parent no longer followed (it ended) needs no memory of its children.
            if !self.tasks.contains_key(&listing.parent) {
                self.parents.remove(&listing.parent);
            }
        }
    }
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Fetch<'a> {
    Bulk(Call<'a, BulkGetTasks>),
    Children(Call<'a, ListTasks>),
}

/// Follows tasks until each has ended, as an [`Operation`]: a [`Watcher`] whose requests are
/// sent in the budget's [`Lane::Watch`], after a probe of the rate limit. Each event is a
/// [`WatchEvent`], or the error of a request that failed after its retries (the watch goes on:
/// its tasks are due again at once); the outcome comes when every task has ended or is gone.
#[derive(Debug)]
pub struct Watch<'a> {
    settings: &'a Settings,
    watcher: Watcher,
    started: bool,
    fetch: Option<Fetch<'a>>,
}

impl<'a> Watch<'a> {
    /// Follows `ids` with a [`Watcher`] of the settings' [`WatcherPolicy`].
    pub fn new(settings: &'a Settings, ids: impl IntoIterator<Item = TaskId>) -> Self {
        let mut watcher = Watcher::new(settings.watcher.clone());
        watcher.add(ids);
        Self {
            settings,
            watcher,
            started: false,
            fetch: None,
        }
    }

    /// Follows every task of `project` ([`Watcher::add_project`]) with a [`Watcher`] of the
    /// settings' [`WatcherPolicy`]: the tasks that have not ended when the project is first
    /// listed, and those that start after. The watch is over when the project was listed and
    /// every task followed has ended.
    pub fn project(settings: &'a Settings, project: ProjectId) -> Self {
        let mut watch = Self::new(settings, []);
        watch.watcher.add_project(project);
        watch
    }

    /// The watcher: what is followed, counts by status, requests made.
    pub fn watcher(&self) -> &Watcher {
        &self.watcher
    }

    /// Follows these ids too.
    pub fn add(&mut self, ids: impl IntoIterator<Item = TaskId>) {
        self.watcher.add(ids);
    }
}

impl Operation for Watch<'_> {
    type Event = Result<WatchEvent, ClientError>;
    type Output = ();

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Self::Event, ()> {
        if !std::mem::replace(&mut self.started, true) {
            shared.budget_mut().want_probe();
        }
        loop {
            let failed = match &mut self.fetch {
                Some(Fetch::Bulk(call)) => match call.step(now, shared).outcome() {
                    Ok(answer) => answer.map(|a| self.watcher.on_bulk(now.unix, a)).err(),
                    Err(pass) => return pass,
                },
                Some(Fetch::Children(call)) => match call.step(now, shared).outcome() {
                    Ok(answer) => answer.map(|a| self.watcher.on_children(now.unix, a)).err(),
                    Err(pass) => return pass,
                },
                None => None,
            };
            self.fetch = None;
            if let Some(e) = failed {
                self.watcher.on_failed();
                return Step::Event(Err(e));
            }
            if let Some(event) = self.watcher.pop_event() {
                return Step::Event(Ok(event));
            }
            let settings = self.settings;
            self.fetch = Some(match self.watcher.next_request(now.unix) {
                WatchWant::Bulk(call) => {
                    Fetch::Bulk(Call::owned(settings, call).in_lane(Lane::Watch))
                }
                WatchWant::Children(call) => {
                    Fetch::Children(Call::owned(settings, *call).in_lane(Lane::Watch))
                }
                WatchWant::Wait(d) => return Step::SleepUntil(now.mono + d),
                // Done (or Busy, which a watch that hands every answer back never sees).
                _ => return Step::Done(()),
            });
        }
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        match &mut self.fetch {
            Some(Fetch::Bulk(call)) => call.on_answer(answer, now, shared),
            Some(Fetch::Children(call)) => call.on_answer(answer, now, shared),
            None => {}
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        match &mut self.fetch {
            Some(Fetch::Bulk(call)) => call.abandon(shared),
            Some(Fetch::Children(call)) => call.abandon(shared),
            None => {}
        }
    }
}

fn is_gone(error: &BulkItemError) -> bool {
    match error {
        BulkItemError::Api(e) => {
            matches!(
                e.code,
                Some(ErrorCode::TaskNotFound | ErrorCode::EmptyTaskId | ErrorCode::InvalidTaskId)
            ) || e.status == 404
        }
        // An entry the decoder could not use: a glitch of one answer, tried again.
        _ => false,
    }
}

fn child_listing(l: &ChildListing) -> ListTasks {
    let fields: Fields = "id,name,status,end_time,parent"
        .parse()
        .unwrap_or(Fields::All);
    let limit = PageLimit::new(u64::from(CHILD_PAGE)).unwrap_or(PageLimit::MAX);
    let mut call = ListTasks::children_of(l.parent.clone())
        .fields(fields)
        .limit(limit)
        .offset(l.offset);
    if let Some(since) = l.since {
        call = call.ended_from(since);
    }
    call
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthToken, Config, Decoding, Endpoint, Platform};

    const T0: u64 = 1_700_000_000;

    fn at(s: u64) -> Duration {
        Duration::from_secs(T0 + s)
    }

    fn ids(n: usize) -> Vec<TaskId> {
        (0..n).map(|i| format!("t{i}").parse().unwrap()).collect()
    }

    #[test]
    fn followed_ids_are_due_as_their_waiters_say_and_one_due_alone_is_a_plain_get() {
        let mut w = Watcher::new(WatcherPolicy::default().with_follow_children(false));
        let [a, b, c] = [&ids(3)[0], &ids(3)[1], &ids(3)[2]].map(Clone::clone);
        w.follow(&a, at(0));
        // Alone: the fast path.
        let WatchWant::Get(get) = w.lead(&a, at(0), Duration::from_secs(2)) else {
            panic!("a get of one id");
        };
        assert_eq!(get.id(), &a);
        assert!(w.in_flight());
        let task: Task = serde_json::from_str(r#"{"id":"t0","status":"RUNNING"}"#).unwrap();
        w.on_polled(vec![(a.clone(), task)], at(1));
        assert!(!w.in_flight());
        assert!(w.latest(&a, at(0)).is_some());
        assert!(
            w.latest(&a, at(1)).is_none(),
            "not fresher than a look at 1 s"
        );
        // Two more waiters: b due within the lookahead rides along, c (due later) does not.
        w.follow(&b, at(1));
        w.follow(&c, at(1));
        w.set_due(&b, at(3));
        w.set_due(&c, at(9));
        let WatchWant::Bulk(bulk) = w.lead(&a, at(2), Duration::from_secs(2)) else {
            panic!("a bulk get");
        };
        assert_eq!(bulk.ids(), [a.clone(), b.clone()]);
        w.on_polled(Vec::new(), at(2));
        // Followed until the last waiter of an id leaves.
        w.follow(&a, at(2));
        w.unfollow(&a);
        assert!(w.contains(&a));
        w.unfollow(&a);
        assert!(!w.contains(&a));
        assert_eq!(w.len(), 2);
    }

    /// A platform answering each id with `status_of(id)` (`None`: unknown id).
    fn answer(
        call: &BulkGetTasks,
        status_of: impl Fn(&str) -> Option<String>,
    ) -> Answer<BulkTasks> {
        let items: Vec<String> = call
            .ids()
            .iter()
            .map(|id| match status_of(id.as_str()) {
                Some(s) => format!(r#"{{"resource":{{"id":"{id}","status":"{s}"}}}}"#),
                None => r#"{"error":{"status":404,"code":7002,"message":"no such task"}}"#.into(),
            })
            .collect();
        let body = format!(r#"{{"items":[{}]}}"#, items.join(","));
        let response = http::Response::builder().status(200).body(body).unwrap();
        let _ = Config::new(Platform::Cgc, AuthToken::new("t").unwrap());
        call.parse_response(&response, &Decoding::Strict).unwrap()
    }

    fn drain(w: &mut Watcher) -> Vec<WatchEvent> {
        std::iter::from_fn(|| w.pop_event()).collect()
    }

    #[test]
    fn sweeps_take_100_ids_least_recently_refreshed_first_and_respect_the_interval() {
        let mut w = Watcher::new(WatcherPolicy::default());
        w.add(ids(250));
        let mut sizes = Vec::new();
        let mut first_ids = Vec::new();
        for k in 0..3 {
            let WatchWant::Bulk(call) = w.next_request(at(k)) else {
                panic!("a sweep is due")
            };
            assert_eq!(w.next_request(at(k)), WatchWant::Busy);
            sizes.push(call.ids().len());
            first_ids.push(call.ids()[0].to_string());
            w.on_bulk(at(k), answer(&call, |_| Some("RUNNING".into())));
        }
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(first_ids, ["t0", "t100", "t200"]);
        assert_eq!(drain(&mut w).len(), 250, "a first Status event for each");
        // All refreshed within 2 s: the next is due 10 s after the first refresh.
        assert_eq!(
            w.next_request(at(3)),
            WatchWant::Wait(Duration::from_secs(7))
        );
        let WatchWant::Bulk(call) = w.next_request(at(10)) else {
            panic!()
        };
        assert_eq!(call.ids()[0].as_str(), "t0");
        assert_eq!(call.ids().len(), 100, "only those refreshed at 0 s are due");
        assert_eq!(w.requests(), 4);
    }

    #[test]
    fn an_ending_is_reported_once_and_unknown_ids_are_gone() {
        let mut w = Watcher::new(WatcherPolicy::default().with_min_interval(Duration::ZERO));
        w.add(ids(3));
        let status = |step: u32| {
            move |id: &str| match id {
                "t0" => Some(if step == 0 { "QUEUED" } else { "RUNNING" }.to_owned()),
                "t1" => Some("COMPLETED".to_owned()),
                _ => None,
            }
        };
        let WatchWant::Bulk(call) = w.next_request(at(0)) else {
            panic!()
        };
        w.on_bulk(at(0), answer(&call, status(0)));
        let events = drain(&mut w);
        assert!(matches!(&events[0], WatchEvent::Status { from: None, .. }));
        assert!(matches!(&events[1], WatchEvent::Ended { id, .. } if id.as_str() == "t1"));
        assert!(matches!(&events[2], WatchEvent::Gone { id, .. } if id.as_str() == "t2"));
        assert_eq!(w.len(), 1);
        let WatchWant::Bulk(call) = w.next_request(at(1)) else {
            panic!()
        };
        assert_eq!(
            call.ids().len(),
            1,
            "ended and gone ids are not asked again"
        );
        w.on_bulk(at(1), answer(&call, status(1)));
        let events = drain(&mut w);
        assert!(matches!(
            &events[..],
            [WatchEvent::Status {
                from: Some(TaskStatus::Queued),
                ..
            }]
        ));
        // The same status again: no event.
        let WatchWant::Bulk(call) = w.next_request(at(2)) else {
            panic!()
        };
        w.on_bulk(at(2), answer(&call, status(1)));
        assert!(drain(&mut w).is_empty());
    }

    #[test]
    fn a_failed_sweep_makes_its_ids_due_again_first() {
        let mut w = Watcher::new(WatcherPolicy::default());
        w.add(ids(150));
        let WatchWant::Bulk(call) = w.next_request(at(0)) else {
            panic!()
        };
        w.on_failed();
        let WatchWant::Bulk(again) = w.next_request(at(0)) else {
            panic!()
        };
        assert_eq!(again.ids(), call.ids());
        assert!(drain(&mut w).is_empty());
    }

    #[test]
    fn children_are_listed_only_when_the_ended_counts_grow() {
        let mut w = Watcher::new(WatcherPolicy::default().with_min_interval(Duration::ZERO));
        let parent: TaskId = "p".parse().unwrap();
        w.add([parent.clone()]);
        let sweep = |w: &mut Watcher, t: u64, completed: u32| {
            let WatchWant::Bulk(call) = w.next_request(at(t)) else {
                panic!("a sweep, not a listing")
            };
            let body = format!(
                r#"{{"items":[{{"resource":{{"id":"p","status":"RUNNING","batch":true,
                "execution_status":{{"queued":0,"running":2,"completed":{completed},"failed":0,"aborted":0}}}}}}]}}"#
            );
            let r = http::Response::builder().status(200).body(body).unwrap();
            w.on_bulk(at(t), call.parse_response(&r, &Decoding::Strict).unwrap());
        };
        // `sweep` panics unless the next request is a sweep: no listing while nothing ended.
        sweep(&mut w, 0, 0);
        sweep(&mut w, 1, 1);
        let WatchWant::Children(list) = w.next_request(at(1)) else {
            panic!("the counts grew: a listing")
        };
        assert_eq!(list.parent.as_ref(), Some(&parent));
        assert!(
            list.ended_from.is_none(),
            "the first listing has no lower bound"
        );
        let page = |children: &[&str]| {
            let items: Vec<String> = children
                .iter()
                .map(|c| format!(r#"{{"id":"{c}","status":"COMPLETED","parent":"p"}}"#))
                .collect();
            let body = format!(r#"{{"items":[{}]}}"#, items.join(","));
            let r = http::Response::builder()
                .status(200)
                .header("X-Total-Matching-Query", children.len().to_string())
                .body(body)
                .unwrap();
            list.parse_response(&r, &Decoding::Strict).unwrap()
        };
        // The page is answered long after it was asked for (say a 429 held it).
        w.on_children(at(500), page(&["c1"]));
        let events = drain(&mut w);
        assert!(events
            .iter()
            .any(|e| matches!(e, WatchEvent::ChildEnded { child, .. } if child.id.as_deref() == Some("c1"))));
        // Same counts: no listing; more ended: a listing from a minute before the last.
        sweep(&mut w, 2, 1);
        sweep(&mut w, 3, 2);
        let WatchWant::Children(list) = w.next_request(at(3)) else {
            panic!()
        };
        // From a minute before the first page was ASKED for, not answered: a child that ended
        // meanwhile is not missed.
        let from = list
            .ended_from
            .expect("a lower bound")
            .datetime()
            .unix_timestamp();
        assert_eq!(from, (T0 + 1 - 60) as i64);
        // c1 again (the overlap) is not reported twice.
        let items = ["c1", "c2"];
        let body = format!(
            r#"{{"items":[{}]}}"#,
            items
                .iter()
                .map(|c| format!(r#"{{"id":"{c}","status":"FAILED"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        let r = http::Response::builder().status(200).body(body).unwrap();
        w.on_children(at(3), list.parse_response(&r, &Decoding::Strict).unwrap());
        let ended: Vec<_> = drain(&mut w)
            .into_iter()
            .filter_map(|e| match e {
                WatchEvent::ChildEnded { child, .. } => child.id,
                _ => None,
            })
            .collect();
        assert_eq!(ended, ["c2"]);
    }

    #[test]
    fn an_ended_parent_is_forgotten_after_its_last_listing() {
        let mut w = Watcher::new(WatcherPolicy::default());
        let parent: TaskId = "p".parse().unwrap();
        w.add([parent.clone()]);
        let WatchWant::Bulk(call) = w.next_request(at(0)) else {
            panic!()
        };
        let body = r#"{"items":[{"resource":{"id":"p","status":"COMPLETED","batch":true,
            "execution_status":{"queued":0,"running":0,"completed":1,"failed":0,"aborted":0}}}]}"#;
        let r = http::Response::builder().status(200).body(body).unwrap();
        w.on_bulk(at(0), call.parse_response(&r, &Decoding::Strict).unwrap());
        assert!(w.is_empty(), "the parent ended");
        let WatchWant::Children(list) = w.next_request(at(0)) else {
            panic!("its last children are still listed")
        };
        let r = http::Response::builder()
            .status(200)
            .body(r#"{"items":[{"id":"c1","status":"COMPLETED"}]}"#)
            .unwrap();
        w.on_children(at(0), list.parse_response(&r, &Decoding::Strict).unwrap());
        let events = drain(&mut w);
        assert!(matches!(&events[0], WatchEvent::Ended { .. }));
        assert!(matches!(&events[1], WatchEvent::ChildEnded { .. }));
        assert!(
            w.parents.is_empty(),
            "nothing kept for a parent no longer followed"
        );
        assert_eq!(w.next_request(at(1)), WatchWant::Done);
    }

    #[test]
    fn a_sweep_sent_in_pieces_is_sent_in_full_requests_next_time() {
        let mut w =
            Watcher::new(WatcherPolicy::default().with_min_interval(Duration::from_secs(1)));
        let all = ids(187);
        // The first sweep went out in three pieces 50 ms apart (the ids came in three goes).
        let mut t = Duration::from_secs(T0);
        let mut start = 0;
        for n in [65, 58, 64] {
            w.add(all[start..start + n].iter().cloned());
            start += n;
            let WatchWant::Bulk(call) = w.next_request(t) else {
                panic!()
            };
            assert_eq!(call.ids().len(), n);
            w.on_bulk(t, answer(&call, |_| Some("RUNNING".into())));
            t += Duration::from_millis(50);
        }
        // One interval later: full requests, not the old three pieces.
        let mut t = Duration::from_secs(T0 + 1);
        let mut sizes = Vec::new();
        while sizes.iter().sum::<usize>() < 187 {
            match w.next_request(t) {
                WatchWant::Bulk(call) => {
                    sizes.push(call.ids().len());
                    w.on_bulk(t, answer(&call, |_| Some("RUNNING".into())));
                }
                WatchWant::Wait(d) => t += d,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(sizes, [100, 87]);
    }
}
