//! Headers the caller adds to every request (`Config::with_header`, advance access), the ones it
//! can never replace, and the new list and create query parameters.

mod support;
use support::*;

use sbg_tasks_proto::config::{AuthScheme, HeaderError, ADVANCE_ACCESS_HEADER};
use sbg_tasks_proto::{
    http, AbortTask, BulkGetTasks, CreateTask, DeleteTask, Endpoint, GetExecutionDetails,
    GetRateLimit, GetTaskInputs, ListTasks, UpdateTask, UpdateTaskInputs,
};

/// A request of every kind there is.
fn every_request(cfg: &Config) -> Vec<Request<Vec<u8>>> {
    vec![
        GetTask::new(id()).prepare_request(cfg).unwrap(),
        RunTask::new(id()).prepare_request(cfg).unwrap(),
        RerunTask::new(id()).prepare_request(cfg).unwrap(),
        AbortTask::new(id()).prepare_request(cfg).unwrap(),
        CreateTask::new(project(), app())
            .prepare_request(cfg)
            .unwrap(),
        UpdateTask::new(id())
            .name("n")
            .prepare_request(cfg)
            .unwrap(),
        DeleteTask::new(id()).prepare_request(cfg).unwrap(),
        GetTaskInputs::new(id()).prepare_request(cfg).unwrap(),
        UpdateTaskInputs::new(id())
            .input("a", 1)
            .prepare_request(cfg)
            .unwrap(),
        BulkGetTasks::new(vec![id()]).prepare_request(cfg).unwrap(),
        ListTasks::new().prepare_request(cfg).unwrap(),
        GetExecutionDetails::new(id()).prepare_request(cfg).unwrap(),
        GetRateLimit::new().prepare_request(cfg).unwrap(),
    ]
}

