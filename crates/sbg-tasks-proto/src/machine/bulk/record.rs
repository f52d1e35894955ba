//! What a bulk action asks its driver to record, and how a record is stored: a flat
//! [`RecordRow`] of real columns (kind, original, copy, status, at, detail) that any store
//! can keep and give back.

use serde_json::{json, Value};

use super::{BulkFailure, Fingerprint};
use crate::id::TaskId;
use crate::model::TaskStatus;

/// One fact of a bulk action, recorded (write-ahead) before the action goes on: a driver
/// persists each [`BulkEvent::Record`](super::BulkEvent::Record) before it steps the action
/// again, and [`BulkAction::resume`](super::BulkAction::resume) rebuilds the action from
/// what was recorded. `at` is the wall clock (Unix seconds) when it was emitted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A task of the selection, with its status when selected and what a copy of it looks
    /// like (for the orphan-draft rule).
    Selected {
        /// The task.
        original: TaskId,
        /// Its status when selected (`None`: the platform did not say).
        status: Option<TaskStatus>,
        /// Project, app, name and inputs.
        fingerprint: Fingerprint,
        /// When.
        at: u64,
    },
    /// The selection is complete and fixed: `count` [`Record::Selected`] before it, for the
    /// action and selection whose [`BulkSpec::key`](super::BulkSpec::key) is `key`.
    Sealed {
        /// The action and selection.
        key: String,
        /// Tasks selected.
        count: u64,
        /// When.
        at: u64,
    },
    /// The action is about to be sent for `original` (for a rerun: the clone). A clone intent
    /// without a later [`Record::Cloned`] or [`Record::NoCopy`] means a copy may exist.
    Intent {
        /// The task.
        original: TaskId,
        /// When (our clock).
        at: u64,
    },
    /// `copy` is the copy of `original` (made by this action, or adopted by the orphan
    /// rule).
    Cloned {
        /// The original.
        original: TaskId,
        /// Its copy.
        copy: TaskId,
        /// Found by the orphan rule rather than answered by the clone.
        adopted: bool,
        /// When.
        at: u64,
    },
    /// The open clone intent of `original` made no copy (the orphan rule found none).
    NoCopy {
        /// The original.
        original: TaskId,
        /// When.
        at: u64,
    },
    /// The action is done for `original`.
    Done {
        /// The original.
        original: TaskId,
        /// For a rerun: the copy.
        copy: Option<TaskId>,
        /// The status of the task acted on (the copy for a rerun) as last seen.
        status: Option<TaskStatus>,
        /// When.
        at: u64,
    },
    /// The action does not apply to `original`.
    Skipped {
        /// The original.
        original: TaskId,
        /// The status that made it not apply.
        status: Option<TaskStatus>,
        /// The platform's code that said so, if one did.
        code: Option<i64>,
        /// When.
        at: u64,
    },
    /// An attempt at `original` failed (tried again while the action's `retries` allow).
    Failed {
        /// The original.
        original: TaskId,
        /// The copy, when the failure was running it.
        copy: Option<TaskId>,
        /// What the platform (or the transport) said.
        failure: BulkFailure,
        /// When.
        at: u64,
    },
    /// The orphan rule found more than one candidate draft for `original`: `adopted` was
    /// taken, `others` are left alone (never deleted: nothing proves they are ours).
    Ambiguous {
        /// The original.
        original: TaskId,
        /// The draft adopted.
        adopted: TaskId,
        /// The other candidates.
        others: Vec<TaskId>,
        /// When.
        at: u64,
    },
}

/// A [`Record`] as stored: the columns of the journal's `records` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// `selected`, `sealed`, `intent`, `cloned`, `no_copy`, `done`, `skipped`, `failed`,
    /// `ambiguous`.
    pub kind: String,
    /// The original task's id.
    pub original: Option<String>,
    /// The copy's id (rerun).
    pub copy: Option<String>,
    /// A task status (`FAILED`, ...).
    pub status: Option<String>,
    /// Unix seconds.
    pub at: i64,
    /// Everything else, as JSON text.
    pub detail: String,
}

/// A stored row that is not a record this version understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal row of kind {kind:?} is not readable: {reason}")]
pub struct RecordError {
    /// The row's kind.
    pub kind: String,
    /// What is wrong.
    pub reason: String,
}

