//! The task object.

use super::{
    BatchBy, BatchGroup, ExecutionSettings, ExecutionStatus, PortMap, Price, TaskStatus, Timestamp,
    ValidationIssue,
};
use crate::id::{TaskId, TaskIdError};

model_struct! {
    /// A task as the platform describes it.
    ///
    /// Every member is optional: the `fields` selector can leave any of them out. Members this
    /// crate does not know are kept in `extra` and re-emitted by `Serialize`, so decode → encode →
    /// decode gives an equal value.
    pub struct Task {
        /// The task's API URL.
        href: String = "href",
        /// The task's id (as sent; see [`Task::task_id`] for a validated one).
        id: String = "id",
        /// Name.
        name: String = "name",
        /// Description.
        description: String = "description",
        /// Status.
        status: TaskStatus = "status",
        /// The project, `owner/project`.
        project: String = "project",
        /// The app, `owner/project/app/revision`.
        app: String = "app",
        /// The task type (`v2`).
        task_type: String = "type",
        /// Who created it.
        created_by: String = "created_by",
        /// Who ran it.
        executed_by: String = "executed_by",
        /// When it was created.
        created_time: Timestamp = "created_time",
        /// When it started.
        start_time: Timestamp = "start_time",
        /// When it ended.
        end_time: Timestamp = "end_time",
        /// Whether this is a batch parent.
        batch: bool = "batch",
        /// The input the batch is split on.
        batch_input: String = "batch_input",
        /// How the batch is split.
        batch_by: BatchBy = "batch_by",
        /// The group a batch child runs.
        batch_group: BatchGroup = "batch_group",
        /// A batch child's parent task id.
        parent: String = "parent",
        /// Progress.
        execution_status: ExecutionStatus = "execution_status",
        /// Cost.
        price: Price = "price",
        /// Validation errors: the task cannot run while there are any.
        errors: Vec<ValidationIssue> = "errors",
        /// Validation warnings.
        warnings: Vec<ValidationIssue> = "warnings",
        /// Inputs, port id → value.
        inputs: PortMap = "inputs" as super::strict::StrictMap<super::PortValue>,
        /// Outputs, port id → value.
        outputs: PortMap = "outputs" as super::strict::StrictMap<super::PortValue>,
        /// Whether spot (interruptible) instances may be used.
        use_interruptible_instances: bool = "use_interruptible_instances",
        /// How the task is run.
        execution_settings: ExecutionSettings = "execution_settings",
        /// Where outputs are written (kept as sent).
        output_location: serde_json::Value = "output_location" as super::strict::StrictValue,
        /// Where the task came from (kept as sent).
        origin: serde_json::Value = "origin" as super::strict::StrictValue,
    }
}

impl Task {
    /// The id as a validated [`TaskId`]: [`TaskIdError::Missing`] when the answer had none,
    /// another [`TaskIdError`] when it is not a usable id.
    pub fn task_id(&self) -> Result<TaskId, TaskIdError> {
        TaskId::new(self.id.as_deref().ok_or(TaskIdError::Missing)?)
    }

    /// Whether the task has ended (COMPLETED, ABORTED, FAILED). `false` when status is absent.
    pub fn is_terminal(&self) -> bool {
        self.status.as_ref().is_some_and(TaskStatus::is_terminal)
    }

    /// Whether this is a batch parent (`batch: true`, or child counts in its execution status).
    pub fn is_batch_parent(&self) -> bool {
        self.batch == Some(true)
            || self
                .execution_status
                .as_ref()
                .is_some_and(|e| e.batch_counts().is_some())
    }

    /// Whether the platform reported validation errors (the task cannot run).
    pub fn has_validation_errors(&self) -> bool {
        self.errors.as_ref().is_some_and(|e| !e.is_empty())
    }
}
