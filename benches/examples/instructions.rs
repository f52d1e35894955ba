//! Runs one benchmarked operation a given number of times, for counting instructions with
//! `valgrind --tool=callgrind` (a noise-free complement to the criterion timings):
//!
//! ```text
//! cargo build --release -p sbg-tasks-benches --example instructions
//! valgrind --tool=callgrind target/release/examples/instructions typed 2000
//! ```
//!
//! Run it at two counts and divide the difference by the difference of counts to get the
//! instructions of one operation without the set-up.

use std::hint::black_box;

use sbg_tasks_benches::{GET_TASK, GET_TASK_BATCH_MALFORMED};
use sbg_tasks_proto::decode::decode;
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::lenient::{repair, Policy};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{
    AuthToken, Config, Decoding, Endpoint, GetTask, Platform, RerunTask, RunTask,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "typed".into());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let strict = Decoding::Strict;
    let lenient = Decoding::default();
    let config = Config::new(
        Platform::Cgc,
        AuthToken::new("3259c50e1ac5426ea8f1273259740f74").unwrap(),
    );
    let id: sbg_tasks_proto::TaskId = "08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap();
    // The same requests as the `request_build` bench.
    let get = GetTask::new(id.clone());
    let get_fields = GetTask::new(id.clone()).fields("id,status,inputs".parse::<Fields>().unwrap());
    let run = RunTask::new(id.clone()).batch(true);
    let rerun = RerunTask::new(id)
        .run(true)
        .use_interruptible_instances(false);
    for _ in 0..n {
        match op.as_str() {
            "typed" => drop(black_box(serde_json::from_slice::<Task>(black_box(
                GET_TASK,
            )))),
            "value" => drop(black_box(serde_json::from_slice::<serde_json::Value>(
                black_box(GET_TASK),
            ))),
            "value_str" => drop(black_box(
                std::str::from_utf8(black_box(GET_TASK))
                    .map(serde_json::from_str::<serde_json::Value>),
            )),
            "ignored" => drop(black_box(serde_json::from_slice::<serde::de::IgnoredAny>(
                black_box(GET_TASK),
            ))),
            "strict" => drop(black_box(decode::<Task>(black_box(GET_TASK), &strict))),
            "lenient" => drop(black_box(decode::<Task>(black_box(GET_TASK), &lenient))),
            "malformed" => drop(black_box(decode::<Task>(
                black_box(GET_TASK_BATCH_MALFORMED),
                &lenient,
            ))),
            "repair" => drop(black_box(repair(
                black_box(GET_TASK_BATCH_MALFORMED),
                &Policy::default(),
            ))),
            "request" => drop(black_box(black_box(&get).prepare_request(&config))),
            "request_fields" => drop(black_box(black_box(&get_fields).prepare_request(&config))),
            "request_run" => drop(black_box(black_box(&run).prepare_request(&config))),
            "request_rerun" => drop(black_box(black_box(&rerun).prepare_request(&config))),
            other => panic!("unknown operation {other}"),
        }
    }
}
