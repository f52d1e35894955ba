//! The change feed of the watcher: a [`Watch`] stepped by hand in virtual time against a
//! platform in memory that serves bulk gets and the list filters the feed uses (`project`,
//! `parent`, `started_from`, `ended_from`, `order_by`, `offset`, `limit`, 1-second
//! timestamps), whose listings can lag behind its gets and whose clock can be skewed.
//! Nothing sleeps: a run of hours takes milliseconds.

mod support;
use support::platform::decode;
use support::*;

use std::collections::{BTreeMap, HashMap};

use sbg_tasks_proto::machine::watch::{FeedStrategy, Watcher};
use sbg_tasks_proto::machine::{Now, Operation, Settings, Shared, Step, Watch};
use sbg_tasks_proto::{BudgetPolicy, ProjectId, WatchEvent, WatcherPolicy};
use serde_json::{json, Value};

const P: &str = "lab/busy";

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A task of the fake: when (true time, since the epoch) it starts and ends, and how.
#[derive(Debug, Clone)]
struct FTask {
    id: String,
    project: String,
    parent: Option<String>,
    batch: bool,
    created: Duration,
    start: Option<Duration>,
    end: Option<Duration>,
    outcome: &'static str,
    /// Listings never show it ended (what only a get sees).
    unlisted_end: bool,
}

impl FTask {
    /// A task of `P` made and started at `start` (seconds since the epoch, as `s(...)`
    /// gives), ending COMPLETED at `end`: no parent, not a batch, its ending listed.
    fn ran(id: impl Into<String>, start: Duration, end: Duration) -> Self {
        Self {
            id: id.into(),
            project: P.into(),
            parent: None,
            batch: false,
            created: start,
            start: Some(start),
            end: Some(end),
            outcome: "COMPLETED",
            unlisted_end: false,
        }
    }

    fn status(&self, at: Duration) -> &'static str {
        match (self.start, self.end) {
            (_, Some(e)) if e <= at => self.outcome,
            (Some(st), _) if st <= at => "RUNNING",
            _ => "QUEUED",
        }
    }
}

#[derive(Debug, Default)]
struct Fake {
    tasks: Vec<FTask>,
    by_id: HashMap<String, usize>,
    /// Listings show the tasks as they were this long ago.
    lag: Duration,
    /// The lag starts this many seconds after [`UNIX0`] (`None`: at once).
    lag_from: Option<u64>,
    /// Each ended listing of a project: when (seconds after [`UNIX0`]) and how far back
    /// from then its `ended_from` reached (seconds).
    reach: Vec<(u64, i64)>,
    /// The platform's clock minus ours, in seconds.
    skew: i64,
    bulk_gets: u64,
    listings: u64,
    /// Listings of a project (not of a parent's children), by `ended_from` / `started_from`
    /// / neither.
    project_listings: BTreeMap<&'static str, u64>,
    /// A window of this many requests per 300 s (`None`: as good as none), and the one open:
    /// its reset and its requests.
    limit: Option<u64>,
    window: (u64, u64),
}

