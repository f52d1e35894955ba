//! `watch` and `wait` of several ids, end to end against the mock's fleets (tasks that end
//! on a seeded schedule over a few seconds), over both transports: one ending per task, the
//! exit codes, and the requests counted by the mock (one bulk get per 100 ids per sweep).

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::*;
use sbg_tasks_mock::{Fleet, FleetSpec, JournalEntry, MockHandle, Route};
use serde_json::Value;

/// A fleet of `n` tasks ending over `secs` seconds on `mock`, `fail` of them failing.
fn fleet(mock: &MockHandle, n: usize, ms: u64, fail: f64, seed: u64) -> Fleet {
    mock.control().spawn_fleet(
        FleetSpec::new(n, Duration::from_millis(ms))
            .fail_ratio(fail)
            .seed(seed),
    )
}

/// Every line of stdout as JSON.
fn json_lines(o: &std::process::Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line: {e}: {l:?}\n{}", stdout(o)))
        })
        .collect()
}

/// The ids of the events of kind `event`, with their status, in order.
fn events<'a>(lines: &'a [Value], event: &str) -> Vec<(&'a str, &'a str)> {
    lines
        .iter()
        .filter(|v| v["event"] == event)
        .map(|v| {
            (
                v["id"].as_str().expect("an id"),
                v["status"].as_str().unwrap_or(""),
            )
        })
        .collect()
}

/// The journal entries after `seq` that `route` matched.
fn requests(mock: &MockHandle, since: u64, route: Route) -> Vec<JournalEntry> {
    mock.control()
        .journal_since(since)
        .into_iter()
        .filter(|e| e.route == route)
        .collect()
}

/// How many ids a bulk get's body held: `{"task_ids":["<36>",...]}` is 14 + 39 bytes an id
/// (the fleets' ids are UUIDs).
fn ids_in(e: &JournalEntry) -> usize {
    assert_eq!((e.body_len - 14) % 39, 0, "not a body of UUIDs: {e:?}");
    (e.body_len - 14) / 39
}

fn next_seq(mock: &MockHandle) -> u64 {
    mock.control().request_count()
}

fn watch_args<'a>(
    mock: &'a MockHandle,
    t: &'a str,
    ids: &'a [String],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["watch"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(extra);
    net(mock, t, &args)
}

#[test]
fn watch_json_reports_each_ending_once_in_one_bulk_get_a_sweep_and_exits_5_on_failures() {
    let mock = mock(1);
    let home = Home::new();
    for (k, t) in TRANSPORTS.into_iter().enumerate() {
        let f = fleet(&mock, 50, 2_500, 0.2, 10 + k as u64);
        assert_eq!(f.failing, 10);
        let since = next_seq(&mock);
        let o = sbg(
            &home,
            &watch_args(&mock, t, &f.ids, &["--json", "--interval", "0.2"]),
        );
        assert_code(&o, 5);
        assert_no_token(&o);
        let lines = json_lines(&o);
        let ended = events(&lines, "ended");
        assert_eq!(ended.len(), 50, "{t}: one ended line per task");
        let ended_ids: HashSet<&str> = ended.iter().map(|(id, _)| *id).collect();
        let asked: HashSet<&str> = f.ids.iter().map(String::as_str).collect();
        assert_eq!(ended_ids, asked, "{t}");
        let failed = ended.iter().filter(|(_, s)| *s == "FAILED").count();
        assert_eq!(failed, 10, "{t}: {ended:?}");
        assert!(ended
            .iter()
            .all(|(_, s)| ["COMPLETED", "FAILED"].contains(s)));
        // Each line is a whole event: the task it is about, and `from` on status lines.
        for v in &lines {
            assert_eq!(v["task"]["id"], v["id"], "{t}: {v}");
            if v["event"] == "status" {
                assert!(v.get("from").is_some(), "{t}: {v}");
            }
        }
        assert!(stderr(&o).contains("50 task(s) followed: 50 ended (40 COMPLETED, 10 FAILED)"));
        // The mock's count: one bulk get a sweep (50 ids fit in one), each with the ids still
        // followed, never a GET per task, and one free probe of the rate limit at the start.
        let bulk = requests(&mock, since, Route::BulkGet);
        let sizes: Vec<usize> = bulk.iter().map(ids_in).collect();
        assert_eq!(sizes.first(), Some(&50), "{t}: {sizes:?}");
        assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{t}: {sizes:?}");
        assert!(requests(&mock, since, Route::GetTask).is_empty(), "{t}");
        assert_eq!(requests(&mock, since, Route::RateLimit).len(), 1, "{t}");
        // One GET per task per poll would have cost one request per task refreshed.
        let refreshed: usize = sizes.iter().sum();
        assert!(
            bulk.len() >= 2 && bulk.len() * 10 <= refreshed,
            "{t}: {} requests for {refreshed} refreshes: {sizes:?}",
            bulk.len()
        );
    }
}

