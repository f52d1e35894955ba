//! `watch` (and `wait` of several ids): follow many tasks with bulk gets, in the rate-limit
//! budget's watch lane, as events — a live view on a terminal, one line (or one JSON object)
//! per event elsewhere.
//!
//! The library's `client.watch(..)` follows the tasks; this loop takes its events with
//! `next_before`, which also comes back at least once a second with nothing to hand out, so
//! that the live view (requests made, budget left) is redrawn, `wait --timeout` stops on
//! time, and the trace stays short. Pacing, the share of the window and the reserve are the
//! client's budget's.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use sbg_tasks_proto::client::Idle;
use sbg_tasks_proto::endpoints::{BulkItemError, PageLimit};
use sbg_tasks_proto::env::Env as _;
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::machine::budget::Budget;
use sbg_tasks_proto::machine::watch::{FeedStrategy, Watcher};
use sbg_tasks_proto::model::{BatchCounts, TaskStatus};
use sbg_tasks_proto::{
    BudgetPolicy, ClientError, ListTasks, ProjectId, Task, TaskId, WatchEvent, WatcherPolicy,
};

use crate::backend::{Client, Watching};
use crate::cli::{WaitArgs, WatchArgs};
use crate::commands::{bulk_error_text, from_client, status_arg, task_id};
use crate::error::CliError;
use crate::output::{self, out, utc_time};

/// How many recent changes the live view shows.
const RECENT: usize = 6;

/// The `--interval` and `--budget-share` flags as the watcher and the budget take them.
pub(crate) fn pace(interval: f64, share: f64) -> Result<(WatcherPolicy, BudgetPolicy), CliError> {
    let min_interval = Duration::try_from_secs_f64(interval).map_err(|_| {
        CliError::Usage(format!(
            "--interval must be a number of seconds ≥ 0, not {interval}"
        ))
    })?;
    if !(share > 0.0 && share <= 1.0) {
        return Err(CliError::Usage(format!(
            "--budget-share must be more than 0 and at most 1 (a share of the rate-limit \
             window), not {share}"
        )));
    }
    Ok((
        WatcherPolicy::default().with_min_interval(min_interval),
        BudgetPolicy::default().with_watch_share(share),
    ))
}

/// Whether a task ended badly.
fn is_failure(status: Option<&TaskStatus>) -> bool {
    matches!(status, Some(TaskStatus::Failed | TaskStatus::Aborted))
}

fn status_str(task: &Task) -> &str {
    task.status
        .as_ref()
        .map_or("(no status)", TaskStatus::as_str)
}

/// What was seen so far: the figures of the live view and of the final summary, and the exit
/// code.
#[derive(Debug, Default)]
struct Tally {
    /// Ids followed at the start, and the tasks of a project found since.
    asked: usize,
    /// The ids counted in `asked`.
    known: std::collections::HashSet<TaskId>,
    /// Followed tasks that ended, by final status.
    ended: BTreeMap<String, usize>,
    /// Children of followed batch tasks that ended, by final status.
    children: BTreeMap<String, usize>,
    /// Tasks and children that ended FAILED or ABORTED.
    failed: usize,
    /// Ids the platform does not know.
    gone: usize,
    /// Requests that failed after their retries.
    errors: u64,
    /// The last changes, newest last.
    recent: VecDeque<String>,
    /// The children's counts of each followed batch task, as last seen.
    parents: BTreeMap<TaskId, BatchCounts>,
}