impl Record {
    /// The record's kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Selected { .. } => "selected",
            Record::Sealed { .. } => "sealed",
            Record::Intent { .. } => "intent",
            Record::Cloned { .. } => "cloned",
            Record::NoCopy { .. } => "no_copy",
            Record::Done { .. } => "done",
            Record::Skipped { .. } => "skipped",
            Record::Failed { .. } => "failed",
            Record::Ambiguous { .. } => "ambiguous",
        }
    }

    /// The original task the record is about (none for [`Record::Sealed`]).
    pub fn original(&self) -> Option<&TaskId> {
        match self {
            Record::Sealed { .. } => None,
            Record::Selected { original, .. }
            | Record::Intent { original, .. }
            | Record::Cloned { original, .. }
            | Record::NoCopy { original, .. }
            | Record::Done { original, .. }
            | Record::Skipped { original, .. }
            | Record::Failed { original, .. }
            | Record::Ambiguous { original, .. } => Some(original),
        }
    }

    /// The record as a row of columns.
    pub fn to_row(&self) -> RecordRow {
        let id = |t: &TaskId| Some(t.as_str().to_owned());
        let st = |s: &Option<TaskStatus>| s.as_ref().map(|s| s.as_str().to_owned());
        let (original, copy, status, at, detail) = match self {
            Record::Selected {
                original,
                status,
                fingerprint,
                at,
            } => (id(original), None, st(status), *at, fingerprint.to_json()),
            Record::Sealed { key, count, at } => {
                (None, None, None, *at, json!({"key": key, "count": count}))
            }
            Record::Intent { original, at } | Record::NoCopy { original, at } => {
                (id(original), None, None, *at, json!({}))
            }
            Record::Cloned {
                original,
                copy,
                adopted,
                at,
            } => (
                id(original),
                id(copy),
                None,
                *at,
                json!({"adopted": adopted}),
            ),
            Record::Done {
                original,
                copy,
                status,
                at,
            } => (
                id(original),
                copy.as_ref().and_then(id),
                st(status),
                *at,
                json!({}),
            ),
            Record::Skipped {
                original,
                status,
                code,
                at,
            } => (id(original), None, st(status), *at, json!({"code": code})),
            Record::Failed {
                original,
                copy,
                failure,
                at,
            } => (
                id(original),
                copy.as_ref().and_then(id),
                None,
                *at,
                json!({"http_status": failure.status, "code": failure.code, "message": failure.message}),
            ),
            Record::Ambiguous {
                original,
                adopted,
                others,
                at,
            } => (
                id(original),
                id(adopted),
                None,
                *at,
                json!({"others": others.iter().map(TaskId::as_str).collect::<Vec<_>>()}),
            ),
        };
        RecordRow {
            kind: self.kind().to_owned(),
            original,
            copy,
            status,
            at: i64::try_from(at).unwrap_or(i64::MAX),
            detail: detail.to_string(),
        }
    }

    /// The record a row holds.
    pub fn from_row(row: &RecordRow) -> Result<Record, RecordError> {
        let bad = |reason: &str| RecordError {
            kind: row.kind.clone(),
            reason: reason.to_owned(),
        };
        let detail: Value =
            serde_json::from_str(&row.detail).map_err(|e| bad(&format!("detail: {e}")))?;
        let task = |v: &Option<String>, what: &str| -> Result<TaskId, RecordError> {
            let s = v.as_deref().ok_or_else(|| bad(&format!("no {what}")))?;
            TaskId::new(s).map_err(|e| bad(&format!("{what}: {e}")))
        };
        let opt_task = |v: &Option<String>| -> Result<Option<TaskId>, RecordError> {
            v.as_deref()
                .map(|s| TaskId::new(s).map_err(|e| bad(&format!("copy: {e}"))))
                .transpose()
        };
        let status = row
            .status
            .as_deref()
            .map(|s| s.parse::<TaskStatus>().map_err(|_| bad("status")))
            .transpose()?;
        let at = u64::try_from(row.at).map_err(|_| bad("negative time"))?;
        let code = detail.get("code").and_then(Value::as_i64);
        Ok(match row.kind.as_str() {
            "selected" => Record::Selected {
                original: task(&row.original, "original")?,
                status,
                fingerprint: Fingerprint::from_json(&detail),
                at,
            },
            "sealed" => Record::Sealed {
                key: detail
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("no key"))?
                    .to_owned(),
                count: detail
                    .get("count")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad("no count"))?,
                at,
            },
            "intent" => Record::Intent {
                original: task(&row.original, "original")?,
                at,
            },
            "no_copy" => Record::NoCopy {
                original: task(&row.original, "original")?,
                at,
            },
            "cloned" => Record::Cloned {
                original: task(&row.original, "original")?,
                copy: task(&row.copy, "copy")?,
                adopted: detail
                    .get("adopted")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                at,
            },
            "done" => Record::Done {
                original: task(&row.original, "original")?,
                copy: opt_task(&row.copy)?,
                status,
                at,
            },
            "skipped" => Record::Skipped {
                original: task(&row.original, "original")?,
                status,
                code,
                at,
            },
            "failed" => Record::Failed {
                original: task(&row.original, "original")?,
                copy: opt_task(&row.copy)?,
                failure: BulkFailure {
                    status: detail
                        .get("http_status")
                        .and_then(Value::as_u64)
                        .and_then(|s| u16::try_from(s).ok()),
                    code,
                    message: detail
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                },
                at,
            },
            "ambiguous" => Record::Ambiguous {
                original: task(&row.original, "original")?,
                adopted: task(&row.copy, "adopted draft")?,
                others: detail
                    .get("others")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .filter_map(|s| TaskId::new(s).ok())
                            .collect()
                    })
                    .unwrap_or_default(),
                at,
            },
            _ => return Err(bad("unknown kind")),
        })
    }
}
