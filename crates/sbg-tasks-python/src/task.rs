//! `Task`: a task with attribute access, its actions (`run`, `clone`, `abort`, `save`,
//! `delete`, `wait`, `reload`) and a lossless `to_dict()`; `AsyncTask`, the same whose
//! actions are awaitables.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::types::PyString;
use serde_json::Value;

use sbg_tasks_hyper::HyperClient;
use sbg_tasks_proto::decode::ParseReport;
use sbg_tasks_proto::endpoints::{CreateOutcome, TaskUpdate};
use sbg_tasks_proto::machine::{Call, Operation, Run, Wait};
use sbg_tasks_proto::model::{ExecutionSettings, PortMap};
use sbg_tasks_proto::Task as RTask;
use sbg_tasks_proto::{
    AbortTask, DeleteTask, GetTask, RerunTask, RunTask, TaskId, UpdateTask, WaitPolicy,
};
use sbg_tasks_proto::{Answer, ClientError};
use sbg_tasks_ureq::UreqClient;

use crate::convert::{from_py, from_py_as, ser_to_py, timestamp, to_py};
use crate::driver::drive;
use crate::errors;

/// The client a task's actions go through.
#[derive(Clone)]
pub(crate) enum Backend {
    /// `Api`: ureq, blocking, the GIL released.
    Blocking(Arc<UreqClient>),
    /// `AsyncApi`: hyper on tokio, awaitables.
    Async(Arc<HyperClient>),
}

/// The repairs and coercions of a lenient decode, one line each.
pub(crate) fn repairs(report: &ParseReport) -> Vec<String> {
    let repaired = report.repairs.iter().map(|r| {
        format!(
            "{} (bytes {}..{})",
            r.kind.describe(),
            r.range.start,
            r.range.end
        )
    });
    let coerced = report.coercions.iter().map(|c| c.to_string());
    repaired.chain(coerced).collect()
}

/// A task: its members as attributes (`None` when the answer left one out), its actions, and
/// `to_dict()` with every member the platform sent, known or not.
///
/// Setting `name`, `description`, `inputs`, `use_interruptible_instances`,
/// `execution_settings` or `output_location` records a change that `save()` sends.
#[pyclass(module = "sbg_tasks", subclass)]
pub struct Task {
    task: RTask,
    changes: TaskUpdate,
    repairs: Vec<String>,
    backend: Option<Backend>,
}

/// A task of an `AsyncApi`: its actions are awaitables.
#[pyclass(module = "sbg_tasks", extends = Task)]
pub struct AsyncTask;

impl Task {
    fn of(task: RTask, backend: Option<&Backend>) -> Self {
        Task {
            task,
            changes: TaskUpdate::default(),
            repairs: Vec::new(),
            backend: backend.cloned(),
        }
    }

    /// A Python task (an `AsyncTask` for an async backend).
    pub(crate) fn new_py(
        py: Python<'_>,
        task: RTask,
        backend: Option<&Backend>,
    ) -> PyResult<Py<Task>> {
        Self::with_report(py, task, &ParseReport::default(), backend)
    }

    /// [`new_py`](Self::new_py) keeping the decode's repairs.
    pub(crate) fn with_report(
        py: Python<'_>,
        task: RTask,
        report: &ParseReport,
        backend: Option<&Backend>,
    ) -> PyResult<Py<Task>> {
        let mut me = Self::of(task, backend);
        me.repairs = repairs(report);
        if let Some(Backend::Async(_)) = backend {
            let init = PyClassInitializer::from(me).add_subclass(AsyncTask);
            let task = Bound::new(py, init)?;
            Ok(task.into_super().unbind())
        } else {
            Py::new(py, me)
        }
    }

    /// From an answer.
    pub(crate) fn from_answer(
        py: Python<'_>,
        answer: Answer<RTask>,
        backend: &Backend,
    ) -> PyResult<Py<Task>> {
        Self::with_report(py, answer.value, &answer.report, Some(backend))
    }

