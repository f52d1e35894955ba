//! The blocking client over ureq against the mock platform, on loopback, over http and TLS.
//! The setup and the checks are shared with the async transport's tests
//! ([`sbg_tasks_testkit`]); only the calls are made here.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sbg_tasks_mock::{examples, Fault, Malformed, MockBuilder, MockHandle, Route, Schedule, Scope};
use sbg_tasks_testkit::faults::*;
use sbg_tasks_testkit::{
    config, draft, fast_retry, fast_settings, mock_builder, transport_options,
};
use sbg_tasks_ureq::endpoints::{AbortTask, GetRateLimit};
use sbg_tasks_ureq::env::{BlockingEnv, Env};
use sbg_tasks_ureq::model::TaskStatus;
use sbg_tasks_ureq::transport::{HttpTransport, TransportFailure};
use sbg_tasks_ureq::{
    client_with, BlockingClient, Proxy, Settings, StdEnv, TransportOptions, UreqClient,
    UreqTransport,
};
use sbg_tasks_ureq::{ClientError, Decoding, GetTask, RerunTask, RunTask, TransportErrorKind};

fn mock(b: MockBuilder) -> MockHandle {
    mock_builder(b).start_blocking().expect("mock starts")
}

fn settings(m: &MockHandle) -> Settings {
    fast_settings(m.base_url())
}

fn transport_for(m: &MockHandle) -> TransportOptions {
    transport_options(m)
}

fn client(m: &MockHandle) -> UreqClient {
    client_with(settings(m), transport_for(m)).unwrap()
}

/// The default options without the environment's proxy (the servers are on loopback).
fn no_proxy() -> TransportOptions {
    TransportOptions::default().proxy(Proxy::Off)
}

fn count(m: &MockHandle, route: Route) -> usize {
    m.requests_to(route)
}

fn every_operation(tls: bool) {
    let m = mock(
        MockBuilder::new()
            .seed_examples(true)
            .schedule(Schedule::Polls(3))
            .tls(tls),
    );
    assert_eq!(m.base_url().starts_with("https://"), tls);
    let c = client(&m);

    // get
    let got = c.get(&get_example()).unwrap();
    assert_eq!(got.value.id.as_deref(), Some(examples::GET_TASK_ID));
    assert_eq!(got.value.status, Some(TaskStatus::Completed));
    assert!(got.meta.rate_limit.is_some());

    // run, then wait with progress
    let id = draft(&m, "e2e");
    let ran = c.run(&run_with_options(&id)).unwrap();
    assert!(
        ran.value.status.as_ref().is_some_and(TaskStatus::is_active),
        "{ran:?}"
    );
    let mut polls = Vec::new();
    let done = c
        .wait_with_progress(&id, |p| {
            polls.push((p.poll, p.status().cloned(), p.steps()))
        })
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(polls.len(), 3, "{polls:?}");
    assert_eq!(polls.last().unwrap().1, Some(TaskStatus::Completed));

    // rerun with every option
    let copy = c.rerun(&rerun_with_every_option(&id)).unwrap();
    let copy_id = copy.value.id.clone().unwrap();
    assert_ne!(copy_id, id.as_str());

    // any other endpoint through the generic call
    let aborted = c.call(&AbortTask::new(copy_id.parse().unwrap())).unwrap();
    assert_eq!(aborted.value.id.as_deref(), Some(copy_id.as_str()));
    let limits = c.call(&GetRateLimit::new()).unwrap();
    assert!(limits.meta.status == 200);

    check_every_operation_journal(&m);
}

#[test]
fn every_operation_end_to_end_over_http() {
    every_operation(false);
}

#[test]
fn every_operation_end_to_end_over_tls_with_the_mock_certificate() {
    every_operation(true);
}

#[test]
fn tls_without_the_mock_certificate_fails_with_a_tls_error_and_is_not_retried() {
    let m = mock(MockBuilder::new().seed_examples(true).tls(true));
    let c = client_with(settings(&m), no_proxy()).unwrap();
    let e = c.get(&get_example()).unwrap_err();
    check_refused_before_sending(&m, &e, TransportErrorKind::Tls);
}

