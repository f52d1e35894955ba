//! `Api` and `api.tasks` on the blocking client (ureq): every call driven by
//! [`drive`] (in slices, the GIL released, Ctrl-C looked at between them).

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use sbg_tasks_proto::client::Events;
use sbg_tasks_proto::machine::{BulkGet, Call, List, Operation, Wait, WaitMany, Watch};
use sbg_tasks_proto::{ClientError, GetTask, ListTasks, StdEnv, TaskId, WatchEvent};
use sbg_tasks_ureq::{UreqClient, UreqTransport};

use crate::common::{self, BulkArgs, ClientArgs, CreateArgs, QueryArgs};
use crate::driver::{drive, next_event};
use crate::errors;
use crate::task::{created, raise, task_id, task_ids, Backend, Task};

type ListEvents<'c> = Mutex<Option<Events<'c, List<'c>, UreqTransport, StdEnv>>>;
type WatchEvents<'c> = Mutex<Option<Events<'c, Watch<'c>, UreqTransport, StdEnv>>>;

self_cell::self_cell!(
    struct ListCell {
        owner: Arc<UreqClient>,
        #[not_covariant]
        dependent: ListEvents,
    }
);

self_cell::self_cell!(
    struct WatchCell {
        owner: Arc<UreqClient>,
        #[not_covariant]
        dependent: WatchEvents,
    }
);

/// A connection to the platform, as sevenbridges-python's `Api`: `Api(url=, token=)` or
/// `Api(profile=)`, resolved like the CLI (arguments, `SB_AUTH_TOKEN` / `SB_API_ENDPOINT`,
/// the profile of `~/.sevenbridges/credentials` or `$SB_CREDENTIALS_FILE`).
///
/// Threads may share one `Api`: they share its rate-limit budget and its waits' polls.
#[pyclass(module = "sbg_tasks", frozen)]
pub struct Api {
    client: Arc<UreqClient>,
    /// The base URL.
    #[pyo3(get)]
    url: String,
    /// The task calls.
    #[pyo3(get)]
    tasks: Py<Tasks>,
}

#[pymethods]
impl Api {
    #[new]
    #[pyo3(signature = (url = None, token = None, profile = "default", **kwargs))]
    fn new(
        py: Python<'_>,
        url: Option<String>,
        token: Option<String>,
        profile: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (client, url) =
            ClientArgs::client(py, url, token, profile, kwargs, sbg_tasks_ureq::client_with)?;
        let tasks = Py::new(
            py,
            Tasks {
                client: client.clone(),
            },
        )?;
        Ok(Api { client, url, tasks })
    }

    /// The rate-limit budget this Api and its threads share: what is known of the window
    /// (`limit`, `remaining`, `reset` in Unix seconds), `requests` sent and `rate_limited`
    /// (429 answers) seen.
    #[getter]
    fn rate_limit(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        common::budget(py, &self.client.budget())
    }

    /// Asks the platform for the rate limit (`GET /rate_limit`, which it does not count).
    fn query_rate_limit(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let client = &self.client;
        let call = sbg_tasks_proto::GetRateLimit::new();
        let answer = drive(py, client, Call::new(client.settings(), &call), |_| {})?
            .map_err(|e| raise(py, &e, None))?;
        crate::convert::ser_to_py(py, &answer.value)
    }

    fn __repr__(&self) -> String {
        format!("<Api: url={}>", self.url)
    }
}

/// `api.tasks`: the task calls of sevenbridges-python, and ours on top (`watch`, `wait_all`,
/// `wait_any`, `bulk`).
#[pyclass(module = "sbg_tasks", frozen)]
pub struct Tasks {
    client: Arc<UreqClient>,
}

impl Tasks {
    fn backend(&self) -> Backend {
        Backend::Blocking(self.client.clone())
    }

    /// Drives `op` and hands its value to `then` (or raises its error), with this Api's
    /// backend: what every call of `api.tasks` does.
    fn call<O, T, R>(
        &self,
        py: Python<'_>,
        op: O,
        then: impl FnOnce(T, &Backend) -> PyResult<R>,
    ) -> PyResult<R>
    where
        O: Operation<Output = Result<T, ClientError>> + Send,
        O::Event: Send,
        T: Send,
    {
        let backend = self.backend();
        let out = drive(py, &self.client, op, |_| {})?;
        then(out.map_err(|e| raise(py, &e, Some(&backend)))?, &backend)
    }
}

