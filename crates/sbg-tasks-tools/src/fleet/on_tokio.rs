//! The loopback fleet on the async client (`sbg-tasks-hyper`): the watcher, the waits, the
//! submitters and the one-GET loop each a tokio task.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt as _;
use sbg_tasks_hyper::proto::machine::budget::Lane;
use sbg_tasks_hyper::proto::transport::AsyncHttpTransport;
use sbg_tasks_hyper::{http, AsyncClient, GetTask, HyperTransport, RunTask, TokioEnv};
use sbg_tasks_mock::MockControl;

use super::{
    report, settings, transport_options, FleetArgs, Followed, OneGet, Plan, Recorder, WatchLog,
    ONE_GET_TOKEN, TOKEN,
};
use crate::Res;

type Client<T> = Arc<AsyncClient<T, TokioEnv>>;

fn client(
    a: &FleetArgs,
    base: &str,
    token: &str,
    gzip: bool,
    recorder: Option<Recorder>,
) -> Res<Client<impl AsyncHttpTransport + Send + Sync + 'static>> {
    let inner = HyperTransport::new(transport_options(gzip))?;
    let transport = move |req: http::Request<Vec<u8>>| {
        if let Some(r) = &recorder {
            r.record(&req);
        }
        let inner = inner.clone();
        async move { inner.send(req).await }
    };
    Ok(Arc::new(AsyncClient::with_settings(
        settings(a, base, token)?,
        transport,
        TokioEnv::new(),
    )))
}

/// One pass: the scenario on the async client, then its table; false when a goal is missed.
pub(super) async fn pass(
    a: &FleetArgs,
    mock: &MockControl,
    gzip: bool,
    one_get: bool,
) -> Res<bool> {
    let plan = Arc::new(Plan::new(a, mock)?);
    let c = client(a, mock.base_url(), TOKEN, gzip, Some(plan.recorder.clone()))?;
    let b = client(a, mock.base_url(), ONE_GET_TOKEN, gzip, None)?;
    let t0 = Instant::now();

    let watcher = tokio::spawn({
        let (c, plan) = (c.clone(), plan.clone());
        async move {
            let mut log = WatchLog::new();
            let mut w = c.watch(plan.ids.iter().cloned());
            while let Some(event) = w.next().await {
                log.on_event(&event, || w.watcher().refresh_span());
            }
            log.finish(w.watcher().requests(), t0)
        }
    });
    let mut waits = Vec::new();
    for id in &plan.waited {
        let (c, id) = (c.clone(), id.clone());
        waits.push(tokio::spawn(async move { c.wait(&id).await }));
    }
    let mut submitters = Vec::new();
    for (k, list) in plan.drafts.iter().enumerate() {
        let (c, list, a) = (c.clone(), list.clone(), a.clone());
        submitters.push(tokio::spawn(async move {
            let mut delays = Vec::new();
            for (i, id) in list.into_iter().enumerate() {
                let at = Plan::run_at(&a, t0, k, i);
                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                let decided = Instant::now();
                let ran = c.run(&RunTask::new(id)).await;
                delays.push((decided.elapsed().as_secs_f64(), ran.is_ok()));
            }
            delays
        }));
    }
    let by_get = one_get.then(|| tokio::spawn(one_get_loop(b, plan.clone(), a.clone(), t0)));

    let watched = watcher.await?;
    let mut waits_ok = 0;
    for w in &mut waits {
        waits_ok += usize::from(matches!(w.await, Ok(Ok(_))));
    }
    let mut runs = Vec::new();
    for s in submitters {
        runs.extend(s.await?);
    }
    let by_get = match by_get {
        Some(h) => Some(h.await?),
        None => None,
    };
    let waits = (waits_ok, waits.len());
    Ok(report(
        a,
        "hyper",
        gzip,
        mock,
        &plan.recorder,
        watched,
        waits,
        &runs,
        by_get,
        c.budget().counts(),
    ))
}

/// The fleet followed one `GET /tasks/{id}` per task, in turn, in the budget's watch lane (the
/// same share as the watcher), no task more often than the interval.
async fn one_get_loop<T: AsyncHttpTransport + Sync>(
    b: Client<T>,
    plan: Arc<Plan>,
    a: FleetArgs,
    t0: Instant,
) -> Followed {
    let mut loop_ = OneGet::new(&plan.ids, t0);
    b.want_probe();
    while let Some((id, at)) = loop_.next(a.interval) {
        if let Some(at) = at {
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        }
        let got = b.call_in(Lane::Watch, &GetTask::new(id.clone())).await;
        loop_.on_answer(id, got.as_ref().ok().map(|t| &t.value));
    }
    loop_.finish()
}
