//! A bulk action: rerun, run, abort, delete or modify many tasks, within the budget,
//! resumable after a crash, never running a copy twice.
//!
//! # The pieces
//!
//! - [`BulkSpec`]: what to do ([`Action`]) to which tasks ([`Selection`]: ids, or a listing
//!   by project or batch parent, status and created/ended range), how many requests at once
//!   ([`BulkSpec::concurrency`]) and how often a failed task is tried again
//!   ([`BulkSpec::retries`]).
//! - [`BulkAction`]: the action's state, new or rebuilt from what was recorded
//!   ([`BulkAction::resume`]). [`BulkAction::start`] puts it in the client's [`Shared`]
//!   state and gives a [`BulkHandle`].
//! - [`BulkWorker`]: an [`Operation`](super::Operation) that takes tasks from the action's
//!   queue one at a time. A driver runs [`BulkHandle::workers`] of them concurrently (each
//!   with at most one request in flight, as every operation), so at most that many requests
//!   are in flight; when they are all done, [`BulkHandle::finish`] gives the
//!   [`BulkReport`].
//!
//! Why workers over a shared queue rather than one operation with several requests in
//! flight: the step vocabulary and both driver loops stay as they are (one request per
//! operation); the queue lives in [`Shared`], which the drivers already lock around every
//! step; and a simulation drives the workers like any other operations.
//!
//! # Recording, write-ahead
//!
//! A worker hands out [`BulkEvent::Record`]: the driver persists those records (in one
//! transaction, see the `Journal` trait of the clients) *before* it steps that worker
//! again, and a worker sends nothing that depends on a record before it is stepped again.
//! The selection is listed first and recorded in full ([`Record::Selected`] …
//! [`Record::Sealed`]) before any task is acted on: the tasks acted on are the tasks
//! selected when the action started, whatever happens to the listing later (a rerun's failed
//! copy is never selected again).
//!
//! # Exactly once where it costs money
//!
//! A rerun clones the original as a DRAFT (never `action=run`), records the copy
//! ([`Record::Cloned`]), and then runs the copy; a run that meets `7007` (not a DRAFT any
//! more) was accepted before, and a get settles it. Before each clone the worker records a
//! [`Record::Intent`]. A clone is never sent again once it may have reached the platform.
//!
//! **The orphan-draft rule.** An intent without a later [`Record::Cloned`] or
//! [`Record::NoCopy`] (a crash between the clone and its record, or a clone whose answer was
//! lost) means at most one unrecorded copy may exist. The worker lists the DRAFTs of the
//! original's project created since the intent's time minus [`BulkSpec::margin`] (the
//! platform's timestamps have 1-second precision and its clock is not ours), keeps those with
//! the original's app, inputs and name, and drops every copy already recorded. Then:
//! exactly one → it is the copy (adopted, recorded); none → the clone is sent again (after a
//! new intent); more than one → the earliest created is adopted and the others are reported
//! ([`BulkEvent::Ambiguous`], [`Record::Ambiguous`]) and left alone: nothing proves they are
//! ours, so none is ever deleted. The rule is ambiguous only when someone else made drafts
//! with the same app, inputs and name in the same project within the margin (by hand, or a
//! second copy of this action running at the same time); it can also adopt such a draft by
//! mistake when the clone itself never reached the platform, and then the original is still
//! rerun exactly once. It relies on the listing showing a new draft: a listing that lags
//! behind the clone (the platform does not say it cannot) would make the rule clone again.
//! A task that failed for good while its clone intent was open (the orphan listing itself
//! kept failing) is looked at again by the next run, by the orphan rule only.
//!
//! # Skips
//!
//! An action that does not apply to a task's recorded status is skipped without a request
//! (rerun: the task has not ended; run, delete, update other than a rename: not a DRAFT;
//! abort: not CREATING, QUEUED or RUNNING). The platform's "not in this status" codes
//! (7007, 7008, 7009, 7010, 7011, 7026) and "no such task" (7002) also skip, unless this
//! action's own earlier attempt may have done it (then it is done).

mod record;
mod worker;

pub use record::{Record, RecordError, RecordRow};
pub use worker::BulkWorker;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use serde_json::{json, Value};

