//! Soak: one `UreqClient::watch` follows fleets of mock tasks for many minutes while faults
//! (429, 503, proxy pages, dropped connections, truncated and malformed bodies, gzip bombs,
//! slow answers) are injected all the time. It checks that every task's ending is reported
//! exactly once with the mock's final status, that every child of each batch parent is
//! reported once through `ChildEnded`, that nothing panics, and that resident memory stays
//! flat; it prints a summary and exits non-zero on FAIL.
//!
//! `cargo run --release -p sbg-tasks-ureq --example soak -- --minutes 10` (or `scripts/soak`).
//!
//! The mock runs in a child process (this program started again with `--mock-child`), driven
//! over its stdin/stdout, so that the resident memory measured is the client's alone: the
//! mock's store grows with every fleet, which would hide the client's memory in one process.
//!
//! Flags (defaults in brackets): `--minutes M` [10], `--tasks N` tasks per round [2000],
//! `--children C` children of the batch parent per round [200], `--fleet-secs S` a fleet's
//! tasks end within S seconds [180], `--round-secs R` a new round every R seconds [60],
//! `--fail-ratio F` [0.1], `--limit L` and `--window W` the mock's rate limit, L requests per
//! W seconds [1000 per 60], `--fault-ms MS` one fault every MS milliseconds, skipped while
//! two of its route still wait for their request [1500], `--rate-limited-every K` every K-th
//! fault is a 429, which stops every call until the window resets [100], `--grace-secs G` how
//! long after the last fleet's end the last endings may take before the run is called stuck
//! [300].

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sbg_tasks_mock::serde_json::{self, json, Value};
use sbg_tasks_mock::{FaultSpec, FleetSpec, MockBuilder, Route, Scope};
use sbg_tasks_ureq::proto::config::AllowHttp;
use sbg_tasks_ureq::proto::machine::wait::WaitPolicy;
use sbg_tasks_ureq::proto::model::TaskStatus;
use sbg_tasks_ureq::proto::transport::{Proxy, TransportOptions};
use sbg_tasks_ureq::{
    client_with, AuthToken, BaseUrl, ClientError, Config, Settings, TaskId, WatchEvent,
};

const TOKEN: &str = "50ak50ak50ak50ak50ak50ak50ak50ak";

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The faults injected in turn (each for the next matching request only), in the mock's
/// `--fault` syntax. Every `rate_limited_every`-th fault is `429@bulk_get*1` instead.
const FAULTS: &[&str] = &[
    "503@bulk_get*1",
    "drop-before@bulk_get*1",
    "drop-after@bulk_get*1",
    "truncate@bulk_get*1",
    "malformed:not-json@bulk_get*1",
    "malformed:empty@bulk_get*1",
    "malformed:single-quotes@bulk_get*1",
    "malformed:missing-comma@bulk_get*1",
    "malformed:trailing-comma@bulk_get*1",
    "malformed:snip@bulk_get*1",
    "malformed:doc-batch@bulk_get*1",
    "proxy502@bulk_get*1",
    "proxy504@bulk_get*1",
    "delay:2000@bulk_get*1",
    "gzip-bomb:32m@bulk_get*1",
    "503@list*1",
    "drop-after@list*1",
    "truncate@list*1",
    "malformed:not-json@list*1",
    "503@rate_limit*1",
];
const RATE_LIMITED: &str = "429@bulk_get*1";

#[derive(Debug, Clone)]
struct Args {
    minutes: f64,
    tasks: usize,
    children: usize,
    fleet_secs: u64,
    round_secs: u64,
    fail_ratio: f64,
    limit: u32,
    window: u64,
    fault_ms: u64,
    rate_limited_every: u64,
    grace_secs: u64,
    mock_child: bool,
}

