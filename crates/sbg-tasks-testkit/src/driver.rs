//! What a scenario ([`crate::scenarios`](mod@crate::scenarios)) needs from a transport, so that it is written once
//! and run over both: a [`Driver`] (the client's calls, with blocking signatures) and a
//! [`Harness`] (how the transport's tests make one).
//!
//! [`Driver`] is implemented once for every [`BlockingClient`] (its blocking driver loop) and
//! once for [`OnRuntime`], an [`AsyncClient`] with the tokio runtime that drives its futures
//! to completion (`block_on`): the async driver loop runs end to end, only the waiting for it
//! is blocking. The calls are written once, as the operations the clients' methods build.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use sbg_tasks_proto::client::{BulkError, Journal};
use sbg_tasks_proto::endpoints::{BulkItemError, BulkTasks, CreateOutcome, Deletion, PageLimit};
use sbg_tasks_proto::env::{AsyncEnv, BlockingEnv, Env, Wake};
use sbg_tasks_proto::machine::budget::Budget;
use sbg_tasks_proto::machine::bulk::{BulkEvent, BulkReport, BulkSpec};
use sbg_tasks_proto::machine::{BulkGet, Call, List, Operation, Run, Wait, WaitMany};
use sbg_tasks_proto::model::TaskInputs;
use sbg_tasks_proto::model::{ExecutionDetails, RateLimitInfo};
use sbg_tasks_proto::transport::{
    AsyncHttpTransport, HttpTransport, TransportFailure, TransportOptions,
};
use sbg_tasks_proto::{
    AbortTask, Answer, AsyncClient, BlockingClient, ClientError, CreateTask, DeleteTask, Endpoint,
    GetExecutionDetails, GetRateLimit, GetTask, GetTaskInputs, ListTasks, Progress, RerunTask,
    RunTask, Settings, Task, TaskId, TaskIter, TaskStream, UpdateTask, UpdateTaskInputs, WaitAny,
    WaitPolicy,
};
use tokio::runtime::Runtime;

/// The lazy listing of a [`Driver`]: the tasks, fetched page by page as they are consumed.
pub trait Tasks: Iterator<Item = Result<Task, ClientError>> {
    /// The `X-Total-Matching-Query` total, once a page has arrived.
    fn total(&self) -> Option<u64>;
    /// The pages fetched so far.
    fn pages(&self) -> u64;
}

/// A client with blocking signatures: its driver loop ([`Driver::drive`]), and the calls of
/// [`BlockingClient`] and [`AsyncClient`] under the same names, each the operation the
/// clients' methods build, handed to that loop.
pub trait Driver: Sync {
    /// What [`list`](Self::list) and [`children`](Self::children) return.
    type Tasks<'a>: Tasks
    where
        Self: 'a;

    /// The client's settings.
    fn settings(&self) -> &Settings;
    /// Drives `op` to its end with the client's loop, handing each event to `on_event`.
    fn drive<O: Operation>(&self, op: O, on_event: impl FnMut(O::Event)) -> O::Output;
    /// The client's rate-limit budget (a snapshot).
    fn budget(&self) -> Budget;
    /// Lists tasks lazily.
    fn list(&self, call: &ListTasks) -> Self::Tasks<'_>;

