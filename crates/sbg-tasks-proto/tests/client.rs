//! The clients driven by closure transports and a fake environment: retries, the rerun and run
//! rules, rate-limit waits, redirects, waiting — all without a socket or a real clock.

mod support;
use support::*;

#[test]
fn a_get_goes_to_the_right_path_with_the_token_and_decodes_the_task() {
    let script = Script::new(vec![answer(
        200,
        &[
            ("x-ratelimit-limit", "1000".into()),
            ("x-ratelimit-remaining", "998".into()),
            ("x-ratelimit-reset", (UNIX0 + 300).to_string()),
        ],
        &format!(r#"{{"id":"{ID}","status":"RUNNING","name":"t"}}"#),
    )]);
    let env = env();
    let answer = client(&script, &env).get(&GetTask::new(id())).unwrap();
    assert_eq!(answer.value.name.as_deref(), Some("t"));
    assert_eq!(answer.meta.rate_limit.unwrap().remaining, 998);
    assert_eq!(script.seen(), [get()]);
    assert!(env.sleeps().is_empty());
}

#[test]
fn maintenance_and_proxy_errors_are_retried_with_growing_backoff() {
    let script = Script::new(vec![
        error(503, 0),
        answer(502, &[], "<html><body>Bad Gateway</body></html>"),
        answer(504, &[], ""),
        task("RUNNING"),
    ]);
    let env = env();
    let answer = client(&script, &env).get(&GetTask::new(id())).unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Running));
    assert_eq!(script.seen().len(), 4);
    assert_eq!(
        env.sleeps(),
        [500, 1000, 2000].map(Duration::from_millis),
        "exponential backoff (jitter off)"
    );
}

#[test]
fn connection_errors_are_retried_then_exhausted() {
    let script = Script::new(vec![
        failure(TransportErrorKind::Connect),
        failure(TransportErrorKind::Timeout),
        failure(TransportErrorKind::Io),
    ]);
    let env = env();
    let c = client(&script, &env).with_retry(RetryPolicy::default().with_max_attempts(3));
    match c.get(&GetTask::new(id())) {
        Err(ClientError::RetriesExhausted { attempts, last, .. }) => {
            assert_eq!(attempts, 3);
            assert_eq!(last.transport_kind(), Some(TransportErrorKind::Io));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(script.seen().len(), 3);
}

#[test]
fn final_errors_are_returned_at_once_with_their_code() {
    let script = Script::new(vec![error(404, 7002)]);
    let env = env();
    let e = client(&script, &env).get(&GetTask::new(id())).unwrap_err();
    let api = e.api().expect("an API error");
    assert_eq!(
        (api.status, api.code.map(|c| c.as_i64())),
        (404, Some(7002))
    );
    assert!(matches!(e, ClientError::Response(ResponseError::Api(_))));
    assert_eq!(script.seen().len(), 1);
}

#[test]
fn the_off_switch_returns_the_first_failure() {
    let script = Script::new(vec![error(503, 0)]);
    let env = env();
    let c = client(&script, &env).with_retry(RetryPolicy::off());
    assert!(
        matches!(c.get(&GetTask::new(id())), Err(ClientError::Response(ResponseError::Api(a))) if a.status == 503)
    );
    assert_eq!(script.left(), 0);
}

#[test]
fn rate_limited_calls_wait_until_the_reset() {
    let reset = (UNIX0 + 42).to_string();
    let script = Script::new(vec![
        answer(
            429,
            &[
                ("x-ratelimit-limit", "1000".into()),
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", reset),
            ],
            r#"{"status":429,"code":1000,"message":"Rate limit exceeded"}"#,
        ),
        task("DRAFT"),
    ]);
    let env = env();
    // Even a rerun is retried after a 429: the platform did not act.
    let answer = client(&script, &env).rerun(&RerunTask::new(id())).unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Draft));
    assert_eq!(env.sleeps(), [Duration::from_secs(42)]);
    assert_eq!(script.seen(), [post("clone"), post("clone")]);
}

#[test]
fn a_rerun_is_never_sent_twice_once_it_may_have_arrived() {
    for first in [
        failure(TransportErrorKind::Io),
        failure(TransportErrorKind::Timeout),
        error(503, 0),
        answer(502, &[], "<html></html>"),
    ] {
        let script = Script::new(vec![first, task("DRAFT")]);
        let env = env();
        let e = client(&script, &env)
            .rerun(&RerunTask::new(id()).run(true))
            .unwrap_err();
        assert!(!matches!(e, ClientError::RetriesExhausted { .. }), "{e}");
        assert_eq!(script.seen().len(), 1, "{e}");
        assert_eq!(script.left(), 1);
    }
    // A refused connection never reached the platform: retried.
    let script = Script::new(vec![failure(TransportErrorKind::Connect), task("QUEUED")]);
    let env = env();
    let answer = client(&script, &env)
        .rerun(&RerunTask::new(id()).run(true))
        .unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Queued));
    let q = format!("{}/actions/clone?action=run", GET.1);
    assert_eq!(
        script.seen(),
        [("POST".to_string(), q.clone()), ("POST".to_string(), q)]
    );
}

#[test]
fn a_retried_run_that_finds_the_task_running_returns_the_task() {
    let script = Script::new(vec![
        failure(TransportErrorKind::Io),
        error(400, 7007),
        task("RUNNING"),
    ]);
    let env = env();
    let answer = client(&script, &env).run(&RunTask::new(id())).unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Running));
    assert_eq!(script.seen(), [post("run"), post("run"), get()]);
}