fn rfc3339(t: Duration, skew: i64) -> String {
    let secs = t.as_secs() as i64 + skew;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn parse_time(s: &str) -> i64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

impl Fake {
    fn add(&mut self, t: FTask) {
        self.by_id.insert(t.id.clone(), self.tasks.len());
        self.tasks.push(t);
    }

    /// `n` tasks of `project` running from `start`, the k-th ending at `end(k)`.
    fn running(&mut self, project: &str, n: usize, start: u64, end: impl Fn(usize) -> u64) {
        for k in 0..n {
            let id = format!("{}-t{k}", project.replace('/', "_"));
            self.add(FTask {
                project: project.into(),
                outcome: if k % 7 == 3 { "FAILED" } else { "COMPLETED" },
                ..FTask::ran(id, s(UNIX0 + start), s(UNIX0 + end(k)))
            });
        }
    }

    fn ids(&self, project: &str) -> Vec<TaskId> {
        self.tasks
            .iter()
            .filter(|t| t.project == project && t.parent.is_none())
            .map(|t| t.id.parse().unwrap())
            .collect()
    }

    /// The task as a get sees it at `now`, or as a listing sees it (`listed`: `lag` ago).
    /// The lag of a listing at `now`.
    fn lag_at(&self, now: Duration) -> Duration {
        match self.lag_from {
            Some(from) if now < s(UNIX0 + from) => Duration::ZERO,
            _ => self.lag,
        }
    }

    fn json(&self, t: &FTask, now: Duration, listed: bool) -> Value {
        let at = if listed {
            now.saturating_sub(self.lag_at(now))
        } else {
            now
        };
        let mut status = t.status(at);
        if listed && t.unlisted_end && t.end.is_some_and(|e| e <= at) {
            status = "RUNNING";
        }
        let mut v = json!({
            "id": t.id, "name": format!("task {}", t.id), "project": t.project,
            "status": status, "created_time": rfc3339(t.created, self.skew),
        });
        if let Some(st) = t.start.filter(|st| *st <= at) {
            v["start_time"] = json!(rfc3339(st, self.skew));
        }
        if status != "RUNNING" && status != "QUEUED" {
            v["end_time"] = json!(rfc3339(t.end.unwrap(), self.skew));
        }
        if let Some(p) = &t.parent {
            v["parent"] = json!(p);
        }
        if t.batch {
            v["batch"] = json!(true);
            if !listed {
                let mut c = BTreeMap::from([
                    ("queued", 0),
                    ("running", 0),
                    ("completed", 0),
                    ("failed", 0),
                    ("aborted", 0),
                ]);
                for child in self
                    .tasks
                    .iter()
                    .filter(|c| c.parent.as_ref() == Some(&t.id))
                {
                    *c.get_mut(child.status(at).to_lowercase().as_str()).unwrap() += 1;
                }
                v["execution_status"] = json!(c);
            }
        }
        v
    }

    fn handle(&mut self, req: &Request<Vec<u8>>, now: Duration) -> Response<Vec<u8>> {
        let (limit, remaining, reset) = match self.limit {
            None => (1_000_000, 999_999, now.as_secs() + 300),
            Some(limit) => {
                if req.uri().path() != "/v2/rate_limit" {
                    if now.as_secs() >= self.window.0 {
                        self.window = (now.as_secs() + 300, 0);
                    }
                    self.window.1 += 1;
                    assert!(self.window.1 <= limit, "the window was overrun");
                }
                let reset = self.window.0.max(now.as_secs() + 1);
                (limit, limit.saturating_sub(self.window.1), reset)
            }
        };
        let respond = |body: Value, total: Option<usize>| {
            let mut r = Response::builder()
                .status(200)
                .header("x-ratelimit-limit", limit.to_string())
                .header("x-ratelimit-remaining", remaining.to_string())
                .header("x-ratelimit-reset", reset.to_string());
            if let Some(t) = total {
                r = r.header("x-total-matching-query", t.to_string());
            }
            r.body(body.to_string().into_bytes()).unwrap()
        };
        let path = req.uri().path();
        if path == "/v2/rate_limit" {
            return respond(
                json!({"rate": {"limit": limit, "remaining": remaining, "reset": reset}}),
                None,
            );
        }
        if path == "/v2/bulk/tasks/get" {
            self.bulk_gets += 1;
            let body: Value = serde_json::from_slice(req.body()).unwrap();
            let items: Vec<Value> = body["task_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| match self.by_id.get(id.as_str().unwrap()) {
                    Some(&i) => json!({"resource": self.json(&self.tasks[i], now, false)}),
                    None => json!({"error": {"status": 404, "code": 7002, "message": "no"}}),
                })
                .collect();
            return respond(json!({ "items": items }), None);
        }
        assert_eq!(path, "/v2/tasks", "{:?}", req.uri());
        self.listings += 1;
        let q: HashMap<String, String> = req
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), decode(v)))
            .collect();
        if q.contains_key("project") {
            let kind = if q.contains_key("ended_from") {
                "ended"
            } else if q.contains_key("started_from") {
                "started"
            } else {
                "all"
            };
            *self.project_listings.entry(kind).or_default() += 1;
        }
        let bound = |k: &str| q.get(k).map(|t| parse_time(t));
        let (ended_from, started_from) = (bound("ended_from"), bound("started_from"));
        let by = q.get("order_by").map_or("created_time", String::as_str);
        let listed_at = now.saturating_sub(self.lag_at(now));
        if let (true, Some(from)) = (q.contains_key("project"), ended_from) {
            let at = now.as_secs() - UNIX0;
            self.reach.push((at, now.as_secs() as i64 - from));
        }
        // (sort key, index): filtered on numbers, only the page is made JSON.
        let shown = |t: Duration| t.as_secs() as i64 + self.skew;
        let mut rows: Vec<(i64, &str, usize)> = self
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| q.get("project").is_none_or(|p| *p == t.project))
            .filter(|(_, t)| q.get("parent").is_none_or(|p| Some(p) == t.parent.as_ref()))
            .filter_map(|(i, t)| {
                let start = t.start.filter(|st| *st <= listed_at).map(shown);
                let ended = t.end.filter(|e| *e <= listed_at && !t.unlisted_end);
                let end = ended.map(shown);
                let ok = |from: Option<i64>, at: Option<i64>| {
                    from.is_none_or(|f| at.is_some_and(|a| a >= f))
                };
                if !ok(ended_from, end) || !ok(started_from, start) {
                    return None;
                }
                let key = match by {
                    "end_time" => end.unwrap_or(i64::MAX),
                    "start_time" => start.unwrap_or(i64::MAX),
                    _ => shown(t.created),
                };
                Some((key, t.id.as_str(), i))
            })
            .collect();
        rows.sort();
        let offset: usize = q.get("offset").map_or(0, |o| o.parse().unwrap());
        let limit: usize = q.get("limit").map_or(50, |l| l.parse().unwrap());
        let total = rows.len();
        let page: Vec<Value> = rows
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, _, i)| self.json(&self.tasks[i], now, true))
            .collect();
        respond(json!({ "items": page }), Some(total))
    }
}

