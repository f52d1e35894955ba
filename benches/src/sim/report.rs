//! Runs every scenario and writes the figures as Markdown tables, each goal beside its figure.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::scenarios::{
    fleet, notice, sweep, FleetFigures, FleetSpec, FleetVariant, NoticeFigures, SweepFigures,
};

/// Every figure of one run of the simulation, with the real time each scenario took.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The seed of every generator.
    pub seed: u64,
    /// Latency per request.
    pub latency: Duration,
    /// Item 1, for each N.
    pub sweeps: Vec<SweepFigures>,
    /// Items 2 and 4.
    pub notice: NoticeFigures,
    /// Items 3 and 5, for each setup.
    pub fleet: Vec<FleetFigures>,
    /// Real (not virtual) time each scenario took to simulate: (name, simulated, real).
    pub timings: Vec<(String, Duration, Duration)>,
}

/// The sizes of item 1.
pub const SWEEP_SIZES: [u64; 4] = [100, 1_000, 10_000, 100_000];

/// The fleet setups: (variant, watch share).
pub const FLEET_SETUPS: [(FleetVariant, f64); 5] = [
    (FleetVariant::OneClient, 0.6),
    (FleetVariant::SeparateClients, 0.6),
    (FleetVariant::Baseline, 0.6),
    (FleetVariant::OneClient, 0.95),
    (FleetVariant::SeparateClients, 0.95),
];

/// Runs everything with `seed` and `latency`.
pub fn run_all(seed: u64, latency: Duration) -> Figures {
    let mut timings = Vec::new();
    let mut sweeps = Vec::new();
    for n in SWEEP_SIZES {
        let t = Instant::now();
        let f = sweep(n, seed, latency);
        timings.push((
            format!("item 1, N = {n} (3 sweeps ours + 1 baseline)"),
            f.ours.sim_time + f.baseline.sim_time,
            t.elapsed(),
        ));
        sweeps.push(f);
    }
    let t = Instant::now();
    let notice = notice(10_000, 0.6, seed, latency);
    timings.push((
        "items 2 and 4, N = 10 000 (ours + baseline)".into(),
        notice.ours.sim_time + notice.baseline.sim_time,
        t.elapsed(),
    ));
    let mut fleets = Vec::new();
    for (variant, share) in FLEET_SETUPS {
        let spec = FleetSpec {
            share,
            ..FleetSpec::default()
        };
        let t = Instant::now();
        let f = fleet(variant, spec, seed, latency);
        timings.push((
            format!("items 3 and 5, {} at {share}", variant.name()),
            f.sim_time,
            t.elapsed(),
        ));
        fleets.push(f);
    }
    Figures {
        seed,
        latency,
        sweeps,
        notice,
        fleet: fleets,
        timings,
    }
}

/// A duration for the tables: whole seconds from 100 s, tenths from 10 s, else hundredths.
pub(crate) fn s(d: Duration) -> String {
    let x = d.as_secs_f64();
    if x >= 100.0 {
        format!("{x:.0} s")
    } else if x >= 10.0 {
        format!("{x:.1} s")
    } else {
        format!("{x:.2} s")
    }
}

/// ✔ or ✘.
pub(crate) fn mark(ok: bool) -> &'static str {
    if ok {
        "✔"
    } else {
        "✘"
    }
}