#[test]
fn plain_http_is_refused_unless_allowed() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let strict = UreqTransport::new(no_proxy()).unwrap();
    let c = BlockingClient::with_settings(settings(&m), strict, StdEnv::new());
    let e = c.get(&get_example()).unwrap_err();
    check_refused_before_sending(&m, &e, TransportErrorKind::InsecureScheme);
}

#[test]
fn faults_on_reads_are_retried_until_they_pass() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(&m);
    for fault in read_faults() {
        inject_twice_on_get(&m, &fault);
        check_read_retried(&m, &fault, &c.get(&get_example()));
    }
}

#[test]
fn final_faults_give_typed_errors_without_retrying() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(&m);
    let get = get_example();

    inject_api_error_once(&m, 403, 7001);
    check_api_error_not_retried(&m, &c.get(&get).unwrap_err(), 7001);

    m.clear_journal();
    m.inject(Fault::MalformedBody(Malformed::NotJson), Scope::Next(1));
    assert!(matches!(
        c.get(&get),
        Err(ClientError::Decode { status: 200, .. })
    ));
    assert_eq!(count(&m, Route::GetTask), 1);

    // A malformed body is repaired by default, and refused in strict mode.
    m.inject(
        Fault::MalformedBody(Malformed::SingleQuotes),
        Scope::Next(2),
    );
    let repaired = c.get(&get).unwrap();
    assert!(!repaired.report.is_clean());
    assert_eq!(repaired.value.id.as_deref(), Some(examples::GET_TASK_ID));
    let strict = client(&m).with_decoding(Decoding::Strict);
    assert!(matches!(strict.get(&get), Err(ClientError::Decode { .. })));

    // Retries run out: a typed error with the attempts and the last failure.
    m.clear_journal();
    m.inject(Fault::Maintenance, Scope::Route(Route::GetTask));
    let c3 = client(&m).with_retry(fast_retry().with_max_attempts(3));
    match c3.get(&get) {
        Err(ClientError::RetriesExhausted { attempts, last, .. }) => {
            assert_eq!(attempts, 3);
            assert!(last.api().is_some_and(|a| a.is_maintenance()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&m, Route::GetTask), 3);
    m.clear_faults();
}

#[test]
fn a_rerun_under_faults_makes_exactly_one_task() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(&m);
    let original = draft(&m, "original");
    let rerun = RerunTask::new(original);

    // Faults where the platform may have acted: one attempt, a typed error, at most one copy.
    for fault in [
        Fault::DropAfterRead,
        Fault::Maintenance,
        Fault::ProxyHtml(502),
        Fault::DropBeforeRead,
    ] {
        let before = inject_once_on_rerun(&m, &fault);
        check_rerun_sent_once(&m, &fault, before, &c.rerun(&rerun).unwrap_err());
    }

    // Rate limited: the platform did not act, so it is retried, and one copy is made.
    m.clear_journal();
    let before = m.task_count();
    m.inject(Fault::RateLimited, Scope::RouteNext(Route::CloneTask, 2));
    let copy = c.rerun(&rerun).unwrap();
    assert_eq!(count(&m, Route::CloneTask), 3);
    assert_eq!(m.task_count(), before + 1);
    assert!(m.task(copy.value.id.as_deref().unwrap()).is_some());
}

#[test]
fn a_run_whose_answer_was_lost_returns_the_running_task() {
    let m = mock(MockBuilder::new());
    let c = client(&m);
    let id = draft(&m, "lost-answer");
    m.inject(Fault::DropAfterRead, Scope::RouteNext(Route::RunTask, 1));
    let ran = c.run(&RunTask::new(id.clone())).unwrap();
    check_run_then_fetched(&m, &id, &ran.value);
}

