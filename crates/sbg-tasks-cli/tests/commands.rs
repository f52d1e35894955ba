//! Every network command end to end against the mock, over both transports.

mod common;

use common::*;
use sbg_tasks_mock::{Outcome, Route, Schedule};
use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::decode::decode_strict;
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, GetTask, Task};

fn json_task(o: &std::process::Output) -> Task {
    decode_strict(&o.stdout).unwrap_or_else(|e| panic!("stdout is not a task: {e}\n{}", stdout(o)))
}

/// A direct get through the library (blocking client), for comparison.
fn direct_get(mock: &sbg_tasks_mock::MockHandle, id: &str) -> Task {
    let base = BaseUrl::parse_with(mock.base_url(), AllowHttp::Loopback).unwrap();
    let client = sbg_tasks_ureq::client(Config::new(base, AuthToken::new(TOKEN).unwrap())).unwrap();
    client
        .get(&GetTask::new(id.parse().unwrap()))
        .expect("direct get")
        .value
}

#[test]
fn get_prints_a_summary_and_json_that_round_trips() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(&home, &net(&mock, t, &["get", GET_TASK_ID]));
        assert_code(&o, 0);
        let out = stdout(&o);
        assert!(out.contains(&format!("task {GET_TASK_ID}")), "{t}: {out}");
        assert!(out.contains("status      COMPLETED"), "{t}: {out}");
        assert_no_token(&o);

        let o = sbg(&home, &net(&mock, t, &["get", GET_TASK_ID, "--json"]));
        assert_code(&o, 0);
        assert_eq!(json_task(&o), direct_get(&mock, GET_TASK_ID), "{t}");
        assert!(stderr(&o).is_empty(), "{t}: {}", stderr(&o));

        // fields: only what was asked (plus what the platform always sends).
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["get", GET_TASK_ID, "--fields", "id,status", "--json"],
            ),
        );
        assert_code(&o, 0);
        let task = json_task(&o);
        assert_eq!(task.status, Some(TaskStatus::Completed));
        assert!(task.inputs.is_none() && task.price.is_none(), "{task:?}");
        let last = mock.journal().into_iter().last().unwrap();
        assert_eq!(last.query.as_deref(), Some("fields=id,status"), "{t}");
    }
}

#[test]
fn a_malformed_answer_is_read_with_warnings_on_stderr() {
    let mock = sbg_tasks_mock::MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .serve_malformed_examples(true)
        .start_blocking()
        .unwrap();
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(&home, &net(&mock, t, &["get", BATCH_TASK_ID, "--json"]));
        assert_code(&o, 0);
        let err = stderr(&o);
        assert!(err.contains("warning:"), "{t}: {err}");
        assert!(err.contains("single-quoted string"), "{t}: {err}");
        // With line:column from the body as received.
        let body = sbg_tasks_mock::examples::GET_TASK_BATCH_MALFORMED;
        let at = body.windows(11).position(|w| w == b"'123456789'").unwrap();
        let (l, c) = sbg_tasks_proto::decode::line_col(body, at);
        assert!(
            err.contains(&format!("single-quoted string: {l}:{c} ")),
            "{t}: {err}"
        );
        let task = json_task(&o);
        assert_eq!(task, direct_get(&mock, BATCH_TASK_ID), "{t}");
        assert!(task.is_batch_parent());
    }
}

#[test]
fn run_starts_a_draft_and_a_second_run_is_an_api_error() {
    let mock = mock(3);
    let home = Home::new();
    // `batch=false` on a task that is not a batch: the platform's 7022, sent as asked.
    let o = sbg(
        &home,
        &net(&mock, "async", &["run", RUN_TASK_REQUEST_ID, "--no-batch"]),
    );
    assert_code(&o, 3);
    assert!(stderr(&o).contains("code:        7022"), "{}", stderr(&o));
    let last = mock.journal().into_iter().last().unwrap();
    assert_eq!(last.query.as_deref(), Some("batch=false"));

    let o = sbg(
        &home,
        &net(
            &mock,
            "async",
            &["run", RUN_TASK_REQUEST_ID, "--interruptible", "false"],
        ),
    );
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("QUEUED") || out.contains("RUNNING"), "{out}");
    let last = mock.journal().into_iter().last().unwrap();
    assert_eq!(last.route, Route::RunTask);
    assert_eq!(
        last.query.as_deref(),
        Some("use_interruptible_instances=false")
    );

    for t in TRANSPORTS {
        let o = sbg(&home, &net(&mock, t, &["run", RUN_TASK_REQUEST_ID]));
        assert_code(&o, 3);
        let err = stderr(&o);
        assert!(err.contains("http status: 400"), "{t}: {err}");
        assert!(err.contains("code:        7007"), "{t}: {err}");
        assert!(err.contains("message:"), "{t}: {err}");
        assert_no_token(&o);
    }
}

