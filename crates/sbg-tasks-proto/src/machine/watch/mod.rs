//! Following many tasks at once: a sans-IO watcher that notices what changed with bulk gets
//! (100 ids a request, least recently refreshed first) or, for the many tasks of one project,
//! with listings of the project (the change feed), whichever costs fewer requests.
//!
//! The platform pushes nothing to programs, and its rate limit is the scarce resource: one GET
//! per task per poll (what the official clients do) refreshes 10 000 tasks once every ~50
//! minutes at the full budget. A bulk get refreshes 100 tasks for one request, so one sweep of
//! 10 000 tasks costs 100 requests: O(n) per look. A listing filtered by `ended_from` and
//! sorted by `end_time` gives the endings since the last look, 100 a page: O(endings / 100)
//! per look, whatever n.
//!
//! [`Watch`] is the operation (the clients' `watch` and `watch_project`;
//! [`WaitMany`](super::WaitMany) is `wait_any` / `wait_all` on the same [`Watcher`]): each
//! request is sent in the budget's [`Lane::Watch`], which caps and paces it, and what changed
//! comes out as [`WatchEvent`]s:
//!
//! - a task seen for the first time or in a new status: [`WatchEvent::Status`];
//! - its steps or its batch children's counts moved: [`WatchEvent::Progress`];
//! - it ended (COMPLETED, FAILED, ABORTED): [`WatchEvent::Ended`], exactly once (by whichever
//!   request saw it first), and it is followed no more;
//! - an id the platform does not know (or refuses as malformed): [`WatchEvent::Gone`], once;
//! - a batch parent's children: the first time the parent is seen with children, all of them
//!   are listed (`parent=`, a short `fields`); then, when the parent's counts move, those
//!   started since the last listing (`started_from`) and those ended since (`ended_from`). A
//!   child seen for the first time or in a new status is a [`WatchEvent::ChildStatus`]; its
//!   ending a [`WatchEvent::ChildEnded`], once. No listing on a sweep where the counts did not
//!   move, except when the listings lag behind the counts: then the listing is asked again a
//!   quarter of [`feed_margin`](WatcherPolicy::feed_margin) later, until one is sent a
//!   margin after the counts last grew. A parent that ended is kept until its ended children
//!   are all reported, or such a listing was answered (at most 8 listings after its end).
//!
//! # Strategies: bulk gets or listings, per project
//!
//! A watched id learns its project from its first bulk get (the task's `project`); ids whose
//! project is not known stay on bulk gets. Once the first sweep is over, the watcher estimates
//! the requests per hour of each strategy for each project with n watched tasks, r of them
//! running ([`Watcher::projects`]):
//!
//! - [`FeedStrategy::BulkGet`]: ⌈n/100⌉ · 3600 / the feed's interval (3 s): bulk gets at the
//!   notice time the listings give, so that the two are compared for the same service (at
//!   [`min_interval`](WatcherPolicy::min_interval) when that is shorter);
//! - [`FeedStrategy::Listing`]: 3600 / [`feed_interval`](WatcherPolicy::feed_interval) (3 s) ×
//!   pages per ended listing (learned, from 1) + 3600 /
//!   [`started_interval`](WatcherPolicy::started_interval) (30 s) + ⌈r/100⌉ · 3600 /
//!   [`progress_interval`](WatcherPolicy::progress_interval) (10 min) + ⌈n/100⌉ · 3600 /
//!   [`reconcile_interval`](WatcherPolicy::reconcile_interval) (30 min);
//!
//! and takes the cheaper; it leaves a strategy only for one at most 80 % of its cost (so it does
//! not flap). 3 watched tasks of a project of 50 000 cost 1 200 requests an hour by bulk gets
//! and more than 1 300 by listings: bulk gets (which then run at `min_interval`, 10 s: 360 an
//! hour). 10 000 running cost 120 000 by bulk gets (ten times what a budget of 1 000 per 5
//! minutes gives) and about 2 100 by listings: listings. The two cost the same near 110
//! tasks; a project on listings stays there while it has tasks (a hundred bulk-gotten every 3 s
//! cost more than its listings), unless its ended listings need many pages (a busy project of
//! which few tasks are watched). Listings are considered only when
//! `feed_interval ≤ min_interval` (a shorter `min_interval` asks for faster noticing than the
//! feed gives), and only with [`feed`](WatcherPolicy::feed) on (the default; `WaitMany` and the
//! client's single waits turn it off). A batch parent stays on bulk gets: its counts drive its
//! children's listings.
//!
//! On listings, a project's tasks are followed by:
//!
//! - the **ended listing**, every `feed_interval`:
//!   `project=P&ended_from=T&order_by=end_time&order=asc&limit=100&fields=id,name,status,
//!   project,start_time,end_time,parent,batch`, paged on while a page is full or
//!   `X-Total-Matching-Query` says more. T is when the previous ended listing was sent (our
//!   clock, whole seconds) minus a margin: the platform's timestamps have 1-second precision
//!   and the bounds are inclusive, its listings may show a change later than its gets (a
//!   listing lag L), and its clock may differ from ours by a skew S; an ending is missed by
//!   the listings only if L − S exceeds the margin. The margin is
//!   [`feed_margin`](WatcherPolicy::feed_margin) (60 s) at first; it then follows how late
//!   the endings come: twice the largest lateness seen lately (how long before the previous
//!   listing was sent a newly listed task had ended, which measures L − S) plus 5 s, at least
//!   10 s, at most `feed_margin`; and it is `feed_margin` again as soon as a bulk get finds an
//!   ending that the listings can no longer show. Without lag, windows of ~13 s instead of
//!   63 s: each ending is listed about 4 times instead of 21, and a busy project needs fewer
//!   pages. The windows overlap, and repeats are dropped by id: a task reported ended is
//!   followed no more, so the next listing that shows it again skips it.
//! - the **started listing**, every `started_interval`, while a watched task has not started
//!   (or for a project followed whole): `started_from`, by `start_time`: QUEUED → RUNNING as
//!   [`WatchEvent::Status`]. A listing never moves a task back (a lagging listing may show an
//!   older status than a get did).
//! - **progress**: a bulk get of the running tasks every `progress_interval`, for
//!   [`WatchEvent::Progress`] (steps) — and any ending it sees.
//! - the **reconciliation**: a bulk get of every watched task of the project every
//!   `reconcile_interval` (30 min), ⌈n/100⌉ requests (100 for 10 000 tasks, 200 an hour):
//!   it catches an ending that a listing lagging more than the margin, or a clock skewed
//!   further, hid; it reports through the same exactly-once path. So nothing is missed for
//!   longer than `reconcile_interval`, while the budget pays for what is due.
//!
//! **Order.** Of the ended listings due, the one due the longest goes first (the projects
//! take turns). Then come the sweeps (progress, reconciliation) and the pages of started
//! and first listings, again the one due the longest first. Ended listings go first, but at
//! most 3 in a row while such other work waits. So under a budget too small for all that is
//! due (many projects, a small share) the other work gets at least one request in 4: the
//! reconciliation runs late, and is never starved.
//!
//! Events that come from a listing carry the listing's task, with the short `fields` above
//! (no `execution_status`, no inputs or outputs): an [`WatchEvent::Ended`] from the ended
//! listing, for one. Tasks of the project that are not watched only cost their place on a
//! page.
//!
//! # A project followed whole
//!
//! [`Watch::project`] ([`Watcher::add_project`]) follows every task of a project: it lists the
//! project once (oldest first, 100 a page, the short fields) and follows the tasks that have
//! not ended; a task that starts later appears in the started listing (which runs whatever the
//! strategy), and one that ends between two started listings in the ended listing; a task
//! that ended more than [`feed_margin`](WatcherPolicy::feed_margin) before the project was
//! first listed is not reported (one that ended within it is: the platform's clock and a
//! lagging first listing cannot tell it from an ending just after). (A task created after
//! that is seen once it starts, not while it waits.) Its strategy is chosen once the first
//! listing was read; the watch is over when every task followed has ended. Its ended listing
//! runs from the start, and goes between the pages of an initial or a started listing (see
//! **Order** above): 10 000 tasks take 100 pages to enumerate (50 s at the budget's pace), and
//! 10 000 that started together as many to list again, but an ending is not held up behind
//! them for more than an interval and a page.
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
//! # Where things are
//!
//! - `watch/mod.rs` (here): the policy ([`WatcherPolicy`]), what comes out ([`WatchEvent`],
//!   [`FeedStrategy`], [`ProjectFeed`]), the [`Watcher`] itself (the ids it follows, the
//!   bulk-get sweeps, the ids the waits follow, the answers to bulk gets) and the [`Watch`]
//!   operation that drives it;
//! - `watch/feed.rs`: the change feed: what is kept of each project, the choice of each
//!   project's strategy, its listings (ended, started, the first one of a project followed
//!   whole) and their answers, the progress and reconciliation bulk gets of a project on
//!   listings;
//! - `watch/children.rs`: batch children: what is kept of each batch parent, the listings of
//!   its children and their answers, and when they are listed again or the parent is
//!   forgotten.
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
use crate::fields::FieldName;
use crate::model::{BatchCounts, Task, TaskStatus};
use crate::{ErrorCode, ProjectId, TaskId};

