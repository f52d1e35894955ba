//! `sbg-tasks-mock`: serve the mock platform on loopback until Ctrl-C.

use std::process::ExitCode;

use clap::Parser;
use sbg_tasks_mock::cli::{run, MockArgs};

fn main() -> ExitCode {
    match run(MockArgs::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sbg-tasks-mock: {e}");
            ExitCode::FAILURE
        }
    }
}
