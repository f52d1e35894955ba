//! Many watcher processes on one token in the virtual-time simulation, scaled down to a
//! window of 100 requests per 60 s so that it runs in seconds: with the budget's peer-aware
//! pacing, 8 processes whose demand exceeds the window meet no more than 0.02 429s per
//! process per window, use at least 80 % of the watch share, and share it fairly (Jain's index
//! ≥ 0.9 over requests per watched task); without it (each process blind to the others) they
//! take the whole window. Virtual time: nothing here is timed.

use std::time::Duration;

use sbg_tasks_benches::sim::many::{jain, many_run, ManySpec, Split};
use sbg_tasks_benches::sim::platform::PlatformConfig;

const LATENCY: Duration = Duration::from_millis(200);

fn spec(k: usize, tasks: u64, split: Split) -> ManySpec {
    ManySpec {
        window: PlatformConfig {
            limit: 100,
            window: Duration::from_secs(60),
        },
        duration: Duration::from_secs(15 * 60),
        ..ManySpec::new(k, tasks, split)
    }
}

#[test]
fn eight_processes_with_their_tasks_split_keep_to_the_goals() {
    // 2 000 tasks split: 250 each, 3 bulk gets per 10 s each, 144 a window in all.
    let after = many_run(spec(8, 2_000, Split::Split), 1, LATENCY);
    assert_eq!(after.processes.len(), 8);
    assert!(after.windows.len() >= 14, "{:?}", after.windows);
    assert!(
        after.limited_per_process_window() <= 0.02,
        "{:?}",
        after.windows
    );
    let used = after.share_used();
    assert!(used >= 0.8, "{used} {:?}", after.windows);
    // Never much past the token-wide target (0.8 of the window = 133 % of the share).
    assert!(used <= 1.45, "{used} {:?}", after.windows);
    assert!(
        after.jain() >= 0.9,
        "{} {:?}",
        after.jain(),
        after.processes
    );
    assert!(after.notice.n > 0);
    // Every process's pace was its own, peer-aware (none left at its solo 60 %).
    let (_, last) = after.paces.last().expect("paces sampled");
    assert!(last.iter().all(|&p| p > 0.0 && p < 60.0), "{last:?}");

    // Blind to each other, they spend the window to its last request.
    let before = many_run(spec(8, 2_000, Split::Split).peer_aware(false), 1, LATENCY);
    assert!(before.share_used() > 1.5, "{}", before.share_used());
}

#[test]
fn sixteen_processes_each_watching_all_keep_to_the_goals() {
    let after = many_run(spec(16, 500, Split::All), 2, LATENCY);
    assert!(
        after.limited_per_process_window() <= 0.02,
        "{:?}",
        after.windows
    );
    assert!(after.share_used() >= 0.8, "{:?}", after.windows);
    assert!(after.jain() >= 0.9, "{:?}", after.processes);
}

#[test]
fn jains_index_is_one_for_equal_shares() {
    assert!((jain([3.0; 5]) - 1.0).abs() < 1e-12);
    assert!((jain([1.0, 0.0]) - 0.5).abs() < 1e-12);
}
