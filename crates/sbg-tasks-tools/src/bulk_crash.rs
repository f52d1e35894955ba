//! `bulk-crash`: a bulk rerun (`sbg-tasks rerun --project P --status FAILED --run`) of many
//! FAILED tasks against the mock with faults (dropped connections after the request was
//! read, 5xx, 429), the CLI killed with SIGKILL at random moments and started again until it
//! exits 0. Then it checks, from the mock and the journal file:
//!
//! - every original has exactly one copy, and that copy ran; no DRAFT is left in the project;
//! - the journal agrees with the mock: each original's recorded copy is the mock's one copy,
//!   and each original is recorded done;
//! - the requests counted against the rate limit are at most 1.05 × (2 per task + selection
//!   listings) + recovery requests: the orphan rule's DRAFT listings, and for a run that may
//!   have been accepted before a kill or a lost answer, the run sent again (answered 400,
//!   7007: not a DRAFT any more) and the get that settles it.
//!
//! The mock runs in a child process (this program's `mock`), driven over `/__mock/`; its
//! rate limit paces the CLI so that the kills fall before the end.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sbg_tasks_journal::SqliteJournal;
use sbg_tasks_mock::SplitMix;
use sbg_tasks_ureq::proto::client::Journal as _;
use sbg_tasks_ureq::proto::machine::bulk::Record;
use serde_json::Value;

use crate::admin::MockAdmin;
use crate::child::MockChild;
use crate::Res;

const TOKEN: &str = "bu1kcrashbu1kcrashbu1kcrashbu1kc";

/// The flags of `bulk-crash`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CrashArgs {
    /// FAILED tasks to rerun.
    #[arg(long, default_value_t = 500)]
    pub(crate) tasks: usize,
    /// Kills the run must have before the CLI finishes (fewer: the check fails).
    #[arg(long, default_value_t = 20)]
    pub(crate) min_kills: u32,
    /// The CLI is killed after a random time in [--kill-min-ms, --kill-max-ms].
    #[arg(long, default_value_t = 50)]
    pub(crate) kill_min_ms: u64,
    /// See --kill-min-ms.
    #[arg(long, default_value_t = 600)]
    pub(crate) kill_max_ms: u64,
    /// The mock's rate limit (`N/SECONDS`): it paces the CLI, so that the kills fall before
    /// the end.
    #[arg(long, default_value = "100/1")]
    pub(crate) rate: String,
    /// Faults injected before each start of the CLI (each for one request), drawn from
    /// drop-after (clone, run, list), 503 and 429.
    #[arg(long, default_value_t = 2)]
    pub(crate) faults_per_start: u32,
    /// The CLI's `--retries`: a task whose request failed (a fault) is tried again this many
    /// more times, counted over restarts.
    #[arg(long, default_value_t = 5)]
    pub(crate) retries: u32,
    /// The CLI's `--concurrency`.
    #[arg(long, default_value_t = 4)]
    pub(crate) concurrency: u32,
    /// Seed of the kill moments and the faults.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// The `sbg-tasks` binary (default: beside this program).
    #[arg(long)]
    pub(crate) cli: Option<PathBuf>,
    /// Give up after this many starts of the CLI.
    #[arg(long, default_value_t = 400)]
    pub(crate) max_starts: u32,
}

/// The faults drawn from, in the mock's `--fault` syntax.
const FAULTS: &[&str] = &[
    "drop-after@clone*1",
    "drop-after@run*1",
    "drop-after@list*1",
    "503@clone*1",
    "503@run*1",
    "503*1",
    "429*1",
];

/// What the loop of starts and kills saw.
#[derive(Debug, Default)]
struct Starts {
    starts: u32,
    kills: u32,
    /// Exit codes of runs that ended by themselves without success.
    failed_exits: BTreeMap<i32, u32>,
    faults: u32,
}

