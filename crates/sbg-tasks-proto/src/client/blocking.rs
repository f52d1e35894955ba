//! The blocking client.

use event_listener::Listener as _;

use super::TaskIter;
use crate::endpoint::{Answer, Endpoint};
use crate::env::{BlockingEnv, StdEnv};
use crate::machine::{CallMachine, CallStep, Settings};
use crate::transport::HttpTransport;
use crate::{ClientError, ListTasks};

/// A blocking client of the Tasks API over transport `T` in environment `E` (by default the
/// standard library's: [`StdEnv`]).
///
/// `sbg-tasks-ureq` gives a ready one (`sbg_tasks_ureq::UreqClient`); any [`HttpTransport`]
/// (a closure too) and any [`BlockingEnv`] will do. Every call retries as
/// [`Settings::retry`] says. Cloning shares nothing but what `T` and `E` share.
#[derive(Debug, Clone)]
pub struct BlockingClient<T, E = StdEnv> {
    settings: Settings,
    transport: T,
    env: E,
    budget: std::sync::Arc<std::sync::Mutex<crate::Budget>>,
    hub: std::sync::Arc<super::hub::WaitHub>,
}

impl<T: HttpTransport> BlockingClient<T, StdEnv> {
    /// A client with `config`, the default settings otherwise (see [`Settings::new`]), over
    /// `transport`, in the standard environment (real clocks, `thread::sleep`).
    pub fn new(config: crate::Config, transport: T) -> Self {
        Self::with_env(config, transport, StdEnv::new())
    }
}

client_common!(BlockingClient where T: HttpTransport, E: BlockingEnv);

impl<T: HttpTransport, E: BlockingEnv> BlockingClient<T, E> {
    /// Makes any call ([`Endpoint`]), with retries: the decoded value, the answer's metadata
    /// and the decoding report.
    pub fn call<P: Endpoint + ?Sized>(
        &self,
        endpoint: &P,
    ) -> Result<Answer<P::Output>, ClientError> {
        self.call_in(endpoint.lane(), endpoint)
    }

    /// [`call`](Self::call), spending `lane` of the rate-limit budget instead of the call's
    /// own ([`Lane::Watch`](crate::machine::budget::Lane::Watch) for a watcher's sweeps).
    pub fn call_in<P: Endpoint + ?Sized>(
        &self,
        lane: crate::endpoint::Lane,
        endpoint: &P,
    ) -> Result<Answer<P::Output>, ClientError> {
        let env = &self.env;
        let mut machine =
            CallMachine::new(&self.settings, endpoint, env).with_budget(&self.budget, lane);
        let span = machine.span();
        let _entered = span.enter();
        let mut step = machine.resume(env);
        loop {
            step = match step {
                CallStep::Send(request) => match self.transport.send(request) {
                    Ok(response) => machine.on_response(response, env),
                    Err(e) => machine.on_transport_error(e, env),
                },
                CallStep::Sleep(d) => {
                    env.sleep(d);
                    machine.resume(env)
                }
                CallStep::Done(result) => return result,
            }
        }
    }

    /// Lists tasks lazily (`GET /tasks`): an iterator over every task matching `call`'s
    /// filters, fetching the next page (as [`Pager`](crate::Pager) says) only when the tasks
    /// already fetched are used up. The first error is yielded and ends the iteration;
    /// [`TaskIter::total`] is the `X-Total-Matching-Query` total once a page has arrived.
    pub fn list(&self, call: &ListTasks) -> TaskIter<'_, T, E> {
        TaskIter::new(self, call)
    }

    /// Follows `ids` until each has ended, as events (status changes, progress, endings,
    /// unknown ids, a batch parent's ended children): bulk gets of 100 ids, least recently
    /// refreshed first, in the budget's watch lane. See [`Watch`](super::Watch) and
    /// [`Watcher`](crate::Watcher).
    pub fn watch(&self, ids: impl IntoIterator<Item = crate::TaskId>) -> super::Watch<'_, T, E> {
        super::Watch::new(self, ids)
    }

    client_methods!(async = [], await = [], send = [], listing = TaskIter, listen = [.wait()]);
}
