//! The async client against an in-process mock platform (TLS, HTTP/2): run fifty drafts at
//! once through one client, wait for all of them with progress, then get and rerun one.
//!
//! `cargo run -p sbg-tasks-hyper --example hyper_against_mock`

use std::sync::Arc;
use std::time::Duration;

use sbg_tasks_hyper::proto::config::AllowHttp;
use sbg_tasks_hyper::proto::machine::wait::WaitPolicy;
use sbg_tasks_hyper::proto::transport::{Proxy, TransportOptions};
use sbg_tasks_hyper::{client_with, Settings};
use sbg_tasks_hyper::{AuthToken, BaseUrl, Config, GetTask, RerunTask, RunTask, TaskId};
use sbg_tasks_mock::{MockBuilder, Schedule};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = "demo-token-0123456789abcdef0123";
    let mock = MockBuilder::new()
        .token(token)
        .schedule(Schedule::Polls(3))
        .tls(true)
        .start()
        .await?;
    println!("mock platform at {}", mock.base_url());

    let base = BaseUrl::parse_with(mock.base_url(), AllowHttp::Never)?;
    let mut settings = Settings::new(Config::new(base, AuthToken::new(token)?));
    settings.wait = WaitPolicy::default()
        .with_interval(Duration::from_millis(100))
        .with_timeout(Some(Duration::from_secs(30)));
    let pem = mock.cert_pem().ok_or("the mock serves TLS")?;
    let transport = TransportOptions::default()
        .proxy(Proxy::Off)
        .root_certificates_pem(pem.as_bytes());
    let client = Arc::new(client_with(settings, transport)?);

    let mut ids = Vec::new();
    for i in 0..50 {
        let id = mock.insert_task(serde_json::json!({
            "name": format!("demo {i}"),
            "status": "DRAFT",
            "project": "mock-user/demo",
            "app": "mock-user/demo/app/1",
        }))?;
        ids.push(id.parse::<TaskId>()?);
    }

    let mut jobs = Vec::new();
    for id in ids.clone() {
        let client = client.clone();
        jobs.push(tokio::spawn(async move {
            client.run(&RunTask::new(id.clone())).await?;
            client
                .wait_with_progress(&id, |p| {
                    if p.poll == 1 {
                        println!("  {} poll 1: {:?}", id, p.status());
                    }
                })
                .await
        }));
    }
    let mut ended = 0;
    for job in jobs {
        let task = job.await??;
        assert!(task.is_terminal());
        ended += 1;
    }
    println!(
        "{ended} tasks ran and ended; {} requests in all",
        mock.request_count()
    );

    let first = client.get(&GetTask::new(ids[0].clone())).await?;
    println!("get: {} is {:?}", ids[0], first.value.status);
    let copy = client.rerun(&RerunTask::new(ids[0].clone())).await?;
    println!(
        "rerun: new draft {}",
        copy.value.id.as_deref().unwrap_or("?")
    );
    mock.shutdown().await;
    Ok(())
}
