//! The journal of the sbg-tasks bulk actions on disk: one SQLite file (the SQLite library is
//! compiled in), one transaction per batch of records, durable at each commit, readable with
//! the `sqlite3` shell.
//!
//! A bulk action ([`sbg_tasks_proto::machine::bulk`]) hands out the records of what it is
//! about to do and what it did; the clients' `bulk` methods write each batch here before they
//! go on (write-ahead), and a later run of the same action reads them back and goes on from
//! there. A process killed at any moment (`kill -9`) leaves every batch whole or absent.
//!
//! ```
//! use sbg_tasks_journal::{Journal, SqliteJournal};
//! use sbg_tasks_proto::machine::bulk::Record;
//!
//! let dir = tempfile::tempdir()?;
//! let mut journal = SqliteJournal::open(dir.path().join("rerun.sqlite"))?;
//! journal.append(&[Record::Intent { original: "t1".parse()?, at: 1_700_000_000 }])?;
//! drop(journal);
//! let mut again = SqliteJournal::open(dir.path().join("rerun.sqlite"))?;
//! assert_eq!(again.load()?.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The file
//!
//! - `PRAGMA journal_mode = WAL` and `PRAGMA synchronous = FULL`: a commit is on disk when
//!   [`Journal::append`] returns.
//! - `PRAGMA user_version = 1`: the schema's version. A file of a later version is refused.
//! - One table, `records`, one row per record, in the order appended:
//!
//! | column | type | what |
//! |---|---|---|
//! | `seq` | `INTEGER PRIMARY KEY AUTOINCREMENT` | the order |
//! | `kind` | `TEXT NOT NULL` | `selected`, `sealed`, `intent`, `cloned`, `no_copy`, `done`, `skipped`, `failed`, `ambiguous` |
//! | `original` | `TEXT` | the selected task's id |
//! | `copy` | `TEXT` | the copy's id (`cloned`, `done` of a rerun; the adopted draft of `ambiguous`) |
//! | `status` | `TEXT` | a task status (`selected`: when selected; `done`: as last seen; `skipped`: why) |
//! | `at` | `INTEGER NOT NULL` | Unix seconds, the client's clock |
//! | `detail` | `TEXT NOT NULL` | JSON: `selected` the project, app, name and inputs; `sealed` the action's key and count; `cloned` `adopted`; `skipped` the platform's `code`; `failed` `http_status`, `code`, `message`; `ambiguous` the `others` |
//!
//! For example, the copies of a rerun and whether each ran:
//!
//! ```text
//! sqlite3 rerun.sqlite "select original, copy, status from records where kind = 'done'"
//! ```
//!
//! # Where
//!
//! A path of the caller's choosing ([`SqliteJournal::open`]), or one derived from the action
//! and its selection ([`SqliteJournal::open_in`], [`file_name`]): the same command finds the
//! same journal, and so resumes.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

pub use sbg_tasks_proto::client::{Journal, JournalError, MemoryJournal};
use sbg_tasks_proto::machine::bulk::{BulkSpec, Record, RecordRow};

/// The schema's version (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    original TEXT,
    copy     TEXT,
    status   TEXT,
    at       INTEGER NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_original ON records (original);
";

/// The file name of the journal of `spec`: the action's name and the first 16 hex digits of
/// the SHA-256 of [`BulkSpec::key`] (the action and the selection), e.g.
/// `sbg-bulk-rerun+run-3f2a…​.sqlite`. Stable across runs and versions of this crate.
pub fn file_name(spec: &BulkSpec) -> String {
    let digest = Sha256::digest(spec.key().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sbg-bulk-{}-{hex}.sqlite", spec.action.name())
}

/// A [`Journal`] in a SQLite file: see the [crate docs](crate) for the file.
#[derive(Debug)]
pub struct SqliteJournal {
    conn: Connection,
    path: PathBuf,
}

impl SqliteJournal {
    /// Opens (or creates) the journal at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        let fail = |e: rusqlite::Error| store(&path, "opened", e);
        let conn = Connection::open(&path).map_err(fail)?;
        // WAL: a reader (the sqlite3 shell) never blocks a writer; FULL: each commit is
        // synced before `append` returns.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(store(
                &path,
                "opened",
                Unsupported(format!("journal_mode {mode}")),
            ));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(fail)?;
        if version > SCHEMA_VERSION {
            return Err(store(
                &path,
                "opened",
                Unsupported(format!(
                    "schema version {version}, this version reads {SCHEMA_VERSION}"
                )),
            ));
        }
        conn.execute_batch(SCHEMA).map_err(fail)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(fail)?;
        Ok(Self { conn, path })
    }

    /// Opens (or creates) the journal of `spec` in directory `dir`, named by [`file_name`].
    pub fn open_in(dir: impl AsRef<Path>, spec: &BulkSpec) -> Result<Self, JournalError> {
        Self::open(dir.as_ref().join(file_name(spec)))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records stored.
    pub fn len(&self) -> Result<u64, JournalError> {
        self.conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| store(&self.path, "read", e))
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> Result<bool, JournalError> {
        Ok(self.len()? == 0)
    }

    /// The last record about `original`, if any (e.g. to show one task's state).
    pub fn last_of(&self, original: &str) -> Result<Option<Record>, JournalError> {
        let row = self
            .conn
            .query_row(
                "SELECT kind, original, copy, status, at, detail FROM records \
                 WHERE original = ?1 ORDER BY seq DESC LIMIT 1",
                [original],
                row_of,
            )
            .optional()
            .map_err(|e| store(&self.path, "read", e))?;
        row.map(|r| self.record(&r)).transpose()
    }

    fn record(&self, row: &RecordRow) -> Result<Record, JournalError> {
        Record::from_row(row).map_err(|source| JournalError::Record {
            location: self.path.display().to_string(),
            source,
        })
    }
}

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        kind: r.get(0)?,
        original: r.get(1)?,
        copy: r.get(2)?,
        status: r.get(3)?,
        at: r.get(4)?,
        detail: r.get(5)?,
    })
}

impl Journal for SqliteJournal {
    fn load(&mut self) -> Result<Vec<Record>, JournalError> {
        let path = self.path.clone();
        let fail = |e: rusqlite::Error| store(&path, "read", e);
        let mut stmt = self
            .conn
            .prepare("SELECT kind, original, copy, status, at, detail FROM records ORDER BY seq")
            .map_err(fail)?;
        let rows = stmt
            .query_map([], row_of)
            .map_err(fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        drop(stmt);
        rows.iter().map(|r| self.record(r)).collect()
    }

    fn append(&mut self, records: &[Record]) -> Result<(), JournalError> {
        let path = self.path.clone();
        let fail = |e: rusqlite::Error| store(&path, "written", e);
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO records (kind, original, copy, status, at, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(fail)?;
            for r in records {
                let row = r.to_row();
                insert
                    .execute(params![
                        row.kind,
                        row.original,
                        row.copy,
                        row.status,
                        row.at,
                        row.detail
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }
}

/// A setting SQLite would not take.
#[derive(Debug, thiserror::Error)]
#[error("SQLite does not support {0} here")]
struct Unsupported(String);

fn store(
    path: &Path,
    doing: &'static str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> JournalError {
    JournalError::Store {
        location: path.display().to_string(),
        doing,
        source: Box::new(e),
    }
}
