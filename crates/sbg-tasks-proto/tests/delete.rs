//! Deleting a task (`DELETE /v2/tasks/{id}`): the exact request, any 2xx a deletion, and the
//! retry rule that makes a lost answer followed by "no such task" a success — and only then.

mod support;
use support::*;

use sbg_tasks_proto::endpoints::{CallKind, Deletion};
use sbg_tasks_proto::{http, DeleteTask, Endpoint};

const PATH: &str = "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb";

fn delete() -> (String, String) {
    ("DELETE".into(), PATH.into())
}

#[test]
fn the_request_has_no_body_and_no_content_type() {
    let call = DeleteTask::new(id());
    assert_eq!(call.kind(), CallKind::Delete);
    assert!(call.kind().is_idempotent());
    assert_eq!(call.id(), &id());
    let req = call.prepare_request(&config()).unwrap();
    assert_eq!(req.method(), http::Method::DELETE);
    assert_eq!(req.uri().to_string(), format!("http://127.0.0.1:9{PATH}"));
    assert!(req.body().is_empty());
    let h = req.headers();
    assert!(h.get("content-type").is_none(), "{h:?}");
    // An empty body is never announced as anything but empty.
    if let Some(len) = h.get("content-length") {
        assert_eq!(len, "0");
    }
    assert_eq!(h["x-sbg-auth-token"], TOKEN);
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h["host"], "127.0.0.1:9");
    assert!(h.get("user-agent").is_some());
}

#[test]
fn any_success_is_a_deletion_whatever_its_body() {
    let call = DeleteTask::new(id());
    for (status, body) in [
        (204, &b""[..]),
        (
            200,
            br#"{"id":"08c5ce64-1551-4b7d-b054-63a1517bc7bb","status":"DRAFT"}"#,
        ),
        (200, b"<html>deleted</html>"),
        (202, b"{"),
    ] {
        let res = Response::builder()
            .status(status)
            .header("x-request-id", "r1")
            .body(body.to_vec())
            .unwrap();
        for decoding in [Decoding::Strict, Decoding::default()] {
            let answer = call.parse_response(&res, &decoding).unwrap();
            assert_eq!(answer.value, Deletion::Deleted, "{status}");
            assert_eq!(answer.meta.status, status);
            assert_eq!(answer.meta.request_id.as_deref(), Some("r1"));
            assert!(answer.report.is_clean());
        }
    }
}

#[test]
fn a_task_that_is_not_a_draft_is_an_api_error() {
    let script = Script::new(vec![error(400, 7010)]);
    let env = env();
    let e = client(&script, &env)
        .delete(&DeleteTask::new(id()))
        .unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 400 && a.code.map(|c| c.as_i64()) == Some(7010)),
        "{e:?}"
    );
    assert_eq!(script.seen(), [delete()]);
}

#[test]
fn a_deletion_answered_204_is_deleted() {
    let script = Script::new(vec![answer(204, &[], "")]);
    let env = env();
    let done = client(&script, &env)
        .delete(&DeleteTask::new(id()))
        .unwrap();
    assert_eq!(done.value, Deletion::Deleted);
    assert_eq!(script.seen(), [delete()]);
    assert!(env.sleeps().is_empty());
}

#[test]
fn a_reset_after_sending_then_not_found_is_already_gone() {
    let script = Script::new(vec![
        Err(
            TransportFailure::new(TransportErrorKind::Io, "connection reset")
                .with_request_sent(true),
        ),
        answer(
            404,
            &[("x-request-id", "r2".into())],
            r#"{"status":404,"code":7002,"message":"Task not found"}"#,
        ),
    ]);
    let env = env();
    let done = client(&script, &env)
        .delete(&DeleteTask::new(id()))
        .unwrap();
    assert_eq!(done.value, Deletion::AlreadyGone);
    assert_eq!(done.meta.status, 404);
    assert_eq!(done.meta.request_id.as_deref(), Some("r2"));
    assert_eq!(script.seen(), [delete(), delete()]);
    assert_eq!(env.sleeps(), [Duration::from_millis(500)]);
}

