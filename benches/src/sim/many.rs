//! Many watcher processes on one token, with no coordination service: K processes, each its
//! own client and [`Budget`](sbg_tasks_proto::machine::budget::Budget), watch tasks against
//! one platform (the mock's, on the virtual clock), their demand beyond the window. The
//! headers (`X-RateLimit-Limit/Remaining/Reset`) are all they share.
//!
//! Two settings: the tasks split between the processes, and every process watching all of
//! them. Each run is made twice in the same simulation: with the budget's peer-aware pacing
//! (the default) and without it ([`BudgetPolicy::with_peer_aware`]`(false)`: every process
//! paces its watch lane at its share of the window, blind to the others — the budget before
//! peer-aware pacing).
//!
//! # Figures
//! - **429s per process per window**: refused requests over K × the windows of the run
//!   (goal ≤ 0.02).
//! - **Share used**: the requests the platform counted per window, over the watch share of a
//!   window (`share × limit`), mean of the windows after the first (goal ≥ 80 % when the
//!   demand exceeds the window).
//! - **Jain's fairness index** over each process's requests per watched task,
//!   `(Σx)² / (K · Σx²)` (1 is equal; goal ≥ 0.9).
//! - Notice delays of the endings and status changes the processes saw (each process's own).
//!
//! Windows are rebuilt from the trace as the mock opens them (at the first counted request,
//! closing at the start plus the window rounded up to a whole second).

use std::sync::Mutex;
use std::time::Duration;

use sbg_tasks_proto::BudgetPolicy;

use super::exec::{Executor, T0};
use super::platform::{PlatformConfig, Route};
use super::report::mark;
use super::scenarios::{task_id, watch_noticing, watched_task, World};
use super::{Rng, Summary};

/// How the tasks are given to the processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Each process watches its part (N / K) of the tasks.
    Split,
    /// Every process watches all N.
    All,
}

impl Split {
    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Split::Split => "tasks split",
            Split::All => "each watches all",
        }
    }
}

/// Parameters of a many-process run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ManySpec {
    /// Processes.
    pub k: usize,
    /// Tasks.
    pub tasks: u64,
    /// How they are given out.
    pub split: Split,
    /// The budget's peer-aware pacing on (after) or off (before).
    pub peer_aware: bool,
    /// The watch share of each process's budget (0.6).
    pub share: f64,
    /// Simulated time.
    pub duration: Duration,
    /// The platform's window.
    pub window: PlatformConfig,
}

impl ManySpec {
    /// `k` processes on `tasks` tasks, an hour at the platform's window, peer-aware.
    pub fn new(k: usize, tasks: u64, split: Split) -> Self {
        Self {
            k,
            tasks,
            split,
            peer_aware: true,
            share: 0.6,
            duration: Duration::from_secs(3600),
            window: PlatformConfig::default(),
        }
    }

    /// The same with peer-aware pacing on or off.
    pub fn peer_aware(self, on: bool) -> Self {
        Self {
            peer_aware: on,
            ..self
        }
    }
}

/// One process's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProcessFigures {
    /// Tasks it watched.
    pub tasks: u64,
    /// Requests counted.
    pub counted: u64,
    /// Refused (429).
    pub rate_limited: u64,
    /// Free (`GET /rate_limit`).
    pub free: u64,
}

/// One run.
#[derive(Debug, Clone, PartialEq)]
pub struct ManyRun {
    /// The spec.
    pub spec: ManySpec,
    /// Each process.
    pub processes: Vec<ProcessFigures>,
    /// Each window of the run: (opened at, requests counted, 429s).
    pub windows: Vec<(Duration, u64, u64)>,
    /// Notice delays over every process.
    pub notice: Summary,
    /// Each minute: every process's peer-aware pace (watch requests per window it allowed
    /// itself; 0 while it saw no peer).
    pub paces: Vec<(Duration, Vec<f64>)>,
}

