//! The async client over hyper against the mock platform, on loopback, over http and TLS.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sbg_tasks_hyper::{client_with, AsyncClient, HyperClient, HyperTransport, Settings, TokioEnv};
use sbg_tasks_mock::{examples, Fault, Malformed, MockBuilder, MockServer, Route, Schedule, Scope};
use sbg_tasks_proto::endpoints::{AbortTask, GetRateLimit};
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::retry::RetryPolicy;
use sbg_tasks_proto::transport::{AsyncHttpTransport, TransportError, TransportFailure};
use sbg_tasks_proto::wait::WaitPolicy;
use sbg_tasks_proto::{
    AllowHttp, AuthToken, BaseUrl, Config, Decoding, Error, Fields, GetTask, RerunTask, RunTask,
    TaskId, TransportErrorKind,
};

const TOKEN: &str = "5ecret5ecret5ecret5ecret5ecret00";

/// A mock whose rate-limit window is one second, so that a forced 429 (whose reset is the
/// window's end) costs at most a second or two.
async fn mock(b: MockBuilder) -> MockServer {
    b.token(TOKEN)
        .rate_limit(100_000, Duration::from_secs(1))
        .start()
        .await
        .expect("mock starts")
}

fn config(base: &str) -> Config {
    let base = BaseUrl::parse_with(base, AllowHttp::Loopback).unwrap();
    Config::new(base, AuthToken::new(TOKEN).unwrap())
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(40))
}

fn settings(base: &str) -> Settings {
    let mut s = Settings::new(config(base));
    s.retry = fast_retry();
    s.wait = WaitPolicy::default()
        .with_interval(Duration::from_millis(5))
        .with_backoff(1.0);
    s
}

fn transport_for(m: &MockServer) -> sbg_tasks_hyper::HyperTransportBuilder {
    let b = HyperTransport::builder().timeout(Some(Duration::from_secs(10)));
    match m.cert_pem() {
        Some(pem) => b.root_certificates_pem(pem.as_bytes()).unwrap(),
        None => b,
    }
}

fn client(m: &MockServer) -> HyperClient {
    client_with(settings(m.base_url()), transport_for(m)).unwrap()
}