use super::Shared;
use crate::endpoints::{ListTasks, PageLimit, ProjectId, TaskUpdate, TimeBound};
use crate::error::ClientError;
use crate::fields::Fields;
use crate::id::TaskId;
use crate::meta::RateLimit;
use crate::model::{Task, TaskStatus};
use crate::Settings;

/// What a bulk action does to each selected task.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Copy the task as a DRAFT (`actions/clone`), and run the copy when `run` is set.
    Rerun {
        /// Run each copy once it is recorded.
        run: bool,
    },
    /// Run a DRAFT.
    Run,
    /// Abort a CREATING, QUEUED or RUNNING task.
    Abort,
    /// Delete a DRAFT.
    Delete,
    /// Modify a DRAFT (or only rename any task) with this change.
    Update(Box<TaskUpdate>),
}

impl Action {
    /// The action's name (`rerun`, `rerun+run`, `run`, `abort`, `delete`, `update`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Rerun { run: false } => "rerun",
            Action::Rerun { run: true } => "rerun+run",
            Action::Run => "run",
            Action::Abort => "abort",
            Action::Delete => "delete",
            Action::Update(_) => "update",
        }
    }

    /// Whether the action applies to a task in `status` (an unknown status: the platform
    /// decides).
    pub fn applies_to(&self, status: Option<&TaskStatus>) -> bool {
        let Some(s) = status else { return true };
        match self {
            Action::Rerun { .. } => s.is_terminal(),
            Action::Run | Action::Delete => *s == TaskStatus::Draft,
            Action::Update(u) => u.is_rename() || *s == TaskStatus::Draft,
            Action::Abort => matches!(
                s,
                TaskStatus::Creating | TaskStatus::Queued | TaskStatus::Running
            ),
        }
    }

    /// Requests that act on one task when nothing goes wrong: 2 for a rerun that runs its
    /// copy, 1 otherwise.
    pub fn requests_per_task(&self) -> u64 {
        match self {
            Action::Rerun { run: true } => 2,
            _ => 1,
        }
    }
}

/// Where a listing selection looks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// The tasks of a project.
    Project(ProjectId),
    /// The children of a batch task.
    Parent(TaskId),
}

/// A selection by listing: a project or a batch parent, a status, and optionally a created
/// or ended range (inclusive bounds).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listing {
    /// Where.
    pub scope: Scope,
    /// Which status.
    pub status: Option<TaskStatus>,
    /// Created at or after.
    pub created_from: Option<TimeBound>,
    /// Created at or before.
    pub created_to: Option<TimeBound>,
    /// Ended at or after.
    pub ended_from: Option<TimeBound>,
    /// Ended at or before.
    pub ended_to: Option<TimeBound>,
}

impl Listing {
    /// The tasks of `scope` (any status, any time).
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            status: None,
            created_from: None,
            created_to: None,
            ended_from: None,
            ended_to: None,
        }
    }

    /// Only tasks in `status`.
    pub fn status(mut self, status: TaskStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only tasks created in `from..=to` (either bound optional).
    pub fn created(mut self, from: Option<TimeBound>, to: Option<TimeBound>) -> Self {
        self.created_from = from;
        self.created_to = to;
        self
    }

    /// Only tasks ended in `from..=to` (either bound optional).
    pub fn ended(mut self, from: Option<TimeBound>, to: Option<TimeBound>) -> Self {
        self.ended_from = from;
        self.ended_to = to;
        self
    }

    /// The list call (every field, 100 a page).
    pub fn to_call(&self) -> ListTasks {
        let mut call = match &self.scope {
            Scope::Project(p) => ListTasks::new().project(p.clone()),
            Scope::Parent(t) => ListTasks::new().parent(t.clone()),
        };
        if let Some(s) = &self.status {
            call = call.status(s.clone());
        }
        if let Some(t) = self.created_from {
            call = call.created_from(t);
        }
        if let Some(t) = self.created_to {
            call = call.created_to(t);
        }
        if let Some(t) = self.ended_from {
            call = call.ended_from(t);
        }
        if let Some(t) = self.ended_to {
            call = call.ended_to(t);
        }
        call.limit(PageLimit::MAX).fields(Fields::All)
    }
}

