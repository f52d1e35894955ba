//! `POST /v2/tasks/{task_id}/actions/run`: run a draft task.

use http::Method;

use super::{decode_task, task_path, task_query};
use crate::endpoint::{CallKind, Endpoint};
use crate::model::Task;
use crate::{Fields, TaskId};

/// Run a DRAFT task. The answer is the task, now QUEUED or RUNNING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTask {
    id: TaskId,
    fields: Option<Fields>,
    batch: Option<bool>,
    interruptible: Option<bool>,
}

impl RunTask {
    /// Run task `id` with the platform's defaults.
    pub fn new(id: TaskId) -> Self {
        Self {
            id,
            fields: None,
            batch: None,
            interruptible: None,
        }
    }

    /// `batch=`: `false` disables the default batching of a batch task.
    pub fn batch(mut self, batch: bool) -> Self {
        self.batch = Some(batch);
        self
    }

    /// `use_interruptible_instances=`: allow (or forbid) spot instances.
    pub fn use_interruptible_instances(mut self, yes: bool) -> Self {
        self.interruptible = Some(yes);
        self
    }

    /// Only these fields in the answer.
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
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

    fn path(&self) -> String {
        task_path(&self.id, Some("run"))
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        task_query(&mut q, self.fields.as_ref(), self.batch, self.interruptible);
        q
    }

    decode_task!();
}
