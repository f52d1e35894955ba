//! End to end over loopback against the mock: get-task throughput with the ureq client
//! (1 and 8 threads) and the hyper client (1, 64, 512 concurrent calls), each beside a raw
//! client of the same library without our layer (no request building, no answer parsing, no
//! retry logic) on the same connection settings, so the ratio is our layer's cost.
//!
//! Goal: our layer adds ≤ 10 % over the raw hyper baseline.
//! `cargo bench -p sbg-tasks-benches --bench e2e -- <group>`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use sbg_tasks_mock::examples::GET_TASK_ID;
use sbg_tasks_mock::{MockHandle, MockServer};
use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::http::{self, header};
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, GetTask};

const TOKEN: &str = "3259c50e1ac5426ea8f1273259740f74";

struct Setup {
    _mock: MockHandle,
    url: String,
    config: Config,
    call: GetTask,
}

fn setup() -> Setup {
    let mock = MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .no_rate_limit()
        .journal_capacity(64)
        .worker_threads(1)
        .start_blocking()
        .expect("the mock starts");
    let base_url = mock.control().base_url().to_owned();
    let url = format!("{base_url}/tasks/{GET_TASK_ID}");
    let base = BaseUrl::parse_with(&base_url, AllowHttp::Loopback).expect("loopback base URL");
    let config = Config::new(base, AuthToken::new(TOKEN).unwrap());
    let call = GetTask::new(GET_TASK_ID.parse().unwrap());
    Setup {
        _mock: mock,
        url,
        config,
        call,
    }
}

/// Splits `iters` calls over `workers` (no worker without work).
fn shares(iters: u64, workers: u64) -> Vec<u64> {
    let workers = workers.min(iters).max(1);
    (0..workers)
        .map(|i| iters / workers + u64::from(i < iters % workers))
        .collect()
}

/// Runs `iters` calls of `f` spread over `threads` threads; the wall time of all of them.
fn on_threads(threads: u64, iters: u64, f: &(dyn Fn() + Sync)) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for n in shares(iters, threads) {
            s.spawn(move || {
                for _ in 0..n {
                    f();
                }
            });
        }
    });
    start.elapsed()
}

fn e2e_ureq(c: &mut Criterion) {
    let s = setup();
    // Loopback: straight to the mock whatever proxy the environment names (as the raw agent).
    let client = sbg_tasks_ureq::client_with(
        sbg_tasks_ureq::Settings::new(s.config.clone()),
        sbg_tasks_ureq::proto::transport::TransportOptions::default()
            .proxy(sbg_tasks_ureq::proto::transport::Proxy::Off),
    )
    .expect("ureq client");
    let first = client.get(&s.call).expect("the ureq client gets the task");
    assert_eq!(first.value.id.as_deref(), Some(GET_TASK_ID));

    let raw: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .new_agent();
    let raw_get = || {
        let mut resp = raw
            .get(&s.url)
            .header("X-SBG-Auth-Token", TOKEN)
            .header("Accept", "application/json")
            .call()
            .expect("raw ureq call");
        assert_eq!(resp.status(), 200);
        resp.body_mut().read_to_vec().expect("raw ureq body")
    };
    assert!(raw_get().len() > 100);
    // The same raw client with the transport's timeouts (connect 10 s, whole call 60 s): with
    // a timeout set, ureq resolves the host on a new thread for every call (our transport
    // avoids that with its own resolver; this shows what it avoids).
    let raw_timeouts: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent();
    let raw_timeouts_get = || {
        let mut resp = raw_timeouts
            .get(&s.url)
            .header("X-SBG-Auth-Token", TOKEN)
            .header("Accept", "application/json")
            .call()
            .expect("raw ureq call");
        assert_eq!(resp.status(), 200);
        resp.body_mut().read_to_vec().expect("raw ureq body")
    };

    let mut g = c.benchmark_group("e2e_ureq");
    g.throughput(Throughput::Elements(1));
    for threads in [1u64, 8] {
        g.bench_function(BenchmarkId::new("sbg_tasks_ureq", threads), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, &|| {
                    client.get(&s.call).expect("get");
                })
            })
        });
        g.bench_function(BenchmarkId::new("raw_ureq", threads), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, &|| {
                    raw_get();
                })
            })
        });
        g.bench_function(BenchmarkId::new("raw_ureq_with_timeouts", threads), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, &|| {
                    raw_timeouts_get();
                })
            })
        });
    }
    g.finish();
}

