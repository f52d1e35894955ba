//! The network commands (get, run, rerun, wait, abort, create, list, details, rate-limit) and
//! `parse`; `update`, `delete` and `inputs` are in [`crate::modify`].

use std::io::{IsTerminal as _, Read as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sbg_tasks_proto::decode::{decode, decode_strict};
use sbg_tasks_proto::endpoints::{BulkItemError, RunOptions};
use sbg_tasks_proto::endpoints::{CreateOutcome, PageLimit};
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::machine::pager::Pager;
use sbg_tasks_proto::machine::wait::{Progress, WaitPolicy};
use sbg_tasks_proto::model::{BatchBy, PortValue, TaskStatus};
use sbg_tasks_proto::ClientError as Error;
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{AbortTask, AppId, CreateTask, GetExecutionDetails, ListTasks, ProjectId};
use sbg_tasks_proto::{Decoding, GetTask, RerunTask, RunTask, TaskId};

use crate::backend::Client;
use crate::cli::{
    CreateArgs, GetArgs, IdArgs, ListArgs, OutArgs, ParseArgs, RateLimitArgs, RerunArgs, RunArgs,
    RunFlags, WaitArgs,
};
use crate::error::CliError;
use crate::output::{self, out, print_task, report_lines, warn_report};

/// Turns a client error into the CLI's, keeping its category (and so its exit code).
pub(crate) fn from_client(e: Error) -> CliError {
    let message = e.to_string();
    if let Some(api) = e.api() {
        return CliError::Api {
            message,
            error: Box::new(api.clone()),
        };
    }
    if e.transport_kind().is_some() {
        return CliError::Network(message);
    }
    match e {
        Error::Timeout { .. } => CliError::Timeout(message),
        Error::Redirect { .. } => CliError::Network(message),
        Error::Build(_) => CliError::Usage(message),
        Error::RetriesExhausted { .. } => CliError::Network(message),
        // Waiting for a DRAFT, an undecodable answer, and whatever comes later.
        _ => CliError::Other(message),
    }
}

/// A task id from the command line.
pub(crate) fn task_id(s: &str) -> Result<TaskId, CliError> {
    TaskId::new(s).map_err(|e| CliError::Usage(format!("invalid task id {s:?}: {e}")))
}

/// A status from the command line (`running` or `RUNNING`); a word the model does not know
/// is kept, as the platform may know it.
pub(crate) fn status_arg(s: &str) -> Result<TaskStatus, CliError> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_uppercase()))
        .map_err(|e| CliError::Usage(format!("invalid --status: {e}")))
}

pub(crate) fn fields(s: Option<&str>) -> Result<Option<Fields>, CliError> {
    s.map(|f| {
        f.parse::<Fields>()
            .map_err(|e| CliError::Usage(format!("invalid --fields {f:?}: {e}")))
    })
    .transpose()
}

fn secs(s: f64, flag: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| CliError::Usage(format!("{flag} must be a number of seconds ≥ 0, not {s}")))
}

/// Shows the repairs a lenient decode of the last answer made, as warnings on stderr.
pub(crate) fn warn_answer(client: &Client, report: &sbg_tasks_proto::decode::ParseReport) {
    if !report.is_clean() {
        let body = client.transport().trace.last_body();
        warn_report(report, Some(&body), "answer");
    }
}

/// `get`: one id with `GET /tasks/{id}`, several with bulk gets.
pub(crate) fn get(client: &Client, args: &GetArgs) -> Result<(), CliError> {
    let [id] = args.ids.as_slice() else {
        return bulk_get(client, args);
    };
    let mut call = GetTask::new(task_id(id)?);
    if let Some(f) = fields(args.fields.as_deref())? {
        call = call.fields(f);
    }
    let answer = client.get(&call).map_err(from_client)?;
    warn_answer(client, &answer.report);
    print_task(&answer.value, args.out.json)
}

