//! The rest of a task's life over the blocking client and the mock: create, abort, lazy
//! listing across pages, batch children, execution details and the rate limit.

use std::collections::HashSet;
use std::time::Duration;

use sbg_tasks_mock::{examples, MockHandle};
use sbg_tasks_testkit::lifecycle::*;
use sbg_tasks_ureq::endpoints::{AbortTask, GetExecutionDetails, GetRateLimit};
use sbg_tasks_ureq::model::FileRef;
use sbg_tasks_ureq::{client_with, Proxy, TransportOptions, UreqClient};
use sbg_tasks_ureq::{GetTask, RunTask};

fn start() -> (MockHandle, UreqClient) {
    let m = builder().start_blocking().expect("mock starts");
    let transport = TransportOptions::default()
        .proxy(Proxy::Off)
        .timeout(Some(Duration::from_secs(10)));
    let c = client_with(settings(m.base_url()), transport).unwrap();
    (m, c)
}

#[test]
fn create_surfaces_validation_errors_and_runs_with_action_run() {
    let (m, c) = start();
    let ok = c.call(&create("me/p").input("ref", FileRef::file("known")));
    let bad = create("me/p").input("reads", FileRef::file("nowhere"));
    let bad = c.call(&bad.run(true)).unwrap().value;
    let ran = c.call(&create("me/p").run(true)).unwrap().value;
    check_creates(&m, &ok.unwrap(), &bad, &ran);
}

#[test]
fn abort_ends_a_running_task_and_a_finished_one_is_a_typed_error() {
    let (m, c) = start();
    let id = id_of(c.call(&create("me/p").run(true)).unwrap().value.task());
    let aborted = c.call(&AbortTask::new(id.clone())).unwrap().value;
    let now = c.get(&GetTask::new(id.clone())).unwrap().value;
    let refused = [id, examples::GET_TASK_ID.parse().unwrap()]
        .map(|finished| c.call(&AbortTask::new(finished)).unwrap_err());
    check_aborts(&m, &aborted, &now, refused);
}

#[test]
fn listing_walks_every_page_lazily_with_filters_and_total() {
    let (m, c) = start();
    let expected = seed_list(&m);

    let mut it = c.list(&paged_query());
    check_nothing_fetched(&m, it.total());
    let mut taken = Vec::new();
    for k in TAKE_STEPS {
        taken.extend(
            it.by_ref()
                .take(k - taken.len())
                .map(|t| t.unwrap().id.unwrap()),
        );
        check_taken_lazily(&m, taken.len(), k);
    }
    taken.extend(it.by_ref().map(|t| t.unwrap().id.unwrap()));
    check_full_walk(&m, &taken, &expected, it.total(), it.pages());

    // By name, last first, while tasks are inserted in front mid-walk.
    let mut it = c.list(&by_name_desc());
    let mut seen: Vec<String> = it
        .by_ref()
        .take(6)
        .map(|t| t.unwrap().name.unwrap())
        .collect();
    insert_in_front(&m);
    seen.extend(it.map(|t| t.unwrap().name.unwrap()));
    check_desc_walk(&seen);
}

#[test]
fn batch_children_are_the_list_with_parent() {
    let (m, c) = start();
    let parent = c.call(&create_batch()).unwrap().value;
    assert!(parent.can_run(), "{parent:?}");
    let id = id_of(parent.task());
    assert!(c.children(&id).next().is_none(), "a draft has no children");
    c.run(&RunTask::new(id.clone())).unwrap();

    let mut children = c.children(&id);
    let got: HashSet<String> = children.by_ref().map(|t| t.unwrap().id.unwrap()).collect();
    check_children(&m, &id, &got, children.total());
}

#[test]
fn execution_details_are_typed_and_the_rate_limit_is_free() {
    let (m, c) = start();
    let id = id_of(c.call(&create("me/p").run(true)).unwrap().value.task());
    c.get(&GetTask::new(id.clone())).unwrap(); // RUNNING, one step done
    let details = c.call(&GetExecutionDetails::new(id.clone())).unwrap();
    check_details(&m, &id, &details.value);

    let a = c.call(&GetRateLimit::new()).unwrap().value;
    let b = c.call(&GetRateLimit::new()).unwrap().value;
    c.get(&GetTask::new(id)).unwrap();
    let after = c.call(&GetRateLimit::new()).unwrap().value;
    check_rate_limits(&a, &b, &after);
}
