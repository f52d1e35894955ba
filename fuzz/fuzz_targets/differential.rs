//! Differential: on valid JSON the lenient and strict paths agree.
//!
//! Inputs are either raw bytes (used only when `serde_json` accepts them) or, after a first
//! byte 0xC0..=0xFF, generated JSON (free-form or task-shaped) written compact or pretty. Properties: the repair pass returns
//! valid JSON byte for byte with an empty report; decoding a task (and a free-form value) in
//! lenient mode gives exactly the strict result, with a clean report, whenever strict
//! succeeds; when strict rejects valid JSON for its shape, lenient either types it with
//! reported coercions or says the top level has the wrong type.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sbg_tasks_fuzz::{count_members, ArbJson, ArbTask};
use sbg_tasks_proto::decode::{decode, decode_strict};
use sbg_tasks_proto::lenient::{repair, Policy};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{Decoding};
use sbg_tasks_proto::decode::DecodeError;

fuzz_target!(|data: &[u8]| {
    let owned;
    let body: &[u8] = match data.split_first() {
        Some((&sel, _)) if sel < 0xC0 => data,
        Some((&sel, rest)) => {
            let mut u = Unstructured::new(rest);
            let value = if sel & 1 == 0 {
                match ArbTask::arbitrary(&mut u) {
                    Ok(t) => t.to_value(),
                    Err(_) => return,
                }
            } else {
                match ArbJson::arbitrary(&mut u) {
                    Ok(v) => v.0,
                    Err(_) => return,
                }
            };
            owned = if sel & 2 == 0 {
                serde_json::to_vec(&value).unwrap()
            } else {
                serde_json::to_vec_pretty(&value).unwrap()
            };
            &owned
        }
        None => return,
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };

    // The repair pass: valid JSON back, byte for byte, clean.
    let fixed = repair(body, &Policy::default()).expect("valid JSON refused by the repair pass");
    assert!(
        fixed.report.is_empty(),
        "valid JSON reported repairs: {}",
        fixed.report
    );
    assert_eq!(fixed.json, body, "valid JSON was changed");

    // A task: strict and lenient agree.
    let lenient = Decoding::default();
    match decode_strict::<Task>(body) {
        Ok(strict) => {
            let l = decode::<Task>(body, &lenient).expect("strict Ok, lenient Err");
            assert_eq!(l.value, strict, "lenient and strict differ");
            assert!(l.report.is_clean(), "clean body, report {}", l.report);
            let s2 = decode::<Task>(body, &Decoding::Strict).expect("decode(Strict) differs");
            assert_eq!(s2.value, strict);
            // Lossless: every member with a value is still there once the task is encoded
            // again (a member named twice, kept once, would show here).
            let again = serde_json::to_vec(&strict).expect("a task encodes");
            assert_eq!(
                count_members(body),
                count_members(&again),
                "members lost or made up: {}",
                String::from_utf8_lossy(&again)
            );
        }
        Err(DecodeError::Shape { .. }) => match decode::<Task>(body, &lenient) {
            Ok(l) => {
                // Something had to be coerced or set aside, and it was reported.
                assert!(
                    !l.report.coercions.is_empty(),
                    "strict refused this valid JSON ({}) yet lenient decoded it with a clean \
                     report",
                    decode_strict::<Task>(body).unwrap_err()
                );
                assert!(
                    l.report.repairs.is_empty(),
                    "valid JSON needed byte repairs"
                );
            }
            Err(DecodeError::WrongType { .. }) => assert!(!value.is_object()),
            Err(e) => panic!("valid JSON: strict shape error, lenient {e:?}"),
        },
        Err(e) => panic!("serde_json accepts it, strict says {e:?}"),
    }

    // A free-form value: both paths give serde_json's own value.
    let v = decode::<serde_json::Value>(body, &lenient).expect("lenient Value");
    assert_eq!(v.value, value);
    assert!(v.report.is_clean());
    assert_eq!(
        decode_strict::<serde_json::Value>(body).expect("strict Value"),
        value
    );
});