    /// The task as sent (unknown members included).
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(&self.task).unwrap_or(Value::Null)
    }

    /// The id as text.
    pub(crate) fn id_text(&self) -> PyResult<String> {
        self.task.id.clone().ok_or_else(|| {
            Python::attach(|py| {
                errors::validation(py, "this task has no id (the answer left it out)")
            })
        })
    }

    /// The id, validated.
    pub(crate) fn task_id(&self, py: Python<'_>) -> PyResult<TaskId> {
        self.task
            .task_id()
            .map_err(|e| errors::validation(py, format!("this task's id is not usable: {e}")))
    }

    fn blocking(&self, py: Python<'_>) -> PyResult<Arc<UreqClient>> {
        match &self.backend {
            Some(Backend::Blocking(c)) => Ok(c.clone()),
            _ => Err(errors::other(
                py,
                "this task is not bound to a blocking Api",
            )),
        }
    }

    pub(crate) fn async_client(&self, py: Python<'_>) -> PyResult<Arc<HyperClient>> {
        match &self.backend {
            Some(Backend::Async(c)) => Ok(c.clone()),
            _ => Err(errors::other(py, "this task is not bound to an AsyncApi")),
        }
    }

    /// Takes a fresh answer: its task, its repairs; the pending changes are gone.
    pub(crate) fn set(&mut self, task: RTask, report: &ParseReport) {
        self.task = task;
        self.repairs = repairs(report);
        self.changes = TaskUpdate::default();
    }

    /// The pending changes, as one modify call (`None`: nothing changed).
    pub(crate) fn update_call(&self, py: Python<'_>) -> PyResult<Option<UpdateTask>> {
        if self.changes.is_empty() {
            return Ok(None);
        }
        Ok(Some(UpdateTask::with_body(
            self.task_id(py)?,
            self.changes.clone(),
        )))
    }

    /// What the actions share: the id, and the call of each.
    pub(crate) fn run_call(
        &self,
        py: Python<'_>,
        batch: Option<bool>,
        interruptible: Option<bool>,
    ) -> PyResult<RunTask> {
        let mut call = RunTask::new(self.task_id(py)?);
        if let Some(b) = batch {
            call = call.batch(b);
        }
        if let Some(i) = interruptible {
            call = call.use_interruptible_instances(i);
        }
        Ok(call)
    }

    pub(crate) fn clone_call(&self, py: Python<'_>, run: bool) -> PyResult<RerunTask> {
        Ok(RerunTask::new(self.task_id(py)?).run(run))
    }

    pub(crate) fn wait_policy(period: f64, timeout: Option<f64>) -> PyResult<WaitPolicy> {
        let secs = |s: f64, what: &str| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                Python::attach(|py| {
                    errors::validation(py, format!("{what} {s} is not a duration in seconds"))
                })
            })
        };
        Ok(WaitPolicy::default()
            .with_interval(secs(period, "period")?)
            .with_timeout(timeout.map(|t| secs(t, "timeout")).transpose()?))
    }

    /// The blocking client and what `f` makes of this task (a call), with a short borrow.
    fn prepare<T>(
        slf: &Bound<'_, Self>,
        f: impl FnOnce(&Task, Python<'_>) -> PyResult<T>,
    ) -> PyResult<(Arc<UreqClient>, T)> {
        let py = slf.py();
        let me = slf.borrow();
        Ok((me.blocking(py)?, f(&me, py)?))
    }

    /// Drives `op` (the GIL released) and takes the task it answers in place.
    fn take<'py, O>(
        slf: &Bound<'py, Self>,
        client: &UreqClient,
        op: O,
    ) -> PyResult<Bound<'py, Self>>
    where
        O: Operation<Output = Result<Answer<RTask>, ClientError>> + Send,
        O::Event: Send,
    {
        let py = slf.py();
        let answer = drive(py, client, op, |_| {})?;
        let answer = answer.map_err(|e| raise(py, &e, slf.borrow().backend.as_ref()))?;
        slf.borrow_mut().set(answer.value, &answer.report);
        Ok(slf.clone())
    }
}

