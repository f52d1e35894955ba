//! `POST /v2/tasks`: create a task (a DRAFT, or run at once with `action=run`).

use http::Method;
use serde::Serialize;

use super::{task_body_setters, AppId, ProjectId};
use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{CallKind, Endpoint, RequestBuildError};
use crate::model::{
    BatchBy, BatchByType, ExecutionSettings, FromLenient, LenientCx, PortMap, Task, ValidationIssue,
};
use crate::target::Target;

/// The JSON body of a create call. Only the members that were set are sent.
///
/// Built through [`CreateTask`]'s methods; readable here (e.g. by a mock server or a test).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewTask {
    /// `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `project` (required).
    pub project: ProjectId,
    /// `app` (required).
    pub app: AppId,
    /// `batch_input`: the input the batch is split on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_input: Option<String>,
    /// `batch_by`: how the batch is split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_by: Option<BatchBy>,
    /// `use_interruptible_instances`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_interruptible_instances: Option<bool>,
    /// `execution_settings`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_settings: Option<ExecutionSettings>,
    /// `output_location`, sent as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_location: Option<serde_json::Value>,
    /// `inputs`: port id → value, in the order set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<PortMap>,
}

impl NewTask {
    /// Nothing more to do when both batch members are set.
    fn batch_members_set(&mut self) {}
}

/// Create a task in `project` from `app`.
///
/// The answer is the new task. When the platform finds validation problems (missing inputs,
/// missing files, ...) it still creates the task, as a DRAFT that cannot run, and lists the
/// problems in the task's `errors`: [`CreateOutcome::CreatedWithErrors`] says so. With
/// [`CreateTask::run`], such a task is created but not run.
///
/// Not idempotent: each request that reaches the platform makes another task, so clients never
/// retry it once it may have been received.
///
/// ```
/// use sbg_tasks_proto::model::{BatchBy, FileRef};
/// use sbg_tasks_proto::{AuthToken, Config, CreateTask, Endpoint, Platform};
///
/// let cfg = Config::new(Platform::SevenBridges, AuthToken::new("token").unwrap());
/// let create = CreateTask::new("rfranklin/p".parse()?, "rfranklin/p/bwa/3".parse()?)
///     .name("align")
///     .input("reads", FileRef::file("5a1b2c"))
///     .batch("reads", BatchBy::item())
///     .run(true);
/// let req = create.prepare_request(&cfg)?;
/// assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/tasks?action=run");
/// assert_eq!(
///     std::str::from_utf8(req.body())?,
///     r#"{"name":"align","project":"rfranklin/p","app":"rfranklin/p/bwa/3","batch_input":"reads","batch_by":{"type":"ITEM"},"inputs":{"reads":{"class":"File","path":"5a1b2c"}}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTask {
    body: NewTask,
    run: bool,
    no_batch: bool,
}

impl CreateTask {
    /// A task in `project` running `app`, with nothing else set.
    pub fn new(project: ProjectId, app: AppId) -> Self {
        Self {
            body: NewTask {
                name: None,
                description: None,
                project,
                app,
                batch_input: None,
                batch_by: None,
                use_interruptible_instances: None,
                execution_settings: None,
                output_location: None,
                inputs: None,
            },
            run: false,
            no_batch: false,
        }
    }

    task_body_setters!();

    /// `action=run`: run the task at once (when it has no validation errors).
    pub fn run(mut self, run: bool) -> Self {
        self.run = run;
        self
    }

    /// `batch=false` in the query: create the task with batching off, whatever the app or the
    /// body's batch members say (the platform's switch for exactly that; unlike
    /// [`UpdateTask`](crate::UpdateTask), whose body cannot say both).
    pub fn no_batch(mut self) -> Self {
        self.no_batch = true;
        self
    }

    /// The body that will be sent.
    pub fn new_task(&self) -> &NewTask {
        &self.body
    }

    /// Whether `action=run` is sent.
    pub fn runs(&self) -> bool {
        self.run
    }
}

