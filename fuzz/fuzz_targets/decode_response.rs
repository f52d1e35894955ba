//! Reading an answer to a task call from an arbitrary status, headers and body.
//!
//! Properties: no panic for any endpoint or decoding mode; a non-2xx status is always an API
//! error that keeps the status; a 2xx answer is a value or a decode error that keeps the
//! status; the metadata mirrors the headers; errors format without panicking; the
//! members-fragment decoder never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbg_tasks_proto::decode::{decode, decode_members_fragment};
use sbg_tasks_proto::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use sbg_tasks_proto::lenient::{Policy, RepairKind};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{Decoding, Endpoint, GetTask, RerunTask, ResponseError, RunTask, TaskId};

const KNOWN: &[&str] = &[
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-request-id",
    "retry-after",
    "x-total-matching-query",
    "content-type",
    "content-length",
];

// Input layout (easy to write seeds by hand): two bytes of status (big endian), one byte
// picking the endpoint, one picking the decoding; then header lines `name: value\n` up to an
// empty line; the rest is the body. A header line `=N: value` uses known name number N.
fuzz_target!(|data: &[u8]| {
    let [s0, s1, endpoint, decoding, rest @ ..] = data else {
        return;
    };
    let Ok(status) = StatusCode::from_u16(u16::from_be_bytes([*s0, *s1]) % 1000) else {
        return;
    };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(p) => (&rest[..p], &rest[p + 2..]),
        None => (&rest[..0], rest),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let name = match name {
            [b'=', n @ ..] => {
                let i = n.first().map_or(0, |b| usize::from(*b));
                HeaderName::from_static(KNOWN[i % KNOWN.len()])
            }
            _ => match HeaderName::from_bytes(name) {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.append(name, v);
        }
    }
    let (endpoint, decoding) = (*endpoint, *decoding);
    let decoding = match decoding % 4 {
        0 => Decoding::Strict,
        1 => Decoding::default(),
        2 => Decoding::Lenient(Policy::default().with_max_repairs(3)),
        _ => Decoding::Lenient(
            Policy::default()
                .rejecting(RepairKind::Truncated)
                .rejecting(RepairKind::PartialMemberDropped),
        ),
    };
    let id = TaskId::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb").unwrap();
    let result = match endpoint % 3 {
        0 => GetTask::new(id).parse_parts(status, &headers, body, &decoding),
        1 => RunTask::new(id).parse_parts(status, &headers, body, &decoding),
        _ => RerunTask::new(id).parse_parts(status, &headers, body, &decoding),
    };
    match &result {
        Ok(answer) => {
            assert!(status.is_success(), "a {status} answer gave a value");
            assert_eq!(answer.meta.status, status.as_u16());
            if matches!(decoding, Decoding::Strict) {
                assert!(answer.report.is_clean(), "strict decoding reported repairs");
            }
            // The value re-encodes as JSON that decodes (leniently: members set aside under
            // their own key stay there) to the same task.
            let again = serde_json::to_vec(&answer.value).expect("task encodes");
            let back = decode::<Task>(&again, &Decoding::default()).expect("re-encoded task");
            assert_eq!(
                back.value, answer.value,
                "task changed through encode/decode"
            );
        }
        Err(ResponseError::Api(e)) => {
            assert!(!status.is_success(), "a {status} answer was an API error");
            assert_eq!(e.status, status.as_u16());
            let _ = e.to_string();
        }
        Err(ResponseError::Decode {
            status: s,
            meta,
            error,
        }) => {
            assert!(status.is_success());
            assert_eq!(*s, status.as_u16());
            assert_eq!(meta.status, *s);
            if let Some(off) = error.offset() {
                assert!(
                    off <= body.len(),
                    "offset {off} past the body of {}",
                    body.len()
                );
            }
        }
        Err(_) => {}
    }
    if let Err(e) = &result {
        let _ = e.to_string();
        let _ = format!("{e:?}");
        let _ = e.meta();
    }

    // The members-fragment decoder (the documentation's `"errors": [...]` shape).
    if let Err(e) = decode_members_fragment::<Task>(body) {
        if let Some(off) = e.offset() {
            assert!(
                off <= body.len(),
                "fragment offset {off} past {}",
                body.len()
            );
        }
        let _ = e.to_string();
    }
});