/// A task id from a `str` or a `Task`.
pub(crate) fn task_id(obj: &Bound<'_, PyAny>) -> PyResult<TaskId> {
    let py = obj.py();
    let text: String = if let Ok(task) = obj.cast::<Task>() {
        task.borrow().id_text()?
    } else {
        obj.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "a task id is a str or a Task, not {}",
                obj.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?
    };
    text.parse()
        .map_err(|e| errors::validation(py, format!("{text:?} is not a task id: {e}")))
}

/// Task ids from any iterable of `str` or `Task`.
pub(crate) fn task_ids(obj: &Bound<'_, PyAny>) -> PyResult<Vec<TaskId>> {
    if obj.is_instance_of::<PyString>() {
        return Ok(vec![task_id(obj)?]);
    }
    obj.try_iter()?.map(|item| task_id(&item?)).collect()
}

/// A client error as its exception; a task it carries (a wait's last) is bound to `backend`.
pub(crate) fn raise(py: Python<'_>, e: &ClientError, backend: Option<&Backend>) -> PyErr {
    errors::client(py, e, |py, task| {
        Ok(Task::new_py(py, task, backend)?.into_any())
    })
}

/// A created task, or `TaskValidationError` when it was to run but cannot.
pub(crate) fn created(
    py: Python<'_>,
    answer: Answer<CreateOutcome>,
    run: bool,
    backend: &Backend,
) -> PyResult<Py<Task>> {
    let can_run = answer.value.can_run();
    let task = Task::with_report(py, answer.value.into_task(), &answer.report, Some(backend))?;
    if run && !can_run {
        return Err(errors::with_task(
            py,
            "TaskValidationError",
            "Unable to run task! Task contains errors.".into(),
            task.into_any(),
        ));
    }
    Ok(task)
}

#[pymethods]
impl Task {
    /// The task's id.
    #[getter]
    fn id(&self) -> Option<String> {
        self.task.id.clone()
    }

    /// The task's API URL.
    #[getter]
    fn href(&self) -> Option<String> {
        self.task.href.clone()
    }

    /// The name.
    #[getter]
    fn name(&self) -> Option<String> {
        self.task.name.clone()
    }

    #[setter]
    fn set_name(&mut self, name: String) {
        self.task.name = Some(name.clone());
        self.changes.name = Some(name);
    }

    /// The description.
    #[getter]
    fn description(&self) -> Option<String> {
        self.task.description.clone()
    }

    #[setter]
    fn set_description(&mut self, description: String) {
        self.task.description = Some(description.clone());
        self.changes.description = Some(description);
    }

    /// The status (`DRAFT`, `QUEUED`, `RUNNING`, `COMPLETED`, ...).
    #[getter]
    fn status(&self) -> Option<String> {
        self.task.status.as_ref().map(|s| s.as_str().to_owned())
    }

    /// The project, `owner/project`.
    #[getter]
    fn project(&self) -> Option<String> {
        self.task.project.clone()
    }

    /// The app, `owner/project/app/revision`.
    #[getter]
    fn app(&self) -> Option<String> {
        self.task.app.clone()
    }

