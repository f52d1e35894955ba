//! A deterministic virtual-time simulation of many callers sharing one rate-limit window:
//! proto's real machines — the `AsyncClient`'s driver loop with its operations (`Call` with
//! retries and the [`Budget`](sbg_tasks_proto::machine::budget::Budget), `Wait`, `Watch` over
//! the [`Watcher`](sbg_tasks_proto::machine::watch::Watcher)) — driven against the mock's own
//! platform ([`sbg_tasks_mock::MockPlatform`]: its rate limiter, routes and tasks) on a
//! virtual clock ([`exec`]), beside the one-GET-per-task approach of the official clients, in
//! the same run ([`scenarios`]). [`platform`] keeps the figures' bookkeeping beside the mock;
//! there is no second model of the platform.
//!
//! Nothing here reads a clock or sleeps: the callers are futures, every sleep (the client's,
//! the network's latency) is a timer on the virtual clock, and the executor jumps from one
//! wake-up to the next, so two simulated hours take well under a second of real time, and two
//! runs with the same seed give the same figures.
//!
//! `cargo run --release -p sbg-tasks-benches --example fleet_sim` prints the figures;
//! `cargo bench -p sbg-tasks-benches --bench fleet` times the runs. [`bulk`] measures a bulk
//! action (the client's `bulk`, a rerun with run of many tasks) alone and beside a watcher on
//! the same token: `cargo run --release -p sbg-tasks-benches --example bulk_sim`. [`feed`]
//! measures the watcher's change feed (listings of a project's endings and starts, issue 19)
//! beside bulk sweeps, with lagging listings and a skewed platform clock:
//! `cargo run --release -p sbg-tasks-benches --example feed_sim`.

pub mod bulk;
pub mod exec;
pub mod feed;
pub mod many;
pub mod platform;
pub mod report;
pub mod scenarios;

use std::time::Duration;

/// The seeded generator of the schedules and the clients' jitter: the mock's, written once.
pub use sbg_tasks_mock::SplitMix as Rng;

/// Order statistics of a set of durations (nearest rank: the p-th percentile is the smallest
/// value with at least p % of the values at or below it).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// How many values.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl Summary {
    /// The summary of `values` (all zero when empty).
    pub fn of(values: &[Duration]) -> Self {
        let mut v = values.to_vec();
        v.sort_unstable();
        Self {
            n: v.len(),
            p50: percentile(&v, 50.0),
            p99: percentile(&v, 99.0),
            max: v.last().copied().unwrap_or_default(),
        }
    }
}

/// The nearest-rank `p`-th percentile of `sorted` (ascending); zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// How evenly tasks are refreshed: each task's mean interval between refreshes (over the
/// measured interval), the smallest and largest of those means, their ratio (most-stale /
/// least-stale task), and the longest single gap.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Staleness {
    /// Tasks with at least one measured gap.
    pub tasks: usize,
    /// The shortest per-task mean interval.
    pub min_mean: Duration,
    /// The longest per-task mean interval.
    pub max_mean: Duration,
    /// `max_mean / min_mean`.
    pub ratio: f64,
    /// The longest gap of any task.
    pub max_gap: Duration,
}

impl Staleness {
    /// From each task's (gap count, gap sum, longest gap); tasks without gaps are left out.
    pub fn of(gaps: impl IntoIterator<Item = (u64, Duration, Duration)>) -> Self {
        let mut s = Staleness {
            min_mean: Duration::MAX,
            ..Staleness::default()
        };
        for (n, sum, max) in gaps {
            if n == 0 {
                continue;
            }
            let mean = sum / u32::try_from(n).unwrap_or(u32::MAX);
            s.tasks += 1;
            s.min_mean = s.min_mean.min(mean);
            s.max_mean = s.max_mean.max(mean);
            s.max_gap = s.max_gap.max(max);
        }
        if s.tasks == 0 {
            return Staleness::default();
        }
        s.ratio = s.max_mean.as_secs_f64() / s.min_mean.as_secs_f64().max(1e-9);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> Duration {
        Duration::from_secs(x)
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(s).collect();
        let sum = Summary::of(&v);
        assert_eq!(
            (sum.n, sum.p50, sum.p99, sum.max),
            (100, s(50), s(99), s(100))
        );
        let few = Summary::of(&[s(3), s(1), s(2)]);
        assert_eq!((few.p50, few.p99, few.max), (s(2), s(3), s(3)));
        assert_eq!(Summary::of(&[]), Summary::default());
        assert_eq!(percentile(&[s(7)], 0.0), s(7));
    }

    #[test]
    fn staleness_compares_per_task_mean_intervals() {
        let st = Staleness::of([(2, s(100), s(60)), (4, s(100), s(30)), (0, s(0), s(0))]);
        assert_eq!(st.tasks, 2);
        assert_eq!(
            (st.min_mean, st.max_mean, st.max_gap),
            (s(25), s(50), s(60))
        );
        assert!((st.ratio - 2.0).abs() < 1e-9);
        assert_eq!(Staleness::of([]), Staleness::default());
    }
}