#[test]
fn rerun_makes_exactly_one_copy_and_prints_the_new_task() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        let before = mock.task_count();
        let clones = mock.requests_to(Route::CloneTask);
        let o = sbg(
            &home,
            &net(&mock, t, &["rerun", GET_TASK_ID, "--run", "--json"]),
        );
        assert_code(&o, 0);
        let copy = json_task(&o);
        let id = copy.id.clone().unwrap();
        assert_ne!(id, GET_TASK_ID);
        assert!(
            copy.status.as_ref().is_some_and(TaskStatus::is_active),
            "{copy:?}"
        );
        assert_eq!(mock.task_count(), before + 1, "{t}");
        assert_eq!(mock.requests_to(Route::CloneTask), clones + 1, "{t}");
        let last = mock.journal().into_iter().last().unwrap();
        assert_eq!(last.query.as_deref(), Some("action=run"));

        // Without --run the copy is a DRAFT.
        let o = sbg(&home, &net(&mock, t, &["rerun", GET_TASK_ID, "--json"]));
        assert_code(&o, 0);
        assert_eq!(json_task(&o).status, Some(TaskStatus::Draft), "{t}");
    }
}

#[test]
fn wait_exits_0_when_completed_and_5_when_failed_or_aborted() {
    let mock = mock(2);
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(
            &home,
            &net(&mock, t, &["rerun", GET_TASK_ID, "--run", "--json"]),
        );
        let id = json_task(&o).id.unwrap();
        let o = sbg(
            &home,
            &net(&mock, t, &["wait", &id, "--interval", "0.05", "--json"]),
        );
        assert_code(&o, 0);
        assert_eq!(json_task(&o).status, Some(TaskStatus::Completed), "{t}");
        // Not a terminal: no progress bar, nothing but the task on stdout.
        assert!(!stdout(&o).contains('\r'), "{t}");

        for (outcome, word) in [(Outcome::Failed, "FAILED"), (Outcome::Aborted, "ABORTED")] {
            let o = sbg(
                &home,
                &net(&mock, t, &["rerun", GET_TASK_ID, "--run", "--json"]),
            );
            let id = json_task(&o).id.unwrap();
            assert!(mock.set_outcome(&id, outcome));
            let o = sbg(&home, &net(&mock, t, &["wait", &id, "--interval", "0.05"]));
            assert_code(&o, 5);
            assert!(stdout(&o).contains(word), "{t}: {}", stdout(&o));
            assert!(
                stderr(&o).contains(&format!("ended {word}")),
                "{t}: {}",
                stderr(&o)
            );
        }
    }
}

#[test]
fn wait_timeout_exits_4_and_a_draft_is_refused_at_once() {
    let mock = sbg_tasks_mock::MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .schedule(Schedule::Polls(10_000))
        .start_blocking()
        .unwrap();
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(
            &home,
            &net(&mock, t, &["rerun", GET_TASK_ID, "--run", "--json"]),
        );
        let id = json_task(&o).id.unwrap();
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["wait", &id, "--interval", "0.05", "--timeout", "0.3"],
            ),
        );
        assert_code(&o, 4);
        assert!(
            stderr(&o).contains("did not end within"),
            "{t}: {}",
            stderr(&o)
        );

        let o = sbg(&home, &net(&mock, t, &["wait", INVALID_DRAFT_ID]));
        assert_code(&o, 1);
        assert!(stderr(&o).contains("DRAFT"), "{t}: {}", stderr(&o));
    }
}

