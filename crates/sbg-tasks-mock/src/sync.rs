//! Locking that survives a panicked holder (the state stays usable for the journal).

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, taking the state over from a holder that panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
