//! The measured scenarios, each run with proto's client (budget, watcher, retries) and with
//! the one-GET-per-task approach of the official clients, on the same simulated platform.
//!
//! The baseline is what `sevenbridges-python`'s `Task.wait` does, applied to many tasks: one
//! `GET /tasks/{id}` per task per poll, one task after the other, a 10 s pause after each
//! pass, and on a 429 a sleep until `X-RateLimit-Reset` and the same request again (our
//! client with its budget off does exactly that, so the baseline runs on the same transport
//! and clock). It is the kindest form of the approach: sequential, so it meets one 429 per
//! window rather than one per task.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_core::Stream;
use sbg_tasks_proto::endpoints::CreateOutcome;
use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::transport::{AsyncHttpTransport, TransportFailure};
use sbg_tasks_proto::{
    AbortTask, AppId, AsyncClient, AuthToken, BudgetPolicy, Config, CreateTask, GetTask,
    Platform as ApiPlatform, ProjectId, RunTask, TaskId, WatchEvent,
};

use super::exec::{Clock, Executor, SimEnv};
use super::platform::{Platform, PlatformConfig, SimTask, Status};
use super::{Rng, Staleness, Summary};
use sbg_tasks_proto::env::Env;

const TOKEN: &str = "3259c50e1ac5426ea8f1273259740f74";

fn lock(p: &Mutex<Platform>) -> MutexGuard<'_, Platform> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// The simulated network: each request waits half the latency, is answered by the platform
/// at that moment, and the answer waits the other half.
#[derive(Debug, Clone)]
pub struct SimTransport {
    clock: Arc<Clock>,
    platform: Arc<Mutex<Platform>>,
    latency: Duration,
}

impl AsyncHttpTransport for SimTransport {
    type Error = TransportFailure;

    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportFailure>> + Send {
        let clock = Arc::clone(&self.clock);
        let platform = Arc::clone(&self.platform);
        let half = self.latency / 2;
        let caller = clock.current();
        let sent = clock.now();
        async move {
            clock.sleep(half).await;
            let response = lock(&platform).handle(caller, sent, clock.now(), &request);
            clock.sleep(half).await;
            Ok(response)
        }
    }
}

/// A client of the simulation.
pub type SimClient = AsyncClient<SimTransport, SimEnv>;

/// A clock, a platform and a network.
#[derive(Debug)]
pub struct World {
    /// The virtual clock.
    pub clock: Arc<Clock>,
    /// The platform.
    pub platform: Arc<Mutex<Platform>>,
    latency: Duration,
}

impl World {
    /// A world whose generators are seeded with `seed`, with `latency` per request.
    pub fn new(seed: u64, latency: Duration) -> Self {
        Self::with_window(seed, latency, PlatformConfig::default())
    }

    /// The same with the platform's window `cfg` (to scale a scenario down).
    pub fn with_window(seed: u64, latency: Duration, cfg: PlatformConfig) -> Self {
        Self {
            clock: Clock::new(seed),
            platform: Arc::new(Mutex::new(Platform::new(cfg))),
            latency,
        }
    }

    /// A world on `platform` (e.g. one made by [`Platform::with_mock`]).
    pub fn on(seed: u64, latency: Duration, platform: Platform) -> Self {
        Self {
            clock: Clock::new(seed),
            platform: Arc::new(Mutex::new(platform)),
            latency,
        }
    }

    /// The platform, locked.
    pub fn platform(&self) -> MutexGuard<'_, Platform> {
        lock(&self.platform)
    }

    /// A new client (its own budget) with `budget`, on the shared token.
    pub fn client(&self, budget: BudgetPolicy) -> SimClient {
        let config = Config::new(ApiPlatform::Cgc, AuthToken::new(TOKEN).expect("a token"));
        let transport = SimTransport {
            clock: Arc::clone(&self.clock),
            platform: Arc::clone(&self.platform),
            latency: self.latency,
        };
        AsyncClient::with_env(config, transport, SimEnv::new(&self.clock)).with_budget(budget)
    }
}

