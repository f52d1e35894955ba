//! The blocking client over ureq against the mock platform, on loopback, over http and TLS.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sbg_tasks_mock::{examples, Fault, Malformed, MockBuilder, MockHandle, Route, Schedule, Scope};
use sbg_tasks_proto::client::{BlockingEnv, Env};
use sbg_tasks_proto::endpoints::{AbortTask, GetRateLimit};
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::retry::RetryPolicy;
use sbg_tasks_proto::transport::{HttpTransport, TransportFailure};
use sbg_tasks_proto::wait::WaitPolicy;
use sbg_tasks_proto::{
    AllowHttp, AuthToken, BaseUrl, Config, Decoding, Error, Fields, GetTask, RerunTask, RunTask,
    TaskId, TransportErrorKind,
};
use sbg_tasks_ureq::{client_with, BlockingClient, Client, Settings, StdEnv, UreqTransport};

const TOKEN: &str = "5ecret5ecret5ecret5ecret5ecret00";

/// A mock whose rate-limit window is one second, so that a forced 429 (whose reset is the
/// window's end) costs at most a second or two.
fn mock(b: MockBuilder) -> MockHandle {
    b.token(TOKEN)
        .rate_limit(10_000, Duration::from_secs(1))
        .start_blocking()
        .expect("mock starts")
}

fn config(base: &str) -> Config {
    let base = BaseUrl::parse_with(base, AllowHttp::Loopback).unwrap();
    Config::new(base, AuthToken::new(TOKEN).unwrap())
}

/// Quick retries so fault tests run fast.
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(40))
}

fn settings(m: &MockHandle) -> Settings {
    let mut s = Settings::new(config(m.base_url()));
    s.retry = fast_retry();
    s.wait = WaitPolicy::default()
        .with_interval(Duration::from_millis(5))
        .with_backoff(1.0);
    s
}

fn transport_for(m: &MockHandle) -> sbg_tasks_ureq::UreqTransportBuilder {
    let b = UreqTransport::builder()
        .proxy_from_env(false)
        .timeout(Some(Duration::from_secs(10)));
    match m.cert_pem() {
        Some(pem) => b.root_certificates_pem(pem.as_bytes()).unwrap(),
        None => b,
    }
}

fn client(m: &MockHandle) -> BlockingClient {
    client_with(settings(m), transport_for(m))
}

fn draft(m: &MockHandle, name: &str) -> TaskId {
    m.insert_task(serde_json::json!({
        "name": name,
        "status": "DRAFT",
        "project": "mock-user/demo",
        "app": "mock-user/demo/app/1",
    }))
    .unwrap()
    .parse()
    .unwrap()
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
    let got = c
        .get(&GetTask::new(examples::GET_TASK_ID.parse().unwrap()))
        .unwrap();
    assert_eq!(got.value.id.as_deref(), Some(examples::GET_TASK_ID));
    assert_eq!(got.value.status, Some(TaskStatus::Completed));
    assert!(got.meta.rate_limit.is_some());

    // run, then wait with progress
    let id = draft(&m, "e2e");
    let ran = c
        .run(
            &RunTask::new(id.clone())
                .batch(true)
                .use_interruptible_instances(false),
        )
        .unwrap();
    assert!(
        ran.value.status.as_ref().is_some_and(TaskStatus::is_active),
        "{ran:?}"
    );
    let mut polls = Vec::new();
    let done = c
        .wait(&id, |p| {
            polls.push((p.poll, p.status().cloned(), p.steps()))
        })
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(polls.len(), 3, "{polls:?}");
    assert_eq!(polls.last().unwrap().1, Some(TaskStatus::Completed));

    // rerun with every option
    let copy = c
        .rerun(
            &RerunTask::new(id.clone())
                .run(true)
                .batch(true)
                .use_interruptible_instances(true)
                .fields(Fields::All),
        )
        .unwrap();
    let copy_id = copy.value.id.clone().unwrap();
    assert_ne!(copy_id, id.as_str());
    let clone = m
        .journal()
        .into_iter()
        .find(|e| e.route == Route::CloneTask)
        .unwrap();
    assert_eq!(
        clone.query.as_deref(),
        Some("action=run&batch=true&use_interruptible_instances=true&fields=_all")
    );

    // any other endpoint through the generic call
    let aborted = c.call(&AbortTask::new(copy_id.parse().unwrap())).unwrap();
    assert_eq!(aborted.value.id.as_deref(), Some(copy_id.as_str()));
    let limits = c.call(&GetRateLimit::new()).unwrap();
    assert!(limits.meta.status == 200);

    // every request carried the token in the documented header
    assert!(m.journal().iter().all(|e| e.authorized));
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
    let c = client_with(settings(&m), UreqTransport::builder().proxy_from_env(false));
    let e = c
        .get(&GetTask::new(examples::GET_TASK_ID.parse().unwrap()))
        .unwrap_err();
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Tls), "{e}");
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert_eq!(m.request_count(), 0);
}

