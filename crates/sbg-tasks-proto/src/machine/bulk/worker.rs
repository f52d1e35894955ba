//! [`BulkWorker`]: one worker of a bulk action, taking tasks from the action's queue in the
//! client's [`Shared`] state.

use std::collections::VecDeque;
use std::time::Duration;

use http::Response;

use super::{Action, BulkAction, BulkEvent, BulkFailure, Phase, Record, Selection, TaskOutcome};
use crate::endpoint::Lane;
use crate::endpoints::{
    AbortTask, DeleteTask, GetTask, ListTasks, PageLimit, RerunTask, RunTask, UpdateTask,
};
use crate::error::ClientError;
use crate::fields::Fields;
use crate::id::TaskId;
use crate::machine::{over, BulkGet, Call, List, Now, Operation, Run, Settings, Shared, Step};
use crate::model::{Task, TaskStatus};
use crate::transport::TransportFailure;
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

/// What a worker is doing.
#[derive(Debug)]
enum Job<'a> {
    /// Nothing: takes the next task.
    Idle,
    /// Listing the selection.
    SelectList {
        op: List<'a>,
        tasks: Vec<Task>,
    },
    /// Getting the selected ids.
    SelectIds {
        op: BulkGet<'a>,
        ids: Vec<TaskId>,
    },
    /// The orphan-draft rule for item `i`: listing the candidate drafts. `fresh`: this run's
    /// clone may have acted (rather than an intent found when resuming).
    Recover {
        i: usize,
        op: List<'a>,
        found: Vec<Task>,
        fresh: bool,
        failed: Option<ClientError>,
    },
    Clone {
        i: usize,
        call: Call<'a, RerunTask>,
    },
    RunCopy {
        i: usize,
        copy: TaskId,
        op: Run<'a>,
    },
    /// A get that settles a run answered 7007 (the task ran before).
    Settle {
        i: usize,
        copy: Option<TaskId>,
        call: Call<'a, GetTask>,
    },
    Run {
        i: usize,
        op: Run<'a>,
    },
    Abort {
        i: usize,
        call: Call<'a, AbortTask>,
    },
    Delete {
        i: usize,
        call: Call<'a, DeleteTask>,
    },
    Update {
        i: usize,
        call: Call<'a, UpdateTask>,
    },
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
                    Selection::Listing(l) => Job::SelectList {
                        op: List::new(settings, &l.to_call()),
                        tasks: Vec::new(),
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
                        let op =
                            Run::owned(settings, RunTask::new(copy.clone())).in_lane(Lane::Bulk);
                        self.job = Job::RunCopy { i, copy, op };
                    } else {
                        let done = TaskOutcome::Done {
                            original: id,
                            copy: Some(copy),
                            status: None,
                        };
                        self.finish(shared, i, done, Vec::new(), now);
                    }
                } else if item.intent.is_some() {
                    self.recover(i, false, shared);
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
                    let call =
                        Call::owned(settings, RerunTask::new(id).run(false)).in_lane(Lane::Bulk);
                    self.job = Job::Clone { i, call };
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
                self.job = match action {
                    Action::Run => Job::Run {
                        i,
                        op: Run::owned(settings, RunTask::new(id)).in_lane(Lane::Bulk),
                    },
                    Action::Abort => Job::Abort {
                        i,
                        call: Call::owned(settings, AbortTask::new(id)).in_lane(Lane::Bulk),
                    },
                    Action::Delete => Job::Delete {
                        i,
                        call: Call::owned(settings, DeleteTask::new(id)).in_lane(Lane::Bulk),
                    },
                    Action::Update(update) => Job::Update {
                        i,
                        call: Call::owned(settings, UpdateTask::with_body(id, *update))
                            .in_lane(Lane::Bulk),
                    },
                    Action::Rerun { .. } => Job::Idle,
                };
            }
        }
    }

    /// The orphan-draft rule for item `i` (see the [module docs](super)).
    fn recover(&mut self, i: usize, fresh: bool, shared: &mut Shared) {
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let item = &a.items[i];
        let since = item
            .intent
            .unwrap_or_default()
            .saturating_sub(a.spec.margin.as_secs());
        let Some(project) = item
            .fingerprint
            .project
            .as_deref()
            .and_then(|p| p.parse().ok())
        else {
            // Nothing to list by: the copy cannot be looked for, so none is made again.
            let error = ClientError::Build(crate::RequestBuildError::Invalid {
                reason: "the orphan-draft rule needs the original's project, which is unknown",
            });
            self.job = Job::Recover {
                i,
                op: List::new(self.settings, &ListTasks::new()),
                found: Vec::new(),
                fresh,
                failed: Some(error),
            };
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
        self.job = Job::Recover {
            i,
            op: List::new(self.settings, &call),
            found: Vec::new(),
            fresh,
            failed: None,
        };
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
        let settings = self.settings;
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
            let op = Run::owned(settings, RunTask::new(copy.clone())).in_lane(Lane::Bulk);
            self.job = Job::RunCopy { i, copy, op };
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
        let settings = self.settings;
        let Some(a) = shared.bulks.get_mut(self.key) else {
            return;
        };
        let item = &a.items[i];
        let since = item
            .intent
            .unwrap_or_default()
            .saturating_sub(a.spec.margin.as_secs());
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
                let error = ClientError::Build(crate::RequestBuildError::Invalid {
                    reason: "the clone's answer was lost and no copy was made",
                });
                let records = vec![Record::NoCopy { original, at }];
                a.items[i].intent = None;
                self.fail(shared, i, &error, None, records, now);
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
                let call =
                    Call::owned(settings, RerunTask::new(original).run(false)).in_lane(Lane::Bulk);
                self.job = Job::Clone { i, call };
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

    /// The selection is listed: recorded in full, then acted on.
    fn selected(&mut self, shared: &mut Shared, tasks: Vec<(TaskId, Option<Task>)>, now: Now) {
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
            Selection::Ids(ids) => ids.len().div_ceil(crate::MAX_BULK_IDS) as u64,
            Selection::Listing(_) => 0,
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
            Job::SelectList { mut op, mut tasks } => loop {
                match op.step(now, shared) {
                    Step::Event(Ok(t)) => tasks.push(t),
                    Step::Event(Err(e)) => {
                        self.selection_failed(shared, &e);
                        return None;
                    }
                    Step::Done(()) => {
                        if let Some(a) = shared.bulks.get_mut(self.key) {
                            a.plan.listings = op.pages();
                        }
                        let pages = op.pages();
                        let list = tasks
                            .into_iter()
                            .filter_map(|t| Some((t.task_id().ok()?, Some(t))))
                            .collect();
                        self.selected(shared, list, now);
                        if let Some(a) = shared.bulks.get_mut(self.key) {
                            a.plan.listings = pages;
                        }
                        if let Some(BulkEvent::Selected(p)) = self.out.back_mut() {
                            p.listings = pages;
                        }
                        return None;
                    }
                    Step::Send(r) => {
                        self.job = Job::SelectList { op, tasks };
                        return Some(Step::Send(r));
                    }
                    Step::SleepUntil(t) => {
                        self.job = Job::SelectList { op, tasks };
                        return Some(Step::SleepUntil(t));
                    }
                }
            },
            Job::SelectIds { mut op, ids } => match op.step(now, shared).outcome() {
                Ok(Ok(bulk)) => {
                    let mut got = bulk.items.into_iter().map(|i| i.result.ok());
                    let list = ids
                        .into_iter()
                        .map(|id| (id, got.next().flatten()))
                        .collect();
                    self.selected(shared, list, now);
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
            Job::Recover {
                i,
                mut op,
                mut found,
                fresh,
                failed,
            } => {
                if let Some(e) = failed {
                    // The intent stays open: a later attempt looks again.
                    self.fail(shared, i, &e, None, Vec::new(), now);
                    return None;
                }
                loop {
                    match op.step(now, shared) {
                        Step::Event(Ok(t)) => found.push(t),
                        Step::Event(Err(e)) => {
                            self.fail(shared, i, &e, None, Vec::new(), now);
                            return None;
                        }
                        Step::Done(()) => {
                            self.recovered(shared, i, found, fresh, now);
                            return None;
                        }
                        Step::Send(r) => {
                            self.job = Job::Recover {
                                i,
                                op,
                                found,
                                fresh,
                                failed: None,
                            };
                            return Some(Step::Send(r));
                        }
                        Step::SleepUntil(t) => {
                            self.job = Job::Recover {
                                i,
                                op,
                                found,
                                fresh,
                                failed: None,
                            };
                            return Some(Step::SleepUntil(t));
                        }
                    }
                }
            }
            Job::Clone { i, mut call } => match call.step(now, shared).outcome() {
                Ok(Ok(answer)) => {
                    match answer.value.task_id() {
                        Ok(copy) => {
                            let status = answer.value.status.clone();
                            self.adopt(shared, i, (copy, status), Vec::new(), false, now);
                        }
                        // A copy exists, but which? The orphan rule finds it.
                        Err(_) => self.recover(i, true, shared),
                    }
                    None
                }
                Ok(Err(e)) if may_have_acted(&e) => {
                    self.recover(i, true, shared);
                    None
                }
                Ok(Err(e)) => {
                    let original = self.original(shared, i);
                    let records = vec![Record::NoCopy {
                        original: original.clone(),
                        at: secs(now),
                    }];
                    if let Some(a) = shared.bulks.get_mut(self.key) {
                        a.items[i].intent = None;
                    }
                    if is_skip(&e) {
                        let status = self.status(shared, i);
                        let skipped = TaskOutcome::Skipped {
                            original,
                            status,
                            code: code_of(&e).map(ErrorCode::as_i64),
                        };
                        self.finish(shared, i, skipped, records, now);
                    } else {
                        self.fail(shared, i, &e, None, records, now);
                    }
                    None
                }
                Err(pass) => {
                    self.job = Job::Clone { i, call };
                    Some(pass)
                }
            },
            Job::RunCopy { i, copy, mut op } => match op.step(now, shared).outcome() {
                Ok(Ok(answer)) => {
                    let done = TaskOutcome::Done {
                        original: self.original(shared, i),
                        copy: Some(copy),
                        status: answer.value.status,
                    };
                    self.finish(shared, i, done, Vec::new(), now);
                    None
                }
                Ok(Err(e)) if code_of(&e) == Some(ErrorCode::OnlyForDraft) => {
                    // Our copy is no longer a DRAFT: it was run (before a crash); a get
                    // settles it.
                    let call = Call::owned(self.settings, GetTask::new(copy.clone()));
                    self.job = Job::Settle {
                        i,
                        copy: Some(copy),
                        call,
                    };
                    None
                }
                Ok(Err(e)) => {
                    self.fail(shared, i, &e, Some(copy), Vec::new(), now);
                    None
                }
                Err(pass) => {
                    self.job = Job::RunCopy { i, copy, op };
                    Some(pass)
                }
            },
            Job::Settle { i, copy, mut call } => match call.step(now, shared).outcome() {
                Ok(Ok(answer)) => {
                    let done = TaskOutcome::Done {
                        original: self.original(shared, i),
                        copy,
                        status: answer.value.status,
                    };
                    self.finish(shared, i, done, Vec::new(), now);
                    None
                }
                Ok(Err(e)) => {
                    self.fail(shared, i, &e, copy, Vec::new(), now);
                    None
                }
                Err(pass) => {
                    self.job = Job::Settle { i, copy, call };
                    Some(pass)
                }
            },
            Job::Run { i, mut op } => match op.step(now, shared).outcome() {
                Ok(result) => {
                    let inherited = self.inherited(shared, i);
                    match result {
                        Err(e) if inherited && code_of(&e) == Some(ErrorCode::OnlyForDraft) => {
                            let id = self.original(shared, i);
                            let call = Call::owned(self.settings, GetTask::new(id));
                            self.job = Job::Settle {
                                i,
                                copy: None,
                                call,
                            };
                        }
                        other => self.acted(shared, i, other.map(|a| a.value.status), now),
                    }
                    None
                }
                Err(pass) => {
                    self.job = Job::Run { i, op };
                    Some(pass)
                }
            },
            Job::Abort { i, mut call } => match call.step(now, shared).outcome() {
                Ok(result) => {
                    self.acted(shared, i, result.map(|a| a.value.status), now);
                    None
                }
                Err(pass) => {
                    self.job = Job::Abort { i, call };
                    Some(pass)
                }
            },
            Job::Delete { i, mut call } => match call.step(now, shared).outcome() {
                Ok(result) => {
                    self.acted(shared, i, result.map(|_| None), now);
                    None
                }
                Err(pass) => {
                    self.job = Job::Delete { i, call };
                    Some(pass)
                }
            },
            Job::Update { i, mut call } => match call.step(now, shared).outcome() {
                Ok(result) => {
                    self.acted(shared, i, result.map(|a| a.value.status), now);
                    None
                }
                Err(pass) => {
                    self.job = Job::Update { i, call };
                    Some(pass)
                }
            },
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
        let original = self.original(shared, i);
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

    fn original(&self, shared: &Shared, i: usize) -> TaskId {
        shared
            .bulks
            .get(self.key)
            .map(|a| a.items[i].id.clone())
            .unwrap_or_else(|| TaskId::new("unknown").unwrap_or_else(|_| unreachable!()))
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

    fn on_answer(
        &mut self,
        answer: Result<Response<Vec<u8>>, TransportFailure>,
        now: Now,
        shared: &mut Shared,
    ) {
        match &mut self.job {
            Job::Idle => {}
            Job::SelectList { op, .. } | Job::Recover { op, .. } => {
                op.on_answer(answer, now, shared)
            }
            Job::SelectIds { op, .. } => op.on_answer(answer, now, shared),
            Job::Clone { call, .. } => call.on_answer(answer, now, shared),
            Job::RunCopy { op, .. } | Job::Run { op, .. } => op.on_answer(answer, now, shared),
            Job::Settle { call, .. } => call.on_answer(answer, now, shared),
            Job::Abort { call, .. } => call.on_answer(answer, now, shared),
            Job::Delete { call, .. } => call.on_answer(answer, now, shared),
            Job::Update { call, .. } => call.on_answer(answer, now, shared),
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        let claimed = match &mut self.job {
            Job::Idle => None,
            Job::SelectList { op, .. } => {
                op.abandon(shared);
                None
            }
            Job::SelectIds { op, .. } => {
                op.abandon(shared);
                None
            }
            Job::Recover { i, op, .. } => {
                op.abandon(shared);
                Some(*i)
            }
            Job::Clone { i, call } => {
                call.abandon(shared);
                Some(*i)
            }
            Job::RunCopy { i, op, .. } | Job::Run { i, op } => {
                op.abandon(shared);
                Some(*i)
            }
            Job::Settle { i, call, .. } => {
                call.abandon(shared);
                Some(*i)
            }
            Job::Abort { i, call } => {
                call.abandon(shared);
                Some(*i)
            }
            Job::Delete { i, call } => {
                call.abandon(shared);
                Some(*i)
            }
            Job::Update { i, call } => {
                call.abandon(shared);
                Some(*i)
            }
        };
        let selecting = matches!(self.job, Job::SelectList { .. } | Job::SelectIds { .. });
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
        }
    }
}
