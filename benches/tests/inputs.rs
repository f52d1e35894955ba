//! The bench inputs are what the benchmarks say they are.

use sbg_tasks_benches::{large_malformed_task, Pathological, GET_TASK, GET_TASK_BATCH_MALFORMED};
use sbg_tasks_proto::decode::{decode, decode_strict};
use sbg_tasks_proto::lenient::{repair, repair_counting, Policy, RepairKind};
use sbg_tasks_proto::Decoding;
use sbg_tasks_proto::Task;

fn uncapped() -> Policy {
    Policy::default().with_max_repairs(usize::MAX)
}

#[test]
fn get_task_is_valid_and_the_batch_example_is_not() {
    let t: Task = decode_strict(GET_TASK).expect("get-task.json is a valid task");
    assert_eq!(
        t.id.as_deref(),
        Some("f586a3fb-c9e4-4415-b22b-648a66969a37")
    );
    assert!(decode_strict::<Task>(GET_TASK_BATCH_MALFORMED).is_err());
    let d = decode::<Task>(GET_TASK_BATCH_MALFORMED, &Decoding::default()).expect("repairable");
    assert!(d.report.repairs.contains(RepairKind::SingleQuotedString));
    assert_eq!(
        d.value.id.as_deref(),
        Some("a547a1c4-45c3-441e-857e-caf2a2df96ad")
    );
}

#[test]
fn large_malformed_task_is_one_mebibyte_of_repairable_defects() {
    let body = large_malformed_task(1 << 20);
    assert!(
        body.len() >= 1 << 20 && body.len() < (1 << 20) + 4096,
        "{}",
        body.len()
    );
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_err(),
        "must not be valid JSON"
    );
    let d = decode::<Task>(&body, &Decoding::Lenient(uncapped())).expect("repairable");
    let inputs = d.value.inputs.expect("inputs kept");
    assert!(inputs.len() > 1000, "{} ports", inputs.len());
    for kind in [
        RepairKind::SingleQuotedString,
        RepairKind::MissingComma,
        RepairKind::TrailingComma,
        RepairKind::PythonLiteral,
        RepairKind::Comment,
        RepairKind::ElisionLine,
        RepairKind::UnquotedKey,
        RepairKind::ControlCharacterInString,
        RepairKind::InvalidNumber,
    ] {
        assert!(d.report.repairs.contains(kind), "no {kind} repair");
    }
    // With the default cap on repairs the body is refused: the benches use an uncapped policy.
    assert!(repair(&body, &Policy::default()).is_err());
}

#[test]
fn pathological_inputs_repair_and_grow_linearly() {
    for p in Pathological::ALL {
        let small = p.build(16 << 10);
        let large = p.build(160 << 10);
        assert!(small.len() >= 16 << 10 && large.len() >= 160 << 10);
        let (r_small, steps_small) = repair_counting(&small, &uncapped());
        let (r_large, steps_large) = repair_counting(&large, &uncapped());
        let fixed = r_small.unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        r_large.unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        assert!(!fixed.report.is_empty(), "{}: nothing to repair", p.name());
        serde_json::from_slice::<serde_json::Value>(&fixed.json).expect("valid JSON out");
        let ratio = steps_large as f64 / steps_small as f64;
        let bytes = large.len() as f64 / small.len() as f64;
        assert!(
            ratio < bytes * 1.1,
            "{}: {steps_small} steps at n, {steps_large} at 10n (x{ratio:.2})",
            p.name()
        );
    }
}
