//! The command line: every command and flag, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sbg_tasks_proto::Platform;

/// Exit codes, as printed at the end of `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  anything else: a body or answer that could not be decoded, a file that could not be read
  2  bad usage: unknown command or flag, bad argument, missing or invalid token, endpoint or id
  3  the platform answered with an error (its HTTP status, code and message are printed);
     `get` of several ids: any id answered with an error (the others are still printed)
     `watch`, `wait` of several ids: an id the platform does not know
  4  network failure or timeout (connection refused, TLS, connection cut, `wait --timeout`)
  5  `wait`, `watch`: a task (or a followed batch task's child) ended FAILED or ABORTED
Bulk actions (rerun, run, abort, delete, update of several tasks): 0 when every task was done
or skipped, 3 when a task failed with an answer of the platform, 4 when the failures were
network failures only, 1 when the journal cannot be read or written, 2 for a --journal of
another action.

Configuration (first found wins):
  token:    --token, $SB_AUTH_TOKEN, `auth_token` of the profile
  endpoint: --endpoint or --platform, $SB_API_ENDPOINT, `api_endpoint` of the profile, sbg
  profile:  --profile NAME (default `default`) in --credentials-file, $SB_CREDENTIALS_FILE or
            ~/.sevenbridges/credentials (INI: [NAME] api_endpoint = ..., auth_token = ...)
The token is never printed, not even with --verbose.";

/// Manage Seven Bridges tasks (get, run, rerun, wait, abort, ...) from a terminal or a script,
/// or see the whole thing work offline with `sbg-tasks demo`.
#[derive(Debug, Parser)]
#[command(name = "sbg-tasks", version, after_long_help = EXIT_CODES_HELP, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Get the details of a task, or of several at once (one bulk request per 100 ids).
    Get(GetArgs),
    /// Run a DRAFT task (or many: a bulk action).
    Run(RunArgs),
    /// Rerun a task: copy it into a new task (a DRAFT, or run at once with --run); or many
    /// (a bulk action, resumable, each copy made and run once).
    Rerun(RerunArgs),
    /// Wait until a task ends, with a progress bar on a terminal; several ids are followed
    /// together with bulk gets.
    Wait(WaitArgs),
    /// Follow many tasks until they end (bulk gets of 100 ids, within a share of the rate
    /// limit): a live view on a terminal, one line or JSON object per change elsewhere.
    Watch(WatchArgs),
    /// Abort a QUEUED or RUNNING task (or many: a bulk action).
    Abort(ActArgs),
    /// Create a task (a DRAFT, or run at once with --run).
    Create(CreateArgs),
    /// List tasks (one page, or every page with --all).
    List(ListArgs),
    /// Show the execution details of a task (its jobs).
    Details(IdArgs),
    /// Modify a task: rename any task; change the description, inputs, settings, output
    /// location and batching of a DRAFT (or of many: a bulk action).
    Update(UpdateArgs),
    /// Delete a DRAFT task (or many: a bulk action).
    Delete(ActArgs),
    /// Show a task's inputs, or change some of a DRAFT's with --set.
    Inputs(InputsArgs),
    /// Show the rate limit: requests allowed, left, and when the window resets (this call is
    /// not counted against it).
    RateLimit(RateLimitArgs),
    /// Decode a saved task body offline and show what had to be repaired.
    Parse(ParseArgs),
    /// Run the mock platform on loopback (for trying the client without an account). The
    /// first line of stdout is its base URL; Ctrl-C stops it.
    Mock(sbg_tasks_mock::cli::MockArgs),
    /// Walk through the whole story against an embedded mock: no account, no network.
    Demo(DemoArgs),
}

/// Which transport carries the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum Transport {
    /// ureq, blocking.
    #[default]
    Blocking,
    /// hyper on tokio.
    Async,
}

impl Transport {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Transport::Blocking => "blocking (ureq)",
            Transport::Async => "async (hyper)",
        }
    }
}

/// A platform by name (`--platform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlatformArg(pub(crate) Platform);

