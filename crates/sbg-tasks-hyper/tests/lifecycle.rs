//! The rest of a task's life over the async client and the mock: create, abort, lazy listing
//! across pages (a `Send` stream), batch children, execution details and the rate limit.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use sbg_tasks_hyper::endpoints::{AbortTask, GetExecutionDetails, GetRateLimit};
use sbg_tasks_hyper::model::FileRef;
use sbg_tasks_hyper::{client_with, HyperClient, Proxy, TransportOptions};
use sbg_tasks_hyper::{GetTask, RunTask, Task};
use sbg_tasks_mock::{examples, MockServer};
use sbg_tasks_testkit::lifecycle::*;

async fn start() -> (MockServer, HyperClient) {
    let m = builder().start().await.expect("mock starts");
    let transport = TransportOptions::default()
        .proxy(Proxy::Off)
        .timeout(Some(Duration::from_secs(10)));
    let c = client_with(settings(m.base_url()), transport).unwrap();
    (m, c)
}

fn id(t: Result<Task, sbg_tasks_hyper::ClientError>) -> String {
    t.unwrap().id.unwrap()
}

#[tokio::test]
async fn create_surfaces_validation_errors_and_runs_with_action_run() {
    let (m, c) = start().await;
    let ok = create("me/p").input("ref", FileRef::file("known"));
    let ok = c.call(&ok).await.unwrap();
    let bad = create("me/p").input("reads", FileRef::file("nowhere"));
    let bad = c.call(&bad.run(true)).await.unwrap().value;
    let ran = c.call(&create("me/p").run(true)).await.unwrap().value;
    check_creates(&m, &ok, &bad, &ran);
}

#[tokio::test]
async fn abort_ends_a_running_task_and_a_finished_one_is_a_typed_error() {
    let (m, c) = start().await;
    let ran = c.call(&create("me/p").run(true)).await.unwrap().value;
    let id = id_of(ran.task());
    let aborted = c.call(&AbortTask::new(id.clone())).await.unwrap().value;
    let now = c.get(&GetTask::new(id.clone())).await.unwrap().value;
    let mut refused = Vec::new();
    for finished in [id, examples::GET_TASK_ID.parse().unwrap()] {
        refused.push(c.call(&AbortTask::new(finished)).await.unwrap_err());
    }
    check_aborts(&m, &aborted, &now, refused.try_into().unwrap());
}

#[tokio::test]
async fn listing_streams_every_page_lazily_with_filters_and_total() {
    let (m, c) = start().await;
    let expected = seed_list(&m);

    let mut stream = c.list(&paged_query());
    check_nothing_fetched(&m, stream.total());
    let mut taken = Vec::new();
    for k in TAKE_STEPS {
        let more: Vec<_> = stream
            .by_ref()
            .take(k - taken.len())
            .map(id)
            .collect()
            .await;
        taken.extend(more);
        check_taken_lazily(&m, taken.len(), k);
    }
    let rest: Vec<_> = stream.by_ref().map(id).collect().await;
    taken.extend(rest);
    check_full_walk(&m, &taken, &expected, stream.total(), stream.pages());
    drop(stream);

    // By name, last first, while tasks are inserted in front mid-walk; the stream is Send:
    // it is driven on another task.
    let c = Arc::new(c);
    let mut stream = c.list(&by_name_desc());
    let name = |t: Result<Task, _>| t.unwrap().name.unwrap();
    let mut seen: Vec<String> = stream.by_ref().take(6).map(name).collect().await;
    insert_in_front(&m);
    let rest = tokio::spawn({
        let c = Arc::clone(&c);
        async move { c.list(&by_name_desc()).try_collect::<Vec<Task>>().await }
    });
    seen.extend(stream.map(name).collect::<Vec<_>>().await);
    check_desc_walk(&seen);
    assert_eq!(rest.await.unwrap().unwrap().len(), MATCHING + 3);
}

#[tokio::test]
async fn batch_children_are_the_list_with_parent() {
    let (m, c) = start().await;
    let parent = c.call(&create_batch()).await.unwrap().value;
    assert!(parent.can_run(), "{parent:?}");
    let pid = id_of(parent.task());
    assert!(
        c.children(&pid).next().await.is_none(),
        "a draft has no children"
    );
    c.run(&RunTask::new(pid.clone())).await.unwrap();

    let mut children = c.children(&pid);
    let got: HashSet<String> = children.by_ref().map(id).collect().await;
    check_children(&m, &pid, &got, children.total());
}

#[tokio::test]
async fn execution_details_are_typed_and_the_rate_limit_is_free() {
    let (m, c) = start().await;
    let ran = c.call(&create("me/p").run(true)).await.unwrap().value;
    let id = id_of(ran.task());
    c.get(&GetTask::new(id.clone())).await.unwrap(); // RUNNING, one step done
    let details = c.call(&GetExecutionDetails::new(id.clone())).await.unwrap();
    check_details(&m, &id, &details.value);

    let a = c.call(&GetRateLimit::new()).await.unwrap().value;
    let b = c.call(&GetRateLimit::new()).await.unwrap().value;
    c.get(&GetTask::new(id)).await.unwrap();
    let after = c.call(&GetRateLimit::new()).await.unwrap().value;
    check_rate_limits(&a, &b, &after);
}
