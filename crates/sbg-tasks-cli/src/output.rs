//! What the commands print: readable summaries, round-trip JSON, and repair warnings.

use std::fmt::Write as _;
use std::io::Write as _;

use sbg_tasks_proto::decode::line_col;
use sbg_tasks_proto::model::Task;
use sbg_tasks_proto::ParseReport;

use crate::error::CliError;

/// Prints `text` to stdout; a closed pipe (`sbg-tasks get X | head -1`) is not an error.
pub(crate) fn out(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Io(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// The task as JSON, exactly as decoded: known members, then unknown ones, as the model
/// re-emits them. Decoding this text gives an equal task.
pub(crate) fn task_json(task: &Task) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(task)
        .map_err(|e| CliError::Io(format!("cannot encode the task as JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// Prints a task as JSON or as a summary.
pub(crate) fn print_task(task: &Task, json: bool) -> Result<(), CliError> {
    if json {
        out(&task_json(task)?)
    } else {
        out(&task_summary(task))
    }
}

fn row(s: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(s, "  {label:<12}{value}");
}

/// A readable summary of a task: identity, status, progress, cost, validation problems.
pub(crate) fn task_summary(task: &Task) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "task {}{}",
        task.id.as_deref().unwrap_or("(no id)"),
        task.name
            .as_deref()
            .map(|n| format!("  \"{n}\""))
            .unwrap_or_default()
    );
    if let Some(st) = &task.status {
        row(&mut s, "status", st.as_str());
    }
    if let Some(p) = &task.project {
        row(&mut s, "project", p);
    }
    if let Some(a) = &task.app {
        row(&mut s, "app", a);
    }
    if task.is_batch_parent() {
        let by = task
            .batch_by
            .as_ref()
            .and_then(|b| b.kind.as_ref())
            .map(|k| format!(" by {}", k.as_str()))
            .unwrap_or_default();
        row(
            &mut s,
            "batch",
            format!(
                "yes, on input {}{by}",
                task.batch_input.as_deref().unwrap_or("?")
            ),
        );
    }
    if let Some(p) = &task.parent {
        row(&mut s, "parent", p);
    }
    if let Some(progress) = progress_text(task) {
        row(&mut s, "progress", progress);
    }
    if let Some(m) = task
        .execution_status
        .as_ref()
        .and_then(|e| e.message.as_ref())
    {
        row(&mut s, "message", m);
    }
    match (&task.created_time, &task.created_by) {
        (Some(t), Some(by)) => row(&mut s, "created", format!("{t} by {by}")),
        (Some(t), None) => row(&mut s, "created", t),
        (None, Some(by)) => row(&mut s, "created by", by),
        (None, None) => {}
    }
    if let Some(t) = &task.start_time {
        row(&mut s, "started", t);
    }
    if let Some(t) = &task.end_time {
        row(&mut s, "ended", t);
    }
    if let Some(p) = &task.price {
        if let Some(a) = &p.amount {
            row(
                &mut s,
                "price",
                format!("{} {}", a, p.currency.as_deref().unwrap_or("")),
            );
        }
    }
    if let Some(inputs) = &task.inputs {
        row(&mut s, "inputs", inputs.len());
    }
    if let Some(outputs) = &task.outputs {
        row(&mut s, "outputs", outputs.len());
    }
    for (label, issues) in [("error", &task.errors), ("warning", &task.warnings)] {
        for i in issues.iter().flatten() {
            row(
                &mut s,
                label,
                format!(
                    "{}{}{}",
                    i.kind.as_ref().map_or("", |k| k.as_str()),
                    i.input_id
                        .as_deref()
                        .map(|p| format!(" (input {p})"))
                        .unwrap_or_default(),
                    i.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    if !task.extra.is_empty() {
        let keys: Vec<&str> = task.extra.keys().map(String::as_str).collect();
        row(&mut s, "other", keys.join(", "));
    }
    s
}

/// `3/4 steps` for a single task, `children: 1 queued, 2 running, ...` for a batch parent.
pub(crate) fn progress_text(task: &Task) -> Option<String> {
    let es = task.execution_status.as_ref()?;
    if let Some(c) = es.batch_counts() {
        return Some(format!(
            "children: {} queued, {} running, {} completed, {} failed, {} aborted",
            c.queued, c.running, c.completed, c.failed, c.aborted
        ));
    }
    es.steps()
        .map(|(done, total)| format!("{done}/{total} steps"))
}

/// The lines of a repair report: one per repair (kind, line:column, bytes) and per coercion
/// (JSON pointer). `body` is the original body, for line and column.
pub(crate) fn report_lines(report: &ParseReport, body: Option<&[u8]>) -> Vec<String> {
    let mut lines = Vec::new();
    for r in &report.repairs.repairs {
        let at = match body {
            Some(b) => {
                let (l, c) = line_col(b, r.range.start);
                format!("{l}:{c} ")
            }
            None => String::new(),
        };
        lines.push(format!(
            "repaired {}: {at}(bytes {}..{})",
            r.kind, r.range.start, r.range.end
        ));
    }
    for c in &report.coercions {
        lines.push(format!("coerced {}: {}", c.pointer, c.kind));
    }
    lines
}

/// Prints a report's lines as warnings on stderr, prefixed with `what`.
pub(crate) fn warn_report(report: &ParseReport, body: Option<&[u8]>, what: &str) {
    if report.is_clean() {
        return;
    }
    eprintln!(
        "warning: the {what} was not valid JSON of the expected shape; it was read leniently:"
    );
    for l in report_lines(report, body) {
        eprintln!("warning:   {l}");
    }
}

/// A readable summary of a task's execution details: status, message, one line per job.
pub(crate) fn details_summary(d: &sbg_tasks_proto::model::ExecutionDetails) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "execution: {}{}",
        d.status.as_ref().map_or("(no status)", |st| st.as_str()),
        d.message
            .as_deref()
            .map(|m| format!(" — {m}"))
            .unwrap_or_default()
    );
    for job in d.jobs() {
        let _ = writeln!(
            s,
            "  {:<10} {}{}{}",
            job.status.as_ref().map_or("?", |st| st.as_str()),
            job.name.as_deref().unwrap_or("(unnamed job)"),
            job.instance
                .as_ref()
                .and_then(|i| i.instance_type.as_deref())
                .map(|t| format!(" on {t}"))
                .unwrap_or_default(),
            if job.retried == Some(true) {
                " (retried)"
            } else {
                ""
            }
        );
        if let Some(cmd) = &job.command_line {
            let _ = writeln!(s, "             $ {cmd}");
        }
        for (name, log) in job.logs.iter().flatten() {
            let _ = writeln!(s, "             log {name}: {}", log.as_str());
        }
    }
    let _ = writeln!(s, "{} job(s)", d.jobs().len());
    s
}
