//! Fleets: many tasks that move QUEUED → RUNNING → COMPLETED/FAILED on a seeded wall-time
//! schedule, for measuring clients that follow thousands of tasks under the rate limit.

use std::time::Duration;

/// What [`MockControl::spawn_fleet`](crate::MockControl::spawn_fleet) makes.
///
/// Task `i` of a fleet is QUEUED when made, RUNNING from a quarter of its life on and ends
/// (COMPLETED, or FAILED for exactly `round(count · fail_ratio)` tasks) at a time drawn from
/// `seed`, uniformly spread over `(0, duration]` after the fleet was made. The same spec gives
/// the same ids, end times and outcomes in every run (fleets made in the same order). The
/// schedule holds whatever the server's [`Schedule`](crate::Schedule) is; polls do not move
/// fleet tasks, only time does; aborting one works as for any task.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FleetSpec {
    /// How many tasks.
    pub count: usize,
    /// The last task ends this long after the fleet is made (at most).
    pub duration: Duration,
    /// The fraction of tasks that end FAILED (0.0–1.0; rounded to a whole number of tasks).
    pub fail_ratio: f64,
    /// Seeds the end times, the failing tasks and the ids.
    pub seed: u64,
    /// Make the tasks the children of one batch parent (its `execution_status` counts
    /// `queued`, `running`, `completed`, `failed`, `aborted` follow them; it ends when they
    /// all have: FAILED if one failed).
    pub batch_parent: bool,
    /// The tasks' `project` (default `fleet/fleet-K`, K the fleet's index): `GET
    /// /v2/tasks?project=...` lists exactly the fleet (and its parent).
    pub project: Option<String>,
}

impl FleetSpec {
    /// `count` tasks over `duration`, 10 % failing, seed 1, no batch parent.
    pub fn new(count: usize, duration: Duration) -> Self {
        FleetSpec {
            count,
            duration,
            fail_ratio: 0.1,
            seed: 1,
            batch_parent: false,
            project: None,
        }
    }

    /// The fraction that fails (clamped to 0.0–1.0).
    pub fn fail_ratio(mut self, ratio: f64) -> Self {
        self.fail_ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        self
    }

    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Under one batch parent, or not.
    pub fn batch_parent(mut self, yes: bool) -> Self {
        self.batch_parent = yes;
        self
    }

    /// The tasks' project.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }
}

impl Default for FleetSpec {
    /// 1000 tasks over 60 s.
    fn default() -> Self {
        FleetSpec::new(1000, Duration::from_secs(60))
    }
}

/// A fleet that was made.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Fleet {
    /// Its index: 0 for the first fleet of the server, then 1, 2, ...
    pub index: usize,
    /// Its spec.
    pub spec: FleetSpec,
    /// The project its tasks are in.
    pub project: String,
    /// The batch parent's id, with [`FleetSpec::batch_parent`].
    pub parent: Option<String>,
    /// The tasks' ids, task 0 first.
    pub ids: Vec<String>,
    /// How many of them end FAILED.
    pub failing: usize,
}