impl Args {
    fn parse() -> Res<Self> {
        let mut a = Args {
            minutes: 10.0,
            tasks: 2000,
            children: 200,
            fleet_secs: 180,
            round_secs: 60,
            fail_ratio: 0.1,
            limit: 1000,
            window: 60,
            fault_ms: 1500,
            rate_limited_every: 100,
            grace_secs: 300,
            mock_child: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--mock-child" {
                a.mock_child = true;
                continue;
            }
            let v = it.next().ok_or(format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--minutes" => a.minutes = v.parse()?,
                "--tasks" => a.tasks = v.parse()?,
                "--children" => a.children = v.parse()?,
                "--fleet-secs" => a.fleet_secs = v.parse()?,
                "--round-secs" => a.round_secs = v.parse()?,
                "--fail-ratio" => a.fail_ratio = v.parse()?,
                "--limit" => a.limit = v.parse()?,
                "--window" => a.window = v.parse()?,
                "--fault-ms" => a.fault_ms = v.parse()?,
                "--rate-limited-every" => a.rate_limited_every = v.parse()?,
                "--grace-secs" => a.grace_secs = v.parse()?,
                _ => return Err(format!("unknown flag {flag}").into()),
            }
        }
        a.round_secs = a.round_secs.max(1);
        a.fleet_secs = a.fleet_secs.max(1);
        Ok(a)
    }

    /// Rounds start at 0, R, 2R, ... while the round's fleet ends within the soak's minutes.
    fn rounds(&self) -> u64 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let total = (self.minutes * 60.0).max(0.0) as u64;
        if total <= self.fleet_secs {
            1
        } else {
            (total - self.fleet_secs) / self.round_secs + 1
        }
    }
}

