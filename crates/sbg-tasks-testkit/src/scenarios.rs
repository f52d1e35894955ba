//! Every end-to-end scenario against the mock, written once over a [`Harness`] and run by both
//! transports' tests through [`scenarios!`](crate::scenarios!) (one `#[test]` per function
//! here): every operation over http and TLS, faults retried or typed, reruns that make one
//! task, rate limits, waits, a closure transport, and the rest of a task's life (create, abort,
//! lazy listing, batch children, execution details, the rate limit), and the calls that change
//! or gather tasks (modify, delete, inputs, bulk get, list filters, extra headers) with the
//! retries each of them gets.
//!
//! Each scenario starts its own mock ([`MockBuilder::start_blocking`]: the mock is not under
//! test, the client is) and asks the harness for the clients it drives.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sbg_tasks_mock::{
    examples, Fault, FleetSpec, Malformed, MockBuilder, MockHandle, Route, Schedule, Scope,
};
use sbg_tasks_proto::config::HeaderError;
use sbg_tasks_proto::endpoints::Deletion;
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::model::{BatchBy, FileRef, IssueKind, PortValue, TaskStatus};
use sbg_tasks_proto::transport::TransportOptions;
use sbg_tasks_proto::transport::{Proxy, TransportFailure};
use sbg_tasks_proto::{AbortTask, GetExecutionDetails, GetRateLimit};
use sbg_tasks_proto::{
    ClientError, Decoding, DeleteTask, GetTask, GetTaskInputs, ListTasks, RerunTask, ResponseError,
    RunTask, Task, TaskId, UpdateTask, UpdateTaskInputs, WaitPolicy, WatcherPolicy,
};

use crate::changes::*;
use crate::driver::{Driver, Harness, SleepLog, Tasks};
use crate::faults::*;
use crate::lifecycle::*;
use crate::{bulk, bulk::MemoryJournal};
use crate::{draft, fast_retry, fast_settings, mock_builder, transport_options};
use sbg_tasks_proto::machine::bulk::BulkEvent;

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
        Err(ClientError::Response(ResponseError::Decode {
            status: 200,
            ..
        }))
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
            matches!(
                strict.get(&get),
                Err(ClientError::Response(ResponseError::Decode { .. }))
            ),
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

/// A spent window waits (one sleep, in the client's environment) until it resets: the budget
/// sends nothing into it, so no 429 is met.
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

/// Modify a DRAFT (name, description, inputs with files, arrays and a null, execution
/// settings, spot instances, output location), then batching on and off: each change is in
/// the answer and read back. Half a batch never leaves the client.
pub fn modifying_a_draft_changes_what_is_read_back(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let id = draft(&m, "to modify");
    m.clear_journal();
    check_never_sent(&m, c.update(&half_batch(&id)));

    let answered = c.update(&full_update(&id)).unwrap().value;
    let read = c.get(&GetTask::new(id.clone())).unwrap().value;
    check_fully_updated(&answered, &read);

    let on = UpdateTask::new(id.clone()).batch("reads", BatchBy::item());
    let on = c.update(&on).unwrap().value;
    let read = c.get(&GetTask::new(id.clone())).unwrap().value;
    for t in [&on, &read] {
        assert_eq!(t.batch, Some(true), "{t:?}");
        assert_eq!(t.batch_input.as_deref(), Some("reads"));
        assert_eq!(t.inputs.as_ref(), Some(&draft_inputs()), "inputs kept");
    }
    let off = c
        .update(&UpdateTask::new(id.clone()).no_batch())
        .unwrap()
        .value;
    let read = c.get(&GetTask::new(id)).unwrap().value;
    for t in [&off, &read] {
        assert_eq!((t.batch, t.batch_input.as_deref()), (Some(false), None));
        assert_eq!(t.name.as_deref(), Some("renamed draft"), "the rest kept");
    }
    assert_eq!(statuses(&m, Route::ModifyTask), [Some(200); 3]);
}

