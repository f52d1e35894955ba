//! Creating a task: the request sent exactly (only what was set), the answer's validation
//! errors typed, and whether the created task can run.

mod support;
use support::*;

use serde_json::{json, Value};

use sbg_tasks_proto::endpoints::{CallKind, CreateOutcome};
use sbg_tasks_proto::model::{BatchBy, ExecutionSettings, FileRef, IssueKind, PortMap, PortValue};
use sbg_tasks_proto::{http, CreateTask, Endpoint, ResponseError};

const CREATE_ERRORS_BODY: &[u8] = include_bytes!("data/create-task-validation-errors.json");

#[test]
fn create_sends_only_what_was_set() {
    let req = CreateTask::new(project(), app())
        .prepare_request(&platform_config())
        .unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/tasks");
    assert_eq!(req.headers()["content-type"], "application/json");
    assert_eq!(req.headers()["x-sbg-auth-token"], TOKEN);
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        r#"{"project":"rfranklin/my-project","app":"rfranklin/my-project/bwa-mem/3"}"#
    );
    assert_eq!(
        req.headers()["content-length"],
        req.body().len().to_string().as_str()
    );
}

#[test]
fn create_sends_every_member_exactly() {
    let mut settings = ExecutionSettings::default();
    settings.instance_type = Some("c4.2xlarge;ebs-gp2;2000".into());
    settings.max_parallel_instances = Some(2);
    settings.use_memoization = Some(true);
    let mut reads = FileRef::file("5a1b").with_name("r1.fq");
    reads.secondary_files = Some(vec![FileRef::file("5a1c").into()]);
    let call = CreateTask::new(project(), app())
        .name("align")
        .description("two lanes")
        .input(
            "reads",
            vec![PortValue::from(reads), FileRef::file("5a1d").into()],
        )
        .input("threads", 8i64)
        .input("reference", PortValue::Null)
        .input("threads", 16i64) // replaces, keeps position
        .batch(
            "reads",
            BatchBy::criteria(["metadata.sample_id", "metadata.lane"]),
        )
        .execution_settings(settings)
        .use_interruptible_instances(false)
        .output_location(json!({"main_location": "volumes://rfranklin/out/"}))
        .run(true);
    assert_eq!(call.kind(), CallKind::Create);
    assert!(!call.kind().is_idempotent());
    assert!(call.runs());
    let req = call.prepare_request(&platform_config()).unwrap();
    assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/tasks?action=run");
    let expected = concat!(
        r#"{"name":"align","description":"two lanes","project":"rfranklin/my-project","#,
        r#""app":"rfranklin/my-project/bwa-mem/3","batch_input":"reads","#,
        r#""batch_by":{"type":"CRITERIA","criteria":["metadata.sample_id","metadata.lane"]},"#,
        r#""use_interruptible_instances":false,"#,
        r#""execution_settings":{"instance_type":"c4.2xlarge;ebs-gp2;2000","max_parallel_instances":2,"use_memoization":true},"#,
        r#""output_location":{"main_location":"volumes://rfranklin/out/"},"#,
        r#""inputs":{"reads":[{"class":"File","path":"5a1b","name":"r1.fq","secondaryFiles":[{"class":"File","path":"5a1c"}]},{"class":"File","path":"5a1d"}],"threads":16,"reference":null}}"#
    );
    assert_eq!(std::str::from_utf8(req.body()).unwrap(), expected);
    // The body decodes as a task with the same members (what a server sees).
    let as_task: sbg_tasks_proto::Task = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(as_task.batch_input.as_deref(), Some("reads"));
    let inputs = as_task.inputs.unwrap();
    assert_eq!(
        inputs.keys().collect::<Vec<_>>(),
        ["reads", "threads", "reference"]
    );
    assert_eq!(inputs["reads"].files().len(), 3);
}

#[test]
fn create_with_empty_inputs_sends_an_empty_object() {
    let req = CreateTask::new(project(), app())
        .inputs(PortMap::new())
        .prepare_request(&platform_config())
        .unwrap();
    assert_eq!(body_json(&req)["inputs"], json!({}));
}

#[test]
fn create_answer_with_validation_errors_is_created_but_cannot_run() {
    let call = CreateTask::new(project(), app()).run(true);
    let answer = call
        .parse_response(&ok(CREATE_ERRORS_BODY), &Decoding::Strict)
        .unwrap();
    let outcome = answer.value;
    assert!(!outcome.can_run());
    let CreateOutcome::CreatedWithErrors { task, errors } = &outcome else {
        panic!("expected CreatedWithErrors, got {outcome:?}");
    };
    assert_eq!(task.status, Some(TaskStatus::Draft));
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].kind, Some(IssueKind::FilesMissing));
    assert_eq!(errors[0].input_id.as_deref(), Some("reads"));
    assert_eq!(
        errors[0].extra["files"],
        json!(["5a1b2c3d4e5f60718293a4b5"])
    );
    assert_eq!(
        errors[1].kind,
        Some(IssueKind::Unknown(
            "error/task_validation/input/required".into()
        ))
    );
    assert_eq!(outcome.errors(), &errors[..]);
    // Nothing lost: the task re-encodes to the body as sent.
    let original: Value = serde_json::from_slice(CREATE_ERRORS_BODY).unwrap();
    assert_eq!(serde_json::to_value(outcome.task()).unwrap(), original);
    assert_eq!(outcome.into_task().errors.unwrap().len(), 2);
}

#[test]
fn create_answer_without_errors_is_created() {
    let call = CreateTask::new(project(), app());
    for body in [
        &br#"{"id": "a", "status": "DRAFT"}"#[..],
        br#"{"id": "a", "status": "DRAFT", "errors": []}"#,
        br#"{"id": "a", "status": "DRAFT", "errors": null}"#,
    ] {
        let out = call.parse_response(&ok(body), &Decoding::Strict).unwrap();
        assert!(out.value.can_run(), "{}", String::from_utf8_lossy(body));
        assert!(out.value.errors().is_empty());
        assert_eq!(out.value.task().id.as_deref(), Some("a"));
    }
}

#[test]
fn create_answer_with_untypable_errors_still_cannot_run() {
    let call = CreateTask::new(project(), app());
    let body = br#"{"id": "a", "status": "DRAFT", "errors": "inputs are missing"}"#;
    // Strict decoding refuses the body outright ...
    assert!(matches!(
        call.parse_response(&ok(body), &Decoding::Strict),
        Err(ResponseError::Decode { .. })
    ));
    // ... lenient decoding keeps the member and still says the task cannot run.
    let out = call
        .parse_response(&ok(body), &Decoding::default())
        .unwrap();
    assert!(!out.value.can_run());
    assert!(out.value.errors().is_empty());
    assert_eq!(
        out.value.task().extra["errors"],
        json!("inputs are missing")
    );
    assert!(!out.report.is_clean());
}

#[test]
fn create_error_answer_is_an_api_error() {
    let call = CreateTask::new(project(), app());
    let resp = http::Response::builder()
        .status(400)
        .body(br#"{"status": 400, "code": 7012, "message": "Missing inputs"}"#.to_vec())
        .unwrap();
    let err = call.parse_response(&resp, &Decoding::Strict).unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.meta.status, 400);
}
