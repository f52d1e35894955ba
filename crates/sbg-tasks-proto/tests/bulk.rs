//! Getting many tasks at once (`POST /v2/bulk/tasks/get`): the exact request, at most 100 ids
//! a request, one item per id in the order asked, typed errors for answers that cannot be
//! matched to the ids, one unusable entry costing only itself, and the clients' `bulk_get`
//! splitting any number of ids and retrying each request like a read.

mod support;
use support::*;

use std::collections::HashSet;

use proptest::prelude::*;
use serde_json::{json, Value};

use sbg_tasks_proto::decode::DecodeError;
use sbg_tasks_proto::endpoints::{BulkItemError, CallKind, RequestBuildError, MAX_BULK_IDS};
use sbg_tasks_proto::model::CoercionKind;
use sbg_tasks_proto::{BulkGetTasks, Endpoint, ResponseError};

fn ids(names: &[&str]) -> Vec<TaskId> {
    names.iter().map(|n| n.parse().unwrap()).collect()
}

/// `n` distinct UUID-shaped ids.
fn uuids(n: usize) -> Vec<TaskId> {
    (0..n)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}").parse().unwrap())
        .collect()
}

fn items(entries: &[Value]) -> String {
    json!({ "items": entries }).to_string()
}

fn found(id: &str) -> Value {
    json!({"resource": {"id": id, "status": "COMPLETED", "name": format!("task {id}")}})
}

fn missing(status: u16, code: u32) -> Value {
    json!({"error": {"status": status, "code": code, "message": "scripted",
                     "more_info": "https://docs.sevenbridges.com/docs/errors-codes"}})
}

