//! Task statuses.

word_enum! {
    /// The status of a task. Unknown words (old answers say `"Active"`) are kept.
    pub enum TaskStatus {
        /// Created, not yet run; the only status that may be run.
        Draft = "DRAFT",
        /// Being created (batch tasks).
        Creating = "CREATING",
        /// Waiting for resources.
        Queued = "QUEUED",
        /// Running.
        Running = "RUNNING",
        /// Being aborted.
        Aborting = "ABORTING",
        /// Finished successfully (terminal).
        Completed = "COMPLETED",
        /// Aborted (terminal).
        Aborted = "ABORTED",
        /// Failed (terminal).
        Failed = "FAILED",
    }
}

impl TaskStatus {
    /// Whether the task has ended: COMPLETED, ABORTED or FAILED. Unknown words are not terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Aborted | TaskStatus::Failed
        )
    }

    /// Whether the task is on its way (CREATING, QUEUED, RUNNING, ABORTING).
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            TaskStatus::Creating | TaskStatus::Queued | TaskStatus::Running | TaskStatus::Aborting
        )
    }
}
