//! The fleet scenario of the benches' simulation scaled down against the real mock over
//! loopback: a fleet of 2 000 tasks ending over ~60 s, a window of 200 requests per 10 s, and
//! on ONE client (one token) a watcher of the 2 000 (`watch`, 60 % budget share), 5
//! single-task `wait`s and 2 submitters running 20 drafts each, spread over the run. Beside it,
//! on a second token, the same fleet followed one `GET` per task in turn at the same share.
//! Judged by the mock's stats and journal (through `MockControl`); prints a table per pass
//! (gzip on, then off) and fails when a goal is missed.
//!
//! The client runs on the transport chosen (`--transport`): [`blocking`] (ureq, threads) or
//! [`on_tokio`] (hyper, tokio tasks); the figures and the table are written once, here.

mod blocking;
mod on_tokio;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sbg_tasks_mock::serde_json::{self, json, Value};
use sbg_tasks_mock::{token_fingerprint, FleetSpec, MockBuilder, MockControl, MockHandle, Route};
use sbg_tasks_ureq::proto::config::AllowHttp;
use sbg_tasks_ureq::proto::transport::{Proxy, TransportOptions};
use sbg_tasks_ureq::{
    http, AuthToken, BaseUrl, BudgetPolicy, ClientError, Config, Settings, Task, TaskId,
    WaitPolicy, WatchEvent, WatcherPolicy,
};

use crate::{Res, Transport};

pub(crate) const TOKEN: &str = "fleetloopbackscenario00000000001";
pub(crate) const ONE_GET_TOKEN: &str = "fleetloopbackonegetpertask000002";
/// Each bulk get of the watcher: when it was sent and the fleet ids it asked for.
pub(crate) type Log = Arc<Mutex<Vec<(Instant, Vec<String>)>>>;

/// When to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Gzip {
    /// A pass with `Accept-Encoding: gzip`.
    On,
    /// A pass without.
    Off,
    /// Both passes, gzip first.
    Both,
}

/// The flags of `fleet-loopback`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct FleetArgs {
    /// The client's transport.
    #[arg(long, value_enum, default_value = "ureq")]
    pub(crate) transport: Transport,
    /// Tasks of the fleet.
    #[arg(long, default_value_t = 2000)]
    pub(crate) tasks: usize,
    /// The fleet's tasks end within this many seconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) secs: u64,
    /// The mock's window: this many requests...
    #[arg(long, default_value_t = 200)]
    pub(crate) limit: u32,
    /// ...per this many seconds.
    #[arg(long, default_value_t = 10)]
    pub(crate) window: u64,
    /// No task refreshed more often (watcher, one-GET loop and waits alike), in ms: the
    /// simulation's 10 s scaled down, so the watcher is held by the budget, not its interval.
    #[arg(long = "interval-ms", default_value = "1000", value_parser = millis)]
    pub(crate) interval: Duration,
    /// Passes with gzip on, off, or both.
    #[arg(long, value_enum, default_value = "both")]
    pub(crate) gzip: Gzip,
    /// Skip the one-GET-per-task comparison.
    #[arg(long)]
    pub(crate) no_one_get: bool,
    /// The budget assumes the platform's default window (1000 per 300 s) until answers show
    /// the mock's, instead of the mock's from the start.
    #[arg(long)]
    pub(crate) default_window: bool,
}

fn millis(s: &str) -> Result<Duration, String> {
    s.parse()
        .map(Duration::from_millis)
        .map_err(|e| format!("{e}"))
}

/// Every pass (gzip on, off): true when every goal was met.
pub(crate) fn run(a: &FleetArgs) -> Res<bool> {
    let passes: &[bool] = match a.gzip {
        Gzip::On => &[true],
        Gzip::Off => &[false],
        Gzip::Both => &[true, false],
    };
    let rt = match a.transport {
        Transport::Ureq => None,
        Transport::Hyper => Some(
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?,
        ),
    };
    let mut ok = true;
    for (i, &gzip) in passes.iter().enumerate() {
        // The mock runs on its own runtime (a thread of its own), outside the client's.
        let mock = mock(a)?;
        let one_get = !a.no_one_get && i == 0;
        ok &= match &rt {
            None => blocking::pass(a, &mock, gzip, one_get)?,
            Some(rt) => rt.block_on(on_tokio::pass(a, &mock, gzip, one_get))?,
        };
    }
    Ok(ok)
}

