//! The hyper transport through an HTTP proxy (a CONNECT proxy on loopback, written here so that
//! it can record what it sees), against the mock platform over TLS.

mod support;

use sbg_tasks_hyper::proto::transport::AsyncHttpTransport;
use sbg_tasks_hyper::proto::transport::TransportErrorKind;
use sbg_tasks_hyper::proto::transport::{
    Proxy as ProxyOption, TransportBuildError, TransportOptions,
};
use sbg_tasks_hyper::{client_with, HyperTransport};
use sbg_tasks_hyper::{Endpoint, GetTask};
use sbg_tasks_mock::{examples, MockBuilder, MockServer};
use sbg_tasks_testkit::{config, fast_settings as settings, transport_options, TOKEN};
use support::Proxy;

async fn tls_mock() -> MockServer {
    sbg_tasks_testkit::mock_builder(MockBuilder::new().seed_examples(true).tls(true))
        .start()
        .await
        .unwrap()
}

fn transport_for(m: &MockServer) -> TransportOptions {
    transport_options(m)
}

fn get_example() -> GetTask {
    GetTask::new(examples::GET_TASK_ID.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_tunnels_tls_and_sees_neither_requests_nor_the_token() {
    let m = tls_mock().await;
    let proxy = Proxy::start(None).await;
    let c = client_with(
        settings(m.base_url()),
        transport_for(&m).proxy(ProxyOption::Url(proxy.url())),
    )
    .unwrap();
    for _ in 0..3 {
        let got = c.get(&get_example()).await.unwrap();
        assert_eq!(got.value.id.as_deref(), Some(examples::GET_TASK_ID));
    }
    // One tunnel to the server's host and port, reused by the pool for every call.
    let authority = m.base_url().trim_start_matches("https://");
    let authority = authority.split('/').next().unwrap();
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT {authority} HTTP/1.1\r\n")),
        "{heads:?}"
    );
    assert!(!heads[0].to_ascii_lowercase().contains("x-sbg-auth-token"));
    // Inside the tunnel: TLS, so no request line and no token in clear.
    let seen = proxy.seen.lock().unwrap();
    assert!(seen.tunnelled.len() > 100);
    let has = |needle: &[u8]| seen.tunnelled.windows(needle.len()).any(|w| w == needle);
    assert!(
        !has(TOKEN.as_bytes()),
        "the token went through the proxy in clear"
    );
    assert!(
        !has(b"/v2/tasks/"),
        "a request line went through the proxy in clear"
    );
    assert_eq!(m.journal().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_credentials_go_on_the_connect_request_only() {
    let m = tls_mock().await;
    let proxy = Proxy::start(None).await;
    let url = format!("http://user:s3cr3t@{}", proxy.addr);
    let builder = transport_for(&m).proxy(ProxyOption::Url(url));
    assert!(!format!("{builder:?}").contains("s3cr3t"), "{builder:?}");
    let c = client_with(settings(m.base_url()), builder).unwrap();
    c.get(&get_example()).await.unwrap();
    let head = proxy.heads()[0].to_ascii_lowercase();
    // base64("user:s3cr3t")
    assert!(
        head.contains("proxy-authorization: basic dxnlcjpzm2nym3q="),
        "{head}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_refuses_is_a_connect_error_before_anything_is_sent() {
    let m = tls_mock().await;
    let proxy = Proxy::start(Some("HTTP/1.1 407 Proxy Authentication Required")).await;
    let transport =
        HyperTransport::new(transport_for(&m).proxy(ProxyOption::Url(proxy.url()))).unwrap();
    let request = get_example()
        .prepare_request(&config(m.base_url()))
        .unwrap();
    let e = transport.send(request).await.unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Connect, "{e}");
    assert!(!e.request_sent(), "{e}");
    assert!(!e.to_string().contains(TOKEN));
    assert_eq!(proxy.heads().len(), 1);
    assert!(m.journal().is_empty(), "nothing reached the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_usable_proxies_are_accepted_and_the_proxy_can_be_turned_off() {
    for bad in [
        "socks5://127.0.0.1:1080",
        "https://proxy.example:3128",
        "not a url",
    ] {
        let options = TransportOptions::default().proxy(ProxyOption::Url(bad.into()));
        match HyperTransport::new(options) {
            Err(e @ TransportBuildError::Proxy { .. }) => {
                assert!(!e.to_string().contains(bad), "{e}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // Off: straight to the server, the proxy set before is replaced.
    let m = tls_mock().await;
    let proxy = Proxy::start(None).await;
    let builder = transport_for(&m)
        .proxy(ProxyOption::Url(proxy.url()))
        .proxy(ProxyOption::Off);
    let c = client_with(settings(m.base_url()), builder).unwrap();
    c.get(&get_example()).await.unwrap();
    assert!(proxy.heads().is_empty());
}
