//! Making a fleet: many small tasks with a wall-time plan each.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::{Store, TaskRecord};
use crate::config::Outcome;
use crate::fleet::{Fleet, FleetSpec};
use crate::rng::SplitMix;

impl Store {
    /// Make the tasks of `spec` (and its batch parent), started at `now`.
    pub(crate) fn spawn_fleet(&mut self, spec: &FleetSpec, user: &str, now: Instant) -> Fleet {
        let index = self.fleets.len();
        let project = spec
            .project
            .clone()
            .unwrap_or_else(|| format!("fleet/fleet-{index}"));
        // Each fleet its own stream, so that two fleets with one seed do not share ids.
        let mut rng = SplitMix::new(spec.seed ^ (index as u64).wrapping_mul(0xA076_1D64_78BD_642F));
        let n = spec.count;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let failing = ((n as f64 * spec.fail_ratio).round() as usize).min(n);
        // A seeded partial shuffle picks exactly `failing` tasks.
        let mut order: Vec<u32> = (0..u32::try_from(n).unwrap_or(u32::MAX)).collect();
        for i in 0..failing {
            let left = (n - i) as u64;
            let j = i + usize::try_from(rng.next_u64() % left).unwrap_or(0);
            order.swap(i, j);
        }
        let mut fails = vec![false; n];
        for &i in &order[..failing] {
            fails[i as usize] = true;
        }
        drop(order);
        let start = self.ctx.wall(now);
        let parent_id = spec.batch_parent.then(|| rng.uuid());
        let steps = self.ctx.cfg.steps_total;
        let mut ids = Vec::with_capacity(n);
        for (i, fail) in fails.into_iter().enumerate() {
            let id = rng.uuid();
            let end = spec
                .duration
                .mul_f64(rng.unit())
                .max(Duration::from_millis(1));
            let mut body = Map::new();
            body.insert("href".into(), self.ctx.href(&id).into());
            body.insert("id".into(), id.clone().into());
            let name = match &parent_id {
                Some(_) => format!("fleet-{index} - {}", i + 1),
                None => format!("fleet-{index} task {i}"),
            };
            body.insert("name".into(), name.into());
            body.insert("status".into(), "QUEUED".into());
            body.insert("project".into(), project.clone().into());
            body.insert("app".into(), "mock/fleet/app/0".into());
            body.insert("type".into(), "v2".into());
            body.insert("created_by".into(), user.into());
            body.insert("executed_by".into(), user.into());
            body.insert("created_time".into(), start.clone().into());
            body.insert("start_time".into(), start.clone().into());
            body.insert("batch".into(), false.into());
            if let Some(p) = &parent_id {
                body.insert("parent".into(), p.clone().into());
                body.insert(
                    "batch_group".into(),
                    json!({"value": (i + 1).to_string(), "fields": {}}),
                );
            }
            body.insert("inputs".into(), json!({}));
            body.insert("outputs".into(), json!({"out": null}));
            let mut rec = TaskRecord::new(body, 0);
            let mut run = self.new_run(now, steps, 0);
            run.plan = Some((end / 4, end));
            rec.run = Some(run);
            rec.outcome = Some(if fail {
                Outcome::Failed
            } else {
                Outcome::Completed
            });
            self.insert_record(id.clone(), rec);
            ids.push(id);
        }
        if let Some(pid) = &parent_id {
            let mut body = Map::new();
            body.insert("href".into(), self.ctx.href(pid).into());
            body.insert("id".into(), pid.clone().into());
            body.insert("name".into(), format!("fleet-{index}").into());
            body.insert("status".into(), "QUEUED".into());
            body.insert("project".into(), project.clone().into());
            body.insert("app".into(), "mock/fleet/app/0".into());
            body.insert("type".into(), "v2".into());
            body.insert("created_by".into(), user.into());
            body.insert("executed_by".into(), user.into());
            body.insert("created_time".into(), start.clone().into());
            body.insert("start_time".into(), start.into());
            body.insert("batch".into(), true.into());
            body.insert("batch_input".into(), "in".into());
            body.insert("batch_by".into(), json!({"type": "ITEM"}));
            body.insert("inputs".into(), json!({"in": Value::Array(Vec::new())}));
            body.insert("outputs".into(), json!({}));
            let mut rec = TaskRecord::new(body, 0);
            rec.run = Some(self.new_run(now, steps, 0));
            rec.children.clone_from(&ids);
            self.insert_record(pid.clone(), rec);
            self.refresh(pid, now);
        } else {
            for id in &ids {
                self.refresh(id, now);
            }
        }
        let fleet = Fleet {
            index,
            spec: spec.clone(),
            project,
            parent: parent_id,
            ids,
            failing,
        };
        self.fleets.push(fleet.clone());
        fleet
    }

    pub(crate) fn fleets(&self) -> &[Fleet] {
        &self.fleets
    }
}
