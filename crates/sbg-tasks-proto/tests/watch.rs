//! Following many tasks through the clients: `watch` (the blocking iterator and the async
//! stream), `wait_all` and `wait_any`, over a small platform in memory whose tasks change
//! status as each test scripts, with a fake clock whose sleeps are recorded.
//! (The watcher's own rules are unit-tested in `src/machine/watch.rs`.)

mod support;
use support::*;

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_core::Stream;
use serde_json::{json, Value};

use sbg_tasks_proto::endpoints::BulkItemError;
use sbg_tasks_proto::env::{AsyncEnv, BlockingEnv, Env};
use sbg_tasks_proto::{WatchEvent, WatcherPolicy};

/// A request the platform received: when (seconds after [`UNIX0`]), method and path, and the
/// ids of a bulk get.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    at: Duration,
    method: String,
    path: String,
    ids: Vec<String>,
}

impl Sent {
    fn is_bulk(&self) -> bool {
        self.method == "POST" && self.path == "/v2/bulk/tasks/get"
    }
}

#[derive(Default)]
struct State {
    /// How many bulk gets have asked for each id (and been answered).
    asked: HashMap<String, usize>,
    log: Vec<Sent>,
    /// Bulk gets received so far, answered or not.
    bulk_count: usize,
    /// Counted requests per 300 s window: (window, count).
    counted: (u64, u64),
}

/// A platform in memory. Each task answers the k-th bulk get that asks for it with its k-th
/// scripted state (and its last one from then on); an id it does not know is a 404 item (code
/// 7002). The bulk gets numbered in `fail` (from 0) are answered 503. Every counted answer
/// carries `X-RateLimit-*` headers of a 1000 per 300 s window; `GET /v2/rate_limit` is free.
struct Platform {
    tasks: HashMap<String, Vec<&'static str>>,
    fail: HashSet<usize>,
    state: Mutex<State>,
}

/// A task's scripted state: a status, with `steps done/total` after a space.
fn resource(id: &str, state: &str) -> Value {
    let mut parts = state.split(' ');
    let status = parts.next().unwrap();
    let mut task = json!({"id": id, "name": format!("task {id}"), "status": status});
    if let Some(steps) = parts.next() {
        let (done, total) = steps.split_once('/').unwrap();
        task["execution_status"] = json!({
            "steps_completed": done.parse::<u64>().unwrap(),
            "steps_total": total.parse::<u64>().unwrap(),
        });
    }
    task
}