#[test]
fn watch_of_250_tasks_sweeps_in_ceil_n_over_100_requests_and_exits_0_when_all_completed() {
    let mock = mock(1);
    let home = Home::new();
    for (k, t) in TRANSPORTS.into_iter().enumerate() {
        let f = fleet(&mock, 250, 3_000, 0.0, 20 + k as u64);
        let since = next_seq(&mock);
        // An interval longer than one sweep takes (3 requests, paced ~0.5 s apart at the
        // default share of the mock's 1000 / 300 s), so that the first sweep is all fresh ids.
        let o = sbg(&home, &watch_args(&mock, t, &f.ids, &["--interval", "2"]));
        assert_code(&o, 0);
        // Without --json and off a terminal: one readable line per event.
        let out = stdout(&o);
        let ended: Vec<&str> = out.lines().filter(|l| l.starts_with("ended ")).collect();
        assert_eq!(ended.len(), 250, "{t}:\n{out}");
        assert!(ended.iter().all(|l| l.contains(" COMPLETED")), "{t}");
        assert!(
            out.lines().all(|l| ["status ", "progress ", "ended "]
                .iter()
                .any(|p| l.starts_with(p))),
            "{t}:\n{out}"
        );
        let sizes: Vec<usize> = requests(&mock, since, Route::BulkGet)
            .iter()
            .map(ids_in)
            .collect();
        assert_eq!(sizes.get(..3), Some(&[100, 100, 50][..]), "{t}: {sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 100), "{t}: {sizes:?}");
    }
}

#[test]
fn watch_parent_reports_each_child_ending_once_and_its_changes_from_listings() {
    let mock = mock(1);
    let home = Home::new();
    for (k, t) in TRANSPORTS.into_iter().enumerate() {
        let f = mock.control().spawn_fleet(
            FleetSpec::new(150, Duration::from_millis(2_000))
                .fail_ratio(0.1)
                .seed(30 + k as u64)
                .batch_parent(true),
        );
        let parent = f.parent.clone().expect("a batch parent");
        let since = next_seq(&mock);
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["watch", "--parent", &parent, "--json", "--interval", "0.2"],
            ),
        );
        assert_code(&o, 5);
        let lines = json_lines(&o);
        let children = events(&lines, "child_ended");
        let ids: HashSet<&str> = children.iter().map(|(id, _)| *id).collect();
        assert_eq!(children.len(), 150, "{t}: once per child");
        assert_eq!(ids, f.ids.iter().map(String::as_str).collect(), "{t}");
        let failed = children.iter().filter(|(_, s)| *s == "FAILED").count();
        assert_eq!(failed, f.failing, "{t}");
        assert!(lines
            .iter()
            .filter(|v| v["event"] == "child_ended")
            .all(|v| v["parent"] == parent.as_str()));
        assert_eq!(
            events(&lines, "ended"),
            [(parent.as_str(), "FAILED")],
            "{t}"
        );
        // A child's other changes: each once, never an ending.
        let changes: Vec<&Value> = lines
            .iter()
            .filter(|v| v["event"] == "child_status")
            .collect();
        let mut seen = HashSet::new();
        for v in &changes {
            let id = v["id"].as_str().unwrap();
            assert!(f.ids.iter().any(|c| c == id), "{t}: {v}");
            assert!(["QUEUED", "RUNNING"].contains(&v["status"].as_str().unwrap()));
            assert!(seen.insert((id, v["status"].as_str())), "{t}: twice: {v}");
        }
        // The parent is one id a sweep; its children are listed (pages of 100, with a short
        // field list) when a sweep saw its counts move, and again a little later while the
        // listings show fewer changes than the counts (a lagging listing).
        let bulk = requests(&mock, since, Route::BulkGet);
        assert!(bulk.iter().all(|e| ids_in(e) == 1), "{t}");
        let lists = requests(&mock, since, Route::ListTasks);
        assert!(
            !lists.is_empty() && lists.len() <= 4 * bulk.len() + 4,
            "{t}: {} listings, {} sweeps",
            lists.len(),
            bulk.len()
        );
        assert!(lists.iter().all(|e| e
            .query
            .as_deref()
            .is_some_and(|q| q.contains("parent=") && q.contains("fields="))));
    }
}

