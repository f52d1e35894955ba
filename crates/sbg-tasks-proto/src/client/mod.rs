//! The clients: [`BlockingClient`] and [`AsyncClient`], one [`Client`] type with a blocking
//! and an async shell, generic over a transport and an environment.
//!
//! Each method builds an [operation](crate::machine) and hands it to the client's driver: one
//! blocking loop and one async loop ([`BlockingClient::drive`], [`AsyncClient::drive`]), the
//! only code that sends or sleeps. Listings and watches are the same loops, yielding each
//! event: [`Events`] (an iterator) or an [`EventStream`] (a stream). What the
//! concurrent operations of a client and its clones share ([`Shared`]: the rate-limit
//! budget, the waits' polls) is held here, in one `Mutex` locked only around a step.
//!
//! The transports live in other crates: `sbg-tasks-ureq` (blocking) and `sbg-tasks-hyper`
//! (tokio). A closure is a transport too ([`HttpTransport`](crate::transport::HttpTransport)):
//!
//! ```
//! use sbg_tasks_proto::http::{Request, Response};
//! use sbg_tasks_proto::transport::TransportFailure;
//! use sbg_tasks_proto::config::AllowHttp;
//! use sbg_tasks_proto::{AuthToken, BaseUrl, BlockingClient, Config, GetTask};
//!
//! let base = BaseUrl::parse_with("http://127.0.0.1:9/v2", AllowHttp::Loopback)?;
//! let config = Config::new(base, AuthToken::new("secret-token")?);
//! let transport = |req: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportFailure> {
//!     assert_eq!(req.uri().path(), "/v2/tasks/abc");
//!     Ok(Response::builder()
//!         .status(200)
//!         .body(br#"{"id":"abc","status":"QUEUED"}"#.to_vec())
//!         .unwrap())
//! };
//! // The standard environment (real clocks, `thread::sleep`) unless told otherwise.
//! let client = BlockingClient::new(config, transport);
//! let task = client.get(&GetTask::new("abc".parse()?))?;
//! assert_eq!(task.value.id.as_deref(), Some("abc"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod asynchronous;
mod blocking;
pub mod journal;

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use event_listener::Event;

use crate::connection::Config;
use crate::decoding::Decoding;
use crate::env::{Env, StdEnv, Wake};
use crate::machine::budget::{Budget, BudgetPolicy};
use crate::machine::bulk::{BulkAction, BulkEvent, BulkHandle, BulkReport, BulkSpec, ResumeError};
use crate::machine::retry::RetryPolicy;
use crate::machine::wait::WaitPolicy;
use crate::machine::watch::WatcherPolicy;
use crate::machine::{Now, Operation, Settings, Shared};

pub use asynchronous::{AsyncClient, BulkStream, EventStream};
pub use blocking::{BlockingClient, Events, Idle};
pub use journal::{Journal, JournalError, MemoryJournal};

use crate::machine::{List, Watch};

/// The tasks of [`BlockingClient::list`], fetched page by page as they are consumed.
pub type TaskIter<'c, T, E> = Events<'c, List<'c>, T, E>;
/// The tasks of [`AsyncClient::list`], fetched page by page as they are consumed.
pub type TaskStream<'c, T, E> = EventStream<'c, List<'c>, T, E>;
/// The events of [`BlockingClient::watch`].
pub type WatchIter<'c, T, E> = Events<'c, Watch<'c>, T, E>;
/// The events of [`AsyncClient::watch`].
pub type WatchStream<'c, T, E> = EventStream<'c, Watch<'c>, T, E>;

/// The blocking shell of [`Client`] (see [`BlockingClient`]).
#[derive(Debug, Clone, Copy)]
pub struct Blocking;

/// The async shell of [`Client`] (see [`AsyncClient`]).
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// A client of the Tasks API over transport `T` in environment `E`; `M` says which shell:
/// [`BlockingClient`] or [`AsyncClient`] (the same methods under the same names).
///
/// Cloning shares the rate-limit budget and the waits' polls ([`Shared`]).
#[derive(Debug, Clone)]
pub struct Client<T, E = StdEnv, M = Blocking> {
    settings: Settings,
    transport: T,
    env: E,
    hub: Arc<Hub>,
    shell: PhantomData<M>,
}

