//! Request building for each endpoint (goal ≤ 300 ns), with the `http` crate's own builder
//! making the same request from a ready URL string as the floor.
//!
//! `cargo bench -p sbg-tasks-benches --bench request`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::http::{self, header, Method};
use sbg_tasks_proto::{AuthToken, Config, Endpoint, GetTask, Platform, RerunTask, RunTask};

fn request_build(c: &mut Criterion) {
    let config = Config::new(
        Platform::Cgc,
        AuthToken::new("3259c50e1ac5426ea8f1273259740f74").unwrap(),
    );
    let id: sbg_tasks_proto::TaskId = "08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap();
    let get = GetTask::new(id.clone());
    let get_fields = GetTask::new(id.clone()).fields("id,status,inputs".parse::<Fields>().unwrap());
    let run = RunTask::new(id.clone()).batch(true);
    let rerun = RerunTask::new(id.clone())
        .run(true)
        .use_interruptible_instances(false);

    let mut g = c.benchmark_group("request_build");
    g.bench_function("get_task", |b| {
        b.iter(|| black_box(&get).prepare_request(&config).unwrap())
    });
    g.bench_function("get_task_fields", |b| {
        b.iter(|| black_box(&get_fields).prepare_request(&config).unwrap())
    });
    g.bench_function("run_task", |b| {
        b.iter(|| black_box(&run).prepare_request(&config).unwrap())
    });
    g.bench_function("rerun_task", |b| {
        b.iter(|| black_box(&rerun).prepare_request(&config).unwrap())
    });
    // Floor: http's builder with the same URL and headers, from ready-made parts.
    let url = "https://cgc-api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb";
    let (auth_name, auth_value) = config.auth_header();
    g.bench_function("http_builder_floor", |b| {
        b.iter(|| {
            http::Request::builder()
                .method(Method::GET)
                .uri(black_box(url))
                .header(header::HOST, config.host_header().clone())
                .header(auth_name.clone(), auth_value.clone())
                .header(header::ACCEPT, "application/json")
                .header(header::USER_AGENT, config.user_agent().clone())
                .body(Vec::<u8>::new())
                .unwrap()
        })
    });
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
    targets = request_build
}
criterion_main!(benches);
