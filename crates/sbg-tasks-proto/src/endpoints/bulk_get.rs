//! `POST /v2/bulk/tasks/get`: many tasks in one request.

use std::fmt;

use http::Method;

use crate::api_error::{ApiError, ErrorCode};
use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{parse_answer, Answer, CallKind, Endpoint, RequestBuildError, ResponseError};
use crate::excerpt::BodyShape;
use crate::id::TaskId;
use crate::meta::ResponseMeta;
use crate::model::{kind_of, BulkEntries, BulkSlot, Task};
use crate::target::Target;

/// The most ids one bulk request carries (the platform's bulk limit).
pub const MAX_BULK_IDS: usize = 100;

/// Get up to [`MAX_BULK_IDS`] tasks in one request — one request against the rate limit,
/// however many ids. The answer has one result per id, in the order sent: the task, or
/// the [`BulkItemError`] for that id (an unknown or malformed id is an item error, never a failed call).
///
/// The clients' `bulk_get` takes any number of ids and sends them [`BulkGetTasks::batches`]
/// of 100. A read: retried like a GET.
///
/// ```
/// use sbg_tasks_proto::{http, AuthToken, BulkGetTasks, Config, Decoding, Endpoint, Platform};
///
/// let cfg = Config::new(Platform::Cgc, AuthToken::new("token")?);
/// let ids = vec!["t1".parse()?, "t2".parse()?];
/// let call = BulkGetTasks::new(ids);
/// let req = call.prepare_request(&cfg)?;
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.uri().path(), "/v2/bulk/tasks/get");
/// assert_eq!(req.body(), br#"{"task_ids":["t1","t2"]}"#);
///
/// let body = br#"{"items": [{"resource": {"id": "t1", "status": "RUNNING"}},
///     {"error": {"status": 404, "code": 7002, "message": "Task t2 does not exist."}}]}"#;
/// let answer = http::Response::builder().status(200).body(body.to_vec())?;
/// let items = call.parse_response(&answer, &Decoding::default())?.value.items;
/// assert_eq!(items[0].as_ref().unwrap().status.as_ref().unwrap().as_str(), "RUNNING");
/// assert_eq!(items[1].as_ref().unwrap_err().status(), Some(404));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkGetTasks {
    ids: Vec<TaskId>,
}

impl BulkGetTasks {
    /// One request for `ids` (at most [`MAX_BULK_IDS`]: more is a build error; see
    /// [`BulkGetTasks::batches`]). Repeated ids are sent, and answered, as often as they
    /// appear.
    pub fn new(ids: Vec<TaskId>) -> Self {
        Self { ids }
    }

    /// The requests that get `ids`: [`MAX_BULK_IDS`] ids each, in order (none for no ids).
    pub fn batches(ids: &[TaskId]) -> impl Iterator<Item = BulkGetTasks> + '_ {
        ids.chunks(MAX_BULK_IDS)
            .map(|chunk| BulkGetTasks::new(chunk.to_vec()))
    }

    /// The ids sent.
    pub fn ids(&self) -> &[TaskId] {
        &self.ids
    }
}

/// The tasks a bulk get answered: one result per id asked, in the order asked.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct BulkTasks {
    /// One per id asked: the task, or why there is none.
    pub items: Vec<Result<Task, BulkItemError>>,
    /// Each request's answer without its value (which is in `items`): status, rate limit,
    /// request id and decoding report, in order (request `k` got the ids `100 k ..`). A
    /// report's repairs are byte ranges in that request's body; the coercions of its entry
    /// `i` have JSON pointers under `/items/{i}`.
    pub pages: Vec<Answer<()>>,
}

impl BulkTasks {
    /// Appends the items and the page of another request's answer.
    pub fn extend(&mut self, other: BulkTasks) {
        self.items.extend(other.items);
        self.pages.extend(other.pages);
    }

    /// The tasks found, in order.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.items.iter().filter_map(|i| i.as_ref().ok())
    }
}

/// Why a bulk answer has no task for an id.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BulkItemError {
    /// The platform's error for this id (e.g. 404 with code 7002 for an unknown id), with the
    /// bulk answer's metadata.
    Api(Box<ApiError>),
    /// The entry is neither a task nor an error (after a lenient decode): what it was.
    Unusable {
        /// What the entry held, e.g. "a string", or "an object with neither resource nor error".
        found: &'static str,
    },
}