/// A task id of group `group`, number `i` (UUID-shaped).
pub fn task_id(group: u32, i: u64) -> String {
    format!("{group:08x}-0000-4000-8000-{i:012x}")
}

pub(crate) fn parse(id: &str) -> TaskId {
    id.parse().expect("a valid task id")
}

pub(crate) async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The time from a task's change into the status an event reports to the event.
fn notice_delay(platform: &Platform, id: &str, status: &str, now: Duration) -> Option<Duration> {
    let at = platform.task(id)?.entered(status, now)?;
    Some(now.saturating_sub(at))
}

/// Follows `ids` with the watcher until `done` says so, recording the notice delay of each
/// status change (not of first sightings) and of each ending.
async fn watch_and_notice(
    client: &SimClient,
    world: &World,
    ids: Vec<String>,
    delays: &Mutex<Vec<Duration>>,
    done: impl Fn(usize) -> bool,
) {
    let mut noticed = 0;
    watch_noticing(client, world, ids, |_, d| {
        lock_vec(delays).push(d);
        noticed += 1;
        done(noticed)
    })
    .await;
}

/// Follows `ids` with the watcher, handing `notice` the moment and the notice delay of each
/// status change (not of first sightings) and of each ending, until it says to stop.
pub(crate) async fn watch_noticing(
    client: &SimClient,
    world: &World,
    ids: Vec<String>,
    mut notice: impl FnMut(Duration, Duration) -> bool,
) {
    let mut stream = client.watch(ids.iter().map(|i| parse(i)));
    while let Some(event) = next(&mut stream).await {
        let now = client.env().now();
        let seen = match &event {
            Ok(WatchEvent::Status {
                id,
                from: Some(_),
                task,
            })
            | Ok(WatchEvent::Ended { id, task }) => task
                .status
                .as_ref()
                .map(|s| (id.as_str().to_owned(), s.as_str().to_owned())),
            _ => None,
        };
        if let Some((id, status)) = seen {
            let delay = notice_delay(&world.platform(), &id, &status, now);
            if let Some(d) = delay {
                if notice(now, d) {
                    return;
                }
            }
        }
    }
}

fn lock_vec(v: &Mutex<Vec<Duration>>) -> MutexGuard<'_, Vec<Duration>> {
    v.lock().unwrap_or_else(|e| e.into_inner())
}

/// The baseline's follower: one GET per task, one after the other, 10 s between passes;
/// records a notice delay when a task shows another status than last time, and drops ended
/// tasks.
async fn poll_and_notice(
    client: &SimClient,
    world: &World,
    ids: Vec<String>,
    delays: &Mutex<Vec<Duration>>,
    done: impl Fn(usize) -> bool,
) {
    let mut last: Vec<Option<String>> = vec![None; ids.len()];
    let mut live: Vec<usize> = (0..ids.len()).collect();
    let mut noticed = 0;
    while !live.is_empty() {
        let mut still = Vec::with_capacity(live.len());
        for &i in &live {
            let call = GetTask::new(parse(&ids[i]));
            let Ok(answer) = client.get(&call).await else {
                still.push(i);
                continue;
            };
            let now = client.env().now();
            let status = answer.value.status.map(|s| s.as_str().to_owned());
            if let (Some(before), Some(s)) = (&last[i], &status) {
                if before != s {
                    if let Some(d) = notice_delay(&world.platform(), &ids[i], s, now) {
                        lock_vec(delays).push(d);
                        noticed += 1;
                    }
                }
            }
            let ended = status.as_deref().is_some_and(is_terminal_str);
            last[i] = status;
            if !ended {
                still.push(i);
            }
            if done(noticed) {
                return;
            }
        }
        live = still;
        world.clock.sleep(secs(10)).await;
    }
}