fn response(body: &str, headers: &[(&str, &str)]) -> Response<Vec<u8>> {
    let mut b = Response::builder().status(200);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn decode_error(call: &BulkGetTasks, body: &str, decoding: &Decoding) -> DecodeError {
    match call.parse_response(&response(body, &[]), decoding) {
        Err(ResponseError::Decode { error, .. }) => error,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_request_is_a_post_with_the_ids_in_order_and_exact_headers() {
    let call = BulkGetTasks::new(ids(&["t1", "t2", "t1", ID]));
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), "POST");
    assert_eq!(
        req.uri().to_string(),
        "http://127.0.0.1:9/v2/bulk/tasks/get"
    );
    assert_eq!(
        req.body().as_slice(),
        format!(r#"{{"task_ids":["t1","t2","t1","{ID}"]}}"#).as_bytes()
    );
    let h = req.headers();
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["content-length"], req.body().len().to_string().as_str());
    assert_eq!(h["x-sbg-auth-token"], TOKEN);
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h.len(), 6, "{h:?}");
    // No ids: an empty list, still a valid request.
    let req = BulkGetTasks::new(vec![])
        .prepare_request(&config())
        .unwrap();
    assert_eq!(req.body().as_slice(), br#"{"task_ids":[]}"#);
}

#[test]
fn a_request_carries_at_most_a_hundred_ids() {
    assert_eq!(MAX_BULK_IDS, 100);
    let req = BulkGetTasks::new(uuids(100))
        .prepare_request(&config())
        .unwrap();
    let sent: Value = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(sent["task_ids"].as_array().unwrap().len(), 100);
    match BulkGetTasks::new(uuids(101)).prepare_request(&config()) {
        Err(RequestBuildError::Invalid { reason }) => assert!(reason.contains("100"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn batches_are_chunks_of_a_hundred_in_order() {
    for (n, sizes) in [
        (0, vec![]),
        (1, vec![1]),
        (99, vec![99]),
        (100, vec![100]),
        (101, vec![100, 1]),
        (250, vec![100, 100, 50]),
    ] {
        let all = uuids(n);
        let batches: Vec<BulkGetTasks> = BulkGetTasks::batches(&all).collect();
        assert_eq!(
            batches.iter().map(|b| b.ids().len()).collect::<Vec<_>>(),
            sizes,
            "{n}"
        );
        let joined: Vec<TaskId> = batches.iter().flat_map(|b| b.ids().to_vec()).collect();
        assert_eq!(joined, all);
    }
}

#[test]
fn items_are_tasks_or_errors_in_order_and_errors_carry_the_answers_meta() {
    let call = BulkGetTasks::new(ids(&["t1", "nope", "t1", "not-a-uuid"]));
    let body = items(&[
        found("t1"),
        missing(404, 7002),
        found("t1"),
        missing(400, 7005),
    ]);
    let answer = call
        .parse_response(
            &response(
                &body,
                &[
                    ("x-request-id", "req-42"),
                    ("x-ratelimit-limit", "1000"),
                    ("x-ratelimit-remaining", "917"),
                    ("x-ratelimit-reset", "1700000300"),
                ],
            ),
            &Decoding::Strict,
        )
        .unwrap();
    let items = &answer.value.items;
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].as_ref().unwrap().id.as_deref(), Some("t1"));
    assert_eq!(items[2].as_ref().unwrap().id.as_deref(), Some("t1"));
    for (i, (status, code)) in [(1, (404, 7002)), (3, (400, 7005))] {
        let e = items[i].as_ref().unwrap_err();
        assert_eq!(e.status(), Some(status));
        let api = e.api().unwrap();
        assert_eq!(api.code.map(|c| c.as_i64()), Some(code));
        assert_eq!(api.message.as_deref(), Some("scripted"));
        assert!(api.more_info.as_deref().unwrap().contains("errors-codes"));
        assert_eq!(api.meta.request_id.as_deref(), Some("req-42"));
        assert_eq!(api.meta.rate_limit.unwrap().remaining, 917);
        assert_eq!(api.meta.status, 200);
    }
    assert_eq!(
        answer
            .value
            .tasks()
            .map(|t| t.id.clone().unwrap())
            .collect::<Vec<_>>(),
        ["t1", "t1"]
    );
    let pages = &answer.value.pages;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].meta.request_id.as_deref(), Some("req-42"));
    assert!(pages[0].report.is_clean());
}

#[test]
fn an_answer_with_another_number_of_entries_is_an_entry_count_error() {
    let call = BulkGetTasks::new(ids(&["t1", "t2"]));
    for decoding in [Decoding::Strict, Decoding::default()] {
        for (body, answered) in [
            (items(&[found("t1")]), 1),
            (items(&[found("t1"), found("t2"), found("t3")]), 3),
            (items(&[]), 0),
            ("{}".to_owned(), 0),
        ] {
            assert_eq!(
                decode_error(&call, &body, &decoding),
                DecodeError::EntryCount { sent: 2, answered },
                "{body}"
            );
        }
    }
    // No ids and no entries is a match.
    let none = BulkGetTasks::new(vec![]);
    let answer = none
        .parse_response(&response(r#"{"items":[]}"#, &[]), &Decoding::Strict)
        .unwrap();
    assert!(answer.value.items.is_empty());
}

#[test]
fn a_task_at_the_wrong_place_is_an_entry_mismatch() {
    let call = BulkGetTasks::new(ids(&["t1", "t2", "t3"]));
    let body = items(&[found("t1"), found("t3"), found("t2")]);
    let e = decode_error(&call, &body, &Decoding::default());
    assert_eq!(
        e,
        DecodeError::EntryMismatch {
            index: 1,
            asked: "t2".into(),
            answered: "t3".into()
        }
    );
    assert!(e.to_string().contains("bulk entry 1"), "{e}");
    // A task without an id is taken as the one asked there.
    let body = items(&[
        found("t1"),
        json!({"resource": {"status": "DRAFT"}}),
        found("t3"),
    ]);
    let answer = call
        .parse_response(&response(&body, &[]), &Decoding::Strict)
        .unwrap();
    assert_eq!(answer.value.items.len(), 3);
}

#[test]
fn an_unusable_entry_costs_only_itself() {
    let call = BulkGetTasks::new(ids(&["t1", "t2", "t3", "t4", "t5"]));
    let body = items(&[
        json!("t1"),
        found("t2"),
        json!({}),
        json!({"resource": {"id": "t4"}, "error": {"status": 404}}),
        json!([1, 2]),
    ]);
    let answer = call
        .parse_response(&response(&body, &[]), &Decoding::default())
        .unwrap();
    let results: Vec<_> = answer.value.items.iter().collect();
    let unusable = |r: &Result<_, BulkItemError>| match r {
        Err(BulkItemError::Unusable { found }) => *found,
        other => panic!("{other:?}"),
    };
    assert_eq!(unusable(results[0]), "a string");
    assert_eq!(results[1].as_ref().unwrap().id.as_deref(), Some("t2"));
    assert!(unusable(results[2]).contains("neither"));
    assert!(unusable(results[3]).contains("both"));
    assert_eq!(unusable(results[4]), "an array");
    let e = results[0].as_ref().unwrap_err();
    assert_eq!(e.status(), None);
    assert!(e.api().is_none());
    assert!(e.to_string().contains("a string"), "{e}");
    // Strictly, an entry that is not an object fails the whole answer (it says where).
    let e = decode_error(&call, &body, &Decoding::Strict);
    assert!(matches!(e, DecodeError::Shape { .. }), "{e:?}");
    // ... but `{}` alone is valid JSON of the entry's type: only that item is unusable.
    let body = items(&[
        found("t1"),
        json!({}),
        found("t3"),
        found("t4"),
        found("t5"),
    ]);
    let answer = call
        .parse_response(&response(&body, &[]), &Decoding::Strict)
        .unwrap();
    assert_eq!(answer.value.tasks().count(), 4);
    assert!(matches!(
        answer.value.items[1],
        Err(BulkItemError::Unusable { .. })
    ));
}

#[test]
fn coercions_are_reported_on_the_page_with_pointers_to_their_item() {
    // 13 ids, so that a pointer names a two-digit item ("/items/12").
    let names: Vec<String> = (0..13).map(|i| format!("t{i}")).collect();
    let call = BulkGetTasks::new(names.iter().map(|n| n.parse().unwrap()).collect());
    let mut entries: Vec<Value> = names.iter().map(|n| found(n)).collect();
    entries[2] = json!({"resource": {"id": "t2", "status": "RUNNING",
                                     "execution_status": {"duration": "123456"}}});
    entries[12] = json!({"resource": {"id": "t12", "execution_status": {"steps_total": "4"}}});
    let answer = call
        .parse_response(&response(&items(&entries), &[]), &Decoding::default())
        .unwrap();
    let task = answer.value.items[2].as_ref().unwrap();
    assert_eq!(
        task.execution_status.as_ref().unwrap().duration,
        Some(123_456)
    );
    assert_eq!(
        answer.value.pages[0].report.coercions[0].kind,
        CoercionKind::StringToNumber
    );
    // The page's report has them with pointers into the whole body, each under its item.
    let pointers: Vec<&str> = answer.value.pages[0]
        .report
        .coercions
        .iter()
        .map(|c| c.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/items/2/resource/execution_status/duration",
            "/items/12/resource/execution_status/steps_total"
        ]
    );
    // Strictly, the quoted number fails the answer.
    let e = decode_error(&call, &items(&entries), &Decoding::Strict);
    assert!(matches!(e, DecodeError::Shape { .. }), "{e:?}");
}

// ---- The clients' bulk_get. ----

/// A bulk answer finding every id of `req`'s body.
fn all_found(req: &Request<Vec<u8>>) -> Outcome {
    let sent = body_json(req);
    let entries: Vec<Value> = sent["task_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| found(i.as_str().unwrap()))
        .collect();
    answer(200, &[], &items(&entries))
}

#[test]
fn bulk_get_sends_one_request_per_hundred_ids_and_none_for_none() {
    let env = env();
    let script = Script::new(vec![]);
    let none = client(&script, &env).bulk_get(&[]).unwrap();
    assert!(none.items.is_empty() && none.pages.is_empty());
    assert!(script.requests().is_empty());

    let all = uuids(250);
    let sent = Mutex::new(Vec::new());
    let c = BlockingClient::with_env(
        config(),
        |req: Request<Vec<u8>>| {
            let out = all_found(&req);
            sent.lock().unwrap().push(body_json(&req));
            out
        },
        &env,
    );
    let got = c.bulk_get(&all).unwrap();
    let sent = sent.into_inner().unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0]["task_ids"][0], all[0].as_str());
    assert_eq!(sent[1]["task_ids"][0], all[100].as_str());
    assert_eq!(sent[2]["task_ids"].as_array().unwrap().len(), 50);
    assert_eq!(got.items.len(), 250);
    assert_eq!(got.pages.len(), 3);
    for (item, asked) in got.items.iter().zip(&all) {
        assert_eq!(item.as_ref().unwrap().id.as_deref(), Some(asked.as_str()));
    }
}

#[test]
fn bulk_get_retries_a_request_like_a_get_and_a_failed_request_fails_the_call() {
    let two = uuids(2);
    let ok = items(&[found(two[0].as_str()), found(two[1].as_str())]);
    let script = Script::new(vec![
        error(503, 0),
        failure(TransportErrorKind::Io), // a reset after the request was written
        failure(TransportErrorKind::Timeout),
        answer(200, &[], &ok),
    ]);
    let env = env();
    let got = client(&script, &env).bulk_get(&two).unwrap();
    assert_eq!(got.tasks().count(), 2);
    assert_eq!(script.requests().len(), 4);
    // Every attempt sent the same ids.
    let bodies = script.bodies();
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    assert_eq!(env.sleeps(), [500, 1000, 2000].map(Duration::from_millis));

    // A second chunk that fails for good fails the call (no half answer).
    let all = uuids(150);
    let first: Vec<Value> = all[..100].iter().map(|i| found(i.as_str())).collect();
    let script = Script::new(vec![answer(200, &[], &items(&first)), error(403, 9100)]);
    let env = self::env();
    let e = client(&script, &env).bulk_get(&all).unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 403),
        "{e:?}"
    );
    assert_eq!(script.requests().len(), 2);
    // An answer that cannot be matched to the ids is a decode error of the call.
    let script = Script::new(vec![answer(200, &[], &items(&[found(two[0].as_str())]))]);
    let env = self::env();
    let e = client(&script, &env).bulk_get(&two).unwrap_err();
    assert!(
        matches!(
            &e,
            ClientError::Response(ResponseError::Decode {
                error: DecodeError::EntryCount {
                    sent: 2,
                    answered: 1
                },
                ..
            })
        ),
        "{e:?}"
    );
}

