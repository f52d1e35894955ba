//! What `Api` and `AsyncApi` share: their arguments turned into the core's calls and
//! settings, and the core's results turned into Python values. No I/O here.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use sbg_tasks_credentials::{Names, Overrides, ProcessEnv};
use sbg_tasks_proto::client::{Journal, MemoryJournal};
use sbg_tasks_proto::endpoints::{BulkItemError, PageLimit, SortOrder};
use sbg_tasks_proto::fields::{FieldName, Fields};
use sbg_tasks_proto::machine::budget::Budget;
use sbg_tasks_proto::machine::bulk::{
    Action, BulkReport, BulkSpec, Listing, Scope, Selection, TaskOutcome,
};
use sbg_tasks_proto::model::{BatchBy, ExecutionSettings, PortMap};
use sbg_tasks_proto::transport::TransportOptions;
use sbg_tasks_proto::Task as RTask;
use sbg_tasks_proto::{
    AppId, CreateTask, ListTasks, ProjectId, RetryPolicy, Settings, TaskId, WaitAny, WatchEvent,
    WatcherPolicy,
};

use crate::convert::{self, from_py, from_py_as, task_id, task_ids, time_bound};
use crate::errors;
use crate::task::{Backend, Task};

/// Seconds as a duration (`None` stays `None`).
pub(crate) fn seconds(py: Python<'_>, s: Option<f64>) -> PyResult<Option<Duration>> {
    s.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| errors::validation(py, format!("{s} is not a duration in seconds")))
    })
    .transpose()
}

/// The arguments of `Api(...)` and `AsyncApi(...)`.
pub(crate) struct ClientArgs {
    pub(crate) url: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) profile: String,
    pub(crate) credentials_file: Option<PathBuf>,
    pub(crate) platform: Option<String>,
    pub(crate) ca_bundle: Option<PathBuf>,
    pub(crate) timeout: Option<f64>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) poll_interval: Option<f64>,
}

impl ClientArgs {
    /// The settings and transport options, the token and endpoint resolved as the CLI does.
    /// `http://` is accepted on loopback hosts only (a local mock).
    pub(crate) fn resolve(self, py: Python<'_>) -> PyResult<(Settings, TransportOptions)> {
        let mut overrides = Overrides::new()
            .profile(self.profile)
            .allow_http_loopback(true)
            .names(Names::new("token=", "url=", "platform=", "a loopback host"));
        overrides.token = self.token;
        overrides.endpoint = self.url;
        overrides.credentials_file = self.credentials_file;
        if let Some(p) = self.platform {
            overrides.platform = Some(p.parse().map_err(|e| errors::config(py, format!("{e}")))?);
        }
        let resolved = sbg_tasks_credentials::resolve(&overrides, &ProcessEnv)
            .map_err(|e| errors::config(py, e.to_string()))?;
        let mut settings = Settings::new(resolved.config);
        if let Some(n) = self.max_attempts {
            settings.retry = RetryPolicy::default().with_max_attempts(n.max(1));
        }
        if let Some(every) = seconds(py, self.poll_interval)? {
            settings.watcher = WatcherPolicy::default().with_min_interval(every);
        }
        let mut options = TransportOptions::default();
        if let Some(t) = seconds(py, self.timeout)? {
            options = options.timeout(Some(t));
        }
        if let Some(path) = self.ca_bundle {
            let pem = std::fs::read(&path).map_err(|e| {
                errors::config(
                    py,
                    format!("cannot read the CA bundle {}: {e}", path.display()),
                )
            })?;
            options = options.root_certificates_pem(pem);
        }
        Ok((settings, options))
    }
}

