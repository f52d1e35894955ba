//! `sbg-tasks demo`: the whole story against an embedded mock on loopback — no account, no
//! network. Every step checks what it shows, so exit 0 means each one really happened.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use sbg_tasks_mock::examples::{BATCH_TASK_ID, GET_TASK_ID, RUN_TASK_REQUEST_ID};
use sbg_tasks_mock::{Fault, FleetSpec, MockServer, Route, Schedule, Scope};
use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::machine::retry::RetryPolicy;
use sbg_tasks_proto::machine::wait::WaitPolicy;
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, GetTask, RerunTask, RunTask};

use crate::backend::{self, Client, ConnectOpts};
use crate::cli::DemoArgs;
use crate::commands::{from_client, task_id, wait_for, WaitDisplay};
use crate::error::CliError;
use crate::output::{progress_text, report_lines, task_summary};

/// The token the embedded mock accepts. Not a secret of anyone's, yet handled as one: it is
/// never printed.
const DEMO_TOKEN: &str = "demo-0000-not-a-real-token";

/// Polls a task needs to end on the embedded mock.
const POLLS_TO_FINISH: u32 = 4;

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("     {l}\n")).collect()
}

fn step(n: u32, title: &str) {
    println!("\n{n}. {title}");
}

fn unexpected(what: impl std::fmt::Display) -> CliError {
    CliError::Other(format!("demo: unexpected result: {what}"))
}

/// Runs the demo.
pub(crate) fn run(args: &DemoArgs) -> Result<(), CliError> {
    let interval = Duration::try_from_secs_f64(args.interval)
        .map_err(|_| CliError::Usage(format!("--interval must be ≥ 0, not {}", args.interval)))?;
    println!(
        "sbg-tasks demo: the Seven Bridges Tasks API against an embedded mock, over the {} transport",
        args.transport.name()
    );
    let mock = MockServer::builder()
        .token(DEMO_TOKEN)
        .seed_examples(true)
        .serve_malformed_examples(true)
        .schedule(Schedule::Polls(POLLS_TO_FINISH))
        // A one-second window, so that the 429 of step 7 resets (and the client, which sends
        // nothing into a spent window, goes on) within a second.
        .rate_limit(1000, Duration::from_secs(1))
        .start_blocking()
        .map_err(|e| CliError::Io(format!("the embedded mock could not start: {e}")))?;
    // Plain http is allowed for this loopback address only; a real host would be refused.
    let base = BaseUrl::parse_with(mock.base_url(), AllowHttp::Loopback)
        .map_err(|e| CliError::Usage(format!("the mock's URL was refused: {e}")))?;
    println!("   mock platform listening at {base} (plain http allowed because it is loopback)");
    let token = AuthToken::new(DEMO_TOKEN).map_err(|e| CliError::Usage(e.to_string()))?;
    let opts = ConnectOpts {
        transport: args.transport,
        // Survive a 429 quickly: the window resets within a second (and never wait longer).
        retry: RetryPolicy::default()
            .with_max_rate_limit_wait(Duration::from_secs(2))
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1)),
        ..ConnectOpts::default()
    };
    let client = &backend::connect(Config::new(base, token), &opts)?;

    get_example(client)?;
    malformed_batch(client)?;
    run_draft(client)?;
    let copy = rerun_finished(client)?;
    wait_copy(client, &copy, interval)?;
    api_error(client)?;
    survived_fault(client, &mock)?;
    bulk_crash(&mock, args)?;

    println!(
        "\nDone: every step behaved as documented; the mock served {} requests. Try `sbg-tasks --help`.",
        mock.request_count()
    );
    Ok(())
}

/// 1. The documentation's example task.
fn get_example(client: &Client) -> Result<(), CliError> {
    step(
        1,
        &format!("Get the documented example task: GET /v2/tasks/{GET_TASK_ID}"),
    );
    let answer = client
        .get(&GetTask::new(task_id(GET_TASK_ID)?))
        .map_err(from_client)?;
    print!("{}", indent(&task_summary(&answer.value)));
    if let Some(rl) = answer.meta.rate_limit {
        println!(
            "     rate limit: {} of {} requests left in this window",
            rl.remaining, rl.limit
        );
    }
    if answer.value.id.as_deref() != Some(GET_TASK_ID) {
        return Err(unexpected("the example task has another id"));
    }
    Ok(())
}

/// 2. The documentation's malformed batch body, read leniently with its repair report.
fn malformed_batch(client: &Client) -> Result<(), CliError> {
    step(
        2,
        &format!(
            "Read the documented batch answer, which is not valid JSON: GET /v2/tasks/{BATCH_TASK_ID}"
        ),
    );
    let answer = client
        .get(&GetTask::new(task_id(BATCH_TASK_ID)?))
        .map_err(from_client)?;
    let body = client.transport().trace.last_body();
    let lines = report_lines(&answer.report, Some(&body));
    if lines.is_empty() {
        return Err(unexpected("the malformed example needed no repair"));
    }
    println!(
        "     the body ({} bytes) was repaired, every member kept; what was done, with line:column:",
        body.len()
    );
    for l in lines {
        println!("       {l}");
    }
    print!("{}", indent(&task_summary(&answer.value)));
    Ok(())
}

