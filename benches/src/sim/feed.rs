//! The watcher's change feed in the simulation (issue 19, item 3): many tasks of one or more
//! projects ending over hours, followed by the client's real watcher against the mock's
//! platform on the virtual clock, either
//!
//! - **by the feed** ([`Strategy::Feed`]): the tasks' endings and starts come from listings of
//!   each project (`ended_from` / `started_from`, `order_by=end_time`, 100 a page), bulk gets
//!   only for progress and the periodic reconciliation; or
//! - **by bulk sweeps** ([`Strategy::Bulk`]): the watcher with its feed off, as before the
//!   feed — every followed id in a bulk get of 100, least recently refreshed first, no more
//!   often than a minimum interval, paced by the budget's watch share.
//!
//! The figures, each read on the platform's side or from the schedule the mock runs:
//!
//! - **notice**: the watcher's `Ended` event minus the moment the mock's schedule ended the
//!   task, on the virtual clock (with a skewed platform clock too: the skew moves the
//!   platform's timestamps, not the moment);
//! - **exactly once**: `Ended` events per task — *repeats* (a second event for a task) and
//!   *misses* (a task that ended and was never reported by the end of the run);
//! - **requests**: what the platform counted, by route (listing pages, bulk gets, gets), and
//!   refused (429); the *share of the window* is the requests counted over the run divided by
//!   what the window allows in that time (1000 per 300 s at the platform's default).
//!
//! A run stops once every task that ends has been reported, or at its horizon.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sbg_tasks_proto::client::EventStream;
use sbg_tasks_proto::machine::Watch;
use sbg_tasks_proto::{BudgetPolicy, ProjectId, WatchEvent, WatcherPolicy};

use super::exec::SimEnv;
use super::scenarios::SimTransport;

use super::exec::Executor;
use super::platform::{Platform, PlatformConfig, Route, SimTask, Status};
use super::scenarios::{next, parse, task_id, World};
use super::{Rng, Summary};

/// How the watcher follows the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The change feed: each project watched as a whole (`Watch::project`), the watcher
    /// choosing per project between listings and bulk gets.
    Feed,
    /// The ids watched (the first [`FeedSpec::watched`] of each project) with the feed on:
    /// the watcher learns their project from its first bulk get and chooses per project.
    FeedIds,
    /// The ids watched with the feed off: bulk sweeps no more often than `min_interval`.
    Bulk {
        /// The watcher's minimum interval between two refreshes of a task.
        min_interval: Duration,
    },
}

impl Strategy {
    /// Bulk sweeps at the watcher's default minimum interval (10 s).
    pub fn bulk() -> Self {
        Strategy::Bulk {
            min_interval: WatcherPolicy::default().min_interval,
        }
    }

    /// A short name for tables.
    pub fn name(self) -> String {
        match self {
            Strategy::Feed => "change feed (whole project)".into(),
            Strategy::FeedIds => "watched ids, feed on (watcher's choice)".into(),
            Strategy::Bulk { min_interval } => {
                format!("bulk sweeps (min interval {} s)", min_interval.as_secs())
            }
        }
    }
}

/// A feed scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedSpec {
    /// Projects.
    pub projects: u32,
    /// Tasks in each project, RUNNING from the start, each ending at a moment drawn evenly
    /// from `(0, span]` (one in ten FAILED).
    pub per_project: u64,
    /// Tasks of each project the watcher follows by id when the strategy is bulk sweeps (all
    /// of them when `None`); the feed watches whole projects.
    pub watched: Option<u64>,
    /// The endings' span.
    pub span: Duration,
    /// The run stops here at the latest (`span` plus a tail long enough for the last
    /// endings to show, and for a reconciliation).
    pub horizon: Duration,
    /// How long listings lag behind gets (the mock's `listing_lag`).
    pub listing_lag: Duration,
    /// The platform's clock against the client's, in milliseconds (the mock's
    /// `clock_skew_ms`).
    pub clock_skew_ms: i64,
    /// How the watcher follows.
    pub strategy: Strategy,
    /// The watcher's share of each window (the budget's default, 0.6).
    pub share: f64,
    /// The platform's window.
    pub window: PlatformConfig,
}

const MIN: u64 = 60;
const HOUR: u64 = 3600;