impl Platform {
    fn new(tasks: &[(&str, &[&'static str])]) -> Self {
        Self {
            tasks: tasks
                .iter()
                .map(|(id, states)| (id.to_string(), states.to_vec()))
                .collect(),
            fail: HashSet::new(),
            state: Mutex::default(),
        }
    }

    fn failing(mut self, bulk_gets: impl IntoIterator<Item = usize>) -> Self {
        self.fail.extend(bulk_gets);
        self
    }

    fn send(&self, req: Request<Vec<u8>>, unix_now: Duration) -> Outcome {
        assert_eq!(
            req.headers().get("x-sbg-auth-token").map(|v| v.as_bytes()),
            Some(TOKEN.as_bytes())
        );
        let at = unix_now - Duration::from_secs(UNIX0);
        let mut st = self.state.lock().unwrap();
        let path = req.uri().path().to_string();
        let ids: Vec<String> = if path == "/v2/bulk/tasks/get" {
            body_json(&req)["task_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        } else {
            Vec::new()
        };
        st.log.push(Sent {
            at,
            method: req.method().to_string(),
            path: path.clone(),
            ids: ids.clone(),
        });
        let window = at.as_secs() / 300;
        if st.counted.0 != window {
            st.counted = (window, 0);
        }
        let reset = (UNIX0 + 300 * (window + 1)).to_string();
        if path == "/v2/rate_limit" {
            let body = json!({"rate": {"limit": 1000, "remaining": 1000 - st.counted.1,
                                       "reset": UNIX0 + 300 * (window + 1)},
                              "instance_limit": {"limit": 25, "remaining": 25}});
            return answer(200, &[], &body.to_string());
        }
        st.counted.1 += 1;
        let headers = [
            ("x-ratelimit-limit", "1000".to_string()),
            ("x-ratelimit-remaining", (1000 - st.counted.1).to_string()),
            ("x-ratelimit-reset", reset),
        ];
        assert_eq!(
            (req.method().as_str(), path.as_str()),
            ("POST", "/v2/bulk/tasks/get"),
            "a watch sends only bulk gets"
        );
        let n = st.bulk_count;
        st.bulk_count += 1;
        // A watch that never ends fails here instead of hanging.
        assert!(n < 1000, "runaway: a thousand bulk gets");
        if self.fail.contains(&n) {
            return answer(
                503,
                &headers,
                r#"{"status":503,"code":0,"message":"maintenance"}"#,
            );
        }
        let items: Vec<Value> = ids
            .iter()
            .map(|id| match self.tasks.get(id) {
                Some(states) => {
                    let k = st.asked.entry(id.clone()).or_insert(0);
                    let state = states[(*k).min(states.len() - 1)];
                    *k += 1;
                    json!({ "resource": resource(id, state) })
                }
                None => json!({"error": {"status": 404, "code": 7002,
                                         "message": format!("Task {id} does not exist.")}}),
            })
            .collect();
        answer(200, &headers, &json!({ "items": items }).to_string())
    }

    fn log(&self) -> Vec<Sent> {
        self.state.lock().unwrap().log.clone()
    }

    fn bulk_gets(&self) -> Vec<Sent> {
        self.log().into_iter().filter(Sent::is_bulk).collect()
    }
}

fn tid(s: &str) -> TaskId {
    s.parse().unwrap()
}

fn tids(names: &[&str]) -> Vec<TaskId> {
    names.iter().map(|n| tid(n)).collect()
}

/// An event in a line: `id new -> QUEUED`, `id QUEUED -> RUNNING`, `id progress 2/4`,
/// `id ended FAILED`, `id gone 404`.
fn show(e: &WatchEvent) -> String {
    let status = |t: &sbg_tasks_proto::Task| t.status.as_ref().unwrap().as_str().to_owned();
    match e {
        WatchEvent::Status { id, from, task } => format!(
            "{id} {} -> {}",
            from.as_ref().map_or("new", |s| s.as_str()),
            status(task)
        ),
        WatchEvent::Progress { id, task } => {
            let (done, total) = task
                .execution_status
                .as_ref()
                .and_then(|e| e.steps())
                .unwrap();
            format!("{id} progress {done}/{total}")
        }
        WatchEvent::Ended { id, task } => format!("{id} ended {}", status(task)),
        WatchEvent::Gone { id, error } => format!("{id} gone {}", error.status().unwrap()),
        other => format!("{other:?}"),
    }
}

/// The fake clock, guarded: a client that sleeps ten thousand times fails instead of hanging
/// (a watch that never ends may send nothing, only wait).
struct Guarded<'a> {
    env: &'a FakeEnv,
    sleeps: AtomicUsize,
}

impl<'a> Guarded<'a> {
    fn new(env: &'a FakeEnv) -> Self {
        Self {
            env,
            sleeps: AtomicUsize::new(0),
        }
    }

    fn count(&self) {
        let n = self.sleeps.fetch_add(1, Ordering::Relaxed);
        assert!(n < 10_000, "runaway: ten thousand sleeps");
    }
}

impl Env for Guarded<'_> {
    fn now(&self) -> Duration {
        self.env.now()
    }
    fn unix_now(&self) -> Duration {
        self.env.unix_now()
    }
    fn random(&self) -> u64 {
        self.env.random()
    }
}

impl BlockingEnv for Guarded<'_> {
    fn sleep(&self, duration: Duration) {
        self.count();
        BlockingEnv::sleep(self.env, duration);
    }
}

impl AsyncEnv for Guarded<'_> {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.count();
        AsyncEnv::sleep(self.env, duration)
    }
}

fn blocking<'a>(
    platform: &'a Platform,
    env: &'a FakeEnv,
) -> BlockingClient<impl Fn(Request<Vec<u8>>) -> Outcome + 'a, Guarded<'a>> {
    let transport = move |r| platform.send(r, env.unix_now());
    BlockingClient::with_env(config(), transport, Guarded::new(env))
        .with_retry(RetryPolicy::default().with_jitter(0.0))
}

fn asynchronous<'a>(
    platform: &'a Platform,
    env: &'a FakeEnv,
) -> AsyncClient<impl Fn(Request<Vec<u8>>) -> std::future::Ready<Outcome> + Sync + 'a, Guarded<'a>>
{
    let transport = move |r| std::future::ready(platform.send(r, env.unix_now()));
    AsyncClient::with_env(config(), transport, Guarded::new(env))
        .with_retry(RetryPolicy::default().with_jitter(0.0))
}