fn main() -> ExitCode {
    let result = Args::parse().and_then(|args| {
        if args.mock_child {
            mock_child(&args).map(|()| true)
        } else {
            soak(&args)
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------------------
// The mock, in a child process: one command a line on stdin, one answer a line on stdout.

fn mock_child(args: &Args) -> Res<()> {
    let m = MockBuilder::new()
        .token(TOKEN)
        .rate_limit(args.limit, Duration::from_secs(args.window))
        .journal_capacity(10_000)
        .start_blocking()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", m.base_url())?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let answer = match words.next() {
            Some("fleet") => {
                let w: Vec<&str> = words.collect();
                let [count, ms, fail, seed, batch] = w[..] else {
                    return Err(format!("bad fleet command: {line}").into());
                };
                let fleet = m.spawn_fleet(
                    FleetSpec::new(count.parse()?, Duration::from_millis(ms.parse()?))
                        .fail_ratio(fail.parse()?)
                        .seed(seed.parse()?)
                        .batch_parent(batch == "1"),
                );
                json!({"ids": fleet.ids, "parent": fleet.parent, "failing": fleet.failing})
                    .to_string()
            }
            Some("fault") => match words.next().map(str::parse::<FaultSpec>) {
                Some(Ok(spec)) => {
                    m.inject(spec.fault, spec.scope);
                    "ok".to_owned()
                }
                other => format!("error {other:?}"),
            },
            Some("pending") => {
                // Faults still waiting for a request of this route.
                let route = words.next().and_then(|r| r.parse::<Route>().ok());
                m.faults()
                    .iter()
                    .filter(|(_, scope)| match (scope, route) {
                        (Scope::RouteNext(r, _) | Scope::Route(r), Some(want)) => *r == want,
                        (_, Some(_)) => false,
                        (_, None) => true,
                    })
                    .count()
                    .to_string()
            }
            Some("status") => words
                .map(|id| {
                    m.task(id)
                        .and_then(|t| t.get("status").and_then(Value::as_str).map(str::to_owned))
                        .unwrap_or_else(|| "-".to_owned())
                })
                .collect::<Vec<_>>()
                .join(" "),
            Some("stats") => {
                let s = m.stats();
                let routes = s.token(TOKEN).map(|t| t.routes.clone()).unwrap_or_default();
                let (gzip, sent) = s
                    .token(TOKEN)
                    .map_or((0, 0), |t| (t.gzip_answers, t.sent_bytes));
                json!({"requests": s.requests, "counted": s.counted,
                       "rate_limited": s.rate_limited, "routes": routes,
                       "gzip_answers": gzip, "sent_bytes": sent})
                .to_string()
            }
            _ => format!("error unknown command {line}"),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}

struct MockProc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl MockProc {
    fn start(args: &Args) -> Res<(Self, String)> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--mock-child", "--limit", &args.limit.to_string()])
            .args(["--window", &args.window.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut p = MockProc {
            child,
            stdin,
            stdout,
        };
        let base = p.read_line()?;
        Ok((p, base))
    }

    fn read_line(&mut self) -> Res<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            return Err("the mock child closed its stdout".into());
        }
        Ok(line.trim_end().to_owned())
    }

    fn ask(&mut self, command: &str) -> Res<String> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        self.read_line()
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for MockProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lock(m: &Mutex<MockProc>) -> std::sync::MutexGuard<'_, MockProc> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `VmRSS` of a `/proc/PID/status` file, in KiB (0 when unreadable).
fn rss_kib(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Bookkeeping: compact (a u128 per id, reserved up front) so that it does not grow the
// resident memory being measured.

fn key(id: &str) -> Option<u128> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    (hex.len() == 32)
        .then(|| u128::from_str_radix(&hex, 16).ok())
        .flatten()
}

fn unkey(k: u128) -> String {
    let h = format!("{k:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn status_code(s: Option<&TaskStatus>) -> u8 {
    match s {
        Some(TaskStatus::Completed) => 1,
        Some(TaskStatus::Failed) => 2,
        Some(TaskStatus::Aborted) => 3,
        Some(_) => 4,
        None => 0,
    }
}

fn status_word(code: u8) -> &'static str {
    ["-", "COMPLETED", "FAILED", "ABORTED", "other"][usize::from(code.min(4))]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A task of a plain fleet: reported with `Ended`.
    Task,
    /// A batch parent: reported with `Ended`.
    Parent,
    /// A batch child: reported with `ChildEnded`.
    Child,
}

#[derive(Debug, Clone, Copy)]
struct Rec {
    kind: Kind,
    endings: u16,
    status: u8,
}

struct FleetRec {
    ids: Vec<u128>,
    failing: usize,
    parent: Option<u128>,
}

#[derive(Default)]
struct Counters {
    expected: AtomicU64,
    reported: AtomicU64,
    events: AtomicU64,
    errors: AtomicU64,
    faults: AtomicU64,
}

#[derive(Default)]
struct Violations {
    duplicate: Vec<String>,
    unexpected: Vec<String>,
    after_end: Vec<String>,
    gone: Vec<String>,
}

impl Violations {
    fn push(list: &mut Vec<String>, what: String) {
        if list.len() < 1000 {
            list.push(what);
        }
    }
}

fn spawn_round(
    mock: &Mutex<MockProc>,
    args: &Args,
    round: u64,
    recs: &mut HashMap<u128, Rec>,
    fleets: &mut Vec<FleetRec>,
) -> Res<Vec<TaskId>> {
    let mut watched = Vec::with_capacity(args.tasks + 1);
    let ms = args.fleet_secs * 1000;
    for (count, batch, seed) in [
        (args.tasks, false, round),
        (args.children, true, 1_000_000 + round),
    ] {
        if count == 0 {
            continue;
        }
        let answer = lock(mock).ask(&format!(
            "fleet {count} {ms} {} {seed} {}",
            args.fail_ratio,
            u8::from(batch)
        ))?;
        let v: Value = serde_json::from_str(&answer)?;
        let ids: Vec<String> = serde_json::from_value(v["ids"].clone())?;
        let parent: Option<String> = serde_json::from_value(v["parent"].clone())?;
        let failing = v["failing"].as_u64().unwrap_or(0);
        let mut keys = Vec::with_capacity(ids.len());
        let kind = if batch { Kind::Child } else { Kind::Task };
        for id in &ids {
            let k = key(id).ok_or(format!("not a uuid: {id}"))?;
            recs.insert(
                k,
                Rec {
                    kind,
                    endings: 0,
                    status: 0,
                },
            );
            keys.push(k);
            if !batch {
                watched.push(id.parse()?);
            }
        }
        let pkey = match &parent {
            Some(p) => {
                let k = key(p).ok_or(format!("not a uuid: {p}"))?;
                recs.insert(
                    k,
                    Rec {
                        kind: Kind::Parent,
                        endings: 0,
                        status: 0,
                    },
                );
                watched.push(p.parse()?);
                Some(k)
            }
            None => None,
        };
        fleets.push(FleetRec {
            ids: keys,
            failing: usize::try_from(failing)?,
            parent: pkey,
        });
    }
    Ok(watched)
}

/// A short name for an error, so that the counts by kind stay few.
fn error_kind(e: &ClientError) -> String {
    let s = e.to_string();
    s.chars()
        .take(70)
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

#[allow(clippy::too_many_lines)]
fn soak(args: &Args) -> Res<bool> {
    let rounds = args.rounds();
    let started = Instant::now();
    let (proc, base) = MockProc::start(args)?;
    let mock = Arc::new(Mutex::new(proc));
    println!(
        "soak: mock at {base} ({} per {} s), {rounds} rounds every {} s of {} tasks + a batch \
         parent of {} children, each ending within {} s, a fault every {} ms",
        args.limit,
        args.window,
        args.round_secs,
        args.tasks,
        args.children,
        args.fleet_secs,
        args.fault_ms
    );

    let base = BaseUrl::parse_with(&base, AllowHttp::Loopback)?;
    let mut settings = Settings::new(Config::new(base, AuthToken::new(TOKEN)?));
    settings.wait = WaitPolicy::default();
    let transport = TransportOptions::default()
        .timeout(Some(Duration::from_secs(10)))
        .proxy(Proxy::Off);
    let client = client_with(settings, transport)?;

    let capacity = usize::try_from(rounds)? * (args.tasks + args.children + 1);
    let mut recs: HashMap<u128, Rec> = HashMap::with_capacity(capacity);
    let mut fleets: Vec<FleetRec> = Vec::with_capacity(usize::try_from(rounds)? * 2);
    let counters = Arc::new(Counters::default());
    let samples: Arc<Mutex<Vec<(u64, u64)>>> = Arc::new(Mutex::new(Vec::with_capacity(64)));
    let rss_start = rss_kib("/proc/self/status");
    samples
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((0, rss_start));
    println!("soak: rss at start {rss_start} KiB");

    let done = Arc::new(AtomicBool::new(false));
    let fault_kinds: Arc<Mutex<BTreeMap<&'static str, u64>>> = Arc::default();

    // Faults, all the time.
    let injector = {
        let (mock, done, counters, kinds) = (
            Arc::clone(&mock),
            Arc::clone(&done),
            Arc::clone(&counters),
            Arc::clone(&fault_kinds),
        );
        let (every, rl_every) = (args.fault_ms.max(10), args.rate_limited_every);
        std::thread::spawn(move || -> Res<()> {
            let mut rng = 0x5eed_u64;
            let mut n = 0u64;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(every));
                n += 1;
                let spec = if rl_every > 0 && n.is_multiple_of(rl_every) {
                    RATE_LIMITED
                } else {
                    rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let i = usize::try_from(rng >> 33)? % FAULTS.len();
                    FAULTS[i]
                };
                // Not faster than requests come: at most a few waiting for a request of
                // their route (listings and probes are rarer than bulk gets).
                let route = spec
                    .split_once('@')
                    .and_then(|(_, r)| r.split('*').next())
                    .unwrap_or("any");
                if lock(&mock)
                    .ask(&format!("pending {route}"))?
                    .parse::<u64>()?
                    >= 2
                {
                    continue;
                }
                let answer = lock(&mock).ask(&format!("fault {spec}"))?;
                if answer != "ok" {
                    return Err(format!("fault {spec}: {answer}").into());
                }
                counters.faults.fetch_add(1, Ordering::Relaxed);
                *kinds
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(spec)
                    .or_default() += 1;
            }
            Ok(())
        })
    };

    // Every minute: resident memory and progress; past the deadline: stuck, FAIL.
    let deadline =
        Duration::from_secs((rounds - 1) * args.round_secs + args.fleet_secs + args.grace_secs);
    let monitor = {
        let (done, counters, samples, mock) = (
            Arc::clone(&done),
            Arc::clone(&counters),
            Arc::clone(&samples),
            Arc::clone(&mock),
        );
        std::thread::spawn(move || {
            let mut next = 60;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let t = started.elapsed();
                if t.as_secs() >= next {
                    next += 60;
                    let rss = rss_kib("/proc/self/status");
                    samples
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((t.as_secs(), rss));
                    let mock_rss = lock(&mock).rss_kib();
                    println!(
                        "soak: {:>4} s  rss {rss} KiB (mock {mock_rss} KiB)  endings {}/{}  \
                         events {}  errors {}  faults {}",
                        t.as_secs(),
                        counters.reported.load(Ordering::Relaxed),
                        counters.expected.load(Ordering::Relaxed),
                        counters.events.load(Ordering::Relaxed),
                        counters.errors.load(Ordering::Relaxed),
                        counters.faults.load(Ordering::Relaxed),
                    );
                }
                if t > deadline {
                    println!(
                        "soak: FAIL: stuck: {} of {} endings reported {} s after the start \
                         (the watch iterator did not finish)",
                        counters.reported.load(Ordering::Relaxed),
                        counters.expected.load(Ordering::Relaxed),
                        t.as_secs()
                    );
                    std::process::exit(3);
                }
            }
        })
    };

    let mut watch = client.watch(Vec::<TaskId>::new());
    let mut round = 0u64;
    let mut viol = Violations::default();
    let (mut n_status, mut n_progress, mut n_ended, mut n_child, mut n_other) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    loop {
        while round < rounds && started.elapsed() >= Duration::from_secs(round * args.round_secs) {
            let ids = spawn_round(&mock, args, round, &mut recs, &mut fleets)?;
            let expected = recs.len() as u64;
            counters.expected.store(expected, Ordering::Relaxed);
            watch.add(ids);
            round += 1;
        }
        let Some(item) = watch.next() else {
            if round >= rounds {
                break;
            }
            // Everything so far ended before the next round: wait for it.
            let at = Duration::from_secs(round * args.round_secs);
            std::thread::sleep(at.saturating_sub(started.elapsed()));
            continue;
        };
        counters.events.fetch_add(1, Ordering::Relaxed);
        let event = match item {
            Ok(event) => event,
            Err(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                let k = error_kind(&e);
                if errors.len() < 30 || errors.contains_key(&k) {
                    *errors.entry(k).or_default() += 1;
                } else {
                    *errors.entry("(other)".to_owned()).or_default() += 1;
                }
                continue;
            }
        };
        match event {
            WatchEvent::Ended { id, task } => {
                n_ended += 1;
                match key(id.as_str()).and_then(|k| recs.get_mut(&k)) {
                    Some(r) if r.kind != Kind::Child => {
                        r.endings += 1;
                        if r.endings > 1 {
                            Violations::push(&mut viol.duplicate, format!("Ended {id}"));
                        } else {
                            counters.reported.fetch_add(1, Ordering::Relaxed);
                        }
                        r.status = status_code(task.status.as_ref());
                    }
                    _ => Violations::push(&mut viol.unexpected, format!("Ended {id}")),
                }
            }
            WatchEvent::ChildEnded { parent, child } => {
                n_child += 1;
                let cid = child.id.clone().unwrap_or_default();
                match key(&cid).and_then(|k| recs.get_mut(&k)) {
                    Some(r) if r.kind == Kind::Child => {
                        r.endings += 1;
                        if r.endings > 1 {
                            Violations::push(
                                &mut viol.duplicate,
                                format!("ChildEnded {cid} of {parent}"),
                            );
                        } else {
                            counters.reported.fetch_add(1, Ordering::Relaxed);
                        }
                        r.status = status_code(child.status.as_ref());
                    }
                    _ => Violations::push(
                        &mut viol.unexpected,
                        format!("ChildEnded {cid} of {parent}"),
                    ),
                }
            }
            WatchEvent::Status { id, .. } => {
                n_status += 1;
                if ended_already(&id, &recs) {
                    Violations::push(&mut viol.after_end, format!("Status for ended {id}"));
                }
            }
            WatchEvent::Progress { id, .. } => {
                n_progress += 1;
                if ended_already(&id, &recs) {
                    Violations::push(&mut viol.after_end, format!("Progress for ended {id}"));
                }
            }
            WatchEvent::Gone { id, error } => {
                Violations::push(&mut viol.gone, format!("Gone {id}: {error}"));
            }
            other => {
                n_other += 1;
                Violations::push(&mut viol.unexpected, format!("{other:?}"));
            }
        }
    }
    let watch_requests = watch.watcher().requests();
    let still_followed = watch.watcher().len();
    drop(watch);
    let rss_end = rss_kib("/proc/self/status");
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let injector = injector.join();
    let _ = monitor.join();

    // The mock's own view: final statuses, requests, faults still pending.
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    let mut failed_counts = Vec::new();
    {
        let mut m = lock(&mock);
        for f in &fleets {
            let mut failed = 0usize;
            let all: Vec<u128> = f.ids.iter().copied().chain(f.parent).collect();
            for chunk in all.chunks(200) {
                let words: Vec<String> = chunk.iter().map(|k| unkey(*k)).collect();
                let answer = m.ask(&format!("status {}", words.join(" ")))?;
                for (k, truth) in chunk.iter().zip(answer.split(' ')) {
                    let r = recs[k];
                    if r.endings == 0 {
                        if missing.len() < 1000 {
                            missing.push(format!("{:?} {} ({truth})", r.kind, unkey(*k)));
                        }
                        continue;
                    }
                    if status_word(r.status) != truth {
                        mismatched.push(format!(
                            "{:?} {}: reported {}, mock {truth}",
                            r.kind,
                            unkey(*k),
                            status_word(r.status)
                        ));
                    }
                    if r.kind != Kind::Parent && r.status == 2 {
                        failed += 1;
                    }
                }
            }
            failed_counts.push((failed, f.failing));
        }
    }
    let stats: Value = serde_json::from_str(&lock(&mock).ask("stats")?)?;
    let pending: u64 = lock(&mock).ask("pending")?.parse()?;
    let mock_rss = lock(&mock).rss_kib();
    let budget = client.budget();
    let samples = samples
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();

    let expected = recs.len();
    let (n_tasks, n_parents, n_children) =
        recs.values().fold((0, 0, 0), |(t, p, c), r| match r.kind {
            Kind::Task => (t + 1, p, c),
            Kind::Parent => (t, p + 1, c),
            Kind::Child => (t, p, c + 1),
        });
    let reported = recs.values().filter(|r| r.endings > 0).count();
    let peak = samples
        .iter()
        .map(|s| s.1)
        .chain([rss_end])
        .max()
        .unwrap_or(0);
    // Flat: the end is no higher than the highest sample of the first half (when every
    // round's fleets overlap the most) plus 4 MiB: a leak grows with the rounds.
    let half = elapsed.as_secs() / 2;
    let first_half_peak = samples
        .iter()
        .filter(|s| s.0 <= half)
        .map(|s| s.1)
        .max()
        .unwrap_or(rss_start);
    let flat = rss_end <= first_half_peak + 4096;
    let wrong_failed = failed_counts.iter().filter(|(a, b)| a != b).count();
    let faults_injected = counters.faults.load(Ordering::Relaxed);
    let injector_ok = matches!(injector, Ok(Ok(())));

    println!();
    println!("soak summary");
    println!(
        "  minutes: {:.1} (rounds {round} of {rounds})",
        elapsed.as_secs_f64() / 60.0
    );
    println!(
        "  tasks: {expected} = {n_tasks} watched tasks + {n_parents} batch parents + \
         {n_children} children; endings reported {reported}"
    );
    println!(
        "  events: {} (status {n_status}, progress {n_progress}, ended {n_ended}, child ended \
         {n_child}, other {n_other}), watcher requests {watch_requests}, still followed \
         {still_followed}",
        n_status + n_progress + n_ended + n_child + n_other
    );
    println!(
        "  mock: requests {}, counted {}, 429s {}, routes {}, gzip answers {}, sent bytes {}",
        stats["requests"],
        stats["counted"],
        stats["rate_limited"],
        stats["routes"],
        stats["gzip_answers"],
        stats["sent_bytes"]
    );
    println!(
        "  client budget: sent {}, rate limited {}",
        budget.counts().0,
        budget.counts().1
    );
    println!(
        "  faults injected: {faults_injected} ({} fired, {pending} still pending)",
        faults_injected.saturating_sub(pending)
    );
    for (k, n) in fault_kinds
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        println!("    {n:>5}  {k}");
    }
    println!("  errors seen: {}", errors.values().copied().sum::<u64>());
    for (k, n) in &errors {
        println!("    {n:>5}  {k}");
    }
    println!(
        "  rss KiB: start {rss_start}, peak {peak}, end {rss_end} (first-half peak \
         {first_half_peak}; mock child {mock_rss})"
    );
    println!(
        "  rss samples (s, KiB): {}",
        samples
            .iter()
            .map(|(t, k)| format!("{t}:{k}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let show = |name: &str, list: &[String]| {
        if !list.is_empty() {
            println!("  {name}: {}", list.len());
            for l in list.iter().take(10) {
                println!("    {l}");
            }
        }
    };
    show("MISSING endings", &missing);
    show("DUPLICATE endings", &viol.duplicate);
    show("UNEXPECTED events", &viol.unexpected);
    show("EVENTS AFTER AN END", &viol.after_end);
    show("GONE", &viol.gone);
    show("STATUS MISMATCHES", &mismatched);
    if wrong_failed > 0 {
        println!("  FAILED counts per fleet (reported, mock): {failed_counts:?}");
    }
    if !injector_ok {
        println!("  fault injector: {injector:?}");
    }
    if !flat {
        println!("  RSS GREW: end {rss_end} KiB > first-half peak {first_half_peak} KiB + 4 MiB");
    }
    let pass = missing.is_empty()
        && viol.duplicate.is_empty()
        && viol.unexpected.is_empty()
        && viol.after_end.is_empty()
        && viol.gone.is_empty()
        && mismatched.is_empty()
        && wrong_failed == 0
        && reported == expected
        && round == rounds
        && injector_ok
        && flat;
    println!("  result: {}", if pass { "PASS" } else { "FAIL" });
    Ok(pass)
}

/// Whether `id` is known and its ending was already reported.
fn ended_already(id: &TaskId, recs: &HashMap<u128, Rec>) -> bool {
    key(id.as_str())
        .and_then(|k| recs.get(&k))
        .is_some_and(|r| r.endings > 0)
}