/// An event and when (seconds since [`UNIX0`]) it came out.
#[derive(Debug)]
struct Seen {
    at: u64,
    event: WatchEvent,
}

/// What a run saw.
#[derive(Debug, Default)]
struct Run {
    events: Vec<Seen>,
    /// The strategies, each time they changed.
    strategies: Vec<BTreeMap<ProjectId, FeedStrategy>>,
    requests: u64,
    sleeps: u64,
    done: bool,
}

impl Run {
    /// Seconds from each ending to its report, by id (all reports of it).
    fn endings(&self, fake: &Fake) -> HashMap<String, Vec<i64>> {
        let mut out: HashMap<String, Vec<i64>> = HashMap::new();
        for e in &self.events {
            if let WatchEvent::Ended { id, task } = &e.event {
                let t = &fake.tasks[fake.by_id[id.as_str()]];
                assert!(task.status.as_ref().unwrap().is_terminal());
                let end = t.end.unwrap().as_secs() as i64 - UNIX0 as i64;
                out.entry(id.to_string())
                    .or_default()
                    .push(e.at as i64 - end);
            }
        }
        out
    }
}

/// Steps `watch` against `fake` from [`UNIX0`] until it is over or `until` seconds passed.
/// Each answer comes back `latency` after its request.
fn drive(fake: &mut Fake, mut watch: Watch<'_>, until: u64) -> Run {
    let mut shared = Shared::new(BudgetPolicy::default());
    let mut run = Run::default();
    let mut t = Duration::ZERO;
    let latency = Duration::from_millis(200);
    let mut last = BTreeMap::new();
    loop {
        let now = Now {
            mono: t,
            unix: s(UNIX0) + t,
            random: 0,
        };
        match watch.step(now, &mut shared) {
            Step::Send(req) => {
                t += latency;
                let answer = fake.handle(&req, s(UNIX0) + t);
                let now = Now {
                    mono: t,
                    unix: s(UNIX0) + t,
                    random: 0,
                };
                watch.on_answer(Ok(answer), now, &mut shared);
            }
            Step::SleepUntil(at) => {
                run.sleeps += 1;
                t = t.max(at).max(t + Duration::from_millis(1))
            }
            Step::Event(e) => run.events.push(Seen {
                at: t.as_secs(),
                event: e.expect("no request fails"),
            }),
            Step::Done(()) => {
                run.done = true;
                break;
            }
            other => panic!("{other:?}"),
        }
        let strategies = watch.watcher().strategies();
        if strategies != last {
            last = strategies.clone();
            run.strategies.push(strategies);
        }
        if t >= s(until) {
            break;
        }
    }
    run.requests = watch.watcher().requests();
    run
}

