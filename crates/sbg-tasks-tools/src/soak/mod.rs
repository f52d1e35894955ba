//! The soak: one watch follows fleets of mock tasks for many minutes while faults (429, 503,
//! proxy pages, dropped connections, truncated and malformed bodies, gzip bombs, slow answers)
//! are injected all the time. It checks that every task's ending is reported exactly once with
//! the mock's final status, that every child of each batch parent is reported once through
//! `ChildEnded` (a `ChildStatus` of a child may come before, never after), that nothing
//! panics, and that resident memory stays flat; it prints a summary and fails (exit 1) on
//! FAIL. `--listing-lag` and `--clock-skew-ms` make the mock's listings lag behind its gets
//! and its clock differ from ours, for the watcher's change feed.
//!
//! The mock runs in a child process ([`crate::child`]: this program's `mock` command), driven only
//! through its `/__mock/` endpoints ([`MockAdmin`]), so that the resident memory measured is
//! the client's alone: the mock's store grows with every fleet, which would hide the client's
//! memory in one process. The watch runs on the transport chosen ([`follow`]).

mod follow;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sbg_tasks_mock::serde_json::json;
use sbg_tasks_mock::{token_fingerprint, SplitMix};
use sbg_tasks_ureq::proto::config::AllowHttp;
use sbg_tasks_ureq::proto::model::TaskStatus;
use sbg_tasks_ureq::proto::transport::{Proxy, TransportOptions};
use sbg_tasks_ureq::{AuthToken, BaseUrl, ClientError, Config, Settings, TaskId, WatchEvent};

use self::follow::Clients;
use crate::admin::MockAdmin;
use crate::child::{rss_kib, MockChild};
use crate::{Res, Transport};

const TOKEN: &str = "50ak50ak50ak50ak50ak50ak50ak50ak";

/// The flags of `soak`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SoakArgs {
    /// The client's transport.
    #[arg(long, value_enum, default_value = "ureq")]
    pub(crate) transport: Transport,
    /// How long the soak runs (its last round's fleet ends within it).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) minutes: f64,
    /// Tasks of each round's plain fleet.
    #[arg(long, default_value_t = 2000)]
    pub(crate) tasks: usize,
    /// Children of each round's batch parent.
    #[arg(long, default_value_t = 200)]
    pub(crate) children: usize,
    /// A fleet's tasks end within this many seconds.
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) fleet_secs: u64,
    /// A new round every this many seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) round_secs: u64,
    /// The fraction of each fleet that ends FAILED.
    #[arg(long, default_value_t = 0.1)]
    pub(crate) fail_ratio: f64,
    /// The mock's window: this many requests...
    #[arg(long, default_value_t = 1000)]
    pub(crate) limit: u32,
    /// ...per this many seconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) window: u64,
    /// One fault every this many milliseconds, skipped while two of its route still wait for
    /// their request.
    #[arg(long, default_value_t = 1500)]
    pub(crate) fault_ms: u64,
    /// Every K-th fault is a 429, which stops every call until the window resets (0: never).
    #[arg(long, default_value_t = 100)]
    pub(crate) rate_limited_every: u64,
    /// How long after the last fleet's end the last endings may take before the run is
    /// called stuck.
    #[arg(long, default_value_t = 300)]
    pub(crate) grace_secs: u64,
    /// The mock's listings show each task as it was this many seconds ago (gets are
    /// current): the change feed must still report every ending once.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub(crate) listing_lag: u64,
    /// The mock's clock against ours, in milliseconds (negative: behind): task times and
    /// `X-RateLimit-Reset` are skewed.
    #[arg(
        long,
        default_value_t = 0,
        value_name = "MS",
        allow_hyphen_values = true
    )]
    pub(crate) clock_skew_ms: i64,
}