impl FeedSpec {
    /// Scenario a: 10 000 tasks of one project ending over 2 h, watched by the feed.
    pub fn one_project(tasks: u64) -> Self {
        Self {
            projects: 1,
            per_project: tasks,
            watched: None,
            span: Duration::from_secs(2 * HOUR),
            horizon: Duration::from_secs(2 * HOUR + 35 * MIN),
            listing_lag: Duration::ZERO,
            clock_skew_ms: 0,
            strategy: Strategy::Feed,
            share: BudgetPolicy::default().watch_share,
            window: PlatformConfig::default(),
        }
    }

    /// The same with listings `lag` behind and the platform's clock `skew_ms` off.
    pub fn lagging(self, lag: Duration, skew_ms: i64) -> Self {
        Self {
            listing_lag: lag,
            clock_skew_ms: skew_ms,
            ..self
        }
    }

    /// The same followed by `strategy`.
    pub fn by(self, strategy: Strategy) -> Self {
        Self { strategy, ..self }
    }

    /// The same with the endings over `span` and the run stopping at `horizon` at the latest.
    pub fn over(self, span: Duration, horizon: Duration) -> Self {
        Self {
            span,
            horizon,
            ..self
        }
    }

    /// The project of number `k`.
    pub fn project(k: u32) -> String {
        format!("sim/feed-{k}")
    }
}

/// Requests of the watcher, by route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requests {
    /// Listing pages (`GET /tasks`), counted.
    pub listing: u64,
    /// Bulk gets, counted.
    pub bulk_get: u64,
    /// Gets, counted.
    pub get: u64,
    /// Anything else counted.
    pub other: u64,
    /// Refused (429).
    pub rate_limited: u64,
    /// Free (`GET /rate_limit`).
    pub free: u64,
}

impl Requests {
    /// Requests the platform counted.
    pub fn counted(&self) -> u64 {
        self.listing + self.bulk_get + self.get + self.other
    }
}

/// One run of a feed scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRun {
    /// The scenario.
    pub spec: FeedSpec,
    /// Tasks that ended by the end of the run (of those followed).
    pub endings: u64,
    /// Tasks reported ended at least once.
    pub reported: u64,
    /// `Ended` events beyond the first for a task.
    pub repeats: u64,
    /// Tasks that ended by the end of the run, minus the lag, and were never reported.
    pub missed: u64,
    /// `Ended` events for a task that had not ended (on the mock's schedule) at the time.
    pub early: u64,
    /// Notice delays of the endings.
    pub notice: Summary,
    /// The watcher's requests.
    pub requests: Requests,
    /// The strategy the watcher chose for each project, as it says (feed runs).
    pub chosen: Vec<(String, String)>,
    /// Virtual time simulated.
    pub sim_time: Duration,
    /// Real time the run took.
    pub real_time: Duration,
}

impl FeedRun {
    /// The requests counted over the run as a fraction of what the window allows in that
    /// time.
    pub fn share_of_window(&self) -> f64 {
        let w = self.spec.window;
        let allowed = f64::from(w.limit) * self.sim_time.as_secs_f64() / w.window.as_secs_f64();
        self.requests.counted() as f64 / allowed.max(1e-9)
    }

    /// Requests counted per hour of the run.
    pub fn per_hour(&self) -> f64 {
        self.requests.counted() as f64 * 3600.0 / self.sim_time.as_secs_f64().max(1e-9)
    }

    /// Every ending reported exactly once.
    pub fn exactly_once(&self) -> bool {
        self.repeats == 0 && self.missed == 0 && self.early == 0 && self.reported == self.endings
    }
}

#[derive(Debug, Default)]
struct Log {
    /// `Ended` events per task id.
    ended: HashMap<String, u32>,
    delays: Vec<Duration>,
    early: u64,
    /// The strategy of each project, as the watcher last said.
    chosen: BTreeMap<String, String>,
}