fn e2e_hyper(c: &mut Criterion) {
    let s = setup();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let _guard = rt.enter();
    let client = Arc::new(
        sbg_tasks_hyper::client_with(
            sbg_tasks_hyper::Settings::new(s.config.clone()),
            sbg_tasks_hyper::proto::transport::TransportOptions::default()
                .proxy(sbg_tasks_hyper::proto::transport::Proxy::Off),
        )
        .expect("hyper client"),
    );
    let call = Arc::new(s.call.clone());
    let first = rt
        .block_on(client.get(&call))
        .expect("the hyper client gets the task");
    assert_eq!(first.value.id.as_deref(), Some(GET_TASK_ID));

    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let raw = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .build::<_, Empty<Bytes>>(http);
    let uri: http::Uri = s.url.parse().unwrap();
    let raw_get = {
        let raw = raw.clone();
        move |uri: http::Uri| {
            let raw = raw.clone();
            async move {
                let req = http::Request::get(uri)
                    .header("x-sbg-auth-token", TOKEN)
                    .header(header::ACCEPT, "application/json")
                    .body(Empty::<Bytes>::new())
                    .unwrap();
                let resp = raw.request(req).await.expect("raw hyper call");
                assert_eq!(resp.status(), 200);
                resp.into_body()
                    .collect()
                    .await
                    .expect("raw hyper body")
                    .to_bytes()
            }
        }
    };
    assert!(rt.block_on(raw_get(uri.clone())).len() > 100);

    let mut g = c.benchmark_group("e2e_hyper");
    g.throughput(Throughput::Elements(1));
    for concurrency in [1u64, 64, 512] {
        g.bench_function(BenchmarkId::new("sbg_tasks_hyper", concurrency), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    let mut set = tokio::task::JoinSet::new();
                    for n in shares(iters, concurrency) {
                        let (client, call) = (client.clone(), call.clone());
                        set.spawn(async move {
                            for _ in 0..n {
                                client.get(&call).await.expect("get");
                            }
                        });
                    }
                    while let Some(r) = set.join_next().await {
                        r.expect("task");
                    }
                    start.elapsed()
                })
            })
        });
        // Raw hyper plus a strict typed decode of the body: what is left of our layer's cost
        // once decoding (measured on its own in the decode benches) is paid by both.
        g.bench_function(
            BenchmarkId::new("raw_hyper_plus_decode", concurrency),
            |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        let mut set = tokio::task::JoinSet::new();
                        for n in shares(iters, concurrency) {
                            let (get, uri) = (raw_get.clone(), uri.clone());
                            set.spawn(async move {
                                for _ in 0..n {
                                    let body = get(uri.clone()).await;
                                    let task: sbg_tasks_proto::Task =
                                        serde_json::from_slice(&body).expect("task");
                                    std::hint::black_box(task);
                                }
                            });
                        }
                        while let Some(r) = set.join_next().await {
                            r.expect("task");
                        }
                        start.elapsed()
                    })
                })
            },
        );
        g.bench_function(BenchmarkId::new("raw_hyper", concurrency), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    let mut set = tokio::task::JoinSet::new();
                    for n in shares(iters, concurrency) {
                        let (get, uri) = (raw_get.clone(), uri.clone());
                        set.spawn(async move {
                            for _ in 0..n {
                                get(uri.clone()).await;
                            }
                        });
                    }
                    while let Some(r) = set.join_next().await {
                        r.expect("task");
                    }
                    start.elapsed()
                })
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = e2e_ureq, e2e_hyper
}
criterion_main!(benches);
