//! The endpoint types, one file per call.

mod abort_task;
mod bulk_get;
mod create_task;
mod delete_task;
mod execution_details;
mod get_task;
mod list_tasks;
mod names;
mod rate_limit;
mod rerun_task;
mod run_task;
mod task_inputs;
mod update_task;

pub use get_task::GetTask;
pub use rerun_task::RerunTask;
pub use run_task::RunTask;

pub use abort_task::AbortTask;
pub use bulk_get::{BulkGetTasks, BulkItemError, BulkTasks, MAX_BULK_IDS};
pub use create_task::{CreateOutcome, CreateTask, NewTask};
pub use delete_task::{DeleteTask, Deletion};
pub use execution_details::GetExecutionDetails;
pub use list_tasks::{ListParamError, ListTasks, PageLimit, SortOrder, TimeBound};
pub use names::{AppId, NameError, ProjectId, MAX_NAME_LEN};
pub use rate_limit::GetRateLimit;
pub use task_inputs::{GetTaskInputs, UpdateTaskInputs};
pub use update_task::{TaskUpdate, UpdateTask};

use crate::target::Target;
use crate::{Fields, TaskId};

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
/// Build one and hand it to [`RunTask::options`] or [`RerunTask::options`], or use their
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
            decoding: &$crate::Decoding,
        ) -> Result<$crate::Decoded<$crate::model::Task>, $crate::DecodeError> {
            $crate::decode::decode(body, decoding)
        }
    };
}
pub(crate) use decode_task;
