//! Aborting a task: the request sent exactly, the answer decoded.

mod support;
use support::*;

use sbg_tasks_proto::endpoints::CallKind;
use sbg_tasks_proto::{http, AbortTask, Endpoint};

#[test]
fn abort_request_is_exact() {
    let call = AbortTask::new(id());
    assert_eq!(call.kind(), CallKind::Abort);
    assert!(call.kind().is_idempotent());
    let req = call.prepare_request(&platform_config()).unwrap();
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