/// `get` of several ids: `client.bulk_get` (one request per 100 ids), one line per id in the
/// order asked — the task, or the error the platform gave for that id. Exit code 3 when any
/// id had an error, after every line is printed.
fn bulk_get(client: &Client, args: &GetArgs) -> Result<(), CliError> {
    if args.fields.is_some() {
        return Err(CliError::Usage(
            "--fields works with one id only: a bulk get answers whole tasks".to_owned(),
        ));
    }
    let ids = args
        .ids
        .iter()
        .map(|s| task_id(s))
        .collect::<Result<Vec<_>, _>>()?;
    let answer = client.bulk_get(&ids).map_err(from_client)?;
    // Repairs of the last request's body get line:column (it is the body the trace kept).
    let pages = answer.pages.len();
    for (i, page) in answer.pages.iter().enumerate() {
        if i + 1 == pages {
            warn_answer(client, &page.report);
        } else {
            warn_report(&page.report, None, "answer");
        }
    }
    let mut text = String::new();
    let mut failed = 0;
    for (id, item) in ids.iter().zip(&answer.items) {
        if item.is_err() {
            failed += 1;
        }
        let line = match (item, args.out.json) {
            (Ok(task), true) => serde_json::to_string(task)
                .map_err(|e| CliError::Io(format!("cannot encode the task as JSON: {e}")))?,
            (Ok(task), false) => output::task_line(task),
            (Err(e), true) => output::bulk_error_json(id.as_str(), e).to_string(),
            (Err(e), false) => format!("{:<38} {}", id.as_str(), bulk_error_text(e)),
        };
        text.push_str(&line);
        text.push('\n');
    }
    if !args.out.json {
        text.push_str(&format!(
            "{} task(s) asked: {} found, {failed} with an error\n",
            ids.len(),
            ids.len() - failed
        ));
    }
    out(&text)?;
    if failed > 0 {
        return Err(CliError::Items {
            failed,
            total: ids.len(),
        });
    }
    Ok(())
}

/// `error 404 (code 7002): Task ... does not exist.` for a readable bulk line.
pub(crate) fn bulk_error_text(e: &BulkItemError) -> String {
    match e.api() {
        Some(api) => format!(
            "error {}{}: {}",
            api.status,
            api.code
                .map(|c| format!(" (code {})", c.as_i64()))
                .unwrap_or_default(),
            api.message.as_deref().unwrap_or("(no message)")
        ),
        None => format!("error: {e}"),
    }
}

/// The run options the flags ask for.
fn run_options(flags: &RunFlags) -> Result<RunOptions, CliError> {
    let mut options = RunOptions::new();
    if flags.no_batch {
        options = options.batch(false);
    }
    if let Some(b) = flags.interruptible {
        options = options.use_interruptible_instances(b);
    }
    if let Some(f) = fields(flags.fields.as_deref())? {
        options = options.fields(f);
    }
    Ok(options)
}

/// `run`.
pub(crate) fn run(client: &Client, id: &str, args: &RunArgs) -> Result<(), CliError> {
    let call = RunTask::new(task_id(id)?).options(run_options(&args.options)?);
    let answer = client.run(&call).map_err(from_client)?;
    warn_answer(client, &answer.report);
    print_task(&answer.value, args.out.json)
}

/// `rerun`.
pub(crate) fn rerun(client: &Client, id: &str, args: &RerunArgs) -> Result<(), CliError> {
    let call = RerunTask::new(task_id(id)?)
        .run(args.run)
        .options(run_options(&args.options)?);
    let answer = client.rerun(&call).map_err(from_client)?;
    warn_answer(client, &answer.report);
    print_task(&answer.value, args.out.json)
}

/// `abort`.
pub(crate) fn abort(client: &Client, id: &str, out: &OutArgs) -> Result<(), CliError> {
    let answer = client
        .abort(&AbortTask::new(task_id(id)?))
        .map_err(from_client)?;
    warn_answer(client, &answer.report);
    print_task(&answer.value, out.json)
}

/// A progress display for `wait`: a bar on a terminal, nothing (or one line per poll) elsewhere.
pub(crate) struct WaitDisplay {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl WaitDisplay {
    /// A bar when stdout is a terminal; otherwise, with `lines`, one line per poll on stdout.
    pub(crate) fn new(lines: bool) -> Self {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar, lines }
    }

