//! A task's inputs alone: answers of `GET`/`PATCH /v2/tasks/{id}/inputs` decoded by
//! `GetTaskInputs::parse_response`, and the bodies `UpdateTaskInputs` and `UpdateTask` send.
//!
//! Inputs are raw bytes (a body), or after a first byte 0xC0..=0xFF structure-aware ports
//! (`ArbPorts`: `arbitrary`-built `PortValue` trees — files, directories, arrays, records,
//! nulls, numbers — with ports sometimes named again) and a defect stream.
//!
//! Properties, for any body: no panic in strict or lenient decoding; strict success ⇒ the
//! lenient decode is the same map (member order included) with a clean report; a lenient map
//! re-encoded decodes strictly to itself; on valid JSON a member named twice (at any depth) is
//! a strict error and one lenient `DuplicateMember` report per repeat, and no other coercion
//! or repair is made. For generated ports: the pairs written with their repeats decode as
//! above (the repeated ports reported at `/port`, the last value kept at the first place); the
//! map written with injected syntax defects decodes leniently to itself; `UpdateTaskInputs`
//! and `UpdateTask` bodies built from the pairs (`input` one by one, or `inputs` at once) hold
//! exactly that map, strictly decodable, with no repeated member.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sbg_tasks_fuzz::{assert_same_ports, count_repeats, ArbPorts, DefectWriter};
use sbg_tasks_proto::decode::decode_strict;
use sbg_tasks_proto::http::{HeaderMap, StatusCode};
use sbg_tasks_proto::model::{CoercionKind, PortMap, TaskInputs};
use sbg_tasks_proto::{AuthToken, Config, Decoding, Endpoint, GetTaskInputs, Platform, ResponseError, TaskId, UpdateTask, UpdateTaskInputs};
use sbg_tasks_proto::decode::DecodeError;

fn id() -> TaskId {
    TaskId::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb").unwrap()
}

/// Decodes `body` as a 200 answer to `GetTaskInputs`.
fn parse(
    body: &[u8],
    decoding: &Decoding,
) -> Result<(TaskInputs, sbg_tasks_proto::decode::ParseReport), ResponseError> {
    GetTaskInputs::new(id())
        .parse_parts(StatusCode::OK, &HeaderMap::new(), body, decoding)
        .map(|a| (a.value, a.report))
}

/// The properties every body must keep; returns the lenient map when there is one.
fn check_body(body: &[u8]) -> Option<PortMap> {
    let strict = parse(body, &Decoding::Strict);
    let lenient = parse(body, &Decoding::default());
    if let Ok((s, report)) = &strict {
        assert!(report.is_clean(), "strict decoding reported {report}");
        let (l, lreport) = lenient.as_ref().expect("strict Ok, lenient Err");
        assert_same_ports(l, s, "lenient vs strict");
        assert!(
            lreport.is_clean(),
            "a strict body got a lenient report {lreport}"
        );
    }
    if let Err(e) = &strict {
        let _ = e.to_string();
    }
    // (`IgnoredAny` would skip strings unchecked: a `Value` checks their UTF-8 too.)
    let valid_json = serde_json::from_slice::<serde_json::Value>(body).is_ok();
    if valid_json {
        let repeats = count_repeats(body);
        if repeats > 0 {
            assert!(strict.is_err(), "a repeated member passed strict decoding");
        }
        if let Ok((_, report)) = &lenient {
            let dups = report
                .coercions
                .iter()
                .filter(|c| matches!(c.kind, CoercionKind::DuplicateMember { .. }))
                .count();
            assert_eq!(dups, repeats, "repeats reported: {:?}", report.coercions);
            assert_eq!(
                report.coercions.len(),
                dups,
                "valid JSON inputs needed coercions: {:?}",
                report.coercions
            );
            assert!(report.repairs.is_empty(), "valid JSON needed repairs");
        }
    }
    match lenient {
        Ok((map, report)) => {
            for c in &report.coercions {
                assert!(c.pointer.starts_with('/'), "pointer {:?}", c.pointer);
            }
            // Re-encoded, the map decodes strictly to itself.
            let again = serde_json::to_vec(&map).expect("inputs encode");
            let back: TaskInputs = decode_strict(&again).unwrap_or_else(|e| {
                panic!(
                    "re-encoded inputs refused ({e}): {}",
                    String::from_utf8_lossy(&again)
                )
            });
            assert_same_ports(&back, &map, "lenient map → encode → strict");
            Some(map.0)
        }
        Err(ResponseError::Decode { error, .. }) => {
            if valid_json {
                assert!(
                    matches!(error, DecodeError::WrongType { .. }),
                    "valid JSON, lenient error {error:?}"
                );
            }
            let _ = error.to_string();
            None
        }
        Err(e) => panic!("a 200 answer gave {e:?}"),
    }
}

