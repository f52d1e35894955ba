//! `sbg-tasks parse` on every example of the documentation, and usage errors.

mod common;

use common::*;
use sbg_tasks_proto::decode::decode_strict;
use sbg_tasks_proto::model::{IssueKind, TaskStatus};
use sbg_tasks_proto::{Decoding, Task};

fn parse_json(o: &std::process::Output) -> Task {
    decode_strict(&o.stdout).unwrap_or_else(|e| panic!("stdout is not a task: {e}\n{}", stdout(o)))
}

#[test]
fn every_valid_example_parses_cleanly_and_round_trips_as_json() {
    let home = Home::new();
    for (name, id, status) in [
        ("get-task.json", GET_TASK_ID, "COMPLETED"),
        ("run-task.json", RUN_TASK_ID, "RUNNING"),
        (
            "rerun-task.json",
            "79ef6004-4529-3801-a86d-61cef5b4f2e8",
            "DRAFT",
        ),
    ] {
        let path = example(name);
        let file = path.to_str().unwrap();
        let o = sbg(&home, &["parse", file]);
        assert_code(&o, 0);
        let out = stdout(&o);
        assert!(out.contains(&format!("task {id}")), "{name}: {out}");
        assert!(out.contains(status), "{name}: {out}");
        assert!(out.contains("nothing was repaired"), "{name}: {out}");

        let o = sbg(&home, &["parse", file, "--json"]);
        assert_code(&o, 0);
        assert!(stderr(&o).is_empty(), "{name}: {}", stderr(&o));
        let printed = parse_json(&o);
        let direct: Task = decode_strict(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(printed, direct, "{name}");

        let o = sbg(&home, &["parse", file, "--strict"]);
        assert_code(&o, 0);
    }
}

#[test]
fn the_malformed_batch_example_shows_each_repair_with_line_and_column() {
    let home = Home::new();
    let path = example("get-task-batch.malformed.json");
    let body = std::fs::read(&path).unwrap();
    let o = sbg(&home, &["parse", path.to_str().unwrap()]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("task a547a1c4-45c3-441e-857e-caf2a2df96ad"),
        "{out}"
    );
    assert!(out.contains("ABORTED"), "{out}");
    assert!(out.contains("read leniently"), "{out}");

    // Every repair the library reports appears with its line:column and byte range.
    let decoded = sbg_tasks_proto::decode::decode::<Task>(&body, &Decoding::default()).unwrap();
    assert!(!decoded.report.repairs.repairs.is_empty());
    for r in &decoded.report.repairs.repairs {
        let (l, c) = sbg_tasks_proto::decode::line_col(&body, r.range.start);
        let line = format!(
            "repaired {}: {l}:{c} (bytes {}..{})",
            r.kind, r.range.start, r.range.end
        );
        assert!(out.contains(&line), "missing {line:?} in\n{out}");
    }
    // The single-quoted duration is on the line that holds it.
    let quote_at = body.windows(11).position(|w| w == b"'123456789'").unwrap();
    let (l, c) = sbg_tasks_proto::decode::line_col(&body, quote_at);
    assert!(
        out.contains(&format!("single-quoted string: {l}:{c} ")),
        "{out}"
    );

    // --json: the task on stdout (valid JSON, equal to a library decode), the repairs on stderr.
    let o = sbg(&home, &["parse", path.to_str().unwrap(), "--json"]);
    assert_code(&o, 0);
    assert_eq!(parse_json(&o), decoded.value);
    let err = stderr(&o);
    assert!(
        err.contains("warning:") && err.contains("single-quoted string"),
        "{err}"
    );
}

#[test]
fn strict_parse_of_the_malformed_example_fails_with_a_position() {
    let home = Home::new();
    let path = example("get-task-batch.malformed.json");
    let o = sbg(&home, &["parse", "--strict", path.to_str().unwrap()]);
    assert_code(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("could not be decoded"), "{err}");
    assert!(err.contains("line") && err.contains("column"), "{err}");
}

#[test]
fn the_validation_errors_fragment_parses_to_its_issues() {
    let home = Home::new();
    let path = example("task-validation-errors.fragment.json");
    let o = sbg(&home, &["parse", path.to_str().unwrap(), "--json"]);
    assert_code(&o, 0);
    let task = parse_json(&o);
    let errors = task.errors.expect("the errors member");
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e.kind.is_some()));
    assert!(errors
        .iter()
        .any(|e| e.kind == Some(IssueKind::FilesMissing) || e.kind == Some(IssueKind::Schema)));
    assert!(
        stderr(&o).contains("members without enclosing braces"),
        "{}",
        stderr(&o)
    );

    let o = sbg(&home, &["parse", path.to_str().unwrap()]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("error/task_validation/input/"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn request_examples_are_not_task_bodies() {
    let home = Home::new();
    for name in [
        "get-task.request.http",
        "run-task.request.http",
        "rerun-task.request.http",
    ] {
        let o = sbg(&home, &["parse", example(name).to_str().unwrap()]);
        assert_code(&o, 1);
        assert!(
            stderr(&o).contains("could not be decoded"),
            "{name}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn parse_reads_standard_input() {
    let home = Home::new();
    let body = br#"{"id": "t-1", "status": 'RUNNING', "execution_status": {"steps_completed": "2", "steps_total": 4},}"#;
    let o = sbg_stdin(&home, &["parse", "-"], &[], Some(body));
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("task t-1"), "{out}");
    assert!(out.contains("2/4 steps"), "{out}");
    assert!(
        out.contains("repaired single-quoted string: 1:25 "),
        "{out}"
    );
    assert!(out.contains("repaired trailing comma"), "{out}");
    assert!(
        out.contains("coerced /execution_status/steps_completed"),
        "{out}"
    );

    let o = sbg_stdin(&home, &["parse", "--json"], &[], Some(body));
    assert_code(&o, 0);
    assert_eq!(parse_json(&o).status, Some(TaskStatus::Running));
}

#[test]
fn unreadable_and_hopeless_input_are_errors() {
    let home = Home::new();
    let o = sbg(&home, &["parse", "/nonexistent/body.json"]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));

    let o = sbg_stdin(
        &home,
        &["parse"],
        &[],
        Some(b"<html><body>502 Bad Gateway</body></html>"),
    );
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("could not be decoded"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_documents_the_exit_codes_and_bad_usage_exits_2() {
    let home = Home::new();
    let o = sbg(&home, &["--help"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for line in [
        "0  success",
        "2  bad usage",
        "3  the platform answered with an error",
        "4  network failure or timeout",
        "5  `wait`, `watch`: a task (or a followed batch task's child) ended FAILED or ABORTED",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    for cmd in [
        "get", "run", "rerun", "wait", "abort", "parse", "mock", "demo", "create", "list",
        "details",
    ] {
        assert!(
            out.contains(&format!("  {cmd} ")),
            "missing command {cmd} in\n{out}"
        );
    }

    assert_code(&sbg(&home, &["frobnicate"]), 2);
    assert_code(&sbg(&home, &["get"]), 2);
    assert_code(&sbg(&home, &["get", "x", "--no-such-flag"]), 2);
    assert_code(&sbg(&home, &["run", "x", "--interruptible", "maybe"]), 2);
    assert_code(
        &sbg(&home, &["get", "x", "--transport", "carrier-pigeon"]),
        2,
    );
    assert_code(&sbg(&home, &["get", "x", "--platform", "nowhere"]), 2);
}
