//! How a run advances: its schedule, its phases, and the parents of batch children.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::pricing::{cents_of, price};
use super::{Ctx, Store, TaskRecord};
use crate::config::{Outcome, Schedule};

/// Where a run is: its clock, its polls and its progress.
pub(super) struct RunState {
    pub(super) started: Instant,
    pub(super) polls: u32,
    pub(super) finish_polls: u32,
    pub(super) finish_after: Duration,
    pub(super) running_since: Option<Instant>,
    pub(super) ended: Option<Instant>,
    pub(super) steps_total: u64,
    pub(super) steps_completed: u64,
    pub(super) aborted: bool,
    /// A wall-time plan of its own (fleet tasks), whatever the server's schedule: RUNNING
    /// from `.0` after the start, ended at `.1`.
    pub(super) plan: Option<(Duration, Duration)>,
    /// Whether the task's `execution_status` is the one this run wrote (then it is updated in
    /// place).
    pub(super) wrote_status: bool,
}

enum Phase {
    Queued,
    Running(u64),
    Done,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// When a run's wall-time plan or schedule ends it (`None` for a poll-driven run, which ends
/// at the poll that finishes it): its `end_time`, however late the mock notices it.
fn scheduled_end(schedule: Schedule, run: &RunState) -> Option<Instant> {
    match (run.plan, schedule) {
        (Some((_, end_at)), _) => run.started.checked_add(end_at),
        (None, Schedule::WallTime(_)) => run.started.checked_add(run.finish_after),
        (None, Schedule::Polls(_)) => None,
    }
}

fn phase_of(schedule: Schedule, run: &RunState, now: Instant) -> Phase {
    let s = run.steps_total;
    if let Some((running_at, end_at)) = run.plan {
        let e = now.saturating_duration_since(run.started);
        return if e >= end_at {
            Phase::Done
        } else if e < running_at {
            Phase::Queued
        } else {
            let span = (end_at - running_at).as_nanos().max(1);
            let done = (e - running_at).as_nanos() * u128::from(s) / span;
            Phase::Running(u64::try_from(done).unwrap_or(s))
        };
    }
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

pub(super) fn exec_status(
    run: &RunState,
    now: Instant,
    message: &str,
    instance_init: bool,
) -> Value {
    let mut es = Map::new();
    write_exec_status(&mut es, run, now, message, instance_init);
    Value::Object(es)
}

/// Writes a run's `execution_status` members into `es`, in place: a member already there
/// keeps its place and its key (a read of a running task rewrites them all, so this is the
/// mock's hottest path: one pass over the members, no hashing, no allocation).
fn write_exec_status(
    es: &mut Map<String, Value>,
    run: &RunState,
    now: Instant,
    message: &str,
    instance_init: bool,
) {
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
    let members: [(&str, Value); 10] = [
        ("steps_completed", run.steps_completed.into()),
        ("steps_total", run.steps_total.into()),
        ("message", Value::Null),
        ("system_limit", false.into()),
        ("account_limit", false.into()),
        ("instance_init", instance_init.into()),
        ("duration", ms(duration).into()),
        ("queued_duration", ms(queued).into()),
        ("running_duration", ms(running).into()),
        ("execution_duration", ms(running).into()),
    ];
    let mut written = [false; 10];
    for (k, v) in es.iter_mut() {
        if let Some(i) = members.iter().position(|(name, _)| name == k) {
            written[i] = true;
            if i == 2 {
                if v.as_str() != Some(message) {
                    *v = message.into();
                }
            } else {
                *v = members[i].1.clone();
            }
        }
    }
    for (i, (name, value)) in members.into_iter().enumerate() {
        if !written[i] {
            let value = if i == 2 { message.into() } else { value };
            es.insert(name.to_owned(), value);
        }
    }
}

/// `map[key] = value`, allocating the key only when it is new (same order as `insert`).
pub(super) fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        Some(slot) => *slot = value,
        None => {
            map.insert(key.to_owned(), value);
        }
    }
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

impl Store {
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

    pub(super) fn count_polls(&mut self, id: &str, polls: u32) {
        let Some(rec) = self.tasks.get(id) else {
            return;
        };
        let add = |rec: Option<&mut TaskRecord>| {
            if let Some(run) = rec.and_then(|r| r.run.as_mut()) {
                if run.ended.is_none() {
                    run.polls = run.polls.saturating_add(polls);
                }
            }
        };
        if rec.children.is_empty() {
            // The common case, without copying ids.
            add(self.tasks.get_mut(id));
            return;
        }
        let ids: Vec<String> = std::iter::once(id.to_owned())
            .chain(rec.children.iter().cloned())
            .collect();
        for i in ids {
            add(self.tasks.get_mut(&i));
        }
    }

    /// Bring a task (and its children) up to date.
    pub(super) fn refresh(&mut self, id: &str, now: Instant) {
        let Some(rec) = self.tasks.get(id) else {
            return;
        };
        if rec.children.is_empty() {
            let lag = self.ctx.cfg.listing_lag;
            if let Some(rec) = self.tasks.get_mut(id) {
                Self::apply_single(&self.ctx, rec, now);
                rec.note_listed(lag, now);
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
                child.note_listed(self.ctx.cfg.listing_lag, now);
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
                    cents += cents_of(run.steps_completed);
                }
            }
        }
        if let Some(rec) = self.tasks.get_mut(id) {
            Self::apply_parent(&self.ctx, rec, now, counts, all_done, cents);
            rec.note_listed(self.ctx.cfg.listing_lag, now);
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
        // An ended run (most tasks of a long listing) costs nothing more.
        if rec.run.as_ref().is_none_or(|r| r.ended.is_some()) {
            return;
        }
        let outcome = rec.outcome.unwrap_or_else(|| default_outcome(rec.name()));
        let Some(run) = rec.run.as_mut() else {
            return;
        };
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
                run.ended = Some(scheduled_end(schedule, run).map_or(now, |e| e.min(now)));
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
        let ended = run
            .ended
            .map(|e| (ctx.wall(e), cents_of(run.steps_completed)));
        // Written in place once this run has written it (a seeded body's own is replaced
        // whole the first time, extra members and all).
        let fresh = !run.wrote_status;
        run.wrote_status = true;
        match rec.body.get_mut("execution_status") {
            Some(Value::Object(es)) if !fresh => write_exec_status(es, run, now, message, init),
            _ => {
                let es = exec_status(run, now, message, init);
                rec.body.insert("execution_status".to_owned(), es);
            }
        }
        if rec.status() != status {
            rec.set("status", status.into());
        }
        rec.changed();
        if let Some((end_time, cents)) = ended {
            rec.set("end_time", end_time.into());
            rec.set("price", price(cents));
            if status == "COMPLETED" {
                fill_outputs(&mut rec.body);
            }
        }
    }

    pub(super) fn new_run(&self, started: Instant, steps_total: u64, index: u32) -> RunState {
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
            plan: None,
            wrote_status: false,
        }
    }

    pub(super) fn steps_of(&self, body: &Map<String, Value>) -> u64 {
        body.get("execution_status")
            .and_then(|e| e.get("steps_total"))
            .and_then(Value::as_u64)
            .filter(|s| *s > 0)
            .unwrap_or(self.ctx.cfg.steps_total)
    }
}