/// The filters of `tasks.query(...)`.
pub(crate) struct QueryArgs<'a, 'py> {
    pub(crate) project: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) batch: Option<bool>,
    pub(crate) parent: Option<&'a Bound<'py, PyAny>>,
    pub(crate) created: (Option<&'a Bound<'py, PyAny>>, Option<&'a Bound<'py, PyAny>>),
    pub(crate) started: (Option<&'a Bound<'py, PyAny>>, Option<&'a Bound<'py, PyAny>>),
    pub(crate) ended: (Option<&'a Bound<'py, PyAny>>, Option<&'a Bound<'py, PyAny>>),
    pub(crate) offset: Option<u64>,
    pub(crate) limit: Option<u64>,
    pub(crate) order_by: Option<String>,
    pub(crate) order: Option<String>,
    pub(crate) origin: Option<String>,
}

fn project(py: Python<'_>, p: &str) -> PyResult<ProjectId> {
    p.parse()
        .map_err(|e| errors::validation(py, format!("{p:?} is not a project: {e}")))
}

impl QueryArgs<'_, '_> {
    /// The listing call.
    pub(crate) fn call(self, py: Python<'_>) -> PyResult<ListTasks> {
        // Every member, as sevenbridges-python asks (`fields=_all`): a listing's tasks are
        // whole tasks.
        let mut call = ListTasks::new().fields(Fields::All);
        if let Some(p) = &self.project {
            call = call.project(project(py, p)?);
        }
        if let Some(s) = &self.status {
            call = call.status(convert::status(py, s)?);
        }
        if let Some(b) = self.batch {
            call = call.batch(b);
        }
        if let Some(p) = self.parent {
            call = call.parent(task_id(p)?);
        }
        if let Some(t) = self.created.0 {
            call = call.created_from(time_bound(t)?);
        }
        if let Some(t) = self.created.1 {
            call = call.created_to(time_bound(t)?);
        }
        if let Some(t) = self.started.0 {
            call = call.started_from(time_bound(t)?);
        }
        if let Some(t) = self.started.1 {
            call = call.started_to(time_bound(t)?);
        }
        if let Some(t) = self.ended.0 {
            call = call.ended_from(time_bound(t)?);
        }
        if let Some(t) = self.ended.1 {
            call = call.ended_to(time_bound(t)?);
        }
        if let Some(o) = self.offset {
            call = call.offset(o);
        }
        if let Some(l) = self.limit {
            let limit = PageLimit::new(l).map_err(|e| errors::validation(py, e.to_string()))?;
            call = call.limit(limit);
        }
        if let Some(f) = self.order_by {
            let field = FieldName::new(f).map_err(|e| errors::validation(py, e.to_string()))?;
            call = call.order_by(field);
        }
        if let Some(o) = self.order {
            let order = match o.to_ascii_lowercase().as_str() {
                "asc" => SortOrder::Asc,
                "desc" => SortOrder::Desc,
                _ => {
                    return Err(errors::validation(
                        py,
                        format!("order {o:?} is asc or desc"),
                    ))
                }
            };
            call = call.order(order);
        }
        if let Some(o) = self.origin {
            call = call.origin_id(o);
        }
        Ok(call)
    }
}

/// The arguments of `tasks.create(...)`, named as sevenbridges-python names them.
pub(crate) struct CreateArgs<'a, 'py> {
    pub(crate) name: String,
    pub(crate) project: String,
    pub(crate) app: String,
    pub(crate) revision: Option<u64>,
    pub(crate) batch_input: Option<String>,
    pub(crate) batch_by: Option<&'a Bound<'py, PyAny>>,
    pub(crate) inputs: Option<&'a Bound<'py, PyAny>>,
    pub(crate) description: Option<String>,
    pub(crate) run: bool,
    pub(crate) disable_batch: bool,
    pub(crate) interruptible: Option<bool>,
    pub(crate) execution_settings: Option<&'a Bound<'py, PyAny>>,
    pub(crate) output_location: Option<&'a Bound<'py, PyAny>>,
}