/// A COMPLETED or RUNNING task can be renamed; any other change there is an API error with
/// code 7026, not retried.
pub fn a_started_task_can_only_be_renamed(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let running = id_of(c.create(&create("me/p").run(true)).unwrap().value.task());
    let completed: TaskId = examples::GET_TASK_ID.parse().unwrap();
    m.clear_journal();
    for id in [&running, &completed] {
        let renamed = c.update(&UpdateTask::new(id.clone()).name("new name"));
        assert_eq!(renamed.unwrap().value.name.as_deref(), Some("new name"));
        let read = c.get(&GetTask::new(id.clone())).unwrap().value;
        assert_eq!(read.name.as_deref(), Some("new name"), "{id}");

        let refused = [
            UpdateTask::new(id.clone())
                .name("again")
                .description("more"),
            UpdateTask::new(id.clone()).input("reads", FileRef::file("known")),
            UpdateTask::new(id.clone()).execution_settings(draft_settings()),
        ];
        for update in refused {
            check_api_error(c.update(&update), 400, 7026);
        }
        let read = c.get(&GetTask::new(id.clone())).unwrap().value;
        assert_eq!(read.name.as_deref(), Some("new name"), "nothing changed");
    }
    assert_eq!(
        statuses(&m, Route::ModifyTask),
        [[Some(200), Some(400), Some(400), Some(400)]; 2].concat(),
        "4xx answers are not retried"
    );
}

/// Deleting a DRAFT: `Deleted`, and the task is gone (404 after). A task that is no longer a
/// DRAFT is refused (7010), and an unknown one is not found (7002): neither is retried, and an
/// unknown task on a first attempt is an error, not `AlreadyGone`.
pub fn deleting_a_draft_removes_it_and_a_started_task_is_refused(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let id = draft(&m, "to delete");
    let before = m.task_count();
    let deleted = c.delete(&DeleteTask::new(id.clone())).unwrap();
    assert_eq!(
        (deleted.value, deleted.meta.status),
        (Deletion::Deleted, 204)
    );
    assert_eq!(m.task_count(), before - 1);
    assert!(m.task(id.as_str()).is_none());
    check_api_error(c.get(&GetTask::new(id.clone())), 404, 7002);

    check_api_error(c.delete(&DeleteTask::new(id)), 404, 7002);
    let completed: TaskId = examples::GET_TASK_ID.parse().unwrap();
    check_api_error(c.delete(&DeleteTask::new(completed)), 400, 7010);
    assert!(m.task(examples::GET_TASK_ID).is_some(), "still there");
    assert_eq!(
        statuses(&m, Route::DeleteTask),
        [Some(204), Some(404), Some(400)]
    );
}

/// A DRAFT's inputs: read alone (all, or the ports asked), changed in part (the answer is the
/// whole map), and validated again: an unknown file shows in the task's `errors`, and clearing
/// that input (null) clears them. A started task's inputs cannot change (7026).
pub fn inputs_round_trip_and_are_validated_again(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let id = draft(&m, "inputs");
    c.update(&UpdateTask::new(id.clone()).inputs(draft_inputs()))
        .unwrap();
    let read = c.inputs(&GetTaskInputs::new(id.clone())).unwrap().value;
    assert_eq!(*read, draft_inputs());
    let only = GetTaskInputs::new(id.clone()).fields(Fields::only(["threads"]).unwrap());
    let only = c.inputs(&only).unwrap().value;
    assert_eq!(only.keys().collect::<Vec<_>>(), ["threads"]);

    let broken = UpdateTaskInputs::new(id.clone()).input("reference", FileRef::file("nowhere"));
    let whole = c.update_inputs(&broken).unwrap().value;
    let mut want = draft_inputs();
    want.insert("reference".into(), FileRef::file("nowhere").into());
    assert_eq!(*whole, want, "the whole map");
    let task = c.get(&GetTask::new(id.clone())).unwrap().value;
    assert_eq!(
        issues(&task),
        [(Some(IssueKind::FilesMissing), Some("reference".to_owned()))]
    );

    let cleared = UpdateTaskInputs::new(id.clone()).input("reference", PortValue::Null);
    let whole = c.update_inputs(&cleared).unwrap().value;
    assert_eq!(whole["reference"], PortValue::Null);
    assert_eq!(
        *c.inputs(&GetTaskInputs::new(id.clone())).unwrap().value,
        *whole
    );
    let task = c.get(&GetTask::new(id)).unwrap().value;
    assert_eq!(issues(&task), [], "validated again");

    let completed: TaskId = examples::GET_TASK_ID.parse().unwrap();
    let refused = UpdateTaskInputs::new(completed).input("reads", PortValue::Null);
    check_api_error(c.update_inputs(&refused), 400, 7026);
    assert_eq!(statuses(&m, Route::ModifyInputs).last(), Some(&Some(400)));
}

