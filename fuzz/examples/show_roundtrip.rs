//! Shows what the `roundtrip` target builds from an input file: the clean task JSON, the body
//! with defects, the defects injected, and what the lenient decode reported.
//!
//! `cargo run --example show_roundtrip -- fuzz/corpus/roundtrip/<file>` (from fuzz/).

use arbitrary::{Arbitrary, Unstructured};
use sbg_tasks_fuzz::{ArbTask, DefectWriter};
use sbg_tasks_proto::decode::decode;
use sbg_tasks_proto::Task;
use sbg_tasks_proto::Decoding;

fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).expect("read input");
        let mut u = Unstructured::new(&data);
        let Ok(task) = ArbTask::arbitrary(&mut u) else {
            println!("{path}: too short for a task");
            continue;
        };
        let rate = u.int_in_range(1..=8u8).unwrap_or(1);
        let value = task.to_value();
        let (body, applied) = DefectWriter::new(u.take_rest(), rate).write_body(&value);
        println!(
            "== {path}\nclean: {value}\nbody:  {}",
            String::from_utf8_lossy(&body)
        );
        println!("defects: {applied:?}");
        match decode::<Task>(&body, &Decoding::default()) {
            Ok(d) => println!("report: {}", d.report.repairs),
            Err(e) => println!("error: {e}"),
        }
    }
}
