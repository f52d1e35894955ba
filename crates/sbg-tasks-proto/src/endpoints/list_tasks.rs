//! `GET /v2/tasks`: list tasks, one page at a time, with filters.

use std::fmt;

use http::Method;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::ProjectId;
use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{Answer, CallKind, Endpoint};
use crate::fields::{FieldName, Fields};
use crate::id::TaskId;
use crate::model::{TaskPage, TaskStatus, Timestamp};
use crate::target::Target;

/// A page size for [`ListTasks`]: 1 to [`PageLimit::MAX`] (100) tasks.
///
/// ```
/// use sbg_tasks_proto::endpoints::PageLimit;
/// assert_eq!(PageLimit::new(100).unwrap().get(), 100);
/// assert!(PageLimit::new(0).is_err());
/// assert!(PageLimit::new(101).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageLimit(u32);

impl PageLimit {
    /// The largest page the platform serves.
    pub const MAX: PageLimit = PageLimit(100);
    /// The page size the platform uses when `limit` is not sent.
    pub const DEFAULT: PageLimit = PageLimit(50);

    /// Validates a page size.
    pub fn new(limit: u64) -> Result<Self, ListParamError> {
        match u32::try_from(limit) {
            Ok(n @ 1..=100) => Ok(PageLimit(n)),
            _ => Err(ListParamError::Limit { value: limit }),
        }
    }

    /// The size.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u64> for PageLimit {
    type Error = ListParamError;
    fn try_from(n: u64) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl fmt::Display for PageLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A bad parameter of a list call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListParamError {
    /// A page size outside 1..=100.
    #[error("page limit {value} is out of range; the platform serves 1 to 100 tasks per page")]
    Limit {
        /// The size given.
        value: u64,
    },
    /// A timestamp whose text is not RFC 3339, so it cannot be sent as a time filter.
    #[error("timestamp {text:?} is not RFC 3339 and cannot be used as a time filter")]
    Timestamp {
        /// The text.
        text: String,
    },
}

/// A moment used as a time filter (`created_from`, ...). Sent as RFC 3339 in UTC
/// (`2024-05-06T07:08:09Z`).
///
/// From a [`time::OffsetDateTime`] (always valid) or a parsed [`Timestamp`] (fails when its
/// text is not RFC 3339).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeBound(OffsetDateTime);

impl TimeBound {
    /// The moment.
    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    /// The text sent: RFC 3339 in UTC.
    pub fn to_rfc3339(self) -> String {
        let utc = self.0.to_offset(UtcOffset::UTC);
        // Formatting fails only for years outside 0..=9999; fall back to the Display form so the
        // platform answers a clear error instead of this crate panicking.
        utc.format(&Rfc3339).unwrap_or_else(|_| utc.to_string())
    }
}

impl From<OffsetDateTime> for TimeBound {
    fn from(t: OffsetDateTime) -> Self {
        TimeBound(t)
    }
}

impl TryFrom<&Timestamp> for TimeBound {
    type Error = ListParamError;
    fn try_from(t: &Timestamp) -> Result<Self, Self::Error> {
        t.datetime()
            .map(TimeBound)
            .ok_or_else(|| ListParamError::Timestamp {
                text: t.as_str().to_owned(),
            })
    }
}

impl TryFrom<Timestamp> for TimeBound {
    type Error = ListParamError;
    fn try_from(t: Timestamp) -> Result<Self, Self::Error> {
        TimeBound::try_from(&t)
    }
}

/// Sort direction (`order=asc|desc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl SortOrder {
    /// The word sent.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

/// List tasks: one page of `GET /v2/tasks`, with filters.
///
/// Query parameters are sent in this fixed order, each only when set: `project`, `parent`,
/// `status`, `created_from`, `created_to`, `started_from`, `started_to`, `ended_from`,
/// `ended_to`, `order_by`, `order`, `offset`, `limit`, `fields`. The answer is a
/// [`TaskPage`]; the total number of matching tasks comes in a header, read it with
/// [`Answer::total`]. To walk every page, use a [`Pager`](crate::machine::pager::Pager).
///
/// The children of a batch task are the tasks whose `parent` is the batch: [`ListTasks::parent`].
///
/// ```
/// use sbg_tasks_proto::model::TaskStatus;
/// use sbg_tasks_proto::endpoints::PageLimit;
/// use sbg_tasks_proto::{AuthToken, Config, Endpoint, ListTasks, Platform};
/// let cfg = Config::new(Platform::SevenBridges, AuthToken::new("token").unwrap());
/// let list = ListTasks::new()
///     .project("rfranklin/my-project".parse()?)
///     .status(TaskStatus::Running)
///     .limit(PageLimit::new(100)?);
/// assert_eq!(
///     list.prepare_request(&cfg)?.uri(),
///     "https://api.sbgenomics.com/v2/tasks?project=rfranklin%2Fmy-project&status=RUNNING&limit=100"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListTasks {
    /// `project=`: only tasks of this project.
    pub project: Option<ProjectId>,
    /// `parent=`: only the children of this batch task.
    pub parent: Option<TaskId>,
    /// `status=`: only tasks in this status.
    pub status: Option<TaskStatus>,
    /// `batch=`: `true` only batch parents, `false` only tasks that are not.
    pub batch: Option<bool>,
    /// `origin_id=`: only tasks made by this automation run.
    pub origin_id: Option<String>,
    /// `created_from=`
    pub created_from: Option<TimeBound>,
    /// `created_to=`
    pub created_to: Option<TimeBound>,
    /// `started_from=`
    pub started_from: Option<TimeBound>,
    /// `started_to=`
    pub started_to: Option<TimeBound>,
    /// `ended_from=`
    pub ended_from: Option<TimeBound>,
    /// `ended_to=`
    pub ended_to: Option<TimeBound>,
    /// `order_by=`: the field to sort by.
    pub order_by: Option<FieldName>,
    /// `order=`: ascending or descending.
    pub order: Option<SortOrder>,
    /// `offset=`: tasks to skip.
    pub offset: Option<u64>,
    /// `limit=`: the page size.
    pub limit: Option<PageLimit>,
    /// `fields=`: only these fields of each task.
    pub fields: Option<Fields>,
}

