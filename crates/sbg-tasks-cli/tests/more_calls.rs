//! The calls beyond the first ones, end to end against the mock: `update`, `delete`,
//! `inputs`, `get` of several ids (bulk), `rate-limit`, and `list` with its fields and filters.

mod common;

use std::time::Duration;

use common::*;
use sbg_tasks_mock::{Fault, MockHandle, Route, Scope};
use sbg_tasks_proto::decode::decode_strict;
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::Task;
use serde_json::{json, Value};

fn json_task(o: &std::process::Output) -> Task {
    decode_strict(&o.stdout).unwrap_or_else(|e| panic!("stdout is not a task: {e}\n{}", stdout(o)))
}

fn json_value(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", stdout(o)))
}

/// A DRAFT in project `demo/more` with two inputs; its id.
fn draft(mock: &MockHandle, name: &str) -> String {
    mock.insert_task(json!({
        "name": name,
        "project": "demo/more",
        "app": "demo/more/echo/0",
        "status": "DRAFT",
        "inputs": {"threads": 2, "label": "first"},
    }))
    .unwrap()
}

/// The member `key` of the mock's stored task `id`.
fn stored(mock: &MockHandle, id: &str, key: &str) -> Value {
    mock.task(id).unwrap_or_else(|| panic!("no task {id}"))[key].clone()
}