impl std::str::FromStr for PlatformArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse().map(PlatformArg).map_err(|e| format!("{e}"))
    }
}

/// Connection flags shared by every network command.
#[derive(Debug, Clone, Args)]
pub(crate) struct NetArgs {
    /// Auth token (else $SB_AUTH_TOKEN, else the profile's `auth_token`).
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// API base URL, e.g. https://api.sbgenomics.com/v2 (else $SB_API_ENDPOINT, else the profile's
    /// `api_endpoint`, else the `sbg` platform).
    #[arg(long, value_name = "URL", conflicts_with = "platform")]
    pub(crate) endpoint: Option<String>,
    /// Platform by name: sbg, sbg-eu, sbg-gcp, cgc, cavatica, bdc, sbg-cn.
    #[arg(long, value_name = "NAME")]
    pub(crate) platform: Option<PlatformArg>,
    /// Profile of the credentials file.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub(crate) profile: String,
    /// Credentials file (else $SB_CREDENTIALS_FILE, else ~/.sevenbridges/credentials).
    #[arg(long, value_name = "FILE")]
    pub(crate) credentials_file: Option<PathBuf>,
    /// Allow a plain http:// endpoint on a loopback host (a local mock). Never for other hosts.
    #[arg(long)]
    pub(crate) allow_http_loopback: bool,
    /// Trust the certificates in this PEM file instead of the public roots (e.g. the one
    /// `sbg-tasks mock --tls-cert-out FILE` wrote).
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// The transport.
    #[arg(long, value_enum, default_value_t = Transport::Blocking)]
    pub(crate) transport: Transport,
    /// Timeout of one request, in seconds.
    #[arg(long, value_name = "S", default_value_t = 60.0)]
    pub(crate) request_timeout: f64,
    /// Print each request (method, URL, status, time) to stderr. Never the token.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// Output flags.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct OutArgs {
    /// Print the answer as JSON, exactly as decoded (for scripts).
    #[arg(long)]
    pub(crate) json: bool,
}

