//! The change feed (see the [parent module's docs](super)): what the watcher keeps of each
//! project, the choice of each project's strategy, the project's listings (ended, started,
//! the first one of a project followed whole) and their answers, and the bulk gets of a
//! project on listings (progress, reconciliation).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use super::children::CHILD_PAGE;
use super::{
    is_running, moves_on, order_by, page_limit, wall, FeedStrategy, InFlight, Tracked, WatchEvent,
    WatchWant, Watcher, WatcherPolicy,
};
use crate::endpoint::Answer;
use crate::endpoints::{BulkGetTasks, ListTasks, SortOrder, MAX_BULK_IDS};
use crate::fields::Fields;
use crate::model::{Task, TaskPage, TaskStatus};
use crate::{ProjectId, TaskId};

/// Which listing of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedKind {
    /// The first listing of a project followed whole: its tasks that have not ended.
    Initial,
    /// Tasks ended since the last listing (`ended_from`, by `end_time`).
    Ended,
    /// Tasks started since the last listing (`started_from`, by `start_time`).
    Started,
}

#[derive(Debug, Clone)]
pub(super) struct FeedListing {
    kind: FeedKind,
    since: Option<time::OffsetDateTime>,
    offset: u64,
    /// When its first page was asked for.
    sent: Option<Duration>,
    /// When its next page is due: when it was due to start, then when its last page came
    /// (listings are served earliest due first).
    due: Duration,
    pages: u32,
    /// The largest lateness of an ending it reported first: how long before the previous
    /// ended listing was sent the task had ended (so that listing could not show it).
    late: Option<Duration>,
}

impl FeedListing {
    /// A listing of `kind` from `since`, due at `due`.
    fn new(kind: FeedKind, since: Option<time::OffsetDateTime>, due: Duration) -> Self {
        Self {
            kind,
            since,
            offset: 0,
            sent: None,
            due,
            pages: 0,
            late: None,
        }
    }
}

/// A task of a project followed whole that was reported ended: its start and end (the
/// platform's clock, Unix seconds) and when it was reported.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reported {
    start: Option<i64>,
    end: Option<i64>,
    at: Duration,
}

impl Reported {
    pub(super) fn of(task: &Task, at: Duration) -> Self {
        let secs = |t: Option<&crate::model::Timestamp>| {
            t.and_then(|t| t.datetime())
                .map(time::OffsetDateTime::unix_timestamp)
        };
        Self {
            start: secs(task.start_time.as_ref()),
            end: secs(task.end_time.as_ref()),
            at,
        }
    }
}

/// The feed of one project.
#[derive(Debug, Clone)]
pub(super) struct ProjectState {
    pub(super) whole: bool,
    /// When a project followed whole was first listed (client clock): a task that ended a
    /// margin before is not reported.
    added: Option<Duration>,
    pub(super) initial_done: bool,
    pub(super) strategy: Option<FeedStrategy>,
    pub(super) members: HashSet<TaskId>,
    pub(super) running: usize,
    ended_from: Option<time::OffsetDateTime>,
    started_from: Option<time::OffsetDateTime>,
    pub(super) next_ended: Duration,
    pub(super) next_started: Duration,
    pub(super) next_progress: Duration,
    pub(super) next_reconcile: Duration,
    /// An ended listing being paged through (or to ask again after a failure).
    pub(super) current: Option<FeedListing>,
    /// The initial listing of a project followed whole, or a started listing, being paged
    /// through. Ended listings go between its pages: an ending is not held up while a large
    /// project is enumerated or many tasks start at once.
    pub(super) background: Option<FeedListing>,
    /// Ids due for a bulk get (progress, reconciliation), in order.
    pub(super) sweep: VecDeque<TaskId>,
    /// When the sweep's next bulk get is due: when the sweep was due to start, then when its
    /// last bulk get was sent.
    sweep_due: Duration,
    /// Tasks of a project followed whole that were reported ended, and when: a listing that
    /// shows them again (the overlap, or a lagging listing) does not follow them anew.
    pub(super) reported: HashMap<TaskId, Reported>,
    /// Pages per ended listing, as learned.
    pages: f64,
    /// The lateness of the endings the ended listings showed, as learned (a decaying
    /// maximum); `None`: not known, the full margin.
    lateness: Option<Duration>,
    /// When the last ended listing answered in full was sent.
    last_ended_sent: Option<Duration>,
}