fn mock(a: &FleetArgs) -> Res<MockHandle> {
    Ok(MockBuilder::new()
        .token(TOKEN)
        .token(ONE_GET_TOKEN)
        .rate_limit(a.limit, Duration::from_secs(a.window))
        .start_blocking()?)
}

/// The clients' settings for the mock at `base` with `token`: waits and watcher no more often
/// than the interval, and the budget told the mock's window (unless `--default-window`).
fn settings(a: &FleetArgs, base: &str, token: &str) -> Res<Settings> {
    let base = BaseUrl::parse_with(base, AllowHttp::Loopback)?;
    let mut settings = Settings::new(Config::new(base, AuthToken::new(token)?));
    settings.wait = WaitPolicy::default()
        .with_interval(a.interval)
        .with_backoff(1.0);
    settings.watcher = WatcherPolicy::default().with_min_interval(a.interval);
    if !a.default_window {
        settings.budget =
            BudgetPolicy::default().with_window(a.limit.into(), Duration::from_secs(a.window));
    }
    Ok(settings)
}

/// Loopback over plain http, no proxy, gzip as the pass says.
fn transport_options(gzip: bool) -> TransportOptions {
    TransportOptions::default()
        .allow_http(true)
        .proxy(Proxy::Off)
        .accept_gzip(gzip)
}

/// Records, for each bulk get a client sends, when and which fleet ids it asks for.
#[derive(Clone)]
pub(crate) struct Recorder {
    log: Log,
    fleet: Arc<HashSet<String>>,
}

impl Recorder {
    fn record(&self, req: &http::Request<Vec<u8>>) {
        let body: Value = serde_json::from_slice(req.body()).unwrap_or_default();
        let ids: Vec<String> = body["task_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| {
                v.as_str()
                    .filter(|id| self.fleet.contains(*id))
                    .map(String::from)
            })
            .collect();
        if !ids.is_empty() {
            self.log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((Instant::now(), ids));
        }
    }
}

/// What a pass follows, made on the mock (through `MockControl`) before the clients start.
struct Plan {
    /// The fleet the watcher (and the one-GET loop) follows.
    ids: Vec<TaskId>,
    /// The five tasks waited for.
    waited: Vec<TaskId>,
    /// Each submitter's drafts.
    drafts: Vec<Vec<TaskId>>,
    /// The watcher's bulk gets.
    recorder: Recorder,
}

impl Plan {
    fn new(a: &FleetArgs, mock: &MockControl) -> Res<Self> {
        let fleet = mock.spawn_fleet(FleetSpec::new(a.tasks, Duration::from_secs(a.secs)).seed(1));
        let waited =
            mock.spawn_fleet(FleetSpec::new(5, Duration::from_secs(a.secs * 3 / 4)).seed(2));
        let mut drafts: Vec<Vec<TaskId>> = vec![Vec::new(), Vec::new()];
        for (s, list) in drafts.iter_mut().enumerate() {
            for i in 0..20 {
                let id = mock.insert_task(json!({
                    "name": format!("submitter {s} draft {i}"), "status": "DRAFT",
                    "project": "mock-user/fleet", "app": "mock-user/fleet/app/1",
                }))?;
                list.push(id.parse()?);
            }
        }
        let parse = |ids: &[String]| -> Res<Vec<TaskId>> {
            Ok(ids.iter().map(|i| i.parse()).collect::<Result<_, _>>()?)
        };
        Ok(Plan {
            ids: parse(&fleet.ids)?,
            waited: parse(&waited.ids)?,
            drafts,
            recorder: Recorder {
                log: Log::default(),
                fleet: Arc::new(fleet.ids.iter().cloned().collect()),
            },
        })
    }

    /// When submitter `k` runs its `i`-th draft: 20 over the fleet's duration, the two
    /// submitters half a step apart.
    fn run_at(a: &FleetArgs, t0: Instant, k: usize, i: usize) -> Instant {
        let step = Duration::from_secs(a.secs) / 20;
        t0 + step * u32::try_from(i).unwrap_or(0) + step * u32::try_from(k).unwrap_or(0) / 2
    }
}

/// The watcher's figures, one event at a time.
struct WatchLog {
    f: Followed,
    seen: HashSet<TaskId>,
    last_sample: Instant,
}

impl WatchLog {
    fn new() -> Self {
        WatchLog {
            f: Followed::default(),
            seen: HashSet::new(),
            last_sample: Instant::now(),
        }
    }