#[test]
fn update_sends_every_flag_and_prints_the_task_over_both_transports() {
    let mock = mock(3);
    let home = Home::new();
    let file = home.path().join("inputs.json");
    // The file's `threads` loses to --input; its `reads` is kept.
    std::fs::write(
        &file,
        r#"{"threads": 1, "reads": {"class": "File", "path": "5f0d2a1a2a1b2c3d4e5f6a7b"}}"#,
    )
    .unwrap();
    for t in TRANSPORTS {
        let id = draft(&mock, "before");
        let patches = mock.requests_to(Route::ModifyTask);
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &[
                    "update",
                    &id,
                    "--name",
                    "after",
                    "--description",
                    "changed by the cli",
                    "--inputs-file",
                    file.to_str().unwrap(),
                    "--input",
                    "threads=8",
                    "--input",
                    "label=null",
                    "--instance-type",
                    "c5.2xlarge",
                    "--max-parallel-instances",
                    "3",
                    "--memoization",
                    "true",
                    "--elastic-disk",
                    "false",
                    "--interruptible",
                    "false",
                    "--output-location",
                    r#"{"main_location": "volumes://demo/out"}"#,
                    "--json",
                ],
            ),
        );
        assert_code(&o, 0);
        assert_no_token(&o);
        assert_eq!(mock.requests_to(Route::ModifyTask), patches + 1, "{t}");
        let task = json_task(&o);
        assert_eq!(task.name.as_deref(), Some("after"), "{t}");
        assert_eq!(task.status, Some(TaskStatus::Draft), "{t}");
        // What the mock stored is what the flags said.
        assert_eq!(stored(&mock, &id, "description"), "changed by the cli");
        assert_eq!(
            stored(&mock, &id, "inputs"),
            json!({"threads": 8, "label": null,
                   "reads": {"class": "File", "path": "5f0d2a1a2a1b2c3d4e5f6a7b"}}),
            "{t}"
        );
        assert_eq!(
            stored(&mock, &id, "execution_settings"),
            json!({"instance_type": "c5.2xlarge", "max_parallel_instances": 3,
                   "use_memoization": true, "use_elastic_disk": false}),
            "{t}"
        );
        assert_eq!(stored(&mock, &id, "use_interruptible_instances"), false);
        assert_eq!(
            stored(&mock, &id, "output_location"),
            json!({"main_location": "volumes://demo/out"})
        );

        // Readable: the summary, with the new name.
        let o = sbg(
            &home,
            &net(&mock, t, &["update", &id, "--name", "again", "--no-batch"]),
        );
        assert_code(&o, 0);
        assert!(
            stdout(&o).contains(&format!("task {id}  \"again\"")),
            "{t}: {}",
            stdout(&o)
        );
        assert_eq!(stored(&mock, &id, "batch"), false, "{t}");

        // A COMPLETED task can be renamed, nothing more (7026, exit 3).
        let o = sbg(
            &home,
            &net(&mock, t, &["update", GET_TASK_ID, "--name", "renamed"]),
        );
        assert_code(&o, 0);
        assert_eq!(stored(&mock, GET_TASK_ID, "name"), "renamed");
        let o = sbg(
            &home,
            &net(&mock, t, &["update", GET_TASK_ID, "--memoization", "true"]),
        );
        assert_code(&o, 3);
        assert!(
            stderr(&o).contains("code:        7026"),
            "{t}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn update_and_inputs_mistakes_are_usage_errors_and_send_nothing() {
    let mock = mock(3);
    let home = Home::new();
    let id = draft(&mock, "untouched");
    let array = home.path().join("array.json");
    std::fs::write(&array, "[1, 2]").unwrap();
    let before = mock.request_count();
    for (args, says) in [
        (vec!["update", &id], "nothing to change"),
        (
            vec!["update", &id, "--input", "threads"],
            "is not PORT=JSON",
        ),
        (vec!["update", &id, "--input", "=8"], "has no port name"),
        (
            vec!["update", &id, "--input", "label=bare words"],
            "--input label:",
        ),
        (
            vec!["update", &id, "--output-location", "{nope"],
            "--output-location",
        ),
        (
            vec!["update", &id, "--inputs-file", array.to_str().unwrap()],
            "not a JSON object",
        ),
        (vec!["update", "../x", "--name", "n"], "invalid task id"),
        (vec!["inputs", &id, "--set", "threads"], "is not PORT=JSON"),
        (vec!["inputs", &id, "--set", "threads=x"], "--set threads:"),
    ] {
        let o = sbg(&home, &net(&mock, "blocking", &args));
        assert_code(&o, 2);
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    // A value clap refuses is a usage error too.
    let o = sbg(
        &home,
        &net(
            &mock,
            "blocking",
            &["update", &id, "--memoization", "maybe"],
        ),
    );
    assert_code(&o, 2);
    // A file that cannot be read: exit 1.
    let missing = home.path().join("missing.json");
    let o = sbg(
        &home,
        &net(
            &mock,
            "blocking",
            &["update", &id, "--inputs-file", missing.to_str().unwrap()],
        ),
    );
    assert_code(&o, 1);
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
    assert_eq!(mock.request_count(), before, "a mistake sent a request");
    assert_eq!(stored(&mock, &id, "name"), "untouched");
}

#[test]
fn delete_says_deleted_then_the_task_is_gone() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        let id = draft(&mock, "to delete");
        let o = sbg(&home, &net(&mock, t, &["delete", &id]));
        assert_code(&o, 0);
        assert_eq!(stdout(&o), format!("task {id} deleted\n"), "{t}");
        assert!(mock.task(&id).is_none(), "{t}");
        // Twice: no such task any more (no earlier attempt of this call deleted it).
        let o = sbg(&home, &net(&mock, t, &["delete", &id]));
        assert_code(&o, 3);
        assert!(
            stderr(&o).contains("code:        7002"),
            "{t}: {}",
            stderr(&o)
        );

        let id = draft(&mock, "to delete, json");
        let o = sbg(&home, &net(&mock, t, &["delete", &id, "--json"]));
        assert_code(&o, 0);
        assert_eq!(
            json_value(&o),
            json!({"id": id, "result": "deleted"}),
            "{t}"
        );

        // Only a DRAFT: 7010.
        let o = sbg(&home, &net(&mock, t, &["delete", GET_TASK_ID]));
        assert_code(&o, 3);
        assert!(
            stderr(&o).contains("code:        7010"),
            "{t}: {}",
            stderr(&o)
        );
        assert!(mock.task(GET_TASK_ID).is_some());
    }
}