#[test]
fn the_async_bulk_get_splits_and_retries_the_same_way() {
    let all = uuids(101);
    let calls = Mutex::new(0u32);
    let env = env();
    let transport = |req: Request<Vec<u8>>| {
        let n = {
            let mut c = calls.lock().unwrap();
            *c += 1;
            *c
        };
        // The first attempt of the first request is reset after it was written.
        let out = if n == 1 {
            failure(TransportErrorKind::Io)
        } else {
            all_found(&req)
        };
        async move { out }
    };
    let c = AsyncClient::with_env(config(), transport, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0));
    let got = block_on(assert_send(c.bulk_get(&all))).unwrap();
    assert_eq!(got.items.len(), 101);
    assert_eq!(got.pages.len(), 2);
    assert_eq!(*calls.lock().unwrap(), 3);
    assert_eq!(env.sleeps(), [Duration::from_millis(500)]);
}

// ---- Property: results align with the ids, ceil(n/100) requests. ----

#[derive(Debug, Clone)]
enum Pick {
    Known(usize),
    Unknown(usize),
    Malformed(usize),
    /// Repeats the id at this place (modulo the ids so far).
    Repeat(usize),
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        4 => (0..50usize).prop_map(Pick::Known),
        2 => (0..50usize).prop_map(Pick::Unknown),
        1 => (0..50usize).prop_map(Pick::Malformed),
        2 => any::<usize>().prop_map(Pick::Repeat),
    ]
}

