//! Bulk actions: each action and its skip rules, the in-flight bound, the budget's change
//! lane, retries, resuming from the records (the orphan-draft rule), the clients' `bulk`
//! with a journal, and a property test of crashes and faults against a fake platform.

mod support;
use support::platform::{FakePlatform, Fault, Window};
use support::{block_on, config, FakeEnv, RetryPolicy};

use std::sync::Mutex;
use std::time::Duration;

use proptest::prelude::*;

use sbg_tasks_proto::client::{BulkError, MemoryJournal};
use sbg_tasks_proto::endpoints::TaskUpdate;
use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::machine::budget::Lane;
use sbg_tasks_proto::machine::bulk::{
    Action, BulkEvent, BulkReport, BulkSpec, Fingerprint, Listing, Record, ResumeError, Scope,
    Selection, TaskOutcome,
};
use sbg_tasks_proto::machine::{BulkAction, Call, Now, Operation, Settings, Shared, Step};
use sbg_tasks_proto::meta::RateLimit;
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::transport::TransportFailure;
use sbg_tasks_proto::{AsyncClient, BlockingClient, BudgetPolicy, GetTask, TaskId, UpdateTask};

const T0: u64 = 1_700_000_000;
const PROJECT: &str = "me/p";

fn settings() -> Settings {
    let mut s = Settings::new(config());
    s.retry = RetryPolicy::default()
        .with_jitter(0.0)
        .with_max_attempts(6)
        .with_backoff(Duration::from_millis(100), Duration::from_secs(2));
    s
}

fn failed_in_project(run: bool) -> BulkSpec {
    let listing = Listing::new(Scope::Project(PROJECT.parse().unwrap())).status(TaskStatus::Failed);
    BulkSpec::new(Action::Rerun { run }, Selection::Listing(listing))
}

fn ids(v: &[String]) -> Vec<TaskId> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

/// The test's driver: steps the workers of one run in virtual time, answers their requests
/// from the fake platform in an order `rng` picks, persists records, and can crash.
struct Sim {
    platform: FakePlatform,
    journal: Vec<Record>,
    mono: Duration,
    rng: u64,
    max_in_flight: usize,
    events: Vec<BulkEvent>,
}

enum End {
    Finished(BulkReport),
    Crashed,
}

struct W<'a> {
    op: sbg_tasks_proto::machine::BulkWorker<'a>,
    pending: Option<Request<Vec<u8>>>,
    wake: Duration,
    done: bool,
}