impl SoakArgs {
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
    mock: &MockAdmin,
    args: &SoakArgs,
    round: u64,
    recs: &mut HashMap<u128, Rec>,
    fleets: &mut Vec<FleetRec>,
) -> Res<Vec<TaskId>> {
    let mut watched = Vec::with_capacity(args.tasks + 1);
    for (count, batch, seed) in [
        (args.tasks, false, round),
        (args.children, true, 1_000_000 + round),
    ] {
        if count == 0 {
            continue;
        }
        let v = mock.spawn_fleet(
            count,
            Duration::from_secs(args.fleet_secs),
            args.fail_ratio,
            seed,
            batch,
        )?;
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

/// The soak: true when it passed.
#[allow(clippy::too_many_lines)]
pub(crate) fn run(args: &SoakArgs) -> Res<bool> {
    let rounds = args.rounds();
    let started = Instant::now();
    let child = MockChild::start_with(
        TOKEN,
        &format!("{}/{}", args.limit, args.window),
        &[
            format!("--listing-lag={}", args.listing_lag),
            format!("--clock-skew={}", args.clock_skew_ms as f64 / 1000.0),
        ],
    )?;
    let base = child.base_url().to_owned();
    let mock = Arc::new(MockAdmin::new(&base));
    println!(
        "soak ({}): mock at {base} ({} per {} s), {rounds} rounds every {} s of {} tasks + a \
         batch parent of {} children, each ending within {} s, a fault every {} ms, listing \
         lag {} s, clock skew {} ms",
        args.transport.name(),
        args.limit,
        args.window,
        args.round_secs,
        args.tasks,
        args.children,
        args.fleet_secs,
        args.fault_ms,
        args.listing_lag,
        args.clock_skew_ms
    );

    let base = BaseUrl::parse_with(&base, AllowHttp::Loopback)?;
    let settings = Settings::new(Config::new(base, AuthToken::new(TOKEN)?));
    let transport = TransportOptions::default()
        .timeout(Some(Duration::from_secs(10)))
        .proxy(Proxy::Off);
    let clients = Clients::new(args.transport, settings, transport)?;

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
            let mut rng = SplitMix::new(0x5eed);
            let mut n = 0u64;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(every));
                n += 1;
                let spec = if rl_every > 0 && n.is_multiple_of(rl_every) {
                    RATE_LIMITED
                } else {
                    let i = usize::try_from(rng.below(FAULTS.len() as u64))?;
                    FAULTS[i]
                };
                // Not faster than requests come: at most a few waiting for a request of
                // their route (listings and probes are rarer than bulk gets).
                let route = spec
                    .split_once('@')
                    .and_then(|(_, r)| r.split('*').next())
                    .unwrap_or("any");
                if mock.pending(Some(route))? >= 2 {
                    continue;
                }
                mock.inject(spec)?;
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
        let (done, counters, samples, child_pid) = (
            Arc::clone(&done),
            Arc::clone(&counters),
            Arc::clone(&samples),
            child.pid(),
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
                    let mock_rss = rss_kib(&format!("/proc/{child_pid}/status"));
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

    let mut watch = clients.watch();
    let mut round = 0u64;
    let mut viol = Violations::default();
    let (mut n_status, mut n_progress, mut n_ended, mut n_child, mut n_other) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut n_child_status = 0u64;
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    loop {
        while round < rounds && started.elapsed() >= Duration::from_secs(round * args.round_secs) {
            let ids = spawn_round(&mock, args, round, &mut recs, &mut fleets)?;
            let expected = recs.len() as u64;
            counters.expected.store(expected, Ordering::Relaxed);
            watch.add(ids);
            round += 1;
        }
        let Some(item) = watch.next_event() else {
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
            WatchEvent::ChildStatus { parent, child, .. } => {
                n_child_status += 1;
                let cid = child.id.clone().unwrap_or_default();
                match key(&cid).and_then(|k| recs.get(&k)) {
                    Some(r) if r.kind == Kind::Child => {
                        if r.endings > 0 {
                            Violations::push(
                                &mut viol.after_end,
                                format!("ChildStatus for ended {cid} of {parent}"),
                            );
                        }
                    }
                    _ => Violations::push(
                        &mut viol.unexpected,
                        format!("ChildStatus {cid} of {parent}"),
                    ),
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
    let watch_requests = watch.requests();
    let still_followed = watch.len();
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
        for f in &fleets {
            let mut failed = 0usize;
            for k in f.ids.iter().chain(&f.parent) {
                let truth = mock.status(&unkey(*k))?;
                {
                    let truth = truth.as_str();
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
    let stats = mock.stats()?;
    let stats = stats["tokens"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["token"] == token_fingerprint(TOKEN)))
        .map_or(stats.clone(), |mine| {
            json!({"requests": stats["requests"], "counted": stats["counted"],
                   "rate_limited": stats["rate_limited"], "routes": mine["routes"],
                   "gzip_answers": mine["gzip_answers"], "sent_bytes": mine["sent_bytes"]})
        });
    let pending = mock.pending(None)?;
    let mock_rss = rss_kib(&format!("/proc/{}/status", child.pid()));
    let budget = clients.budget();
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
        "  events: {} (status {n_status}, progress {n_progress}, ended {n_ended}, child status \
         {n_child_status}, child ended {n_child}, other {n_other}), watcher requests \
         {watch_requests}, still followed {still_followed}",
        n_status + n_progress + n_ended + n_child_status + n_child + n_other
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
        budget.0, budget.1
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        soak: SoakArgs,
    }

    fn args(extra: &[&str]) -> SoakArgs {
        Cli::try_parse_from(std::iter::once("soak").chain(extra.iter().copied()))
            .unwrap()
            .soak
    }

    #[test]
    fn rounds_start_while_their_fleet_ends_within_the_minutes() {
        // 10 minutes, fleets of 180 s every 60 s: rounds at 0, 60, ..., 420 s.
        assert_eq!(args(&[]).rounds(), 8);
        assert_eq!(args(&["--minutes", "1"]).rounds(), 1);
        assert_eq!(
            args(&[
                "--minutes",
                "0.5",
                "--fleet-secs",
                "10",
                "--round-secs",
                "5"
            ])
            .rounds(),
            5
        );
        assert_eq!(args(&["--transport", "hyper"]).transport, Transport::Hyper);
        let lagging = args(&["--listing-lag", "30", "--clock-skew-ms", "-5000"]);
        assert_eq!((lagging.listing_lag, lagging.clock_skew_ms), (30, -5000));
        assert_eq!((args(&[]).listing_lag, args(&[]).clock_skew_ms), (0, 0));
        assert!(Cli::try_parse_from(["soak", "--round-secs", "0"]).is_err());
        assert!(Cli::try_parse_from(["soak", "--transport", "curl"]).is_err());
    }

    #[test]
    fn ids_are_kept_as_numbers_and_given_back_as_uuids() {
        let id = "f586a3fb-c9e4-4415-b22b-648a66969a37";
        assert_eq!(unkey(key(id).unwrap()), id);
        assert_eq!(key("not-a-uuid"), None);
    }
}
