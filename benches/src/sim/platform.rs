//! The simulated platform: the Tasks API's rate limit as documented, bulk get, and tasks whose
//! status follows a schedule in virtual time.
//!
//! - **Window** (per token): 1000 counted requests per 5 minutes by default. A window opens at
//!   the token's first counted request and closes at its reset — that instant plus the window
//!   length, rounded up to a whole Unix second, which is the `X-RateLimit-Reset` it advertises
//!   (as `sbg-tasks-mock` does). Once the window's requests are spent every request is
//!   refused (429, code 1000) until the reset; a refused request is not counted and does not
//!   move the window. `GET /v2/rate_limit` is free: never counted, never refused, and it does
//!   not open a window.
//! - **Headers**: `X-RateLimit-Limit`, `-Remaining` and `-Reset` on every answer.
//! - **Bulk get** (`POST /v2/bulk/tasks/get`): up to 100 ids, one counted request.
//! - **Tasks**: each has a schedule of (moment, status); its status at `t` is the last entry at
//!   or before `t`. Create makes a DRAFT, run schedules QUEUED now, RUNNING and an ending
//!   (drawn from the platform's seeded generator), abort ends it now.
//!
//! The platform also keeps what the figures need: requests counted, refused and free per
//! caller, every change call's send time, and each task's refresh gaps.

use std::collections::HashMap;
use std::time::Duration;

use sbg_tasks_proto::http::{self, Method, Request, Response};

use super::exec::T0;
use super::Rng;

/// A status in a task's schedule.
pub type Status = &'static str;

/// Whether `s` ends a task.
pub fn is_terminal(s: Status) -> bool {
    matches!(s, "COMPLETED" | "FAILED" | "ABORTED")
}

/// The documented limits of the simulated platform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlatformConfig {
    /// Counted requests per window (1000).
    pub limit: u64,
    /// The window's length (5 minutes).
    pub window: Duration,
    /// Most ids a bulk get takes (100).
    pub bulk_max: usize,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            limit: 1000,
            window: Duration::from_secs(300),
            bulk_max: 100,
        }
    }
}

/// What the window said of one request: allowed or not, and the three headers' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    /// Whether the request was accepted (and counted).
    pub allowed: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u64,
    /// `X-RateLimit-Remaining`.
    pub remaining: u64,
    /// `X-RateLimit-Reset` (Unix seconds).
    pub reset: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    /// Virtual time at which the window closes (its reset).
    end: Duration,
    reset: u64,
    used: u64,
}

/// The route of a request.
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
    /// Anything else (404).
    Other,
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

/// A simulated task.
#[derive(Debug, Clone)]
pub struct SimTask {
    /// (from when, status), in time order.
    pub schedule: Vec<(Duration, Status)>,
    /// How it is refreshed.
    pub refresh: Refresh,
    /// Whether it counts for full sweeps ([`Platform::sweeps`]).
    pub watched: bool,
    name: String,
}

