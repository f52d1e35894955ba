//! Bulk get (`POST /v2/bulk/tasks/get`): the request `BulkGetTasks` builds for any ids, how
//! it splits them, and how `BulkGetTasks::parse_response` reads any answer.
//!
//! Input: raw, `STATUS ID ID ...` on the first line and the body after it (an id the
//! `TaskId` rules refuse is left out; no number means 200); or, after a first byte
//! 0xC0..=0xFF, a structure-aware answer: ids (valid, malformed-looking, repeated), one entry
//! per id (a task with the id asked, another id or none; an error; both; neither; not an
//! object), sometimes one entry too few or too many, `items` of another shape, and injected
//! syntax defects.
//!
//! Properties, for any answer and both decodings: no panic; a non-2xx status is an API error
//! with that status; on success exactly one item per id, in order; a task item has the id
//! asked at its place or none; an item error carries the answer's metadata; the page is the
//! answer's metadata and report (its coercions point into the whole body); a strict
//! success is clean; every task re-encodes and decodes to itself; a count or id mismatch
//! names the ids sent. For generated answers the outcome is the one the entries call for, and
//! injected defects change nothing but the repair report. For the ids: ≤ 100 build a POST
//! whose body is exactly `{"task_ids":[...]}` in order, more are `RequestBuildError::Invalid`;
//! `batches` covers every id once, in order, in chunks of 1..=100.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sbg_tasks_fuzz::{ArbJson, ArbTask, DefectWriter};
use sbg_tasks_proto::decode::decode;
use sbg_tasks_proto::http::{HeaderMap, HeaderValue, StatusCode};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{Answer, AuthToken, BulkGetTasks, Config, Decoding, Endpoint, ErrorCode, Platform, ResponseError, TaskId};
use sbg_tasks_proto::decode::DecodeError;
use sbg_tasks_proto::endpoints::{BulkItemError, BulkTasks, RequestBuildError, MAX_BULK_IDS};
use serde_json::{json, Value};

/// Ids the generator picks from: UUIDs as the platform makes them, and ids it would call
/// malformed but that are valid in a URL.
const IDS: &[&str] = &[
    "08c5ce64-1551-4b7d-b054-63a1517bc7bb",
    "7b8d0f41-2f1e-4b7f-9d5c-2a1e4c6b9f10",
    "c6d7a1b2-0000-4000-8000-000000000001",
    "t1",
    "t2",
    "not-a-task",
    "x.y~z",
    "00000000-0000-0000-0000-000000000000",
];

fn config() -> Config {
    Config::new(Platform::SevenBridges, AuthToken::new("token").unwrap())
}

/// The request and the batches for `ids`.
fn check_request(ids: &[TaskId]) {
    let call = BulkGetTasks::new(ids.to_vec());
    assert_eq!(call.ids(), ids);
    match call.prepare_request(&config()) {
        Ok(req) => {
            assert!(
                ids.len() <= MAX_BULK_IDS,
                "{} ids built one request",
                ids.len()
            );
            assert_eq!(req.method(), "POST");
            assert_eq!(req.uri().path(), "/v2/bulk/tasks/get");
            assert_eq!(req.uri().query(), None);
            let strs: Vec<&str> = ids.iter().map(TaskId::as_str).collect();
            let want = serde_json::to_vec(&json!({ "task_ids": strs })).unwrap();
            assert_eq!(
                req.body(),
                &want,
                "body {}",
                String::from_utf8_lossy(req.body())
            );
            let back: Value = serde_json::from_slice(req.body()).expect("JSON body");
            let back = back.as_object().expect("an object");
            assert_eq!(back.len(), 1);
            let sent: Vec<&str> = back["task_ids"]
                .as_array()
                .expect("task_ids is an array")
                .iter()
                .map(|v| v.as_str().expect("ids are strings"))
                .collect();
            assert_eq!(sent, strs);
        }
        Err(RequestBuildError::Invalid { reason }) => {
            assert!(
                ids.len() > MAX_BULK_IDS,
                "{} ids refused: {reason}",
                ids.len()
            );
        }
        Err(e) => panic!("{} ids: {e:?}", ids.len()),
    }
    let batches: Vec<BulkGetTasks> = BulkGetTasks::batches(ids).collect();
    assert_eq!(batches.len(), ids.len().div_ceil(MAX_BULK_IDS));
    let mut covered = Vec::new();
    for b in &batches {
        assert!(
            (1..=MAX_BULK_IDS).contains(&b.ids().len()),
            "a batch of {}",
            b.ids().len()
        );
        assert!(
            b.prepare_request(&config()).is_ok(),
            "a batch does not build"
        );
        covered.extend_from_slice(b.ids());
    }
    assert_eq!(covered, ids, "batches do not cover the ids in order");
}

