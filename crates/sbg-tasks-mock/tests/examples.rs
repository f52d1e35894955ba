//! The documented example requests get the documented shapes.

mod common;

use common::*;
use sbg_tasks_mock::{examples, MockServer, Schedule};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The token in the documentation's example requests.
const DOC_TOKEN: &str = "3259c50e1ac5426ea8f1273259740f74";

async fn server() -> MockServer {
    MockServer::builder()
        .token(TOKEN)
        .token(DOC_TOKEN)
        .seed_examples(true)
        .schedule(Schedule::Polls(3))
        .start()
        .await
        .expect("start")
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// Send a documented request file as raw bytes (stray `"` of the errata removed, `\r\n` line
/// ends, `Connection: close` added) and return the raw answer.
async fn send_documented(addr: std::net::SocketAddr, doc: &[u8]) -> String {
    let text = String::from_utf8_lossy(doc).replace("\" HTTP/1.1", " HTTP/1.1");
    let mut req = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        req.push_str(line.trim_end());
        req.push_str("\r\n");
    }
    req.push_str("Connection: close\r\n\r\n");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    String::from_utf8(out).expect("utf-8")
}

fn split(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n").expect("head and body")
}

#[tokio::test]
async fn documented_get_request_gets_the_documented_body() {
    let s = server().await;
    let raw = send_documented(s.addr(), examples::GET_TASK_REQUEST).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let expected = String::from_utf8_lossy(&examples::at_base(examples::GET_TASK, s.base_url()))
        .replace(examples::GET_TASK_ID, examples::GET_TASK_REQUEST_ID);
    assert_eq!(body, expected);
    // The documented id itself is served byte for byte, and stays COMPLETED.
    for _ in 0..3 {
        let r = get(s.addr(), &format!("/v2/tasks/{}", examples::GET_TASK_ID)).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body[..],
            examples::at_base(examples::GET_TASK, s.base_url())
        );
    }
    assert_eq!(
        s.journal()[0].auth,
        sbg_tasks_mock::AuthScheme::XSbgAuthToken
    );
}

#[tokio::test]
async fn documented_run_request_runs_the_draft() {
    let s = server().await;
    let raw = send_documented(s.addr(), examples::RUN_TASK_REQUEST).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let v: Value = serde_json::from_str(body).expect("json");
    let doc: Value = serde_json::from_slice(examples::RUN_TASK).expect("doc json");
    assert_eq!(v["id"], examples::RUN_TASK_REQUEST_ID);
    assert_eq!(v["status"], "QUEUED");
    // Every member of the documented answer is there, with the same inputs.
    for k in keys(&doc) {
        assert!(v.get(&k).is_some(), "missing {k} in {v}");
    }
    assert_eq!(v["inputs"], doc["inputs"]);
    assert_eq!(v["executed_by"], "mock-user");
    assert!(v["execution_status"]["message"].is_string());
    // Running it again is refused: it is no longer a DRAFT.
    let again = post(
        s.addr(),
        &format!("/v2/tasks/{}/actions/run", examples::RUN_TASK_REQUEST_ID),
    )
    .await;
    again.assert_error(400, 7007);
    // The documented RUNNING answer is served verbatim for its own id.
    let r = get(s.addr(), &format!("/v2/tasks/{}", examples::RUN_TASK_ID)).await;
    assert_eq!(
        r.body[..],
        examples::at_base(examples::RUN_TASK, s.base_url())
    );
}

#[tokio::test]
async fn documented_rerun_request_makes_a_new_draft_each_time() {
    let s = server().await;
    let before = s.task_count();
    let raw = send_documented(s.addr(), examples::RERUN_TASK_REQUEST).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let v: Value = serde_json::from_str(body).expect("json");
    let doc: Value = serde_json::from_slice(examples::RERUN_TASK).expect("doc json");
    assert_eq!(v["status"], "DRAFT");
    let new_id = v["id"].as_str().expect("id").to_owned();
    assert_ne!(new_id, examples::RUN_TASK_REQUEST_ID);
    assert_eq!(new_id.len(), 36);
    assert!(v["href"].as_str().expect("href").ends_with(&new_id));
    // The documented rerun answer's members (a DRAFT has no start_time).
    for k in keys(&doc) {
        if k != "start_time" {
            assert!(v.get(&k).is_some(), "missing {k} in {v}");
        }
    }
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["outputs"], serde_json::json!({"archive": {}, "html": {}}));
    // Not idempotent: a second rerun makes a second task; the original is unchanged.
    let second = post(
        s.addr(),
        &format!("/v2/tasks/{}/actions/clone", examples::RUN_TASK_REQUEST_ID),
    )
    .await;
    assert_ne!(second.json()["id"], v["id"]);
    assert_eq!(s.task_count(), before + 2);
    assert_eq!(
        s.task(examples::RUN_TASK_REQUEST_ID).expect("original")["status"],
        "DRAFT"
    );
    // The rerun example's own id is served verbatim.
    let r = get(s.addr(), &format!("/v2/tasks/{}", examples::RERUN_TASK_ID)).await;
    assert_eq!(
        r.body[..],
        examples::at_base(examples::RERUN_TASK, s.base_url())
    );
}