fn settings(policy: WatcherPolicy) -> Settings {
    let mut settings = Settings::new(config());
    settings.watcher = policy;
    settings
}

fn project() -> ProjectId {
    P.parse().unwrap()
}

/// Every task of `fake` in `P` reported ended exactly once, within `max_delay` seconds of its
/// end; returns the largest delay.
fn exactly_once(run: &Run, fake: &Fake, max_delay: i64) -> i64 {
    let endings = run.endings(fake);
    let expected = fake.tasks.iter().filter(|t| t.parent.is_none()).count();
    assert_eq!(endings.len(), expected, "every ending reported");
    let mut worst = 0;
    for (id, delays) in &endings {
        assert_eq!(delays.len(), 1, "{id} reported {} times", delays.len());
        assert!(
            (0..=max_delay).contains(&delays[0]),
            "{id} noticed {} s after its end",
            delays[0]
        );
        worst = worst.max(delays[0]);
    }
    worst
}

/// 600 tasks of one project ending over 12 minutes, some in the same second.
fn thousand(fake: &mut Fake) {
    fake.running(P, 600, 0, |k| 60 + (k as u64 * 6) / 5);
}

#[test]
fn endings_come_from_listings_exactly_once_across_overlapping_windows() {
    let mut fake = Fake::default();
    thousand(&mut fake);
    let settings = settings(WatcherPolicy::default());
    let ids = fake.ids(P);
    let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
    assert!(run.done);
    let seq: Vec<FeedStrategy> = run
        .strategies
        .iter()
        .filter_map(|m| m.get(&project()).copied())
        .collect();
    assert_eq!(
        seq,
        [FeedStrategy::Listing],
        "600 tasks: listings are cheaper, to the last task"
    );
    // An ending shows in the next ended listing: at most the feed interval, 1-second
    // timestamps and a request's latency.
    let worst = exactly_once(&run, &fake, 5);
    assert!(worst <= 5, "{worst}");
    // Bulk gets every 10 s would have cost 6 requests per 10 s while 600 were running.
    let ended = fake.project_listings["ended"];
    assert!((200..=300).contains(&ended), "ended listings: {ended}");
}

#[test]
fn a_lagging_listing_is_caught_by_the_overlap_and_nothing_is_reported_twice() {
    let mut fake = Fake {
        lag: s(30),
        ..Fake::default()
    };
    thousand(&mut fake);
    let settings = settings(WatcherPolicy::default());
    let ids = fake.ids(P);
    let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
    assert!(run.done);
    let worst = exactly_once(&run, &fake, 30 + 5);
    assert!(worst >= 30, "the lag shows: {worst}");
}

#[test]
fn a_skewed_platform_clock_loses_no_ending() {
    for skew in [-5, 5] {
        let mut fake = Fake {
            lag: s(10),
            skew,
            ..Fake::default()
        };
        thousand(&mut fake);
        let settings = settings(WatcherPolicy::default());
        let ids = fake.ids(P);
        let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
        assert!(run.done, "skew {skew}");
        exactly_once(&run, &fake, 10 + 5);
    }
}

#[test]
fn the_reconciliation_finds_an_ending_no_listing_shows() {
    let mut fake = Fake::default();
    thousand(&mut fake);
    // One task's ending never shows in a listing; and it never ran, so the progress sweeps
    // (of running tasks) do not ask for it.
    let hidden = fake.by_id[&"lab_busy-t100".to_owned()];
    fake.tasks[hidden].unlisted_end = true;
    fake.tasks[hidden].start = None;
    fake.tasks[hidden].outcome = "ABORTED";
    let reconcile = 5 * 60;
    let policy = WatcherPolicy::default()
        .with_progress_interval(s(3600))
        .with_reconcile_interval(s(reconcile));
    let settings = settings(policy);
    let ids = fake.ids(P);
    let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
    assert!(run.done);
    let endings = run.endings(&fake);
    let delays = &endings[&"lab_busy-t100".to_owned()];
    assert_eq!(delays.len(), 1);
    assert!(
        delays[0] > 5 && delays[0] <= reconcile as i64 + 5,
        "found by the reconciliation: {delays:?}"
    );
    exactly_once(&run, &fake, reconcile as i64 + 5);
}