fn is_terminal_str(s: &str) -> bool {
    matches!(s, "COMPLETED" | "FAILED" | "ABORTED")
}

// ---------------------------------------------------------------------------------------
// 1. Requests per full sweep.

/// One approach's cost of full sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SweepRun {
    /// Full sweeps measured.
    pub sweeps: u64,
    /// Requests the platform counted.
    pub counted: u64,
    /// Requests refused (429).
    pub rate_limited: u64,
    /// Free requests (`GET /rate_limit`).
    pub free: u64,
    /// (counted + refused) / sweeps.
    pub per_sweep: f64,
    /// Virtual time of the last sweep measured.
    pub sweep_time: Duration,
    /// Virtual time of the whole run.
    pub sim_time: Duration,
}

/// Requests per full sweep of `n` tasks, ours beside the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepFigures {
    /// Tasks.
    pub n: u64,
    /// The goal: 1.05 × ceil(n / 100).
    pub goal: f64,
    /// The watcher at the default budget (60 % share).
    pub ours: SweepRun,
    /// One GET per task.
    pub baseline: SweepRun,
}

fn sweep_world(n: u64, seed: u64, latency: Duration) -> (World, Vec<String>) {
    let world = World::new(seed, latency);
    let ids: Vec<String> = (0..n).map(|i| task_id(1, i)).collect();
    {
        let mut p = world.platform();
        for id in &ids {
            p.insert(
                id.clone(),
                SimTask::new(vec![(Duration::ZERO, "RUNNING")]).watched(),
            );
        }
    }
    (world, ids)
}

fn sweep_run(world: &World, sweeps: u64, end: Duration) -> SweepRun {
    let p = world.platform();
    let t = p.totals();
    let k = usize::try_from(sweeps).unwrap_or(usize::MAX);
    let sweep_time = match k {
        0 => Duration::ZERO,
        1 => p.sweeps[0],
        _ => p.sweeps[k - 1] - p.sweeps[k - 2],
    };
    SweepRun {
        sweeps,
        counted: t.counted,
        rate_limited: t.rate_limited,
        free: t.free,
        per_sweep: (t.counted + t.rate_limited) as f64 / sweeps as f64,
        sweep_time,
        sim_time: end,
    }
}

/// Watches `n` RUNNING tasks until `sweeps` full sweeps are done, with the default budget.
pub fn sweep_ours(n: u64, sweeps: u64, seed: u64, latency: Duration) -> SweepRun {
    let (world, ids) = sweep_world(n, seed, latency);
    let client = world.client(BudgetPolicy::default());
    let end = {
        let mut ex = Executor::new(&world.clock);
        ex.spawn(async {
            let mut s = client.watch(ids.iter().map(|i| parse(i)));
            while next(&mut s).await.is_some() {}
        });
        let k = usize::try_from(sweeps).unwrap_or(usize::MAX);
        ex.run(Duration::MAX, || world.platform().sweeps.len() >= k)
    };
    sweep_run(&world, sweeps, end)
}

/// Polls `n` RUNNING tasks one GET each until `sweeps` full sweeps are done.
pub fn sweep_baseline(n: u64, sweeps: u64, seed: u64, latency: Duration) -> SweepRun {
    let (world, ids) = sweep_world(n, seed, latency);
    let client = world.client(BudgetPolicy::off());
    let none = Mutex::new(Vec::new());
    let end = {
        let mut ex = Executor::new(&world.clock);
        ex.spawn(poll_and_notice(&client, &world, ids, &none, |_| false));
        let k = usize::try_from(sweeps).unwrap_or(usize::MAX);
        ex.run(Duration::MAX, || world.platform().sweeps.len() >= k)
    };
    sweep_run(&world, sweeps, end)
}

