//! What `Api` and `AsyncApi` share: their arguments turned into the core's calls and
//! settings, and the core's results turned into Python values. No I/O here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use sbg_tasks_credentials::{Names, Overrides, ProcessEnv};
use sbg_tasks_proto::client::{Journal, MemoryJournal};
use sbg_tasks_proto::endpoints::{BulkItemError, PageLimit, SortOrder, TaskUpdate};
use sbg_tasks_proto::fields::{FieldName, Fields};
use sbg_tasks_proto::machine::budget::Budget;
use sbg_tasks_proto::machine::bulk::{
    Action, BulkReport, BulkSpec, Listing, Scope, Selection, TaskOutcome,
};
use sbg_tasks_proto::model::{BatchBy, ExecutionSettings, PortMap};
use sbg_tasks_proto::transport::{TransportBuildError, TransportOptions};
use sbg_tasks_proto::Task as RTask;
use sbg_tasks_proto::{
    AppId, CreateTask, ListTasks, ProjectId, RetryPolicy, Settings, TaskId, WaitAny, WatchEvent,
    WatcherPolicy,
};

use crate::convert::{self, from_py, from_py_as, time_bound};
use crate::errors;
use crate::task::{task_id, task_ids, Backend, Task};

/// Seconds as a duration (`None` stays `None`).
pub(crate) fn seconds(py: Python<'_>, s: Option<f64>) -> PyResult<Option<Duration>> {
    s.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| errors::validation(py, format!("{s} is not a duration in seconds")))
    })
    .transpose()
}

/// Refuses a keyword argument not in `known` with a `TypeError`, as Python says it for a
/// function (`what`).
fn check_keywords(kwargs: Option<&Bound<'_, PyDict>>, known: &[&str], what: &str) -> PyResult<()> {
    for key in kwargs.into_iter().flat_map(|k| k.keys()) {
        let key: String = key.extract()?;
        if !known.contains(&key.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "{what}() got an unexpected keyword argument '{key}'"
            )));
        }
    }
    Ok(())
}

/// Keyword argument `name` (`None` when absent or `None`).
fn arg<'py, T: FromPyObjectOwned<'py>>(
    kwargs: Option<&Bound<'py, PyDict>>,
    name: &str,
) -> PyResult<Option<T>> {
    let Some(value) = kwargs.map(|k| k.get_item(name)).transpose()?.flatten() else {
        return Ok(None);
    };
    if value.is_none() {
        return Ok(None);
    }
    value.extract::<T>().map(Some).map_err(Into::into)
}

/// The keyword arguments of `Api(...)` and `AsyncApi(...)` (besides `url`, `token`,
/// `profile`).
pub(crate) struct ClientArgs {
    credentials_file: Option<PathBuf>,
    platform: Option<String>,
    ca_bundle: Option<PathBuf>,
    timeout: Option<f64>,
    max_attempts: Option<u32>,
    poll_interval: Option<f64>,
}