#[test]
fn under_a_budget_too_small_for_every_listing_the_reconciliation_still_runs() {
    let mut fake = Fake::default();
    // 300 tasks of a project followed whole, on a window of 20 requests per 300 s: the
    // watch share (12) cannot pay for an ended listing every 3 s, so one is always due. One
    // task's ending never shows in a listing, and it never ran (no progress sweep asks for
    // it): only the reconciliation (every 30 min, 3 bulk gets) can find it.
    fake.running(P, 300, 0, |k| 600 + 20 * k as u64);
    let hidden = fake.by_id[&"lab_busy-t100".to_owned()];
    fake.tasks[hidden].unlisted_end = true;
    fake.tasks[hidden].start = None;
    fake.tasks[hidden].outcome = "ABORTED";
    fake.limit = Some(20);
    let settings = settings(WatcherPolicy::default());
    let run = drive(&mut fake, Watch::project(&settings, project()), 3 * 3600);
    let endings = run.endings(&fake);
    let found = endings.get("lab_busy-t100").cloned().unwrap_or_default();
    assert_eq!(found.len(), 1, "found by a reconciliation: {found:?}");
    assert!(fake.bulk_gets >= 3, "{} bulk gets", fake.bulk_gets);
    // The listings still had the most of the budget: every other ending once, most of them
    // within two minutes.
    let mut delays: Vec<i64> = endings
        .iter()
        .filter(|(id, _)| id.as_str() != "lab_busy-t100")
        .map(|(id, d)| {
            assert_eq!(d.len(), 1, "{id} once: {d:?}");
            d[0]
        })
        .collect();
    assert_eq!(delays.len(), 299);
    delays.sort();
    assert!(
        delays[delays.len() / 2] <= 120,
        "median {} s",
        delays[delays.len() / 2]
    );
}

#[test]
fn three_watched_tasks_of_a_busy_project_stay_on_bulk_gets() {
    let mut fake = Fake::default();
    // 50 000 tasks in the project, ending all the time; 3 of them watched.
    fake.running(P, 50_000, 0, |k| 30 + k as u64 / 20);
    let settings = settings(WatcherPolicy::default());
    let watched: Vec<TaskId> = fake.ids(P).into_iter().step_by(10_000).take(3).collect();
    let run = drive(&mut fake, Watch::new(&settings, watched), 600);
    assert_eq!(run.strategies.len(), 1, "{:?}", run.strategies);
    assert_eq!(
        run.strategies[0].get(&project()),
        Some(&FeedStrategy::BulkGet)
    );
    assert_eq!(fake.listings, 0, "no listing of the project");
}

#[test]
fn ten_thousand_tasks_of_a_project_are_followed_by_listings() {
    let mut fake = Fake::default();
    fake.running(P, 10_000, 0, |k| 3600 + k as u64);
    fake.tasks[9_999].end = Some(s(UNIX0 + 100));
    let settings = settings(WatcherPolicy::default());
    let ids = fake.ids(P);
    let run = drive(&mut fake, Watch::new(&settings, ids), 300);
    assert_eq!(run.strategies.len(), 1, "{:?}", run.strategies);
    assert_eq!(
        run.strategies[0].get(&project()),
        Some(&FeedStrategy::Listing),
        "chosen once the first sweep told each task's project"
    );
    // One sweep to learn the projects, then listings only (bulk gets would be 100 requests
    // every 10 s).
    assert_eq!(fake.bulk_gets, 100);
    let ended = fake.project_listings["ended"];
    assert!(
        (70..=100).contains(&ended),
        "an ended listing every 3 s: {ended}"
    );
    assert_eq!(run.endings(&fake)["lab_busy-t9999"].len(), 1);
}