/// Item 1 for `n` tasks: 3 sweeps of ours (the first included), 1 of the baseline.
pub fn sweep(n: u64, seed: u64, latency: Duration) -> SweepFigures {
    SweepFigures {
        n,
        goal: 1.05 * n.div_ceil(100) as f64,
        ours: sweep_ours(n, 3, seed, latency),
        baseline: sweep_baseline(n, 1, seed, latency),
    }
}

// ---------------------------------------------------------------------------------------
// 2 and 4. Time to notice a change; how evenly tasks are refreshed.

/// One approach's notice delays and refresh evenness.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NoticeRun {
    /// From a task's change to the caller's seeing it.
    pub delays: Summary,
    /// Refresh intervals per task, from the first change (1 h) to the end of the run.
    pub staleness: Staleness,
    /// Mean time between full sweeps.
    pub sweep_time: Duration,
    /// Requests counted, refused.
    pub counted: u64,
    /// Requests refused (429).
    pub rate_limited: u64,
    /// Virtual time of the run.
    pub sim_time: Duration,
}

/// Items 2 and 4: `n` tasks, each QUEUED from the start and RUNNING from a random moment of
/// the second hour; every change must be noticed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoticeFigures {
    /// Tasks.
    pub n: u64,
    /// The watcher's budget share.
    pub share: f64,
    /// The goal for p99: one sweep at the share (ceil(n/100) requests at share × 1000 per
    /// 300 s) + 1 s.
    pub goal: Duration,
    /// Ours.
    pub ours: NoticeRun,
    /// One GET per task.
    pub baseline: NoticeRun,
}

const HOUR: u64 = 3600;

fn notice_world(n: u64, seed: u64, latency: Duration) -> (World, Vec<String>) {
    let world = World::new(seed, latency);
    let mut rng = Rng::new(seed ^ 0x5EED);
    let ids: Vec<String> = (0..n).map(|i| task_id(1, i)).collect();
    {
        let mut p = world.platform();
        p.measure = (secs(HOUR), Duration::MAX);
        for id in &ids {
            let change = rng.secs(HOUR, 2 * HOUR);
            p.insert(
                id.clone(),
                SimTask::new(vec![(Duration::ZERO, "QUEUED"), (change, "RUNNING")]).watched(),
            );
        }
    }
    (world, ids)
}

fn notice_run(world: &World, delays: &Mutex<Vec<Duration>>, end: Duration) -> NoticeRun {
    let p = world.platform();
    let t = p.totals();
    let staleness = Staleness::of(
        p.tasks()
            .map(|(_, t)| (t.refresh.gaps, t.refresh.gap_sum, t.refresh.gap_max)),
    );
    // The mean time between full sweeps (the first one, from the start, when there is one).
    let sweep_time = match p.sweeps.as_slice() {
        [] => Duration::ZERO,
        [one] => *one,
        [first, .., last] => (*last - *first) / u32::try_from(p.sweeps.len() - 1).unwrap_or(1),
    };
    NoticeRun {
        delays: Summary::of(&lock_vec(delays)),
        staleness,
        sweep_time,
        counted: t.counted,
        rate_limited: t.rate_limited,
        sim_time: end,
    }
}

/// Items 2 and 4 with the watcher at `share`.
pub fn notice_ours(n: u64, share: f64, seed: u64, latency: Duration) -> NoticeRun {
    let (world, ids) = notice_world(n, seed, latency);
    let client = world.client(BudgetPolicy::default().with_watch_share(share));
    let delays = Mutex::new(Vec::new());
    let total = usize::try_from(n).unwrap_or(usize::MAX);
    let end = {
        let mut ex = Executor::new(&world.clock);
        ex.spawn(watch_and_notice(&client, &world, ids, &delays, |k| {
            k >= total
        }));
        ex.run(Duration::MAX, || false)
    };
    notice_run(&world, &delays, end)
}

