//! What the commands print: readable summaries, round-trip JSON, and repair warnings.

use std::fmt::Write as _;
use std::io::Write as _;

use sbg_tasks_proto::decode::line_col;
use sbg_tasks_proto::decode::ParseReport;
use sbg_tasks_proto::endpoints::BulkItemError;
use sbg_tasks_proto::model::{PortMap, RateLimitInfo, TaskStatus};
use sbg_tasks_proto::Task;

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

/// One line for a task in a list: id, status, creation time, name (what is missing is blank).
pub(crate) fn task_line(task: &Task) -> String {
    let line = format!(
        "{:<38} {:<10} {:<20} {}",
        task.id.as_deref().unwrap_or("(no id)"),
        task.status.as_ref().map_or("", TaskStatus::as_str),
        task.created_time
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        task.name.as_deref().unwrap_or("")
    );
    line.trim_end().to_owned()
}

/// The JSON line of a bulk item without a task: `{"id": ID, "error": {"status", "code",
/// "message"}}` (`more_info` too when the platform sent one; `null` for what it did not).
pub(crate) fn bulk_error_json(id: &str, e: &BulkItemError) -> serde_json::Value {
    let error = match e.api() {
        Some(api) => {
            let mut v = serde_json::json!({
                "status": api.status,
                "code": api.code.map(|c| c.as_i64()),
                "message": api.message,
            });
            if let Some(more) = &api.more_info {
                v["more_info"] = serde_json::Value::String(more.clone());
            }
            v
        }
        None => serde_json::json!({"status": null, "code": null, "message": e.to_string()}),
    };
    serde_json::json!({"id": id, "error": error})
}

/// A task's inputs, one port a line, each value as compact JSON (what `inputs --set` takes).
pub(crate) fn inputs_summary(id: &str, inputs: &PortMap) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "inputs of task {id}: {} port(s)", inputs.len());
    let width = inputs.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    for (port, value) in inputs {
        let v = serde_json::to_string(value).unwrap_or_else(|e| format!("(not encodable: {e})"));
        let _ = writeln!(s, "  {port:<width$}  {v}");
    }
    s
}

/// The rate-limit state: requests left of the limit, when the window resets (as a UTC time
/// and as seconds from `now`, Unix seconds), and the instance limit.
pub(crate) fn rate_limit_summary(info: &RateLimitInfo, now: u64) -> String {
    let mut s = String::new();
    let rate = info.rate.clone().unwrap_or_default();
    match (rate.limit, rate.remaining) {
        (Some(l), Some(r)) => row(
            &mut s,
            "requests",
            format!("{r} of {l} left in this window"),
        ),
        (Some(l), None) => row(&mut s, "requests", format!("{l} per window")),
        (None, Some(r)) => row(&mut s, "requests", format!("{r} left in this window")),
        (None, None) => row(&mut s, "requests", "no rate limit reported"),
    }
    if let Some(reset) = rate.reset {
        let when = if reset >= now {
            format!("in {} s", reset - now)
        } else {
            format!("{} s ago", now - reset)
        };
        row(&mut s, "resets", format!("{} ({when})", utc_time(reset)));
    }
    if let Some(i) = &info.instance_limit {
        match (i.limit, i.remaining) {
            (Some(l), Some(r)) => row(&mut s, "instances", format!("{r} of {l} available")),
            (Some(l), None) => row(&mut s, "instances", format!("at most {l}")),
            (None, Some(r)) => row(&mut s, "instances", format!("{r} available")),
            (None, None) => {}
        }
    }
    s
}

/// Unix seconds as an RFC 3339 UTC time, e.g. `2024-02-29T13:05:09Z`.
pub(crate) fn utc_time(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`), for the
    // proleptic Gregorian calendar; no negative days here.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_time_matches_known_dates() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00Z");
        // A leap day, and the day after.
        assert_eq!(utc_time(1_709_211_909), "2024-02-29T13:05:09Z");
        assert_eq!(utc_time(1_709_251_200), "2024-03-01T00:00:00Z");
        assert_eq!(utc_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_time(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn rate_limit_summary_says_what_is_left_and_when_it_resets() {
        let info: RateLimitInfo = serde_json::from_str(
            r#"{"rate": {"limit": 1000, "remaining": 998, "reset": 1709211909},
                "instance_limit": {"limit": 25, "remaining": 20}}"#,
        )
        .unwrap();
        let s = rate_limit_summary(&info, 1_709_211_900);
        assert!(s.contains("998 of 1000 left"), "{s}");
        assert!(s.contains("2024-02-29T13:05:09Z (in 9 s)"), "{s}");
        assert!(s.contains("20 of 25 available"), "{s}");
        let none: RateLimitInfo = serde_json::from_str(r#"{"rate": {}}"#).unwrap();
        let s = rate_limit_summary(&none, 0);
        assert!(
            s.contains("no rate limit reported") && !s.contains("resets"),
            "{s}"
        );
    }
}