impl Default for ProjectState {
    fn default() -> Self {
        Self {
            whole: false,
            added: None,
            initial_done: false,
            strategy: None,
            members: HashSet::new(),
            running: 0,
            ended_from: None,
            started_from: None,
            next_ended: Duration::ZERO,
            next_started: Duration::ZERO,
            next_progress: Duration::ZERO,
            next_reconcile: Duration::ZERO,
            current: None,
            background: None,
            sweep: VecDeque::new(),
            sweep_due: Duration::ZERO,
            reported: HashMap::new(),
            pages: 1.0,
            lateness: None,
            last_ended_sent: None,
        }
    }
}

impl ProjectState {
    pub(super) fn listing(&self) -> bool {
        self.strategy == Some(FeedStrategy::Listing)
    }

    /// Whether its started listing runs: on the listing strategy while a watched task has not
    /// started, and for a project followed whole (its new tasks), whatever the strategy.
    pub(super) fn lists_starts(&self) -> bool {
        // Watched ids that all run already need no started listing.
        let waiting = self.members.len() > self.running;
        (self.listing() && (waiting || self.whole)) || (self.whole && self.initial_done)
    }

    /// How far an ended listing reaches before the previous one was sent: twice the largest
    /// lateness seen lately plus 5 s, at least 10 s, at most the policy's margin (all of it
    /// until an ending was seen late, or after a bulk get found one the listings missed).
    fn margin(&self, policy: &WatcherPolicy) -> Duration {
        let max = policy.feed_margin;
        match self.lateness {
            None => max,
            Some(late) => (late * 2 + Duration::from_secs(5))
                .max(Duration::from_secs(10).min(max))
                .min(max),
        }
    }

    /// Forgets the reported tasks no listing can show again: ended and started before where
    /// the listings start (less a full margin, by which an ended listing's start may move
    /// back). A task whose end is not known is kept for two margins and a started interval.
    fn prune_reported(&mut self, policy: &WatcherPolicy, now: Duration) {
        let back = i64::try_from(policy.feed_margin.as_secs()).unwrap_or(i64::MAX);
        let floor = |t: Option<time::OffsetDateTime>| t.map(|t| t.unix_timestamp() - back);
        let (ended, started) = (floor(self.ended_from), floor(self.started_from));
        let keep = policy.feed_margin * 2 + policy.started_interval;
        self.reported.retain(|_, r| {
            let ended_gone = match (r.end, ended) {
                (Some(e), Some(f)) => e < f,
                _ => r.at + keep <= now,
            };
            let started_gone = match (r.start, started) {
                (Some(st), Some(f)) => st < f,
                _ => true,
            };
            !(ended_gone && started_gone)
        });
    }

    /// Estimated requests per hour of each strategy: (bulk gets, listings).
    pub(super) fn costs(&self, policy: &WatcherPolicy) -> (f64, f64) {
        let per_hour = |d: Duration| 3600.0 / d.as_secs_f64().max(0.001);
        let n = self.members.len();
        let requests = n.div_ceil(MAX_BULK_IDS) as f64;
        let running = self.running.div_ceil(MAX_BULK_IDS) as f64;
        let discovery = if self.whole {
            per_hour(policy.started_interval)
        } else {
            0.0
        };
        // Bulk gets costed at the notice time the listings give (the feed's interval, when
        // `min_interval` is not shorter): the two are compared for the same service.
        let bulk_interval = policy.min_interval.min(policy.feed_interval);
        let bulk = requests * per_hour(bulk_interval) + discovery;
        let listing = per_hour(policy.feed_interval) * self.pages
            + per_hour(policy.started_interval)
            + running * per_hour(policy.progress_interval)
            + requests * per_hour(policy.reconcile_interval);
        (bulk, listing)
    }
}

/// A strategy is left for the other only when the other costs at most this share of it.
const HYSTERESIS: f64 = 0.8;

/// When the budget cannot pay for all that is due (many projects, a small share), ended
/// listings go first, but at most this many in a row while a project's bulk get (progress,
/// reconciliation) or a page of its started or first listing waits: those get at least one
/// request in `ENDED_IN_A_ROW + 1`, so the reconciliation is late under such a budget, never
/// starved.
pub(super) const ENDED_IN_A_ROW: u32 = 3;

/// What a project has to send next, by kind, in the order they go when equally due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Work {
    /// A page of its ended listing.
    Ended,
    /// A bulk get of its sweep (progress, reconciliation).
    Sweep,
    /// A page of its first listing or of a started listing.
    Background,
}

