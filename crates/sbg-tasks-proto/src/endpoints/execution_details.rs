//! `GET /v2/tasks/{task_id}/execution_details`: how a task ran, job by job.

use http::Method;

use super::task_path;
use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{CallKind, Endpoint};
use crate::id::TaskId;
use crate::model::ExecutionDetails;
use crate::target::Target;

/// Get the execution details of a task: its jobs with status, times, instance, command line
/// and logs ([`ExecutionDetails`]).
///
/// ```
/// use sbg_tasks_proto::{AuthToken, Config, Endpoint, GetExecutionDetails, Platform};
/// let cfg = Config::new(Platform::SevenBridges, AuthToken::new("token").unwrap());
/// let call = GetExecutionDetails::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap());
/// assert_eq!(
///     call.prepare_request(&cfg).unwrap().uri(),
///     "https://api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/execution_details"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetExecutionDetails {
    id: TaskId,
}

impl GetExecutionDetails {
    /// Execution details of task `id`.
    pub fn new(id: TaskId) -> Self {
        Self { id }
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl Endpoint for GetExecutionDetails {
    type Output = ExecutionDetails;

    fn kind(&self) -> CallKind {
        CallKind::Read
    }

    fn method(&self) -> Method {
        Method::GET
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, None);
        target.literal("/execution_details");
    }

    fn decode(
        &self,
        body: &[u8],
        decoding: &Decoding,
    ) -> Result<Decoded<ExecutionDetails>, DecodeError> {
        crate::decode::decode(body, decoding)
    }
}