impl Tally {
    fn note(&mut self, line: String) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(line);
    }

    /// Counts `ids` as followed.
    fn follow(&mut self, ids: impl IntoIterator<Item = TaskId>) {
        for id in ids {
            if self.known.insert(id) {
                self.asked += 1;
            }
        }
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let now = utc_time(unix_now())
            .get(11..19)
            .unwrap_or_default()
            .to_owned();
        if let WatchEvent::Status { id, from: None, .. } | WatchEvent::Ended { id, .. } = event {
            // A task of a followed project, found by its listing.
            self.follow([id.clone()]);
        }
        match event {
            WatchEvent::Status { id, from, task } => {
                self.counts_of(id, task);
                if let Some(from) = from {
                    self.note(format!(
                        "{now} {id} {} -> {}",
                        from.as_str(),
                        status_str(task)
                    ));
                }
            }
            WatchEvent::Progress { id, task } => self.counts_of(id, task),
            WatchEvent::Ended { id, task } => {
                self.counts_of(id, task);
                *self.ended.entry(status_str(task).to_owned()).or_default() += 1;
                if is_failure(task.status.as_ref()) {
                    self.failed += 1;
                }
                self.note(format!("{now} {id} ended {}", status_str(task)));
            }
            WatchEvent::Gone { id, .. } => {
                self.gone += 1;
                self.note(format!("{now} {id} unknown to the platform"));
            }
            WatchEvent::ChildStatus {
                child,
                from: Some(from),
                ..
            } => self.note(format!(
                "{now} {} (child) {} -> {}",
                child.id.as_deref().unwrap_or("(no id)"),
                from.as_str(),
                status_str(child)
            )),
            WatchEvent::ChildEnded { parent, child } => {
                *self
                    .children
                    .entry(status_str(child).to_owned())
                    .or_default() += 1;
                if is_failure(child.status.as_ref()) {
                    self.failed += 1;
                }
                // The parent is in the view's batch line.
                let _ = parent;
                self.note(format!(
                    "{now} {} (child) ended {}",
                    child.id.as_deref().unwrap_or("(no id)"),
                    status_str(child)
                ));
            }
            _ => {}
        }
    }

    fn counts_of(&mut self, id: &TaskId, task: &Task) {
        if let Some(c) = task
            .execution_status
            .as_ref()
            .and_then(|e| e.batch_counts())
        {
            self.parents.insert(id.clone(), c);
        }
    }

    fn ended_total(&self) -> usize {
        self.ended.values().sum()
    }

    /// `3 COMPLETED, 1 FAILED`.
    fn by_status(map: &BTreeMap<String, usize>) -> String {
        map.iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The line printed at the end.
    fn summary(&self, watcher: &Watcher, client: &Client) -> String {
        let mut s = format!(
            "{} task(s) followed: {} ended",
            self.asked,
            self.ended_total()
        );
        if !self.ended.is_empty() {
            let _ = write!(s, " ({})", Self::by_status(&self.ended));
        }
        if self.gone > 0 {
            let _ = write!(s, ", {} unknown id(s)", self.gone);
        }
        if !watcher.is_empty() {
            let _ = write!(s, ", {} not ended", watcher.len());
        }
        if !self.children.is_empty() {
            let _ = write!(
                s,
                "; {} child task(s) ended ({})",
                self.children.values().sum::<usize>(),
                Self::by_status(&self.children)
            );
        }
        let (sent, limited) = client.budget().counts();
        let _ = write!(
            s,
            "; {} request(s) to follow them, {sent} sent in all, {limited} answered 429",
            watcher.requests()
        );
        if self.errors > 0 {
            let _ = write!(s, ", {} failed after retries", self.errors);
        }
        s
    }

    /// The exit status: unknown ids (3) first, then tasks that ended FAILED or ABORTED (5).
    fn verdict(&self) -> Result<(), CliError> {
        if self.gone > 0 {
            return Err(CliError::Unknown {
                gone: self.gone,
                total: self.asked,
            });
        }
        if self.failed > 0 {
            return Err(CliError::TasksFailed {
                failed: self.failed,
            });
        }
        Ok(())
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The live view: one indicatif spinner whose message is the whole view, redrawn in place on
/// stderr.
struct LiveView {
    bar: ProgressBar,
    started: Instant,
}

impl LiveView {
    /// A view when stderr is a terminal.
    fn new() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(Self {
            bar,
            started: Instant::now(),
        })
    }

    fn draw(&self, tally: &Tally, watcher: &Watcher, client: &Client, rate: &mut Rate) {
        let elapsed = self.started.elapsed();
        let per_minute = rate.per_minute(elapsed, watcher.requests());
        self.bar.set_message(live_text(
            tally,
            watcher,
            &client.budget(),
            elapsed,
            unix_now(),
            per_minute,
        ));
    }

    /// Leaves the last frame on the screen.
    fn finish(&self) {
        self.bar.abandon();
    }
}

/// Requests per minute over the last minute, from samples of the request count.
#[derive(Debug, Default)]
struct Rate {
    /// (time since the start, requests so far), oldest first, a minute at most.
    samples: VecDeque<(Duration, u64)>,
}

impl Rate {
    /// Notes `requests` at `at` and gives the rate over the last minute (or since the start).
    fn per_minute(&mut self, at: Duration, requests: u64) -> f64 {
        self.samples.push_back((at, requests));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| at.saturating_sub(*t) > Duration::from_secs(60))
        {
            self.samples.pop_front();
        }
        let (t0, r0) = self.samples.front().copied().unwrap_or((at, requests));
        let span = at.saturating_sub(t0).as_secs_f64();
        if span < 1.0 {
            return 0.0;
        }
        (requests.saturating_sub(r0)) as f64 * 60.0 / span
    }
}

