//! Setup and checks of the lifecycle scenarios ([`scenarios`](mod@crate::scenarios)): create,
//! abort, lazy listing across pages, batch children, execution details and the rate limit
//! (and of the hyper test that drives a listing stream on another task).

use std::collections::HashSet;
use std::time::Duration;

use sbg_tasks_mock::{MockBuilder, MockControl, Route, Schedule};
use sbg_tasks_proto::endpoints::{CreateOutcome, PageLimit, SortOrder};
use sbg_tasks_proto::fields::FieldName;
use sbg_tasks_proto::model::{
    BatchBy, ExecutionDetails, FileRef, IssueKind, JobStatus, RateLimitInfo, TaskStatus,
};
use sbg_tasks_proto::Settings;
use sbg_tasks_proto::{Answer, ClientError, ErrorCode, Task, TaskId};
use sbg_tasks_proto::{CreateTask, ListTasks};

use crate::{config, TOKEN};

/// The project of the paged walks.
pub const PROJECT: &str = "me/paged";
/// Tasks [`seed_list`] makes match, and the page size of the walks.
pub const MATCHING: usize = 23;
/// The page size of the walks.
pub const LIMIT: u64 = 5;
/// How many tasks have been taken when the journal is checked, and the list requests
/// expected by then: ⌈k / LIMIT⌉.
pub const TAKE_STEPS: [usize; 6] = [1, 5, 6, 10, 11, 17];

/// A mock with a long rate-limit window (so `remaining` only moves with the test's calls),
/// four steps a run, and the known files `known`, `f0`, `f1`, `f2`.
pub fn builder() -> MockBuilder {
    MockBuilder::new()
        .token(TOKEN)
        .rate_limit(1000, Duration::from_secs(300))
        .seed_examples(true)
        .schedule(Schedule::Polls(4))
        .steps_total(4)
        .known_files(["known", "f0", "f1", "f2"])
}

/// The default settings (retries, waits) for the mock at `base`.
pub fn settings(base: &str) -> Settings {
    Settings::new(config(base))
}

/// A draft task of app `{project}/app/1` in `project`.
pub fn create(project: &str) -> CreateTask {
    CreateTask::new(
        project.parse().unwrap(),
        format!("{project}/app/1").parse().unwrap(),
    )
}

/// The task's id (it must have one).
pub fn id_of(task: &Task) -> TaskId {
    task.id.as_deref().expect("an id").parse().unwrap()
}

/// Inserts [`MATCHING`] COMPLETED tasks `t00`.. into [`PROJECT`] and some that the filters
/// must leave out; returns the ids of the matching ones, in insertion order.
pub fn seed_list(m: &MockControl) -> Vec<String> {
    let ids = (0..MATCHING)
        .map(|i| {
            m.insert_task(serde_json::json!({
                "name": format!("t{i:02}"), "status": "COMPLETED", "project": PROJECT,
            }))
            .unwrap()
        })
        .collect();
    for (project, status) in [("me/other", "COMPLETED"), (PROJECT, "FAILED")] {
        m.insert_task(serde_json::json!({"status": status, "project": project}))
            .unwrap();
    }
    m.clear_journal();
    ids
}

/// The filters of the paged walks: project and status, [`LIMIT`] a page.
pub fn paged_query() -> ListTasks {
    ListTasks::new()
        .project(PROJECT.parse().unwrap())
        .status(TaskStatus::Completed)
        .limit(PageLimit::new(LIMIT).unwrap())
}

/// The same, by name, last first.
pub fn by_name_desc() -> ListTasks {
    paged_query()
        .order_by(FieldName::new("name").unwrap())
        .order(SortOrder::Desc)
}

/// Three new matching tasks that sort first by name, last first.
pub fn insert_in_front(m: &MockControl) {
    for i in 0..3 {
        m.insert_task(serde_json::json!({
            "name": format!("z{i}"), "status": "COMPLETED", "project": PROJECT,
        }))
        .unwrap();
    }
}

/// How many list requests the mock has seen.
pub fn list_requests(m: &MockControl) -> usize {
    m.requests_to(Route::ListTasks)
}

/// Before the first task is asked for: nothing fetched, no total.
pub fn check_nothing_fetched(m: &MockControl, total: Option<u64>) {
    assert_eq!((total, list_requests(m)), (None, 0), "nothing fetched yet");
}

/// After `taken` tasks of a walk of [`paged_query`] were asked for `k`: only the pages they
/// needed were fetched.
pub fn check_taken_lazily(m: &MockControl, taken: usize, k: usize) {
    assert_eq!(taken, k);
    assert_eq!(
        list_requests(m),
        k.div_ceil(LIMIT as usize),
        "after {k} items"
    );
}

/// A whole walk of [`paged_query`]: every id once, in order, the total, five pages and none
/// past the total, and the last page asked for the right filters and offset.
pub fn check_full_walk(
    m: &MockControl,
    taken: &[String],
    expected: &[String],
    total: Option<u64>,
    pages: u64,
) {
    assert_eq!(total, Some(MATCHING as u64));
    assert_eq!(taken, expected, "every id once, in order");
    assert_eq!((pages, list_requests(m)), (5, 5), "none past the total");
    let last = m.journal().pop().unwrap();
    assert_eq!(
        last.query.as_deref(),
        Some("project=me%2Fpaged&status=COMPLETED&offset=20&limit=5")
    );
}