impl BatchBy {
    /// `{"type": "ITEM"}`: one child per item of the batch input.
    pub fn item() -> Self {
        BatchBy {
            kind: Some(BatchByType::Item),
            ..BatchBy::default()
        }
    }

    /// `{"type": "CRITERIA", "criteria": [...]}`: one child per group of these metadata
    /// fields (e.g. `metadata.sample_id`).
    pub fn criteria<I, S>(criteria: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        BatchBy {
            kind: Some(BatchByType::Criteria),
            criteria: Some(criteria.into_iter().map(Into::into).collect()),
            ..BatchBy::default()
        }
    }
}

/// What a create call made.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CreateOutcome {
    /// The task was created without validation errors (and run, if `action=run` was sent).
    Created(Task),
    /// The task was created but has validation errors: it is a DRAFT that cannot run until they
    /// are fixed (and was NOT run, even if `action=run` was sent). `task` is the answer as
    /// decoded (its own `errors` member included); `errors` is a copy of the problems.
    CreatedWithErrors {
        /// The task as the platform answered it.
        task: Task,
        /// The validation problems. Empty only when the answer's `errors` member could not be
        /// typed (it is then kept in `task.extra["errors"]`).
        errors: Vec<ValidationIssue>,
    },
}

impl CreateOutcome {
    /// Classifies a create answer by its `errors` member: a non-empty array (or a non-null
    /// value that a lenient decode had to set aside in `extra`) means "created but cannot run".
    pub fn from_task(task: Task) -> Self {
        if let Some(errors) = task.errors.as_ref().filter(|e| !e.is_empty()) {
            let errors = errors.clone();
            return CreateOutcome::CreatedWithErrors { task, errors };
        }
        match task.extra.get("errors") {
            Some(v) if !is_empty_json(v) => {
                // Untyped errors: keep them reachable through `task.extra`, and still refuse
                // to call the task runnable.
                let mut cx = LenientCx::new();
                let errors =
                    Vec::<ValidationIssue>::from_lenient(v.clone(), &mut cx).unwrap_or_default();
                CreateOutcome::CreatedWithErrors { task, errors }
            }
            _ => CreateOutcome::Created(task),
        }
    }

    /// The task, either way.
    pub fn task(&self) -> &Task {
        match self {
            CreateOutcome::Created(task) | CreateOutcome::CreatedWithErrors { task, .. } => task,
        }
    }

    /// The task, either way.
    pub fn into_task(self) -> Task {
        match self {
            CreateOutcome::Created(task) | CreateOutcome::CreatedWithErrors { task, .. } => task,
        }
    }

    /// The validation problems (empty for [`CreateOutcome::Created`]).
    pub fn errors(&self) -> &[ValidationIssue] {
        match self {
            CreateOutcome::Created(_) => &[],
            CreateOutcome::CreatedWithErrors { errors, .. } => errors,
        }
    }

    /// Whether the task was created without validation errors, so it can run.
    pub fn can_run(&self) -> bool {
        matches!(self, CreateOutcome::Created(_))
    }
}

fn is_empty_json(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

impl Endpoint for CreateTask {
    type Output = CreateOutcome;

    fn kind(&self) -> CallKind {
        CallKind::Create
    }

    fn method(&self) -> Method {
        Method::POST
    }

    fn write_target(&self, target: &mut Target<'_>) {
        target.literal("/tasks");
        if self.run {
            target.param("action", "run");
        }
        if self.no_batch {
            target.bool_param("batch", false);
        }
    }

    fn body(&self) -> Result<Option<Vec<u8>>, RequestBuildError> {
        serde_json::to_vec(&self.body)
            .map(Some)
            .map_err(|e| RequestBuildError::Body(e.to_string()))
    }

    fn decode(
        &self,
        body: &[u8],
        decoding: &Decoding,
    ) -> Result<Decoded<CreateOutcome>, DecodeError> {
        let d = crate::decode::decode::<Task>(body, decoding)?;
        Ok(Decoded {
            value: CreateOutcome::from_task(d.value),
            report: d.report,
        })
    }
}
