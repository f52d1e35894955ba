//! The async shell: [`AsyncClient`], its driver loop and [`EventStream`].

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::{finish_bulk, start_bulk, Async, BulkError, BulkSink, Client, Journal, Running};
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
use crate::env::{AsyncEnv, Wake};
use crate::error::ClientError;
use crate::id::TaskId;
use crate::machine::bulk::{BulkEvent, BulkReport, BulkSpec};
use crate::machine::wait::{Progress, WaitAny, WaitPolicy};
use crate::machine::{BulkGet, Call, List, Operation, Reply, Run, Step, Wait, WaitMany, Watch};
use crate::model::{ExecutionDetails, RateLimitInfo, Task, TaskInputs};
use crate::transport::{AsyncHttpTransport, TransportFailure};

/// An async client of the Tasks API over transport `T` in environment `E`: the same methods
/// as [`BlockingClient`](super::BlockingClient), with `Send` futures.
///
/// `sbg-tasks-hyper` gives a ready one on tokio (`sbg_tasks_hyper::HyperClient`); any
/// [`AsyncHttpTransport`] (a closure returning a `Send` future too) and any [`AsyncEnv`] will
/// do. The client can be shared (`Arc`, or `Clone` when `T` and `E` are) by any number of
/// concurrent calls.
pub type AsyncClient<T, E> = Client<T, E, Async>;