fn draft(m: &MockServer, name: &str) -> TaskId {
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

async fn every_operation(tls: bool) {
    let m = mock(
        MockBuilder::new()
            .seed_examples(true)
            .schedule(Schedule::Polls(3))
            .tls(tls),
    )
    .await;
    assert_eq!(m.base_url().starts_with("https://"), tls);
    let c = client(&m);

    let got = c
        .get(&GetTask::new(examples::GET_TASK_ID.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(got.value.id.as_deref(), Some(examples::GET_TASK_ID));
    assert_eq!(got.value.status, Some(TaskStatus::Completed));

    let id = draft(&m, "e2e");
    let ran = c
        .run(
            &RunTask::new(id.clone())
                .batch(true)
                .use_interruptible_instances(false),
        )
        .await
        .unwrap();
    assert!(ran.value.status.as_ref().is_some_and(TaskStatus::is_active));
    let mut polls = Vec::new();
    let done = c
        .wait(&id, |p| polls.push((p.poll, p.status().cloned())))
        .await
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(polls.len(), 3, "{polls:?}");

    let copy = c
        .rerun(
            &RerunTask::new(id.clone())
                .run(true)
                .batch(true)
                .use_interruptible_instances(true)
                .fields(Fields::All),
        )
        .await
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

    let aborted = c
        .call(&AbortTask::new(copy_id.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(aborted.value.id.as_deref(), Some(copy_id.as_str()));
    assert_eq!(c.call(&GetRateLimit::new()).await.unwrap().meta.status, 200);
    assert!(m.journal().iter().all(|e| e.authorized));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_end_to_end_over_http() {
    every_operation(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_end_to_end_over_tls_with_the_mock_certificate() {
    every_operation(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_without_the_mock_certificate_is_a_tls_error_and_plain_http_needs_permission() {
    let m = mock(MockBuilder::new().seed_examples(true).tls(true)).await;
    let c = client_with(settings(m.base_url()), HyperTransport::builder()).unwrap();
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());
    let e = c.get(&get).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportErrorKind::Tls,
                request_sent: false,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(m.request_count(), 0);

    let plain = mock(MockBuilder::new().seed_examples(true)).await;
    let strict = HyperTransport::builder().build().unwrap();
    let c = AsyncClient::with_settings(settings(plain.base_url()), strict, TokioEnv::new());
    let e = c.get(&get).await.unwrap_err();
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::InsecureScheme));
    assert_eq!(plain.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_reads_are_retried_until_they_pass() {
    let m = mock(MockBuilder::new().seed_examples(true)).await;
    let c = client(&m);
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());
    for fault in [
        Fault::Maintenance,
        Fault::ProxyHtml(502),
        Fault::ProxyHtml(504),
        Fault::RateLimited,
        Fault::DropBeforeRead,
        Fault::DropAfterRead,
        Fault::TruncatedBody,
    ] {
        m.clear_journal();
        m.inject(fault.clone(), Scope::RouteNext(Route::GetTask, 2));
        let got = c.get(&get).await;
        assert!(got.is_ok(), "{fault:?}: {got:?}");
        assert_eq!(m.requests_to(Route::GetTask), 3, "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_faults_give_typed_errors_without_retrying() {
    let m = mock(MockBuilder::new().seed_examples(true)).await;
    let c = client(&m);
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());

    m.inject(
        Fault::Status {
            status: 404,
            code: 7002,
        },
        Scope::Next(1),
    );
    let e = c.get(&get).await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert_eq!(e.api().and_then(|a| a.code).map(|c| c.as_i64()), Some(7002));
    assert_eq!(m.requests_to(Route::GetTask), 1);

    m.inject(Fault::MalformedBody(Malformed::Snip), Scope::Next(2));
    let repaired = c.get(&get).await.unwrap();
    assert!(!repaired.report.is_clean());
    let strict = client(&m).with_decoding(Decoding::Strict);
    assert!(matches!(strict.get(&get).await, Err(Error::Decode { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_under_faults_makes_exactly_one_task() {
    let m = mock(MockBuilder::new()).await;
    let c = client(&m);
    let rerun = RerunTask::new(draft(&m, "original"));
    for fault in [
        Fault::DropAfterRead,
        Fault::Maintenance,
        Fault::ProxyHtml(504),
        Fault::DropBeforeRead,
    ] {
        m.clear_journal();
        let before = m.task_count();
        m.inject(fault.clone(), Scope::RouteNext(Route::CloneTask, 1));
        let e = c.rerun(&rerun).await.unwrap_err();
        assert!(
            !matches!(e, Error::RetriesExhausted { .. }),
            "{fault:?}: {e}"
        );
        assert_eq!(m.requests_to(Route::CloneTask), 1, "{fault:?}");
        let expected = usize::from(fault == Fault::DropAfterRead);
        assert_eq!(m.task_count() - before, expected, "{fault:?}");
    }
    m.clear_journal();
    let before = m.task_count();
    m.inject(Fault::RateLimited, Scope::RouteNext(Route::CloneTask, 1));
    c.rerun(&rerun).await.unwrap();
    assert_eq!(m.requests_to(Route::CloneTask), 2);
    assert_eq!(m.task_count(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_answer_was_lost_returns_the_running_task() {
    let m = mock(MockBuilder::new()).await;
    let c = client(&m);
    let id = draft(&m, "lost-answer");
    m.inject(Fault::DropAfterRead, Scope::RouteNext(Route::RunTask, 1));
    let ran = c.run(&RunTask::new(id.clone())).await.unwrap();
    assert_eq!(ran.value.id.as_deref(), Some(id.as_str()));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_call_waits_for_the_window_to_reset() {
    let m = MockBuilder::new()
        .token(TOKEN)
        .seed_examples(true)
        .rate_limit(2, Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let c = client(&m);
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());
    for _ in 0..3 {
        c.get(&get).await.unwrap();
    }
    let journal = m.journal();
    let statuses: Vec<Option<u16>> = journal.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(429), Some(200)]);
    assert!(journal[3].at - journal[0].at >= Duration::from_millis(1500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_cap_is_a_typed_error() {
    let m = mock(MockBuilder::new()).await;
    let big = m
        .insert_task(serde_json::json!({"name": "big", "status": "COMPLETED", "description": "x".repeat(300_000)}))
        .unwrap();
    let c = client_with(
        settings(m.base_url()),
        transport_for(&m).max_body_size(100_000),
    )
    .unwrap();
    let e = c
        .get(&GetTask::new(big.parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
    assert_eq!(m.requests_to(Route::GetTask), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out() {
    let m = mock(MockBuilder::new().seed_examples(true)).await;
    m.inject(
        Fault::Delay(Duration::from_secs(3)),
        Scope::Route(Route::GetTask),
    );
    let transport = transport_for(&m).timeout(Some(Duration::from_millis(300)));
    let c = client_with(settings(m.base_url()), transport)
        .unwrap()
        .with_retry(fast_retry().with_max_attempts(2));
    let e = c
        .get(&GetTask::new(examples::GET_TASK_ID.parse().unwrap()))
        .await
        .unwrap_err();
    match &e {
        Error::RetriesExhausted {
            attempts: 2, last, ..
        } => assert_eq!(last.transport_kind(), Some(TransportErrorKind::Timeout)),
        other => panic!("{other:?}"),
    }
    m.clear_faults();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_does_not_carry_the_token() {
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let other_addr = other.local_addr().unwrap();
    let redirector = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v2", redirector.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let (mut s, _) = redirector.accept().unwrap();
        let mut buf = vec![0u8; 8192];
        let n = s.read(&mut buf).unwrap();
        let answer = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{other_addr}/v2/tasks/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        s.write_all(answer.as_bytes()).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let c = client_with(settings(&base), HyperTransport::builder()).unwrap();
    let e = c
        .get(&GetTask::new("t1".parse().unwrap()))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Redirect { status: 307, location } if location.contains(&other_addr.to_string())),
        "{e:?}"
    );
    let head = seen.join().unwrap();
    assert!(
        head.to_ascii_lowercase().contains("x-sbg-auth-token"),
        "{head}"
    );
    assert_eq!(
        head.to_ascii_lowercase().matches("\r\nhost:").count(),
        1,
        "{head}"
    );
    match other.accept() {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
        Ok(_) => panic!("the other host was contacted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closure_transport_drives_the_same_client() {
    let m = mock(MockBuilder::new()).await;
    let real = transport_for(&m).allow_http(true).build().unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let flaky = {
        let calls = calls.clone();
        move |req| {
            let real = real.clone();
            let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    return Err(TransportFailure::connect("scripted: connection refused"));
                }
                real.send(req)
                    .await
                    .map_err(|e| TransportFailure::new(e.kind(), e.to_string()))
            }
        }
    };
    let c = AsyncClient::with_settings(settings(m.base_url()), flaky, TokioEnv::new());
    let original = draft(&m, "closure");
    let before = m.task_count();
    let copy = c.rerun(&RerunTask::new(original.clone())).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(m.task_count(), before + 1);
    assert_eq!(m.requests_to(Route::CloneTask), 1);
    assert_ne!(copy.value.id.as_deref(), Some(original.as_str()));
}

async fn many_concurrent_gets(tls: bool, n: usize) {
    let m = MockBuilder::new()
        .token(TOKEN)
        .seed_examples(true)
        .no_rate_limit()
        .tls(tls)
        .start()
        .await
        .unwrap();
    let c = Arc::new(client(&m));
    let id: TaskId = examples::GET_TASK_ID.parse().unwrap();
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let c = c.clone();
        let get = GetTask::new(id.clone());
        // tokio::spawn requires the client's futures to be Send.
        handles.push(tokio::spawn(async move { c.get(&get).await }));
    }
    let mut ok = 0;
    for h in handles {
        let answer = h.await.unwrap().unwrap();
        assert_eq!(answer.value.id.as_deref(), Some(examples::GET_TASK_ID));
        ok += 1;
    }
    assert_eq!(ok, n);
    assert_eq!(m.request_count(), n as u64, "no retries were needed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_gets_share_one_client_over_http() {
    many_concurrent_gets(false, 1000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_gets_share_one_client_over_tls_http2() {
    many_concurrent_gets(true, 1000).await;
}
