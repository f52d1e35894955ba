//! Bulk actions in the simulation: a rerun with `run` of N FAILED tasks, alone on its token
//! and while a watcher of many tasks runs on the same token, with the client's real
//! [`AsyncClient::bulk`](sbg_tasks_proto::AsyncClient::bulk) (a
//! [`MemoryJournal`]) against the mock's platform on the virtual clock.
//!
//! # The budget-bound minimum
//!
//! The platform counts `L` requests per window of `W` (1000 per 300 s); a window opens with
//! the first counted request, so an action that starts on a fresh window may spend `L` at
//! once, and then `L` at each reset. An action that spends `R` requests therefore cannot send
//! its last one before the start of its `⌈R/L⌉`-th window, `(⌈R/L⌉ − 1) · W` after its first,
//! and has its answer one latency `λ` later:
//!
//! `minimum = (⌈R/L⌉ − 1) · W + λ`
//!
//! (The steady rate `R · W / L` is the minimum over many windows; with a fresh first window it
//! overstates it by up to one window. The mock rounds each reset up to a whole second, up to
//! 1 s more per window.) The goal: the action's wall time, from its call to its report, is
//! within 5 % of that.
//!
//! # Shares, with a watcher on the same token
//!
//! The budget's lanes: the watcher ([`Lane::Watch`](sbg_tasks_proto::machine::budget::Lane))
//! spends at most `⌊share · L⌋` of each window, paced over it; the action's changes
//! ([`Lane::Bulk`](sbg_tasks_proto::machine::budget::Lane)) stop short of what is left of the
//! watcher's share and the reserve, so they get at most `L − ⌊share · L⌋ − reserve` of a
//! window while the watcher is active (350 of 1000 at the defaults); the selection's listing
//! pages are reads. The figures count each caller's requests in each of the platform's windows
//! (rebuilt from the trace as the mock opens them: at the first counted request, closing at
//! the start plus `W` rounded up to a whole second).

use std::sync::Mutex;
use std::time::Duration;

use sbg_tasks_proto::client::{BulkError, MemoryJournal};
use sbg_tasks_proto::machine::bulk::{Action, BulkReport, BulkSpec, Listing, Scope, Selection};
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::{BudgetPolicy, ProjectId};

use super::exec::{Executor, T0};
use super::platform::{Platform, PlatformConfig, Route};
use super::report::{mark, s};
use super::scenarios::{task_id, watch_noticing, watched_task, SimClient, World};
use super::{Rng, Summary};

/// The project of the tasks the action reruns.
pub const PROJECT: &str = "sim/bulk";

/// How the action and the watcher share the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The action alone (no watcher).
    Alone,
    /// The watcher alone (no action): the comparison for the watcher's notice delays.
    WatcherOnly,
    /// One client (one budget) runs both.
    OneClient,
    /// Two clients (two budgets, as two processes) on the same token.
    TwoClients,
}

impl Sharing {
    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Sharing::Alone => "the action alone",
            Sharing::WatcherOnly => "the watcher alone",
            Sharing::OneClient => "action + watcher, one client (one budget)",
            Sharing::TwoClients => "action + watcher, two processes (two budgets)",
        }
    }

    fn action(self) -> bool {
        self != Sharing::WatcherOnly
    }
}

/// Parameters of a bulk scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BulkSimSpec {
    /// FAILED tasks the action reruns (1 000).
    pub tasks: u64,
    /// Tasks the watcher follows (10 000; none when the action is alone).
    pub watched: u64,
    /// How the token is shared.
    pub sharing: Sharing,
    /// The watcher's share of each window (0.6).
    pub share: f64,
    /// The action's workers ([`BulkSpec::concurrency`], default 4).
    pub concurrency: usize,
    /// When the action starts (with a watcher: once its first sweep is under way).
    pub start: Duration,
    /// The simulation stops here at the latest (the end of a watcher-only run).
    pub horizon: Duration,
    /// The platform's window.
    pub window: PlatformConfig,
}

impl BulkSimSpec {
    /// The action alone on `tasks` tasks, at the platform's window.
    pub fn alone(tasks: u64) -> Self {
        Self {
            tasks,
            watched: 0,
            sharing: Sharing::Alone,
            share: 0.6,
            // The action's default.
            concurrency: BulkSpec::new(Action::Rerun { run: true }, Selection::Ids(Vec::new()))
                .concurrency,
            start: Duration::ZERO,
            horizon: Duration::from_secs(24 * 3600),
            window: PlatformConfig::default(),
        }
    }