/// Which tasks a bulk action acts on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Selection {
    /// These tasks (fetched with bulk gets, 100 a request, to learn their status).
    Ids(Vec<TaskId>),
    /// The tasks a listing gives when the action starts.
    Listing(Listing),
}

/// A bulk action to run: what, on which tasks, how.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BulkSpec {
    /// What to do.
    pub action: Action,
    /// To which tasks.
    pub selection: Selection,
    /// Workers, hence requests in flight at most. Default 4.
    pub concurrency: usize,
    /// How many more times a task whose attempt failed is tried (in this run, and counted
    /// over resumes). Default 0.
    pub retries: u32,
    /// The orphan-draft rule's margin before a clone intent's time. Default 10 minutes.
    pub margin: Duration,
    /// Only select and plan: nothing is recorded, nothing acted on.
    pub dry_run: bool,
}

impl BulkSpec {
    /// `action` on `selection`, with the defaults.
    pub fn new(action: Action, selection: Selection) -> Self {
        Self {
            action,
            selection,
            concurrency: 4,
            retries: 0,
            margin: Duration::from_secs(600),
            dry_run: false,
        }
    }

    /// Sets [`concurrency`](Self::concurrency) (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sets [`retries`](Self::retries).
    pub fn with_retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// Sets [`margin`](Self::margin).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets [`dry_run`](Self::dry_run).
    pub fn with_dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// The action and the selection as stable text (not the concurrency, retries or margin):
    /// the same command gives the same key, so a journal path can be derived from it and a
    /// journal of another action is refused.
    pub fn key(&self) -> String {
        let action = match &self.action {
            Action::Update(u) => json!({"update": u}),
            other => json!(other.name()),
        };
        let bound = |t: &Option<TimeBound>| t.map(TimeBound::to_rfc3339);
        let selection = match &self.selection {
            Selection::Ids(ids) => {
                json!({"ids": ids.iter().map(TaskId::as_str).collect::<Vec<_>>()})
            }
            Selection::Listing(l) => {
                let (kind, scope) = match &l.scope {
                    Scope::Project(p) => ("project", p.as_str()),
                    Scope::Parent(t) => ("parent", t.as_str()),
                };
                json!({
                    kind: scope,
                    "status": l.status.as_ref().map(|s| s.as_str().to_owned()),
                    "created_from": bound(&l.created_from),
                    "created_to": bound(&l.created_to),
                    "ended_from": bound(&l.ended_from),
                    "ended_to": bound(&l.ended_to),
                })
            }
        };
        json!({"action": action, "selection": selection}).to_string()
    }
}

/// What a copy of a task looks like: what the orphan-draft rule compares.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Fingerprint {
    /// `owner/project`.
    pub project: Option<String>,
    /// The app.
    pub app: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// The inputs, as JSON.
    pub inputs: Option<Value>,
}

impl Fingerprint {
    /// The fingerprint of `task`.
    pub fn of(task: &Task) -> Self {
        Self {
            project: task.project.clone(),
            app: task.app.clone(),
            name: task.name.clone(),
            inputs: task
                .inputs
                .as_ref()
                .and_then(|i| serde_json::to_value(i).ok()),
        }
    }

    /// Whether `draft` could be a copy of the task: same project, app, name and inputs
    /// (each as far as the original had it).
    pub fn matches(&self, draft: &Task) -> bool {
        let other = Fingerprint::of(draft);
        let same = |a: &Option<String>, b: &Option<String>| a.is_none() || a == b;
        same(&self.project, &other.project)
            && same(&self.app, &other.app)
            && same(&self.name, &other.name)
            && (self.inputs.is_none() || self.inputs == other.inputs)
    }

    fn to_json(&self) -> Value {
        json!({"project": self.project, "app": self.app, "name": self.name, "inputs": self.inputs})
    }

    fn from_json(v: &Value) -> Self {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Self {
            project: s("project"),
            app: s("app"),
            name: s("name"),
            inputs: v.get("inputs").filter(|i| !i.is_null()).cloned(),
        }
    }
}

/// Why a task's attempt failed: what the platform or the transport said, kept as text and
/// codes so that it can be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BulkFailure {
    /// The HTTP status, if there was an answer.
    pub status: Option<u16>,
    /// The platform's code, if it sent one.
    pub code: Option<i64>,
    /// The error, as text.
    pub message: String,
}