impl CreateArgs<'_, '_> {
    /// The create call.
    pub(crate) fn call(self, py: Python<'_>) -> PyResult<CreateTask> {
        let app = match self.revision {
            Some(r) => format!("{}/{r}", self.app),
            None => self.app,
        };
        let app: AppId = app
            .parse()
            .map_err(|e| errors::validation(py, format!("{app:?} is not an app: {e}")))?;
        let mut call = CreateTask::new(project(py, &self.project)?, app)
            .name(self.name)
            .run(self.run);
        if let Some(d) = self.description {
            call = call.description(d);
        }
        if let Some(inputs) = self.inputs {
            let ports: PortMap = from_py_as(inputs, "inputs")?;
            call = call.inputs(ports);
        }
        match (self.batch_input, self.batch_by) {
            (Some(input), Some(by)) => {
                let by: BatchBy = from_py_as(by, "batch_by")?;
                call = call.batch(input, by);
            }
            (None, None) => {}
            _ => {
                return Err(errors::validation(
                    py,
                    "batch_input and batch_by go together",
                ))
            }
        }
        if self.disable_batch {
            call = call.no_batch();
        }
        if let Some(i) = self.interruptible {
            call = call.use_interruptible_instances(i);
        }
        if let Some(s) = self.execution_settings {
            let s: ExecutionSettings = from_py_as(s, "execution_settings")?;
            call = call.execution_settings(s);
        }
        if let Some(l) = self.output_location {
            call = call.output_location(from_py(l)?);
        }
        Ok(call)
    }
}

/// The arguments of `tasks.bulk(...)`.
pub(crate) struct BulkArgs<'a, 'py> {
    pub(crate) action: String,
    pub(crate) ids: Option<&'a Bound<'py, PyAny>>,
    pub(crate) project: Option<String>,
    pub(crate) parent: Option<&'a Bound<'py, PyAny>>,
    pub(crate) status: Option<String>,
    pub(crate) run: bool,
    pub(crate) journal: Option<PathBuf>,
    pub(crate) dry_run: bool,
    pub(crate) concurrency: usize,
    pub(crate) retries: u32,
}

impl BulkArgs<'_, '_> {
    /// The action, and its journal: the SQLite file at `journal`, or one in memory.
    pub(crate) fn spec(self, py: Python<'_>) -> PyResult<(BulkSpec, Box<dyn Journal + Send>)> {
        let action = match self.action.to_ascii_lowercase().as_str() {
            "rerun" => Action::Rerun { run: self.run },
            "run" => Action::Run,
            "abort" => Action::Abort,
            "delete" => Action::Delete,
            other => {
                return Err(errors::validation(
                    py,
                    format!("bulk action {other:?} is rerun, run, abort or delete"),
                ))
            }
        };
        let scope = match (self.ids, &self.project, self.parent) {
            (Some(ids), None, None) => Some(Err(task_ids(ids)?)),
            (None, Some(p), None) => Some(Ok(Scope::Project(project(py, p)?))),
            (None, None, Some(p)) => Some(Ok(Scope::Parent(task_id(p)?))),
            _ => None,
        };
        let selection = match scope {
            Some(Err(ids)) if self.status.is_none() => Selection::Ids(ids),
            Some(Ok(scope)) => {
                let mut listing = Listing::new(scope);
                if let Some(s) = &self.status {
                    listing = listing.status(convert::status(py, s)?);
                }
                Selection::Listing(listing)
            }
            _ => {
                return Err(errors::validation(
                    py,
                    "select the tasks with one of ids=, project= or parent= (status= only with a project or a parent)",
                ))
            }
        };
        let spec = BulkSpec::new(action, selection)
            .with_concurrency(self.concurrency)
            .with_retries(self.retries)
            .with_dry_run(self.dry_run);
        let journal: Box<dyn Journal + Send> = match self.journal {
            Some(path) => Box::new(
                sbg_tasks_journal::SqliteJournal::open(&path)
                    .map_err(|e| errors::bulk(py, e.to_string()))?,
            ),
            None => Box::new(MemoryJournal::new()),
        };
        Ok((spec, journal))
    }
}

