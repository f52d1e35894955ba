//! `GET` and `PATCH /v2/tasks/{task_id}/inputs`: a task's inputs alone.

use http::Method;

use super::{task_path, task_query};
use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{CallKind, Endpoint, RequestBuildError};
use crate::fields::Fields;
use crate::id::TaskId;
use crate::model::{PortMap, PortValue, TaskInputs};
use crate::target::Target;

/// Get a task's inputs: the bare map port id → value, without the rest of the task.
///
/// ```
/// use sbg_tasks_proto::model::PortValue;
/// use sbg_tasks_proto::{http, AuthToken, Config, Decoding, Endpoint, GetTaskInputs, Platform};
///
/// let cfg = Config::new(Platform::Cgc, AuthToken::new("token")?);
/// let call = GetTaskInputs::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?);
/// let req = call.prepare_request(&cfg)?;
/// assert_eq!(req.uri().path(), "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/inputs");
/// let answer = http::Response::builder()
///     .status(200)
///     .body(br#"{"reads": {"class": "File", "path": "5a1b"}, "threads": 8, "reference": null}"#.to_vec())?;
/// let inputs = call.parse_response(&answer, &Decoding::default())?.value;
/// assert_eq!(inputs.len(), 3);
/// assert_eq!(inputs["threads"], PortValue::from(8));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTaskInputs {
    id: TaskId,
    fields: Option<Fields>,
}

impl GetTaskInputs {
    /// The inputs of task `id`.
    pub fn new(id: TaskId) -> Self {
        Self { id, fields: None }
    }

    /// Only these ports (`fields=`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl Endpoint for GetTaskInputs {
    type Output = TaskInputs;

    fn kind(&self) -> CallKind {
        CallKind::Read
    }

    fn method(&self) -> Method {
        Method::GET
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, None);
        target.literal("/inputs");
        task_query(target, self.fields.as_ref(), None, None);
    }

    fn decode(&self, body: &[u8], decoding: &Decoding) -> Result<Decoded<TaskInputs>, DecodeError> {
        crate::decode::decode(body, decoding)
    }
}

/// Change some of a task's inputs (a DRAFT's): the ports named are set (`PortValue::Null`
/// clears one), the others are left as they are. The answer is the whole inputs map; the
/// platform validates the inputs again (see the task's `errors`). Retried like a read.
///
/// ```
/// use sbg_tasks_proto::model::FileRef;
/// use sbg_tasks_proto::{AuthToken, Config, Endpoint, Platform, UpdateTaskInputs};
///
/// let cfg = Config::new(Platform::Cgc, AuthToken::new("token")?);
/// let call = UpdateTaskInputs::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?)
///     .input("reads", vec![FileRef::file("5a1b"), FileRef::file("5a1c")])
///     .input("threads", 8);
/// let req = call.prepare_request(&cfg)?;
/// assert_eq!(req.method(), "PATCH");
/// assert_eq!(
///     std::str::from_utf8(req.body())?,
///     r#"{"reads":[{"class":"File","path":"5a1b"},{"class":"File","path":"5a1c"}],"threads":8}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateTaskInputs {
    id: TaskId,
    inputs: PortMap,
}

impl UpdateTaskInputs {
    /// A change of task `id`'s inputs that sets nothing yet (an empty body, `{}`).
    pub fn new(id: TaskId) -> Self {
        Self {
            id,
            inputs: PortMap::new(),
        }
    }

    /// Sets one port, replacing an earlier value of the same port and keeping its position.
    pub fn input(mut self, port: impl Into<String>, value: impl Into<PortValue>) -> Self {
        self.inputs.insert(port.into(), value.into());
        self
    }

    /// Sets the ports to change at once (replacing any set before).
    pub fn inputs(mut self, inputs: PortMap) -> Self {
        self.inputs = inputs;
        self
    }

    /// The ports that will be sent.
    pub fn changes(&self) -> &PortMap {
        &self.inputs
    }

    /// The task id.
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl Endpoint for UpdateTaskInputs {
    type Output = TaskInputs;

    fn kind(&self) -> CallKind {
        CallKind::Update
    }

    fn method(&self) -> Method {
        Method::PATCH
    }

    fn write_target(&self, target: &mut Target<'_>) {
        task_path(target, &self.id, None);
        target.literal("/inputs");
    }

    fn body(&self) -> Result<Option<Vec<u8>>, RequestBuildError> {
        serde_json::to_vec(&self.inputs)
            .map(Some)
            .map_err(|e| RequestBuildError::Body(e.to_string()))
    }

    fn decode(&self, body: &[u8], decoding: &Decoding) -> Result<Decoded<TaskInputs>, DecodeError> {
        crate::decode::decode(body, decoding)
    }
}
