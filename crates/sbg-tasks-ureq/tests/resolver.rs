//! The transport's ureq resolver: IP literals are the answer at once (no lookup: they pass even
//! with no time left, where a lookup is reported as a timeout), names are looked up, the IP
//! family preference holds, and the transport reaches the mock through a name.

use std::net::SocketAddr;
use std::time::Duration as StdDuration;

use sbg_tasks_mock::MockBuilder;
use sbg_tasks_testkit::faults::get_example;
use sbg_tasks_testkit::{fast_settings, mock_builder, transport_options};
use sbg_tasks_ureq::proto::model::TaskStatus;
use sbg_tasks_ureq::{client_with, InlineResolver};
use ureq::config::{Config, IpFamily};
use ureq::unversioned::resolver::Resolver;
use ureq::unversioned::transport::time::Duration;
use ureq::unversioned::transport::NextTimeout;
use ureq::Timeout;

/// A budget of `after`, reported as the connect timeout when spent.
fn budget(after: Duration) -> NextTimeout {
    NextTimeout {
        after,
        reason: Timeout::Connect,
        per_read: None,
        per_write: None,
    }
}

fn resolve_with(
    uri: &str,
    config: &Config,
    after: Duration,
) -> Result<Vec<SocketAddr>, ureq::Error> {
    let uri = uri.parse().unwrap();
    let addrs = InlineResolver::new().resolve(&uri, config, budget(after))?;
    Ok(addrs.iter().copied().collect())
}

fn resolve(uri: &str, after: Duration) -> Result<Vec<SocketAddr>, ureq::Error> {
    resolve_with(uri, &Config::default(), after)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn ip_literals_are_the_answer_without_a_lookup() {
    // No time left at all: a lookup would be reported as a timeout (see the next test), so
    // these answers cannot have come from one.
    let none_left = Duration::Exact(StdDuration::ZERO);
    let cases = [
        ("http://127.0.0.1:1234/v2/tasks", "127.0.0.1:1234"),
        ("https://127.0.0.1/", "127.0.0.1:443"),
        ("http://10.1.2.3/", "10.1.2.3:80"),
        ("http://[::1]:80/", "[::1]:80"),
        ("https://[::1]/x", "[::1]:443"),
        ("https://[2001:db8::7]:8443/", "[2001:db8::7]:8443"),
    ];
    for (uri, want) in cases {
        assert_eq!(resolve(uri, none_left).unwrap(), [addr(want)], "{uri}");
        assert_eq!(
            resolve(uri, Duration::NotHappening).unwrap(),
            [addr(want)],
            "{uri}"
        );
    }
}

#[test]
fn names_are_looked_up_and_a_spent_budget_is_a_timeout() {
    let got = resolve("http://localhost:4321/v2", Duration::from_secs(10)).unwrap();
    assert!(!got.is_empty());
    for a in &got {
        assert!(a.ip().is_loopback(), "{got:?}");
        assert_eq!(a.port(), 4321, "{got:?}");
    }
    let https = resolve("https://localhost/", Duration::NotHappening).unwrap();
    assert!(https.iter().all(|a| a.port() == 443), "{https:?}");

    match resolve("http://localhost:4321/", Duration::Exact(StdDuration::ZERO)) {
        Err(ureq::Error::Timeout(Timeout::Connect)) => {}
        other => panic!("a lookup past the budget must time out: {other:?}"),
    }
}

#[test]
fn the_ip_family_preference_is_honoured() {
    let v4 = Config::builder().ip_family(IpFamily::Ipv4Only).build();
    let v6 = Config::builder().ip_family(IpFamily::Ipv6Only).build();
    let t = Duration::from_secs(10);

    assert_eq!(
        resolve_with("http://127.0.0.1:1/", &v4, t).unwrap(),
        [addr("127.0.0.1:1")]
    );
    assert!(matches!(
        resolve_with("http://[::1]:1/", &v4, t),
        Err(ureq::Error::HostNotFound)
    ));
    assert!(matches!(
        resolve_with("http://127.0.0.1:1/", &v6, t),
        Err(ureq::Error::HostNotFound)
    ));

    let names = resolve_with("http://localhost:1/", &v4, t).unwrap();
    assert!(names.iter().all(SocketAddr::is_ipv4), "{names:?}");
}

#[test]
fn bad_uris_are_refused_as_ureq_refuses_them() {
    let t = Duration::from_secs(10);
    for uri in ["/v2/tasks", "ftp://127.0.0.1/x", "gopher://localhost/"] {
        match resolve(uri, t) {
            Err(ureq::Error::BadUri(_)) => {}
            other => panic!("{uri}: {other:?}"),
        }
    }
}

#[test]
fn the_transport_reaches_the_mock_through_a_name() {
    let m = mock_builder(MockBuilder::new().seed_examples(true))
        .start_blocking()
        .unwrap();
    let by_name = m.base_url().replace("127.0.0.1", "localhost");
    assert!(by_name.contains("://localhost:"), "{by_name}");
    let c = client_with(fast_settings(&by_name), transport_options(&m)).unwrap();
    for _ in 0..3 {
        let got = c.get(&get_example()).unwrap();
        assert_eq!(got.value.status, Some(TaskStatus::Completed));
    }
}