#[test]
fn plain_http_is_refused_unless_allowed() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let strict = UreqTransport::builder().proxy_from_env(false).build();
    let c = Client::with_settings(settings(&m), strict, StdEnv::new());
    let e = c
        .get(&GetTask::new(examples::GET_TASK_ID.parse().unwrap()))
        .unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(TransportErrorKind::InsecureScheme),
        "{e}"
    );
    assert_eq!(m.request_count(), 0);
}

#[test]
fn faults_on_reads_are_retried_until_they_pass() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(&m);
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());
    let faults = [
        Fault::Maintenance,
        Fault::ProxyHtml(502),
        Fault::ProxyHtml(504),
        Fault::RateLimited,
        Fault::DropBeforeRead,
        Fault::DropAfterRead,
        Fault::TruncatedBody,
    ];
    for fault in faults {
        m.clear_journal();
        m.inject(fault.clone(), Scope::RouteNext(Route::GetTask, 2));
        let got = c.get(&get);
        assert!(got.is_ok(), "{fault:?}: {got:?}");
        assert_eq!(
            count(&m, Route::GetTask),
            3,
            "{fault:?}: two faults, one success"
        );
    }
}

#[test]
fn final_faults_give_typed_errors_without_retrying() {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(&m);
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());

    m.inject(
        Fault::Status {
            status: 403,
            code: 7001,
        },
        Scope::Next(1),
    );
    let e = c.get(&get).unwrap_err();
    assert_eq!(e.api().and_then(|a| a.code).map(|c| c.as_i64()), Some(7001));
    assert_eq!(count(&m, Route::GetTask), 1);

    m.clear_journal();
    m.inject(Fault::MalformedBody(Malformed::NotJson), Scope::Next(1));
    assert!(matches!(
        c.get(&get),
        Err(Error::Decode { status: 200, .. })
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
    assert!(matches!(strict.get(&get), Err(Error::Decode { .. })));

    // Retries run out: a typed error with the attempts and the last failure.
    m.clear_journal();
    m.inject(Fault::Maintenance, Scope::Route(Route::GetTask));
    let c3 = client(&m).with_retry(fast_retry().with_max_attempts(3));
    match c3.get(&get) {
        Err(Error::RetriesExhausted { attempts, last, .. }) => {
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
        m.clear_journal();
        let before = m.task_count();
        m.inject(fault.clone(), Scope::RouteNext(Route::CloneTask, 1));
        let e = c.rerun(&rerun).unwrap_err();
        assert!(
            !matches!(e, Error::RetriesExhausted { .. }),
            "{fault:?}: {e}"
        );
        assert_eq!(count(&m, Route::CloneTask), 1, "{fault:?}: sent once");
        let made = m.task_count() - before;
        let expected = usize::from(fault == Fault::DropAfterRead);
        assert_eq!(made, expected, "{fault:?}: copies made");
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
    assert_eq!(ran.value.id.as_deref(), Some(id.as_str()));
    assert!(ran.value.status.as_ref().is_some_and(TaskStatus::is_active));
    let routes: Vec<(Route, Option<u16>)> =
        m.journal().iter().map(|e| (e.route, e.status)).collect();
    assert_eq!(
        routes,
        [
            (Route::RunTask, None),
            (Route::RunTask, Some(400)),
            (Route::GetTask, Some(200))
        ]
    );
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
    let m = MockBuilder::new()
        .token(TOKEN)
        .seed_examples(true)
        .rate_limit(2, Duration::from_millis(1500))
        .start_blocking()
        .unwrap();
    let env = Recording::default();
    let transport = transport_for(&m).allow_http(true).build();
    let c = Client::with_settings(settings(&m), transport, &env);
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());
    for _ in 0..3 {
        c.get(&get).unwrap();
    }
    let journal = m.journal();
    let statuses: Vec<Option<u16>> = journal.iter().map(|e| e.status).collect();
    // The third call met the limit once, waited for the reset, and went through.
    assert_eq!(statuses, [Some(200), Some(200), Some(429), Some(200)]);
    let sleeps = env.sleeps.lock().unwrap().clone();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    // The window (1.5 s from the first request) had ended when the retry arrived.
    assert!(journal[3].at - journal[0].at >= Duration::from_millis(1500));
    // And the wait came from the reset header (whole seconds), not from the 5 ms backoff.
    assert!(sleeps[0].1 > Duration::from_millis(40), "{sleeps:?}");
}

#[test]
fn a_body_over_the_cap_is_a_typed_error() {
    let m = mock(MockBuilder::new());
    let big = m
        .insert_task(serde_json::json!({
            "name": "big",
            "status": "COMPLETED",
            "description": "x".repeat(300_000),
        }))
        .unwrap();
    let small = m
        .insert_task(serde_json::json!({"name": "small", "status": "COMPLETED"}))
        .unwrap();
    let c = client_with(settings(&m), transport_for(&m).max_body_size(100_000));
    let e = c.get(&GetTask::new(big.parse().unwrap())).unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
    assert_eq!(count(&m, Route::GetTask), 1, "not retried");
    assert!(c.get(&GetTask::new(small.parse().unwrap())).is_ok());
}

#[test]
fn a_slow_server_times_out() {
    let m = mock(MockBuilder::new().seed_examples(true));
    m.inject(
        Fault::Delay(Duration::from_secs(3)),
        Scope::Route(Route::GetTask),
    );
    let transport = transport_for(&m).timeout(Some(Duration::from_millis(300)));
    let c = client_with(settings(&m), transport).with_retry(fast_retry().with_max_attempts(2));
    let e = c
        .get(&GetTask::new(examples::GET_TASK_ID.parse().unwrap()))
        .unwrap_err();
    match &e {
        Error::RetriesExhausted {
            attempts: 2, last, ..
        } => {
            assert_eq!(
                last.transport_kind(),
                Some(TransportErrorKind::Timeout),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
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
    let c = client_with(settings, UreqTransport::builder().proxy_from_env(false));
    let e = c.rerun(&RerunTask::new("x".parse().unwrap())).unwrap_err();
    match &e {
        Error::RetriesExhausted {
            attempts: 3, last, ..
        } => {
            assert!(matches!(
                **last,
                Error::Transport {
                    kind: TransportErrorKind::Connect,
                    request_sent: false,
                    ..
                }
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    // "Another host": a second loopback server that records whatever reaches it.
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let other_addr = other.local_addr().unwrap();
    let redirector = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v2", redirector.local_addr().unwrap());
    let seen_by_redirector = std::thread::spawn(move || {
        let (mut s, _) = redirector.accept().unwrap();
        let mut buf = vec![0u8; 8192];
        let n = s.read(&mut buf).unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        let answer = format!(
            "HTTP/1.1 302 Found\r\nLocation: http://{other_addr}/v2/tasks/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        s.write_all(answer.as_bytes()).unwrap();
        head
    });
    let mut settings = Settings::new(config(&base));
    settings.retry = fast_retry();
    let c = client_with(settings, UreqTransport::builder().proxy_from_env(false));
    let e = c.get(&GetTask::new("t1".parse().unwrap())).unwrap_err();
    match &e {
        Error::Redirect { status, location } => {
            assert_eq!(*status, 302);
            assert!(location.contains(&other_addr.to_string()));
        }
        other => panic!("{other:?}"),
    }
    let head = seen_by_redirector.join().unwrap();
    assert!(
        head.to_ascii_lowercase().contains("x-sbg-auth-token"),
        "{head}"
    );
    assert_eq!(
        head.to_ascii_lowercase().matches("\r\nhost:").count(),
        1,
        "one Host header: {head}"
    );
    // Nothing ever connected to the other host.
    match other.accept() {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
        Ok((mut s, _)) => {
            let mut got = String::new();
            let _ = s.read_to_string(&mut got);
            panic!("the other host was contacted: {got}");
        }
    }
    assert!(!e.to_string().contains(TOKEN));
}

#[test]
fn a_closure_transport_drives_the_same_client() {
    let m = mock(MockBuilder::new());
    let real = transport_for(&m).allow_http(true).build();
    let calls = AtomicU32::new(0);
    // The first attempt "cannot connect"; the rest go through the real transport.
    let flaky = |req| -> Result<_, TransportFailure> {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(TransportFailure::connect("scripted: connection refused"));
        }
        real.send(req).map_err(|e| {
            TransportFailure::new(sbg_tasks_proto::TransportError::kind(&e), e.to_string())
        })
    };
    let c = Client::with_settings(settings(&m), flaky, StdEnv::new());
    let original = draft(&m, "closure");
    let before = m.task_count();
    let copy = c.rerun(&RerunTask::new(original.clone())).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(m.task_count(), before + 1);
    assert_eq!(count(&m, Route::CloneTask), 1);
    assert_ne!(copy.value.id.as_deref(), Some(original.as_str()));
}
