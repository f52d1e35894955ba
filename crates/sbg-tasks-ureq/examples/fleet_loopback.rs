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
use std::sync::Arc;
use std::time::{Duration, Instant};

use sbg_tasks_mock::serde_json::{json, Value};
use sbg_tasks_mock::{FleetSpec, MockBuilder};
use sbg_tasks_ureq::proto::config::AllowHttp;
use sbg_tasks_ureq::proto::machine::budget::Lane;
use sbg_tasks_ureq::proto::transport::{HttpTransport, Proxy, TransportOptions};
use sbg_tasks_ureq::{
    http, AuthToken, BaseUrl, BlockingClient, BudgetPolicy, Config, GetTask, RunTask, Settings,
    StdEnv, TaskId, UreqTransport, WaitPolicy, WatchEvent, WatcherPolicy,
};

use sbg_tasks_testkit::fleet::*;

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
