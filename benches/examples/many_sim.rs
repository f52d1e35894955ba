//! Prints the figures of many watcher processes on one token (K = 3, 8, 16, 32; the tasks
//! split between them, and each watching all), with the budget's peer-aware pacing and
//! without it, as a Markdown table, against the mock's platform in virtual time.
//!
//! `cargo run --release -p sbg-tasks-benches --example many_sim [SEED] [LATENCY_MS] [SPLIT_TASKS] [ALL_TASKS]`
//! (defaults: seed 1, 200 ms per request, 10 000 tasks split, 2 000 watched by each).

use std::time::{Duration, Instant};

use sbg_tasks_benches::sim::many::{many_figures, markdown};

fn main() {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let latency_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let split = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let all = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let latency = Duration::from_millis(latency_ms);
    let t = Instant::now();
    let runs = many_figures(split, all, seed, latency);
    print!("{}", markdown(&runs, seed, latency));
    println!(
        "\nReal time of the {} simulations: {:.1} s.",
        runs.len() * 2,
        t.elapsed().as_secs_f64()
    );
}
