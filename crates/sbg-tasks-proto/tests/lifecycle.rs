//! The rest of a task's life: create, abort, list (and its pager), execution details, rate
//! limit. Requests built exactly, bodies decoded without loss, the pager walked across shifting
//! pages.

use std::collections::{HashMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use sbg_tasks_proto::model::{
    BatchBy, ExecutionDetails, ExecutionSettings, FileRef, IssueKind, JobStatus, LinkRel, PortMap,
    PortValue, RateLimitInfo, TaskPage, TaskStatus, Timestamp,
};
use sbg_tasks_proto::{
    http, AbortTask, AllowHttp, Answer, AppId, AuthToken, BaseUrl, CallKind, Config, CreateOutcome,
    CreateTask, DecodeError, Decoding, Endpoint, FieldName, Fields, GetExecutionDetails,
    GetRateLimit, IgnoredLinkReason, ListParamError, ListTasks, NameError, PageLimit, Pager,
    PagerError, Platform, ProjectId, ResponseError, SortOrder, TaskId, TimeBound,
};

const LIST_BODY: &[u8] = include_bytes!("data/list-tasks-page.json");
const DETAILS_BODY: &[u8] = include_bytes!("data/execution-details.json");
const RATE_BODY: &[u8] = include_bytes!("data/rate-limit.json");
const CREATE_ERRORS_BODY: &[u8] = include_bytes!("data/create-task-validation-errors.json");

const TOKEN: &str = "3259c50e1ac5426ea8f1273259740f74";
const TASK: &str = "08c5ce64-1551-4b7d-b054-63a1517bc7bb";

fn config() -> Config {
    Config::new(Platform::SevenBridges, AuthToken::new(TOKEN).unwrap())
}

fn project() -> ProjectId {
    "rfranklin/my-project".parse().unwrap()
}

fn app() -> AppId {
    "rfranklin/my-project/bwa-mem/3".parse().unwrap()
}

fn dt(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

fn task_id() -> TaskId {
    TASK.parse().unwrap()
}

fn ok(body: &[u8]) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .body(body.to_vec())
        .unwrap()
}

fn body_json<B: AsRef<[u8]>>(req: &http::Request<B>) -> Value {
    serde_json::from_slice(req.body().as_ref()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Create

#[test]
fn create_sends_only_what_was_set() {
    let req = CreateTask::new(project(), app())
        .prepare_request(&config())
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
    let req = call.prepare_request(&config()).unwrap();
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
        .prepare_request(&config())
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

#[test]
fn names_are_validated() {
    assert!(matches!(
        "".parse::<ProjectId>(),
        Err(NameError::Empty { what: "project" })
    ));
    assert!(matches!(
        "justname".parse::<ProjectId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a/b/c".parse::<ProjectId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a/".parse::<ProjectId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a b/c".parse::<ProjectId>(),
        Err(NameError::InvalidChar {
            ch: ' ',
            position: 1,
            ..
        })
    ));
    assert!(matches!(
        "a/b\n".parse::<ProjectId>(),
        Err(NameError::InvalidChar { ch: '\n', .. })
    ));
    assert!(matches!(
        ProjectId::new(format!("a/{}", "b".repeat(600))),
        Err(NameError::TooLong { len: 602, .. })
    ));
    assert!("a/b/c".parse::<AppId>().is_ok());
    assert!("a/b/c/7".parse::<AppId>().is_ok());
    assert!(matches!(
        "a/b".parse::<AppId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a/b/c/7/8".parse::<AppId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a//c".parse::<AppId>(),
        Err(NameError::Shape { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Abort, execution details, rate limit

#[test]
fn abort_request_is_exact() {
    let call = AbortTask::new(task_id());
    assert_eq!(call.kind(), CallKind::Abort);
    assert!(call.kind().is_idempotent());
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri(),
        "https://api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/actions/abort"
    );
    assert!(req.body().is_empty());
    assert_eq!(req.headers()["content-length"], "0");
    assert!(req.headers().get("content-type").is_none());
    let answer = call
        .parse_response(
            &ok(br#"{"id": "08c5ce64-1551-4b7d-b054-63a1517bc7bb", "status": "ABORTING"}"#),
            &Decoding::Strict,
        )
        .unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Aborting));
}

#[test]
fn execution_details_request_and_body() {
    let call = GetExecutionDetails::new(task_id());
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(
        req.uri(),
        "https://api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/execution_details"
    );
    assert!(req.headers().get("content-length").is_none());

    let answer = call
        .parse_response(&ok(DETAILS_BODY), &Decoding::Strict)
        .unwrap();
    assert!(answer.report.is_clean());
    let d: ExecutionDetails = answer.value;
    assert_eq!(d.status, Some(TaskStatus::Failed));
    assert_eq!(
        d.message.as_deref(),
        Some("Job bwa_mem failed: exit code 137")
    );
    assert_eq!(
        d.start_time.as_ref().and_then(Timestamp::unix_seconds),
        Some(1_497_265_390)
    );
    assert_eq!(d.jobs().len(), 2);
    let fastqc = &d.jobs()[0];
    assert_eq!(fastqc.status, Some(JobStatus::Completed));
    assert!(fastqc.status.as_ref().unwrap().is_terminal());
    assert_eq!(fastqc.retried, Some(false));
    let instance = fastqc.instance.as_ref().unwrap();
    assert_eq!(instance.instance_type.as_deref(), Some("c4.2xlarge"));
    assert_eq!(instance.provider.as_deref(), Some("AWS"));
    assert_eq!(instance.extra["disk"]["unit"], "GB");
    assert!(fastqc
        .docker
        .as_ref()
        .unwrap()
        .checksum
        .as_deref()
        .unwrap()
        .starts_with("sha256:"));
    let logs = fastqc.logs.as_ref().unwrap();
    assert_eq!(logs.keys().collect::<Vec<_>>(), ["cmd.log", "job.err.log"]);
    assert!(logs["cmd.log"].is_url());
    assert_eq!(logs["cmd.log"].file_id(), Some("5a1b2c3d4e5f60718293a4b6"));
    assert_eq!(fastqc.extra["job_stats"], json!({"cpu_seconds": 312}));
    let failed: Vec<_> = d.failed_jobs().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name.as_deref(), Some("bwa_mem"));
    assert_eq!(failed[0].retried, Some(true));
    let bare = &failed[0].logs.as_ref().unwrap()["job.err.log"];
    assert!(!bare.is_url());
    assert_eq!(bare.file_id(), Some("5a1b2c3d4e5f60718293a4b8"));
    assert_eq!(d.extra["warnings"], json!(["spot instance reclaimed once"]));

    // Unknown members survive a round trip.
    let original: Value = serde_json::from_slice(DETAILS_BODY).unwrap();
    assert_eq!(serde_json::to_value(&d).unwrap(), original);
}

#[test]
fn execution_details_with_odd_members_decode_leniently() {
    let call = GetExecutionDetails::new(task_id());
    let body = br#"{"status": "RUNNING", "jobs": [{"name": "a", "status": "SCHEDULING", "logs": {"x.log": 5}, "retried": "true"}]}"#;
    assert!(call.parse_response(&ok(body), &Decoding::Strict).is_err());
    let answer = call
        .parse_response(&ok(body), &Decoding::default())
        .unwrap();
    let job = &answer.value.jobs()[0];
    assert_eq!(job.status, Some(JobStatus::Unknown("SCHEDULING".into())));
    assert!(!job.status.as_ref().unwrap().is_terminal());
    assert_eq!(job.retried, Some(true));
    assert!(job.logs.is_none());
    assert_eq!(job.extra["logs"], json!({"x.log": 5}));
    assert_eq!(answer.report.coercions.len(), 2);
}

#[test]
fn log_ref_file_ids() {
    use sbg_tasks_proto::model::LogRef;
    assert_eq!(
        LogRef::new("https://api.sbgenomics.com/v2/files/abc/download_info?x=1").file_id(),
        Some("abc")
    );
    assert_eq!(LogRef::new("HTTPS://h/v2/files/abc").file_id(), Some("abc"));
    assert_eq!(LogRef::new("https://h/logs/abc").file_id(), None);
    assert_eq!(LogRef::new("https://h/files/").file_id(), None);
    assert_eq!(LogRef::new("abc").file_id(), Some("abc"));
    assert_eq!(LogRef::new("").file_id(), None);
}

#[test]
fn rate_limit_request_and_body() {
    let call = GetRateLimit::new();
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/rate_limit");
    let answer = call
        .parse_response(&ok(RATE_BODY), &Decoding::Strict)
        .unwrap();
    let info: RateLimitInfo = answer.value;
    let rate = info.rate.as_ref().unwrap();
    assert_eq!(rate.limit, Some(1000));
    assert_eq!(rate.remaining, Some(994));
    assert_eq!(rate.extra["window_seconds"], 300);
    let header_form = info.rate_limit().unwrap();
    assert_eq!(
        (header_form.limit, header_form.remaining, header_form.reset),
        (1000, 994, 1_496_662_233)
    );
    let inst = info.instance_limit.as_ref().unwrap();
    assert_eq!((inst.limit, inst.remaining), (Some(25), Some(-1)));
    let original: Value = serde_json::from_slice(RATE_BODY).unwrap();
    assert_eq!(serde_json::to_value(&info).unwrap(), original);
    // Missing members: no header form.
    let partial = call
        .parse_response(&ok(br#"{"rate": {"limit": 1000}}"#), &Decoding::Strict)
        .unwrap();
    assert_eq!(partial.value.rate_limit(), None);
}

// ---------------------------------------------------------------------------------------------
// List

#[test]
fn list_request_with_every_filter_is_exact() {
    let call = ListTasks::new()
        .fields(Fields::only(["id", "name", "status"]).unwrap())
        .limit(PageLimit::new(100).unwrap())
        .offset(200)
        .order(SortOrder::Desc)
        .order_by(FieldName::new("created_time").unwrap())
        .ended_to(dt("2024-03-01T00:00:00Z"))
        .ended_from(dt("2024-02-01T00:00:00.5Z"))
        .started_to(dt("2024-01-31T23:59:59+02:00"))
        .started_from(TimeBound::try_from(Timestamp::new("2024-01-01T00:00:00Z")).unwrap())
        .created_to(dt("2024-01-15T12:00:00-05:30"))
        .created_from(dt("2023-12-01T00:00:00Z"))
        .status(TaskStatus::Completed)
        .parent(task_id())
        .project(project());
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert!(req.body().is_empty());
    assert_eq!(req.uri().path(), "/v2/tasks");
    assert_eq!(
        req.uri().query().unwrap(),
        concat!(
            "project=rfranklin%2Fmy-project",
            "&parent=08c5ce64-1551-4b7d-b054-63a1517bc7bb",
            "&status=COMPLETED",
            "&created_from=2023-12-01T00:00:00Z",
            "&created_to=2024-01-15T17:30:00Z",
            "&started_from=2024-01-01T00:00:00Z",
            "&started_to=2024-01-31T21:59:59Z",
            "&ended_from=2024-02-01T00:00:00.5Z",
            "&ended_to=2024-03-01T00:00:00Z",
            "&order_by=created_time",
            "&order=desc",
            "&offset=200",
            "&limit=100",
            "&fields=id,name,status",
        )
    );
}

#[test]
fn list_defaults_send_no_query_and_batch_children_send_parent() {
    let req = ListTasks::new().prepare_request(&config()).unwrap();
    assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/tasks");
    let req = ListTasks::children_of(task_id())
        .order(SortOrder::Asc)
        .prepare_request(&config())
        .unwrap();
    assert_eq!(
        req.uri(),
        "https://api.sbgenomics.com/v2/tasks?parent=08c5ce64-1551-4b7d-b054-63a1517bc7bb&order=asc"
    );
    // An unknown status word is sent as given, percent-encoded.
    let req = ListTasks::new()
        .status(TaskStatus::Unknown("Active now".into()))
        .prepare_request(&config())
        .unwrap();
    assert_eq!(req.uri().query(), Some("status=Active%20now"));
}

#[test]
fn list_limit_is_validated() {
    for bad in [0u64, 101, 1000, u64::from(u32::MAX) + 1, u64::MAX] {
        assert_eq!(
            PageLimit::new(bad),
            Err(ListParamError::Limit { value: bad }),
            "{bad}"
        );
        assert!(PageLimit::try_from(bad).is_err());
    }
    for good in [1u64, 50, 99, 100] {
        assert_eq!(u64::from(PageLimit::new(good).unwrap().get()), good);
    }
    assert_eq!(PageLimit::MAX.get(), 100);
    assert_eq!(PageLimit::DEFAULT.get(), 50);
    let err = PageLimit::new(101).unwrap_err();
    assert!(err.to_string().contains("101"));
}

#[test]
fn unparsed_timestamps_cannot_be_time_filters() {
    let ts = Timestamp::new("yesterday");
    assert_eq!(
        TimeBound::try_from(&ts),
        Err(ListParamError::Timestamp {
            text: "yesterday".into()
        })
    );
    let ts = Timestamp::new("2024-01-01T10:00:00+01:00");
    assert_eq!(
        TimeBound::try_from(&ts).unwrap().to_rfc3339(),
        "2024-01-01T09:00:00Z"
    );
}

#[test]
fn list_page_decodes_without_loss_and_exposes_the_total() {
    let call = ListTasks::new();
    let resp = http::Response::builder()
        .status(200)
        .header("X-Total-Matching-Query", "5")
        .body(LIST_BODY.to_vec())
        .unwrap();
    let answer = call.parse_response(&resp, &Decoding::Strict).unwrap();
    assert_eq!(answer.total(), Some(5));
    assert_eq!(answer.meta.total_matching, Some(5));
    let page: &TaskPage = &answer.value;
    assert_eq!(page.items().len(), 2);
    assert_eq!(
        page.items()[0].id.as_deref(),
        Some("0f9c3a44-5f5e-4ac8-9d4c-6b0a0e8f1a21")
    );
    assert_eq!(page.items()[0].extra["gpu_hours_used"], 0);
    assert_eq!(
        page.items()[1].parent.as_deref(),
        Some("5e9a3b02-11c4-4d7f-9a3e-0c8e2b4f6d10")
    );
    assert_eq!(
        page.items()[1].extra["future_member"],
        json!({"nested": [1, 2, 3]})
    );
    let next = page.next_link().unwrap();
    assert_eq!(next.rel, Some(LinkRel::Next));
    assert_eq!(next.method.as_deref(), Some("GET"));
    assert!(next.href.as_deref().unwrap().contains("offset=4"));
    assert_eq!(next.extra["title"], "next page");
    assert!(page
        .prev_link()
        .unwrap()
        .href
        .as_deref()
        .unwrap()
        .contains("offset=0"));
    assert_eq!(page.extra["search_id"], "ab12");
    assert!(!page.items_unusable());

    let original: Value = serde_json::from_slice(LIST_BODY).unwrap();
    assert_eq!(serde_json::to_value(page).unwrap(), original);

    // Without the header there is no total.
    let answer = call
        .parse_response(&ok(LIST_BODY), &Decoding::Strict)
        .unwrap();
    assert_eq!(answer.total(), None);
}

#[test]
fn an_empty_list_body_decodes_to_an_empty_page() {
    let answer = ListTasks::new()
        .parse_response(&ok(b"{}"), &Decoding::Strict)
        .unwrap();
    assert!(answer.value.items().is_empty());
    assert!(answer.value.links().is_empty());
    assert!(answer.value.next_link().is_none());
}

#[test]
fn a_list_body_that_is_not_an_object_is_an_error() {
    let err = ListTasks::new()
        .parse_response(&ok(b"[1, 2]"), &Decoding::default())
        .unwrap_err();
    assert!(matches!(
        err,
        ResponseError::Decode {
            error: DecodeError::WrongType { .. },
            ..
        }
    ));
}

// ---------------------------------------------------------------------------------------------
// Pager

/// A simulated platform list: ids newest first, paged like the platform.
struct Server {
    list: Vec<String>,
    /// Send `X-Total-Matching-Query`.
    total: bool,
    /// Send `links` (next/prev), with this base.
    links: Option<String>,
    /// Every call received.
    calls: Vec<ListTasks>,
    fresh: u64,
}

impl Server {
    fn new(n: usize) -> Self {
        Self {
            list: (0..n).map(|i| format!("t{i}")).collect(),
            total: true,
            links: None,
            calls: Vec::new(),
            fresh: 0,
        }
    }

    fn page_json(&self, call: &ListTasks) -> Value {
        let o = call.get_offset().unwrap_or(0) as usize;
        let l = call.get_limit().map_or(50, |l| l.get() as usize);
        let items: Vec<Value> = self
            .list
            .iter()
            .skip(o)
            .take(l)
            .map(|id| json!({"id": id, "status": "COMPLETED"}))
            .collect();
        let mut page = json!({"href": "x", "items": items});
        if let Some(base) = &self.links {
            let mut links = Vec::new();
            if o + l < self.list.len() {
                links.push(json!({"href": format!("{base}/tasks?offset={}&limit={l}", o + l), "rel": "next", "method": "GET"}));
            }
            if o > 0 {
                links.push(json!({"href": format!("{base}/tasks?offset={}&limit={l}", o.saturating_sub(l)), "rel": "prev", "method": "GET"}));
            }
            page["links"] = Value::Array(links);
        }
        page
    }

    fn answer_with(&mut self, call: &ListTasks, page: Value) -> Answer<TaskPage> {
        self.calls.push(call.clone());
        let mut resp = http::Response::builder().status(200);
        if self.total {
            resp = resp.header("X-Total-Matching-Query", self.list.len().to_string());
        }
        let resp = resp.body(serde_json::to_vec(&page).unwrap()).unwrap();
        call.parse_response(&resp, &Decoding::Strict).unwrap()
    }

    fn answer(&mut self, call: &ListTasks) -> Answer<TaskPage> {
        let page = self.page_json(call);
        self.answer_with(call, page)
    }

    fn insert_front(&mut self, k: usize) {
        for _ in 0..k {
            self.list.insert(0, format!("new{}", self.fresh));
            self.fresh += 1;
        }
    }
}

/// Walks `pager` against `server`, calling `between` before every fetch but the first.
fn walk(
    pager: &mut Pager,
    server: &mut Server,
    cfg: &Config,
    mut between: impl FnMut(&mut Server, usize),
) -> Result<Vec<String>, PagerError> {
    let mut out = Vec::new();
    let mut fetch = 0;
    while let Some(call) = pager.next_request(cfg) {
        assert!(fetch < 10_000, "the pager does not end");
        // Every request goes to the configured host, whatever the links said.
        let req = call.prepare_request(cfg).unwrap();
        assert_eq!(
            req.uri().authority().unwrap().as_str(),
            cfg.base_url().authority()
        );
        if fetch > 0 {
            between(server, fetch);
        }
        fetch += 1;
        let answer = server.answer(&call);
        for t in pager.on_page(answer)? {
            out.push(t.id.unwrap());
        }
    }
    Ok(out)
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("t{i}")).collect()
}

fn offsets(server: &Server) -> Vec<Option<u64>> {
    server.calls.iter().map(ListTasks::get_offset).collect()
}

#[test]
fn pager_walks_offsets_and_stops_at_the_total() {
    let cfg = config();
    let mut server = Server::new(7);
    let first = ListTasks::new()
        .project(project())
        .limit(PageLimit::new(3).unwrap());
    let mut pager = Pager::new(first.clone());
    // The first call is exactly the one given; the next ones add the offset.
    assert_eq!(pager.next_request(&cfg), Some(first.clone()));
    assert_eq!(
        pager.next_request(&cfg),
        Some(first.clone()),
        "same call until answered"
    );
    let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
    assert_eq!(got, ids(0..7));
    assert_eq!(offsets(&server), [None, Some(3), Some(6)]);
    assert!(pager.is_done());
    assert_eq!(pager.next_request(&cfg), None);
    assert_eq!(pager.pages(), 3);
    assert_eq!(pager.yielded(), 7);
    assert_eq!(pager.total(), Some(7));
    let second = server.calls[1].prepare_request(&cfg).unwrap();
    assert_eq!(
        second.uri().query(),
        Some("project=rfranklin%2Fmy-project&offset=3&limit=3")
    );
}

#[test]
fn pager_stops_exactly_when_the_total_is_a_multiple_of_the_limit() {
    let cfg = config();
    let mut server = Server::new(6);
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
    assert_eq!(got, ids(0..6));
    assert_eq!(
        offsets(&server),
        [None, Some(3)],
        "no request for an empty third page"
    );
}

#[test]
fn pager_without_total_stops_on_a_short_or_empty_page() {
    let cfg = config();
    let mut server = Server::new(5);
    server.total = false;
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..5)
    );
    assert_eq!(offsets(&server), [None, Some(2), Some(4)]);

    let mut server = Server::new(4);
    server.total = false;
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..4)
    );
    assert_eq!(
        offsets(&server),
        [None, Some(2), Some(4)],
        "ends on the empty page"
    );

    // The platform's default page size (50) is assumed when no limit is sent.
    let mut server = Server::new(120);
    server.total = false;
    let mut pager = Pager::new(ListTasks::new());
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..120)
    );
    assert_eq!(offsets(&server), [None, Some(50), Some(100)]);
}

#[test]
fn pager_on_an_empty_list_makes_one_call() {
    let cfg = config();
    let mut server = Server::new(0);
    let mut pager = Pager::new(ListTasks::new());
    assert!(walk(&mut pager, &mut server, &cfg, |_, _| {})
        .unwrap()
        .is_empty());
    assert_eq!(server.calls.len(), 1);
    assert!(pager.is_done());
}

#[test]
fn pager_follows_same_origin_next_links() {
    let cfg = config();
    let mut server = Server::new(9);
    server.total = false;
    server.links = Some("https://api.sbgenomics.com/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    // The first page's link also changes the page size (the pager adopts a valid link limit).
    let call = pager.next_request(&cfg).unwrap();
    let mut page = server.page_json(&call);
    page["links"] = json!([{"href": "https://API.sbgenomics.com/v2/tasks?limit=4&offset=1", "rel": "next", "method": "GET"}]);
    let answer = server.answer_with(&call, page);
    let first: Vec<_> = pager
        .on_page(answer)
        .unwrap()
        .into_iter()
        .map(|t| t.id.unwrap())
        .collect();
    assert_eq!(first, ids(0..2));
    // offset=1 overlaps by one: allowed (never skips), and the repeat is dropped.
    let rest = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
    assert_eq!(rest, ids(2..9));
    assert_eq!(offsets(&server), [None, Some(1), Some(5)]);
    assert_eq!(server.calls[1].get_limit(), PageLimit::new(4).ok());
    assert_eq!(pager.ignored_links().0, 0);
    // Without a total, the last page (no next link) ends the walk.
    assert!(pager.is_done());
}

#[test]
fn pager_accepts_relative_links() {
    let cfg = config();
    let mut server = Server::new(5);
    server.total = false;
    server.links = Some("/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..5)
    );
    assert_eq!(pager.ignored_links().0, 0);
    assert_eq!(offsets(&server), [None, Some(2), Some(4)]);
}

#[test]
fn pager_refuses_cross_origin_links() {
    let cfg = config();
    for evil in [
        "https://evil.example.com/v2",
        "http://api.sbgenomics.com/v2",
        "https://api.sbgenomics.com:8443/v2",
    ] {
        let mut server = Server::new(5);
        server.links = Some(evil.into());
        let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
        // `walk` asserts that every request goes to the configured host.
        let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
        assert_eq!(got, ids(0..5), "{evil}");
        let (count, last) = pager.ignored_links();
        assert_eq!(count, 2, "{evil}");
        let last = last.unwrap();
        assert_eq!(last.reason, IgnoredLinkReason::CrossOrigin, "{evil}");
        assert!(last.href.starts_with(evil));
        assert_eq!(offsets(&server), [None, Some(2), Some(4)]);
    }
}

#[test]
fn pager_ignores_links_it_cannot_use() {
    let cfg = config();
    let cases = [
        (
            "https://api.sbgenomics.com/v2/files?offset=2",
            IgnoredLinkReason::NotTheListPath,
        ),
        (
            "https://api.sbgenomics.com/tasks?offset=2",
            IgnoredLinkReason::NotTheListPath,
        ),
        ("not a url at all", IgnoredLinkReason::NotTheListPath),
        (
            "https://api.sbgenomics.com/v2/tasks?cursor=abc",
            IgnoredLinkReason::NoOffset,
        ),
        (
            "https://api.sbgenomics.com/v2/tasks?offset=9",
            IgnoredLinkReason::OffsetOutOfRange { offset: 9 },
        ),
        (
            "https://api.sbgenomics.com/v2/tasks?offset=0",
            IgnoredLinkReason::OffsetOutOfRange { offset: 0 },
        ),
    ];
    for (href, reason) in cases {
        let mut server = Server::new(6);
        let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
        let call = pager.next_request(&cfg).unwrap();
        let mut page = server.page_json(&call);
        page["links"] = json!([{"href": href, "rel": "next"}]);
        let answer = server.answer_with(&call, page);
        assert_eq!(pager.on_page(answer).unwrap().len(), 2);
        let (count, last) = pager.ignored_links();
        assert_eq!(count, 1, "{href}");
        assert_eq!(last.unwrap().reason, reason, "{href}");
        // Offset arithmetic instead.
        assert_eq!(
            pager.next_request(&cfg).unwrap().get_offset(),
            Some(2),
            "{href}"
        );
    }
}

#[test]
fn pager_with_links_but_no_next_and_no_total_ends() {
    let cfg = config();
    let mut server = Server::new(4);
    server.total = false;
    server.links = Some("https://api.sbgenomics.com/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..4)
    );
    // The second page is full but has no next link: no third request.
    assert_eq!(offsets(&server), [None, Some(2)]);
}

#[test]
fn pager_drops_repeats_when_tasks_are_inserted_at_the_front() {
    let cfg = config();
    let mut server = Server::new(6);
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        if fetch == 1 {
            s.insert_front(2);
        }
    })
    .unwrap();
    // Page 2 at offset 3 now holds t1 t2 t3: t1 and t2 are repeats and are dropped.
    assert_eq!(got, ids(0..6));
    assert_eq!(offsets(&server), [None, Some(3), Some(6)]);
}