/// Runs the crash test; `Ok(false)` when an invariant does not hold.
pub(crate) fn run(args: &CrashArgs) -> Res<bool> {
    let cli = match &args.cli {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("sbg-tasks"),
    };
    if !cli.exists() {
        return Err(format!(
            "no CLI binary at {} (build it: cargo build -p sbg-tasks-cli, or give --cli)",
            cli.display()
        )
        .into());
    }
    let mock = MockChild::start(TOKEN, &args.rate)?;
    let admin = MockAdmin::new(mock.base_url());
    let fleet = admin.spawn_fleet(args.tasks, Duration::from_millis(50), 1.0, args.seed, false)?;
    let project = fleet["project"]
        .as_str()
        .ok_or("the fleet has no project")?
        .to_owned();
    let originals: Vec<String> = serde_json::from_value(fleet["ids"].clone())?;
    // Every task has ended FAILED once the fleet's time is over.
    std::thread::sleep(Duration::from_millis(200));
    let dir = std::env::temp_dir().join(format!(
        "sbg-bulk-crash-{}-{}",
        std::process::id(),
        args.seed
    ));
    std::fs::create_dir_all(&dir)?;
    let journal = dir.join("journal.sqlite");
    let log = dir.join("cli.log");
    println!(
        "bulk-crash: {} FAILED tasks in {project}, mock {} (rate limit {}), CLI {}, journal {}",
        originals.len(),
        mock.base_url(),
        args.rate,
        cli.display(),
        journal.display()
    );
    let began = Instant::now();
    let starts = starts_and_kills(
        args,
        &cli,
        mock.base_url(),
        &project,
        &journal,
        &log,
        &admin,
    )?;
    println!(
        "finished after {:.1} s: {} start(s), {} kill(s) (SIGKILL), {} fault(s) injected, runs that \
         ended without success (exit code: count): {:?}; CLI output in {}",
        began.elapsed().as_secs_f64(),
        starts.starts,
        starts.kills,
        starts.faults,
        starts.failed_exits,
        log.display()
    );
    // Faults still waiting would hit the checks' own requests.
    admin.clear_faults()?;
    // The mock's journal before the checks below send requests of their own.
    let spent = Spent::of(&admin.journal_entries()?);
    let mut ok = true;
    let mut check = |good: bool, what: String| {
        println!("{} {what}", if good { "ok:  " } else { "FAIL:" });
        ok &= good;
    };
    check(
        starts.kills >= args.min_kills,
        format!(
            "{} kill(s) before the end (at least {} asked)",
            starts.kills, args.min_kills
        ),
    );
    // 1. The mock: one copy per original, and it ran; no DRAFT left.
    let copies = admin.copies()?;
    let mut mock_copy: HashMap<String, String> = HashMap::new();
    let mut bad = Vec::new();
    for o in copies["by_original"].as_array().into_iter().flatten() {
        let original = o["original"].as_str().unwrap_or_default().to_owned();
        let list = o["copies"].as_array().cloned().unwrap_or_default();
        let ran = list
            .iter()
            .filter(|c| c["ran"] == Value::Bool(true))
            .count();
        if list.len() != 1 || ran != 1 {
            bad.push(format!("{original}: {} copies, {ran} ran", list.len()));
        }
        if let Some(c) = list.first().and_then(|c| c["id"].as_str()) {
            mock_copy.insert(original, c.to_owned());
        }
    }
    let missing = originals
        .iter()
        .filter(|o| !mock_copy.contains_key(*o))
        .count();
    check(
        bad.is_empty() && missing == 0,
        format!(
            "every original has exactly one copy, which ran: {} originals, {} copies in all \
             ({} with another count: {:?}; {missing} without a copy)",
            originals.len(),
            copies["copies"],
            bad.len(),
            bad.iter().take(5).collect::<Vec<_>>()
        ),
    );
    let drafts = admin.list_drafts(TOKEN, &project)?;
    check(
        drafts == 0 && copies["orphan_drafts"] == 0,
        format!(
            "no orphan DRAFT: {drafts} DRAFT(s) listed in {project}, the mock counts {} copies \
             still DRAFT",
            copies["orphan_drafts"]
        ),
    );
    // 2. The journal agrees with the mock.
    let records = SqliteJournal::open(&journal)?.load()?;
    let mut recorded: HashMap<String, HashSet<String>> = HashMap::new();
    let mut done: HashSet<String> = HashSet::new();
    for r in &records {
        match r {
            Record::Cloned { original, copy, .. } => {
                recorded
                    .entry(original.to_string())
                    .or_default()
                    .insert(copy.to_string());
            }
            Record::Done { original, .. } => {
                done.insert(original.to_string());
            }
            _ => {}
        }
    }
    let disagree: Vec<&String> = originals
        .iter()
        .filter(|o| {
            let mine = recorded.get(*o);
            let theirs = mock_copy.get(*o);
            !matches!((mine, theirs), (Some(m), Some(t)) if m.len() == 1 && m.contains(t))
        })
        .collect();
    let not_done = originals.iter().filter(|o| !done.contains(*o)).count();
    check(
        disagree.is_empty() && not_done == 0,
        format!(
            "the journal agrees with the mock: {} records; {} original(s) whose recorded copy \
             is not the mock's one copy {:?}; {not_done} not recorded done",
            records.len(),
            disagree.len(),
            disagree.iter().take(5).collect::<Vec<_>>()
        ),
    );
    // 3. Requests.
    println!(
        "requests: {} sent, {} counted against the rate limit ({} refused with 429, {} faulted); \
         counted by kind: clone {}, run {}, run again (400: already run) {}, selection listing \
         {}, DRAFT listing {}, get {}, other {}; free rate_limit probes {}",
        spent.sent,
        spent.counted,
        spent.rate_limited,
        spent.faulted,
        spent.clone,
        spent.run,
        spent.run_again,
        spent.selection,
        spent.drafts,
        spent.get,
        spent.other,
        spent.probes
    );
    let n = originals.len() as f64;
    let recovery = spent.drafts + spent.get + spent.run_again;
    let bound = 1.05 * (2.0 * n + spent.selection as f64) + recovery as f64;
    check(
        (spent.counted as f64) <= bound,
        format!(
            "requests counted {} <= 1.05 x (2 x {} tasks + {} selection listings) + {recovery} \
             recovery (DRAFT listings, runs sent again, settling gets) = {bound:.1}",
            spent.counted,
            originals.len(),
            spent.selection,
        ),
    );
    if ok {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("kept for a look: {}", dir.display());
    }
    println!("bulk-crash: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}

/// Starts the CLI, kills it at a random moment, again, until a run exits 0.
fn starts_and_kills(
    args: &CrashArgs,
    cli: &Path,
    base_url: &str,
    project: &str,
    journal: &Path,
    log: &Path,
    admin: &MockAdmin,
) -> Res<Starts> {
    let mut rng = SplitMix::new(args.seed);
    let mut s = Starts::default();
    // Runs in a row that ended by themselves without success: the action is finished with
    // failures (running it again changes nothing), not interrupted.
    let mut ended_badly = 0;
    let span = args.kill_max_ms.saturating_sub(args.kill_min_ms) + 1;
    loop {
        if s.starts >= args.max_starts {
            return Err(format!("the CLI did not finish in {} starts", s.starts).into());
        }
        // Faults wait for a request of their route: a few at most are kept waiting.
        let pending = admin.pending(None)?;
        for _ in pending.min(u64::from(args.faults_per_start))..u64::from(args.faults_per_start) {
            let i = usize::try_from(rng.below(FAULTS.len() as u64)).unwrap_or(0);
            admin.inject(FAULTS[i])?;
            s.faults += 1;
        }
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let mut child = Command::new(cli)
            .args(["rerun", "--project", project, "--status", "FAILED", "--run"])
            .arg("--journal")
            .arg(journal)
            .args(["--concurrency", &args.concurrency.to_string()])
            .args(["--retries", &args.retries.to_string(), "--json"])
            .args([
                "--endpoint",
                base_url,
                "--allow-http-loopback",
                "--token",
                TOKEN,
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        s.starts += 1;
        let kill_at = Instant::now() + Duration::from_millis(args.kill_min_ms + rng.below(span));
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if Instant::now() >= kill_at {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        match status {
            Some(st) if st.success() => return Ok(s),
            Some(st) => {
                *s.failed_exits.entry(st.code().unwrap_or(-1)).or_default() += 1;
                ended_badly += 1;
                if ended_badly >= 5 {
                    return Err(format!(
                        "the CLI ended {ended_badly} times in a row without success (last: {st}); \
                         see {}",
                        log.display()
                    )
                    .into());
                }
            }
            None => {
                ended_badly = 0;
                // `Child::kill` is SIGKILL on Unix.
                child.kill()?;
                child.wait()?;
                s.kills += 1;
            }
        }
    }
}

/// The requests the mock's journal shows, by kind.
#[derive(Debug, Default)]
struct Spent {
    sent: u64,
    counted: u64,
    rate_limited: u64,
    faulted: u64,
    clone: u64,
    run: u64,
    /// Runs answered 400 (7007: the copy was run already, by a run whose answer a kill or a
    /// fault lost).
    run_again: u64,
    selection: u64,
    drafts: u64,
    get: u64,
    other: u64,
    probes: u64,
}

impl Spent {
    fn of(entries: &[Value]) -> Self {
        let mut s = Spent::default();
        for e in entries {
            s.sent += 1;
            if e["status"] == 429 {
                s.rate_limited += 1;
            }
            if !e["fault"].is_null() {
                s.faulted += 1;
            }
            let route = e["route"].as_str().unwrap_or_default();
            if route == "rate_limit" {
                s.probes += 1;
            }
            if e["counted"] != Value::Bool(true) {
                continue;
            }
            s.counted += 1;
            let query = e["query"].as_str().unwrap_or_default();
            match route {
                "clone" => s.clone += 1,
                "run" if e["status"] == 400 => s.run_again += 1,
                "run" => s.run += 1,
                "list" if query.contains("status=DRAFT") => s.drafts += 1,
                "list" => s.selection += 1,
                "get" | "bulk_get" => s.get += 1,
                _ => s.other += 1,
            }
        }
        s
    }
}
