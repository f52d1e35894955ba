//! A tour of the protocol crate with the documentation's own examples: build the three
//! documented requests, decode the documented answers, and read the malformed batch answer
//! leniently with its repair report. No network: this crate does no I/O.
//!
//! Run: `cargo run -p sbg-tasks-proto --example tour`

use sbg_tasks_proto::{
    decode, AuthToken, Config, Decoding, Endpoint, GetTask, Platform, RerunTask, RunTask,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = AuthToken::new("3259c50e1ac5426ea8f1273259740f74")?;
    println!("token prints as {token:?}\n");

    let cgc = Config::new(Platform::Cgc, token.clone());
    let cavatica = Config::new(Platform::Cavatica, token);
    let show = |label: &str, r: http::Request<Vec<u8>>| {
        println!("{label}: {} {}", r.method(), r.uri());
        for (k, v) in r.headers() {
            println!("    {k}: {v:?}");
        }
    };
    show(
        "get details",
        GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?).prepare_request(&cgc)?,
    );
    show(
        "run",
        RunTask::new("b0bbeda6-153b-4801-92ad-82bc0e58bdb6".parse()?).prepare_request(&cavatica)?,
    );
    show(
        "rerun",
        RerunTask::new("b0bbeda6-153b-4801-92ad-82bc0e58bdb6".parse()?)
            .run(true)
            .prepare_request(&cavatica)?,
    );

    println!();
    for (name, body) in [
        (
            "get-task.json",
            &include_bytes!("../tests/data/get-task.json")[..],
        ),
        (
            "run-task.json",
            &include_bytes!("../tests/data/run-task.json")[..],
        ),
        (
            "rerun-task.json",
            &include_bytes!("../tests/data/rerun-task.json")[..],
        ),
    ] {
        let t: sbg_tasks_proto::Task = decode::decode_strict(body)?;
        println!(
            "{name}: task {} {:?} status {}, {} input(s), price {}",
            t.id.as_deref().unwrap_or("?"),
            t.name.as_deref().unwrap_or(""),
            t.status.as_ref().map_or("?", |s| s.as_str()),
            t.inputs.as_ref().map_or(0, |i| i.len()),
            t.price
                .as_ref()
                .and_then(|p| p.amount.as_ref())
                .map_or("-".to_owned(), |a| a.to_string()),
        );
    }

    let malformed = include_bytes!("../tests/data/get-task-batch.malformed.json");
    println!("\nget-task-batch.malformed.json (not valid JSON):");
    match decode::decode_strict::<sbg_tasks_proto::Task>(malformed) {
        Ok(_) => println!("  strict: decoded?!"),
        Err(e) => println!("  strict:  {e}"),
    }
    match decode::decode::<sbg_tasks_proto::Task>(malformed, &Decoding::default()) {
        Ok(d) => {
            let t = d.value;
            println!(
                "  lenient: task {} status {} batch_by {:?}, duration {:?}",
                t.id.as_deref().unwrap_or("?"),
                t.status.as_ref().map_or("?", |s| s.as_str()),
                t.batch_by.as_ref().and_then(|b| b.criteria.clone()),
                t.execution_status.as_ref().and_then(|e| e.duration),
            );
            for r in &d.report.repairs.repairs {
                let (line, col) = decode::line_col(malformed, r.range.start);
                println!(
                    "    repaired {:?} at {line}:{col} (bytes {:?})",
                    r.kind, r.range
                );
            }
            for c in &d.report.coercions {
                println!("    coerced {c}");
            }
        }
        Err(e) => println!("  lenient: {e}"),
    }
    Ok(())
}