#[test]
fn pager_steps_back_when_tasks_are_removed() {
    let cfg = config();
    let mut server = Server::new(9);
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        if fetch == 1 {
            // t0 and t1 (already read) go away: t3 and t4 move to offsets 1 and 2.
            s.list.drain(0..2);
        }
    })
    .unwrap();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, ids(0..9));
    // Offset 3 (t5 t6 t7), total shrank by 2 → back to offset 1 (t3 t4 t5), then 4.
    assert_eq!(offsets(&server), [None, Some(3), Some(1), Some(4)]);
    assert_eq!(got, ["t0", "t1", "t2", "t5", "t6", "t7", "t3", "t4", "t8"]);
}

#[test]
fn pager_never_steps_back_before_the_first_offset() {
    let cfg = config();
    let mut server = Server::new(10);
    let mut pager = Pager::new(ListTasks::new().offset(4).limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        if fetch == 1 {
            s.list.drain(0..5);
        }
    })
    .unwrap();
    assert_eq!(offsets(&server), [Some(4), Some(7), Some(4)]);
    assert_eq!(got, ["t4", "t5", "t6", "t9"]);
}

#[test]
fn pager_adds_id_to_a_fields_selector() {
    let cfg = config();
    let mut pager = Pager::new(ListTasks::new().fields(Fields::only(["name"]).unwrap()));
    let call = pager.next_request(&cfg).unwrap();
    assert_eq!(call.get_fields().unwrap().to_string(), "name,id");
    let mut pager = Pager::new(ListTasks::new().fields(Fields::All));
    assert_eq!(
        pager.next_request(&cfg).unwrap().get_fields(),
        Some(&Fields::All)
    );
}