/// Items 2 and 4 with one GET per task.
pub fn notice_baseline(n: u64, seed: u64, latency: Duration) -> NoticeRun {
    let (world, ids) = notice_world(n, seed, latency);
    let client = world.client(BudgetPolicy::off());
    let delays = Mutex::new(Vec::new());
    let total = usize::try_from(n).unwrap_or(usize::MAX);
    let end = {
        let mut ex = Executor::new(&world.clock);
        ex.spawn(poll_and_notice(&client, &world, ids, &delays, |k| {
            k >= total
        }));
        ex.run(Duration::MAX, || false)
    };
    notice_run(&world, &delays, end)
}

/// Items 2 and 4, ours beside the baseline.
pub fn notice(n: u64, share: f64, seed: u64, latency: Duration) -> NoticeFigures {
    let per_window = (1000.0 * share).floor().max(1.0);
    let sweep = n.div_ceil(100) as f64 * 300.0 / per_window;
    NoticeFigures {
        n,
        share,
        goal: Duration::from_secs_f64(sweep + 1.0),
        ours: notice_ours(n, share, seed, latency),
        baseline: notice_baseline(n, seed, latency),
    }
}

// ---------------------------------------------------------------------------------------
// 3 and 5. Eight callers on one token for two hours.

/// How the eight callers are set up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FleetVariant {
    /// One process: one client, one budget shared by all eight callers.
    OneClient,
    /// Eight processes: a client (and a budget) each, on the same token.
    SeparateClients,
    /// The official clients' way: no budget, one GET per task, sleep until the reset on a 429.
    Baseline,
}

impl FleetVariant {
    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            FleetVariant::OneClient => "ours, one client (shared budget)",
            FleetVariant::SeparateClients => "ours, 8 processes (8 budgets)",
            FleetVariant::Baseline => "one GET per task (official clients)",
        }
    }
}

/// Requests of one kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindCounts {
    /// Counted.
    pub counted: u64,
    /// Refused (429).
    pub rate_limited: u64,
    /// Free.
    pub free: u64,
}

/// Items 3 and 5.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetFigures {
    /// The setup.
    pub variant: FleetVariant,
    /// The watcher's share.
    pub share: f64,
    /// The watcher, the 5 waits, the 2 submitters.
    pub kinds: [KindCounts; 3],
    /// From wanting to send a run or an abort to sending it in a way the platform accepted
    /// (a 429'd attempt does not count as sent).
    pub change_delay: Summary,
    /// The same for creates.
    pub create_delay: Summary,
    /// Run and abort calls that failed.
    pub change_errors: u64,
    /// Tasks created and run by the submitters.
    pub submitted: u64,
    /// Tasks the waits saw end.
    pub waited: u64,
    /// The watcher's notice delays (status changes and endings of its 10 000 tasks).
    pub notice: Summary,
    /// Refresh intervals of the watched tasks over the second hour.
    pub staleness: Staleness,
    /// Virtual time simulated.
    pub sim_time: Duration,
}

impl FleetFigures {
    /// 429s of every caller.
    pub fn rate_limited(&self) -> u64 {
        self.kinds.iter().map(|k| k.rate_limited).sum()
    }

    /// Requests counted, every caller.
    pub fn counted(&self) -> u64 {
        self.kinds.iter().map(|k| k.counted).sum()
    }
}

/// Parameters of the fleet scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetSpec {
    /// Watched tasks (10 000).
    pub watched: u64,
    /// Single-task waits running at once (5).
    pub waits: u64,
    /// Submitters (2).
    pub submitters: u64,
    /// Tasks each submitter creates and runs (100).
    pub per_submitter: u64,
    /// Simulated time (2 hours).
    pub duration: Duration,
    /// The watcher's budget share (0.6).
    pub share: f64,
}

impl Default for FleetSpec {
    fn default() -> Self {
        Self {
            watched: 10_000,
            waits: 5,
            submitters: 2,
            per_submitter: 100,
            duration: secs(2 * HOUR),
            share: 0.6,
        }
    }
}

