//! `sbg-tasks`: manage Seven Bridges tasks from a terminal or a script, and see the project
//! work in one command with `sbg-tasks demo`.
//!
//! # In scope
//! - `get` (one task, or many in bulk), `run`, `rerun`, `wait` (with a progress bar on a
//!   terminal; several ids followed together), `watch` (many tasks, a batch task's children
//!   or a project's tasks, with bulk gets in a share of the rate limit), `abort`, `create`, `update`, `delete`, `inputs` (show or `--set`), `list`
//!   (with the columns' fields asked for), `details`, `rate-limit` against any platform (`--platform`, `--endpoint`), over the blocking
//!   (ureq) or the async (hyper) transport (`--transport`).
//! - Configuration as the official clients do it: flags, `SB_AUTH_TOKEN` / `SB_API_ENDPOINT`,
//!   profiles of `~/.sevenbridges/credentials`. The token is never printed.
//! - `parse`: decode a saved answer offline and show every lenient repair with line:column.
//! - `mock`: run the mock platform; `demo`: the whole story against an embedded mock.
//! - Exit codes for scripts (see `sbg-tasks --help`).
//!
//! # Out of scope
//! - Apps, files, projects and the rest of the platform.

// Doc comments on the clap types are --help text, where a bare URL reads best.
#![allow(rustdoc::bare_urls)]

mod backend;
mod bulk;
mod cli;
mod commands;
mod config;
mod demo;
mod error;
mod mock;
mod modify;
mod output;
mod trace;
mod watch;

use std::process::ExitCode;

use clap::Parser as _;

use sbg_tasks_proto::machine::bulk::{Action, Selection};

use crate::bulk::Target;
use crate::cli::{Cli, Command, NetArgs, OutArgs, RunFlags, Targets};
use crate::error::CliError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::from(error::EXIT_OK),
        Err(e) => {
            error::report(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Resolves the configuration and builds the client a network command runs on.
fn connect(net: &NetArgs) -> Result<backend::Client, CliError> {
    let resolved = config::resolve(net, &config::ProcessEnv)?;
    if net.verbose {
        eprintln!(
            "[verbose] endpoint {} (from {}), token from {}, transport {}",
            resolved.config.base_url(),
            resolved.endpoint_source,
            resolved.token_source,
            net.transport.name()
        );
    }
    backend::connect(resolved.config, &backend::ConnectOpts::from_args(net)?)
}

/// Runs `action` on `selection` as the bulk flags of `target` say.
fn bulk_action(
    action: Action,
    selection: Selection,
    target: &Targets,
    net: &NetArgs,
    out: &OutArgs,
) -> Result<(), CliError> {
    let spec = bulk::spec(action, selection, &target.bulk);
    bulk::run(&connect(net)?, spec, target.bulk.journal.as_deref(), out)
}

/// A bulk `run` or `rerun` sends no run options: the flags that set them are refused rather
/// than ignored.
fn no_run_options(flags: &RunFlags) -> Result<(), CliError> {
    if flags.no_batch || flags.interruptible.is_some() || flags.fields.is_some() {
        return Err(CliError::Usage(
            "--no-batch, --interruptible and --fields work with one task, not a bulk action"
                .to_owned(),
        ));
    }
    Ok(())
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Get(a) => commands::get(&connect(&a.net)?, &a),
        Command::Run(a) => match bulk::target(&a.target)? {
            Target::One(id) => commands::run(&connect(&a.net)?, &id, &a),
            Target::Many(selection) => {
                no_run_options(&a.options)?;
                bulk_action(Action::Run, selection, &a.target, &a.net, &a.out)
            }
        },
        Command::Rerun(a) => match bulk::target(&a.target)? {
            Target::One(id) => commands::rerun(&connect(&a.net)?, &id, &a),
            Target::Many(selection) => {
                no_run_options(&a.options)?;
                bulk_action(
                    Action::Rerun { run: a.run },
                    selection,
                    &a.target,
                    &a.net,
                    &a.out,
                )
            }
        },
        Command::Wait(a) if a.ids.len() > 1 => watch::wait_many(connect(&a.net)?, &a),
        Command::Wait(a) => commands::wait(&connect(&a.net)?, &a),
        Command::Watch(a) => watch::watch(connect(&a.net)?, &a),
        Command::Abort(a) => match bulk::target(&a.target)? {
            Target::One(id) => commands::abort(&connect(&a.net)?, &id, &a.out),
            Target::Many(selection) => {
                bulk_action(Action::Abort, selection, &a.target, &a.net, &a.out)
            }
        },
        Command::Create(a) => commands::create(&connect(&a.net)?, &a),
        Command::List(a) => commands::list(&connect(&a.net)?, &a),
        Command::Details(a) => commands::details(&connect(&a.net)?, &a),
        // The flags are checked before the configuration is read: a usage mistake is named
        // as such, whatever the credentials.
        Command::Update(a) => match bulk::target(&a.target)? {
            Target::One(id) => {
                let call = modify::update_call(&id, &a)?;
                modify::update(&connect(&a.net)?, &call, &a.out)
            }
            Target::Many(selection) => {
                let change = modify::update_change(&a)?;
                bulk_action(
                    Action::Update(Box::new(change)),
                    selection,
                    &a.target,
                    &a.net,
                    &a.out,
                )
            }
        },
        Command::Delete(a) => match bulk::target(&a.target)? {
            Target::One(id) => modify::delete(&connect(&a.net)?, &id, &a.out),
            Target::Many(selection) => {
                bulk_action(Action::Delete, selection, &a.target, &a.net, &a.out)
            }
        },
        Command::Inputs(a) => {
            let change = modify::inputs_call(&a)?;
            modify::inputs(&connect(&a.net)?, &a, change.as_ref())
        }
        Command::RateLimit(a) => commands::rate_limit(&connect(&a.net)?, &a),
        Command::Parse(a) => commands::parse(&a),
        Command::Mock(a) => mock::run(a),
        Command::Demo(a) => demo::run(&a),
    }
}