#[tokio::test]
async fn batch_example_is_repaired_or_verbatim_on_request() {
    let s = server().await;
    let r = get(s.addr(), &format!("/v2/tasks/{}", examples::BATCH_TASK_ID)).await;
    let v = r.json();
    assert_eq!(v["status"], "ABORTED");
    assert_eq!(v["batch_by"]["criteria"][1], "metadata.library_id");
    assert_eq!(v["execution_status"]["duration"], "123456789");
    assert_eq!(v["execution_status"]["system_limit"], false);
    assert_eq!(v["price"]["amount"], "0.00");
    assert_eq!(v["inputs"]["Known_SNPs"][0]["name"], "dbsnp_137.b37.vcf");
    assert_eq!(
        v["href"],
        format!("{}/tasks/{}", s.base_url(), examples::BATCH_TASK_ID)
    );

    let m = MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .serve_malformed_examples(true)
        .start()
        .await
        .expect("start");
    let r = get(m.addr(), &format!("/v2/tasks/{}", examples::BATCH_TASK_ID)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body[..],
        examples::at_base(examples::GET_TASK_BATCH_MALFORMED, m.base_url())
    );
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
}

#[tokio::test]
async fn invalid_draft_carries_the_documented_errors_and_cannot_run() {
    let s = server().await;
    let r = get(
        s.addr(),
        &format!("/v2/tasks/{}", examples::INVALID_DRAFT_ID),
    )
    .await;
    assert_eq!(r.json()["errors"], examples::validation_errors());
    let run = post(
        s.addr(),
        &format!("/v2/tasks/{}/actions/run", examples::INVALID_DRAFT_ID),
    )
    .await;
    run.assert_error(400, 7024);
    // A rerun of it recomputes the same errors from its inputs.
    let c = post(
        s.addr(),
        &format!(
            "/v2/tasks/{}/actions/clone?action=run",
            examples::INVALID_DRAFT_ID
        ),
    )
    .await;
    c.assert_error(400, 7024);
}

#[tokio::test]
async fn fields_selects_members() {
    let s = server().await;
    let id = examples::GET_TASK_ID;
    let r = get(s.addr(), &format!("/v2/tasks/{id}?fields=id,status,price")).await;
    assert_eq!(keys(&r.json()), vec!["id", "status", "price"]);
    let r = get(s.addr(), &format!("/v2/tasks/{id}?fields=id%2Cname")).await;
    assert_eq!(keys(&r.json()), vec!["id", "name"]);
    let r = get(s.addr(), &format!("/v2/tasks/{id}?fields=_all")).await;
    assert_eq!(
        r.body[..],
        examples::at_base(examples::GET_TASK, s.base_url())
    );
    let r = get(
        s.addr(),
        &format!("/v2/tasks/{id}?fields=nothing_like_this"),
    )
    .await;
    assert_eq!(r.json(), serde_json::json!({}));
}

/// A client that follows `href` (as sevenbridges-python does to reload a task) stays on the
/// mock: every task's `href` is the mock's own URL of that task, seeded examples, inserted
/// tasks (whatever `href` they were given), cloned and listed ones alike.
#[tokio::test]
async fn every_href_points_at_the_mock_itself() {
    let s = server().await;
    let given = serde_json::json!({
        "href": "https://api.sbgenomics.com/v2/tasks/elsewhere",
        "name": "inserted",
        "status": "DRAFT",
        "project": "mock-user/demo",
        "app": "mock-user/demo/app/1",
    });
    s.insert_task(given).expect("insert");
    let created = post(
        s.addr(),
        &format!("/v2/tasks/{}/actions/clone", examples::RUN_TASK_REQUEST_ID),
    )
    .await;
    assert_eq!(created.status, 200);
    let mut seen = 0;
    for id in s.task_ids() {
        let want = format!("{}/tasks/{id}", s.base_url());
        let r = get(s.addr(), &format!("/v2/tasks/{id}")).await;
        assert_eq!(r.status, 200, "{id}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains("sbgenomics.com"),
            "{id}"
        );
        let href = r.json()["href"].as_str().expect("href").to_owned();
        assert_eq!(s.task(&id).expect("task")["href"], href.as_str());
        // Following it with the token stays on the mock; it names the task itself, but for
        // the documented rerun answer, whose `href` names another id than its `id` (kept
        // byte for byte, as documented).
        let path = href
            .strip_prefix(&format!("http://{}", s.addr()))
            .expect("on the mock");
        if id == examples::RERUN_TASK_ID {
            assert!(path.starts_with("/v2/tasks/"), "{path}");
        } else {
            assert_eq!(href, want);
            assert_eq!(get(s.addr(), path).await.json()["id"], id.as_str());
        }
        seen += 1;
    }
    assert!(seen >= 8, "{seen} tasks");
    // A listing carries the same hrefs.
    let list = get(s.addr(), "/v2/tasks?limit=100&fields=_all")
        .await
        .json();
    for item in list["items"].as_array().expect("items") {
        let href = item["href"].as_str().expect("href");
        assert!(href.starts_with(s.base_url()), "{href}");
    }
}