/// The figures as Markdown.
pub fn markdown(f: &Figures) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Seed {}, latency {} ms per request, window 1000 requests / 300 s, budget defaults \
         (reserve 50, watch share 0.6 unless said), watcher defaults (min interval 10 s).\n",
        f.seed,
        f.latency.as_millis()
    );

    let _ = writeln!(o, "**1. Requests per full sweep of N tasks** (ours: 3 sweeps, the first included; baseline: 1 sweep)\n");
    let _ = writeln!(
        o,
        "| N | goal ≤ 1.05 × ⌈N/100⌉ | ours: requests / sweep | ours: sweep time | one GET per task: requests / sweep (429s) | its sweep time | goal |"
    );
    let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- | --- |");
    for w in &f.sweeps {
        let _ = writeln!(
            o,
            "| {} | {:.2} | **{:.2}** ({} counted, {} × 429, {} free) | {} | {:.0} ({}) | {} | {} |",
            w.n,
            w.goal,
            w.ours.per_sweep,
            w.ours.counted,
            w.ours.rate_limited,
            w.ours.free,
            s(w.ours.sweep_time),
            w.baseline.per_sweep,
            w.baseline.rate_limited,
            s(w.baseline.sweep_time),
            mark(w.ours.per_sweep <= w.goal),
        );
    }

    let n = &f.notice;
    let _ = writeln!(
        o,
        "\n**2. Time to notice a status change**, N = {} at a {:.0} % share (each task QUEUED, then RUNNING at a random moment of the second hour); \
         **4. most-stale / least-stale task** (each task's mean interval between refreshes, from 1 h to the end)\n",
        n.n,
        n.share * 100.0
    );
    let _ = writeln!(
        o,
        "| | changes noticed | p50 | p99 | max | goal p99 ≤ {} | mean sweep | per-task mean refresh interval min / max | ratio (goal ≤ 2) | longest gap | requests counted / 429 |",
        s(n.goal)
    );
    let _ = writeln!(
        o,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (name, r) in [("ours", &n.ours), ("one GET per task", &n.baseline)] {
        let _ = writeln!(
            o,
            "| {name} | {} | {} | **{}** | {} | {} | {} | {} / {} | **{:.3}** {} | {} | {} / {} |",
            r.delays.n,
            s(r.delays.p50),
            s(r.delays.p99),
            s(r.delays.max),
            mark(r.delays.p99 <= n.goal),
            s(r.sweep_time),
            s(r.staleness.min_mean),
            s(r.staleness.max_mean),
            r.staleness.ratio,
            mark(r.staleness.ratio <= 2.0),
            s(r.staleness.max_gap),
            r.counted,
            r.rate_limited,
        );
    }

    let _ = writeln!(
        o,
        "\n**3. 429s over 2 simulated hours, 8 callers on one token** (a watcher of 10 000 tasks, 5 single-task waits one task after another, \
         2 submitters creating and running 100 tasks each, one every 72 s, aborting every fifth 30 s after its run); \
         **5. extra delay of a run or abort** (from wanting to send it to the send the platform accepted)\n"
    );
    let _ = writeln!(
        o,
        "| setup | watch share | 429s: watcher / waits / submitters | 429s total (goal 0) | requests counted | run/abort delay p50 / p99 / max (goal ≤ 1 s) | create delay max | tasks submitted (change calls failed) | waits ended | watcher notice p50 / p99 | staleness ratio (2nd hour) |"
    );
    let _ = writeln!(
        o,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for r in &f.fleet {
        let share = if r.variant == FleetVariant::Baseline {
            "—".to_owned()
        } else {
            format!("{:.2}", r.share)
        };
        let _ = writeln!(
            o,
            "| {} | {share} | {} / {} / {} | **{}** {} | {} | {} / {} / **{}** {} | {} | {} ({}) | {} | {} / {} | {:.2} |",
            r.variant.name(),
            r.kinds[0].rate_limited,
            r.kinds[1].rate_limited,
            r.kinds[2].rate_limited,
            r.rate_limited(),
            mark(r.rate_limited() == 0),
            r.counted(),
            s(r.change_delay.p50),
            s(r.change_delay.p99),
            s(r.change_delay.max),
            mark(r.change_delay.max <= Duration::from_secs(1)),
            s(r.create_delay.max),
            r.submitted,
            r.change_errors,
            r.waited,
            s(r.notice.p50),
            s(r.notice.p99),
            r.staleness.ratio,
        );
    }

    let _ = writeln!(o, "\n**Real time of each simulation** (this run)\n");
    let _ = writeln!(o, "| scenario | simulated | real |");
    let _ = writeln!(o, "| --- | --- | --- |");
    for (name, sim, real) in &f.timings {
        let _ = writeln!(
            o,
            "| {name} | {:.2} h | {:.0} ms |",
            sim.as_secs_f64() / 3600.0,
            real.as_secs_f64() * 1000.0
        );
    }
    o
}
