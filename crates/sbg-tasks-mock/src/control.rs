//! Starting, driving and stopping a mock server.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::RunPlan;
use crate::config::{MockConfig, Outcome};
use crate::error::MockError;
use crate::fault::{Fault, FaultTable, Route, Scope};
use crate::fleet::{Fleet, FleetSpec};
use crate::journal::{Journal, JournalEntry, MockStats, TokenStats};
use crate::platform::MockPlatform;
use crate::server;
use crate::state::Shared;
use crate::sync::lock;
use crate::tls;

/// The handle to a running mock's state: addresses, journal, faults and tasks.
///
/// [`MockServer`] and [`MockHandle`] dereference to it; it can also be cloned and kept on its
/// own (it stays usable after the server stopped, e.g. to read the journal).
#[derive(Clone)]
pub struct MockControl {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MockControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockControl")
            .field("base_url", &self.shared.platform.base_url())
            .finish_non_exhaustive()
    }
}

impl MockControl {
    /// The API base URL, e.g. `http://127.0.0.1:41234/v2` (`https://` with TLS).
    pub fn base_url(&self) -> &str {
        self.shared.platform.base_url()
    }

    /// The platform this server answers from (the same model a simulation can drive on a
    /// clock of its own, see [`MockPlatform`]).
    pub fn platform(&self) -> &MockPlatform {
        &self.shared.platform
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The PEM of the self-signed certificate, when serving TLS.
    pub fn cert_pem(&self) -> Option<&str> {
        self.shared.cert_pem.as_deref()
    }

    /// The journal: the requests that reached the server, oldest first (up to the capacity).
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.shared.journal).entries()
    }

    /// How many journal entries match `route` ([`Route::Any`] counts all kept entries).
    pub fn requests_to(&self, route: Route) -> usize {
        lock(&self.shared.journal)
            .entries()
            .iter()
            .filter(|e| route == Route::Any || e.route == route)
            .count()
    }

    /// Requests served since the start, including those no longer kept in the journal.
    pub fn request_count(&self) -> u64 {
        lock(&self.shared.journal).total()
    }

    /// The kept journal entries numbered `since` or later ([`JournalEntry::seq`]), oldest
    /// first: poll with the last `seq` + 1 to read only what is new.
    pub fn journal_since(&self, since: u64) -> Vec<JournalEntry> {
        lock(&self.shared.journal).since(since, usize::MAX)
    }

    /// Per-token statistics since the start or the last [`reset_stats`](Self::reset_stats):
    /// requests, those counted against the rate limit, 429s, requests by route, body bytes
    /// (before and after compression). Not bounded by the journal's capacity; the same as
    /// `GET /__mock/stats`.
    pub fn stats(&self) -> MockStats {
        lock(&self.shared.journal).stats()
    }

    /// The statistics of one token (given as the token; only its fingerprint is compared).
    pub fn token_stats(&self, token: &str) -> Option<TokenStats> {
        self.stats().token(token).cloned()
    }

    /// Start the statistics afresh (the journal is kept).
    pub fn reset_stats(&self) {
        lock(&self.shared.journal).reset_stats();
    }

    /// Make a fleet of tasks that move QUEUED → RUNNING → COMPLETED/FAILED over time (see
    /// [`FleetSpec`]); its clock starts now. Also `POST /__mock/fleet`.
    pub fn spawn_fleet(&self, spec: FleetSpec) -> Fleet {
        self.shared.platform.spawn_fleet(&spec, Instant::now())
    }

    /// The fleets made so far (also `GET /__mock/fleet`).
    pub fn fleets(&self) -> Vec<Fleet> {
        self.shared.platform.fleets()
    }

    /// Forget the journal's entries.
    pub fn clear_journal(&self) {
        lock(&self.shared.journal).clear();
    }

    /// Install a fault. Faults are tried in the order installed; the first that matches a
    /// request fires (one fault per request), and counted ones disappear when spent.
    pub fn inject(&self, fault: Fault, scope: Scope) {
        self.shared.faults.inject(fault, scope);
    }

    /// Remove every fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The faults still installed, with what is left of their scope.
    pub fn faults(&self) -> Vec<(Fault, Scope)> {
        self.shared.faults.pending()
    }

    /// Insert (or replace) a task given as a JSON object. A missing `id` is made up (a new
    /// UUID); `href` is set to the mock's own (a client following it stays on the mock).
    /// Returns the id. A `DRAFT` task can be run.
    pub fn insert_task(&self, task: Value) -> Result<String, MockError> {
        self.shared.platform.insert_task(task)
    }

    /// Insert (or replace) a task already run now, following `plan` whatever the schedule
    /// (see [`MockPlatform::insert_running`]).
    pub fn insert_running(&self, task: Value, plan: RunPlan) -> Result<String, MockError> {
        self.shared
            .platform
            .insert_running(task, plan, Instant::now())
    }

    /// The task as it is now, without counting a poll.
    pub fn task(&self, id: &str) -> Option<Value> {
        self.shared.platform.task(id, Instant::now())
    }

    /// The ids of all tasks, in the order they were made.
    pub fn task_ids(&self) -> Vec<String> {
        self.shared.platform.task_ids()
    }

    /// How many tasks there are.
    pub fn task_count(&self) -> usize {
        self.shared.platform.task_count()
    }

    /// How the task (and, for a batch parent, its children) ends. `false` if there is no such
    /// task. Takes effect when the schedule runs out.
    pub fn set_outcome(&self, id: &str, outcome: Outcome) -> bool {
        self.shared.platform.set_outcome(id, outcome)
    }

    /// Make listings lag by `lag` from now on (see
    /// [`MockBuilder::listing_lag`](crate::MockBuilder::listing_lag)).
    pub fn set_listing_lag(&self, lag: std::time::Duration) {
        self.shared.platform.set_listing_lag(lag);
    }

    /// Every copy made by `clone` so far, with its status now (see [`MockPlatform::copies`];
    /// also `GET /__mock/copies`).
    pub fn copies(&self) -> Vec<crate::TaskCopy> {
        self.shared.platform.copies(Instant::now())
    }

    /// Count `polls` polls of a running task (and of its children) as if it had been fetched.
    /// `false` if there is no such task.
    pub fn advance(&self, id: &str, polls: u32) -> bool {
        self.shared.platform.advance(id, polls, Instant::now())
    }

    /// Start every token's rate-limit window afresh.
    pub fn reset_rate_limits(&self) {
        self.shared.platform.reset_rate_limits();
    }
}

