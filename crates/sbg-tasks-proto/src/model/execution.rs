//! `execution_status`: progress of a task, or the child counts of a batch parent.

model_struct! {
    /// Progress of a task. A single task or batch child fills the step and duration members; a
    /// batch parent fills the counts of its children (`queued` ... `aborted`). Durations are in
    /// milliseconds.
    pub struct ExecutionStatus {
        /// Steps (jobs) finished.
        steps_completed: u64 = "steps_completed",
        /// Steps in all.
        steps_total: u64 = "steps_total",
        /// A human-readable status message.
        message: String = "message",
        /// A machine-readable message code.
        message_code: String = "message_code",
        /// Waiting on a platform limit.
        system_limit: bool = "system_limit",
        /// Waiting on an account limit.
        account_limit: bool = "account_limit",
        /// Instances are being initialised.
        instance_init: bool = "instance_init",
        /// Total duration, ms.
        duration: u64 = "duration",
        /// Time queued, ms.
        queued_duration: u64 = "queued_duration",
        /// Time running, ms.
        running_duration: u64 = "running_duration",
        /// Time executing, ms.
        execution_duration: u64 = "execution_duration",
        /// Batch parent: children queued.
        queued: u64 = "queued",
        /// Batch parent: children running.
        running: u64 = "running",
        /// Batch parent: children completed.
        completed: u64 = "completed",
        /// Batch parent: children failed.
        failed: u64 = "failed",
        /// Batch parent: children aborted.
        aborted: u64 = "aborted",
    }
}

/// Counts of a batch parent's children by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchCounts {
    /// Queued.
    pub queued: u64,
    /// Running.
    pub running: u64,
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
    /// Aborted.
    pub aborted: u64,
}

impl BatchCounts {
    /// All children counted.
    pub fn total(&self) -> u64 {
        self.queued + self.running + self.completed + self.failed + self.aborted
    }
}

impl ExecutionStatus {
    /// The child counts, when this is a batch parent's status (any count present).
    pub fn batch_counts(&self) -> Option<BatchCounts> {
        if self.queued.is_none()
            && self.running.is_none()
            && self.completed.is_none()
            && self.failed.is_none()
            && self.aborted.is_none()
        {
            return None;
        }
        Some(BatchCounts {
            queued: self.queued.unwrap_or(0),
            running: self.running.unwrap_or(0),
            completed: self.completed.unwrap_or(0),
            failed: self.failed.unwrap_or(0),
            aborted: self.aborted.unwrap_or(0),
        })
    }

    /// `(completed, total)` steps, when both are present.
    pub fn steps(&self) -> Option<(u64, u64)> {
        Some((self.steps_completed?, self.steps_total?))
    }
}
