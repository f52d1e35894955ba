//! `POST /v2/tasks/{task_id}/actions/clone`: rerun (copy) a task.

use http::Method;

use super::{decode_task, task_path, RunOptions};
use crate::endpoint::{CallKind, Endpoint};
use crate::fields::Fields;
use crate::id::TaskId;
use crate::model::Task;
use crate::target::Target;

/// Rerun a task: the platform copies it into a NEW task (a DRAFT, or run at once with
/// [`RerunTask::run`]). The answer is the new task.
///
/// Not idempotent: each request that reaches the platform makes another copy, so clients never
/// retry it once it may have been received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunTask {
    id: TaskId,
    run: bool,
    options: RunOptions,
}

impl RerunTask {
    /// Copy task `id` into a new DRAFT.
    pub fn new(id: TaskId) -> Self {
        Self {
            id,
            run: false,
            options: RunOptions::default(),
        }
    }

    /// `action=run`: run the copy at once.
    pub fn run(mut self, run: bool) -> Self {
        self.run = run;
        self
    }

    /// `batch=`: `false` disables the default batching.
    pub fn batch(mut self, batch: bool) -> Self {
        self.options.batch = Some(batch);
        self
    }

    /// `use_interruptible_instances=`: allow (or forbid) spot instances.
    pub fn use_interruptible_instances(mut self, yes: bool) -> Self {
        self.options.use_interruptible_instances = Some(yes);
        self
    }

    /// Only these fields in the answer.
    pub fn fields(mut self, fields: Fields) -> Self {
        self.options.fields = Some(fields);
        self
    }

    /// Replaces all options at once.
    pub fn options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// The id of the task copied.
    pub fn id(&self) -> &TaskId {
        &self.id
    }

    /// Whether the copy is run at once.
    pub fn runs(&self) -> bool {
        self.run
    }
}

impl RerunTask {
    /// Lists the query parameters that are set, in the order sent.
    fn params(&self, q: &mut Target<'_>) {
        if self.run {
            q.param("action", "run");
        }
        self.options.push_query(q);
    }
}

impl Endpoint for RerunTask {
    type Output = Task;

    fn kind(&self) -> CallKind {
        CallKind::Rerun
    }

    fn method(&self) -> Method {
        Method::POST
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, Some("clone"));
        self.params(target);
    }

    decode_task!();
}
