//! Values between Python and JSON, and what the calls take from Python (ids, statuses,
//! times): each a typed `ValidationError` when unusable, never a guess.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use sbg_tasks_proto::endpoints::TimeBound;
use sbg_tasks_proto::model::{TaskStatus, Timestamp};

use crate::errors;

/// A JSON value as the Python value `json.loads` would give.
pub(crate) fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => number(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(members) => {
            let dict = PyDict::new(py);
            for (k, item) in members {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

fn number(py: Python<'_>, n: &Number) -> PyResult<Py<PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any().unbind());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any().unbind());
    }
    if let Some(f) = n.as_f64() {
        return Ok(f.into_pyobject(py)?.into_any().unbind());
    }
    // Only with serde_json's arbitrary precision: Python reads the exact text.
    Ok(py
        .import("json")?
        .call_method1("loads", (n.to_string(),))?
        .unbind())
}

/// Any serializable value (a model part) as Python.
pub(crate) fn ser_to_py<T: serde::Serialize>(py: Python<'_>, v: &T) -> PyResult<Py<PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| errors::validation(py, format!("cannot encode: {e}")))?;
    to_py(py, &value)
}

/// A Python value (None, bool, int, float, str, list, tuple, dict with str keys, or an object
/// with `to_dict()`, a `Task` too) as JSON.
pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(i.into());
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(u.into());
        }
        return Err(errors::validation(
            py,
            format!("the integer {obj} does not fit in 64 bits"),
        ));
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| errors::validation(py, format!("{f} is not a JSON number")));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::String(obj.extract()?));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut members = Map::new();
        for (k, v) in dict.iter() {
            let key: String = k.extract().map_err(|_| {
                errors::validation(py, format!("a JSON object's keys are strings, not {k:?}"))
            })?;
            members.insert(key, from_py(&v)?);
        }
        return Ok(Value::Object(members));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj.try_iter()?.map(|item| from_py(&item?)).collect();
    }
    if obj.hasattr("to_dict")? {
        return from_py(&obj.call_method0("to_dict")?);
    }
    Err(PyTypeError::new_err(format!(
        "{} cannot be sent as JSON",
        obj.get_type().name()?
    )))
}

/// A Python value decoded into a model type through JSON (`what` names it in errors).
pub(crate) fn from_py_as<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let value = from_py(obj)?;
    serde_json::from_value(value)
        .map_err(|e| errors::validation(obj.py(), format!("{what} is not usable: {e}")))
}

/// A task status by name (any case); only the platform's words.
pub(crate) fn status(py: Python<'_>, text: &str) -> PyResult<TaskStatus> {
    match TaskStatus::from_word(&text.trim().to_ascii_uppercase()) {
        TaskStatus::Unknown(_) => Err(errors::validation(
            py,
            format!("{text:?} is not a task status (DRAFT, QUEUED, RUNNING, COMPLETED, ...)"),
        )),
        status => Ok(status),
    }
}

/// A time bound of a listing from a `datetime` (naive ones are UTC) or an RFC 3339 `str`.
pub(crate) fn time_bound(obj: &Bound<'_, PyAny>) -> PyResult<TimeBound> {
    let py = obj.py();
    let text: String = if obj.is_instance_of::<PyString>() {
        obj.extract()?
    } else if obj.hasattr("isoformat")? {
        let aware = if obj.getattr("tzinfo")?.is_none() {
            let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("tzinfo", utc)?;
            obj.call_method("replace", (), Some(&kwargs))?
        } else {
            obj.clone()
        };
        aware.call_method0("isoformat")?.extract()?
    } else {
        return Err(PyTypeError::new_err(
            "a time is a datetime or an RFC 3339 str",
        ));
    };
    TimeBound::try_from(Timestamp::new(text.clone()))
        .map_err(|e| errors::validation(py, format!("{text:?} is not a time: {e}")))
}

/// A platform timestamp as an aware `datetime` (UTC), or its text when it is not RFC 3339.
pub(crate) fn timestamp(py: Python<'_>, t: &Option<Timestamp>) -> PyResult<Py<PyAny>> {
    let Some(t) = t else { return Ok(py.None()) };
    let Some(dt) = t.datetime() else {
        return Ok(PyString::new(py, t.as_str()).into_any().unbind());
    };
    let micros = i64::from(dt.microsecond());
    let datetime = py.import("datetime")?;
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    let base = datetime
        .getattr("datetime")?
        .call_method1("fromtimestamp", (dt.unix_timestamp(), utc))?;
    let delta = datetime.getattr("timedelta")?.call1((0, 0, micros))?;
    Ok(base.call_method1("__add__", (delta,))?.unbind())
}