/// The [`Shared`] state of a client and its clones, and the notice its sleepers wait on.
#[derive(Debug)]
struct Hub {
    shared: Mutex<Shared>,
    changed: Event,
}

impl Hub {
    fn new(policy: BudgetPolicy) -> Arc<Self> {
        Arc::new(Self {
            shared: Mutex::new(Shared::new(policy)),
            changed: Event::new(),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Shared) -> R) -> R {
        f(&mut self.shared.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn wake(&self) -> Wake {
        Wake(self.changed.listen())
    }
}

/// An operation being driven: abandoned (what it holds in [`Shared`] given back) when dropped
/// before its end, e.g. with a cancelled future or a dropped stream.
#[derive(Debug)]
struct Running<'h, O: Operation> {
    op: O,
    hub: &'h Hub,
    over: bool,
}

impl<O: Operation> Drop for Running<'_, O> {
    fn drop(&mut self) {
        if !self.over {
            self.hub.with(|s| self.op.abandon(s));
            self.hub.changed.notify(usize::MAX);
        }
    }
}

/// Why a bulk action could not start or go on (its tasks' own failures are outcomes in the
/// report, not this).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BulkError {
    /// The journal could not be read, or a record could not be written (the action stopped
    /// before sending anything that depended on it: run it again to go on).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The journal holds another action, or contradicts itself.
    #[error(transparent)]
    Resume(#[from] ResumeError),
}

/// What the workers of a bulk action hand their events to: the journal first (write-ahead),
/// then the caller. One for both drivers.
struct BulkSink<'j, F> {
    journal: &'j mut (dyn Journal + Send),
    on_event: F,
    error: Option<JournalError>,
}

impl<F: FnMut(&BulkEvent)> BulkSink<'_, F> {
    /// A worker's event: a record is persisted before the worker is stepped again; when it
    /// cannot be, the action is halted (no worker sends anything more).
    fn take(sink: &Mutex<Self>, hub: &Hub, handle: &BulkHandle, event: BulkEvent) {
        let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
        if sink.error.is_some() {
            return;
        }
        if let BulkEvent::Record(records) = &event {
            if let Err(e) = sink.journal.append(records) {
                sink.error = Some(e);
                hub.with(|s| handle.halt(s));
                hub.changed.notify(usize::MAX);
                return;
            }
        }
        (sink.on_event)(&event);
    }
}

/// Loads the journal and puts the action in the client's shared state.
fn start_bulk(
    hub: &Hub,
    spec: BulkSpec,
    journal: &mut (dyn Journal + Send),
) -> Result<BulkHandle, BulkError> {
    let records = journal.load()?;
    let action = BulkAction::resume(spec, &records)?;
    Ok(hub.with(|s| action.start(s)))
}

/// Takes the action out of the shared state: its report, or the journal's error.
fn finish_bulk<F>(
    hub: &Hub,
    handle: BulkHandle,
    sink: Mutex<BulkSink<'_, F>>,
) -> Result<BulkReport, BulkError> {
    let report = hub.with(|s| handle.finish(s));
    match sink.into_inner().unwrap_or_else(|e| e.into_inner()).error {
        Some(e) => Err(e.into()),
        None => Ok(report),
    }
}

impl<T, E: Env, M> Client<T, E, M> {
    /// A client with `config`, the default settings otherwise (see [`Settings::new`]), over
    /// `transport` in environment `env`.
    pub fn with_env(config: Config, transport: T, env: E) -> Self {
        Self::with_settings(Settings::new(config), transport, env)
    }

    /// A client with `settings`, over `transport` in environment `env`.
    pub fn with_settings(settings: Settings, transport: T, env: E) -> Self {
        let hub = Hub::new(settings.budget.clone());
        Self {
            settings,
            transport,
            env,
            hub,
            shell: PhantomData,
        }
    }

    /// Replaces the rate-limit budget with a new one following `policy` (and the waits'
    /// polls: clones made before keep sharing the old ones).
    pub fn with_budget(mut self, policy: BudgetPolicy) -> Self {
        self.settings.budget = policy.clone();
        self.hub = Hub::new(policy);
        self
    }