/// A batch parent of `n` children, queued, starting from 30 s and ending 100 s later, one a
/// second apart.
fn batch(fake: &mut Fake, n: usize) {
    fake.add(FTask {
        batch: true,
        ..FTask::ran("parent", s(UNIX0), s(UNIX0 + 30 + n as u64 + 100))
    });
    for k in 0..n {
        let start = s(UNIX0 + 30 + k as u64);
        fake.add(FTask {
            parent: Some("parent".into()),
            created: s(UNIX0),
            outcome: if k % 5 == 0 { "FAILED" } else { "COMPLETED" },
            ..FTask::ran(format!("child{k}"), start, start + s(100))
        });
    }
}

#[test]
fn children_report_each_status_change_and_their_lagging_last_endings() {
    let n = 150;
    let mut fake = Fake {
        lag: s(30),
        ..Fake::default()
    };
    batch(&mut fake, n);
    let settings = settings(WatcherPolicy::default());
    let run = drive(
        &mut fake,
        Watch::new(&settings, ["parent".parse().unwrap()]),
        3600,
    );
    assert!(run.done);
    let mut changes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &run.events {
        match &e.event {
            WatchEvent::ChildStatus { from, child, .. } => changes
                .entry(child.id.clone().unwrap())
                .or_default()
                .push(format!(
                    "{}->{}",
                    from.as_ref().map_or("none", |s| s.as_str()),
                    child.status.as_ref().unwrap().as_str()
                )),
            WatchEvent::ChildEnded { child, .. } => changes
                .entry(child.id.clone().unwrap())
                .or_default()
                .push(format!("ended {}", child.status.as_ref().unwrap().as_str())),
            _ => {}
        }
    }
    assert_eq!(changes.len(), n);
    for (id, seen) in &changes {
        let ended = seen.iter().filter(|s| s.starts_with("ended")).count();
        assert_eq!(ended, 1, "{id}: {seen:?}");
        assert_eq!(seen[0], "none->QUEUED", "{id}: first seen queued: {seen:?}");
        assert!(
            seen.contains(&"QUEUED->RUNNING".to_owned()),
            "{id}: {seen:?}"
        );
    }
    // The parent's own ending, once.
    let parent_ends = run
        .events
        .iter()
        .filter(|e| matches!(&e.event, WatchEvent::Ended { id, .. } if id.as_str() == "parent"))
        .count();
    assert_eq!(parent_ends, 1);
}

#[test]
fn a_batch_parent_whose_ending_a_listing_shows_first_still_reports_its_last_children() {
    // The parent is watched with 300 tasks of its project, which the watcher follows by
    // listings; the parent itself by bulk gets (its counts drive its children's listings),
    // at most every 10 s. Its children end one a second and it ends with the last one: the
    // project's ended listing (every 3 s) shows its ending before its next bulk get does,
    // with no counts. The children that ended since its last bulk get are reported all the
    // same, once each.
    let n = 50;
    let mut fake = Fake::default();
    fake.running(P, 300, 0, |k| 3_600 + k as u64);
    batch(&mut fake, n);
    let settings = settings(WatcherPolicy::default());
    let mut ids = fake.ids(P);
    ids.retain(|id| !id.as_str().starts_with("child"));
    let run = drive(&mut fake, Watch::new(&settings, ids), 600);
    let mut ended: BTreeMap<String, usize> = BTreeMap::new();
    for e in &run.events {
        if let WatchEvent::ChildEnded { child, .. } = &e.event {
            *ended.entry(child.id.clone().unwrap()).or_default() += 1;
        }
    }
    let missing: Vec<String> = (0..n)
        .map(|k| format!("child{k}"))
        .filter(|c| !ended.contains_key(c))
        .collect();
    assert!(missing.is_empty(), "never reported: {missing:?}");
    assert!(ended.values().all(|&c| c == 1), "{ended:?}");
    assert_eq!(
        run.strategies
            .last()
            .and_then(|s| s.values().next().copied()),
        Some(FeedStrategy::Listing),
        "the project is followed by listings"
    );
}