impl BulkFailure {
    /// The failure of a call.
    pub fn of(e: &ClientError) -> Self {
        Self {
            status: e.status(),
            code: e.api().and_then(|a| a.code).map(|c| c.as_i64()),
            message: e.to_string(),
        }
    }
}

impl std::fmt::Display for BulkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What happened to one selected task.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TaskOutcome {
    /// The action was done.
    Done {
        /// The task selected.
        original: TaskId,
        /// For a rerun: the copy.
        copy: Option<TaskId>,
        /// The status of the task acted on (the copy for a rerun) as last seen.
        status: Option<TaskStatus>,
    },
    /// The action does not apply to the task.
    Skipped {
        /// The task selected.
        original: TaskId,
        /// The status that made it not apply (as recorded when selected).
        status: Option<TaskStatus>,
        /// The platform's code that said so, if one did.
        code: Option<i64>,
    },
    /// The action failed (after the calls' retries and the action's `retries`).
    Failed {
        /// The task selected.
        original: TaskId,
        /// The copy, if the rerun made one that could not be run.
        copy: Option<TaskId>,
        /// What went wrong.
        failure: BulkFailure,
    },
}

impl TaskOutcome {
    /// The task selected.
    pub fn original(&self) -> &TaskId {
        match self {
            TaskOutcome::Done { original, .. }
            | TaskOutcome::Skipped { original, .. }
            | TaskOutcome::Failed { original, .. } => original,
        }
    }
}

/// How far a bulk action has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BulkProgress {
    /// Tasks selected.
    pub total: usize,
    /// Done.
    pub done: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed for good.
    pub failed: usize,
}

impl BulkProgress {
    /// Tasks with an outcome.
    pub fn finished(&self) -> usize {
        self.done + self.skipped + self.failed
    }
}

/// What a bulk worker hands out.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BulkEvent {
    /// Persist these records, in order and in one transaction, before stepping the worker
    /// again (write-ahead).
    Record(Vec<Record>),
    /// The selection is fixed (listed now, or as recorded).
    Selected(Plan),
    /// A task has its outcome.
    Outcome(TaskOutcome, BulkProgress),
    /// The orphan-draft rule found several candidates: `adopted` was taken, `others` left.
    Ambiguous {
        /// The original.
        original: TaskId,
        /// The draft adopted as its copy.
        adopted: TaskId,
        /// The other candidates (not deleted).
        others: Vec<TaskId>,
    },
}

/// What a bulk action will do: the tasks, the requests it will spend, and (with a budget)
/// how long that takes.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Plan {
    /// Every selected task: its recorded status and whether the action applies (tasks
    /// already finished in an earlier run do not count).
    pub tasks: Vec<PlannedTask>,
    /// Requests that act on the tasks left, when nothing goes wrong.
    pub requests: u64,
    /// Requests spent (or to spend) selecting: list pages or bulk gets.
    pub listings: u64,
}

/// One task of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlannedTask {
    /// The task.
    pub id: TaskId,
    /// Its name when selected.
    pub name: Option<String>,
    /// Its status when selected.
    pub status: Option<TaskStatus>,
    /// Whether the action applies (and is still to do).
    pub to_do: bool,
}

impl Plan {
    /// How long the plan's requests take at best within the rate-limit `window` as known
    /// now (`now` is Unix time; `window_len` the window's length, 5 minutes on the
    /// platform): nothing while the current window has room, then a reset and a whole window
    /// per `limit` requests more. `None` when the window is unknown.
    pub fn time_at(
        &self,
        window: Option<RateLimit>,
        now: Duration,
        window_len: Duration,
    ) -> Option<Duration> {
        let w = window?;
        let need = self.requests;
        if need <= w.remaining {
            return Some(Duration::ZERO);
        }
        let more = need - w.remaining;
        let windows = more.div_ceil(w.limit.max(1));
        let to_reset = Duration::from_secs(w.reset).saturating_sub(now);
        let later = u32::try_from(windows.saturating_sub(1)).unwrap_or(u32::MAX);
        Some(to_reset + window_len.saturating_mul(later))
    }
}

