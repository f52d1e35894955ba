//! The change feed's goals (issue 19, item 3) in the virtual-time simulation, at a reduced
//! scale so that they run in debug within seconds: 1 000 tasks of one project ending over
//! 20 minutes (the example runs 10 000 over 2 hours) at the platform's window (1000 requests
//! per 300 s), 200 ms per request. Virtual time: nothing here is timed.
//!
//! - a: every ending noticed, p99 ≤ 5 s, spending ≤ 15 % of the window, reconciliation
//!   included;
//! - b: listings 30 s behind gets and the platform's clock 5 s ahead or behind: every ending
//!   reported exactly once, p99 ≤ 35 s;
//! - d: 3 watched tasks in a project of 50 000: the watcher picks bulk gets, as cheap as the
//!   watcher with its feed off.

use std::time::Duration;

use sbg_tasks_benches::sim::feed::{
    feed_run, few_in_big, p99_goal, FeedSpec, Strategy, BIG_PROJECT, SHARE_GOAL,
};

const LATENCY: Duration = Duration::from_millis(200);

fn small() -> FeedSpec {
    FeedSpec::one_project(1_000).over(Duration::from_secs(20 * 60), Duration::from_secs(55 * 60))
}

#[test]
fn a_the_feed_notices_every_ending_within_5_s_on_under_15_percent_of_the_window() {
    let r = feed_run(small(), 1, LATENCY);
    assert!(r.exactly_once(), "{r:?}");
    assert_eq!(r.endings, 1_000);
    assert_eq!(r.requests.rate_limited, 0, "{r:?}");
    assert!(r.requests.listing > 0, "the feed lists: {r:?}");
    assert!(r.notice.p99 <= p99_goal(&r.spec), "{:?}", r.notice);
    assert!(
        r.share_of_window() <= SHARE_GOAL,
        "{} {r:?}",
        r.share_of_window()
    );
    // Bulk sweeps of the same tasks at the same budget notice later.
    let bulk = feed_run(small().by(Strategy::bulk()), 1, LATENCY);
    assert!(bulk.exactly_once(), "{bulk:?}");
    assert_eq!(bulk.requests.listing, 0);
    assert!(
        bulk.notice.p99 > r.notice.p99,
        "{:?} {:?}",
        bulk.notice,
        r.notice
    );
}

#[test]
fn b_with_lagging_listings_and_a_skewed_clock_every_ending_is_reported_exactly_once() {
    for skew in [5_000, -5_000] {
        let spec = small().lagging(Duration::from_secs(30), skew);
        let r = feed_run(spec, 2, LATENCY);
        assert!(r.exactly_once(), "skew {skew}: {r:?}");
        assert_eq!(r.endings, 1_000);
        assert_eq!(p99_goal(&spec), Duration::from_secs(35));
        assert!(
            r.notice.p99 <= p99_goal(&spec),
            "skew {skew}: {:?}",
            r.notice
        );
    }
}

#[test]
fn d_three_watched_tasks_in_a_project_of_50_000_are_followed_by_bulk_gets() {
    let spec =
        few_in_big(BIG_PROJECT).over(Duration::from_secs(2 * 3600), Duration::from_secs(20 * 60));
    let chosen = feed_run(spec.by(Strategy::FeedIds), 3, LATENCY);
    assert_eq!(chosen.requests.rate_limited, 0);
    assert_eq!(chosen.requests.listing, 0, "{chosen:?}");
    assert_eq!(
        chosen.chosen,
        [(FeedSpec::project(0), "BulkGet".to_owned())],
        "{chosen:?}"
    );
    // As cheap as the watcher with its feed off: a bulk get of the 3 ids every 10 s.
    let bulk = feed_run(spec.by(Strategy::bulk()), 3, LATENCY);
    assert_eq!(chosen.requests.counted(), bulk.requests.counted());
    assert!(
        chosen.exactly_once() && bulk.exactly_once(),
        "{chosen:?} {bulk:?}"
    );
}
