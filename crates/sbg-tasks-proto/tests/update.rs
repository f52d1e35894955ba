//! Modifying a task (`PATCH /v2/tasks/{id}`): the exact request, only the members set, input
//! values of every shape written as the model reads them, the batch members only together.

mod support;
use support::*;

use proptest::prelude::*;
use serde_json::{json, Value};

use sbg_tasks_proto::config::DEFAULT_USER_AGENT;
use sbg_tasks_proto::endpoints::{CallKind, RequestBuildError, TaskUpdate};
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::model::{BatchBy, ExecutionSettings, FileRef, PortMap, PortValue};
use sbg_tasks_proto::{http, Endpoint, UpdateTask};

const PATH: &str = "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb";

fn text(req: &Request<Vec<u8>>) -> &str {
    std::str::from_utf8(req.body()).unwrap()
}

/// The header names of a request, sorted.
fn header_names(req: &Request<Vec<u8>>) -> Vec<String> {
    let mut names: Vec<String> = req.headers().keys().map(|k| k.to_string()).collect();
    names.sort_unstable();
    names
}

/// The fixed headers every request with a JSON body carries, and nothing else.
fn assert_json_body_headers(req: &Request<Vec<u8>>) {
    assert_eq!(
        header_names(req),
        [
            "accept",
            "content-length",
            "content-type",
            "host",
            "user-agent",
            "x-sbg-auth-token"
        ]
    );
    let h = req.headers();
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["content-length"], req.body().len().to_string().as_str());
    assert_eq!(h["x-sbg-auth-token"], TOKEN);
    assert!(h["x-sbg-auth-token"].is_sensitive());
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h["host"], "127.0.0.1:9");
    assert_eq!(h["user-agent"], DEFAULT_USER_AGENT);
}

#[test]
fn a_rename_sends_only_the_name_with_exact_headers() {
    let call = UpdateTask::new(id()).name("aligned again");
    assert_eq!(call.kind(), CallKind::Update);
    assert!(call.kind().is_idempotent());
    assert!(call.update().is_rename());
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::PATCH);
    assert_eq!(req.uri().path(), PATH);
    assert_eq!(req.uri().query(), None);
    assert_eq!(req.uri().to_string(), format!("http://127.0.0.1:9{PATH}"));
    assert_eq!(text(&req), r#"{"name":"aligned again"}"#);
    assert_json_body_headers(&req);
}

#[test]
fn an_empty_update_sends_an_empty_object() {
    let call = UpdateTask::new(id());
    assert!(call.update().is_empty());
    assert!(!call.update().is_rename());
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(text(&req), "{}");
    assert_json_body_headers(&req);
    assert_eq!(req.headers()["content-length"], "2");
}

#[test]
fn every_member_is_sent_in_a_fixed_order_with_typed_execution_settings() {
    let call = UpdateTask::new(id())
        .output_location(json!({"main_location": "volumes://rfranklin/out/"}))
        .execution_settings(
            ExecutionSettings::default()
                .with_instance_type("c4.2xlarge;ebs-gp2;2000")
                .with_max_parallel_instances(4)
                .with_use_memoization(true)
                .with_use_elastic_disk(false),
        )
        .input("reads", FileRef::file("5a1b2c"))
        .use_interruptible_instances(false)
        .description("second try")
        .batch("reads", BatchBy::criteria(["metadata.sample_id"]))
        .name("align")
        .fields(Fields::only(["id", "status"]).unwrap());
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.uri().query(), Some("fields=id,status"));
    assert_eq!(
        text(&req),
        concat!(
            r#"{"name":"align","description":"second try","use_interruptible_instances":false,"#,
            r#""execution_settings":{"instance_type":"c4.2xlarge;ebs-gp2;2000","max_parallel_instances":4,"use_memoization":true,"use_elastic_disk":false},"#,
            r#""inputs":{"reads":{"class":"File","path":"5a1b2c"}},"#,
            r#""output_location":{"main_location":"volumes://rfranklin/out/"},"#,
            r#""batch_input":"reads","batch_by":{"type":"CRITERIA","criteria":["metadata.sample_id"]}}"#
        )
    );
    assert!(!call.update().is_rename());
    assert_json_body_headers(&req);
}