impl<T, E> Client<T, E, Async>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    /// The driver loop: steps `run` until it hands out an event or ends (`Step::Event` or
    /// `Step::Done`), sending its requests and sleeping as it says (woken early when another
    /// operation of the client got an answer). `pending` is the request or sleep under way.
    fn poll_advance<'c, O: Operation>(
        &'c self,
        run: &mut Running<'_, O>,
        pending: &mut Pending<'c>,
        cx: &mut Context<'_>,
    ) -> Poll<Step<O::Event, O::Output>> {
        loop {
            match pending {
                Pending::Send(send) => {
                    let answer = std::task::ready!(send.as_mut().poll(cx));
                    let now = self.now();
                    self.hub.with(|s| run.op.on_answer(answer, now, s));
                    self.hub.changed.notify(usize::MAX);
                }
                Pending::Sleep(sleep, wake) => {
                    if sleep.as_mut().poll(cx).is_pending() && Pin::new(wake).poll(cx).is_pending()
                    {
                        return Poll::Pending;
                    }
                }
                Pending::Nothing => {}
            }
            *pending = Pending::Nothing;
            let wake = self.hub.wake();
            let now = self.now();
            match self.hub.with(|s| run.op.step(now, s)) {
                Step::Send(request) => {
                    let send = self.transport.send(request);
                    *pending = Pending::Send(Box::pin(async move {
                        send.await.map_err(TransportFailure::from_error)
                    }));
                }
                Step::SleepUntil(at) => {
                    let sleep = self.env.sleep(at.saturating_sub(now.mono));
                    *pending = Pending::Sleep(Box::pin(sleep), wake);
                }
                done @ Step::Done(_) => {
                    run.over = true;
                    return Poll::Ready(done);
                }
                event => return Poll::Ready(event),
            }
        }
    }

    /// Drives `op` to its end, handing each event to `on_event`: what every method does.
    pub async fn drive<O>(&self, op: O, mut on_event: impl FnMut(O::Event)) -> O::Output
    where
        O: Operation,
    {
        let mut run = self.running(op);
        let mut pending = Pending::Nothing;
        loop {
            match poll_fn(|cx| self.poll_advance(&mut run, &mut pending, cx)).await {
                Step::Done(output) => return output,
                Step::Event(event) => on_event(event),
                _ => {}
            }
        }
    }

    /// `op`'s events as a `Send` [`Stream`](futures_core::Stream) (for operations whose
    /// outcome is `()`: a listing, a watch, your own).
    pub fn stream<O: Operation<Output = ()>>(&self, op: O) -> EventStream<'_, O, T, E> {
        EventStream {
            client: self,
            run: self.running(op),
            pending: Pending::Nothing,
        }
    }

    /// Makes any call ([`Endpoint`]), with retries: the decoded value, the answer's metadata
    /// and the decoding report.
    pub async fn call<P>(&self, endpoint: &P) -> Result<Answer<P::Output>, ClientError>
    where
        P: Endpoint + Clone + Sync,
        P::Output: Send,
    {
        self.drive(Call::new(&self.settings, endpoint), |_| {})
            .await
    }

    /// [`call`](Self::call), spending `lane` of the rate-limit budget instead of the call's
    /// own ([`Lane::Watch`] for a watcher's sweeps).
    pub async fn call_in<P>(
        &self,
        lane: Lane,
        endpoint: &P,
    ) -> Result<Answer<P::Output>, ClientError>
    where
        P: Endpoint + Clone + Sync,
        P::Output: Send,
    {
        let call = Call::new(&self.settings, endpoint).in_lane(lane);
        self.drive(call, |_| {}).await
    }

    /// Gets a task: see [`BlockingClient::get`](super::BlockingClient::get).
    pub async fn get(&self, call: &GetTask) -> Result<Answer<Task>, ClientError> {
        self.call(call).await
    }

    /// Runs a DRAFT task: see [`BlockingClient::run`](super::BlockingClient::run).
    pub async fn run(&self, call: &RunTask) -> Result<Answer<Task>, ClientError> {
        self.drive(Run::new(&self.settings, call), |_| {}).await
    }

    /// Reruns (copies) a task: see [`BlockingClient::rerun`](super::BlockingClient::rerun).
    pub async fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, ClientError> {
        self.call(call).await
    }

    /// Creates a task: see [`BlockingClient::create`](super::BlockingClient::create).
    pub async fn create(&self, call: &CreateTask) -> Result<Answer<CreateOutcome>, ClientError> {
        self.call(call).await
    }

    /// Modifies a task: see [`BlockingClient::update`](super::BlockingClient::update).
    pub async fn update(&self, call: &UpdateTask) -> Result<Answer<Task>, ClientError> {
        self.call(call).await
    }

    /// Deletes a DRAFT task: see [`BlockingClient::delete`](super::BlockingClient::delete).
    pub async fn delete(&self, call: &DeleteTask) -> Result<Answer<Deletion>, ClientError> {
        self.call(call).await
    }

    /// A task's inputs alone: see [`BlockingClient::inputs`](super::BlockingClient::inputs).
    pub async fn inputs(&self, call: &GetTaskInputs) -> Result<Answer<TaskInputs>, ClientError> {
        self.call(call).await
    }

    /// Changes some of a DRAFT's inputs: see
    /// [`BlockingClient::update_inputs`](super::BlockingClient::update_inputs).
    pub async fn update_inputs(
        &self,
        call: &UpdateTaskInputs,
    ) -> Result<Answer<TaskInputs>, ClientError> {
        self.call(call).await
    }

    /// Gets any number of tasks, 100 a request: see
    /// [`BlockingClient::bulk_get`](super::BlockingClient::bulk_get).
    pub async fn bulk_get(&self, ids: &[TaskId]) -> Result<BulkTasks, ClientError> {
        self.drive(BulkGet::new(&self.settings, ids), |_| {}).await
    }

    /// Aborts a task: see [`BlockingClient::abort`](super::BlockingClient::abort).
    pub async fn abort(&self, call: &AbortTask) -> Result<Answer<Task>, ClientError> {
        self.call(call).await
    }

    /// The execution details of a task: see
    /// [`BlockingClient::execution_details`](super::BlockingClient::execution_details).
    pub async fn execution_details(
        &self,
        call: &GetExecutionDetails,
    ) -> Result<Answer<ExecutionDetails>, ClientError> {
        self.call(call).await
    }

    /// The caller's rate limit (free): see
    /// [`BlockingClient::rate_limit`](super::BlockingClient::rate_limit).
    pub async fn rate_limit(&self) -> Result<Answer<RateLimitInfo>, ClientError> {
        self.call(&GetRateLimit::new()).await
    }

    /// Polls task `id` until it ends: see [`BlockingClient::wait`](super::BlockingClient::wait).
    pub async fn wait(&self, id: &TaskId) -> Result<Task, ClientError> {
        self.wait_with(id, &self.settings.wait, |_| {}).await
    }

    /// [`wait`](Self::wait), calling `progress` after each poll.
    pub async fn wait_with_progress(
        &self,
        id: &TaskId,
        progress: impl FnMut(&Progress) + Send,
    ) -> Result<Task, ClientError> {
        self.wait_with(id, &self.settings.wait, progress).await
    }

    /// [`wait_with_progress`](Self::wait_with_progress) with another policy than the
    /// client's. Concurrent waits on one client (and its clones) share their polls.
    pub async fn wait_with(
        &self,
        id: &TaskId,
        policy: &WaitPolicy,
        mut progress: impl FnMut(&Progress) + Send,
    ) -> Result<Task, ClientError> {
        let wait = Wait::new(&self.settings, id.clone(), policy.clone());
        self.drive(wait, |p| progress(&p)).await
    }

    /// Waits until every task of `ids` has ended: see
    /// [`BlockingClient::wait_all`](super::BlockingClient::wait_all).
    pub async fn wait_all(
        &self,
        ids: &[TaskId],
    ) -> Result<Vec<Result<Task, BulkItemError>>, ClientError> {
        Ok(self.wait_any(ids, usize::MAX, None).await?.in_order(ids))
    }

    /// Waits until `n` of `ids` have ended or `timeout` has passed: see
    /// [`BlockingClient::wait_any`](super::BlockingClient::wait_any).
    pub async fn wait_any(
        &self,
        ids: &[TaskId],
        n: usize,
        timeout: Option<Duration>,
    ) -> Result<WaitAny, ClientError> {
        self.drive(WaitMany::new(&self.settings, ids, n, timeout), |_| {})
            .await
    }

    /// Lists tasks lazily, as a `Send` stream: see
    /// [`BlockingClient::list`](super::BlockingClient::list).
    pub fn list(&self, call: &ListTasks) -> EventStream<'_, List<'_>, T, E> {
        self.stream(List::new(&self.settings, call))
    }

    /// The children of batch task `parent`, 100 a page (a `list` with `parent=`).
    pub fn children(&self, parent: &TaskId) -> EventStream<'_, List<'_>, T, E> {
        self.list(&ListTasks::children_of(parent.clone()).limit(PageLimit::MAX))
    }

    /// Runs a bulk action: see [`BlockingClient::bulk`](super::BlockingClient::bulk). The
    /// workers are futures polled together (no task spawned); a record is written to
    /// `journal` synchronously, as it comes.
    pub async fn bulk(
        &self,
        spec: BulkSpec,
        journal: &mut (dyn Journal + Send),
        on_event: impl FnMut(&BulkEvent) + Send,
    ) -> Result<BulkReport, BulkError> {
        let handle = start_bulk(&self.hub, spec, journal)?;
        let sink = Mutex::new(BulkSink {
            journal,
            on_event,
            error: None,
        });
        {
            let (sink, handle) = (&sink, &handle);
            let mut workers: Vec<Pin<Box<dyn Future<Output = ()> + Send + '_>>> = (0..handle
                .workers())
                .map(|_| {
                    let worker = handle.worker(&self.settings);
                    let run =
                        self.drive(worker, move |e| BulkSink::take(sink, &self.hub, handle, e));
                    Box::pin(run) as Pin<Box<dyn Future<Output = ()> + Send + '_>>
                })
                .collect();
            poll_fn(|cx| {
                workers.retain_mut(|w| w.as_mut().poll(cx).is_pending());
                if workers.is_empty() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
        finish_bulk(&self.hub, handle, sink)
    }

    /// [`bulk`](Self::bulk) as a `Send` stream of its events; when it has ended,
    /// [`BulkStream::outcome`] has the report (or the journal's error).
    pub fn bulk_stream<'a>(
        &'a self,
        spec: BulkSpec,
        journal: &'a mut (dyn Journal + Send),
    ) -> BulkStream<'a> {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        let sink = Arc::clone(&queue);
        let run = self.bulk(spec, journal, move |e| {
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_back(e.clone())
        });
        BulkStream {
            run: Some(Box::pin(run)),
            queue,
            outcome: None,
        }
    }

    /// Follows `ids` until each has ended, as a `Send` stream of events: see
    /// [`BlockingClient::watch`](super::BlockingClient::watch).
    pub fn watch(&self, ids: impl IntoIterator<Item = TaskId>) -> EventStream<'_, Watch<'_>, T, E> {
        self.stream(Watch::new(&self.settings, ids))
    }

    /// Follows every task of `project` until each has ended, as a `Send` stream of events:
    /// see [`BlockingClient::watch_project`](super::BlockingClient::watch_project).
    pub fn watch_project(&self, project: ProjectId) -> EventStream<'_, Watch<'_>, T, E> {
        self.stream(Watch::project(&self.settings, project))
    }
}