mod children;
mod feed;

use children::{child_listing, ChildKind, ChildListing, ParentState, CHILD_PAGE};
use feed::{ProjectState, Reported};

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
    /// and its clock may differ from ours. Repeats are dropped by id. The ended listings of a
    /// project narrow it while their endings come on time (see the [module docs](self)); this
    /// is the most they reach back.
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
    /// Send this listing of a batch parent's children, then call [`Watcher::on_children`].
    Children(Box<ListTasks>),
    /// Send this listing of a project's tasks (the change feed), then call
    /// [`Watcher::on_feed`].
    Feed(Box<ListTasks>),
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
    /// Its project, once known (a bulk get's `project`, or the listing that found it).
    project: Option<ProjectId>,
    /// A batch parent: followed by bulk gets whatever its project's strategy, since its
    /// counts drive its children's listings.
    batch: bool,
}

impl Tracked {
    /// A batch parent (or a task with batch counts): its counts drive its children's
    /// listings, so it is read by gets, never settled from a listing's short fields.
    fn drives_children(&self) -> bool {
        self.batch || self.counts.is_some()
    }
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
    /// Followed ids not fetched yet: strategies are chosen once every project is known.
    unseen: usize,
    /// Ended listings sent in a row while a project's bulk get or a page of its started or
    /// first listing was waiting (see [`ENDED_IN_A_ROW`](feed::ENDED_IN_A_ROW)).
    ended_in_a_row: u32,
}