impl Sim {
    fn new(platform: FakePlatform, seed: u64) -> Self {
        Self {
            platform,
            journal: Vec::new(),
            mono: Duration::ZERO,
            rng: seed | 1,
            max_in_flight: 0,
            events: Vec::new(),
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn now(&mut self) -> Now {
        let random = self.next();
        Now {
            mono: self.mono,
            unix: Duration::from_secs(T0) + self.mono,
            random,
        }
    }

    fn unix(&self) -> u64 {
        T0 + self.mono.as_secs()
    }

    /// One run of `spec` from the journal: crashes at the `crash_at`-th point (a record
    /// handed out, or an answer due), else runs to the end.
    fn run(&mut self, spec: &BulkSpec, shared: &mut Shared, crash_at: Option<u64>) -> End {
        let settings = settings();
        let action = BulkAction::resume(spec.clone(), &self.journal).unwrap();
        let handle = action.start(shared);
        let mut ws: Vec<W<'_>> = (0..handle.workers())
            .map(|_| W {
                op: handle.worker(&settings),
                pending: None,
                wake: Duration::ZERO,
                done: false,
            })
            .collect();
        let mut points = 0u64;
        loop {
            for k in 0..ws.len() {
                while !ws[k].done && ws[k].pending.is_none() && ws[k].wake <= self.mono {
                    let now = self.now();
                    match ws[k].op.step(now, shared) {
                        Step::Event(BulkEvent::Record(records)) => {
                            points += 1;
                            if crash_at == Some(points) {
                                // Killed while writing: the transaction is in or out.
                                if self.next().is_multiple_of(2) {
                                    self.journal.extend(records);
                                }
                                return self.crash(&mut ws);
                            }
                            self.journal.extend(records);
                        }
                        Step::Event(e) => self.events.push(e),
                        Step::Send(r) => ws[k].pending = Some(r),
                        Step::SleepUntil(t) => ws[k].wake = t,
                        Step::Done(()) => ws[k].done = true,
                        _ => unreachable!(),
                    }
                }
            }
            if ws.iter().all(|w| w.done) {
                break;
            }
            let waiting: Vec<usize> = (0..ws.len()).filter(|&k| ws[k].pending.is_some()).collect();
            self.max_in_flight = self.max_in_flight.max(waiting.len());
            if waiting.is_empty() {
                let t = ws.iter().filter(|w| !w.done).map(|w| w.wake).min().unwrap();
                self.mono = self.mono.max(t);
                continue;
            }
            let k = waiting[(self.next() % waiting.len() as u64) as usize];
            points += 1;
            if crash_at == Some(points) {
                return self.crash(&mut ws);
            }
            let request = ws[k].pending.take().unwrap();
            self.mono += Duration::from_millis(20);
            let answer = self.platform.handle(&request, self.unix());
            let now = self.now();
            ws[k].op.on_answer(answer, now, shared);
            // Another worker's answer may wake a sleeper early (as the drivers do).
            for w in ws.iter_mut() {
                w.wake = w.wake.min(self.mono + Duration::from_millis(5));
            }
        }
        End::Finished(handle.finish(shared))
    }

    /// The process dies: each request in flight reached the platform or not.
    fn crash(&mut self, ws: &mut [W<'_>]) -> End {
        for w in ws.iter_mut() {
            if let Some(r) = w.pending.take() {
                if self.next().is_multiple_of(2) {
                    let _ = self.platform.act(&r, self.unix());
                }
            }
        }
        End::Crashed
    }

    fn finish(&mut self, spec: &BulkSpec) -> BulkReport {
        let mut shared = Shared::new(BudgetPolicy::default());
        match self.run(spec, &mut shared, None) {
            End::Finished(r) => r,
            End::Crashed => unreachable!(),
        }
    }
}

fn project_with(platform: &mut FakePlatform, statuses: &[&str]) -> Vec<String> {
    statuses
        .iter()
        .enumerate()
        .map(|(i, s)| platform.add(s, PROJECT, T0 - 1000 + i as u64))
        .collect()
}

fn kinds(journal: &[Record]) -> Vec<&'static str> {
    journal.iter().map(Record::kind).collect()
}

#[test]
fn a_rerun_with_run_copies_each_selected_task_once_and_runs_the_copy_in_two_requests() {
    let mut p = FakePlatform::new();
    let failed = project_with(
        &mut p,
        &["FAILED", "COMPLETED", "FAILED", "RUNNING", "FAILED"],
    );
    p.add("FAILED", "someone/else", T0 - 10);
    let mut sim = Sim::new(p, 7);
    let report = sim.finish(&failed_in_project(true));

    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.selected, 3);
    assert_eq!(report.progress().done, 3);
    for original in [&failed[0], &failed[2], &failed[4]] {
        let copies = sim.platform.copies_of(original);
        assert_eq!(copies.len(), 1, "one copy of {original}");
        assert_eq!(copies[0].runs, 1, "run once");
        let outcome = report
            .outcomes
            .iter()
            .find(|o| o.original().as_str() == original)
            .unwrap();
        assert!(
            matches!(outcome, TaskOutcome::Done { copy: Some(c), status: Some(TaskStatus::Running), .. }
            if c.as_str() == copies[0].id)
        );
    }
    // One list page, then a clone and a run per task: nothing more.
    let c = &sim.platform.counts;
    assert_eq!(
        (c.selection_pages, c.clones, c.runs, c.requests),
        (1, 3, 3, 7)
    );
    assert_eq!(report.plan.requests, 6);
    assert_eq!(report.plan.listings, 1);
    // Selected ×3, sealed, then per task: intent, cloned, done (in some interleaving).
    let k = kinds(&sim.journal);
    assert_eq!(&k[..4], ["selected", "selected", "selected", "sealed"]);
    for kind in ["intent", "cloned", "done"] {
        assert_eq!(k.iter().filter(|x| **x == kind).count(), 3, "{kind}: {k:?}");
    }
    // Write-ahead: each task's intent before its copy, its copy before its end.
    for original in [&failed[0], &failed[2], &failed[4]] {
        let at = |kind: &str| {
            sim.journal
                .iter()
                .position(|r| r.kind() == kind && r.original().unwrap().as_str() == original)
                .unwrap()
        };
        assert!(at("intent") < at("cloned") && at("cloned") < at("done"));
    }
}

#[test]
fn a_rerun_without_run_leaves_each_copy_a_recorded_draft() {
    let mut p = FakePlatform::new();
    let failed = project_with(&mut p, &["FAILED", "FAILED"]);
    let mut sim = Sim::new(p, 3);
    let report = sim.finish(&failed_in_project(false));
    assert_eq!(report.progress().done, 2);
    for original in &failed {
        let copies = sim.platform.copies_of(original);
        assert_eq!(copies.len(), 1);
        assert_eq!((copies[0].status.as_str(), copies[0].runs), ("DRAFT", 0));
    }
    assert_eq!(sim.platform.counts.runs, 0);
}

/// A change that is not only a rename: DRAFTs only.
fn change() -> TaskUpdate {
    let id: TaskId = support::platform::uuid(1).parse().unwrap();
    UpdateTask::new(id)
        .name("renamed")
        .description("d")
        .update()
        .clone()
}

#[test]
fn each_action_applies_by_status_and_skips_what_the_platform_refuses() {
    let statuses = ["DRAFT", "RUNNING", "QUEUED", "COMPLETED", "DRAFT"];
    let cases: [(Action, [Option<&str>; 5]); 4] = [
        // what each task is after the action (None: deleted); skipped tasks unchanged
        (
            Action::Run,
            [
                Some("RUNNING"),
                Some("RUNNING"),
                Some("QUEUED"),
                Some("COMPLETED"),
                Some("RUNNING"),
            ],
        ),
        (
            Action::Abort,
            [
                Some("DRAFT"),
                Some("ABORTED"),
                Some("ABORTED"),
                Some("COMPLETED"),
                Some("DRAFT"),
            ],
        ),
        (
            Action::Delete,
            [
                None,
                Some("RUNNING"),
                Some("QUEUED"),
                Some("COMPLETED"),
                None,
            ],
        ),
        (
            Action::Update(Box::new(change())),
            [
                Some("DRAFT"),
                Some("RUNNING"),
                Some("QUEUED"),
                Some("COMPLETED"),
                Some("DRAFT"),
            ],
        ),
    ];
    for (action, after) in cases {
        let mut p = FakePlatform::new();
        let tasks = project_with(&mut p, &statuses);
        let mut selection = ids(&tasks);
        selection.push(support::platform::uuid(999).parse().unwrap()); // unknown to the platform
        let spec = BulkSpec::new(action.clone(), Selection::Ids(selection)).with_concurrency(2);
        let mut sim = Sim::new(p, 11);
        let report = sim.finish(&spec);
        assert!(report.is_complete());
        for (i, id) in tasks.iter().enumerate() {
            let now = sim.platform.tasks.get(id).map(|t| t.status.as_str());
            assert_eq!(now, after[i], "{action:?} on {}", statuses[i]);
            let outcome = &report.outcomes[i];
            let applies = action.applies_to(Some(&statuses[i].parse().unwrap()));
            match outcome {
                TaskOutcome::Done { .. } => assert!(applies, "{action:?} {outcome:?}"),
                TaskOutcome::Skipped {
                    status, code: None, ..
                } => {
                    assert!(!applies);
                    assert_eq!(status.as_ref().unwrap().as_str(), statuses[i]);
                }
                other => panic!("{action:?}: {other:?}"),
            }
        }
        if let Action::Update(_) = action {
            assert_eq!(sim.platform.tasks[&tasks[0]].name, "renamed");
        }
        // The unknown id: acted on (its status unknown), the platform says 7002: skipped.
        assert!(
            matches!(
                report.outcomes[5],
                TaskOutcome::Skipped {
                    status: None,
                    code: Some(7002),
                    ..
                }
            ),
            "{action:?}: {:?}",
            report.outcomes[5]
        );
        // One bulk get, then one request per task that applies (and the unknown one).
        let applying = statuses
            .iter()
            .filter(|s| action.applies_to(Some(&s.parse().unwrap())))
            .count() as u64;
        assert_eq!(sim.platform.counts.requests, 1 + applying + 1, "{action:?}");
    }
}

#[test]
fn a_platform_refusal_is_a_skip_with_its_code() {
    // Selected as DRAFT, but someone ran it since: the run answers 7007.
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["DRAFT"]);
    let spec = BulkSpec::new(Action::Run, Selection::Ids(ids(&tasks)));
    let mut sim = Sim::new(p, 5);
    sim.platform.tasks.get_mut(&tasks[0]).unwrap().status = "DRAFT".into();
    let mut shared = Shared::new(BudgetPolicy::default());
    // Select, then let "someone" run it before the action does.
    let action = BulkAction::resume(spec.clone(), &[]).unwrap();
    let handle = action.start(&mut shared);
    let s = settings();
    let mut w = handle.worker(&s);
    let now = sim.now();
    let Step::Send(bulk_get) = w.op_step(now, &mut shared) else {
        panic!()
    };
    let answer = sim.platform.handle(&bulk_get, sim.unix());
    w.on_answer(answer, now, &mut shared);
    sim.platform.tasks.get_mut(&tasks[0]).unwrap().status = "QUEUED".into();
    let report = loop {
        match w.step(sim.now(), &mut shared) {
            Step::Send(r) => {
                let a = sim.platform.handle(&r, sim.unix());
                let now = sim.now();
                w.on_answer(a, now, &mut shared);
            }
            Step::Done(()) => break handle.finish(&mut shared),
            _ => {}
        }
    };
    assert_eq!(
        report.outcomes,
        [TaskOutcome::Skipped {
            original: tasks[0].parse().unwrap(),
            status: Some(TaskStatus::Draft),
            code: Some(7007)
        }]
    );
}

