//! The fleet scenario of issue 13 scaled down against the real mock over loopback (blocking
//! client): a fleet of 2 000 tasks ending over ~60 s, a window of 200 requests per 10 s, and on
//! ONE client (one token) a watcher of the 2 000 (`watch`, 60 % budget share), 5 single-task
//! `wait`s (threads) and 2 submitters running 20 drafts each, spread over the run. Beside it,
//! on a second token, the same fleet followed one `GET` per task in turn at the same share.
//! Judged by the mock's stats and journal; prints a table per pass (gzip on, then off) and
//! exits 1 when a goal is missed.
//!
//! `cargo run --release -p sbg-tasks-ureq --example fleet_loopback` (or `scripts/fleet-loopback`)
//!
//! Flags [defaults]: `--tasks N` [2000], `--secs S` fleet duration [60], `--limit L` and
//! `--window W` the mock's window, L requests per W s [200 per 10], `--interval-ms MS` no task
//! refreshed more often (watcher, one-GET loop and waits alike) [1000: the sim's 10 s scaled
//! down, so the watcher is held by the budget, not by its interval], `--gzip on|off|both`
//! [both], `--no-one-get` (skip the comparison).

use std::collections::{HashMap, HashSet, VecDeque};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sbg_tasks_mock::serde_json::{json, Value};
use sbg_tasks_mock::{token_fingerprint, FleetSpec, MockBuilder, MockControl, Route};
use sbg_tasks_ureq::{
    http, AllowHttp, AuthToken, BaseUrl, BlockingClient, BudgetPolicy, Config, GetTask,
    HttpTransport, Lane, Proxy, RunTask, Settings, StdEnv, TaskId, TransportOptions, UreqTransport,
    WaitPolicy, WatchEvent, WatcherPolicy,
};

const TOKEN: &str = "fleetloopbackscenario00000000001";
const ONE_GET_TOKEN: &str = "fleetloopbackonegetpertask000002";
type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
/// Each bulk get of the watcher: when it was sent and the fleet ids it asked for.
type Log = Arc<Mutex<Vec<(Instant, Vec<String>)>>>;

struct Args {
    tasks: usize,
    secs: u64,
    limit: u32,
    window: u64,
    interval: Duration,
    gzip: Vec<bool>,
    one_get: bool,
    /// The budget assumes the mock's window until answers show it (else the policy's default,
    /// the platform's 1000 per 300 s).
    assume_mock_window: bool,
}