/// A bulk action's report as a dict: `selected`, `complete`, `halted`, `error`, `done`,
/// `skipped`, `failed`, and `outcomes`: one dict per task (`task`, `outcome`, `copy`,
/// `status`, `code`, `message`).
pub(crate) fn bulk_report(py: Python<'_>, report: &BulkReport) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    let progress = report.progress();
    d.set_item("selected", report.selected)?;
    d.set_item("complete", report.is_complete())?;
    d.set_item("halted", report.halted)?;
    d.set_item("done", progress.done)?;
    d.set_item("skipped", progress.skipped)?;
    d.set_item("failed", progress.failed)?;
    d.set_item(
        "planned",
        report.plan.tasks.iter().filter(|t| t.to_do).count(),
    )?;
    d.set_item("error", report.error.as_ref().map(|e| e.message.clone()))?;
    let outcomes = PyList::empty(py);
    for o in &report.outcomes {
        let item = PyDict::new(py);
        item.set_item("task", o.original().as_str())?;
        match o {
            TaskOutcome::Done { copy, status, .. } => {
                item.set_item("outcome", "done")?;
                item.set_item("copy", copy.as_ref().map(TaskId::as_str))?;
                item.set_item("status", status.as_ref().map(|s| s.as_str()))?;
            }
            TaskOutcome::Skipped { status, code, .. } => {
                item.set_item("outcome", "skipped")?;
                item.set_item("status", status.as_ref().map(|s| s.as_str()))?;
                item.set_item("code", *code)?;
            }
            TaskOutcome::Failed { copy, failure, .. } => {
                item.set_item("outcome", "failed")?;
                item.set_item("copy", copy.as_ref().map(TaskId::as_str))?;
                item.set_item("status", failure.status)?;
                item.set_item("code", failure.code)?;
                item.set_item("message", failure.message.clone())?;
            }
            _ => item.set_item("outcome", "other")?,
        }
        outcomes.append(item)?;
    }
    d.set_item("outcomes", outcomes)?;
    Ok(d.into_any().unbind())
}

/// The budget as a dict.
pub(crate) fn budget(py: Python<'_>, budget: &Budget) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    let window = budget.window();
    let (sent, limited) = budget.counts();
    d.set_item("limit", window.map(|w| w.limit))?;
    d.set_item("remaining", window.map(|w| w.remaining))?;
    d.set_item("reset", window.map(|w| w.reset))?;
    d.set_item("requests", sent)?;
    d.set_item("rate_limited", limited)?;
    Ok(d.into_any().unbind())
}

/// One entry of `bulk_get`, as sevenbridges-python's `TaskBulkRecord`: `valid`, `resource`
/// (the task) or `error` (the exception, not raised).
#[pyclass(module = "sbg_tasks", frozen, get_all)]
pub struct BulkRecord {
    /// Whether the platform gave the task.
    valid: bool,
    /// The task, when valid.
    resource: Option<Py<Task>>,
    /// The error for this id, when not.
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl BulkRecord {
    fn __repr__(&self) -> String {
        format!(
            "<TaskBulkRecord valid={}>",
            if self.valid { "True" } else { "False" }
        )
    }
}

fn item(
    py: Python<'_>,
    item: Result<RTask, BulkItemError>,
    backend: &Backend,
) -> PyResult<Py<PyAny>> {
    Ok(match item {
        Ok(task) => Task::new_py(py, task, Some(backend))?.into_any(),
        Err(e) => errors::bulk_item(py, &e),
    })
}

/// `bulk_get`'s records.
pub(crate) fn bulk_records(
    py: Python<'_>,
    items: Vec<Result<RTask, BulkItemError>>,
    backend: &Backend,
) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for it in items {
        let record = match it {
            Ok(task) => BulkRecord {
                valid: true,
                resource: Some(Task::new_py(py, task, Some(backend))?),
                error: None,
            },
            Err(e) => BulkRecord {
                valid: false,
                resource: None,
                error: Some(errors::bulk_item(py, &e)),
            },
        };
        list.append(Py::new(py, record)?)?;
    }
    Ok(list.unbind())
}