#[test]
fn delete_whose_answer_was_lost_is_already_gone() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        let id = draft(&mock, "deleted, answer lost");
        // The first attempt deletes the task and the connection closes without an answer;
        // the retry finds no such task.
        mock.inject(Fault::DropAfterRead, Scope::RouteNext(Route::DeleteTask, 1));
        let before = mock.requests_to(Route::DeleteTask);
        let o = sbg(&home, &net(&mock, t, &["delete", &id, "--json"]));
        assert_code(&o, 0);
        assert_eq!(
            json_value(&o),
            json!({"id": id, "result": "already_gone"}),
            "{t}"
        );
        assert_eq!(mock.requests_to(Route::DeleteTask), before + 2, "{t}");
        assert!(mock.task(&id).is_none());

        let id = draft(&mock, "deleted, answer lost, readable");
        mock.inject(Fault::DropAfterRead, Scope::RouteNext(Route::DeleteTask, 1));
        let o = sbg(&home, &net(&mock, t, &["delete", &id]));
        assert_code(&o, 0);
        assert!(
            stdout(&o).starts_with(&format!("task {id} already gone")),
            "{t}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn inputs_shows_the_map_and_set_changes_some_ports() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        let id = draft(&mock, "inputs");
        let o = sbg(&home, &net(&mock, t, &["inputs", &id]));
        assert_code(&o, 0);
        let out = stdout(&o);
        assert!(
            out.contains(&format!("inputs of task {id}: 2 port(s)")),
            "{out}"
        );
        assert!(out.contains("  threads  2\n"), "{t}: {out}");
        assert!(out.contains("  label    \"first\"\n"), "{t}: {out}");
        assert_eq!(
            mock.journal().last().unwrap().route,
            Route::GetInputs,
            "{t}"
        );

        let o = sbg(&home, &net(&mock, t, &["inputs", &id, "--json"]));
        assert_code(&o, 0);
        assert_eq!(
            json_value(&o),
            json!({"threads": 2, "label": "first"}),
            "{t}"
        );

        // --set: one PATCH; the answer is the whole map.
        let patches = mock.requests_to(Route::ModifyInputs);
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &[
                    "inputs",
                    &id,
                    "--set",
                    "threads=16",
                    "--set",
                    "reads=file:5f0d2a1a2a1b2c3d4e5f6a7b",
                    "--json",
                ],
            ),
        );
        assert_code(&o, 0);
        let want = json!({"threads": 16, "label": "first",
                          "reads": {"class": "File", "path": "5f0d2a1a2a1b2c3d4e5f6a7b"}});
        assert_eq!(json_value(&o), want, "{t}");
        assert_eq!(stored(&mock, &id, "inputs"), want, "{t}");
        assert_eq!(mock.requests_to(Route::ModifyInputs), patches + 1, "{t}");

        let o = sbg(
            &home,
            &net(&mock, t, &["inputs", &id, "--set", "label=null"]),
        );
        assert_code(&o, 0);
        assert!(stdout(&o).contains("3 port(s)"), "{t}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("  label    null\n"),
            "{t}: {}",
            stdout(&o)
        );

        // Only a DRAFT's inputs change (7026).
        let o = sbg(
            &home,
            &net(&mock, t, &["inputs", GET_TASK_ID, "--set", "x=1"]),
        );
        assert_code(&o, 3);
        assert!(
            stderr(&o).contains("code:        7026"),
            "{t}: {}",
            stderr(&o)
        );
    }
}

const UNKNOWN_ID: &str = "00000000-0000-4000-8000-000000000000";