/// Records every sleep (and what the wall clock said) around the real environment.
#[derive(Default)]
struct Recording {
    inner: StdEnv,
    sleeps: Mutex<Vec<(Duration, Duration)>>,
}

impl Env for Recording {
    fn now(&self) -> Duration {
        self.inner.now()
    }
    fn unix_now(&self) -> Duration {
        self.inner.unix_now()
    }
    fn random(&self) -> u64 {
        self.inner.random()
    }
}

impl BlockingEnv for Recording {
    fn sleep(&self, d: Duration) {
        self.sleeps.lock().unwrap().push((self.inner.unix_now(), d));
        self.inner.sleep(d);
    }
}

#[test]
fn a_rate_limited_call_waits_for_the_window_to_reset() {
    let m = rate_limited_mock().start_blocking().unwrap();
    let env = Recording::default();
    let transport = UreqTransport::new(transport_for(&m).allow_http(true)).unwrap();
    let c = BlockingClient::with_settings(settings(&m), transport, &env);
    for _ in 0..3 {
        c.get(&get_example()).unwrap();
    }
    check_waited_for_reset(&m);
    let sleeps = env.sleeps.lock().unwrap().clone();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    // And the wait came from the reset header (whole seconds), not from the 5 ms backoff.
    assert!(sleeps[0].1 > Duration::from_millis(40), "{sleeps:?}");
}

#[test]
fn a_body_over_the_cap_is_a_typed_error() {
    let m = mock(MockBuilder::new());
    let big = insert_big_task(&m);
    let small = m
        .insert_task(serde_json::json!({"name": "small", "status": "COMPLETED"}))
        .unwrap();
    let c = client_with(settings(&m), transport_for(&m).max_body_size(100_000)).unwrap();
    check_body_too_large(&m, &c.get(&GetTask::new(big)).unwrap_err());
    assert!(c.get(&GetTask::new(small.parse().unwrap())).is_ok());
}

#[test]
fn a_slow_server_times_out() {
    let m = mock(MockBuilder::new().seed_examples(true));
    slow_gets(&m);
    let transport = transport_for(&m).timeout(Some(Duration::from_millis(300)));
    let c = client_with(settings(&m), transport)
        .unwrap()
        .with_retry(fast_retry().with_max_attempts(2));
    check_timed_out_twice(&c.get(&get_example()).unwrap_err());
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let settings = {
        let mut s = Settings::new(config(&format!("http://127.0.0.1:{port}/v2")));
        s.retry = fast_retry().with_max_attempts(3);
        s
    };
    let c = client_with(settings, no_proxy()).unwrap();
    let e = c.rerun(&RerunTask::new("x".parse().unwrap())).unwrap_err();
    match &e {
        ClientError::RetriesExhausted {
            attempts: 3, last, ..
        } => {
            assert!(matches!(
                &**last,
                ClientError::Transport(f)
                    if f.kind() == TransportErrorKind::Connect && !f.request_sent()
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let redirector = Redirector::start("302 Found");
    let mut settings = Settings::new(config(redirector.base_url()));
    settings.retry = fast_retry();
    let c = client_with(settings, no_proxy()).unwrap();
    redirector.check(&c.get(&GetTask::new("t1".parse().unwrap())).unwrap_err());
}

#[test]
fn a_closure_transport_drives_the_same_client() {
    let m = mock(MockBuilder::new());
    let real = UreqTransport::new(transport_for(&m).allow_http(true)).unwrap();
    let calls = AtomicU32::new(0);
    // The first attempt "cannot connect"; the rest go through the real transport.
    let flaky = |req| -> Result<_, TransportFailure> {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(TransportFailure::connect("scripted: connection refused"));
        }
        real.send(req)
    };
    let c = BlockingClient::with_settings(settings(&m), flaky, StdEnv::new());
    let original = draft(&m, "closure");
    let before = m.task_count();
    let copy = c.rerun(&RerunTask::new(original.clone())).unwrap();
    check_closure_rerun(&m, &calls, before, &original, &copy.value);
}