impl ClientArgs {
    /// The keywords.
    pub(crate) const KNOWN: &'static [&'static str] = &[
        "credentials_file",
        "platform",
        "ca_bundle",
        "timeout",
        "max_attempts",
        "poll_interval",
    ];

    /// The client of `Api(...)` / `AsyncApi(...)`, made by `make` from the settings and
    /// transport options resolved from the arguments, and its base URL.
    pub(crate) fn client<C>(
        py: Python<'_>,
        url: Option<String>,
        token: Option<String>,
        profile: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
        make: impl FnOnce(Settings, TransportOptions) -> Result<C, TransportBuildError>,
    ) -> PyResult<(Arc<C>, String)> {
        let (settings, options) = Self::client_settings(py, url, token, profile, kwargs)?;
        let base = settings.config.base_url().to_string();
        let client = make(settings, options).map_err(|e| errors::config(py, e.to_string()))?;
        Ok((Arc::new(client), base))
    }

    /// The client's settings, from the keywords of `Api(...)` / `AsyncApi(...)`.
    fn client_settings(
        py: Python<'_>,
        url: Option<String>,
        token: Option<String>,
        profile: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Settings, TransportOptions)> {
        check_keywords(kwargs, Self::KNOWN, "Api")?;
        let args = ClientArgs {
            credentials_file: arg(kwargs, "credentials_file")?,
            platform: arg(kwargs, "platform")?,
            ca_bundle: arg(kwargs, "ca_bundle")?,
            timeout: arg(kwargs, "timeout")?,
            max_attempts: arg(kwargs, "max_attempts")?,
            poll_interval: arg(kwargs, "poll_interval")?,
        };
        args.resolve(py, url, token, profile)
    }

    /// The settings and transport options, the token and endpoint resolved as the CLI does.
    /// `http://` is accepted on loopback hosts only (a local mock).
    fn resolve(
        self,
        py: Python<'_>,
        url: Option<String>,
        token: Option<String>,
        profile: &str,
    ) -> PyResult<(Settings, TransportOptions)> {
        let mut overrides = Overrides::new()
            .profile(profile)
            .allow_http_loopback(true)
            .names(Names::new("token=", "url=", "platform=", "a loopback host"));
        overrides.token = token;
        overrides.endpoint = url;
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

/// The filters of `tasks.query(...)`, named as sevenbridges-python names them.
pub(crate) struct QueryArgs<'py> {
    project: Option<String>,
    status: Option<String>,
    batch: Option<bool>,
    parent: Option<Bound<'py, PyAny>>,
    created_from: Option<Bound<'py, PyAny>>,
    created_to: Option<Bound<'py, PyAny>>,
    started_from: Option<Bound<'py, PyAny>>,
    started_to: Option<Bound<'py, PyAny>>,
    ended_from: Option<Bound<'py, PyAny>>,
    ended_to: Option<Bound<'py, PyAny>>,
    offset: Option<u64>,
    limit: Option<u64>,
    order_by: Option<String>,
    order: Option<String>,
    origin: Option<String>,
}

fn project(py: Python<'_>, p: &str) -> PyResult<ProjectId> {
    p.parse()
        .map_err(|e| errors::validation(py, format!("{p:?} is not a project: {e}")))
}