#[test]
fn abort_stops_a_running_task_and_refuses_a_finished_one() {
    let mock = mock(1000);
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(
            &home,
            &net(&mock, t, &["rerun", GET_TASK_ID, "--run", "--json"]),
        );
        let id = json_task(&o).id.unwrap();
        let o = sbg(&home, &net(&mock, t, &["abort", &id, "--json"]));
        assert_code(&o, 0);
        let status = json_task(&o).status.unwrap();
        assert!(
            matches!(status, TaskStatus::Aborted | TaskStatus::Aborting),
            "{t}: {status:?}"
        );
        let o = sbg(&home, &net(&mock, t, &["abort", GET_TASK_ID]));
        assert_code(&o, 3);
        assert!(stderr(&o).contains("code:"), "{t}: {}", stderr(&o));
    }
}

#[test]
fn create_list_and_details() {
    let mock = mock(1);
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &[
                    "create",
                    "--project",
                    "demo/cli",
                    "--app",
                    "demo/cli/echo/0",
                    "--name",
                    "made by the cli",
                    "--input",
                    "reads=file:5f0d2a1a2a1b2c3d4e5f6a7b",
                    "--input",
                    "threads=4",
                    "--json",
                ],
            ),
        );
        assert_code(&o, 0);
        let task = json_task(&o);
        assert_eq!(task.status, Some(TaskStatus::Draft), "{t}");
        assert_eq!(task.name.as_deref(), Some("made by the cli"));
        assert_eq!(task.project.as_deref(), Some("demo/cli"));
        let id = task.id.unwrap();

        let o = sbg(&home, &net(&mock, t, &["run", &id]));
        assert_code(&o, 0);
        let o = sbg(&home, &net(&mock, t, &["wait", &id, "--interval", "0.05"]));
        assert_code(&o, 0);
        let o = sbg(&home, &net(&mock, t, &["details", &id]));
        assert_code(&o, 0);
        assert!(stdout(&o).contains("job(s)"), "{t}: {}", stdout(&o));
        let o = sbg(&home, &net(&mock, t, &["details", &id, "--json"]));
        assert_code(&o, 0);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v.get("jobs").is_some(), "{t}: {v}");

        let o = sbg(&home, &net(&mock, t, &["list", "--project", "demo/cli"]));
        assert_code(&o, 0);
        assert!(stdout(&o).contains(&id), "{t}: {}", stdout(&o));
    }
}

#[test]
fn list_all_follows_every_page_without_repeats() {
    let mock = mock(1);
    let home = Home::new();
    let mut made = Vec::new();
    for i in 0..7 {
        let id = mock
            .insert_task(serde_json::json!({
                "name": format!("paged {i}"),
                "project": "demo/pages",
                "app": "demo/pages/echo/0",
                "status": "DRAFT",
            }))
            .unwrap();
        made.push(id);
    }
    for t in TRANSPORTS {
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &["list", "--project", "demo/pages", "--limit", "2"],
            ),
        );
        assert_code(&o, 0);
        assert!(
            stdout(&o).contains("2 task(s) shown of 7 matching"),
            "{t}: {}",
            stdout(&o)
        );

        let before = mock.requests_to(Route::ListTasks);
        let o = sbg(
            &home,
            &net(
                &mock,
                t,
                &[
                    "list",
                    "--project",
                    "demo/pages",
                    "--limit",
                    "2",
                    "--all",
                    "--json",
                ],
            ),
        );
        assert_code(&o, 0);
        let tasks: Vec<Task> = serde_json::from_slice(&o.stdout).unwrap();
        let mut ids: Vec<String> = tasks.into_iter().map(|t| t.id.unwrap()).collect();
        ids.sort();
        let mut want = made.clone();
        want.sort();
        assert_eq!(ids, want, "{t}");
        assert!(
            mock.requests_to(Route::ListTasks) - before >= 4,
            "{t}: pages fetched"
        );
    }
}

