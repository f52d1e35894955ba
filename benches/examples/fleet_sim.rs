//! Prints the figures of the fleet simulation (proto's client, budget and watcher against the
//! mock's platform in virtual time, beside one GET per task) as Markdown tables.
//!
//! `cargo run --release -p sbg-tasks-benches --example fleet_sim [SEED] [LATENCY_MS]`
//! (defaults: seed 1, 200 ms per request).

use std::time::Duration;

use sbg_tasks_benches::sim::report::{markdown, run_all};

fn main() {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let latency_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let figures = run_all(seed, Duration::from_millis(latency_ms));
    print!("{}", markdown(&figures));
}