/// A request being sent by an async driver.
type Sending<'c> = Pin<Box<dyn Future<Output = Reply> + Send + 'c>>;

/// The request or the sleep under way in an async driver.
enum Pending<'c> {
    Nothing,
    Send(Sending<'c>),
    Sleep(Pin<Box<dyn Future<Output = ()> + Send + 'c>>, Wake),
}

/// The events of an operation driven by an [`AsyncClient`], as a `Send`, `Unpin`
/// [`Stream`](futures_core::Stream): a listing's tasks ([`AsyncClient::list`]), a watch's
/// events ([`AsyncClient::watch`]), or any operation's ([`AsyncClient::stream`]). Dropping it
/// abandons the operation. It derefs to the operation (e.g. [`List::total`],
/// [`Watch::watcher`], [`Watch::add`]).
pub struct EventStream<'c, O: Operation, T, E> {
    client: &'c AsyncClient<T, E>,
    run: Running<'c, O>,
    pending: Pending<'c>,
}

impl<O: Operation, T, E> std::fmt::Debug for EventStream<'_, O, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("over", &self.run.over)
            .finish_non_exhaustive()
    }
}

impl<O: Operation, T, E> std::ops::Deref for EventStream<'_, O, T, E> {
    type Target = O;

    fn deref(&self) -> &O {
        &self.run.op
    }
}