#[test]
fn a_project_followed_whole_reports_its_open_tasks_and_those_that_start_later() {
    let mut fake = Fake::default();
    // 300 open tasks, 50 that ended before the watch, and 40 that start during it.
    fake.running(P, 300, 0, |k| 120 + k as u64);
    for k in 0..50 {
        fake.add(FTask::ran(
            format!("old{k}"),
            s(UNIX0 - 7200),
            s(UNIX0 - 3600),
        ));
    }
    for k in 0..40 {
        fake.add(FTask {
            created: s(UNIX0 + 10),
            ..FTask::ran(format!("new{k}"), s(UNIX0 + 60 + 5 * k), s(UNIX0 + 400 + k))
        });
    }
    // Another project: never listed, never followed.
    fake.running("lab/other", 20, 0, |k| 100 + k as u64);
    let settings = settings(WatcherPolicy::default());
    let run = drive(&mut fake, Watch::project(&settings, project()), 4 * 3600);
    assert!(run.done);
    let mut ended: HashMap<String, usize> = HashMap::new();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for e in &run.events {
        match &e.event {
            WatchEvent::Ended { id, .. } => *ended.entry(id.to_string()).or_default() += 1,
            WatchEvent::Status { id, from: None, .. } => {
                *first_seen.entry(id.to_string()).or_default() += 1
            }
            _ => {}
        }
    }
    assert!(ended.values().all(|n| *n == 1), "each ending once");
    assert_eq!(
        ended.len(),
        340,
        "the open tasks and the new ones; not the old ones"
    );
    assert!(ended
        .keys()
        .all(|id| id.starts_with("lab_busy-") || id.starts_with("new")));
    assert!(first_seen.values().all(|n| *n == 1));
    assert!(first_seen.keys().any(|id| id.starts_with("new")));
}

#[test]
fn without_the_feed_a_watch_uses_bulk_gets_only() {
    let mut fake = Fake::default();
    fake.running(P, 1000, 0, |k| 60 + k as u64 / 10);
    let settings = settings(WatcherPolicy::default().with_feed(false));
    let ids = fake.ids(P);
    let mut watcher = Watcher::new(settings.watcher.clone());
    watcher.add(fake.ids(P).into_iter().take(1));
    assert!(watcher.strategies().is_empty());
    let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
    assert!(run.done);
    assert_eq!(fake.listings, 0);
    assert!(run.strategies.is_empty());
    exactly_once(&run, &fake, 15);
}

#[test]
fn the_margin_shrinks_while_listings_keep_up_and_widens_when_a_lag_hides_an_ending() {
    let mut fake = Fake {
        lag: s(30),
        lag_from: Some(400),
        ..Fake::default()
    };
    // 1 000 tasks ending over 20 minutes: on listings until about 900 s.
    fake.running(P, 1000, 0, |k| 60 + (k as u64 * 6) / 5);
    // The progress sweeps (every 2 min here) find what the narrowed listings missed.
    let policy = WatcherPolicy::default().with_progress_interval(s(120));
    let settings = settings(policy);
    let ids = fake.ids(P);
    let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
    assert!(run.done);
    let reach = |from: u64, to: u64| -> Vec<i64> {
        fake.reach
            .iter()
            .filter(|(at, _)| (from..to).contains(at))
            .map(|(_, r)| *r)
            .collect()
    };
    // Without lag the endings show at once: the windows narrow from 60 s to about 10 s.
    assert!(reach(0, 30).iter().all(|r| *r >= 60), "{:?}", reach(0, 30));
    let early = reach(200, 400);
    assert!(
        !early.is_empty() && early.iter().all(|r| *r <= 15),
        "{early:?}"
    );
    // A lag of 30 s from 400 s on: an ending a get found before the narrowed listings could
    // show it, and which they never will, puts the full margin back.
    let late = reach(600, 700);
    assert!(
        !late.is_empty() && late.iter().all(|r| *r >= 35),
        "{late:?}"
    );
    // Each ending once all the same (the progress sweeps' bulk gets caught the missed ones).
    exactly_once(&run, &fake, 130);
}

