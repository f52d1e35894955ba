//! Get, run and rerun requests: query parameters sent only when given and in order, run
//! options shared by run and rerun, the auth and user-agent headers following the config.

use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::http;
use sbg_tasks_proto::{AuthToken, Endpoint, GetTask, Platform, RunTask, TaskId};

#[test]
fn query_parameters_are_sent_only_when_given_and_in_order() {
    let id: TaskId = "b0bbeda6-153b-4801-92ad-82bc0e58bdb6".parse().unwrap();
    let cfg = sbg_tasks_proto::Config::new(Platform::Cavatica, AuthToken::new("t").unwrap());
    let q = |r: http::Request<Vec<u8>>| r.uri().query().map(str::to_owned);
    assert_eq!(
        q(GetTask::new(id.clone()).prepare_request(&cfg).unwrap()),
        None
    );
    assert_eq!(
        q(GetTask::new(id.clone())
            .fields("id,status".parse().unwrap())
            .prepare_request(&cfg)
            .unwrap()),
        Some("fields=id,status".into())
    );
    assert_eq!(
        q(RunTask::new(id.clone())
            .batch(false)
            .use_interruptible_instances(true)
            .fields(Fields::All)
            .prepare_request(&cfg)
            .unwrap()),
        Some("batch=false&use_interruptible_instances=true&fields=_all".into())
    );
    let rerun = sbg_tasks_proto::RerunTask::new(id.clone())
        .run(true)
        .batch(true);
    let r = rerun.prepare_request(&cfg).unwrap();
    assert_eq!(r.uri().path(), format!("/v2/tasks/{id}/actions/clone"));
    assert_eq!(q(r.clone()), Some("action=run&batch=true".into()));
    assert_eq!(r.method(), http::Method::POST);
    assert_eq!(r.headers()["content-length"], "0");
    let bearer = cfg
        .clone()
        .with_auth_scheme(sbg_tasks_proto::config::AuthScheme::Bearer);
    let r = GetTask::new(id).prepare_request(&bearer).unwrap();
    assert_eq!(r.headers()["authorization"], "Bearer t");
    assert!(r.headers()["authorization"].is_sensitive());
    assert!(r.headers().get("x-sbg-auth-token").is_none());
    // Every change to the config reaches the headers of the requests built after it.
    let named = bearer.with_user_agent_prefix("my-runtime/1.2").unwrap();
    let r = rerun.prepare_request(&named).unwrap();
    assert_eq!(
        r.headers()["user-agent"],
        format!(
            "my-runtime/1.2 {}",
            sbg_tasks_proto::config::DEFAULT_USER_AGENT
        )
        .as_str()
    );
    assert_eq!(r.headers()["authorization"], "Bearer t");
    let mut names: Vec<&str> = r.headers().keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "accept",
            "authorization",
            "content-length",
            "host",
            "user-agent"
        ]
    );
}

#[test]
fn run_options_are_shared_by_run_and_rerun_and_the_follow_up_read_keeps_the_fields() {
    use sbg_tasks_proto::endpoints::RunOptions;
    let id: TaskId = "b0bbeda6-153b-4801-92ad-82bc0e58bdb6".parse().unwrap();
    let cfg = sbg_tasks_proto::Config::new(Platform::Cavatica, AuthToken::new("t").unwrap());
    let options = RunOptions::new()
        .batch(false)
        .use_interruptible_instances(true)
        .fields("id,status".parse().unwrap());
    let one_by_one = RunTask::new(id.clone())
        .batch(false)
        .use_interruptible_instances(true)
        .fields("id,status".parse().unwrap());
    let at_once = RunTask::new(id.clone()).options(options.clone());
    assert_eq!(one_by_one, at_once);
    let q = |r: http::Request<Vec<u8>>| r.uri().query().map(str::to_owned);
    let expected = "batch=false&use_interruptible_instances=true&fields=id,status";
    assert_eq!(
        q(at_once.prepare_request(&cfg).unwrap()),
        Some(expected.into())
    );
    let rerun = sbg_tasks_proto::RerunTask::new(id.clone())
        .run(true)
        .options(options);
    assert_eq!(
        q(rerun.prepare_request(&cfg).unwrap()),
        Some(format!("action=run&{expected}"))
    );
    let get = at_once.as_get().prepare_request(&cfg).unwrap();
    assert_eq!(get.method(), http::Method::GET);
    assert_eq!(get.uri().path(), format!("/v2/tasks/{id}"));
    assert_eq!(q(get), Some("fields=id,status".into()));
}