#[test]
fn exit_codes_for_usage_api_and_network_failures() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        // A task id that could change the path: refused before any request.
        let before = mock.request_count();
        let o = sbg(&home, &net(&mock, t, &["get", "../admin"]));
        assert_code(&o, 2);
        assert!(stderr(&o).contains("invalid task id"), "{}", stderr(&o));
        assert_eq!(mock.request_count(), before);

        // Unknown task: 404/7002.
        let o = sbg(
            &home,
            &net(&mock, t, &["get", "00000000-0000-4000-8000-000000000000"]),
        );
        assert_code(&o, 3);
        assert!(stderr(&o).contains("7002"), "{}", stderr(&o));

        // Wrong token: 401, and neither token is printed.
        let o = sbg(
            &home,
            &[
                "get",
                GET_TASK_ID,
                "--endpoint",
                mock.base_url(),
                "--allow-http-loopback",
                "--token",
                "wrong-SECRET-token",
                "--verbose",
                "--transport",
                t,
            ],
        );
        assert_code(&o, 3);
        assert!(stderr(&o).contains("401"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("wrong-SECRET-token"), "{}", stderr(&o));
        assert_no_token(&o);

        // Nothing listens there: a network error.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = format!("http://127.0.0.1:{closed}/v2");
        let o = sbg(
            &home,
            &[
                "get",
                GET_TASK_ID,
                "--endpoint",
                &url,
                "--allow-http-loopback",
                "--token",
                TOKEN,
                "--transport",
                t,
            ],
        );
        assert_code(&o, 4);
        assert!(stderr(&o).contains("connect"), "{}", stderr(&o));
        assert_no_token(&o);
        // The transport named is the one that sent: hyper-util's connector words its failure
        // its own way.
        assert_eq!(
            stderr(&o).contains("tcp connect error"),
            t == "async",
            "{t}: {}",
            stderr(&o)
        );

        // Plain http without the flag, or to a non-loopback host: refused, nothing sent.
        let o = sbg(
            &home,
            &[
                "get",
                GET_TASK_ID,
                "--endpoint",
                mock.base_url(),
                "--token",
                TOKEN,
                "--transport",
                t,
            ],
        );
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("--allow-http-loopback"),
            "{}",
            stderr(&o)
        );
        let o = sbg(
            &home,
            &[
                "get",
                GET_TASK_ID,
                "--endpoint",
                "http://example.com/v2",
                "--allow-http-loopback",
                "--token",
                TOKEN,
            ],
        );
        assert_code(&o, 2);
        assert_eq!(mock.request_count(), before + 2);
    }
}

#[test]
fn verbose_traces_requests_without_the_token() {
    let mock = mock(3);
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(&home, &net(&mock, t, &["get", GET_TASK_ID, "--verbose"]));
        assert_code(&o, 0);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("GET /v2/tasks/{GET_TASK_ID} -> 200")),
            "{t}: {err}"
        );
        assert!(err.contains("token from flag --token"), "{t}: {err}");
        assert_no_token(&o);
    }
}

#[test]
fn the_mock_command_serves_the_api() {
    let home = Home::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sbg-tasks"))
        .args([
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
            "--seed-examples",
        ])
        .env_clear()
        .env("HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    {
        use std::io::BufRead;
        let mut reader = std::io::BufReader::new(child.stdout.as_mut().unwrap());
        reader.read_line(&mut line).unwrap();
    }
    let url = line.trim().to_owned();
    let result = std::panic::catch_unwind(|| {
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/v2"),
            "{url:?}"
        );
        let o = sbg(
            &home,
            &[
                "get",
                GET_TASK_ID,
                "--endpoint",
                &url,
                "--allow-http-loopback",
                "--token",
                TOKEN,
            ],
        );
        assert_code(&o, 0);
        assert!(stdout(&o).contains("COMPLETED"), "{}", stdout(&o));
    });
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn https_to_the_mock_with_its_certificate() {
    let mock = sbg_tasks_mock::MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .tls(true)
        .start_blocking()
        .unwrap();
    let home = Home::new();
    let pem = home.path().join("mock.pem");
    std::fs::write(&pem, mock.cert_pem().unwrap()).unwrap();
    let url = mock.base_url().to_owned();
    assert!(url.starts_with("https://"), "{url}");
    for t in TRANSPORTS {
        let args = [
            "get",
            GET_TASK_ID,
            "--endpoint",
            &url,
            "--token",
            TOKEN,
            "--ca-cert",
            pem.to_str().unwrap(),
            "--transport",
            t,
        ];
        let o = sbg(&home, &args);
        assert_code(&o, 0);
        assert!(stdout(&o).contains("COMPLETED"), "{t}: {}", stdout(&o));

        // Without the certificate the public roots do not trust it: a network (TLS) error.
        let o = sbg(&home, &[&args[..6], &args[8..]].concat());
        assert_code(&o, 4);
        assert_no_token(&o);
    }
}
