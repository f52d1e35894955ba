//! The Rust errors as the exceptions of `sbg_tasks.errors` (defined in Python, where users
//! read and subclass them): one mapping, by what the error is, never by its text.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::BoundObject;

use sbg_tasks_proto::decode::DecodeError as ProtoDecodeError;
use sbg_tasks_proto::endpoints::BulkItemError;
use sbg_tasks_proto::lenient::RepairError;
use sbg_tasks_proto::{ApiError, ClientError, ResponseError};

use sbg_tasks_proto::Task as RTask;

/// An instance of exception class `name` of `sbg_tasks.errors`, made with `kwargs`.
fn instance<'py>(
    py: Python<'py>,
    name: &str,
    kwargs: &[(&str, Py<PyAny>)],
) -> PyResult<Bound<'py, PyAny>> {
    let class = py.import("sbg_tasks.errors")?.getattr(name)?;
    let args = PyDict::new(py);
    for (k, v) in kwargs {
        args.set_item(k, v)?;
    }
    class.call((), Some(&args))
}

/// The exception (or the error met making it).
fn raise(py: Python<'_>, name: &str, kwargs: &[(&str, Py<PyAny>)]) -> PyErr {
    match instance(py, name, kwargs) {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

fn text(py: Python<'_>, s: impl AsRef<str>) -> Py<PyAny> {
    pyo3::types::PyString::new(py, s.as_ref())
        .into_any()
        .unbind()
}

fn opt<T: for<'py> IntoPyObject<'py> + Clone>(py: Python<'_>, v: Option<T>) -> Py<PyAny> {
    match v {
        Some(v) => v
            .into_pyobject(py)
            .map(|b| b.into_any().unbind())
            .unwrap_or_else(|_| py.None()),
        None => py.None(),
    }
}

/// `ValidationError(message)`: a value given to a call is not usable.
pub(crate) fn validation(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    raise(py, "ValidationError", &[("message", text(py, message))])
}

/// `ConfigError(message)`.
pub(crate) fn config(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    raise(py, "ConfigError", &[("message", text(py, message))])
}

/// `BulkError(message)`.
pub(crate) fn bulk(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    raise(py, "BulkError", &[("message", text(py, message))])
}

/// `SbgError(message)`.
pub(crate) fn other(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    raise(py, "SbgError", &[("message", text(py, message))])
}

/// An exception carrying a task (`TaskValidationError`, `TaskTimeout`, `NotStarted`).
pub(crate) fn with_task(py: Python<'_>, name: &str, message: String, task: Py<PyAny>) -> PyErr {
    raise(py, name, &[("message", text(py, message)), ("task", task)])
}

/// The class of an API error by HTTP status.
fn api_class(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        408 => "RequestTimeout",
        409 => "Conflict",
        429 => "RateLimitError",
        503 => "ServiceUnavailable",
        500..=599 => "ServerError",
        _ => "ApiError",
    }
}

/// The platform's error as its exception; `message` is the platform's unless it had none.
fn api_error(py: Python<'_>, api: &ApiError, fallback: impl FnOnce() -> String) -> PyErr {
    let message = api.message.clone().unwrap_or_else(fallback);
    let mut kwargs = vec![
        ("message", text(py, message)),
        ("code", opt(py, api.code.map(|c| c.as_i64()))),
        ("more_info", opt(py, api.more_info.clone())),
        (
            "status",
            api.status
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |s| s.into_any().unbind()),
        ),
        ("request_id", opt(py, api.meta.request_id.clone())),
    ];
    if api_class(api.status) == "RateLimitError" {
        let window = api.meta.rate_limit;
        kwargs.push(("limit", opt(py, window.map(|w| w.limit))));
        kwargs.push(("remaining", opt(py, window.map(|w| w.remaining))));
        kwargs.push(("reset", opt(py, window.map(|w| w.reset))));
    }
    raise(py, api_class(api.status), &kwargs)
}

/// The body excerpt a decode error carries, when it has one.
fn excerpt(e: &ProtoDecodeError) -> Option<String> {
    match e {
        ProtoDecodeError::NotJson { excerpt, .. }
        | ProtoDecodeError::Syntax { excerpt, .. }
        | ProtoDecodeError::Shape { excerpt, .. } => Some(excerpt.text().to_owned()),
        ProtoDecodeError::Repair(RepairError::NotJson { excerpt, .. }) => Some(excerpt.clone()),
        ProtoDecodeError::Empty | ProtoDecodeError::Repair(RepairError::Empty) => {
            Some(String::new())
        }
        _ => None,
    }
}

/// A client error as its exception; `task` makes the Python task some errors carry (a wait's
/// last).
pub(crate) fn client(
    py: Python<'_>,
    e: &ClientError,
    task: impl FnOnce(Python<'_>, RTask) -> PyResult<Py<PyAny>>,
) -> PyErr {
    // After retries, the last attempt's error says what it was; the message says all.
    let mut root = e;
    while let ClientError::RetriesExhausted { last, .. } = root {
        root = last;
    }
    let message = e.to_string();
    if let Some(api) = root.api() {
        return api_error(py, api, || message);
    }
    match root {
        ClientError::Response(ResponseError::Decode {
            status,
            meta,
            error,
        }) => raise(
            py,
            "DecodeError",
            &[
                ("message", text(py, &message)),
                ("status", opt(py, Some(*status))),
                ("excerpt", opt(py, excerpt(error))),
                ("request_id", opt(py, meta.request_id.clone())),
            ],
        ),
        ClientError::Transport(failure) => raise(
            py,
            "TransportError",
            &[
                ("message", text(py, &message)),
                ("kind", text(py, failure.kind().name())),
            ],
        ),
        ClientError::Redirect { .. } => raise(
            py,
            "TransportError",
            &[
                ("message", text(py, &message)),
                ("kind", text(py, "redirect")),
            ],
        ),
        ClientError::Timeout { last, .. } => match task(py, (**last).clone()) {
            Ok(task) => with_task(py, "TaskTimeout", message, task),
            Err(e) => e,
        },
        ClientError::NotStarted { task: draft } => match task(py, (**draft).clone()) {
            Ok(task) => with_task(py, "NotStarted", message, task),
            Err(e) => e,
        },
        ClientError::Pager(_) => raise(py, "PaginationError", &[("message", text(py, &message))]),
        ClientError::Build(_) => validation(py, &message),
        _ => other(py, &message),
    }
}

/// A bulk item's error as an exception instance (a value in a list, not raised).
pub(crate) fn bulk_item(py: Python<'_>, e: &BulkItemError) -> Py<PyAny> {
    let err = match e {
        BulkItemError::Api(api) => api_error(py, api, || e.to_string()),
        _ => raise(py, "DecodeError", &[("message", text(py, e.to_string()))]),
    };
    err.into_value(py).into_any()
}