#[test]
fn pager_hands_out_tasks_without_ids() {
    let cfg = config();
    let mut pager = Pager::new(ListTasks::new());
    let call = pager.next_request(&cfg).unwrap();
    let answer = call
        .parse_response(
            &ok(br#"{"items": [{"name": "a"}, {"name": "a"}, {"id": "x"}, {"id": "x"}]}"#),
            &Decoding::Strict,
        )
        .unwrap();
    let got = pager.on_page(answer).unwrap();
    assert_eq!(got.len(), 3);
    assert!(
        pager.is_done(),
        "a short page without total or links ends the walk"
    );
}

#[test]
fn pager_refuses_a_page_without_a_pending_request() {
    let cfg = config();
    let mut pager = Pager::new(ListTasks::new());
    let answer = ListTasks::new()
        .parse_response(&ok(br#"{"items": []}"#), &Decoding::Strict)
        .unwrap();
    assert_eq!(
        pager.on_page(answer.clone()),
        Err(PagerError::NoRequestPending)
    );
    assert!(pager.next_request(&cfg).is_some());
    assert_eq!(pager.on_page(answer.clone()), Ok(vec![]));
    assert_eq!(pager.on_page(answer), Err(PagerError::NoRequestPending));
}

#[test]
fn pager_stops_on_items_that_are_not_tasks() {
    let cfg = config();
    let mut pager = Pager::new(ListTasks::new().offset(10));
    let call = pager.next_request(&cfg).unwrap();
    let answer = call
        .parse_response(&ok(br#"{"items": [{"id": "a"}, 7]}"#), &Decoding::default())
        .unwrap();
    assert!(answer.value.items_unusable());
    assert_eq!(
        pager.on_page(answer),
        Err(PagerError::UnusableItems { offset: 10 })
    );
    assert!(pager.is_done());
    assert_eq!(pager.next_request(&cfg), None);
}

#[test]
fn pager_gives_up_when_pages_bring_nothing_new() {
    let cfg = config();
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    let mut pages = 0u32;
    let err = loop {
        let call = pager.next_request(&cfg).expect("still going");
        // A broken server that always answers the same full page, no total, no links.
        let answer = call
            .parse_response(
                &ok(br#"{"items": [{"id": "a"}, {"id": "b"}]}"#),
                &Decoding::Strict,
            )
            .unwrap();
        pages += 1;
        match pager.on_page(answer) {
            Ok(_) => assert!(pages < 1000),
            Err(e) => break e,
        }
    };
    assert_eq!(
        err,
        PagerError::Stalled {
            pages: sbg_tasks_proto::pager::MAX_STALLED_PAGES,
            offset: 2 * u64::from(sbg_tasks_proto::pager::MAX_STALLED_PAGES),
        }
    );
    assert!(pager.is_done());
}

#[test]
fn pager_works_against_a_loopback_mock_base_url() {
    let base = BaseUrl::parse_with("http://127.0.0.1:8080/v2", AllowHttp::Loopback).unwrap();
    let cfg = Config::new(base, AuthToken::new(TOKEN).unwrap());
    let mut server = Server::new(5);
    server.links = Some("http://127.0.0.1:8080/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..5)
    );
    assert_eq!(pager.ignored_links().0, 0);
}

// ---------------------------------------------------------------------------------------------
// Pager properties: a list that changes between page fetches.

#[derive(Debug, Clone)]
struct Change {
    inserts: Vec<Index>,
    deletes: Vec<Index>,
}

fn changes(max_inserts: usize, max_deletes: usize) -> impl Strategy<Value = Vec<Change>> {
    vec(
        (
            vec(any::<Index>(), 0..=max_inserts),
            vec(any::<Index>(), 0..=max_deletes),
        )
            .prop_map(|(inserts, deletes)| Change { inserts, deletes }),
        0..16,
    )
}

#[derive(Debug, Clone, Copy)]
struct Setup {
    front_only: bool,
    total: bool,
    links: bool,
}

/// Runs a walk with `changes` applied between fetches; returns (handed out, ids present
/// throughout, ids that ever existed).
fn simulate(
    initial: usize,
    limit: u64,
    setup: Setup,
    changes: &[Change],
) -> (Vec<String>, HashSet<String>, HashSet<String>) {
    let cfg = config();
    let mut server = Server::new(initial);
    server.total = setup.total;
    if setup.links {
        server.links = Some("https://api.sbgenomics.com/v2".into());
    }
    let mut deleted = HashSet::new();
    let mut ever: HashSet<String> = server.list.iter().cloned().collect();
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(limit).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        let Some(change) = changes.get(fetch - 1) else {
            return;
        };
        for at in &change.inserts {
            let id = format!("new{}", s.fresh);
            s.fresh += 1;
            let pos = if setup.front_only {
                0
            } else {
                at.index(s.list.len() + 1)
            };
            s.list.insert(pos, id.clone());
            ever.insert(id);
        }
        for at in &change.deletes {
            if !s.list.is_empty() {
                let gone = s.list.remove(at.index(s.list.len()));
                deleted.insert(gone);
            }
        }
    })
    .expect("the walk completes");
    let throughout = ids(0..initial)
        .into_iter()
        .filter(|id| !deleted.contains(id))
        .collect();
    (got, throughout, ever)
}

fn counts(got: &[String]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for id in got {
        *m.entry(id.as_str()).or_insert(0) += 1;
    }
    m
}

fn check_no_repeats(got: &[String], ever: &HashSet<String>) -> Result<(), TestCaseError> {
    for (id, n) in counts(got) {
        prop_assert_eq!(n, 1, "{} handed out {} times", id, n);
        prop_assert!(ever.contains(id), "{} never existed", id);
    }
    Ok(())
}

fn check_every_survivor(got: &[String], throughout: &HashSet<String>) -> Result<(), TestCaseError> {
    let got: HashSet<&str> = got.iter().map(String::as_str).collect();
    for id in throughout {
        prop_assert!(got.contains(id.as_str()), "{} was skipped", id);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Inserts at the front and removals anywhere, total on every page, with or without links:
    /// every task present throughout exactly once, never a repeat.
    #[test]
    fn pager_front_inserts_and_removals(
        initial in 0usize..60,
        limit in 1u64..=10,
        links in any::<bool>(),
        changes in changes(8, 6),
    ) {
        let setup = Setup { front_only: true, total: true, links };
        let (got, throughout, ever) = simulate(initial, limit, setup, &changes);
        check_no_repeats(&got, &ever)?;
        check_every_survivor(&got, &throughout)?;
    }

    /// Inserts anywhere and no removals, with or without the total and links: the same
    /// guarantee.
    #[test]
    fn pager_inserts_anywhere(
        initial in 0usize..60,
        limit in 1u64..=10,
        total in any::<bool>(),
        links in any::<bool>(),
        changes in changes(8, 0),
    ) {
        let setup = Setup { front_only: false, total, links };
        let (got, throughout, ever) = simulate(initial, limit, setup, &changes);
        check_no_repeats(&got, &ever)?;
        check_every_survivor(&got, &throughout)?;
        prop_assert_eq!(throughout.len(), initial);
    }

    /// Inserts anywhere mixed with removals (or no total): skips become possible, repeats
    /// never.
    #[test]
    fn pager_never_repeats(
        initial in 0usize..60,
        limit in 1u64..=10,
        total in any::<bool>(),
        links in any::<bool>(),
        changes in changes(6, 6),
    ) {
        let setup = Setup { front_only: false, total, links };
        let (got, _, ever) = simulate(initial, limit, setup, &changes);
        check_no_repeats(&got, &ever)?;
    }

    /// A stable list is read in order, exactly, in ceil(n / limit) requests (plus one empty
    /// page when the total is not sent and n is a multiple of the limit).
    #[test]
    fn pager_reads_a_stable_list_in_order(
        initial in 0usize..250,
        limit in 1u64..=100,
        total in any::<bool>(),
        links in any::<bool>(),
    ) {
        let cfg = config();
        let mut server = Server::new(initial);
        server.total = total;
        if links {
            server.links = Some("https://api.sbgenomics.com/v2".into());
        }
        let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(limit).unwrap()));
        let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
        prop_assert_eq!(got, ids(0..initial));
        let l = limit as usize;
        let full = initial.div_ceil(l).max(1);
        let extra = usize::from(!total && !links && initial % l == 0 && initial > 0);
        prop_assert_eq!(server.calls.len(), full + extra);
    }
}