#[test]
fn every_reserved_header_is_refused_in_any_case() {
    let reserved = [
        "Host",
        "Authorization",
        "X-SBG-Auth-Token",
        "x-sbg-auth-token",
        "Proxy-Authorization",
        "Proxy-Connection",
        "Proxy-Anything",
        "Accept",
        "Accept-Encoding",
        "User-Agent",
        "Content-Type",
        "Content-Length",
        "Content-Encoding",
        "CONTENT-MD5",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "TE",
        "Trailer",
        "Upgrade",
        "Expect",
        "Cookie",
    ];
    for name in reserved {
        match config().with_header(name, "x") {
            Err(HeaderError::Reserved { name: n }) => {
                assert_eq!(n, name.to_ascii_lowercase());
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // Names that merely look alike are the caller's.
    for name in [
        "X-Request-Origin",
        "X-Content-Hint",
        "Accepted-By",
        "X-Sbg-Advance-Access",
    ] {
        assert!(config().with_header(name, "x").is_ok(), "{name}");
    }
}

#[test]
fn a_refused_header_never_shows_its_value() {
    let bearer = format!("Bearer {TOKEN}");
    let refused = [
        config().with_header("Authorization", &bearer).unwrap_err(),
        config().with_header("X-SBG-Auth-Token", TOKEN).unwrap_err(),
        config()
            .with_header("X-Secret", &format!("{TOKEN}\n"))
            .unwrap_err(),
    ];
    assert!(matches!(
        &refused[2],
        HeaderError::InvalidValue { name } if name == "x-secret"
    ));
    for e in &refused {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(matches!(
        config().with_header("bad name", "x"),
        Err(HeaderError::InvalidName(n)) if n == "bad name"
    ));
    // A config's Debug names the headers added, never their values, nor the token.
    let cfg = config().with_header("X-Api-Key", "hunter2-secret").unwrap();
    let text = format!("{cfg:?}");
    assert!(text.contains("x-api-key"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains(TOKEN), "{text}");
}

#[test]
fn an_added_header_is_on_every_request_kind_and_survives_later_changes() {
    let cfg = config()
        .with_header("X-Request-Origin", "nightly")
        .unwrap()
        .with_header("X-Trace", "a")
        .unwrap()
        .with_header("X-Trace", "b")
        .unwrap()
        .with_auth_scheme(AuthScheme::Bearer)
        .with_user_agent_prefix("pipeline/2")
        .unwrap();
    let requests = every_request(&cfg);
    assert_eq!(requests.len(), 13);
    for req in &requests {
        let h = req.headers();
        let what = format!("{} {}", req.method(), req.uri());
        assert_eq!(h["x-request-origin"], "nightly", "{what}");
        // Added twice, sent twice, in order.
        let traces: Vec<_> = h.get_all("x-trace").iter().collect();
        assert_eq!(traces, ["a", "b"], "{what}");
        assert_eq!(h["authorization"], format!("Bearer {TOKEN}").as_str());
        assert!(h.get("x-sbg-auth-token").is_none());
        assert!(h["user-agent"].to_str().unwrap().starts_with("pipeline/2 "));
    }
    // Without them: none of it.
    for req in every_request(&config()) {
        assert!(req.headers().get("x-request-origin").is_none());
        assert!(req.headers().get(ADVANCE_ACCESS_HEADER).is_none());
    }
}

#[test]
fn an_added_header_reaches_the_transport_through_the_client() {
    let script = Script::new(vec![task("DRAFT"), answer(204, &[], "")]);
    let env = env();
    let cfg = config().with_header("X-Request-Origin", "ci").unwrap();
    let c = BlockingClient::with_env(cfg, |r| script.send(r), &env);
    c.get(&GetTask::new(id())).unwrap();
    c.delete(&DeleteTask::new(id())).unwrap();
    for req in script.requests() {
        assert_eq!(req.headers()["x-request-origin"], "ci");
    }
}

#[test]
fn advance_access_is_one_header_switched_on_and_off() {
    let on = config().with_advance_access(true);
    assert!(on.advance_access());
    assert!(!config().advance_access());
    for req in every_request(&on) {
        let values: Vec<_> = req
            .headers()
            .get_all("x-sbg-advance-access")
            .iter()
            .collect();
        assert_eq!(values, ["Advance"], "{} {}", req.method(), req.uri());
    }
    // Twice on is still one header; off takes it out, even one added by name.
    let twice = on.clone().with_advance_access(true);
    assert_eq!(
        twice
            .headers()
            .get_all(ADVANCE_ACCESS_HEADER)
            .iter()
            .count(),
        1
    );
    let off = twice.with_advance_access(false);
    assert!(!off.advance_access());
    assert!(off.headers().get(ADVANCE_ACCESS_HEADER).is_none());
    let by_name = config()
        .with_header("X-Sbg-Advance-Access", "Advance")
        .unwrap();
    assert!(by_name.advance_access());
    assert!(by_name
        .with_advance_access(false)
        .headers()
        .get(ADVANCE_ACCESS_HEADER)
        .is_none());
    // Other added headers are kept when it is switched.
    let both = config()
        .with_header("X-Keep", "1")
        .unwrap()
        .with_advance_access(true)
        .with_advance_access(false);
    assert_eq!(both.headers()["x-keep"], "1");
}

#[test]
fn list_sends_batch_and_origin_id_in_their_place() {
    let q = |call: ListTasks| {
        call.prepare_request(&config())
            .unwrap()
            .uri()
            .query()
            .map(str::to_owned)
    };
    assert_eq!(q(ListTasks::new().batch(true)), Some("batch=true".into()));
    assert_eq!(q(ListTasks::new().batch(false)), Some("batch=false".into()));
    assert_eq!(
        q(ListTasks::new().origin_id("run 7/a&b=c")),
        Some("origin_id=run%207%2Fa%26b%3Dc".into())
    );
    assert_eq!(
        q(ListTasks::new()
            .limit(sbg_tasks_proto::endpoints::PageLimit::new(5).unwrap())
            .origin_id("r1")
            .batch(true)
            .status(TaskStatus::Running)
            .project(project())),
        Some(
            "project=rfranklin%2Fmy-project&status=RUNNING&batch=true&origin_id=r1&limit=5".into()
        )
    );
}

#[test]
fn create_sends_batch_false_in_the_query_only_when_asked() {
    let req = |call: CreateTask| call.prepare_request(&config()).unwrap();
    let plain = req(CreateTask::new(project(), app()));
    assert_eq!(plain.uri().query(), None);
    let off = req(CreateTask::new(project(), app()).no_batch());
    assert_eq!(off.method(), http::Method::POST);
    assert_eq!(off.uri().path(), "/v2/tasks");
    assert_eq!(off.uri().query(), Some("batch=false"));
    // The body is the same either way: the switch is the query's.
    assert_eq!(off.body(), plain.body());
    let run = req(CreateTask::new(project(), app()).run(true).no_batch());
    assert_eq!(run.uri().query(), Some("action=run&batch=false"));
}
