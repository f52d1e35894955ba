//! The rate-limit budget through the blocking client: scripted answers with `X-RateLimit-*`
//! headers, a fake clock whose sleeps are recorded. Reads stop at the reserve and changes spend
//! it, a 429 holds every lane until its reset, a 429 that does not say when makes the next call
//! ask `GET /v2/rate_limit` first, `BudgetPolicy::off()` sends everything at once, clones share
//! one budget, and the watch lane is capped by its share of the window.
//! (The machine's own rules are unit-tested in `src/machine/budget.rs`.)

mod support;
use support::*;

use sbg_tasks_proto::env::Env;
use sbg_tasks_proto::machine::budget::Lane;
use sbg_tasks_proto::meta::RateLimit;
use sbg_tasks_proto::{AbortTask, BudgetPolicy};

/// `X-RateLimit-*` headers: `remaining` of `limit` left, resetting `reset_in` s after [`UNIX0`].
fn rate(limit: u64, remaining: u64, reset_in: u64) -> Vec<(&'static str, String)> {
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", (UNIX0 + reset_in).to_string()),
    ]
}

/// A task answer whose headers say `remaining` of 1000 are left until `reset_in`.
fn task_left(remaining: u64, reset_in: u64) -> Outcome {
    answer(
        200,
        &rate(1000, remaining, reset_in),
        &format!(r#"{{"id":"{ID}","status":"RUNNING"}}"#),
    )
}

fn too_many(headers: &[(&str, String)]) -> Outcome {
    answer(
        429,
        headers,
        r#"{"status":429,"code":1000,"message":"Rate limit exceeded"}"#,
    )
}

fn probe_answer(remaining: u64, reset_in: u64) -> Outcome {
    answer(
        200,
        &[],
        &format!(
            r#"{{"rate":{{"limit":1000,"remaining":{remaining},"reset":{}}},"instance_limit":{{"limit":25,"remaining":25}}}}"#,
            UNIX0 + reset_in
        ),
    )
}

fn rate_limit_path() -> (String, String) {
    ("GET".into(), "/v2/rate_limit".into())
}

/// Seconds after [`UNIX0`] on `env`'s wall clock.
fn secs(env: &FakeEnv) -> f64 {
    (env.unix_now() - Duration::from_secs(UNIX0)).as_secs_f64()
}

fn get_call() -> GetTask {
    GetTask::new(id())
}

#[test]
fn reads_wait_at_the_reserve_until_the_reset_and_changes_still_go() {
    let script = Script::new(vec![
        task_left(4, 60),
        task_left(3, 60),
        task_left(2, 60),
        task_left(1, 60), // the abort
        task_left(999, 360),
    ]);
    let env = env();
    let sent_at = Mutex::new(Vec::new());
    let transport = |r| {
        sent_at.lock().unwrap().push(secs(&env));
        script.send(r)
    };
    let c = BlockingClient::with_env(config(), transport, &env)
        .with_retry(RetryPolicy::default().with_jitter(0.0))
        .with_budget(BudgetPolicy::default().with_reserve(2));
    for _ in 0..3 {
        c.get(&get_call()).unwrap();
    }
    // Two left, the reserve: a change still goes, at once.
    c.abort(&AbortTask::new(id())).unwrap();
    assert!(env.sleeps().is_empty(), "{:?}", env.sleeps());
    // 15 s later a read waits out the 45 s left of the window, then is sent.
    env.advance(Duration::from_secs(15));
    let answer = c.get(&get_call()).unwrap();
    assert_eq!(answer.meta.rate_limit.unwrap().remaining, 999);
    assert_eq!(env.sleeps(), [Duration::from_secs(45)]);
    assert_eq!(*sent_at.lock().unwrap(), [0.0, 0.0, 0.0, 0.0, 60.0]);
    assert_eq!(
        script.seen(),
        [get(), get(), get(), post("abort"), get()],
        "every call was sent once"
    );
    assert_eq!(c.budget().counts(), (5, 0));
}

#[test]
fn a_429_holds_the_next_call_of_every_lane_until_its_reset() {
    // The reset said by `X-RateLimit-Reset` (nothing left), or by `Retry-After` alone (the
    // budget then knows no window: only the 429 itself can hold the next call).
    let variants: [(&str, Vec<(&str, String)>); 2] = [
        ("rate headers", rate(1000, 0, 40)),
        ("retry-after", vec![("retry-after", "40".into())]),
    ];
    for (name, headers) in variants {
        for lane in [Lane::Read, Lane::Change, Lane::Watch] {
            let script = Script::new(vec![too_many(&headers), task("RUNNING")]);
            let env = env();
            let c = client(&script, &env).with_retry(RetryPolicy::off());
            let e = c.get(&get_call()).unwrap_err();
            assert_eq!(e.api().map(|a| a.status), Some(429), "{name} {lane:?}");
            env.advance(Duration::from_secs(10));
            let answer = c.call_in(lane, &get_call()).unwrap();
            assert_eq!(answer.value.status, Some(TaskStatus::Running));
            let sleeps = env.sleeps();
            if lane == Lane::Watch && name == "rate headers" {
                // A window spent by no request of this process: others share the token, so
                // the watch lane restarts at a random moment of its first interval after
                // the reset (at most one interval of its slow start: 300 s / 75 = 4 s).
                assert_eq!(sleeps.len(), 1, "{name} {lane:?}");
                assert!(
                    sleeps[0] >= Duration::from_secs(30) && sleeps[0] <= Duration::from_secs(34),
                    "{name} {lane:?}: {sleeps:?}"
                );
            } else {
                assert_eq!(
                    sleeps,
                    [Duration::from_secs(30)],
                    "{name} {lane:?}: held until the reset, 40 s after the 429"
                );
            }
            assert_eq!(script.seen(), [get(), get()], "{name} {lane:?}: no probe");
            assert_eq!(c.budget().counts(), (2, 1), "{name} {lane:?}");
        }
    }
}

#[test]
fn a_429_that_does_not_say_when_makes_the_next_call_probe_first() {
    // The next call: the probe says the window is spent for 20 s more, so the call waits.
    let script = Script::new(vec![
        too_many(&[]),
        probe_answer(0, 20),
        task_left(900, 320),
    ]);
    let env = env();
    let c = client(&script, &env).with_retry(RetryPolicy::off());
    assert!(c.get(&get_call()).is_err());
    c.get(&get_call()).unwrap();
    assert_eq!(script.seen(), [get(), rate_limit_path(), get()]);
    assert_eq!(env.sleeps(), [Duration::from_secs(20)]);
    assert_eq!(
        c.budget().counts(),
        (2, 1),
        "the probe is free: not counted as sent"
    );
    assert_eq!(
        c.budget().window(),
        Some(RateLimit {
            limit: 1000,
            remaining: 900,
            reset: UNIX0 + 320
        })
    );

    // The retry of the same call: its backoff, then the probe, then the rest of the window.
    let script = Script::new(vec![
        too_many(&[]),
        probe_answer(0, 20),
        task_left(900, 320),
    ]);
    let env = self::env();
    client(&script, &env).get(&get_call()).unwrap();
    assert_eq!(script.seen(), [get(), rate_limit_path(), get()]);
    assert_eq!(
        env.sleeps(),
        [Duration::from_millis(500), Duration::from_millis(19_500)]
    );

    // A probe that finds requests left: the next call goes at once.
    let script = Script::new(vec![
        too_many(&[]),
        probe_answer(600, 200),
        task_left(599, 200),
    ]);
    let env = self::env();
    let c = client(&script, &env).with_retry(RetryPolicy::off());
    assert!(c.get(&get_call()).is_err());
    c.get(&get_call()).unwrap();
    assert_eq!(script.seen(), [get(), rate_limit_path(), get()]);
    assert!(env.sleeps().is_empty(), "{:?}", env.sleeps());
}

#[test]
fn with_the_budget_off_every_call_goes_at_once_as_before() {
    let script = Script::new(vec![
        task_left(0, 60),
        task_left(0, 60),
        too_many(&[]),
        task("RUNNING"),
        too_many(&[("retry-after", "40".into())]),
        task("RUNNING"),
    ]);
    let env = env();
    let c = client(&script, &env)
        .with_retry(RetryPolicy::off())
        .with_budget(BudgetPolicy::off());
    let results: Vec<bool> = (0..6).map(|_| c.get(&get_call()).is_ok()).collect();
    assert_eq!(results, [true, true, false, true, false, true]);
    // Nothing left, a bare 429, a 429 with its reset: the next call goes at once, unprobed.
    assert_eq!(script.seen(), vec![get(); 6]);
    assert!(env.sleeps().is_empty(), "{:?}", env.sleeps());

    // A 429 is still retried after its reset with the budget off.
    let script = Script::new(vec![too_many(&rate(1000, 0, 42)), task("RUNNING")]);
    let env = self::env();
    client(&script, &env)
        .with_budget(BudgetPolicy::off())
        .get(&get_call())
        .unwrap();
    assert_eq!(env.sleeps(), [Duration::from_secs(42)]);
}

#[test]
fn clones_share_one_budget() {
    let script = Script::new(vec![
        task_left(50, 60),
        too_many(&rate(1000, 0, 360)),
        task_left(999, 660),
        task_left(500, 30),
    ]);
    let env = env();
    let c =
        BlockingClient::with_env(config(), |r| script.send(r), &env).with_retry(RetryPolicy::off());
    let clone = c.clone();
    clone.get(&get_call()).unwrap();
    assert_eq!(
        c.budget().counts(),
        (1, 0),
        "the clone's call is the original's"
    );
    assert_eq!(
        c.budget().window(),
        Some(RateLimit {
            limit: 1000,
            remaining: 50,
            reset: UNIX0 + 60
        })
    );
    // The clone's answer left only the reserve: a read of the original waits for the reset.
    assert!(c.get(&get_call()).is_err(), "the scripted 429");
    assert_eq!(env.sleeps(), [Duration::from_secs(60)]);
    assert_eq!(
        clone.budget().counts(),
        (2, 1),
        "and the original's 429 is the clone's"
    );
    clone.get(&get_call()).unwrap();
    assert_eq!(
        env.sleeps(),
        [Duration::from_secs(60), Duration::from_secs(300)],
        "the clone waits out the original's 429"
    );
    // A new budget is not shared with the client it was cloned from.
    let apart = c.clone().with_budget(BudgetPolicy::default());
    assert_eq!(apart.budget().counts(), (0, 0));
    apart.get(&get_call()).unwrap();
    assert_eq!(
        (c.budget().counts(), apart.budget().counts()),
        ((3, 1), (1, 0))
    );
}

#[test]
fn a_429_with_retry_after_holds_calls_only_as_long_as_it_says() {
    // Spec: "No Retry-After is documented (honour it where one comes)."
    let script = Script::new(vec![
        task_left(500, 300),
        too_many(&[("retry-after", "5".into())]),
        task("RUNNING"),
    ]);
    let env = env();
    let c = client(&script, &env);
    c.get(&get_call()).unwrap();
    c.get(&get_call()).unwrap();
    assert_eq!(script.seen(), [get(), get(), get()]);
    assert_eq!(env.sleeps(), [Duration::from_secs(5)]);
}

#[test]
fn the_watch_lane_spends_only_its_share_of_a_window_and_reads_are_not_held_by_it() {
    // A platform with 10 requests per 100 s windows from UNIX0.
    let env = env();
    let used = Mutex::new((0u64, 0u64)); // (window, requests counted in it)
    let log = Mutex::new(Vec::new());
    let transport = |r: Request<Vec<u8>>| -> Outcome {
        let t = secs(&env);
        let k = (t as u64) / 100;
        let mut u = used.lock().unwrap();
        if u.0 != k {
            *u = (k, 0);
        }
        u.1 += 1;
        assert_eq!(r.uri().path(), GET.1);
        log.lock().unwrap().push(t);
        answer(
            200,
            &rate(10, 10 - u.1, 100 * (k + 1)),
            &format!(r#"{{"id":"{ID}","status":"RUNNING"}}"#),
        )
    };
    let c = BlockingClient::with_env(config(), transport, &env).with_budget(
        BudgetPolicy::default()
            .with_reserve(0)
            .with_watch_share(0.5)
            .with_window(10, Duration::from_secs(100)),
    );
    c.get(&get_call()).unwrap(); // the window is known from here
    let mut watch_at = Vec::new();
    let mut read_at = Vec::new();
    for i in 0..6 {
        c.call_in(Lane::Watch, &get_call()).unwrap();
        watch_at.push(*log.lock().unwrap().last().unwrap());
        if i == 4 {
            c.get(&get_call()).unwrap();
            read_at.push(*log.lock().unwrap().last().unwrap());
        }
    }
    // floor(10 * 0.5) = 5 per window, spread over it; the sixth waits for the next window.
    assert_eq!(watch_at, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    assert_eq!(watch_at.iter().filter(|t| **t < 100.0).count(), 5);
    // A read once the watch share is spent goes at once.
    assert_eq!(read_at, [80.0]);
    assert_eq!(c.budget().counts(), (8, 0));
}