impl ListTasks {
    /// All tasks the caller can see, first page, platform defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The children of batch task `parent`.
    pub fn children_of(parent: TaskId) -> Self {
        Self::new().parent(parent)
    }

    /// Only tasks of this project (`project=`).
    pub fn project(mut self, project: ProjectId) -> Self {
        self.project = Some(project);
        self
    }

    /// Only the children of this batch task (`parent=`).
    pub fn parent(mut self, parent: TaskId) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Only tasks in this status (`status=`).
    pub fn status(mut self, status: TaskStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only tasks created at or after this moment (`created_from=`).
    pub fn created_from(mut self, t: impl Into<TimeBound>) -> Self {
        self.created_from = Some(t.into());
        self
    }

    /// Only tasks created at or before this moment (`created_to=`).
    pub fn created_to(mut self, t: impl Into<TimeBound>) -> Self {
        self.created_to = Some(t.into());
        self
    }

    /// Only tasks started at or after this moment (`started_from=`).
    pub fn started_from(mut self, t: impl Into<TimeBound>) -> Self {
        self.started_from = Some(t.into());
        self
    }

    /// Only tasks started at or before this moment (`started_to=`).
    pub fn started_to(mut self, t: impl Into<TimeBound>) -> Self {
        self.started_to = Some(t.into());
        self
    }

    /// Only tasks ended at or after this moment (`ended_from=`).
    pub fn ended_from(mut self, t: impl Into<TimeBound>) -> Self {
        self.ended_from = Some(t.into());
        self
    }

    /// Only tasks ended at or before this moment (`ended_to=`).
    pub fn ended_to(mut self, t: impl Into<TimeBound>) -> Self {
        self.ended_to = Some(t.into());
        self
    }

    /// Sort by this field (`order_by=`, e.g. `created_time`).
    pub fn order_by(mut self, field: FieldName) -> Self {
        self.order_by = Some(field);
        self
    }

    /// Sort direction (`order=`).
    pub fn order(mut self, order: SortOrder) -> Self {
        self.order = Some(order);
        self
    }

    /// Only batch parents (`batch=true`), or only tasks that are not (`batch=false`).
    pub fn batch(mut self, batch: bool) -> Self {
        self.batch = Some(batch);
        self
    }

    /// Only tasks made by automation run `origin_id` (`origin_id=`).
    pub fn origin_id(mut self, origin_id: impl Into<String>) -> Self {
        self.origin_id = Some(origin_id.into());
        self
    }

    /// Skip this many matching tasks (`offset=`).
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// At most this many tasks per page (`limit=`; the platform's default is 50).
    pub fn limit(mut self, limit: PageLimit) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Only these fields of each task (`fields=`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = Some(fields);
        self
    }
}

impl Endpoint for ListTasks {
    type Output = TaskPage;

    fn kind(&self) -> CallKind {
        CallKind::Read
    }

    fn method(&self) -> Method {
        Method::GET
    }

    fn write_target(&self, target: &mut Target<'_>) {
        target.literal("/tasks");
        if let Some(p) = &self.project {
            target.param("project", p.as_str());
        }
        if let Some(p) = &self.parent {
            target.param("parent", p.as_str());
        }
        if let Some(s) = &self.status {
            target.param("status", s.as_str());
        }
        if let Some(b) = self.batch {
            target.bool_param("batch", b);
        }
        if let Some(o) = &self.origin_id {
            target.param("origin_id", o);
        }
        let times = [
            ("created_from", self.created_from),
            ("created_to", self.created_to),
            ("started_from", self.started_from),
            ("started_to", self.started_to),
            ("ended_from", self.ended_from),
            ("ended_to", self.ended_to),
        ];
        for (k, t) in times {
            if let Some(t) = t {
                target.param(k, &t.to_rfc3339());
            }
        }
        if let Some(f) = &self.order_by {
            target.param("order_by", f.as_str());
        }
        if let Some(o) = self.order {
            target.param("order", o.as_str());
        }
        if let Some(o) = self.offset {
            target.number_param("offset", o);
        }
        if let Some(l) = self.limit {
            target.number_param("limit", l.get().into());
        }
        if let Some(f) = &self.fields {
            target.fields("fields", f);
        }
    }

    fn decode(&self, body: &[u8], decoding: &Decoding) -> Result<Decoded<TaskPage>, DecodeError> {
        crate::decode::decode(body, decoding)
    }
}

impl Answer<TaskPage> {
    /// How many tasks match the query in all pages: the `X-Total-Matching-Query` header, when
    /// the platform sent it.
    pub fn total(&self) -> Option<u64> {
        self.meta.total_matching
    }
}