impl ManyRun {
    /// Complete windows (the last one, cut by the end of the run, left out; at least 1).
    fn full_windows(&self) -> &[(Duration, u64, u64)] {
        let n = self.windows.len().saturating_sub(1).max(1);
        &self.windows[..n.min(self.windows.len())]
    }

    /// 429s per process per window.
    pub fn limited_per_process_window(&self) -> f64 {
        let limited: u64 = self.processes.iter().map(|p| p.rate_limited).sum();
        let windows = self.windows.len().max(1);
        limited as f64 / (self.spec.k.max(1) * windows) as f64
    }

    /// Mean requests counted per window (after the first, complete windows), over the watch
    /// share of a window.
    pub fn share_used(&self) -> f64 {
        let full = self.full_windows();
        let later = if full.len() > 1 { &full[1..] } else { full };
        let counted: u64 = later.iter().map(|w| w.1).sum();
        let per_window = counted as f64 / later.len().max(1) as f64;
        per_window / (f64::from(self.spec.window.limit) * self.spec.share)
    }

    /// Jain's fairness index over requests per watched task.
    pub fn jain(&self) -> f64 {
        jain(
            self.processes
                .iter()
                .map(|p| p.counted as f64 / p.tasks.max(1) as f64),
        )
    }
}

/// Jain's fairness index of `xs`: `(Σx)² / (n · Σx²)`; 1 for none or all zero.
pub fn jain(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (mut n, mut sum, mut squares) = (0.0, 0.0, 0.0);
    for x in xs {
        n += 1.0;
        sum += x;
        squares += x * x;
    }
    if squares <= 0.0 {
        1.0
    } else {
        sum * sum / (n * squares)
    }
}

/// One run of `spec`.
pub fn many_run(spec: ManySpec, seed: u64, latency: Duration) -> ManyRun {
    let world = World::with_window(seed, latency, spec.window);
    let mut rng = Rng::new(seed ^ 0x3A4F);
    let ids: Vec<String> = (0..spec.tasks).map(|i| task_id(1, i)).collect();
    {
        let mut p = world.platform();
        p.trace = Some(Vec::new());
        for id in &ids {
            p.insert(id.clone(), watched_task(&mut rng));
        }
    }
    let k = spec.k.max(1);
    let parts: Vec<Vec<String>> = match spec.split {
        Split::All => vec![ids.clone(); k],
        Split::Split => (0..k)
            .map(|i| ids.iter().skip(i).step_by(k).cloned().collect())
            .collect(),
    };
    let policy = BudgetPolicy::default()
        .with_window(u64::from(spec.window.limit), spec.window.window)
        .with_watch_share(spec.share)
        .with_peer_aware(spec.peer_aware);
    let clients: Vec<_> = (0..k).map(|_| world.client(policy.clone())).collect();
    let notices = Mutex::new(Vec::new());
    let paces = Mutex::new(Vec::new());
    let mut callers = Vec::new();
    {
        let mut ex = Executor::new(&world.clock);
        for (client, part) in clients.iter().zip(&parts) {
            let (world, notices) = (&world, &notices);
            callers.push(
                ex.spawn(watch_noticing(client, world, part.clone(), |_, d| {
                    notices.lock().unwrap_or_else(|e| e.into_inner()).push(d);
                    false
                })),
            );
        }
        let (clients, paces, clock) = (&clients, &paces, &world.clock);
        ex.spawn(async move {
            loop {
                clock.sleep(Duration::from_secs(60)).await;
                let now = clock.now();
                let each = clients
                    .iter()
                    .map(|c| c.budget().peer_pace().map_or(0.0, |p| p.0))
                    .collect();
                paces
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((now, each));
            }
        });
        ex.run(spec.duration, || false);
    }
    let p = world.platform();
    let processes = callers
        .iter()
        .zip(&parts)
        .map(|(&c, part)| {
            let counts = p.caller(c);
            ProcessFigures {
                tasks: part.len() as u64,
                counted: counts.counted,
                rate_limited: counts.rate_limited,
                free: counts.free,
            }
        })
        .collect();
    let len = p.config().window;
    let mut windows: Vec<(Duration, u64, u64)> = Vec::new();
    let mut close = Duration::ZERO;
    for &(_, route, at, status) in p.trace.iter().flatten() {
        if route == Route::RateLimit {
            continue;
        }
        if status != 429 && (windows.is_empty() || at >= close) {
            let end = Duration::from_secs(T0) + at + len;
            let up = end.as_secs() + u64::from(end.subsec_nanos() > 0);
            close = Duration::from_secs(up - T0);
            windows.push((at, 0, 0));
        }
        if let Some(w) = windows.last_mut() {
            if status == 429 {
                w.2 += 1;
            } else {
                w.1 += 1;
            }
        }
    }
    let notice = Summary::of(&notices.into_inner().unwrap_or_else(|e| e.into_inner()));
    ManyRun {
        spec,
        processes,
        windows,
        notice,
        paces: paces.into_inner().unwrap_or_else(|e| e.into_inner()),
    }
}

