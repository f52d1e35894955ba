//! The simulated platform is the mock's: [`MockPlatform`] — its rate limiter, its routes and
//! its tasks, the very model `sbg-tasks-mock` serves over HTTP — run on the virtual clock
//! (every request is answered at the virtual instant it arrives). Nothing of the platform is
//! modelled here; this file keeps what the figures need beside it:
//!
//! - each scenario task's schedule (when it entered each status), to measure how long a
//!   caller took to notice a change; the mock runs the same schedule
//!   ([`MockPlatform::insert_running`] with a [`RunPlan`]);
//! - requests counted, refused (429) and free (`GET /v2/rate_limit`) per caller, read from
//!   the mock's answers;
//! - every change call's send time (create, run, abort) and answer;
//! - each task's refresh gaps (a get, or an item of a bulk get answered 200), and the moments
//!   at which full sweeps of the watched tasks ended.
//!
//! The mock's window (as documented, and as `sbg-tasks-mock` serves it): per token, opened by
//! the first counted request, closing at its `X-RateLimit-Reset` (the start plus the window,
//! rounded up to a whole Unix second); once spent every request is 429 (code 1000), not
//! counted, until then; `GET /v2/rate_limit` is free and opens no window; a bulk get of up to
//! 100 ids is one counted request. Tasks created and run by a caller follow the mock's
//! wall-time schedule on the virtual clock.

use std::collections::HashMap;
use std::time::{Duration, Instant, UNIX_EPOCH};

use sbg_tasks_mock::{MockBuilder, MockPlatform, Outcome, RunPlan, Schedule};
use sbg_tasks_proto::http::{Method, Request, Response};

use super::exec::T0;

/// A status in a task's schedule.
pub type Status = &'static str;

/// Whether `s` ends a task.
pub fn is_terminal(s: Status) -> bool {
    matches!(s, "COMPLETED" | "FAILED" | "ABORTED")
}

/// The window of the simulated platform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlatformConfig {
    /// Counted requests per window (1000).
    pub limit: u32,
    /// The window's length (5 minutes).
    pub window: Duration,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            limit: 1000,
            window: Duration::from_secs(300),
        }
    }
}

/// The route of a request, as the figures tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /v2/tasks/{id}`.
    Get,
    /// `POST /v2/bulk/tasks/get`.
    BulkGet,
    /// `GET /v2/rate_limit` (free).
    RateLimit,
    /// `POST /v2/tasks`.
    Create,
    /// `POST /v2/tasks/{id}/actions/run`.
    Run,
    /// `POST /v2/tasks/{id}/actions/abort`.
    Abort,
    /// `GET /v2/tasks` (a listing page).
    List,
    /// `POST /v2/tasks/{id}/actions/clone` (a rerun's copy).
    Clone,
    /// Anything else.
    Other,
}

impl Route {
    fn of<B>(request: &Request<B>) -> (Route, Option<&str>) {
        let path = request.uri().path();
        let rest = path.split_once("/v2/").map_or("", |(_, r)| r);
        let segs: Vec<&str> = rest.split('/').collect();
        match (request.method(), segs.as_slice()) {
            (&Method::GET, ["rate_limit"]) => (Route::RateLimit, None),
            (&Method::POST, ["bulk", "tasks", "get"]) => (Route::BulkGet, None),
            (&Method::GET, ["tasks", id]) => (Route::Get, Some(id)),
            (&Method::POST, ["tasks"]) => (Route::Create, None),
            (&Method::POST, ["tasks", _, "actions", "run"]) => (Route::Run, None),
            (&Method::POST, ["tasks", _, "actions", "abort"]) => (Route::Abort, None),
            (&Method::GET, ["tasks"]) => (Route::List, None),
            (&Method::POST, ["tasks", _, "actions", "clone"]) => (Route::Clone, None),
            _ => (Route::Other, None),
        }
    }
}

/// How a refresh of a task is tracked: served count, and the gaps between consecutive
/// refreshes that fall inside the measurement interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Refresh {
    /// Times the task was served (by a get or inside a bulk get).
    pub served: u64,
    /// The last time it was served.
    pub last: Option<Duration>,
    /// Gaps measured (both ends inside the interval).
    pub gaps: u64,
    /// Their sum.
    pub gap_sum: Duration,
    /// The longest.
    pub gap_max: Duration,
}