#[pymethods]
impl Tasks {
    /// One task by id.
    fn get(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Py<Task>> {
        let call = GetTask::new(task_id(id)?);
        let op = Call::new(self.client.settings(), &call);
        self.call(py, op, |answer, b| Task::from_answer(py, answer, b))
    }

    /// Every task matching the filters, fetched page by page as the iterator is used (`limit`
    /// is the page size). `len()`-free; `.total` is the platform's count once a page came.
    #[pyo3(signature = (**kwargs))]
    fn query(&self, py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<TaskIterator> {
        let call = QueryArgs::from_keywords(py, kwargs)?;
        Ok(TaskIterator::new(self.client.clone(), &call))
    }

    /// Creates a task (a DRAFT, or run at once with `run=True`; then a task that cannot run
    /// raises `TaskValidationError` carrying it). Never retried once it may have been sent.
    #[pyo3(signature = (name, project, app, **kwargs))]
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        project: &str,
        app: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<Task>> {
        let (call, run) = CreateArgs::from_keywords(py, name, project, app, kwargs)?;
        let op = Call::new(self.client.settings(), &call);
        self.call(py, op, |answer, b| created(py, answer, run, b))
    }

    /// Any number of tasks, 100 a request: one `BulkRecord` per id, in order.
    fn bulk_get(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        let ids: Vec<TaskId> = task_ids(ids)?;
        let op = BulkGet::new(self.client.settings(), &ids);
        self.call(py, op, |got, b| common::bulk_records(py, got.items, b))
    }

    /// Waits until every task of `ids` has ended, following them all with bulk gets (not one
    /// request per task): one item per id, in order, a `Task` or the error for an id the
    /// platform does not know. `TaskTimeout` (with `.pending` ids) after `timeout` seconds.
    #[pyo3(signature = (ids, timeout = None))]
    fn wait_all(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<Py<PyList>> {
        let ids = task_ids(ids)?;
        let timeout = common::seconds(py, timeout)?;
        let op = WaitMany::new(self.client.settings(), &ids, usize::MAX, timeout);
        self.call(py, op, |got, b| common::wait_all_result(py, got, &ids, b))
    }

    /// Waits until `n` of the tasks of `ids` have ended, or `timeout` seconds: a pair
    /// `(ended, pending)`: the tasks (or errors) that ended, in the order they did, and the
    /// ids still pending.
    #[pyo3(signature = (ids, n = 1, timeout = None))]
    fn wait_any(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        n: usize,
        timeout: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        let ids = task_ids(ids)?;
        let timeout = common::seconds(py, timeout)?;
        let op = WaitMany::new(self.client.settings(), &ids, n, timeout);
        self.call(py, op, |got, b| common::wait_any_result(py, got, b))
    }

    /// Follows `ids` until each has ended: an iterator of `WatchEvent`s (bulk gets of 100
    /// ids, in the budget's watch lane). Ctrl-C stops it within 0.1 s.
    fn watch(&self, ids: &Bound<'_, PyAny>) -> PyResult<WatchIterator> {
        let ids = task_ids(ids)?;
        Ok(WatchIterator::new(self.client.clone(), ids))
    }

    /// Waits for one task (as `Task.wait`), by id or `Task`: the task ended.
    #[pyo3(signature = (id, period = 10.0, timeout = None))]
    fn wait(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        period: f64,
        timeout: Option<f64>,
    ) -> PyResult<Py<Task>> {
        let id = task_id(id)?;
        let policy = Task::wait_policy(period, timeout)?;
        let op = Wait::new(self.client.settings(), id, policy);
        self.call(py, op, |done, b| Task::new_py(py, done, Some(b)))
    }

    /// A bulk action: `action` is `rerun`, `run`, `abort` or `delete`, on `ids`, or on the
    /// tasks of `project` or batch `parent` (with `status`). Resumable: with `journal` (a
    /// path), a run that stopped (a crash, Ctrl-C) goes on where it was, never copying a task
    /// twice. `dry_run` only plans. Returns the report: a dict with one outcome per task.
    #[pyo3(signature = (action, **kwargs))]
    fn bulk(
        &self,
        py: Python<'_>,
        action: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let (spec, mut journal) = BulkArgs::from_keywords(py, action, kwargs)?;
        let client = &self.client;
        let report = py.detach(|| client.bulk(spec, journal.as_mut(), |_| {}));
        let report = report.map_err(|e| errors::bulk(py, e.to_string()))?;
        common::bulk_report(py, &report)
    }
}

/// The tasks of `api.tasks.query(...)`, fetched page by page as they are used.
#[pyclass(module = "sbg_tasks")]
pub struct TaskIterator {
    cell: ListCell,
    backend: Backend,
}

impl TaskIterator {
    fn new(client: Arc<UreqClient>, call: &ListTasks) -> Self {
        let backend = Backend::Blocking(client.clone());
        let cell = ListCell::new(client, |c| Mutex::new(Some(c.list(call))));
        TaskIterator { cell, backend }
    }
}

#[pymethods]
impl TaskIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The iterator itself (sevenbridges-python's `Collection.all()`).
    fn all(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<Task>> {
        let next = self
            .cell
            .with_dependent(|client, events| next_event(py, client, events))?;
        match next {
            Some(Ok(task)) => Task::new_py(py, task, Some(&self.backend)),
            Some(Err(e)) => Err(raise(py, &e, Some(&self.backend))),
            None => Err(PyStopIteration::new_err(())),
        }
    }

    /// How many tasks match, as the platform said with the first page (`None` before it).
    #[getter]
    fn total(&self) -> Option<u64> {
        self.cell.with_dependent(|_, events| {
            let guard = events.lock().unwrap_or_else(|e| e.into_inner());
            guard.as_ref().and_then(|e| e.total())
        })
    }
}

/// The events of `api.tasks.watch(ids)`.
#[pyclass(module = "sbg_tasks")]
pub struct WatchIterator {
    cell: WatchCell,
    backend: Backend,
}

impl WatchIterator {
    fn new(client: Arc<UreqClient>, ids: Vec<TaskId>) -> Self {
        let backend = Backend::Blocking(client.clone());
        let cell = WatchCell::new(client, |c| Mutex::new(Some(c.watch(ids))));
        WatchIterator { cell, backend }
    }
}

#[pymethods]
impl WatchIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let next: Option<Result<WatchEvent, _>> = self
            .cell
            .with_dependent(|client, events| next_event(py, client, events))?;
        match next {
            Some(Ok(event)) => common::watch_event(py, event, &self.backend),
            Some(Err(e)) => Err(raise(py, &e, Some(&self.backend))),
            None => Err(PyStopIteration::new_err(())),
        }
    }
}