/// Parses and checks what every answer must keep.
fn check_answer(
    ids: &[TaskId],
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    decoding: &Decoding,
) -> Result<Answer<BulkTasks>, ResponseError> {
    let call = BulkGetTasks::new(ids.to_vec());
    let result = call.parse_parts(status, headers, body, decoding);
    match &result {
        Ok(a) => {
            assert!(status.is_success(), "a {status} answer gave a value");
            assert_eq!(a.meta.status, status.as_u16());
            let strict = matches!(decoding, Decoding::Strict);
            if strict {
                assert!(a.report.is_clean(), "strict decoding reported {}", a.report);
            }
            assert_eq!(
                a.value.items.len(),
                ids.len(),
                "{} items for {} ids",
                a.value.items.len(),
                ids.len()
            );
            assert_eq!(a.value.pages.len(), 1, "one page per answer");
            assert_eq!(a.value.pages[0].meta, a.meta);
            assert_eq!(a.value.pages[0].report, a.report);
            for (i, (item, asked)) in a.value.items.iter().zip(ids).enumerate() {
                match item {
                    Ok(task) => {
                        if let Some(id) = &task.id {
                            assert_eq!(id, asked.as_str(), "item {i} is another task");
                        }
                        let again = serde_json::to_vec(task).expect("a task encodes");
                        let back = decode::<Task>(&again, &Decoding::default())
                            .expect("a re-encoded task decodes");
                        assert_eq!(&back.value, task, "item {i} changed through encode/decode");
                    }
                    Err(e) => {
                        let _ = e.to_string();
                        if let BulkItemError::Api(api) = e {
                            assert_eq!(api.meta, a.meta, "item {i} lost the answer's metadata");
                            assert_eq!(e.status(), Some(api.status));
                        } else {
                            assert_eq!(e.status(), None);
                        }
                    }
                }
            }
            assert_eq!(
                a.value.tasks().count(),
                a.value.items.iter().filter(|i| i.is_ok()).count()
            );
        }
        Err(ResponseError::Api(e)) => {
            assert!(!status.is_success(), "a {status} answer was an API error");
            assert_eq!(e.status, status.as_u16());
        }
        Err(ResponseError::Decode {
            status: s,
            meta,
            error,
        }) => {
            assert!(status.is_success());
            assert_eq!(*s, status.as_u16());
            assert_eq!(meta.status, *s);
            match error {
                DecodeError::EntryCount { sent, answered } => {
                    assert_eq!(*sent, ids.len());
                    assert_ne!(sent, answered);
                }
                DecodeError::EntryMismatch {
                    index,
                    asked,
                    answered,
                } => {
                    assert!(*index < ids.len());
                    assert_eq!(asked, ids[*index].as_str());
                    assert_ne!(asked, answered);
                }
                _ => {}
            }
        }
        Err(_) => {}
    }
    if let Err(e) = &result {
        let _ = e.to_string();
        let _ = e.meta();
    }
    result
}

// --- structure-aware answers ------------------------------------------------------------------

