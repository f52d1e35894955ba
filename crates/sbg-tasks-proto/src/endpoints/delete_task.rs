//! `DELETE /v2/tasks/{task_id}`: delete a DRAFT task.

use http::Method;

use super::task_path;
use crate::api_error::{ApiError, ErrorCode};
use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{CallKind, Endpoint};
use crate::id::TaskId;
use crate::target::Target;

/// Delete a task. Only a DRAFT can be deleted; any other status answers an API error
/// (code 7010, "only DRAFT").
///
/// The platform answers `204 No Content`; any 2xx is taken as success, whatever its body.
/// Retried like a read: when an attempt's answer was lost (or was a 5xx that may have come
/// after the platform acted) and a later attempt answers "no such task" (404, code 7002),
/// the earlier attempt deleted it: the call succeeds with [`Deletion::AlreadyGone`], never an
/// error for a delete that happened.
///
/// ```
/// use sbg_tasks_proto::{http, AuthToken, Config, DeleteTask, Endpoint, Platform};
/// let cfg = Config::new(Platform::Cgc, AuthToken::new("token").unwrap());
/// let delete = DeleteTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap());
/// let req = delete.prepare_request(&cfg).unwrap();
/// assert_eq!(req.method(), http::Method::DELETE);
/// assert_eq!(
///     req.uri(),
///     "https://cgc-api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb"
/// );
/// assert!(req.body().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTask {
    id: TaskId,
}

impl DeleteTask {
    /// Delete task `id`.
    pub fn new(id: TaskId) -> Self {
        Self { id }
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

/// What a delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deletion {
    /// The platform answered that it deleted the task.
    Deleted,
    /// An earlier attempt whose answer was lost deleted the task: a retry found it gone.
    AlreadyGone,
}

impl Endpoint for DeleteTask {
    type Output = Deletion;

    fn kind(&self) -> CallKind {
        CallKind::Delete
    }

    fn method(&self) -> Method {
        Method::DELETE
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, None);
    }

    /// Any success is a deletion: `204` with no body, or a 2xx with one (not read).
    fn decode(&self, _body: &[u8], _decoding: &Decoding) -> Result<Decoded<Deletion>, DecodeError> {
        Ok(Decoded {
            value: Deletion::Deleted,
            report: Default::default(),
        })
    }

    fn settled_by_earlier_attempt(&self, answer: &ApiError) -> Option<Deletion> {
        (answer.status == 404 && answer.code == Some(ErrorCode::TaskNotFound))
            .then_some(Deletion::AlreadyGone)
    }
}