/// `step` that skips events (the test above only wants requests).
trait StepOp {
    fn op_step(&mut self, now: Now, shared: &mut Shared) -> Step<BulkEvent, ()>;
}

impl StepOp for sbg_tasks_proto::machine::BulkWorker<'_> {
    fn op_step(&mut self, now: Now, shared: &mut Shared) -> Step<BulkEvent, ()> {
        loop {
            match self.step(now, shared) {
                Step::Event(_) => {}
                other => return other,
            }
        }
    }
}

#[test]
fn no_more_than_the_concurrency_is_in_flight_and_all_of_it_is_used() {
    for concurrency in [1, 3, 8] {
        let mut p = FakePlatform::new();
        project_with(&mut p, &["FAILED"; 20]);
        let mut sim = Sim::new(p, 99);
        let report = sim.finish(&failed_in_project(true).with_concurrency(concurrency));
        assert_eq!(report.progress().done, 20);
        assert_eq!(sim.max_in_flight, concurrency, "concurrency {concurrency}");
    }
}

/// The records of a sealed selection of `tasks` (as a run that crashed right after it left).
fn sealed(sim: &Sim, spec: &BulkSpec, tasks: &[String]) -> Vec<Record> {
    let mut records: Vec<Record> = tasks
        .iter()
        .map(|id| {
            let t = &sim.platform.tasks[id];
            let task: sbg_tasks_proto::Task = serde_json::from_value(t.json()).unwrap();
            Record::Selected {
                original: id.parse().unwrap(),
                status: task.status.clone(),
                fingerprint: Fingerprint::of(&task),
                at: T0,
            }
        })
        .collect();
    records.push(Record::Sealed {
        key: spec.key(),
        count: tasks.len() as u64,
        at: T0,
    });
    records
}