#[test]
fn get_of_several_ids_is_one_bulk_request_and_an_unknown_id_exits_3() {
    let mock = mock(1000);
    let home = Home::new();
    for t in TRANSPORTS {
        let bulk = mock.requests_to(Route::BulkGet);
        let gets = mock.requests_to(Route::GetTask);
        let o = sbg(
            &home,
            &net(&mock, t, &["get", GET_TASK_ID, UNKNOWN_ID, RUN_TASK_ID]),
        );
        assert_code(&o, 3);
        assert_eq!(mock.requests_to(Route::BulkGet), bulk + 1, "{t}");
        assert_eq!(mock.requests_to(Route::GetTask), gets, "{t}");
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{t}: {out}");
        assert!(
            lines[0].starts_with(GET_TASK_ID) && lines[0].contains("COMPLETED"),
            "{t}: {out}"
        );
        assert!(
            lines[1].starts_with(UNKNOWN_ID) && lines[1].contains("error 404 (code 7002)"),
            "{t}: {out}"
        );
        assert!(lines[2].starts_with(RUN_TASK_ID), "{t}: {out}");
        assert_eq!(lines[3], "3 task(s) asked: 2 found, 1 with an error");
        assert!(
            stderr(&o).contains("1 of 3 task(s) were answered with an error"),
            "{t}: {}",
            stderr(&o)
        );

        // --json: one object per line, in order; the error item's shape.
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["get", GET_TASK_ID, UNKNOWN_ID, "not-a-uuid", "--json"],
            ),
        );
        assert_code(&o, 3);
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{t}: {out}");
        let task: Task = decode_strict(lines[0].as_bytes()).unwrap();
        assert_eq!(task.id.as_deref(), Some(GET_TASK_ID));
        assert_eq!(task.status, Some(TaskStatus::Completed));
        let e: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(e["id"], UNKNOWN_ID, "{t}: {e}");
        assert_eq!(e["error"]["status"], 404, "{t}: {e}");
        assert_eq!(e["error"]["code"], 7002, "{t}: {e}");
        assert!(e["error"]["message"].is_string(), "{t}: {e}");
        let e: Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(
            (&e["id"], &e["error"]["code"]),
            (&json!("not-a-uuid"), &json!(7005))
        );

        // Every id known: exit 0; a repeated id is answered each time.
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["get", GET_TASK_ID, RUN_TASK_ID, GET_TASK_ID, "--json"],
            ),
        );
        assert_code(&o, 0);
        let ids: Vec<String> = stdout(&o)
            .lines()
            .map(|l| decode_strict::<Task>(l.as_bytes()).unwrap().id.unwrap())
            .collect();
        assert_eq!(ids, [GET_TASK_ID, RUN_TASK_ID, GET_TASK_ID], "{t}");

        // One id: a plain GET, as before.
        let o = sbg(&home, &net(&mock, t, &["get", GET_TASK_ID]));
        assert_code(&o, 0);
        assert_eq!(mock.journal().last().unwrap().route, Route::GetTask);

        // --fields is for one id; an invalid id is refused before any request.
        let before = mock.request_count();
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["get", GET_TASK_ID, RUN_TASK_ID, "--fields", "id"],
            ),
        );
        assert_code(&o, 2);
        assert!(stderr(&o).contains("--fields"), "{}", stderr(&o));
        let o = sbg(&home, &net(&mock, t, &["get", GET_TASK_ID, "../admin"]));
        assert_code(&o, 2);
        assert_eq!(mock.request_count(), before);
    }
}

#[test]
fn get_of_250_ids_is_three_bulk_requests() {
    let mock = mock(1000);
    let home = Home::new();
    let mut ids: Vec<&str> = Vec::new();
    for i in 0..250 {
        ids.push(if i % 2 == 0 { GET_TASK_ID } else { RUN_TASK_ID });
    }
    for t in TRANSPORTS {
        let bulk = mock.requests_to(Route::BulkGet);
        let mut args = vec!["get"];
        args.extend(&ids);
        args.push("--verbose");
        let o = sbg(&home, &net(&mock, t, &args));
        assert_code(&o, 0);
        assert_eq!(mock.requests_to(Route::BulkGet), bulk + 3, "{t}");
        let traced = stderr(&o)
            .lines()
            .filter(|l| l.contains("POST /v2/bulk/tasks/get -> 200"))
            .count();
        assert_eq!(traced, 3, "{t}: {}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(out.lines().count(), 251, "{t}");
        assert!(
            out.ends_with("250 task(s) asked: 250 found, 0 with an error\n"),
            "{t}"
        );
        // In the order asked, across the requests.
        let firsts: Vec<&str> = out.lines().take(250).map(|l| &l[..36]).collect();
        assert_eq!(firsts, ids, "{t}");
    }
}

#[test]
fn list_shows_statuses_and_asks_for_the_fields_it_shows() {
    let mock = mock(1000);
    let home = Home::new();
    let draft_id = draft(&mock, "a draft");
    let parent = mock
        .insert_task(json!({
            "name": "a batch", "project": "demo/more", "app": "demo/more/echo/0",
            "status": "DRAFT", "batch": true, "batch_input": "reads",
            "batch_by": {"type": "ITEM"}, "origin": {"id": "automation-run-7"},
        }))
        .unwrap();
    for t in TRANSPORTS {
        let o = sbg(&home, &net(&mock, t, &["list", "--project", "demo/more"]));
        assert_code(&o, 0);
        let out = stdout(&o);
        for (id, name) in [(&draft_id, "a draft"), (&parent, "a batch")] {
            let line = out.lines().find(|l| l.starts_with(id.as_str())).unwrap();
            assert!(line.contains(" DRAFT "), "{t}: {line:?}");
            assert!(line.ends_with(name), "{t}: {line:?}");
        }
        let q = mock.journal().last().unwrap().query.clone().unwrap();
        assert!(q.contains("fields=id,name,status,created_time"), "{t}: {q}");

        // --fields overrides: no status asked, none shown.
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["list", "--project", "demo/more", "--fields", "id,name"],
            ),
        );
        assert_code(&o, 0);
        assert!(!stdout(&o).contains("DRAFT"), "{t}: {}", stdout(&o));
        let q = mock.journal().last().unwrap().query.clone().unwrap();
        assert!(
            q.contains("fields=id,name") && !q.contains("status"),
            "{t}: {q}"
        );

        // --batch and --origin-id filter.
        for (filter, want) in [
            (["--batch", "true"], vec![parent.clone()]),
            (["--batch", "false"], vec![draft_id.clone()]),
            (["--origin-id", "automation-run-7"], vec![parent.clone()]),
            (["--origin-id", "another-run"], vec![]),
        ] {
            let mut args = vec!["list", "--project", "demo/more", "--json"];
            args.extend(filter);
            let o = sbg(&home, &net(&mock, t, &args));
            assert_code(&o, 0);
            let tasks: Vec<Task> = serde_json::from_slice(&o.stdout).unwrap();
            let ids: Vec<String> = tasks.into_iter().map(|t| t.id.unwrap()).collect();
            assert_eq!(ids, want, "{t}: {filter:?}");
        }
    }
}