/// A project's strategy as the live view says it.
fn strategy_text(strategy: Option<FeedStrategy>) -> &'static str {
    match strategy {
        Some(FeedStrategy::Listing) => "listings",
        Some(FeedStrategy::BulkGet) => "bulk gets",
        _ => "not chosen yet",
    }
}

/// How many projects the live view shows.
const PROJECTS_SHOWN: usize = 3;

/// The text of the live view.
fn live_text(
    tally: &Tally,
    watcher: &Watcher,
    budget: &Budget,
    elapsed: Duration,
    now: u64,
    per_minute: f64,
) -> String {
    let mut s = format!(
        "watching {} task(s) for {} s: {} followed, {} ended",
        tally.asked,
        elapsed.as_secs(),
        watcher.len(),
        tally.ended_total()
    );
    if !tally.ended.is_empty() {
        let _ = write!(s, " ({})", Tally::by_status(&tally.ended));
    }
    if tally.gone > 0 {
        let _ = write!(s, ", {} unknown", tally.gone);
    }
    let mut following: Vec<(String, usize)> = watcher
        .status_counts()
        .into_iter()
        .map(|(st, n)| {
            (
                st.map_or("(not seen yet)".to_owned(), |s| s.as_str().to_owned()),
                n,
            )
        })
        .collect();
    following.sort();
    if !following.is_empty() {
        let list: Vec<String> = following.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let _ = write!(s, "\n  followed:  {}", list.join(", "));
    }
    for (id, c) in tally.parents.iter().take(3) {
        let _ = write!(
            s,
            "\n  batch {id}: {} queued, {} running, {} completed, {} failed, {} aborted",
            c.queued, c.running, c.completed, c.failed, c.aborted
        );
    }
    let projects = watcher.projects();
    for (p, f) in projects.iter().take(PROJECTS_SHOWN) {
        let _ = write!(
            s,
            "\n  project {p}: {} ({} watched, {} running; ~{:.0} requests/h by listings, \
             ~{:.0} by bulk gets)",
            strategy_text(f.strategy),
            f.watched,
            f.running,
            f.listing_per_hour,
            f.bulk_per_hour
        );
    }
    if projects.len() > PROJECTS_SHOWN {
        let _ = write!(
            s,
            "\n  ... and {} more project(s)",
            projects.len() - PROJECTS_SHOWN
        );
    }
    let (sent, limited) = budget.counts();
    let _ = write!(
        s,
        "\n  requests:  {} to follow ({per_minute:.0}/min), {sent} sent in all, {limited} \
         answered 429",
        watcher.requests()
    );
    if tally.errors > 0 {
        let _ = write!(s, ", {} failed after retries", tally.errors);
    }
    match budget.window() {
        Some(w) => {
            let when = if w.reset >= now {
                format!("in {} s", w.reset - now)
            } else {
                "now".to_owned()
            };
            let _ = write!(
                s,
                "\n  budget:    {}/{} left, resets {} ({when}), watch share {:.0} %",
                w.remaining,
                w.limit,
                utc_time(w.reset).get(11..).unwrap_or_default(),
                budget.policy().watch_share * 100.0
            );
        }
        None => s.push_str("\n  budget:    not known yet"),
    }
    if !tally.recent.is_empty() {
        s.push_str("\n  recent:");
        for line in &tally.recent {
            let _ = write!(s, "\n    {line}");
        }
    }
    s
}