/// A moment as a client wall time (since the Unix epoch); `None` before 1970.
fn since_epoch(t: time::OffsetDateTime) -> Option<Duration> {
    u64::try_from(t.unix_timestamp())
        .ok()
        .map(Duration::from_secs)
}

impl Watcher {
    /// Whether `t` is followed by its project's listings (not by the sweeps of `order`). A
    /// batch parent never is: its counts drive its children's listings.
    pub(super) fn by_listing(projects: &BTreeMap<ProjectId, ProjectState>, t: &Tracked) -> bool {
        !t.drives_children()
            && t.project
                .as_ref()
                .and_then(|p| projects.get(p))
                .is_some_and(ProjectState::listing)
    }

    /// Chooses each project's strategy (with hysteresis), and drops what is kept of a project
    /// no longer needed.
    pub(super) fn choose(&mut self, now: Duration) {
        if self.unseen > 0 {
            // The first sweep is not over: the projects' sizes are not known yet.
            return;
        }
        let feed_ok = self.policy.feed_interval <= self.policy.min_interval;
        let mut switched = Vec::new();
        for (p, ps) in &mut self.projects {
            if (ps.members.is_empty() && ps.strategy.is_none()) || (ps.whole && !ps.initial_done) {
                // Its size is not known yet.
                continue;
            }
            let (bulk, listing) = ps.costs(&self.policy);
            let pick = match ps.strategy {
                _ if !feed_ok => FeedStrategy::BulkGet,
                None if listing < bulk => FeedStrategy::Listing,
                None => FeedStrategy::BulkGet,
                Some(FeedStrategy::BulkGet) if listing <= HYSTERESIS * bulk => {
                    FeedStrategy::Listing
                }
                Some(FeedStrategy::Listing) if bulk <= HYSTERESIS * listing => {
                    FeedStrategy::BulkGet
                }
                Some(s) => s,
            };
            if ps.strategy != Some(pick) {
                ps.strategy = Some(pick);
                switched.push((p.clone(), pick));
            }
        }
        for (p, pick) in switched {
            self.switch(&p, pick, now);
        }
        self.projects.retain(|_, ps| {
            ps.whole || !ps.members.is_empty() || ps.current.is_some() || ps.background.is_some()
        });
    }

    /// `project` was just put on `strategy`.
    fn switch(&mut self, project: &ProjectId, strategy: FeedStrategy, now: Duration) {
        let Some(ps) = self.projects.get_mut(project) else {
            return;
        };
        ps.sweep.clear();
        match strategy {
            FeedStrategy::Listing => {
                // The listings reach back to before the oldest refresh of its tasks: an
                // ending since is not missed.
                let oldest = ps
                    .members
                    .iter()
                    .filter_map(|id| self.tasks.get(id)?.refreshed)
                    .min()
                    .unwrap_or(now)
                    .min(now);
                let from = wall(oldest, self.policy.feed_margin);
                ps.ended_from = from;
                // A project followed whole keeps its started listing's place (it ran on).
                if !ps.whole || ps.started_from.is_none() {
                    ps.started_from = from;
                }
                ps.next_ended = now;
                ps.next_started = now;
                ps.next_progress = now + self.policy.progress_interval;
                ps.next_reconcile = now + self.policy.reconcile_interval;
            }
            _ => {
                // Back on the sweeps, least recently refreshed first.
                let mut ids: Vec<(Option<Duration>, TaskId)> = ps
                    .members
                    .iter()
                    .filter_map(|id| Some((self.tasks.get(id)?.refreshed, id.clone())))
                    .collect();
                ids.sort();
                for (_, id) in ids.into_iter().rev() {
                    self.order.push_front(id);
                }
            }
        }
    }