/// 3. Run a draft.
fn run_draft(client: &Client) -> Result<(), CliError> {
    step(
        3,
        &format!("Run a DRAFT task: POST /v2/tasks/{RUN_TASK_REQUEST_ID}/actions/run"),
    );
    let answer = client
        .run(&RunTask::new(task_id(RUN_TASK_REQUEST_ID)?))
        .map_err(from_client)?;
    let status = answer.value.status.clone();
    println!(
        "     status now {}",
        status.as_ref().map_or("(none)", TaskStatus::as_str)
    );
    if !status.as_ref().is_some_and(TaskStatus::is_active) {
        return Err(unexpected("the run did not start the task"));
    }
    Ok(())
}

/// 4. Rerun the finished example with `--run`; the answer is the new task.
fn rerun_finished(client: &Client) -> Result<String, CliError> {
    step(
        4,
        &format!(
            "Rerun the finished example task and run the copy at once: POST /v2/tasks/{GET_TASK_ID}/actions/clone?action=run"
        ),
    );
    let answer = client
        .rerun(&RerunTask::new(task_id(GET_TASK_ID)?).run(true))
        .map_err(from_client)?;
    let copy = answer
        .value
        .id
        .clone()
        .ok_or_else(|| unexpected("the copy has no id"))?;
    if copy == GET_TASK_ID {
        return Err(unexpected("the rerun answered the original task"));
    }
    println!(
        "     new task {copy}, status {}; the original stays as it was",
        answer
            .value
            .status
            .as_ref()
            .map_or("(none)", TaskStatus::as_str)
    );
    Ok(copy)
}

/// 5. Wait for the copy, with progress.
fn wait_copy(client: &Client, copy: &str, interval: Duration) -> Result<(), CliError> {
    step(
        5,
        &format!("Wait for task {copy} to end, polling every {interval:?}"),
    );
    let policy = WaitPolicy::default()
        .with_interval(interval)
        .with_backoff(1.0)
        .with_timeout(Some(Duration::from_secs(60)));
    let display = WaitDisplay::new(true);
    let task = wait_for(client, &task_id(copy)?, &policy, &display)?;
    println!(
        "     ended {}{}",
        task.status.as_ref().map_or("(none)", TaskStatus::as_str),
        progress_text(&task)
            .map(|p| format!(" ({p})"))
            .unwrap_or_default()
    );
    if task.status != Some(TaskStatus::Completed) {
        return Err(unexpected("the copy did not complete"));
    }
    Ok(())
}

/// 6. A typed API error: run a task that is not a DRAFT.
fn api_error(client: &Client) -> Result<(), CliError> {
    step(
        6,
        &format!("A typed API error: run the COMPLETED example task: POST /v2/tasks/{GET_TASK_ID}/actions/run"),
    );
    match client.run(&RunTask::new(task_id(GET_TASK_ID)?)) {
        Ok(_) => Err(unexpected("running a COMPLETED task succeeded")),
        Err(e) => {
            let Some(err) = e.api() else {
                return Err(from_client(e));
            };
            println!(
                "     HTTP {}, code {}: {}",
                err.status,
                err.code
                    .map_or("(none)".to_owned(), |c| c.as_i64().to_string()),
                err.message.as_deref().unwrap_or("(no message)")
            );
            println!(
                "     typed: only-for-draft = {} (the CLI exits with code 3 on such an error)",
                err.is_only_for_draft()
            );
            if !err.is_only_for_draft() {
                return Err(from_client(e));
            }
            Ok(())
        }
    }
}

/// 7. A survived fault: the mock answers 429 once; the client waits and tries again.
fn survived_fault(client: &Client, mock: &sbg_tasks_mock::MockHandle) -> Result<(), CliError> {
    step(
        7,
        "A survived fault: the mock answers the next get with 429 (rate limit exceeded)",
    );
    mock.inject(Fault::RateLimited, Scope::RouteNext(Route::GetTask, 1));
    client.transport().trace.clear();
    let answer = client
        .get(&GetTask::new(task_id(GET_TASK_ID)?))
        .map_err(from_client)?;
    let exchanges = client.transport().trace.exchanges();
    let t0 = exchanges.first().map(|x| x.at).unwrap_or_default();
    for (i, x) in exchanges.iter().enumerate() {
        println!(
            "     attempt {} at +{} ms: {} {} -> {} ({} ms)",
            i + 1,
            x.at.saturating_sub(t0).as_millis(),
            x.method,
            x.path,
            match &x.outcome {
                Ok(s) => s.to_string(),
                Err(e) => e.clone(),
            },
            x.elapsed.as_millis()
        );
    }
    let statuses: Vec<_> = exchanges.iter().map(|x| x.outcome.clone().ok()).collect();
    if statuses != [Some(429), Some(200)] {
        return Err(unexpected(format!(
            "expected a 429 then a 200, saw {statuses:?}"
        )));
    }
    println!(
        "     the client waited for the rate-limit window to reset (one second in this demo) and got task {} on the second attempt",
        answer.value.id.as_deref().unwrap_or("(no id)")
    );
    Ok(())
}

