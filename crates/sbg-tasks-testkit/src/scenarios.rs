//! Every end-to-end scenario against the mock, written once over a [`Harness`] and run by both
//! transports' tests through [`scenarios!`](crate::scenarios!) (one `#[test]` per function
//! here): every operation over http and TLS, faults retried or typed, reruns that make one
//! task, rate limits, waits, a closure transport, and the rest of a task's life (create, abort,
//! lazy listing, batch children, execution details, the rate limit).
//!
//! Each scenario starts its own mock ([`MockBuilder::start_blocking`]: the mock is not under
//! test, the client is) and asks the harness for the clients it drives.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sbg_tasks_mock::{examples, Fault, Malformed, MockBuilder, MockHandle, Route, Schedule, Scope};
use sbg_tasks_proto::endpoints::{AbortTask, GetExecutionDetails, GetRateLimit};
use sbg_tasks_proto::model::{FileRef, TaskStatus};
use sbg_tasks_proto::transport::TransportFailure;
use sbg_tasks_proto::{ClientError, Decoding, GetTask, RerunTask, RunTask, WaitPolicy};

use crate::driver::{Driver, Harness, SleepLog, Tasks};
use crate::faults::*;
use crate::lifecycle::*;
use crate::{draft, fast_retry, fast_settings, mock_builder, transport_options};

/// A mock from `b` with the shared token and rate-limit window ([`mock_builder`]).
fn mock(b: MockBuilder) -> MockHandle {
    mock_builder(b).start_blocking().expect("mock starts")
}

/// The client users would make for mock `m`, with [`fast_settings`].
fn client<'h>(h: &'h impl Harness, m: &MockHandle) -> impl Driver + 'h {
    h.client(fast_settings(m.base_url()), transport_options(m))
}

/// The lifecycle mock ([`builder`]) and a client with the default settings.
fn lifecycle(h: &impl Harness) -> (MockHandle, impl Driver + '_) {
    let m = builder().start_blocking().expect("mock starts");
    let c = h.client(settings(m.base_url()), transport_options(&m));
    (m, c)
}

fn every_operation(h: &impl Harness, tls: bool) {
    let m = mock(
        MockBuilder::new()
            .seed_examples(true)
            .schedule(Schedule::Polls(3))
            .tls(tls),
    );
    assert_eq!(m.base_url().starts_with("https://"), tls);
    let c = client(h, &m);

    // get
    let got = c.get(&get_example()).unwrap();
    assert_eq!(got.value.id.as_deref(), Some(examples::GET_TASK_ID));
    assert_eq!(got.value.status, Some(TaskStatus::Completed));
    assert!(got.meta.rate_limit.is_some());

    // run, then wait with progress
    let id = draft(&m, "e2e");
    let ran = c.run(&run_with_options(&id)).unwrap();
    assert!(
        ran.value.status.as_ref().is_some_and(TaskStatus::is_active),
        "{ran:?}"
    );
    let mut polls = Vec::new();
    let done = c
        .wait_with_progress(&id, |p| {
            polls.push((p.poll, p.status().cloned(), p.steps()))
        })
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(polls.len(), 3, "{polls:?}");
    assert_eq!(polls.last().unwrap().1, Some(TaskStatus::Completed));

    // rerun with every option
    let copy = c.rerun(&rerun_with_every_option(&id)).unwrap();
    let copy_id = copy.value.id.clone().unwrap();
    assert_ne!(copy_id, id.as_str());

    // any other endpoint through the generic call
    let aborted = c.call(&AbortTask::new(copy_id.parse().unwrap())).unwrap();
    assert_eq!(aborted.value.id.as_deref(), Some(copy_id.as_str()));
    assert_eq!(c.call(&GetRateLimit::new()).unwrap().meta.status, 200);

    check_every_operation_journal(&m);
}

/// Get, run, wait with progress, rerun with every option and the generic call, over http.
pub fn every_operation_end_to_end_over_http(h: &impl Harness) {
    every_operation(h, false);
}

/// The same over TLS, trusting the mock's certificate.
pub fn every_operation_end_to_end_over_tls_with_the_mock_certificate(h: &impl Harness) {
    every_operation(h, true);
}

/// Every fault a read meets ([`read_faults`]), twice, then a success.
pub fn faults_on_reads_are_retried_until_they_pass(h: &impl Harness) {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(h, &m);
    for fault in read_faults() {
        inject_twice_on_get(&m, &fault);
        check_read_retried(&m, &fault, &c.get(&get_example()));
    }
}