    /// The next request of the projects, if one is due: of the ended listings due, the one
    /// due the longest (so that many projects take turns); else, or after
    /// [`ENDED_IN_A_ROW`] of them while other work waits, a project's sweep or a page of its
    /// first or started listing, the one due the longest. An ended listing thus goes before
    /// the next page of a large project's first listing: 10 000 tasks take 100 pages to
    /// enumerate, and endings meanwhile are not held up.
    pub(super) fn next_feed(&mut self, now: Duration) -> Option<WatchWant> {
        self.prepare_feeds(now);
        let mut ended: Option<(Duration, &ProjectId)> = None;
        let mut other: Option<(Duration, Work, &ProjectId)> = None;
        for (p, ps) in &self.projects {
            if let Some(l) = &ps.current {
                if ended.is_none_or(|(d, _)| l.due < d) {
                    ended = Some((l.due, p));
                }
            }
            let mut consider = |due: Duration, work: Work| {
                if other.is_none_or(|(d, w, _)| (due, work) < (d, w)) {
                    other = Some((due, work, p));
                }
            };
            if !ps.sweep.is_empty() {
                consider(ps.sweep_due, Work::Sweep);
            }
            if let Some(l) = &ps.background {
                consider(l.due, Work::Background);
            }
        }
        let pick = match (ended, other) {
            (Some((_, p)), None) => (Work::Ended, p.clone()),
            (Some((_, p)), Some(_)) if self.ended_in_a_row < ENDED_IN_A_ROW => {
                (Work::Ended, p.clone())
            }
            (_, Some((_, w, p))) => (w, p.clone()),
            (None, None) => return None,
        };
        let (work, p) = pick;
        if work == Work::Ended && other.is_some() {
            self.ended_in_a_row += 1;
        } else {
            self.ended_in_a_row = 0;
        }
        let ps = self.projects.get_mut(&p)?;
        if work == Work::Sweep {
            let mut ids = Vec::with_capacity(MAX_BULK_IDS);
            while ids.len() < MAX_BULK_IDS {
                let Some(id) = ps.sweep.pop_front() else {
                    break;
                };
                if ps.members.contains(&id) {
                    ids.push(id);
                }
            }
            ps.sweep_due = now;
            if ids.is_empty() {
                // Every id left the project since: nothing to send for it.
                return self.next_feed(now);
            }
            self.in_flight = Some(InFlight::Bulk(ids.clone(), Some(p)));
            self.requests += 1;
            return Some(WatchWant::Bulk(BulkGetTasks::new(ids)));
        }
        let background = work == Work::Background;
        let slot = if background {
            &mut ps.background
        } else {
            &mut ps.current
        };
        let l = slot.as_mut()?;
        if l.offset == 0 {
            // Sent now (again, after a failure): the next listing reaches back from here.
            l.sent = Some(now);
        }
        let call = feed_listing(&p, l);
        self.in_flight = Some(InFlight::Feed(p, background));
        self.requests += 1;
        Some(WatchWant::Feed(Box::new(call)))
    }

    /// Opens each project's listings that are due (its first listing, an ended listing, a
    /// started listing) and fills the sweeps that are due (progress, reconciliation).
    fn prepare_feeds(&mut self, now: Duration) {
        let margin = self.policy.feed_margin;
        let policy = &self.policy;
        for ps in self.projects.values_mut() {
            let enumerating = ps.whole && !ps.initial_done;
            if enumerating && ps.added.is_none() {
                ps.added = Some(now);
                ps.ended_from = wall(now, margin);
                ps.started_from = ps.ended_from;
                // The ended listings begin one interval later and go between the initial
                // listing's pages: a task that ends while a large project is enumerated is
                // reported as soon as if it had been known.
                ps.next_ended = now + policy.feed_interval;
                // The first started listing goes a margin later: it reaches back a margin
                // before this listing, so an earlier one would list again every task that
                // started just before the watch (known from this listing).
                ps.next_started = now + margin;
                ps.background = Some(FeedListing::new(FeedKind::Initial, None, now));
            }
            let something = !ps.members.is_empty() || enumerating;
            if ps.current.is_none()
                && something
                && (ps.listing() || enumerating)
                && now >= ps.next_ended
            {
                ps.current = Some(FeedListing::new(
                    FeedKind::Ended,
                    ps.ended_from.or_else(|| wall(now, margin)),
                    ps.next_ended,
                ));
            }
            if ps.background.is_none() && something && ps.lists_starts() && now >= ps.next_started {
                ps.background = Some(FeedListing::new(
                    FeedKind::Started,
                    ps.started_from.or_else(|| wall(now, margin)),
                    ps.next_started,
                ));
            }
            if !ps.listing() || !ps.sweep.is_empty() {
                continue;
            }
            if now >= ps.next_reconcile {
                // Every watched task: catches an ending no listing showed.
                ps.sweep_due = ps.next_reconcile;
                ps.next_reconcile = now + policy.reconcile_interval;
                ps.next_progress = now + policy.progress_interval;
                let mut ids: Vec<TaskId> = ps.members.iter().cloned().collect();
                // In a fixed order: the same run makes the same requests.
                ids.sort();
                ps.sweep.extend(ids);
            } else if now >= ps.next_progress {
                ps.sweep_due = ps.next_progress;
                ps.next_progress = now + policy.progress_interval;
                let mut ids: Vec<TaskId> = ps
                    .members
                    .iter()
                    .filter(|id| {
                        self.tasks
                            .get(*id)
                            .is_some_and(|t| is_running(t.status.as_ref()))
                    })
                    .cloned()
                    .collect();
                ids.sort();
                ps.sweep.extend(ids);
            }
        }
    }