#[derive(Debug, Arbitrary)]
enum IdPick {
    Known(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum IdAt {
    /// The id asked at this place.
    Asked,
    /// No `id` member.
    Absent,
    /// Another one of `IDS`.
    Other(u8),
}

#[derive(Debug, Arbitrary)]
enum Entry {
    Task {
        id: IdAt,
        task: Option<Box<ArbTask>>,
    },
    Error {
        status: Option<u16>,
        code: Option<i64>,
        message: Option<String>,
        more_info: Option<String>,
    },
    Both,
    Neither,
    /// Not an object (an object is put in an array).
    Other(ArbJson),
}

#[derive(Debug, Arbitrary)]
struct Generated {
    /// 0..=3: 200; else `% 600` (an invalid status skips the answer).
    status: u16,
    request_id: Option<u8>,
    ids: Vec<IdPick>,
    /// The ids are sent `1 + copies % 4` times over, for the request checks only.
    copies: u8,
    entries: Vec<Entry>,
    /// 0: one entry per id; 1: one too few; 2: one too many.
    count: u8,
    /// 0, 1: `items` a list; 2: absent; 3: `null`; 4: an object.
    items_shape: u8,
    pretty: bool,
    defect_rate: u8,
    defects: Vec<u8>,
}

/// What a clean generated 2xx answer must give.
#[derive(Debug)]
enum Expect {
    Items(Vec<ItemExpect>),
    Count {
        answered: usize,
    },
    Mismatch {
        index: usize,
        answered: String,
    },
    /// Strict decoding must refuse it (an entry that is not an object, `items` not a list).
    StrictRefuses,
}

#[derive(Debug)]
enum ItemExpect {
    Task {
        id: Option<String>,
    },
    Error {
        status: u16,
        code: Option<i64>,
        message: Option<String>,
        more_info: Option<String>,
    },
    Unusable,
}

fn build_answer(g: &Generated, ids: &[TaskId]) -> (Value, Expect, Expect) {
    let mut items = Vec::new();
    let mut expect = Vec::new();
    let mut mismatch = None;
    // An entry that is not an object makes strict decoding refuse a listed `items`.
    let mut other_entry = false;
    let n = match g.count % 3 {
        0 => ids.len(),
        1 => ids.len().saturating_sub(1),
        _ => ids.len() + 1,
    };
    for i in 0..n {
        let asked = ids.get(i).map_or("extra", TaskId::as_str);
        let default = Entry::Error {
            status: Some(404),
            code: Some(7002),
            message: Some(format!("Task {asked} does not exist.")),
            more_info: None,
        };
        let entry = g.entries.get(i).unwrap_or(&default);
        let (v, e) = match entry {
            Entry::Task { id, task } => {
                let mut t = match task {
                    Some(t) => t.to_value(),
                    None => json!({"name": "n", "status": "RUNNING"}),
                };
                let obj = t.as_object_mut().expect("a task is an object");
                obj.shift_remove("id");
                let id = match id {
                    IdAt::Asked => Some(asked.to_owned()),
                    IdAt::Absent => None,
                    IdAt::Other(k) => Some(IDS[usize::from(*k) % IDS.len()].to_owned()),
                };
                if let Some(id) = &id {
                    obj.insert("id".into(), id.clone().into());
                    if id != asked && mismatch.is_none() && i < ids.len() {
                        mismatch = Some((i, id.clone()));
                    }
                }
                (json!({ "resource": t }), ItemExpect::Task { id })
            }
            Entry::Error {
                status,
                code,
                message,
                more_info,
            } => {
                let mut o = serde_json::Map::new();
                if let Some(s) = status {
                    o.insert("status".into(), (*s).into());
                }
                if let Some(c) = code {
                    o.insert("code".into(), (*c).into());
                }
                if let Some(m) = message {
                    o.insert("message".into(), m.clone().into());
                }
                if let Some(m) = more_info {
                    o.insert("more_info".into(), m.clone().into());
                }
                (
                    json!({ "error": o }),
                    ItemExpect::Error {
                        status: status.unwrap_or(0),
                        code: *code,
                        message: message.clone(),
                        more_info: more_info.clone(),
                    },
                )
            }
            Entry::Both => (
                json!({"resource": {"id": asked}, "error": {"status": 404, "code": 7002}}),
                ItemExpect::Unusable,
            ),
            Entry::Neither => (json!({"href": "x"}), ItemExpect::Unusable),
            Entry::Other(v) => {
                other_entry = true;
                let v = if v.0.is_object() {
                    Value::Array(vec![v.0.clone()])
                } else {
                    v.0.clone()
                };
                (v, ItemExpect::Unusable)
            }
        };
        items.push(v);
        expect.push(e);
    }
    let (body, listed, strict_refuses) = match g.items_shape % 5 {
        0 | 1 => (json!({ "items": items }), true, other_entry),
        2 => (json!({}), false, false),
        3 => (json!({ "items": null }), false, false),
        _ => (json!({ "items": {"id": "t1"} }), false, true),
    };
    let lenient = if !listed {
        if ids.is_empty() {
            Expect::Items(Vec::new())
        } else {
            Expect::Count { answered: 0 }
        }
    } else if n != ids.len() {
        Expect::Count { answered: n }
    } else if let Some((index, answered)) = mismatch {
        Expect::Mismatch { index, answered }
    } else {
        Expect::Items(expect)
    };
    let strict = if strict_refuses {
        Expect::StrictRefuses
    } else {
        match &lenient {
            Expect::Items(_) => Expect::Items(Vec::new()), // checked against the lenient items
            Expect::Count { answered } => Expect::Count {
                answered: *answered,
            },
            Expect::Mismatch { index, answered } => Expect::Mismatch {
                index: *index,
                answered: answered.clone(),
            },
            Expect::StrictRefuses => unreachable!(),
        }
    };
    (body, lenient, strict)
}

fn check_expect(result: &Result<Answer<BulkTasks>, ResponseError>, expect: &Expect, what: &str) {
    match (expect, result) {
        (Expect::Items(want), Ok(a)) => {
            for (i, (w, item)) in want.iter().zip(&a.value.items).enumerate() {
                match (w, item) {
                    (ItemExpect::Task { id }, Ok(t)) => assert_eq!(&t.id, id, "{what}: item {i}"),
                    (
                        ItemExpect::Error {
                            status,
                            code,
                            message,
                            more_info,
                        },
                        Err(BulkItemError::Api(e)),
                    ) => {
                        assert_eq!(e.status, *status, "{what}: item {i} status");
                        assert_eq!(
                            e.code,
                            code.map(ErrorCode::from_i64),
                            "{what}: item {i} code"
                        );
                        assert_eq!(&e.message, message, "{what}: item {i}");
                        assert_eq!(&e.more_info, more_info, "{what}: item {i}");
                    }
                    (ItemExpect::Unusable, Err(BulkItemError::Unusable { .. })) => {}
                    (w, got) => panic!("{what}: item {i}: expected {w:?}, got {got:?}"),
                }
            }
        }
        (
            Expect::Count { answered },
            Err(ResponseError::Decode {
                error: DecodeError::EntryCount { answered: a, .. },
                ..
            }),
        ) => assert_eq!(a, answered, "{what}"),
        (
            Expect::Mismatch { index, answered },
            Err(ResponseError::Decode {
                error:
                    DecodeError::EntryMismatch {
                        index: i,
                        answered: a,
                        ..
                    },
                ..
            }),
        ) => {
            assert_eq!(i, index, "{what}");
            assert_eq!(a, answered, "{what}");
        }
        (
            Expect::StrictRefuses,
            Err(ResponseError::Decode {
                error: DecodeError::Shape { .. },
                ..
            }),
        ) => {}
        (e, got) => panic!("{what}: expected {e:?}, got {got:?}"),
    }
}

fn generated(rest: &[u8]) {
    let mut u = Unstructured::new(rest);
    let Ok(g) = Generated::arbitrary(&mut u) else {
        return;
    };
    let ids: Vec<TaskId> = g
        .ids
        .iter()
        .take(40)
        .filter_map(|p| match p {
            IdPick::Known(k) => TaskId::new(IDS[usize::from(*k) % IDS.len()]).ok(),
            IdPick::Raw(s) => TaskId::new(s.clone()).ok(),
        })
        .collect();
    let all: Vec<TaskId> = ids
        .iter()
        .cycle()
        .take(ids.len() * (1 + usize::from(g.copies % 4)))
        .cloned()
        .collect();
    check_request(&all);

    let status = if g.status <= 3 { 200 } else { g.status % 600 };
    let Ok(status) = StatusCode::from_u16(status) else {
        return;
    };
    let mut headers = HeaderMap::new();
    if let Some(r) = g.request_id {
        headers.insert("x-request-id", HeaderValue::from(u16::from(r)));
    }
    let (value, lenient_expect, strict_expect) = build_answer(&g, &ids);
    let body = if g.pretty {
        serde_json::to_vec_pretty(&value).unwrap()
    } else {
        serde_json::to_vec(&value).unwrap()
    };
    let lenient = Decoding::default();
    let l = check_answer(&ids, status, &headers, &body, &lenient);
    let s = check_answer(&ids, status, &headers, &body, &Decoding::Strict);
    if !status.is_success() {
        return;
    }
    check_expect(&l, &lenient_expect, "lenient");
    check_expect(&s, &strict_expect, "strict");
    if let (Ok(l), Ok(s)) = (&l, &s) {
        assert_eq!(l.value.items, s.value.items, "strict and lenient differ");
        assert!(l.report.is_clean());
    }

    // The same answer with injected syntax defects: the same outcome, repairs aside.
    let (defective, applied) =
        DefectWriter::new(&g.defects, g.defect_rate % 8 + 1).write_body(&value);
    let d = check_answer(&ids, status, &headers, &defective, &lenient);
    match (&l, &d) {
        (Ok(l), Ok(d)) => assert_eq!(
            l.value.items, d.value.items,
            "defects {applied:?} changed the items"
        ),
        (
            Err(ResponseError::Decode { error: le, .. }),
            Err(ResponseError::Decode { error: de, .. }),
        ) if matches!(
            le,
            DecodeError::EntryCount { .. } | DecodeError::EntryMismatch { .. }
        ) =>
        {
            assert_eq!(le.to_string(), de.to_string(), "defects {applied:?}");
        }
        (Err(_), _) => {}
        (Ok(_), Err(e)) => panic!(
            "defects {applied:?} broke the answer ({e}): {}",
            String::from_utf8_lossy(&defective)
        ),
    }
}

/// `STATUS ID ID ...\nBODY`.
fn raw(data: &[u8]) {
    let (line, body) = match data.iter().position(|b| *b == b'\n') {
        Some(p) => (&data[..p], &data[p + 1..]),
        None => (&data[..0], data),
    };
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ').filter(|w| !w.is_empty()).peekable();
    let status = match words.peek().and_then(|w| w.parse::<u16>().ok()) {
        Some(s) => {
            words.next();
            s % 1000
        }
        None => 200,
    };
    let Ok(status) = StatusCode::from_u16(status) else {
        return;
    };
    let ids: Vec<TaskId> = words.filter_map(|w| TaskId::new(w).ok()).collect();
    check_request(&ids);
    let headers = HeaderMap::new();
    let l = check_answer(&ids, status, &headers, body, &Decoding::default());
    let s = check_answer(&ids, status, &headers, body, &Decoding::Strict);
    if let Ok(s) = &s {
        let l = l.expect("strict Ok, lenient Err");
        assert_eq!(l.value.items, s.value.items, "strict and lenient differ");
        assert!(
            l.report.is_clean(),
            "a strict body got a lenient report {}",
            l.report
        );
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((&sel, rest)) if sel >= 0xC0 => generated(rest),
        Some(_) => raw(data),
        None => {}
    }
});