#[test]
fn an_unknown_id_is_reported_gone_and_exits_3_and_the_others_are_still_followed() {
    let mock = mock(1);
    let home = Home::new();
    for (k, t) in TRANSPORTS.into_iter().enumerate() {
        let f = fleet(&mock, 3, 500, 0.0, 40 + k as u64);
        let mut ids = f.ids.clone();
        ids.push("00000000-0000-4000-8000-000000000000".to_owned());
        let o = sbg(
            &home,
            &watch_args(&mock, t, &ids, &["--json", "--interval", "0.2"]),
        );
        assert_code(&o, 3);
        let lines = json_lines(&o);
        let gone: Vec<&Value> = lines.iter().filter(|v| v["event"] == "gone").collect();
        assert_eq!(gone.len(), 1, "{t}");
        assert_eq!(gone[0]["id"], "00000000-0000-4000-8000-000000000000");
        assert_eq!(gone[0]["error"]["status"], 404);
        assert_eq!(events(&lines, "ended").len(), 3, "{t}");
        assert!(
            stderr(&o).contains("1 of 4 id(s) are unknown"),
            "{t}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn watch_project_follows_the_project_by_listings_and_reports_each_ending_once() {
    let mock = mock(1);
    let home = Home::new();
    for (k, t) in TRANSPORTS.into_iter().enumerate() {
        let project = format!("watch/proj-{k}");
        let f = mock.control().spawn_fleet(
            FleetSpec::new(300, Duration::from_millis(5_000))
                .fail_ratio(0.0)
                .seed(50 + k as u64)
                .project(project.clone()),
        );
        let since = next_seq(&mock);
        // At --interval 3 (the feed's own), 300 tasks cost fewer requests by listings.
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["watch", "--project", &project, "--json", "--interval", "3"],
            ),
        );
        assert_code(&o, 0);
        let lines = json_lines(&o);
        let ended = events(&lines, "ended");
        let fleet_ids: HashSet<&str> = f.ids.iter().map(String::as_str).collect();
        let ended_ids: HashSet<&str> = ended.iter().map(|(id, _)| *id).collect();
        assert_eq!(ended_ids.len(), ended.len(), "{t}: once each");
        assert!(ended_ids.is_subset(&fleet_ids), "{t}");
        // Tasks that ended before the project was first listed are not followed.
        assert!(
            ended.len() > 200,
            "{t}: most of a fleet spread over 5 s is followed: {}",
            ended.len()
        );
        assert!(ended.iter().all(|(_, s)| *s == "COMPLETED"), "{t}");
        // Each task followed was first seen in a listing of the project: open (a status
        // event), or ended since the watch began (an ended event only).
        let first: HashSet<&str> = lines
            .iter()
            .filter(|v| v["event"] == "status" && v["from"].is_null())
            .filter_map(|v| v["id"].as_str())
            .chain(ended_ids.iter().copied())
            .collect();
        assert!(first.is_subset(&fleet_ids), "{t}");
        // The endings came from listings of the project (a short field list, by end time),
        // not from bulk gets.
        let lists = requests(&mock, since, Route::ListTasks);
        let feed: Vec<&str> = lists
            .iter()
            .filter_map(|e| e.query.as_deref())
            .filter(|q| q.contains("ended_from="))
            .collect();
        assert!(!feed.is_empty(), "{t}: {lists:?}");
        for q in &feed {
            assert!(q.contains("project=watch%2Fproj-") && q.contains("order_by=end_time"));
            assert!(
                q.contains("fields=id%2Cname%2Cstatus%2Cproject")
                    || q.contains("fields=id,name,status,project"),
                "{q}"
            );
        }
        assert!(
            requests(&mock, since, Route::BulkGet).is_empty(),
            "{t}: no bulk get"
        );
        assert!(
            stderr(&o).contains(&format!("{} task(s) followed", first.len())),
            "{t}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn wait_of_several_ids_prints_one_line_each_in_order_with_the_watch_exit_codes() {
    let mock = mock(1);
    let home = Home::new();
    for (k, t) in TRANSPORTS.into_iter().enumerate() {
        let f = fleet(&mock, 20, 1_000, 0.25, 60 + k as u64);
        let since = next_seq(&mock);
        let mut args = vec!["wait", "--interval", "0.2", "--json"];
        args.extend(f.ids.iter().map(String::as_str));
        let o = sbg(&home, &net(&mock, t, &args));
        assert_code(&o, 5);
        let lines = json_lines(&o);
        let order: Vec<&str> = lines.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(
            order,
            f.ids.iter().map(String::as_str).collect::<Vec<_>>(),
            "{t}"
        );
        let statuses: HashMap<&str, usize> = lines.iter().fold(HashMap::new(), |mut m, v| {
            *m.entry(v["status"].as_str().unwrap()).or_default() += 1;
            m
        });
        assert_eq!(statuses.get("FAILED"), Some(&5), "{t}: {statuses:?}");
        assert_eq!(statuses.get("COMPLETED"), Some(&15), "{t}: {statuses:?}");
        assert!(
            requests(&mock, since, Route::GetTask).is_empty(),
            "{t}: bulk gets only"
        );

        // All COMPLETED: exit 0, readable lines and a summary.
        let f = fleet(&mock, 5, 500, 0.0, 70 + k as u64);
        let mut args = vec!["wait", "--interval", "0.2"];
        args.extend(f.ids.iter().map(String::as_str));
        let o = sbg(&home, &net(&mock, t, &args));
        assert_code(&o, 0);
        let out = stdout(&o);
        for (line, id) in out.lines().zip(&f.ids) {
            assert!(
                line.starts_with(id.as_str()) && line.contains("COMPLETED"),
                "{t}:\n{out}"
            );
        }
        assert!(
            out.contains("5 task(s) followed: 5 ended (5 COMPLETED)"),
            "{t}:\n{out}"
        );

        // An unknown id: its error line, exit 3.
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &[
                    "wait",
                    "--interval",
                    "0.2",
                    &f.ids[0],
                    "00000000-0000-4000-8000-00000000abcd",
                ],
            ),
        );
        assert_code(&o, 3);
        assert!(
            stdout(&o).contains("00000000-0000-4000-8000-00000000abcd   error 404"),
            "{t}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn wait_of_several_ids_times_out_with_exit_4() {
    let mock = mock(1);
    let home = Home::new();
    // Tasks that end in an hour: the timeout comes first.
    let f = fleet(&mock, 3, 3_600_000, 0.0, 80);
    let mut args = vec!["wait", "--interval", "0.2", "--timeout", "0.5"];
    args.extend(f.ids.iter().map(String::as_str));
    let o = sbg(&home, &net(&mock, "blocking", &args));
    assert_code(&o, 4);
    assert!(
        stderr(&o).contains("3 of 3 task(s) had not ended"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        stdout(&o).matches("(not ended)").count(),
        3,
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_watch_flags_are_usage_errors_and_help_documents_events_and_exit_codes() {
    let mock = mock(1);
    let home = Home::new();
    let id = GET_TASK_ID;
    for extra in [
        &["--budget-share", "0"][..],
        &["--budget-share", "1.5"],
        &["--interval", "-1"],
    ] {
        let mut args = vec!["watch", id];
        args.extend(extra);
        let o = sbg(&home, &net(&mock, "blocking", &args));
        assert_code(&o, 2);
    }
    let o = sbg(&home, &net(&mock, "blocking", &["watch"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("nothing to watch"), "{}", stderr(&o));
    let o = sbg(&home, &["watch", "--help"]);
    assert_code(&o, 0);
    let help = stdout(&o);
    for needle in [
        "\"event\": \"child_ended\"",
        "\"from\"",
        "--budget-share",
        "--parent",
        "5 when any ended FAILED or ABORTED",
        "3 when an id is unknown",
    ] {
        assert!(help.contains(needle), "missing {needle:?} in\n{help}");
    }
}