/// A bulk get of known, unknown, malformed and repeated ids: one item per id, in order, the
/// errors with their codes. 250 ids are three requests, and three against the rate limit;
/// none for none.
pub fn bulk_get_answers_every_id_in_order_in_requests_of_a_hundred(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let id = draft(&m, "bulk");
    let few = bulk_ids(&id, 5);
    let ids: Vec<TaskId> = few.iter().map(|(id, _)| id.clone()).collect();
    check_bulk(&c.bulk_get(&ids).unwrap(), &few);

    m.clear_journal();
    let many = bulk_ids(&id, 250);
    let ids: Vec<TaskId> = many.iter().map(|(id, _)| id.clone()).collect();
    let before = c.rate_limit().unwrap().value.rate_limit().unwrap();
    let got = c.bulk_get(&ids).unwrap();
    let after = c.rate_limit().unwrap().value.rate_limit().unwrap();
    check_bulk(&got, &many);
    assert_eq!(m.requests_to(Route::BulkGet), 3);
    assert_eq!(before.remaining - after.remaining, 3);

    m.clear_journal();
    let none = c.bulk_get(&[]).unwrap();
    assert!(none.items.is_empty() && none.pages.is_empty());
    assert_eq!(m.journal(), [], "no request for no ids");
}

/// Listing with `batch=` (batch parents only, or none) and `origin_id=`; creating with
/// `batch=false` makes a task that is not a batch, whatever its body says.
pub fn listing_filters_batch_and_origin_and_create_can_turn_batching_off(h: &impl Harness) {
    let (m, c) = lifecycle(h);
    let parent = id_of(c.create(&create_batch()).unwrap().value.task());
    let single = c.create(&create_batch().no_batch()).unwrap().value;
    assert_eq!(single.task().batch, Some(false), "{single:?}");
    assert_eq!(single.task().batch_input, None);
    let single = id_of(single.task());
    let automated = m
        .insert_task(serde_json::json!({
            "status": "COMPLETED", "project": "me/p", "origin": {"id": "auto-7"},
        }))
        .unwrap();
    m.clear_journal();

    let in_p = || ListTasks::new().project("me/p".parse().unwrap());
    let batches = ids(c.list(&in_p().batch(true)));
    assert_eq!(batches, [parent.as_str()]);
    let plain = ids(c.list(&in_p().batch(false)));
    assert!(plain.contains(&single.to_string()) && plain.contains(&automated));
    assert!(!plain.contains(&parent.to_string()));
    assert_eq!(ids(c.list(&in_p().origin_id("auto-7"))), [automated]);

    let queries: Vec<_> = m.journal().into_iter().map(|e| e.query).collect();
    let q = |s: &str| Some(format!("project=me%2Fp&{s}"));
    assert_eq!(
        queries,
        [q("batch=true"), q("batch=false"), q("origin_id=auto-7")]
    );
}

/// A bulk get meets the faults a GET is retried through, twice, then gets its answer.
pub fn bulk_gets_are_retried_through_faults_like_a_get(h: &impl Harness) {
    let m = mock(MockBuilder::new().seed_examples(true));
    let c = client(h, &m);
    let asked = bulk_ids(&draft(&m, "bulk"), 5);
    let ids: Vec<TaskId> = asked.iter().map(|(id, _)| id.clone()).collect();
    for fault in read_faults() {
        m.clear_journal();
        m.inject(fault.clone(), Scope::RouteNext(Route::BulkGet, 2));
        let got = c.bulk_get(&ids);
        let got = got.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        check_bulk(&got, &asked);
        assert_eq!(m.requests_to(Route::BulkGet), 3, "{fault:?}");
    }
}

/// A modify is retried like a read: after a 503 (nothing done) and after a dropped answer
/// (done already), the answer is the task, modified as asked.
pub fn an_update_is_retried_and_answers_the_modified_task(h: &impl Harness) {
    let m = mock(MockBuilder::new().known_files(["f0", "f1", "known"]));
    let c = client(h, &m);
    for (fault, first) in [
        (Fault::Maintenance, Some(503)),
        (Fault::DropAfterRead, None),
    ] {
        let id = draft(&m, "flaky modify");
        m.clear_journal();
        m.inject(fault.clone(), Scope::RouteNext(Route::ModifyTask, 1));
        let answered = c.update(&full_update(&id));
        let answered = answered.unwrap_or_else(|e| panic!("{fault:?}: {e}")).value;
        let read = c.get(&GetTask::new(id)).unwrap().value;
        check_fully_updated(&answered, &read);
        assert_eq!(
            statuses(&m, Route::ModifyTask),
            [first, Some(200)],
            "{fault:?}"
        );
    }
}

