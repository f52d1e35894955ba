//! What a scenario ([`crate::scenarios`](mod@crate::scenarios)) needs from a transport, so that it is written once
//! and run over both: a [`Driver`] (the client's calls, with blocking signatures) and a
//! [`Harness`] (how the transport's tests make one).
//!
//! [`Driver`] is implemented once for every [`BlockingClient`] (the calls are the client's own)
//! and once for [`OnRuntime`], an [`AsyncClient`] with the tokio runtime that drives its
//! futures to completion (`block_on`): the async client's code runs end to end, only the
//! waiting for it is blocking. Both implementations are written by `drive!` from one list.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use sbg_tasks_proto::endpoints::CreateOutcome;
use sbg_tasks_proto::endpoints::{BulkItemError, BulkTasks, Deletion};
use sbg_tasks_proto::env::{AsyncEnv, BlockingEnv, Env};
use sbg_tasks_proto::model::TaskInputs;
use sbg_tasks_proto::model::{ExecutionDetails, RateLimitInfo};
use sbg_tasks_proto::transport::TransportOptions;
use sbg_tasks_proto::transport::{AsyncHttpTransport, HttpTransport, TransportFailure};
use sbg_tasks_proto::{AbortTask, CreateTask, GetExecutionDetails};
use sbg_tasks_proto::{
    Answer, AsyncClient, BlockingClient, Budget, ClientError, DeleteTask, Endpoint, GetTask,
    GetTaskInputs, ListTasks, Progress, RerunTask, RunTask, Settings, Task, TaskId, TaskIter,
    TaskStream, UpdateTask, UpdateTaskInputs, WaitAny, WaitPolicy,
};
use tokio::runtime::Runtime;

/// The lazy listing of a [`Driver`]: the tasks, fetched page by page as they are consumed.
pub trait Tasks: Iterator<Item = Result<Task, ClientError>> {
    /// The `X-Total-Matching-Query` total, once a page has arrived.
    fn total(&self) -> Option<u64>;
    /// The pages fetched so far.
    fn pages(&self) -> u64;
}

/// A client's calls with blocking signatures: the same names and arguments as
/// [`BlockingClient`]'s and [`AsyncClient`]'s methods.
pub trait Driver: Sync {
    /// What [`list`](Self::list) and [`children`](Self::children) return.
    type Tasks<'a>: Tasks
    where
        Self: 'a;