impl SimTask {
    /// A task following `schedule` (time order).
    pub fn new(schedule: Vec<(Duration, Status)>) -> Self {
        Self {
            schedule,
            refresh: Refresh::default(),
            watched: false,
            name: String::new(),
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
}

/// Requests of one caller, as the platform saw them.
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

/// The simulated platform: see the [module docs](self).
#[derive(Debug)]
pub struct Platform {
    cfg: PlatformConfig,
    windows: HashMap<String, Window>,
    tasks: HashMap<String, SimTask>,
    next_id: u64,
    rng: Rng,
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

impl Platform {
    /// A platform with `cfg`, no task, and a generator seeded with `seed` for run durations.
    pub fn new(cfg: PlatformConfig, seed: u64) -> Self {
        Self {
            cfg,
            windows: HashMap::new(),
            tasks: HashMap::new(),
            next_id: 0,
            rng: Rng::new(seed),
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

    /// Adds a task with id `id`.
    pub fn insert(&mut self, id: String, task: SimTask) {
        self.watched += u64::from(task.watched);
        self.tasks.insert(id, task);
    }

    /// A task.
    pub fn task(&self, id: &str) -> Option<&SimTask> {
        self.tasks.get(id)
    }

    /// Every task.
    pub fn tasks(&self) -> impl Iterator<Item = (&String, &SimTask)> {
        self.tasks.iter()
    }

    /// What the platform saw of caller `i`.
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

    /// The reset and end of a window opening at `now`: `T0 + now + window` rounded up to a
    /// whole second.
    fn window_from(&self, now: Duration) -> (u64, Duration) {
        let wall = Duration::from_secs(T0) + now + self.cfg.window;
        let reset = wall.as_secs() + u64::from(wall.subsec_nanos() > 0);
        (reset, Duration::from_secs(reset - T0))
    }

    fn open(&mut self, token: &str, now: Duration) -> Option<&mut Window> {
        if self.windows.get(token).is_some_and(|w| now >= w.end) {
            self.windows.remove(token);
        }
        self.windows.get_mut(token)
    }

    /// Counts one request of `token` at `now` (opening a window if none is open).
    pub fn hit(&mut self, token: &str, now: Duration) -> RateInfo {
        let limit = self.cfg.limit;
        if self.open(token, now).is_none() {
            let (reset, end) = self.window_from(now);
            self.windows.insert(
                token.to_owned(),
                Window {
                    end,
                    reset,
                    used: 0,
                },
            );
        }
        let w = self.windows.get_mut(token).expect("just opened");
        let allowed = w.used < limit;
        if allowed {
            w.used += 1;
        }
        RateInfo {
            allowed,
            limit,
            remaining: limit - w.used,
            reset: w.reset,
        }
    }

    /// Looks at `token`'s window without counting or opening one.
    pub fn peek(&mut self, token: &str, now: Duration) -> RateInfo {
        let limit = self.cfg.limit;
        let fresh = self.window_from(now).0;
        match self.open(token, now) {
            Some(w) => RateInfo {
                allowed: w.used < limit,
                limit,
                remaining: limit - w.used,
                reset: w.reset,
            },
            None => RateInfo {
                allowed: true,
                limit,
                remaining: limit,
                reset: fresh,
            },
        }
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

    fn task_json(&self, id: &str, now: Duration, out: &mut Vec<u8>) -> bool {
        let Some(t) = self.tasks.get(id) else {
            return false;
        };
        let status = t.status_at(now);
        out.extend_from_slice(br#"{"id":""#);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(br#"","name":""#);
        out.extend_from_slice(t.name.as_bytes());
        out.extend_from_slice(br#"","status":""#);
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(br#""}"#);
        true
    }

    /// Schedules a run of `id` starting at `now`: QUEUED, RUNNING after 10–120 s, ended
    /// (COMPLETED, or FAILED one time in ten) 10–60 minutes later.
    fn start(&mut self, id: &str, now: Duration) {
        let running = now + Duration::from_secs(self.rng.range(10, 120));
        let end = running + Duration::from_secs(self.rng.range(600, 3600));
        let ending = if self.rng.below(10) == 0 {
            "FAILED"
        } else {
            "COMPLETED"
        };
        if let Some(t) = self.tasks.get_mut(id) {
            t.schedule
                .extend([(now, "QUEUED"), (running, "RUNNING"), (end, ending)]);
        }
    }

    /// Answers `request` from `caller` at `now` (it left the client at `sent`).
    pub fn handle(
        &mut self,
        caller: usize,
        sent: Duration,
        now: Duration,
        request: &Request<Vec<u8>>,
    ) -> Response<Vec<u8>> {
        let token = request
            .headers()
            .get("x-sbg-auth-token")
            .or_else(|| request.headers().get(http::header::AUTHORIZATION))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let path = request.uri().path();
        let rest = path.split_once("/v2/").map_or("", |(_, r)| r);
        let segs: Vec<&str> = rest.split('/').collect();
        let m = request.method();
        let route = match (m, segs.as_slice()) {
            (&Method::GET, ["rate_limit"]) => Route::RateLimit,
            (&Method::POST, ["bulk", "tasks", "get"]) => Route::BulkGet,
            (&Method::GET, ["tasks", _]) => Route::Get,
            (&Method::POST, ["tasks"]) => Route::Create,
            (&Method::POST, ["tasks", _, "actions", "run"]) => Route::Run,
            (&Method::POST, ["tasks", _, "actions", "abort"]) => Route::Abort,
            _ => Route::Other,
        };
        let rate = if route == Route::RateLimit {
            self.caller_mut(caller).free += 1;
            // Free: answered even when the window is spent (it says so in its numbers).
            RateInfo {
                allowed: true,
                ..self.peek(&token, now)
            }
        } else {
            let r = self.hit(&token, now);
            if r.allowed {
                self.caller_mut(caller).counted += 1;
            } else {
                self.caller_mut(caller).rate_limited += 1;
            }
            r
        };
        let (status, body) = if rate.allowed {
            self.answer(route, &segs, request, now, rate)
        } else {
            (
                429,
                br#"{"status":429,"code":1000,"message":"Rate limit exceeded! Check response headers."}"#
                    .to_vec(),
            )
        };
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
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-ratelimit-limit", rate.limit)
            .header("x-ratelimit-remaining", rate.remaining)
            .header("x-ratelimit-reset", rate.reset)
            .body(body)
            .expect("a valid answer")
    }

    fn answer(
        &mut self,
        route: Route,
        segs: &[&str],
        request: &Request<Vec<u8>>,
        now: Duration,
        rate: RateInfo,
    ) -> (u16, Vec<u8>) {
        let not_found = || {
            (
                404,
                br#"{"status":404,"code":7002,"message":"Task not found."}"#.to_vec(),
            )
        };
        let mut out = Vec::with_capacity(128);
        match route {
            Route::RateLimit => {
                let body = format!(
                    r#"{{"rate":{{"limit":{},"remaining":{},"reset":{}}},"instance_limit":{{"limit":25,"remaining":25}}}}"#,
                    rate.limit, rate.remaining, rate.reset
                );
                (200, body.into_bytes())
            }
            Route::Get => {
                let id = segs[1];
                self.served(id, now);
                if self.task_json(id, now, &mut out) {
                    (200, out)
                } else {
                    not_found()
                }
            }
            Route::BulkGet => {
                let ids: Vec<String> = serde_json::from_slice::<serde_json::Value>(request.body())
                    .ok()
                    .and_then(|v| {
                        v.get("task_ids")?.as_array().map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                    })
                    .unwrap_or_default();
                if ids.len() > self.cfg.bulk_max {
                    return (
                        400,
                        br#"{"status":400,"code":9000,"message":"Too many ids."}"#.to_vec(),
                    );
                }
                out.reserve(ids.len() * 96);
                out.extend_from_slice(br#"{"items":["#);
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.served(id, now);
                    out.extend_from_slice(br#"{"resource":"#);
                    if !self.task_json(id, now, &mut out) {
                        out.truncate(out.len() - br#"{"resource":"#.len());
                        out.extend_from_slice(
                            br#"{"error":{"status":404,"code":7002,"message":"Task not found."}"#,
                        );
                    }
                    out.push(b'}');
                }
                out.extend_from_slice(b"]}");
                (200, out)
            }
            Route::Create => {
                self.next_id += 1;
                let id = format!("00000000-0000-4000-8000-{:012x}", self.next_id);
                let name = serde_json::from_slice::<serde_json::Value>(request.body())
                    .ok()
                    .and_then(|v| v.get("name")?.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let mut task = SimTask::new(vec![(now, "DRAFT")]);
                task.name = name;
                self.tasks.insert(id.clone(), task);
                if request
                    .uri()
                    .query()
                    .is_some_and(|q| q.contains("action=run"))
                {
                    self.start(&id, now);
                }
                self.task_json(&id, now, &mut out);
                (200, out)
            }
            Route::Run => {
                let id = segs[1];
                match self.tasks.get(id).map(|t| t.status_at(now)) {
                    None => not_found(),
                    Some("DRAFT") => {
                        self.start(id, now);
                        self.task_json(id, now, &mut out);
                        (200, out)
                    }
                    Some(_) => (
                        400,
                        br#"{"status":400,"code":5007,"message":"Task is not a draft."}"#.to_vec(),
                    ),
                }
            }
            Route::Abort => {
                let id = segs[1];
                let Some(t) = self.tasks.get_mut(id) else {
                    return not_found();
                };
                let s = t.status_at(now);
                if s == "DRAFT" || is_terminal(s) {
                    return (
                        400,
                        br#"{"status":400,"code":5008,"message":"Task cannot be aborted."}"#
                            .to_vec(),
                    );
                }
                t.schedule.retain(|(at, _)| *at <= now);
                t.schedule.push((now, "ABORTED"));
                self.task_json(id, now, &mut out);
                (200, out)
            }
            Route::Other => not_found(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn platform(limit: u64) -> Platform {
        Platform::new(
            PlatformConfig {
                limit,
                window: Duration::from_secs(300),
                bulk_max: 100,
            },
            7,
        )
    }

    #[test]
    fn a_window_opens_at_the_first_counted_request_and_refuses_until_its_reset() {
        let mut p = platform(3);
        // Nothing open: a look shows the whole budget and does not open a window.
        assert_eq!(p.peek("a", secs(1.0)).remaining, 3);
        let first = p.hit("a", secs(10.5));
        // Opened at 10.5 s: 310.5 s, rounded up to the next whole second.
        assert_eq!(first.reset, T0 + 311);
        assert_eq!((first.allowed, first.remaining), (true, 2));
        assert_eq!(p.hit("a", secs(20.0)).remaining, 1);
        assert_eq!(p.hit("a", secs(30.0)).remaining, 0);
        let refused = p.hit("a", secs(40.0));
        assert_eq!((refused.allowed, refused.remaining), (false, 0));
        assert_eq!(refused.reset, T0 + 311, "a 429 does not move the window");
        assert!(
            !p.hit("a", secs(310.99)).allowed,
            "nothing before the reset"
        );
        // Another token has its own window.
        assert!(p.hit("b", secs(40.0)).allowed);
        // At the reset exactly: a new window, opened by this request.
        let next = p.hit("a", secs(311.0));
        assert_eq!(
            (next.allowed, next.remaining, next.reset),
            (true, 2, T0 + 611)
        );
        // A gap after a window: the next opens at the next request, not at the old reset + 300.
        let later = p.hit("a", secs(1000.0));
        assert_eq!((later.remaining, later.reset), (2, T0 + 1300));
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

    #[test]
    fn every_answer_has_the_headers_rate_limit_is_free_and_a_bulk_get_counts_one() {
        let mut p = platform(2);
        p.insert(
            "t1".into(),
            SimTask::new(vec![(secs(0.0), "QUEUED"), (secs(5.0), "RUNNING")]),
        );
        let free = p.handle(
            0,
            secs(0.0),
            secs(0.0),
            &request(Method::GET, "rate_limit", ""),
        );
        assert_eq!(free.status(), 200);
        assert_eq!(header(&free, "x-ratelimit-remaining"), 2);
        let ids: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let body = serde_json::json!({ "task_ids": ids }).to_string();
        let bulk = p.handle(
            1,
            secs(6.0),
            secs(6.0),
            &request(Method::POST, "bulk/tasks/get", &body),
        );
        assert_eq!(bulk.status(), 200);
        assert_eq!(header(&bulk, "x-ratelimit-remaining"), 1);
        assert_eq!(header(&bulk, "x-ratelimit-reset"), T0 + 306);
        let v: serde_json::Value = serde_json::from_slice(bulk.body()).unwrap();
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 100);
        assert_eq!(items[1]["resource"]["status"], "RUNNING");
        assert_eq!(items[0]["error"]["status"], 404);
        assert_eq!(p.task("t1").unwrap().refresh.served, 1);
        let get = p.handle(
            1,
            secs(7.0),
            secs(7.0),
            &request(Method::GET, "tasks/t1", ""),
        );
        assert_eq!(header(&get, "x-ratelimit-remaining"), 0);
        let refused = p.handle(
            1,
            secs(8.0),
            secs(8.0),
            &request(Method::GET, "tasks/t1", ""),
        );
        assert_eq!(refused.status(), 429);
        assert_eq!(header(&refused, "x-ratelimit-limit"), 2);
        assert_eq!(header(&refused, "x-ratelimit-reset"), T0 + 306);
        let free = p.handle(
            0,
            secs(9.0),
            secs(9.0),
            &request(Method::GET, "rate_limit", ""),
        );
        assert_eq!(free.status(), 200, "the free call is never refused");
        assert_eq!(
            p.caller(0),
            CallerCounts {
                counted: 0,
                rate_limited: 0,
                free: 2
            }
        );
        assert_eq!(
            p.caller(1),
            CallerCounts {
                counted: 2,
                rate_limited: 1,
                free: 0
            }
        );
    }

    #[test]
    fn create_run_and_abort_follow_the_lifecycle_and_are_logged() {
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
        let v: serde_json::Value = serde_json::from_slice(created.body()).unwrap();
        assert_eq!(v["status"], "DRAFT");
        assert_eq!(v["name"], "n1");
        let id = v["id"].as_str().unwrap().to_owned();
        let run = p.handle(
            3,
            secs(2.0),
            secs(2.1),
            &request(Method::POST, &format!("tasks/{id}/actions/run"), ""),
        );
        assert_eq!(run.status(), 200);
        let t = p.task(&id).unwrap();
        assert_eq!(t.status_at(secs(2.1)), "QUEUED");
        assert!(is_terminal(t.status_at(secs(100_000.0))));
        assert_eq!(t.entered("QUEUED", secs(50.0)), Some(secs(2.1)));
        let again = p.handle(
            3,
            secs(3.0),
            secs(3.0),
            &request(Method::POST, &format!("tasks/{id}/actions/run"), ""),
        );
        assert_eq!(again.status(), 400);
        let abort = p.handle(
            3,
            secs(4.0),
            secs(4.0),
            &request(Method::POST, &format!("tasks/{id}/actions/abort"), ""),
        );
        assert_eq!(abort.status(), 200);
        assert_eq!(p.task(&id).unwrap().status_at(secs(100_000.0)), "ABORTED");
        let sent: Vec<_> = p
            .changes
            .iter()
            .map(|c| (c.route, c.sent, c.status))
            .collect();
        assert_eq!(
            sent,
            [
                (Route::Create, secs(1.0), 200),
                (Route::Run, secs(2.0), 200),
                (Route::Run, secs(3.0), 400),
                (Route::Abort, secs(4.0), 200)
            ]
        );
    }

    #[test]
    fn refresh_gaps_are_measured_inside_the_interval_only() {
        let mut p = platform(100);
        p.insert("t".into(), SimTask::new(vec![(secs(0.0), "RUNNING")]));
        p.measure = (secs(10.0), secs(100.0));
        for t in [0.0, 12.0, 20.0, 50.0, 120.0] {
            p.handle(0, secs(t), secs(t), &request(Method::GET, "tasks/t", ""));
        }
        let r = p.task("t").unwrap().refresh;
        assert_eq!(r.served, 5);
        // 0→12 starts before the interval, 50→120 ends after it: 12→20 and 20→50 count.
        assert_eq!((r.gaps, r.gap_sum, r.gap_max), (2, secs(38.0), secs(30.0)));
    }

    #[test]
    fn a_full_sweep_ends_when_every_watched_task_has_been_served_once_more() {
        let mut p = platform(100);
        for id in ["a", "b"] {
            p.insert(
                id.into(),
                SimTask::new(vec![(secs(0.0), "RUNNING")]).watched(),
            );
        }
        p.insert("other".into(), SimTask::new(vec![(secs(0.0), "RUNNING")]));
        for (t, id) in [
            (1.0, "a"),
            (2.0, "a"),
            (3.0, "other"),
            (4.0, "b"),
            (5.0, "b"),
            (6.0, "a"),
        ] {
            p.handle(
                0,
                secs(t),
                secs(t),
                &request(Method::GET, &format!("tasks/{id}"), ""),
            );
        }
        assert_eq!(p.sweeps, [secs(4.0), secs(5.0)]);
    }
}
