//! The tasks and their lifecycle. Pure state: the HTTP layer calls in with the time.
//!
//! Cut by concern: `fields` (selection and rendering), `validation` (a draft's `errors`),
//! `pricing`, `lifecycle` (schedules, phases, batch parents), `actions` (run, abort), `drafts`
//! (create, clone), `modify` (modify, inputs, delete), `listing`, `details` (execution
//! details) and `seed` (the documentation's examples). This file holds the records and the store's plain accessors.

mod actions;
mod details;
mod drafts;
mod fields;
mod fleet;
mod lifecycle;
mod listing;
mod modify;
mod pricing;
mod seed;
mod validation;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::api_error::ApiError;
use crate::config::{Outcome, RunPlan, Schedule};
use lifecycle::RunState;

pub(crate) use actions::RunOpts;
pub(crate) use drafts::{CloneOpts, DraftAction};
pub(crate) use fields::Fields;
pub(crate) use listing::{whole_seconds, ListQuery, ORDER_BY};

/// A copy made by `POST /v2/tasks/{id}/actions/clone`, as
/// [`MockPlatform::copies`](crate::MockPlatform::copies) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskCopy {
    /// The id of the task it is a copy of.
    pub original: String,
    /// The copy's id.
    pub id: String,
    /// Its status now, or `DELETED` if it was deleted (as a DRAFT).
    pub status: String,
    /// Was it run (it is no longer a DRAFT)?
    pub ran: bool,
}

struct TaskRecord {
    body: Map<String, Value>,
    /// Verbatim answer (seeded examples) while the task is unchanged.
    raw: Option<Bytes>,
    /// Serialized `body`, dropped on every change.
    cache: Option<Bytes>,
    /// Served instead of everything else when malformed examples are on.
    malformed: Option<Bytes>,
    run: Option<RunState>,
    outcome: Option<Outcome>,
    children: Vec<String>,
    /// The original this task is a copy (clone) of.
    copy_of: Option<String>,
    /// With a listing lag: the task as listings see it, from the instant each version was
    /// noticed (`None`: since before the lag was switched on), oldest first.
    listed: VecDeque<(Option<Instant>, Map<String, Value>)>,
    seq: u64,
}

impl TaskRecord {
    fn new(body: Map<String, Value>, seq: u64) -> Self {
        TaskRecord {
            body,
            raw: None,
            cache: None,
            malformed: None,
            run: None,
            outcome: None,
            children: Vec::new(),
            copy_of: None,
            listed: VecDeque::new(),
            seq,
        }
    }

