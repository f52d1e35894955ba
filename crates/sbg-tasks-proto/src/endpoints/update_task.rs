//! `PATCH /v2/tasks/{task_id}`: modify a task.

use http::Method;
use serde::Serialize;

use super::{decode_task, task_body_setters, task_path, task_query};
use crate::endpoint::{CallKind, Endpoint, RequestBuildError};
use crate::fields::Fields;
use crate::id::TaskId;
use crate::model::{BatchBy, ExecutionSettings, PortMap, Task};
use crate::target::Target;

/// The JSON body of a modify call. Only the members that were set are sent.
///
/// Built through [`UpdateTask`]'s methods; readable here (e.g. by a mock server or a test).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TaskUpdate {
    /// `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `use_interruptible_instances`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_interruptible_instances: Option<bool>,
    /// `execution_settings`: only its members that are set are sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_settings: Option<ExecutionSettings>,
    /// `inputs`: the ports to change (port id → value, `null` included), in the order set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<PortMap>,
    /// `output_location`, sent as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_location: Option<serde_json::Value>,
    /// `batch`: `false` switches batching off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<bool>,
    /// `batch_input`: the input a batch is split on (only with `batch_by`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_input: Option<String>,
    /// `batch_by`: how a batch is split (only with `batch_input`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_by: Option<BatchBy>,
}

impl TaskUpdate {
    /// Whether nothing is set (the body would be `{}`).
    pub fn is_empty(&self) -> bool {
        *self == TaskUpdate::default()
    }

    /// Whether the update changes nothing but the name, the one change the platform allows on
    /// a task that is no longer a DRAFT (anything else there answers code 7026).
    pub fn is_rename(&self) -> bool {
        let rest = TaskUpdate {
            name: None,
            ..self.clone()
        };
        rest.is_empty() && self.name.is_some()
    }

    /// Batch members set: a `batch: false` set before would contradict them.
    fn batch_members_set(&mut self) {
        self.batch = None;
    }

    /// The body's members that cannot go together, as a build error.
    fn check(&self) -> Result<(), RequestBuildError> {
        match (&self.batch_input, &self.batch_by, self.batch) {
            (Some(_), None, _) | (None, Some(_), _) => Err(RequestBuildError::Invalid {
                reason: "batch_input and batch_by are only sent together",
            }),
            (Some(_), Some(_), Some(false)) => Err(RequestBuildError::Invalid {
                reason: "batch: false switches batching off; it cannot come with batch_input and batch_by",
            }),
            _ => Ok(()),
        }
    }
}

/// Modify a task: its name, description, inputs, execution settings, output location,
/// batching, spot instances. Only the members set are sent; the answer is the task.
///
/// The platform modifies a DRAFT only, except for renaming, which also works on a RUNNING or
/// COMPLETED task (any other change there answers code 7026). Changed inputs are validated
/// again: the answer's `errors` say what is still wrong. Retried like a read: the same body
/// sent twice leaves the same task.
///
/// ```
/// use sbg_tasks_proto::model::{ExecutionSettings, FileRef, PortValue};
/// use sbg_tasks_proto::{AuthToken, Config, Endpoint, Platform, UpdateTask};
///
/// let cfg = Config::new(Platform::SevenBridges, AuthToken::new("token")?);
/// let update = UpdateTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?)
///     .name("aligned again")
///     .input("reads", FileRef::file("5a1b2c"))
///     .input("reference", PortValue::Null)
///     .execution_settings(ExecutionSettings::default().with_use_memoization(true));
/// let req = update.prepare_request(&cfg)?;
/// assert_eq!(req.method(), "PATCH");
/// assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb");
/// assert_eq!(
///     std::str::from_utf8(req.body())?,
///     r#"{"name":"aligned again","execution_settings":{"use_memoization":true},"inputs":{"reads":{"class":"File","path":"5a1b2c"},"reference":null}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateTask {
    id: TaskId,
    body: TaskUpdate,
    fields: Option<Fields>,
}

impl UpdateTask {
    /// A modification of task `id` that changes nothing yet.
    pub fn new(id: TaskId) -> Self {
        Self {
            id,
            body: TaskUpdate::default(),
            fields: None,
        }
    }

    /// A modification of task `id` with this body.
    pub fn with_body(id: TaskId, body: TaskUpdate) -> Self {
        Self {
            id,
            body,
            fields: None,
        }
    }

    task_body_setters!();

    /// Switches batching off (`"batch": false`).
    pub fn no_batch(mut self) -> Self {
        self.body.batch = Some(false);
        self.body.batch_input = None;
        self.body.batch_by = None;
        self
    }

    /// Only these fields in the answer (`fields=`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The body that will be sent.
    pub fn update(&self) -> &TaskUpdate {
        &self.body
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl Endpoint for UpdateTask {
    type Output = Task;

    fn kind(&self) -> CallKind {
        CallKind::Update
    }

    fn method(&self) -> Method {
        Method::PATCH
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, None);
        task_query(target, self.fields.as_ref(), None, None);
    }

    fn body(&self) -> Result<Option<Vec<u8>>, RequestBuildError> {
        self.body.check()?;
        serde_json::to_vec(&self.body)
            .map(Some)
            .map_err(|e| RequestBuildError::Body(e.to_string()))
    }

    decode_task!();
}