    /// Shows one poll.
    pub(crate) fn update(&self, p: &Progress) {
        let status = p.status().map_or("(no status)", TaskStatus::as_str);
        let (done, total, what) = if let Some(c) = p.batch_counts() {
            (
                c.completed + c.failed + c.aborted,
                c.total(),
                format!(
                    "children {} queued, {} running, {} completed, {} failed, {} aborted",
                    c.queued, c.running, c.completed, c.failed, c.aborted
                ),
            )
        } else if let Some((d, t)) = p.steps() {
            (d, t, format!("{d}/{t} steps"))
        } else {
            (0, 0, String::new())
        };
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(format!("{status} {what}"));
        } else if self.lines {
            println!(
                "       poll {:>2}  {:>6.1}s  {status:<10} {what}",
                p.poll,
                p.elapsed.as_secs_f64()
            );
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Waits for a task, showing progress; the terminal task (any final status).
pub(crate) fn wait_for(
    client: &Client,
    id: &TaskId,
    policy: &WaitPolicy,
    display: &WaitDisplay,
) -> Result<Task, CliError> {
    let result = client.wait_with(id, policy, |p: &Progress| display.update(p));
    display.finish();
    result.map_err(from_client)
}

/// `wait`: exit 0 when COMPLETED, 5 when FAILED or ABORTED, 4 on timeout.
pub(crate) fn wait(client: &Client, args: &WaitArgs) -> Result<(), CliError> {
    let [id] = args.ids.as_slice() else {
        return Err(CliError::Usage("wait: one id here".to_owned()));
    };
    let id = task_id(id)?;
    let policy = WaitPolicy::default()
        .with_interval(secs(args.interval, "--interval")?)
        .with_backoff(1.0)
        .with_timeout(args.timeout.map(|t| secs(t, "--timeout")).transpose()?);
    let display = WaitDisplay::new(false);
    let task = wait_for(client, &id, &policy, &display)?;
    print_task(&task, args.out.json)?;
    match &task.status {
        Some(s @ (TaskStatus::Failed | TaskStatus::Aborted)) => Err(CliError::TaskEnded {
            id: id.as_str().to_owned(),
            status: s.as_str().to_owned(),
        }),
        _ => Ok(()),
    }
}

/// An input value from `PORT=VALUE`: `file:ID` is a file, anything else is JSON (or, when it is
/// not JSON, a string).
fn input_value(raw: &str) -> Result<(String, PortValue), CliError> {
    let (port, value) = raw
        .split_once('=')
        .ok_or_else(|| CliError::Usage(format!("--input {raw:?} is not PORT=VALUE")))?;
    if port.is_empty() {
        return Err(CliError::Usage(format!("--input {raw:?} has no port name")));
    }
    let json = if let Some(file) = value.strip_prefix("file:") {
        serde_json::json!({"class": "File", "path": file})
    } else {
        serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()))
    };
    let v: PortValue = serde_json::from_value(json)
        .map_err(|e| CliError::Usage(format!("--input {port}: {e}")))?;
    Ok((port.to_owned(), v))
}

/// `create`.
pub(crate) fn create(client: &Client, args: &CreateArgs) -> Result<(), CliError> {
    let project: ProjectId = args
        .project
        .parse()
        .map_err(|e| CliError::Usage(format!("invalid --project: {e}")))?;
    let app: AppId = args
        .app
        .parse()
        .map_err(|e| CliError::Usage(format!("invalid --app: {e}")))?;
    let mut call = CreateTask::new(project, app).run(args.run);
    if let Some(n) = &args.name {
        call = call.name(n.clone());
    }
    if let Some(d) = &args.description {
        call = call.description(d.clone());
    }
    for raw in &args.inputs {
        let (port, value) = input_value(raw)?;
        call = call.input(port, value);
    }
    if let Some(input) = &args.batch_input {
        let by = match args.batch_by.as_deref() {
            None | Some("ITEM") | Some("item") => BatchBy::item(),
            Some(c) => match c.split_once(':') {
                Some((kind, list)) if kind.eq_ignore_ascii_case("criteria") => {
                    BatchBy::criteria(list.split(',').map(str::trim).filter(|s| !s.is_empty()))
                }
                _ => {
                    return Err(CliError::Usage(format!(
                        "--batch-by {c:?}: expected ITEM or CRITERIA:field1,field2"
                    )))
                }
            },
        };
        call = call.batch(input.clone(), by);
    }
    if let Some(b) = args.interruptible {
        call = call.use_interruptible_instances(b);
    }
    let answer = client.create(&call).map_err(from_client)?;
    warn_answer(client, &answer.report);
    if let CreateOutcome::CreatedWithErrors { errors, .. } = &answer.value {
        eprintln!(
            "warning: the task was created but cannot run: {} validation error(s){}",
            errors.len(),
            if args.run { "; it was NOT run" } else { "" }
        );
    }
    print_task(answer.value.task(), args.out.json)
}

/// The fields `list` asks for unless `--fields` says otherwise: the columns it prints.
const LIST_FIELDS: &str = "id,name,status,created_time";

