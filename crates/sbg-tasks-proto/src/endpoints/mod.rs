//! What the calls take and answer besides the call types themselves: options, arguments'
//! errors, outcomes, bulk results, and what implementing [`Endpoint`](crate::Endpoint) needs
//! ([`CallKind`], [`Target`], [`RequestBuildError`]).
//!
//! The call types ([`GetTask`], [`RunTask`](crate::RunTask), ...) and the ids they take
//! ([`ProjectId`], [`AppId`]) are at the crate root. One file per call.

// The call types (and the ids they take) are named at the crate root only: their modules
// are visible to the crate so that the root can re-export them from where they are defined;
// `pub(crate) use` names here the ones the crate uses.
pub(crate) mod abort_task;
pub(crate) mod bulk_get;
pub(crate) mod create_task;
pub(crate) mod delete_task;
pub(crate) mod execution_details;
pub(crate) mod get_task;
pub(crate) mod list_tasks;
pub(crate) mod names;
pub(crate) mod rate_limit;
pub(crate) mod rerun_task;
pub(crate) mod run_task;
pub(crate) mod task_inputs;
pub(crate) mod update_task;

pub(crate) use bulk_get::BulkGetTasks;
pub(crate) use get_task::GetTask;
pub(crate) use list_tasks::ListTasks;
pub(crate) use names::{AppId, ProjectId};

pub use crate::endpoint::{CallKind, RequestBuildError};
pub use crate::id::{TaskIdError, MAX_TASK_ID_LEN};
pub use crate::target::Target;
pub use bulk_get::{BulkItemError, BulkTasks, MAX_BULK_IDS};
pub use create_task::{CreateOutcome, NewTask};
pub use delete_task::Deletion;
pub use list_tasks::{ListParamError, PageLimit, SortOrder, TimeBound};
pub use names::{NameError, MAX_NAME_LEN};
pub use update_task::TaskUpdate;

use crate::fields::Fields;
use crate::id::TaskId;

/// Writes `/tasks/{id}` and `/actions/{action}`.
pub(crate) fn task_path(target: &mut Target<'_>, id: &TaskId, action: Option<&'static str>) {
    target.literal("/tasks/");
    target.task_id(id);
    if let Some(a) = action {
        target.literal("/actions/");
        target.literal(a);
    }
}

/// Writes the setters that create and modify share, on a call type whose `body` field has
/// the members `name`, `description`, `inputs`, `execution_settings`,
/// `use_interruptible_instances`, `output_location`, `batch_input` and `batch_by`, and an
/// inherent `batch_members_set(&mut self)` that `batch(..)` calls after setting the two.
macro_rules! task_body_setters {
    () => {
        /// The task's name.
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.body.name = Some(name.into());
            self
        }

        /// The task's description.
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self.body.description = Some(description.into());
            self
        }

        /// Sets one input (`PortValue::Null` clears it), replacing an earlier value of the
        /// same port and keeping its position.
        pub fn input(
            mut self,
            port: impl Into<String>,
            value: impl Into<$crate::model::PortValue>,
        ) -> Self {
            self.body
                .inputs
                .get_or_insert_with($crate::model::PortMap::new)
                .insert(port.into(), value.into());
            self
        }

        /// Sets the inputs at once (replacing any set before). An empty map sends
        /// `"inputs": {}`.
        pub fn inputs(mut self, inputs: $crate::model::PortMap) -> Self {
            self.body.inputs = Some(inputs);
            self
        }

        /// Execution settings (instance type, parallelism, memoization, elastic disk); only
        /// the members set are sent.
        pub fn execution_settings(mut self, settings: $crate::model::ExecutionSettings) -> Self {
            self.body.execution_settings = Some(settings);
            self
        }

        /// Allows (or forbids) spot (interruptible) instances.
        pub fn use_interruptible_instances(mut self, yes: bool) -> Self {
            self.body.use_interruptible_instances = Some(yes);
            self
        }

        /// Where outputs are written, as the platform expects it (sent as given).
        pub fn output_location(mut self, location: serde_json::Value) -> Self {
            self.body.output_location = Some(location);
            self
        }

        /// Makes a batch task split on input `batch_input` as `by` says (the two members are
        /// always sent together).
        pub fn batch(mut self, batch_input: impl Into<String>, by: $crate::model::BatchBy) -> Self {
            self.body.batch_input = Some(batch_input.into());
            self.body.batch_by = Some(by);
            self.body.batch_members_set();
            self
        }
    };
}
pub(crate) use task_body_setters;

/// The options run and rerun share: batching, spot instances, and the answer's fields.
///
/// Build one and hand it to [`RunTask::options`](crate::RunTask::options) or
/// [`RerunTask::options`](crate::RerunTask::options), or use their
/// one-option methods. Options not set are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunOptions {
    /// `batch=`: `false` disables the default batching of a batch task.
    pub batch: Option<bool>,
    /// `use_interruptible_instances=`: allow (or forbid) spot instances.
    pub use_interruptible_instances: Option<bool>,
    /// `fields=`: only these fields in the answer.
    pub fields: Option<Fields>,
}

impl RunOptions {
    /// No options: the platform's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `batch=`.
    pub fn batch(mut self, batch: bool) -> Self {
        self.batch = Some(batch);
        self
    }

    /// Sets `use_interruptible_instances=`.
    pub fn use_interruptible_instances(mut self, yes: bool) -> Self {
        self.use_interruptible_instances = Some(yes);
        self
    }

    /// Sets `fields=`.
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = Some(fields);
        self
    }

    /// Adds the parameters that are set, in a fixed order.
    pub(crate) fn push_query(&self, q: &mut Target<'_>) {
        task_query(
            q,
            self.fields.as_ref(),
            self.batch,
            self.use_interruptible_instances,
        );
    }
}

/// Adds the query parameters shared by the task calls, in a fixed order.
pub(crate) fn task_query(
    q: &mut Target<'_>,
    fields: Option<&Fields>,
    batch: Option<bool>,
    interruptible: Option<bool>,
) {
    if let Some(b) = batch {
        q.bool_param("batch", b);
    }
    if let Some(b) = interruptible {
        q.bool_param("use_interruptible_instances", b);
    }
    if let Some(f) = fields {
        q.fields("fields", f);
    }
}

/// Implements [`Endpoint::decode`](crate::Endpoint::decode) for endpoints answering a task.
macro_rules! decode_task {
    () => {
        fn decode(
            &self,
            body: &[u8],
            decoding: &$crate::decode::Decoding,
        ) -> Result<$crate::decode::Decoded<$crate::model::Task>, $crate::decode::DecodeError> {
            $crate::decode::decode(body, decoding)
        }
    };
}
pub(crate) use decode_task;