#[test]
fn a_dry_run_selects_and_plans_without_recording_or_acting() {
    let mut p = FakePlatform::new();
    project_with(&mut p, &["FAILED", "FAILED", "COMPLETED", "FAILED"]);
    let mut sim = Sim::new(p, 1);
    let report = sim.finish(&failed_in_project(true).with_dry_run(true));
    assert_eq!((report.selected, report.outcomes.len()), (3, 0));
    assert!(sim.journal.is_empty(), "a dry run records nothing");
    assert_eq!(sim.platform.counts.requests, 1, "one listing, nothing else");
    assert_eq!((report.plan.requests, report.plan.listings), (6, 1));
    assert!(report.plan.tasks.iter().all(|t| t.to_do));
    // Each task of the plan is named as the listing named it (a dry run prints the names).
    for t in &report.plan.tasks {
        let name = sim
            .platform
            .tasks
            .get(t.id.as_str())
            .map(|x| x.name.clone());
        assert_eq!(t.name, name, "{}", t.id);
        assert!(t.name.is_some());
    }
    // 6 requests with 4 left in a window of 5 that resets in 20 s: the reset, then one more
    // window.
    let window = RateLimit {
        limit: 5,
        remaining: 4,
        reset: T0 + 20,
    };
    let at = Duration::from_secs(T0);
    assert_eq!(
        report
            .plan
            .time_at(Some(window), at, Duration::from_secs(60)),
        Some(Duration::from_secs(20))
    );
    let window = RateLimit {
        limit: 1,
        remaining: 0,
        reset: T0 + 20,
    };
    assert_eq!(
        report
            .plan
            .time_at(Some(window), at, Duration::from_secs(60)),
        Some(Duration::from_secs(20 + 5 * 60))
    );
}

#[test]
fn the_action_spends_the_change_lane_that_reads_leave_alone() {
    // The window has 30 requests left, under the read reserve (50): a read waits for the
    // reset, the action's clones and runs go.
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"; 5]);
    let spec = failed_in_project(true);
    let mut sim = Sim::new(p, 1);
    sim.journal = sealed(&sim, &spec, &tasks);
    let s = settings();
    let mut shared = Shared::new(BudgetPolicy::default());
    // Teach the budget the window with one answered read.
    let get = GetTask::new(tasks[0].parse().unwrap());
    let mut call = Call::new(&s, &get);
    let now = sim.now();
    let Step::Send(_) = call.step(now, &mut shared) else {
        panic!()
    };
    let window = Response::builder()
        .status(200)
        .header("x-ratelimit-limit", "1000")
        .header("x-ratelimit-remaining", "30")
        .header("x-ratelimit-reset", (T0 + 300).to_string())
        .body(
            sim.platform.tasks[&tasks[0]]
                .json()
                .to_string()
                .into_bytes(),
        )
        .unwrap();
    call.on_answer(Ok(window), now, &mut shared);
    assert!(matches!(call.step(now, &mut shared), Step::Done(Ok(_))));
    let mut read = Call::new(&s, &get);
    assert!(
        matches!(read.step(now, &mut shared), Step::SleepUntil(_)),
        "reads wait for the reset"
    );
    read.abandon(&mut shared);
    let report = match sim.run(&spec, &mut shared, None) {
        End::Finished(r) => r,
        End::Crashed => unreachable!(),
    };
    assert!(
        sim.mono < Duration::from_secs(300),
        "did not wait for the reset"
    );
    assert_eq!(report.progress().done, 5);
    assert_eq!(
        (
            sim.platform.counts.clones,
            sim.platform.counts.runs,
            sim.platform.counts.requests
        ),
        (5, 5, 10)
    );
}

fn intent(original: &str, at: u64) -> Record {
    Record::Intent {
        original: original.parse().unwrap(),
        at,
    }
}

#[test]
fn an_intent_whose_clone_never_reached_the_platform_clones_again() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED", "FAILED"]);
    let spec = failed_in_project(true);
    let mut sim = Sim::new(p, 2);
    sim.journal = sealed(&sim, &spec, &tasks);
    sim.journal.push(intent(&tasks[0], T0));
    let report = sim.finish(&spec);
    assert_eq!(report.progress().done, 2);
    for t in &tasks {
        assert_eq!(sim.platform.copies_of(t).len(), 1);
    }
    let c = &sim.platform.counts;
    assert_eq!((c.recovery_pages, c.clones, c.runs), (1, 2, 2));
    assert!(kinds(&sim.journal).contains(&"no_copy"));
}

/// A run that recorded the selection of `tasks` and the clone intent of the first, and then
/// died; the platform made a copy of it at each of `copies_at`.
fn crashed_after_intent(
    p: FakePlatform,
    spec: &BulkSpec,
    tasks: &[String],
    copies_at: &[u64],
) -> Sim {
    let mut sim = Sim::new(p, 2);
    sim.journal = sealed(&sim, spec, tasks);
    sim.journal.push(intent(&tasks[0], T0));
    let clone = Request::post(format!("http://x/v2/tasks/{}/actions/clone", tasks[0]))
        .body(Vec::new())
        .unwrap();
    for at in copies_at {
        sim.platform.act(&clone, *at).unwrap();
    }
    sim
}

#[test]
fn a_copy_made_before_the_crash_is_adopted_not_made_again() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED", "FAILED"]);
    let spec = failed_in_project(true);
    // The clone reached the platform; the process died before recording the copy.
    let mut sim = crashed_after_intent(p, &spec, &tasks, &[T0]);
    let orphan = sim.platform.copies_of(&tasks[0])[0].id.clone();
    let report = sim.finish(&spec);
    assert_eq!(report.progress().done, 2);
    let copies = sim.platform.copies_of(&tasks[0]);
    assert_eq!(copies.len(), 1, "no second copy");
    assert_eq!(
        (copies[0].id.as_str(), copies[0].runs),
        (orphan.as_str(), 1)
    );
    assert!(sim.journal.iter().any(|r| matches!(r,
        Record::Cloned { copy, adopted: true, .. } if copy.as_str() == orphan)));
    assert_eq!(
        sim.platform.counts.clones, 2,
        "the crashed one and the other task's"
    );
    assert!(report.ambiguous.is_empty());
}