/// `list`: one page, or every page with `--all` (through the proto pager, which never hands
/// out a task twice).
pub(crate) fn list(client: &Client, args: &ListArgs) -> Result<(), CliError> {
    let mut call = ListTasks::new().limit(
        PageLimit::new(u64::from(args.limit))
            .map_err(|e| CliError::Usage(format!("invalid --limit: {e}")))?,
    );
    if let Some(p) = &args.project {
        call = call.project(
            p.parse()
                .map_err(|e| CliError::Usage(format!("invalid --project: {e}")))?,
        );
    }
    if let Some(s) = &args.status {
        call = call.status(status_arg(s)?);
    }
    if let Some(p) = &args.parent {
        call = call.parent(task_id(p)?);
    }
    if let Some(b) = args.batch {
        call = call.batch(b);
    }
    if let Some(o) = &args.origin_id {
        call = call.origin_id(o.clone());
    }
    // A list answer carries only href, id and name unless `fields` asks for more: ask for
    // the columns shown.
    if let Some(f) = fields(Some(args.fields.as_deref().unwrap_or(LIST_FIELDS)))? {
        call = call.fields(f);
    }
    let mut tasks = Vec::new();
    let mut total = None;
    if args.all {
        // The pager driven here rather than `client.list`: its iterator keeps each page's
        // decoding report to itself, and the repairs of every page are warned about.
        let config = &client.settings().config;
        let mut pager = Pager::new(call);
        while let Some(page_call) = pager.next_request(config) {
            let answer = client.call(&page_call).map_err(from_client)?;
            warn_answer(client, &answer.report);
            total = answer.meta.total_matching.or(total);
            let new = pager.on_page(answer).map_err(|e| {
                CliError::Other(format!("the task list could not be followed: {e}"))
            })?;
            tasks.extend(new);
        }
    } else {
        let answer = client.call(&call).map_err(from_client)?;
        warn_answer(client, &answer.report);
        total = answer.meta.total_matching;
        tasks.extend(answer.value.items().iter().cloned());
    }
    if args.out.json {
        let text = serde_json::to_string_pretty(&tasks)
            .map_err(|e| CliError::Io(format!("cannot encode the tasks as JSON: {e}")))?;
        return out(&format!("{text}\n"));
    }
    let mut s = String::new();
    for t in &tasks {
        s.push_str(&output::task_line(t));
        s.push('\n');
    }
    s.push_str(&match total {
        Some(total) => format!("{} task(s) shown of {total} matching\n", tasks.len()),
        None => format!("{} task(s) shown\n", tasks.len()),
    });
    out(&s)
}

/// `details`.
pub(crate) fn details(client: &Client, args: &IdArgs) -> Result<(), CliError> {
    let answer = client
        .execution_details(&GetExecutionDetails::new(task_id(&args.id)?))
        .map_err(from_client)?;
    warn_answer(client, &answer.report);
    if args.out.json {
        let text = serde_json::to_string_pretty(&answer.value)
            .map_err(|e| CliError::Io(format!("cannot encode the details as JSON: {e}")))?;
        return out(&format!("{text}\n"));
    }
    out(&output::details_summary(&answer.value))
}

/// `rate-limit`: the request-rate window (limit, remaining, reset as a time) and the
/// instance limit.
pub(crate) fn rate_limit(client: &Client, args: &RateLimitArgs) -> Result<(), CliError> {
    let answer = client.rate_limit().map_err(from_client)?;
    warn_answer(client, &answer.report);
    if args.out.json {
        let text = serde_json::to_string_pretty(&answer.value)
            .map_err(|e| CliError::Io(format!("cannot encode the rate limit as JSON: {e}")))?;
        return out(&format!("{text}\n"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    out(&output::rate_limit_summary(&answer.value, now))
}

/// `parse`: decode a saved body offline; print the task and what was repaired, with
/// line:column. Exit 1 when nothing trustworthy could be read.
pub(crate) fn parse(args: &ParseArgs) -> Result<(), CliError> {
    let (name, body) = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::Io(format!("cannot read standard input: {e}")))?;
        ("standard input".to_owned(), buf)
    } else {
        let body = std::fs::read(&args.file)
            .map_err(|e| CliError::Io(format!("cannot read {}: {e}", args.file.display())))?;
        (args.file.display().to_string(), body)
    };
    let decoded = if args.strict {
        decode_strict::<Task>(&body).map(|value| sbg_tasks_proto::decode::Decoded {
            value,
            report: sbg_tasks_proto::decode::ParseReport::default(),
        })
    } else {
        decode::<Task>(&body, &Decoding::default())
    }
    .map_err(|e| {
        let at = e
            .offset()
            .map(|o| {
                let (l, c) = sbg_tasks_proto::decode::line_col(&body, o);
                format!(" (at {l}:{c})")
            })
            .unwrap_or_default();
        CliError::Other(format!("{name} could not be decoded as a task{at}: {e}"))
    })?;
    if args.out.json {
        // Stdout holds only the task; the report goes to stderr.
        warn_report(&decoded.report, Some(&body), "body");
        return print_task(&decoded.value, true);
    }
    let mut s = output::task_summary(&decoded.value);
    let lines = report_lines(&decoded.report, Some(&body));
    if lines.is_empty() {
        s.push_str("\nvalid JSON: nothing was repaired\n");
    } else {
        s.push_str(&format!(
            "\nread leniently: {} repair(s), {} coercion(s)\n",
            decoded.report.repairs.repairs.len(),
            decoded.report.coercions.len()
        ));
        for l in lines {
            s.push_str("  ");
            s.push_str(&l);
            s.push('\n');
        }
    }
    out(&s)
}
