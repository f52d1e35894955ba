//! The tasks and their lifecycle. Pure state: the HTTP layer calls in with the time.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::api_error::{codes, ApiError};
use crate::config::{Outcome, Schedule};
use crate::examples;

/// Statuses a `status` filter may name.
const STATUSES: &[&str] = &[
    "DRAFT",
    "CREATING",
    "QUEUED",
    "RUNNING",
    "ABORTING",
    "COMPLETED",
    "ABORTED",
    "FAILED",
];

const SCHEMA_MESSAGE: &str = "Value for this input does not match the expected type.";

struct RunState {
    started: Instant,
    polls: u32,
    finish_polls: u32,
    finish_after: Duration,
    running_since: Option<Instant>,
    ended: Option<Instant>,
    steps_total: u64,
    steps_completed: u64,
    aborted: bool,
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
        self.body.insert(key.to_owned(), value);
        self.changed();
    }

    fn name(&self) -> &str {
        self.body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Which fields of a task an answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fields {
    All,
    Only(Vec<String>),
}

impl Fields {
    pub(crate) fn parse(s: Option<&str>) -> Fields {
        match s {
            None => Fields::All,
            Some(s) => {
                let list: Vec<String> = s
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect();
                if list.is_empty() || list.iter().any(|f| f == "_all") {
                    Fields::All
                } else {
                    Fields::Only(list)
                }
            }
        }
    }

    fn filter(&self, body: &Map<String, Value>) -> Map<String, Value> {
        match self {
            Fields::All => body.clone(),
            Fields::Only(list) => body
                .iter()
                .filter(|(k, _)| list.iter().any(|f| f == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// Options of run (and of clone with `action=run`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunOpts {
    pub(crate) batch: Option<bool>,
    pub(crate) interruptible: Option<bool>,
}

/// Options of clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct CloneOpts {
    pub(crate) action: Option<String>,
    pub(crate) batch: Option<bool>,
    pub(crate) interruptible: Option<bool>,
}

/// Filters and paging of a list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub(crate) project: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) parent: Option<String>,
    /// (field, from, to)
    pub(crate) ranges: Vec<(&'static str, Option<String>, Option<String>)>,
    pub(crate) order_by: Option<String>,
    pub(crate) desc: bool,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    pub(crate) fields: Option<Fields>,
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
    next_seq: u64,
}

enum Phase {
    Queued,
    Running(u64),
    Done,
}

/// Is `s` a UUID in its hyphenated form?
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn price(cents: u64) -> Value {
    json!({
        "currency": "USD",
        "amount": money(cents),
        "breakdown": {
            "storage": "0.00",
            "computation": money(cents),
            "data_transfer": "0.00",
        }
    })
}

fn cents_of(run: &RunState) -> u64 {
    2 + 7 * run.steps_completed
}

fn phase_of(schedule: Schedule, run: &RunState, now: Instant) -> Phase {
    let s = run.steps_total;
    match schedule {
        Schedule::Polls(_) => {
            let (p, n) = (run.polls, run.finish_polls);
            if p >= n {
                Phase::Done
            } else if p == 0 {
                Phase::Queued
            } else {
                Phase::Running(u64::from(p) * s / u64::from(n))
            }
        }
        Schedule::WallTime(_) => {
            let d = run.finish_after;
            let e = now.saturating_duration_since(run.started);
            let q = d / 4;
            if e >= d {
                Phase::Done
            } else if e < q {
                Phase::Queued
            } else {
                let span = (d - q).as_nanos().max(1);
                let done = (e - q).as_nanos() * u128::from(s) / span;
                Phase::Running(u64::try_from(done).unwrap_or(s))
            }
        }
    }
}

fn exec_status(run: &RunState, now: Instant, message: &str, instance_init: bool) -> Value {
    let end = run.ended.unwrap_or(now);
    let duration = end.saturating_duration_since(run.started);
    let queued = run
        .running_since
        .unwrap_or(end)
        .saturating_duration_since(run.started);
    let running = run
        .running_since
        .map(|r| end.saturating_duration_since(r))
        .unwrap_or_default();
    json!({
        "steps_completed": run.steps_completed,
        "steps_total": run.steps_total,
        "message": message,
        "system_limit": false,
        "account_limit": false,
        "instance_init": instance_init,
        "duration": ms(duration),
        "queued_duration": ms(queued),
        "running_duration": ms(running),
        "execution_duration": ms(running),
    })
}

fn default_outcome(name: &str) -> Outcome {
    if name.to_ascii_lowercase().contains("fail") {
        Outcome::Failed
    } else {
        Outcome::Completed
    }
}

/// Fill the outputs of a completed task: every port without a value gets a file.
fn fill_outputs(body: &mut Map<String, Value>) {
    if let Some(Value::Object(outputs)) = body.get_mut("outputs") {
        for (port, v) in outputs.iter_mut() {
            let empty = v.is_null() || v.as_object().is_some_and(Map::is_empty);
            if empty {
                let path: String = uuid::Uuid::new_v4().simple().to_string()[..24].to_owned();
                *v = json!({"class": "File", "path": path, "name": format!("{port}.out")});
            }
        }
    }
}

/// Validation problems of `inputs` (the platform's `errors` entries).
pub(crate) fn validate(inputs: Option<&Value>, known: Option<&BTreeSet<String>>) -> Vec<Value> {
    fn walk(
        v: &Value,
        known: Option<&BTreeSet<String>>,
        secondary: bool,
        found: &mut Vec<&'static str>,
    ) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, known, secondary, found)),
            Value::Object(o) => {
                let class = o.get("class").and_then(Value::as_str);
                if matches!(class, Some("File" | "Directory")) {
                    match o.get("path").and_then(Value::as_str) {
                        Some(p) if !p.is_empty() => {
                            if known.is_some_and(|k| !k.contains(p)) {
                                found.push(if secondary {
                                    "secondary_files_missing"
                                } else {
                                    "files_missing"
                                });
                            }
                        }
                        _ => found.push("schema"),
                    }
                    if let Some(sf) = o.get("secondaryFiles") {
                        walk(sf, known, true, found);
                    }
                } else if class.is_none() {
                    o.values().for_each(|i| walk(i, known, secondary, found));
                }
            }
            _ => {}
        }
    }
    let Some(Value::Object(inputs)) = inputs else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (id, v) in inputs {
        let mut found = Vec::new();
        walk(v, known, false, &mut found);
        let mut seen = Vec::new();
        for kind in found {
            if seen.contains(&kind) {
                continue;
            }
            seen.push(kind);
            let message = match kind {
                "schema" => SCHEMA_MESSAGE,
                "files_missing" => "Some of the files for this input do not exist.",
                _ => "Secondary files for this input are missing.",
            };
            errors.push(json!({
                "type": format!("error/task_validation/input/{kind}"),
                "message": message,
                "input_id": id,
            }));
        }
    }
    errors
}