#[test]
fn only_the_execution_settings_set_are_sent() {
    let req = UpdateTask::new(id())
        .execution_settings(ExecutionSettings::default().with_max_parallel_instances(2))
        .prepare_request(&config())
        .unwrap();
    assert_eq!(
        text(&req),
        r#"{"execution_settings":{"max_parallel_instances":2}}"#
    );
}

/// Inputs of every shape: a file with secondary files and unknown members, a directory, an
/// array of files, primitives, null, a nested record, an empty record, an empty array.
fn every_shape() -> Value {
    json!({
        "reads": {"class": "File", "path": "5a1b", "name": "r.bam",
                  "secondaryFiles": [{"class": "File", "path": "5a1c", "name": "r.bam.bai"}],
                  "size": 1024, "metadata": {"sample_id": "S1"}},
        "index_dir": {"class": "Directory", "path": "6b2c", "listing": []},
        "fastqs": [{"class": "File", "path": "7c3d"}, {"class": "File", "path": "7c3e"}],
        "threads": 8,
        "ratio": 0.25,
        "huge": 18446744073709551615u64,
        "negative": -3,
        "flag": true,
        "mode": "fast",
        "reference": null,
        "options": {"min_quality": 20, "adapters": ["AGATCGGAAGAGC"],
                    "nested": {"deeper": [null, false, {"class": "File", "path": "8d4f"}]}},
        "not_a_file": {"class": "File", "path": 5},
        "directory_like": {"class": "Folder", "path": "x"},
        "empty_record": {},
        "empty_list": []
    })
}

#[test]
fn inputs_of_every_shape_are_written_as_the_model_reads_them() {
    let source = every_shape();
    let ports: PortMap = serde_json::from_value(source.clone()).unwrap();
    // The shapes the model gives them.
    assert!(
        matches!(&ports["reads"], PortValue::File(f) if f.secondary_files.as_ref().unwrap().len() == 1)
    );
    assert!(matches!(&ports["index_dir"], PortValue::File(f) if f.class.as_str() == "Directory"));
    assert!(matches!(&ports["not_a_file"], PortValue::Map(_)));
    assert!(matches!(&ports["directory_like"], PortValue::Map(_)));
    assert!(matches!(&ports["empty_record"], PortValue::Map(m) if m.is_empty()));
    assert_eq!(ports["reference"], PortValue::Null);

    // One port at a time, or all at once: the same body.
    let mut one_by_one = UpdateTask::new(id());
    for (port, value) in &ports {
        one_by_one = one_by_one.input(port.clone(), value.clone());
    }
    let at_once = UpdateTask::new(id()).inputs(ports.clone());
    assert_eq!(one_by_one, at_once);
    let req = at_once.prepare_request(&config()).unwrap();
    let sent: Value = serde_json::from_slice(req.body()).unwrap();
    // The bytes say what the caller's JSON said, member for member and in the same order.
    assert_eq!(sent, json!({ "inputs": source }));
    let body = text(&req);
    let places: Vec<usize> = ports
        .keys()
        .map(|port| body.find(&format!("\"{port}\":")).unwrap())
        .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{body}");
    // decode(encode(x)) == x through PortValue.
    let back: PortMap = serde_json::from_value(sent["inputs"].clone()).unwrap();
    assert_eq!(back, ports);
    // And the number that does not fit an i64 is kept exactly.
    assert!(text(&req).contains("18446744073709551615"));
}

