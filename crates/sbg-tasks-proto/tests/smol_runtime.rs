//! The third runtime: the `smol_runtime` example's own driver loop, on smol with hyper over
//! smol's sockets, drives get, run, wait, rerun and watch against the mock on loopback.

#[path = "../examples/smol_runtime.rs"]
mod example;

use sbg_tasks_mock::{examples, MockBuilder, Route, Schedule};

#[test]
fn a_driver_loop_of_its_own_on_smol_drives_get_wait_rerun_and_watch() {
    let token = "demo-token-0123456789abcdef0123";
    let mock = MockBuilder::new()
        .token(token)
        .seed_examples(true)
        .schedule(Schedule::Polls(3))
        .start_blocking()
        .unwrap();
    let driver = example::Driver::new(example::settings(mock.base_url(), token).unwrap());
    assert_eq!(example::GET_TASK_ID, examples::GET_TASK_ID);
    assert_eq!(example::DRAFT_ID, examples::RUN_TASK_REQUEST_ID);
    let get = examples::GET_TASK_ID.parse().unwrap();
    let draft = examples::RUN_TASK_REQUEST_ID.parse().unwrap();
    let tour = smol::block_on(example::tour(&driver, get, draft)).unwrap();

    assert_eq!(tour.got.as_deref(), Some("COMPLETED"));
    // Polls(3): the run's task answers RUNNING twice, then has ended.
    assert_eq!(tour.polls, ["RUNNING", "RUNNING", "COMPLETED"]);
    assert_eq!(tour.waited.as_deref(), Some("COMPLETED"));
    let copy = mock.task(&tour.copy).expect("the rerun made a task");
    assert_eq!(copy["status"], "COMPLETED");
    assert_eq!(
        tour.watched.first().map(String::as_str),
        Some("Status RUNNING")
    );
    assert_eq!(
        tour.watched.last().map(String::as_str),
        Some("Ended COMPLETED")
    );
    // One copy, one run, a wait by single GETs, a watch by bulk gets after its free probe.
    assert_eq!(mock.requests_to(Route::CloneTask), 1);
    assert_eq!(mock.requests_to(Route::RunTask), 1);
    assert!(mock.requests_to(Route::BulkGet) >= 2);
    assert_eq!(mock.requests_to(Route::RateLimit), 1);
}
