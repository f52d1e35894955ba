//! Error answers of the platform: `{status, code, message, more_info}`, or whatever a proxy sent.

use std::fmt;

use crate::excerpt::{BodyExcerpt, BodyShape};
use crate::meta::ResponseMeta;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, )*) => {
        /// A platform error code (the `code` member of an error body).
        ///
        /// Known codes are named; any other is kept as [`ErrorCode::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
            /// A code this crate does not name.
            Other(i64),
        }

        impl ErrorCode {
            /// The code for a number.
            pub fn from_i64(code: i64) -> Self {
                match code {
                    $( $code => ErrorCode::$name, )*
                    other => ErrorCode::Other(other),
                }
            }

            /// The number.
            pub fn as_i64(self) -> i64 {
                match self {
                    $( ErrorCode::$name => $code, )*
                    ErrorCode::Other(n) => n,
                }
            }
        }
    };
}

error_codes! {
    /// 0: the platform is under maintenance (HTTP 503).
    Maintenance = 0,
    /// 1000: rate limit exceeded (HTTP 429).
    RateLimitExceeded = 1000,
    /// 7000: the task service is unavailable.
    TaskServiceUnavailable = 7000,
    /// 7001: insufficient privileges for the task.
    InsufficientPrivileges = 7001,
    /// 7002: the task does not exist.
    TaskNotFound = 7002,
    /// 7003: the task already exists.
    TaskAlreadyExists = 7003,
    /// 7004: the task id is empty.
    EmptyTaskId = 7004,
    /// 7005: the task id is not a valid UUID.
    InvalidTaskId = 7005,
    /// 7006: invalid task status.
    InvalidStatus = 7006,
    /// 7007: the action is only allowed for DRAFT tasks.
    OnlyForDraft = 7007,
    /// 7008: the action is only allowed for RUNNING tasks.
    OnlyForRunning = 7008,
    /// 7009: the action is only allowed for DRAFT or RUNNING tasks.
    OnlyForDraftOrRunning = 7009,
    /// 7010: only DRAFT tasks may be changed this way.
    OnlyDraftEditable = 7010,
    /// 7011: the action is only allowed for CREATING, RUNNING or QUEUED tasks.
    OnlyForActive = 7011,
    /// 7012: required inputs are missing.
    MissingInputs = 7012,
    /// 7013: invalid action.
    InvalidAction = 7013,
    /// 7014: empty action.
    EmptyAction = 7014,
    /// 7018: batch parameter problem.
    Batch7018 = 7018,
    /// 7019: batch parameter problem.
    Batch7019 = 7019,
    /// 7020: batch parameter problem.
    Batch7020 = 7020,
    /// 7021: batch parameter problem.
    Batch7021 = 7021,
    /// 7022: batch parameter problem.
    Batch7022 = 7022,
    /// 7023: batch parameter problem.
    Batch7023 = 7023,
    /// 7024: the task cannot be started because of validation errors.
    ValidationErrors = 7024,
    /// 7026: a RUNNING or COMPLETED task can only be renamed.
    OnlyRename = 7026,
    /// 90000: bad request.
    BadRequest = 90000,
    /// 90001: generic platform error.
    Generic90001 = 90001,
    /// 90002: generic platform error.
    Generic90002 = 90002,
    /// 90003: generic platform error.
    Generic90003 = 90003,
    /// 90004: generic platform error.
    Generic90004 = 90004,
    /// 90005: generic platform error.
    Generic90005 = 90005,
    /// 90006: generic platform error.
    Generic90006 = 90006,
    /// 90007: generic platform error.
    Generic90007 = 90007,
    /// 90008: generic platform error.
    Generic90008 = 90008,
    /// 90009: generic platform error.
    Generic90009 = 90009,
    /// 90010: generic platform error.
    Generic90010 = 90010,
}

impl ErrorCode {
    /// Whether this is one of the batch parameter codes 7018–7023.
    pub fn is_batch_problem(self) -> bool {
        (7018..=7023).contains(&self.as_i64())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_i64())
    }
}

/// A non-2xx answer of the platform, decoded as far as its body allows.
///
/// `code`, `message` and `more_info` come from the platform's JSON error body when there is one;
/// a body that is empty, HTML (a proxy page) or not JSON still gives an `ApiError` with the HTTP
/// status, what the body looked like and a bounded excerpt of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The platform's code, when the body had one.
    pub code: Option<ErrorCode>,
    /// The platform's message, when the body had one.
    pub message: Option<String>,
    /// The platform's `more_info` link, when the body had one.
    pub more_info: Option<String>,
    /// Headers of the answer (rate limit, request id, retry hint).
    pub meta: ResponseMeta,
    /// What the body looked like.
    pub body_shape: BodyShape,
    /// The first bytes of the body, for a body that was not the platform's error JSON.
    pub body_excerpt: Option<BodyExcerpt>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    more_info: Option<String>,
}

impl ApiError {
    /// Decodes an error answer. Never fails: whatever the body is, the status is kept.
    pub fn from_parts(status: http::StatusCode, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let meta = ResponseMeta::from_parts(status, headers);
        let body_shape = BodyShape::sniff(body);
        let parsed = match body_shape {
            BodyShape::JsonLike => serde_json::from_slice::<ErrorBody>(body).ok(),
            _ => None,
        };
        match parsed {
            Some(b) if b.code.is_some() || b.message.is_some() => Self {
                status: status.as_u16(),
                code: b.code.as_ref().and_then(code_of),
                message: b.message,
                more_info: b.more_info,
                meta,
                body_shape,
                body_excerpt: None,
            },
            _ => Self {
                status: status.as_u16(),
                code: None,
                message: None,
                more_info: None,
                meta,
                body_shape,
                body_excerpt: (!body.is_empty()).then(|| BodyExcerpt::of(body)),
            },
        }
    }

    /// Whether the platform said the task must be a DRAFT for this (code 7007).
    pub fn is_only_for_draft(&self) -> bool {
        self.code == Some(ErrorCode::OnlyForDraft)
    }

    /// Whether this is a rate-limit answer (HTTP 429 or code 1000).
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429 || self.code == Some(ErrorCode::RateLimitExceeded)
    }

    /// Whether the platform is under maintenance: a 503 with code 0 or without a code. (A
    /// code 0 under another status is not maintenance: a 404 that says 0 is not retried.)
    pub fn is_maintenance(&self) -> bool {
        self.status == 503 && matches!(self.code, Some(ErrorCode::Maintenance) | None)
    }
}

/// Codes arrive as numbers, and sometimes as numeric strings.
fn code_of(v: &serde_json::Value) -> Option<ErrorCode> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().map(ErrorCode::from_i64),
        serde_json::Value::String(s) => s.trim().parse().ok().map(ErrorCode::from_i64),
        _ => None,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = self.code {
            write!(f, ", code {code}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        } else {
            write!(f, ": {}", self.body_shape)?;
            if let Some(e) = &self.body_excerpt {
                write!(f, " {e}")?;
            }
        }
        if let Some(id) = &self.meta.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
