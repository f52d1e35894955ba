//! The blocking shell: [`BlockingClient`], its driver loop and [`Events`].

use std::iter::FusedIterator;
use std::time::Duration;

use std::sync::Mutex;

use super::{finish_bulk, start_bulk, Blocking, BulkError, BulkSink, Client, Journal, Running};
use crate::connection::Config;
use crate::endpoint::{Answer, Endpoint, Lane};
use crate::endpoints::abort_task::AbortTask;
use crate::endpoints::bulk_get::{BulkItemError, BulkTasks};
use crate::endpoints::create_task::{CreateOutcome, CreateTask};
use crate::endpoints::delete_task::{DeleteTask, Deletion};
use crate::endpoints::execution_details::GetExecutionDetails;
use crate::endpoints::get_task::GetTask;
use crate::endpoints::list_tasks::{ListTasks, PageLimit};
use crate::endpoints::names::ProjectId;
use crate::endpoints::rate_limit::GetRateLimit;
use crate::endpoints::rerun_task::RerunTask;
use crate::endpoints::run_task::RunTask;
use crate::endpoints::task_inputs::{GetTaskInputs, UpdateTaskInputs};
use crate::endpoints::update_task::UpdateTask;
use crate::env::{BlockingEnv, StdEnv};
use crate::error::ClientError;
use crate::id::TaskId;
use crate::machine::bulk::{BulkEvent, BulkReport, BulkSpec};
use crate::machine::wait::{Progress, WaitAny, WaitPolicy};
use crate::machine::{BulkGet, Call, List, Operation, Run, Step, Wait, WaitMany, Watch};
use crate::model::{ExecutionDetails, RateLimitInfo, Task, TaskInputs};
use crate::transport::{HttpTransport, TransportFailure};

/// A blocking client of the Tasks API over transport `T` in environment `E` (by default the
/// standard library's: [`StdEnv`]).
///
/// `sbg-tasks-ureq` gives a ready one (`sbg_tasks_ureq::UreqClient`); any [`HttpTransport`]
/// (a closure too) and any [`BlockingEnv`] will do. Every call retries as
/// [`Settings::retry`](crate::machine::Settings::retry) says.
pub type BlockingClient<T, E = StdEnv> = Client<T, E, Blocking>;

impl<T: HttpTransport> Client<T, StdEnv, Blocking> {
    /// A client with `config`, the default settings otherwise (see
    /// [`Settings::new`](crate::machine::Settings::new)), over `transport`, in the standard
    /// environment (real clocks, `thread::sleep`).
    pub fn new(config: Config, transport: T) -> Self {
        Self::with_env(config, transport, StdEnv::new())
    }
}

impl<T: HttpTransport, E: BlockingEnv> Client<T, E, Blocking> {
    /// The driver loop: steps `run` until it hands out an event or ends (`Step::Event` or
    /// `Step::Done`), sending its requests and sleeping as it says; `None` once monotonic
    /// time `until` has come while it sleeps.
    fn advance<O: Operation>(
        &self,
        run: &mut Running<'_, O>,
        until: Option<Duration>,
    ) -> Option<Step<O::Event, O::Output>> {
        loop {
            let wake = self.hub.wake();
            let now = self.now();
            match self.hub.with(|s| run.op.step(now, s)) {
                Step::Send(request) => {
                    let answer = self.transport.send(request);
                    let answer = answer.map_err(TransportFailure::from_error);
                    let now = self.now();
                    self.hub.with(|s| run.op.on_answer(answer, now, s));
                    self.hub.changed.notify(usize::MAX);
                }
                Step::SleepUntil(at) => {
                    let stop = until.filter(|u| *u < at);
                    let at = stop.unwrap_or(at);
                    self.env.sleep_or_wake(at.saturating_sub(now.mono), wake);
                    if stop.is_some_and(|u| self.env.now() >= u) {
                        return None;
                    }
                }
                done @ Step::Done(_) => {
                    run.over = true;
                    return Some(done);
                }
                event => return Some(event),
            }
        }
    }

