//! The async client over hyper against the mock platform, on loopback, over http and TLS.
//! The setup and the checks are shared with the blocking transport's tests
//! ([`sbg_tasks_testkit`]); only the calls are made here.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sbg_tasks_hyper::endpoints::{AbortTask, GetRateLimit};
use sbg_tasks_hyper::model::TaskStatus;
use sbg_tasks_hyper::transport::{AsyncHttpTransport, TransportFailure};
use sbg_tasks_hyper::{
    client_with, AsyncClient, HyperClient, HyperTransport, Proxy, TokioEnv, TransportOptions,
};
use sbg_tasks_hyper::{ClientError, Decoding, GetTask, RerunTask, RunTask, TransportErrorKind};
use sbg_tasks_mock::{examples, Fault, Malformed, MockBuilder, MockServer, Route, Schedule, Scope};
use sbg_tasks_testkit::faults::*;
use sbg_tasks_testkit::{draft, fast_retry, fast_settings as settings, transport_options, TOKEN};

async fn mock(b: MockBuilder) -> MockServer {
    sbg_tasks_testkit::mock_builder(b)
        .start()
        .await
        .expect("mock starts")
}

fn transport_for(m: &MockServer) -> TransportOptions {
    transport_options(m)
}

/// The default options without the environment's proxy (the servers are on loopback).
fn no_proxy() -> TransportOptions {
    TransportOptions::default().proxy(Proxy::Off)
}

fn client(m: &MockServer) -> HyperClient {
    client_with(settings(m.base_url()), transport_for(m)).unwrap()
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

    let got = c.get(&get_example()).await.unwrap();
    assert_eq!(got.value.id.as_deref(), Some(examples::GET_TASK_ID));
    assert_eq!(got.value.status, Some(TaskStatus::Completed));

    let id = draft(&m, "e2e");
    let ran = c.run(&run_with_options(&id)).await.unwrap();
    assert!(ran.value.status.as_ref().is_some_and(TaskStatus::is_active));
    let mut polls = Vec::new();
    let done = c
        .wait_with_progress(&id, |p| polls.push((p.poll, p.status().cloned())))
        .await
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(polls.len(), 3, "{polls:?}");

    let copy = c.rerun(&rerun_with_every_option(&id)).await.unwrap();
    let copy_id = copy.value.id.clone().unwrap();
    assert_ne!(copy_id, id.as_str());

    let aborted = c
        .call(&AbortTask::new(copy_id.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(aborted.value.id.as_deref(), Some(copy_id.as_str()));
    assert_eq!(c.call(&GetRateLimit::new()).await.unwrap().meta.status, 200);
    check_every_operation_journal(&m);
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
    let c = client_with(settings(m.base_url()), no_proxy()).unwrap();
    let e = c.get(&get_example()).await.unwrap_err();
    check_refused_before_sending(&m, &e, TransportErrorKind::Tls);

    let plain = mock(MockBuilder::new().seed_examples(true)).await;
    let strict = HyperTransport::new(no_proxy()).unwrap();
    let c = AsyncClient::with_settings(settings(plain.base_url()), strict, TokioEnv::new());
    let e = c.get(&get_example()).await.unwrap_err();
    check_refused_before_sending(&plain, &e, TransportErrorKind::InsecureScheme);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_reads_are_retried_until_they_pass() {
    let m = mock(MockBuilder::new().seed_examples(true)).await;
    let c = client(&m);
    for fault in read_faults() {
        inject_twice_on_get(&m, &fault);
        check_read_retried(&m, &fault, &c.get(&get_example()).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_faults_give_typed_errors_without_retrying() {
    let m = mock(MockBuilder::new().seed_examples(true)).await;
    let c = client(&m);
    let get = get_example();

    inject_api_error_once(&m, 404, 7002);
    let e = c.get(&get).await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    check_api_error_not_retried(&m, &e, 7002);

    m.inject(Fault::MalformedBody(Malformed::Snip), Scope::Next(2));
    let repaired = c.get(&get).await.unwrap();
    assert!(!repaired.report.is_clean());
    let strict = client(&m).with_decoding(Decoding::Strict);
    assert!(matches!(
        strict.get(&get).await,
        Err(ClientError::Decode { .. })
    ));
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
        let before = inject_once_on_rerun(&m, &fault);
        check_rerun_sent_once(&m, &fault, before, &c.rerun(&rerun).await.unwrap_err());
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
    check_run_then_fetched(&m, &id, &ran.value);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_call_waits_for_the_window_to_reset() {
    let m = rate_limited_mock().start().await.unwrap();
    let c = client(&m);
    for _ in 0..3 {
        c.get(&get_example()).await.unwrap();
    }
    check_waited_for_reset(&m);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_cap_is_a_typed_error() {
    let m = mock(MockBuilder::new()).await;
    let big = insert_big_task(&m);
    let c = client_with(
        settings(m.base_url()),
        transport_for(&m).max_body_size(100_000),
    )
    .unwrap();
    let e = c.get(&GetTask::new(big)).await.unwrap_err();
    check_body_too_large(&m, &e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out() {
    let m = mock(MockBuilder::new().seed_examples(true)).await;
    slow_gets(&m);
    let transport = transport_for(&m).timeout(Some(Duration::from_millis(300)));
    let c = client_with(settings(m.base_url()), transport)
        .unwrap()
        .with_retry(fast_retry().with_max_attempts(2));
    check_timed_out_twice(&c.get(&get_example()).await.unwrap_err());
    m.clear_faults();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_does_not_carry_the_token() {
    let redirector = Redirector::start("307 Temporary Redirect");
    let c = client_with(settings(redirector.base_url()), no_proxy()).unwrap();
    let e = c
        .get(&GetTask::new("t1".parse().unwrap()))
        .await
        .unwrap_err();
    redirector.check(&e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closure_transport_drives_the_same_client() {
    let m = mock(MockBuilder::new()).await;
    let real = HyperTransport::new(transport_for(&m).allow_http(true)).unwrap();
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
                real.send(req).await
            }
        }
    };
    let c = AsyncClient::with_settings(settings(m.base_url()), flaky, TokioEnv::new());
    let original = draft(&m, "closure");
    let before = m.task_count();
    let copy = c.rerun(&RerunTask::new(original.clone())).await.unwrap();
    check_closure_rerun(&m, &calls, before, &original, &copy.value);
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
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let c = c.clone();
        // tokio::spawn requires the client's futures to be Send.
        handles.push(tokio::spawn(async move { c.get(&get_example()).await }));
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
