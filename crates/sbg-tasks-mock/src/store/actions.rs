//! The actions on an existing task: run and abort.

use std::time::Instant;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::lifecycle::exec_status;
use super::pricing::{cents_of, price};
use super::{new_id, Store, TaskRecord};
use crate::api_error::{codes, ApiError};

/// Options of run (and of clone with `action=run`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunOpts {
    pub(crate) batch: Option<bool>,
    pub(crate) interruptible: Option<bool>,
}

fn parse_bool(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

impl Store {
    /// `POST /v2/tasks/{id}/actions/run`.
    pub(crate) fn run(
        &mut self,
        id: &str,
        opts: RunOpts,
        user: &str,
        now: Instant,
    ) -> Result<(), ApiError> {
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        if rec.status() != "DRAFT" {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::ONLY_DRAFT,
                "This action is only available for DRAFT tasks.",
            ));
        }
        if rec
            .body
            .get("errors")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty())
        {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::VALIDATION_ERRORS,
                "Task cannot be started due to validation errors.",
            ));
        }
        let is_batch = parse_bool(rec.body.get("batch"))
            && rec
                .body
                .get("batch_input")
                .and_then(Value::as_str)
                .is_some();
        let mut batch = is_batch;
        if opts.batch == Some(false) {
            if !is_batch {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::BATCH_DISABLE_NOT_BATCH,
                    "Disabling batching action is only available for BATCH tasks.",
                ));
            }
            batch = false;
        }
        let steps = self.steps_of(&rec.body);
        let start = self.ctx.wall(now);
        let mut children = Vec::new();
        if batch {
            let input = rec
                .body
                .get("batch_input")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let items = match rec.body.get("inputs").and_then(|i| i.get(&input)) {
                Some(Value::Array(a)) if !a.is_empty() => a.clone(),
                Some(v) => vec![v.clone()],
                None => vec![Value::Null],
            };
            let parent = rec.body.clone();
            for (i, item) in items.into_iter().enumerate() {
                let cid = new_id();
                let group = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{}", i + 1));
                let mut inputs = parent.get("inputs").cloned().unwrap_or_else(|| json!({}));
                if let Some(o) = inputs.as_object_mut() {
                    o.insert(input.clone(), item);
                }
                let mut body = Map::new();
                body.insert("href".into(), self.ctx.href(&cid).into());
                body.insert("id".into(), cid.clone().into());
                body.insert(
                    "name".into(),
                    format!(
                        "{} - {}",
                        parent
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("batch"),
                        group
                    )
                    .into(),
                );
                body.insert("status".into(), "QUEUED".into());
                for k in ["project", "app", "type"] {
                    if let Some(v) = parent.get(k) {
                        body.insert(k.into(), v.clone());
                    }
                }
                body.insert("created_by".into(), user.into());
                body.insert("executed_by".into(), user.into());
                body.insert("created_time".into(), start.clone().into());
                body.insert("start_time".into(), start.clone().into());
                body.insert("batch".into(), false.into());
                body.insert("parent".into(), id.into());
                body.insert("batch_group".into(), json!({"value": group, "fields": {}}));
                if let Some(v) = opts
                    .interruptible
                    .map(Value::Bool)
                    .or_else(|| parent.get("use_interruptible_instances").cloned())
                {
                    body.insert("use_interruptible_instances".into(), v);
                }
                body.insert("inputs".into(), inputs);
                body.insert(
                    "outputs".into(),
                    parent.get("outputs").cloned().unwrap_or_else(|| json!({})),
                );
                let mut child = TaskRecord::new(body, 0);
                let idx = u32::try_from(i).unwrap_or(u32::MAX);
                child.run = Some(self.new_run(now, steps, idx));
                child.outcome = self.tasks.get(id).and_then(|r| r.outcome);
                children.push(cid.clone());
                self.insert_record(cid, child);
            }
        }
        let run = self.new_run(now, steps, 0);
        let rec = self
            .tasks
            .get_mut(id)
            .ok_or_else(ApiError::not_found_task)?;
        if let Some(i) = opts.interruptible {
            rec.set("use_interruptible_instances", i.into());
        }
        if is_batch && !batch {
            rec.set("batch", false.into());
        }
        rec.set("status", "QUEUED".into());
        rec.set("executed_by", user.into());
        rec.set("start_time", start.into());
        rec.body.shift_remove("end_time");
        rec.run = Some(run);
        rec.children = children;
        self.refresh(id, now);
        Ok(())
    }

    /// `POST /v2/tasks/{id}/actions/abort`.
    pub(crate) fn abort(&mut self, id: &str, now: Instant) -> Result<(), ApiError> {
        self.refresh(id, now);
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        if !matches!(rec.status(), "QUEUED" | "RUNNING") {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::ONLY_RUNNING,
                "This action is only available for RUNNING tasks.",
            ));
        }
        let children = rec.children.clone();
        let end_time = self.ctx.wall(now);
        for cid in std::iter::once(id.to_owned()).chain(children.iter().cloned()) {
            let Some(rec) = self.tasks.get_mut(&cid) else {
                continue;
            };
            let is_parent = !rec.children.is_empty();
            match rec.run.as_mut() {
                Some(run) if run.ended.is_none() => {
                    run.aborted = true;
                    if is_parent {
                        continue; // recomputed from the children below
                    }
                    run.ended = Some(now);
                    let es = exec_status(run, now, "Aborted", false);
                    let cents = cents_of(run.steps_completed);
                    rec.set("status", "ABORTED".into());
                    rec.set("execution_status", es);
                    rec.set("end_time", end_time.clone().into());
                    rec.set("price", price(cents));
                }
                Some(_) => {}
                None => {
                    // A static snapshot (seeded RUNNING example).
                    rec.set("status", "ABORTED".into());
                    rec.set("end_time", end_time.clone().into());
                }
            }
        }
        self.refresh(id, now);
        Ok(())
    }
}
