//! A task's execution details: the request, the body decoded without loss (strictly and
//! leniently), and log references.

mod support;
use support::*;

use serde_json::{json, Value};

use sbg_tasks_proto::endpoints::CallKind;
use sbg_tasks_proto::model::{ExecutionDetails, JobStatus, Timestamp};
use sbg_tasks_proto::{http, Endpoint, GetExecutionDetails};

const DETAILS_BODY: &[u8] = include_bytes!("data/execution-details.json");

#[test]
fn execution_details_request_and_body() {
    let call = GetExecutionDetails::new(id());
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&platform_config()).unwrap();
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
    let call = GetExecutionDetails::new(id());
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