impl BulkItemError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            BulkItemError::Api(e) => Some(e.status),
            BulkItemError::Unusable { .. } => None,
        }
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            BulkItemError::Api(e) => Some(e),
            BulkItemError::Unusable { .. } => None,
        }
    }
}

impl fmt::Display for BulkItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BulkItemError::Api(e) => e.fmt(f),
            BulkItemError::Unusable { found } => {
                write!(f, "the bulk entry is {found}, neither a task nor an error")
            }
        }
    }
}

impl std::error::Error for BulkItemError {}

impl Endpoint for BulkGetTasks {
    type Output = BulkTasks;

    fn kind(&self) -> CallKind {
        CallKind::Read
    }

    fn method(&self) -> Method {
        Method::POST
    }

    fn write_target(&self, target: &mut Target<'_>) {
        target.literal("/bulk/tasks/get");
    }

    fn body(&self) -> Result<Option<Vec<u8>>, RequestBuildError> {
        if self.ids.len() > MAX_BULK_IDS {
            return Err(RequestBuildError::Invalid {
                reason: "a bulk call carries at most 100 ids (BulkGetTasks::batches splits more)",
            });
        }
        #[derive(serde::Serialize)]
        struct Body<'a> {
            task_ids: Vec<&'a str>,
        }
        let task_ids = self.ids.iter().map(TaskId::as_str).collect();
        serde_json::to_vec(&Body { task_ids })
            .map(Some)
            .map_err(|e| RequestBuildError::Body(e.to_string()))
    }

    fn decode(&self, body: &[u8], decoding: &Decoding) -> Result<Decoded<BulkTasks>, DecodeError> {
        let Decoded { value, report } = crate::decode::decode::<BulkEntries>(body, decoding)?;
        let slots = value.items.unwrap_or_default();
        if slots.len() != self.ids.len() {
            return Err(DecodeError::EntryCount {
                sent: self.ids.len(),
                answered: slots.len(),
            });
        }
        let mut items = Vec::with_capacity(slots.len());
        for (index, (slot, asked)) in slots.into_iter().zip(&self.ids).enumerate() {
            let result = match slot {
                BulkSlot::Entry(e) => match (e.resource, e.error) {
                    (Some(task), None) => {
                        if let Some(answered) = task.id.as_deref().filter(|a| *a != asked.as_str())
                        {
                            return Err(DecodeError::EntryMismatch {
                                index,
                                asked: asked.as_str().to_owned(),
                                answered: answered.to_owned(),
                            });
                        }
                        Ok(task)
                    }
                    (None, Some(error)) => Err(BulkItemError::Api(Box::new(ApiError {
                        status: error
                            .status
                            .and_then(|s| u16::try_from(s).ok())
                            .unwrap_or(0),
                        code: error.code.map(ErrorCode::from_i64),
                        message: error.message,
                        more_info: error.more_info,
                        meta: ResponseMeta::default(),
                        body_shape: BodyShape::JsonLike,
                        body_excerpt: None,
                    }))),
                    (Some(_), Some(_)) => Err(BulkItemError::Unusable {
                        found: "an object with both resource and error",
                    }),
                    (None, None) => Err(BulkItemError::Unusable {
                        found: "an object with neither resource nor error",
                    }),
                },
                BulkSlot::Other(v) => Err(BulkItemError::Unusable { found: kind_of(&v) }),
            };
            items.push(result);
        }
        Ok(Decoded {
            value: BulkTasks {
                items,
                pages: Vec::new(),
            },
            report,
        })
    }

    /// The default reading, then the answer's metadata into each item error and the page.
    fn parse_parts(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
        decoding: &Decoding,
    ) -> Result<Answer<BulkTasks>, ResponseError> {
        let mut answer = parse_answer(self, status, headers, body, decoding)?;
        for item in &mut answer.value.items {
            if let Err(BulkItemError::Api(e)) = item {
                e.meta = answer.meta.clone();
            }
        }
        answer.value.pages = vec![Answer {
            value: (),
            meta: answer.meta.clone(),
            report: answer.report.clone(),
        }];
        Ok(answer)
    }
}