struct FleetPlan {
    watched: Vec<String>,
    /// Each wait's tasks, in the order it waits for them.
    waits: Vec<Vec<String>>,
}

/// A watched task of the fleet, drawn from `rng`: QUEUED from the start, RUNNING from a moment
/// of the first hour, ending 30 min to 3 h later, one in ten FAILED.
pub(crate) fn watched_task(rng: &mut Rng) -> SimTask {
    let running = rng.secs(60, HOUR);
    let end = running + rng.secs(HOUR / 2, 3 * HOUR);
    let ending: Status = if rng.below(10) == 0 {
        "FAILED"
    } else {
        "COMPLETED"
    };
    SimTask::new(vec![
        (Duration::ZERO, "QUEUED"),
        (running, "RUNNING"),
        (end, ending),
    ])
    .watched()
}

fn fleet_world(spec: &FleetSpec, seed: u64, latency: Duration) -> (World, FleetPlan) {
    let world = World::new(seed, latency);
    world.platform().measure = (secs(HOUR), spec.duration);
    let mut rng = Rng::new(seed ^ 0xF1EE7);
    let watched: Vec<String> = (0..spec.watched).map(|i| task_id(1, i)).collect();
    let mut waits = Vec::new();
    {
        let mut p = world.platform();
        for id in &watched {
            p.insert(id.clone(), watched_task(&mut rng));
        }
        for w in 0..spec.waits {
            let mut end = Duration::ZERO;
            let mut ids = Vec::new();
            for j in 0..40 {
                end += rng.secs(300, 1500);
                let id = task_id(2 + u32::try_from(w).unwrap_or(0), j);
                p.insert(
                    id.clone(),
                    SimTask::new(vec![(Duration::ZERO, "RUNNING"), (end, "COMPLETED")]),
                );
                ids.push(id);
            }
            waits.push(ids);
        }
    }
    (world, FleetPlan { watched, waits })
}

#[derive(Default)]
struct SubmitLog {
    change: Vec<Duration>,
    create: Vec<Duration>,
    errors: u64,
    submitted: u64,
}

/// From `want` to the send (by caller `me`, among the change calls logged from `mark` on) that
/// the platform accepted — not refused with a 429.
fn sent_after(world: &World, me: usize, mark: usize, want: Duration) -> Option<Duration> {
    let p = world.platform();
    p.changes[mark..]
        .iter()
        .find(|c| c.caller == me && c.status != 429)
        .map(|c| c.sent.saturating_sub(want))
}

/// One submitter: every 72 s (offset by `offset`) creates a DRAFT and runs it; every fifth
/// task is aborted 30 s after its run.
async fn submit(
    client: &SimClient,
    world: &World,
    who: u64,
    count: u64,
    spacing: Duration,
    offset: Duration,
    log: &Mutex<SubmitLog>,
) {
    let me = world.clock.current();
    let project = ProjectId::new("sim/fleet").expect("a project id");
    let app = AppId::new("sim/fleet/app").expect("an app id");
    let entry = |f: &dyn Fn(&mut SubmitLog)| f(&mut log.lock().unwrap_or_else(|e| e.into_inner()));
    for j in 0..count {
        let slot = offset + spacing * u32::try_from(j).unwrap_or(0);
        let now = world.clock.now();
        if slot > now {
            world.clock.sleep(slot - now).await;
        }
        let call = CreateTask::new(project.clone(), app.clone()).name(format!("s{who}-{j}"));
        let (want, mark) = (world.clock.now(), world.platform().changes.len());
        let created = client.create(&call).await;
        if let Some(d) = sent_after(world, me, mark, want) {
            entry(&|l| l.create.push(d));
        }
        let id = match created {
            Ok(a) => match a.value {
                CreateOutcome::Created(task) => task.id,
                _ => None,
            },
            Err(_) => None,
        };
        let Some(id) = id else {
            entry(&|l| l.errors += 1);
            continue;
        };
        let (want, mark) = (world.clock.now(), world.platform().changes.len());
        let ran = client.run(&RunTask::new(parse(&id))).await;
        if let Some(d) = sent_after(world, me, mark, want) {
            entry(&|l| l.change.push(d));
        }
        if ran.is_err() {
            entry(&|l| l.errors += 1);
            continue;
        }
        entry(&|l| l.submitted += 1);
        if j % 5 == 4 {
            world.clock.sleep(secs(30)).await;
            let (want, mark) = (world.clock.now(), world.platform().changes.len());
            let aborted = client.abort(&AbortTask::new(parse(&id))).await;
            if let Some(d) = sent_after(world, me, mark, want) {
                entry(&|l| l.change.push(d));
            }
            if aborted.is_err() {
                entry(&|l| l.errors += 1);
            }
        }
    }
}