    fn status(&self) -> &str {
        self.body
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn changed(&mut self) {
        self.raw = None;
        self.cache = None;
        self.malformed = None;
    }

    fn set(&mut self, key: &str, value: Value) {
        lifecycle::put(&mut self.body, key, value);
        self.changed();
    }

    fn name(&self) -> &str {
        self.body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

pub(crate) struct StoreConfig {
    pub(crate) schedule: Schedule,
    pub(crate) steps_total: u64,
    pub(crate) known_files: Option<BTreeSet<String>>,
    /// e.g. `http://127.0.0.1:8080/v2`
    pub(crate) base_url: String,
    pub(crate) serve_malformed: bool,
    pub(crate) base_instant: Instant,
    pub(crate) base_wall: OffsetDateTime,
    /// How long after a change listings show it (see `listing`).
    pub(crate) listing_lag: Duration,
}

struct Ctx {
    cfg: StoreConfig,
}

impl Ctx {
    fn wall(&self, at: Instant) -> String {
        let t = self.cfg.base_wall + at.saturating_duration_since(self.cfg.base_instant);
        let t = t.replace_nanosecond(0).unwrap_or(t);
        t.format(&Rfc3339).unwrap_or_default()
    }

    fn href(&self, id: &str) -> String {
        format!("{}/tasks/{}", self.cfg.base_url, id)
    }
}

/// All tasks.
pub(crate) struct Store {
    ctx: Ctx,
    tasks: HashMap<String, TaskRecord>,
    /// Each project's task ids in the order they were made (a task's project never changes):
    /// what a listing by `project=` reads, so that it costs that project's tasks, not the
    /// store's.
    by_project: HashMap<String, Vec<String>>,
    next_seq: u64,
    fleets: Vec<crate::fleet::Fleet>,
    /// Copies deleted (as DRAFTs), with the `seq` they had: `copies` still counts them.
    deleted_copies: Vec<(u64, TaskCopy)>,
}

/// Is `s` a UUID in its hyphenated form?
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

impl Store {
    pub(crate) fn new(cfg: StoreConfig) -> Self {
        Store {
            ctx: Ctx { cfg },
            tasks: HashMap::new(),
            by_project: HashMap::new(),
            next_seq: 0,
            fleets: Vec::new(),
            deleted_copies: Vec::new(),
        }
    }

    fn insert_record(&mut self, id: String, mut rec: TaskRecord) {
        rec.seq = self.next_seq;
        self.next_seq += 1;
        // The same id inserted again replaces the task: it is listed once, under its new
        // project.
        if let Some(old) = self.tasks.remove(&id) {
            self.unindex(&id, &old);
        }
        if let Some(p) = rec.body.get("project").and_then(Value::as_str) {
            self.by_project
                .entry(p.to_owned())
                .or_default()
                .push(id.clone());
        }
        self.tasks.insert(id, rec);
    }

    /// Forget `id` (whose record was `rec`) in the project index.
    fn unindex(&mut self, id: &str, rec: &TaskRecord) {
        if let Some(p) = rec.body.get("project").and_then(Value::as_str) {
            if let Some(ids) = self.by_project.get_mut(p) {
                ids.retain(|i| i != id);
                if ids.is_empty() {
                    self.by_project.remove(p);
                }
            }
        }
    }

    /// The ids of `project`'s tasks, in the order they were made.
    pub(crate) fn project_ids(&self, project: &str) -> &[String] {
        self.by_project.get(project).map_or(&[], Vec::as_slice)
    }

    /// Insert a task given as JSON, its `href` the store's; returns its id (made up when
    /// missing). With a plan, it is a run started at the instant given that follows the plan.
    pub(crate) fn insert(
        &mut self,
        task: Value,
        plan: Option<(RunPlan, Instant)>,
    ) -> Result<String, String> {
        let Value::Object(mut body) = task else {
            return Err("a task must be a JSON object".into());
        };
        let id = match body.get("id") {
            None => {
                let id = new_id();
                body.insert("id".into(), Value::String(id.clone()));
                id
            }
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err("`id` must be a non-empty string".into()),
        };
        body.insert("href".into(), Value::String(self.ctx.href(&id)));
        if let Some((_, started)) = plan {
            // A run has begun: its times, unless given (as fleet tasks get them).
            let start = self.ctx.wall(started);
            for k in ["created_time", "start_time"] {
                if !body.contains_key(k) {
                    body.insert(k.into(), start.clone().into());
                }
            }
        }
        let mut rec = TaskRecord::new(body, 0);
        if let Some((plan, started)) = plan {
            let mut run = self.new_run(started, self.steps_of(&rec.body), 0);
            run.plan = Some((plan.running_after, plan.ends_after.unwrap_or(Duration::MAX)));
            rec.run = Some(run);
            rec.outcome = Some(plan.outcome);
        }
        self.insert_record(id.clone(), rec);
        if let Some((_, started)) = plan {
            self.refresh(&id, started);
        }
        Ok(id)
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.tasks.contains_key(id)
    }

    pub(crate) fn ids(&self) -> Vec<String> {
        self.ids_where(|_| true)
    }

    /// The ids of the tasks `keep` accepts, in the order they were made.
    fn ids_where(&self, keep: impl Fn(&TaskRecord) -> bool) -> Vec<String> {
        let mut v: Vec<(&String, u64)> = self
            .tasks
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(k, r)| (k, r.seq))
            .collect();
        v.sort_by_key(|(_, s)| *s);
        v.into_iter().map(|(k, _)| k.clone()).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// The body as it is now (wall-time schedules are brought up to date, polls not counted).
    pub(crate) fn snapshot(&mut self, id: &str, now: Instant) -> Option<Value> {
        self.refresh(id, now);
        self.tasks.get(id).map(|r| Value::Object(r.body.clone()))
    }

    /// Every copy made by `clone`, in the order they were made, with its status at `now`
    /// (`DELETED` for a copy deleted as a DRAFT).
    pub(crate) fn copies(&mut self, now: Instant) -> Vec<TaskCopy> {
        let ids: Vec<String> = self
            .ids()
            .into_iter()
            .filter(|id| self.tasks.get(id).is_some_and(|r| r.copy_of.is_some()))
            .collect();
        let mut out: Vec<(u64, TaskCopy)> = ids
            .into_iter()
            .filter_map(|id| {
                self.refresh(&id, now);
                let r = self.tasks.get(&id)?;
                Some((
                    r.seq,
                    TaskCopy {
                        original: r.copy_of.clone()?,
                        status: r.status().to_owned(),
                        ran: r.status() != "DRAFT",
                        id,
                    },
                ))
            })
            .collect();
        out.extend(self.deleted_copies.iter().cloned());
        out.sort_by_key(|(seq, _)| *seq);
        out.into_iter().map(|(_, c)| c).collect()
    }

    /// `GET /v2/tasks/{id}`: counts a poll, then answers.
    pub(crate) fn get(
        &mut self,
        id: &str,
        fields: &Fields,
        now: Instant,
    ) -> Result<Bytes, ApiError> {
        if !self.tasks.contains_key(id) {
            return Err(ApiError::not_found_task());
        }
        self.count_polls(id, 1);
        self.refresh(id, now);
        let rec = self
            .tasks
            .get_mut(id)
            .ok_or_else(ApiError::not_found_task)?;
        Ok(rec.render(fields))
    }

    /// Answer for a task without counting a poll.
    pub(crate) fn view(
        &mut self,
        id: &str,
        fields: &Fields,
        now: Instant,
    ) -> Result<Bytes, ApiError> {
        self.refresh(id, now);
        let rec = self
            .tasks
            .get_mut(id)
            .ok_or_else(ApiError::not_found_task)?;
        Ok(rec.render(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;

    #[test]
    fn uuid_form_is_strict() {
        assert!(is_uuid(examples::GET_TASK_ID));
        assert!(!is_uuid("f586a3fbc9e44415b22b648a66969a37"));
        assert!(!is_uuid("not-a-uuid"));
    }
}