type WatchStream<'c> = EventStream<'c, Watch<'c>, SimTransport, SimEnv>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A task of project `project`, drawn from `rng`: RUNNING from the start, ending at a moment
/// of `(0, span]`, one in ten FAILED.
fn feed_task(rng: &mut Rng, span: Duration, project: &str) -> SimTask {
    let end = Duration::from_millis(rng.range(1, span.as_millis().max(2) as u64));
    let ending: Status = if rng.below(10) == 0 {
        "FAILED"
    } else {
        "COMPLETED"
    };
    SimTask::new(vec![(Duration::ZERO, "RUNNING"), (end, ending)]).in_project(project)
}

/// The world of `spec`: its projects' tasks inserted; the ids of each project.
fn feed_world(spec: &FeedSpec, seed: u64, latency: Duration) -> (World, Vec<Vec<String>>) {
    // The lag is set once the tasks are in: they were made long before the watch starts, so
    // listings show them as they are at the start (the mock lists a task as it is when its
    // lag is set), and lag behind every change from then on.
    let platform = Platform::with_mock(spec.window, |b| b.clock_skew_ms(spec.clock_skew_ms));
    let world = World::on(seed, latency, platform);
    world.platform().trace = Some(Vec::new());
    let mut rng = Rng::new(seed ^ 0xFEED);
    let mut projects = Vec::new();
    {
        let mut p = world.platform();
        for k in 0..spec.projects {
            let project = FeedSpec::project(k);
            let mut ids = Vec::new();
            for i in 0..spec.per_project {
                let id = task_id(0x100 + k, i);
                p.insert(id.clone(), feed_task(&mut rng, spec.span, &project));
                ids.push(id);
            }
            projects.push(ids);
        }
        p.mock().set_listing_lag(spec.listing_lag);
    }
    (world, projects)
}

/// Hands every event of `stream` to the log until it ends, and the watcher's strategies.
async fn consume(mut stream: WatchStream<'_>, world: &World, log: &Mutex<Log>) {
    while let Some(event) = next(&mut stream).await {
        let now = world.clock.now();
        {
            let mut log = lock(log);
            for (p, f) in stream.watcher().projects() {
                let chosen = f.strategy.map_or("not chosen".into(), |s| format!("{s:?}"));
                log.chosen.insert(p.as_str().to_owned(), chosen);
            }
        }
        if let Ok(WatchEvent::Ended { id, task }) = &event {
            let id = id.as_str().to_owned();
            let status = task.status.as_ref().map(|s| s.as_str().to_owned());
            let entered = status
                .as_deref()
                .and_then(|s| world.platform().task(&id)?.entered(s, now));
            let mut log = lock(log);
            *log.ended.entry(id).or_insert(0) += 1;
            match entered {
                Some(at) => log.delays.push(now.saturating_sub(at)),
                None => log.early += 1,
            }
        }
    }
}

/// Runs `spec` with `seed` and `latency`.
pub fn feed_run(spec: FeedSpec, seed: u64, latency: Duration) -> FeedRun {
    let real = Instant::now();
    let (world, projects) = feed_world(&spec, seed, latency);
    let budget = BudgetPolicy::default().with_watch_share(spec.share);
    let policy = match spec.strategy {
        Strategy::Feed | Strategy::FeedIds => WatcherPolicy::default(),
        Strategy::Bulk { min_interval } => WatcherPolicy::default()
            .with_feed(false)
            .with_min_interval(min_interval),
    };
    let client = world.client(budget).with_watcher(policy);
    let followed: Vec<String> = projects
        .iter()
        .flat_map(|ids| {
            let n = match (spec.strategy, spec.watched) {
                (Strategy::Feed, _) | (_, None) => ids.len(),
                (_, Some(w)) => ids.len().min(usize::try_from(w).unwrap_or(usize::MAX)),
            };
            ids[..n].iter().cloned()
        })
        .collect();
    let log = Mutex::new(Log::default());
    let all = followed.len();
    let end = {
        let mut ex = Executor::new(&world.clock);
        match spec.strategy {
            Strategy::Feed => {
                // One watch per project, on one client (one budget).
                for k in 0..spec.projects {
                    let project = ProjectId::new(FeedSpec::project(k)).expect("a project id");
                    ex.spawn(consume(client.watch_project(project), &world, &log));
                }
            }
            Strategy::FeedIds | Strategy::Bulk { .. } => {
                let stream = client.watch(followed.iter().map(|i| parse(i)));
                ex.spawn(consume(stream, &world, &log));
            }
        }
        ex.run(spec.horizon, || lock(&log).ended.len() >= all)
    };
    let log = log.into_inner().unwrap_or_else(|e| e.into_inner());
    let p = world.platform();
    let mut requests = Requests::default();
    for &(_, route, _, status) in p.trace.iter().flatten() {
        match (route, status) {
            (Route::RateLimit, _) => requests.free += 1,
            (_, 429) => requests.rate_limited += 1,
            (Route::List, _) => requests.listing += 1,
            (Route::BulkGet, _) => requests.bulk_get += 1,
            (Route::Get, _) => requests.get += 1,
            _ => requests.other += 1,
        }
    }
    let ended_by = |id: &str, t: Duration| {
        p.task(id)
            .and_then(|task| task.schedule.last().copied())
            .is_some_and(|(at, s)| super::platform::is_terminal(s) && at <= t)
    };
    let endings = followed.iter().filter(|id| ended_by(id, end)).count() as u64;
    let due = end.saturating_sub(spec.listing_lag);
    let missed = followed
        .iter()
        .filter(|id| ended_by(id, due) && !log.ended.contains_key(id.as_str()))
        .count() as u64;
    let repeats = log
        .ended
        .values()
        .map(|&n| u64::from(n.saturating_sub(1)))
        .sum();
    FeedRun {
        spec,
        endings,
        reported: log.ended.len() as u64,
        repeats,
        missed,
        early: log.early,
        notice: Summary::of(&log.delays),
        requests,
        chosen: log.chosen.into_iter().collect(),
        sim_time: end,
        real_time: real.elapsed(),
    }
}

