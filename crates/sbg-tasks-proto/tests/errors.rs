//! Error answers and metadata: platform JSON, proxy pages, empty bodies, odd headers.

use sbg_tasks_proto::excerpt::{BodyShape, EXCERPT_LEN};
use sbg_tasks_proto::http::Response;
use sbg_tasks_proto::meta::RetryAfter;
use sbg_tasks_proto::{ApiError, Decoding, Endpoint, ErrorCode, GetTask, ResponseError};

fn get() -> GetTask {
    GetTask::new("f586a3fb-c9e4-4415-b22b-648a66969a37".parse().unwrap())
}

fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response<Vec<u8>> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.to_vec()).unwrap()
}

fn api_err(r: &Response<Vec<u8>>) -> ApiError {
    match get().parse_response(r, &Decoding::default()) {
        Err(ResponseError::Api(e)) => *e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[test]
fn platform_error_body_is_typed() {
    let body = br#"{"status": 404, "code": 7002, "message": "Task does not exist.", "more_info": "https://docs.sevenbridges.com/docs/errors-codes"}"#;
    let e = api_err(&answer(404, &[("X-Request-Id", "req-123")], body));
    assert_eq!(e.status, 404);
    assert_eq!(e.code, Some(ErrorCode::TaskNotFound));
    assert_eq!(e.code.unwrap().as_i64(), 7002);
    assert_eq!(e.message.as_deref(), Some("Task does not exist."));
    assert_eq!(
        e.more_info.as_deref(),
        Some("https://docs.sevenbridges.com/docs/errors-codes")
    );
    assert_eq!(e.meta.request_id.as_deref(), Some("req-123"));
    assert_eq!(e.body_excerpt, None);
    let shown = e.to_string();
    assert!(
        shown.contains("404") && shown.contains("7002") && shown.contains("req-123"),
        "{shown}"
    );
}

#[test]
fn known_codes_have_names_and_unknown_codes_keep_their_number() {
    for (n, c) in [
        (0, ErrorCode::Maintenance),
        (1000, ErrorCode::RateLimitExceeded),
        (7007, ErrorCode::OnlyForDraft),
        (7008, ErrorCode::OnlyForRunning),
        (7024, ErrorCode::ValidationErrors),
        (7026, ErrorCode::OnlyRename),
        (90000, ErrorCode::BadRequest),
    ] {
        assert_eq!(ErrorCode::from_i64(n), c);
        assert_eq!(c.as_i64(), n);
    }
    assert!(ErrorCode::from_i64(7020).is_batch_problem());
    assert_eq!(ErrorCode::from_i64(4242), ErrorCode::Other(4242));
    let e = api_err(&answer(400, &[], br#"{"code": 4242, "message": "new"}"#));
    assert_eq!(e.code, Some(ErrorCode::Other(4242)));
    // A code sent as a numeric string is still read.
    let e = api_err(&answer(
        400,
        &[],
        br#"{"code": "7007", "message": "draft only"}"#,
    ));
    assert!(e.is_only_for_draft());
}

#[test]
fn proxy_html_gives_status_shape_and_a_bounded_excerpt() {
    let mut page = b"<html><head><title>502 Bad Gateway</title></head><body>".to_vec();
    page.extend(std::iter::repeat_n(b'x', 10_000));
    page.extend_from_slice(b"</body></html>");
    let e = api_err(&answer(502, &[], &page));
    assert_eq!(e.status, 502);
    assert_eq!(e.code, None);
    assert_eq!(e.body_shape, BodyShape::Html);
    let ex = e.body_excerpt.as_ref().unwrap();
    assert!(ex.text().starts_with("<html><head><title>502 Bad Gateway"));
    assert!(ex.text().len() <= EXCERPT_LEN + 4);
    assert_eq!(ex.total_len(), page.len());
    assert!(e.to_string().len() < 1000, "never the whole body");
}

#[test]
fn empty_and_non_json_error_bodies_keep_the_status() {
    let e = api_err(&answer(503, &[], b""));
    assert_eq!(
        (e.status, e.body_shape, e.body_excerpt.clone()),
        (503, BodyShape::Empty, None)
    );
    assert!(e.is_maintenance());
    let e = api_err(&answer(500, &[], b"Internal Server Error"));
    assert_eq!(e.body_shape, BodyShape::Text);
    assert_eq!(e.body_excerpt.unwrap().text(), "Internal Server Error");
    // JSON that is not the platform's error shape keeps an excerpt too.
    let e = api_err(&answer(400, &[], br#"{"error": "nope"}"#));
    assert_eq!(e.code, None);
    assert_eq!(e.body_excerpt.unwrap().text(), r#"{"error": "nope"}"#);
}

#[test]
fn maintenance_and_rate_limit_are_recognised() {
    let e = api_err(&answer(
        503,
        &[],
        br#"{"status": 503, "code": 0, "message": "Platform is under maintenance."}"#,
    ));
    assert!(e.is_maintenance());
    let e = api_err(&answer(
        429,
        &[
            ("X-RateLimit-Limit", "1000"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1700000300"),
            ("Retry-After", "17"),
        ],
        br#"{"status": 429, "code": 1000, "message": "Rate limit exceeded"}"#,
    ));
    assert!(e.is_rate_limited());
    let rl = e.meta.rate_limit.unwrap();
    assert_eq!((rl.limit, rl.remaining, rl.reset), (1000, 0, 1_700_000_300));
    assert_eq!(e.meta.retry_after, Some(RetryAfter::Seconds(17)));
}

#[test]
fn success_metadata_is_read_and_odd_headers_are_ignored() {
    let ok = answer(
        200,
        &[
            ("X-RateLimit-Limit", "1000"),
            ("X-RateLimit-Remaining", "998"),
            ("X-RateLimit-Reset", "1448547300"),
            ("X-Request-Id", "abc"),
            ("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ],
        br#"{"id": "x"}"#,
    );
    let a = get().parse_response(&ok, &Decoding::Strict).unwrap();
    assert_eq!(a.meta.status, 200);
    assert_eq!(a.meta.rate_limit.unwrap().remaining, 998);
    assert_eq!(a.meta.request_id.as_deref(), Some("abc"));
    assert_eq!(a.meta.retry_after, Some(RetryAfter::At(1_445_412_480)));
    assert!(a.report.is_clean());
    let odd = answer(
        200,
        &[
            ("X-RateLimit-Limit", "lots"),
            ("X-RateLimit-Remaining", "1"),
            ("X-RateLimit-Reset", "2"),
        ],
        br#"{}"#,
    );
    assert_eq!(
        get()
            .parse_response(&odd, &Decoding::Strict)
            .unwrap()
            .meta
            .rate_limit,
        None
    );
}

#[test]
fn undecodable_success_body_is_a_typed_decode_error_with_position() {
    let r = answer(200, &[], b"{\n  \"id\": \"x\",\n  \"status\": \n}");
    match get().parse_response(&r, &Decoding::Strict) {
        Err(ResponseError::Decode { status, error, .. }) => {
            assert_eq!(status, 200);
            let off = error.offset().unwrap();
            assert_eq!(&r.body()[off..off + 1], b"}", "{error}");
            assert!(error.to_string().contains("line 4"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let html = answer(200, &[], b"<html>login</html>");
    let err = get().parse_response(&html, &Decoding::Strict).unwrap_err();
    assert!(err.to_string().contains("HTML"), "{err}");
    // A member of the wrong type fails strict decoding with its position...
    let wrong = answer(200, &[], br#"{"execution_status": {"duration": "12"}}"#);
    assert!(get().parse_response(&wrong, &Decoding::Strict).is_err());
    // ...and is coerced, with a report, by the lenient default.
    let a = get().parse_response(&wrong, &Decoding::default()).unwrap();
    assert_eq!(a.value.execution_status.unwrap().duration, Some(12));
    assert_eq!(a.report.coercions.len(), 1);
    assert_eq!(a.report.coercions[0].pointer, "/execution_status/duration");
}

#[test]
fn lenient_typing_moves_unusable_members_to_extra_instead_of_failing() {
    let r = answer(
        200,
        &[],
        br#"{"id": "t", "status": "RUNNING", "batch": "yes", "execution_status": {"steps_total": [1], "steps_completed": "3"}}"#,
    );
    let a = get().parse_response(&r, &Decoding::default()).unwrap();
    let t = a.value;
    assert_eq!(t.id.as_deref(), Some("t"));
    assert_eq!(t.batch, None);
    assert_eq!(t.extra["batch"], "yes");
    let es = t.execution_status.unwrap();
    assert_eq!(es.steps_total, None);
    assert_eq!(es.extra["steps_total"], serde_json::json!([1]));
    assert_eq!(es.steps_completed, Some(3));
    let pointers: Vec<_> = a
        .report
        .coercions
        .iter()
        .map(|c| c.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/batch",
            "/execution_status/steps_total",
            "/execution_status/steps_completed"
        ]
    );
}