    /// Drives `op` to its end, handing each event to `on_event`: what every method does.
    pub fn drive<O: Operation>(&self, op: O, mut on_event: impl FnMut(O::Event)) -> O::Output {
        let mut run = self.running(op);
        loop {
            match self.advance(&mut run, None) {
                Some(Step::Done(output)) => return output,
                Some(Step::Event(event)) => on_event(event),
                _ => {}
            }
        }
    }

    /// `op`'s events as an iterator (for operations whose outcome is `()`: a listing, a
    /// watch, your own); any other operation is driven in slices with
    /// [`Events::finish_before`] (a caller that must look up now and then, e.g. for Ctrl-C).
    pub fn iter<O: Operation>(&self, op: O) -> Events<'_, O, T, E> {
        Events {
            client: self,
            run: self.running(op),
        }
    }

    /// Makes any call ([`Endpoint`]), with retries: the decoded value, the answer's metadata
    /// and the decoding report.
    pub fn call<P: Endpoint + Clone>(
        &self,
        endpoint: &P,
    ) -> Result<Answer<P::Output>, ClientError> {
        self.drive(Call::new(&self.settings, endpoint), |_| {})
    }

    /// [`call`](Self::call), spending `lane` of the rate-limit budget instead of the call's
    /// own ([`Lane::Watch`] for a watcher's sweeps).
    pub fn call_in<P: Endpoint + Clone>(
        &self,
        lane: Lane,
        endpoint: &P,
    ) -> Result<Answer<P::Output>, ClientError> {
        self.drive(Call::new(&self.settings, endpoint).in_lane(lane), |_| {})
    }

    /// Gets a task (`GET /tasks/{id}`).
    pub fn get(&self, call: &GetTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }

    /// Runs a DRAFT task (`POST /tasks/{id}/actions/run`). When a retry finds the task already
    /// running because an earlier attempt's answer was lost, the task is fetched (with the
    /// call's `fields`) and returned: the run happened once.
    pub fn run(&self, call: &RunTask) -> Result<Answer<Task>, ClientError> {
        self.drive(Run::new(&self.settings, call), |_| {})
    }

    /// Reruns (copies) a task (`POST /tasks/{id}/actions/clone`); the answer is the NEW task.
    /// Never retried once the request may have reached the platform: at most one copy.
    pub fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }

    /// Creates a task (`POST /tasks`), as a DRAFT or run at once. A task the platform created
    /// but cannot run is [`CreateOutcome::CreatedWithErrors`], not an error. Never retried
    /// once the request may have reached the platform.
    pub fn create(&self, call: &CreateTask) -> Result<Answer<CreateOutcome>, ClientError> {
        self.call(call)
    }

    /// Modifies a task (`PATCH /tasks/{id}`): a DRAFT, or only the name of a task that is no
    /// longer one. Retried like a read (the same body leaves the same task).
    pub fn update(&self, call: &UpdateTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }

    /// Deletes a DRAFT task (`DELETE /tasks/{id}`). A retry that finds the task gone after an
    /// earlier attempt may have deleted it succeeds with [`Deletion::AlreadyGone`].
    pub fn delete(&self, call: &DeleteTask) -> Result<Answer<Deletion>, ClientError> {
        self.call(call)
    }

    /// A task's inputs alone (`GET /tasks/{id}/inputs`).
    pub fn inputs(&self, call: &GetTaskInputs) -> Result<Answer<TaskInputs>, ClientError> {
        self.call(call)
    }

    /// Changes some of a DRAFT's inputs (`PATCH /tasks/{id}/inputs`); the answer is the whole
    /// inputs map.
    pub fn update_inputs(
        &self,
        call: &UpdateTaskInputs,
    ) -> Result<Answer<TaskInputs>, ClientError> {
        self.call(call)
    }

    /// Gets any number of tasks, 100 a request (`POST /bulk/tasks/get`): one item per id, in
    /// the order asked (see [`BulkGet`]).
    pub fn bulk_get(&self, ids: &[TaskId]) -> Result<BulkTasks, ClientError> {
        self.drive(BulkGet::new(&self.settings, ids), |_| {})
    }

    /// Aborts a QUEUED or RUNNING task (`POST /tasks/{id}/actions/abort`).
    pub fn abort(&self, call: &AbortTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }

    /// The execution details of a task (`GET /tasks/{id}/execution_details`): its jobs, their
    /// instances and logs.
    pub fn execution_details(
        &self,
        call: &GetExecutionDetails,
    ) -> Result<Answer<ExecutionDetails>, ClientError> {
        self.call(call)
    }

    /// The caller's rate limit (`GET /rate_limit`), which the platform does not count.
    pub fn rate_limit(&self) -> Result<Answer<RateLimitInfo>, ClientError> {
        self.call(&GetRateLimit::new())
    }

    /// Polls task `id` until it ends, as the client's [`WaitPolicy`] says (see [`Wait`]).
    pub fn wait(&self, id: &TaskId) -> Result<Task, ClientError> {
        self.wait_with(id, &self.settings.wait, |_| {})
    }

    /// [`wait`](Self::wait), calling `progress` after each poll.
    pub fn wait_with_progress(
        &self,
        id: &TaskId,
        progress: impl FnMut(&Progress),
    ) -> Result<Task, ClientError> {
        self.wait_with(id, &self.settings.wait, progress)
    }

    /// [`wait_with_progress`](Self::wait_with_progress) with another policy than the
    /// client's. Concurrent waits on one client (and its clones) share their polls.
    pub fn wait_with(
        &self,
        id: &TaskId,
        policy: &WaitPolicy,
        mut progress: impl FnMut(&Progress),
    ) -> Result<Task, ClientError> {
        let wait = Wait::new(&self.settings, id.clone(), policy.clone());
        self.drive(wait, |p| progress(&p))
    }

    /// Waits until every task of `ids` has ended, following them all with bulk gets: one
    /// result per id, in the order given (see [`WaitMany`]).
    pub fn wait_all(
        &self,
        ids: &[TaskId],
    ) -> Result<Vec<Result<Task, BulkItemError>>, ClientError> {
        Ok(self.wait_any(ids, usize::MAX, None)?.in_order(ids))
    }

    /// Waits until `n` of the tasks of `ids` have ended (or are unknown), or `timeout` has
    /// passed: the tasks that ended, in the order they did, and the ids still pending.
    pub fn wait_any(
        &self,
        ids: &[TaskId],
        n: usize,
        timeout: Option<Duration>,
    ) -> Result<WaitAny, ClientError> {
        self.drive(WaitMany::new(&self.settings, ids, n, timeout), |_| {})
    }

    /// Lists tasks lazily (`GET /tasks`): every task matching `call`'s filters, a page
    /// fetched only when the tasks already fetched are used up; the first error is the last
    /// item (see [`List`]).
    pub fn list(&self, call: &ListTasks) -> Events<'_, List<'_>, T, E> {
        self.iter(List::new(&self.settings, call))
    }

    /// The children of batch task `parent`, 100 a page (a `list` with `parent=`).
    pub fn children(&self, parent: &TaskId) -> Events<'_, List<'_>, T, E> {
        self.list(&ListTasks::children_of(parent.clone()).limit(PageLimit::MAX))
    }

    /// Runs a bulk action (see [`bulk`](crate::machine::bulk)): rerun, run, abort, delete
    /// or modify every task of a selection, [`BulkSpec::concurrency`] requests in flight at
    /// most (one thread each), in the budget's bulk lane ([`Lane::Bulk`]), resuming from what `journal`
    /// holds. Each event goes to `on_event` (after its records are in `journal`); the
    /// outcome is the report, one outcome per task. Run it again with the same journal to
    /// go on after a crash or a halt.
    pub fn bulk(
        &self,
        spec: BulkSpec,
        journal: &mut (dyn Journal + Send),
        on_event: impl FnMut(&BulkEvent) + Send,
    ) -> Result<BulkReport, BulkError>
    where
        T: Sync,
        E: Sync,
    {
        let handle = start_bulk(&self.hub, spec, journal)?;
        let sink = Mutex::new(BulkSink {
            journal,
            on_event,
            error: None,
        });
        std::thread::scope(|scope| {
            for _ in 0..handle.workers() {
                let worker = handle.worker(&self.settings);
                let (sink, handle) = (&sink, &handle);
                scope.spawn(move || {
                    self.drive(worker, |e| BulkSink::take(sink, &self.hub, handle, e))
                });
            }
        });
        finish_bulk(&self.hub, handle, sink)
    }

    /// Follows `ids` until each has ended, as events (see [`Watch`]): bulk gets of 100 ids,
    /// least recently refreshed first, in the budget's watch lane. A request that fails
    /// (after its retries) is an `Err` item, and the watch goes on.
    pub fn watch(&self, ids: impl IntoIterator<Item = TaskId>) -> Events<'_, Watch<'_>, T, E> {
        self.iter(Watch::new(&self.settings, ids))
    }

    /// Follows every task of `project` until each has ended, as events (see
    /// [`Watch::project`]): the tasks that had not ended when the project was first listed,
    /// and those that start after. Its endings and starts come from listings of the project
    /// when that costs fewer requests than bulk gets (the change feed, see
    /// [`machine::watch`](crate::machine::watch)).
    pub fn watch_project(&self, project: ProjectId) -> Events<'_, Watch<'_>, T, E> {
        self.iter(Watch::project(&self.settings, project))
    }
}