/// `get`.
#[derive(Debug, Args)]
#[command(after_help = GET_HELP, after_long_help = GET_HELP)]
pub(crate) struct GetArgs {
    /// The task id; several ids are got in bulk, 100 a request.
    #[arg(required = true, value_name = "ID")]
    pub(crate) ids: Vec<String>,
    /// Only these fields: a comma list (e.g. `id,status`), or `_all` (one id only).
    #[arg(long, value_name = "F1,F2|_all")]
    pub(crate) fields: Option<String>,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

const GET_HELP: &str = "\
With several ids: one line per id (its status and name, or the error the platform gave for
it); with --json, one JSON object per line, in the order asked: the task, or
{\"id\": ID, \"error\": {\"status\": .., \"code\": .., \"message\": ..}}. Exit code 3 when any id
was answered with an error, 0 when every task was found.";

/// The options `run` and `rerun` share.
#[derive(Debug, Args)]
pub(crate) struct RunFlags {
    /// Disable the default batching of a batch task (`batch=false`).
    #[arg(long)]
    pub(crate) no_batch: bool,
    /// Allow (true) or forbid (false) interruptible (spot) instances.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) interruptible: Option<bool>,
    /// Only these fields in the answer.
    #[arg(long, value_name = "F1,F2|_all")]
    pub(crate) fields: Option<String>,
}

/// `run`.
#[derive(Debug, Args)]
#[command(after_help = BULK_HELP, after_long_help = BULK_HELP)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) target: Targets,
    #[command(flatten)]
    pub(crate) options: RunFlags,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `rerun`.
#[derive(Debug, Args)]
#[command(after_help = BULK_HELP, after_long_help = BULK_HELP)]
pub(crate) struct RerunArgs {
    #[command(flatten)]
    pub(crate) target: Targets,
    /// Run the copy at once (one task: `action=run`; a bulk action: each copy is made a
    /// DRAFT, recorded, then run).
    #[arg(long)]
    pub(crate) run: bool,
    #[command(flatten)]
    pub(crate) options: RunFlags,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `wait`.
#[derive(Debug, Args)]
#[command(after_help = WAIT_HELP, after_long_help = WAIT_HELP)]
pub(crate) struct WaitArgs {
    /// The task id; several ids are followed together (bulk gets, 100 ids a request).
    #[arg(required = true, value_name = "ID")]
    pub(crate) ids: Vec<String>,
    /// Seconds between polls (with several ids: between two refreshes of one task).
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub(crate) interval: f64,
    /// With several ids: the share of the rate-limit window following them may spend
    /// (0 < F <= 1).
    #[arg(long, value_name = "F", default_value_t = 0.6)]
    pub(crate) budget_share: f64,
    /// Give up after this many seconds (exit code 4). Default: wait as long as it takes.
    #[arg(long, value_name = "S")]
    pub(crate) timeout: Option<f64>,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

const WAIT_HELP: &str = "\
One id: the task is polled with GET until it ends, then shown (as `get` shows it). Several
ids: they are followed together with bulk gets (100 ids a request, in the rate-limit budget's
watch lane, as `watch` does); when all have ended, one line per id in the order given (its
status and name, or the error the platform gave for it); with --json one JSON object per
line: the task, or {\"id\": ID, \"error\": {..}}. A request that fails after its retries ends
the wait (exit 4, or 3 for an error answer), as with one id.
Exit code: 0 when every task ended COMPLETED, 5 when any ended FAILED or ABORTED, 3 when an
id is unknown to the platform (it wins over 5), 4 on --timeout.";

/// `watch`.
#[derive(Debug, Args)]
#[command(after_help = WATCH_HELP, after_long_help = WATCH_HELP)]
pub(crate) struct WatchArgs {
    /// Task ids to follow.
    #[arg(value_name = "ID")]
    pub(crate) ids: Vec<String>,
    /// A batch task to follow: the task itself, and each of its children as it starts and
    /// ends (listed only when the batch task's counts of children move). Repeatable.
    #[arg(long, value_name = "ID")]
    pub(crate) parent: Vec<String>,
    /// Follow every task of this project (`owner/project`): those that have not ended when it
    /// is first listed, and those that start later.
    #[arg(long, value_name = "OWNER/PROJECT")]
    pub(crate) project: Option<String>,
    /// With --project: only the tasks in this status, listed once at the start (e.g.
    /// RUNNING; ended ones too if asked).
    #[arg(long, requires = "project")]
    pub(crate) status: Option<String>,
    #[command(flatten)]
    pub(crate) pace: PaceArgs,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// How fast `watch` follows.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct PaceArgs {
    /// No task is refreshed more often than every S seconds.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub(crate) interval: f64,
    /// The share of each rate-limit window following may spend (0 < F <= 1); the rest is left
    /// to other calls, and 50 requests of each window are always kept for calls that change
    /// something (run, abort, ...).
    #[arg(long, value_name = "F", default_value_t = 0.6)]
    pub(crate) budget_share: f64,
}

const WATCH_HELP: &str = "\
The tasks are refreshed with bulk gets, 100 ids a request, least recently refreshed first:
one sweep of N tasks costs ceil(N/100) requests, paced within --budget-share of the rate-limit
window. For the many tasks of one project, listings of the project are cheaper (the change
feed): the tasks ended since the last look every 3 s, those started every 30 s, whatever N;
bulk gets then only for the running tasks' progress (every 10 min) and for a reconciliation of
all of them (every 30 min, ceil(N/100) requests). Each project gets whichever costs fewer
requests (listings only when --interval is at least 3 s). A task that ends is reported once
and followed no more; watching stops when all have ended. A request that fails after its retries is printed to stderr and watching goes on
(except an error answer that retrying cannot fix, e.g. 401: exit 3).

On a terminal (stderr): a live view redrawn in place: tasks followed and ended, counts by
status, each batch task's children, each project's strategy (listings or bulk gets), requests
made and per minute, the rate-limit budget left and when it resets, the last changes; endings are printed above it. Ctrl-C leaves the view as it was
(exit 130; nothing is aborted).
Elsewhere: one line per event on stdout (`status`, `progress`, `ended`, `gone`, `child`); with
--json (terminal or not) one JSON object per line per event:
  {\"event\": \"status\", \"id\": ID, \"status\": S, \"from\": S|null, \"task\": {..}}
       seen for the first time (from null) or in a new status, not ended
  {\"event\": \"progress\", \"id\": ID, \"status\": S, \"task\": {..}}
       same status, steps or children's counts moved
  {\"event\": \"ended\", \"id\": ID, \"status\": COMPLETED|FAILED|ABORTED, \"task\": {..}}
       exactly once per task
  {\"event\": \"gone\", \"id\": ID, \"error\": {\"status\": .., \"code\": .., \"message\": ..}}
       the platform does not know the id
  {\"event\": \"child_status\", \"id\": CHILD, \"parent\": ID, \"status\": S, \"from\": S|null,
   \"task\": {..}}
       a child of a followed batch task seen for the first time or in a new status, not ended
  {\"event\": \"child_ended\", \"id\": CHILD, \"parent\": ID, \"status\": S, \"task\": {..}}
       a child of a followed batch task ended (once per child; task has id, name, status,
       start_time, end_time, parent)
Events that come from a listing carry the listing's short task (id, name, status, project,
start_time, end_time, parent, batch).
A summary goes to stderr at the end.
Exit code: 0 when every task (and child) ended COMPLETED, 5 when any ended FAILED or ABORTED,
3 when an id is unknown to the platform (it wins over 5), 4 when the --project listing failed
on the network.";

/// Commands that take only a task id.
#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// The task id.
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `abort`, `delete`: a task id, or a bulk action.
#[derive(Debug, Args)]
#[command(after_help = BULK_HELP, after_long_help = BULK_HELP)]
pub(crate) struct ActArgs {
    #[command(flatten)]
    pub(crate) target: Targets,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// What a command that has a bulk form acts on: one task id (the single-task command), or
/// several, or a listing; and how a bulk action runs.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct Targets {
    /// The task id; several ids are a bulk action.
    #[arg(value_name = "ID", required_unless_present_any = ["project", "parent"])]
    pub(crate) ids: Vec<String>,
    #[command(flatten)]
    pub(crate) select: Select,
    #[command(flatten)]
    pub(crate) bulk: BulkFlags,
}

/// The tasks a bulk action selects by listing.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct Select {
    /// Bulk: the tasks of this project (`owner/project`) in --status.
    #[arg(long, value_name = "OWNER/PROJECT", conflicts_with_all = ["parent", "ids"], requires = "status")]
    pub(crate) project: Option<String>,
    /// Bulk: the children of this batch task in --status.
    #[arg(long, value_name = "ID", conflicts_with = "ids", requires = "status")]
    pub(crate) parent: Option<String>,
    /// Bulk: the status of the tasks selected (e.g. FAILED, DRAFT, RUNNING).
    #[arg(long, value_name = "STATUS")]
    pub(crate) status: Option<String>,
    /// Bulk: only tasks created at or after this time (RFC 3339, e.g. 2026-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME", requires = "status")]
    pub(crate) created_from: Option<String>,
    /// Bulk: only tasks created at or before this time.
    #[arg(long, value_name = "TIME", requires = "status")]
    pub(crate) created_to: Option<String>,
    /// Bulk: only tasks ended at or after this time.
    #[arg(long, value_name = "TIME", requires = "status")]
    pub(crate) ended_from: Option<String>,
    /// Bulk: only tasks ended at or before this time.
    #[arg(long, value_name = "TIME", requires = "status")]
    pub(crate) ended_to: Option<String>,
}

/// How a bulk action runs.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct BulkFlags {
    /// Bulk: the journal (a SQLite file) the action records into and resumes from. Default:
    /// a file named after the action and its selection, under the state directory.
    #[arg(long, value_name = "PATH")]
    pub(crate) journal: Option<PathBuf>,
    /// Bulk: requests in flight at most (default 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: Option<u16>,
    /// Bulk: how many more times a task whose request failed (after the request's own
    /// retries) is tried, counted over resumes (default 0): the same command run again with
    /// a higher N tries the failed tasks again. A rerun copy that ran and ended FAILED is not
    /// rerun again (its run succeeded).
    #[arg(long, value_name = "N")]
    pub(crate) retries: Option<u32>,
    /// Bulk: list the selection and print the plan (the tasks, the requests it will spend,
    /// how long that takes at the current rate-limit budget); nothing is changed or recorded.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// The text after a bulk-capable command's help (a macro so that `update` can add it to its
/// own).
macro_rules! bulk_help {
    () => {
        "\
Bulk action: several ids, or --project P / --parent ID with --status S (and optionally
--created-from/--created-to/--ended-from/--ended-to), act on every task selected, e.g.
  sbg-tasks rerun --parent ID --status FAILED --run
  sbg-tasks abort --project me/p --status QUEUED
  sbg-tasks delete --project me/p --status DRAFT --dry-run
The selection is listed once and recorded in the journal (--journal, or a file under
$SBG_TASKS_STATE_DIR, else $XDG_STATE_HOME/sbg-tasks, else ~/.local/state/sbg-tasks, named
after the endpoint, the action and the selection; its path is printed on stderr). Running
the same command again resumes from it: what was done is not done again, and a rerun copy
is made and run once, even after a crash (a finished action prints its summary and sends
nothing). A task the action does not apply to (e.g. `run` of a task that is not a DRAFT) is
skipped. Output: a progress bar on a terminal (stderr); one line per task on stdout (with
--json one JSON object: {\"original\", \"outcome\": done|skipped|failed, \"copy\", \"status\",
\"code\", \"error\": {\"status\", \"code\", \"message\"}, \"earlier\"}); tasks finished by an
earlier run are listed at the end (\"earlier\": true); a summary on stderr.
Exit code: 0 when every task was done or skipped, 3 when a task failed with an answer of the
platform (or the selection could not be listed because of one), 4 when the failures were
network failures or timeouts only, 1 when the journal could not be read or written, 2 for a
journal of another action."
    };
}
const BULK_HELP: &str = bulk_help!();

/// `create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The project, `owner/project`.
    #[arg(long)]
    pub(crate) project: String,
    /// The app, `owner/project/app[/revision]`.
    #[arg(long)]
    pub(crate) app: String,
    /// The task's name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The task's description.
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// An input: `PORT=JSON` (e.g. `reads=42`, `ref={"class":"File","path":"ID"}`), or
    /// `PORT=file:ID` for a file. Repeat for several inputs.
    #[arg(long = "input", value_name = "PORT=VALUE")]
    pub(crate) inputs: Vec<String>,
    /// The input to batch on.
    #[arg(long, value_name = "PORT")]
    pub(crate) batch_input: Option<String>,
    /// Batch by ITEM, or by CRITERIA given as `CRITERIA:metadata.a,metadata.b`.
    #[arg(long, value_name = "ITEM|CRITERIA:C1,C2", requires = "batch_input")]
    pub(crate) batch_by: Option<String>,
    /// Allow (true) or forbid (false) interruptible (spot) instances.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) interruptible: Option<bool>,
    /// Run the task at once (`action=run`).
    #[arg(long)]
    pub(crate) run: bool,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only tasks of this project (`owner/project`).
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Only tasks with this status (e.g. RUNNING).
    #[arg(long)]
    pub(crate) status: Option<String>,
    /// Only the children of this batch task.
    #[arg(long, value_name = "ID")]
    pub(crate) parent: Option<String>,
    /// Follow every page (otherwise only the first).
    #[arg(long)]
    pub(crate) all: bool,
    /// Tasks per page (at most 100).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) limit: u32,
    /// Only batch tasks (true) or only tasks that are not batches (false).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) batch: Option<bool>,
    /// Only tasks made by this automation run (`origin_id`).
    #[arg(long, value_name = "ID")]
    pub(crate) origin_id: Option<String>,
    /// The fields each task is listed with: a comma list, or `_all`. Default: the columns
    /// shown (id, name, status, created_time); a list answer without `fields` carries only
    /// href, id and name.
    #[arg(long, value_name = "F1,F2|_all")]
    pub(crate) fields: Option<String>,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `update`.
#[derive(Debug, Args)]
#[command(after_help = UPDATE_HELP, after_long_help = UPDATE_HELP)]
pub(crate) struct UpdateArgs {
    #[command(flatten)]
    pub(crate) target: Targets,
    /// The new name (the one change allowed once a task is no longer a DRAFT).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The new description.
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// An input to set: `PORT=JSON` (e.g. `threads=8`, `reference=null` clears it,
    /// `reads=[{"class":"File","path":"ID"}]`), or `PORT=file:ID` for a file. Repeatable;
    /// ports not named are left as they are.
    #[arg(long = "input", value_name = "PORT=JSON")]
    pub(crate) inputs: Vec<String>,
    /// Inputs to set from a file holding a JSON object port -> value (an --input of the same
    /// port wins).
    #[arg(long, value_name = "FILE.json")]
    pub(crate) inputs_file: Option<PathBuf>,
    /// The instance type (execution_settings.instance_type), e.g. c5.2xlarge.
    #[arg(long, value_name = "TYPE")]
    pub(crate) instance_type: Option<String>,
    /// At most this many instances at once (execution_settings.max_parallel_instances).
    #[arg(long, value_name = "N")]
    pub(crate) max_parallel_instances: Option<u64>,
    /// Reuse the results of identical jobs (execution_settings.use_memoization).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) memoization: Option<bool>,
    /// Use elastic disks (execution_settings.use_elastic_disk).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) elastic_disk: Option<bool>,
    /// Allow (true) or forbid (false) interruptible (spot) instances.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) interruptible: Option<bool>,
    /// Where outputs are written, as the platform's JSON (sent as given).
    #[arg(long, value_name = "JSON")]
    pub(crate) output_location: Option<String>,
    /// Switch batching off (`"batch": false`).
    #[arg(long)]
    pub(crate) no_batch: bool,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

const UPDATE_HELP: &str = concat!(
    "\
Only what is given is sent; nothing to change is a usage error (exit 2), as is an --input
that is not PORT=JSON. The answer is the task: its errors say what is still wrong with the
inputs. A task that is no longer a DRAFT can only be renamed (code 7026, exit 3).

",
    bulk_help!()
);

/// `inputs`.
#[derive(Debug, Args)]
pub(crate) struct InputsArgs {
    /// The task id.
    pub(crate) id: String,
    /// Set an input of a DRAFT: `PORT=JSON` (`PORT=null` clears it) or `PORT=file:ID`.
    /// Repeatable; the whole inputs map is printed afterwards.
    #[arg(long = "set", value_name = "PORT=JSON")]
    pub(crate) set: Vec<String>,
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `rate-limit`.
#[derive(Debug, Args)]
pub(crate) struct RateLimitArgs {
    #[command(flatten)]
    pub(crate) out: OutArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// `parse`.
#[derive(Debug, Args)]
pub(crate) struct ParseArgs {
    /// The file holding the body; `-` (the default) reads standard input.
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub(crate) file: PathBuf,
    /// Refuse anything that is not valid JSON of the right shape (no repair).
    #[arg(long)]
    pub(crate) strict: bool,
    #[command(flatten)]
    pub(crate) out: OutArgs,
}

/// `demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The transport.
    #[arg(long, value_enum, default_value_t = Transport::Blocking)]
    pub(crate) transport: Transport,
    /// Seconds between polls while waiting.
    #[arg(long, value_name = "S", default_value_t = 0.2)]
    pub(crate) interval: f64,
}