/// Four tasks: one queued then running then done, one failing, one the platform does not
/// know, one making progress then aborted.
fn four() -> Platform {
    Platform::new(&[
        ("a", &["QUEUED", "RUNNING", "RUNNING", "COMPLETED"]),
        ("b", &["RUNNING", "FAILED"]),
        ("d", &["RUNNING 1/4", "RUNNING 2/4", "ABORTED"]),
    ])
}

/// The events of a watch of `a b c d` on [`four`], in order.
fn four_expected() -> Vec<String> {
    [
        // The first sweep: every id, in the order given.
        "a new -> QUEUED",
        "b new -> RUNNING",
        "c gone 404",
        "d new -> RUNNING",
        // The second (c is gone).
        "a QUEUED -> RUNNING",
        "b ended FAILED",
        "d progress 2/4",
        // The third: a is still RUNNING (no event).
        "d ended ABORTED",
        // The fourth, and the watch ends.
        "a ended COMPLETED",
    ]
    .map(String::from)
    .to_vec()
}

fn rate_limit_probe(sent: &Sent) -> bool {
    (sent.method.as_str(), sent.path.as_str()) == ("GET", "/v2/rate_limit")
}

#[test]
fn a_watch_reports_each_change_in_order_and_each_ending_once() {
    let platform = four();
    let env = env();
    let c = blocking(&platform, &env);
    let mut watch = c.watch(tids(&["a", "b", "c", "d"]));
    let events: Vec<WatchEvent> = watch.by_ref().map(Result::unwrap).collect();
    assert_eq!(events.iter().map(show).collect::<Vec<_>>(), four_expected());
    assert!(watch.next().is_none(), "an ended watch stays ended");
    assert!(watch.watcher().is_empty());

    // Each id ends (or is gone) exactly once, and is never asked for after that.
    let log = platform.log();
    for id in ["a", "b", "c", "d"] {
        let endings: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.id().as_str() == id
                    && matches!(e, WatchEvent::Ended { .. } | WatchEvent::Gone { .. })
            })
            .map(|(i, _)| i)
            .collect();
        assert_eq!(endings.len(), 1, "{id}: {events:?}");
        assert!(
            events[endings[0] + 1..]
                .iter()
                .all(|e| e.id().as_str() != id),
            "{id}: no event after its ending"
        );
    }
    let asked: Vec<Vec<&str>> = log
        .iter()
        .filter(|s| s.is_bulk())
        .map(|s| s.ids.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        asked,
        [
            vec!["a", "b", "c", "d"],
            vec!["a", "b", "d"],
            vec!["a", "d"],
            vec!["a"]
        ]
    );
    // The first request of a watch is the free probe of the rate limit, and the only one.
    assert!(rate_limit_probe(&log[0]), "{:?}", log[0]);
    assert_eq!(log.iter().filter(|s| rate_limit_probe(s)).count(), 1);
    assert_eq!(watch.watcher().requests(), 4);
    assert_eq!(c.budget().counts(), (4, 0), "the probe is not counted");
}

