//! A mock of the Seven Bridges Tasks API (v2), for tests, benches and demos.
//!
//! `sbg-tasks-mock` is a real HTTP server (hyper 1 on tokio, HTTP/1.1 keep-alive and HTTP/2,
//! optional TLS with a self-signed certificate) that answers like the platform does: the same
//! paths, the same authentication headers, the same error bodies and codes, the same rate-limit
//! headers, and a task lifecycle that advances deterministically. It is deliberately independent
//! of the project's client code: it is what the clients are tested against.
//!
//! # In scope
//! - `GET /v2/tasks/{id}`, `POST /v2/tasks/{id}/actions/{run,clone,abort}`, `POST /v2/tasks`
//!   (create a draft, optional `action=run`), `GET /v2/tasks` (list with filters and paging),
//!   `GET /v2/tasks/{id}/execution_details` and `GET /v2/rate_limit` (not counted against the
//!   rate limit).
//! - The rest of the Tasks API: `PATCH /v2/tasks/{id}` (modify a DRAFT; only `name` on any
//!   other status, else 400/7026), `DELETE /v2/tasks/{id}` (a DRAFT, 204 without body; else
//!   400/7010), `GET`/`PATCH /v2/tasks/{id}/inputs` (the bare map; `fields` selects ports; PATCH
//!   merges into a DRAFT, else 400/7026) and `POST /v2/bulk/tasks/get` (one `resource` or
//!   `error` item per id in order, at most 100 ids else 400/90000, one rate-limit request, one
//!   poll per task found). Unknown or mistyped modify members are 400/90000 naming the member;
//!   a lone `batch_input` or `batch_by` 400/7023; bodies that are not JSON 400/90009. The
//!   crate README lists every status and code.
//! - List filters `batch` and `origin_id`; create with `batch=false` switches batching off.
//! - `GET /v2/tasks` with the documented meaning: `project`, `status`, `parent` and the
//!   inclusive `created_`/`started_`/`ended_` `from`/`to` ranges, `order_by` (`created_time`,
//!   `start_time`, `name`, `end_time`, `created_by`; else 400) and `order`, `offset`/`limit`
//!   (at most 100), `X-Total-Matching-Query`, `fields`. Timestamps have 1-second precision:
//!   answers show whole seconds and filters compare at whole seconds.
//! - Listing lag ([`MockBuilder::listing_lag`], [`MockControl::set_listing_lag`]): gets see a
//!   change at once, listings only that long after the mock noticed it. Clock skew
//!   ([`MockBuilder::clock_skew_ms`]) of task times and `X-RateLimit-Reset`.
//! - Copies: [`MockControl::copies`] ([`TaskCopy`]) and `GET /__mock/copies` report each
//!   clone's original and fate; a clone's [`JournalEntry`] names both. Tasks scheduled to end
//!   FAILED: [`MockControl::set_outcome`], `POST /__mock/outcome`, a fleet's `fail_ratio`.
//! - Query parameters `fields` (comma list, `_all`), `batch`, `use_interruptible_instances`,
//!   `action`, `origin_id`.
//! - Authentication with `X-SBG-Auth-Token` or `Authorization: Bearer`; 401/90001 otherwise.
//! - A lifecycle DRAFT → QUEUED → RUNNING → COMPLETED/FAILED/ABORTED driven by a [`Schedule`]
//!   (a number of polls, or wall time), batch parents whose children advance with them.
//! - Per-token rate limiting with `X-RateLimit-*` headers, 429/1000 past the budget: a fixed
//!   window (default 1000 per 5 minutes) that opens with a token's first counted request and
//!   closes at `X-RateLimit-Reset` (the start plus the window, rounded up to a whole Unix
//!   second); nothing is accepted before it, a 429 is not counted, `GET /v2/rate_limit` is free
//!   and opens no window.
//! - The mock's own endpoints under `/__mock/` (no token, not counted, not journaled, tokens
//!   only as [`token_fingerprint`]s): `GET /__mock/stats` (per-token requests, counted
//!   requests, 429s, requests by route, body bytes before and after compression; also
//!   [`MockControl::stats`]), `POST /__mock/stats/reset`, `GET /__mock/journal?since=N&limit=M`
//!   (also [`MockControl::journal_since`]), `GET`/`POST /__mock/fleet`, `GET`/`POST`/`DELETE
//!   /__mock/faults`, `GET /__mock/tasks/ID`, `GET /__mock/copies`, `POST /__mock/outcome`,
//!   `POST /__mock/listing_lag` (also [`MockControl::faults`], [`inject`](MockControl::inject), [`task`](MockControl::task)).
//! - Fleets ([`FleetSpec`], [`MockControl::spawn_fleet`], [`MockBuilder::fleet`], CLI
//!   `--fleet N --fleet-duration SECS`): thousands of tasks that move QUEUED → RUNNING →
//!   COMPLETED/FAILED on a seeded wall-time schedule, optionally the children of one batch
//!   parent whose `execution_status` counts follow them.
//! - gzip answers (bodies of 1 KiB or more) when `Accept-Encoding` names gzip, never
//!   otherwise; [`Fault::GzipBomb`] for a client's cap on inflated bodies.
//! - The documentation's example tasks ([`examples`]), including the malformed batch body,
//!   with every `href` at the mock's own base URL (as for every task: a client following
//!   `href` stays on the mock).
//! - [`MockPlatform`]: the platform without HTTP or clock (tokens, rate limiter, routes,
//!   tasks), answering `http::Request`s at the instant it is handed; what the server serves,
//!   and what a virtual-time simulation drives.
//! - [`SplitMix`]: the seeded generator of fleets (and of the benches' simulation).
//! - Fault injection ([`Fault`], [`Scope`]), a request [journal](JournalEntry), optional TLS.
//! - A binary `sbg-tasks-mock` whose argument parsing lives in [`cli`] so other binaries can
//!   embed it.
//!
//! # Out of scope
//! - Apps, files, projects and every other part of the platform: file ids are only checked
//!   against an optional set ([`MockBuilder::known_files`]).
//! - Persistence: the state lives in memory and dies with the server.
//! - Faithful timing of real executions: durations are the mock's own wall-clock durations.
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), sbg_tasks_mock::MockError> {
//! use sbg_tasks_mock::{Fault, MockServer, Route, Schedule, Scope};
//! let server = MockServer::builder()
//!     .token("T")
//!     .seed_examples(true)
//!     .schedule(Schedule::Polls(3))
//!     .start()
//!     .await?;
//! server.inject(Fault::Maintenance, Scope::RouteNext(Route::GetTask, 1));
//! println!("{}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

// Layered, each module naming only those below it:
// - ground: `error`, `api_error`, `query`, `examples`, `rng`, `sync`, `fault`, `journal`,
//   `fleet`, `config`;
// - the model: `ratelimit`, `store`, then `platform` (routes and calls, no HTTP, no clock);
// - HTTP: `wire` (bytes), `body`, `tls`, `state`, `admin` (`/__mock/`), `server`;
// - driving it: `control`, `builder`, `cli`.
mod admin;
mod api_error;
mod body;
mod builder;
pub mod cli;
mod config;
mod control;
mod error;
pub mod examples;
mod fault;
mod fleet;
mod journal;
mod platform;
mod query;
mod ratelimit;
mod rng;
mod server;
mod state;
mod store;
mod sync;
mod tls;
mod wire;

pub use api_error::codes;
pub use builder::MockBuilder;
pub use config::{MalformedIdPolicy, MockConfig, Outcome, RateLimit, RunPlan, Schedule};
pub use control::{MockControl, MockHandle, MockServer};
pub use error::MockError;
pub use fault::{Fault, FaultSpec, Malformed, Route, Scope};
pub use fleet::{Fleet, FleetSpec};
pub use journal::{token_fingerprint, AuthScheme, JournalEntry, MockStats, TokenStats};
pub use platform::MockPlatform;
pub use rng::SplitMix;
pub use serde_json;
pub use store::TaskCopy;

/// The crate README's example, compiled as a doctest so it cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