    /// The task type (`v2`).
    #[getter]
    fn r#type(&self) -> Option<String> {
        self.task.task_type.clone()
    }

    /// Who created it.
    #[getter]
    fn created_by(&self) -> Option<String> {
        self.task.created_by.clone()
    }

    /// Who ran it.
    #[getter]
    fn executed_by(&self) -> Option<String> {
        self.task.executed_by.clone()
    }

    /// When it was created (aware `datetime`, UTC).
    #[getter]
    fn created_time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timestamp(py, &self.task.created_time)
    }

    /// When it started.
    #[getter]
    fn start_time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timestamp(py, &self.task.start_time)
    }

    /// When it ended.
    #[getter]
    fn end_time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timestamp(py, &self.task.end_time)
    }

    /// Whether it is a batch parent.
    #[getter]
    fn batch(&self) -> Option<bool> {
        self.task.batch
    }

    /// The input a batch is split on.
    #[getter]
    fn batch_input(&self) -> Option<String> {
        self.task.batch_input.clone()
    }

    /// How a batch is split.
    #[getter]
    fn batch_by(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.batch_by)
    }

    /// The group a batch child runs.
    #[getter]
    fn batch_group(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.batch_group)
    }

    /// A batch child's parent id.
    #[getter]
    fn parent(&self) -> Option<String> {
        self.task.parent.clone()
    }

    /// Progress: steps, batch children's counts.
    #[getter]
    fn execution_status(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.execution_status)
    }

    /// The cost: `{"currency": ..., "amount": "exact decimal text", "breakdown": ...}`.
    #[getter]
    fn price(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.price)
    }

    /// Validation errors (the task cannot run while there are any).
    #[getter]
    fn errors(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.errors)
    }

    /// Validation warnings.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.warnings)
    }

    /// The inputs, port id → value (a copy: assign to change them).
    #[getter]
    fn inputs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.inputs)
    }

    #[setter]
    fn set_inputs(&mut self, inputs: &Bound<'_, PyAny>) -> PyResult<()> {
        let ports: PortMap = from_py_as(inputs, "inputs")?;
        let merged = self.task.inputs.get_or_insert_with(PortMap::default);
        for (k, v) in &ports {
            merged.insert(k.clone(), v.clone());
        }
        let changed = self.changes.inputs.get_or_insert_with(PortMap::default);
        changed.extend(ports);
        Ok(())
    }

    /// The outputs, port id → value.
    #[getter]
    fn outputs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.outputs)
    }

    /// Whether spot instances may be used.
    #[getter]
    fn use_interruptible_instances(&self) -> Option<bool> {
        self.task.use_interruptible_instances
    }

    #[setter]
    fn set_use_interruptible_instances(&mut self, yes: bool) {
        self.task.use_interruptible_instances = Some(yes);
        self.changes.use_interruptible_instances = Some(yes);
    }

    /// How the task is run.
    #[getter]
    fn execution_settings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.execution_settings)
    }

    #[setter]
    fn set_execution_settings(&mut self, settings: &Bound<'_, PyAny>) -> PyResult<()> {
        let s: ExecutionSettings = from_py_as(settings, "execution_settings")?;
        self.task.execution_settings = Some(s.clone());
        self.changes.execution_settings = Some(s);
        Ok(())
    }

    /// Where outputs are written.
    #[getter]
    fn output_location(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.output_location)
    }

    #[setter]
    fn set_output_location(&mut self, location: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = from_py(location)?;
        self.task.output_location = Some(v.clone());
        self.changes.output_location = Some(v);
        Ok(())
    }

    /// Where the task came from.
    #[getter]
    fn origin(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.task.origin)
    }

    /// What the lenient decode of the answer repaired (empty for a clean answer).
    #[getter]
    fn repairs(&self) -> Vec<String> {
        self.repairs.clone()
    }

    /// Whether the task has ended (COMPLETED, FAILED, ABORTED).
    #[getter]
    fn is_terminal(&self) -> bool {
        self.task.is_terminal()
    }

    /// Every member as sent, unknown ones included (times as the platform's text).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.to_value())
    }

    /// Changed members not yet saved.
    fn modified(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.changes)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Task: id={} status={}>",
            self.task.id.as_deref().unwrap_or("?"),
            self.task.status.as_ref().map_or("?", |s| s.as_str())
        )
    }

    fn __str__(&self) -> String {
        format!("<Task: id={}>", self.task.id.as_deref().unwrap_or("?"))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Task>()
            .is_ok_and(|o| o.borrow().task.id == self.task.id && self.task.id.is_some())
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.task.id.hash(&mut h);
        h.finish()
    }

    /// Runs the DRAFT (`batch=False` runs a batch task as one); the task is updated in place
    /// and returned.
    #[pyo3(signature = (batch = None, interruptible = None))]
    fn run<'py>(
        slf: &Bound<'py, Self>,
        batch: Option<bool>,
        interruptible: Option<bool>,
    ) -> PyResult<Bound<'py, Self>> {
        let (client, call) = Self::prepare(slf, |me, py| me.run_call(py, batch, interruptible))?;
        Self::take(slf, &client, Run::new(client.settings(), &call))
    }

    /// Copies the task (`actions/clone`) and runs the copy unless `run=False`: the new task.
    #[pyo3(signature = (run = true))]
    fn clone(&self, py: Python<'_>, run: bool) -> PyResult<Py<Task>> {
        let client = self.blocking(py)?;
        let call = self.clone_call(py, run)?;
        let answer = drive(py, &client, Call::new(client.settings(), &call), |_| {})?;
        let backend = Backend::Blocking(client);
        let answer = answer.map_err(|e| raise(py, &e, Some(&backend)))?;
        Task::from_answer(py, answer, &backend)
    }

    /// Aborts the task; updated in place and returned.
    fn abort<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let (client, id) = Self::prepare(slf, |me, py| me.task_id(py))?;
        let call = AbortTask::new(id);
        Self::take(slf, &client, Call::new(client.settings(), &call))
    }

    /// Sends the changed members (name, description, inputs, ...); nothing when none changed.
    /// Updated in place and returned.
    fn save<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let (client, call) = Self::prepare(slf, |me, py| me.update_call(py))?;
        match call {
            Some(call) => Self::take(slf, &client, Call::new(client.settings(), &call)),
            None => Ok(slf.clone()),
        }
    }

    /// Deletes the DRAFT.
    fn delete(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.blocking(py)?;
        let call = DeleteTask::new(self.task_id(py)?);
        let answer = drive(py, &client, Call::new(client.settings(), &call), |_| {})?;
        // Deleted now, or gone after an earlier attempt: the same to the caller.
        answer.map_err(|e| raise(py, &e, self.backend.as_ref()))?;
        Ok(())
    }

    /// Fetches the task again; updated in place and returned.
    fn reload<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let (client, id) = Self::prepare(slf, |me, py| me.task_id(py))?;
        let call = GetTask::new(id);
        Self::take(slf, &client, Call::new(client.settings(), &call))
    }

    /// Waits until the task ends, polling every `period` seconds (the GIL released, Ctrl-C
    /// honoured within 0.1 s); `timeout` seconds at most (`TaskTimeout`). The task is
    /// updated in place; returns `callback(*args, **kwargs)` when given, else the task.
    #[pyo3(signature = (period = 10.0, timeout = None, callback = None, *args, **kwargs))]
    fn wait<'py>(
        slf: &Bound<'py, Self>,
        period: f64,
        timeout: Option<f64>,
        callback: Option<Bound<'py, PyAny>>,
        args: &Bound<'py, pyo3::types::PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let (client, id) = Self::prepare(slf, |me, py| me.task_id(py))?;
        let policy = Task::wait_policy(period, timeout)?;
        let wait = Wait::new(client.settings(), id, policy);
        let done = drive(py, &client, wait, |_| {})?;
        let done = done.map_err(|e| raise(py, &e, slf.borrow().backend.as_ref()))?;
        slf.borrow_mut().set(done, &ParseReport::default());
        match callback {
            Some(cb) => cb.call(args, kwargs),
            None => Ok(slf.clone().into_any()),
        }
    }
}