/// A mock server running on the caller's tokio runtime. Stops when shut down or dropped.
#[derive(Debug)]
pub struct MockServer {
    control: MockControl,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Deref for MockServer {
    type Target = MockControl;
    fn deref(&self) -> &MockControl {
        &self.control
    }
}

impl MockServer {
    /// Start with `config` on the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockServer, MockError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| MockError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
            addr: config.listen,
            source,
        })?;
        let tls = if config.tls {
            Some(tls::setup()?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{addr}/v2");
        let started = Instant::now();
        let platform = MockPlatform::new(&config, &base_url, started, SystemTime::now());
        let faults = FaultTable::default();
        for (f, s) in &config.faults {
            faults.inject(f.clone(), *s);
        }
        let shared = Arc::new(Shared {
            started,
            addr,
            cert_pem: tls.as_ref().map(|t| t.cert_pem.clone()),
            platform,
            faults,
            journal: Mutex::new(Journal::new(config.journal_capacity)),
        });
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            shared.clone(),
            tls.map(|t| t.acceptor),
            stop_rx,
        ));
        Ok(MockServer {
            control: MockControl { shared },
            stop,
            task: Some(task),
        })
    }

    /// Start with `config` on a runtime of its own, on a background thread.
    pub fn start_blocking(config: MockConfig) -> Result<MockHandle, MockError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let workers = config.worker_threads;
        let thread = std::thread::Builder::new()
            .name("sbg-tasks-mock".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name("sbg-tasks-mock-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(MockError::Runtime(e.to_string())));
                        return;
                    }
                };
                rt.block_on(async move {
                    match MockServer::start(config).await {
                        Ok(server) => {
                            let (stop_tx, stop_rx) = oneshot::channel::<()>();
                            if tx.send(Ok((server.control.clone(), stop_tx))).is_ok() {
                                let _ = stop_rx.await;
                            }
                            server.shutdown().await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| MockError::Runtime(e.to_string()))?;
        let started = rx
            .recv()
            .map_err(|_| MockError::Runtime("the mock's thread stopped before starting".into()));
        match started {
            Ok(Ok((control, stop))) => Ok(MockHandle {
                control,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(e)) | Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }

    /// A clonable handle to the state, usable after the server stopped.
    pub fn control(&self) -> MockControl {
        self.control.clone()
    }

    /// Stop accepting, let open connections finish (5 s at most), and wait for it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A mock server running on its own runtime and thread (see [`MockServer::start_blocking`]).
/// Dropping it shuts the server down and joins the thread.
#[derive(Debug)]
pub struct MockHandle {
    control: MockControl,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Deref for MockHandle {
    type Target = MockControl;
    fn deref(&self) -> &MockControl {
        &self.control
    }
}

impl MockHandle {
    /// A clonable handle to the state, usable after the server stopped.
    pub fn control(&self) -> MockControl {
        self.control.clone()
    }

    /// Stop the server and join its thread (what dropping does).
    pub fn shutdown(self) {}
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