#[derive(Debug, Clone)]
enum InFlight {
    /// A bulk get; of a project's sweep (progress, reconciliation) when it names one.
    Bulk(Vec<TaskId>, Option<ProjectId>),
    Children(ChildListing),
    /// A listing of this project: its initial or started listing (`true`), or its ended one.
    Feed(ProjectId, bool),
}

/// The order of statuses: a listing (which may lag) never moves a task back.
fn rank(s: Option<&TaskStatus>) -> Option<u8> {
    Some(match s? {
        TaskStatus::Draft => 0,
        TaskStatus::Creating => 1,
        TaskStatus::Queued => 2,
        TaskStatus::Running => 3,
        TaskStatus::Aborting => 4,
        s if s.is_terminal() => 5,
        _ => return None,
    })
}

/// Whether a status seen in a listing is news: first seen, or further on.
fn moves_on(before: Option<&TaskStatus>, after: Option<&TaskStatus>) -> bool {
    match (rank(before), rank(after)) {
        (_, None) => false,
        (None, Some(_)) => before.is_none() || before != after,
        (Some(b), Some(a)) => a > b,
    }
}

fn is_running(s: Option<&TaskStatus>) -> bool {
    matches!(s, Some(TaskStatus::Running))
}

/// A client wall time (since the Unix epoch) as a moment, `margin` earlier, whole seconds.
fn wall(at: Duration, margin: Duration) -> Option<time::OffsetDateTime> {
    let secs = i64::try_from(at.saturating_sub(margin).as_secs()).ok()?;
    time::OffsetDateTime::from_unix_timestamp(secs).ok()
}