/// One event as a JSON object (see `watch --help`).
pub(crate) fn event_json(event: &WatchEvent) -> serde_json::Value {
    use serde_json::json;
    match event {
        WatchEvent::Status { id, from, task } => json!({
            "event": "status",
            "id": id.as_str(),
            "status": task.status.as_ref().map(TaskStatus::as_str),
            "from": from.as_ref().map(TaskStatus::as_str),
            "task": task,
        }),
        WatchEvent::Progress { id, task } => json!({
            "event": "progress",
            "id": id.as_str(),
            "status": task.status.as_ref().map(TaskStatus::as_str),
            "task": task,
        }),
        WatchEvent::Ended { id, task } => json!({
            "event": "ended",
            "id": id.as_str(),
            "status": task.status.as_ref().map(TaskStatus::as_str),
            "task": task,
        }),
        WatchEvent::Gone { id, error } => {
            let mut v = output::bulk_error_json(id.as_str(), error);
            v["event"] = json!("gone");
            v
        }
        WatchEvent::ChildStatus {
            parent,
            from,
            child,
        } => json!({
            "event": "child_status",
            "id": child.id,
            "parent": parent.as_str(),
            "status": child.status.as_ref().map(TaskStatus::as_str),
            "from": from.as_ref().map(TaskStatus::as_str),
            "task": child,
        }),
        WatchEvent::ChildEnded { parent, child } => json!({
            "event": "child_ended",
            "id": child.id,
            "parent": parent.as_str(),
            "status": child.status.as_ref().map(TaskStatus::as_str),
            "task": child,
        }),
        other => json!({"event": "other", "id": other.id().as_str()}),
    }
}

/// What a task's progress looks like in a line: steps, or a batch task's children.
fn progress_text(task: &Task) -> String {
    let exec = task.execution_status.as_ref();
    if let Some(c) = exec.and_then(|e| e.batch_counts()) {
        format!(
            "children {} queued, {} running, {} completed, {} failed, {} aborted",
            c.queued, c.running, c.completed, c.failed, c.aborted
        )
    } else if let Some((d, t)) = exec.and_then(|e| e.steps()) {
        format!("{d}/{t} steps")
    } else {
        String::new()
    }
}

/// One event as a readable line.
pub(crate) fn event_line(event: &WatchEvent) -> String {
    let name = |t: &Task| {
        t.name
            .as_deref()
            .map(|n| format!("  {n}"))
            .unwrap_or_default()
    };
    let line = match event {
        WatchEvent::Status { id, from, task } => format!(
            "status    {id:<36}  {} -> {}  {}{}",
            from.as_ref().map_or("(first seen)", TaskStatus::as_str),
            status_str(task),
            progress_text(task),
            name(task)
        ),
        WatchEvent::Progress { id, task } => format!(
            "progress  {id:<36}  {}  {}",
            status_str(task),
            progress_text(task)
        ),
        WatchEvent::Ended { id, task } => {
            format!("ended     {id:<36}  {}{}", status_str(task), name(task))
        }
        WatchEvent::Gone { id, error } => {
            format!("gone      {id:<36}  {}", bulk_error_text(error))
        }
        WatchEvent::ChildStatus {
            parent,
            from,
            child,
        } => format!(
            "child     {:<36}  {} -> {}  (child of {parent}){}",
            child.id.as_deref().unwrap_or("(no id)"),
            from.as_ref().map_or("(first seen)", TaskStatus::as_str),
            status_str(child),
            name(child)
        ),
        WatchEvent::ChildEnded { parent, child } => format!(
            "child     {:<36}  {}  (child of {parent}){}",
            child.id.as_deref().unwrap_or("(no id)"),
            status_str(child),
            name(child)
        ),
        other => format!("event     {}", other.id()),
    };
    // Double spaces of empty parts collapse at the end only.
    line.trim_end().to_owned()
}