    /// The action on `tasks` tasks while a watcher follows `watched` (one client), starting
    /// 2 minutes after the watcher.
    pub fn shared(tasks: u64, watched: u64) -> Self {
        Self {
            watched,
            sharing: Sharing::OneClient,
            start: Duration::from_secs(120),
            ..Self::alone(tasks)
        }
    }

    /// The same with another sharing.
    pub fn sharing(self, sharing: Sharing) -> Self {
        Self { sharing, ..self }
    }
}

/// Requests of one caller, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kinds {
    /// Listing pages (`GET /tasks`), counted.
    pub listing: u64,
    /// Clones, counted.
    pub clone: u64,
    /// Runs, counted.
    pub run: u64,
    /// Bulk gets, counted.
    pub bulk_get: u64,
    /// Anything else counted.
    pub other: u64,
    /// Refused (429).
    pub rate_limited: u64,
    /// Free (`GET /rate_limit`).
    pub free: u64,
}

impl Kinds {
    /// Requests the platform counted.
    pub fn counted(&self) -> u64 {
        self.listing + self.clone + self.run + self.bulk_get + self.other
    }
}

/// One run of a bulk scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRun {
    /// The spec.
    pub spec: BulkSimSpec,
    /// The action's requests.
    pub action: Kinds,
    /// The watcher's requests.
    pub watcher: Kinds,
    /// Tasks done / skipped / failed, as the action reported.
    pub done: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed.
    pub failed: usize,
    /// The report says every selected task has its outcome.
    pub complete: bool,
    /// The action's error, if it ended with one.
    pub error: Option<String>,
    /// Originals with exactly one copy, which ran (the mock's count).
    pub once: u64,
    /// Copies made in all (the mock's count), and those still DRAFTs.
    pub copies: u64,
    /// Copies left as DRAFTs.
    pub drafts: u64,
    /// From the action's call to its report (virtual).
    pub wall: Duration,
    /// The budget-bound minimum (see the [module docs](self)).
    pub minimum: Duration,
    /// Each window's counted requests: (when it opened, the action's, the watcher's).
    pub windows: Vec<(Duration, u64, u64)>,
    /// The watcher's notice delays of the changes it noticed while the action ran (from its
    /// start to its end; the same interval in a watcher-only run).
    pub notice: Summary,
    /// Virtual time simulated.
    pub sim_time: Duration,
}

impl BulkRun {
    /// The largest fraction of a window the action counted.
    pub fn action_max_fraction(&self) -> f64 {
        self.max_fraction(|w| w.1)
    }

    /// The largest fraction of a window the watcher counted.
    pub fn watcher_max_fraction(&self) -> f64 {
        self.max_fraction(|w| w.2)
    }

    fn max_fraction(&self, of: impl Fn(&(Duration, u64, u64)) -> u64) -> f64 {
        let limit = f64::from(self.spec.window.limit.max(1));
        self.windows
            .iter()
            .map(|w| of(w) as f64 / limit)
            .fold(0.0, f64::max)
    }

    /// Wall time over the minimum.
    pub fn ratio(&self) -> f64 {
        self.wall.as_secs_f64() / self.minimum.as_secs_f64().max(1e-9)
    }

    /// 429s of every caller.
    pub fn rate_limited(&self) -> u64 {
        self.action.rate_limited + self.watcher.rate_limited
    }
}

/// `(⌈R/L⌉ − 1) · W + λ`: see the [module docs](self).
pub fn minimum(requests: u64, window: PlatformConfig, latency: Duration) -> Duration {
    let windows = requests.div_ceil(u64::from(window.limit.max(1))).max(1);
    window.window * u32::try_from(windows - 1).unwrap_or(u32::MAX) + latency
}

fn world(spec: &BulkSimSpec, seed: u64, latency: Duration) -> (World, Vec<String>) {
    let world = World::with_window(seed, latency, spec.window);
    let mut rng = Rng::new(seed ^ 0xB0_1C);
    let mut watched = Vec::new();
    {
        let mut p = world.platform();
        p.trace = Some(Vec::new());
        for i in 0..spec.tasks {
            // Ended the day before; its own inputs, so that each copy is told apart.
            p.insert_plain(serde_json::json!({
                "id": task_id(9, i),
                "name": format!("bulk {i}"),
                "status": "FAILED",
                "project": PROJECT,
                "app": "sim/bulk/app",
                "inputs": {"n": i},
            }));
        }
        for i in 0..spec.watched {
            // As the fleet's watched tasks.
            let id = task_id(1, i);
            p.insert(id.clone(), watched_task(&mut rng));
            watched.push(id);
        }
    }
    (world, watched)
}