impl QueryArgs<'_> {
    const KNOWN: &'static [&'static str] = &[
        "project",
        "status",
        "batch",
        "parent",
        "created_from",
        "created_to",
        "started_from",
        "started_to",
        "ended_from",
        "ended_to",
        "offset",
        "limit",
        "order_by",
        "order",
        "origin",
    ];

    /// The listing call of `query(**kwargs)`.
    pub(crate) fn from_keywords(
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ListTasks> {
        check_keywords(kwargs, Self::KNOWN, "query")?;
        let args = QueryArgs {
            project: arg(kwargs, "project")?,
            status: arg(kwargs, "status")?,
            batch: arg(kwargs, "batch")?,
            parent: arg(kwargs, "parent")?,
            created_from: arg(kwargs, "created_from")?,
            created_to: arg(kwargs, "created_to")?,
            started_from: arg(kwargs, "started_from")?,
            started_to: arg(kwargs, "started_to")?,
            ended_from: arg(kwargs, "ended_from")?,
            ended_to: arg(kwargs, "ended_to")?,
            offset: arg(kwargs, "offset")?,
            limit: arg(kwargs, "limit")?,
            order_by: arg(kwargs, "order_by")?,
            order: arg(kwargs, "order")?,
            origin: arg(kwargs, "origin")?,
        };
        args.call(py)
    }

    fn call(self, py: Python<'_>) -> PyResult<ListTasks> {
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
        if let Some(p) = &self.parent {
            call = call.parent(task_id(p)?);
        }
        if let Some(t) = &self.created_from {
            call = call.created_from(time_bound(t)?);
        }
        if let Some(t) = &self.created_to {
            call = call.created_to(time_bound(t)?);
        }
        if let Some(t) = &self.started_from {
            call = call.started_from(time_bound(t)?);
        }
        if let Some(t) = &self.started_to {
            call = call.started_to(time_bound(t)?);
        }
        if let Some(t) = &self.ended_from {
            call = call.ended_from(time_bound(t)?);
        }
        if let Some(t) = &self.ended_to {
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

/// The keyword arguments of `tasks.create(name, project, app, ...)`, named as
/// sevenbridges-python names them.
pub(crate) struct CreateArgs<'py> {
    revision: Option<u64>,
    batch_input: Option<String>,
    batch_by: Option<Bound<'py, PyAny>>,
    inputs: Option<Bound<'py, PyAny>>,
    description: Option<String>,
    run: bool,
    disable_batch: bool,
    interruptible: Option<bool>,
    execution_settings: Option<Bound<'py, PyAny>>,
    output_location: Option<Bound<'py, PyAny>>,
}

impl CreateArgs<'_> {
    const KNOWN: &'static [&'static str] = &[
        "revision",
        "batch_input",
        "batch_by",
        "inputs",
        "description",
        "run",
        "disable_batch",
        "interruptible",
        "execution_settings",
        "output_location",
    ];

    /// The create call of `create(name, project, app, **kwargs)`, and whether it runs.
    pub(crate) fn from_keywords(
        py: Python<'_>,
        name: String,
        project: &str,
        app: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(CreateTask, bool)> {
        check_keywords(kwargs, Self::KNOWN, "create")?;
        let args = CreateArgs {
            revision: arg(kwargs, "revision")?,
            batch_input: arg(kwargs, "batch_input")?,
            batch_by: arg(kwargs, "batch_by")?,
            inputs: arg(kwargs, "inputs")?,
            description: arg(kwargs, "description")?,
            run: arg(kwargs, "run")?.unwrap_or(false),
            disable_batch: arg(kwargs, "disable_batch")?.unwrap_or(false),
            interruptible: arg(kwargs, "interruptible")?,
            execution_settings: arg(kwargs, "execution_settings")?,
            output_location: arg(kwargs, "output_location")?,
        };
        let run = args.run;
        Ok((args.call(py, name, project, app)?, run))
    }

    fn call(
        self,
        py: Python<'_>,
        name: String,
        project: &str,
        app: String,
    ) -> PyResult<CreateTask> {
        let app = match self.revision {
            Some(r) => format!("{app}/{r}"),
            None => app,
        };
        let app: AppId = app
            .parse()
            .map_err(|e| errors::validation(py, format!("{app:?} is not an app: {e}")))?;
        let mut call = CreateTask::new(self::project(py, project)?, app)
            .name(name)
            .run(self.run);
        if let Some(d) = self.description {
            call = call.description(d);
        }
        if let Some(inputs) = &self.inputs {
            let ports: PortMap = from_py_as(inputs, "inputs")?;
            call = call.inputs(ports);
        }
        match (self.batch_input, self.batch_by) {
            (Some(input), Some(by)) => {
                let by: BatchBy = from_py_as(&by, "batch_by")?;
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
        if let Some(s) = &self.execution_settings {
            let s: ExecutionSettings = from_py_as(s, "execution_settings")?;
            call = call.execution_settings(s);
        }
        if let Some(l) = &self.output_location {
            call = call.output_location(from_py(l)?);
        }
        Ok(call)
    }
}

/// The keyword arguments of `tasks.bulk(action, ...)`.
pub(crate) struct BulkArgs<'py> {
    ids: Option<Bound<'py, PyAny>>,
    project: Option<String>,
    parent: Option<Bound<'py, PyAny>>,
    status: Option<String>,
    run: bool,
    journal: Option<PathBuf>,
    dry_run: bool,
    concurrency: usize,
    retries: u32,
    changes: Option<Bound<'py, PyDict>>,
}

impl BulkArgs<'_> {
    const KNOWN: &'static [&'static str] = &[
        "ids",
        "project",
        "parent",
        "status",
        "run",
        "journal",
        "dry_run",
        "concurrency",
        "retries",
        "changes",
    ];

    /// The members `changes=` of `bulk("update", ...)` may set.
    const CHANGES: &'static [&'static str] = &[
        "name",
        "description",
        "inputs",
        "use_interruptible_instances",
        "execution_settings",
        "output_location",
    ];

    /// The action of `bulk(action, **kwargs)`, and its journal.
    pub(crate) fn from_keywords(
        py: Python<'_>,
        action: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(BulkSpec, Box<dyn Journal + Send>)> {
        check_keywords(kwargs, Self::KNOWN, "bulk")?;
        let args = BulkArgs {
            ids: arg(kwargs, "ids")?,
            project: arg(kwargs, "project")?,
            parent: arg(kwargs, "parent")?,
            status: arg(kwargs, "status")?,
            run: arg(kwargs, "run")?.unwrap_or(true),
            journal: arg(kwargs, "journal")?,
            dry_run: arg(kwargs, "dry_run")?.unwrap_or(false),
            concurrency: arg(kwargs, "concurrency")?.unwrap_or(4),
            retries: arg(kwargs, "retries")?.unwrap_or(0),
            changes: arg(kwargs, "changes")?,
        };
        args.spec(py, action)
    }

    /// The change of `bulk("update", changes={...})`: at least one member, each one of
    /// [`CHANGES`](Self::CHANGES).
    fn update(&self, py: Python<'_>) -> PyResult<TaskUpdate> {
        let Some(changes) = &self.changes else {
            return Err(errors::validation(
                py,
                "bulk(\"update\") needs changes={...}: name, description, inputs, ...",
            ));
        };
        let mut update = TaskUpdate::default();
        for (key, value) in changes.iter() {
            let key: String = key.extract()?;
            match key.as_str() {
                "name" => update.name = Some(value.extract()?),
                "description" => update.description = Some(value.extract()?),
                "inputs" => update.inputs = Some(from_py_as(&value, "inputs")?),
                "use_interruptible_instances" => {
                    update.use_interruptible_instances = Some(value.extract()?)
                }
                "execution_settings" => {
                    update.execution_settings = Some(from_py_as(&value, "execution_settings")?)
                }
                "output_location" => update.output_location = Some(from_py(&value)?),
                other => {
                    return Err(errors::validation(
                        py,
                        format!("changes= cannot set {other:?}: it sets {:?}", Self::CHANGES),
                    ))
                }
            }
        }
        if update.is_empty() {
            return Err(errors::validation(py, "changes= sets nothing"));
        }
        Ok(update)
    }

    /// The action, and its journal: the SQLite file at `journal`, or one in memory.
    fn spec(self, py: Python<'_>, action: &str) -> PyResult<(BulkSpec, Box<dyn Journal + Send>)> {
        let action = match action.to_ascii_lowercase().as_str() {
            "rerun" => Action::Rerun { run: self.run },
            "run" => Action::Run,
            "abort" => Action::Abort,
            "delete" => Action::Delete,
            "update" => Action::Update(Box::new(self.update(py)?)),
            other => {
                return Err(errors::validation(
                    py,
                    format!("bulk action {other:?} is rerun, run, abort, delete or update"),
                ))
            }
        };
        if self.changes.is_some() && !matches!(action, Action::Update(_)) {
            return Err(errors::validation(
                py,
                "changes= goes only with the \"update\" action",
            ));
        }
        let scope = match (&self.ids, &self.project, &self.parent) {
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

/// One event of a watch: `kind` (`status`, `progress`, `ended`, `gone`, `child_status`,
/// `child_ended`), the task `id`, the `task` as just seen (the child for `child_status` and
/// `child_ended`), the status `before` (for `status` and `child_status`), and the `error`
/// (for `gone`).
#[pyclass(module = "sbg_tasks", frozen, get_all, name = "WatchEvent")]
pub struct PyWatchEvent {
    /// What happened.
    kind: &'static str,
    /// The task (the parent, for `child_status` and `child_ended`).
    id: String,
    /// The task as just seen.
    task: Option<Py<Task>>,
    /// The status before (`status` and `child_status` events; `None` the first time).
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
        WatchEvent::ChildStatus {
            parent,
            from,
            child,
        } => PyWatchEvent {
            kind: "child_status",
            id: parent.as_str().to_owned(),
            task: task(child)?,
            before: from.map(|s| s.as_str().to_owned()),
            error: None,
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
