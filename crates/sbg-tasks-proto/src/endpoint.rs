//! The common shape of every call: build a request, parse its answer.

use http::{header, HeaderValue, Method, Request, Response};

use crate::api_error::ApiError;
use crate::connection::Config;
use crate::decode::{DecodeError, Decoded, Decoding, ParseReport};
use crate::meta::ResponseMeta;
use crate::target::Target;

/// What kind of call an endpoint is, for retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// Reads (get a task, list, execution details, rate limit): safe to repeat.
    Read,
    /// Run a draft: repeating it is harmless (a second run answers 7007), and the client turns
    /// that answer into the task.
    Run,
    /// Rerun (clone): NOT idempotent; every copy sent may make a new task.
    Rerun,
    /// Create a task: NOT idempotent.
    Create,
    /// Abort a task: repeating is harmless (a second abort answers an error the client can read).
    Abort,
    /// Modify a task or its inputs (`PATCH`): the same body sent twice leaves the same state,
    /// so it is retried like a read.
    Update,
    /// Delete a task: repeating is harmless; a repeat that finds the task gone after an
    /// earlier attempt may have deleted it is a success ([`Endpoint::settled_by_earlier_attempt`]).
    Delete,
}

impl CallKind {
    /// Whether sending the call twice can have an effect beyond sending it once.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, CallKind::Rerun | CallKind::Create)
    }
}

/// Which budget a call spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lane {
    /// A call that changes something (run, rerun, create, abort, modify, delete): may spend the
    /// reserve.
    Change,
    /// A read a caller asked for (get, list, inputs, details, a bulk get): stops at the
    /// reserve; not paced.
    Read,
    /// The changes of a bulk action ([`machine::bulk`](crate::machine::bulk)): like
    /// [`Lane::Change`], except that while a watcher is following tasks it leaves the
    /// watcher what is left of its share of the window (and the reserve), so that neither
    /// starves the other.
    Bulk,
    /// A watcher's sweep: stops at the reserve, capped at the watch share of each window and
    /// paced over it.
    Watch,
    /// Not counted by the platform (`GET /v2/rate_limit`): always goes.
    Free,
}

impl Lane {
    /// The lane of a call of `kind`: reads read, everything else changes.
    pub fn of(kind: CallKind) -> Lane {
        match kind {
            CallKind::Read => Lane::Read,
            _ => Lane::Change,
        }
    }
}

/// A successful HTTP answer, read: the value, the answer's metadata (status, rate limit,
/// request id), and what lenient decoding had to repair.
///
/// This is what callers get: from [`Endpoint::parse_response`] and from every client call.
/// It is a [`Decoded`] body plus the [`ResponseMeta`] of the answer that carried it; a
/// [`Decoded`] alone (from [`crate::decode::decode`] or [`Endpoint::decode`]) is a body read
/// without any HTTP answer around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The value.
    pub value: T,
    /// Status, rate limit, request id.
    pub meta: ResponseMeta,
    /// Repairs and coercions (empty for a clean body).
    pub report: ParseReport,
}

/// Why an answer did not give the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The platform (or a proxy in front of it) answered with an error status: status, code,
    /// message, request id, and an excerpt of a body that was not the platform's error JSON.
    #[error("the platform answered with an error: {0}")]
    Api(Box<ApiError>),
    /// A success status whose body could not be decoded.
    #[error("HTTP {status}: the answer could not be decoded: {error}")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// The answer's metadata (rate limit, request id).
        meta: Box<ResponseMeta>,
        /// What went wrong, with the byte offset where known.
        error: DecodeError,
    },
}

impl ResponseError {
    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ResponseError::Api(e) => Some(e),
            ResponseError::Decode { .. } => None,
        }
    }

    /// The answer's HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ResponseError::Api(e) => e.status,
            ResponseError::Decode { status, .. } => *status,
        }
    }

    /// The answer's metadata.
    pub fn meta(&self) -> &ResponseMeta {
        match self {
            ResponseError::Api(e) => &e.meta,
            ResponseError::Decode { meta, .. } => meta,
        }
    }
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestBuildError {
    /// The URL built was rejected by `http` (should not happen with validated parts).
    #[error("the request URL {url:?} is invalid: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// `http`'s reason.
        reason: String,
    },
    /// The request body could not be encoded.
    #[error("the request body could not be encoded: {0}")]
    Body(String),
    /// The call's parameters do not go together (e.g. `batch_input` without `batch_by`), or
    /// are more than one request may carry.
    #[error("the request is not valid: {reason}")]
    Invalid {
        /// What is wrong.
        reason: &'static str,
    },
}

/// One API call: how to build its request and how to read its answer.
///
/// Implemented by [`GetTask`](crate::GetTask), [`RunTask`](crate::RunTask),
/// [`RerunTask`](crate::RerunTask) and the other endpoint types. Transports and clients are
/// generic over it: `prepare_request` → send the bytes → `parse_response`.
pub trait Endpoint {
    /// The value a successful answer holds.
    type Output;

    /// The kind of call, for retry decisions.
    fn kind(&self) -> CallKind;