/// The end of a bulk action: one outcome per selected task (in selection order; a task
/// without one was not finished: the action was halted or is a dry run).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct BulkReport {
    /// The plan as of when this run's selection was fixed.
    pub plan: Plan,
    /// Outcomes, in selection order.
    pub outcomes: Vec<TaskOutcome>,
    /// Tasks selected.
    pub selected: usize,
    /// Drafts the orphan rule could not attribute: (original, adopted, others).
    pub ambiguous: Vec<(TaskId, TaskId, Vec<TaskId>)>,
    /// The action stopped before its end ([`BulkHandle::halt`], or the selection could not
    /// be listed): run it again to go on.
    pub halted: bool,
    /// Why the selection could not be listed, if it could not.
    pub error: Option<BulkFailure>,
}

impl BulkReport {
    /// Counts of the outcomes.
    pub fn progress(&self) -> BulkProgress {
        let mut p = BulkProgress {
            total: self.selected,
            ..BulkProgress::default()
        };
        for o in &self.outcomes {
            match o {
                TaskOutcome::Done { .. } => p.done += 1,
                TaskOutcome::Skipped { .. } => p.skipped += 1,
                TaskOutcome::Failed { .. } => p.failed += 1,
            }
        }
        p
    }

    /// Whether every selected task has an outcome.
    pub fn is_complete(&self) -> bool {
        !self.halted && self.outcomes.len() == self.selected
    }
}

/// A journal that belongs to another action, or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The records are of another action or selection.
    #[error("the journal records another bulk action ({found}), not this one ({expected})")]
    OtherAction {
        /// The key of this action.
        expected: String,
        /// The key recorded.
        found: String,
    },
    /// The records contradict each other.
    #[error("the journal is inconsistent: {0}")]
    Inconsistent(String),
}

/// The state of one selected task.
#[derive(Debug, Clone)]
struct Item {
    id: TaskId,
    status: Option<TaskStatus>,
    fingerprint: Fingerprint,
    /// An open intent: its time (Unix seconds). For a rerun: a clone may have been made.
    intent: Option<u64>,
    /// The intent was opened by an earlier run (found when resuming).
    intent_inherited: bool,
    copy: Option<TaskId>,
    failures: u32,
    outcome: Option<TaskOutcome>,
}

/// Where the action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The selection is to be listed.
    Unselected,
    /// A worker is listing it.
    Selecting,
    /// Listed; its records are with the driver (the lister has not been stepped since).
    Recording,
    /// Fixed and recorded: acting.
    Acting,
}

/// A bulk action: its spec and the state of each selected task. Built new
/// ([`BulkAction::new`]) or from what an earlier run recorded ([`BulkAction::resume`]).
#[derive(Debug, Clone)]
pub struct BulkAction {
    spec: BulkSpec,
    phase: Phase,
    items: Vec<Item>,
    index: HashMap<TaskId, usize>,
    queue: VecDeque<usize>,
    /// Every copy recorded (never adopted again by the orphan rule).
    copies: HashSet<TaskId>,
    ambiguous: Vec<(TaskId, TaskId, Vec<TaskId>)>,
    plan: Plan,
    halted: bool,
    /// Why the action stopped (the selection could not be listed).
    error: Option<BulkFailure>,
    /// Tasks claimed by a worker and not finished.
    busy: usize,
}

impl BulkAction {
    /// A new action: it lists its selection first.
    pub fn new(spec: BulkSpec) -> Self {
        Self {
            spec,
            phase: Phase::Unselected,
            items: Vec::new(),
            index: HashMap::new(),
            queue: VecDeque::new(),
            copies: HashSet::new(),
            ambiguous: Vec::new(),
            plan: Plan::default(),
            halted: false,
            error: None,
            busy: 0,
        }
    }

