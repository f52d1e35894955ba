//! Bulk actions: `rerun`, `run`, `abort`, `delete` and `update` of several ids, or of the
//! tasks a listing selects, through the client's resumable `bulk` method and a SQLite
//! journal (`sbg-tasks-journal`).
//!
//! The same command run again finds the same journal (its name is derived from the endpoint,
//! the action and the selection) and resumes: the machine does not act again on a task that
//! has an outcome, and a rerun copy is made and run once.

use std::collections::HashSet;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sbg_tasks_journal::{file_name, SqliteJournal};
use sbg_tasks_proto::client::{BulkError, Journal as _, MemoryJournal};
use sbg_tasks_proto::endpoints::TimeBound;
use sbg_tasks_proto::machine::bulk::{
    Action, BulkEvent, BulkFailure, BulkReport, BulkSpec, Listing, Plan, Scope, Selection,
    TaskOutcome,
};
use sbg_tasks_proto::meta::RateLimit;
use sbg_tasks_proto::model::{TaskStatus, Timestamp};
use sbg_tasks_proto::{ProjectId, TaskId};
use serde_json::{json, Value};

use crate::backend::Client;
use crate::cli::{BulkFlags, OutArgs, Targets};
use crate::commands::{from_client, status_arg, task_id};
use crate::error::CliError;
use crate::output::out;

/// What a command acts on: one task (the single-task form, as before bulk actions), or a
/// bulk selection.
#[derive(Debug)]
pub(crate) enum Target {
    /// One id, no bulk flag: the single-task command.
    One(String),
    /// Several ids, a listing, or one id with a bulk flag.
    Many(Selection),
}

/// The `--status` of a bulk selection: one the platform knows (a listing by an unknown word
/// would select nothing, or be refused).
fn known_status(s: &str) -> Result<TaskStatus, CliError> {
    let status = status_arg(s)?;
    if status.is_terminal() || status.is_active() || status == TaskStatus::Draft {
        return Ok(status);
    }
    Err(CliError::Usage(format!(
        "invalid --status {s:?}: one of DRAFT, CREATING, QUEUED, RUNNING, ABORTING, COMPLETED, \
         ABORTED, FAILED"
    )))
}

fn time_arg(flag: &str, s: Option<&str>) -> Result<Option<TimeBound>, CliError> {
    s.map(|s| {
        TimeBound::try_from(Timestamp::new(s)).map_err(|e| {
            CliError::Usage(format!(
                "invalid {flag} {s:?} ({e}): give an RFC 3339 time, e.g. 2026-01-31T00:00:00Z"
            ))
        })
    })
    .transpose()
}

impl BulkFlags {
    /// Whether a flag that only a bulk action has was given.
    fn any(&self) -> bool {
        self.journal.is_some()
            || self.concurrency.is_some()
            || self.retries.is_some()
            || self.dry_run
    }
}

/// What the ids and selection flags ask for. Every mistake is a usage error, found before
/// any configuration is read.
pub(crate) fn target(targets: &Targets) -> Result<Target, CliError> {
    let Targets {
        ids,
        select,
        bulk: flags,
    } = targets;
    let scope = match (&select.project, &select.parent) {
        (Some(p), _) => {
            Some(Scope::Project(p.parse::<ProjectId>().map_err(|e| {
                CliError::Usage(format!("invalid --project {p:?}: {e}"))
            })?))
        }
        (None, Some(t)) => Some(Scope::Parent(task_id(t)?)),
        (None, None) => None,
    };
    let Some(scope) = scope else {
        if select.status.is_some()
            || select.created_from.is_some()
            || select.created_to.is_some()
            || select.ended_from.is_some()
            || select.ended_to.is_some()
        {
            return Err(CliError::Usage(
                "--status and the time bounds select with --project or --parent".to_owned(),
            ));
        }
        return match ids.as_slice() {
            [id] if !flags.any() => Ok(Target::One(id.clone())),
            [] => Err(CliError::Usage(
                "give a task id, several, or --project/--parent with --status".to_owned(),
            )),
            ids => Ok(Target::Many(Selection::Ids(
                ids.iter().map(|s| task_id(s)).collect::<Result<_, _>>()?,
            ))),
        };
    };
    let status = select.status.as_deref().ok_or_else(|| {
        CliError::Usage("--project and --parent select the tasks in a --status".to_owned())
    })?;
    let listing = Listing::new(scope)
        .status(known_status(status)?)
        .created(
            time_arg("--created-from", select.created_from.as_deref())?,
            time_arg("--created-to", select.created_to.as_deref())?,
        )
        .ended(
            time_arg("--ended-from", select.ended_from.as_deref())?,
            time_arg("--ended-to", select.ended_to.as_deref())?,
        );
    Ok(Target::Many(Selection::Listing(listing)))
}