    /// A bulk get found `task` ended: when it ended before where the ended listings of its
    /// project now start, they missed it (a lag or a skew beyond the margin): back to the full
    /// margin.
    pub(super) fn missed_by_listings(&mut self, id: &TaskId, task: &Task) {
        let Some(p) = self.tasks.get(id).and_then(|t| t.project.as_ref()) else {
            return;
        };
        let Some(ps) = self.projects.get_mut(p) else {
            return;
        };
        let end = task.end_time.as_ref().and_then(|t| t.datetime());
        if let (Some(end), Some(from)) = (end, ps.ended_from) {
            if end < from {
                ps.lateness = None;
            }
        }
    }

    /// The answer to the [`WatchWant::Feed`] request: a page of a project's listing.
    pub(crate) fn on_feed(&mut self, now: Duration, page: Answer<TaskPage>) {
        let Some(InFlight::Feed(project, background)) = self.in_flight.take() else {
            return;
        };
        let total = page.meta.total_matching;
        let items = page.value.items.unwrap_or_default();
        let n = items.len() as u64;
        let Some(listing) = self.projects.get(&project).and_then(|ps| {
            if background {
                ps.background.clone()
            } else {
                ps.current.clone()
            }
        }) else {
            return;
        };
        let prev = self
            .projects
            .get(&project)
            .and_then(|ps| ps.last_ended_sent);
        let mut late: Option<Duration> = None;
        for item in items {
            let end = item
                .end_time
                .as_ref()
                .and_then(|t| t.datetime())
                .and_then(since_epoch);
            let before = self.events.len();
            self.on_listed(&project, listing.kind, item, now);
            let reported = self.events.len() > before
                && matches!(self.events.back(), Some(WatchEvent::Ended { .. }));
            if let (FeedKind::Ended, true, Some(prev), Some(end)) =
                (listing.kind, reported, prev, end)
            {
                let l = prev.saturating_sub(end);
                late = Some(late.map_or(l, |m| m.max(l)));
            }
        }
        let Some(ps) = self.projects.get_mut(&project) else {
            return;
        };
        let slot = if background {
            &mut ps.background
        } else {
            &mut ps.current
        };
        let Some(l) = slot else { return };
        l.pages += 1;
        if let Some(new) = late {
            l.late = Some(l.late.map_or(new, |m| m.max(new)));
        }
        let next_offset = l.offset + n;
        let more = match total {
            Some(total) => next_offset < total,
            None => n == u64::from(CHILD_PAGE),
        };
        if more && n > 0 {
            l.offset = next_offset;
            l.due = now;
            return;
        }
        let sent = l.sent.unwrap_or(now);
        let from = wall(sent, self.policy.feed_margin);
        let (kind, pages, late) = (l.kind, l.pages, l.late);
        *slot = None;
        match kind {
            FeedKind::Initial => ps.initial_done = true,
            FeedKind::Ended => {
                if let Some(late) = late {
                    // A decaying maximum: a lag that went away is forgotten in a few minutes.
                    let kept = ps.lateness.map_or(Duration::ZERO, |l| l.mul_f64(0.95));
                    ps.lateness = Some(late.max(kept));
                }
                ps.last_ended_sent = Some(sent);
                ps.ended_from = wall(sent, ps.margin(&self.policy));
                ps.next_ended = sent + self.policy.feed_interval;
                ps.pages = 0.7 * ps.pages + 0.3 * f64::from(pages);
                ps.prune_reported(&self.policy, now);
            }
            FeedKind::Started => {
                ps.started_from = from;
                ps.next_started = sent + self.policy.started_interval;
                ps.prune_reported(&self.policy, now);
            }
        }
    }