#[test]
fn a_5xx_then_not_found_is_already_gone_and_a_5xx_then_204_is_deleted() {
    for first in [
        error(503, 0),
        answer(502, &[], "<html>Bad Gateway</html>"),
        failure(TransportErrorKind::Timeout),
    ] {
        let script = Script::new(vec![first, error(404, 7002)]);
        let env = env();
        let done = client(&script, &env)
            .delete(&DeleteTask::new(id()))
            .unwrap();
        assert_eq!(done.value, Deletion::AlreadyGone);
        assert_eq!(script.seen().len(), 2);
    }
    let script = Script::new(vec![error(503, 0), answer(204, &[], "")]);
    let env = env();
    let done = client(&script, &env)
        .delete(&DeleteTask::new(id()))
        .unwrap();
    assert_eq!(done.value, Deletion::Deleted);
    assert_eq!(script.seen(), [delete(), delete()]);
}

#[test]
fn not_found_on_the_first_attempt_stays_an_error() {
    let script = Script::new(vec![error(404, 7002)]);
    let env = env();
    let e = client(&script, &env)
        .delete(&DeleteTask::new(id()))
        .unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 404 && a.code.map(|c| c.as_i64()) == Some(7002)),
        "{e:?}"
    );
    assert_eq!(script.seen(), [delete()]);
}

#[test]
fn not_found_after_attempts_that_never_reached_the_platform_stays_an_error() {
    // A refused connection was not sent; a 429 is the platform refusing without acting.
    for first in [
        failure(TransportErrorKind::Connect),
        Err(
            TransportFailure::new(TransportErrorKind::Io, "reset before writing")
                .with_request_sent(false),
        ),
        answer(
            429,
            &[("retry-after", "1".into())],
            r#"{"status":429,"code":1000,"message":"Rate limit exceeded"}"#,
        ),
    ] {
        let script = Script::new(vec![first, error(404, 7002)]);
        let env = env();
        let e = client(&script, &env)
            .delete(&DeleteTask::new(id()))
            .unwrap_err();
        assert!(
            matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 404),
            "{e:?}"
        );
        assert_eq!(script.seen().len(), 2);
    }
}

#[test]
fn another_404_after_a_maybe_sent_attempt_stays_an_error() {
    for (code, second) in [
        ("7005", error(404, 7005)),
        ("9100", error(404, 9100)),
        // A proxy's page: no code at all.
        (
            "none",
            answer(404, &[], "<html><body>Not Found</body></html>"),
        ),
    ] {
        let script = Script::new(vec![failure(TransportErrorKind::Io), second]);
        let env = env();
        let e = client(&script, &env)
            .delete(&DeleteTask::new(id()))
            .unwrap_err();
        assert!(
            matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 404),
            "{code}: {e:?}"
        );
        assert_eq!(script.seen().len(), 2);
    }
    // Code 7002 with another status is not "no such task" either.
    let script = Script::new(vec![failure(TransportErrorKind::Io), error(400, 7002)]);
    let env = env();
    let e = client(&script, &env)
        .delete(&DeleteTask::new(id()))
        .unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 400),
        "{e:?}"
    );
}

#[test]
fn the_async_client_deletes_with_the_same_rule() {
    let script = Script::new(vec![
        failure(TransportErrorKind::Io),
        error(404, 7002),
        error(404, 7002),
    ]);
    let env = env();
    let transport = |req| {
        let out = script.send(req);
        async move { out }
    };
    let c = AsyncClient::with_env(config(), transport, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0));
    let call = DeleteTask::new(id());
    let done = block_on(assert_send(c.delete(&call))).unwrap();
    assert_eq!(done.value, Deletion::AlreadyGone);
    // A new call starts afresh: its first 404 is an error.
    let e = block_on(assert_send(c.delete(&call))).unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.status == 404),
        "{e:?}"
    );
    assert_eq!(script.seen(), [delete(), delete(), delete()]);
}
