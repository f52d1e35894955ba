//! `GET /v2/tasks` with the documented meaning (filters, order, 1-second timestamps), listing
//! lag, clock skew, the copies report and tasks scheduled to fail, driven on a virtual clock
//! through [`MockPlatform`] (no HTTP, no sleeping).

use std::time::{Duration, Instant, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response};
use sbg_tasks_mock::serde_json::{json, Value};
use sbg_tasks_mock::{MockBuilder, MockPlatform, Outcome, RunPlan};

/// 2024-01-01T00:00:00Z
const WALL_SECS: u64 = 1_704_067_200;

fn platform(b: MockBuilder) -> (MockPlatform, Instant) {
    let origin = Instant::now();
    let wall = UNIX_EPOCH + Duration::from_secs(WALL_SECS);
    let p = MockPlatform::new(b.token("T").config(), "http://mock/v2", origin, wall);
    (p, origin)
}

fn call(
    p: &MockPlatform,
    method: Method,
    path_query: &str,
    body: &str,
    at: Instant,
) -> Response<Bytes> {
    let req = Request::builder()
        .method(method)
        .uri(format!("http://mock/v2{path_query}"))
        .header("X-SBG-Auth-Token", "T")
        .body(body.as_bytes().to_vec())
        .expect("request");
    p.handle(&req, at)
}

fn json_of(r: &Response<Bytes>) -> Value {
    sbg_tasks_mock::serde_json::from_slice(r.body()).expect("json body")
}

