//! Times the fleet simulation (proto's client, budget and watcher against the mock's platform
//! in virtual time), so that "hours are simulated in a moment" is a measured claim, then
//! prints the figures of one full run (the same tables as
//! `cargo run --release -p sbg-tasks-benches --example fleet_sim`).
//!
//! `cargo bench -p sbg-tasks-benches --bench fleet` (≈ 6 minutes; the figures are
//! deterministic, only the times vary).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sbg_tasks_benches::sim::bulk::{bulk_run, BulkSimSpec};
use sbg_tasks_benches::sim::report::{markdown, run_all};
use sbg_tasks_benches::sim::scenarios::{
    fleet, notice_ours, sweep_baseline, sweep_ours, FleetSpec, FleetVariant,
};

const LATENCY: Duration = Duration::from_millis(200);

fn simulation(c: &mut Criterion) {
    let mut g = c.benchmark_group("fleet_sim");
    // 3 full sweeps of 10 000 tasks: 300 bulk gets, 2.5 simulated minutes.
    g.bench_function("sweeps_10000_x3_ours", |b| {
        b.iter(|| sweep_ours(10_000, 3, 1, LATENCY))
    });
    // One sweep of 10 000 tasks one GET each: 10 009 requests, 48 simulated minutes.
    g.bench_function("sweep_10000_x1_one_get_per_task", |b| {
        b.iter(|| sweep_baseline(10_000, 1, 1, LATENCY))
    });
    // Item 2: 10 000 tasks until every change is noticed (~2 simulated hours).
    g.bench_function("notice_10000_ours", |b| {
        b.iter(|| notice_ours(10_000, 0.6, 1, LATENCY))
    });
    // Item 3: 8 callers, 2 simulated hours.
    for (name, variant) in [
        ("fleet_2h_one_client", FleetVariant::OneClient),
        ("fleet_2h_one_get_per_task", FleetVariant::Baseline),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| fleet(variant, FleetSpec::default(), 1, LATENCY))
        });
    }
    // A bulk rerun with run of 1 000 tasks alone (2 010 requests, 10 simulated minutes), and
    // beside a watcher of 10 000 tasks on the same client (~25 simulated minutes).
    g.bench_function("bulk_1000_alone", |b| {
        b.iter(|| bulk_run(BulkSimSpec::alone(1_000), 1, LATENCY))
    });
    g.bench_function("bulk_1000_beside_watcher_10000", |b| {
        b.iter(|| bulk_run(BulkSimSpec::shared(1_000, 10_000), 1, LATENCY))
    });
    g.finish();
}

fn figures(_: &mut Criterion) {
    println!("\n{}", markdown(&run_all(1, LATENCY)));
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = simulation, figures
}
criterion_main!(benches);
