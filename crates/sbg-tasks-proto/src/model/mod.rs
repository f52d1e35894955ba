//! The typed model of the Tasks API.
//!
//! Every object keeps the members it does not know in an `extra` bag and writes them back, and
//! every member is optional (the `fields` selector can leave any out). The task itself,
//! [`Task`], is named at the crate root.

#[macro_use]
mod macros;

mod batch;
// The wire shape of a bulk answer, read only by `endpoints::BulkGetTasks`, which hands the
// caller `BulkTasks`: crate-private, so the generated `pub` items are unreachable on purpose.
#[allow(unreachable_pub, dead_code)]
mod bulk;
mod coerce;
mod execution;
mod execution_details;
mod price;
mod rate_limit;
mod settings;
mod status;
mod strict;
pub(crate) mod task;
mod task_page;
mod timestamp;
pub(crate) mod untyped;
mod validation;
mod value;

/// Unknown members of an object, in the order sent.
pub type Extra = serde_json::Map<String, serde_json::Value>;

pub use batch::{BatchBy, BatchByType, BatchGroup};
pub(crate) use bulk::{BulkEntries, BulkSlot};
pub use coerce::{kind_of, Coercion, CoercionKind, FromLenient, LenientCx};
pub use execution::{BatchCounts, ExecutionStatus};
pub use execution_details::{
    ExecutionDetails, Job, JobDocker, JobInstance, JobLogs, JobStatus, LogRef,
};
pub use price::{Amount, Price, PriceBreakdown};
pub use rate_limit::{InstanceLimit, RateLimitInfo, RateWindow};
pub use settings::ExecutionSettings;
pub use status::TaskStatus;
pub(crate) use task::Task;
pub use task_page::{Link, LinkRel, TaskPage};
pub use timestamp::Timestamp;
pub use validation::{IssueKind, ValidationIssue};
pub use value::{FileClass, FileRef, PortMap, PortValue, TaskInputs};
