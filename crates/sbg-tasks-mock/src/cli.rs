//! The binary's command line, reusable by other binaries (e.g. `sbg-tasks mock ...`).
//!
//! ```no_run
//! use clap::Parser;
//! let args = sbg_tasks_mock::cli::MockArgs::parse();
//! sbg_tasks_mock::cli::run(args).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::task::Poll;
use std::time::Duration;

use crate::builder::MockBuilder;
use crate::config::{MalformedIdPolicy, RateLimit, Schedule};
use crate::error::MockError;
use crate::fault::FaultSpec;
use crate::fleet::FleetSpec;

/// A token given on the command line. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl FromStr for Token {
    type Err = MockError;
    fn from_str(s: &str) -> Result<Self, MockError> {
        if s.trim().is_empty() {
            return Err(MockError::parse("token", "", "a token must not be empty"));
        }
        Ok(Token(s.trim().to_owned()))
    }
}

/// `--rate-limit`: `N/SECONDS`, `N/Nms` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitSetting {
    /// No rate limiting, no `X-RateLimit-*` headers.
    Off,
    /// This budget per token.
    Limit(RateLimit),
}

impl FromStr for RateLimitSetting {
    type Err = MockError;
    fn from_str(s: &str) -> Result<Self, MockError> {
        if s.trim().eq_ignore_ascii_case("off") {
            Ok(RateLimitSetting::Off)
        } else {
            s.parse().map(RateLimitSetting::Limit)
        }
    }
}

pub use crate::config::parse_duration;

/// The mock's command-line arguments.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "sbg-tasks-mock",
    version,
    about = "A mock of the Seven Bridges Tasks API (v2) on loopback. Prints the base URL on the first line of stdout and serves until Ctrl-C."
)]
pub struct MockArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Accepted token (repeatable). Without any, every non-empty token is accepted.
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<Token>,
    /// Serve HTTPS with a self-signed certificate (implied by --tls-cert-out).
    #[arg(long)]
    pub tls: bool,
    /// Serve HTTPS and write the certificate's PEM to this file.
    #[arg(long, value_name = "FILE")]
    pub tls_cert_out: Option<PathBuf>,
    /// Seed the documentation's example tasks.
    #[arg(long)]
    pub seed_examples: bool,
    /// Serve the documentation's batch example verbatim (malformed).
    #[arg(long)]
    pub serve_malformed_examples: bool,
    /// A fault: `KIND[@ROUTE][*N]`, e.g. `503*2`, `proxy504@get*1`, `delay:250@clone`,
    /// `drop-after@clone*1`, `malformed:snip@get` (repeatable).
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<FaultSpec>,
    /// How tasks advance: `polls:N` (final status on the N-th GET) or `ms:N` (wall time).
    #[arg(long, default_value = "polls:3", value_name = "polls:N|ms:N")]
    pub schedule: Schedule,
    /// Per-token budget: `N/SECONDS`, `N/Nms`, or `off`.
    #[arg(long, default_value = "1000/300", value_name = "N/SECONDS|off")]
    pub rate_limit: RateLimitSetting,
    /// Answer malformed task ids with 404/7002 instead of 400/7005.
    #[arg(long)]
    pub malformed_id_404: bool,
    /// Steps of a task that does not say.
    #[arg(long, default_value_t = 4)]
    pub steps_total: u64,
    /// Make a fleet of N tasks at start that move QUEUED → RUNNING → COMPLETED/FAILED over
    /// --fleet-duration (ids: `GET /__mock/fleet`, --fleet-ids-out, or list `project=fleet/fleet-0`).
    #[arg(long, value_name = "N")]
    pub fleet: Option<usize>,
    /// The fleet's tasks end at seeded times spread over this many seconds (or `Nms`).
    #[arg(long, default_value = "60", value_name = "SECS", value_parser = parse_duration)]
    pub fleet_duration: Duration,
    /// The fraction of the fleet that ends FAILED.
    #[arg(long, default_value_t = 0.1, value_name = "F")]
    pub fleet_fail_ratio: f64,
    /// The fleet's seed (end times, failing tasks, ids).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub fleet_seed: u64,
    /// Make the fleet's tasks the children of one batch parent.
    #[arg(long)]
    pub fleet_batch: bool,
    /// How many requests the journal keeps (oldest dropped first).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub journal_capacity: usize,
    /// Skew the mock's clock by this many seconds (negative: behind) against the wall clock:
    /// task times and `X-RateLimit-Reset` are skewed.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "SECS",
        allow_hyphen_values = true
    )]
    pub clock_skew: f64,
    /// Listings show each task as it was this many seconds ago (or `Nms`); gets are current.
    #[arg(long, default_value = "0", value_name = "SECS", value_parser = parse_duration)]
    pub listing_lag: Duration,
    /// Write the fleet's task ids to this file, one per line (the batch parent's id first,
    /// with --fleet-batch), before the base URL is printed.
    #[arg(long, value_name = "FILE")]
    pub fleet_ids_out: Option<PathBuf>,
}