fn known(i: usize) -> String {
    format!("11111111-0000-4000-8000-{i:012}")
}

/// The platform's answer to one bulk request, from a model: the known tasks are found,
/// unknown UUIDs are 404/7002, anything else is 400/7005.
fn platform(req: &Request<Vec<u8>>, known_ids: &HashSet<String>) -> Outcome {
    assert_eq!(req.uri().path(), "/v2/bulk/tasks/get");
    let sent = body_json(req);
    let ids = sent["task_ids"].as_array().unwrap();
    assert!(ids.len() <= 100, "{} ids in one request", ids.len());
    let entries: Vec<Value> = ids
        .iter()
        .map(|id| {
            let id = id.as_str().unwrap();
            if known_ids.contains(id) {
                found(id)
            } else if id.len() == 36 && id.matches('-').count() == 4 {
                missing(404, 7002)
            } else {
                missing(400, 7005)
            }
        })
        .collect();
    answer(200, &[], &items(&entries))
}

fn check_alignment(picks: &[Pick]) -> Result<(), TestCaseError> {
    let known_ids: HashSet<String> = (0..50).map(known).collect();
    let mut asked: Vec<String> = Vec::new();
    for p in picks {
        let id = match p {
            Pick::Known(i) => known(*i),
            Pick::Unknown(i) => format!("22222222-0000-4000-8000-{i:012}"),
            Pick::Malformed(i) => format!("not-a-uuid-{i}"),
            Pick::Repeat(i) if !asked.is_empty() => asked[i % asked.len()].clone(),
            Pick::Repeat(i) => known(i % 50),
        };
        asked.push(id);
    }
    let ids: Vec<TaskId> = asked.iter().map(|s| s.parse().unwrap()).collect();
    let requests = Mutex::new(0usize);
    let env = env();
    let c = BlockingClient::with_env(
        config(),
        |req: Request<Vec<u8>>| {
            *requests.lock().unwrap() += 1;
            platform(&req, &known_ids)
        },
        &env,
    );
    let got = c.bulk_get(&ids).unwrap();
    prop_assert_eq!(*requests.lock().unwrap(), ids.len().div_ceil(100));
    prop_assert_eq!(got.pages.len(), ids.len().div_ceil(100));
    prop_assert_eq!(got.items.len(), ids.len());
    for (i, (item, id)) in got.items.iter().zip(&asked).enumerate() {
        match item {
            Ok(task) => {
                prop_assert!(known_ids.contains(id), "item {} found unknown {}", i, id);
                prop_assert_eq!(task.id.as_deref(), Some(id.as_str()));
                prop_assert_eq!(task.name.clone(), Some(format!("task {id}")));
            }
            Err(e) => {
                prop_assert!(!known_ids.contains(id), "item {} lost known {}", i, id);
                let code = e.api().unwrap().code.map(|c| c.as_i64());
                let expected = if id.starts_with("22222222") {
                    7002
                } else {
                    7005
                };
                prop_assert_eq!(code, Some(expected), "item {} ({})", i, id);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn bulk_get_results_align_with_the_ids(picks in proptest::collection::vec(pick(), 0..320)) {
        check_alignment(&picks)?;
    }
}

#[test]
fn bulk_get_aligns_at_the_chunk_edges() {
    for n in [0usize, 1, 99, 100, 101, 250] {
        let picks: Vec<Pick> = (0..n)
            .map(|i| match i % 4 {
                0 => Pick::Known(i % 50),
                1 => Pick::Unknown(i % 50),
                2 => Pick::Malformed(i % 50),
                _ => Pick::Repeat(i * 7),
            })
            .collect();
        check_alignment(&picks).unwrap_or_else(|e| panic!("n = {n}: {e}"));
    }
}