/// The spec the flags ask for.
pub(crate) fn spec(action: Action, selection: Selection, flags: &BulkFlags) -> BulkSpec {
    let mut spec = BulkSpec::new(action, selection).with_dry_run(flags.dry_run);
    if let Some(n) = flags.concurrency {
        spec = spec.with_concurrency(usize::from(n));
    }
    if let Some(n) = flags.retries {
        spec = spec.with_retries(n);
    }
    spec
}

/// The directory journals are kept in when no `--journal` is given:
/// `$SBG_TASKS_STATE_DIR`, else `$XDG_STATE_HOME/sbg-tasks`, else
/// `~/.local/state/sbg-tasks` (a relative `XDG_STATE_HOME` is ignored, as the XDG
/// specification says).
pub(crate) fn state_dir(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty());
    if let Some(d) = set("SBG_TASKS_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = set("XDG_STATE_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(Path::new(&d).join("sbg-tasks"));
    }
    set("HOME").map(|h| Path::new(&h).join(".local/state/sbg-tasks"))
}

/// The journal of `spec` on `client`'s endpoint: `--journal`, or a file named after the
/// action and its selection in a directory named after the endpoint's host and port (the
/// same project on two platforms is two actions).
fn journal_path(
    client: &Client,
    spec: &BulkSpec,
    given: Option<&Path>,
) -> Result<PathBuf, CliError> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let dir = state_dir(|k| std::env::var(k).ok()).ok_or_else(|| {
        CliError::Usage(
            "no state directory for the journal ($SBG_TASKS_STATE_DIR, $XDG_STATE_HOME and \
             $HOME are unset): give --journal PATH"
                .to_owned(),
        )
    })?;
    let host = client
        .settings()
        .config
        .host_header()
        .to_str()
        .unwrap_or("endpoint")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>();
    Ok(dir.join(host).join(file_name(spec)))
}

fn journal_error(e: impl std::fmt::Display) -> CliError {
    CliError::Io(e.to_string())
}

/// A bulk action's error that is not a task's outcome.
fn bulk_error(e: BulkError) -> CliError {
    match e {
        // A journal of another action at the path given: the user's mistake.
        BulkError::Resume(r) => CliError::Usage(format!("{r} (give another --journal)")),
        other => CliError::Io(other.to_string()),
    }
}