/// The `inputs` the bodies of `UpdateTaskInputs` and `UpdateTask` built from `ports` hold.
fn check_update_bodies(ports: &ArbPorts, want: &PortMap) {
    let cfg = Config::new(Platform::SevenBridges, AuthToken::new("token").unwrap());
    let body_of = |r: sbg_tasks_proto::http::Request<Vec<u8>>| {
        let body = r.into_body();
        assert_eq!(count_repeats(&body), 0, "a body repeats a member");
        body
    };

    // UpdateTaskInputs: the body is the bare map.
    let mut one_by_one = UpdateTaskInputs::new(id());
    for (k, v) in &ports.0 {
        one_by_one = one_by_one.input(k.clone(), v.clone());
    }
    let at_once = UpdateTaskInputs::new(id()).inputs(want.clone());
    for call in [one_by_one, at_once] {
        assert_same_ports(call.changes(), want, "UpdateTaskInputs::changes");
        let body = body_of(call.prepare_request(&cfg).expect("an inputs update builds"));
        let got: TaskInputs = decode_strict(&body).expect("the inputs body decodes");
        assert_same_ports(&got, want, "UpdateTaskInputs body");
    }

    // UpdateTask: the map is the body's `inputs`, present once a port is set.
    let mut one_by_one = UpdateTask::new(id()).name("n");
    for (k, v) in &ports.0 {
        one_by_one = one_by_one.input(k.clone(), v.clone());
    }
    let at_once = UpdateTask::new(id()).inputs(want.clone());
    for (call, always) in [(one_by_one, false), (at_once, true)] {
        let body = body_of(call.prepare_request(&cfg).expect("a task update builds"));
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
        match v.get("inputs") {
            None => assert!(
                !always && ports.0.is_empty(),
                "inputs missing from the body"
            ),
            Some(inputs) => {
                let text = serde_json::to_vec(inputs).unwrap();
                let got: TaskInputs = decode_strict(&text).expect("the update's inputs decode");
                assert_same_ports(&got, want, "UpdateTask body");
            }
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Generated {
    ports: ArbPorts,
    defect_rate: u8,
    defects: Vec<u8>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    if sel < 0xC0 {
        check_body(data);
        return;
    }
    let Ok(g) = Generated::arbitrary(&mut Unstructured::new(rest)) else {
        return;
    };
    let want = g.ports.map();

    // Written with every pair: a port named again is a repeated member.
    let written = g.ports.to_json_with_repeats();
    let repeats = g.ports.0.len() - want.len();
    assert_eq!(count_repeats(&written), repeats);
    let got = check_body(&written).expect("generated inputs decode leniently");
    assert_same_ports(&got, &want, "pairs written with repeats");
    if repeats > 0 {
        let (_, report) = parse(&written, &Decoding::default()).unwrap();
        for c in &report.coercions {
            // Only top-level repeats were written: each is reported at its port (RFC 6901).
            let named = want
                .keys()
                .any(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")) == c.pointer);
            assert!(named, "repeat reported at {:?}, not at a port", c.pointer);
        }
    }

    // Written clean, with injected syntax defects: the lenient decode is the same map.
    let clean = serde_json::to_value(&want).unwrap();
    let (defective, applied) =
        DefectWriter::new(&g.defects, g.defect_rate % 8 + 1).write_body(&clean);
    match parse(&defective, &Decoding::default()) {
        Ok((got, report)) => {
            assert_same_ports(&got, &want, "defective body");
            assert!(
                report.coercions.is_empty(),
                "coercions: {:?}",
                report.coercions
            );
            if applied.is_empty() {
                assert!(report.is_clean());
            }
        }
        Err(e) => panic!(
            "defects {applied:?} lost the inputs ({e}): {}",
            String::from_utf8_lossy(&defective)
        ),
    }
    check_body(&defective);

    check_update_bodies(&g.ports, &want);
});