#[test]
fn a_port_set_twice_keeps_its_place_and_its_last_value() {
    let req = UpdateTask::new(id())
        .input("a", 1)
        .input("b", PortValue::Null)
        .input("a", vec!["x", "y"])
        .prepare_request(&config())
        .unwrap();
    assert_eq!(text(&req), r#"{"inputs":{"a":["x","y"],"b":null}}"#);
    // `inputs` replaces what `input` set before it.
    let mut map = PortMap::new();
    map.insert("c".into(), PortValue::from(true));
    let req = UpdateTask::new(id())
        .input("a", 1)
        .inputs(map)
        .prepare_request(&config())
        .unwrap();
    assert_eq!(text(&req), r#"{"inputs":{"c":true}}"#);
    // An empty map is sent: it says "change no input", not "leave the member out".
    let req = UpdateTask::new(id())
        .inputs(PortMap::new())
        .prepare_request(&config())
        .unwrap();
    assert_eq!(text(&req), r#"{"inputs":{}}"#);
}

#[test]
fn batch_members_go_together_and_no_batch_sends_false() {
    let req = UpdateTask::new(id())
        .batch("reads", BatchBy::item())
        .prepare_request(&config())
        .unwrap();
    assert_eq!(
        text(&req),
        r#"{"batch_input":"reads","batch_by":{"type":"ITEM"}}"#
    );
    let req = UpdateTask::new(id())
        .no_batch()
        .prepare_request(&config())
        .unwrap();
    assert_eq!(text(&req), r#"{"batch":false}"#);
    // The later of the two wins, and takes the other's members out.
    let req = UpdateTask::new(id())
        .batch("reads", BatchBy::item())
        .no_batch()
        .prepare_request(&config())
        .unwrap();
    assert_eq!(text(&req), r#"{"batch":false}"#);
    let req = UpdateTask::new(id())
        .no_batch()
        .batch("reads", BatchBy::item())
        .prepare_request(&config())
        .unwrap();
    assert_eq!(
        text(&req),
        r#"{"batch_input":"reads","batch_by":{"type":"ITEM"}}"#
    );
}

#[test]
fn a_body_with_one_batch_member_alone_or_with_batch_false_is_never_built() {
    let invalid = |body: TaskUpdate| {
        let call = UpdateTask::with_body(id(), body);
        match call.prepare_request(&config()) {
            Err(RequestBuildError::Invalid { reason }) => reason,
            other => panic!("{other:?}"),
        }
    };
    let mut input_alone = TaskUpdate::default();
    input_alone.batch_input = Some("reads".into());
    assert!(invalid(input_alone).contains("together"));
    let mut by_alone = TaskUpdate::default();
    by_alone.batch_by = Some(BatchBy::item());
    assert!(invalid(by_alone.clone()).contains("together"));
    // batch: true does not make a lone member whole.
    by_alone.batch = Some(true);
    invalid(by_alone);
    let mut both_off = TaskUpdate::default();
    both_off.batch_input = Some("reads".into());
    both_off.batch_by = Some(BatchBy::item());
    both_off.batch = Some(false);
    assert!(invalid(both_off.clone()).contains("false"));
    // The same members with batch: true, or no batch member, are fine.
    both_off.batch = Some(true);
    let req = UpdateTask::with_body(id(), both_off)
        .prepare_request(&config())
        .unwrap();
    assert_eq!(
        text(&req),
        r#"{"batch":true,"batch_input":"reads","batch_by":{"type":"ITEM"}}"#
    );

    // Through a client: the build error comes back and nothing is sent.
    let mut lone = TaskUpdate::default();
    lone.batch_input = Some("reads".into());
    let script = Script::new(vec![]);
    let env = env();
    let e = client(&script, &env)
        .update(&UpdateTask::with_body(id(), lone))
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Build(RequestBuildError::Invalid { .. })),
        "{e:?}"
    );
    assert!(script.requests().is_empty());
}

#[test]
fn the_answer_is_the_task() {
    let call = UpdateTask::new(id()).name("n");
    let body = format!(r#"{{"id":"{ID}","name":"n","status":"DRAFT","new_member":[1]}}"#);
    let answer = call
        .parse_response(&ok(body.as_bytes()), &Decoding::Strict)
        .unwrap();
    assert_eq!(answer.value.name.as_deref(), Some("n"));
    assert_eq!(answer.value.status, Some(TaskStatus::Draft));
    assert_eq!(answer.value.extra["new_member"], json!([1]));
}

// ---- Property: an update never sends a member that was not set. ----

#[derive(Debug, Clone)]
enum Setter {
    Name(String),
    Description(String),
    Interruptible(bool),
    Settings(Option<String>, Option<u64>, Option<bool>, Option<bool>),
    Input(String, i64),
    OutputLocation(String),
    Batch(String, bool),
    NoBatch,
}

fn setter() -> impl Strategy<Value = Setter> {
    let s = "[a-z ]{0,8}";
    prop_oneof![
        s.prop_map(Setter::Name),
        s.prop_map(Setter::Description),
        any::<bool>().prop_map(Setter::Interruptible),
        (
            proptest::option::of("[a-z0-9.]{1,8}"),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(a, b, c, d)| Setter::Settings(a, b, c, d)),
        ("[a-z_]{1,6}", any::<i64>()).prop_map(|(p, v)| Setter::Input(p, v)),
        s.prop_map(Setter::OutputLocation),
        ("[a-z_]{1,6}", any::<bool>()).prop_map(|(p, b)| Setter::Batch(p, b)),
        Just(Setter::NoBatch),
    ]
}

proptest! {
    #[test]
    fn an_update_sends_exactly_the_members_set(setters in proptest::collection::vec(setter(), 0..8)) {
        let mut call = UpdateTask::new(id());
        // The members the body must hold, applied the way the builder's documentation says.
        let mut expected = serde_json::Map::new();
        for s in &setters {
            match s.clone() {
                Setter::Name(n) => {
                    expected.insert("name".into(), json!(n));
                    call = call.name(n);
                }
                Setter::Description(d) => {
                    expected.insert("description".into(), json!(d));
                    call = call.description(d);
                }
                Setter::Interruptible(b) => {
                    expected.insert("use_interruptible_instances".into(), json!(b));
                    call = call.use_interruptible_instances(b);
                }
                Setter::Settings(it, n, m, e) => {
                    let mut settings = ExecutionSettings::default();
                    let mut members = serde_json::Map::new();
                    if let Some(it) = it {
                        members.insert("instance_type".into(), json!(it));
                        settings = settings.with_instance_type(it);
                    }
                    if let Some(n) = n {
                        members.insert("max_parallel_instances".into(), json!(n));
                        settings = settings.with_max_parallel_instances(n);
                    }
                    if let Some(m) = m {
                        members.insert("use_memoization".into(), json!(m));
                        settings = settings.with_use_memoization(m);
                    }
                    if let Some(e) = e {
                        members.insert("use_elastic_disk".into(), json!(e));
                        settings = settings.with_use_elastic_disk(e);
                    }
                    expected.insert("execution_settings".into(), Value::Object(members));
                    call = call.execution_settings(settings);
                }
                Setter::Input(port, v) => {
                    expected
                        .entry("inputs")
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .unwrap()
                        .insert(port.clone(), json!(v));
                    call = call.input(port, v);
                }
                Setter::OutputLocation(l) => {
                    expected.insert("output_location".into(), json!({ "main_location": l }));
                    call = call.output_location(json!({ "main_location": l }));
                }
                Setter::Batch(port, by_item) => {
                    let by = if by_item {
                        BatchBy::item()
                    } else {
                        BatchBy::criteria([port.clone()])
                    };
                    expected.remove("batch");
                    expected.insert("batch_input".into(), json!(port));
                    expected.insert("batch_by".into(), serde_json::to_value(&by).unwrap());
                    call = call.batch(port, by);
                }
                Setter::NoBatch => {
                    expected.remove("batch_input");
                    expected.remove("batch_by");
                    expected.insert("batch".into(), json!(false));
                    call = call.no_batch();
                }
            }
        }
        let req = call.prepare_request(&config()).unwrap();
        let sent: Value = serde_json::from_slice(req.body()).unwrap();
        prop_assert_eq!(&sent, &Value::Object(expected.clone()));
        prop_assert_eq!(req.headers()["content-length"].to_str().unwrap(), req.body().len().to_string());
        // The typed view agrees: the body decodes back to the same members.
        prop_assert_eq!(call.update().is_empty(), expected.is_empty());
        prop_assert_eq!(
            call.update().is_rename(),
            expected.contains_key("name") && expected.keys().all(|k| k == "name")
        );
    }
}
