//! Which of the new calls are retried, and when: a modify (`PATCH`) is retried like a read,
//! with the same body each time; rerun and create are still never sent twice once they may
//! have arrived.

mod support;
use support::*;

use sbg_tasks_proto::model::{ExecutionSettings, FileRef};
use sbg_tasks_proto::{CreateTask, UpdateTask, UpdateTaskInputs};

const PATH: &str = "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb";

fn patch(path: &str) -> (String, String) {
    ("PATCH".into(), path.into())
}

fn update() -> UpdateTask {
    UpdateTask::new(id())
        .name("again")
        .input("reads", FileRef::file("5a1b"))
        .execution_settings(ExecutionSettings::default().with_use_memoization(true))
}

const UPDATE_BODY: &str = r#"{"name":"again","execution_settings":{"use_memoization":true},"inputs":{"reads":{"class":"File","path":"5a1b"}}}"#;

#[test]
fn an_update_is_retried_on_503_and_on_a_reset_after_sending_with_the_same_body() {
    let script = Script::new(vec![
        error(503, 0),
        Err(
            TransportFailure::new(TransportErrorKind::Io, "connection reset")
                .with_request_sent(true),
        ),
        answer(502, &[], "<html>Bad Gateway</html>"),
        task("DRAFT"),
    ]);
    let env = env();
    let answer = client(&script, &env).update(&update()).unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Draft));
    assert_eq!(script.seen(), vec![patch(PATH); 4]);
    assert_eq!(script.bodies(), vec![UPDATE_BODY; 4]);
    for req in script.requests() {
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(
            req.headers()["content-length"],
            UPDATE_BODY.len().to_string().as_str()
        );
    }
    assert_eq!(env.sleeps(), [500, 1000, 2000].map(Duration::from_millis));
}

#[test]
fn an_update_refused_by_the_platform_is_not_retried() {
    // Only a DRAFT can be modified (7026); not retried, returned with its code.
    let script = Script::new(vec![error(400, 7026), task("DRAFT")]);
    let env = env();
    let e = client(&script, &env).update(&update()).unwrap_err();
    assert!(
        matches!(&e, ClientError::Response(ResponseError::Api(a)) if a.code.map(|c| c.as_i64()) == Some(7026)),
        "{e:?}"
    );
    assert_eq!(script.left(), 1);
    assert!(env.sleeps().is_empty());
}

#[test]
fn an_update_gives_up_after_the_attempts_allowed() {
    let script = Script::new(vec![
        failure(TransportErrorKind::Io),
        failure(TransportErrorKind::Io),
    ]);
    let env = env();
    let e = client(&script, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0).with_max_attempts(2))
        .update(&update())
        .unwrap_err();
    assert!(
        matches!(e, ClientError::RetriesExhausted { attempts: 2, .. }),
        "{e:?}"
    );
    assert_eq!(script.bodies(), vec![UPDATE_BODY; 2]);
}

#[test]
fn an_inputs_update_is_retried_the_same_way() {
    let script = Script::new(vec![
        failure(TransportErrorKind::Timeout),
        error(503, 0),
        answer(200, &[], r#"{"threads":8,"reads":null}"#),
    ]);
    let env = env();
    let call = UpdateTaskInputs::new(id()).input("threads", 8);
    let answer = client(&script, &env).update_inputs(&call).unwrap();
    assert_eq!(answer.value.len(), 2);
    let inputs = format!("{PATH}/inputs");
    assert_eq!(script.seen(), vec![patch(&inputs); 3]);
    assert_eq!(script.bodies(), vec![r#"{"threads":8}"#; 3]);
}

#[test]
fn the_async_client_retries_an_update_with_the_same_body() {
    let script = Script::new(vec![failure(TransportErrorKind::Io), task("DRAFT")]);
    let env = env();
    let transport = |req| {
        let out = script.send(req);
        async move { out }
    };
    let c = AsyncClient::with_env(config(), transport, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0));
    let call = update();
    let answer = block_on(assert_send(c.update(&call))).unwrap();
    assert_eq!(answer.value.status, Some(TaskStatus::Draft));
    assert_eq!(script.bodies(), vec![UPDATE_BODY; 2]);
}

#[test]
fn rerun_and_create_are_still_never_sent_twice_once_they_may_have_arrived() {
    let maybe_arrived = || {
        vec![
            failure(TransportErrorKind::Io),
            failure(TransportErrorKind::Timeout),
            error(503, 0),
            answer(504, &[], ""),
        ]
    };
    for first in maybe_arrived() {
        let script = Script::new(vec![first, task("DRAFT")]);
        let env = env();
        let e = client(&script, &env)
            .rerun(&RerunTask::new(id()))
            .unwrap_err();
        assert!(!matches!(e, ClientError::RetriesExhausted { .. }), "{e}");
        assert_eq!(script.seen().len(), 1, "{e}");
    }
    for first in maybe_arrived() {
        let script = Script::new(vec![first, task("DRAFT")]);
        let env = env();
        let e = client(&script, &env)
            .create(&CreateTask::new(project(), app()).no_batch())
            .unwrap_err();
        assert!(!matches!(e, ClientError::RetriesExhausted { .. }), "{e}");
        assert_eq!(script.seen().len(), 1, "{e}");
        assert!(env.sleeps().is_empty());
    }
    // A refused connection never arrived: a create is sent again, the same request.
    let script = Script::new(vec![failure(TransportErrorKind::Connect), task("DRAFT")]);
    let env = env();
    client(&script, &env)
        .create(&CreateTask::new(project(), app()).no_batch())
        .unwrap();
    let q = ("POST".to_string(), "/v2/tasks?batch=false".to_string());
    assert_eq!(script.seen(), [q.clone(), q]);
    let bodies = script.bodies();
    assert_eq!(bodies[0], bodies[1]);
}