#[test]
fn identical_drafts_in_the_window_are_ambiguous_the_earliest_is_adopted_none_deleted() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"]);
    let spec = failed_in_project(false);
    // Our clone, and an identical draft someone made by hand a second later.
    let mut sim = crashed_after_intent(p, &spec, &tasks, &[T0, T0 + 1]);
    let made: Vec<String> = sim
        .platform
        .copies_of(&tasks[0])
        .iter()
        .map(|t| t.id.clone())
        .collect();
    // And a draft of another app in the window is no candidate.
    let other = sim.platform.add("DRAFT", PROJECT, T0);
    let report = sim.finish(&spec);
    assert_eq!(sim.platform.counts.clones, 2, "nothing cloned again");
    assert!(sim.platform.deleted.is_empty() && sim.platform.tasks.contains_key(&other));
    let adopted = made
        .iter()
        .min_by_key(|id| sim.platform.tasks[*id].created)
        .unwrap();
    let others: Vec<TaskId> = made
        .iter()
        .filter(|id| *id != adopted)
        .map(|id| id.parse().unwrap())
        .collect();
    assert_eq!(
        report.ambiguous,
        [(
            tasks[0].parse().unwrap(),
            adopted.parse().unwrap(),
            others.clone()
        )]
    );
    assert!(
        matches!(&report.outcomes[0], TaskOutcome::Done { copy: Some(c), .. } if c.as_str() == adopted)
    );
    assert!(sim
        .events
        .iter()
        .any(|e| matches!(e, BulkEvent::Ambiguous { others: o, .. } if *o == others)));
}

#[test]
fn a_failed_attempt_is_tried_again_only_as_often_as_retries_say() {
    for (retries, done) in [(0, false), (1, true)] {
        let mut p = FakePlatform::new();
        let tasks = project_with(&mut p, &["FAILED"]);
        // The clone's request (number 1, after the listing) and its call's retries never
        // reach the platform: a 503 is not retried for a clone, the orphan rule finds
        // nothing, and the attempt has failed.
        p.faults.insert(1, Fault::Unavailable);
        let mut sim = Sim::new(p, 4);
        let report = sim.finish(&failed_in_project(true).with_retries(retries));
        assert_eq!(
            matches!(report.outcomes[0], TaskOutcome::Done { .. }),
            done,
            "retries {retries}: {:?}",
            report.outcomes
        );
        if let TaskOutcome::Failed { failure, .. } = &report.outcomes[0] {
            assert!(failure.message.contains("no copy was made"), "{failure:?}");
        }
        assert_eq!(sim.platform.counts.clones_acted, u64::from(done));
        assert_eq!(sim.platform.counts.recovery_pages, 1);
        assert!(sim.platform.copies_of(&tasks[0]).len() <= 1);
        // Resuming does not try a task that failed for good again.
        let before = sim.platform.counts.clone();
        let again = sim.finish(&failed_in_project(true).with_retries(retries));
        assert_eq!(again.outcomes, report.outcomes);
        assert_eq!(sim.platform.counts, before, "nothing sent");
    }
}

#[test]
fn a_lost_clone_answer_is_settled_by_the_orphan_rule_and_a_lost_run_by_a_get() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"]);
    // Request 1: the clone acts, its answer is lost. 2: the orphan listing. 3: the run acts,
    // its answer is lost. 4: the run again (7007). 5: the get.
    p.faults.insert(1, Fault::LostAfterAct);
    p.faults.insert(3, Fault::LostAfterAct);
    let mut sim = Sim::new(p, 4);
    let report = sim.finish(&failed_in_project(true));
    assert!(matches!(
        report.outcomes[0],
        TaskOutcome::Done {
            status: Some(TaskStatus::Running),
            ..
        }
    ));
    let copies = sim.platform.copies_of(&tasks[0]);
    assert_eq!((copies.len(), copies[0].runs), (1, 1));
    let c = &sim.platform.counts;
    assert_eq!(
        (c.clones, c.recovery_pages, c.runs, c.gets, c.requests),
        (1, 1, 2, 1, 6)
    );
}

#[test]
fn a_journal_of_another_action_is_refused() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"]);
    let sim = Sim::new(p, 1);
    let journal = sealed(&sim, &failed_in_project(true), &tasks);
    let err = BulkAction::resume(failed_in_project(false), &journal).unwrap_err();
    assert!(matches!(err, ResumeError::OtherAction { .. }), "{err}");
    // An unsealed selection is listed again.
    let fresh = BulkAction::resume(failed_in_project(true), &journal[..1]).unwrap();
    assert!(!fresh.is_selected());
}