/// A task of a scenario: its schedule, and how it is refreshed.
#[derive(Debug, Clone)]
pub struct SimTask {
    /// (from when, status), in time order: QUEUED and/or RUNNING, then at most one ending.
    pub schedule: Vec<(Duration, Status)>,
    /// How it is refreshed.
    pub refresh: Refresh,
    /// Whether it counts for full sweeps ([`Platform::sweeps`]).
    pub watched: bool,
    /// Its project (`owner/name`), if any: what a listing by `project=` finds it by.
    pub project: Option<String>,
}

impl SimTask {
    /// A task following `schedule` (time order).
    pub fn new(schedule: Vec<(Duration, Status)>) -> Self {
        Self {
            schedule,
            refresh: Refresh::default(),
            watched: false,
            project: None,
        }
    }

    /// The same task, in `project`.
    pub fn in_project(self, project: &str) -> Self {
        Self {
            project: Some(project.to_owned()),
            ..self
        }
    }

    /// The same task, counted for full sweeps.
    pub fn watched(self) -> Self {
        Self {
            watched: true,
            ..self
        }
    }

    /// Its status at `t` (the first entry's before it starts).
    pub fn status_at(&self, t: Duration) -> Status {
        let mut s = self.schedule.first().map_or("QUEUED", |e| e.1);
        for &(at, status) in &self.schedule {
            if at <= t {
                s = status;
            } else {
                break;
            }
        }
        s
    }

    /// When it entered `status` last, at or before `t`.
    pub fn entered(&self, status: &str, t: Duration) -> Option<Duration> {
        self.schedule
            .iter()
            .filter(|(at, s)| *at <= t && *s == status)
            .map(|(at, _)| *at)
            .next_back()
    }

    /// The run the mock follows for this schedule: started at its first entry, RUNNING from
    /// its RUNNING entry (at once when it starts RUNNING, never without one), ended with its
    /// ending, if any.
    fn plan(&self) -> (Duration, RunPlan) {
        let start = self.schedule.first().map_or(Duration::ZERO, |e| e.0);
        let after = |at: Duration| at.saturating_sub(start);
        let running = self
            .schedule
            .iter()
            .find(|(_, s)| *s == "RUNNING")
            .map_or(Duration::MAX, |(at, _)| after(*at));
        let ending = self.schedule.iter().find(|(_, s)| is_terminal(s));
        let outcome = match ending.map(|e| e.1) {
            Some("FAILED") => Outcome::Failed,
            Some("ABORTED") => Outcome::Aborted,
            _ => Outcome::Completed,
        };
        let plan = RunPlan::new(running, ending.map(|(at, _)| after(*at)), outcome);
        (start, plan)
    }
}

/// Requests of one caller, as the platform answered them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallerCounts {
    /// Accepted and counted against the window.
    pub counted: u64,
    /// Refused with 429.
    pub rate_limited: u64,
    /// Free (`GET /rate_limit`).
    pub free: u64,
}

/// One change call (create, run, abort) as the network saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSend {
    /// The caller (executor index).
    pub caller: usize,
    /// Its route.
    pub route: Route,
    /// When it left the client.
    pub sent: Duration,
    /// The answer's status.
    pub status: u16,
}

/// The mock's platform on the virtual clock, and the bookkeeping of the figures: see the
/// [module docs](self).
#[derive(Debug)]
pub struct Platform {
    cfg: PlatformConfig,
    mock: MockPlatform,
    /// The instant virtual time zero stands for.
    origin: Instant,
    tasks: HashMap<String, SimTask>,
    callers: Vec<CallerCounts>,
    /// Every change call, in the order they arrived.
    pub changes: Vec<ChangeSend>,
    /// When set, every request: (caller, route, arrival, status).
    pub trace: Option<Vec<(usize, Route, Duration, u16)>>,
    /// Refresh gaps are measured when both refreshes fall in `[from, to]`.
    pub measure: (Duration, Duration),
    /// `at_least[k]`: watched tasks served at least `k` times.
    at_least: Vec<u64>,
    watched: u64,
    /// When the `k`-th full sweep ended: the moment every watched task had been served `k`
    /// times (`sweeps[k - 1]`).
    pub sweeps: Vec<Duration>,
}

/// A run created by a caller: QUEUED for its first quarter, RUNNING to its end.
const RUN: Duration = Duration::from_secs(40 * 60);

impl Platform {
    /// The mock's platform with `cfg`'s window and no task, virtual time zero at Unix time
    /// [`T0`]. Runs made by callers last 40 minutes (the mock's wall-time schedule).
    pub fn new(cfg: PlatformConfig) -> Self {
        Self::with_mock(cfg, |b| b)
    }

