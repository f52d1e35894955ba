//! [`BulkWorker`]: one worker of a bulk action, taking tasks from the action's queue in the
//! client's [`Shared`] state.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use super::{Action, BulkAction, BulkEvent, BulkFailure, Phase, Record, Selection, TaskOutcome};
use crate::endpoint::Lane;
use crate::endpoint::RequestBuildError;
use crate::endpoints::abort_task::AbortTask;
use crate::endpoints::bulk_get::MAX_BULK_IDS;
use crate::endpoints::delete_task::DeleteTask;
use crate::endpoints::get_task::GetTask;
use crate::endpoints::list_tasks::{ListTasks, PageLimit};
use crate::endpoints::rerun_task::RerunTask;
use crate::endpoints::run_task::RunTask;
use crate::endpoints::update_task::UpdateTask;
use crate::error::ClientError;
use crate::fields::Fields;
use crate::id::TaskId;
use crate::machine::call::CallResult;
use crate::machine::{
    over, BulkGet, Call, List, Now, Operation, Reply, Run, Settings, Shared, Step,
};
use crate::model::{Task, TaskStatus};
use crate::ErrorCode;

/// How long a worker waits while another one lists the selection.
const SELECTING_POLL: Duration = Duration::from_millis(50);

/// The platform codes that say an action does not apply to a task as it is (or that the
/// task is gone).
const SKIP_CODES: [ErrorCode; 7] = [
    ErrorCode::TaskNotFound,
    ErrorCode::OnlyForDraft,
    ErrorCode::OnlyForRunning,
    ErrorCode::OnlyForDraftOrRunning,
    ErrorCode::OnlyDraftEditable,
    ErrorCode::OnlyForActive,
    ErrorCode::OnlyRename,
];

fn code_of(e: &ClientError) -> Option<ErrorCode> {
    e.api().and_then(|a| a.code)
}

fn is_skip(e: &ClientError) -> bool {
    code_of(e).is_some_and(|c| SKIP_CODES.contains(&c))
}

/// Whether a failed clone may have reached the platform and made a copy.
fn may_have_acted(e: &ClientError) -> bool {
    match e {
        ClientError::Transport(f) => f.request_sent(),
        ClientError::RetriesExhausted { last, .. } => may_have_acted(last),
        ClientError::Build(_) => false,
        _ => match e.api() {
            Some(api) if api.is_rate_limited() => false,
            Some(api) => api.status >= 500 || api.is_maintenance(),
            // A success the client could not read (or a redirect): the platform acted.
            None => true,
        },
    }
}

fn secs(now: Now) -> u64 {
    now.unix.as_secs()
}

/// What a worker is doing. (A listing or a bulk get holds its call and pages: large, but one
/// per worker, held while its requests are out.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Job<'a> {
    /// Nothing: takes the next task.
    Idle,
    /// Listing: the selection, or the candidates of the orphan rule.
    List {
        why: Listed,
        op: List<'a>,
        found: Vec<Task>,
    },
    /// Getting the selected ids.
    SelectIds { op: BulkGet<'a>, ids: Vec<TaskId> },
    /// One call about item `i`.
    Call {
        i: usize,
        why: Called,
        act: Box<Act<'a>>,
    },
}

/// Why a worker lists.
#[derive(Debug, Clone, Copy)]
enum Listed {
    /// The selection.
    Selection,
    /// The orphan-draft rule for item `i`. `fresh`: this run's clone may have acted (rather
    /// than an intent found when resuming).
    Orphans { i: usize, fresh: bool },
}

/// Why a worker calls.
#[derive(Debug, Clone)]
enum Called {
    /// Clones the original (a rerun).
    Clone,
    /// Runs the recorded copy.
    RunCopy(TaskId),
    /// Gets the task (the copy, or the original) that a run answered 7007 about: it ran.
    Settle(Option<TaskId>),
    /// Runs, aborts, deletes or modifies the original.
    Act,
}

