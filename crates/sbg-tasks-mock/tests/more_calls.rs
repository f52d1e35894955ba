//! The rest of the Tasks API: modify, delete, inputs, bulk get, the extra list filters, create
//! with `batch=false`, and what counts against the rate limit.

mod common;

use std::time::Duration;

use common::*;
use sbg_tasks_mock::{examples, Fault, MockServer, Route, Schedule, Scope};
use serde_json::{json, Value};

const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

async fn server() -> MockServer {
    MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .schedule(Schedule::Polls(3))
        .start()
        .await
        .expect("start")
}

fn draft_body() -> Value {
    json!({
        "app": "u/p/app/1",
        "project": "u/p",
        "name": "draft",
        "inputs": {
            "reads": [{"class": "File", "path": "f1"}, {"class": "File", "path": "f2"}],
            "reference": {"class": "File", "path": "ref"},
            "threads": 4
        },
        "execution_settings": {"instance_type": "c5.2xlarge", "use_memoization": true}
    })
}

async fn create(a: std::net::SocketAddr, body: &Value, query: &str) -> Value {
    let r = send(
        a,
        "POST",
        &format!("/v2/tasks{query}"),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()
}

async fn patch(a: std::net::SocketAddr, path: &str, body: &str) -> Resp {
    send(a, "PATCH", path, Some(body)).await
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn modify_a_draft_merges_and_revalidates() {
    let s = server().await;
    let a = s.addr();
    let id = id_of(&create(a, &draft_body(), "").await);
    let path = format!("/v2/tasks/{id}");
    let body = json!({
        "name": "renamed",
        "description": "about it",
        "use_interruptible_instances": true,
        "execution_settings": {"max_parallel_instances": 2, "use_memoization": null},
        "inputs": {"reference": null, "extra": {"class": "File"}},
        "output_location": {"main_location": "volumes://u/vol/out"}
    });
    let r = patch(a, &path, &body.to_string()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let t = r.json();
    assert_eq!(t["id"], id.as_str());
    assert_eq!(t["status"], "DRAFT");
    assert_eq!(t["name"], "renamed");
    assert_eq!(t["description"], "about it");
    assert_eq!(t["use_interruptible_instances"], true);
    // Member by member: untouched settings stay, null is stored as null.
    assert_eq!(
        t["execution_settings"],
        json!({"instance_type": "c5.2xlarge", "use_memoization": null, "max_parallel_instances": 2})
    );
    // A partial map merged: untouched ports stay, null sets null, new ports are added.
    assert_eq!(t["inputs"]["threads"], 4);
    assert_eq!(t["inputs"]["reads"][1]["path"], "f2");
    assert!(t["inputs"]["reference"].is_null());
    assert!(t["inputs"]
        .as_object()
        .expect("map")
        .contains_key("reference"));
    assert_eq!(t["inputs"]["extra"], json!({"class": "File"}));
    assert_eq!(t["output_location"]["main_location"], "volumes://u/vol/out");
    // Re-validated: the file without a path is a schema error, so the draft cannot run.
    assert_eq!(
        t["errors"],
        json!([{"type": "error/task_validation/input/schema",
                "message": "Value for this input does not match the expected type.",
                "input_id": "extra"}])
    );
    post(a, &format!("{path}/actions/run"))
        .await
        .assert_error(400, 7024);
    // The change is kept; `fields` selects the answer's members.
    assert_eq!(get(a, &path).await.json()["name"], "renamed");
    let r = patch(
        a,
        &format!("{path}?fields=id,inputs"),
        r#"{"inputs":{"extra":3}}"#,
    )
    .await;
    let t = r.json();
    let mut keys: Vec<&String> = t.as_object().expect("obj").keys().collect();
    keys.sort();
    assert_eq!(keys, ["id", "inputs"]);
    assert_eq!(s.task(&id).expect("task")["errors"], json!([]));
    // An empty body changes nothing.
    assert_eq!(patch(a, &path, "{}").await.json()["name"], "renamed");
}

#[tokio::test]
async fn modify_refuses_bad_bodies_with_platform_codes() {
    let s = server().await;
    let a = s.addr();
    let id = id_of(&create(a, &draft_body(), "").await);
    let path = format!("/v2/tasks/{id}");
    // Unknown or read-only members, wrong types: 400/90000 naming the member.
    for (body, member) in [
        (r#"{"nmae":"x"}"#, "nmae"),
        (r#"{"status":"RUNNING"}"#, "status"),
        (r#"{"app":"u/p/other/2"}"#, "app"),
        (r#"{"name":3}"#, "name"),
        (r#"{"batch":"no"}"#, "batch"),
        (r#"{"inputs":[1]}"#, "inputs"),
        (
            r#"{"use_interruptible_instances":null}"#,
            "use_interruptible_instances",
        ),
        (
            r#"{"execution_settings":{"cpu":4}}"#,
            "execution_settings.cpu",
        ),
        (
            r#"{"execution_settings":{"max_parallel_instances":0}}"#,
            "execution_settings.max_parallel_instances",
        ),
    ] {
        let v = patch(a, &path, body).await.assert_error(400, 90000);
        assert!(
            v["message"].as_str().unwrap_or_default().contains(member),
            "{body}: {v}"
        );
    }
    patch(a, &path, "[]").await.assert_error(400, 90000);
    patch(a, &path, "not json").await.assert_error(400, 90009);
    // Batch members: only together (7023), naming an input (7018), a known type (7020),
    // CRITERIA with criteria (7019); `batch` may not contradict them (90000).
    let item = r#"{"type":"ITEM"}"#;
    patch(a, &path, r#"{"batch_input":"reads"}"#)
        .await
        .assert_error(400, 7023);
    patch(a, &path, &format!(r#"{{"batch_by":{item}}}"#))
        .await
        .assert_error(400, 7023);
    patch(a, &path, r#"{"batch_input":"reads","batch_by":null}"#)
        .await
        .assert_error(400, 7023);
    patch(a, &path, r#"{"batch":true}"#)
        .await
        .assert_error(400, 7023);
    patch(
        a,
        &path,
        &format!(r#"{{"batch_input":"nope","batch_by":{item}}}"#),
    )
    .await
    .assert_error(400, 7018);
    patch(
        a,
        &path,
        r#"{"batch_input":"reads","batch_by":{"type":"FILE"}}"#,
    )
    .await
    .assert_error(400, 7020);
    patch(
        a,
        &path,
        r#"{"batch_input":"reads","batch_by":{"type":"CRITERIA"}}"#,
    )
    .await
    .assert_error(400, 7019);
    patch(
        a,
        &path,
        &format!(r#"{{"batch":false,"batch_input":"reads","batch_by":{item}}}"#),
    )
    .await
    .assert_error(400, 90000);
    // Nothing was changed by the refused calls.
    let t = s.task(&id).expect("task");
    assert_eq!(t["name"], "draft");
    assert_eq!(t["batch"], false);
    // Ids: unknown 404/7002 (even with a bad body), not a UUID 400/7005.
    patch(a, &format!("/v2/tasks/{UNKNOWN}"), r#"{"name":"x"}"#)
        .await
        .assert_error(404, 7002);
    patch(a, &format!("/v2/tasks/{UNKNOWN}"), "not json")
        .await
        .assert_error(404, 7002);
    patch(a, "/v2/tasks/not-a-uuid", r#"{"name":"x"}"#)
        .await
        .assert_error(400, 7005);
}

#[tokio::test]
async fn modify_switches_batching_on_and_off() {
    let s = server().await;
    let a = s.addr();
    let id = id_of(&create(a, &draft_body(), "").await);
    let path = format!("/v2/tasks/{id}");
    let on = r#"{"batch_input":"reads","batch_by":{"type":"ITEM"}}"#;
    let t = patch(a, &path, on).await.json();
    assert_eq!(t["batch"], true);
    assert_eq!(t["batch_input"], "reads");
    assert_eq!(t["batch_by"], json!({"type": "ITEM"}));
    let t = patch(a, &path, r#"{"batch":false}"#).await.json();
    assert_eq!(t["batch"], false);
    assert!(
        t.get("batch_input").is_none() && t.get("batch_by").is_none(),
        "{t}"
    );
    patch(a, &path, on).await;
    let t = patch(a, &path, r#"{"batch_input":null,"batch_by":null}"#)
        .await
        .json();
    assert_eq!(t["batch"], false);
    assert!(
        t.get("batch_input").is_none() && t.get("batch_by").is_none(),
        "{t}"
    );
    // With batching on, the run makes one child per item of the batch input.
    patch(a, &path, on).await;
    let r = post(a, &format!("{path}/actions/run")).await;
    assert_eq!(r.status, 200);
    let kids = get(a, &format!("/v2/tasks?parent={id}")).await;
    assert_eq!(kids.header_u64("x-total-matching-query"), 2);
}

#[tokio::test]
async fn a_task_that_is_not_a_draft_can_only_be_renamed() {
    let s = server().await;
    let a = s.addr();
    // COMPLETED (the documentation's example) and RUNNING (created with action=run).
    let running = id_of(&create(a, &draft_body(), "?action=run").await);
    for id in [examples::GET_TASK_ID, running.as_str()] {
        let path = format!("/v2/tasks/{id}");
        let status = s.task(id).expect("task")["status"].clone();
        let r = patch(a, &path, r#"{"name":"new name"}"#).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let t = r.json();
        assert_eq!(t["name"], "new name");
        assert_eq!(t["status"], status);
        for body in [
            r#"{"name":"x","description":"y"}"#,
            r#"{"description":"y"}"#,
            r#"{"inputs":{"threads":1}}"#,
            r#"{"batch":false}"#,
            r#"{"use_interruptible_instances":true}"#,
        ] {
            patch(a, &path, body).await.assert_error(400, 7026);
        }
        patch(a, &format!("{path}/inputs"), r#"{"threads":1}"#)
            .await
            .assert_error(400, 7026);
        assert_eq!(s.task(id).expect("task")["name"], "new name");
    }
}

#[tokio::test]
async fn delete_only_a_draft() {
    let s = server().await;
    let a = s.addr();
    let id = id_of(&create(a, &draft_body(), "").await);
    let path = format!("/v2/tasks/{id}");
    let r = send(a, "DELETE", &path, None).await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert!(r.header("content-type").is_none());
    assert!(r.header("content-length").is_none());
    assert!(s.task(&id).is_none());
    get(a, &path).await.assert_error(404, 7002);
    send(a, "DELETE", &path, None).await.assert_error(404, 7002);
    // The seeded DRAFT examples can be deleted too; other statuses cannot (400/7010).
    let r = send(
        a,
        "DELETE",
        &format!("/v2/tasks/{}", examples::RERUN_TASK_ID),
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    for id in [
        examples::GET_TASK_ID,
        examples::RUN_TASK_ID,
        examples::BATCH_TASK_ID,
    ] {
        send(a, "DELETE", &format!("/v2/tasks/{id}"), None)
            .await
            .assert_error(400, 7010);
        assert!(s.task(id).is_some());
    }
    send(a, "DELETE", "/v2/tasks/not-a-uuid", None)
        .await
        .assert_error(400, 7005);
    send(a, "DELETE", &format!("/v2/tasks/{UNKNOWN}"), None)
        .await
        .assert_error(404, 7002);
    send(a, "PUT", &path, None).await.assert_error(405, 90006);
}

#[tokio::test]
async fn inputs_are_read_and_merged() {
    let s = server().await;
    let a = s.addr();
    let id = id_of(&create(a, &draft_body(), "").await);
    let path = format!("/v2/tasks/{id}/inputs");
    let r = get(a, &path).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), draft_body()["inputs"]);
    // `fields` selects ports.
    assert_eq!(
        get(a, &format!("{path}?fields=threads,reference"))
            .await
            .json(),
        json!({"reference": {"class": "File", "path": "ref"}, "threads": 4})
    );
    assert_eq!(
        get(a, &format!("{path}?fields=_all")).await.json(),
        draft_body()["inputs"]
    );
    // A partial map merged; the answer is the whole map; the task's errors follow.
    let r = patch(
        a,
        &path,
        r#"{"threads":8,"reference":null,"extra":{"class":"Directory"}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let m = r.json();
    assert_eq!(m["threads"], 8);
    assert!(m["reference"].is_null());
    assert_eq!(m["reads"], draft_body()["inputs"]["reads"]);
    assert_eq!(m["extra"], json!({"class": "Directory"}));
    assert_eq!(m.as_object().map(|o| o.len()), Some(4));
    let t = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(t["inputs"], m);
    assert_eq!(t["errors"][0]["input_id"], "extra");
    assert_eq!(t["errors"].as_array().map(Vec::len), Some(1));
    // Fixing the input clears the error.
    patch(a, &path, r#"{"extra":null}"#).await;
    assert_eq!(s.task(&id).expect("task")["errors"], json!([]));
    // Errors.
    patch(a, &path, "[1]").await.assert_error(400, 90000);
    patch(a, &path, "nope").await.assert_error(400, 90009);
    get(a, &format!("/v2/tasks/{UNKNOWN}/inputs"))
        .await
        .assert_error(404, 7002);
    patch(a, &format!("/v2/tasks/{UNKNOWN}/inputs"), "{}")
        .await
        .assert_error(404, 7002);
    get(a, "/v2/tasks/bad/inputs").await.assert_error(400, 7005);
    send(a, "POST", &path, Some("{}"))
        .await
        .assert_error(405, 90006);
    // A task that is not a draft: its inputs can be read.
    let done = get(a, &format!("/v2/tasks/{}/inputs", examples::GET_TASK_ID))
        .await
        .json();
    assert_eq!(done, s.task(examples::GET_TASK_ID).expect("task")["inputs"]);
}

async fn bulk(a: std::net::SocketAddr, query: &str, body: &str) -> Resp {
    send(a, "POST", &format!("/v2/bulk/tasks/get{query}"), Some(body)).await
}

#[tokio::test]
async fn bulk_get_answers_one_item_per_id_in_order() {
    let s = server().await;
    let a = s.addr();
    let ids = json!({"task_ids": [
        examples::GET_TASK_ID, UNKNOWN, "not-a-uuid", examples::RERUN_TASK_ID,
        examples::GET_TASK_ID, ""
    ]});
    let r = bulk(a, "", &ids.to_string()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = r.json();
    let items = v["items"].as_array().expect("items");
    assert_eq!(v.as_object().map(|o| o.len()), Some(1));
    assert_eq!(items.len(), 6);
    let documented: Value =
        serde_json::from_slice(&examples::at_base(examples::GET_TASK, s.base_url())).expect("json");
    assert_eq!(items[0], json!({"resource": documented}));
    assert_eq!(items[4], items[0]);
    let rerun: Value =
        serde_json::from_slice(&examples::at_base(examples::RERUN_TASK, s.base_url()))
            .expect("json");
    assert_eq!(items[3]["resource"], rerun);
    for (i, status, code) in [(1, 404, 7002), (2, 400, 7005), (5, 400, 7004)] {
        let e = &items[i]["error"];
        assert_eq!(
            items[i].as_object().map(|o| o.len()),
            Some(1),
            "{}",
            items[i]
        );
        assert_eq!(e["status"], status, "{e}");
        assert_eq!(e["code"], code, "{e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(e["more_info"]
            .as_str()
            .is_some_and(|m| m.starts_with("https://")));
    }
    // `fields` applies to every resource.
    let r = bulk(a, "?fields=id,status", &ids.to_string()).await;
    let v = r.json();
    assert_eq!(
        v["items"][0]["resource"],
        json!({"id": examples::GET_TASK_ID, "status": "COMPLETED"})
    );
    assert_eq!(v["items"][1]["error"]["code"], 7002);
    // An empty list is an empty answer.
    assert_eq!(
        bulk(a, "", r#"{"task_ids":[]}"#).await.json(),
        json!({"items": []})
    );
    // Exactly the limit is fine; one more is refused as a whole.
    let hundred: Vec<&str> = vec![examples::GET_TASK_ID; 100];
    let r = bulk(a, "", &json!({"task_ids": hundred}).to_string()).await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(100));
    let many: Vec<&str> = vec![examples::GET_TASK_ID; 101];
    let e = bulk(a, "", &json!({"task_ids": many}).to_string())
        .await
        .assert_error(400, 90000);
    assert!(e["message"].as_str().unwrap_or_default().contains("100"));
    // Bodies that are not a list of ids.
    bulk(a, "", "not json").await.assert_error(400, 90009);
    for body in [
        "{}",
        "[]",
        r#"{"task_ids":"x"}"#,
        r#"{"ids":[]}"#,
        r#"{"task_ids":[1]}"#,
    ] {
        bulk(a, "", body).await.assert_error(400, 90000);
    }
    send(a, "GET", "/v2/bulk/tasks/get", None)
        .await
        .assert_error(405, 90006);
}

#[tokio::test]
async fn bulk_get_counts_one_poll_per_task_like_get() {
    let s = server().await;
    let a = s.addr();
    let x = id_of(&create(a, &draft_body(), "?action=run").await);
    let y = id_of(&create(a, &draft_body(), "?action=run").await);
    let body = json!({"task_ids": [x, x, y]}).to_string();
    let statuses = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                i["resource"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    // Polls(3): QUEUED → RUNNING (1st, 2nd poll) → COMPLETED (3rd). A duplicate is one poll.
    assert_eq!(s.task(&x).expect("x")["status"], "QUEUED");
    let v = bulk(a, "", &body).await.json();
    assert_eq!(statuses(&v), ["RUNNING", "RUNNING", "RUNNING"]);
    assert_eq!(v["items"][0], v["items"][1]);
    // A GET of y is a poll as well: y is one poll ahead of x from now on.
    assert_eq!(
        get(a, &format!("/v2/tasks/{y}")).await.json()["status"],
        "RUNNING"
    );
    let v = bulk(a, "", &body).await.json();
    assert_eq!(statuses(&v), ["RUNNING", "RUNNING", "COMPLETED"]);
    let v = bulk(a, "", &body).await.json();
    assert_eq!(statuses(&v), ["COMPLETED", "COMPLETED", "COMPLETED"]);
}

#[tokio::test]
async fn bulk_get_is_one_request_and_rate_limit_is_not_counted() {
    let s = MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .rate_limit(5, Duration::from_secs(60))
        .start()
        .await
        .expect("start");
    let a = s.addr();
    let ids: Vec<&str> = vec![examples::GET_TASK_ID; 100];
    let r = bulk(a, "", &json!({"task_ids": ids}).to_string()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header_u64("x-ratelimit-limit"), 5);
    assert_eq!(r.header_u64("x-ratelimit-remaining"), 4);
    // `GET /v2/rate_limit` is not counted, however often it is asked.
    for _ in 0..10 {
        let r = get(a, "/v2/rate_limit").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["rate"]["remaining"], 4);
        assert_eq!(r.header_u64("x-ratelimit-remaining"), 4);
    }
    for expected in [3u64, 2, 1, 0] {
        let r = bulk(a, "", r#"{"task_ids":[]}"#).await;
        assert_eq!(r.header_u64("x-ratelimit-remaining"), expected);
    }
    bulk(a, "", r#"{"task_ids":[]}"#)
        .await
        .assert_error(429, 1000);
    // Past the budget, the rate-limit state still answers.
    let r = get(a, "/v2/rate_limit").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["rate"]["remaining"], 0);
    assert_eq!(s.requests_to(Route::BulkGet), 6);
    assert_eq!(s.requests_to(Route::RateLimit), 11);
}

#[tokio::test]
async fn list_filters_batch_and_origin() {
    let s = server().await;
    let a = s.addr();
    let origin = "6a3e5b8e-0c41-4d5b-9c40-1f2e3d4c5b6a";
    let by_object = s
        .insert_task(json!({"name": "o1", "status": "COMPLETED", "origin": {"type": "automation_run", "id": origin}}))
        .expect("insert");
    let by_string = s
        .insert_task(json!({"name": "o2", "status": "COMPLETED", "origin_id": origin}))
        .expect("insert");
    s.insert_task(json!({"name": "o3", "status": "COMPLETED", "origin_id": "other"}))
        .expect("insert");
    let ids = |r: Resp| -> Vec<String> {
        r.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        ids(get(a, &format!("/v2/tasks?origin_id={origin}")).await),
        [by_object, by_string]
    );
    assert_eq!(
        ids(get(a, "/v2/tasks?batch=true").await),
        [examples::BATCH_TASK_ID]
    );
    let not_batch = ids(get(a, "/v2/tasks?batch=false&limit=100").await);
    assert!(!not_batch.is_empty());
    assert!(!not_batch.iter().any(|i| i == examples::BATCH_TASK_ID));
    assert_eq!(not_batch.len() + 1, s.task_count());
    get(a, "/v2/tasks?batch=yes").await.assert_error(400, 90000);
}

#[tokio::test]
async fn create_with_batch_false_makes_a_task_without_batching() {
    let s = server().await;
    let a = s.addr();
    let mut body = draft_body();
    body["batch_input"] = json!("reads");
    body["batch_by"] = json!({"type": "ITEM"});
    let batched = create(a, &body, "").await;
    assert_eq!(batched["batch"], true);
    let t = create(a, &body, "?batch=false").await;
    assert_eq!(t["batch"], false);
    assert!(
        t.get("batch_input").is_none() && t.get("batch_by").is_none(),
        "{t}"
    );
    // Run at once with batching off: one task, no children.
    let t = create(a, &body, "?batch=false&action=run").await;
    assert_eq!(t["status"], "QUEUED");
    let kids = get(a, &format!("/v2/tasks?parent={}", id_of(&t))).await;
    assert_eq!(kids.header_u64("x-total-matching-query"), 0);
    // The body's batch members are still checked.
    body["batch_input"] = json!("nope");
    send(a, "POST", "/v2/tasks?batch=false", Some(&body.to_string()))
        .await
        .assert_error(400, 7018);
    send(
        a,
        "POST",
        "/v2/tasks?batch=maybe",
        Some(&draft_body().to_string()),
    )
    .await
    .assert_error(400, 90000);
}

#[tokio::test]
async fn new_routes_are_journaled_and_take_faults() {
    let s = server().await;
    let a = s.addr();
    let id = id_of(&create(a, &draft_body(), "").await);
    let path = format!("/v2/tasks/{id}");
    s.inject(Fault::Maintenance, Scope::RouteNext(Route::DeleteTask, 1));
    s.inject(
        Fault::Status {
            status: 500,
            code: 7000,
        },
        Scope::RouteNext(Route::BulkGet, 1),
    );
    send(a, "DELETE", &path, None).await.assert_error(503, 0);
    assert!(
        s.task(&id).is_some(),
        "the fault answered instead of the call"
    );
    bulk(a, "", r#"{"task_ids":[]}"#)
        .await
        .assert_error(500, 7000);
    assert_eq!(bulk(a, "", r#"{"task_ids":[]}"#).await.status, 200);
    get(a, &format!("{path}/inputs")).await;
    patch(a, &format!("{path}/inputs"), "{}").await;
    patch(a, &path, "{}").await;
    assert_eq!(send(a, "DELETE", &path, None).await.status, 204);
    assert_eq!(s.requests_to(Route::DeleteTask), 2);
    assert_eq!(s.requests_to(Route::BulkGet), 2);
    assert_eq!(s.requests_to(Route::GetInputs), 1);
    assert_eq!(s.requests_to(Route::ModifyInputs), 1);
    assert_eq!(s.requests_to(Route::ModifyTask), 1);
    let j = s.journal();
    let last = j.last().expect("entry");
    assert_eq!((last.route, last.status), (Route::DeleteTask, Some(204)));
    for (name, route) in [
        ("modify", Route::ModifyTask),
        ("PATCH /v2/tasks/{id}", Route::ModifyTask),
        ("delete", Route::DeleteTask),
        ("DELETE /v2/tasks/{id}", Route::DeleteTask),
        ("inputs", Route::GetInputs),
        ("GET /v2/tasks/{id}/inputs", Route::GetInputs),
        ("modify_inputs", Route::ModifyInputs),
        ("PATCH /v2/tasks/{id}/inputs", Route::ModifyInputs),
        ("bulk_get", Route::BulkGet),
        ("POST /v2/bulk/tasks/get", Route::BulkGet),
    ] {
        assert_eq!(name.parse::<Route>().expect(name), route);
        assert_eq!(route.name().parse::<Route>().expect(name), route);
    }
    let spec: sbg_tasks_mock::FaultSpec = "503@bulk_get*1".parse().expect("spec");
    assert_eq!(spec.scope, Scope::RouteNext(Route::BulkGet, 1));
}