    /// The action as `records` (everything an earlier run recorded, in order) left it. No
    /// records, or a selection that was not sealed: a new action (the selection is listed
    /// again). Records of another action or selection: [`ResumeError::OtherAction`].
    pub fn resume(spec: BulkSpec, records: &[Record]) -> Result<Self, ResumeError> {
        let mut action = Self::new(spec);
        let sealed = records
            .iter()
            .position(|r| matches!(r, Record::Sealed { .. }));
        let Some(sealed) = sealed else {
            return Ok(action);
        };
        let expected = action.spec.key();
        if let Record::Sealed { key, count, .. } = &records[sealed] {
            if *key != expected {
                return Err(ResumeError::OtherAction {
                    expected,
                    found: key.clone(),
                });
            }
            let selected: Vec<_> = records[..sealed]
                .iter()
                .filter_map(|r| match r {
                    Record::Selected {
                        original,
                        status,
                        fingerprint,
                        ..
                    } => Some((original.clone(), status.clone(), fingerprint.clone())),
                    _ => None,
                })
                .collect();
            // A selection recorded twice (a crash before its seal): the last one is sealed.
            let start = selected
                .len()
                .saturating_sub(usize::try_from(*count).unwrap_or(0));
            for (id, status, fingerprint) in selected.into_iter().skip(start) {
                action.push_item(id, status, fingerprint);
            }
            if action.items.len() as u64 != *count {
                return Err(ResumeError::Inconsistent(format!(
                    "{count} tasks sealed, {} recorded",
                    action.items.len()
                )));
            }
        }
        for r in &records[sealed + 1..] {
            action.replay(r)?;
        }
        action.phase = Phase::Acting;
        action.fill_queue();
        action.plan = action.make_plan(0);
        Ok(action)
    }

    fn push_item(&mut self, id: TaskId, status: Option<TaskStatus>, fingerprint: Fingerprint) {
        if self.index.contains_key(&id) {
            return;
        }
        self.index.insert(id.clone(), self.items.len());
        self.items.push(Item {
            id,
            status,
            fingerprint,
            intent: None,
            intent_inherited: false,
            copy: None,
            failures: 0,
            outcome: None,
        });
    }

    fn replay(&mut self, r: &Record) -> Result<(), ResumeError> {
        let Some(original) = r.original() else {
            return Ok(());
        };
        let Some(&i) = self.index.get(original) else {
            return Err(ResumeError::Inconsistent(format!(
                "a {} record for {original}, which was not selected",
                r.kind()
            )));
        };
        let retries = self.spec.retries;
        let item = &mut self.items[i];
        match r {
            Record::Intent { at, .. } => {
                item.intent = Some(*at);
                item.intent_inherited = true;
            }
            Record::Cloned { copy, .. } => {
                item.intent = None;
                item.copy = Some(copy.clone());
                self.copies.insert(copy.clone());
            }
            Record::NoCopy { .. } => item.intent = None,
            Record::Done { copy, status, .. } => {
                item.intent = None;
                item.outcome = Some(TaskOutcome::Done {
                    original: original.clone(),
                    copy: copy.clone().or_else(|| item.copy.clone()),
                    status: status.clone(),
                });
            }
            Record::Skipped { status, code, .. } => {
                item.intent = None;
                item.outcome = Some(TaskOutcome::Skipped {
                    original: original.clone(),
                    status: status.clone(),
                    code: *code,
                });
            }
            Record::Failed { copy, failure, .. } => {
                item.failures += 1;
                if item.failures > retries {
                    item.outcome = Some(TaskOutcome::Failed {
                        original: original.clone(),
                        copy: copy.clone().or_else(|| item.copy.clone()),
                        failure: failure.clone(),
                    });
                }
            }
            Record::Ambiguous {
                adopted, others, ..
            } => {
                self.copies.extend(others.iter().cloned());
                self.ambiguous
                    .push((original.clone(), adopted.clone(), others.clone()));
            }
            Record::Selected { .. } | Record::Sealed { .. } => {}
        }
        Ok(())
    }

    /// Where the orphan-draft rule looks for a copy of item `i`: drafts created since its
    /// intent minus the margin (Unix seconds).
    fn orphans_since(&self, i: usize) -> u64 {
        self.items[i]
            .intent
            .unwrap_or_default()
            .saturating_sub(self.spec.margin.as_secs())
    }