/// One call about a task, its answer the task (none for a delete). Boxed in a [`Job`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Act<'a> {
    Clone(Call<'a, RerunTask>),
    Run(Run<'a>),
    Get(Call<'a, GetTask>),
    Abort(Call<'a, AbortTask>),
    Delete(Call<'a, DeleteTask>),
    Update(Call<'a, UpdateTask>),
}

type ActResult = Result<Option<Task>, ClientError>;

/// A task call's step with its answer reduced to the task.
fn to_task<A>(
    step: Step<Infallible, CallResult<A>>,
    task: fn(A) -> Option<Task>,
) -> Step<Infallible, ActResult> {
    match step {
        Step::Done(result) => Step::Done(result.map(|a| task(a.value))),
        Step::Send(r) => Step::Send(r),
        Step::SleepUntil(t) => Step::SleepUntil(t),
        Step::Event(never) => match never {},
    }
}

impl Act<'_> {
    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Infallible, ActResult> {
        match self {
            Act::Clone(c) => to_task(c.step(now, shared), Some),
            Act::Run(r) => to_task(r.step(now, shared), Some),
            Act::Get(c) => to_task(c.step(now, shared), Some),
            Act::Abort(c) => to_task(c.step(now, shared), Some),
            Act::Delete(c) => to_task(c.step(now, shared), |_| None),
            Act::Update(c) => to_task(c.step(now, shared), Some),
        }
    }

    fn op(&mut self) -> &mut dyn Answered {
        match self {
            Act::Clone(c) => c,
            Act::Run(r) => r,
            Act::Get(c) => c,
            Act::Abort(c) => c,
            Act::Delete(c) => c,
            Act::Update(c) => c,
        }
    }
}

/// What every sub-operation of a worker takes from the driver: answers, and abandonment.
trait Answered {
    fn answer(&mut self, answer: Reply, now: Now, shared: &mut Shared);
    fn give_up(&mut self, shared: &mut Shared);
}

impl<O: Operation> Answered for O {
    fn answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        self.on_answer(answer, now, shared);
    }

    fn give_up(&mut self, shared: &mut Shared) {
        self.abandon(shared);
    }
}

/// One worker of a bulk action (see the [module docs](super)): an [`Operation`] that lists
/// the selection (the first worker to start), then takes tasks from the action's queue one at
/// a time and acts on each, until the queue is empty. Its events are
/// [`BulkEvent`]s; a [`BulkEvent::Record`] must be persisted before it is stepped again.
///
/// Made by [`BulkHandle::worker`](super::BulkHandle::worker).
#[derive(Debug)]
pub struct BulkWorker<'a> {
    settings: &'a Settings,
    key: u64,
    job: Job<'a>,
    out: VecDeque<BulkEvent>,
    /// This worker handed out the selection's records: stepped again, they are persisted.
    sealing: bool,
    over: bool,
}

impl<'a> BulkWorker<'a> {
    pub(super) fn new(settings: &'a Settings, key: u64) -> Self {
        Self {
            settings,
            key,
            job: Job::Idle,
            out: VecDeque::new(),
            sealing: false,
            over: false,
        }
    }

    fn end(&mut self) -> Step<BulkEvent, ()> {
        self.over = true;
        self.job = Job::Idle;
        Step::Done(())
    }

    fn record(&mut self, action: &BulkAction, records: Vec<Record>) {
        if !action.spec.dry_run && !records.is_empty() {
            self.out.push_back(BulkEvent::Record(records));
        }
    }

    /// Item `i` has its outcome (recorded with `records` before it).
    fn finish(
        &mut self,
        shared: &mut Shared,
        i: usize,
        outcome: TaskOutcome,
        mut records: Vec<Record>,
        now: Now,
    ) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let at = secs(now);
        let original = a.items[i].id.clone();
        records.push(match &outcome {
            TaskOutcome::Done { copy, status, .. } => Record::Done {
                original,
                copy: copy.clone(),
                status: status.clone(),
                at,
            },
            TaskOutcome::Skipped { status, code, .. } => Record::Skipped {
                original,
                status: status.clone(),
                code: *code,
                at,
            },
            TaskOutcome::Failed { copy, failure, .. } => Record::Failed {
                original,
                copy: copy.clone(),
                failure: failure.clone(),
                at,
            },
        });
        let item = &mut a.items[i];
        item.intent = None;
        item.outcome = Some(outcome.clone());
        a.busy = a.busy.saturating_sub(1);
        let progress = a.progress();
        let a = &*a;
        self.record(a, records);
        self.out.push_back(BulkEvent::Outcome(outcome, progress));
    }

    /// An attempt at item `i` failed: recorded, and the item goes back in the queue while
    /// the retries allow, else it has failed.
    fn fail(
        &mut self,
        shared: &mut Shared,
        i: usize,
        error: &ClientError,
        copy: Option<TaskId>,
        mut records: Vec<Record>,
        now: Now,
    ) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let failure = BulkFailure::of(error);
        let item = &mut a.items[i];
        item.failures += 1;
        if item.failures > a.spec.retries {
            let outcome = TaskOutcome::Failed {
                original: item.id.clone(),
                copy,
                failure,
            };
            // `finish` records the failure itself.
            let keep_intent = item.intent;
            self.finish(shared, i, outcome, records, now);
            if let Some(a) = shared.bulks.get_mut(self.key) {
                a.items[i].intent = keep_intent;
            }
            return;
        }
        records.push(Record::Failed {
            original: item.id.clone(),
            copy,
            failure,
            at: secs(now),
        });
        a.busy = a.busy.saturating_sub(1);
        a.queue.push_back(i);
        let a = &*a;
        self.record(a, records);
    }

    /// Takes the next task, or the selection, or ends.
    fn claim(&mut self, now: Now, shared: &mut Shared) -> Option<Step<BulkEvent, ()>> {
        let settings = self.settings;
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return Some(self.end());
        };
        match a.phase {
            Phase::Unselected => {
                a.phase = Phase::Selecting;
                self.job = match &a.spec.selection {
                    Selection::Ids(ids) => Job::SelectIds {
                        op: BulkGet::new(settings, ids),
                        ids: ids.clone(),
                    },
                    Selection::Listing(l) => Job::List {
                        why: Listed::Selection,
                        op: List::new(settings, &l.to_call()),
                        found: Vec::new(),
                    },
                };
                None
            }
            Phase::Selecting | Phase::Recording => {
                Some(Step::SleepUntil(now.mono + SELECTING_POLL))
            }
            Phase::Acting if a.spec.dry_run => Some(self.end()),
            Phase::Acting => match a.queue.pop_front() {
                Some(i) => {
                    a.busy += 1;
                    self.start(i, now, shared);
                    None
                }
                None => Some(self.end()),
            },
        }
    }

    /// Begins item `i`.
    fn start(&mut self, i: usize, now: Now, shared: &mut Shared) {
        let settings = self.settings;
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let at = secs(now);
        let item = &a.items[i];
        let id = item.id.clone();
        let status = item.status.clone();
        let applies = a.spec.action.applies_to(status.as_ref());
        let skipped = TaskOutcome::Skipped {
            original: id.clone(),
            status: status.clone(),
            code: None,
        };
        match a.spec.action.clone() {
            Action::Rerun { run } => {
                if let Some(copy) = item.copy.clone() {
                    if run {
                        self.run_copy(i, copy);
                    } else {
                        let done = TaskOutcome::Done {
                            original: id,
                            copy: Some(copy),
                            status: None,
                        };
                        self.finish(shared, i, done, Vec::new(), now);
                    }
                } else if item.intent.is_some() {
                    self.recover(i, false, shared, now);
                } else if !applies {
                    self.finish(shared, i, skipped, Vec::new(), now);
                } else {
                    a.items[i].intent = Some(at);
                    a.items[i].intent_inherited = false;
                    let a = &*a;
                    self.record(
                        a,
                        vec![Record::Intent {
                            original: id.clone(),
                            at,
                        }],
                    );
                    // Never `action=run`: the copy is recorded before it runs.
                    self.clone_original(i, id);
                }
            }
            action => {
                if !applies {
                    self.finish(shared, i, skipped, Vec::new(), now);
                    return;
                }
                a.items[i].intent = Some(at);
                let a = &*a;
                self.record(
                    a,
                    vec![Record::Intent {
                        original: id.clone(),
                        at,
                    }],
                );
                let act = match action {
                    Action::Abort => Act::Abort(Call::owned(settings, AbortTask::new(id))),
                    Action::Delete => Act::Delete(Call::owned(settings, DeleteTask::new(id))),
                    Action::Update(update) => {
                        Act::Update(Call::owned(settings, UpdateTask::with_body(id, *update)))
                    }
                    _ => Act::Run(Run::owned(settings, RunTask::new(id))),
                };
                self.call(i, Called::Act, act);
            }
        }
    }

    /// The orphan-draft rule for item `i` (see the [module docs](super)).
    fn recover(&mut self, i: usize, fresh: bool, shared: &mut Shared, now: Now) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let since = a.orphans_since(i);
        let item = &a.items[i];
        let project = item
            .fingerprint
            .project
            .as_deref()
            .and_then(|p| p.parse().ok());
        let Some(project) = project else {
            // Nothing to list by: the copy cannot be looked for, so none is made again.
            let error = ClientError::Build(RequestBuildError::Invalid {
                reason: "the orphan-draft rule needs the original's project, which is unknown",
            });
            self.fail(shared, i, &error, None, Vec::new(), now);
            return;
        };
        let from = time::OffsetDateTime::from_unix_timestamp(i64::try_from(since).unwrap_or(0))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let call = ListTasks::new()
            .project(project)
            .status(TaskStatus::Draft)
            .created_from(from)
            .limit(PageLimit::MAX)
            .fields(Fields::All);
        self.job = Job::List {
            why: Listed::Orphans { i, fresh },
            op: List::new(self.settings, &call),
            found: Vec::new(),
        };
    }

    /// Calls `act` about item `i`, in the budget's bulk lane (a get that settles a run is a
    /// read).
    fn call(&mut self, i: usize, why: Called, act: Act<'a>) {
        let act = match act {
            Act::Clone(c) => Act::Clone(c.in_lane(Lane::Bulk)),
            Act::Run(r) => Act::Run(r.in_lane(Lane::Bulk)),
            Act::Abort(c) => Act::Abort(c.in_lane(Lane::Bulk)),
            Act::Delete(c) => Act::Delete(c.in_lane(Lane::Bulk)),
            Act::Update(c) => Act::Update(c.in_lane(Lane::Bulk)),
            get @ Act::Get(_) => get,
        };
        self.job = Job::Call {
            i,
            why,
            act: Box::new(act),
        };
    }

    /// Clones `original` (item `i`): never `action=run`, the copy is recorded before it runs.
    fn clone_original(&mut self, i: usize, original: TaskId) {
        let call = Call::owned(self.settings, RerunTask::new(original).run(false));
        self.call(i, Called::Clone, Act::Clone(call));
    }

    /// Runs `copy`, the recorded copy of item `i`.
    fn run_copy(&mut self, i: usize, copy: TaskId) {
        let run = Run::owned(self.settings, RunTask::new(copy.clone()));
        self.call(i, Called::RunCopy(copy), Act::Run(run));
    }

    /// Gets `task` to settle a run that answered 7007.
    fn settle(&mut self, i: usize, task: TaskId, copy: Option<TaskId>) {
        let get = Call::owned(self.settings, GetTask::new(task));
        self.call(i, Called::Settle(copy), Act::Get(get));
    }

    /// The copy of item `i` is known: recorded, then run (or done).
    fn adopt(
        &mut self,
        shared: &mut Shared,
        i: usize,
        (copy, status): (TaskId, Option<TaskStatus>),
        mut records: Vec<Record>,
        adopted: bool,
        now: Now,
    ) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let item = &mut a.items[i];
        item.intent = None;
        item.copy = Some(copy.clone());
        a.copies.insert(copy.clone());
        records.push(Record::Cloned {
            original: item.id.clone(),
            copy: copy.clone(),
            adopted,
            at: secs(now),
        });
        let original = item.id.clone();
        if matches!(a.spec.action, Action::Rerun { run: true }) {
            let a = &*a;
            self.record(a, records);
            self.run_copy(i, copy);
        } else {
            let done = TaskOutcome::Done {
                original,
                copy: Some(copy),
                status,
            };
            self.finish(shared, i, done, records, now);
        }
    }

    /// The candidates of the orphan rule are listed.
    fn recovered(
        &mut self,
        shared: &mut Shared,
        i: usize,
        found: Vec<Task>,
        fresh: bool,
        now: Now,
    ) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let since = a.orphans_since(i);
        let item = &a.items[i];
        let mut candidates: Vec<(i64, TaskId, Option<TaskStatus>)> = found
            .iter()
            .filter(|t| t.status.as_ref().is_none_or(|s| *s == TaskStatus::Draft))
            .filter(|t| item.fingerprint.matches(t))
            .filter_map(|t| {
                let id = t.task_id().ok()?;
                let created = t
                    .created_time
                    .as_ref()
                    .and_then(|c| c.unix_seconds())
                    .unwrap_or(i64::MAX);
                let recent = created >= i64::try_from(since).unwrap_or(i64::MAX);
                (recent && id != item.id && !a.copies.contains(&id))
                    .then(|| (created, id, t.status.clone()))
            })
            .collect();
        candidates.sort_by(|x, y| (x.0, x.1.as_str()).cmp(&(y.0, y.1.as_str())));
        candidates.dedup_by(|x, y| x.1 == y.1);
        let original = item.id.clone();
        let at = secs(now);
        match candidates.len() {
            0 if fresh => {
                // The clone did not reach the platform after all: a failed attempt.
                let error = ClientError::Build(RequestBuildError::Invalid {
                    reason: "the clone's answer was lost and no copy was made",
                });
                let records = vec![Record::NoCopy { original, at }];
                a.items[i].intent = None;
                self.fail(shared, i, &error, None, records, now);
            }
            0 if matches!(a.items[i].outcome, Some(TaskOutcome::Failed { .. })) => {
                // Failed for good before: no copy was made, and none is made now.
                a.items[i].intent = None;
                a.busy = a.busy.saturating_sub(1);
                let a = &*a;
                self.record(a, vec![Record::NoCopy { original, at }]);
            }
            0 => {
                // An intent from an earlier run that made no copy: clone now.
                a.items[i].intent = Some(at);
                a.items[i].intent_inherited = false;
                let a = &*a;
                self.record(
                    a,
                    vec![
                        Record::NoCopy {
                            original: original.clone(),
                            at,
                        },
                        Record::Intent {
                            original: original.clone(),
                            at,
                        },
                    ],
                );
                self.clone_original(i, original);
            }
            n => {
                let mut records = Vec::new();
                let (_, adopted, status) = candidates[0].clone();
                if n > 1 {
                    let others: Vec<TaskId> = candidates[1..].iter().map(|c| c.1.clone()).collect();
                    a.copies.extend(others.iter().cloned());
                    a.ambiguous
                        .push((original.clone(), adopted.clone(), others.clone()));
                    records.push(Record::Ambiguous {
                        original: original.clone(),
                        adopted: adopted.clone(),
                        others: others.clone(),
                        at,
                    });
                    self.out.push_back(BulkEvent::Ambiguous {
                        original,
                        adopted: adopted.clone(),
                        others,
                    });
                }
                self.adopt(shared, i, (adopted, status), records, true, now);
            }
        }
    }

    /// The selection is listed (in `pages` list pages; none for ids): recorded in full, then
    /// acted on.
    fn selected(
        &mut self,
        shared: &mut Shared,
        tasks: Vec<(TaskId, Option<Task>)>,
        pages: u64,
        now: Now,
    ) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let at = secs(now);
        for (id, task) in tasks {
            let status = task.as_ref().and_then(|t| t.status.clone());
            let fp = task
                .as_ref()
                .map(super::Fingerprint::of)
                .unwrap_or_default();
            a.push_item(id, status, fp);
        }
        let listings = match &a.spec.selection {
            Selection::Ids(ids) => ids.len().div_ceil(MAX_BULK_IDS) as u64,
            Selection::Listing(_) => pages,
        };
        let mut records: Vec<Record> = a
            .items
            .iter()
            .map(|it| Record::Selected {
                original: it.id.clone(),
                status: it.status.clone(),
                fingerprint: it.fingerprint.clone(),
                at,
            })
            .collect();
        records.push(Record::Sealed {
            key: a.spec.key(),
            count: a.items.len() as u64,
            at,
        });
        a.fill_queue();
        a.plan = a.make_plan(listings);
        if a.spec.dry_run {
            a.phase = Phase::Acting;
        } else {
            a.phase = Phase::Recording;
            self.sealing = true;
        }
        let plan = a.plan.clone();
        let a = &*a;
        self.record(a, records);
        self.out.push_back(BulkEvent::Selected(plan));
    }

    fn selection_failed(&mut self, shared: &mut Shared, e: &ClientError) {
        if let Some(a) = shared.bulks.get_mut(self.key) {
            a.halted = true;
            a.error = Some(BulkFailure::of(e));
        }
        self.job = Job::Idle;
    }

    /// Steps the current job once: `Some(step)` to hand to the driver, `None` to go on.
    fn work(&mut self, now: Now, shared: &mut Shared) -> Option<Step<BulkEvent, ()>> {
        let job = std::mem::replace(&mut self.job, Job::Idle);
        match job {
            Job::Idle => self.claim(now, shared),
            Job::List {
                why,
                mut op,
                mut found,
            } => loop {
                match op.step(now, shared) {
                    Step::Event(Ok(t)) => found.push(t),
                    Step::Event(Err(e)) => {
                        self.listed(shared, why, Err(e), op.pages(), now);
                        return None;
                    }
                    Step::Done(()) => {
                        self.listed(shared, why, Ok(found), op.pages(), now);
                        return None;
                    }
                    Step::Send(r) => {
                        self.job = Job::List { why, op, found };
                        return Some(Step::Send(r));
                    }
                    Step::SleepUntil(t) => {
                        self.job = Job::List { why, op, found };
                        return Some(Step::SleepUntil(t));
                    }
                }
            },
            Job::SelectIds { mut op, ids } => match op.step(now, shared).outcome() {
                Ok(Ok(bulk)) => {
                    let mut got = bulk.items.into_iter().map(Result::ok);
                    let list = ids
                        .into_iter()
                        .map(|id| (id, got.next().flatten()))
                        .collect();
                    self.selected(shared, list, 0, now);
                    None
                }
                Ok(Err(e)) => {
                    self.selection_failed(shared, &e);
                    None
                }
                Err(pass) => {
                    self.job = Job::SelectIds { op, ids };
                    Some(pass)
                }
            },
            Job::Call { i, why, mut act } => match act.step(now, shared).outcome() {
                Ok(result) => {
                    self.called(shared, i, why, result, now);
                    None
                }
                Err(pass) => {
                    self.job = Job::Call { i, why, act };
                    Some(pass)
                }
            },
        }
    }

    /// A listing is over: `pages` fetched.
    fn listed(
        &mut self,
        shared: &mut Shared,
        why: Listed,
        found: Result<Vec<Task>, ClientError>,
        pages: u64,
        now: Now,
    ) {
        match (why, found) {
            (Listed::Selection, Ok(tasks)) => {
                let list = tasks
                    .into_iter()
                    .filter_map(|t| Some((t.task_id().ok()?, Some(t))))
                    .collect();
                self.selected(shared, list, pages, now);
            }
            (Listed::Selection, Err(e)) => self.selection_failed(shared, &e),
            (Listed::Orphans { i, fresh }, Ok(tasks)) => {
                self.recovered(shared, i, tasks, fresh, now)
            }
            // The intent stays open: a later attempt looks again.
            (Listed::Orphans { i, .. }, Err(e)) => self.fail(shared, i, &e, None, Vec::new(), now),
        }
    }

    /// A call about item `i` is over.
    fn called(&mut self, shared: &mut Shared, i: usize, why: Called, result: ActResult, now: Now) {
        let Some(original) = self.original(shared, i) else {
            return;
        };
        match (why, result) {
            (Called::Clone, Ok(task)) => match task.as_ref().map(Task::task_id) {
                Some(Ok(copy)) => {
                    let status = task.and_then(|t| t.status);
                    self.adopt(shared, i, (copy, status), Vec::new(), false, now);
                }
                // A copy exists, but which? The orphan rule finds it.
                _ => self.recover(i, true, shared, now),
            },
            (Called::Clone, Err(e)) if may_have_acted(&e) => self.recover(i, true, shared, now),
            (Called::Clone, Err(e)) => {
                let records = vec![Record::NoCopy {
                    original: original.clone(),
                    at: secs(now),
                }];
                if let Some(a) = shared.bulks.get_mut(self.key) {
                    a.items[i].intent = None;
                }
                if is_skip(&e) {
                    let skipped = TaskOutcome::Skipped {
                        original,
                        status: self.status(shared, i),
                        code: code_of(&e).map(ErrorCode::as_i64),
                    };
                    self.finish(shared, i, skipped, records, now);
                } else {
                    self.fail(shared, i, &e, None, records, now);
                }
            }
            (Called::RunCopy(copy) | Called::Settle(Some(copy)), Ok(task)) => {
                let done = TaskOutcome::Done {
                    original,
                    copy: Some(copy),
                    status: task.and_then(|t| t.status),
                };
                self.finish(shared, i, done, Vec::new(), now);
            }
            // Our copy is no longer a DRAFT: it was run (before a crash); a get settles it.
            (Called::RunCopy(copy), Err(e)) if code_of(&e) == Some(ErrorCode::OnlyForDraft) => {
                self.settle(i, copy.clone(), Some(copy));
            }
            (Called::RunCopy(copy) | Called::Settle(Some(copy)), Err(e)) => {
                self.fail(shared, i, &e, Some(copy), Vec::new(), now);
            }
            // Run by this action before a crash: a get settles it.
            (Called::Act, Err(e))
                if matches!(self.action(shared), Some(Action::Run))
                    && self.inherited(shared, i)
                    && code_of(&e) == Some(ErrorCode::OnlyForDraft) =>
            {
                self.settle(i, original, None);
            }
            (Called::Act | Called::Settle(None), result) => {
                self.acted(shared, i, result.map(|t| t.and_then(|t| t.status)), now);
            }
        }
    }

    /// The answer of a run, abort, delete or update of item `i`.
    fn acted(
        &mut self,
        shared: &mut Shared,
        i: usize,
        result: Result<Option<TaskStatus>, ClientError>,
        now: Now,
    ) {
        let Some(original) = self.original(shared, i) else {
            return;
        };
        let inherited = self.inherited(shared, i);
        let outcome = match result {
            Ok(status) => TaskOutcome::Done {
                original,
                copy: None,
                status,
            },
            // This action's attempt before a crash may have done it.
            Err(e) if is_skip(&e) && inherited => TaskOutcome::Done {
                original,
                copy: None,
                status: None,
            },
            Err(e) if is_skip(&e) => TaskOutcome::Skipped {
                original,
                status: self.status(shared, i),
                code: code_of(&e).map(ErrorCode::as_i64),
            },
            Err(e) => {
                self.fail(shared, i, &e, None, Vec::new(), now);
                return;
            }
        };
        self.finish(shared, i, outcome, Vec::new(), now);
    }

    /// The sub-operation that may hold a request.
    fn current(&mut self) -> Option<&mut dyn Answered> {
        match &mut self.job {
            Job::Idle => None,
            Job::List { op, .. } => Some(op),
            Job::SelectIds { op, .. } => Some(op),
            Job::Call { act, .. } => Some(act.op()),
        }
    }

    fn action(&self, shared: &Shared) -> Option<Action> {
        shared.bulks.get(self.key).map(|a| a.spec.action.clone())
    }

    /// The id of item `i` (none once the action has left `shared`).
    fn original(&self, shared: &Shared, i: usize) -> Option<TaskId> {
        shared.bulks.get(self.key).map(|a| a.items[i].id.clone())
    }

    fn status(&self, shared: &Shared, i: usize) -> Option<TaskStatus> {
        shared
            .bulks
            .get(self.key)
            .and_then(|a| a.items[i].status.clone())
    }

    fn inherited(&self, shared: &Shared, i: usize) -> bool {
        shared
            .bulks
            .get(self.key)
            .is_some_and(|a| a.items[i].intent_inherited)
    }
}