#[test]
fn every_record_survives_its_row() {
    let a: TaskId = support::platform::uuid(1).parse().unwrap();
    let b: TaskId = support::platform::uuid(2).parse().unwrap();
    let fp = Fingerprint::of(
        &serde_json::from_value(serde_json::json!({
            "project": "me/p", "app": "me/p/a/1", "name": "n", "inputs": {"x": 1}
        }))
        .unwrap(),
    );
    let records = [
        Record::Selected {
            original: a.clone(),
            status: Some(TaskStatus::Failed),
            fingerprint: fp,
            at: 1,
        },
        Record::Sealed {
            key: "k".into(),
            count: 1,
            at: 2,
        },
        Record::Intent {
            original: a.clone(),
            at: 3,
        },
        Record::Cloned {
            original: a.clone(),
            copy: b.clone(),
            adopted: true,
            at: 4,
        },
        Record::NoCopy {
            original: a.clone(),
            at: 5,
        },
        Record::Done {
            original: a.clone(),
            copy: Some(b.clone()),
            status: Some(TaskStatus::Running),
            at: 6,
        },
        Record::Skipped {
            original: a.clone(),
            status: None,
            code: Some(7007),
            at: 7,
        },
        Record::Failed {
            original: a.clone(),
            copy: None,
            failure: sbg_tasks_proto::machine::bulk::BulkFailure::default(),
            at: 8,
        },
        Record::Ambiguous {
            original: a.clone(),
            adopted: b.clone(),
            others: vec![a.clone()],
            at: 9,
        },
    ];
    for r in records {
        let row = r.to_row();
        assert_eq!(row.kind, r.kind());
        assert_eq!(Record::from_row(&row).unwrap(), r);
    }
    let mut bad = Record::Intent { original: a, at: 1 }.to_row();
    bad.kind = "teleported".into();
    assert!(Record::from_row(&bad).is_err());
}

/// A closure transport over the fake platform, at the fake environment's time.
fn transport<'a>(
    platform: &'a Mutex<FakePlatform>,
    env: &'a FakeEnv,
) -> impl Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportFailure> + Sync + 'a {
    use sbg_tasks_proto::env::Env;
    move |r| {
        let now = env.unix_now().as_secs();
        platform.lock().unwrap().handle(&r, now)
    }
}

#[test]
fn the_blocking_client_records_before_it_acts_and_resumes_from_its_journal() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"; 6]);
    let platform = Mutex::new(p);
    let env = FakeEnv::new(Duration::from_secs(T0));
    let client = BlockingClient::with_env(config(), transport(&platform, &env), &env)
        .with_retry(settings().retry);
    // The journal fails after the selection and two more records: the action halts.
    let mut journal = MemoryJournal::new().failing_after(3);
    let err = client
        .bulk(
            failed_in_project(true).with_concurrency(3),
            &mut journal,
            |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, BulkError::Journal(_)), "{err}");
    let kept = journal.records().to_vec();
    // Nothing was sent that a record not kept would have announced: every clone has its intent.
    let p = platform.lock().unwrap();
    let intents = kept.iter().filter(|r| r.kind() == "intent").count() as u64;
    assert!(
        p.counts.clones <= intents,
        "{} clones, {intents} intents",
        p.counts.clones
    );
    drop(p);
    // Again, with a journal that works: it goes on from the records.
    let mut journal = MemoryJournal::with_records(kept);
    let mut outcomes = 0;
    let report = client
        .bulk(
            failed_in_project(true).with_concurrency(3),
            &mut journal,
            |e| {
                outcomes += usize::from(matches!(e, BulkEvent::Outcome(..)));
            },
        )
        .unwrap();
    assert!(report.is_complete());
    assert_eq!(report.progress().done, 6);
    assert!(outcomes <= 6);
    let p = platform.lock().unwrap();
    for t in &tasks {
        let copies = p.copies_of(t);
        assert_eq!((copies.len(), copies[0].runs), (1, 1), "{t}");
    }
    assert_eq!(
        p.counts.selection_pages, 1,
        "the selection was recorded once"
    );
}

#[test]
fn the_async_client_runs_the_same_action() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["DRAFT", "COMPLETED", "DRAFT"]);
    let platform = Mutex::new(p);
    let env = FakeEnv::new(Duration::from_secs(T0));
    let t = transport(&platform, &env);
    let async_transport = move |r: Request<Vec<u8>>| {
        let a = t(r);
        async move { a }
    };
    let client = AsyncClient::with_env(config(), async_transport, &env);
    let mut journal = MemoryJournal::new();
    let spec = BulkSpec::new(Action::Delete, Selection::Ids(ids(&tasks))).with_concurrency(2);
    let report = block_on(client.bulk(spec, &mut journal, |_| {})).unwrap();
    let p = platform.lock().unwrap();
    assert_eq!(p.deleted, [tasks[0].clone(), tasks[2].clone()]);
    assert_eq!(report.progress().done, 2);
    assert_eq!(report.progress().skipped, 1);
    assert!(journal.records().iter().any(|r| r.kind() == "sealed"));
}

