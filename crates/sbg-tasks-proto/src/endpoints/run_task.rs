//! `POST /v2/tasks/{task_id}/actions/run`: run a draft task.

use http::Method;

use super::{decode_task, task_path, RunOptions};
use crate::endpoint::{CallKind, Endpoint};
use crate::fields::Fields;
use crate::id::TaskId;
use crate::model::Task;
use crate::target::Target;

/// Run a DRAFT task. The answer is the task, now QUEUED or RUNNING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTask {
    id: TaskId,
    options: RunOptions,
}

impl RunTask {
    /// Run task `id` with the platform's defaults.
    pub fn new(id: TaskId) -> Self {
        Self {
            id,
            options: RunOptions::default(),
        }
    }

    /// `batch=`: `false` disables the default batching of a batch task.
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

    /// The read that tells what a run did: the same task, with the same `fields`. Clients use it
    /// when a retried run answers 7007 (the first attempt had already started the task).
    pub fn as_get(&self) -> crate::endpoints::GetTask {
        let get = crate::endpoints::GetTask::new(self.id.clone());
        match &self.options.fields {
            Some(f) => get.fields(f.clone()),
            None => get,
        }
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl RunTask {
    /// Lists the query parameters that are set, in the order sent.
    fn params(&self, q: &mut Target<'_>) {
        self.options.push_query(q);
    }
}

impl Endpoint for RunTask {
    type Output = Task;

    fn kind(&self) -> CallKind {
        CallKind::Run
    }

    fn method(&self) -> Method {
        Method::POST
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, Some("run"));
        self.params(target);
    }

    decode_task!();
}