#[test]
fn sweeps_take_a_hundred_ids_a_request_and_no_task_is_refreshed_before_the_interval() {
    // 250 tasks, RUNNING for two sweeps, then done.
    let names: Vec<String> = (0..250).map(|i| format!("t{i:03}")).collect();
    let script: Vec<(&str, &[&'static str])> = names
        .iter()
        .map(|n| (n.as_str(), &["RUNNING", "RUNNING", "COMPLETED"][..]))
        .collect();
    let platform = Platform::new(&script);
    let env = env();
    let interval = Duration::from_secs(30);
    let c = blocking(&platform, &env)
        .with_watcher(WatcherPolicy::default().with_min_interval(interval));
    let ids: Vec<TaskId> = names.iter().map(|n| tid(n)).collect();
    let events: Vec<WatchEvent> = c.watch(ids).map(Result::unwrap).collect();
    assert_eq!(events.len(), 500, "a first status and an ending for each");

    // ceil(250 / 100) = 3 bulk gets a sweep, three sweeps, each id once a sweep.
    let bulks = platform.bulk_gets();
    let sizes: Vec<usize> = bulks.iter().map(|s| s.ids.len()).collect();
    assert_eq!(sizes, [100, 100, 50].repeat(3));
    for sweep in bulks.chunks(3) {
        let mut asked: Vec<&String> = sweep.iter().flat_map(|s| &s.ids).collect();
        asked.sort();
        assert_eq!(asked, names.iter().collect::<Vec<_>>());
    }
    // No id is asked again before the interval: the client slept in between.
    let mut last: HashMap<&str, Duration> = HashMap::new();
    for s in &bulks {
        for id in &s.ids {
            if let Some(before) = last.insert(id, s.at) {
                assert!(
                    s.at - before >= interval,
                    "{id}: {before:?} then {:?}",
                    s.at
                );
            }
        }
    }
    let slept = env.slept();
    assert!(
        slept >= 2 * interval && slept < 3 * interval,
        "two intervals between three sweeps: {slept:?}"
    );
}

#[test]
fn a_sweep_that_fails_is_yielded_as_an_error_and_the_watch_goes_on_with_the_same_ids() {
    // The second sweep's bulk get is answered 503 on both attempts.
    let platform = four().failing([1, 2]);
    let env = env();
    let c = blocking(&platform, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0).with_max_attempts(2));
    let items: Vec<Result<WatchEvent, ClientError>> =
        c.watch(tids(&["a", "b", "c", "d"])).collect();
    let shown: Vec<String> = items
        .iter()
        .map(|i| match i {
            Ok(e) => show(e),
            Err(ClientError::RetriesExhausted { attempts, last, .. }) => {
                format!("error after {attempts}: {:?}", last.api().map(|a| a.status))
            }
            Err(e) => format!("{e:?}"),
        })
        .collect();
    let mut expected = four_expected();
    expected.insert(4, "error after 2: Some(503)".into());
    assert_eq!(shown, expected);
    let bulks = platform.bulk_gets();
    let ids: Vec<&Vec<String>> = bulks.iter().map(|s| &s.ids).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(ids[1], ids[2], "the retry");
    assert_eq!(ids[3], ids[1], "after the error, the same ids again");
    // Not after the watcher's interval: only the budget's pacing of the watch lane (a window's
    // 600 watch requests spread over its 300 s).
    assert_eq!(bulks[3].at - bulks[2].at, Duration::from_millis(500));
}

#[test]
fn wait_all_gives_one_result_per_id_in_the_order_given() {
    let platform = four();
    let env = env();
    let c = blocking(&platform, &env);
    let results = c.wait_all(&tids(&["d", "c", "a", "b"])).unwrap();
    let shown: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(t) => format!(
                "{} {}",
                t.id.as_deref().unwrap(),
                t.status.as_ref().unwrap().as_str()
            ),
            Err(BulkItemError::Api(e)) => format!("{} {:?}", e.status, e.code.map(|c| c.as_i64())),
            Err(e) => format!("{e:?}"),
        })
        .collect();
    assert_eq!(
        shown,
        ["d ABORTED", "404 Some(7002)", "a COMPLETED", "b FAILED"]
    );
    let log = platform.log();
    assert!(rate_limit_probe(&log[0]), "{:?}", log[0]);
    assert_eq!(platform.bulk_gets().len(), 4);
}

#[test]
fn wait_any_stops_after_n_endings_or_at_the_timeout_in_virtual_time() {
    // Two endings wanted: b ends at the second sweep, d at the third.
    let platform = four();
    let env = env();
    let c = blocking(&platform, &env);
    let ids = tids(&["a", "b", "d"]);
    let got = c.wait_any(&ids, 2, None).unwrap();
    let ended: Vec<String> = got
        .ended
        .iter()
        .map(|(id, r)| {
            format!(
                "{id} {}",
                r.as_ref().unwrap().status.as_ref().unwrap().as_str()
            )
        })
        .collect();
    assert_eq!(ended, ["b FAILED", "d ABORTED"]);
    assert_eq!(got.pending, tids(&["a"]));
    assert_eq!(
        platform.bulk_gets().len(),
        3,
        "no sweep after the second ending"
    );

    // An unknown id counts as ended (with its error).
    let platform = four();
    let env = self::env();
    let got = blocking(&platform, &env)
        .wait_any(&tids(&["a", "c"]), 1, None)
        .unwrap();
    assert_eq!(got.ended.len(), 1);
    assert_eq!(got.ended[0].0, tid("c"));
    assert_eq!(got.ended[0].1.as_ref().unwrap_err().status(), Some(404));
    assert_eq!(got.pending, tids(&["a"]));

    // Nothing ends: the timeout, in virtual time (sweeps at 0, 10 and 20 s).
    let platform = Platform::new(&[("x", &["RUNNING"]), ("y", &["QUEUED"])]);
    let env = self::env();
    let start = env.now();
    let got = blocking(&platform, &env)
        .wait_any(&tids(&["y", "x"]), 1, Some(Duration::from_secs(25)))
        .unwrap();
    assert!(got.ended.is_empty());
    assert_eq!(got.pending, tids(&["y", "x"]));
    assert_eq!(env.now() - start, Duration::from_secs(25));
    let at: Vec<u64> = platform
        .bulk_gets()
        .iter()
        .map(|s| s.at.as_secs())
        .collect();
    assert_eq!(at, [0, 10, 20]);
}