    /// The HTTP method.
    fn method(&self) -> Method;

    /// Which part of the client's rate-limit budget the call spends: by default reads read
    /// and everything else changes ([`Lane::of`]).
    fn lane(&self) -> Lane {
        Lane::of(self.kind())
    }

    /// Writes the request target that follows the base URL's path prefix: the path (e.g.
    /// `/tasks/ID/actions/run`), then the query parameters that are set, in the order sent.
    fn write_target(&self, target: &mut Target<'_>);

    /// The JSON body, for calls that have one.
    fn body(&self) -> Result<Option<Vec<u8>>, RequestBuildError> {
        Ok(None)
    }

    /// Decodes a success body.
    fn decode(
        &self,
        body: &[u8],
        decoding: &Decoding,
    ) -> Result<Decoded<Self::Output>, DecodeError>;

    /// Builds the request: method, full URL, `Host`, auth, `Accept`, `User-Agent` and the body.
    fn prepare_request(&self, config: &Config) -> Result<Request<Vec<u8>>, RequestBuildError> {
        build(config, self)
    }

    /// What an error answer means when an earlier attempt of this same call may have reached
    /// the platform and been acted on (its answer was lost, or was a 5xx that may have come
    /// after the platform acted): `Some(value)` when the answer shows that the earlier attempt
    /// did what the call asked — a delete answered "no such task" — so the call succeeded.
    /// The default: `None`, the error stands.
    fn settled_by_earlier_attempt(&self, answer: &ApiError) -> Option<Self::Output> {
        let _ = answer;
        None
    }

    /// Reads an answer: 2xx → the decoded value with metadata; anything else → the API error.
    fn parse_response<B: AsRef<[u8]>>(
        &self,
        response: &Response<B>,
        decoding: &Decoding,
    ) -> Result<Answer<Self::Output>, ResponseError> {
        self.parse_parts(
            response.status(),
            response.headers(),
            response.body().as_ref(),
            decoding,
        )
    }

    /// [`Endpoint::parse_response`] from the parts of an answer.
    fn parse_parts(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
        decoding: &Decoding,
    ) -> Result<Answer<Self::Output>, ResponseError> {
        parse_answer(self, status, headers, body, decoding)
    }
}

/// What [`Endpoint::parse_parts`] does unless an endpoint says otherwise: 2xx → the decoded
/// value with the answer's metadata; anything else → the API error.
pub(crate) fn parse_answer<E: Endpoint + ?Sized>(
    endpoint: &E,
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
    decoding: &Decoding,
) -> Result<Answer<E::Output>, ResponseError> {
    if !status.is_success() {
        return Err(ResponseError::Api(Box::new(ApiError::from_parts(
            status, headers, body,
        ))));
    }
    let meta = ResponseMeta::from_parts(status, headers);
    match endpoint.decode(body, decoding) {
        Ok(d) => Ok(Answer {
            value: d.value,
            meta,
            report: d.report,
        }),
        Err(error) => Err(ResponseError::Decode {
            status: status.as_u16(),
            meta: Box::new(meta),
            error,
        }),
    }
}

/// Builds `endpoint`'s request against `config`.
///
/// Scheme, authority and every fixed header value are parsed once, in [`Config`]; only the
/// path and query are new per request, written by [`Endpoint::write_target`] into one buffer.
fn build<E: Endpoint + ?Sized>(
    config: &Config,
    endpoint: &E,
) -> Result<Request<Vec<u8>>, RequestBuildError> {
    let body = endpoint.body()?;
    let prefix = config.base_url().path_prefix();
    let mut pq = String::with_capacity(prefix.len() + 128);
    pq.push_str(prefix);
    endpoint.write_target(&mut Target::new(&mut pq));
    // The error path writes the target again rather than keep a copy on the fast path.
    let url_error = |e: &dyn std::fmt::Display| {
        let mut target = String::new();
        endpoint.write_target(&mut Target::new(&mut target));
        RequestBuildError::Url {
            url: format!("{}{target}", config.base_url()),
            reason: e.to_string(),
        }
    };
    let path_and_query = http::uri::PathAndQuery::from_maybe_shared(pq)
        .map_err(|e: http::uri::InvalidUri| url_error(&e))?;
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(config.scheme().clone());
    parts.authority = Some(config.authority().clone());
    parts.path_and_query = Some(path_and_query);
    let uri = http::Uri::from_parts(parts).map_err(|e| url_error(&e))?;

    let method = endpoint.method();
    let has_body = body.is_some();
    let mut req = Request::new(body.unwrap_or_default());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    // The fixed headers were made once, in `Config`: a clone is cheaper than inserting them.
    // Methods whose requests have no body by their nature send no Content-Length without one.
    let bodyless = matches!(*req.method(), Method::GET | Method::HEAD | Method::DELETE);
    *req.headers_mut() = match (bodyless, has_body) {
        (true, false) => config.headers().clone(),
        (false, false) => config.headers_empty_body().clone(),
        (_, true) => {
            let mut headers = config.headers().clone();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if !bodyless {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(req.body().len()));
            }
            headers
        }
    };
    Ok(req)
}