/// How the loop treats a request that failed after its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnError {
    /// Print it to stderr and go on (`watch`), unless it can never heal (a 4xx other than
    /// 408 and 429: a refused token, a missing permission).
    Continue,
    /// Stop with it (`wait`, as `wait` of one id does).
    Stop,
}

/// Why the loop stopped.
#[derive(Debug, PartialEq, Eq)]
enum Stopped {
    /// Every task ended or is gone.
    Done,
    /// `--timeout` passed.
    TimedOut,
    /// Standard output was closed (`watch --json | head -3`).
    Closed,
}

/// Whether retrying a failed request could ever help.
fn is_permanent(e: &ClientError) -> bool {
    e.api()
        .is_some_and(|api| (400..500).contains(&api.status) && ![408, 429].contains(&api.status))
}

/// Takes the events of `watch` until every task ended (or `deadline`), handing each to `sink`
/// (which says `false` when the output is gone).
fn drive(
    client: &Client,
    watch: &mut Watching<'_>,
    tally: &mut Tally,
    view: Option<&LiveView>,
    on_error: OnError,
    deadline: Option<Instant>,
    mut sink: impl FnMut(&WatchEvent, &Tally) -> Result<bool, CliError>,
) -> Result<Stopped, CliError> {
    let mut rate = Rate::default();
    loop {
        if let Some(v) = view {
            v.draw(tally, watch.watcher(), client, &mut rate);
        }
        // Back at least once a second, so that the view's clock and budget line move.
        let mut nap = Duration::from_secs(1);
        if let Some(dl) = deadline {
            let left = dl.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Stopped::TimedOut);
            }
            nap = nap.min(left);
        }
        let item = watch.next_before(client.env().now() + nap);
        // One exchange is kept per request: a long watch would grow the trace without end.
        client.transport().trace.clear();
        match item {
            Err(Idle) => {}
            Ok(None) => return Ok(Stopped::Done),
            Ok(Some(Ok(event))) => {
                tally.on_event(&event);
                if !sink(&event, tally)? {
                    return Ok(Stopped::Closed);
                }
            }
            Ok(Some(Err(e))) => {
                tally.errors += 1;
                if on_error == OnError::Stop || is_permanent(&e) {
                    return Err(from_client(e));
                }
                let text = format!("warning: a request to follow the tasks failed, going on: {e}");
                match view {
                    Some(v) => v.bar.println(text),
                    None => eprintln!("{text}"),
                }
            }
        }
    }
}

/// Writes one line to stdout: `false` when stdout is closed.
fn write_line(line: &str) -> Result<bool, CliError> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(CliError::Io(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// On Ctrl-C with a live view: leave its last frame on the screen, say so, exit 130.
fn on_interrupt(bar: ProgressBar) {
    let spawned = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
                bar.abandon();
                eprintln!("interrupted: the tasks were not changed");
                std::process::exit(130);
            }
        });
    // Without the handler, Ctrl-C still ends the process (the default action).
    drop(spawned);
}

