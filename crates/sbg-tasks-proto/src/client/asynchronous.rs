//! The async client.

use tracing::Instrument as _;

use super::TaskStream;
use crate::endpoint::{Answer, Endpoint};
use crate::env::AsyncEnv;
use crate::machine::{CallMachine, CallStep, Settings};
use crate::transport::AsyncHttpTransport;
use crate::{ClientError, ListTasks};

/// An async client of the Tasks API over transport `T` in environment `E`: the same methods
/// as [`BlockingClient`](super::BlockingClient), with `Send` futures.
///
/// `sbg-tasks-hyper` gives a ready one on tokio (`sbg_tasks_hyper::HyperClient`); any
/// [`AsyncHttpTransport`] (a closure returning a `Send` future too) and any [`AsyncEnv`] will
/// do. The client can be shared (`Arc`, or `Clone` when `T` and `E` are) by any number of
/// concurrent calls.
#[derive(Debug, Clone)]
pub struct AsyncClient<T, E> {
    settings: Settings,
    transport: T,
    env: E,
    budget: std::sync::Arc<std::sync::Mutex<crate::Budget>>,
    hub: std::sync::Arc<super::hub::WaitHub>,
}

client_common!(AsyncClient where T: AsyncHttpTransport + Sync, E: AsyncEnv + Sync);

impl<T, E> AsyncClient<T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    /// Makes any call ([`Endpoint`]), with retries: the decoded value, the answer's metadata
    /// and the decoding report.
    pub async fn call<P>(&self, endpoint: &P) -> Result<Answer<P::Output>, ClientError>
    where
        P: Endpoint + Sync + ?Sized,
        P::Output: Send,
    {
        self.call_in(endpoint.lane(), endpoint).await
    }

    /// [`call`](Self::call), spending `lane` of the rate-limit budget instead of the call's
    /// own ([`Lane::Watch`](crate::machine::budget::Lane::Watch) for a watcher's sweeps).
    pub async fn call_in<P>(
        &self,
        lane: crate::endpoint::Lane,
        endpoint: &P,
    ) -> Result<Answer<P::Output>, ClientError>
    where
        P: Endpoint + Sync + ?Sized,
        P::Output: Send,
    {
        let env = &self.env;
        let mut machine =
            CallMachine::new(&self.settings, endpoint, env).with_budget(&self.budget, lane);
        let span = machine.span();
        async move {
            let mut step = machine.resume(env);
            loop {
                step = match step {
                    CallStep::Send(request) => match self.transport.send(request).await {
                        Ok(response) => machine.on_response(response, env),
                        Err(e) => machine.on_transport_error(e, env),
                    },
                    CallStep::Sleep(d) => {
                        env.sleep(d).await;
                        machine.resume(env)
                    }
                    CallStep::Done(result) => return result,
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Lists tasks lazily (`GET /tasks`): a [`Stream`](futures_core::Stream) (`Send`) of
    /// every task matching `call`'s filters, fetching the next page (as
    /// [`Pager`](crate::Pager) says) only when the tasks already fetched are used up. The
    /// first error is yielded and ends the stream; [`TaskStream::total`] is the
    /// `X-Total-Matching-Query` total once a page has arrived.
    pub fn list(&self, call: &ListTasks) -> TaskStream<'_, T, E> {
        TaskStream::new(self, call)
    }

    /// Follows `ids` until each has ended, as a `Send` stream of events: see
    /// [`BlockingClient::watch`](super::BlockingClient::watch).
    pub fn watch(
        &self,
        ids: impl IntoIterator<Item = crate::TaskId>,
    ) -> super::WatchStream<'_, T, E> {
        super::WatchStream::new(self, ids)
    }

    client_methods!(async = [async], await = [.await], send = [+ Send], listing = TaskStream, listen = [.await]);
}