/// The rerun-and-run of every FAILED task of [`PROJECT`].
fn action_spec(concurrency: usize) -> BulkSpec {
    let project = ProjectId::new(PROJECT).expect("a project id");
    let listing = Listing::new(Scope::Project(project)).status(TaskStatus::Failed);
    BulkSpec::new(Action::Rerun { run: true }, Selection::Listing(listing))
        .with_concurrency(concurrency)
}

/// What one caller's requests were, from the trace.
fn kinds(p: &Platform, caller: Option<usize>) -> Kinds {
    let mut k = Kinds::default();
    let Some(caller) = caller else { return k };
    for &(c, route, _, status) in p.trace.iter().flatten() {
        if c != caller {
            continue;
        }
        match (route, status) {
            (Route::RateLimit, _) => k.free += 1,
            (_, 429) => k.rate_limited += 1,
            (Route::List, _) => k.listing += 1,
            (Route::Clone, _) => k.clone += 1,
            (Route::Run, _) => k.run += 1,
            (Route::BulkGet, _) => k.bulk_get += 1,
            _ => k.other += 1,
        }
    }
    k
}

/// The platform's windows as the mock opens them, with the counted requests of `action` and
/// `watcher` in each.
fn windows(
    p: &Platform,
    action: Option<usize>,
    watcher: Option<usize>,
) -> Vec<(Duration, u64, u64)> {
    let len = p.config().window;
    let mut out: Vec<(Duration, u64, u64)> = Vec::new();
    let mut close = Duration::ZERO;
    for &(c, route, at, status) in p.trace.iter().flatten() {
        if route == Route::RateLimit || status == 429 {
            continue;
        }
        if out.is_empty() || at >= close {
            // Opened now, closing at the wall time's whole second at or after `at + W`.
            let end = Duration::from_secs(T0) + at + len;
            let up = end.as_secs() + u64::from(end.subsec_nanos() > 0);
            close = Duration::from_secs(up - T0);
            out.push((at, 0, 0));
        }
        if let Some(w) = out.last_mut() {
            if Some(c) == action {
                w.1 += 1;
            } else if Some(c) == watcher {
                w.2 += 1;
            }
        }
    }
    out
}

type Outcome = Option<(Result<BulkReport, BulkError>, Duration)>;

