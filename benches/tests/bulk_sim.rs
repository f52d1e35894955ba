//! The bulk-action goals in the virtual-time simulation, scaled down to a window of 100
//! requests per 300 s (a tenth of the platform's) so that they run in a few seconds: a rerun
//! with `run` of 100 FAILED tasks alone ends within 5 % of the budget-bound minimum, and
//! beside a watcher of 1 000 tasks on the same client meets no 429 and keeps both within their
//! shares, each original rerun exactly once. Virtual time: nothing here is timed.

use std::time::Duration;

use sbg_tasks_benches::sim::bulk::{
    action_share, bulk_run, exactly_once, minimum, BulkSimSpec, Sharing,
};
use sbg_tasks_benches::sim::platform::PlatformConfig;

const LATENCY: Duration = Duration::from_millis(200);

fn small() -> PlatformConfig {
    PlatformConfig {
        limit: 100,
        window: Duration::from_secs(300),
    }
}

#[test]
fn the_minimum_is_the_start_of_the_last_window_needed_plus_one_latency() {
    let w = PlatformConfig::default();
    // 2 010 requests on a fresh window: 1 000 at once, 1 000 at 300 s, the last 10 at 600 s.
    assert_eq!(minimum(2010, w, LATENCY), Duration::from_millis(600_200));
    assert_eq!(minimum(1000, w, LATENCY), LATENCY);
    assert_eq!(minimum(1001, w, LATENCY), Duration::from_millis(300_200));
    // The action's share beside a watcher at 60 %: 1000 − 600 − 50 (the reserve).
    assert!((action_share(w, 0.6) - 0.35).abs() < 1e-9);
    assert!((action_share(small(), 0.6) - 0.30).abs() < 1e-9);
}

#[test]
fn a_bulk_rerun_alone_ends_within_5_percent_of_the_budget_bound_minimum() {
    let spec = BulkSimSpec {
        window: small(),
        ..BulkSimSpec::alone(100)
    };
    let r = bulk_run(spec, 1, LATENCY);
    assert_eq!(r.error, None);
    assert!(exactly_once(&r), "{r:?}");
    assert_eq!((r.action.clone, r.action.run), (100, 100));
    assert_eq!(r.action.rate_limited, 0);
    // 100 clones, 100 runs and the listing's page: three windows of 100.
    assert_eq!(r.minimum, minimum(r.action.counted(), small(), LATENCY));
    assert!(r.minimum >= Duration::from_secs(600), "{:?}", r.minimum);
    assert!(r.wall >= r.minimum, "{:?} < {:?}", r.wall, r.minimum);
    assert!(r.ratio() <= 1.05, "{} ({:?})", r.ratio(), r.windows);
}

#[test]
fn beside_a_watcher_on_the_same_client_neither_meets_a_429_and_each_keeps_to_its_share() {
    let spec = BulkSimSpec {
        window: small(),
        ..BulkSimSpec::shared(100, 1_000)
    };
    let shared = bulk_run(spec, 2, LATENCY);
    assert_eq!(shared.error, None);
    assert!(exactly_once(&shared), "{shared:?}");
    assert_eq!(shared.rate_limited(), 0, "{shared:?}");
    let action_cap = action_share(small(), spec.share);
    assert!(
        shared.action_max_fraction() <= action_cap + 1e-9,
        "{:?}",
        shared.windows
    );
    assert!(
        shared.watcher_max_fraction() <= spec.share + 1e-9,
        "{:?}",
        shared.windows
    );
    // Both spent: the watcher its whole share in a window the action ran through, and the
    // action (slower than alone) as much as it was left.
    assert!(shared.windows.iter().any(|&(_, a, w)| w == 60 && a == 30));
    assert!(
        shared.wall > Duration::from_secs(3 * 300),
        "{:?}",
        shared.wall
    );
    // The watcher notices changes as fast as when it is alone over the same interval.
    let only = bulk_run(
        BulkSimSpec {
            horizon: shared.sim_time,
            ..spec.sharing(Sharing::WatcherOnly)
        },
        2,
        LATENCY,
    );
    assert_eq!(only.copies, 0);
    assert!(shared.notice.n > 100 && only.notice.n > 100);
    assert!(
        shared.notice.p99 <= only.notice.p99 + Duration::from_secs(1),
        "{:?} against {:?}",
        shared.notice,
        only.notice
    );
}