    /// Any call ([`Endpoint`]), with retries.
    fn call<P>(&self, endpoint: &P) -> Result<Answer<P::Output>, ClientError>
    where
        P: Endpoint + Sync + ?Sized,
        P::Output: Send;
    /// Gets a task.
    fn get(&self, call: &GetTask) -> Result<Answer<Task>, ClientError>;
    /// Runs a DRAFT task (a lost answer is fetched).
    fn run(&self, call: &RunTask) -> Result<Answer<Task>, ClientError>;
    /// Reruns (copies) a task; the answer is the new one.
    fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, ClientError>;
    /// Creates a task.
    fn create(&self, call: &CreateTask) -> Result<Answer<CreateOutcome>, ClientError>;
    /// Modifies a task (a DRAFT, or only the name of another).
    fn update(&self, call: &UpdateTask) -> Result<Answer<Task>, ClientError>;
    /// Deletes a DRAFT task (a retry finding it gone is [`Deletion::AlreadyGone`]).
    fn delete(&self, call: &DeleteTask) -> Result<Answer<Deletion>, ClientError>;
    /// A task's inputs alone.
    fn inputs(&self, call: &GetTaskInputs) -> Result<Answer<TaskInputs>, ClientError>;
    /// Changes some of a DRAFT's inputs; the answer is the whole map.
    fn update_inputs(&self, call: &UpdateTaskInputs) -> Result<Answer<TaskInputs>, ClientError>;
    /// Gets any number of tasks, 100 a request, one item per id in order.
    fn bulk_get(&self, ids: &[TaskId]) -> Result<BulkTasks, ClientError>;
    /// Aborts a QUEUED or RUNNING task.
    fn abort(&self, call: &AbortTask) -> Result<Answer<Task>, ClientError>;
    /// The execution details of a task.
    fn execution_details(
        &self,
        call: &GetExecutionDetails,
    ) -> Result<Answer<ExecutionDetails>, ClientError>;
    /// The caller's rate limit.
    fn rate_limit(&self) -> Result<Answer<RateLimitInfo>, ClientError>;
    /// Polls a task until it ends, as the client's wait policy says.
    fn wait(&self, id: &TaskId) -> Result<Task, ClientError>;
    /// [`wait`](Self::wait), calling `progress` after each poll.
    fn wait_with_progress(
        &self,
        id: &TaskId,
        progress: impl FnMut(&Progress<'_>) + Send,
    ) -> Result<Task, ClientError>;
    /// [`wait_with_progress`](Self::wait_with_progress) with another policy.
    fn wait_with(
        &self,
        id: &TaskId,
        policy: &WaitPolicy,
        progress: impl FnMut(&Progress<'_>) + Send,
    ) -> Result<Task, ClientError>;
    /// Waits until every task of `ids` has ended (bulk gets), one result per id in order.
    fn wait_all(&self, ids: &[TaskId]) -> Result<Vec<Result<Task, BulkItemError>>, ClientError>;
    /// Waits until `n` of `ids` have ended or `timeout` passed.
    fn wait_any(
        &self,
        ids: &[TaskId],
        n: usize,
        timeout: Option<Duration>,
    ) -> Result<WaitAny, ClientError>;
    /// The client's rate-limit budget (a snapshot).
    fn budget(&self) -> Budget;
    /// Lists tasks lazily.
    fn list(&self, call: &ListTasks) -> Self::Tasks<'_>;
    /// The children of batch task `parent`.
    fn children(&self, parent: &TaskId) -> Self::Tasks<'_>;
}

/// Writes the [`Driver`] methods that make a call, each as `$finish!(self, method(args))`:
/// `$finish` says how a client's call becomes its answer.
macro_rules! drive {
    ($finish:ident) => {
        fn call<P>(&self, endpoint: &P) -> Result<Answer<P::Output>, ClientError>
        where
            P: Endpoint + Sync + ?Sized,
            P::Output: Send,
        {
            $finish!(self, call(endpoint))
        }
        fn get(&self, call: &GetTask) -> Result<Answer<Task>, ClientError> {
            $finish!(self, get(call))
        }
        fn run(&self, call: &RunTask) -> Result<Answer<Task>, ClientError> {
            $finish!(self, run(call))
        }
        fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, ClientError> {
            $finish!(self, rerun(call))
        }
        fn create(&self, call: &CreateTask) -> Result<Answer<CreateOutcome>, ClientError> {
            $finish!(self, create(call))
        }
        fn update(&self, call: &UpdateTask) -> Result<Answer<Task>, ClientError> {
            $finish!(self, update(call))
        }
        fn delete(&self, call: &DeleteTask) -> Result<Answer<Deletion>, ClientError> {
            $finish!(self, delete(call))
        }
        fn inputs(&self, call: &GetTaskInputs) -> Result<Answer<TaskInputs>, ClientError> {
            $finish!(self, inputs(call))
        }
        fn update_inputs(
            &self,
            call: &UpdateTaskInputs,
        ) -> Result<Answer<TaskInputs>, ClientError> {
            $finish!(self, update_inputs(call))
        }
        fn bulk_get(&self, ids: &[TaskId]) -> Result<BulkTasks, ClientError> {
            $finish!(self, bulk_get(ids))
        }
        fn abort(&self, call: &AbortTask) -> Result<Answer<Task>, ClientError> {
            $finish!(self, abort(call))
        }
        fn execution_details(
            &self,
            call: &GetExecutionDetails,
        ) -> Result<Answer<ExecutionDetails>, ClientError> {
            $finish!(self, execution_details(call))
        }
        fn rate_limit(&self) -> Result<Answer<RateLimitInfo>, ClientError> {
            $finish!(self, rate_limit())
        }
        fn wait(&self, id: &TaskId) -> Result<Task, ClientError> {
            $finish!(self, wait(id))
        }
        fn wait_all(
            &self,
            ids: &[TaskId],
        ) -> Result<Vec<Result<Task, BulkItemError>>, ClientError> {
            $finish!(self, wait_all(ids))
        }
        fn wait_any(
            &self,
            ids: &[TaskId],
            n: usize,
            timeout: Option<Duration>,
        ) -> Result<WaitAny, ClientError> {
            $finish!(self, wait_any(ids, n, timeout))
        }
        fn wait_with_progress(
            &self,
            id: &TaskId,
            progress: impl FnMut(&Progress<'_>) + Send,
        ) -> Result<Task, ClientError> {
            $finish!(self, wait_with_progress(id, progress))
        }
        fn wait_with(
            &self,
            id: &TaskId,
            policy: &WaitPolicy,
            progress: impl FnMut(&Progress<'_>) + Send,
        ) -> Result<Task, ClientError> {
            $finish!(self, wait_with(id, policy, progress))
        }
    };
}

/// A blocking client's call is its answer (the client's own method, not the trait's).
macro_rules! blocking {
    ($this:ident, $method:ident($($arg:expr),*)) => {
        BlockingClient::$method($this, $($arg),*)
    };
}

/// An async client's call is driven to its answer on the runtime.
macro_rules! on_runtime {
    ($this:ident, $method:ident($($arg:expr),*)) => {
        $this.runtime.block_on($this.client.$method($($arg),*))
    };
}

impl<T: HttpTransport, E: BlockingEnv> Tasks for TaskIter<'_, T, E> {
    fn total(&self) -> Option<u64> {
        TaskIter::total(self)
    }
    fn pages(&self) -> u64 {
        TaskIter::pages(self)
    }
}

impl<T: HttpTransport + Sync, E: BlockingEnv + Sync> Driver for BlockingClient<T, E> {
    type Tasks<'a>
        = TaskIter<'a, T, E>
    where
        Self: 'a;

    drive!(blocking);

    fn budget(&self) -> Budget {
        BlockingClient::budget(self)
    }
    fn list(&self, call: &ListTasks) -> TaskIter<'_, T, E> {
        BlockingClient::list(self, call)
    }
    fn children(&self, parent: &TaskId) -> TaskIter<'_, T, E> {
        BlockingClient::children(self, parent)
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

    drive!(on_runtime);

    fn budget(&self) -> Budget {
        self.client.budget()
    }
    fn list(&self, call: &ListTasks) -> BlockingStream<'_, T, E> {
        BlockingStream {
            stream: self.client.list(call),
            runtime: &self.runtime,
        }
    }
    fn children(&self, parent: &TaskId) -> BlockingStream<'_, T, E> {
        BlockingStream {
            stream: self.client.children(parent),
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