// ---------------------------------------------------------------------------------------
// The figures.

/// Scenario d's project: 50 000 tasks, 3 of them watched.
pub const BIG_PROJECT: u64 = 50_000;

/// Every run of the example, labelled.
#[derive(Debug, Clone)]
pub struct FeedFigures {
    /// Seed of every generator.
    pub seed: u64,
    /// Latency per request.
    pub latency: Duration,
    /// a and b: (label, run).
    pub one_project: Vec<(String, FeedRun)>,
    /// c: the feed, then bulk sweeps.
    pub many: Vec<(String, FeedRun)>,
    /// d: (label, run).
    pub few: Vec<(String, FeedRun)>,
}

/// Scenario c's spec: `projects` × `per_project` tasks ending over `span`, the run stopping
/// at `span` + 5 min at the latest.
pub fn many_projects(projects: u32, per_project: u64, span: Duration) -> FeedSpec {
    FeedSpec {
        projects,
        per_project,
        ..FeedSpec::one_project(per_project)
    }
    .over(span, span + Duration::from_secs(5 * MIN))
}

/// Scenario d's spec: 3 tasks watched in a project of `size`, over one hour of endings
/// spread over two.
pub fn few_in_big(size: u64) -> FeedSpec {
    FeedSpec {
        watched: Some(3),
        ..FeedSpec::one_project(size)
    }
    .over(Duration::from_secs(2 * HOUR), Duration::from_secs(HOUR))
}

