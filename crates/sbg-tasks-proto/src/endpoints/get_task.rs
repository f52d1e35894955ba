//! `GET /v2/tasks/{task_id}`: details of a task.

use http::Method;

use super::{decode_task, task_path, task_query};
use crate::endpoint::{CallKind, Endpoint};
use crate::fields::Fields;
use crate::id::TaskId;
use crate::model::Task;
use crate::target::Target;

/// Get the details of a task.
///
/// ```
/// use sbg_tasks_proto::fields::Fields;
/// use sbg_tasks_proto::{AuthToken, Config, Endpoint, GetTask, Platform};
/// let cfg = Config::new(Platform::Cgc, AuthToken::new("token").unwrap());
/// let get = GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap())
///     .fields(Fields::All);
/// let req = get.prepare_request(&cfg).unwrap();
/// assert_eq!(
///     req.uri(),
///     "https://cgc-api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb?fields=_all"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTask {
    id: TaskId,
    fields: Option<Fields>,
}

impl GetTask {
    /// Details of task `id`, all default fields.
    pub fn new(id: TaskId) -> Self {
        Self { id, fields: None }
    }

    /// Only these fields (`fields=`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl GetTask {
    /// Lists the query parameters that are set, in the order sent.
    fn params(&self, q: &mut Target<'_>) {
        task_query(q, self.fields.as_ref(), None, None);
    }
}

impl Endpoint for GetTask {
    type Output = Task;

    fn kind(&self) -> CallKind {
        CallKind::Read
    }

    fn method(&self) -> Method {
        Method::GET
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, None);
        self.params(target);
    }

    decode_task!();
}
