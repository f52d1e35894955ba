//! Prints the figures of the change-feed simulation (issue 19, item 3) as Markdown tables.
//!
//! `cargo run --release -p sbg-tasks-benches --example feed_sim [SEED] [LATENCY_MS]`
//! (defaults: seed 1, 200 ms per request).

use std::time::Duration;

use sbg_tasks_benches::sim::feed::{feed_run, FeedSpec, Strategy};

fn main() {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let latency_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let latency = Duration::from_millis(latency_ms);
    let r = feed_run(FeedSpec::one_project(10_000).by(Strategy::bulk()), seed, latency);
    println!("{r:?} share {:.3} per hour {:.0}", r.share_of_window(), r.per_hour());
}