    /// Replaces the watcher policy (how `watch`, `wait_all` and `wait_any` follow).
    pub fn with_watcher(mut self, policy: WatcherPolicy) -> Self {
        self.settings.watcher = policy;
        self
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retry = retry;
        self
    }

    /// Replaces the wait policy (how `wait` polls).
    pub fn with_wait(mut self, wait: WaitPolicy) -> Self {
        self.settings.wait = wait;
        self
    }

    /// Sets strict or lenient decoding.
    pub fn with_decoding(mut self, decoding: Decoding) -> Self {
        self.settings.decoding = decoding;
        self
    }

    /// Asks the budget for a probe (`GET /rate_limit`, which the platform does not count)
    /// before the next call, so that the next calls are paced by what is really left of the
    /// window (`watch`, `wait_all` and `wait_any` do this when they start).
    pub fn want_probe(&self) {
        self.hub.with(|s| s.budget_mut().want_probe());
    }

    /// A snapshot of the rate-limit budget this client and its clones share: what is known
    /// of the window, requests sent, 429s seen.
    pub fn budget(&self) -> Budget {
        self.hub.with(|s| s.budget().clone())
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The environment.
    pub fn env(&self) -> &E {
        &self.env
    }

    /// The time to step an operation with, from the environment.
    fn now(&self) -> Now {
        Now {
            mono: self.env.now(),
            unix: self.env.unix_now(),
            random: self.env.random(),
        }
    }

    /// `op`, ready to be driven by this client.
    fn running<O: Operation>(&self, op: O) -> Running<'_, O> {
        Running {
            op,
            hub: &self.hub,
            over: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use http::{Request, Response};

    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_core::Stream;

    use super::*;
    use crate::client::Idle;
    use crate::endpoints::list_tasks::{ListTasks, PageLimit};
    use crate::env::FakeEnv;
    use crate::error::ClientError;
    use crate::machine::retry::RetryPolicy;
    use crate::model::task::Task;
    use crate::platform::{AllowHttp, BaseUrl};
    use crate::token::AuthToken;
    use crate::transport::TransportFailure;
    use crate::{AsyncClient, BlockingClient};

    const IDS: [&str; 5] = ["a", "b", "c", "d", "e"];

    fn config() -> Config {
        let base = BaseUrl::parse_with("http://127.0.0.1:9/v2", AllowHttp::Loopback).unwrap();
        Config::new(base, AuthToken::new("secret-token").unwrap())
    }

    /// A canned list of five tasks; answers 500 (after `fail_after` pages) when set.
    fn serve(
        req: &Request<Vec<u8>>,
        pages: &AtomicUsize,
        fail_after: Option<usize>,
    ) -> Response<Vec<u8>> {
        let n = pages.fetch_add(1, Ordering::SeqCst);
        if fail_after.is_some_and(|f| n >= f) {
            return Response::builder()
                .status(500)
                .body(br#"{"status":500,"code":0,"message":"boom"}"#.to_vec())
                .unwrap();
        }
        let q = req.uri().query().unwrap_or_default();
        let param = |k: &str| {
            q.split('&')
                .find_map(|p| p.strip_prefix(k)?.strip_prefix('='))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let (offset, limit) = (param("offset").unwrap_or(0), param("limit").unwrap_or(50));
        let items: Vec<String> = IDS
            .iter()
            .skip(offset)
            .take(limit)
            .map(|id| format!(r#"{{"id":"{id}"}}"#))
            .collect();
        Response::builder()
            .header("X-Total-Matching-Query", IDS.len().to_string())
            .body(format!(r#"{{"items":[{}]}}"#, items.join(",")).into_bytes())
            .unwrap()
    }

    fn ids(items: impl IntoIterator<Item = Result<Task, ClientError>>) -> Vec<String> {
        items.into_iter().map(|t| t.unwrap().id.unwrap()).collect()
    }

    #[test]
    fn the_iterator_fetches_pages_only_when_its_buffer_is_empty() {
        let pages = AtomicUsize::new(0);
        let transport = |req: Request<Vec<u8>>| -> Result<_, TransportFailure> {
            Ok(serve(&req, &pages, None))
        };
        let client = BlockingClient::with_env(config(), transport, FakeEnv::new(Duration::ZERO));
        let mut it = client.list(&ListTasks::new().limit(PageLimit::new(2).unwrap()));
        assert_eq!((it.total(), it.pages()), (None, 0));
        assert_eq!(
            pages.load(Ordering::SeqCst),
            0,
            "nothing fetched before use"
        );
        assert_eq!(ids(it.by_ref().take(2)), ["a", "b"]);
        assert_eq!(pages.load(Ordering::SeqCst), 1);
        assert_eq!(it.total(), Some(5));
        assert_eq!(ids(it.by_ref().take(1)), ["c"]);
        assert_eq!(pages.load(Ordering::SeqCst), 2);
        assert_eq!(ids(it.by_ref()), ["d", "e"]);
        assert_eq!(it.pages(), 3);
        assert!(it.next().is_none(), "fused");
        assert_eq!(pages.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn an_operation_driven_in_slices_goes_on_where_each_slice_stopped() {
        use crate::machine::wait::WaitPolicy;
        use crate::machine::Wait;
        let polls = AtomicUsize::new(0);
        let transport = |_: Request<Vec<u8>>| -> Result<_, TransportFailure> {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            let status = if n < 3 { "RUNNING" } else { "COMPLETED" };
            Ok(Response::builder()
                .body(format!(r#"{{"id":"a","status":"{status}"}}"#).into_bytes())
                .unwrap())
        };
        let env = FakeEnv::new(Duration::ZERO);
        let client = BlockingClient::with_env(config(), transport, env);
        let policy = WaitPolicy::default()
            .with_interval(Duration::from_secs(10))
            .with_timeout(None);
        let wait = Wait::new(client.settings(), "a".parse().unwrap(), policy);
        let mut events = client.iter(wait);
        let mut progress = 0;
        let mut slices = 0;
        let task = loop {
            let until = client.env().now() + Duration::from_secs(1);
            match events.finish_before(until, |_| progress += 1) {
                Ok(done) => break done.unwrap(),
                Err(Idle) => slices += 1,
            }
            assert!(slices < 1000, "never ended");
        };
        assert_eq!(task.status.unwrap().as_str(), "COMPLETED");
        assert_eq!(polls.load(Ordering::SeqCst), 4);
        assert_eq!(progress, 4, "one progress event per poll");
        assert!(slices >= 25, "30 s of polling in slices of 1 s: {slices}");
        assert!(
            matches!(
                events.finish_before(client.env().now(), |_| progress += 1),
                Err(Idle)
            ),
            "over"
        );
        assert_eq!(polls.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn the_first_error_is_yielded_once_and_ends_the_iteration() {
        let pages = AtomicUsize::new(0);
        let transport = |req: Request<Vec<u8>>| -> Result<_, TransportFailure> {
            Ok(serve(&req, &pages, Some(1)))
        };
        let client = BlockingClient::with_env(config(), transport, FakeEnv::new(Duration::ZERO))
            .with_retry(RetryPolicy::default().with_max_attempts(1));
        let items: Vec<_> = client
            .list(&ListTasks::new().limit(PageLimit::new(2).unwrap()))
            .collect();
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap().id.as_deref(), Some("a"));
        assert_eq!(items[2].as_ref().unwrap_err().status(), Some(500));
        assert_eq!(
            pages.load(Ordering::SeqCst),
            2,
            "nothing fetched after the error"
        );
    }

    #[test]
    fn the_stream_yields_the_same_tasks_lazily() {
        let pages = AtomicUsize::new(0);
        let transport = |req: Request<Vec<u8>>| {
            let answer = serve(&req, &pages, None);
            async move { Ok::<_, TransportFailure>(answer) }
        };
        let client = AsyncClient::with_env(config(), transport, FakeEnv::new(Duration::ZERO));
        let mut stream = client.children(&"p".parse().unwrap());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut got = Vec::new();
        while let Poll::Ready(Some(item)) = Pin::new(&mut stream).poll_next(&mut cx) {
            got.push(item.unwrap().id.unwrap());
            if got.len() == 1 {
                assert_eq!(pages.load(Ordering::SeqCst), 1);
                assert_eq!(stream.total(), Some(5));
            }
        }
        assert_eq!(got, IDS);
        assert_eq!(
            pages.load(Ordering::SeqCst),
            1,
            "one page of 100 held them all"
        );
        assert!(matches!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }
}