/// One run of `spec`.
pub fn bulk_run(spec: BulkSimSpec, seed: u64, latency: Duration) -> BulkRun {
    let (world, ids) = world(&spec, seed, latency);
    let policy = BudgetPolicy::default()
        .with_window(u64::from(spec.window.limit), spec.window.window)
        .with_watch_share(spec.share);
    let first = world.client(policy.clone());
    let second: Option<SimClient> =
        (spec.sharing == Sharing::TwoClients).then(|| world.client(policy));
    let bulk_client = second.as_ref().unwrap_or(&first);
    let notices = Mutex::new(Vec::new());
    let outcome: Mutex<Outcome> = Mutex::new(None);
    let (mut watcher_at, mut action_at) = (None, None);
    let end = {
        let mut ex = Executor::new(&world.clock);
        if !ids.is_empty() {
            let (world, notices) = (&world, &notices);
            watcher_at = Some(ex.spawn(watch_noticing(&first, world, ids, |now, d| {
                notices
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((now, d));
                false
            })));
        }
        if spec.sharing.action() {
            let (world, outcome) = (&world, &outcome);
            action_at = Some(ex.spawn(async move {
                world.clock.sleep(spec.start).await;
                let started = world.clock.now();
                let mut journal = MemoryJournal::new();
                let report = bulk_client
                    .bulk(action_spec(spec.concurrency), &mut journal, |_| {})
                    .await;
                let wall = world.clock.now() - started;
                *outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some((report, wall));
            }));
        }
        let done = || outcome.lock().unwrap_or_else(|e| e.into_inner()).is_some();
        ex.run(spec.horizon, done)
    };
    let outcome = outcome.into_inner().unwrap_or_else(|e| e.into_inner());
    let p = world.platform();
    let action = kinds(&p, action_at);
    let watcher = kinds(&p, watcher_at);
    let (report, wall) = match outcome {
        Some((r, wall)) => (Some(r), wall),
        None => (None, Duration::ZERO),
    };
    let (mut done, mut skipped, mut failed, mut complete, mut error) = (0, 0, 0, false, None);
    match &report {
        Some(Ok(r)) => {
            let g = r.progress();
            (done, skipped, failed, complete) = (g.done, g.skipped, g.failed, r.is_complete());
            error = r.error.as_ref().map(ToString::to_string);
        }
        Some(Err(e)) => error = Some(e.to_string()),
        None => {}
    }
    let copies = p.copies(end);
    let mut per_original: std::collections::HashMap<&str, (u64, u64)> =
        std::collections::HashMap::new();
    for c in &copies {
        let e = per_original.entry(c.original.as_str()).or_default();
        e.0 += 1;
        e.1 += u64::from(c.ran);
    }
    let once = per_original.values().filter(|&&v| v == (1, 1)).count() as u64;
    let drafts = copies.iter().filter(|c| c.status == "DRAFT").count() as u64;
    let (from, to) = if spec.sharing.action() {
        (spec.start, spec.start + wall)
    } else {
        (spec.start, end)
    };
    let during: Vec<Duration> = notices
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .filter(|(at, _)| *at >= from && *at <= to)
        .map(|(_, d)| d)
        .collect();
    BulkRun {
        spec,
        minimum: minimum(action.counted(), spec.window, latency),
        windows: windows(&p, action_at, watcher_at),
        action,
        watcher,
        done,
        skipped,
        failed,
        complete,
        error,
        once,
        copies: copies.len() as u64,
        drafts,
        wall,
        notice: Summary::of(&during),
        sim_time: end,
    }
}

/// The bulk figures: the action alone; with a watcher on one client; the watcher alone over
/// the same interval; with a watcher in a second process.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkFigures {
    /// The action alone.
    pub alone: BulkRun,
    /// Action and watcher on one client.
    pub shared: BulkRun,
    /// The watcher alone, until the shared run's end.
    pub watcher_only: BulkRun,
    /// Action and watcher in two processes.
    pub two_clients: BulkRun,
}

/// Every bulk run: `tasks` tasks, a watcher of `watched`, the action's `concurrency`.
pub fn bulk_figures(
    tasks: u64,
    watched: u64,
    concurrency: usize,
    seed: u64,
    latency: Duration,
) -> BulkFigures {
    let alone = BulkSimSpec {
        concurrency,
        ..BulkSimSpec::alone(tasks)
    };
    let alone = bulk_run(alone, seed, latency);
    let spec = BulkSimSpec {
        concurrency,
        ..BulkSimSpec::shared(tasks, watched)
    };
    let shared = bulk_run(spec, seed, latency);
    let only = BulkSimSpec {
        horizon: shared.sim_time,
        ..spec.sharing(Sharing::WatcherOnly)
    };
    let watcher_only = bulk_run(only, seed, latency);
    let two_clients = bulk_run(spec.sharing(Sharing::TwoClients), seed, latency);
    BulkFigures {
        alone,
        shared,
        watcher_only,
        two_clients,
    }
}

/// The action's share of a window while a watcher is active:
/// `L − ⌊share · L⌋ − reserve` over `L` (the budget's default reserve, 50, at most a tenth of
/// `L`).
pub fn action_share(window: PlatformConfig, share: f64) -> f64 {
    let limit = u64::from(window.limit.max(1));
    let watch = ((limit as f64) * share).floor() as u64;
    let reserve = BudgetPolicy::default().reserve.min(limit / 10);
    limit.saturating_sub(watch + reserve) as f64 / limit as f64
}