/// A delete whose answer was lost after the mock deleted: the retry finds the task gone, which
/// is `AlreadyGone`, not an error. One refused by a 503 (nothing done) is retried and deletes.
pub fn a_delete_whose_answer_was_lost_is_already_gone(h: &impl Harness) {
    let m = mock(MockBuilder::new());
    let c = client(h, &m);
    for (fault, first, second, outcome) in [
        (Fault::DropAfterRead, None, 404, Deletion::AlreadyGone),
        (Fault::Maintenance, Some(503), 204, Deletion::Deleted),
    ] {
        let id = draft(&m, "flaky delete");
        m.clear_journal();
        m.inject(fault.clone(), Scope::RouteNext(Route::DeleteTask, 1));
        let got = c.delete(&DeleteTask::new(id.clone()));
        assert_eq!(got.unwrap().value, outcome, "{fault:?}");
        assert!(m.task(id.as_str()).is_none(), "{fault:?}: gone");
        assert_eq!(
            statuses(&m, Route::DeleteTask),
            [first, Some(second)],
            "{fault:?}"
        );
    }
}

/// Advance access and an extra header are sent with every call (seen on the wire: the mock
/// does not record headers) and do not disturb the mock; the token is in no part of the
/// mock's journal; a reserved header cannot be added.
pub fn extra_headers_are_sent_and_the_token_stays_out_of_the_journal(h: &impl Harness) {
    let with_headers = |base: &str| {
        let mut s = fast_settings(base);
        s.config = s
            .config
            .with_advance_access(true)
            .with_header("X-Request-Origin", "nightly")
            .unwrap();
        s
    };
    let refused = crate::config("http://127.0.0.1:1/v2").with_header("X-SBG-Auth-Token", "x");
    assert!(
        matches!(refused, Err(HeaderError::Reserved { .. })),
        "{refused:?}"
    );

    let capture = HeaderCapture::start();
    let options = TransportOptions::default()
        .timeout(Some(Duration::from_secs(10)))
        .proxy(Proxy::Off);
    let c = h.client(with_headers(capture.base_url()), options);
    let id: TaskId = HeaderCapture::TASK_ID.parse().unwrap();
    let got = c.get(&GetTask::new(id.clone())).unwrap().value;
    assert_eq!(got.id.as_deref(), Some(id.as_str()));
    check_extra_headers(&capture.head());

    let m = mock(MockBuilder::new().seed_examples(true));
    let c = h.client(with_headers(m.base_url()), transport_options(&m));
    let draft_id = draft(&m, "headers");
    m.clear_journal();
    c.get(&GetTask::new(id)).unwrap();
    c.update(&UpdateTask::new(draft_id.clone()).name("seen"))
        .unwrap();
    c.bulk_get(std::slice::from_ref(&draft_id)).unwrap();
    c.delete(&DeleteTask::new(draft_id)).unwrap();
    check_token_not_journaled(&m);
}

