//! `AsyncApi`: the same calls as `Api` on the async client (hyper, on the tokio runtime of
//! pyo3-async-runtimes), as awaitables; `async for` over a watch's events.

use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3_async_runtimes::tokio::{future_into_py, get_runtime};
use tokio::sync::{mpsc, Mutex};

use sbg_tasks_hyper::HyperClient;
use sbg_tasks_proto::AbortTask;
use sbg_tasks_proto::Task as RTask;
use sbg_tasks_proto::{Answer, ClientError, DeleteTask, GetTask, TaskId, WatchEvent};

use crate::common::{self, BulkArgs, ClientArgs, CreateArgs, QueryArgs};
use crate::errors;
use crate::task::{created, task_id, task_ids, AsyncTask, Backend, Task};

/// An awaitable of `fut`, whose output `done` turns into Python (with the GIL).
fn awaitable<'py, F, R>(
    py: Python<'py>,
    client: &Arc<HyperClient>,
    fut: F,
    done: impl FnOnce(Python<'_>, R, &Backend) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let backend = Backend::Async(client.clone());
    future_into_py(py, async move {
        let out = fut.await;
        Python::attach(|py| done(py, out, &backend))
    })
}

/// A client error as its exception.
fn raise(py: Python<'_>, e: &ClientError, backend: &Backend) -> PyErr {
    crate::task::raise(py, e, Some(backend))
}

/// What an action on an `AsyncTask` hands the awaitable: the answer's task taken in place,
/// the task itself the result.
fn in_place(
    me: Py<AsyncTask>,
) -> impl FnOnce(Python<'_>, Result<Answer<RTask>, ClientError>, &Backend) -> PyResult<Py<PyAny>>
       + Send
       + 'static {
    move |py, r, b| {
        let answer = r.map_err(|e| raise(py, &e, b))?;
        me.bind(py)
            .as_super()
            .borrow_mut()
            .set(answer.value, &answer.report);
        Ok(me.into_any())
    }
}

/// The async client and what `f` makes of this task (a call), with a short borrow.
fn prepare<T>(
    slf: &Bound<'_, AsyncTask>,
    f: impl FnOnce(&Task, Python<'_>) -> PyResult<T>,
) -> PyResult<(Arc<HyperClient>, T)> {
    let py = slf.py();
    let me = slf.as_super().borrow();
    Ok((me.async_client(py)?, f(&me, py)?))
}

/// The asyncio flavour of `Api`: the same arguments, the same credentials; every call an
/// awaitable, run on the hyper transport.
#[pyclass(module = "sbg_tasks", frozen)]
pub struct AsyncApi {
    client: Arc<HyperClient>,
    /// The base URL.
    #[pyo3(get)]
    url: String,
    /// The task calls.
    #[pyo3(get)]
    tasks: Py<AsyncTasks>,
}

#[pymethods]
impl AsyncApi {
    #[new]
    #[pyo3(signature = (url = None, token = None, profile = "default", **kwargs))]
    fn new(
        py: Python<'_>,
        url: Option<String>,
        token: Option<String>,
        profile: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (client, url) = ClientArgs::client(py, url, token, profile, kwargs, |s, o| {
            // The transport's pool lives on the runtime the awaitables run on.
            let _runtime = get_runtime().enter();
            sbg_tasks_hyper::client_with(s, o)
        })?;
        let tasks = Py::new(
            py,
            AsyncTasks {
                client: client.clone(),
            },
        )?;
        Ok(AsyncApi { client, url, tasks })
    }

    /// The shared rate-limit budget (see `Api.rate_limit`).
    #[getter]
    fn rate_limit(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        common::budget(py, &self.client.budget())
    }

    /// Asks the platform for the rate limit: an awaitable of a dict.
    fn query_rate_limit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        awaitable(
            py,
            &self.client,
            async move { client.rate_limit().await },
            |py, r, b| {
                let answer = r.map_err(|e| raise(py, &e, b))?;
                crate::convert::ser_to_py(py, &answer.value)
            },
        )
    }

    fn __repr__(&self) -> String {
        format!("<AsyncApi: url={}>", self.url)
    }
}

/// `api.tasks` of an `AsyncApi`: the calls of `Api.tasks`, as awaitables.
#[pyclass(module = "sbg_tasks", frozen)]
pub struct AsyncTasks {
    client: Arc<HyperClient>,
}

fn one_task(
    py: Python<'_>,
    r: Result<sbg_tasks_proto::Answer<RTask>, ClientError>,
    b: &Backend,
) -> PyResult<Py<PyAny>> {
    let answer = r.map_err(|e| raise(py, &e, b))?;
    Ok(Task::from_answer(py, answer, b)?.into_any())
}

