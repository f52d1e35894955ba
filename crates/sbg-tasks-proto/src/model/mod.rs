//! The typed model of the Tasks API.
//!
//! Every object keeps the members it does not know in an `extra` bag and writes them back, and
//! every member is optional (the `fields` selector can leave any out).

#[macro_use]
mod macros;

mod batch;
mod execution;
mod lenient;
mod price;
mod settings;
mod status;
mod task;
mod timestamp;
mod validation;
mod value;

/// Unknown members of an object, in the order sent.
pub type Extra = serde_json::Map<String, serde_json::Value>;

pub use batch::{BatchBy, BatchByType, BatchGroup};
pub use execution::{BatchCounts, ExecutionStatus};
pub use lenient::{kind_of, Coercion, CoercionKind, FromLenient, LenientCx};
pub use price::{Amount, Price, PriceBreakdown};
pub use settings::ExecutionSettings;
pub use status::TaskStatus;
pub use task::Task;
pub use timestamp::Timestamp;
pub use validation::{IssueKind, ValidationIssue};
pub use value::{FileClass, FileRef, PortMap, PortValue};
