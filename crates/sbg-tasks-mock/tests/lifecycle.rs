//! The lifecycle advances deterministically with the schedule.

mod common;

use std::time::Duration;

use common::*;
use sbg_tasks_mock::{examples, MockServer, Outcome, Route, Schedule};
use serde_json::{json, Value};

async fn server(schedule: Schedule) -> MockServer {
    MockServer::builder()
        .user(TOKEN, "rfranklin")
        .seed_examples(true)
        .schedule(schedule)
        .steps_total(4)
        .start()
        .await
        .expect("start")
}

async fn create(s: &MockServer, body: Value, query: &str) -> Value {
    let r = send(
        s.addr(),
        "POST",
        &format!("/v2/tasks{query}"),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()
}

fn is_rfc3339_utc(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn polls_schedule_runs_queued_running_completed() {
    let s = server(Schedule::Polls(3)).await;
    let a = s.addr();
    let t = create(
        &s,
        json!({"name": "grep", "project": "u/p", "app": "u/p/grep/1",
               "inputs": {"f": {"class": "File", "path": "abc"}}, "outputs": {"out": null}}),
        "",
    )
    .await;
    assert_eq!(t["status"], "DRAFT");
    assert_eq!(t["created_by"], "rfranklin");
    assert!(is_rfc3339_utc(&t["created_time"]), "{t}");
    let id = t["id"].as_str().expect("id").to_owned();

    let run = post(a, &format!("/v2/tasks/{id}/actions/run")).await.json();
    assert_eq!(run["status"], "QUEUED");
    assert_eq!(run["executed_by"], "rfranklin");
    assert!(is_rfc3339_utc(&run["start_time"]));
    assert_eq!(run["execution_status"]["steps_completed"], 0);
    assert_eq!(run["execution_status"]["steps_total"], 4);

    let p1 = get(a, &format!("/v2/tasks/{id}")).await.json();
    let p2 = get(a, &format!("/v2/tasks/{id}")).await.json();
    let p3 = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(p1["status"], "RUNNING");
    assert_eq!(p2["status"], "RUNNING");
    assert_eq!(p1["execution_status"]["steps_completed"], 1);
    assert_eq!(p2["execution_status"]["steps_completed"], 2);
    assert!(p1.get("end_time").is_none());
    assert_eq!(p3["status"], "COMPLETED");
    let es = &p3["execution_status"];
    assert_eq!(es["steps_completed"], 4);
    assert_eq!(es["message"], "Completed");
    for k in [
        "duration",
        "queued_duration",
        "running_duration",
        "execution_duration",
    ] {
        assert!(es[k].is_u64(), "{k}: {es}");
    }
    assert!(es["duration"].as_u64() >= es["running_duration"].as_u64());
    assert!(is_rfc3339_utc(&p3["end_time"]));
    assert!(p3["end_time"].as_str() >= p3["start_time"].as_str());
    assert_eq!(p3["price"]["currency"], "USD");
    assert_eq!(p3["price"]["amount"], "0.30");
    assert_eq!(p3["outputs"]["out"]["class"], "File");
    // Final: further polls change nothing.
    let p4 = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(p4, p3);
    post(a, &format!("/v2/tasks/{id}/actions/abort"))
        .await
        .assert_error(400, 7008);
}

#[tokio::test]
async fn outcomes_fail_by_name_or_as_set() {
    let s = server(Schedule::Polls(1)).await;
    let a = s.addr();
    let failing = create(
        &s,
        json!({"name": "will FAIL", "project": "u/p", "app": "u/p/a/1"}),
        "?action=run",
    )
    .await;
    assert_eq!(failing["status"], "QUEUED");
    let id = failing["id"].as_str().expect("id");
    let v = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["execution_status"]["message"], "Failed");

    let t = create(
        &s,
        json!({"name": "ok", "project": "u/p", "app": "u/p/a/1"}),
        "?action=run",
    )
    .await;
    let id = t["id"].as_str().expect("id");
    assert!(s.set_outcome(id, Outcome::Aborted));
    assert!(!s.set_outcome("00000000-0000-4000-8000-000000000000", Outcome::Failed));
    assert_eq!(
        get(a, &format!("/v2/tasks/{id}")).await.json()["status"],
        "ABORTED"
    );
}

#[tokio::test]
async fn abort_a_running_task_and_advance_by_api() {
    let s = server(Schedule::Polls(10)).await;
    let a = s.addr();
    let t = create(
        &s,
        json!({"project": "u/p", "app": "u/p/a/1"}),
        "?action=run",
    )
    .await;
    let id = t["id"].as_str().expect("id").to_owned();
    assert!(t["name"].as_str().expect("name").starts_with("a run - "));
    assert!(s.advance(&id, 4));
    let v = s.task(&id).expect("task");
    assert_eq!(v["status"], "RUNNING");
    assert_eq!(v["execution_status"]["steps_completed"], 1); // 4 polls of 10, 4 steps
    let ab = post(a, &format!("/v2/tasks/{id}/actions/abort"))
        .await
        .json();
    assert_eq!(ab["status"], "ABORTED");
    assert_eq!(ab["execution_status"]["message"], "Aborted");
    assert!(is_rfc3339_utc(&ab["end_time"]));
    assert_eq!(
        get(a, &format!("/v2/tasks/{id}")).await.json()["status"],
        "ABORTED"
    );
    post(a, &format!("/v2/tasks/{id}/actions/abort"))
        .await
        .assert_error(400, 7008);
    // The seeded RUNNING snapshot can be aborted too.
    let v = post(
        a,
        &format!("/v2/tasks/{}/actions/abort", examples::RUN_TASK_ID),
    )
    .await
    .json();
    assert_eq!(v["status"], "ABORTED");
}

#[tokio::test]
async fn clone_with_action_run_and_options() {
    let s = server(Schedule::Polls(2)).await;
    let a = s.addr();
    let src = examples::GET_TASK_ID;
    let c = post(a, &format!("/v2/tasks/{src}/actions/clone?action=run&use_interruptible_instances=true&fields=id,status,use_interruptible_instances")).await;
    let v = c.json();
    assert_eq!(v["status"], "QUEUED");
    assert_eq!(v["use_interruptible_instances"], true);
    assert_eq!(v.as_object().map(|o| o.len()), Some(3));
    assert_ne!(v["id"], src);
    assert_eq!(s.requests_to(Route::CloneTask), 1);
    // The original is untouched (still served byte for byte).
    assert_eq!(
        get(a, &format!("/v2/tasks/{src}")).await.body[..],
        examples::at_base(examples::GET_TASK, s.base_url())
    );
}

#[tokio::test]
async fn batch_parent_counts_its_children() {
    let s = server(Schedule::Polls(2)).await;
    let a = s.addr();
    let files: Vec<Value> = (0..3)
        .map(|i| json!({"class": "File", "path": format!("f{i}"), "name": format!("s{i}.fastq")}))
        .collect();
    let t = create(
        &s,
        json!({"name": "batch", "project": "u/p", "app": "u/p/a/1",
               "inputs": {"reads": files, "ref": {"class": "File", "path": "r"}},
               "batch_input": "reads", "batch_by": {"type": "ITEM"}}),
        "",
    )
    .await;
    assert_eq!(t["batch"], true);
    let id = t["id"].as_str().expect("id").to_owned();
    let run = post(a, &format!("/v2/tasks/{id}/actions/run")).await.json();
    assert_eq!(run["status"], "QUEUED");
    assert_eq!(run["execution_status"]["queued"], 3);

    // Children are listed with `parent`.
    let list = get(a, &format!("/v2/tasks?parent={id}&fields=_all")).await;
    assert_eq!(list.header("x-total-matching-query").as_deref(), Some("3"));
    let children = list.json()["items"].as_array().expect("items").clone();
    assert_eq!(children.len(), 3);
    for (i, c) in children.iter().enumerate() {
        assert_eq!(c["parent"], id.as_str());
        assert_eq!(c["batch_group"]["value"], format!("s{i}.fastq"));
        assert_eq!(c["inputs"]["reads"]["path"], format!("f{i}"));
        assert_eq!(c["inputs"]["ref"]["path"], "r");
    }
    // Child i finishes on poll 2 + i of the parent.
    let p1 = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(p1["status"], "RUNNING");
    assert_eq!(p1["execution_status"]["running"], 3);
    let p2 = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(
        (
            p2["execution_status"]["completed"].as_u64(),
            p2["execution_status"]["running"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let p3 = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(p3["execution_status"]["completed"], 2);
    assert_eq!(p3["status"], "RUNNING");
    let p4 = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(p4["status"], "COMPLETED");
    assert_eq!(p4["execution_status"]["completed"], 3);
    assert_eq!(p4["price"]["amount"], "0.90");
    assert!(is_rfc3339_utc(&p4["end_time"]));

    // batch=false runs a copy as a single task: no children.
    let c = post(
        a,
        &format!("/v2/tasks/{id}/actions/clone?action=run&batch=false"),
    )
    .await
    .json();
    assert_eq!(c["batch"], false);
    let cid = c["id"].as_str().expect("id");
    assert_eq!(
        get(a, &format!("/v2/tasks?parent={cid}")).await.json()["items"],
        json!([])
    );
}

#[tokio::test]
async fn list_pages_with_links_and_total() {
    let s = server(Schedule::Polls(3)).await;
    let a = s.addr();
    for i in 0..5 {
        create(
            &s,
            json!({"name": format!("t{i}"), "project": "me/list", "app": "me/list/a/1"}),
            "",
        )
        .await;
    }
    let first = get(a, "/v2/tasks?project=me%2Flist&limit=2").await;
    assert_eq!(first.header("x-total-matching-query").as_deref(), Some("5"));
    let v = first.json();
    let names: Vec<&str> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["t0", "t1"]);
    assert_eq!(v["items"][0].as_object().map(|o| o.len()), Some(3)); // href, id, name
    let next = v["links"][0]["href"].as_str().expect("next");
    assert_eq!(v["links"][0]["rel"], "next");
    let next_path = next.trim_start_matches(&s.base_url()[..s.base_url().len() - 3]);
    let page2 = get(a, next_path).await.json();
    assert_eq!(page2["items"][0]["name"], "t2");
    let rels: Vec<&str> = page2["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["rel"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(rels, vec!["next", "prev"]);
    let last = get(a, "/v2/tasks?project=me/list&offset=4&limit=2&order=desc")
        .await
        .json();
    assert_eq!(last["items"][0]["name"], "t0");
    assert_eq!(last["links"][0]["rel"], "prev");
    let drafts = get(a, "/v2/tasks?project=me/list&status=DRAFT").await;
    assert_eq!(
        drafts.header("x-total-matching-query").as_deref(),
        Some("5")
    );
    let none = get(a, "/v2/tasks?project=me/list&status=RUNNING").await;
    assert_eq!(none.header("x-total-matching-query").as_deref(), Some("0"));
}

#[tokio::test]
async fn execution_details_follow_the_steps() {
    let s = server(Schedule::Polls(4)).await;
    let a = s.addr();
    let t = create(
        &s,
        json!({"project": "u/p", "app": "u/p/a/1"}),
        "?action=run",
    )
    .await;
    let id = t["id"].as_str().expect("id");
    let d0 = get(a, &format!("/v2/tasks/{id}/execution_details"))
        .await
        .json();
    assert_eq!(d0["jobs"], json!([]));
    get(a, &format!("/v2/tasks/{id}")).await; // RUNNING, 1 step done
    let d1 = get(a, &format!("/v2/tasks/{id}/execution_details"))
        .await
        .json();
    let jobs = d1["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["status"], "COMPLETED");
    assert_eq!(jobs[1]["status"], "RUNNING");
    assert!(jobs[1]["instance"]["type"].is_string());
}

#[tokio::test]
async fn wall_time_schedule() {
    let s = server(Schedule::WallTime(Duration::from_millis(200))).await;
    let a = s.addr();
    let t = create(
        &s,
        json!({"project": "u/p", "app": "u/p/a/1"}),
        "?action=run",
    )
    .await;
    assert_eq!(t["status"], "QUEUED");
    let id = t["id"].as_str().expect("id");
    tokio::time::sleep(Duration::from_millis(260)).await;
    // Without any poll, reading the task brings it up to date.
    assert_eq!(s.task(id).expect("task")["status"], "COMPLETED");
    let v = get(a, &format!("/v2/tasks/{id}")).await.json();
    assert_eq!(v["status"], "COMPLETED");
    assert!(v["execution_status"]["duration"].as_u64() >= Some(200));
}
