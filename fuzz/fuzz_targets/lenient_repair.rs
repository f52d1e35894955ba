//! The lenient repair pass on arbitrary bytes, under an arbitrary policy.
//!
//! Properties: no panic; every `Ok` is JSON that `serde_json` accepts; report ranges lie
//! inside the input, sorted by start; the policy's caps and refusals hold; the output repairs
//! to itself (valid JSON comes back byte for byte with an empty report); the step count stays
//! linear in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbg_tasks_fuzz::check_report_ranges;
use sbg_tasks_proto::lenient::{repair, repair_counting, Policy, RepairError, RepairKind};

/// Steps per input byte the pass may take (its documented "small constant"), generously.
const MAX_STEPS_PER_BYTE: u64 = 64;

fuzz_target!(|data: &[u8]| {
    // The first two bytes pick a policy; the rest is the body. A body of the raw data is
    // also tried with the default policy so that seeds are used verbatim.
    let (policy, body) = match data {
        [a, b, rest @ ..] if a & 0x80 != 0 => (policy_from(*a, *b), rest),
        _ => (Policy::default(), data),
    };
    let (result, steps) = repair_counting(body, &policy);
    assert!(
        steps <= MAX_STEPS_PER_BYTE * (body.len() as u64 + 16),
        "{steps} steps for {} bytes",
        body.len()
    );
    match result {
        Ok(fixed) => {
            check_report_ranges(body, &fixed.report);
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&fixed.json) {
                if policy.max_depth <= sbg_tasks_proto::lenient::DEFAULT_MAX_DEPTH {
                    panic!(
                        "repair gave invalid JSON ({e}): {:?}",
                        String::from_utf8_lossy(&fixed.json)
                    );
                }
            }
            assert!(
                fixed.report.len() <= policy.max_repairs,
                "more repairs than the cap"
            );
            for k in fixed.report.kinds() {
                assert!(!policy.rejects(k), "a refused repair was made: {k}");
            }
            // The output is valid JSON: it must come back byte for byte, clean.
            let again = repair(&fixed.json, &Policy::default()).expect("repaired output rejected");
            assert!(
                again.report.is_empty(),
                "output needs repairs: {}",
                again.report
            );
            assert_eq!(again.json, fixed.json, "valid JSON was changed");
            if fixed.report.is_empty() {
                assert_eq!(fixed.json, body, "clean report but the body changed");
            }
        }
        Err(e) => {
            if let Some(offset) = e.offset() {
                assert!(
                    offset <= body.len(),
                    "error offset {offset} past the end: {e}"
                );
            }
            if let RepairError::Rejected { kind, range } = &e {
                assert!(
                    policy.rejects(*kind),
                    "refused {kind}, which the policy allows"
                );
                assert!(range.start <= range.end && range.end <= body.len());
            }
            // The message must format without panicking.
            let _ = e.to_string();
        }
    }
});

fn policy_from(a: u8, b: u8) -> Policy {
    let mut p = Policy::default();
    if a & 0x40 != 0 {
        p = p.with_max_repairs(usize::from(b & 0x0f));
    }
    if a & 0x20 != 0 {
        p = p.with_max_depth(usize::from(b >> 4) + 1);
    }
    if a & 0x10 != 0 {
        let k = RepairKind::ALL[usize::from(b) % RepairKind::ALL.len()];
        p = p.rejecting(k);
    }
    if a & 0x08 != 0 {
        p = p
            .rejecting(RepairKind::Truncated)
            .rejecting(RepairKind::PartialMemberDropped);
    }
    p
}