#[test]
fn a_few_tasks_of_a_busy_project_leave_listings_when_its_pages_grow() {
    let mut fake = Fake::default();
    // 150 watched tasks ending from 1 200 s on; 20 000 others of the project ending 20 a
    // second from 60 s to 1 060 s, which fill several pages of each ended listing.
    fake.running(P, 150, 0, |k| 1_200 + 2 * k as u64);
    for k in 0..20_000u64 {
        fake.add(FTask::ran(
            format!("busy{k}"),
            s(UNIX0),
            s(UNIX0 + 60 + k / 20),
        ));
    }
    let settings = settings(WatcherPolicy::default());
    let ids = fake
        .ids(P)
        .into_iter()
        .filter(|id| id.as_str().starts_with("lab_busy-"));
    let ids: Vec<TaskId> = ids.collect();
    assert_eq!(ids.len(), 150);
    let run = drive(&mut fake, Watch::new(&settings, ids), 4 * 3600);
    assert!(run.done);
    let seq: Vec<FeedStrategy> = run
        .strategies
        .iter()
        .filter_map(|m| m.get(&project()).copied())
        .collect();
    assert_eq!(
        seq,
        [FeedStrategy::Listing, FeedStrategy::BulkGet],
        "listings, then bulk gets once the others' endings fill pages (the pages per listing \
         are learned on listings only: it stays there)"
    );
    let endings = run.endings(&fake);
    assert_eq!(endings.len(), 150);
    assert!(endings
        .values()
        .all(|d| d.len() == 1 && (0..=11).contains(&d[0])));
}

#[test]
fn endings_are_listed_on_time_while_a_large_project_is_enumerated_and_its_starts_are_paged() {
    let mut fake = Fake::default();
    // 5 000 tasks that all started just before the watch: the initial listing and the first
    // started listing are 50 pages each, paced by the budget. The first 200 end during them.
    fake.running(P, 5_000, 0, |k| {
        if k < 200 {
            1 + (k as u64 * 3) / 5
        } else {
            3_600 + k as u64
        }
    });
    let settings = settings(WatcherPolicy::default());
    let run = drive(&mut fake, Watch::project(&settings, project()), 300);
    let endings = run.endings(&fake);
    let early: Vec<_> = (0..200)
        .map(|k| format!("lab_busy-t{k}"))
        .map(|id| (endings.get(&id).cloned().unwrap_or_default(), id))
        .collect();
    for (delays, id) in &early {
        assert_eq!(delays.len(), 1, "{id} reported once: {delays:?}");
        // The ended listing every 3 s, 1-second timestamps and 200 ms answers: never
        // held up behind the pages of the initial or the started listing.
        assert!(delays[0] <= 5, "{id} noticed {} s after its end", delays[0]);
    }
}

#[test]
fn endings_just_after_the_watch_began_are_reported_behind_a_slow_clock_and_a_lagging_first_listing()
{
    let mut fake = Fake::default();
    // 10 000 tasks open when the watch begins (its first listing: 100 pages, 20 s and more),
    // and 20 more, listed last, that end in the watch's first 20 s. The platform's clock is
    // 5 s behind ours and listings 10 s behind gets: an ended listing shows some of those 20
    // with an end before the watch began (by our clock), and the first listing's last pages
    // show the others ended. They are reported all the same, once each.
    fake.running(P, 10_000, 0, |k| 3_600 + k as u64);
    for k in 0..20 {
        fake.add(FTask::ran(format!("zz{k}"), s(UNIX0), s(UNIX0 + 1 + k)));
    }
    fake.lag = s(10);
    fake.skew = -5;
    // Ended 30 min before the watch: not reported.
    fake.add(FTask::ran("old", s(UNIX0 - 7200), s(UNIX0 - 1800)));
    let settings = settings(WatcherPolicy::default());
    let run = drive(&mut fake, Watch::project(&settings, project()), 90);
    let endings = run.endings(&fake);
    for k in 0..20 {
        let id = format!("zz{k}");
        let d = endings.get(&id).cloned().unwrap_or_default();
        assert_eq!(d.len(), 1, "{id} reported once: {d:?}");
    }
    assert!(
        !endings.contains_key("old"),
        "an ending long before the watch"
    );
}