    /// The children of batch task `parent`.
    fn children(&self, parent: &TaskId) -> Self::Tasks<'_> {
        self.list(&ListTasks::children_of(parent.clone()).limit(PageLimit::MAX))
    }
    /// Any call ([`Endpoint`]), with retries.
    fn call<P>(&self, endpoint: &P) -> Result<Answer<P::Output>, ClientError>
    where
        P: Endpoint + Clone + Sync,
        P::Output: Send,
    {
        self.drive(Call::new(self.settings(), endpoint), |_| {})
    }
    /// Gets a task.
    fn get(&self, call: &GetTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }
    /// Runs a DRAFT task (a lost answer is fetched).
    fn run(&self, call: &RunTask) -> Result<Answer<Task>, ClientError> {
        self.drive(Run::new(self.settings(), call), |_| {})
    }
    /// Reruns (copies) a task; the answer is the new one.
    fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }
    /// Creates a task.
    fn create(&self, call: &CreateTask) -> Result<Answer<CreateOutcome>, ClientError> {
        self.call(call)
    }
    /// Modifies a task (a DRAFT, or only the name of another).
    fn update(&self, call: &UpdateTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }
    /// Deletes a DRAFT task (a retry finding it gone is [`Deletion::AlreadyGone`]).
    fn delete(&self, call: &DeleteTask) -> Result<Answer<Deletion>, ClientError> {
        self.call(call)
    }
    /// A task's inputs alone.
    fn inputs(&self, call: &GetTaskInputs) -> Result<Answer<TaskInputs>, ClientError> {
        self.call(call)
    }
    /// Changes some of a DRAFT's inputs; the answer is the whole map.
    fn update_inputs(&self, call: &UpdateTaskInputs) -> Result<Answer<TaskInputs>, ClientError> {
        self.call(call)
    }
    /// Gets any number of tasks, 100 a request, one item per id in order.
    fn bulk_get(&self, ids: &[TaskId]) -> Result<BulkTasks, ClientError> {
        self.drive(BulkGet::new(self.settings(), ids), |_| {})
    }
    /// Aborts a QUEUED or RUNNING task.
    fn abort(&self, call: &AbortTask) -> Result<Answer<Task>, ClientError> {
        self.call(call)
    }
    /// The execution details of a task.
    fn execution_details(
        &self,
        call: &GetExecutionDetails,
    ) -> Result<Answer<ExecutionDetails>, ClientError> {
        self.call(call)
    }
    /// The caller's rate limit.
    fn rate_limit(&self) -> Result<Answer<RateLimitInfo>, ClientError> {
        self.call(&GetRateLimit::new())
    }
    /// Polls a task until it ends, as the client's wait policy says.
    fn wait(&self, id: &TaskId) -> Result<Task, ClientError> {
        self.wait_with(id, &self.settings().wait.clone(), |_| {})
    }
    /// [`wait`](Self::wait), calling `progress` after each poll.
    fn wait_with_progress(
        &self,
        id: &TaskId,
        progress: impl FnMut(&Progress) + Send,
    ) -> Result<Task, ClientError> {
        self.wait_with(id, &self.settings().wait.clone(), progress)
    }
    /// [`wait_with_progress`](Self::wait_with_progress) with another policy.
    fn wait_with(
        &self,
        id: &TaskId,
        policy: &WaitPolicy,
        mut progress: impl FnMut(&Progress) + Send,
    ) -> Result<Task, ClientError> {
        let wait = Wait::new(self.settings(), id.clone(), policy.clone());
        self.drive(wait, |p| progress(&p))
    }
    /// Runs a bulk action, recording to `journal` (the clients' `bulk`).
    fn bulk(
        &self,
        spec: BulkSpec,
        journal: &mut (dyn Journal + Send),
        on_event: impl FnMut(&BulkEvent) + Send,
    ) -> Result<BulkReport, BulkError>;
    /// Waits until every task of `ids` has ended (bulk gets), one result per id in order.
    fn wait_all(&self, ids: &[TaskId]) -> Result<Vec<Result<Task, BulkItemError>>, ClientError> {
        Ok(self.wait_any(ids, usize::MAX, None)?.in_order(ids))
    }
    /// Waits until `n` of `ids` have ended or `timeout` passed.
    fn wait_any(
        &self,
        ids: &[TaskId],
        n: usize,
        timeout: Option<Duration>,
    ) -> Result<WaitAny, ClientError> {
        self.drive(WaitMany::new(self.settings(), ids, n, timeout), |_| {})
    }
}

impl<T: HttpTransport, E: BlockingEnv> Tasks for TaskIter<'_, T, E> {
    fn total(&self) -> Option<u64> {
        List::total(self)
    }
    fn pages(&self) -> u64 {
        List::pages(self)
    }
}

impl<T: HttpTransport + Sync, E: BlockingEnv + Sync> Driver for BlockingClient<T, E> {
    type Tasks<'a>
        = TaskIter<'a, T, E>
    where
        Self: 'a;

    fn settings(&self) -> &Settings {
        BlockingClient::settings(self)
    }
    fn drive<O: Operation>(&self, op: O, on_event: impl FnMut(O::Event)) -> O::Output {
        BlockingClient::drive(self, op, on_event)
    }
    fn bulk(
        &self,
        spec: BulkSpec,
        journal: &mut (dyn Journal + Send),
        on_event: impl FnMut(&BulkEvent) + Send,
    ) -> Result<BulkReport, BulkError> {
        BlockingClient::bulk(self, spec, journal, on_event)
    }
    fn budget(&self) -> Budget {
        BlockingClient::budget(self)
    }
    fn list(&self, call: &ListTasks) -> TaskIter<'_, T, E> {
        BlockingClient::list(self, call)
    }
}

/// An [`AsyncClient`] with the runtime its futures run on (the one its transport needs):
/// every call's future is driven to completion there, on the calling thread.
#[derive(Debug)]
pub struct OnRuntime<T, E> {
    client: AsyncClient<T, E>,
    runtime: Arc<Runtime>,
}

