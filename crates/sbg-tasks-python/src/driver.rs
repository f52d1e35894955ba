//! The blocking driver from Python: an operation of the blocking client run in slices of at
//! most [`SLICE`] with the GIL released, signals (Ctrl-C) looked at between slices.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;

use sbg_tasks_proto::client::{Events, Idle};
use sbg_tasks_proto::env::Env as _;
use sbg_tasks_proto::machine::Operation;
use sbg_tasks_proto::StdEnv;
use sbg_tasks_ureq::{UreqClient, UreqTransport};

/// The longest the GIL stays released without looking at signals (Ctrl-C).
pub(crate) const SLICE: Duration = Duration::from_millis(100);

/// Drives `op` to its end with the GIL released, in slices of [`SLICE`], raising
/// `KeyboardInterrupt` (or whatever a signal handler raises) between slices.
pub(crate) fn drive<O>(
    py: Python<'_>,
    client: &UreqClient,
    op: O,
    mut on_event: impl FnMut(O::Event) + Send,
) -> PyResult<O::Output>
where
    O: Operation + Send,
    O::Output: Send,
    O::Event: Send,
{
    let mut events = client.iter(op);
    loop {
        let slice = py.detach(|| {
            let until = client.env().now() + SLICE;
            events.finish_before(until, &mut on_event)
        });
        match slice {
            Ok(output) => return Ok(output),
            Err(Idle) => py.check_signals()?,
        }
    }
}

/// The next event of `events` (an operation of `client`) with the GIL released, in slices,
/// looking at signals between.
pub(crate) fn next_event<O>(
    py: Python<'_>,
    client: &UreqClient,
    events: &Mutex<Option<Events<'_, O, UreqTransport, StdEnv>>>,
) -> PyResult<Option<O::Event>>
where
    O: Operation<Output = ()> + Send,
    O::Event: Send,
{
    loop {
        let slice = py.detach(|| {
            let mut guard = events.lock().unwrap_or_else(|e| e.into_inner());
            let Some(events) = guard.as_mut() else {
                return Ok(None);
            };
            // The client's clock: the one its operations are stepped with.
            let until = client.env().now() + SLICE;
            let next = events.next_before(until);
            if let Ok(None) = next {
                *guard = None;
            }
            next
        });
        match slice {
            Ok(event) => return Ok(event),
            Err(Idle) => py.check_signals()?,
        }
    }
}
