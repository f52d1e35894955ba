//! The blocking client against an in-process mock platform (TLS with the mock's own
//! certificate): get, run, wait with progress, rerun, and a retried maintenance fault.
//!
//! `cargo run -p sbg-tasks-ureq --example ureq_against_mock`

use std::time::Duration;

use sbg_tasks_mock::{examples, Fault, MockBuilder, Route, Schedule, Scope};
use sbg_tasks_ureq::proto::config::AllowHttp;
use sbg_tasks_ureq::proto::machine::wait::WaitPolicy;
use sbg_tasks_ureq::proto::transport::TransportOptions;
use sbg_tasks_ureq::{client_with, Settings};
use sbg_tasks_ureq::{AuthToken, BaseUrl, Config, GetTask, RerunTask, RunTask};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = "demo-token-0123456789abcdef0123";
    let mock = MockBuilder::new()
        .token(token)
        .seed_examples(true)
        .schedule(Schedule::Polls(4))
        .tls(true)
        .start_blocking()?;
    println!("mock platform at {}", mock.base_url());

    let base = BaseUrl::parse_with(mock.base_url(), AllowHttp::Never)?;
    let mut settings = Settings::new(Config::new(base, AuthToken::new(token)?));
    settings.wait = WaitPolicy::default()
        .with_interval(Duration::from_millis(200))
        .with_timeout(Some(Duration::from_secs(30)));
    let pem = mock.cert_pem().ok_or("the mock serves TLS")?;
    let transport = TransportOptions::default().root_certificates_pem(pem.as_bytes());
    let client = client_with(settings, transport)?;

    // Two maintenance answers first: the client backs off and retries.
    mock.inject(Fault::Maintenance, Scope::RouteNext(Route::GetTask, 2));
    let task = client.get(&GetTask::new(examples::GET_TASK_ID.parse()?))?;
    println!(
        "get: {} is {:?} (after {} requests), rate limit {:?}",
        examples::GET_TASK_ID,
        task.value.status,
        mock.requests_to(Route::GetTask),
        task.meta.rate_limit
    );

    let draft = examples::RUN_TASK_REQUEST_ID.parse()?;
    let ran = client.run(&RunTask::new(draft))?;
    println!("run: now {:?}", ran.value.status);

    let done = client.wait_with_progress(&examples::RUN_TASK_REQUEST_ID.parse()?, |p| {
        println!(
            "  poll {} after {:?}: {:?} steps {:?}",
            p.poll,
            p.elapsed,
            p.status(),
            p.steps()
        );
    })?;
    println!("wait: ended {:?}", done.status);

    let copy = client.rerun(&RerunTask::new(examples::RUN_TASK_REQUEST_ID.parse()?).run(true))?;
    println!(
        "rerun: new task {} is {:?}",
        copy.value.id.as_deref().unwrap_or("?"),
        copy.value.status
    );
    Ok(())
}
