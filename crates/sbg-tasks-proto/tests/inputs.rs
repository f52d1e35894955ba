//! A task's inputs alone (`GET` and `PATCH /v2/tasks/{id}/inputs`): the exact requests,
//! answers of any shape kept and re-emitted, and a port named twice never a silent choice.

mod support;
use support::*;

use serde_json::{json, Value};

use sbg_tasks_proto::decode::DecodeError;
use sbg_tasks_proto::endpoints::CallKind;
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::model::{CoercionKind, FileRef, PortMap, PortValue, TaskInputs};
use sbg_tasks_proto::{http, Endpoint, GetTaskInputs, ResponseError, UpdateTaskInputs};

const PATH: &str = "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/inputs";

/// An inputs map with shapes this crate has no type for, in an order that is not sorted.
const ODD: &str = r#"{"zeta":{"class":"File","path":"5a1b","secondaryFiles":[{"class":"File","path":"5a1c"}],"metadata":{"lane":3},"checksum":"sha1$ab"},"alpha":{"class":"Directory","path":"6b","listing":[{"class":"File","path":"6c"}]},"record":{"class":"Sample","files":[{"class":"File","path":"7d"}],"extra":{"deep":[1,2.5,"x",null,true]}},"weird_file":{"class":"File","path":["not","a","string"]},"big":12345678901234567890,"neg":-1e-7,"none":null,"empty":{},"list":[[],[{}]]}"#;

#[test]
fn get_inputs_is_a_bare_get_with_optional_fields() {
    let call = GetTaskInputs::new(id());
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri().to_string(), format!("http://127.0.0.1:9{PATH}"));
    assert!(req.body().is_empty());
    assert!(req.headers().get("content-type").is_none());
    assert!(req.headers().get("content-length").is_none());
    assert_eq!(req.headers()["x-sbg-auth-token"], TOKEN);
    let req = GetTaskInputs::new(id())
        .fields(Fields::only(["reads", "threads"]).unwrap())
        .prepare_request(&config())
        .unwrap();
    assert_eq!(req.uri().path(), PATH);
    assert_eq!(req.uri().query(), Some("fields=reads,threads"));
}

#[test]
fn answers_of_unknown_shapes_are_kept_and_re_emitted() {
    let call = GetTaskInputs::new(id());
    for decoding in [Decoding::Strict, Decoding::default()] {
        let answer = call.parse_response(&ok(ODD.as_bytes()), &decoding).unwrap();
        assert!(answer.report.is_clean());
        let inputs = answer.value;
        assert_eq!(
            inputs.keys().collect::<Vec<_>>(),
            [
                "zeta",
                "alpha",
                "record",
                "weird_file",
                "big",
                "neg",
                "none",
                "empty",
                "list"
            ]
        );
        let zeta = inputs["zeta"].as_file().unwrap();
        assert_eq!(zeta.extra["checksum"], json!("sha1$ab"));
        assert!(matches!(inputs["record"], PortValue::Map(_)));
        assert!(matches!(inputs["weird_file"], PortValue::Map(_)));
        // Re-emitted byte for byte (the answer had no spaces).
        let again = serde_json::to_string(&inputs).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&again).unwrap(),
            serde_json::from_str::<Value>(ODD).unwrap()
        );
        assert_eq!(again, ODD);
        // And read again, the same value.
        let back: TaskInputs = serde_json::from_str(&again).unwrap();
        assert_eq!(back, inputs);
    }
}

#[test]
fn update_inputs_sends_exactly_the_ports_set() {
    let call = UpdateTaskInputs::new(id())
        .input("reads", vec![FileRef::file("5a1b"), FileRef::file("5a1c")])
        .input("reference", PortValue::Null)
        .input("threads", 8)
        .input("reads", FileRef::file("5a1d").with_name("r.bam"));
    assert_eq!(call.kind(), CallKind::Update);
    assert!(call.kind().is_idempotent());
    assert_eq!(call.changes().len(), 3);
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::PATCH);
    assert_eq!(req.uri().to_string(), format!("http://127.0.0.1:9{PATH}"));
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        r#"{"reads":{"class":"File","path":"5a1d","name":"r.bam"},"reference":null,"threads":8}"#
    );
    let h = req.headers();
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["content-length"], req.body().len().to_string().as_str());
    assert_eq!(h["x-sbg-auth-token"], TOKEN);

    // Nothing set: `{}`; a whole map: that map, in its order.
    let req = UpdateTaskInputs::new(id())
        .prepare_request(&config())
        .unwrap();
    assert_eq!(req.body().as_slice(), b"{}");
    assert_eq!(req.headers()["content-length"], "2");
    let map: PortMap = serde_json::from_str(ODD).unwrap();
    let req = UpdateTaskInputs::new(id())
        .input("dropped", 1)
        .inputs(map)
        .prepare_request(&config())
        .unwrap();
    assert_eq!(std::str::from_utf8(req.body()).unwrap(), ODD);
}

#[test]
fn update_inputs_answers_the_whole_map() {
    let script = Script::new(vec![answer(200, &[], ODD)]);
    let env = env();
    let call = UpdateTaskInputs::new(id()).input("neg", 2);
    let answer = client(&script, &env).update_inputs(&call).unwrap();
    assert_eq!(answer.value.len(), 9);
    assert_eq!(script.seen(), [("PATCH".to_string(), PATH.to_string())]);
    assert_eq!(script.bodies(), [r#"{"neg":2}"#]);
}

#[test]
fn a_port_named_twice_is_refused_strictly_and_reported_leniently() {
    let body = br#"{"reads": {"class": "File", "path": "first"}, "threads": 4, "reads": {"class": "File", "path": "second"}}"#;
    // Strict: an error that says which member.
    let e = match GetTaskInputs::new(id()).parse_response(&ok(body), &Decoding::Strict) {
        Err(ResponseError::Decode { error, .. }) => error,
        other => panic!("{other:?}"),
    };
    assert!(matches!(&e, DecodeError::Shape { .. }), "{e:?}");
    assert!(e.to_string().contains("reads"), "{e}");
    // The same for the answer to a change.
    let strict = UpdateTaskInputs::new(id()).parse_response(&ok(body), &Decoding::Strict);
    assert!(
        matches!(strict, Err(ResponseError::Decode { .. })),
        "{strict:?}"
    );

    // Lenient: the last value is used, the first one is reported, set aside.
    let answer = GetTaskInputs::new(id())
        .parse_response(&ok(body), &Decoding::default())
        .unwrap();
    assert_eq!(answer.value.len(), 2);
    assert_eq!(
        answer.value["reads"].as_file().unwrap().path.as_deref(),
        Some("second")
    );
    assert_eq!(answer.report.coercions.len(), 1);
    let c = &answer.report.coercions[0];
    assert_eq!(c.pointer, "/reads");
    assert_eq!(
        c.kind,
        CoercionKind::DuplicateMember {
            dropped: json!({"class": "File", "path": "first"})
        }
    );
}
