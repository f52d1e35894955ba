//! What is about the hyper transport alone, against the mock platform and loopback servers:
//! TLS roots, plain http refused unless allowed, the body cap, timeouts, refused connections,
//! redirects, and what only an async client has (a thousand concurrent calls through one
//! client, a `Send` listing stream driven on another task). The scenarios both transports run
//! are in `scenarios.rs`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use sbg_tasks_hyper::proto::transport::Proxy;
use sbg_tasks_hyper::proto::transport::{TransportErrorKind, TransportOptions};
use sbg_tasks_hyper::{client_with, AsyncClient, HyperClient, HyperTransport, TokioEnv};
use sbg_tasks_hyper::{ClientError, GetTask, RerunTask, Task};
use sbg_tasks_mock::{examples, MockBuilder, MockServer};
use sbg_tasks_testkit::faults::*;
use sbg_tasks_testkit::lifecycle;
use sbg_tasks_testkit::{fast_retry, fast_settings as settings, transport_options, TOKEN};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_without_the_mock_certificate_fails_with_a_tls_error_and_is_not_retried() {
    let m = mock(MockBuilder::new().seed_examples(true).tls(true)).await;
    let c = client_with(settings(m.base_url()), no_proxy()).unwrap();
    let e = c.get(&get_example()).await.unwrap_err();
    check_refused_before_sending(&m, &e, TransportErrorKind::Tls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_unless_allowed() {
    let plain = mock(MockBuilder::new().seed_examples(true)).await;
    let strict = HyperTransport::new(no_proxy()).unwrap();
    let c = AsyncClient::with_settings(settings(plain.base_url()), strict, TokioEnv::new());
    let e = c.get(&get_example()).await.unwrap_err();
    check_refused_before_sending(&plain, &e, TransportErrorKind::InsecureScheme);
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
async fn connection_refused_is_retried_then_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut s = settings(&format!("http://127.0.0.1:{port}/v2"));
    s.retry = fast_retry().with_max_attempts(3);
    let c = client_with(s, no_proxy()).unwrap();
    let e = c
        .rerun(&RerunTask::new("x".parse().unwrap()))
        .await
        .unwrap_err();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_stream_is_send_and_walks_on_another_task() {
    let m = lifecycle::builder().start().await.expect("mock starts");
    lifecycle::seed_list(&m);
    let c = Arc::new(client_with(lifecycle::settings(m.base_url()), transport_for(&m)).unwrap());
    let mut stream = c.list(&lifecycle::by_name_desc());
    let name = |t: Result<Task, _>| t.unwrap().name.unwrap();
    let mut seen: Vec<String> = stream.by_ref().take(6).map(name).collect().await;
    lifecycle::insert_in_front(&m);
    // tokio::spawn requires the stream (and the client's futures) to be Send.
    let rest = tokio::spawn({
        let c = Arc::clone(&c);
        async move {
            c.list(&lifecycle::by_name_desc())
                .try_collect::<Vec<Task>>()
                .await
        }
    });
    seen.extend(stream.map(name).collect::<Vec<_>>().await);
    lifecycle::check_desc_walk(&seen);
    assert_eq!(rest.await.unwrap().unwrap().len(), lifecycle::MATCHING + 3);
}
