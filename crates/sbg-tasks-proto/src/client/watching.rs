//! Following many tasks from a client: [`Watch`] (an iterator) and [`WatchStream`] (a `Send`
//! stream) drive a [`Watcher`] with the client's calls, in the budget's watch lane.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{AsyncClient, BlockingClient};
use crate::endpoint::{Answer, Lane};
use crate::endpoints::{BulkItemError, BulkTasks};
use crate::env::{AsyncEnv, BlockingEnv};
use crate::error::ClientError;
use crate::machine::watch::{WatchEvent, WatchWant, Watcher};
use crate::model::TaskPage;
use crate::transport::{AsyncHttpTransport, HttpTransport};
use crate::{Task, TaskId};

/// What [`wait_any`](BlockingClient::wait_any) found: the tasks that ended (or are gone), in
/// the order they did, and the ids still pending.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitAny {
    /// Each id that ended — its last task — or that the platform does not know — its error.
    pub ended: Vec<(TaskId, Result<Task, BulkItemError>)>,
    /// The ids that had not ended when the wait stopped.
    pub pending: Vec<TaskId>,
}

/// The tasks of a client's `watch`, as events: see [`Watcher`] for what is reported.
///
/// An iterator of `Result<WatchEvent, ClientError>`: a request that fails (after its retries)
/// is yielded as an error, and the iteration goes on (its tasks are due again at once); it
/// ends when every task has ended or is gone. `next` returns only with an event, an error or
/// the end — it sleeps in between as long as nothing changes; a caller that needs its own
/// timeouts or periodic redraws drives a [`Watcher`] itself with
/// [`call_in`](BlockingClient::call_in) (`Lane::Watch`), as this iterator does. [`Watch::watcher`] shows the state (counts by
/// status, requests made), [`Watch::add`] follows more tasks.
#[derive(Debug)]
pub struct Watch<'a, T, E> {
    client: &'a BlockingClient<T, E>,
    watcher: Watcher,
}

impl<'a, T: HttpTransport, E: BlockingEnv> Watch<'a, T, E> {
    pub(super) fn new(
        client: &'a BlockingClient<T, E>,
        ids: impl IntoIterator<Item = TaskId>,
    ) -> Self {
        let mut watcher = Watcher::new(client.settings().watcher.clone());
        watcher.add(ids);
        client.want_probe();
        Self { client, watcher }
    }

    /// The watcher: what is followed, counts by status, requests made.
    pub fn watcher(&self) -> &Watcher {
        &self.watcher
    }

    /// Follows these ids too.
    pub fn add(&mut self, ids: impl IntoIterator<Item = TaskId>) {
        self.watcher.add(ids);
    }
}

impl<T: HttpTransport, E: BlockingEnv> Iterator for Watch<'_, T, E> {
    type Item = Result<WatchEvent, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        let env = self.client.env();
        loop {
            if let Some(event) = self.watcher.pop_event() {
                return Some(Ok(event));
            }
            match self.watcher.next_request(env.unix_now()) {
                WatchWant::Bulk(call) => match self.client.call_in(Lane::Watch, &call) {
                    Ok(answer) => self.watcher.on_bulk(env.unix_now(), answer),
                    Err(e) => {
                        self.watcher.on_failed();
                        return Some(Err(e));
                    }
                },
                WatchWant::Children(call) => match self.client.call_in(Lane::Watch, &*call) {
                    Ok(answer) => self.watcher.on_children(env.unix_now(), answer),
                    Err(e) => {
                        self.watcher.on_failed();
                        return Some(Err(e));
                    }
                },
                WatchWant::Wait(d) => env.sleep(d),
                _ => return None,
            }
        }
    }
}

enum Fetched {
    Bulk(Result<Answer<BulkTasks>, ClientError>),
    Children(Result<Answer<TaskPage>, ClientError>),
    Slept,
}

type FetchFuture<'a> = Pin<Box<dyn Future<Output = Fetched> + Send + 'a>>;

/// The tasks of an async client's `watch`, as events: the [`Watch`] iterator as a
/// [`Stream`] (`Send`, `Unpin`).
pub struct WatchStream<'a, T, E> {
    client: &'a AsyncClient<T, E>,
    watcher: Watcher,
    in_flight: Option<FetchFuture<'a>>,
}

impl<T, E> std::fmt::Debug for WatchStream<'_, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream")
            .field("watcher", &self.watcher)
            .field("fetching", &self.in_flight.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a, T, E> WatchStream<'a, T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    pub(super) fn new(
        client: &'a AsyncClient<T, E>,
        ids: impl IntoIterator<Item = TaskId>,
    ) -> Self {
        let mut watcher = Watcher::new(client.settings().watcher.clone());
        watcher.add(ids);
        client.want_probe();
        Self {
            client,
            watcher,
            in_flight: None,
        }
    }

    /// The watcher: what is followed, counts by status, requests made.
    pub fn watcher(&self) -> &Watcher {
        &self.watcher
    }

    /// Follows these ids too.
    pub fn add(&mut self, ids: impl IntoIterator<Item = TaskId>) {
        self.watcher.add(ids);
    }
}

impl<'a, T, E> Stream for WatchStream<'a, T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    type Item = Result<WatchEvent, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let client: &'a AsyncClient<T, E> = this.client;
        loop {
            if let Some(fetch) = this.in_flight.as_mut() {
                let fetched = std::task::ready!(fetch.as_mut().poll(cx));
                this.in_flight = None;
                let now = client.env().unix_now();
                match fetched {
                    Fetched::Bulk(Ok(answer)) => this.watcher.on_bulk(now, answer),
                    Fetched::Children(Ok(answer)) => this.watcher.on_children(now, answer),
                    Fetched::Bulk(Err(e)) | Fetched::Children(Err(e)) => {
                        this.watcher.on_failed();
                        return Poll::Ready(Some(Err(e)));
                    }
                    Fetched::Slept => {}
                }
            }
            if let Some(event) = this.watcher.pop_event() {
                return Poll::Ready(Some(Ok(event)));
            }
            this.in_flight = Some(match this.watcher.next_request(client.env().unix_now()) {
                WatchWant::Bulk(call) => {
                    Box::pin(async move { Fetched::Bulk(client.call_in(Lane::Watch, &call).await) })
                }
                WatchWant::Children(call) => {
                    Box::pin(
                        async move { Fetched::Children(client.call_in(Lane::Watch, &*call).await) },
                    )
                }
                WatchWant::Wait(d) => Box::pin(async move {
                    client.env().sleep(d).await;
                    Fetched::Slept
                }),
                _ => return Poll::Ready(None),
            });
        }
    }
}
