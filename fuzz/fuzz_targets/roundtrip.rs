//! Structure-aware round trip: an arbitrary task value → JSON → injected defects → lenient
//! decode gives the same task back.
//!
//! The defects are the ones the lenient pass undoes without loss (quotes, comments, commas,
//! colons, literals, signs, raw control characters, BOM, XSSI prefix, trailing garbage, cut
//! closing brackets). Properties: the decode succeeds; the task equals the strict decode of
//! the clean JSON; a body with defects reports repairs, only of the kinds injected, with
//! ranges inside the body; a clean body reports nothing.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sbg_tasks_fuzz::{check_report_ranges, ArbTask, Defect, DefectWriter};
use sbg_tasks_proto::decode::{decode, decode_strict};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::Decoding;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(task) = ArbTask::arbitrary(&mut u) else {
        return;
    };
    let Ok(rate) = u.int_in_range(1..=8u8) else {
        return;
    };
    let choices = u.take_rest();
    let value = task.to_value();
    let clean = serde_json::to_vec(&value).unwrap();
    let expected: Task = decode_strict(&clean).expect("generated task is not a valid task");

    let (body, applied) = DefectWriter::new(choices, rate).write_body(&value);
    let got = match decode::<Task>(&body, &Decoding::default()) {
        Ok(d) => d,
        Err(e) => panic!(
            "lenient decode failed: {e}\napplied: {applied:?}\nbody: {}",
            String::from_utf8_lossy(&body)
        ),
    };
    assert!(
        got.value == expected,
        "task changed\napplied: {applied:?}\nbody: {}\nreport: {}\ngot: {:?}\nexpected: {:?}",
        String::from_utf8_lossy(&body),
        got.report,
        got.value,
        expected
    );
    check_report_ranges(&body, &got.report.repairs);
    assert!(
        got.report.coercions.is_empty(),
        "coercions of a well-typed task: {:?}",
        got.report.coercions
    );
    if applied.is_empty() {
        assert!(got.report.is_clean(), "no defect, report {}", got.report);
    } else {
        assert!(
            !got.report.repairs.is_empty(),
            "defects {applied:?} but no repair reported\nbody: {}",
            String::from_utf8_lossy(&body)
        );
        for r in got.report.repairs.iter() {
            assert!(
                applied.iter().any(|d: &Defect| d.kinds().contains(&r.kind)),
                "repair {r} not among the injected {applied:?}\nbody: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
});