#[test]
fn a_first_run_answered_7007_is_an_error() {
    let script = Script::new(vec![error(400, 7007)]);
    let env = env();
    let e = client(&script, &env).run(&RunTask::new(id())).unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.is_only_for_draft()),
        "{e}"
    );
    assert_eq!(script.seen(), [post("run")]);
}

#[test]
fn redirects_are_not_followed() {
    let script = Script::new(vec![answer(
        302,
        &[("location", "http://evil.example/steal".into())],
        "",
    )]);
    let env = env();
    let e = client(&script, &env).get(&GetTask::new(id())).unwrap_err();
    match &e {
        ClientError::Redirect { status, location } => {
            assert_eq!(
                (*status, location.as_str()),
                (302, "http://evil.example/steal")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(script.seen().len(), 1);
}

#[test]
fn decoding_is_lenient_by_default_and_strict_on_request() {
    let body = format!("{{'id': '{ID}', 'status': 'RUNNING',}}");
    let script = Script::new(vec![answer(200, &[], &body), answer(200, &[], &body)]);
    let env = env();
    let lenient = client(&script, &env).get(&GetTask::new(id())).unwrap();
    assert_eq!(lenient.value.status, Some(TaskStatus::Running));
    assert!(!lenient.report.is_clean());
    let strict = client(&script, &env)
        .with_decoding(Decoding::Strict)
        .get(&GetTask::new(id()));
    assert!(matches!(
        strict,
        Err(ClientError::Response(ResponseError::Decode {
            status: 200,
            ..
        }))
    ));
}

#[test]
fn wait_polls_with_backoff_reports_progress_and_returns_the_terminal_task() {
    let script = Script::new(vec![
        task("QUEUED"),
        answer(
            200,
            &[],
            &format!(
                r#"{{"id":"{ID}","status":"RUNNING","execution_status":{{"steps_completed":2,"steps_total":4}}}}"#
            ),
        ),
        error(503, 0),
        task("COMPLETED"),
    ]);
    let env = env();
    let policy = WaitPolicy::default()
        .with_interval(Duration::from_secs(10))
        .with_backoff(2.0);
    let mut seen = Vec::new();
    let done = client(&script, &env)
        .with_wait(policy)
        .wait_with_progress(&id(), |p| {
            seen.push((p.poll, p.status().map(|s| s.as_str().to_owned()), p.steps()))
        })
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(
        seen,
        [
            (1, Some("QUEUED".into()), None),
            (2, Some("RUNNING".into()), Some((2, 4))),
            (3, Some("COMPLETED".into()), None),
        ]
    );
    // 10 s, then 20 s between polls; the 503 on the third poll cost a 500 ms retry.
    assert_eq!(
        env.sleeps(),
        [
            Duration::from_secs(10),
            Duration::from_secs(20),
            Duration::from_millis(500)
        ]
    );
}

#[test]
fn waiting_for_a_draft_fails_at_once_and_a_timeout_keeps_the_last_task() {
    let script = Script::new(vec![task("DRAFT")]);
    let env = env();
    let e = client(&script, &env).wait(&id()).unwrap_err();
    assert!(matches!(&e, ClientError::NotStarted { .. }), "{e}");
    assert!(e.to_string().contains("DRAFT"), "{e}");
    assert_eq!(script.seen().len(), 1);

    let script = Script::new((0..4).map(|_| task("RUNNING")).collect());
    let env = self::env();
    let policy = WaitPolicy::default()
        .with_interval(Duration::from_secs(30))
        .with_backoff(1.0)
        .with_timeout(Some(Duration::from_secs(60)));
    let e = client(&script, &env)
        .with_wait(policy)
        .wait(&id())
        .unwrap_err();
    match &e {
        ClientError::Timeout { polls, last, .. } => {
            assert_eq!(*polls, 3);
            assert_eq!(last.status, Some(TaskStatus::Running));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.slept(), Duration::from_secs(60));
}

#[test]
fn the_token_is_in_no_debug_output_or_error() {
    let script = Script::new(vec![error(401, 90001), failure(TransportErrorKind::Io)]);
    let env = env();
    let c = client(&script, &env);
    let e1 = c.get(&GetTask::new(id())).unwrap_err();
    let e2 = c.rerun(&RerunTask::new(id())).unwrap_err();
    for text in [
        format!("{:?}", c.settings()),
        format!("{e1} {e1:?} {e2} {e2:?}"),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

/// Polls a future whose every await is ready at once (fake env, closure transport).

#[test]
fn the_async_client_shares_the_logic_and_its_futures_are_send() {
    let script = Script::new(vec![
        failure(TransportErrorKind::Io),
        error(400, 7007),
        task("RUNNING"),
        error(503, 0),
        task("COMPLETED"),
        failure(TransportErrorKind::Io),
    ]);
    let env = env();
    let transport = |req| {
        let out = script.send(req);
        async move { out }
    };
    let c = AsyncClient::with_env(config(), transport, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0))
        .with_wait(WaitPolicy::default().with_interval(Duration::from_secs(3)));
    let run = RunTask::new(id());
    let ran = block_on(assert_send(c.run(&run))).unwrap();
    assert_eq!(ran.value.status, Some(TaskStatus::Running));
    let mut polls = 0;
    let done = block_on(assert_send(c.wait_with_progress(&id(), |_| polls += 1))).unwrap();
    assert_eq!((done.status, polls), (Some(TaskStatus::Completed), 1));
    let rerun = RerunTask::new(id());
    let e = block_on(assert_send(c.rerun(&rerun))).unwrap_err();
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Io));
    assert_eq!(
        script.seen(),
        [post("run"), post("run"), get(), get(), get(), post("clone")]
    );
    assert_eq!(env.sleeps(), [500, 500].map(Duration::from_millis));
}