fn parse_bool(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

impl Store {
    pub(crate) fn new(cfg: StoreConfig) -> Self {
        Store {
            ctx: Ctx { cfg },
            tasks: HashMap::new(),
            next_seq: 0,
        }
    }

    fn insert_record(&mut self, id: String, mut rec: TaskRecord) {
        rec.seq = self.next_seq;
        self.next_seq += 1;
        self.tasks.insert(id, rec);
    }

    /// Seed the documentation's examples.
    pub(crate) fn seed_examples(&mut self) {
        let obj = |bytes: &[u8]| -> Map<String, Value> {
            serde_json::from_slice::<Map<String, Value>>(bytes).unwrap_or_default()
        };
        // f586a3fb: verbatim, COMPLETED.
        let mut rec = TaskRecord::new(obj(examples::GET_TASK), 0);
        rec.raw = Some(Bytes::from_static(examples::GET_TASK));
        self.insert_record(examples::GET_TASK_ID.to_owned(), rec);
        // 08c5ce64: the same bytes with the id rewritten (it is in `href` and `id`).
        let text = String::from_utf8_lossy(examples::GET_TASK)
            .replace(examples::GET_TASK_ID, examples::GET_TASK_REQUEST_ID);
        let mut rec = TaskRecord::new(obj(text.as_bytes()), 0);
        rec.raw = Some(Bytes::from(text));
        self.insert_record(examples::GET_TASK_REQUEST_ID.to_owned(), rec);
        // 234edb2d: verbatim RUNNING snapshot.
        let mut rec = TaskRecord::new(obj(examples::RUN_TASK), 0);
        rec.raw = Some(Bytes::from_static(examples::RUN_TASK));
        self.insert_record(examples::RUN_TASK_ID.to_owned(), rec);
        // 79ef6004: verbatim DRAFT (the rerun answer).
        let mut rec = TaskRecord::new(obj(examples::RERUN_TASK), 0);
        rec.raw = Some(Bytes::from_static(examples::RERUN_TASK));
        self.insert_record(examples::RERUN_TASK_ID.to_owned(), rec);
        // b0bbeda6: a DRAFT made from the run example.
        let mut body = obj(examples::RUN_TASK);
        let href = body
            .get("href")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace(examples::RUN_TASK_ID, examples::RUN_TASK_REQUEST_ID);
        body.insert("href".into(), Value::String(href));
        body.insert("id".into(), examples::RUN_TASK_REQUEST_ID.into());
        body.insert("status".into(), "DRAFT".into());
        for k in ["executed_by", "start_time", "execution_status"] {
            body.shift_remove(k);
        }
        body.insert("errors".into(), json!([]));
        body.insert("warnings".into(), json!([]));
        self.insert_record(
            examples::RUN_TASK_REQUEST_ID.to_owned(),
            TaskRecord::new(body, 0),
        );
        // a547a1c4: the batch example, repaired; verbatim when asked.
        if let Value::Object(body) = examples::batch_example_repaired() {
            let mut rec = TaskRecord::new(body, 0);
            if self.ctx.cfg.serve_malformed {
                rec.malformed = Some(Bytes::from_static(examples::GET_TASK_BATCH_MALFORMED));
            }
            self.insert_record(examples::BATCH_TASK_ID.to_owned(), rec);
        }
        // A draft that cannot run: its errors are the fragment's, and its inputs produce them.
        let id = examples::INVALID_DRAFT_ID;
        let body = json!({
            "href": self.ctx.href(id),
            "id": id,
            "name": "draft with validation errors",
            "status": "DRAFT",
            "project": "RFranklin/my-project",
            "app": "RFranklin/my-project/snpeff/1",
            "type": "v2",
            "created_by": "RFranklin",
            "batch": false,
            "use_interruptible_instances": false,
            "errors": examples::validation_errors(),
            "warnings": [],
            "inputs": {
                "FASTQ": {"class": "File"},
                "SnpEff_Database": {"class": "File"},
                "Reference": {"class": "File"},
            },
            "outputs": {"annotated": null},
        });
        if let Value::Object(body) = body {
            self.insert_record(id.to_owned(), TaskRecord::new(body, 0));
        }
    }

    /// Insert a task given as JSON; returns its id (made up when missing).
    pub(crate) fn insert(&mut self, task: Value) -> Result<String, String> {
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
        if !body.contains_key("href") {
            body.insert("href".into(), Value::String(self.ctx.href(&id)));
        }
        self.insert_record(id.clone(), TaskRecord::new(body, 0));
        Ok(id)
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.tasks.contains_key(id)
    }

    pub(crate) fn ids(&self) -> Vec<String> {
        let mut v: Vec<(&String, u64)> = self.tasks.iter().map(|(k, r)| (k, r.seq)).collect();
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

    pub(crate) fn set_outcome(&mut self, id: &str, outcome: Outcome) -> bool {
        let Some(rec) = self.tasks.get_mut(id) else {
            return false;
        };
        rec.outcome = Some(outcome);
        let children = rec.children.clone();
        for c in children {
            if let Some(rec) = self.tasks.get_mut(&c) {
                rec.outcome = Some(outcome);
            }
        }
        true
    }

    /// Count `polls` polls of a task (and of its children) without a request.
    pub(crate) fn advance(&mut self, id: &str, polls: u32, now: Instant) -> bool {
        if !self.tasks.contains_key(id) {
            return false;
        }
        self.count_polls(id, polls);
        self.refresh(id, now);
        true
    }

    fn count_polls(&mut self, id: &str, polls: u32) {
        let Some(rec) = self.tasks.get(id) else {
            return;
        };
        let ids: Vec<String> = std::iter::once(id.to_owned())
            .chain(rec.children.iter().cloned())
            .collect();
        for i in ids {
            if let Some(run) = self.tasks.get_mut(&i).and_then(|r| r.run.as_mut()) {
                if run.ended.is_none() {
                    run.polls = run.polls.saturating_add(polls);
                }
            }
        }
    }

    /// Bring a task (and its children) up to date.
    fn refresh(&mut self, id: &str, now: Instant) {
        let Some(rec) = self.tasks.get(id) else {
            return;
        };
        if rec.children.is_empty() {
            if let Some(rec) = self.tasks.get_mut(id) {
                Self::apply_single(&self.ctx, rec, now);
            }
            return;
        }
        let children = rec.children.clone();
        let mut counts = [0u64; 5]; // queued, running, completed, failed, aborted
        let mut cents = 0;
        let mut all_done = true;
        for c in &children {
            if let Some(child) = self.tasks.get_mut(c) {
                Self::apply_single(&self.ctx, child, now);
                let i = match child.status() {
                    "QUEUED" => 0,
                    "RUNNING" => 1,
                    "COMPLETED" => 2,
                    "FAILED" => 3,
                    _ => 4,
                };
                counts[i] += 1;
                if let Some(run) = &child.run {
                    all_done &= run.ended.is_some();
                    cents += cents_of(run);
                }
            }
        }
        if let Some(rec) = self.tasks.get_mut(id) {
            Self::apply_parent(&self.ctx, rec, now, counts, all_done, cents);
        }
    }

    fn apply_parent(
        ctx: &Ctx,
        rec: &mut TaskRecord,
        now: Instant,
        c: [u64; 5],
        all_done: bool,
        cents: u64,
    ) {
        let Some(run) = rec.run.as_mut() else {
            return;
        };
        if run.ended.is_some() {
            return;
        }
        let status = if run.aborted {
            "ABORTED"
        } else if all_done {
            if c[3] > 0 {
                "FAILED"
            } else if c[2] == 0 && c[4] > 0 {
                "ABORTED"
            } else {
                "COMPLETED"
            }
        } else if c[1] > 0 || c[2] + c[3] + c[4] > 0 {
            "RUNNING"
        } else {
            "QUEUED"
        };
        if status == "RUNNING" && run.running_since.is_none() {
            run.running_since = Some(now);
        }
        let terminal = matches!(status, "COMPLETED" | "FAILED" | "ABORTED");
        if terminal && run.ended.is_none() {
            run.ended = Some(now);
        }
        let end = run.ended.unwrap_or(now);
        let duration = ms(end.saturating_duration_since(run.started));
        let queued = ms(run
            .running_since
            .unwrap_or(end)
            .saturating_duration_since(run.started));
        let running = run
            .running_since
            .map(|r| ms(end.saturating_duration_since(r)))
            .unwrap_or(0);
        let message = match status {
            "QUEUED" => "Batch tasks list initialization.",
            "RUNNING" => "Running",
            "COMPLETED" => "Completed",
            "FAILED" => "Failed",
            _ => "Aborted",
        };
        let es = json!({
            "duration": duration,
            "running_duration": running,
            "queued_duration": queued,
            "message": message,
            "queued": c[0],
            "running": c[1],
            "completed": c[2],
            "failed": c[3],
            "aborted": c[4],
            "execution_duration": running,
            "system_limit": false,
            "account_limit": false,
        });
        let end_time = run.ended.map(|e| ctx.wall(e));
        rec.set("status", status.into());
        rec.set("execution_status", es);
        if let Some(t) = end_time {
            rec.set("end_time", t.into());
            rec.set("price", price(cents));
        }
    }

    fn apply_single(ctx: &Ctx, rec: &mut TaskRecord, now: Instant) {
        let schedule = ctx.cfg.schedule;
        let default = default_outcome(rec.name());
        let outcome = rec.outcome.unwrap_or(default);
        let Some(run) = rec.run.as_mut() else {
            return;
        };
        if run.ended.is_some() {
            return;
        }
        let (status, message, init) = match phase_of(schedule, run, now) {
            Phase::Queued => ("QUEUED", "In queue", true),
            Phase::Running(steps) => {
                if run.running_since.is_none() {
                    run.running_since = Some(now);
                }
                run.steps_completed = steps.min(run.steps_total.saturating_sub(1));
                ("RUNNING", "Running", false)
            }
            Phase::Done => {
                if run.running_since.is_none() {
                    run.running_since = Some(now);
                }
                run.ended = Some(now);
                match outcome {
                    Outcome::Completed => {
                        run.steps_completed = run.steps_total;
                        ("COMPLETED", "Completed", false)
                    }
                    Outcome::Failed => {
                        run.steps_completed = run.steps_total / 2;
                        ("FAILED", "Failed", false)
                    }
                    Outcome::Aborted => ("ABORTED", "Aborted", false),
                }
            }
        };
        let es = exec_status(run, now, message, init);
        let ended = run.ended.map(|e| (ctx.wall(e), cents_of(run)));
        rec.set("status", status.into());
        rec.set("execution_status", es);
        if let Some((end_time, cents)) = ended {
            rec.set("end_time", end_time.into());
            rec.set("price", price(cents));
            if status == "COMPLETED" {
                fill_outputs(&mut rec.body);
            }
        }
    }

    fn render(rec: &mut TaskRecord, fields: &Fields) -> Bytes {
        if let Some(m) = &rec.malformed {
            return m.clone();
        }
        if *fields == Fields::All {
            if let Some(raw) = &rec.raw {
                return raw.clone();
            }
            if let Some(c) = &rec.cache {
                return c.clone();
            }
            let b = Bytes::from(serde_json::to_vec(&rec.body).unwrap_or_default());
            rec.cache = Some(b.clone());
            return b;
        }
        Bytes::from(serde_json::to_vec(&fields.filter(&rec.body)).unwrap_or_default())
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
        Ok(Self::render(rec, fields))
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
        Ok(Self::render(rec, fields))
    }

    fn new_run(&self, started: Instant, steps_total: u64, index: u32) -> RunState {
        let (finish_polls, finish_after) = match self.ctx.cfg.schedule {
            Schedule::Polls(n) => (n.saturating_add(index), Duration::ZERO),
            Schedule::WallTime(d) => (0, d + d / 4 * index),
        };
        RunState {
            started,
            polls: 0,
            finish_polls,
            finish_after,
            running_since: None,
            ended: None,
            steps_total,
            steps_completed: 0,
            aborted: false,
        }
    }

    fn steps_of(&self, body: &Map<String, Value>) -> u64 {
        body.get("execution_status")
            .and_then(|e| e.get("steps_total"))
            .and_then(Value::as_u64)
            .filter(|s| *s > 0)
            .unwrap_or(self.ctx.cfg.steps_total)
    }

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

    /// `POST /v2/tasks/{id}/actions/clone`: returns the new id.
    pub(crate) fn clone_task(
        &mut self,
        id: &str,
        opts: &CloneOpts,
        user: &str,
        now: Instant,
    ) -> Result<String, ApiError> {
        let run_it = match opts.action.as_deref() {
            None => false,
            Some("run") => true,
            Some("") => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::EMPTY_ACTION,
                    "Action parameter must not be null or an empty string.",
                ))
            }
            Some(_) => return Err(invalid_action()),
        };
        let src = &self
            .tasks
            .get(id)
            .ok_or_else(ApiError::not_found_task)?
            .body;
        let mut draft = Map::new();
        for k in [
            "name",
            "description",
            "project",
            "app",
            "type",
            "batch",
            "batch_input",
            "batch_by",
            "use_interruptible_instances",
            "execution_settings",
            "output_location",
            "inputs",
        ] {
            if let Some(v) = src.get(k) {
                draft.insert(k.to_owned(), v.clone());
            }
        }
        let outputs: Map<String, Value> = src
            .get("outputs")
            .and_then(Value::as_object)
            .map(|o| o.keys().map(|k| (k.clone(), json!({}))).collect())
            .unwrap_or_default();
        draft.insert("outputs".into(), Value::Object(outputs));
        if opts.batch == Some(false) {
            draft.insert("batch".into(), false.into());
            draft.shift_remove("batch_input");
            draft.shift_remove("batch_by");
        }
        if let Some(i) = opts.interruptible {
            draft.insert("use_interruptible_instances".into(), i.into());
        }
        let new = self.add_draft(draft, user, now);
        if run_it {
            self.run(&new, RunOpts::default(), user, now)?;
        }
        Ok(new)
    }

    /// Make a DRAFT from the given members (validation errors computed); returns its id.
    fn add_draft(&mut self, src: Map<String, Value>, user: &str, now: Instant) -> String {
        let id = new_id();
        let errors = validate(src.get("inputs"), self.ctx.cfg.known_files.as_ref());
        let get = |k: &str| src.get(k).cloned();
        let mut body = Map::new();
        body.insert("href".into(), self.ctx.href(&id).into());
        body.insert("id".into(), id.clone().into());
        if let Some(v) = get("name") {
            body.insert("name".into(), v);
        }
        if let Some(v) = get("description") {
            body.insert("description".into(), v);
        }
        body.insert("status".into(), "DRAFT".into());
        for k in ["project", "app"] {
            if let Some(v) = get(k) {
                body.insert(k.into(), v);
            }
        }
        body.insert("type".into(), get("type").unwrap_or_else(|| "v2".into()));
        body.insert("created_by".into(), user.into());
        body.insert("created_time".into(), self.ctx.wall(now).into());
        let batch = get("batch")
            .and_then(|b| b.as_bool())
            .unwrap_or_else(|| src.contains_key("batch_input"));
        body.insert("batch".into(), batch.into());
        for k in ["batch_input", "batch_by"] {
            if let Some(v) = get(k) {
                body.insert(k.into(), v);
            }
        }
        body.insert(
            "use_interruptible_instances".into(),
            get("use_interruptible_instances").unwrap_or(Value::Bool(false)),
        );
        for k in ["execution_settings", "output_location"] {
            if let Some(v) = get(k) {
                body.insert(k.into(), v);
            }
        }
        body.insert("errors".into(), Value::Array(errors));
        body.insert("warnings".into(), json!([]));
        body.insert("inputs".into(), get("inputs").unwrap_or_else(|| json!({})));
        body.insert(
            "outputs".into(),
            get("outputs").unwrap_or_else(|| json!({})),
        );
        self.insert_record(id.clone(), TaskRecord::new(body, 0));
        id
    }

    /// `POST /v2/tasks`: returns the new id.
    pub(crate) fn create(
        &mut self,
        req: &Value,
        action: Option<&str>,
        user: &str,
        now: Instant,
    ) -> Result<String, ApiError> {
        let run_it = match action {
            None => false,
            Some("run") => true,
            Some("") => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::EMPTY_ACTION,
                    "Action parameter must not be null or an empty string.",
                ))
            }
            Some(_) => return Err(invalid_action()),
        };
        let Value::Object(src) = req else {
            return Err(ApiError::bad_request(
                "The request body must be a JSON object.",
            ));
        };
        let app = src.get("app").and_then(Value::as_str).unwrap_or_default();
        if app.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::EMPTY_APP,
                "App Id must not be null or an empty string.",
            ));
        }
        if src
            .get("project")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .is_empty()
        {
            return Err(ApiError::bad_request("Bad request: `project` is required."));
        }
        if src.get("inputs").is_some_and(|i| !i.is_object()) {
            return Err(ApiError::bad_request(
                "Bad request: `inputs` must be an object.",
            ));
        }
        let batch_err = |code, msg: &str| ApiError::new(StatusCode::BAD_REQUEST, code, msg);
        match (src.get("batch_input"), src.get("batch_by")) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => return Err(batch_err(
                codes::BATCH_FIELDS_TOGETHER,
                "Missing batch_by or batch_input fields. These fields must be included together.",
            )),
            (Some(input), Some(by)) => {
                let input = input.as_str().unwrap_or_default();
                let exists = src.get("inputs").and_then(|i| i.get(input)).is_some();
                if input.is_empty() || !exists {
                    return Err(batch_err(
                        codes::BATCH_INPUT_INVALID,
                        "Batch input property should reference input identifier or omitted. Empty value is not allowed.",
                    ));
                }
                let kind = by
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                match kind.as_str() {
                    "ITEM" => {}
                    "CRITERIA" => {
                        let has = by
                            .get("criteria")
                            .and_then(Value::as_array)
                            .is_some_and(|c| !c.is_empty());
                        if !has {
                            return Err(batch_err(
                                codes::BATCH_CRITERIA_MISSING,
                                "Missing batch criteria.",
                            ));
                        }
                    }
                    _ => {
                        return Err(batch_err(
                            codes::BATCH_TYPE_INVALID,
                            "Invalid batch type supplied. Allowed values: [criteria, item].",
                        ))
                    }
                }
            }
        }
        let mut draft = src.clone();
        if !draft.contains_key("name") {
            let short = app.rsplit('/').nth(1).unwrap_or(app);
            draft.insert(
                "name".into(),
                format!("{short} run - {}", self.ctx.wall(now)).into(),
            );
        }
        draft.shift_remove("type");
        let id = self.add_draft(draft, user, now);
        let has_errors = self
            .tasks
            .get(&id)
            .and_then(|r| r.body.get("errors"))
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty());
        if run_it && !has_errors {
            self.run(&id, RunOpts::default(), user, now)?;
        }
        Ok(id)
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
                    let cents = cents_of(run);
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

    /// `GET /v2/tasks`: the page's items and the total matching.
    pub(crate) fn list(
        &mut self,
        q: &ListQuery,
        now: Instant,
    ) -> Result<(Vec<Value>, usize), ApiError> {
        if let Some(s) = &q.status {
            if !STATUSES.contains(&s.as_str()) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::INVALID_STATUS,
                    "Invalid task status. Allowed values: [QUEUED, DRAFT, RUNNING, COMPLETED, ABORTED, ABORTING, FAILED]",
                ));
            }
        }
        for id in self.ids() {
            self.refresh(&id, now);
        }
        let mut matching: Vec<&TaskRecord> = self
            .tasks
            .values()
            .filter(|r| {
                let s = |k: &str| r.body.get(k).and_then(Value::as_str);
                q.project.as_deref().is_none_or(|p| s("project") == Some(p))
                    && q.status.as_deref().is_none_or(|p| s("status") == Some(p))
                    && q.parent.as_deref().is_none_or(|p| s("parent") == Some(p))
                    && q.ranges.iter().all(|(field, from, to)| match s(field) {
                        None => false,
                        Some(v) => {
                            from.as_deref().is_none_or(|f| v >= f)
                                && to.as_deref().is_none_or(|t| v <= t)
                        }
                    })
            })
            .collect();
        let order_by = q.order_by.clone();
        matching.sort_by(|a, b| {
            let primary = match &order_by {
                Some(k) => {
                    let key = |r: &TaskRecord| {
                        r.body.get(k.as_str()).map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string())
                        })
                    };
                    key(a).cmp(&key(b))
                }
                None => std::cmp::Ordering::Equal,
            };
            primary.then(a.seq.cmp(&b.seq))
        });
        if q.desc {
            matching.reverse();
        }
        let total = matching.len();
        let items = matching
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|r| match &q.fields {
                Some(f) => Value::Object(f.filter(&r.body)),
                None => {
                    let mut m = Map::new();
                    for k in ["href", "id", "name"] {
                        if let Some(v) = r.body.get(k) {
                            m.insert(k.into(), v.clone());
                        }
                    }
                    Value::Object(m)
                }
            })
            .collect();
        Ok((items, total))
    }

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

