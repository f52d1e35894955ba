//! Limits of the lenient repair pass: depth on a small stack, and linear work on
//! pathological inputs, measured in steps (never in time).

use sbg_tasks_proto::lenient::{repair, repair_counting, Policy, RepairError, RepairKind};

/// Steps allowed per input byte.
const C: u64 = 8;

fn unlimited() -> Policy {
    Policy::default().with_max_repairs(usize::MAX)
}

/// Runs `body`, checks it gives valid JSON or an error, and returns the steps taken.
fn steps(body: &[u8]) -> u64 {
    let (r, steps) = repair_counting(body, &unlimited());
    if let Ok(r) = r {
        serde_json::from_slice::<serde_json::Value>(&r.json).expect("valid output");
    }
    assert!(
        steps <= C * body.len() as u64 + 64,
        "{steps} steps for {} bytes",
        body.len()
    );
    steps
}

/// Checks that the work at 10·n is at most about 10 times the work at n.
fn linear(make: impl Fn(usize) -> Vec<u8>) {
    let small = make(2_000);
    let big = make(20_000);
    let (a, b) = (steps(&small), steps(&big));
    let per_small = a as f64 / small.len() as f64;
    let per_big = b as f64 / big.len() as f64;
    assert!(
        per_big <= per_small * 1.2 + 0.1,
        "steps per byte grew from {per_small} to {per_big}"
    );
}

#[test]
fn deep_nesting_on_a_small_stack_ends_in_the_depth_error() {
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            let n = 100_000;
            let mut out = Vec::new();
            for body in [
                "[".repeat(n),
                "{\"a\":".repeat(n),
                "[{\"a\":".repeat(n / 2),
                format!("{}{}", "[".repeat(n), "]".repeat(n)),
            ] {
                out.push(repair(body.as_bytes(), &Policy::default()));
            }
            // Braces with no key between them do not nest: `{{` is junk inside an object.
            let braces = repair("{".repeat(n).as_bytes(), &Policy::default());
            (out, braces)
        })
        .unwrap();
    let (results, braces) = handle.join().expect("no stack overflow");
    for r in results {
        match r {
            Err(RepairError::TooDeep { max: 128, offset }) => assert!(offset < 1000),
            other => panic!("{other:?}"),
        }
    }
    let braces = braces.unwrap();
    assert_eq!(braces.json, b"{}");
    assert!(braces.report.contains(RepairKind::Junk));
}

#[test]
fn many_missing_commas() {
    let n = 20_000;
    let body = format!("[{}]", "1 ".repeat(n));
    let (r, s) = repair_counting(body.as_bytes(), &unlimited());
    let r = r.unwrap();
    assert_eq!(r.report.len(), n - 1);
    assert!(r.report.kinds().all(|k| k == RepairKind::MissingComma));
    assert!(s <= C * body.len() as u64);
    let v: serde_json::Value = serde_json::from_slice(&r.json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), n);
    linear(|n| format!("[{}]", "1 ".repeat(n)).into_bytes());
    linear(|n| {
        let members: String = (0..n).map(|i| format!("\"k{i}\": 'v'\n")).collect();
        format!("{{{members}}}").into_bytes()
    });
    // The default cap stops a body that needs too many repairs.
    assert!(matches!(
        repair(body.as_bytes(), &Policy::default()),
        Err(RepairError::TooManyRepairs { max: 10_000, .. })
    ));
}

#[test]
fn long_unclosed_string_then_commas() {
    linear(|n| format!("[\"{}{}", "a".repeat(n), ",".repeat(n)).into_bytes());
    linear(|n| format!("{{'k': '{}{}", "x".repeat(n), ", ".repeat(n)).into_bytes());
    // Apostrophes that might close a single-quoted string, many times over.
    linear(|n| format!("['{}]", "a'b".repeat(n)).into_bytes());
    linear(|n| format!("['{}", "a' ".repeat(n)).into_bytes());
    let body = format!("[\"{}{}", "a".repeat(1000), ",".repeat(1000));
    let r = repair(body.as_bytes(), &Policy::default()).unwrap();
    assert_eq!(r.json, b"[]");
}

#[test]
fn long_runs_of_junk_and_elision_lines() {
    linear(|n| format!("{{{}}}", "junk ; here !! %%\n".repeat(n)).into_bytes());
    linear(|n| format!("[{}]", "<snip>\n...\n…\n".repeat(n)).into_bytes());
    linear(|n| format!("[{}]", "<".repeat(n)).into_bytes());
    linear(|n| format!("[<{}]", "a".repeat(n)).into_bytes());
    linear(|n| format!("{}{}", "[".repeat(100), "}".repeat(n)).into_bytes());
    linear(|n| format!("[{}]", "/* c */ // d\n".repeat(n)).into_bytes());
    linear(|n| format!("[1]{}", "garbage ".repeat(n)).into_bytes());
    linear(|n| format!("[{}]", ",".repeat(n)).into_bytes());
    linear(|n| format!("[\"{}\"]", "\\q\u{1}\\ud800".repeat(n)).into_bytes());
    // A run of junk is one repair, however long.
    let r = repair(
        format!("{{{}}}", "junk here\n".repeat(5_000)).as_bytes(),
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(r.report.len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&r.json).unwrap();
    assert!(v == serde_json::json!({}));
}

#[test]
fn malformed_example_at_scale() {
    let one = include_bytes!("data/get-task-batch.malformed.json");
    linear(|n| {
        let mut body = b"[".to_vec();
        for _ in 0..n / 100 {
            body.extend_from_slice(one);
            body.push(b',');
        }
        body.push(b']');
        body
    });
}
