//! Decoding benchmarks: typed decode vs `Value` vs `IgnoredAny`; lenient vs strict on a valid
//! body; lenient decode of malformed bodies (MB/s); the repair pass alone at n and 10 n.
//!
//! Every group measures its baseline in the same run, so results read as ratios.
//! `cargo bench -p sbg-tasks-benches --bench decode -- <group>`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sbg_tasks_benches::{large_malformed_task, Pathological, GET_TASK, GET_TASK_BATCH_MALFORMED};
use sbg_tasks_proto::decode::{decode, decode_strict};
use sbg_tasks_proto::lenient::{repair, Policy};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{Decoding, Endpoint, GetTask};

/// Goal: typed ≤ 0.6× `Value` and ≤ 2.5× `IgnoredAny`.
///
/// `typed_task` is the crate's strict decode as users call it (it checks UTF-8 once and reads
/// the body as text); `typed_task_from_slice` is the same model through `serde_json::from_slice`.
/// The baselines are `from_slice`, as a body arrives, and `Value` also through the crate's
/// UTF-8-once route, so the ratio can be read both ways.
fn decode_get_task(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_get_task");
    g.throughput(Throughput::Bytes(GET_TASK.len() as u64));
    g.bench_function("typed_task", |b| {
        b.iter(|| decode_strict::<Task>(black_box(GET_TASK)).unwrap())
    });
    g.bench_function("typed_task_from_slice", |b| {
        b.iter(|| serde_json::from_slice::<Task>(black_box(GET_TASK)).unwrap())
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(GET_TASK)).unwrap())
    });
    g.bench_function("serde_json_value_utf8_once", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(GET_TASK)).unwrap();
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        })
    });
    g.bench_function("ignored_any", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(GET_TASK)).unwrap())
    });
    g.finish();
}

/// Goal: lenient on a valid body ≤ 1.05× strict.
fn lenient_valid(c: &mut Criterion) {
    let mut g = c.benchmark_group("lenient_valid");
    g.throughput(Throughput::Bytes(GET_TASK.len() as u64));
    let strict = Decoding::Strict;
    let lenient = Decoding::default();
    g.bench_function("strict", |b| {
        b.iter(|| decode::<Task>(black_box(GET_TASK), &strict).unwrap())
    });
    g.bench_function("lenient", |b| {
        b.iter(|| decode::<Task>(black_box(GET_TASK), &lenient).unwrap())
    });
    g.bench_function("decode_strict_fn", |b| {
        b.iter(|| decode_strict::<Task>(black_box(GET_TASK)).unwrap())
    });
    // The whole answer path (status, headers, body) as transports call it.
    let call = GetTask::new("f586a3fb-c9e4-4415-b22b-648a66969a37".parse().unwrap());
    let answer = sbg_tasks_proto::http::Response::builder()
        .status(200)
        .header("X-RateLimit-Limit", "1000")
        .header("X-RateLimit-Remaining", "999")
        .header("X-RateLimit-Reset", "1700000000")
        .header("X-Request-Id", "7b1f0c9e")
        .body(GET_TASK.to_vec())
        .unwrap();
    g.bench_function("parse_response_strict", |b| {
        b.iter(|| call.parse_response(black_box(&answer), &strict).unwrap())
    });
    g.bench_function("parse_response_lenient", |b| {
        b.iter(|| call.parse_response(black_box(&answer), &lenient).unwrap())
    });
    g.finish();
}

/// Goal: the malformed example repaired at ≥ 250 MB/s.
fn lenient_malformed(c: &mut Criterion) {
    let uncapped = Decoding::Lenient(Policy::default().with_max_repairs(usize::MAX));
    let mut g = c.benchmark_group("lenient_malformed");
    let small = GET_TASK_BATCH_MALFORMED;
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("batch_example/decode", |b| {
        b.iter(|| decode::<Task>(black_box(small), &uncapped).unwrap())
    });
    g.bench_function("batch_example/repair_only", |b| {
        b.iter(|| repair(black_box(small), &Policy::default()).unwrap())
    });
    // Baseline: serde_json on the same number of bytes of valid JSON (the repaired body).
    let fixed = repair(small, &Policy::default()).unwrap().json;
    g.throughput(Throughput::Bytes(fixed.len() as u64));
    g.bench_function("batch_example/serde_value_of_repaired", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&fixed)).unwrap())
    });

    let large = large_malformed_task(1 << 20);
    let policy = Policy::default().with_max_repairs(usize::MAX);
    g.throughput(Throughput::Bytes(large.len() as u64));
    g.bench_function("1MiB/decode", |b| {
        b.iter(|| decode::<Task>(black_box(&large), &uncapped).unwrap())
    });
    g.bench_function("1MiB/repair_only", |b| {
        b.iter(|| repair(black_box(&large), &policy).unwrap())
    });
    let fixed = repair(&large, &policy).unwrap().json;
    g.throughput(Throughput::Bytes(fixed.len() as u64));
    g.bench_function("1MiB/serde_value_of_repaired", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&fixed)).unwrap())
    });
    g.finish();
}

/// Goal: time grows linearly (10 n takes ≈ 10× n; equal MB/s at both sizes).
fn repair_scaling(c: &mut Criterion) {
    let policy = Policy::default().with_max_repairs(usize::MAX);
    let mut g = c.benchmark_group("repair_scaling");
    for p in Pathological::ALL {
        for n in [16usize << 10, 160 << 10] {
            let input = p.build(n);
            g.throughput(Throughput::Bytes(input.len() as u64));
            g.bench_with_input(
                BenchmarkId::new(p.name(), format!("{}KiB", n >> 10)),
                &input,
                |b, input| b.iter(|| repair(black_box(input), &policy).unwrap()),
            );
        }
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
    targets = decode_get_task, lenient_valid, lenient_malformed, repair_scaling
}
criterion_main!(benches);