#[test]
fn waiting_for_a_draft_fails_at_once() {
    let platform = Platform::new(&[("a", &["RUNNING"]), ("draft", &["DRAFT"])]);
    let env = env();
    let c = blocking(&platform, &env);
    let e = c.wait_all(&tids(&["a", "draft"])).unwrap_err();
    match &e {
        ClientError::NotStarted { task } => assert_eq!(task.id.as_deref(), Some("draft")),
        other => panic!("{other:?}"),
    }
    assert_eq!(platform.bulk_gets().len(), 1);
    assert!(env.sleeps().is_empty(), "{:?}", env.sleeps());
    let e = c
        .wait_any(&tids(&["draft"]), 1, Some(Duration::from_secs(60)))
        .unwrap_err();
    assert!(matches!(e, ClientError::NotStarted { .. }), "{e:?}");
    assert_eq!(platform.bulk_gets().len(), 2);
    assert!(env.slept() < Duration::from_secs(1), "{:?}", env.sleeps());
}

/// Polls `stream` to its end; every await in it is ready at once.
fn collect<S: Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
    let mut out = Vec::new();
    while let Some(item) = block_on(std::future::poll_fn(|cx| {
        Pin::new(&mut stream).poll_next(cx)
    })) {
        out.push(item);
    }
    out
}

#[test]
fn the_async_watch_stream_gives_what_the_blocking_watch_gives() {
    let run_blocking = |platform: &Platform| {
        let env = env();
        let c = blocking(platform, &env)
            .with_retry(RetryPolicy::default().with_jitter(0.0).with_max_attempts(2));
        let items: Vec<_> = c.watch(tids(&["a", "b", "c", "d"])).collect();
        (items, env.sleeps())
    };
    let run_async = |platform: &Platform| {
        let env = env();
        let c = asynchronous(platform, &env)
            .with_retry(RetryPolicy::default().with_jitter(0.0).with_max_attempts(2));
        let stream = assert_send(c.watch(tids(&["a", "b", "c", "d"])));
        let items = collect(stream);
        (items, env.sleeps())
    };
    let show_all = |items: &[Result<WatchEvent, ClientError>]| -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Ok(e) => show(e),
                Err(e) => format!("error: {e}"),
            })
            .collect()
    };
    let (p1, p2) = (four().failing([1, 2]), four().failing([1, 2]));
    let (b_items, b_sleeps) = run_blocking(&p1);
    let (a_items, a_sleeps) = run_async(&p2);
    assert_eq!(show_all(&a_items), show_all(&b_items));
    assert_eq!(show_all(&a_items).len(), 10, "nine events and the error");
    let a_events: Vec<&WatchEvent> = a_items.iter().filter_map(|i| i.as_ref().ok()).collect();
    let b_events: Vec<&WatchEvent> = b_items.iter().filter_map(|i| i.as_ref().ok()).collect();
    assert_eq!(a_events, b_events, "the same tasks in the events");
    assert_eq!(p2.log(), p1.log(), "the same requests at the same times");
    assert!(rate_limit_probe(&p2.log()[0]));
    assert_eq!(a_sleeps, b_sleeps);
}

#[test]
fn the_async_wait_all_gives_what_the_blocking_one_gives() {
    let ids = tids(&["d", "c", "a", "b"]);
    let p1 = four();
    let env1 = env();
    let blocking_results = blocking(&p1, &env1).wait_all(&ids).unwrap();
    let p2 = four();
    let env2 = env();
    let c = asynchronous(&p2, &env2);
    let async_results = block_on(assert_send(c.wait_all(&ids))).unwrap();
    assert_eq!(async_results, blocking_results);
    assert_eq!(async_results.len(), 4);
    assert_eq!(p2.log(), p1.log());
    assert_eq!(env2.sleeps(), env1.sleeps());
    assert!(!env2.sleeps().is_empty());
    // A DRAFT: NotStarted too.
    let p3 = Platform::new(&[("draft", &["DRAFT"])]);
    let env3 = env();
    let c = asynchronous(&p3, &env3);
    let e = block_on(c.wait_all(&tids(&["draft"]))).unwrap_err();
    assert!(matches!(e, ClientError::NotStarted { .. }), "{e:?}");
}
