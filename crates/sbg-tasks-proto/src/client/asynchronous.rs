//! The async client.

use tracing::Instrument as _;

use super::{AsyncEnv, CallMachine, Error, Settings, Step, TaskStream};
use crate::endpoint::{Answer, Endpoint};
use crate::endpoints::{GetTask, ListTasks, PageLimit, RerunTask, RunTask};
use crate::model::Task;
use crate::transport::AsyncHttpTransport;
use crate::wait::{Progress, WaitPolicy, WaitState, WaitStep};
use crate::TaskId;

/// An async client of the Tasks API over transport `T` in environment `E`: the same operations
/// as [`Client`](super::Client), with `Send` futures.
///
/// `sbg-tasks-hyper` gives a ready one on tokio; any [`AsyncHttpTransport`] (a closure
/// returning a `Send` future too) and any [`AsyncEnv`] will do. The client can be shared
/// (`Arc`, or `Clone` when `T` and `E` are) by any number of concurrent calls.
#[derive(Debug, Clone)]
pub struct AsyncClient<T, E> {
    settings: Settings,
    transport: T,
    env: E,
}

client_common!(AsyncClient where T: AsyncHttpTransport + Sync, E: AsyncEnv + Sync);

impl<T, E> AsyncClient<T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    /// Makes any call ([`Endpoint`]), with retries: the decoded value, the answer's metadata
    /// and the decoding report.
    pub async fn call<P>(&self, endpoint: &P) -> Result<Answer<P::Output>, Error>
    where
        P: Endpoint + Sync + ?Sized,
        P::Output: Send,
    {
        let env = &self.env;
        let mut machine = CallMachine::new(&self.settings, endpoint, env);
        let span = machine.span();
        async move {
            let mut step = machine.resume(env);
            loop {
                step = match step {
                    Step::Send(request) => match self.transport.send(request).await {
                        Ok(response) => machine.on_response(response, env),
                        Err(e) => machine.on_transport_error(e, env),
                    },
                    Step::Sleep(d) => {
                        env.sleep(d).await;
                        machine.resume(env)
                    }
                    Step::Done(result) => return result,
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Gets a task (`GET /tasks/{id}`).
    pub async fn get(&self, call: &GetTask) -> Result<Answer<Task>, Error> {
        self.call(call).await
    }

    /// Runs a DRAFT task. When a retry finds the task already running because an earlier
    /// attempt's answer was lost, the task is fetched and returned: the run happened once.
    pub async fn run(&self, call: &RunTask) -> Result<Answer<Task>, Error> {
        match self.call(call).await {
            Err(Error::RunAlreadyAccepted { .. }) => self.get(&call.as_get()).await,
            other => other,
        }
    }

    /// Reruns (copies) a task; the answer is the NEW task. Never retried once the request may
    /// have reached the platform, so at most one copy is made.
    pub async fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, Error> {
        self.call(call).await
    }

    /// Lists tasks lazily: a [`Stream`](futures_core::Stream) (`Send`) of every task matching
    /// `call`'s filters, fetching the next page (as [`Pager`](crate::Pager) says) only when the
    /// tasks already fetched are used up. The first error is yielded and ends the stream;
    /// [`TaskStream::total`] is the `X-Total-Matching-Query` total once a page has arrived.
    pub fn list(&self, call: &ListTasks) -> TaskStream<'_, T, E> {
        TaskStream::new(self, call)
    }

    /// The children of batch task `parent` (an [`AsyncClient::list`] with `parent=`, 100 a
    /// page).
    pub fn children(&self, parent: &TaskId) -> TaskStream<'_, T, E> {
        self.list(&ListTasks::children_of(parent.clone()).limit(PageLimit::MAX))
    }

    /// Polls task `id` until it ends, with the client's [`WaitPolicy`], calling `progress`
    /// after each poll. Ends with the terminal task, [`Error::NotStarted`] for a DRAFT, or
    /// [`Error::Timeout`] with the last task seen.
    pub async fn wait(
        &self,
        id: &TaskId,
        progress: impl FnMut(&Progress<'_>) + Send,
    ) -> Result<Task, Error> {
        self.wait_with(id, &self.settings.wait, progress).await
    }

    /// [`AsyncClient::wait`] with another policy.
    pub async fn wait_with(
        &self,
        id: &TaskId,
        policy: &WaitPolicy,
        mut progress: impl FnMut(&Progress<'_>) + Send,
    ) -> Result<Task, Error> {
        let get = GetTask::new(id.clone());
        let mut wait = WaitState::new(policy.clone(), self.env.now());
        loop {
            let task = self.call(&get).await?.value;
            match wait.on_task(task, self.env.now(), &mut progress) {
                WaitStep::Sleep(d) => self.env.sleep(d).await,
                WaitStep::Finished(result) => return result,
            }
        }
    }
}