fn invalid_action() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        codes::INVALID_ACTION,
        "Invalid task action.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_reproduces_the_documented_errors() {
        let inputs = json!({
            "FASTQ": {"class": "File"},
            "SnpEff_Database": {"class": "File"},
            "Reference": {"class": "File"},
        });
        assert_eq!(
            Value::Array(validate(Some(&inputs), None)),
            examples::validation_errors()
        );
        let known: BTreeSet<String> = ["a".to_owned()].into();
        let inputs = json!({"x": [{"class": "File", "path": "a", "secondaryFiles": [{"class": "File", "path": "b"}]}],
                            "y": {"class": "Directory", "path": "zz"}, "n": 3});
        let errs = validate(Some(&inputs), Some(&known));
        let types: Vec<&str> = errs
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            types,
            vec![
                "error/task_validation/input/secondary_files_missing",
                "error/task_validation/input/files_missing"
            ]
        );
    }

    #[test]
    fn uuid_form_is_strict() {
        assert!(is_uuid(examples::GET_TASK_ID));
        assert!(!is_uuid("f586a3fbc9e44415b22b648a66969a37"));
        assert!(!is_uuid("not-a-uuid"));
        assert_eq!(money(230), "2.30");
        assert_eq!(money(5), "0.05");
    }
}