/// The ids `watch` follows: the arguments, the `--parent`s, and with `--project P --status S`
/// the tasks of P in S, listed once, in that order, each once; and the project followed
/// whole (`--project` without `--status`: [`Watch::project`]).
///
/// [`Watch::project`]: sbg_tasks_proto::machine::Watch::project
fn watch_ids(
    client: &Client,
    args: &WatchArgs,
) -> Result<(Vec<TaskId>, Option<ProjectId>), CliError> {
    let mut ids = Vec::new();
    for s in args.ids.iter().chain(&args.parent) {
        ids.push(task_id(s)?);
    }
    let mut whole = None;
    if let Some(p) = &args.project {
        let project: ProjectId = p
            .parse()
            .map_err(|e| CliError::Usage(format!("invalid --project: {e}")))?;
        let status = args.status.as_deref().map(status_arg).transpose()?;
        if status.is_none() {
            // Followed whole: listed by the watcher, its new tasks too.
            whole = Some(project.clone());
        }
        let fields: Fields = "id,status"
            .parse()
            .map_err(|e| CliError::Other(format!("{e}")))?;
        let mut call = ListTasks::new()
            .project(project)
            .fields(fields)
            .limit(PageLimit::MAX);
        if let Some(s) = &status {
            call = call.status(s.clone());
        }
        let (mut listed, mut skipped) = (0, 0);
        let selection = if whole.is_some() {
            None
        } else {
            Some(client.list(&call))
        };
        for task in selection.into_iter().flatten() {
            let task = task.map_err(from_client)?;
            listed += 1;
            // Without --status, the tasks that already ended are not followed: they would
            // only report their old endings.
            if status.is_none() && task.status.as_ref().is_some_and(TaskStatus::is_terminal) {
                skipped += 1;
                continue;
            }
            if let Some(id) = task.id.as_deref().and_then(|s| s.parse().ok()) {
                ids.push(id);
            }
        }
        if whole.is_none() {
            eprintln!(
                "project {p}: {listed} task(s) in {} listed{}",
                args.status.as_deref().unwrap_or_default(),
                if skipped > 0 {
                    format!(", {skipped} already ended (not followed)")
                } else {
                    String::new()
                }
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    Ok((ids, whole))
}

/// `watch`.
pub(crate) fn watch(client: Client, args: &WatchArgs) -> Result<(), CliError> {
    if args.ids.is_empty() && args.parent.is_empty() && args.project.is_none() {
        return Err(CliError::Usage(
            "nothing to watch: give task ids, --parent ID or --project P".to_owned(),
        ));
    }
    let (watcher_policy, budget) = pace(args.pace.interval, args.pace.budget_share)?;
    let client = client.with_budget(budget).with_watcher(watcher_policy);
    let (ids, whole) = watch_ids(&client, args)?;
    let mut tally = Tally::default();
    tally.follow(ids.iter().cloned());
    let mut watch = match whole {
        Some(project) => {
            let mut watch = client.watch_project(project);
            watch.add(ids);
            watch
        }
        None => client.watch(ids),
    };
    let view = if args.out.json { None } else { LiveView::new() };
    if let Some(v) = &view {
        on_interrupt(v.bar.clone());
    }
    let json = args.out.json;
    let stopped = drive(
        &client,
        &mut watch,
        &mut tally,
        view.as_ref(),
        OnError::Continue,
        None,
        |event, _| match (&view, json) {
            (_, true) => write_line(&event_json(event).to_string()),
            // The live view shows the counts and the last changes; endings are printed above
            // it too, so that they stay on the screen.
            (Some(v), false) => {
                if matches!(
                    event,
                    WatchEvent::Ended { .. }
                        | WatchEvent::Gone { .. }
                        | WatchEvent::ChildEnded { .. }
                ) {
                    v.bar.println(event_line(event));
                }
                Ok(true)
            }
            (None, false) => write_line(&event_line(event)),
        },
    );
    if let Some(v) = &view {
        v.draw(&tally, watch.watcher(), &client, &mut Rate::default());
        v.finish();
    }
    let stopped = stopped?;
    if stopped == Stopped::Closed {
        return Ok(());
    }
    eprintln!("{}", tally.summary(watch.watcher(), &client));
    tally.verdict()
}

/// `wait` of several ids: followed together with bulk gets; then one line per id, in the
/// order given (as `get` of several prints them). Exit 5 when any ended FAILED or ABORTED,
/// 3 when an id is unknown, 4 on timeout or network failure.
pub(crate) fn wait_many(client: Client, args: &WaitArgs) -> Result<(), CliError> {
    let ids = args
        .ids
        .iter()
        .map(|s| task_id(s))
        .collect::<Result<Vec<_>, _>>()?;
    let (policy, budget) = pace(args.interval, args.budget_share)?;
    let timeout = args
        .timeout
        .map(|t| {
            Duration::try_from_secs_f64(t).map_err(|_| {
                CliError::Usage(format!(
                    "--timeout must be a number of seconds ≥ 0, not {t}"
                ))
            })
        })
        .transpose()?;
    let client = client
        .with_budget(budget)
        .with_watcher(policy.with_follow_children(false));
    let mut watch = client.watch(ids.iter().cloned());
    let mut tally = Tally::default();
    tally.follow(ids.iter().cloned());
    let view = LiveView::new();
    if let Some(v) = &view {
        on_interrupt(v.bar.clone());
    }
    let mut found: HashMap<TaskId, Result<Task, BulkItemError>> = HashMap::new();
    let mut draft = None;
    let stopped = drive(
        &client,
        &mut watch,
        &mut tally,
        view.as_ref(),
        OnError::Stop,
        timeout.map(|t| Instant::now() + t),
        |event, _| {
            match event {
                WatchEvent::Ended { id, task } => {
                    found.insert(id.clone(), Ok((**task).clone()));
                }
                WatchEvent::Gone { id, error } => {
                    found.insert(id.clone(), Err(error.clone()));
                }
                WatchEvent::Status { id, task, .. } if task.status == Some(TaskStatus::Draft) => {
                    draft = Some(id.clone());
                    return Ok(false);
                }
                _ => {}
            }
            Ok(true)
        },
    );
    if let Some(v) = &view {
        v.finish();
    }
    let stopped = stopped?;
    if let Some(id) = draft {
        return Err(CliError::Other(format!(
            "task {id} is a DRAFT: it was never run, so waiting for it would never end (run it \
             first)"
        )));
    }
    let mut text = String::new();
    for id in &ids {
        let line = match (found.get(id), args.out.json) {
            (Some(Ok(task)), true) => serde_json::to_string(task)
                .map_err(|e| CliError::Io(format!("cannot encode the task as JSON: {e}")))?,
            (Some(Ok(task)), false) => output::task_line(task),
            (Some(Err(e)), true) => output::bulk_error_json(id.as_str(), e).to_string(),
            (Some(Err(e)), false) => format!("{:<38} {}", id.as_str(), bulk_error_text(e)),
            (None, true) => continue,
            (None, false) => format!("{:<38} (not ended)", id.as_str()),
        };
        text.push_str(&line);
        text.push('\n');
    }
    if !args.out.json {
        text.push_str(&tally.summary(watch.watcher(), &client));
        text.push('\n');
    }
    out(&text)?;
    if stopped == Stopped::TimedOut {
        return Err(CliError::Timeout(format!(
            "{} of {} task(s) had not ended after {} s",
            watch.watcher().len(),
            tally.asked,
            args.timeout.unwrap_or_default()
        )));
    }
    tally.verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(json: &str) -> Box<Task> {
        Box::new(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn pace_refuses_a_share_outside_0_1_and_a_negative_interval() {
        assert!(pace(10.0, 0.6).is_ok());
        assert!(pace(0.0, 1.0).is_ok());
        for (interval, share) in [
            (1.0, 0.0),
            (1.0, 1.5),
            (1.0, -0.1),
            (1.0, f64::NAN),
            (-1.0, 0.5),
        ] {
            let e = pace(interval, share).unwrap_err();
            assert_eq!(
                e.exit_code(),
                crate::error::EXIT_USAGE,
                "{interval} {share}: {e}"
            );
        }
        let (w, b) = pace(2.5, 0.25).unwrap();
        assert_eq!(w.min_interval, Duration::from_millis(2500));
        assert!((b.watch_share - 0.25).abs() < 1e-12);
    }

    #[test]
    fn events_as_json_lines_carry_event_id_status_and_from() {
        let id: TaskId = "t1".parse().unwrap();
        let status = WatchEvent::Status {
            id: id.clone(),
            from: Some(TaskStatus::Queued),
            task: task(r#"{"id": "t1", "status": "RUNNING"}"#),
        };
        let v = event_json(&status);
        assert_eq!(v["event"], "status");
        assert_eq!(v["id"], "t1");
        assert_eq!(v["status"], "RUNNING");
        assert_eq!(v["from"], "QUEUED");
        assert_eq!(v["task"]["id"], "t1");
        let child = WatchEvent::ChildEnded {
            parent: id.clone(),
            child: task(r#"{"id": "c1", "status": "FAILED"}"#),
        };
        let v = event_json(&child);
        assert_eq!(
            (v["event"].as_str(), v["id"].as_str(), v["parent"].as_str()),
            (Some("child_ended"), Some("c1"), Some("t1"))
        );
        assert_eq!(v["status"], "FAILED");
        let line = event_line(&child);
        assert!(
            line.starts_with("child     c1 ") && line.contains("FAILED"),
            "{line}"
        );
    }

    #[test]
    fn the_live_view_shows_requests_per_minute_and_each_projects_strategy() {
        let mut rate = Rate::default();
        assert_eq!(rate.per_minute(Duration::ZERO, 0), 0.0);
        assert_eq!(rate.per_minute(Duration::from_secs(30), 10), 20.0);
        // Only the last minute counts.
        assert_eq!(rate.per_minute(Duration::from_secs(90), 40), 30.0);
        let mut watcher = Watcher::new(WatcherPolicy::default());
        watcher.add_project("lab/big".parse().unwrap());
        watcher.add(["t1".parse().unwrap()]);
        let mut tally = Tally::default();
        tally.follow(["t1".parse().unwrap()]);
        tally.on_event(&WatchEvent::ChildStatus {
            parent: "t1".parse().unwrap(),
            from: Some(TaskStatus::Queued),
            child: task(r#"{"id": "c1", "status": "RUNNING"}"#),
        });
        let budget = Budget::new(BudgetPolicy::default());
        let text = live_text(&tally, &watcher, &budget, Duration::from_secs(42), 0, 12.4);
        assert!(
            text.starts_with("watching 1 task(s) for 42 s: 1 followed, 0 ended"),
            "{text}"
        );
        assert!(
            text.contains("\n  project lab/big: not chosen yet (0 watched, 0 running;"),
            "{text}"
        );
        assert!(
            text.contains("\n  requests:  0 to follow (12/min), 0 sent in all, 0 answered 429"),
            "{text}"
        );
        assert!(text.contains("c1 (child) QUEUED -> RUNNING"), "{text}");
        assert_eq!(strategy_text(Some(FeedStrategy::Listing)), "listings");
        assert_eq!(strategy_text(Some(FeedStrategy::BulkGet)), "bulk gets");
    }

    #[test]
    fn the_verdict_is_3_for_unknown_ids_then_5_for_failures_then_0() {
        let id: TaskId = "t1".parse().unwrap();
        let mut t = Tally {
            asked: 2,
            ..Tally::default()
        };
        t.on_event(&WatchEvent::Ended {
            id: id.clone(),
            task: task(r#"{"id": "t1", "status": "COMPLETED"}"#),
        });
        assert!(t.verdict().is_ok());
        t.on_event(&WatchEvent::ChildEnded {
            parent: id.clone(),
            child: task(r#"{"id": "c1", "status": "ABORTED"}"#),
        });
        assert_eq!(t.verdict().unwrap_err().exit_code(), 5);
        let err = BulkItemError::Api(Box::new(sbg_tasks_proto::ApiError::from_parts(
            sbg_tasks_proto::http::StatusCode::NOT_FOUND,
            &sbg_tasks_proto::http::HeaderMap::new(),
            br#"{"status": 404, "code": 7002, "message": "no"}"#,
        )));
        t.on_event(&WatchEvent::Gone { id, error: err });
        assert_eq!(t.verdict().unwrap_err().exit_code(), 3);
        assert_eq!(t.recent.len(), 3, "{:?}", t.recent);
    }
}