fn any_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::LostAfterAct),
        Just(Fault::Unavailable),
        Just(Fault::RateLimited),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Crashes at any point (a record written or not, requests in flight acted on or not)
    /// and faults on any request (an answer lost after the platform acted, 503, 429); each
    /// crash is followed by a run from what was recorded, the last one runs to the end.
    #[test]
    fn crashes_and_faults_never_copy_or_run_a_task_twice(
        failed in 1usize..9,
        run in any::<bool>(),
        concurrency in 1usize..5,
        crashes in proptest::collection::vec(1u64..40, 0..6),
        faults in proptest::collection::vec((0u64..60, any_fault()), 0..10),
        seed in any::<u64>(),
    ) {
        let mut p = FakePlatform::new();
        let mut originals = Vec::new();
        for i in 0..failed {
            originals.push(p.add("FAILED", PROJECT, T0 - 500 + i as u64));
            if i % 3 == 0 {
                p.add("COMPLETED", PROJECT, T0 - 400 + i as u64);
            }
        }
        let injected: std::collections::HashMap<u64, Fault> = faults.into_iter().collect();
        p.faults = injected;
        let spec = failed_in_project(run).with_concurrency(concurrency).with_retries(100);
        let mut sim = Sim::new(p, seed);
        let mut crashed = 0u64;
        for at in crashes {
            let mut shared = Shared::new(BudgetPolicy::default());
            if let End::Crashed = sim.run(&spec, &mut shared, Some(at)) {
                crashed += 1;
            }
        }
        let report = sim.finish(&spec);

        prop_assert!(report.is_complete(), "{:?}", report);
        prop_assert_eq!(report.progress().done, failed);
        for original in &originals {
            // Exactly one copy: no orphan DRAFT remains; it ran once (or stays a DRAFT).
            let copies = sim.platform.copies_of(original);
            prop_assert_eq!(copies.len(), 1, "copies of {}", original);
            let copy = copies[0];
            prop_assert_eq!(copy.runs, u32::from(run));
            prop_assert_eq!(copy.status.as_str(), if run { "RUNNING" } else { "DRAFT" });
            // The journal and the report agree with the platform.
            let recorded: Vec<&TaskId> = sim.journal.iter().filter_map(|r| match r {
                Record::Cloned { original: o, copy, .. } if o.as_str() == original => Some(copy),
                _ => None,
            }).collect();
            prop_assert!(!recorded.is_empty() && recorded.iter().all(|c| c.as_str() == copy.id));
            let done = report.outcomes.iter().find(|o| o.original().as_str() == original).unwrap();
            let matches_copy = matches!(done, TaskOutcome::Done { copy: Some(c), .. } if c.as_str() == copy.id);
            prop_assert!(matches_copy);
        }
        prop_assert!(report.ambiguous.is_empty());
        prop_assert!(sim.platform.deleted.is_empty());
        // Requests: a clone (and a run) per task and the listings, plus the orphan rule's
        // listings; a fault costs at most two more (a lost run: run again, 7007, get), a
        // crash at most two per request in flight and the selection listed again.
        let c = &sim.platform.counts;
        let per_task = if run { 2 } else { 1 };
        let base = per_task * failed as u64 + c.selection_pages.min(1);
        let allowed = base
            + c.recovery_pages
            + 2 * c.faults
            + crashed * (2 * concurrency as u64 + 1);
        prop_assert!(c.requests <= allowed, "{:?}: {} > {}", c, c.requests, allowed);
        if c.faults == 0 && crashed == 0 {
            prop_assert_eq!(c.requests, base);
            prop_assert_eq!(c.recovery_pages, 0);
        }
        prop_assert_eq!(c.clones_acted, failed as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// With few retries, tasks may fail for good; still no copy is ever unrecorded (no
    /// orphan DRAFT), none is made or run twice, and running the command again until it has
    /// nothing left to do settles every open clone intent.
    #[test]
    fn tasks_that_fail_for_good_leave_no_orphan_and_nothing_twice(
        failed in 1usize..7,
        run in any::<bool>(),
        concurrency in 1usize..4,
        retries in 0u32..2,
        crashes in proptest::collection::vec(1u64..30, 0..4),
        faults in proptest::collection::vec((0u64..40, any_fault()), 0..20),
        seed in any::<u64>(),
    ) {
        let mut p = FakePlatform::new();
        let originals: Vec<String> =
            (0..failed).map(|i| p.add("FAILED", PROJECT, T0 - 500 + i as u64)).collect();
        p.faults = faults.into_iter().collect();
        let spec = failed_in_project(run).with_concurrency(concurrency).with_retries(retries);
        let mut sim = Sim::new(p, seed);
        for at in crashes {
            let mut shared = Shared::new(BudgetPolicy::default());
            let _ = sim.run(&spec, &mut shared, Some(at));
        }
        // Again until a run has nothing to send (the faults are finite).
        let mut report = sim.finish(&spec);
        for _ in 0..10 {
            let before = sim.platform.counts.requests;
            report = sim.finish(&spec);
            if sim.platform.counts.requests == before {
                break;
            }
        }
        prop_assert!(report.is_complete(), "{:?}", report);
        for original in &originals {
            let copies = sim.platform.copies_of(original);
            prop_assert!(copies.len() <= 1, "copies of {}: {:?}", original, copies);
            for copy in &copies {
                prop_assert!(copy.runs <= 1);
                let recorded = sim.journal.iter().any(|r| matches!(r,
                    Record::Cloned { copy: c, .. } if c.as_str() == copy.id));
                prop_assert!(recorded, "an orphan: {:?}", copy);
            }
            let outcome = report.outcomes.iter().find(|o| o.original().as_str() == original).unwrap();
            if let TaskOutcome::Done { copy, .. } = outcome {
                prop_assert_eq!(copies.len(), 1);
                prop_assert_eq!(copy.as_ref().map(TaskId::as_str), Some(copies[0].id.as_str()));
                prop_assert_eq!(copies[0].runs, u32::from(run));
            }
        }
        prop_assert!(sim.platform.deleted.is_empty());
    }
}

#[test]
fn the_bulk_lane_leaves_an_active_watcher_the_rest_of_its_share() {
    // A window of 100 requests a minute; the watcher's share is 60 % (60), the read reserve
    // 10 (a tenth of the window). 40 reruns with run: 80 changes and a listing.
    for watching in [false, true] {
        let mut p = FakePlatform::new();
        p.window = Some(Window {
            limit: 100,
            len: 60,
            remaining: 100,
            reset: T0 + 60,
        });
        project_with(&mut p, &["FAILED"; 40]);
        let mut sim = Sim::new(p, 8);
        let s = settings();
        let mut shared = Shared::new(BudgetPolicy::default());
        // A read that tells the window, then (when watching) one sweep of a watcher: it is
        // active, and has 59 of its 60 left.
        let get = GetTask::new(support::platform::uuid(1).parse().unwrap());
        let lanes: &[Lane] = if watching {
            &[Lane::Read, Lane::Watch]
        } else {
            &[Lane::Read]
        };
        for lane in lanes {
            let mut call = Call::new(&s, &get).in_lane(*lane);
            let now = sim.now();
            let Step::Send(r) = call.step(now, &mut shared) else {
                panic!()
            };
            let answer = sim.platform.handle(&r, sim.unix());
            call.on_answer(answer, now, &mut shared);
            assert!(matches!(call.step(now, &mut shared), Step::Done(Ok(_))));
        }
        let report = match sim.run(&failed_in_project(true), &mut shared, None) {
            End::Finished(r) => r,
            End::Crashed => unreachable!(),
        };
        assert_eq!(report.progress().done, 40);
        assert_eq!(sim.platform.rate_limited, 0, "never a 429");
        let first_window = sim.platform.times.iter().filter(|t| **t < T0 + 60).count() as u64;
        if watching {
            // Left to the watcher: the rest of its share (59) and the reserve (10).
            assert_eq!(first_window, 100 - 59 - 10, "{:?}", sim.platform.times);
            assert!(
                sim.mono >= Duration::from_secs(60),
                "waited for the next window"
            );
        } else {
            assert_eq!(
                first_window, 82,
                "alone (a read, the listing, 80 changes), the action spends the window as it needs"
            );
            assert!(sim.mono < Duration::from_secs(60));
        }
    }
}

#[test]
fn the_async_stream_hands_out_the_records_and_outcomes_then_the_report() {
    use futures_core::Stream;
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED", "FAILED", "FAILED"]);
    let platform = Mutex::new(p);
    let env = FakeEnv::new(Duration::from_secs(T0));
    let t = transport(&platform, &env);
    let client = AsyncClient::with_env(
        config(),
        move |r: Request<Vec<u8>>| {
            let a = t(r);
            async move { a }
        },
        &env,
    );
    let mut journal = MemoryJournal::new();
    let mut stream = client.bulk_stream(failed_in_project(true).with_concurrency(2), &mut journal);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut events = Vec::new();
    loop {
        match std::pin::Pin::new(&mut stream).poll_next(&mut cx) {
            std::task::Poll::Ready(Some(e)) => events.push(e),
            std::task::Poll::Ready(None) => break,
            std::task::Poll::Pending => {}
        }
    }
    let report = stream.outcome().unwrap().unwrap();
    assert!(stream.outcome().is_none(), "taken once");
    drop(stream);
    assert_eq!(report.progress().done, 3);
    assert!(matches!(events[0], BulkEvent::Record(ref r) if r.len() == 4));
    assert!(matches!(events[1], BulkEvent::Selected(ref plan) if plan.requests == 6));
    let outcomes: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            BulkEvent::Outcome(o, progress) => {
                Some((o.original().to_string(), progress.finished()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes.iter().map(|o| o.1).collect::<Vec<_>>(), [1, 2, 3]);
    let records: usize = events
        .iter()
        .map(|e| match e {
            BulkEvent::Record(r) => r.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(
        records,
        journal.records().len(),
        "every record handed out was journaled"
    );
    for t in &tasks {
        assert_eq!(platform.lock().unwrap().copies_of(t).len(), 1);
    }
}

#[test]
fn a_task_that_failed_with_its_clone_intent_open_has_its_copy_found_by_the_next_run() {
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"]);
    // 1: the clone makes a copy, its answer is lost. 2..=7: every attempt of the orphan
    // listing answers 503: the attempt fails, and with no retries the task has failed.
    p.faults.insert(1, Fault::LostAfterAct);
    for n in 2..=7 {
        p.faults.insert(n, Fault::Unavailable);
    }
    let mut sim = Sim::new(p, 6);
    let first = sim.finish(&failed_in_project(true));
    assert!(
        matches!(first.outcomes[0], TaskOutcome::Failed { .. }),
        "{first:?}"
    );
    assert_eq!(sim.platform.copies_of(&tasks[0])[0].runs, 0);
    // The next run looks for the copy (and only looks: no clone), adopts it and runs it.
    let second = sim.finish(&failed_in_project(true));
    assert!(
        matches!(second.outcomes[0], TaskOutcome::Done { copy: Some(_), .. }),
        "{second:?}"
    );
    let copies = sim.platform.copies_of(&tasks[0]);
    assert_eq!((copies.len(), copies[0].runs), (1, 1));
    assert_eq!(sim.platform.counts.clones, 1);

    // Had no copy been made, the next run records that and clones nothing.
    let mut p = FakePlatform::new();
    let tasks = project_with(&mut p, &["FAILED"]);
    p.faults.insert(1, Fault::Unavailable);
    for n in 2..=7 {
        p.faults.insert(n, Fault::Unavailable);
    }
    let mut sim = Sim::new(p, 6);
    let first = sim.finish(&failed_in_project(true));
    assert!(matches!(first.outcomes[0], TaskOutcome::Failed { .. }));
    let before = sim.platform.counts.requests;
    let second = sim.finish(&failed_in_project(true));
    assert_eq!(second.outcomes, first.outcomes);
    assert!(sim.platform.copies_of(&tasks[0]).is_empty());
    assert_eq!(
        (
            sim.platform.counts.requests - before,
            sim.platform.counts.recovery_pages
        ),
        (1, 1),
        "only the orphan listing: not cloned again"
    );
    assert_eq!(sim.journal.last().map(Record::kind), Some("no_copy"));
    // And a third run has nothing left to do.
    let before = sim.platform.counts.requests;
    sim.finish(&failed_in_project(true));
    assert_eq!(sim.platform.counts.requests, before);
}