/// Seconds as whole milliseconds (saturating; NaN is 0).
fn secs_to_ms(secs: f64) -> i64 {
    // `as` saturates and maps NaN to 0, which is what a skew wants.
    (secs * 1000.0).round() as i64
}

impl MockArgs {
    /// The builder these arguments describe.
    pub fn builder(&self) -> MockBuilder {
        let mut b = MockBuilder::new()
            .listen(self.listen)
            .tls(self.tls || self.tls_cert_out.is_some())
            .seed_examples(self.seed_examples)
            .serve_malformed_examples(self.serve_malformed_examples)
            .schedule(self.schedule)
            .steps_total(self.steps_total)
            .journal_capacity(self.journal_capacity)
            .clock_skew_ms(secs_to_ms(self.clock_skew))
            .listing_lag(self.listing_lag)
            .malformed_id(if self.malformed_id_404 {
                MalformedIdPolicy::NotFound
            } else {
                MalformedIdPolicy::BadRequest
            });
        for t in &self.tokens {
            b = b.token(t.expose());
        }
        for f in &self.faults {
            b = b.fault(f.fault.clone(), f.scope);
        }
        if let Some(n) = self.fleet {
            b = b.fleet(
                FleetSpec::new(n, self.fleet_duration)
                    .fail_ratio(self.fleet_fail_ratio)
                    .seed(self.fleet_seed)
                    .batch_parent(self.fleet_batch),
            );
        }
        match self.rate_limit {
            RateLimitSetting::Off => b.no_rate_limit(),
            RateLimitSetting::Limit(r) => b.rate_limit(r.limit, r.window),
        }
    }
}

/// Start the mock, write the certificate if asked, print the base URL as the first line of
/// `out`, serve until `shutdown` completes, then shut down cleanly.
pub async fn serve_until<W, F>(args: &MockArgs, mut out: W, shutdown: F) -> Result<(), MockError>
where
    W: Write,
    F: Future<Output = ()>,
{
    let server = args.builder().start().await?;
    // Poll the shutdown future once before announcing the URL, so that a signal handler it
    // installs (Ctrl-C) is in place before anyone can act on the announcement.
    let mut shutdown = std::pin::pin!(shutdown);
    let stopped =
        std::future::poll_fn(|cx| Poll::Ready(shutdown.as_mut().poll(cx).is_ready())).await;
    if let (Some(path), Some(pem)) = (&args.tls_cert_out, server.cert_pem()) {
        std::fs::write(path, pem).map_err(|source| MockError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    if let (Some(path), Some(fleet)) = (&args.fleet_ids_out, server.fleets().first()) {
        let mut text = String::with_capacity(fleet.ids.len() * 37 + 37);
        for id in fleet.parent.iter().chain(&fleet.ids) {
            text.push_str(id);
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|source| MockError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    let io = |e: std::io::Error| MockError::Runtime(format!("cannot write to stdout: {e}"));
    writeln!(out, "{}", server.base_url()).map_err(io)?;
    out.flush().map_err(io)?;
    if args.tokens.is_empty() {
        eprintln!("sbg-tasks-mock: no --token given: any non-empty token is accepted");
    }
    if !stopped {
        shutdown.await;
    }
    server.shutdown().await;
    Ok(())
}

/// Run the binary: a runtime of its own, stdout, and Ctrl-C to stop.
pub fn run(args: MockArgs) -> Result<(), MockError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| MockError::Runtime(e.to_string()))?;
    rt.block_on(serve_until(&args, std::io::stdout(), async {
        let _ = tokio::signal::ctrl_c().await;
    }))
}
