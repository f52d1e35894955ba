//! The `sbg_tasks` Python package's native module (`sbg_tasks._sbg_tasks`): PyO3 bindings of
//! the public API of the workspace's clients, named as sevenbridges-python names things.
//!
//! No protocol logic lives here: requests, answers, retries, the rate-limit budget, polling
//! and bulk actions are the core's (`sbg-tasks-proto`), driven by its blocking client over
//! ureq (`Api`, in `blocking`) or its async client over hyper (`AsyncApi`, in `aio`). This
//! crate converts arguments and results, releases the GIL around every call (in slices of
//! 100 ms, looking for Ctrl-C between them), and starts the mock platform (`mock()`).

mod aio;
mod blocking;
mod common;
mod convert;
mod driver;
mod errors;
mod mock;
mod task;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _sbg_tasks(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<blocking::Api>()?;
    m.add_class::<blocking::Tasks>()?;
    m.add_class::<blocking::TaskIterator>()?;
    m.add_class::<blocking::WatchIterator>()?;
    m.add_class::<aio::AsyncApi>()?;
    m.add_class::<aio::AsyncTasks>()?;
    m.add_class::<aio::AsyncWatch>()?;
    m.add_class::<task::Task>()?;
    m.add_class::<task::AsyncTask>()?;
    m.add_class::<common::BulkRecord>()?;
    m.add_class::<common::PyWatchEvent>()?;
    m.add_class::<mock::Mock>()?;
    m.add_function(wrap_pyfunction!(mock::mock, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