impl Operation for BulkWorker<'_> {
    type Event = BulkEvent;
    type Output = ();

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<BulkEvent, ()> {
        loop {
            if let Some(event) = self.out.pop_front() {
                return Step::Event(event);
            }
            if self.over {
                return over();
            }
            let Some(a) = shared.bulks.get_mut(self.key) else {
                return self.end();
            };
            if std::mem::take(&mut self.sealing) {
                // Stepped again: the selection's records are persisted.
                a.phase = Phase::Acting;
            }
            if a.halted {
                self.abandon(shared);
                return self.end();
            }
            if let Some(step) = self.work(now, shared) {
                return step;
            }
        }
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        if let Some(op) = self.current() {
            op.answer(answer, now, shared);
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        if let Some(op) = self.current() {
            op.give_up(shared);
        }
        let claimed = match &self.job {
            Job::List {
                why: Listed::Orphans { i, .. },
                ..
            }
            | Job::Call { i, .. } => Some(*i),
            _ => None,
        };
        let selecting = matches!(
            self.job,
            Job::List {
                why: Listed::Selection,
                ..
            } | Job::SelectIds { .. }
        );
        self.job = Job::Idle;
        if let Some(a) = shared.bulks.get_mut(self.key) {
            if let Some(i) = claimed {
                // Back in the queue for another worker (its open intent, if any, stays).
                a.busy = a.busy.saturating_sub(1);
                a.queue.push_front(i);
            }
            if selecting && a.phase == Phase::Selecting {
                a.phase = Phase::Unselected;
            }
            if std::mem::take(&mut self.sealing) && a.phase == Phase::Recording {
                // The selection's records may not have been persisted: nobody may act on it.
                a.halted = true;
            }
        }
    }
}
