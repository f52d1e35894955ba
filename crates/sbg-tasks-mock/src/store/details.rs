//! `GET /v2/tasks/{id}/execution_details`: the jobs of a run.

use std::time::Instant;

use serde_json::{json, Value};

use super::Store;
use crate::api_error::ApiError;

impl Store {
    /// `GET /v2/tasks/{id}/execution_details`.
    pub(crate) fn execution_details(&mut self, id: &str, now: Instant) -> Result<Value, ApiError> {
        self.refresh(id, now);
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        let href = format!("{}/execution_details", self.ctx.href(id));
        let status = rec.status().to_owned();
        let start = rec.body.get("start_time").cloned().unwrap_or(Value::Null);
        let mut jobs = Vec::new();
        if let Some(run) = &rec.run {
            let done = run.steps_completed;
            let shown = match status.as_str() {
                "RUNNING" | "FAILED" => (done + 1).min(run.steps_total),
                _ => done,
            };
            for k in 0..shown {
                let job_status = if k < done {
                    "COMPLETED"
                } else if status == "FAILED" {
                    "FAILED"
                } else {
                    "RUNNING"
                };
                let end = if job_status == "RUNNING" {
                    Value::Null
                } else {
                    rec.body
                        .get("end_time")
                        .cloned()
                        .unwrap_or_else(|| start.clone())
                };
                jobs.push(json!({
                    "name": format!("step_{}", k + 1),
                    "start_time": start,
                    "end_time": end,
                    "status": job_status,
                    "command_line": format!("run-step --index {}", k + 1),
                    "instance": {"id": format!("i-mock{:04}", k + 1), "type": "c5.2xlarge", "provider": "AWS"},
                    "logs": {"job.err.log": format!("{href}/logs/step_{}/job.err.log", k + 1)},
                }));
            }
        }
        Ok(json!({"href": href, "jobs": jobs}))
    }
}
