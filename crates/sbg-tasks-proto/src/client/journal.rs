//! Where a bulk action's records are kept: the [`Journal`] trait of the drivers, and
//! [`MemoryJournal`] (in memory, for tests and dry runs). The SQLite file that survives a
//! crash is `sbg_tasks_journal::SqliteJournal`, in its own crate: this crate does no I/O.

use crate::machine::bulk::{Record, RecordError};

/// Where a bulk action's [`Record`]s are kept, for the action to be resumed from.
///
/// The clients' `bulk` methods load every record once, when the action starts, and then
/// append each batch a worker hands out before stepping that worker again (write-ahead).
pub trait Journal {
    /// Every record appended so far, in order.
    fn load(&mut self) -> Result<Vec<Record>, JournalError>;

    /// Appends `records`, all or none (one transaction), durably: once this returns `Ok`
    /// they survive a crash of the process.
    fn append(&mut self, records: &[Record]) -> Result<(), JournalError>;
}

impl<J: Journal + ?Sized> Journal for &mut J {
    fn load(&mut self) -> Result<Vec<Record>, JournalError> {
        (**self).load()
    }

    fn append(&mut self, records: &[Record]) -> Result<(), JournalError> {
        (**self).append(records)
    }
}

/// Why a journal could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The store failed (a file, a database).
    #[error("the journal {location} could not be {doing}: {source}")]
    Store {
        /// Where (a path, or "in memory").
        location: String,
        /// What was being done: "opened", "read", "written".
        doing: &'static str,
        /// The store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored record is not readable.
    #[error("the journal {location} holds a record this version cannot read: {source}")]
    Record {
        /// Where.
        location: String,
        /// What is wrong with it.
        #[source]
        source: RecordError,
    },
}

/// A [`Journal`] in memory: for tests, dry runs, and actions nobody resumes. It can be told
/// to fail after some appends (a full disk).
#[derive(Debug, Clone, Default)]
pub struct MemoryJournal {
    records: Vec<Record>,
    appends_left: Option<usize>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// A journal holding `records` (as an earlier run left them).
    pub fn with_records(records: Vec<Record>) -> Self {
        Self {
            records,
            appends_left: None,
        }
    }

    /// Fails every append after the next `n`.
    pub fn failing_after(mut self, n: usize) -> Self {
        self.appends_left = Some(n);
        self
    }

    /// The records.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
}

/// The error of a [`MemoryJournal`] told to fail.
#[derive(Debug, thiserror::Error)]
#[error("the journal is full (as the test asked)")]
struct Full;

impl Journal for MemoryJournal {
    fn load(&mut self) -> Result<Vec<Record>, JournalError> {
        Ok(self.records.clone())
    }

    fn append(&mut self, records: &[Record]) -> Result<(), JournalError> {
        if let Some(left) = self.appends_left.as_mut() {
            if *left == 0 {
                return Err(JournalError::Store {
                    location: "in memory".into(),
                    doing: "written",
                    source: Box::new(Full),
                });
            }
            *left -= 1;
        }
        self.records.extend_from_slice(records);
        Ok(())
    }
}
