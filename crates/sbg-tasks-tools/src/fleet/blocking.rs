//! The loopback fleet on the blocking client (`sbg-tasks-ureq`): the watcher, the waits, the
//! submitters and the one-GET loop each on a thread.

use std::time::Instant;

use sbg_tasks_mock::MockControl;
use sbg_tasks_ureq::proto::machine::budget::Lane;
use sbg_tasks_ureq::proto::transport::HttpTransport;
use sbg_tasks_ureq::{http, BlockingClient, GetTask, RunTask, StdEnv, Task, UreqTransport};

use super::{
    report, settings, transport_options, FleetArgs, Followed, OneGet, Plan, Recorder, WatchLog,
    ONE_GET_TOKEN, TOKEN,
};
use crate::Res;

fn client(
    a: &FleetArgs,
    base: &str,
    token: &str,
    gzip: bool,
    recorder: Option<Recorder>,
) -> Res<BlockingClient<impl HttpTransport + Clone + Sync, StdEnv>> {
    let inner = UreqTransport::new(transport_options(gzip))?;
    let transport = move |req: http::Request<Vec<u8>>| {
        if let Some(r) = &recorder {
            r.record(&req);
        }
        inner.send(req)
    };
    Ok(BlockingClient::with_settings(
        settings(a, base, token)?,
        transport,
        StdEnv::new(),
    ))
}

/// One pass: the scenario on the blocking client, then its table; false when a goal is missed.
pub(super) fn pass(a: &FleetArgs, mock: &MockControl, gzip: bool, one_get: bool) -> Res<bool> {
    let plan = Plan::new(a, mock)?;
    let c = client(a, mock.base_url(), TOKEN, gzip, Some(plan.recorder.clone()))?;
    let b = client(a, mock.base_url(), ONE_GET_TOKEN, gzip, None)?;
    let t0 = Instant::now();

    let (watched, waits, runs, by_get) = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut log = WatchLog::new();
            let mut w = c.watch(plan.ids.iter().cloned());
            while let Some(event) = w.next() {
                log.on_event(&event, || w.watcher().refresh_span());
            }
            log.finish(w.watcher().requests(), t0)
        });
        let waits: Vec<_> = plan
            .waited
            .iter()
            .map(|id| {
                let c = &c;
                s.spawn(move || -> Res<Task> { Ok(c.wait(id)?) })
            })
            .collect::<Vec<_>>();
        let runs: Vec<_> = plan
            .drafts
            .iter()
            .enumerate()
            .map(|(k, list)| {
                let c = &c;
                s.spawn(move || {
                    let mut delays = Vec::new();
                    for (i, id) in list.iter().enumerate() {
                        let at = Plan::run_at(a, t0, k, i);
                        std::thread::sleep(at.saturating_duration_since(Instant::now()));
                        let decided = Instant::now();
                        let ran = c.run(&RunTask::new(id.clone()));
                        delays.push((decided.elapsed().as_secs_f64(), ran.is_ok()));
                    }
                    delays
                })
            })
            .collect::<Vec<_>>();
        let by_get = one_get.then(|| s.spawn(|| one_get_loop(&b, &plan, a, t0)));
        let watched = watcher.join().expect("watcher thread");
        let waits: Vec<Res<_>> = waits.into_iter().map(|h| h.join().expect("wait")).collect();
        let runs: Vec<(f64, bool)> = runs
            .into_iter()
            .flat_map(|h| h.join().expect("submitter"))
            .collect();
        (
            watched,
            waits,
            runs,
            by_get.map(|h| h.join().expect("one-GET loop")),
        )
    });

    let waits = (waits.iter().filter(|w| w.is_ok()).count(), waits.len());
    Ok(report(
        a,
        "ureq",
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
fn one_get_loop<T: HttpTransport>(
    b: &BlockingClient<T, StdEnv>,
    plan: &Plan,
    a: &FleetArgs,
    t0: Instant,
) -> Followed {
    let mut loop_ = OneGet::new(&plan.ids, t0);
    b.want_probe();
    while let Some((id, at)) = loop_.next(a.interval) {
        if let Some(at) = at {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
        }
        let got = b.call_in(Lane::Watch, &GetTask::new(id.clone()));
        loop_.on_answer(id, got.as_ref().ok().map(|t| &t.value));
    }
    loop_.finish()
}