/// Runs the bulk action `spec` on `client` (or plans it, for a dry run).
pub(crate) fn run(
    client: &Client,
    spec: BulkSpec,
    journal: Option<&Path>,
    out: &OutArgs,
) -> Result<(), CliError> {
    let path = journal_path(client, &spec, journal)?;
    if spec.dry_run {
        return dry_run(client, spec, &path, out);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::Io(format!(
                "cannot create the directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut journal = SqliteJournal::open(&path).map_err(journal_error)?;
    eprintln!("journal: {}", path.display());
    let name = spec.action.name();
    let mut display = Display::new(out.json);
    let result = client.bulk(spec, &mut journal, |e| display.event(e));
    display.bar.finish_and_clear();
    if let Some(e) = display.error.take() {
        return Err(e);
    }
    let report = result.map_err(bulk_error)?;
    display.earlier(&report)?;
    let sent = client.budget().counts().0;
    eprintln!("{}", summary(name, &report, sent, &path));
    exit(&report)
}

/// What the user sees while the action runs: a bar on a terminal (stderr), one line per
/// outcome on stdout.
struct Display {
    json: bool,
    bar: ProgressBar,
    /// Originals whose outcome was printed by this run.
    seen: HashSet<TaskId>,
    /// The first error writing to stdout.
    error: Option<CliError>,
}

impl Display {
    fn new(json: bool) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} tasks {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message("selecting");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            json,
            bar,
            seen: HashSet::new(),
            error: None,
        }
    }

    fn print(&mut self, text: &str) {
        if self.error.is_none() {
            if let Err(e) = self.bar.suspend(|| out(text)) {
                self.error = Some(e);
            }
        }
    }

    fn event(&mut self, event: &BulkEvent) {
        match event {
            BulkEvent::Selected(plan) => {
                let finished = plan.tasks.len() - plan.tasks.iter().filter(|t| t.to_do).count();
                self.bar.set_length(plan.tasks.len() as u64);
                self.bar.set_position(finished as u64);
                self.bar.set_message("");
            }
            BulkEvent::Outcome(outcome, progress) => {
                self.seen.insert(outcome.original().clone());
                self.bar.set_length(progress.total as u64);
                self.bar.set_position(progress.finished() as u64);
                self.bar.set_message(format!(
                    "({} done, {} skipped, {} failed)",
                    progress.done, progress.skipped, progress.failed
                ));
                let line = outcome_line(outcome, self.json, false);
                self.print(&format!("{line}\n"));
            }
            BulkEvent::Ambiguous {
                original,
                adopted,
                others,
            } => {
                let others: Vec<_> = others.iter().map(TaskId::as_str).collect();
                self.bar.suspend(|| {
                    eprintln!(
                        "warning: {original}: {} drafts could be its copy: adopted {adopted}, left \
                         {} alone (not deleted; check them)",
                        others.len() + 1,
                        others.join(", ")
                    );
                });
            }
            // Records go to the journal (the client did that before this call); later
            // events are the machine's to add.
            _ => {}
        }
    }

    /// The outcomes recorded by earlier runs of the action (not printed while this one ran).
    fn earlier(&mut self, report: &BulkReport) -> Result<(), CliError> {
        let text: String = report
            .outcomes
            .iter()
            .filter(|o| !self.seen.contains(o.original()))
            .map(|o| format!("{}\n", outcome_line(o, self.json, true)))
            .collect();
        out(&text)
    }
}

fn status_text(s: Option<&TaskStatus>) -> &str {
    s.map_or("(unknown)", TaskStatus::as_str)
}

fn failure_json(f: &BulkFailure) -> Value {
    json!({"status": f.status, "code": f.code, "message": f.message})
}

/// One outcome as a line of text or a JSON object.
pub(crate) fn outcome_line(outcome: &TaskOutcome, as_json: bool, earlier: bool) -> String {
    let mark = if earlier { " (earlier run)" } else { "" };
    match outcome {
        TaskOutcome::Done {
            original,
            copy,
            status,
        } => {
            if as_json {
                json!({"original": original.as_str(), "outcome": "done",
                       "copy": copy.as_ref().map(TaskId::as_str),
                       "status": status.as_ref().map(TaskStatus::as_str), "earlier": earlier})
                .to_string()
            } else {
                let copy = copy
                    .as_ref()
                    .map(|c| format!(" -> {c}"))
                    .unwrap_or_default();
                format!(
                    "done     {original}{copy} {}{mark}",
                    status_text(status.as_ref())
                )
            }
        }
        TaskOutcome::Skipped {
            original,
            status,
            code,
        } => {
            if as_json {
                json!({"original": original.as_str(), "outcome": "skipped",
                       "status": status.as_ref().map(TaskStatus::as_str), "code": code,
                       "earlier": earlier})
                .to_string()
            } else {
                let code = code.map(|c| format!(", code {c}")).unwrap_or_default();
                format!(
                    "skipped  {original} (status {}{code}){mark}",
                    status_text(status.as_ref())
                )
            }
        }
        TaskOutcome::Failed {
            original,
            copy,
            failure,
        } => {
            if as_json {
                json!({"original": original.as_str(), "outcome": "failed",
                       "copy": copy.as_ref().map(TaskId::as_str),
                       "error": failure_json(failure), "earlier": earlier})
                .to_string()
            } else {
                let copy = copy
                    .as_ref()
                    .map(|c| format!(" (copy {c})"))
                    .unwrap_or_default();
                format!("failed   {original}{copy}: {failure}{mark}")
            }
        }
        // A later kind of outcome: named, not guessed at.
        other => {
            let original = other.original();
            if as_json {
                json!({"original": original.as_str(), "outcome": "other", "earlier": earlier})
                    .to_string()
            } else {
                format!("other    {original}{mark}")
            }
        }
    }
}

/// The summary printed at the end.
fn summary(action: &str, report: &BulkReport, sent: u64, journal: &Path) -> String {
    let p = report.progress();
    let mut s = format!(
        "{action}: {} task(s) selected: {} done, {} skipped, {} failed; {} ambiguous draft(s); \
         {sent} request(s) sent by this run",
        p.total,
        p.done,
        p.skipped,
        p.failed,
        report.ambiguous.len()
    );
    if let Some(e) = &report.error {
        s.push_str(&format!("\nthe selection could not be listed: {e}"));
    }
    if !report.is_complete() {
        s.push_str(&format!(
            "\nnot finished: {} task(s) without an outcome; run the same command again to go on \
             (journal {})",
            p.total - p.finished(),
            journal.display()
        ));
    }
    s
}

/// The exit the report asks for: 0 when every task was done or skipped; 3 when a task failed
/// with an answer of the platform (or the selection could not be listed because of one); 4
/// when the failures were network failures or timeouts only.
fn exit(report: &BulkReport) -> Result<(), CliError> {
    if let Some(e) = &report.error {
        return Err(CliError::Bulk {
            message: format!("the selection could not be listed: {e}"),
            network: e.status.is_none(),
        });
    }
    let failures: Vec<&BulkFailure> = report
        .outcomes
        .iter()
        .filter_map(|o| match o {
            TaskOutcome::Failed { failure, .. } => Some(failure),
            _ => None,
        })
        .collect();
    if !failures.is_empty() {
        return Err(CliError::Bulk {
            message: format!("{} of {} task(s) failed", failures.len(), report.selected),
            network: failures.iter().all(|f| f.status.is_none()),
        });
    }
    if !report.is_complete() {
        return Err(CliError::Other(
            "the action stopped before its end: run the same command again to go on".to_owned(),
        ));
    }
    Ok(())
}

/// `--dry-run`: the selection is listed (or read from the journal, if the action was
/// started), nothing is recorded or changed; the plan is printed.
fn dry_run(
    client: &Client,
    spec: BulkSpec,
    path: &Path,
    out_args: &OutArgs,
) -> Result<(), CliError> {
    let records = if path.exists() {
        SqliteJournal::open(path)
            .and_then(|mut j| j.load())
            .map_err(journal_error)?
    } else {
        Vec::new()
    };
    let started = !records.is_empty();
    let action = spec.action.name();
    let mut journal = MemoryJournal::with_records(records);
    let report = client
        .bulk(spec, &mut journal, |_| {})
        .map_err(bulk_error)?;
    if let Some(e) = &report.error {
        return Err(CliError::Bulk {
            message: format!("the selection could not be listed: {e}"),
            network: e.status.is_none(),
        });
    }
    let budget = client.budget();
    let window = match budget.window() {
        Some(w) => Some(w),
        // No answer carried the window (a resumed plan lists nothing): ask, for free.
        None => client.rate_limit().map_err(from_client)?.value.rate_limit(),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let time = report.plan.time_at(window, now, budget.window_len());
    let finished: HashSet<&TaskId> = report.outcomes.iter().map(TaskOutcome::original).collect();
    let text = if out_args.json {
        let v = plan_json(action, &report.plan, &finished, window, time, started);
        format!("{v}\n")
    } else {
        plan_text(
            action,
            &report.plan,
            &finished,
            window,
            now,
            time,
            started,
            path,
        )
    };
    out(&text)
}

/// What the plan says a task is: `to_do`, `finished` (by an earlier run) or `skip`.
fn task_word(
    t: &sbg_tasks_proto::machine::bulk::PlannedTask,
    finished: &HashSet<&TaskId>,
) -> &'static str {
    if t.to_do {
        "to_do"
    } else if finished.contains(&t.id) {
        "finished"
    } else {
        "skip"
    }
}

fn plan_json(
    action: &str,
    plan: &Plan,
    finished: &HashSet<&TaskId>,
    window: Option<RateLimit>,
    time: Option<Duration>,
    started: bool,
) -> Value {
    let tasks: Vec<Value> = plan
        .tasks
        .iter()
        .map(|t| {
            json!({"id": t.id.as_str(), "name": t.name,
                   "status": t.status.as_ref().map(TaskStatus::as_str),
                   "plan": task_word(t, finished)})
        })
        .collect();
    json!({
        "action": action,
        "resumed": started,
        "tasks": tasks,
        "requests": plan.requests,
        "listings": plan.listings,
        "rate_limit": window.map(|w| json!({"limit": w.limit, "remaining": w.remaining, "reset": w.reset})),
        "seconds": time.map(|t| t.as_secs()),
    })
}

#[allow(clippy::too_many_arguments)]
fn plan_text(
    action: &str,
    plan: &Plan,
    finished: &HashSet<&TaskId>,
    window: Option<RateLimit>,
    now: Duration,
    time: Option<Duration>,
    started: bool,
    path: &Path,
) -> String {
    let mut s = format!(
        "dry run: {action} of {} task(s) selected{}\n",
        plan.tasks.len(),
        if started {
            format!(" (as recorded in {}, started earlier)", path.display())
        } else {
            format!(" by {} listing request(s)", plan.listings)
        }
    );
    let mut counts = [0usize; 3];
    for t in &plan.tasks {
        let word = task_word(t, finished);
        counts[match word {
            "to_do" => 0,
            "finished" => 1,
            _ => 2,
        }] += 1;
        s.push_str(&format!(
            "  {:<8} {:<38} {:<10} {}\n",
            word,
            t.id.as_str(),
            status_text(t.status.as_ref()),
            t.name.as_deref().unwrap_or("")
        ));
    }
    s.push_str(&format!(
        "{} to do, {} finished by an earlier run, {} skipped (the action does not apply)\n",
        counts[0], counts[1], counts[2]
    ));
    s.push_str(&format!(
        "requests: {} to act on them when nothing goes wrong\n",
        plan.requests
    ));
    let budget = match window {
        Some(w) => format!(
            "{} of {} request(s) left in the rate-limit window, which resets in {} s",
            w.remaining,
            w.limit,
            w.reset.saturating_sub(now.as_secs())
        ),
        None => "the platform told no rate limit".to_owned(),
    };
    match time {
        Some(t) if t.is_zero() => {
            s.push_str(&format!("time: within the current window ({budget})\n"));
        }
        Some(t) => s.push_str(&format!(
            "time: at least {} s at the current budget ({budget})\n",
            t.as_secs()
        )),
        None => s.push_str(&format!("time: unknown ({budget})\n")),
    }
    s.push_str("nothing was changed (dry run)\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Select;

    #[test]
    fn the_state_directory_follows_the_variables_in_order() {
        fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
            move |k| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        }
        let all = [
            ("SBG_TASKS_STATE_DIR", "/s"),
            ("XDG_STATE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(state_dir(env(&all)), Some(PathBuf::from("/s")));
        assert_eq!(
            state_dir(env(&[("XDG_STATE_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/sbg-tasks"))
        );
        // A relative XDG_STATE_HOME is ignored, an empty variable is unset.
        assert_eq!(
            state_dir(env(&[
                ("XDG_STATE_HOME", "x"),
                ("SBG_TASKS_STATE_DIR", ""),
                ("HOME", "/h")
            ])),
            Some(PathBuf::from("/h/.local/state/sbg-tasks"))
        );
        assert_eq!(state_dir(env(&[])), None);
    }

    #[test]
    fn one_id_without_a_bulk_flag_is_the_single_task_command() {
        let id = "08c5ce64-1551-4b7d-b054-63a1517bc7bb".to_owned();
        let of = |ids: &[String], select: &Select, bulk: &BulkFlags| {
            target(&Targets {
                ids: ids.to_vec(),
                select: select.clone(),
                bulk: bulk.clone(),
            })
        };
        let none = BulkFlags::default();
        let select = Select::default();
        assert!(matches!(
            of(std::slice::from_ref(&id), &select, &none),
            Ok(Target::One(ref s)) if *s == id
        ));
        let dry = BulkFlags {
            dry_run: true,
            ..BulkFlags::default()
        };
        assert!(matches!(
            of(std::slice::from_ref(&id), &select, &dry),
            Ok(Target::Many(Selection::Ids(ref v))) if v.len() == 1
        ));
        let status_only = Select {
            status: Some("FAILED".to_owned()),
            ..Select::default()
        };
        assert!(matches!(
            of(std::slice::from_ref(&id), &status_only, &none),
            Err(CliError::Usage(_))
        ));
        let bad_time = Select {
            project: Some("me/p".to_owned()),
            status: Some("failed".to_owned()),
            created_from: Some("yesterday".to_owned()),
            ..Select::default()
        };
        match of(&[], &bad_time, &none) {
            Err(CliError::Usage(m)) => assert!(m.contains("--created-from"), "{m}"),
            other => panic!("{other:?}"),
        }
        let good = Select {
            created_from: Some("2026-01-31T00:00:00Z".to_owned()),
            ..bad_time
        };
        match of(&[], &good, &none) {
            Ok(Target::Many(Selection::Listing(l))) => {
                assert_eq!(l.status, Some(TaskStatus::Failed));
                assert!(l.created_from.is_some() && l.created_to.is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn outcome_lines_name_the_original_the_copy_and_the_error() {
        let a: TaskId = "08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap();
        let b: TaskId = "18c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap();
        let done = TaskOutcome::Done {
            original: a.clone(),
            copy: Some(b.clone()),
            status: Some(TaskStatus::Queued),
        };
        let v: Value = serde_json::from_str(&outcome_line(&done, true, false)).unwrap();
        assert_eq!(
            v,
            json!({"original": a.as_str(), "outcome": "done", "copy": b.as_str(),
                   "status": "QUEUED", "earlier": false})
        );
        let failed = TaskOutcome::Failed {
            original: a.clone(),
            copy: None,
            failure: {
                let mut f = BulkFailure::default();
                f.status = Some(403);
                f.code = Some(5001);
                f.message = "forbidden".to_owned();
                f
            },
        };
        let v: Value = serde_json::from_str(&outcome_line(&failed, true, true)).unwrap();
        assert_eq!(
            v["error"],
            json!({"status": 403, "code": 5001, "message": "forbidden"})
        );
        assert_eq!(v["earlier"], json!(true));
        let text = outcome_line(&failed, false, true);
        assert!(
            text.starts_with("failed") && text.contains("forbidden") && text.contains("earlier"),
            "{text}"
        );
    }
}
