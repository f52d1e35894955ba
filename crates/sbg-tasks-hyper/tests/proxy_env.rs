//! The proxy named by the environment, by default. Its own test binary with one test: it sets
//! process environment variables, which no other test may see.

mod support;

use sbg_tasks_hyper::client_with;
use sbg_tasks_hyper::proto::transport::Proxy as ProxyOption;
use sbg_tasks_hyper::GetTask;
use sbg_tasks_mock::{examples, MockBuilder};
use sbg_tasks_testkit::{fast_settings as settings, transport_options};
use support::Proxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_names_the_proxy_and_no_proxy_bypasses_it() {
    let m = sbg_tasks_testkit::mock_builder(MockBuilder::new().seed_examples(true).tls(true))
        .start()
        .await
        .unwrap();
    let proxy = Proxy::start(None).await;
    let get = GetTask::new(examples::GET_TASK_ID.parse().unwrap());
    let transport = || transport_options(&m).proxy(ProxyOption::FromEnv);
    for var in [
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "no_proxy",
        "https_proxy",
    ] {
        std::env::remove_var(var);
    }

    std::env::set_var("HTTPS_PROXY", proxy.url());
    std::env::set_var("NO_PROXY", "example.com");
    let c = client_with(settings(m.base_url()), transport()).unwrap();
    c.get(&get).await.unwrap();
    assert_eq!(
        proxy.heads().len(),
        1,
        "the default transport used HTTPS_PROXY"
    );

    std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
    let c = client_with(settings(m.base_url()), transport()).unwrap();
    c.get(&get).await.unwrap();
    assert_eq!(
        proxy.heads().len(),
        1,
        "NO_PROXY sent it straight to the server"
    );

    std::env::remove_var("NO_PROXY");
    let c = client_with(settings(m.base_url()), transport().proxy(ProxyOption::Off)).unwrap();
    c.get(&get).await.unwrap();
    assert_eq!(proxy.heads().len(), 1, "Proxy::Off ignores HTTPS_PROXY");
    std::env::remove_var("HTTPS_PROXY");
}
