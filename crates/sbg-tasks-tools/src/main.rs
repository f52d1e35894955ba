//! `sbg-tasks-tools`: measuring sbg-tasks against the mock over loopback, on either transport.
//!
//! - `soak`: one watch follows fleets of mock tasks for many minutes under injected faults;
//!   every ending must be reported exactly once and resident memory stay flat
//!   (`scripts/soak`).
//! - `fleet-loopback`: the fleet scenario of the benches' simulation, scaled down against the
//!   real mock: a watcher, waits and submitters on one token beside one GET per task on
//!   another (`scripts/fleet-loopback`).
//! - `bulk-crash`: a bulk rerun by the CLI, killed with SIGKILL at random moments and
//!   started again until it finishes, under faults; every original must be rerun exactly
//!   once, no orphan DRAFT left, the journal agreeing with the mock (`scripts/bulk-crash`).
//! - `mock`: serve the mock (the flags of `sbg-tasks-mock`); the soak runs it as its child.
//!
//! Both measurements drive the mock only through its control surface: the library handle
//! (`MockControl`) in process, the `/__mock/` endpoints from another process. Not published.

#![forbid(unsafe_code)]

mod admin;
mod bulk_crash;
mod child;
mod fleet;
mod soak;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Errors of a tool: reported, exit code 2.
type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Which transport crate a tool's client runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Transport {
    /// `sbg-tasks-ureq`: the blocking client, threads.
    Ureq,
    /// `sbg-tasks-hyper`: the async client on tokio.
    Hyper,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Ureq => "ureq",
            Transport::Hyper => "hyper",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "sbg-tasks-tools",
    version,
    about = "Measure sbg-tasks against the mock over loopback (soak, loopback fleet)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A watch follows fleets under faults for minutes: every ending once, memory flat.
    Soak(soak::SoakArgs),
    /// The fleet scenario against the mock: watcher, waits and submitters on one token.
    FleetLoopback(fleet::FleetArgs),
    /// A bulk rerun of many FAILED tasks by the CLI, killed (SIGKILL) and started again
    /// until it finishes: each original rerun exactly once, no orphan DRAFT.
    BulkCrash(bulk_crash::CrashArgs),
    /// Serve the mock (the flags of `sbg-tasks-mock`).
    Mock(sbg_tasks_mock::cli::MockArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, result) = match cli.command {
        Command::Soak(args) => ("soak", soak::run(&args)),
        Command::FleetLoopback(args) => ("fleet-loopback", fleet::run(&args)),
        Command::BulkCrash(args) => ("bulk-crash", bulk_crash::run(&args)),
        Command::Mock(args) => (
            "mock",
            sbg_tasks_mock::cli::run(args)
                .map(|()| true)
                .map_err(Into::into),
        ),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sbg-tasks-tools {name}: {e}");
            ExitCode::from(2)
        }
    }
}