/// Concurrent waits on one client share their polls: five waits of five running tasks make
/// fewer requests than five waits polling alone, some of them bulk gets.
pub fn concurrent_waits_share_their_polls(h: &impl Harness) {
    const POLLS: u32 = 4;
    let m = mock(MockBuilder::new().schedule(Schedule::Polls(POLLS)));
    let c = client(h, &m);
    let ids: Vec<TaskId> = (0..5)
        .map(|i| {
            let id = draft(&m, &format!("shared-{i}"));
            c.run(&RunTask::new(id.clone())).unwrap();
            id
        })
        .collect();
    m.clear_journal();
    let policy = WaitPolicy::default()
        .with_interval(Duration::from_millis(300))
        .with_backoff(1.0);
    let done: Vec<Task> = std::thread::scope(|s| {
        let waits: Vec<_> = ids
            .iter()
            .map(|id| s.spawn(|| c.wait_with(id, &policy, |_| {}).unwrap()))
            .collect();
        waits.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(done.iter().all(|t| t.status == Some(TaskStatus::Completed)));
    let gets = m.requests_to(Route::GetTask);
    let bulk = m.requests_to(Route::BulkGet);
    // Alone, each wait polls its task POLLS times: 20 GETs.
    assert!(
        bulk >= 1,
        "no poll was shared: {gets} gets, {bulk} bulk gets"
    );
    assert!(
        gets + bulk < 5 * POLLS as usize,
        "{gets} gets + {bulk} bulk gets for 5 waits of {POLLS} polls"
    );
}

/// `wait_all` and `wait_any` follow a fleet with bulk gets: every task's end in the ids'
/// order, far fewer requests than a GET per task, no 429.
pub fn wait_all_and_wait_any_follow_a_fleet_with_bulk_gets(h: &impl Harness) {
    let m = mock(MockBuilder::new());
    let fleet = m.spawn_fleet(
        FleetSpec::new(150, Duration::from_secs(2))
            .fail_ratio(0.2)
            .seed(7),
    );
    let ids: Vec<TaskId> = fleet.ids.iter().map(|i| i.parse().unwrap()).collect();
    let mut settings = fast_settings(m.base_url());
    settings.watcher = WatcherPolicy::default().with_min_interval(Duration::from_millis(250));
    let c = h.client(settings, transport_options(&m));

    let some = c.wait_any(&ids, 10, None).unwrap();
    assert!(some.ended.len() >= 10, "{}", some.ended.len());
    assert_eq!(some.ended.len() + some.pending.len(), ids.len());
    for (_, t) in &some.ended {
        assert!(t.as_ref().unwrap().is_terminal());
    }

    m.clear_journal();
    let all = c.wait_all(&ids).unwrap();
    assert_eq!(all.len(), ids.len());
    for (id, t) in ids.iter().zip(&all) {
        let t = t.as_ref().unwrap();
        assert_eq!(
            t.id.as_deref(),
            Some(id.as_str()),
            "results in the ids' order"
        );
        assert!(t.is_terminal());
    }
    let failed = all
        .iter()
        .filter(|t| t.as_ref().unwrap().status == Some(TaskStatus::Failed))
        .count();
    assert_eq!(failed, fleet.failing);
    let bulk = m.requests_to(Route::BulkGet);
    assert_eq!(m.requests_to(Route::GetTask), 0);
    // Each sweep of 150 tasks is 2 bulk gets; a GET per task would need 150 for one sweep.
    assert!((2..60).contains(&bulk), "{bulk} bulk gets");
    assert_eq!(c.budget().counts().1, 0, "no 429");
    // Unknown ids are item errors, never a failed wait.
    let unknown: TaskId = "00000000-0000-4000-8000-000000000000".parse().unwrap();
    let r = c.wait_all(&[ids[0].clone(), unknown]).unwrap();
    assert!(r[0].is_ok());
    assert_eq!(r[1].as_ref().unwrap_err().status(), Some(404));
}

/// A bulk rerun (with run) of the FAILED tasks of a project, a clone's answer lost after the
/// mock made the copy, then a crash after half of the tasks (the journal keeps a prefix):
/// the next run goes on from the journal; each failed task ends with exactly one copy, run
/// once, and no other draft is made.
pub fn a_bulk_rerun_copies_and_runs_each_failed_task_once_through_a_lost_answer_and_a_resume(
    h: &impl Harness,
) {
    let m = mock(MockBuilder::new());
    let c = client(h, &m);
    let failed = bulk::failed_tasks(&m, 6);
    m.inject(Fault::DropAfterRead, Scope::RouteNext(Route::CloneTask, 1));
    let spec = bulk::spec().with_concurrency(3);
    // The first run's journal fails after the selection and 6 more batches: a crash.
    let mut journal = MemoryJournal::new().failing_after(7);
    let halted = c.bulk(spec.clone(), &mut journal, |_| {});
    assert!(halted.is_err(), "{halted:?}");
    let mut journal = MemoryJournal::with_records(journal.records().to_vec());
    let mut outcomes = 0;
    let report = c
        .bulk(spec, &mut journal, |e| {
            outcomes += usize::from(matches!(e, BulkEvent::Outcome(..)));
        })
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.progress().done, failed.len());
    bulk::check_one_copy_each(&m, &failed, &report);
    assert!(outcomes <= failed.len());
    // The lost answer's copy was found by the orphan rule (a listing of the project's DRAFTs
    // created since the intent), not made again; the resume listed nothing again.
    assert_eq!(m.requests_to(Route::CloneTask), failed.len());
    let listings: Vec<String> = m
        .journal()
        .into_iter()
        .filter(|e| e.route == Route::ListTasks)
        .map(|e| e.query.unwrap_or_default())
        .collect();
    let orphan_listings = listings
        .iter()
        .filter(|q| q.contains("status=DRAFT") && q.contains("created_from="))
        .count();
    // The selection once; the orphan rule for the lost answer, and on resume once for each
    // clone whose copy the first run could not record before it stopped (3 in flight at most).
    assert!((1..=4).contains(&orphan_listings), "{listings:?}");
    assert_eq!(listings.len(), 1 + orphan_listings, "{listings:?}");
}