impl<O: Operation, T, E> std::ops::DerefMut for EventStream<'_, O, T, E> {
    fn deref_mut(&mut self) -> &mut O {
        &mut self.run.op
    }
}

impl<O, T, E> futures_core::Stream for EventStream<'_, O, T, E>
where
    O: Operation<Output = ()> + Unpin,
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    type Item = O::Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<O::Event>> {
        let this = self.get_mut();
        if this.run.over {
            return Poll::Ready(None);
        }
        let step =
            std::task::ready!(this
                .client
                .poll_advance(&mut this.run, &mut this.pending, cx));
        Poll::Ready(match step {
            Step::Event(event) => Some(event),
            _ => None,
        })
    }
}

/// A bulk action being driven by [`AsyncClient::bulk`].
type BulkRun<'a> = Pin<Box<dyn Future<Output = Result<BulkReport, BulkError>> + Send + 'a>>;

/// The events of [`AsyncClient::bulk_stream`], as a `Send`, `Unpin`
/// [`Stream`](futures_core::Stream); dropping it abandons the action (run it again with the
/// same journal to go on).
pub struct BulkStream<'a> {
    run: Option<BulkRun<'a>>,
    queue: Arc<Mutex<VecDeque<BulkEvent>>>,
    outcome: Option<Result<BulkReport, BulkError>>,
}

impl BulkStream<'_> {
    /// Once the stream has ended: the report (or why the action could not go on). `None`
    /// before, and after it was taken.
    pub fn outcome(&mut self) -> Option<Result<BulkReport, BulkError>> {
        self.outcome.take()
    }
}

impl std::fmt::Debug for BulkStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkStream")
            .field("running", &self.run.is_some())
            .finish_non_exhaustive()
    }
}

impl futures_core::Stream for BulkStream<'_> {
    type Item = BulkEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkEvent>> {
        let this = self.get_mut();
        loop {
            let next = this
                .queue
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            if let Some(event) = next {
                return Poll::Ready(Some(event));
            }
            let Some(run) = this.run.as_mut() else {
                return Poll::Ready(None);
            };
            match run.as_mut().poll(cx) {
                Poll::Ready(outcome) => {
                    this.outcome = Some(outcome);
                    this.run = None;
                }
                Poll::Pending => {
                    let queued = !this
                        .queue
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .is_empty();
                    if !queued {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}
