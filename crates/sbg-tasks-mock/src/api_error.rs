//! The platform's error answers: `{status, code, message, more_info}`.

use bytes::Bytes;
use http::StatusCode;

/// Where the platform's error bodies point to.
pub(crate) const MORE_INFO: &str = "https://docs.sevenbridges.com/docs/api-status-codes";

/// Platform error codes the mock answers with (see the spec's "Errors").
pub mod codes {
    /// The platform is under maintenance (HTTP 503).
    pub const MAINTENANCE: u32 = 0;
    /// Rate limit exceeded (HTTP 429).
    pub const RATE_LIMITED: u32 = 1000;
    /// Requested task does not exist (HTTP 404).
    pub const TASK_NOT_FOUND: u32 = 7002;
    /// Task id is empty (HTTP 400).
    pub const EMPTY_ID: u32 = 7004;
    /// Task id is not a UUID (HTTP 400, or 404/7002 with `MalformedIdPolicy::NotFound`).
    pub const ID_NOT_UUID: u32 = 7005;
    /// Invalid task status in a filter (HTTP 400).
    pub const INVALID_STATUS: u32 = 7006;
    /// The action is only for DRAFT tasks: run of a non-DRAFT task (HTTP 400).
    pub const ONLY_DRAFT: u32 = 7007;
    /// The action is only for RUNNING tasks: abort of a task that is not queued or running (HTTP 400).
    pub const ONLY_RUNNING: u32 = 7008;
    /// Only a DRAFT task: delete of a task that is not a draft (HTTP 400).
    pub const NOT_DRAFT: u32 = 7010;
    /// Invalid task action (HTTP 400).
    pub const INVALID_ACTION: u32 = 7013;
    /// Empty task action (HTTP 400).
    pub const EMPTY_ACTION: u32 = 7014;
    /// App id missing on create (HTTP 400).
    pub const EMPTY_APP: u32 = 7015;
    /// `batch_input` names no input (HTTP 400).
    pub const BATCH_INPUT_INVALID: u32 = 7018;
    /// Missing batch criteria (HTTP 400).
    pub const BATCH_CRITERIA_MISSING: u32 = 7019;
    /// Invalid batch type (HTTP 400).
    pub const BATCH_TYPE_INVALID: u32 = 7020;
    /// `batch=false` on a task that is not a batch task (HTTP 400).
    pub const BATCH_DISABLE_NOT_BATCH: u32 = 7022;
    /// `batch_by` and `batch_input` must come together (HTTP 400).
    pub const BATCH_FIELDS_TOGETHER: u32 = 7023;
    /// Task cannot be started due to validation errors (HTTP 400).
    pub const VALIDATION_ERRORS: u32 = 7024;
    /// A task that is not a DRAFT can only be renamed: any other change to it (HTTP 400).
    pub const ONLY_RENAME: u32 = 7026;
    /// Generic bad request (HTTP 400).
    pub const BAD_REQUEST: u32 = 90000;
    /// Unauthorized: missing or wrong token (HTTP 401).
    pub const UNAUTHORIZED: u32 = 90001;
    /// No such resource / route (HTTP 404).
    pub const NOT_FOUND: u32 = 90003;
    /// Method not allowed on this path (HTTP 405).
    pub const METHOD_NOT_ALLOWED: u32 = 90006;
    /// The request body could not be decoded (HTTP 400).
    pub const DECODE_ERROR: u32 = 90009;
}

/// A platform error answer to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: u32,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, message)
    }

    pub(crate) fn not_found_task() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            codes::TASK_NOT_FOUND,
            "Requested task does not exist.",
        )
    }

    pub(crate) fn body(&self) -> Bytes {
        let v = serde_json::json!({
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO,
        });
        Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
    }
}
