//! Bulk actions from the command line, against the mock on loopback: each command's bulk
//! form, the dry run, JSON lines, resuming (after a finished run, and after the process was
//! killed), and the exit codes.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use sbg_tasks_mock::{Fault, FleetSpec, MockHandle, MockServer, Route, Scope};
use serde_json::{json, Value};

/// A mock accepting [`TOKEN`], without the examples.
fn bare_mock() -> MockHandle {
    MockServer::builder()
        .token(TOKEN)
        .start_blocking()
        .expect("the mock starts")
}

/// `n` tasks that have ended FAILED in a fleet project (or, with `parent`, as children of a
/// batch task): (project, parent, ids).
fn failed(mock: &MockHandle, n: usize, parent: bool) -> (String, Option<String>, Vec<String>) {
    let fleet = mock.spawn_fleet(
        FleetSpec::new(n, Duration::from_millis(20))
            .fail_ratio(1.0)
            .batch_parent(parent),
    );
    std::thread::sleep(Duration::from_millis(150));
    (fleet.project, fleet.parent, fleet.ids)
}

/// `n` DRAFTs in `project`; their ids.
fn drafts(mock: &MockHandle, project: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            mock.insert_task(json!({
                "name": format!("draft {i}"),
                "project": project,
                "app": format!("{project}/echo/0"),
                "status": "DRAFT",
                "inputs": {"threads": i},
            }))
            .unwrap()
        })
        .collect()
}

fn status(mock: &MockHandle, id: &str) -> Option<String> {
    mock.task(id)
        .map(|t| t["status"].as_str().unwrap_or("").to_owned())
}

/// The binary with `args` against `mock` over the blocking transport.
fn blocking(home: &Home, mock: &MockHandle, args: &[&str]) -> std::process::Output {
    sbg(home, &net(mock, "blocking", args))
}

/// The JSON objects of stdout, one a line.
fn lines(o: &std::process::Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The journal path the CLI printed on stderr.
fn journal_of(o: &std::process::Output) -> PathBuf {
    let err = stderr(o);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("journal: "))
        .unwrap_or_else(|| panic!("no journal path on stderr:\n{err}"));
    PathBuf::from(line)
}

#[test]
fn rerun_of_a_batchs_failed_children_copies_and_runs_each_once_and_a_second_run_sends_nothing() {
    for t in TRANSPORTS {
        let mock = bare_mock();
        let home = Home::new();
        let (_, parent, children) = failed(&mock, 4, true);
        let parent = parent.unwrap();
        let args = [
            "rerun", "--parent", &parent, "--status", "FAILED", "--run", "--json",
        ];
        let o = sbg(&home, &net(&mock, t, &args));
        assert_code(&o, 0);
        assert_no_token(&o);
        let out = lines(&o);
        assert_eq!(out.len(), children.len(), "{t}: {}", stdout(&o));
        let copies = mock.copies();
        for line in &out {
            assert_eq!(line["outcome"], "done", "{t}: {line}");
            assert_eq!(line["earlier"], false);
            let original = line["original"].as_str().unwrap();
            assert!(children.iter().any(|c| c == original), "{line}");
            let of: Vec<_> = copies.iter().filter(|c| c.original == original).collect();
            assert_eq!(of.len(), 1, "{t}: one copy of {original}: {of:?}");
            assert!(of[0].ran, "{t}: the copy ran");
            assert_eq!(line["copy"], of[0].id.as_str());
        }
        // The journal is where the state directory says, named after the endpoint.
        let journal = journal_of(&o);
        assert!(
            journal.starts_with(home.path().join(".local/state/sbg-tasks")),
            "{}",
            journal.display()
        );
        assert!(journal.exists());
        assert!(
            stderr(&o).contains("4 done, 0 skipped, 0 failed"),
            "{}",
            stderr(&o)
        );
        // The same command again: the finished action's outcomes, nothing sent.
        let (clones, runs) = (
            mock.requests_to(Route::CloneTask),
            mock.requests_to(Route::RunTask),
        );
        let again = sbg(&home, &net(&mock, t, &args));
        assert_code(&again, 0);
        assert_eq!(journal_of(&again), journal);
        let out = lines(&again);
        assert_eq!(out.len(), children.len());
        assert!(
            out.iter().all(|l| l["earlier"] == true),
            "{}",
            stdout(&again)
        );
        assert_eq!(
            (
                mock.requests_to(Route::CloneTask),
                mock.requests_to(Route::RunTask)
            ),
            (clones, runs),
            "{t}: a finished action sends nothing"
        );
        assert!(stderr(&again).contains("0 request(s) sent by this run"));
        assert_eq!(mock.copies().len(), children.len());
        // A dry run of the finished action reads its journal: nothing left to do.
        let mut dry = args.to_vec();
        dry.push("--dry-run");
        let o = sbg(&home, &net(&mock, t, &dry));
        assert_code(&o, 0);
        let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            (&plan["resumed"], &plan["requests"]),
            (&json!(true), &json!(0))
        );
        let tasks = plan["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), children.len());
        assert!(tasks.iter().all(|t| t["plan"] == "finished"), "{plan}");
        assert_eq!(mock.requests_to(Route::CloneTask), clones);
    }
}

