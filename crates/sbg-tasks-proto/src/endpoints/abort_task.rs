//! `POST /v2/tasks/{task_id}/actions/abort`: abort a QUEUED or RUNNING task.

use http::Method;

use super::{decode_task, task_path};
use crate::endpoint::{CallKind, Endpoint};
use crate::id::TaskId;
use crate::model::Task;
use crate::target::Target;

/// Abort a task that is QUEUED or RUNNING. The answer is the task, now ABORTING or ABORTED.
///
/// Aborting a task in another status answers an API error — code 7008 ("only for RUNNING
/// tasks") for a finished task, or 7011 ("only CREATING, RUNNING or QUEUED") — so repeating an
/// abort is harmless.
///
/// ```
/// use sbg_tasks_proto::{http, AbortTask, AuthToken, Config, Endpoint, Platform};
/// let cfg = Config::new(Platform::Cavatica, AuthToken::new("token").unwrap());
/// let abort = AbortTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap());
/// let req = abort.prepare_request(&cfg).unwrap();
/// assert_eq!(req.method(), http::Method::POST);
/// assert_eq!(
///     req.uri(),
///     "https://cavatica-api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/actions/abort"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbortTask {
    id: TaskId,
}

impl AbortTask {
    /// Abort task `id`.
    pub fn new(id: TaskId) -> Self {
        Self { id }
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl Endpoint for AbortTask {
    type Output = Task;

    fn kind(&self) -> CallKind {
        CallKind::Abort
    }

    fn method(&self) -> Method {
        Method::POST
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, Some("abort"));
    }

    decode_task!();
}
