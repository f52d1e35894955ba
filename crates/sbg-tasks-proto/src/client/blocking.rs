//! The blocking client.

use super::{BlockingEnv, CallMachine, Error, Settings, Step, TaskIter};
use crate::endpoint::{Answer, Endpoint};
use crate::endpoints::{GetTask, ListTasks, PageLimit, RerunTask, RunTask};
use crate::model::Task;
use crate::transport::HttpTransport;
use crate::wait::{Progress, WaitPolicy, WaitState, WaitStep};
use crate::TaskId;

/// A blocking client of the Tasks API over transport `T` in environment `E`.
///
/// `sbg-tasks-ureq` gives a ready one; any [`HttpTransport`] (a closure too) and any
/// [`BlockingEnv`] will do. Every operation retries as [`Settings::retry`] says.
#[derive(Debug, Clone)]
pub struct Client<T, E> {
    settings: Settings,
    transport: T,
    env: E,
}

client_common!(Client where T: HttpTransport, E: BlockingEnv);

impl<T: HttpTransport, E: BlockingEnv> Client<T, E> {
    /// Makes any call ([`Endpoint`]), with retries: the decoded value, the answer's metadata
    /// and the decoding report.
    pub fn call<P: Endpoint + ?Sized>(&self, endpoint: &P) -> Result<Answer<P::Output>, Error> {
        let env = &self.env;
        let mut machine = CallMachine::new(&self.settings, endpoint, env);
        let span = machine.span();
        let _entered = span.enter();
        let mut step = machine.resume(env);
        loop {
            step = match step {
                Step::Send(request) => match self.transport.send(request) {
                    Ok(response) => machine.on_response(response, env),
                    Err(e) => machine.on_transport_error(e, env),
                },
                Step::Sleep(d) => {
                    env.sleep(d);
                    machine.resume(env)
                }
                Step::Done(result) => return result,
            }
        }
    }

    /// Gets a task (`GET /tasks/{id}`).
    pub fn get(&self, call: &GetTask) -> Result<Answer<Task>, Error> {
        self.call(call)
    }

    /// Runs a DRAFT task. When a retry finds the task already running because an earlier
    /// attempt's answer was lost, the task is fetched and returned: the run happened once.
    pub fn run(&self, call: &RunTask) -> Result<Answer<Task>, Error> {
        match self.call(call) {
            Err(Error::RunAlreadyAccepted { .. }) => self.get(&call.as_get()),
            other => other,
        }
    }

    /// Reruns (copies) a task; the answer is the NEW task. Never retried once the request may
    /// have reached the platform, so at most one copy is made.
    pub fn rerun(&self, call: &RerunTask) -> Result<Answer<Task>, Error> {
        self.call(call)
    }

    /// Lists tasks lazily: an iterator over every task matching `call`'s filters, fetching the
    /// next page (as [`Pager`](crate::Pager) says) only when the tasks already fetched are
    /// used up. The first error is yielded and ends the iteration; [`TaskIter::total`] is the
    /// `X-Total-Matching-Query` total once a page has arrived.
    pub fn list(&self, call: &ListTasks) -> TaskIter<'_, T, E> {
        TaskIter::new(self, call)
    }

    /// The children of batch task `parent` (a [`Client::list`] with `parent=`, 100 a page).
    pub fn children(&self, parent: &TaskId) -> TaskIter<'_, T, E> {
        self.list(&ListTasks::children_of(parent.clone()).limit(PageLimit::MAX))
    }

    /// Polls task `id` until it ends, with the client's [`WaitPolicy`], calling `progress`
    /// after each poll. Ends with the terminal task, [`Error::NotStarted`] for a DRAFT, or
    /// [`Error::Timeout`] with the last task seen.
    pub fn wait(&self, id: &TaskId, progress: impl FnMut(&Progress<'_>)) -> Result<Task, Error> {
        self.wait_with(id, &self.settings.wait, progress)
    }

    /// [`Client::wait`] with another policy.
    pub fn wait_with(
        &self,
        id: &TaskId,
        policy: &WaitPolicy,
        mut progress: impl FnMut(&Progress<'_>),
    ) -> Result<Task, Error> {
        let get = GetTask::new(id.clone());
        let mut wait = WaitState::new(policy.clone(), self.env.now());
        loop {
            let task = self.call(&get)?.value;
            match wait.on_task(task, self.env.now(), &mut progress) {
                WaitStep::Sleep(d) => self.env.sleep(d),
                WaitStep::Finished(result) => return result,
            }
        }
    }
}
