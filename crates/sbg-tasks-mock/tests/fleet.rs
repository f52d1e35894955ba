//! Following many tasks under the rate limit: the fixed window, the `/__mock/` endpoints
//! (stats, journal, fleet, faults, tasks), fleets and batch parents over time, gzip and the gzip bomb.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use flate2::read::GzDecoder;
use sbg_tasks_mock::{token_fingerprint, Fault, FleetSpec, MockServer, Route, Scope};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A raw HTTP/1.1 request (so that `Accept-Encoding` is ours to set); the answer's head and
/// body as sent (not decoded).
async fn raw(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    extra: &str,
    body: &str,
) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nx-sbg-auth-token: {TOKEN}\r\nconnection: close\r\ncontent-length: {}\r\n{extra}\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
    let head = String::from_utf8_lossy(&out[..split]).to_ascii_lowercase();
    (head, out[split..].to_vec())
}

/// A server with the test token and no rate limit.
async fn unlimited() -> MockServer {
    MockServer::builder()
        .token(TOKEN)
        .no_rate_limit()
        .start()
        .await
        .expect("start")
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(b).read_to_end(&mut out).expect("gzip");
    out
}

#[tokio::test]
async fn window_refuses_until_reset_then_opens_a_new_one() {
    let s = MockServer::builder()
        .token(TOKEN)
        .rate_limit(2, Duration::from_millis(300))
        .start()
        .await
        .expect("start");
    let a = s.addr();
    // /rate_limit is free and opens no window: the whole budget, however often it is asked.
    for _ in 0..5 {
        let r = get(a, "/v2/rate_limit").await;
        assert_eq!(r.json()["rate"]["remaining"], 2);
    }
    let first = get(a, "/v2/tasks").await;
    assert_eq!(first.header_u64("x-ratelimit-remaining"), 1);
    let reset = first.header_u64("x-ratelimit-reset");
    assert_eq!(
        get(a, "/v2/tasks")
            .await
            .header_u64("x-ratelimit-remaining"),
        0
    );
    // Spent: every counted request is 429/1000 with the same reset, until the reset.
    let mut refused = 0;
    loop {
        let r = get(a, "/v2/tasks").await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs_f64();
        if r.status == 200 {
            // Accepted again only once the advertised reset has come.
            assert!(
                now >= reset as f64,
                "accepted at {now} before reset {reset}"
            );
            assert_eq!(r.header_u64("x-ratelimit-remaining"), 1);
            assert!(r.header_u64("x-ratelimit-reset") > reset);
            break;
        }
        r.assert_error(429, 1000);
        assert_eq!(r.header_u64("x-ratelimit-reset"), reset);
        let rl = get(a, "/v2/rate_limit").await.json();
        assert_eq!(rl["rate"]["remaining"], 0);
        assert_eq!(rl["rate"]["reset"], reset);
        refused += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused > 0);
    let st = s.token_stats(TOKEN).expect("stats");
    assert_eq!(st.counted, 3);
    assert_eq!(st.rate_limited, refused);
    assert_eq!(st.routes["rate_limit"], 5 + refused);
}