    /// A task in a listing of `project`.
    fn on_listed(&mut self, project: &ProjectId, kind: FeedKind, item: Task, now: Duration) {
        let Some(id) = item.id.as_deref().and_then(|s| s.parse::<TaskId>().ok()) else {
            return;
        };
        let terminal = item.status.as_ref().is_some_and(TaskStatus::is_terminal);
        if let Some(t) = self.tasks.get_mut(&id) {
            if t.project.is_none() {
                // Found in its project's listing before a get said where it is.
                let ps = self.projects.entry(project.clone()).or_default();
                ps.members.insert(id.clone());
                if is_running(t.status.as_ref()) {
                    ps.running += 1;
                }
                t.project = Some(project.clone());
            }
            if terminal && t.drives_children() {
                // A batch parent's ending is read from a get, with its final counts (a
                // listing's short fields have none): ended on the counts of its last get, it
                // would give up on the children that ended since. Due at once.
                if let Some(at) = t.refreshed.as_mut() {
                    *at = now.saturating_sub(self.policy.min_interval);
                }
                self.order.push_front(id);
                return;
            }
            if terminal {
                self.end(now, id, item);
                return;
            }
            if !moves_on(t.status.as_ref(), item.status.as_ref()) || t.refreshed.is_none() {
                // Not news (a listing may lag behind a get), or never fetched: its first get
                // says it all.
                return;
            }
            let before = std::mem::replace(&mut t.status, item.status.clone());
            if is_running(before.as_ref()) != is_running(t.status.as_ref()) {
                if let Some(ps) = self.projects.get_mut(project) {
                    if is_running(t.status.as_ref()) {
                        ps.running += 1;
                    } else {
                        ps.running = ps.running.saturating_sub(1);
                    }
                }
            }
            self.events.push_back(WatchEvent::Status {
                id,
                from: before,
                task: Box::new(item),
            });
            return;
        }
        // Not followed: a task of a project followed whole is new, unless reported already;
        // any other is only a cost.
        let Some(ps) = self.projects.get_mut(project) else {
            return;
        };
        if !ps.whole || ps.reported.contains_key(&id) {
            return;
        }
        if terminal {
            // Ended before the watch began: not reported. The end is the platform's clock and
            // `added` the client's, and a large project's first listing takes a while (an
            // ending seen in its last pages may be newer than the watch), so only an ending a
            // margin before the watch's first listing counts as before it; one within that
            // margin is reported (the client cannot tell it from an ending just after).
            let ended = item.end_time.as_ref().and_then(|t| t.datetime());
            let before_watch = match (ended.and_then(since_epoch), ps.added) {
                (Some(e), Some(added)) => e + self.policy.feed_margin < added,
                // No end time to go by: in the first listing, it ended before.
                _ => kind == FeedKind::Initial,
            };
            if before_watch {
                return;
            }
            ps.reported.insert(id.clone(), Reported::of(&item, now));
            self.events.push_back(WatchEvent::Ended {
                id,
                task: Box::new(item),
            });
            return;
        }
        ps.members.insert(id.clone());
        if is_running(item.status.as_ref()) {
            ps.running += 1;
        }
        let by_listing = ps.listing() && item.batch != Some(true);
        self.tasks.insert(
            id.clone(),
            Tracked {
                status: item.status.clone(),
                refreshed: Some(now),
                project: Some(project.clone()),
                batch: item.batch == Some(true),
                ..Tracked::default()
            },
        );
        if !by_listing {
            self.order.push_back(id.clone());
        }
        self.events.push_back(WatchEvent::Status {
            id,
            from: None,
            task: Box::new(item),
        });
    }
}

/// The fields a project's listing asks for (what [`WatchEvent`]s from listings carry).
const FEED_FIELDS: &str = "id,name,status,project,start_time,end_time,parent,batch";

fn feed_listing(project: &ProjectId, l: &FeedListing) -> ListTasks {
    let fields: Fields = FEED_FIELDS.parse().unwrap_or(Fields::All);
    let mut call = ListTasks::new()
        .project(project.clone())
        .fields(fields)
        .limit(page_limit());
    let by = match l.kind {
        // Oldest first: tasks created while it is read come last, and shift no page.
        FeedKind::Initial => "created_time",
        FeedKind::Ended => "end_time",
        FeedKind::Started => "start_time",
    };
    if let Some(since) = l.since {
        call = match l.kind {
            FeedKind::Initial => call,
            FeedKind::Ended => call.ended_from(since),
            FeedKind::Started => call.started_from(since),
        };
    }
    if let Some(by) = order_by(by) {
        call = call.order_by(by).order(SortOrder::Asc);
    }
    if l.offset > 0 {
        call = call.offset(l.offset);
    }
    call
}