#[pymethods]
impl AsyncTasks {
    /// One task by id.
    fn get<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let call = GetTask::new(task_id(id)?);
        let client = self.client.clone();
        awaitable(
            py,
            &self.client,
            async move { client.get(&call).await },
            one_task,
        )
    }

    /// Every task matching the filters (all pages): an awaitable of a list.
    #[pyo3(signature = (**kwargs))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = QueryArgs::from_keywords(py, kwargs)?;
        let client = self.client.clone();
        let fut = async move {
            let mut stream = Box::pin(client.list(&call));
            let mut tasks = Vec::new();
            while let Some(item) = stream.next().await {
                match item {
                    Ok(task) => tasks.push(task),
                    Err(e) => return Err(e),
                }
            }
            Ok(tasks)
        };
        awaitable(py, &self.client, fut, |py, r, b| {
            let list = PyList::empty(py);
            for task in r.map_err(|e| raise(py, &e, b))? {
                list.append(Task::new_py(py, task, Some(b))?)?;
            }
            Ok(list.into_any().unbind())
        })
    }

    /// Creates a task (see `Api.tasks.create`).
    #[pyo3(signature = (name, project, app, **kwargs))]
    fn create<'py>(
        &self,
        py: Python<'py>,
        name: String,
        project: &str,
        app: String,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (call, run) = CreateArgs::from_keywords(py, name, project, app, kwargs)?;
        let client = self.client.clone();
        awaitable(
            py,
            &self.client,
            async move { client.create(&call).await },
            move |py, r, b| {
                let answer = r.map_err(|e| raise(py, &e, b))?;
                Ok(created(py, answer, run, b)?.into_any())
            },
        )
    }

    /// Any number of tasks: an awaitable of `BulkRecord`s, one per id, in order.
    fn bulk_get<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ids: Vec<TaskId> = task_ids(ids)?;
        let client = self.client.clone();
        awaitable(
            py,
            &self.client,
            async move { client.bulk_get(&ids).await },
            |py, r, b| {
                let got = r.map_err(|e| raise(py, &e, b))?;
                Ok(common::bulk_records(py, got.items, b)?.into_any())
            },
        )
    }

    /// Waits until every task of `ids` has ended (see `Api.tasks.wait_all`).
    #[pyo3(signature = (ids, timeout = None))]
    fn wait_all<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ids = task_ids(ids)?;
        let timeout = common::seconds(py, timeout)?;
        let client = self.client.clone();
        let asked = ids.clone();
        awaitable(
            py,
            &self.client,
            async move { client.wait_any(&ids, usize::MAX, timeout).await },
            move |py, r, b| {
                let got = r.map_err(|e| raise(py, &e, b))?;
                Ok(common::wait_all_result(py, got, &asked, b)?.into_any())
            },
        )
    }

    /// Waits until `n` of the tasks of `ids` have ended (see `Api.tasks.wait_any`).
    #[pyo3(signature = (ids, n = 1, timeout = None))]
    fn wait_any<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
        n: usize,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ids = task_ids(ids)?;
        let timeout = common::seconds(py, timeout)?;
        let client = self.client.clone();
        awaitable(
            py,
            &self.client,
            async move { client.wait_any(&ids, n, timeout).await },
            |py, r, b| {
                let got = r.map_err(|e| raise(py, &e, b))?;
                common::wait_any_result(py, got, b)
            },
        )
    }

    /// Waits for one task: an awaitable of the task ended.
    #[pyo3(signature = (id, period = 10.0, timeout = None))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        period: f64,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = task_id(id)?;
        let policy = Task::wait_policy(period, timeout)?;
        let client = self.client.clone();
        awaitable(
            py,
            &self.client,
            async move { client.wait_with(&id, &policy, |_| {}).await },
            |py, r, b| {
                let task = r.map_err(|e| raise(py, &e, b))?;
                Ok(Task::new_py(py, task, Some(b))?.into_any())
            },
        )
    }

    /// Follows `ids` until each has ended: `async for event in api.tasks.watch(ids)`.
    fn watch(&self, ids: &Bound<'_, PyAny>) -> PyResult<AsyncWatch> {
        let ids = task_ids(ids)?;
        let client = self.client.clone();
        let (tx, rx) = mpsc::channel(64);
        let runner = client.clone();
        let task = get_runtime().spawn(async move {
            let mut events = Box::pin(runner.watch(ids));
            while let Some(event) = events.next().await {
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        Ok(AsyncWatch {
            rx: Arc::new(Mutex::new(rx)),
            task,
            backend: Backend::Async(client),
        })
    }

    /// A bulk action (see `Api.tasks.bulk`): an awaitable of the report.
    #[pyo3(signature = (action, **kwargs))]
    fn bulk<'py>(
        &self,
        py: Python<'py>,
        action: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (spec, mut journal) = BulkArgs::from_keywords(py, action, kwargs)?;
        let client = self.client.clone();
        let fut = async move { client.bulk(spec, journal.as_mut(), |_| {}).await };
        awaitable(py, &self.client, fut, |py, r, _| {
            let report = r.map_err(|e| errors::bulk(py, e.to_string()))?;
            common::bulk_report(py, &report)
        })
    }
}

/// The events of `AsyncApi.tasks.watch(ids)`, for `async for`. Dropping it stops the watch.
#[pyclass(module = "sbg_tasks", frozen)]
pub struct AsyncWatch {
    rx: Arc<Mutex<mpsc::Receiver<Result<WatchEvent, ClientError>>>>,
    task: tokio::task::JoinHandle<()>,
    backend: Backend,
}

impl Drop for AsyncWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[pymethods]
impl AsyncWatch {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rx = self.rx.clone();
        let backend = self.backend.clone();
        future_into_py(py, async move {
            let next = rx.lock().await.recv().await;
            Python::attach(|py| match next {
                Some(Ok(event)) => common::watch_event(py, event, &backend),
                Some(Err(e)) => Err(raise(py, &e, &backend)),
                None => Err(PyStopAsyncIteration::new_err(())),
            })
        })
    }
}