/// Names seen by a walk by name (last first) that had [`insert_in_front`] run in its
/// middle: every original task once, in order, and no name twice.
pub fn check_desc_walk(seen: &[String]) {
    let originals: Vec<&String> = seen.iter().filter(|n| n.starts_with('t')).collect();
    let want: Vec<String> = (0..MATCHING).rev().map(|i| format!("t{i:02}")).collect();
    assert_eq!(
        originals,
        want.iter().collect::<Vec<_>>(),
        "each once, in order"
    );
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
}

/// The create calls `ok` (a known file), `bad` (an unknown file, `action=run`) and `ran`
/// (`action=run`).
pub fn check_creates(
    m: &MockControl,
    ok: &Answer<CreateOutcome>,
    bad: &CreateOutcome,
    ran: &CreateOutcome,
) {
    assert!(ok.value.can_run(), "{ok:?}");
    assert_eq!(ok.value.task().status, Some(TaskStatus::Draft));
    assert_eq!(ok.meta.status, 201);

    // Created, but cannot run, and `action=run` did not run it.
    let CreateOutcome::CreatedWithErrors { task, errors } = bad else {
        panic!("expected created-with-errors, got {bad:?}");
    };
    assert_eq!(task.status, Some(TaskStatus::Draft));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, Some(IssueKind::FilesMissing));
    assert_eq!(errors[0].input_id.as_deref(), Some("reads"));
    assert_eq!(
        m.task(task.id.as_deref().unwrap()).unwrap()["status"],
        "DRAFT"
    );

    assert!(ran.can_run());
    assert!(
        ran.task()
            .status
            .as_ref()
            .is_some_and(TaskStatus::is_active),
        "{ran:?}"
    );
    let queries: Vec<_> = m
        .journal()
        .into_iter()
        .filter(|e| e.route == Route::CreateTask)
        .map(|e| e.query)
        .collect();
    let run = Some("action=run".to_owned());
    assert_eq!(queries, [None, run.clone(), run]);
    assert_eq!(m.requests_to(Route::RunTask), 0, "no separate run call");
}

/// An abort of a running task (`aborted`, then read again as `now`), then two more of
/// finished tasks (`refused`): 400 with code 7008, not retried.
pub fn check_aborts(m: &MockControl, aborted: &Task, now: &Task, refused: [ClientError; 2]) {
    assert_eq!(aborted.status, Some(TaskStatus::Aborted));
    assert_eq!(now.status, Some(TaskStatus::Aborted));
    for e in refused {
        let api = e.api().unwrap_or_else(|| panic!("an API error: {e:?}"));
        assert_eq!(
            (api.status, api.code),
            (400, Some(ErrorCode::OnlyForRunning))
        );
    }
    assert_eq!(
        m.requests_to(Route::AbortTask),
        3,
        "4xx answers are not retried"
    );
}

/// A batch task over three known files, one child each.
pub fn create_batch() -> CreateTask {
    let files: Vec<_> = (0..3)
        .map(|i| FileRef::file(format!("f{i}")).with_name(format!("s{i}.fastq")))
        .collect();
    create("me/p")
        .input("reads", files)
        .batch("reads", BatchBy::item())
}

/// The children `got` of batch task `parent` (three files).
pub fn check_children(m: &MockControl, parent: &TaskId, got: &HashSet<String>, total: Option<u64>) {
    assert_eq!(got.len(), 3);
    assert_eq!(total, Some(3));
    for child in got {
        assert_eq!(m.task(child).unwrap()["parent"], parent.as_str());
    }
    let q = m.journal().pop().unwrap().query.unwrap();
    assert_eq!(q, format!("parent={parent}&limit=100"));
}

/// The details of task `id` after one poll: one step done, the next running.
pub fn check_details(m: &MockControl, id: &TaskId, details: &ExecutionDetails) {
    let jobs = details.jobs();
    let statuses: Vec<_> = jobs.iter().map(|j| j.status.clone()).collect();
    assert_eq!(
        statuses,
        [Some(JobStatus::Completed), Some(JobStatus::Running)]
    );
    let instance = jobs[1].instance.as_ref().unwrap();
    assert_eq!(instance.instance_type.as_deref(), Some("c5.2xlarge"));
    assert_eq!(jobs[1].command_line.as_deref(), Some("run-step --index 2"));
    assert!(jobs[0].logs.as_ref().unwrap()["job.err.log"].is_url());
    assert!(jobs[1].end_time.is_none() && jobs[0].end_time.is_some());
    let href = format!("{}/tasks/{id}/execution_details", m.base_url());
    assert_eq!(details.href.as_deref(), Some(href.as_str()));
}

/// Two rate-limit reads `a`, `b` in a row, then one after a single other call.
pub fn check_rate_limits(a: &RateLimitInfo, b: &RateLimitInfo, after: &RateLimitInfo) {
    let rate = a.rate_limit().unwrap();
    assert_eq!(rate.limit, 1000);
    assert_eq!(
        b.rate_limit(),
        Some(rate),
        "reading the limit costs nothing"
    );
    let instances = a.instance_limit.as_ref().unwrap();
    assert_eq!((instances.limit, instances.remaining), (Some(25), Some(25)));
    assert_eq!(after.rate_limit().unwrap().remaining, rate.remaining - 1);
}
