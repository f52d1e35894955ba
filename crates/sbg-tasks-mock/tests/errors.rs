//! Every error case answers with the platform's status and error body.

mod common;

use common::*;
use sbg_tasks_mock::{examples, MalformedIdPolicy, MockServer};

async fn server() -> MockServer {
    MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .start()
        .await
        .expect("start")
}

const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn authentication() {
    let s = server().await;
    let path = format!("/v2/tasks/{}", examples::GET_TASK_ID);
    for auth in [
        Auth::None,
        Auth::X("wrong"),
        Auth::X(""),
        Auth::Bearer("wrong"),
        Auth::Raw(&format!("Basic {TOKEN}")),
    ] {
        let r = try_send(s.addr(), "GET", &path, auth, None)
            .await
            .expect("answer");
        r.assert_error(401, 90001);
    }
    let r = try_send(s.addr(), "GET", &path, Auth::Bearer(TOKEN), None)
        .await
        .expect("answer");
    assert_eq!(r.status, 200);
    let r = try_send(
        s.addr(),
        "GET",
        &path,
        Auth::Raw(&format!("bearer {TOKEN}")),
        None,
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn task_errors() {
    let s = server().await;
    let a = s.addr();
    get(a, &format!("/v2/tasks/{UNKNOWN}"))
        .await
        .assert_error(404, 7002);
    post(a, &format!("/v2/tasks/{UNKNOWN}/actions/run"))
        .await
        .assert_error(404, 7002);
    post(a, &format!("/v2/tasks/{UNKNOWN}/actions/clone"))
        .await
        .assert_error(404, 7002);
    post(a, &format!("/v2/tasks/{UNKNOWN}/actions/abort"))
        .await
        .assert_error(404, 7002);
    get(a, "/v2/tasks/not-a-uuid").await.assert_error(400, 7005);
    post(a, "/v2/tasks/not-a-uuid/actions/run")
        .await
        .assert_error(400, 7005);
    post(a, "/v2/tasks//actions/run")
        .await
        .assert_error(400, 7004);
    // run of a non-DRAFT task
    post(
        a,
        &format!("/v2/tasks/{}/actions/run", examples::GET_TASK_ID),
    )
    .await
    .assert_error(400, 7007);
    // abort of a finished task, and of a draft
    post(
        a,
        &format!("/v2/tasks/{}/actions/abort", examples::GET_TASK_ID),
    )
    .await
    .assert_error(400, 7008);
    post(
        a,
        &format!("/v2/tasks/{}/actions/abort", examples::RUN_TASK_REQUEST_ID),
    )
    .await
    .assert_error(400, 7008);
    // validation errors
    post(
        a,
        &format!("/v2/tasks/{}/actions/run", examples::INVALID_DRAFT_ID),
    )
    .await
    .assert_error(400, 7024);
    // actions
    post(
        a,
        &format!("/v2/tasks/{}/actions/explode", examples::GET_TASK_ID),
    )
    .await
    .assert_error(400, 7013);
    post(a, &format!("/v2/tasks/{}/actions/", examples::GET_TASK_ID))
        .await
        .assert_error(400, 7014);
    post(
        a,
        &format!(
            "/v2/tasks/{}/actions/clone?action=explode",
            examples::GET_TASK_ID
        ),
    )
    .await
    .assert_error(400, 7013);
    // batch=false on a task that is not a batch
    post(
        a,
        &format!(
            "/v2/tasks/{}/actions/run?batch=false",
            examples::RUN_TASK_REQUEST_ID
        ),
    )
    .await
    .assert_error(400, 7022);
    // bad boolean
    post(
        a,
        &format!(
            "/v2/tasks/{}/actions/run?batch=maybe",
            examples::RUN_TASK_REQUEST_ID
        ),
    )
    .await
    .assert_error(400, 90000);
    // method and path (DELETE is served now: it deletes drafts; PUT is no call of the API)
    send(
        a,
        "PUT",
        &format!("/v2/tasks/{}", examples::GET_TASK_ID),
        None,
    )
    .await
    .assert_error(405, 90006);
    get(a, "/v2/projects").await.assert_error(404, 90003);
    get(a, "/v1/tasks").await.assert_error(404, 90003);
    // Nothing above changed the draft.
    assert_eq!(
        s.task(examples::RUN_TASK_REQUEST_ID).expect("draft")["status"],
        "DRAFT"
    );
}

#[tokio::test]
async fn malformed_id_policy_not_found() {
    let s = MockServer::builder()
        .token(TOKEN)
        .malformed_id(MalformedIdPolicy::NotFound)
        .start()
        .await
        .expect("start");
    get(s.addr(), "/v2/tasks/not-a-uuid")
        .await
        .assert_error(404, 7002);
}

#[tokio::test]
async fn create_validation() {
    let s = server().await;
    let a = s.addr();
    let create = |body: &'static str| send(a, "POST", "/v2/tasks", Some(body));
    create("{not json").await.assert_error(400, 90009);
    create("[1,2]").await.assert_error(400, 90000);
    create(r#"{"project": "p/q"}"#)
        .await
        .assert_error(400, 7015);
    create(r#"{"app": "p/q/app/1"}"#)
        .await
        .assert_error(400, 90000);
    create(r#"{"app": "p/q/app/1", "project": "p/q", "inputs": {"a": []}, "batch_input": "a"}"#)
        .await
        .assert_error(400, 7023);
    create(r#"{"app": "p/q/app/1", "project": "p/q", "inputs": {"a": []}, "batch_input": "b", "batch_by": {"type": "ITEM"}}"#)
        .await
        .assert_error(400, 7018);
    create(r#"{"app": "p/q/app/1", "project": "p/q", "inputs": {"a": []}, "batch_input": "a", "batch_by": {"type": "SIDEWAYS"}}"#)
        .await
        .assert_error(400, 7020);
    create(r#"{"app": "p/q/app/1", "project": "p/q", "inputs": {"a": []}, "batch_input": "a", "batch_by": {"type": "CRITERIA"}}"#)
        .await
        .assert_error(400, 7019);
    let r = send(
        a,
        "POST",
        "/v2/tasks?action=explode",
        Some(r#"{"app": "p/q/app/1", "project": "p/q"}"#),
    )
    .await;
    r.assert_error(400, 7013);
    let r = send(a, "GET", "/v2/tasks?status=SLEEPING", None).await;
    r.assert_error(400, 7006);
    let r = send(a, "GET", "/v2/tasks?limit=101", None).await;
    r.assert_error(400, 90000);
}

#[tokio::test]
async fn files_missing_from_the_known_set_block_the_run() {
    let s = MockServer::builder()
        .token(TOKEN)
        .known_files(["f1"])
        .start()
        .await
        .expect("start");
    let body = r#"{"app": "u/p/app/1", "project": "u/p", "name": "x",
                   "inputs": {"good": {"class": "File", "path": "f1"},
                              "bad": {"class": "File", "path": "nope"}}}"#;
    let r = send(s.addr(), "POST", "/v2/tasks?action=run", Some(body)).await;
    assert_eq!(r.status, 201);
    let v = r.json();
    assert_eq!(v["status"], "DRAFT", "created but not run: {v}");
    assert_eq!(
        v["errors"][0]["type"],
        "error/task_validation/input/files_missing"
    );
    assert_eq!(v["errors"][0]["input_id"], "bad");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(1));
    let id = v["id"].as_str().expect("id");
    post(s.addr(), &format!("/v2/tasks/{id}/actions/run"))
        .await
        .assert_error(400, 7024);
}