/// The ids a listing answers, in order, and its `X-Total-Matching-Query`.
fn list(p: &MockPlatform, query: &str, at: Instant) -> (Vec<String>, usize) {
    let r = call(p, Method::GET, &format!("/tasks?{query}"), "", at);
    assert_eq!(r.status(), 200, "{query}: {:?}", r.body());
    let total = r.headers()["x-total-matching-query"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    let ids = json_of(&r)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect();
    (ids, total)
}

/// A task of `project` run at `origin + started` that runs from then and ends after `ends`.
fn running(
    p: &MockPlatform,
    origin: Instant,
    name: &str,
    project: &str,
    started: f64,
    ends: f64,
    outcome: Outcome,
) -> String {
    let plan = RunPlan::new(Duration::ZERO, Some(Duration::from_secs_f64(ends)), outcome);
    p.insert_running(
        json!({"name": name, "project": project, "app": "a/b/c", "status": "DRAFT"}),
        plan,
        origin + Duration::from_secs_f64(started),
    )
    .expect("insert")
}

#[test]
fn times_are_whole_seconds_and_range_filters_are_inclusive_at_that_precision() {
    let (p, o) = platform(MockBuilder::new().no_rate_limit());
    // Started at 10.7 s, ended at 10.7 + 5.6 = 16.3 s: shown as :10 and :16.
    let a = running(&p, o, "a", "u/p", 10.7, 5.6, Outcome::Completed);
    // Started at 12.2 s, ended at 20.9 s: :12 and :20.
    let b = running(&p, o, "b", "u/p", 12.2, 8.7, Outcome::Failed);
    let now = o + Duration::from_secs(30);
    let ta = p.task(&a, now).expect("a");
    assert_eq!(ta["start_time"], "2024-01-01T00:00:10Z");
    assert_eq!(ta["end_time"], "2024-01-01T00:00:16Z");
    assert_eq!(p.task(&b, now).expect("b")["status"], "FAILED");

    // Inclusive bounds, compared at whole seconds (a fractional bound is truncated).
    let q = |s: &str| list(&p, &format!("project=u/p&{s}"), now);
    assert_eq!(
        q("ended_from=2024-01-01T00:00:16Z").0,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        q("ended_from=2024-01-01T00:00:16.9Z").0,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(q("ended_from=2024-01-01T00:00:17Z").0, vec![b.clone()]);
    assert_eq!(q("ended_to=2024-01-01T00:00:16Z").0, vec![a.clone()]);
    assert_eq!(
        q("started_from=2024-01-01T00:00:11Z&started_to=2024-01-01T00:00:12Z").0,
        vec![b.clone()]
    );
    // Another offset names the same instant.
    assert_eq!(
        q("started_to=2024-01-01T01:00:10%2B01:00").0,
        vec![a.clone()]
    );
    assert_eq!(q("created_from=2024-01-01T00:00:12Z").0, vec![b.clone()]);
    assert_eq!(q("status=FAILED").0, vec![b.clone()]);
    assert_eq!(q("status=COMPLETED").1, 1);
    // A bound that is not a timestamp is a clear 400, not an empty page.
    let r = call(&p, Method::GET, "/tasks?ended_from=yesterday", "", now);
    assert_eq!(r.status(), 400);
    assert!(String::from_utf8_lossy(r.body()).contains("ended_from"));
}

#[test]
fn order_by_each_documented_column_both_ways_and_paging() {
    let (p, o) = platform(MockBuilder::new().no_rate_limit());
    // Started c < a < b, ended b < c < a; names a < b < c.
    let a = running(&p, o, "a", "u/q", 5.0, 20.0, Outcome::Completed);
    let b = running(&p, o, "b", "u/q", 7.0, 3.0, Outcome::Completed);
    let c = running(&p, o, "c", "u/q", 2.0, 15.0, Outcome::Completed);
    let now = o + Duration::from_secs(60);
    let ids = |s: &str| list(&p, &format!("project=u/q&{s}"), now).0;
    assert_eq!(
        ids("order_by=start_time"),
        vec![c.clone(), a.clone(), b.clone()]
    );
    assert_eq!(
        ids("order_by=start_time&order=desc"),
        vec![b.clone(), a.clone(), c.clone()]
    );
    assert_eq!(
        ids("order_by=end_time"),
        vec![b.clone(), c.clone(), a.clone()]
    );
    assert_eq!(
        ids("order_by=name&order=desc"),
        vec![c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        ids("order_by=created_time"),
        vec![c.clone(), a.clone(), b.clone()]
    );
    assert_eq!(ids("order_by=created_by").len(), 3);
    // Paging: offset and limit, the total over all pages, a next link while there is more.
    let r = call(
        &p,
        Method::GET,
        "/tasks?project=u/q&order_by=end_time&offset=1&limit=1",
        "",
        now,
    );
    assert_eq!(r.headers()["x-total-matching-query"], "3");
    let v = json_of(&r);
    assert_eq!(v["items"][0]["id"], c.as_str());
    let rels: Vec<&str> = v["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["rel"].as_str().expect("rel"))
        .collect();
    assert_eq!(rels, vec!["next", "prev"]);
    // `fields` picks the members of each item.
    let r = call(
        &p,
        Method::GET,
        "/tasks?project=u/q&order_by=end_time&limit=1&fields=id,end_time",
        "",
        now,
    );
    let item = json_of(&r)["items"][0].clone();
    assert_eq!(item, json!({"id": b, "end_time": "2024-01-01T00:00:10Z"}));
    // Unknown columns and limits past 100 are refused.
    for bad in ["order_by=modified_time", "limit=101", "order=up"] {
        let r = call(&p, Method::GET, &format!("/tasks?{bad}"), "", now);
        assert_eq!(r.status(), 400, "{bad}");
    }
}

#[test]
fn parent_filter_lists_a_batch_s_children() {
    let (p, o) = platform(MockBuilder::new().no_rate_limit());
    let fleet = p.spawn_fleet(
        &sbg_tasks_mock::FleetSpec::new(5, Duration::from_secs(10))
            .batch_parent(true)
            .project("u/b"),
        o,
    );
    let parent = fleet.parent.clone().expect("parent");
    let (ids, total) = list(
        &p,
        &format!("parent={parent}&limit=100"),
        o + Duration::from_secs(1),
    );
    assert_eq!(total, 5);
    let mut want = fleet.ids.clone();
    want.retain(|i| *i != parent);
    let mut got = ids;
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_lagging_listing_shows_a_change_lag_seconds_after_a_get_does() {
    let lag = Duration::from_secs(30);
    let (p, o) = platform(MockBuilder::new().no_rate_limit().listing_lag(lag));
    assert_eq!(p.listing_lag(), lag);
    // Runs from 0 s, ends at 100 s.
    let t = running(&p, o, "t", "u/l", 0.0, 100.0, Outcome::Completed);
    let at = |s: u64| o + Duration::from_secs(s);
    // Made at 0 s: not listed before 30 s.
    assert_eq!(list(&p, "project=u/l", at(10)).1, 0);
    assert_eq!(
        list(&p, "project=u/l&status=RUNNING", at(30)).0,
        vec![t.clone()]
    );
    // Ends at 100 s: a get sees it at once, the listing still says RUNNING until 130 s.
    assert_eq!(p.task(&t, at(101)).expect("t")["status"], "COMPLETED");
    assert_eq!(
        list(&p, "project=u/l&status=RUNNING", at(101)).0,
        vec![t.clone()]
    );
    assert_eq!(
        list(&p, "project=u/l&ended_from=2024-01-01T00:01:40Z", at(129)).1,
        0
    );
    assert_eq!(
        list(&p, "project=u/l&ended_from=2024-01-01T00:01:40Z", at(131)).0,
        vec![t.clone()]
    );
    let r = call(
        &p,
        Method::GET,
        "/tasks?project=u/l&fields=status",
        "",
        at(131),
    );
    assert_eq!(json_of(&r)["items"][0]["status"], "COMPLETED");
    // Bulk get is current.
    let r = call(
        &p,
        Method::POST,
        "/bulk/tasks/get",
        &format!("{{\"task_ids\":[\"{t}\"]}}"),
        at(101),
    );
    assert_eq!(json_of(&r)["items"][0]["resource"]["status"], "COMPLETED");
    // Switched off: listings are current again.
    p.set_listing_lag(Duration::ZERO);
    let u = running(&p, o, "u", "u/l", 140.0, 5.0, Outcome::Completed);
    assert_eq!(list(&p, "project=u/l&status=RUNNING", at(141)).0, vec![u]);
}

#[test]
fn a_skewed_clock_shifts_task_times_and_the_rate_limit_reset() {
    let (p, o) = platform(
        MockBuilder::new()
            .rate_limit(10, Duration::from_secs(60))
            .clock_skew_ms(-5_000),
    );
    let t = running(&p, o, "t", "u/s", 10.0, 1.0, Outcome::Completed);
    let r = call(
        &p,
        Method::GET,
        &format!("/tasks/{t}"),
        "",
        o + Duration::from_secs(20),
    );
    // 10 s after a wall of 00:00:00, on a clock 5 s behind.
    assert_eq!(json_of(&r)["start_time"], "2024-01-01T00:00:05Z");
    // The window opened at 20 s on the mock's clock (15 s wall): resets at 75 s.
    let reset: u64 = r.headers()["x-ratelimit-reset"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    assert_eq!(reset, WALL_SECS + 15 + 60);
    // Filters read the skewed times.
    let (ids, _) = list(
        &p,
        "started_to=2024-01-01T00:00:05Z",
        o + Duration::from_secs(20),
    );
    assert_eq!(ids, vec![t]);
    let (p2, o2) = platform(MockBuilder::new().clock_skew_ms(2_500));
    let t2 = running(&p2, o2, "t", "u/s", 0.0, 1.0, Outcome::Completed);
    assert_eq!(
        p2.task(&t2, o2).expect("t")["start_time"],
        "2024-01-01T00:00:02Z"
    );
}

#[test]
fn copies_are_counted_per_original_with_their_fate() {
    let (p, o) = platform(MockBuilder::new().no_rate_limit());
    let a = running(&p, o, "a", "u/c", 0.0, 1.0, Outcome::Failed);
    let b = running(&p, o, "b", "u/c", 0.0, 1.0, Outcome::Failed);
    let at = o + Duration::from_secs(5);
    let clone = |id: &str, q: &str| -> String {
        let r = call(
            &p,
            Method::POST,
            &format!("/tasks/{id}/actions/clone{q}"),
            "",
            at,
        );
        assert_eq!(r.status(), 200, "{:?}", r.body());
        json_of(&r)["id"].as_str().expect("id").to_owned()
    };
    let a1 = clone(&a, "");
    let a2 = clone(&a, "");
    let b1 = clone(&b, "?action=run");
    assert_eq!(
        call(
            &p,
            Method::POST,
            &format!("/tasks/{a1}/actions/run"),
            "",
            at
        )
        .status(),
        200
    );
    assert_eq!(
        call(&p, Method::DELETE, &format!("/tasks/{a2}"), "", at).status(),
        204
    );
    let copies = p.copies(at);
    let view: Vec<(&str, &str, bool)> = copies
        .iter()
        .map(|c| (c.original.as_str(), c.id.as_str(), c.ran))
        .collect();
    assert_eq!(
        view,
        vec![
            (a.as_str(), a1.as_str(), true),
            (a.as_str(), a2.as_str(), false),
            (b.as_str(), b1.as_str(), true)
        ]
    );
    assert_eq!(copies[1].status, "DELETED");
    assert!(copies.iter().all(|c| c.status != "DRAFT"));
    // An orphan: a copy left a DRAFT.
    let a3 = clone(&a, "");
    let orphan: Vec<String> = p
        .copies(at)
        .into_iter()
        .filter(|c| c.status == "DRAFT")
        .map(|c| c.id)
        .collect();
    assert_eq!(orphan, vec![a3]);
}

#[test]
fn tasks_scheduled_to_fail_end_failed_and_so_do_a_batch_s_children() {
    let (p, o) = platform(MockBuilder::new().no_rate_limit());
    let t = running(&p, o, "t", "u/f", 0.0, 5.0, Outcome::Completed);
    assert!(p.set_outcome(&t, Outcome::Failed));
    assert!(!p.set_outcome("no-such-task", Outcome::Failed));
    assert_eq!(
        p.task(&t, o + Duration::from_secs(6)).expect("t")["status"],
        "FAILED"
    );
    let fleet = p.spawn_fleet(
        &sbg_tasks_mock::FleetSpec::new(4, Duration::from_secs(10))
            .fail_ratio(0.0)
            .batch_parent(true)
            .project("u/g"),
        o,
    );
    let parent = fleet.parent.clone().expect("parent");
    assert!(p.set_outcome(&parent, Outcome::Failed));
    let later = o + Duration::from_secs(20);
    let (failed, _) = list(&p, &format!("parent={parent}&status=FAILED"), later);
    assert_eq!(failed.len(), 4);
    assert_eq!(p.task(&parent, later).expect("parent")["status"], "FAILED");
}

/// A listing by `project=` reads that project's tasks only (an index kept beside the
/// store): it still finds each task of the project once, in the order they were made, after
/// a copy is deleted and after a task is replaced under another project.
#[test]
fn a_project_listing_sees_its_own_tasks_through_deletes_and_replacements() {
    let (p, o) = platform(MockBuilder::new().no_rate_limit());
    let a = running(&p, o, "a", "u/one", 0.0, 1.0, Outcome::Failed);
    let b = running(&p, o, "b", "u/two", 0.0, 1.0, Outcome::Failed);
    let c = running(&p, o, "c", "u/one", 0.0, 100.0, Outcome::Completed);
    let at = o + Duration::from_secs(5);
    assert_eq!(
        list(&p, "project=u/one", at),
        (vec![a.clone(), c.clone()], 2)
    );
    assert_eq!(list(&p, "project=u/two", at), (vec![b.clone()], 1));
    // A copy of `a` (a DRAFT of u/one), then deleted.
    let r = call(
        &p,
        Method::POST,
        &format!("/tasks/{a}/actions/clone"),
        "",
        at,
    );
    assert_eq!(r.status(), 200, "{:?}", r.body());
    let copy = json_of(&r)["id"].as_str().expect("id").to_owned();
    assert_eq!(
        list(&p, "project=u/one", at),
        (vec![a.clone(), c.clone(), copy.clone()], 3)
    );
    assert_eq!(
        call(&p, Method::DELETE, &format!("/tasks/{copy}"), "", at).status(),
        204
    );
    assert_eq!(
        list(&p, "project=u/one", at),
        (vec![a.clone(), c.clone()], 2)
    );
    // `a` inserted again, now in u/two: listed there once, last, and no longer in u/one.
    p.insert_task(json!({"id": a, "name": "a", "project": "u/two", "status": "DRAFT"}))
        .expect("replace");
    assert_eq!(list(&p, "project=u/one", at), (vec![c.clone()], 1));
    assert_eq!(
        list(&p, "project=u/two", at),
        (vec![b.clone(), a.clone()], 2)
    );
    assert_eq!(list(&p, "project=u/none", at), (vec![], 0));
    // `c` inserted again in its own project: still listed once.
    p.insert_task(json!({"id": c, "name": "c2", "project": "u/one", "status": "DRAFT"}))
        .expect("replace");
    assert_eq!(list(&p, "project=u/one", at), (vec![c.clone()], 1));
    // Without `project=`, every task once.
    assert_eq!(list(&p, "limit=100", at).1, 3);
}
