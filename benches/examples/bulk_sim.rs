//! Prints the figures of the bulk-action simulation (a rerun with `run` of 1 000 FAILED tasks
//! through the client's real `bulk`, alone on its token, and while a watcher of 10 000 tasks
//! runs on the same token) as Markdown tables, against the mock's platform in virtual time.
//!
//! `cargo run --release -p sbg-tasks-benches --example bulk_sim [SEED] [LATENCY_MS] [WORKERS]`
//! (defaults: seed 1, 200 ms per request, the action's default of 4 workers).

use std::time::{Duration, Instant};

use sbg_tasks_benches::sim::bulk::{bulk_figures, markdown};

fn main() {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let latency_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let workers = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let latency = Duration::from_millis(latency_ms);
    let t = Instant::now();
    let figures = bulk_figures(1_000, 10_000, workers, seed, latency);
    print!("{}", markdown(&figures, seed, latency));
    println!(
        "\nReal time of the four simulations: {:.1} s.",
        t.elapsed().as_secs_f64()
    );
}