fn page_limit() -> PageLimit {
    PageLimit::new(u64::from(CHILD_PAGE)).unwrap_or(PageLimit::MAX)
}

fn order_by(field: &str) -> Option<FieldName> {
    FieldName::new(field).ok()
}

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
            unseen: 0,
            ended_in_a_row: 0,
        }
    }

    /// The policy it follows.
    pub fn policy(&self) -> &WatcherPolicy {
        &self.policy
    }

    /// Follows every task of `project`: those that have not ended when it is first listed,
    /// and those that start (or end) after. Its tasks are followed by listings or by bulk
    /// gets, whichever costs fewer requests (see the [module docs](self)). With
    /// [`feed`](WatcherPolicy::feed) off, nothing is followed for it.
    pub fn add_project(&mut self, project: ProjectId) {
        if !self.policy.feed {
            return;
        }
        self.projects.entry(project).or_default().whole = true;
    }

    /// The strategy of each project whose tasks are watched (a project whose strategy is not
    /// chosen yet is left out).
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
                let (bulk, listing) = s.costs(&self.policy);
                (
                    p.clone(),
                    ProjectFeed {
                        strategy: s.strategy,
                        whole: s.whole,
                        watched: s.members.len(),
                        running: s.running,
                        bulk_per_hour: bulk,
                        listing_per_hour: listing,
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
                self.unseen += 1;
                fresh.push(id);
            }
        }
        for id in fresh.into_iter().rev() {
            self.order.push_front(id);
        }
    }

    /// Stops following `id` (no event is reported for it from now on).
    pub fn remove(&mut self, id: &TaskId) {
        self.forget(id);
        self.parents.remove(id);
    }

    /// Drops `id` from the followed tasks and from its project.
    fn forget(&mut self, id: &TaskId) -> Option<Tracked> {
        let t = self.tasks.remove(id)?;
        if t.refreshed.is_none() {
            self.unseen = self.unseen.saturating_sub(1);
        }
        if let Some(ps) = t.project.as_ref().and_then(|p| self.projects.get_mut(p)) {
            ps.members.remove(id);
            if is_running(t.status.as_ref()) {
                ps.running = ps.running.saturating_sub(1);
            }
        }
        Some(t)
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
        if !self.tasks.contains_key(id) {
            self.unseen += 1;
        }
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
        self.in_flight = Some(InFlight::Bulk(ids, None));
        want
    }

    /// The tasks fetched at `now` by the request of [`Watcher::lead`]: each followed id
    /// keeps its latest task for its waiters. Nothing fetched (the request failed or was
    /// abandoned): the waiters poll again themselves.
    pub(crate) fn on_polled(&mut self, fetched: Vec<(TaskId, Task)>, now: Duration) {
        for (id, task) in fetched {
            if let Some(t) = self.tasks.get_mut(&id) {
                if t.refreshed.is_none() {
                    self.unseen = self.unseen.saturating_sub(1);
                }
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
        // Listings asked again for parents whose children lag.
        let due = |at: Option<Duration>| at.is_some_and(|at| at <= now);
        let retries: Vec<(TaskId, bool, bool)> = self
            .parents
            .iter()
            .filter(|(_, p)| due(p.retry_at) || due(p.retry_started_at))
            .map(|(id, p)| (id.clone(), due(p.retry_at), due(p.retry_started_at)))
            .collect();
        let mut retries = retries;
        retries.sort();
        for (id, ended, started) in retries {
            if let Some(p) = self.parents.get_mut(&id) {
                if ended {
                    p.retry_at = None;
                }
                if started {
                    p.retry_started_at = None;
                }
            }
            if ended {
                self.want_children(&id, ChildKind::Ended);
            }
            if started {
                self.want_children(&id, ChildKind::Started);
            }
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
        self.choose(now);
        if let Some(want) = self.next_feed(now) {
            return want;
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
            if !seen.insert(id.clone()) || Self::by_listing(&self.projects, t) {
                // Queued twice (re-added: the later place counts), or followed by its
                // project's listings now.
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
        if !ids.is_empty() {
            self.in_flight = Some(InFlight::Bulk(ids.clone(), None));
            self.requests += 1;
            return WatchWant::Bulk(BulkGetTasks::new(ids));
        }
        let feeds = self.next_due();
        if self.tasks.is_empty() && feeds.is_none() && self.children_queue.is_empty() {
            return WatchWant::Done;
        }
        let wait = [wait, feeds.map(|at| at.saturating_sub(now))]
            .into_iter()
            .flatten()
            .min();
        WatchWant::Wait(wait.unwrap_or(self.policy.min_interval))
    }

    /// When the next listing (of a project or of a parent's children) or project sweep is
    /// due; `None` when none will be.
    fn next_due(&self) -> Option<Duration> {
        let mut due: Option<Duration> = None;
        let mut at = |t: Duration| due = Some(due.map_or(t, |d| d.min(t)));
        for ps in self.projects.values() {
            if ps.current.is_some() || ps.background.is_some() || (ps.whole && !ps.initial_done) {
                at(Duration::ZERO);
            }
            if ps.members.is_empty() {
                // Nothing left to follow in it (a project followed whole ends here too).
                continue;
            }
            if ps.listing() {
                at(ps.next_ended);
                at(ps.next_progress);
                at(ps.next_reconcile);
            }
            // A project followed whole with nothing left to follow needs no more listings.
            if ps.lists_starts() {
                at(ps.next_started);
            }
        }
        for p in self.parents.values() {
            for t in [p.retry_at, p.retry_started_at].into_iter().flatten() {
                at(t);
            }
        }
        due
    }

    /// The request asked for failed (after its retries): a sweep's ids are due again at once,
    /// a listing is asked again.
    pub(crate) fn on_failed(&mut self) {
        match self.in_flight.take() {
            Some(InFlight::Bulk(ids, project)) => {
                let sweep = project
                    .and_then(|p| self.projects.get_mut(&p))
                    .map(|ps| &mut ps.sweep);
                match sweep {
                    Some(sweep) => {
                        for id in ids.into_iter().rev() {
                            sweep.push_front(id);
                        }
                    }
                    None => {
                        for id in ids.into_iter().rev() {
                            self.order.push_front(id);
                        }
                    }
                }
            }
            Some(InFlight::Children(listing)) => self.children_queue.push_back(listing),
            // The listing is kept as it was (`current`): it is asked again.
            Some(InFlight::Feed(..)) | None => {}
        }
    }

    /// The answer to the [`WatchWant::Bulk`] request.
    pub(crate) fn on_bulk(&mut self, now: Duration, answer: Answer<BulkTasks>) {
        let Some(InFlight::Bulk(ids, _)) = self.in_flight.take() else {
            return;
        };
        for (id, item) in ids.into_iter().zip(answer.value.items) {
            if !self.tasks.contains_key(&id) {
                continue;
            }
            match item {
                Ok(task) => self.on_task(now, id, task),
                Err(error) if is_gone(&error) => {
                    self.remove(&id);
                    self.events.push_back(WatchEvent::Gone { id, error });
                }
                Err(_) => {
                    // Another error for this id (a 5xx inside the answer): try again later.
                    if let Some(t) = self.tasks.get_mut(&id) {
                        if t.refreshed.is_none() {
                            self.unseen = self.unseen.saturating_sub(1);
                        }
                        t.refreshed = Some(now);
                        if !Self::by_listing(&self.projects, t) {
                            self.order.push_back(id);
                        }
                    }
                }
            }
        }
    }

    fn on_task(&mut self, now: Duration, id: TaskId, task: Task) {
        let Some(t) = self.tasks.get_mut(&id) else {
            return;
        };
        if self.policy.feed && t.project.is_none() {
            // Its project, learned: it joins the project's group.
            if let Some(p) = task
                .project
                .as_deref()
                .and_then(|s| s.parse::<ProjectId>().ok())
            {
                let ps = self.projects.entry(p.clone()).or_default();
                ps.members.insert(id.clone());
                if is_running(t.status.as_ref()) {
                    ps.running += 1;
                }
                t.project = Some(p);
            }
        }
        let status = task.status.clone();
        let steps = task.execution_status.as_ref().and_then(|e| e.steps());
        let counts = task
            .execution_status
            .as_ref()
            .and_then(|e| e.batch_counts());
        let old_counts = t.counts;
        let first = t.refreshed.is_none();
        if first {
            self.unseen = self.unseen.saturating_sub(1);
        }
        let before = t.status.clone();
        let status_changed = first || before != status;
        let progressed = !status_changed && (t.steps != steps || t.counts != counts);
        if is_running(before.as_ref()) != is_running(status.as_ref()) {
            if let Some(ps) = t.project.as_ref().and_then(|p| self.projects.get_mut(p)) {
                if is_running(status.as_ref()) {
                    ps.running += 1;
                } else {
                    ps.running = ps.running.saturating_sub(1);
                }
            }
        }
        t.status = status.clone();
        t.steps = steps;
        t.counts = counts;
        t.batch = task.is_batch_parent();
        t.refreshed = Some(now);
        let by_listing = Self::by_listing(&self.projects, t);
        if self.policy.follow_children && counts.is_some() && counts != old_counts {
            self.on_counts(&id, old_counts, counts, now);
        }
        if status.as_ref().is_some_and(TaskStatus::is_terminal) {
            if by_listing {
                self.missed_by_listings(&id, &task);
            }
            self.end(now, id, task);
            return;
        }
        if !by_listing {
            self.order.push_back(id.clone());
        }
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

    /// `id` ended (seen by a get or in a listing): reported once, followed no more. A batch
    /// parent's last children are still listed.
    fn end(&mut self, now: Duration, id: TaskId, task: Task) {
        if let Some(t) = self.forget(&id) {
            if let Some(ps) = t.project.as_ref().and_then(|p| self.projects.get_mut(p)) {
                if ps.whole {
                    ps.reported.insert(id.clone(), Reported::of(&task, now));
                }
            }
        }
        if self.parents.contains_key(&id) {
            self.settle_parent(&id, now, None);
        }
        self.events.push_back(WatchEvent::Ended {
            id,
            task: Box::new(task),
        });
    }
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Fetch<'a> {
    Bulk(Call<'a, BulkGetTasks>),
    Children(Call<'a, ListTasks>),
    Feed(Call<'a, ListTasks>),
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
                Some(Fetch::Feed(call)) => match call.step(now, shared).outcome() {
                    Ok(answer) => answer.map(|a| self.watcher.on_feed(now.unix, a)).err(),
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
                WatchWant::Feed(call) => {
                    Fetch::Feed(Call::owned(settings, *call).in_lane(Lane::Watch))
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
            Some(Fetch::Feed(call)) => call.on_answer(answer, now, shared),
            None => {}
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        match &mut self.fetch {
            Some(Fetch::Bulk(call)) => call.abandon(shared),
            Some(Fetch::Children(call)) => call.abandon(shared),
            Some(Fetch::Feed(call)) => call.abandon(shared),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthToken, Config, Decoding, Endpoint, Platform};

    pub(super) const T0: u64 = 1_700_000_000;

    pub(super) fn at(s: u64) -> Duration {
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

    pub(super) fn drain(w: &mut Watcher) -> Vec<WatchEvent> {
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