/// Runs the scenarios whose letter is in `only` (`"abcd"`: all): a and b at `tasks` tasks
/// (10 000), c at `projects` × `per_project` over `span`, d in a project of `big` tasks. The
/// runs are independent simulations, run side by side on as many threads as the machine has
/// cores (each run's *real* time is then its wall time beside the others).
pub fn feed_figures(
    seed: u64,
    latency: Duration,
    tasks: u64,
    (projects, per_project, span): (u32, u64, Duration),
    big: u64,
    only: &str,
) -> FeedFigures {
    let one = FeedSpec::one_project(tasks);
    let lag = Duration::from_secs(30);
    let c = many_projects(projects, per_project, span);
    let d = few_in_big(big);
    let runs: Vec<(&str, FeedSpec)> = vec![
        ("a. no lag", one),
        ("b. lag 30 s, skew +5 s", one.lagging(lag, 5_000)),
        ("b. lag 30 s, skew −5 s", one.lagging(lag, -5_000)),
        ("a. bulk sweeps (feed off)", one.by(Strategy::bulk())),
        ("c. change feed", c),
        ("c. bulk sweeps (feed off)", c.by(Strategy::bulk())),
        (
            "d. 3 ids, feed on (the watcher's choice)",
            d.by(Strategy::FeedIds),
        ),
        ("d. 3 ids, bulk gets (feed off)", d.by(Strategy::bulk())),
        ("d. the whole project by listings", d.by(Strategy::Feed)),
    ];
    let runs: Vec<(&str, FeedSpec)> = runs
        .into_iter()
        .filter(|(label, _)| label.chars().next().is_some_and(|c| only.contains(c)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut done: Vec<(String, FeedRun)> = Vec::new();
    for chunk in runs.chunks(threads) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(label, spec)| {
                    let spec = *spec;
                    (*label, scope.spawn(move || feed_run(spec, seed, latency)))
                })
                .collect();
            for (label, h) in handles {
                match h.join() {
                    Ok(run) => done.push((label.to_owned(), run)),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
    }
    let mut one_project = Vec::new();
    let mut many = Vec::new();
    let mut few = Vec::new();
    for (label, run) in done {
        match label.chars().next() {
            Some('c') => many.push((label, run)),
            Some('d') => few.push((label, run)),
            _ => one_project.push((label, run)),
        }
    }
    FeedFigures {
        seed,
        latency,
        one_project,
        many,
        few,
    }
}

fn s(d: Duration) -> String {
    super::report::s(d)
}

fn mark(ok: bool) -> &'static str {
    super::report::mark(ok)
}

fn requests(r: &Requests) -> String {
    format!(
        "{} ({} listing / {} bulk get / {} get), {} × 429",
        r.counted(),
        r.listing,
        r.bulk_get,
        r.get,
        r.rate_limited
    )
}

fn chosen(r: &FeedRun) -> String {
    if r.chosen.is_empty() {
        return "—".into();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, c) in &r.chosen {
        *counts.entry(c.as_str()).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|(c, n)| format!("{c} × {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The p99 goal of a run: 5 s without lag, the lag + 5 s with one.
pub fn p99_goal(spec: &FeedSpec) -> Duration {
    spec.listing_lag + Duration::from_secs(5)
}

/// The share-of-window goal of scenario a (15 %).
pub const SHARE_GOAL: f64 = 0.15;

/// Bulk requests per hour that would refresh `n` tasks once every `interval` (⌈n/100⌉ per
/// interval): what bulk sweeps need to notice an ending within `interval`.
pub fn bulk_per_hour_for(n: u64, interval: Duration) -> f64 {
    n.div_ceil(100) as f64 * 3600.0 / interval.as_secs_f64().max(1e-9)
}

/// The figures as Markdown.
pub fn markdown(f: &FeedFigures) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Seed {}, latency {} ms per request, window 1000 requests / 300 s, budget defaults \
         (watch share 0.6), watcher defaults (ended listing every 3 s, started every 30 s, \
         margin 60 s, progress every 10 min, reconciliation every 30 min; bulk sweeps: min \
         interval 10 s).\n",
        f.seed,
        f.latency.as_millis()
    );
    if let Some((_, a)) = f.one_project.first() {
        let _ = writeln!(
            o,
            "**a, b. {} tasks of one project ending over {}** (notice = the `Ended` event − the \
             platform's end of the task; share = requests counted / (1000 per 300 s) over the \
             run, reconciliation included)\n",
            a.spec.per_project,
            s(a.spec.span)
        );
    }
    let _ = writeln!(
        o,
        "| run | endings | reported once | repeats | missed | notice p50 | p99 | max | goal p99 | requests counted | share of window (goal ≤ 15 %) | simulated | real |"
    );
    let _ = writeln!(
        o,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (label, r) in &f.one_project {
        let feed = r.spec.strategy == Strategy::Feed;
        let goal = p99_goal(&r.spec);
        let _ = writeln!(
            o,
            "| {label} | {} | {} | {} | {} | {} | **{}** | {} | {} | {} | **{:.1} %** {} | {} | {:.1} s |",
            r.endings,
            r.reported,
            r.repeats,
            r.missed,
            s(r.notice.p50),
            s(r.notice.p99),
            s(r.notice.max),
            if feed {
                format!("≤ {} {}", s(goal), mark(r.notice.p99 <= goal && r.exactly_once()))
            } else {
                "—".into()
            },
            requests(&r.requests),
            100.0 * r.share_of_window(),
            if feed { mark(r.share_of_window() <= SHARE_GOAL) } else { "" },
            s(r.sim_time),
            r.real_time.as_secs_f64(),
        );
    }
    if let Some((_, c)) = f.many.first() {
        let n = u64::from(c.spec.projects) * c.spec.per_project;
        let _ = writeln!(
            o,
            "\n**c. {} tasks over {} projects ({} each) ending over {}** (the run stops at {} \
             at the latest)\n",
            n,
            c.spec.projects,
            c.spec.per_project,
            s(c.spec.span),
            s(c.spec.horizon)
        );
        let _ = writeln!(
            o,
            "| run | endings | reported | repeats | missed | notice p50 | p99 | requests counted | requests / h | share of window | bulk requests / h to notice within the feed's p99 | simulated | real |"
        );
        let _ = writeln!(
            o,
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        );
        for (label, r) in &f.many {
            let _ = writeln!(
                o,
                "| {label} | {} | {} | {} | {} | {} | **{}** | {} | **{:.0}** | {:.1} % | {} | {} | {:.1} s |",
                r.endings,
                r.reported,
                r.repeats,
                r.missed,
                s(r.notice.p50),
                s(r.notice.p99),
                requests(&r.requests),
                r.per_hour(),
                100.0 * r.share_of_window(),
                if r.spec.strategy == Strategy::Feed && !r.notice.p99.is_zero() {
                    format!("{:.0} (⌈{n}/100⌉ per {})", bulk_per_hour_for(n, r.notice.p99), s(r.notice.p99))
                } else {
                    "—".into()
                },
                s(r.sim_time),
                r.real_time.as_secs_f64(),
            );
        }
    }
    if let Some((_, d)) = f.few.first() {
        let _ = writeln!(
            o,
            "\n**d. 3 watched tasks in a project of {}** (endings of the project over {}, \
             the first {} simulated)\n",
            d.spec.per_project,
            s(d.spec.span),
            s(d.spec.horizon)
        );
        let _ = writeln!(
            o,
            "| run | watched endings reported / ended | notice p99 | requests counted | requests / h | strategy the watcher chose |"
        );
        let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- |");
        for (label, r) in &f.few {
            let _ = writeln!(
                o,
                "| {label} | {} / {} | {} | {} | **{:.0}** | {} |",
                r.reported,
                r.endings,
                s(r.notice.p99),
                requests(&r.requests),
                r.per_hour(),
                chosen(r),
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_sweeps_report_each_ending_once_and_the_share_is_of_the_run() {
        let spec = FeedSpec::one_project(200)
            .by(Strategy::bulk())
            .over(Duration::from_secs(300), Duration::from_secs(900));
        let r = feed_run(spec, 1, Duration::from_millis(200));
        assert!(r.exactly_once(), "{r:?}");
        assert_eq!((r.endings, r.reported), (200, 200));
        assert_eq!((r.requests.listing, r.requests.free), (0, 1));
        // Two bulk gets per 10 s at most (the minimum interval), fewer as tasks end.
        assert!(
            r.requests.bulk_get <= 2 * (r.sim_time.as_secs() / 10 + 1),
            "{r:?}"
        );
        assert!(r.notice.max <= Duration::from_secs(11), "{:?}", r.notice);
        let allowed = 1000.0 * r.sim_time.as_secs_f64() / 300.0;
        assert!((r.share_of_window() - r.requests.counted() as f64 / allowed).abs() < 1e-12);
        assert!(r.chosen.is_empty(), "the feed is off: {:?}", r.chosen);
    }

    #[test]
    fn bulk_sweeps_need_a_request_per_100_tasks_per_interval() {
        assert_eq!(
            bulk_per_hour_for(100_000, Duration::from_secs(36)),
            100_000.0
        );
        assert_eq!(bulk_per_hour_for(3, Duration::from_secs(10)), 360.0);
        assert_eq!(p99_goal(&FeedSpec::one_project(1)), Duration::from_secs(5));
        let lagging = FeedSpec::one_project(1).lagging(Duration::from_secs(30), -5000);
        assert_eq!(p99_goal(&lagging), Duration::from_secs(35));
    }
}
