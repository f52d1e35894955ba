//! `sbg_tasks.mock()`: the mock platform on loopback, in this process, on a runtime thread of
//! its own.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;

use sbg_tasks_mock::{FaultSpec, MockBuilder, MockControl, MockHandle, Outcome, RunPlan, Schedule};

use crate::convert::{from_py, to_py};
use crate::errors;

/// A mock platform (see `sbg_tasks.mock`): `url`, `token`, and with TLS `ca_path` (its
/// certificate, PEM, for `Api(ca_bundle=...)` or `REQUESTS_CA_BUNDLE`). A context manager:
/// stopped on exit (or by `stop()`).
#[pyclass(module = "sbg_tasks", frozen)]
pub struct Mock {
    handle: Mutex<Option<MockHandle>>,
    control: MockControl,
    /// The API base URL (`http://127.0.0.1:PORT/v2`, `https://` with TLS).
    #[pyo3(get)]
    url: String,
    /// The token it accepts.
    #[pyo3(get)]
    token: String,
    /// The certificate it serves, PEM (`None` without TLS).
    #[pyo3(get)]
    cert_pem: Option<String>,
    /// A file holding `cert_pem` (removed when the mock stops).
    #[pyo3(get)]
    ca_path: Option<PathBuf>,
}

fn outcome(py: Python<'_>, s: &str) -> PyResult<Outcome> {
    match s.to_ascii_lowercase().as_str() {
        "completed" => Ok(Outcome::Completed),
        "failed" => Ok(Outcome::Failed),
        "aborted" => Ok(Outcome::Aborted),
        _ => Err(errors::validation(
            py,
            format!("outcome {s:?} is completed, failed or aborted"),
        )),
    }
}

/// Starts a mock platform on 127.0.0.1 (a free port).
///
/// `polls`: a run task ends after this many gets of it (`wall_time` seconds instead, when
/// given); `examples`: seed the API documentation's example tasks; `rate_limit`: a pair
/// `(requests, window_seconds)` (`None`: the platform's 1000 per 5 minutes... as the mock
/// defaults), `tls`: serve https with a self-signed certificate.
#[pyfunction]
#[pyo3(signature = (*, token = "mock-token-0123456789abcdef", tls = false, polls = 3, wall_time = None, examples = true, rate_limit = None, no_rate_limit = false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn mock(
    py: Python<'_>,
    token: &str,
    tls: bool,
    polls: u32,
    wall_time: Option<f64>,
    examples: bool,
    rate_limit: Option<(u32, f64)>,
    no_rate_limit: bool,
) -> PyResult<Mock> {
    let schedule = match wall_time {
        Some(s) => Schedule::WallTime(
            Duration::try_from_secs_f64(s)
                .map_err(|_| errors::validation(py, format!("wall_time {s} is not seconds")))?,
        ),
        None => Schedule::Polls(polls),
    };
    let mut builder = MockBuilder::new()
        .token(token)
        .tls(tls)
        .seed_examples(examples)
        .schedule(schedule);
    if let Some((limit, window)) = rate_limit {
        let window = Duration::try_from_secs_f64(window)
            .map_err(|_| errors::validation(py, format!("window {window} is not seconds")))?;
        builder = builder.rate_limit(limit, window);
    }
    if no_rate_limit {
        builder = builder.no_rate_limit();
    }
    let handle = py
        .detach(|| builder.start_blocking())
        .map_err(|e| errors::other(py, format!("the mock did not start: {e}")))?;
    let control = handle.control();
    let cert_pem = handle.cert_pem().map(str::to_owned);
    let ca_path = match &cert_pem {
        Some(pem) => {
            let path = std::env::temp_dir().join(format!(
                "sbg-tasks-mock-{}-{}.pem",
                std::process::id(),
                handle.addr().port()
            ));
            std::fs::write(&path, pem)
                .map_err(|e| errors::other(py, format!("cannot write {}: {e}", path.display())))?;
            Some(path)
        }
        None => None,
    };
    Ok(Mock {
        url: handle.base_url().to_owned(),
        token: token.to_owned(),
        cert_pem,
        ca_path,
        control,
        handle: Mutex::new(Some(handle)),
    })
}