    /// The same, the mock's configuration further set by `more` (e.g. its
    /// [`listing_lag`](MockBuilder::listing_lag) or
    /// [`clock_skew_ms`](MockBuilder::clock_skew_ms)).
    pub fn with_mock(cfg: PlatformConfig, more: impl FnOnce(MockBuilder) -> MockBuilder) -> Self {
        let config = more(
            MockBuilder::new()
                .rate_limit(cfg.limit, cfg.window)
                .schedule(Schedule::WallTime(RUN)),
        );
        let origin = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(T0);
        Self {
            cfg,
            mock: MockPlatform::new(config.config(), "http://sim/v2", origin, wall),
            origin,
            tasks: HashMap::new(),
            callers: Vec::new(),
            changes: Vec::new(),
            trace: None,
            measure: (Duration::ZERO, Duration::MAX),
            at_least: Vec::new(),
            watched: 0,
            sweeps: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> PlatformConfig {
        self.cfg
    }

    /// The mock's platform itself.
    pub fn mock(&self) -> &MockPlatform {
        &self.mock
    }

    /// Adds a task with id `id`, run by the mock on `task`'s schedule.
    pub fn insert(&mut self, id: String, task: SimTask) {
        let (start, plan) = task.plan();
        let status = task.schedule.first().map_or("QUEUED", |e| e.1);
        // As small as a task gets (the mock adds its `href` and, once run, its
        // `execution_status`): every answer of a sweep carries it.
        let mut body = serde_json::json!({"id": id, "name": "", "status": status});
        if let Some(p) = &task.project {
            body["project"] = p.clone().into();
        }
        self.mock
            .insert_running(body, plan, self.origin + start)
            .expect("a task object with an id");
        self.watched += u64::from(task.watched);
        self.tasks.insert(id, task);
    }

    /// Adds a task given as a JSON object (the mock's [`MockPlatform::insert_task`]), as it
    /// is, outside the figures' schedules: e.g. an ended task for a bulk action to act on.
    pub fn insert_plain(&mut self, task: serde_json::Value) {
        self.mock
            .insert_task(task)
            .expect("a task object with an id");
    }

    /// Every copy the mock's `clone` made, with its status at virtual time `at`.
    pub fn copies(&self, at: Duration) -> Vec<sbg_tasks_mock::TaskCopy> {
        self.mock.copies(self.origin + at)
    }

    /// A task of the scenario.
    pub fn task(&self, id: &str) -> Option<&SimTask> {
        self.tasks.get(id)
    }

    /// Every task of the scenario.
    pub fn tasks(&self) -> impl Iterator<Item = (&String, &SimTask)> {
        self.tasks.iter()
    }

    /// What the platform answered caller `i`.
    pub fn caller(&self, i: usize) -> CallerCounts {
        self.callers.get(i).copied().unwrap_or_default()
    }

    /// Totals over every caller.
    pub fn totals(&self) -> CallerCounts {
        self.callers
            .iter()
            .fold(CallerCounts::default(), |a, c| CallerCounts {
                counted: a.counted + c.counted,
                rate_limited: a.rate_limited + c.rate_limited,
                free: a.free + c.free,
            })
    }

    fn caller_mut(&mut self, i: usize) -> &mut CallerCounts {
        if self.callers.len() <= i {
            self.callers.resize(i + 1, CallerCounts::default());
        }
        &mut self.callers[i]
    }

    fn served(&mut self, id: &str, now: Duration) {
        let (from, to) = self.measure;
        if let Some(t) = self.tasks.get_mut(id) {
            let r = &mut t.refresh;
            if let Some(last) = r.last {
                if last >= from && now <= to {
                    let gap = now - last;
                    r.gaps += 1;
                    r.gap_sum += gap;
                    r.gap_max = r.gap_max.max(gap);
                }
            }
            r.served += 1;
            r.last = Some(now);
            if t.watched {
                let k = usize::try_from(r.served).unwrap_or(usize::MAX);
                if self.at_least.len() <= k {
                    self.at_least.resize(k + 1, 0);
                }
                self.at_least[k] += 1;
                if self.at_least[k] == self.watched {
                    self.sweeps.push(now);
                }
            }
        }
    }

    /// The mock's answer to `request` from `caller` arriving at `now` (it left the client at
    /// `sent`), with the figures' bookkeeping.
    pub fn handle(
        &mut self,
        caller: usize,
        sent: Duration,
        now: Duration,
        request: &Request<Vec<u8>>,
    ) -> Response<Vec<u8>> {
        let response = self.mock.handle(request, self.origin + now);
        let status = response.status().as_u16();
        let (route, id) = Route::of(request);
        let counts = self.caller_mut(caller);
        match (route, status) {
            (Route::RateLimit, _) => counts.free += 1,
            (_, 429) => counts.rate_limited += 1,
            _ => counts.counted += 1,
        }
        if status == 200 {
            match (route, id) {
                (Route::Get, Some(id)) => self.served(id, now),
                (Route::BulkGet, _) => {
                    let body: serde_json::Value =
                        serde_json::from_slice(request.body()).unwrap_or_default();
                    for id in body["task_ids"].as_array().into_iter().flatten() {
                        if let Some(id) = id.as_str() {
                            self.served(id, now);
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.push((caller, route, now, status));
        }
        if matches!(route, Route::Create | Route::Run | Route::Abort) {
            self.changes.push(ChangeSend {
                caller,
                route,
                sent,
                status,
            });
        }
        response.map(|b| b.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn platform(limit: u32) -> Platform {
        Platform::new(PlatformConfig {
            limit,
            window: Duration::from_secs(300),
        })
    }

    fn request(method: Method, path: &str, body: &str) -> Request<Vec<u8>> {
        Request::builder()
            .method(method)
            .uri(format!("https://api.example/v2/{path}"))
            .header("x-sbg-auth-token", "tok")
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn header(r: &Response<Vec<u8>>, name: &str) -> u64 {
        r.headers()[name].to_str().unwrap().parse().unwrap()
    }

    const T1: &str = "00000001-0000-4000-8000-000000000001";

    #[test]
    fn the_mocks_window_opens_at_the_first_counted_request_and_refuses_until_its_reset() {
        let mut p = platform(3);
        let get = || request(Method::GET, &format!("tasks/{T1}"), "");
        p.insert(T1.into(), SimTask::new(vec![(secs(0.0), "RUNNING")]));
        // Nothing open: the free probe shows the whole budget and opens no window.
        let probe = p.handle(
            0,
            secs(1.0),
            secs(1.0),
            &request(Method::GET, "rate_limit", ""),
        );
        assert_eq!(header(&probe, "x-ratelimit-remaining"), 3);
        let first = p.handle(0, secs(10.5), secs(10.5), &get());
        // Opened at 10.5 s: 310.5 s, rounded up to the next whole second.
        assert_eq!(header(&first, "x-ratelimit-reset"), T0 + 311);
        assert_eq!(header(&first, "x-ratelimit-remaining"), 2);
        p.handle(0, secs(20.0), secs(20.0), &get());
        p.handle(0, secs(30.0), secs(30.0), &get());
        let refused = p.handle(0, secs(40.0), secs(40.0), &get());
        assert_eq!(refused.status(), 429);
        assert_eq!(
            header(&refused, "x-ratelimit-reset"),
            T0 + 311,
            "a 429 does not move it"
        );
        assert_eq!(
            p.handle(0, secs(310.99), secs(310.99), &get()).status(),
            429
        );
        // At the reset exactly: a new window, opened by this request.
        let next = p.handle(0, secs(311.0), secs(311.0), &get());
        assert_eq!(next.status(), 200);
        assert_eq!(header(&next, "x-ratelimit-reset"), T0 + 611);
        assert_eq!(
            p.caller(0),
            CallerCounts {
                counted: 4,
                rate_limited: 2,
                free: 1
            }
        );
    }

    #[test]
    fn the_mock_runs_each_schedule_and_a_bulk_get_counts_one() {
        let mut p = platform(2);
        p.insert(
            T1.into(),
            SimTask::new(vec![
                (secs(0.0), "QUEUED"),
                (secs(5.0), "RUNNING"),
                (secs(50.0), "FAILED"),
            ])
            .watched(),
        );
        let mut ids: Vec<String> = (2..=100)
            .map(|i| format!("00000001-0000-4000-8000-{i:012x}"))
            .collect();
        ids.insert(0, T1.into());
        let body = serde_json::json!({ "task_ids": ids }).to_string();
        let bulk = |p: &mut Platform, at: f64| {
            let r = p.handle(
                1,
                secs(at),
                secs(at),
                &request(Method::POST, "bulk/tasks/get", &body),
            );
            let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
            (r, v)
        };
        let (r, v) = bulk(&mut p, 1.0);
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-ratelimit-remaining"), 1);
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 100);
        assert_eq!(items[0]["resource"]["status"], "QUEUED");
        assert_eq!(items[1]["error"]["status"], 404);
        let (_, v) = bulk(&mut p, 6.0);
        assert_eq!(v["items"][0]["resource"]["status"], "RUNNING");
        assert_eq!(p.task(T1).unwrap().refresh.served, 2);
        assert_eq!(p.sweeps, [secs(1.0), secs(6.0)]);
        let (r, _) = bulk(&mut p, 7.0);
        assert_eq!(r.status(), 429);
        assert_eq!(p.caller(1).rate_limited, 1);
        assert_eq!(
            p.task(T1).unwrap().refresh.served,
            2,
            "a 429 serves nothing"
        );
        // The mock ends it as scheduled.
        let end = p.mock().task(T1, p.origin + secs(50.0)).unwrap();
        assert_eq!(end["status"], "FAILED");
    }

    #[test]
    fn create_run_and_abort_follow_the_mocks_lifecycle_and_are_logged() {
        let mut p = platform(100);
        let created = p.handle(
            3,
            secs(1.0),
            secs(1.1),
            &request(
                Method::POST,
                "tasks",
                r#"{"name":"n1","project":"a/b","app":"a/b/c"}"#,
            ),
        );
        assert_eq!(created.status(), 201);
        let v: serde_json::Value = serde_json::from_slice(created.body()).unwrap();
        assert_eq!(
            (v["status"].as_str(), v["name"].as_str()),
            (Some("DRAFT"), Some("n1"))
        );
        let id = v["id"].as_str().unwrap().to_owned();
        let run = |p: &mut Platform, at: f64| {
            p.handle(
                3,
                secs(at),
                secs(at),
                &request(Method::POST, &format!("tasks/{id}/actions/run"), ""),
            )
        };
        let ran = run(&mut p, 2.0);
        assert_eq!(ran.status(), 200);
        let v: serde_json::Value = serde_json::from_slice(ran.body()).unwrap();
        assert_eq!(v["status"], "QUEUED");
        assert_eq!(run(&mut p, 3.0).status(), 400, "not a draft any more");
        let abort = p.handle(
            3,
            secs(4.0),
            secs(4.0),
            &request(Method::POST, &format!("tasks/{id}/actions/abort"), ""),
        );
        assert_eq!(abort.status(), 200);
        let v: serde_json::Value = serde_json::from_slice(abort.body()).unwrap();
        assert_eq!(v["status"], "ABORTED");
        let sent: Vec<_> = p
            .changes
            .iter()
            .map(|c| (c.route, c.sent, c.status))
            .collect();
        assert_eq!(
            sent,
            [
                (Route::Create, secs(1.0), 201),
                (Route::Run, secs(2.0), 200),
                (Route::Run, secs(3.0), 400),
                (Route::Abort, secs(4.0), 200)
            ]
        );
    }

    #[test]
    fn refresh_gaps_are_measured_inside_the_interval_only() {
        let mut p = platform(100);
        p.insert(T1.into(), SimTask::new(vec![(secs(0.0), "RUNNING")]));
        p.measure = (secs(10.0), secs(100.0));
        for t in [0.0, 12.0, 20.0, 50.0, 120.0] {
            p.handle(
                0,
                secs(t),
                secs(t),
                &request(Method::GET, &format!("tasks/{T1}"), ""),
            );
        }
        let r = p.task(T1).unwrap().refresh;
        assert_eq!(r.served, 5);
        // 0→12 starts before the interval, 50→120 ends after it: 12→20 and 20→50 count.
        assert_eq!((r.gaps, r.gap_sum, r.gap_max), (2, secs(38.0), secs(30.0)));
    }

    #[test]
    fn a_schedule_becomes_the_mocks_run_plan() {
        let t = SimTask::new(vec![
            (secs(0.0), "QUEUED"),
            (secs(60.0), "RUNNING"),
            (secs(600.0), "COMPLETED"),
        ]);
        assert_eq!(
            t.plan(),
            (
                secs(0.0),
                RunPlan::new(secs(60.0), Some(secs(600.0)), Outcome::Completed)
            )
        );
        assert_eq!(t.status_at(secs(59.0)), "QUEUED");
        assert_eq!(t.entered("RUNNING", secs(100.0)), Some(secs(60.0)));
        let never = SimTask::new(vec![(secs(0.0), "QUEUED")]);
        assert_eq!(
            never.plan().1,
            RunPlan::new(Duration::MAX, None, Outcome::Completed)
        );
    }
}