impl<T, E> OnRuntime<T, E> {
    /// `client`, driven on `runtime`.
    pub fn new(client: AsyncClient<T, E>, runtime: Arc<Runtime>) -> Self {
        Self { client, runtime }
    }
}

/// A [`TaskStream`] read as an iterator: each item is awaited on the runtime.
#[derive(Debug)]
pub struct BlockingStream<'a, T, E> {
    stream: TaskStream<'a, T, E>,
    runtime: &'a Runtime,
}

impl<T, E> Iterator for BlockingStream<'_, T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    type Item = Result<Task, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = &mut self.stream;
        self.runtime
            .block_on(poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)))
    }
}

impl<T, E> Tasks for BlockingStream<'_, T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    fn total(&self) -> Option<u64> {
        self.stream.total()
    }
    fn pages(&self) -> u64 {
        self.stream.pages()
    }
}

impl<T, E> Driver for OnRuntime<T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    type Tasks<'a>
        = BlockingStream<'a, T, E>
    where
        Self: 'a;

    fn settings(&self) -> &Settings {
        self.client.settings()
    }
    fn drive<O: Operation>(&self, op: O, on_event: impl FnMut(O::Event)) -> O::Output {
        self.runtime.block_on(self.client.drive(op, on_event))
    }
    fn bulk(
        &self,
        spec: BulkSpec,
        journal: &mut (dyn Journal + Send),
        on_event: impl FnMut(&BulkEvent) + Send,
    ) -> Result<BulkReport, BulkError> {
        self.runtime
            .block_on(self.client.bulk(spec, journal, on_event))
    }
    fn budget(&self) -> Budget {
        self.client.budget()
    }
    fn list(&self, call: &ListTasks) -> BlockingStream<'_, T, E> {
        BlockingStream {
            stream: self.client.list(call),
            runtime: &self.runtime,
        }
    }
}

/// The durations an environment was asked to sleep, in order (shared with [`Recording`]).
pub type SleepLog = Arc<Mutex<Vec<Duration>>>;

/// Environment `E` that also writes every sleep into a [`SleepLog`].
#[derive(Debug)]
pub struct Recording<E> {
    inner: E,
    log: SleepLog,
}

impl<E> Recording<E> {
    /// `inner`, recording its sleeps into `log`.
    pub fn new(inner: E, log: &SleepLog) -> Self {
        Self {
            inner,
            log: Arc::clone(log),
        }
    }

    fn record(&self, d: Duration) {
        self.log.lock().unwrap().push(d);
    }
}

impl<E: Env> Env for Recording<E> {
    fn now(&self) -> Duration {
        self.inner.now()
    }
    fn unix_now(&self) -> Duration {
        self.inner.unix_now()
    }
    fn random(&self) -> u64 {
        self.inner.random()
    }
}

impl<E: BlockingEnv> BlockingEnv for Recording<E> {
    fn sleep(&self, d: Duration) {
        self.record(d);
        self.inner.sleep(d);
    }
    fn sleep_or_wake(&self, d: Duration, wake: Wake) {
        self.record(d);
        self.inner.sleep_or_wake(d, wake);
    }
}

impl<E: AsyncEnv> AsyncEnv for Recording<E> {
    fn sleep(&self, d: Duration) -> impl std::future::Future<Output = ()> + Send {
        self.record(d);
        self.inner.sleep(d)
    }
}

/// What a closure transport does before each request ([`Harness::closure_client`]): an error
/// is that attempt's failure, and the request is not sent.
pub type BeforeSend = Arc<dyn Fn() -> Result<(), TransportFailure> + Send + Sync>;

/// How a transport's tests make the clients the scenarios drive: the only thing each transport
/// writes (see [`scenarios!`](crate::scenarios!)).
pub trait Harness {
    /// The client as users make it (`client_with(settings, options)`).
    fn client(&self, settings: Settings, options: TransportOptions) -> impl Driver;

    /// A client over the transport made from `options` as they are (`Transport::new`), in the
    /// transport's usual environment wrapped in [`Recording`] into `log`.
    fn recording_client(
        &self,
        settings: Settings,
        options: TransportOptions,
        log: &SleepLog,
    ) -> impl Driver;

    /// A client over a closure transport: each request goes through `before` (see
    /// [`BeforeSend`]), then, unless it failed, through the transport made from `options` as
    /// they are.
    fn closure_client(
        &self,
        settings: Settings,
        options: TransportOptions,
        before: BeforeSend,
    ) -> impl Driver;
}