    /// An event; `span` is the watcher's `refresh_span`, sampled every 0.2 s.
    fn on_event(
        &mut self,
        event: &Result<WatchEvent, ClientError>,
        span: impl FnOnce() -> Option<(Duration, Duration)>,
    ) {
        if let Ok(WatchEvent::Ended { id, task }) = event {
            self.f.ended += 1;
            self.f.twice += usize::from(!self.seen.insert(id.clone()));
            self.f.notice.extend(notice(task));
        }
        if self.last_sample.elapsed() >= Duration::from_millis(200) {
            self.last_sample = Instant::now();
            if let Some((lo, hi)) = span() {
                let now = unix_now();
                self.f
                    .ages
                    .push((now - lo.as_secs_f64(), now - hi.as_secs_f64()));
            }
        }
    }

    fn finish(mut self, requests: u64, t0: Instant) -> Followed {
        self.f.requests = requests;
        self.f.took = t0.elapsed().as_secs_f64();
        self.f
    }
}

/// The one-GET loop's order and figures: each task in turn, none more often than the interval.
struct OneGet {
    f: Followed,
    order: VecDeque<TaskId>,
    last: HashMap<TaskId, Instant>,
    last_sample: Instant,
    t0: Instant,
}

impl OneGet {
    fn new(ids: &[TaskId], t0: Instant) -> Self {
        OneGet {
            f: Followed::default(),
            order: ids.iter().cloned().collect(),
            last: HashMap::new(),
            last_sample: Instant::now(),
            t0,
        }
    }

    /// The next task to get, and the moment it may be got.
    fn next(&mut self, interval: Duration) -> Option<(TaskId, Option<Instant>)> {
        let id = self.order.pop_front()?;
        let at = self.last.get(&id).map(|at| *at + interval);
        Some((id, at))
    }

    /// The answer for `id`: a task, or `None` when the call failed.
    fn on_answer(&mut self, id: TaskId, task: Option<&Task>) {
        let now = Instant::now();
        self.f.requests += 1;
        self.last.insert(id.clone(), now);
        self.f
            .refreshes
            .entry(id.to_string())
            .or_default()
            .push(now);
        match task {
            Some(task) if task.status.as_ref().is_some_and(|s| s.is_terminal()) => {
                self.f.ended += 1;
                self.f.notice.extend(notice(task));
                self.last.remove(&id);
            }
            _ => self.order.push_back(id),
        }
        if self.last_sample.elapsed() >= Duration::from_millis(200) {
            self.last_sample = now;
            let oldest = self
                .order
                .iter()
                .map(|i| self.last.get(i).copied().unwrap_or(self.t0))
                .min();
            if let Some(o) = oldest {
                self.f.ages.push(((now - o).as_secs_f64(), 0.0));
            }
        }
    }

    fn finish(mut self) -> Followed {
        self.f.took = self.t0.elapsed().as_secs_f64();
        self.f
    }
}

pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Delay from a task's `end_time` (whole seconds: up to 1 s too long) to now.
pub(crate) fn notice(task: &Task) -> Option<f64> {
    let end = task.end_time.as_ref()?.unix_seconds()?;
    Some(unix_now() - end as f64)
}

/// (p50, p99, max) of `v`, nearest rank.
pub(crate) fn pct(mut v: Vec<f64>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    (at(0.5), at(0.99), v[v.len() - 1])
}

/// Per-task mean interval between refreshes: (shortest mean, longest mean, longest gap).
pub(crate) fn staleness(refreshes: &HashMap<String, Vec<Instant>>) -> (f64, f64, f64) {
    let (mut lo, mut hi, mut gap) = (f64::MAX, 0.0f64, 0.0f64);
    for times in refreshes.values().filter(|t| t.len() > 1) {
        let gaps: Vec<f64> = times
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        lo = lo.min(mean);
        hi = hi.max(mean);
        gap = gaps.iter().copied().fold(gap, f64::max);
    }
    (lo, hi, gap)
}

/// Requests per full sweep: from request i on, the fewest consecutive requests that refresh
/// every task still followed at i (each is, by its last refresh); their number against
/// ceil(those tasks / 100), summed over the sweeps: (sweeps, requests, least possible).
pub(crate) fn sweeps(log: &[(Instant, Vec<String>)]) -> (usize, usize, usize) {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, (_, ids)) in log.iter().enumerate() {
        for id in ids {
            last.insert(id, i);
        }
    }
    let (mut n, mut requests, mut least, mut i) = (0, 0, 0, 0);
    while i < log.len() {
        let mut left: HashSet<&str> = last.iter().filter(|e| *e.1 >= i).map(|e| *e.0).collect();
        least += left.len().div_ceil(100);
        let mut j = i;
        while !left.is_empty() {
            for id in &log[j].1 {
                left.remove(id.as_str());
            }
            j += 1;
        }
        n += 1;
        requests += j - i;
        i = j;
    }
    (n, requests, least)
}