#[test]
fn rate_limit_shows_the_window_and_is_not_counted() {
    let mock = sbg_tasks_mock::MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .rate_limit(1000, Duration::from_secs(300))
        .start_blocking()
        .unwrap();
    let home = Home::new();
    // One counted request first, so that "remaining" is below the limit.
    assert_code(
        &sbg(&home, &net(&mock, "blocking", &["get", GET_TASK_ID])),
        0,
    );
    for t in TRANSPORTS {
        let o = sbg(&home, &net(&mock, t, &["rate-limit"]));
        assert_code(&o, 0);
        let out = stdout(&o);
        assert!(
            out.contains("999 of 1000 left in this window"),
            "{t}: {out}"
        );
        // The reset as a UTC time, a few minutes ahead.
        let resets = out.lines().find(|l| l.contains("resets")).unwrap();
        assert!(
            resets.contains("T") && resets.contains("Z (in "),
            "{t}: {resets}"
        );
        assert!(out.contains("instances"), "{t}: {out}");
        assert_eq!(mock.journal().last().unwrap().route, Route::RateLimit);

        let o = sbg(&home, &net(&mock, t, &["rate-limit", "--json"]));
        assert_code(&o, 0);
        let v = json_value(&o);
        assert_eq!(v["rate"]["limit"], 1000, "{t}: {v}");
        assert_eq!(v["rate"]["remaining"], 999, "{t}: {v}");
        assert!(v["rate"]["reset"].as_u64().unwrap() > 1_700_000_000, "{v}");
        assert!(v["instance_limit"].is_object(), "{v}");
    }
}

#[test]
fn help_names_the_new_commands_and_the_bulk_exit_code() {
    let home = Home::new();
    let o = sbg(&home, &["--help"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for cmd in ["update", "delete", "inputs", "rate-limit"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(cmd)),
            "{cmd}: {out}"
        );
    }
    assert!(out.contains("any id answered with an error"), "{out}");
    let o = sbg(&home, &["update", "--help"]);
    assert_code(&o, 0);
    for flag in [
        "--inputs-file",
        "--max-parallel-instances",
        "--output-location",
        "--no-batch",
        "nothing to change",
    ] {
        assert!(stdout(&o).contains(flag), "{flag}: {}", stdout(&o));
    }
    let o = sbg(&home, &["get", "--help"]);
    assert!(stdout(&o).contains("Exit code 3"), "{}", stdout(&o));
}