/// `wait_all`'s list, or `TaskTimeout` with `.pending` (and `.ended`, in order).
pub(crate) fn wait_all_result(
    py: Python<'_>,
    got: WaitAny,
    ids: &[TaskId],
    backend: &Backend,
) -> PyResult<Py<PyList>> {
    let pending: Vec<String> = got.pending.iter().map(|i| i.as_str().to_owned()).collect();
    let list = PyList::empty(py);
    for it in got.in_order(ids) {
        list.append(item(py, it, backend)?)?;
    }
    if pending.is_empty() {
        return Ok(list.unbind());
    }
    let message = format!(
        "{} of {} tasks had not ended when the wait timed out",
        pending.len(),
        ids.len()
    );
    let class = py.import("sbg_tasks.errors")?.getattr("TaskTimeout")?;
    let e = class.call1((message,))?;
    e.setattr("pending", pending)?;
    e.setattr("ended", list)?;
    Err(PyErr::from_value(e))
}

/// `wait_any`'s pair `(ended, pending)`.
pub(crate) fn wait_any_result(
    py: Python<'_>,
    got: WaitAny,
    backend: &Backend,
) -> PyResult<Py<PyAny>> {
    let ended = PyList::empty(py);
    for (_, it) in got.ended {
        ended.append(item(py, it, backend)?)?;
    }
    let pending: Vec<String> = got.pending.iter().map(|i| i.as_str().to_owned()).collect();
    Ok(
        PyTuple::new(py, [ended.into_any(), PyList::new(py, pending)?.into_any()])?
            .into_any()
            .unbind(),
    )
}

/// One event of a watch: `kind` (`status`, `progress`, `ended`, `gone`, `child_ended`),
/// the task `id`, the `task` as just seen (the child for `child_ended`), the status `before`
/// (for `status`), and the `error` (for `gone`).
#[pyclass(module = "sbg_tasks", frozen, get_all, name = "WatchEvent")]
pub struct PyWatchEvent {
    /// What happened.
    kind: &'static str,
    /// The task (the parent, for `child_ended`).
    id: String,
    /// The task as just seen.
    task: Option<Py<Task>>,
    /// The status before (`status` events; `None` the first time).
    before: Option<String>,
    /// The platform's error (`gone`).
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl PyWatchEvent {
    fn __repr__(&self, py: Python<'_>) -> String {
        let status = self.task.as_ref().and_then(|t| {
            t.borrow(py)
                .to_value()
                .get("status")
                .and_then(|s| s.as_str().map(str::to_owned))
        });
        format!(
            "<WatchEvent {} {} status={}>",
            self.kind,
            self.id,
            status.as_deref().unwrap_or("?")
        )
    }
}

/// A watch event as a `WatchEvent`.
pub(crate) fn watch_event(
    py: Python<'_>,
    event: WatchEvent,
    backend: &Backend,
) -> PyResult<Py<PyAny>> {
    let task = |t: Box<RTask>| Task::new_py(py, *t, Some(backend)).map(Some);
    let e = match event {
        WatchEvent::Status { id, from, task: t } => PyWatchEvent {
            kind: "status",
            id: id.as_str().to_owned(),
            task: task(t)?,
            before: from.map(|s| s.as_str().to_owned()),
            error: None,
        },
        WatchEvent::Progress { id, task: t } => PyWatchEvent {
            kind: "progress",
            id: id.as_str().to_owned(),
            task: task(t)?,
            before: None,
            error: None,
        },
        WatchEvent::Ended { id, task: t } => PyWatchEvent {
            kind: "ended",
            id: id.as_str().to_owned(),
            task: task(t)?,
            before: None,
            error: None,
        },
        WatchEvent::Gone { id, error } => PyWatchEvent {
            kind: "gone",
            id: id.as_str().to_owned(),
            task: None,
            before: None,
            error: Some(errors::bulk_item(py, &error)),
        },
        WatchEvent::ChildEnded { parent, child } => PyWatchEvent {
            kind: "child_ended",
            id: parent.as_str().to_owned(),
            task: task(child)?,
            before: None,
            error: None,
        },
        _ => {
            return Err(errors::other(
                py,
                "a watch event this version does not know",
            ))
        }
    };
    Ok(Py::new(py, e)?.into_any())
}