#[derive(Debug, Default)]
pub(crate) struct Followed {
    pub(crate) ended: usize,
    pub(crate) twice: usize,
    pub(crate) notice: Vec<f64>,
    /// Samples of (most stale, least stale) age, seconds.
    pub(crate) ages: Vec<(f64, f64)>,
    pub(crate) refreshes: HashMap<String, Vec<Instant>>,
    pub(crate) requests: u64,
    pub(crate) took: f64,
}

/// The table of one pass, from what the mock saw and the clients measured; false when a goal
/// is missed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn report(
    a: &FleetArgs,
    transport: &str,
    gzip: bool,
    mock: &MockControl,
    recorder: &Recorder,
    watched: Followed,
    (waits_ok, waits): (usize, usize),
    runs: &[(f64, bool)],
    by_get: Option<Followed>,
    budget: (u64, u64),
) -> bool {
    let log = recorder
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let log = log.as_slice();
    // What the mock saw.
    let stats = mock.stats();
    let tok = stats.token(TOKEN).cloned().unwrap_or_default();
    let fp = token_fingerprint(TOKEN);
    let full: Vec<_> = mock
        .journal()
        .into_iter()
        .filter(|e| e.token.as_deref() == Some(fp.as_str()) && e.route == Route::BulkGet)
        .filter(|e| e.body_len >= 100 * 36)
        .collect();
    let first_sweep = full.iter().take(a.tasks.div_ceil(100));
    let (raw, sent) =
        first_sweep.fold((0, 0), |(r, s), e| (r + e.response_bytes, s + e.sent_bytes));
    let mut refreshes: HashMap<String, Vec<Instant>> = HashMap::new();
    for (t, ids) in log {
        for id in ids {
            refreshes.entry(id.clone()).or_default().push(*t);
        }
    }
    let (n_sweeps, sweep_req, sweep_least) = sweeps(log);
    let refreshed: usize = log.iter().map(|r| r.1.len()).sum();
    let partial = log.iter().filter(|r| r.1.len() < 100).count();
    let sweep_ratio = sweep_req as f64 / sweep_least.max(1) as f64;
    let (lo, hi, gap) = staleness(&refreshes);
    let ratio = hi / lo;
    let max_age = watched.ages.iter().map(|x| x.0).fold(0.0, f64::max);
    let min_age = watched.ages.iter().map(|x| x.1).fold(0.0, f64::max);
    let mean_age = watched.ages.iter().map(|x| x.0).sum::<f64>() / watched.ages.len().max(1) as f64;
    let run_max = runs.iter().map(|r| r.0).fold(0.0, f64::max);
    let runs_ok = runs.iter().filter(|r| r.1).count();

    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut ok = true;
    let mut row = |what: &str, got: String, goal: Option<bool>, text: &str| {
        let mark = match goal {
            Some(true) => format!("{text} ✔"),
            Some(false) => {
                ok = false;
                format!("{text} ✘")
            }
            None => String::new(),
        };
        rows.push((what.to_owned(), got, mark));
    };
    row(
        "requests (token A), counted",
        format!("{} / {}", tok.requests, tok.counted),
        None,
        "",
    );
    row("requests by route", format!("{:?}", tok.routes), None, "");
    row(
        "429s (mock, token A)",
        tok.rate_limited.to_string(),
        Some(tok.rate_limited == 0),
        "0",
    );
    row(
        "client budget: sent / 429s seen",
        format!("{} / {}", budget.0, budget.1),
        None,
        "",
    );
    row(
        "requests per full sweep",
        format!("{sweep_req} for {n_sweeps} sweeps, least {sweep_least}: {sweep_ratio:.3}×"),
        Some(sweep_ratio <= 1.05),
        "≤ 1.05×",
    );
    row(
        "watcher requests: ids per request (mean), with < 100 ids",
        format!(
            "{:.1}, {partial} of {}",
            refreshed as f64 / log.len().max(1) as f64,
            log.len()
        ),
        None,
        "",
    );
    row(
        "per-task mean refresh interval",
        format!("{lo:.2} s – {hi:.2} s (ratio {ratio:.2}), longest gap {gap:.2} s"),
        Some(ratio <= 2.0),
        "ratio ≤ 2",
    );
    row(
        "refresh_span: most stale max / mean, least stale max",
        format!(
            "{max_age:.2} s / {mean_age:.2} s, {min_age:.2} s ({} samples)",
            watched.ages.len()
        ),
        None,
        "",
    );
    let (p50, p99, max) = pct(watched.notice.clone());
    row(
        "watcher: ended seen (twice)",
        format!("{} of {} ({})", watched.ended, a.tasks, watched.twice),
        Some(watched.ended == a.tasks && watched.twice == 0),
        "each once",
    );
    row(
        "watcher: notice p50 / p99 / max",
        format!("{p50:.2} / {p99:.2} / {max:.2} s (+≤1 s)"),
        None,
        "",
    );
    row(
        "watcher: requests, took",
        format!("{} in {:.1} s", watched.requests, watched.took),
        None,
        "",
    );
    row(
        "run delay max (decided → answer)",
        format!("{run_max:.3} s ({runs_ok} of {} ran)", runs.len()),
        Some(run_max <= 1.0 && runs_ok == runs.len()),
        "≤ 1 s, all ran",
    );
    row(
        "waits ended",
        format!("{waits_ok} of {waits}"),
        Some(waits_ok == waits),
        "all",
    );
    row(
        &format!("bytes, first sweep ({} requests)", a.tasks.div_ceil(100)),
        format!(
            "{} KB JSON, {} KB sent ({})",
            raw / 1000,
            sent / 1000,
            if gzip { "gzip" } else { "no gzip" }
        ),
        None,
        "",
    );
    if let Some(g) = by_get {
        let tb = stats.token(ONE_GET_TOKEN).cloned().unwrap_or_default();
        let (lo, hi, gap) = staleness(&g.refreshes);
        let (p50, p99, max) = pct(g.notice.clone());
        let max_age = g.ages.iter().map(|x| x.0).fold(0.0, f64::max);
        row(
            "one GET per task: requests, 429s",
            format!("{} ({:?}), {}", tb.requests, tb.routes, tb.rate_limited),
            Some(tb.rate_limited == 0),
            "0",
        );
        row(
            "one GET per task: ended seen, took",
            format!("{} of {} in {:.1} s", g.ended, a.tasks, g.took),
            None,
            "",
        );
        row(
            "one GET per task: notice p50 / p99 / max",
            format!("{p50:.2} / {p99:.2} / {max:.2} s"),
            None,
            "",
        );
        row(
            "one GET per task: per-task mean interval",
            format!("{lo:.2} s – {hi:.2} s, longest gap {gap:.2} s"),
            None,
            "",
        );
        row(
            "one GET per task: most stale max",
            format!("{max_age:.2} s"),
            None,
            "",
        );
        row(
            &format!("one GET per task: bytes per {} tasks", a.tasks),
            format!(
                "{} KB JSON, {} KB sent",
                tb.body_bytes * a.tasks as u64 / tb.requests.max(1) / 1000,
                tb.sent_bytes * a.tasks as u64 / tb.requests.max(1) / 1000
            ),
            None,
            "",
        );
    }
    println!(
        "\n## {transport}, gzip {}: {} tasks over {} s, window {} per {} s, interval {:?}, budget assumes {}\n",
        if gzip { "on" } else { "off" },
        a.tasks,
        a.secs,
        a.limit,
        a.window,
        a.interval,
        if !a.default_window {
            "the mock's window"
        } else {
            "1000 per 300 s (default)"
        }
    );
    println!("| figure | value | goal |\n| --- | --- | --- |");
    for (w, v, g) in rows {
        println!("| {w} | {v} | {g} |");
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_ends_when_every_task_still_followed_was_refreshed() {
        let t = Instant::now();
        let req = |ids: &[&str]| (t, ids.iter().map(|s| (*s).to_owned()).collect());
        // a, b, c; then a and b again (c ended); then b alone.
        let log = vec![
            req(&["a", "b"]),
            req(&["c"]),
            req(&["a"]),
            req(&["b"]),
            req(&["b"]),
        ];
        // Sweeps: requests 0-1 (a, b, c: 1 request least), 2-3 (a, b), 4 (b).
        assert_eq!(sweeps(&log), (3, 5, 3));
        assert_eq!(pct(vec![3.0, 1.0, 2.0]), (2.0, 3.0, 3.0));
        assert_eq!(pct(Vec::new()), (0.0, 0.0, 0.0));
    }
}
