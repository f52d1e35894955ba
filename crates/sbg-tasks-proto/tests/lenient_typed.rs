//! The lenient decode of whole task answers: repairs plus typed coercions, end to end.

use sbg_tasks_proto::decode::DecodeError;
use sbg_tasks_proto::decode::{decode, decode_strict};
use sbg_tasks_proto::http::Response;
use sbg_tasks_proto::lenient::{Policy, RepairError, RepairKind};
use sbg_tasks_proto::model::{BatchByType, CoercionKind, FileClass, PortValue, TaskStatus};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{Decoding, Endpoint, GetTask, ResponseError};

const MALFORMED: &[u8] = include_bytes!("data/get-task-batch.malformed.json");
const FRAGMENT: &[u8] = include_bytes!("data/task-validation-errors.fragment.json");

#[test]
fn the_documented_batch_answer_decodes_to_every_member_it_holds() {
    let d = decode::<Task>(MALFORMED, &Decoding::default()).unwrap();
    let t = &d.value;
    assert_eq!(
        t.href.as_deref(),
        Some("https://staging-api.sbgenomics.com/v2/tasks/a547a1c4-45c3-441e-857e-caf2a2df96ad")
    );
    assert_eq!(
        t.id.as_deref(),
        Some("a547a1c4-45c3-441e-857e-caf2a2df96ad")
    );
    assert_eq!(t.name.as_deref(), Some("Tengfei and Damir playing"));
    assert_eq!(t.status, Some(TaskStatus::Aborted));
    assert_eq!(t.project.as_deref(), Some("damirk/batch-test"));
    assert_eq!(
        t.app.as_deref(),
        Some("damirk/batch-test/whole-exome-sequencing-gatk-2-3-9-lite/2")
    );
    assert_eq!(t.task_type.as_deref(), Some("v2"));
    assert_eq!(t.created_by.as_deref(), Some("damirk"));
    assert_eq!(t.executed_by.as_deref(), Some("damirk"));
    assert_eq!(
        t.start_time.as_ref().unwrap().as_str(),
        "2016-04-05T12:18:14Z"
    );
    assert_eq!(
        t.end_time.as_ref().unwrap().as_str(),
        "2016-04-07T11:04:42Z"
    );
    assert_eq!(t.batch, Some(true));
    assert!(t.is_batch_parent());
    assert_eq!(t.batch_input.as_deref(), Some("FASTQ"));
    let bb = t.batch_by.as_ref().unwrap();
    assert_eq!(bb.kind, Some(BatchByType::Criteria));
    assert_eq!(
        bb.criteria.as_deref().unwrap(),
        ["metadata.sample_id", "metadata.library_id"]
    );

    let es = t.execution_status.as_ref().unwrap();
    assert_eq!(es.duration, Some(123_456_789), "a number, not a string");
    assert_eq!(es.running_duration, Some(120_453_636));
    assert_eq!(es.queued_duration, Some(3_456_789));
    assert_eq!(
        es.message.as_deref(),
        Some("Batch tasks list initialization.")
    );
    assert_eq!(es.batch_counts().unwrap().total(), 0);
    assert_eq!(es.execution_duration, Some(0));
    assert_eq!(es.system_limit, Some(false));
    assert_eq!(es.account_limit, Some(false));
    assert!(es.extra.is_empty());

    let price = t.price.as_ref().unwrap();
    assert_eq!(price.currency.as_deref(), Some("USD"));
    assert_eq!(price.amount.as_ref().unwrap().as_str(), "0.00");

    let inputs = t.inputs.as_ref().unwrap();
    assert_eq!(
        inputs.len(),
        1,
        "the <snip> line is dropped, never made a member"
    );
    let PortValue::Array(snps) = &inputs["Known_SNPs"] else {
        panic!("an array")
    };
    assert_eq!(snps.len(), 1);
    let f = snps[0].as_file().unwrap();
    assert_eq!(f.class, FileClass::File);
    assert_eq!(f.path.as_deref(), Some("5702cd5a60b27cfe6e8c13bf"));
    assert_eq!(f.name.as_deref(), Some("dbsnp_137.b37.vcf"));
    assert!(t.extra.is_empty());

    // Exactly the repairs the body needed, in order, each at the bytes it concerns.
    let kinds: Vec<_> = d.report.repairs.iter().map(|r| r.kind).collect();
    use RepairKind::*;
    assert_eq!(
        kinds,
        [
            SingleQuotedString,
            SingleQuotedString,
            SingleQuotedString,
            MissingComma,
            TrailingComma,
            TrailingComma,
            TrailingComma,
            ElisionLine
        ]
    );
    let at = |needle: &[u8]| {
        MALFORMED
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    let first = &d.report.repairs.repairs[0];
    assert_eq!(first.range.start, at(b"'123456789'"));
    assert_eq!(&MALFORMED[first.range.clone()], b"'123456789'");
    let snip = d.report.repairs.repairs.last().unwrap();
    assert_eq!(&MALFORMED[snip.range.clone()], b"<snip>");
    let comma = &d.report.repairs.repairs[3];
    assert_eq!(
        comma.range.start,
        at(b"\"execution_duration\": 0") + "\"execution_duration\": 0".len()
    );

    // The quoted numbers were typed as numbers, and each coercion is reported where it was.
    let coerced: Vec<_> = d
        .report
        .coercions
        .iter()
        .map(|c| (c.pointer.as_str(), c.kind.clone()))
        .collect();
    assert_eq!(
        coerced,
        [
            ("/execution_status/duration", CoercionKind::StringToNumber),
            (
                "/execution_status/running_duration",
                CoercionKind::StringToNumber
            ),
            (
                "/execution_status/queued_duration",
                CoercionKind::StringToNumber
            ),
        ]
    );

    // Re-encoding gives valid JSON that the strict parser reads back to the same task.
    let json = serde_json::to_vec(t).unwrap();
    assert_eq!(&decode_strict::<Task>(&json).unwrap(), t);
}

#[test]
fn strict_mode_stays_strict() {
    let err = decode::<Task>(MALFORMED, &Decoding::Strict).unwrap_err();
    assert!(matches!(err, DecodeError::Syntax { .. }), "{err}");
    let quoted = br#"{"execution_status": {"duration": "5"}}"#;
    assert!(decode::<Task>(quoted, &Decoding::Strict).is_err());
    assert_eq!(
        decode::<Task>(quoted, &Decoding::default())
            .unwrap()
            .value
            .execution_status
            .unwrap()
            .duration,
        Some(5)
    );
}

#[test]
fn a_policy_can_refuse_chosen_repairs() {
    let refuse_elision = Decoding::Lenient(Policy::default().rejecting(RepairKind::ElisionLine));
    match decode::<Task>(MALFORMED, &refuse_elision).unwrap_err() {
        DecodeError::Repair(RepairError::Rejected { kind, range }) => {
            assert_eq!(kind, RepairKind::ElisionLine);
            assert_eq!(&MALFORMED[range], b"<snip>");
        }
        other => panic!("{other}"),
    }
    let truncated = &MALFORMED[..MALFORMED.len() / 2];
    let d = decode::<Task>(truncated, &Decoding::default()).unwrap();
    assert!(d.report.repairs.kinds().any(|k| k == RepairKind::Truncated));
    assert_eq!(
        d.value.id.as_deref(),
        Some("a547a1c4-45c3-441e-857e-caf2a2df96ad")
    );
    let refuse_truncation = Decoding::Lenient(Policy::default().rejecting(RepairKind::Truncated));
    assert!(matches!(
        decode::<Task>(truncated, &refuse_truncation),
        Err(DecodeError::Repair(RepairError::Rejected {
            kind: RepairKind::Truncated,
            ..
        }))
    ));
}

#[test]
fn the_fragment_decodes_leniently_too() {
    let d = decode::<Task>(FRAGMENT, &Decoding::default()).unwrap();
    assert_eq!(d.value.errors.as_ref().unwrap().len(), 3);
    assert!(d
        .report
        .repairs
        .kinds()
        .any(|k| k == RepairKind::MembersFragment));
}

#[test]
fn an_html_page_is_an_error_that_says_what_it_is() {
    let page = b"<!DOCTYPE html><html><body>Gateway Timeout</body></html>";
    let resp = Response::builder().status(200).body(page.to_vec()).unwrap();
    let get = GetTask::new("x".parse().unwrap());
    match get.parse_response(&resp, &Decoding::default()) {
        Err(ResponseError::Decode { error, status, .. }) => {
            assert_eq!(status, 200);
            let msg = error.to_string();
            assert!(msg.contains("HTML"), "{msg}");
            assert!(msg.len() < 600, "bounded: {msg}");
        }
        other => panic!("{other:?}"),
    }
    // An array where a task belongs is a typed error, not a panic or an empty task.
    assert!(matches!(
        decode::<Task>(b"[1, 2]", &Decoding::default()),
        Err(DecodeError::WrongType { .. })
    ));
}

/// The coercions of a report as (JSON pointer, kind).
fn coercions(report: &sbg_tasks_proto::decode::ParseReport) -> Vec<(&str, CoercionKind)> {
    report
        .coercions
        .iter()
        .map(|c| (c.pointer.as_str(), c.kind.clone()))
        .collect()
}

#[test]
fn a_repeated_member_is_reported_with_the_value_set_aside() {
    let body = br#"{"id": "first", "name": "a", "execution_status": {"message": "x", "message": "y"}, "id": "second"}"#;
    // Strict decoding refuses it...
    assert!(decode::<Task>(body, &Decoding::Strict).is_err());
    // ...lenient keeps the last value, as JavaScript does, and says what it set aside.
    let d = decode::<Task>(body, &Decoding::default()).unwrap();
    assert_eq!(d.value.id.as_deref(), Some("second"));
    assert_eq!(
        d.value.execution_status.unwrap().message.as_deref(),
        Some("y")
    );
    assert_eq!(
        coercions(&d.report),
        [
            (
                "/execution_status/message",
                CoercionKind::DuplicateMember {
                    dropped: "x".into()
                }
            ),
            (
                "/id",
                CoercionKind::DuplicateMember {
                    dropped: "first".into()
                }
            ),
        ]
    );
    assert!(!d.report.is_clean());
    // The same holds after a byte repair.
    let d = decode::<Task>(br#"{"id": 'a', "id": "b",}"#, &Decoding::default()).unwrap();
    assert_eq!(d.value.id.as_deref(), Some("b"));
    assert!(d.report.coercions.iter().any(|c| c.kind
        == CoercionKind::DuplicateMember {
            dropped: "a".into()
        }));
}

/// A repeated member anywhere — inside inputs and outputs, file objects, nested records,
/// unknown members, `origin`, batch group fields, job logs — is never dropped silently: strict
/// decoding refuses it with a shape error naming it, lenient keeps the last value and reports
/// the one set aside at its JSON pointer.
#[test]
fn a_repeated_member_deep_in_the_untyped_parts_is_never_dropped_silently() {
    use sbg_tasks_proto::model::{ExecutionDetails, TaskPage};
    let many: String = (0..40).map(|i| format!(r#""k{i}": {i}, "#)).collect();
    let task_cases: Vec<(String, &str, serde_json::Value)> =
        vec![
        (r#"{"inputs": {"a": 1, "a": 2}}"#.into(), "/inputs/a", 1.into()),
        (
            r#"{"outputs": {"f": {"class": "File", "path": "x", "path": "y"}}}"#.into(),
            "/outputs/f/path",
            "x".into(),
        ),
        (
            r#"{"inputs": {"f": {"class": "File", "size": 1, "size": 2}}}"#.into(),
            "/inputs/f/size",
            1.into(),
        ),
        (
            r#"{"inputs": {"r": [{"x": {"y": true, "y": false}}]}}"#.into(),
            "/inputs/r/0/x/y",
            true.into(),
        ),
        (
            format!(r#"{{"inputs": {{"big": {{{many}"k7": "again"}}}}}}"#),
            "/inputs/big/k7",
            7.into(),
        ),
        (
            r#"{"unknown": {"deep": [{"z": 1, "z": 2}]}}"#.into(),
            "/unknown/deep/0/z",
            1.into(),
        ),
        (r#"{"origin": {"a": "x", "a": "y"}}"#.into(), "/origin/a", "x".into()),
        (
            r#"{"output_location": {"a": 0, "a": 1}}"#.into(),
            "/output_location/a",
            0.into(),
        ),
        (
            r#"{"batch_group": {"value": "v", "fields": {"sample_id": "s1", "sample_id": "s2"}}}"#
                .into(),
            "/batch_group/fields/sample_id",
            "s1".into(),
        ),
    ];
    fn check<
        T: serde::de::DeserializeOwned + sbg_tasks_proto::model::FromLenient + std::fmt::Debug,
    >(
        body: &str,
        pointer: &str,
        dropped: &serde_json::Value,
    ) {
        match decode::<T>(body.as_bytes(), &Decoding::Strict) {
            Err(DecodeError::Shape { message, .. }) => {
                assert!(message.contains("duplicate member"), "{body}: {message}")
            }
            other => panic!("strict decoding of {body} gave {other:?}"),
        }
        let d = decode::<T>(body.as_bytes(), &Decoding::default()).unwrap();
        assert_eq!(
            coercions(&d.report),
            [(
                pointer,
                CoercionKind::DuplicateMember {
                    dropped: dropped.clone()
                }
            )],
            "{body}"
        );
    }
    for (body, pointer, dropped) in &task_cases {
        check::<Task>(body, pointer, dropped);
    }
    // The last value is the one kept.
    let d = decode::<Task>(task_cases[0].0.as_bytes(), &Decoding::default()).unwrap();
    assert_eq!(d.value.inputs.unwrap()["a"], PortValue::from(2));
    // In a page of tasks and in execution details too.
    check::<TaskPage>(
        r#"{"items": [{"id": "t", "inputs": {"a": 1, "a": 2}}]}"#,
        "/items/0/inputs/a",
        &1.into(),
    );
    check::<ExecutionDetails>(
        r#"{"jobs": [{"name": "j", "logs": {"job.log": "f1", "job.log": "f2"}}]}"#,
        "/jobs/0/logs/job.log",
        &"f1".into(),
    );
    // Many members, none repeated: no error, nothing reported.
    let body = format!(r#"{{"inputs": {{"big": {{{many}"last": 0}}}}}}"#);
    assert!(decode::<Task>(body.as_bytes(), &Decoding::Strict).is_ok());
}

#[test]
fn json_scalars_are_shape_errors_not_text() {
    for body in [&b"true"[..], b"12", b"null", b" \"text\" "] {
        match decode::<Task>(body, &Decoding::Strict) {
            Err(DecodeError::Shape { .. }) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    assert!(matches!(
        decode::<Task>(b"404 Not Found", &Decoding::Strict),
        Err(DecodeError::NotJson { .. })
    ));
}