#[pymethods]
impl Mock {
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    /// Stops the server (what leaving the `with` block does).
    fn stop(&self, py: Python<'_>) {
        let handle = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        py.detach(|| drop(handle));
        if let Some(p) = &self.ca_path {
            let _ = std::fs::remove_file(p);
        }
    }

    /// Inserts (or replaces) a task given as a dict (a `DRAFT` can be run): its id.
    fn insert_task(&self, py: Python<'_>, task: &Bound<'_, PyAny>) -> PyResult<String> {
        self.control
            .insert_task(from_py(task)?)
            .map_err(|e| errors::validation(py, e.to_string()))
    }

    /// Inserts a task already running: RUNNING after `running_after` seconds, ended with
    /// `outcome` after `ends_after` (never, when `None`). Its id.
    #[pyo3(signature = (task, running_after = 0.0, ends_after = None, outcome = "completed"))]
    fn insert_running(
        &self,
        py: Python<'_>,
        task: &Bound<'_, PyAny>,
        running_after: f64,
        ends_after: Option<f64>,
        outcome: &str,
    ) -> PyResult<String> {
        let secs = |s: f64| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| errors::validation(py, format!("{s} is not seconds")))
        };
        let plan = RunPlan::new(
            secs(running_after)?,
            ends_after.map(secs).transpose()?,
            self::outcome(py, outcome)?,
        );
        self.control
            .insert_running(from_py(task)?, plan)
            .map_err(|e| errors::validation(py, e.to_string()))
    }

    /// The task as it is now (without counting a poll), or `None`.
    fn task(&self, py: Python<'_>, id: &str) -> PyResult<Py<PyAny>> {
        match self.control.task(id) {
            Some(t) => to_py(py, &t),
            None => Ok(py.None()),
        }
    }

    /// Every task id, in the order they were made.
    fn task_ids(&self) -> Vec<String> {
        self.control.task_ids()
    }

    /// Requests served so far.
    fn request_count(&self) -> u64 {
        self.control.request_count()
    }

    /// Requests served so far to a route (`get`, `run`, `clone`, `abort`, `create`, `list`,
    /// `modify`, `delete`, `bulk_get`, `rate_limit`, ...).
    fn requests_to(&self, py: Python<'_>, route: &str) -> PyResult<usize> {
        let route = route
            .parse()
            .map_err(|e: sbg_tasks_mock::MockError| errors::validation(py, e.to_string()))?;
        Ok(self.control.requests_to(route))
    }

    /// Injects a fault, in the mock CLI's words: `error:404:7002@get*1` (status, code, route,
    /// times), `429*2`, `maintenance@get*1`, `malformed:not-json@get*1`, `drop-before*1`,
    /// `delay:300ms@get`...
    fn inject(&self, py: Python<'_>, spec: &str) -> PyResult<()> {
        let spec: FaultSpec = spec
            .parse()
            .map_err(|e: sbg_tasks_mock::MockError| errors::validation(py, e.to_string()))?;
        self.control.inject(spec.fault, spec.scope);
        Ok(())
    }

    /// Removes every fault.
    fn clear_faults(&self) {
        self.control.clear_faults();
    }

    /// How the task ends (`completed`, `failed`, `aborted`); `False` when there is no such task.
    fn set_outcome(&self, py: Python<'_>, id: &str, outcome: &str) -> PyResult<bool> {
        Ok(self.control.set_outcome(id, self::outcome(py, outcome)?))
    }

    /// Starts every token's rate-limit window afresh.
    fn reset_rate_limits(&self) {
        self.control.reset_rate_limits();
    }

    fn __repr__(&self) -> String {
        format!("<Mock: url={}>", self.url)
    }
}