/// One single-task wait after the other, with the client's `wait` (one GET per poll, 5 s
/// growing to 60 s, in the read lane).
async fn wait_each(client: &SimClient, ids: &[String], done: &Mutex<u64>) {
    for id in ids {
        if client.wait(&parse(id)).await.is_ok() {
            *done.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        }
    }
}

/// The baseline's wait: `Task.wait()` — a GET every 10 s until the task ends.
async fn wait_each_baseline(client: &SimClient, world: &World, ids: &[String], done: &Mutex<u64>) {
    for id in ids {
        let call = GetTask::new(parse(id));
        loop {
            let ended = client
                .get(&call)
                .await
                .ok()
                .is_some_and(|a| a.value.status.as_ref().is_some_and(|s| s.is_terminal()));
            if ended {
                *done.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                break;
            }
            world.clock.sleep(secs(10)).await;
        }
    }
}

/// Items 3 and 5: eight callers on one token for `spec.duration`.
pub fn fleet(variant: FleetVariant, spec: FleetSpec, seed: u64, latency: Duration) -> FleetFigures {
    let (world, plan) = fleet_world(&spec, seed, latency);
    let policy = match variant {
        FleetVariant::Baseline => BudgetPolicy::off(),
        _ => BudgetPolicy::default().with_watch_share(spec.share),
    };
    let callers = 1 + spec.waits + spec.submitters;
    let clients: Vec<SimClient> = match variant {
        FleetVariant::SeparateClients => {
            (0..callers).map(|_| world.client(policy.clone())).collect()
        }
        _ => vec![world.client(policy.clone())],
    };
    let client = |i: u64| &clients[usize::try_from(i).unwrap_or(0) % clients.len()];
    let notice = Mutex::new(Vec::new());
    let waited = Mutex::new(0u64);
    let log = Mutex::new(SubmitLog::default());
    let mut kinds_of = Vec::new();
    let end = {
        let mut ex = Executor::new(&world.clock);
        let ids = plan.watched.clone();
        let w = if variant == FleetVariant::Baseline {
            ex.spawn(poll_and_notice(client(0), &world, ids, &notice, |_| false))
        } else {
            ex.spawn(watch_and_notice(client(0), &world, ids, &notice, |_| false))
        };
        kinds_of.push((w, 0));
        for (k, ids) in plan.waits.iter().enumerate() {
            let c = client(1 + k as u64);
            let i = if variant == FleetVariant::Baseline {
                ex.spawn(wait_each_baseline(c, &world, ids, &waited))
            } else {
                ex.spawn(wait_each(c, ids, &waited))
            };
            kinds_of.push((i, 1));
        }
        let spacing = spec.duration / u32::try_from(spec.per_submitter.max(1)).unwrap_or(1);
        for s in 0..spec.submitters {
            let offset = spacing * u32::try_from(s).unwrap_or(0)
                / u32::try_from(spec.submitters).unwrap_or(1);
            let c = client(1 + spec.waits + s);
            let i = ex.spawn(submit(
                c,
                &world,
                s,
                spec.per_submitter,
                spacing,
                offset,
                &log,
            ));
            kinds_of.push((i, 2));
        }
        ex.run(spec.duration, || false)
    };
    let p = world.platform();
    let mut kinds = [KindCounts::default(); 3];
    for (i, k) in kinds_of {
        let c = p.caller(i);
        kinds[k].counted += c.counted;
        kinds[k].rate_limited += c.rate_limited;
        kinds[k].free += c.free;
    }
    let log = log.into_inner().unwrap_or_else(|e| e.into_inner());
    let waited = *waited.lock().unwrap_or_else(|e| e.into_inner());
    let notice = Summary::of(&lock_vec(&notice));
    let staleness = Staleness::of(
        p.tasks()
            .filter(|(_, t)| t.watched)
            .map(|(_, t)| (t.refresh.gaps, t.refresh.gap_sum, t.refresh.gap_max)),
    );
    FleetFigures {
        variant,
        share: spec.share,
        kinds,
        change_delay: Summary::of(&log.change),
        create_delay: Summary::of(&log.create),
        change_errors: log.errors,
        submitted: log.submitted,
        waited,
        notice,
        staleness,
        sim_time: end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS200: Duration = Duration::from_millis(200);

    #[test]
    fn a_sweep_costs_one_bulk_get_per_100_tasks_and_the_baseline_one_get_per_task() {
        let ours = sweep_ours(300, 2, 1, MS200);
        assert_eq!((ours.counted, ours.rate_limited, ours.free), (6, 0, 1));
        assert_eq!(ours.per_sweep, 3.0);
        let base = sweep_baseline(300, 1, 1, MS200);
        assert_eq!((base.counted, base.rate_limited), (300, 0));
    }

    #[test]
    fn the_baseline_meets_one_429_per_spent_window_and_waits_for_the_reset() {
        // No latency: 1000 GETs at once, a 429, a wait for the reset; three windows.
        let base = sweep_baseline(2500, 1, 1, Duration::ZERO);
        assert_eq!((base.counted, base.rate_limited), (2500, 2));
        assert!(base.sweep_time >= secs(600), "{:?}", base.sweep_time);
        assert!(base.sweep_time <= secs(602), "{:?}", base.sweep_time);
    }

    #[test]
    fn every_change_is_noticed_within_the_refresh_interval() {
        // 200 tasks: two bulk gets per 10 s (the watcher's minimum interval), so a change is
        // seen at most one interval (plus the answer's latency) after it happens.
        let run = notice_ours(200, 0.6, 3, MS200);
        assert_eq!(run.delays.n, 200);
        assert!(run.delays.max <= secs(11), "{:?}", run.delays);
        assert!(run.delays.p50 >= secs(2), "{:?}", run.delays);
        assert_eq!(run.rate_limited, 0);
        assert!(run.staleness.ratio <= 1.1, "{:?}", run.staleness);
    }

    #[test]
    fn the_fleet_submits_waits_and_watches_without_a_429() {
        let spec = FleetSpec {
            watched: 300,
            waits: 2,
            submitters: 1,
            per_submitter: 10,
            duration: secs(20 * 60),
            share: 0.6,
        };
        let f = fleet(FleetVariant::OneClient, spec, 5, MS200);
        assert_eq!(f.rate_limited(), 0);
        assert_eq!(f.submitted, 10);
        // 10 runs and 2 aborts (every fifth task), each sent at once.
        assert_eq!(f.change_delay.n, 12);
        assert_eq!(f.change_delay.max, Duration::ZERO);
        assert_eq!(f.create_delay.n, 10);
        assert!(f.kinds[0].counted > 0 && f.kinds[1].counted > 0);
        assert_eq!(f.kinds[2].counted, 22, "10 creates, 10 runs, 2 aborts");
    }
}