fn args() -> Res<Args> {
    let mut a = Args {
        tasks: 2000,
        secs: 60,
        limit: 200,
        window: 10,
        interval: Duration::from_secs(1),
        gzip: vec![true, false],
        one_get: true,
        assume_mock_window: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--no-one-get" || flag == "--default-window" {
            a.one_get &= flag != "--no-one-get";
            a.assume_mock_window &= flag != "--default-window";
            continue;
        }
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tasks" => a.tasks = v.parse()?,
            "--secs" => a.secs = v.parse()?,
            "--limit" => a.limit = v.parse()?,
            "--window" => a.window = v.parse()?,
            "--interval-ms" => a.interval = Duration::from_millis(v.parse()?),
            "--gzip" => {
                a.gzip = match v.as_str() {
                    "on" => vec![true],
                    "off" => vec![false],
                    _ => vec![true, false],
                }
            }
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(a)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Delay from a task's `end_time` (whole seconds: up to 1 s too long) to now.
fn notice(task: &sbg_tasks_ureq::Task) -> Option<f64> {
    let end = task.end_time.as_ref()?.unix_seconds()?;
    Some(unix_now() - end as f64)
}

/// (p50, p99, max) of `v`, nearest rank.
fn pct(mut v: Vec<f64>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    (at(0.5), at(0.99), v[v.len() - 1])
}

/// Per-task mean interval between refreshes: (shortest mean, longest mean, longest gap).
fn staleness(refreshes: &HashMap<String, Vec<Instant>>) -> (f64, f64, f64) {
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
fn sweeps(log: &[(Instant, Vec<String>)]) -> (usize, usize, usize) {
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

fn main() -> ExitCode {
    match run_all() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fleet_loopback: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_all() -> Res<bool> {
    let a = args()?;
    let mut ok = true;
    for &gzip in &a.gzip {
        ok &= pass(&a, gzip, a.one_get && gzip == a.gzip[0])?;
    }
    Ok(ok)
}

fn client(
    a: &Args,
    base: &str,
    token: &str,
    gzip: bool,
    log: Option<(Log, HashSet<String>)>,
) -> Res<BlockingClient<impl HttpTransport + Clone + Sync, StdEnv>> {
    let base = BaseUrl::parse_with(base, AllowHttp::Loopback)?;
    let mut settings = Settings::new(Config::new(base, AuthToken::new(token)?));
    settings.wait = WaitPolicy::default()
        .with_interval(a.interval)
        .with_backoff(1.0);
    settings.watcher = WatcherPolicy::default().with_min_interval(a.interval);
    if a.assume_mock_window {
        settings.budget =
            BudgetPolicy::default().with_window(a.limit.into(), Duration::from_secs(a.window));
    }
    let inner = UreqTransport::new(
        TransportOptions::default()
            .allow_http(true)
            .proxy(Proxy::Off)
            .accept_gzip(gzip),
    )?;
    let transport = move |req: http::Request<Vec<u8>>| {
        if let Some((log, fleet)) = &log {
            let body: Value =
                sbg_tasks_mock::serde_json::from_slice(req.body()).unwrap_or_default();
            let ids: Vec<String> = body["task_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| {
                    v.as_str()
                        .filter(|id| fleet.contains(*id))
                        .map(String::from)
                })
                .collect();
            if !ids.is_empty() {
                log.lock().unwrap().push((Instant::now(), ids));
            }
        }
        inner.send(req)
    };
    Ok(BlockingClient::with_settings(
        settings,
        transport,
        StdEnv::new(),
    ))
}

#[derive(Default)]
struct Followed {
    ended: usize,
    twice: usize,
    notice: Vec<f64>,
    /// Samples of (most stale, least stale) age, seconds.
    ages: Vec<(f64, f64)>,
    refreshes: HashMap<String, Vec<Instant>>,
    requests: u64,
    took: f64,
}

fn pass(a: &Args, gzip: bool, one_get: bool) -> Res<bool> {
    let mock = MockBuilder::new()
        .token(TOKEN)
        .token(ONE_GET_TOKEN)
        .rate_limit(a.limit, Duration::from_secs(a.window))
        .start_blocking()?;
    let fleet = mock.spawn_fleet(FleetSpec::new(a.tasks, Duration::from_secs(a.secs)).seed(1));
    let waited = mock.spawn_fleet(FleetSpec::new(5, Duration::from_secs(a.secs * 3 / 4)).seed(2));
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
    let ids: Vec<TaskId> = fleet
        .ids
        .iter()
        .map(|i| i.parse())
        .collect::<Result<_, _>>()?;
    let log: Log = Arc::default();
    let fleet_set: HashSet<String> = fleet.ids.iter().cloned().collect();
    let c = client(
        a,
        mock.base_url(),
        TOKEN,
        gzip,
        Some((log.clone(), fleet_set)),
    )?;
    let b = client(a, mock.base_url(), ONE_GET_TOKEN, gzip, None)?;
    let t0 = Instant::now();

    let (watched, waits, runs, by_get) = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut f = Followed::default();
            let mut seen = HashSet::new();
            let mut last_sample = Instant::now();
            let mut w = c.watch(ids.iter().cloned());
            while let Some(event) = w.next() {
                if let Ok(WatchEvent::Ended { id, task }) = &event {
                    f.ended += 1;
                    f.twice += usize::from(!seen.insert(id.clone()));
                    f.notice.extend(notice(task));
                }
                if last_sample.elapsed() >= Duration::from_millis(200) {
                    last_sample = Instant::now();
                    if let Some((lo, hi)) = w.watcher().refresh_span() {
                        let now = unix_now();
                        f.ages
                            .push((now - lo.as_secs_f64(), now - hi.as_secs_f64()));
                    }
                }
            }
            f.requests = w.watcher().requests();
            f.took = t0.elapsed().as_secs_f64();
            f
        });
        let waits: Vec<_> = waited
            .ids
            .iter()
            .map(|id| {
                let c = &c;
                s.spawn(move || -> Res<sbg_tasks_ureq::Task> { Ok(c.wait(&id.parse()?)?) })
            })
            .collect::<Vec<_>>();
        let runs: Vec<_> = drafts
            .iter()
            .enumerate()
            .map(|(k, list)| {
                let c = &c;
                let step = Duration::from_secs(a.secs) / 20;
                s.spawn(move || {
                    let mut delays = Vec::new();
                    for (i, id) in list.iter().enumerate() {
                        let at = t0 + step * i as u32 + step * k as u32 / 2;
                        std::thread::sleep(at.saturating_duration_since(Instant::now()));
                        let decided = Instant::now();
                        let ran = c.run(&RunTask::new(id.clone()));
                        delays.push((decided.elapsed().as_secs_f64(), ran.is_ok()));
                    }
                    delays
                })
            })
            .collect::<Vec<_>>();
        let by_get = one_get.then(|| s.spawn(|| one_get_loop(&b, &ids, a.interval, t0)));
        let watched = watcher.join().expect("watcher thread");
        let waits: Vec<Res<_>> = waits.into_iter().map(|h| h.join().expect("wait")).collect();
        let runs: Vec<(f64, bool)> = runs
            .into_iter()
            .flat_map(|h| h.join().expect("submitter"))
            .collect();
        (
            watched,
            waits,
            runs,
            by_get.map(|h| h.join().expect("one-GET loop")),
        )
    });

    let waits = (waits.iter().filter(|w| w.is_ok()).count(), waits.len());
    let log = log.lock().unwrap().clone();
    Ok(report(
        a,
        "ureq",
        gzip,
        &mock,
        &log,
        watched,
        waits,
        &runs,
        by_get,
        c.budget().counts(),
    ))
}