/// The K values of the figures.
pub const KS: [usize; 4] = [3, 8, 16, 32];

/// Every run: each K, both settings, before and after.
pub fn many_figures(
    split_tasks: u64,
    all_tasks: u64,
    seed: u64,
    latency: Duration,
) -> Vec<(ManyRun, ManyRun)> {
    let mut out = Vec::new();
    for (split, tasks) in [(Split::Split, split_tasks), (Split::All, all_tasks)] {
        for k in KS {
            let spec = ManySpec::new(k, tasks, split);
            let after = many_run(spec, seed, latency);
            let before = many_run(spec.peer_aware(false), seed, latency);
            out.push((before, after));
        }
    }
    out
}

/// The figures as a Markdown table, before beside after, each goal beside its figure.
pub fn markdown(runs: &[(ManyRun, ManyRun)], seed: u64, latency: Duration) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    if let Some((b, _)) = runs.first() {
        let w = b.spec.window;
        let _ = writeln!(
            o,
            "Seed {seed}, latency {} ms per request, window {} requests / {} s, watch share {}, \
             {} simulated, tasks ending over the run (the fleet's watched-task schedule).\n",
            latency.as_millis(),
            w.limit,
            w.window.as_secs(),
            b.spec.share,
            super::report::s(b.spec.duration),
        );
    }
    let _ = writeln!(
        o,
        "| setting | K | tasks | pacing | windows | 429s / process / window (goal ≤ 0.02) | share used (goal ≥ 80 %) | Jain (goal ≥ 0.9) | requests per process min / max | notice p50 / p99 |"
    );
    let _ = writeln!(
        o,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (before, after) in runs {
        for (name, r) in [("before (blind)", before), ("**peer-aware**", after)] {
            let lim = r.limited_per_process_window();
            let used = r.share_used();
            let j = r.jain();
            let min = r.processes.iter().map(|p| p.counted).min().unwrap_or(0);
            let max = r.processes.iter().map(|p| p.counted).max().unwrap_or(0);
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {:.4} {} | {:.0} % {} | {:.3} {} | {} / {} | {} / {} |",
                r.spec.split.name(),
                r.spec.k,
                r.spec.tasks,
                name,
                r.windows.len(),
                lim,
                mark(lim <= 0.02),
                used * 100.0,
                mark(used >= 0.8),
                j,
                mark(j >= 0.9),
                min,
                max,
                super::report::s(r.notice.p50),
                super::report::s(r.notice.p99),
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_is_one_when_equal_and_one_over_n_when_one_takes_all() {
        assert!((jain([2.0, 2.0, 2.0]) - 1.0).abs() < 1e-12);
        assert!((jain([1.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
        assert_eq!(jain([]), 1.0);
    }
}