/// The actions of an `AsyncTask`, each an awaitable (of the task, updated in place, or of
/// the new task for `clone`).
#[pymethods]
impl AsyncTask {
    /// Runs the DRAFT.
    #[pyo3(signature = (batch = None, interruptible = None))]
    fn run<'py>(
        slf: &Bound<'py, Self>,
        batch: Option<bool>,
        interruptible: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, call) = prepare(slf, |me, py| me.run_call(py, batch, interruptible))?;
        let c = client.clone();
        let fut = async move { c.run(&call).await };
        awaitable(slf.py(), &client, fut, in_place(slf.clone().unbind()))
    }

    /// Copies the task, and runs the copy unless `run=False`: the new task.
    #[pyo3(signature = (run = true))]
    fn clone<'py>(slf: &Bound<'py, Self>, run: bool) -> PyResult<Bound<'py, PyAny>> {
        let (client, call) = prepare(slf, |me, py| me.clone_call(py, run))?;
        let c = client.clone();
        awaitable(
            slf.py(),
            &client,
            async move { c.rerun(&call).await },
            one_task,
        )
    }

    /// Aborts the task.
    fn abort<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let (client, id) = prepare(slf, |me, py| me.task_id(py))?;
        let c = client.clone();
        let fut = async move { c.abort(&AbortTask::new(id)).await };
        awaitable(slf.py(), &client, fut, in_place(slf.clone().unbind()))
    }

    /// Sends the changed members (nothing when none changed).
    fn save<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let (client, call) = prepare(slf, |me, py| me.update_call(py))?;
        let c = client.clone();
        let me: Py<AsyncTask> = slf.clone().unbind();
        let fut = async move {
            match call {
                Some(call) => Some(c.update(&call).await),
                None => None,
            }
        };
        awaitable(slf.py(), &client, fut, move |py, r, b| match r {
            Some(r) => in_place(me)(py, r, b),
            None => Ok(me.into_any()),
        })
    }

    /// Deletes the DRAFT.
    fn delete<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let (client, id) = prepare(slf, |me, py| me.task_id(py))?;
        let c = client.clone();
        let fut = async move { c.delete(&DeleteTask::new(id)).await };
        awaitable(slf.py(), &client, fut, |py, r, b| {
            // Deleted now, or gone after an earlier attempt: the same to the caller.
            r.map_err(|e| raise(py, &e, b))?;
            Ok(py.None())
        })
    }

    /// Fetches the task again.
    fn reload<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let (client, id) = prepare(slf, |me, py| me.task_id(py))?;
        let c = client.clone();
        let fut = async move { c.get(&GetTask::new(id)).await };
        awaitable(slf.py(), &client, fut, in_place(slf.clone().unbind()))
    }

    /// Waits until the task ends (every `period` seconds, `timeout` at most).
    #[pyo3(signature = (period = 10.0, timeout = None))]
    fn wait<'py>(
        slf: &Bound<'py, Self>,
        period: f64,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, id) = prepare(slf, |me, py| me.task_id(py))?;
        let policy = Task::wait_policy(period, timeout)?;
        let me: Py<AsyncTask> = slf.clone().unbind();
        let c = client.clone();
        let fut = async move { c.wait_with(&id, &policy, |_| {}).await };
        awaitable(slf.py(), &client, fut, move |py, r, b| {
            let task = r.map_err(|e| raise(py, &e, b))?;
            me.bind(py)
                .as_super()
                .borrow_mut()
                .set(task, &Default::default());
            Ok(me.into_any())
        })
    }
}
