//! The answer of `GET /v2/tasks/{id}/execution_details`: how a task ran, job by job.

use std::fmt;

use indexmap::IndexMap;
use serde_json::Value;

use super::{FromLenient, LenientCx, TaskStatus, Timestamp};

word_enum! {
    /// The status of one job (one executed step of a task).
    pub enum JobStatus {
        /// Waiting for an instance.
        Queued = "QUEUED",
        /// Running.
        Running = "RUNNING",
        /// Finished successfully.
        Completed = "COMPLETED",
        /// Failed.
        Failed = "FAILED",
        /// Aborted.
        Aborted = "ABORTED",
    }
}

impl JobStatus {
    /// Whether the job has ended (COMPLETED, FAILED, ABORTED). Unknown words are not terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Aborted
        )
    }
}

model_struct! {
    /// The compute instance a job ran on.
    pub struct JobInstance {
        /// The provider's instance id, e.g. `i-0123456789abcdef0`.
        id: String = "id",
        /// The instance type, e.g. `c4.2xlarge`.
        instance_type: String = "type",
        /// The cloud provider, e.g. `AWS`.
        provider: String = "provider",
    }
}

model_struct! {
    /// The Docker image a job ran in.
    pub struct JobDocker {
        /// The image digest, e.g. `sha256:...`.
        checksum: String = "checksum",
    }
}

/// Where one log of a job is: the text as sent, usually a platform file URL such as
/// `https://api.sbgenomics.com/v2/files/5a1b.../download_info`, sometimes a bare file id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LogRef(String);

impl LogRef {
    /// Wraps the text as sent.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is an absolute `http(s)://` URL.
    pub fn is_url(&self) -> bool {
        let lower = self.0.get(..8).unwrap_or(&self.0).to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    }

    /// The platform file id of the log: the path segment after `/files/` in a URL, or the
    /// whole text when it is not a URL. `None` for a URL without a `/files/` segment.
    pub fn file_id(&self) -> Option<&str> {
        if !self.is_url() {
            return (!self.0.is_empty()).then_some(self.0.as_str());
        }
        let path = self.0.split(['?', '#']).next().unwrap_or_default();
        let (_, after) = path.split_once("/files/")?;
        let id = after.split('/').next().unwrap_or_default();
        (!id.is_empty()).then_some(id)
    }
}

impl fmt::Debug for LogRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogRef({:?})", self.0)
    }
}

impl fmt::Display for LogRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for LogRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for LogRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(LogRef)
    }
}

impl FromLenient for LogRef {
    const EXPECTED: &'static str = "a string";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        match v {
            Value::String(s) => Ok(LogRef(s)),
            other => Err(other),
        }
    }
}

/// The logs of a job: log name (`job.err.log`, `cmd.log`, ...) → where it is, in the order sent.
pub type JobLogs = IndexMap<String, LogRef>;

impl FromLenient for JobLogs {
    const EXPECTED: &'static str = "an object of strings";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        let Value::Object(map) = v else { return Err(v) };
        if !map.values().all(Value::is_string) {
            return Err(Value::Object(map));
        }
        Ok(map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, LogRef(s))),
                _ => None,
            })
            .collect())
    }
}

model_struct! {
    /// One job: an executed node of the task's workflow (or the single tool of a tool task).
    pub struct Job {
        /// The job's name, e.g. `bwa_mem_1_s` (scattered jobs carry a suffix).
        name: String = "name",
        /// When it started.
        start_time: Timestamp = "start_time",
        /// When it ended.
        end_time: Timestamp = "end_time",
        /// Its status.
        status: JobStatus = "status",
        /// The command line run.
        command_line: String = "command_line",
        /// Whether the job was retried (e.g. after a spot instance was reclaimed).
        retried: bool = "retried",
        /// The instance it ran on.
        instance: JobInstance = "instance",
        /// The Docker image it ran in.
        docker: JobDocker = "docker",
        /// Its logs.
        logs: JobLogs = "logs" as super::strict::StrictMap<LogRef>,
    }
}

model_struct! {
    /// `GET /v2/tasks/{id}/execution_details`: the run of a task, job by job.
    pub struct ExecutionDetails {
        /// The URL of this resource.
        href: String = "href",
        /// When the task started.
        start_time: Timestamp = "start_time",
        /// When the task ended.
        end_time: Timestamp = "end_time",
        /// The task's status.
        status: TaskStatus = "status",
        /// A human-readable message (e.g. why the task failed).
        message: String = "message",
        /// The jobs, in the order sent.
        jobs: Vec<Job> = "jobs",
    }
}

impl ExecutionDetails {
    /// The jobs (empty when `jobs` is absent).
    pub fn jobs(&self) -> &[Job] {
        self.jobs.as_deref().unwrap_or_default()
    }

    /// The jobs whose status is FAILED.
    pub fn failed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs()
            .iter()
            .filter(|j| j.status == Some(JobStatus::Failed))
    }
}
