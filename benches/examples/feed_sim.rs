//! Prints the figures of the change-feed simulation (issue 19, item 3) as Markdown tables:
//! 10 000 tasks of one project ending over 2 h, without and with a listing lag of 30 s and a
//! clock skew of ±5 s, beside bulk sweeps; many tasks over 50 projects, the feed beside bulk
//! sweeps; 3 watched tasks in a project of 50 000.
//!
//! `cargo run --release -p sbg-tasks-benches --example feed_sim [SEED] [LATENCY_MS] [C_PER_PROJECT] [C_SPAN_MIN] [SCENARIOS]`
//! (defaults: seed 1, 200 ms per request, scenario c at 50 projects × 2 000 tasks ending over
//! 120 min, scenarios `abcd`: all; `a` runs a's two rows, and so on). The runs go side by
//! side, one per core.

use std::time::{Duration, Instant};

use sbg_tasks_benches::sim::feed::{feed_figures, markdown, BIG_PROJECT};

fn main() {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let latency_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let per_project = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let span_min: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(120);
    let only = args.next().unwrap_or_else(|| "abcd".to_owned());
    let latency = Duration::from_millis(latency_ms);
    let t = Instant::now();
    let f = feed_figures(
        seed,
        latency,
        10_000,
        (50, per_project, Duration::from_secs(span_min * 60)),
        BIG_PROJECT,
        &only,
    );
    print!("{}", markdown(&f));
    println!(
        "\nReal time of the simulations: {:.1} s.",
        t.elapsed().as_secs_f64()
    );
}