#[test]
fn a_dry_run_prints_the_plan_and_changes_nothing() {
    let mock = bare_mock();
    let home = Home::new();
    let ids = drafts(&mock, "me/dry", 3);
    let o = blocking(
        &home,
        &mock,
        &[
            "delete",
            "--project",
            "me/dry",
            "--status",
            "DRAFT",
            "--dry-run",
        ],
    );
    assert_code(&o, 0);
    let out = stdout(&o);
    for id in &ids {
        assert!(out.contains(id.as_str()), "{out}");
        assert_eq!(status(&mock, id).as_deref(), Some("DRAFT"));
    }
    assert!(out.contains("draft 0") && out.contains("draft 2"), "{out}");
    assert!(out.contains("3 to do"), "{out}");
    assert!(out.contains("requests: 3 to act"), "{out}");
    assert!(out.contains("time: within the current window"), "{out}");
    assert_eq!(mock.requests_to(Route::DeleteTask), 0);
    // Nothing recorded: no journal was made.
    assert!(!home.path().join(".local/state").exists());
    // JSON, with a window nearly spent: the time is the reset's.
    let o = sbg(
        &home,
        &net(
            &mock,
            "async",
            &[
                "delete",
                "--project",
                "me/dry",
                "--status",
                "DRAFT",
                "--dry-run",
                "--json",
            ],
        ),
    );
    assert_code(&o, 0);
    let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(plan["action"], "delete");
    assert_eq!(plan["requests"], 3);
    assert_eq!(plan["listings"], 1);
    assert_eq!(plan["seconds"], 0);
    assert_eq!(plan["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(plan["tasks"][0]["plan"], "to_do");
    assert_eq!(plan["tasks"][0]["status"], "DRAFT");
    assert!(plan["rate_limit"]["limit"].as_u64().unwrap() > 0, "{plan}");
    assert_eq!(mock.requests_to(Route::DeleteTask), 0);
    assert_eq!(mock.task_count(), 3);
}

#[test]
fn a_dry_run_at_a_spent_budget_says_how_long_the_plan_takes() {
    let mock = MockServer::builder()
        .token(TOKEN)
        .rate_limit(4, Duration::from_secs(60))
        .start_blocking()
        .unwrap();
    let home = Home::new();
    let (project, _, _) = failed(&mock, 5, false);
    let o = blocking(
        &home,
        &mock,
        &[
            "rerun",
            "--project",
            &project,
            "--status",
            "FAILED",
            "--run",
            "--dry-run",
            "--json",
        ],
    );
    assert_code(&o, 0);
    let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
    // 10 requests, 3 left of 4 after the listing: 7 more need two more windows of the 60 s
    // the client learned from the first answer: the reset (about a minute), then one whole
    // window.
    assert_eq!(plan["requests"], 10);
    assert_eq!(plan["rate_limit"]["remaining"], 3);
    let secs = plan["seconds"].as_u64().unwrap();
    assert!((115..=121).contains(&secs), "{plan}");
    assert_eq!(mock.requests_to(Route::CloneTask), 0);
}

#[test]
fn run_update_delete_and_abort_act_on_what_they_select_and_skip_the_rest() {
    let mock = bare_mock();
    let home = Home::new();
    // run: the DRAFTs of a project.
    let to_run = drafts(&mock, "me/run", 2);
    let o = blocking(
        &home,
        &mock,
        &["run", "--project", "me/run", "--status", "DRAFT"],
    );
    assert_code(&o, 0);
    for id in &to_run {
        assert_ne!(
            status(&mock, id).as_deref(),
            Some("DRAFT"),
            "{}",
            stdout(&o)
        );
        assert!(
            stdout(&o).contains(&format!("done     {id}")),
            "{}",
            stdout(&o)
        );
    }
    // update: rename the DRAFTs of a project, with the single-task command's flags.
    let to_name = drafts(&mock, "me/upd", 2);
    let o = blocking(
        &home,
        &mock,
        &[
            "update",
            "--project",
            "me/upd",
            "--status",
            "DRAFT",
            "--name",
            "renamed",
            "--input",
            "threads=9",
        ],
    );
    assert_code(&o, 0);
    for id in &to_name {
        let task = mock.task(id).unwrap();
        assert_eq!(task["name"], "renamed");
        assert_eq!(task["inputs"]["threads"], 9);
    }
    // delete: the DRAFTs of a project.
    let to_delete = drafts(&mock, "me/del", 3);
    let o = blocking(
        &home,
        &mock,
        &["delete", "--project", "me/del", "--status", "DRAFT"],
    );
    assert_code(&o, 0);
    assert!(to_delete.iter().all(|id| mock.task(id).is_none()));
    // abort: several ids; one has ended already and is skipped with its status.
    let running = mock.spawn_fleet(FleetSpec::new(2, Duration::from_secs(600)));
    let (_, _, done) = failed(&mock, 1, false);
    let mut args = vec!["abort", "--json"];
    args.extend(running.ids.iter().map(String::as_str));
    args.push(&done[0]);
    let o = blocking(&home, &mock, &args);
    assert_code(&o, 0);
    let out = lines(&o);
    assert_eq!(out.len(), 3);
    for id in &running.ids {
        assert_eq!(status(&mock, id).as_deref(), Some("ABORTED"));
    }
    let skipped = out
        .iter()
        .find(|l| l["original"] == done[0].as_str())
        .unwrap();
    assert_eq!(skipped["outcome"], "skipped");
    assert_eq!(skipped["status"], "FAILED");
    // rerun without --run: each copy stays a DRAFT.
    let (project, _, originals) = failed(&mock, 2, false);
    let o = blocking(
        &home,
        &mock,
        &["rerun", "--project", &project, "--status", "failed"],
    );
    assert_code(&o, 0);
    let copies = mock.copies();
    assert_eq!(copies.len(), 2);
    for c in &copies {
        assert!(originals.contains(&c.original));
        assert_eq!((c.status.as_str(), c.ran), ("DRAFT", false));
    }
    // abort --project P --status QUEUED.
    let queued = mock.spawn_fleet(FleetSpec::new(3, Duration::from_secs(600)));
    let o = blocking(
        &home,
        &mock,
        &["abort", "--project", &queued.project, "--status", "QUEUED"],
    );
    assert_code(&o, 0);
    for id in &queued.ids {
        assert_eq!(status(&mock, id).as_deref(), Some("ABORTED"));
    }
}

#[test]
fn the_single_task_forms_are_unchanged_and_bulk_mistakes_are_usage_errors() {
    let mock = bare_mock();
    let home = Home::new();
    let id = drafts(&mock, "me/one", 1).remove(0);
    // One id, no bulk flag: the task itself is printed, as before.
    let o = blocking(&home, &mock, &["run", &id, "--json"]);
    assert_code(&o, 0);
    let task: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(task["id"], id.as_str());
    assert!(!stderr(&o).contains("journal:"));
    for args in [
        &["rerun", "--status", "FAILED", id.as_str()][..],
        &["rerun", "--project", "me/one"],
        &[
            "rerun",
            "--project",
            "me/one",
            "--parent",
            id.as_str(),
            "--status",
            "FAILED",
        ],
        &[
            "run",
            "--project",
            "me/one",
            "--status",
            "DRAFT",
            "--no-batch",
        ],
        &["abort", "--project", "me/one", "--status", "NOT-A-STATUS"],
        &[
            "delete",
            "--project",
            "me/one",
            "--status",
            "DRAFT",
            "--ended-to",
            "soon",
        ],
        &["update", "--project", "me/one", "--status", "DRAFT"],
        &["delete"],
    ] {
        let o = sbg(&home, &net(&mock, "blocking", args));
        assert_code(&o, 2);
    }
    assert_eq!(mock.request_count(), 1, "no usage mistake sent anything");
}

#[test]
fn exit_codes_tell_api_failures_from_network_ones_and_a_journal_of_another_action() {
    let mock = bare_mock();
    let home = Home::new();
    // The platform refuses every run: each task failed with its answer, exit 3.
    let ids = drafts(&mock, "me/api", 2);
    mock.inject(
        Fault::Status {
            status: 403,
            code: 9999,
        },
        Scope::Route(Route::RunTask),
    );
    let o = blocking(&home, &mock, &["run", "--json", &ids[0], &ids[1]]);
    assert_code(&o, 3);
    for l in lines(&o) {
        assert_eq!(l["outcome"], "failed");
        assert_eq!(l["error"]["status"], 403, "{l}");
        assert_eq!(l["error"]["code"], 9999, "{l}");
    }
    assert!(
        stderr(&o).contains("2 of 2 task(s) failed"),
        "{}",
        stderr(&o)
    );
    mock.clear_faults();
    // The same command again: failed for good, nothing sent; with --retries 1 they are
    // tried again (the journal is the same: --retries is not part of the action).
    let runs = mock.requests_to(Route::RunTask);
    let o = blocking(&home, &mock, &["run", "--json", &ids[0], &ids[1]]);
    assert_code(&o, 3);
    assert_eq!(mock.requests_to(Route::RunTask), runs);
    let o = blocking(&home, &mock, &["run", "--retries", "1", &ids[0], &ids[1]]);
    assert_code(&o, 0);
    assert_eq!(mock.requests_to(Route::RunTask), runs + 2);
    assert!(ids
        .iter()
        .all(|id| status(&mock, id).as_deref() != Some("DRAFT")));
    // Every connection to run is cut: network failures only, exit 4.
    let ids = drafts(&mock, "me/net", 1);
    mock.inject(Fault::DropBeforeRead, Scope::Route(Route::RunTask));
    let o = blocking(
        &home,
        &mock,
        &["run", "--json", "--request-timeout", "2", &ids[0], &ids[0]],
    );
    assert_code(&o, 4);
    let l = &lines(&o)[0];
    assert_eq!(
        (l["outcome"].as_str(), &l["error"]["status"]),
        (Some("failed"), &Value::Null)
    );
    mock.clear_faults();
    // A journal given for one action and used by another: a usage error, nothing sent.
    let journal = home.path().join("j.sqlite");
    let j = journal.to_str().unwrap();
    let ids = drafts(&mock, "me/j", 1);
    let o = blocking(&home, &mock, &["run", "--journal", j, &ids[0]]);
    assert_code(&o, 0);
    let before = mock.request_count();
    let o = blocking(&home, &mock, &["delete", "--journal", j, &ids[0]]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("another bulk action"), "{}", stderr(&o));
    assert_eq!(mock.request_count(), before);
}

#[test]
fn a_run_killed_halfway_resumes_and_reruns_each_task_once() {
    // 20 requests a second: 30 tasks (60 requests and a listing) take about 3 s, time to kill.
    let mock = MockServer::builder()
        .token(TOKEN)
        .rate_limit(20, Duration::from_secs(1))
        .start_blocking()
        .unwrap();
    let home = Home::new();
    let (project, _, originals) = failed(&mock, 30, false);
    let journal = home.path().join("rerun.sqlite");
    let args = net(
        &mock,
        "blocking",
        &[
            "rerun",
            "--project",
            &project,
            "--status",
            "FAILED",
            "--run",
            "--json",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_sbg-tasks"))
        .env_clear()
        .env("HOME", home.path())
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) after its third outcome.
    let mut seen = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        assert_eq!(v["outcome"], "done");
        seen += 1;
        if seen == 3 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(seen, 3);
    let before = mock.copies();
    assert!(
        before.len() < originals.len(),
        "killed before the end: {}",
        before.len()
    );
    let o = sbg(&home, &args);
    assert_code(&o, 0);
    let out = lines(&o);
    assert_eq!(out.len(), originals.len());
    assert!(out.iter().filter(|l| l["earlier"] == true).count() >= 3);
    let copies = mock.copies();
    for id in &originals {
        let of: Vec<_> = copies.iter().filter(|c| &c.original == id).collect();
        assert_eq!(of.len(), 1, "{id}: {of:?}");
        assert!(of[0].ran);
    }
    assert_eq!(copies.len(), originals.len());
}