/// API errors, an undecodable body, and retries running out: typed errors, each after the
/// attempts it deserves; repairable bodies are repaired by default and refused when strict.
pub fn final_faults_give_typed_errors_without_retrying(h: &impl Harness) {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(h, &m);
    let get = get_example();

    for (status, code) in [(403, 7001), (404, 7002)] {
        m.clear_journal();
        inject_api_error_once(&m, status, code);
        let e = c.get(&get).unwrap_err();
        assert_eq!(e.status(), Some(status), "{e}");
        check_api_error_not_retried(&m, &e, code.into());
    }

    m.clear_journal();
    m.inject(Fault::MalformedBody(Malformed::NotJson), Scope::Next(1));
    assert!(matches!(
        c.get(&get),
        Err(ClientError::Decode { status: 200, .. })
    ));
    assert_eq!(m.requests_to(Route::GetTask), 1);

    // A malformed body is repaired by default, and refused in strict mode.
    let mut strict = fast_settings(m.base_url());
    strict.decoding = Decoding::Strict;
    let strict = h.client(strict, transport_options(&m));
    for malformed in [Malformed::SingleQuotes, Malformed::Snip] {
        m.inject(Fault::MalformedBody(malformed), Scope::Next(2));
        let repaired = c.get(&get).unwrap();
        assert!(!repaired.report.is_clean(), "{malformed:?}");
        assert_eq!(repaired.value.id.as_deref(), Some(examples::GET_TASK_ID));
        assert!(
            matches!(strict.get(&get), Err(ClientError::Decode { .. })),
            "{malformed:?}"
        );
    }

    // Retries run out: a typed error with the attempts and the last failure.
    m.clear_journal();
    m.inject(Fault::Maintenance, Scope::Route(Route::GetTask));
    let mut s = fast_settings(m.base_url());
    s.retry = fast_retry().with_max_attempts(3);
    let c3 = h.client(s, transport_options(&m));
    match c3.get(&get) {
        Err(ClientError::RetriesExhausted { attempts, last, .. }) => {
            assert_eq!(attempts, 3);
            assert!(last.api().is_some_and(|a| a.is_maintenance()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.requests_to(Route::GetTask), 3);
    m.clear_faults();
}

/// A rerun meeting a fault where the platform may have acted is sent once and makes at most
/// one copy; one that was rate limited (the platform did not act) is retried into one copy.
pub fn a_rerun_under_faults_makes_exactly_one_task(h: &impl Harness) {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(h, &m);
    let rerun = RerunTask::new(draft(&m, "original"));

    // Faults where the platform may have acted: one attempt, a typed error, at most one copy.
    for fault in [
        Fault::DropAfterRead,
        Fault::Maintenance,
        Fault::ProxyHtml(502),
        Fault::ProxyHtml(504),
        Fault::DropBeforeRead,
    ] {
        let before = inject_once_on_rerun(&m, &fault);
        check_rerun_sent_once(&m, &fault, before, &c.rerun(&rerun).unwrap_err());
    }

    // Rate limited: the platform did not act, so it is retried, and one copy is made.
    m.clear_journal();
    let before = m.task_count();
    m.inject(Fault::RateLimited, Scope::RouteNext(Route::CloneTask, 2));
    let copy = c.rerun(&rerun).unwrap();
    assert_eq!(m.requests_to(Route::CloneTask), 3);
    assert_eq!(m.task_count(), before + 1);
    assert!(m.task(copy.value.id.as_deref().unwrap()).is_some());
}

/// A run whose answer was lost: the retry finds the task running and fetches it.
pub fn a_run_whose_answer_was_lost_returns_the_running_task(h: &impl Harness) {
    let m = mock(MockBuilder::new());
    let c = client(h, &m);
    let id = draft(&m, "lost-answer");
    m.inject(Fault::DropAfterRead, Scope::RouteNext(Route::RunTask, 1));
    let ran = c.run(&RunTask::new(id.clone())).unwrap();
    check_run_then_fetched(&m, &id, &ran.value);
}

/// A 429 waits (one sleep, in the client's environment) until the window resets.
pub fn a_rate_limited_call_waits_for_the_window_to_reset(h: &impl Harness) {
    let m = rate_limited_mock().start_blocking().unwrap();
    let log = SleepLog::default();
    let options = transport_options(&m).allow_http(true);
    let c = h.recording_client(fast_settings(m.base_url()), options, &log);
    for _ in 0..3 {
        c.get(&get_example()).unwrap();
    }
    check_waited_for_reset(&m);
    let sleeps = log.lock().unwrap().clone();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    // And the wait came from the reset header (whole seconds), not from the 5 ms backoff.
    assert!(sleeps[0] > Duration::from_millis(40), "{sleeps:?}");
}

/// `wait` refuses a DRAFT (it would never end) and follows a run to its end; `wait_with` uses
/// its own policy and reports each poll.
pub fn wait_refuses_a_draft_and_follows_a_run_to_its_end(h: &impl Harness) {
    let m = mock(MockBuilder::new().schedule(Schedule::Polls(3)));
    let c = client(h, &m);
    let id = draft(&m, "waited");
    match c.wait(&id) {
        Err(ClientError::NotStarted { task }) => assert_eq!(task.status, Some(TaskStatus::Draft)),
        other => panic!("{other:?}"),
    }
    c.run(&RunTask::new(id.clone())).unwrap();
    let policy = WaitPolicy::default()
        .with_interval(Duration::from_millis(5))
        .with_backoff(1.0);
    let mut polls = 0;
    let done = c.wait_with(&id, &policy, |_| polls += 1).unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(polls, 3);
    assert_eq!(c.wait(&id).unwrap().status, Some(TaskStatus::Completed));
}

/// A closure transport whose first attempt cannot connect drives the same client: retried,
/// one copy made.
pub fn a_closure_transport_drives_the_same_client(h: &impl Harness) {
    let m = mock(MockBuilder::new());
    let calls = Arc::new(AtomicU32::new(0));
    let before_send = {
        let calls = Arc::clone(&calls);
        Arc::new(move || {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(TransportFailure::connect("scripted: connection refused"));
            }
            Ok(())
        })
    };
    let options = transport_options(&m).allow_http(true);
    let c = h.closure_client(fast_settings(m.base_url()), options, before_send);
    let original = draft(&m, "closure");
    let before = m.task_count();
    let copy = c.rerun(&RerunTask::new(original.clone())).unwrap();
    check_closure_rerun(&m, &calls, before, &original, &copy.value);
}

/// Create: a task with a known file can run; one with an unknown file is created with
/// errors and not run despite `action=run`; `action=run` runs it in the same request.
pub fn create_surfaces_validation_errors_and_runs_with_action_run(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let ok = c.create(&create("me/p").input("ref", FileRef::file("known")));
    let bad = create("me/p").input("reads", FileRef::file("nowhere"));
    let bad = c.create(&bad.run(true)).unwrap().value;
    let ran = c.create(&create("me/p").run(true)).unwrap().value;
    check_creates(&m, &ok.unwrap(), &bad, &ran);
}

/// Abort ends a running task; aborting a finished one is a typed error, not retried.
pub fn abort_ends_a_running_task_and_a_finished_one_is_a_typed_error(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let id = id_of(c.create(&create("me/p").run(true)).unwrap().value.task());
    let aborted = c.abort(&AbortTask::new(id.clone())).unwrap().value;
    let now = c.get(&GetTask::new(id.clone())).unwrap().value;
    let refused = [id, examples::GET_TASK_ID.parse().unwrap()]
        .map(|finished| c.abort(&AbortTask::new(finished)).unwrap_err());
    check_aborts(&m, &aborted, &now, refused);
}

/// The ids of the tasks, failing on any error.
fn ids(tasks: impl Iterator<Item = Result<sbg_tasks_proto::Task, ClientError>>) -> Vec<String> {
    tasks.map(|t| t.unwrap().id.unwrap()).collect()
}

/// A listing fetches only the pages it needs, with its filters and total, walks every page
/// once, and keeps its order when tasks are inserted in front mid-walk.
pub fn listing_walks_every_page_lazily_with_filters_and_total(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let expected = seed_list(&m);

    let mut it = c.list(&paged_query());
    check_nothing_fetched(&m, it.total());
    let mut taken = Vec::new();
    for k in TAKE_STEPS {
        taken.extend(ids(it.by_ref().take(k - taken.len())));
        check_taken_lazily(&m, taken.len(), k);
    }
    taken.extend(ids(it.by_ref()));
    check_full_walk(&m, &taken, &expected, it.total(), it.pages());
    drop(it);

    // By name, last first, while tasks are inserted in front mid-walk.
    let mut it = c.list(&by_name_desc());
    let name = |t: Result<sbg_tasks_proto::Task, _>| t.unwrap().name.unwrap();
    let mut seen: Vec<String> = it.by_ref().take(6).map(name).collect();
    insert_in_front(&m);
    seen.extend(it.map(name));
    check_desc_walk(&seen);
    // A walk started afterwards sees them all.
    assert_eq!(ids(c.list(&by_name_desc())).len(), MATCHING + 3);
}

/// A batch task's children are the list with `parent=`; a draft has none.
pub fn batch_children_are_the_list_with_parent(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let parent = c.create(&create_batch()).unwrap().value;
    assert!(parent.can_run(), "{parent:?}");
    let id = id_of(parent.task());
    assert!(c.children(&id).next().is_none(), "a draft has no children");
    c.run(&RunTask::new(id.clone())).unwrap();

    let mut children = c.children(&id);
    let got: HashSet<String> = ids(children.by_ref()).into_iter().collect();
    check_children(&m, &id, &got, children.total());
}

/// Execution details are typed; reading the rate limit costs nothing (named and generic
/// calls agree).
pub fn execution_details_are_typed_and_the_rate_limit_is_free(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let id = id_of(c.create(&create("me/p").run(true)).unwrap().value.task());
    c.get(&GetTask::new(id.clone())).unwrap(); // RUNNING, one step done
    let details = c.execution_details(&GetExecutionDetails::new(id.clone()));
    check_details(&m, &id, &details.unwrap().value);
    let again = c.call(&GetExecutionDetails::new(id.clone())).unwrap();
    assert_eq!(again.value.jobs().len(), 2);

    let a = c.rate_limit().unwrap().value;
    let b = c.call(&GetRateLimit::new()).unwrap().value;
    c.get(&GetTask::new(id)).unwrap();
    let after = c.rate_limit().unwrap().value;
    check_rate_limits(&a, &b, &after);
}