#[tokio::test]
async fn stats_and_journal_per_token_over_http_without_tokens() {
    let s = MockServer::builder()
        .token(TOKEN)
        .user("OTHER", "other-user")
        .rate_limit(3, Duration::from_secs(600))
        .start()
        .await
        .expect("start");
    let a = s.addr();
    let fleet = s.spawn_fleet(FleetSpec::new(150, Duration::from_secs(600)));
    let ids: Vec<&String> = fleet.ids.iter().take(100).collect();
    let bulk = json!({ "task_ids": ids }).to_string();
    let r = send(a, "POST", "/v2/bulk/tasks/get", Some(&bulk)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(100));
    get(a, "/v2/rate_limit").await;
    get(a, &format!("/v2/tasks/{}", fleet.ids[0])).await;
    get(a, "/v2/tasks").await;
    get(a, "/v2/tasks").await.assert_error(429, 1000);
    get(a, "/v2/tasks").await.assert_error(429, 1000);
    try_send(a, "GET", "/v2/tasks", Auth::X("OTHER"), None)
        .await
        .expect("answer");
    try_send(a, "GET", "/v2/tasks", Auth::None, None)
        .await
        .expect("answer");

    let st = s.stats();
    let mine = st.token(TOKEN).expect("mine");
    assert_eq!(mine.token, token_fingerprint(TOKEN));
    assert_eq!(mine.user.as_deref(), Some("mock-user"));
    assert_eq!((mine.requests, mine.counted, mine.rate_limited), (6, 3, 2));
    assert_eq!(mine.routes["bulk_get"], 1);
    assert_eq!(mine.routes["list"], 3);
    assert_eq!(mine.routes["get"], 1);
    assert!(mine.body_bytes > 10_000 && mine.sent_bytes == mine.body_bytes);
    let other = st.token("OTHER").expect("other");
    assert_eq!(
        (other.requests, other.counted, other.user.as_deref()),
        (1, 1, Some("other-user"))
    );
    assert_eq!((st.requests, st.rate_limited), (8, 2));

    // The same over HTTP, without a token, never showing one; not journaled itself.
    let text = String::from_utf8(get(a, "/__mock/stats").await.body.to_vec()).expect("utf-8");
    assert!(!text.contains(TOKEN) && !text.contains("OTHER"), "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    let t = v["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["token"] == token_fingerprint(TOKEN))
        .expect("mine")
        .clone();
    assert_eq!(
        (
            t["requests"].as_u64(),
            t["counted"].as_u64(),
            t["rate_limited"].as_u64()
        ),
        (Some(6), Some(3), Some(2))
    );
    assert_eq!(t["routes"]["bulk_get"], 1);
    assert!(v["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .any(|t| t["token"] == "none"));
    let r = try_send(
        a,
        "GET",
        "/__mock/journal?since=3&limit=2",
        Auth::None,
        None,
    )
    .await
    .expect("journal");
    let j = r.json();
    assert_eq!(j["total"], 8);
    assert_eq!(j["next"], 5);
    let e = &j["entries"];
    assert_eq!(
        (e[0]["seq"].as_u64(), e[1]["seq"].as_u64()),
        (Some(3), Some(4))
    );
    assert_eq!(e[1]["status"], 429);
    assert_eq!(e[1]["counted"], false);
    assert_eq!(e[0]["token"], token_fingerprint(TOKEN));
    assert!(!String::from_utf8_lossy(&r.body).contains(TOKEN));
    assert_eq!(s.request_count(), 8);
    assert_eq!(s.journal_since(7).len(), 1);
    // Unknown mock endpoints are 404 there, never an API answer; API paths are unaffected.
    assert_eq!(get(a, "/__mock/nope").await.status, 404);
    s.reset_stats();
    assert_eq!(s.stats().requests, 0);
}

#[tokio::test]
async fn fleet_tasks_reach_their_end_states_over_time() {
    let spec = FleetSpec::new(200, Duration::from_millis(400))
        .fail_ratio(0.25)
        .seed(7);
    let s = MockServer::builder()
        .token(TOKEN)
        .no_rate_limit()
        .fleet(spec.clone())
        .start()
        .await
        .expect("start");
    let a = s.addr();
    let fleets = get(a, "/__mock/fleet").await.json();
    let ids: Vec<String> = fleets["fleets"][0]["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 200);
    assert_eq!(fleets["fleets"][0]["failing"], 50);
    assert_eq!(ids, s.fleets()[0].ids);
    // Listed by the fleet's project.
    let r = get(a, "/v2/tasks?project=fleet/fleet-0&limit=1").await;
    assert_eq!(r.header_u64("x-total-matching-query"), 200);
    // Wait until every task has ended; along the way they are only QUEUED, RUNNING or final.
    let mut seen_active = false;
    let mut counts;
    loop {
        counts = std::collections::HashMap::<String, usize>::new();
        for chunk in ids.chunks(100) {
            let body = json!({ "task_ids": chunk }).to_string();
            let r = send(a, "POST", "/v2/bulk/tasks/get?fields=status", Some(&body)).await;
            for item in r.json()["items"].as_array().expect("items") {
                *counts
                    .entry(
                        item["resource"]["status"]
                            .as_str()
                            .expect("status")
                            .to_owned(),
                    )
                    .or_default() += 1;
            }
        }
        seen_active |= counts.contains_key("QUEUED") || counts.contains_key("RUNNING");
        assert!(
            counts
                .keys()
                .all(|k| ["QUEUED", "RUNNING", "COMPLETED", "FAILED"].contains(&k.as_str())),
            "{counts:?}"
        );
        if counts.get("COMPLETED").copied().unwrap_or(0)
            + counts.get("FAILED").copied().unwrap_or(0)
            == 200
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_active);
    assert_eq!((counts["COMPLETED"], counts["FAILED"]), (150, 50));
    // The same spec makes the same fleet: ids and outcomes, in another server.
    let s2 = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("start");
    let again = s2.spawn_fleet(spec);
    assert_eq!(again.ids, ids);
    // Over HTTP too.
    let r = try_send(
        a,
        "POST",
        "/__mock/fleet?count=3&duration_ms=10&batch_parent=true",
        Auth::None,
        None,
    )
    .await
    .expect("post");
    assert_eq!(r.status, 201);
    let f = r.json();
    assert_eq!(f["index"], 1);
    assert_eq!(f["ids"].as_array().map(Vec::len), Some(3));
    assert!(f["parent"].is_string());
}

#[tokio::test]
async fn batch_parent_counts_follow_thousands_of_children() {
    let s = unlimited().await;
    let a = s.addr();
    let fleet = s.spawn_fleet(
        FleetSpec::new(2000, Duration::from_millis(500))
            .fail_ratio(0.1)
            .batch_parent(true),
    );
    let parent = fleet.parent.clone().expect("parent");
    let path = format!("/v2/tasks/{parent}");
    let mut saw_partial = false;
    loop {
        let p = get(a, &path).await.json();
        let es = &p["execution_status"];
        let n = |k: &str| es[k].as_u64().expect(k);
        assert_eq!(
            n("queued") + n("running") + n("completed") + n("failed") + n("aborted"),
            2000,
            "{es}"
        );
        let done = n("completed") + n("failed");
        if done > 0 && done < 2000 {
            saw_partial = true;
            assert_eq!(p["status"], "RUNNING");
        }
        if done == 2000 {
            assert_eq!((n("completed"), n("failed")), (1800, 200));
            assert_eq!(p["status"], "FAILED");
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert!(saw_partial, "the counts moved one child at a time");
    let r = get(
        a,
        &format!("/v2/tasks?parent={parent}&status=FAILED&limit=1"),
    )
    .await;
    assert_eq!(r.header_u64("x-total-matching-query"), 200);
}

#[tokio::test]
async fn gzip_only_when_asked_and_decodes_to_the_same_bytes() {
    let s = unlimited().await;
    let a = s.addr();
    let fleet = s.spawn_fleet(FleetSpec::new(50, Duration::from_secs(600)));
    let body = json!({ "task_ids": fleet.ids }).to_string();
    let path = "/v2/bulk/tasks/get?fields=id,name,status,project";
    let (head, plain) = raw(a, "POST", path, "", &body).await;
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(plain.len() > 1024);
    let (head, zipped) = raw(
        a,
        "POST",
        path,
        "accept-encoding: br, gzip;q=0.8\r\n",
        &body,
    )
    .await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: accept-encoding"), "{head}");
    assert!(
        head.contains(&format!("content-length: {}", zipped.len())),
        "{head}"
    );
    assert!(zipped.len() < plain.len() / 2);
    assert_eq!(gunzip(&zipped), plain);
    // Refused with q=0, or not gzip: plain. Small answers stay plain even when asked.
    let (head, _) = raw(
        a,
        "POST",
        path,
        "accept-encoding: gzip;q=0, deflate\r\n",
        &body,
    )
    .await;
    assert!(!head.contains("content-encoding"), "{head}");
    let (head, small) = raw(a, "GET", "/v2/rate_limit", "accept-encoding: gzip\r\n", "").await;
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(serde_json::from_slice::<Value>(&small).is_ok());
    let st = s.token_stats(TOKEN).expect("stats");
    assert_eq!(st.gzip_answers, 1);
    assert_eq!(
        st.body_bytes - st.sent_bytes,
        (plain.len() - zipped.len()) as u64
    );
}

#[tokio::test]
async fn gzip_bomb_inflates_past_its_size() {
    let s = unlimited().await;
    let a = s.addr();
    let inflated = 8u64 << 20;
    s.inject(
        Fault::GzipBomb { inflated },
        Scope::RouteNext(Route::RateLimit, 1),
    );
    let (head, body) = raw(a, "GET", "/v2/rate_limit", "", "").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(body.len() < 64 * 1024, "{}", body.len());
    let out = gunzip(&body);
    assert_eq!(out.len() as u64, inflated);
    assert!(out.starts_with(b"{\"bomb\":\"aaa") && out.ends_with(b"a\"}"));
    let e = s.journal().pop().expect("entry");
    assert_eq!(
        (e.response_bytes as u64, e.sent_bytes, e.gzip),
        (inflated, body.len(), true)
    );
    // The CLI spelling.
    let spec: sbg_tasks_mock::FaultSpec = "gzip-bomb:64m@get*1".parse().expect("spec");
    assert_eq!(spec.fault, Fault::GzipBomb { inflated: 64 << 20 });
}

#[tokio::test]
async fn cli_fleet_flags_make_the_fleet_and_write_its_ids() {
    use clap::Parser;
    use sbg_tasks_mock::cli::{serve_until, MockArgs};
    let ids_file = std::env::temp_dir().join(format!("sbg-mock-fleet-{}.txt", std::process::id()));
    let args = MockArgs::try_parse_from([
        "sbg-tasks-mock",
        "--listen",
        "127.0.0.1:0",
        "--fleet",
        "30",
        "--fleet-duration",
        "1.5",
        "--fleet-fail-ratio",
        "0.5",
        "--fleet-batch",
        "--fleet-ids-out",
        ids_file.to_str().expect("path"),
    ])
    .expect("args");
    assert_eq!(args.fleet_duration, Duration::from_millis(1500));
    assert!(MockArgs::try_parse_from(["x", "--fleet-duration", "soon"]).is_err());
    let mut out = Vec::new();
    // A shutdown that is already done: the server starts, writes, announces and stops.
    serve_until(&args, &mut out, async {}).await.expect("serve");
    assert!(String::from_utf8_lossy(&out).starts_with("http://127.0.0.1:"));
    let text = std::fs::read_to_string(&ids_file).expect("ids");
    let _ = std::fs::remove_file(&ids_file);
    assert_eq!(text.lines().count(), 31, "the parent, then 30 children");
    let server = args.builder().start().await.expect("start");
    let f = &server.fleets()[0];
    assert_eq!((f.ids.len(), f.failing, f.parent.is_some()), (30, 15, true));
    assert_eq!(
        text.lines().next(),
        f.parent.as_deref(),
        "same seed, same ids"
    );
}

/// Faults and tasks over `/__mock/`: what the soak (in another process) drives the mock with,
/// the same as `MockControl::inject`, `faults`, `clear_faults` and `task`.
#[tokio::test]
async fn faults_and_tasks_are_driven_over_the_mock_endpoints() {
    let s = MockServer::builder()
        .token(TOKEN)
        .start()
        .await
        .expect("start");
    let a = s.addr();
    let id = s
        .insert_task(serde_json::json!({"name": "t", "status": "DRAFT"}))
        .expect("insert");
    let installed = post(a, "/__mock/faults?spec=503@get*2").await;
    assert_eq!(installed.status, 201, "{:?}", installed.body);
    assert_eq!(
        post(a, "/__mock/faults?spec=delay:10@list").await.status,
        201
    );
    assert_eq!(s.faults().len(), 2);
    let all = get(a, "/__mock/faults").await.json();
    assert_eq!(all["pending"], 2);
    let on_get = get(a, "/__mock/faults?route=get").await.json();
    assert_eq!(on_get["pending"], 1);
    assert!(on_get["faults"][0]["scope"]
        .as_str()
        .expect("scope")
        .contains('2'));
    assert_eq!(
        get(a, "/__mock/faults?route=bulk_get").await.json()["pending"],
        0
    );
    // The fault fires on the API, and is spent after two.
    for _ in 0..2 {
        assert_eq!(get(a, &format!("/v2/tasks/{id}")).await.status, 503);
    }
    assert_eq!(get(a, &format!("/v2/tasks/{id}")).await.status, 200);
    assert_eq!(
        get(a, "/__mock/faults?route=get").await.json()["pending"],
        0
    );
    // Bad input is a 400 naming the problem, never a fault installed.
    let bad = post(a, "/__mock/faults?spec=nonsense").await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"]
        .as_str()
        .expect("error")
        .contains("nonsense"));
    assert_eq!(post(a, "/__mock/faults").await.status, 400);
    assert_eq!(get(a, "/__mock/faults?route=nowhere").await.status, 400);
    let cleared = send(a, "DELETE", "/__mock/faults", None).await;
    assert_eq!(cleared.status, 200);
    assert!(s.faults().is_empty());
    // A task as it is, without counting a poll or a request against the window.
    let before = s.request_count();
    let t = get(a, &format!("/__mock/tasks/{id}")).await;
    assert_eq!(t.status, 200);
    assert_eq!(t.json()["status"], "DRAFT");
    assert_eq!(t.json(), s.task(&id).expect("task"));
    assert_eq!(get(a, "/__mock/tasks/nope").await.status, 404);
    assert_eq!(
        s.request_count(),
        before,
        "mock endpoints are not journaled"
    );
}

#[tokio::test]
async fn mock_endpoints_report_copies_schedule_failures_and_set_the_listing_lag() {
    let s = unlimited().await;
    let a = s.addr();
    let fleet = post(
        a,
        "/__mock/fleet?count=2&duration_ms=50&fail_ratio=0&project=u/e",
    )
    .await
    .json();
    let ids: Vec<String> = fleet["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    // Scheduled to fail: the first one ends FAILED although the fleet's ratio is 0.
    let r = post(a, &format!("/__mock/outcome?id={}&outcome=failed", ids[0])).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        post(
            a,
            "/__mock/outcome?id=00000000-0000-0000-0000-000000000000&outcome=failed"
        )
        .await
        .status,
        404
    );
    assert_eq!(
        post(a, &format!("/__mock/outcome?id={}&outcome=maybe", ids[0]))
            .await
            .status,
        400
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        get(a, &format!("/v2/tasks/{}", ids[0])).await.json()["status"],
        "FAILED"
    );
    assert_eq!(
        get(a, &format!("/v2/tasks/{}", ids[1])).await.json()["status"],
        "COMPLETED"
    );
    // Two copies of the failed one, one run; the report groups them and counts the orphan.
    let c1 = post(a, &format!("/v2/tasks/{}/actions/clone?action=run", ids[0]))
        .await
        .json();
    let c2 = post(a, &format!("/v2/tasks/{}/actions/clone", ids[0]))
        .await
        .json();
    let report = get(a, "/__mock/copies").await.json();
    assert_eq!(report["copies"], 2);
    assert_eq!(report["originals"], 1);
    assert_eq!(report["orphan_drafts"], 1);
    let group = &report["by_original"][0];
    assert_eq!(group["original"], ids[0].as_str());
    assert_eq!(group["ran"], 1);
    assert_eq!(group["copies"][0]["id"], c1["id"]);
    assert_eq!(group["copies"][1]["id"], c2["id"]);
    assert_eq!(group["copies"][1]["status"], "DRAFT");
    assert_eq!(s.copies().len(), 2);
    // Listing lag set at run time: a new task is not listed until it has passed.
    let r = post(a, "/__mock/listing_lag?secs=3600").await;
    assert_eq!(r.json()["listing_lag_ms"], 3_600_000);
    assert_eq!(post(a, "/__mock/listing_lag?secs=soon").await.status, 400);
    let c3 = post(a, &format!("/v2/tasks/{}/actions/clone", ids[1]))
        .await
        .json();
    let listed = get(a, "/v2/tasks?project=u/e&limit=100").await.json();
    let listed: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert!(listed.contains(&ids[0].as_str()));
    assert!(!listed.contains(&c3["id"].as_str().expect("id")));
    assert_eq!(
        get(a, &format!("/v2/tasks/{}", c3["id"].as_str().expect("id")))
            .await
            .status,
        200
    );
    s.set_listing_lag(Duration::ZERO);
    assert_eq!(s.platform().listing_lag(), Duration::ZERO);
}

#[test]
fn cli_lag_and_skew_flags_reach_the_config() {
    use clap::Parser;
    use sbg_tasks_mock::cli::MockArgs;
    let args = MockArgs::try_parse_from(["x", "--listing-lag", "30", "--clock-skew", "-5.5"])
        .expect("args");
    assert_eq!(args.listing_lag, Duration::from_secs(30));
    let dbg = format!("{:?}", args.builder().config());
    assert!(dbg.contains("clock_skew_ms: -5500"), "{dbg}");
    assert!(dbg.contains("listing_lag: 30s"), "{dbg}");
    assert!(MockArgs::try_parse_from(["x", "--listing-lag", "soon"]).is_err());
    assert!(MockArgs::try_parse_from(["x", "--clock-skew", "ahead"]).is_err());
}

#[tokio::test]
async fn a_clone_whose_answer_is_lost_is_journaled_with_its_original_and_copy() {
    let s = unlimited().await;
    let a = s.addr();
    let fleet = post(a, "/__mock/fleet?count=1&duration_ms=10&project=u/j")
        .await
        .json();
    let original = fleet["ids"][0].as_str().expect("id").to_owned();
    // The platform makes the copy, then the connection drops before the answer is sent.
    s.inject(Fault::DropAfterRead, Scope::RouteNext(Route::CloneTask, 1));
    let lost = try_send(
        a,
        "POST",
        &format!("/v2/tasks/{original}/actions/clone"),
        Auth::X(TOKEN),
        None,
    )
    .await;
    assert!(lost.is_err(), "the answer was dropped");
    let copies = s.copies();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].original, original);
    let entry = s
        .journal()
        .into_iter()
        .find(|e| e.route == Route::CloneTask)
        .expect("clone journaled");
    assert_eq!(entry.copy_of.as_deref(), Some(original.as_str()));
    assert_eq!(entry.copy.as_deref(), Some(copies[0].id.as_str()));
    let over_http = get(a, "/__mock/journal").await.json();
    let e = over_http["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["copy"].is_string())
        .expect("clone entry")
        .clone();
    assert_eq!(e["copy_of"], original.as_str());
}
