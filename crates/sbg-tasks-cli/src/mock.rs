//! `sbg-tasks mock ...`: the mock platform, with the same flags as `sbg-tasks-mock`.

use crate::error::CliError;

/// Serves the mock until Ctrl-C (the first line of stdout is its base URL).
pub(crate) fn run(args: sbg_tasks_mock::cli::MockArgs) -> Result<(), CliError> {
    sbg_tasks_mock::cli::run(args).map_err(|e| CliError::Io(format!("the mock failed: {e}")))
}