/// The table of one pass, from what the mock saw and the clients measured; false when a goal
/// is missed.
#[allow(clippy::too_many_arguments)]
fn report(
    a: &Args,
    transport: &str,
    gzip: bool,
    mock: &MockControl,
    log: &[(Instant, Vec<String>)],
    watched: Followed,
    (waits_ok, waits): (usize, usize),
    runs: &[(f64, bool)],
    by_get: Option<Followed>,
    budget: (u64, u64),
) -> bool {
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
        if a.assume_mock_window {
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

/// The fleet followed one `GET /tasks/{id}` per task, in turn, in the budget's watch lane (the
/// same share as the watcher), no task more often than `interval`.
fn one_get_loop<T: HttpTransport>(
    b: &BlockingClient<T, StdEnv>,
    ids: &[TaskId],
    interval: Duration,
    t0: Instant,
) -> Followed {
    let mut f = Followed::default();
    let mut order: VecDeque<TaskId> = ids.iter().cloned().collect();
    let mut last: HashMap<TaskId, Instant> = HashMap::new();
    let mut last_sample = Instant::now();
    b.want_probe();
    while let Some(id) = order.pop_front() {
        if let Some(at) = last.get(&id) {
            std::thread::sleep((*at + interval).saturating_duration_since(Instant::now()));
        }
        let got = b.call_in(Lane::Watch, &GetTask::new(id.clone()));
        let now = Instant::now();
        f.requests += 1;
        last.insert(id.clone(), now);
        f.refreshes.entry(id.to_string()).or_default().push(now);
        match got {
            Ok(task) if task.value.status.as_ref().is_some_and(|s| s.is_terminal()) => {
                f.ended += 1;
                f.notice.extend(notice(&task.value));
                last.remove(&id);
            }
            _ => order.push_back(id),
        }
        if last_sample.elapsed() >= Duration::from_millis(200) {
            last_sample = now;
            let oldest = order
                .iter()
                .map(|i| last.get(i).copied().unwrap_or(t0))
                .min();
            if let Some(o) = oldest {
                f.ages.push(((now - o).as_secs_f64(), 0.0));
            }
        }
    }
    f.took = t0.elapsed().as_secs_f64();
    f
}