/// To a tenth of a second.
fn s1(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// Whether every original has exactly one copy, which ran, and no copy is left a DRAFT.
pub fn exactly_once(r: &BulkRun) -> bool {
    r.once == r.spec.tasks && r.copies == r.spec.tasks && r.drafts == 0 && r.complete
}

/// The bulk figures as Markdown, each goal beside its figure.
pub fn markdown(f: &BulkFigures, seed: u64, latency: Duration) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let a = &f.alone;
    let w = a.spec.window;
    let _ = writeln!(
        o,
        "Seed {seed}, latency {} ms per request, window {} requests / {} s, budget defaults \
         (reserve 50, watch share {}), the action with {} workers.\n",
        latency.as_millis(),
        w.limit,
        w.window.as_secs(),
        f.shared.spec.share,
        a.spec.concurrency,
    );
    let _ = writeln!(
        o,
        "**A rerun with `run` of {} FAILED tasks, alone on its token** (minimum = (⌈R/L⌉ − 1) · W + λ: \
         the last of R requests cannot leave before the ⌈R/L⌉-th window opens, the first window \
         fresh)\n",
        a.spec.tasks
    );
    let _ = writeln!(
        o,
        "| requests R: listing / clone / run / other | 429s | wall time | minimum | R · W / L (steady rate) | wall / minimum (goal ≤ 1.05) | originals with exactly one copy that ran / drafts left |"
    );
    let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- | --- |");
    let steady = w.window.as_secs_f64() * a.action.counted() as f64 / f64::from(w.limit.max(1));
    let _ = writeln!(
        o,
        "| **{}**: {} / {} / {} / {} | {} | **{}** | {} | {} | **{:.3}** {} | {} / {} {} |",
        a.action.counted(),
        a.action.listing,
        a.action.clone,
        a.action.run,
        a.action.other + a.action.bulk_get,
        a.rate_limited(),
        s1(a.wall),
        s1(a.minimum),
        s1(Duration::from_secs_f64(steady)),
        a.ratio(),
        mark(a.ratio() <= 1.05 && a.rate_limited() == 0),
        a.once,
        a.drafts,
        mark(exactly_once(a)),
    );
    let share = f.shared.spec.share;
    let action_cap = action_share(w, share);
    let base = f.watcher_only.notice;
    let _ = writeln!(
        o,
        "\n**The same while a watcher of {} tasks runs on the same token** (the action starts {} after the watcher; \
         shares: the watcher ≤ {} of each window, the action ≤ {} = 1 − {} − the reserve; \
         the largest fraction of any window each was counted; the watcher's notice delays of the changes it saw \
         while the action ran, beside the watcher alone over the same interval)\n",
        f.shared.spec.watched,
        s(f.shared.spec.start),
        pct(share),
        pct(action_cap),
        pct(share),
    );
    let _ = writeln!(
        o,
        "| setup | 429s: action / watcher (goal 0) | action: requests (listing / clone / run), wall time | action's largest window (goal ≤ {}) | watcher's largest window (goal ≤ {}) | watcher notice p50 / p99 (alone: {} / {}) | exactly once |",
        pct(action_cap),
        pct(share),
        s(base.p50),
        s(base.p99),
    );
    let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- | --- |");
    for r in [&f.shared, &f.two_clients] {
        let (af, wf) = (r.action_max_fraction(), r.watcher_max_fraction());
        let _ = writeln!(
            o,
            "| {} | {} / {} **{}** {} | {} ({} / {} / {}), {} | **{}** {} | **{}** {} | {} / **{}** {} | {} / {} {} |",
            r.spec.sharing.name(),
            r.action.rate_limited,
            r.watcher.rate_limited,
            r.rate_limited(),
            mark(r.rate_limited() == 0),
            r.action.counted(),
            r.action.listing,
            r.action.clone,
            r.action.run,
            s(r.wall),
            pct(af),
            mark(af <= action_cap + 1e-9),
            pct(wf),
            mark(wf <= share + 1e-9),
            s(r.notice.p50),
            s(r.notice.p99),
            mark(r.notice.p99 <= base.p99 + Duration::from_secs(1)),
            r.once,
            r.drafts,
            mark(exactly_once(r)),
        );
    }
    let _ = writeln!(
        o,
        "\n**Requests counted per window** (action / watcher; windows as the platform opened them)\n"
    );
    let _ = writeln!(o, "| setup | window opened at: action / watcher |");
    let _ = writeln!(o, "| --- | --- |");
    for r in [&f.alone, &f.shared, &f.two_clients] {
        let cells: Vec<String> = r
            .windows
            .iter()
            .map(|(at, a, w)| format!("{}: {a} / {w}", s(*at)))
            .collect();
        let _ = writeln!(o, "| {} | {} |", r.spec.sharing.name(), cells.join(", "));
    }
    o
}