    /// The items to work on: those without an outcome, and those of a rerun that failed with
    /// a clone intent open (the orphan rule looks for their copy again; they are not cloned
    /// again).
    fn fill_queue(&mut self) {
        let rerun = matches!(self.spec.action, Action::Rerun { .. });
        self.queue = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                it.outcome.is_none()
                    || (rerun
                        && it.intent.is_some()
                        && matches!(it.outcome, Some(TaskOutcome::Failed { .. })))
            })
            .map(|(i, _)| i)
            .collect();
    }

    fn make_plan(&self, listings: u64) -> Plan {
        let action = &self.spec.action;
        let mut requests = 0;
        let tasks = self
            .items
            .iter()
            .map(|it| {
                let to_do = it.outcome.is_none()
                    && (it.copy.is_some() || action.applies_to(it.status.as_ref()));
                if to_do {
                    requests += match (action, &it.copy) {
                        (Action::Rerun { run: true }, Some(_)) => 1,
                        (Action::Rerun { run: false }, Some(_)) => 0,
                        _ => action.requests_per_task(),
                    };
                }
                PlannedTask {
                    id: it.id.clone(),
                    name: it.fingerprint.name.clone(),
                    status: it.status.clone(),
                    to_do,
                }
            })
            .collect();
        Plan {
            tasks,
            requests,
            listings,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &BulkSpec {
        &self.spec
    }

    /// Whether the selection is fixed (recorded, or resumed).
    pub fn is_selected(&self) -> bool {
        self.phase == Phase::Acting
    }

    /// The plan (empty until the selection is fixed).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The report as of now.
    pub fn report(&self) -> BulkReport {
        BulkReport {
            plan: self.plan.clone(),
            outcomes: self
                .items
                .iter()
                .filter_map(|i| i.outcome.clone())
                .collect(),
            selected: self.items.len(),
            ambiguous: self.ambiguous.clone(),
            halted: self.halted,
            error: self.error.clone(),
        }
    }

    fn progress(&self) -> BulkProgress {
        let mut p = BulkProgress {
            total: self.items.len(),
            ..BulkProgress::default()
        };
        for o in self.items.iter().filter_map(|i| i.outcome.as_ref()) {
            match o {
                TaskOutcome::Done { .. } => p.done += 1,
                TaskOutcome::Skipped { .. } => p.skipped += 1,
                TaskOutcome::Failed { .. } => p.failed += 1,
            }
        }
        p
    }

    /// Puts the action in `shared` (the client's shared state), where its workers find it.
    pub fn start(self, shared: &mut Shared) -> BulkHandle {
        let workers = self.spec.concurrency.max(1);
        let key = shared.bulks.insert(self);
        BulkHandle { key, workers }
    }
}

/// A bulk action started in a client's [`Shared`] state: make its workers, halt it, and
/// take its report when they are done.
#[derive(Debug)]
pub struct BulkHandle {
    key: u64,
    workers: usize,
}

impl BulkHandle {
    /// How many workers to run at once ([`BulkSpec::concurrency`]).
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// One worker: an operation that takes tasks from the action's queue until it is empty.
    pub fn worker<'a>(&self, settings: &'a Settings) -> BulkWorker<'a> {
        BulkWorker::new(settings, self.key)
    }

    /// Stops the action: every worker ends at its next step without sending anything more
    /// (a driver does this when it cannot persist a record).
    pub fn halt(&self, shared: &mut Shared) {
        if let Some(a) = shared.bulks.get_mut(self.key) {
            a.halted = true;
        }
    }

    /// The report as of now.
    pub fn report(&self, shared: &Shared) -> Option<BulkReport> {
        shared.bulks.get(self.key).map(BulkAction::report)
    }

    /// Takes the action out of `shared` (after its workers are done): its report.
    pub fn finish(self, shared: &mut Shared) -> BulkReport {
        shared
            .bulks
            .remove(self.key)
            .map(|a| a.report())
            .unwrap_or_default()
    }
}

/// The bulk actions of a client, in its [`Shared`] state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bulks {
    next: u64,
    actions: HashMap<u64, BulkAction>,
}

impl Bulks {
    fn insert(&mut self, action: BulkAction) -> u64 {
        self.next += 1;
        self.actions.insert(self.next, action);
        self.next
    }

    pub(crate) fn get(&self, key: u64) -> Option<&BulkAction> {
        self.actions.get(&key)
    }

    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut BulkAction> {
        self.actions.get_mut(&key)
    }

    fn remove(&mut self, key: u64) -> Option<BulkAction> {
        self.actions.remove(&key)
    }
}
