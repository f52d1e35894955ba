//! What is about the ureq transport alone, against the mock platform and loopback servers:
//! TLS roots, plain http refused unless allowed, the body cap, timeouts, refused connections
//! and redirects. The scenarios both transports run are in `scenarios.rs`.

use std::net::TcpListener;
use std::time::Duration;

use sbg_tasks_mock::{MockBuilder, MockHandle};
use sbg_tasks_testkit::faults::*;
use sbg_tasks_testkit::{config, fast_retry, fast_settings, mock_builder, transport_options};
use sbg_tasks_ureq::proto::transport::TransportErrorKind;
use sbg_tasks_ureq::proto::transport::{Proxy, TransportOptions};
use sbg_tasks_ureq::{client_with, BlockingClient, Settings, StdEnv, UreqTransport};
use sbg_tasks_ureq::{ClientError, GetTask, RerunTask};

fn mock(b: MockBuilder) -> MockHandle {
    mock_builder(b).start_blocking().expect("mock starts")
}

fn settings(m: &MockHandle) -> Settings {
    fast_settings(m.base_url())
}

fn transport_for(m: &MockHandle) -> TransportOptions {
    transport_options(m)
}

/// The default options without the environment's proxy (the servers are on loopback).
fn no_proxy() -> TransportOptions {
    TransportOptions::default().proxy(Proxy::Off)
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
