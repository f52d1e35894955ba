//! The setup every test shares: the token, the mock's builder, the client's configuration,
//! settings and transport options, and a draft task.

use std::time::Duration;

use sbg_tasks_mock::{MockBuilder, MockControl};
use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::machine::retry::RetryPolicy;
use sbg_tasks_proto::machine::wait::WaitPolicy;
use sbg_tasks_proto::transport::{Proxy, TransportOptions};
use sbg_tasks_proto::Settings;
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, TaskId};

/// The token the mocks accept and the clients send.
pub const TOKEN: &str = "5ecret5ecret5ecret5ecret5ecret00";

/// `b` with [`TOKEN`] and a rate-limit window of one second (and a budget no test reaches),
/// so that a forced 429 (whose reset is the window's end) costs at most a second or two.
pub fn mock_builder(b: MockBuilder) -> MockBuilder {
    b.token(TOKEN).rate_limit(100_000, Duration::from_secs(1))
}

/// The configuration for the mock at `base` (http allowed on loopback) with [`TOKEN`].
pub fn config(base: &str) -> Config {
    let base = BaseUrl::parse_with(base, AllowHttp::Loopback).unwrap();
    Config::new(base, AuthToken::new(TOKEN).unwrap())
}

/// Quick retries (5 ms to 40 ms), so fault tests run fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(40))
}

/// Settings for the mock at `base`: [`fast_retry`] and polls every 5 ms.
pub fn fast_settings(base: &str) -> Settings {
    let mut s = Settings::new(config(base));
    s.retry = fast_retry();
    s.wait = WaitPolicy::default()
        .with_interval(Duration::from_millis(5))
        .with_backoff(1.0);
    s
}

/// Transport options for mock `m`: a 10 s timeout, no proxy (the mock is on loopback), and the mock's certificate as the only
/// root when it speaks TLS.
pub fn transport_options(m: &MockControl) -> TransportOptions {
    let options = TransportOptions::default()
        .timeout(Some(Duration::from_secs(10)))
        .proxy(Proxy::Off);
    match m.cert_pem() {
        Some(pem) => options.root_certificates_pem(pem.as_bytes()),
        None => options,
    }
}

/// Inserts a DRAFT task named `name` into the mock; its id.
pub fn draft(m: &MockControl, name: &str) -> TaskId {
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