/// Step 8: a bulk rerun of a batch task's failed children in a child process (this
/// program), killed with SIGKILL after two outcomes, then the same command again: it resumes
/// from its journal, and each failed child ends with exactly one copy, which ran.
fn bulk_crash(mock: &sbg_tasks_mock::MockHandle, args: &DemoArgs) -> Result<(), CliError> {
    step(
        8,
        "A bulk rerun of a batch task's failed children, killed halfway (SIGKILL) and resumed",
    );
    let fleet = mock.spawn_fleet(
        FleetSpec::new(10, Duration::from_millis(20))
            .fail_ratio(0.6)
            .batch_parent(true)
            .seed(8),
    );
    let parent = fleet
        .parent
        .clone()
        .ok_or_else(|| unexpected("the fleet has no batch parent"))?;
    // The children end within 20 ms.
    std::thread::sleep(Duration::from_millis(100));
    println!(
        "     batch task {parent}: {} children, {} of them FAILED",
        fleet.ids.len(),
        fleet.failing
    );
    let dir = std::env::temp_dir().join(format!("sbg-tasks-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let result = crash_and_resume(mock, args, &parent, &dir, &fleet.ids, fleet.failing);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn crash_and_resume(
    mock: &sbg_tasks_mock::MockHandle,
    args: &DemoArgs,
    parent: &str,
    dir: &std::path::Path,
    children: &[String],
    failing: usize,
) -> Result<(), CliError> {
    // The copies of the children (step 4 made a copy of another task).
    let copies = || {
        mock.copies()
            .into_iter()
            .filter(|c| children.contains(&c.original))
            .collect::<Vec<_>>()
    };
    let journal = dir.join("journal.sqlite");
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Io(format!("cannot find this program: {e}")))?;
    let transport = match args.transport {
        crate::cli::Transport::Blocking => "blocking",
        crate::cli::Transport::Async => "async",
    };
    let command = |json: bool| {
        let mut c = Command::new(&exe);
        c.args(["rerun", "--parent", parent, "--status", "FAILED", "--run"])
            .arg("--journal")
            .arg(&journal)
            .args(["--concurrency", "2", "--transport", transport])
            .args(["--endpoint", mock.base_url(), "--allow-http-loopback"])
            // The token goes by the environment, never on a command line.
            .env("SB_AUTH_TOKEN", DEMO_TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if json {
            c.arg("--json");
        }
        c
    };
    println!(
        "     sbg-tasks rerun --parent {parent} --status FAILED --run --journal JOURNAL, in a child process"
    );
    // Slow clones (150 ms each), so that the kill falls halfway.
    mock.inject(
        Fault::Delay(Duration::from_millis(150)),
        Scope::Route(Route::CloneTask),
    );
    let spawn_error =
        |e: std::io::Error| CliError::Io(format!("cannot start {}: {e}", exe.display()));
    let mut child = command(true).spawn().map_err(spawn_error)?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| unexpected("the child has no stdout"))?;
    let mut before = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| CliError::Io(format!("reading the child: {e}")))?;
        println!("       {line}");
        before += 1;
        if before == 2 {
            break;
        }
    }
    // `Child::kill` is SIGKILL on Unix: no chance to clean up, as in a crash.
    let _ = child.kill();
    let _ = child.wait();
    mock.clear_faults();
    let made = copies().len();
    println!(
        "     killed after {before} outcomes; copies on the platform so far: {made} (a copy \
         made but not yet recorded is found again by the orphan-draft rule)"
    );
    if before != 2 || made > failing {
        return Err(unexpected(format!(
            "{before} outcomes before the kill, {made} copies"
        )));
    }
    println!("     the same command again, resuming from the journal:");
    let out = command(false).output().map_err(spawn_error)?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        println!("       {line}");
    }
    if !out.status.success() {
        return Err(unexpected(format!(
            "the resumed run ended with {}",
            out.status
        )));
    }
    let mut per_original: HashMap<String, (usize, usize)> = HashMap::new();
    for c in copies() {
        let e = per_original.entry(c.original).or_default();
        e.0 += 1;
        e.1 += usize::from(c.ran);
    }
    let once = per_original
        .values()
        .filter(|&&(n, ran)| n == 1 && ran == 1)
        .count();
    println!(
        "     the mock's count: {once} of {failing} failed children have exactly one copy, and it ran"
    );
    if once != failing || per_original.len() != failing {
        return Err(unexpected(format!("copies per original: {per_original:?}")));
    }
    Ok(())
}