/// The events of an operation driven by a [`BlockingClient`]: a listing's tasks
/// ([`BlockingClient::list`]), a watch's events ([`BlockingClient::watch`]), or any
/// operation's ([`BlockingClient::iter`]). Dropping it abandons the operation.
#[derive(Debug)]
pub struct Events<'c, O: Operation, T, E> {
    client: &'c BlockingClient<T, E>,
    run: Running<'c, O>,
}

impl<O: Operation<Output = ()>, T: HttpTransport, E: BlockingEnv> Events<'_, O, T, E> {
    /// Like `next`, but gives up once monotonic time `until` (the environment's clock) has
    /// come with nothing to hand out: `Err(Idle)` (time for a redraw, or a deadline).
    pub fn next_before(&mut self, until: Duration) -> Result<Option<O::Event>, Idle> {
        if self.run.over {
            return Ok(None);
        }
        match self.client.advance(&mut self.run, Some(until)) {
            Some(Step::Event(event)) => Ok(Some(event)),
            Some(_) => Ok(None),
            None => Err(Idle),
        }
    }
}

impl<O: Operation, T: HttpTransport, E: BlockingEnv> Events<'_, O, T, E> {
    /// Drives the operation to its end, handing its events to `on_event`, but gives up once
    /// monotonic time `until` (the environment's clock) has come while it sleeps: `Err(Idle)`,
    /// and a later call goes on where this one stopped. [`BlockingClient::drive`] in slices.
    /// Once the outcome was returned, the operation is over and every call is `Err(Idle)`.
    pub fn finish_before(
        &mut self,
        until: Duration,
        mut on_event: impl FnMut(O::Event),
    ) -> Result<O::Output, Idle> {
        loop {
            match self.client.advance(&mut self.run, Some(until)) {
                Some(Step::Done(output)) => return Ok(output),
                Some(Step::Event(event)) => on_event(event),
                _ => return Err(Idle),
            }
        }
    }
}

/// [`Events::next_before`] came to its time with nothing to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idle;

impl<O: Operation<Output = ()>, T: HttpTransport, E: BlockingEnv> Iterator for Events<'_, O, T, E> {
    type Item = O::Event;

    fn next(&mut self) -> Option<O::Event> {
        if self.run.over {
            return None;
        }
        match self.client.advance(&mut self.run, None) {
            Some(Step::Event(event)) => Some(event),
            _ => None,
        }
    }
}

impl<O: Operation<Output = ()>, T: HttpTransport, E: BlockingEnv> FusedIterator
    for Events<'_, O, T, E>
{
}

impl<O: Operation, T, E> std::ops::Deref for Events<'_, O, T, E> {
    type Target = O;

    /// The operation driven (e.g. [`List::total`], [`Watch::watcher`]).
    fn deref(&self) -> &O {
        &self.run.op
    }
}

impl<O: Operation, T, E> std::ops::DerefMut for Events<'_, O, T, E> {
    /// The operation driven, to change (e.g. [`Watch::add`]).
    fn deref_mut(&mut self) -> &mut O {
        &mut self.run.op
    }
}
