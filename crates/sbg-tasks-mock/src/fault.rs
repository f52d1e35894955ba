//! Fault injection: what goes wrong, and for which requests.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::MockError;

/// Something that goes wrong with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 503 with the platform's maintenance body (code 0). No rate-limit headers.
    Maintenance,
    /// A proxy's error page: the status (502, 504, ...) with an HTML body.
    ProxyHtml(u16),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer normally but send only the first half of the body (the `Content-Length` announces
    /// all of it), then close the connection.
    TruncatedBody,
    /// Close the connection without reading the request's body or acting on it.
    DropBeforeRead,
    /// Read the request and act on it (a rerun makes its copy), then close the connection
    /// without answering.
    DropAfterRead,
    /// Answer with the normal status but a malformed body.
    MalformedBody(Malformed),
    /// 429 with code 1000 and `X-RateLimit-Remaining: 0`, whatever the budget.
    RateLimited,
    /// A "gzip bomb", for a client's cap on inflated answers: the normal status and headers,
    /// but `Content-Encoding: gzip` (whatever `Accept-Encoding` said) and a small gzip body
    /// that inflates to `inflated` bytes: the JSON object `{"bomb":"aaaa…"}`, so a client
    /// without a cap would parse it. Deflate shrinks it about 1000 times (1 GiB sends about
    /// 1 MiB); it is made on a blocking thread for each request, so keep it to a few hundred MiB.
    GzipBomb {
        /// Bytes of the inflated body.
        inflated: u64,
    },
    /// Any platform error: this HTTP status with this code.
    Status {
        /// HTTP status.
        status: u16,
        /// Platform code.
        code: u32,
    },
}

/// The malformed bodies [`Fault::MalformedBody`] can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The documentation's batch answer, verbatim (whatever was asked).
    DocBatchExample,
    /// The answer with the first string value in single quotes.
    SingleQuotes,
    /// The answer with the comma after its first member removed.
    MissingComma,
    /// The answer with a trailing comma before its final `}`.
    TrailingComma,
    /// The answer with a `<snip>` line before its final `}`.
    Snip,
    /// A body that is not JSON at all.
    NotJson,
    /// An empty body.
    Empty,
}

/// Which requests a route-scoped fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// Any request.
    Any,
    /// `GET /v2/tasks/{id}`
    GetTask,
    /// `POST /v2/tasks/{id}/actions/run`
    RunTask,
    /// `POST /v2/tasks/{id}/actions/clone`
    CloneTask,
    /// `POST /v2/tasks/{id}/actions/abort`
    AbortTask,
    /// `POST /v2/tasks`
    CreateTask,
    /// `GET /v2/tasks`
    ListTasks,
    /// `GET /v2/tasks/{id}/execution_details`
    ExecutionDetails,
    /// `GET /v2/rate_limit`
    RateLimit,
    /// `PATCH /v2/tasks/{id}`
    ModifyTask,
    /// `DELETE /v2/tasks/{id}`
    DeleteTask,
    /// `GET /v2/tasks/{id}/inputs`
    GetInputs,
    /// `PATCH /v2/tasks/{id}/inputs`
    ModifyInputs,
    /// `POST /v2/bulk/tasks/get`
    BulkGet,
    /// Anything else (unknown path or method).
    Other,
}

impl Route {
    /// The route's name as accepted by [`FromStr`] (`get`, `run`, `clone`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Route::Any => "any",
            Route::GetTask => "get",
            Route::RunTask => "run",
            Route::CloneTask => "clone",
            Route::AbortTask => "abort",
            Route::CreateTask => "create",
            Route::ListTasks => "list",
            Route::ExecutionDetails => "details",
            Route::RateLimit => "rate_limit",
            Route::ModifyTask => "modify",
            Route::DeleteTask => "delete",
            Route::GetInputs => "inputs",
            Route::ModifyInputs => "modify_inputs",
            Route::BulkGet => "bulk_get",
            Route::Other => "other",
        }
    }

    fn matches(self, actual: Route) -> bool {
        self == Route::Any || self == actual
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Route {
    type Err = MockError;
    /// A short name (`get`, `run`, `clone`, `abort`, `create`, `list`, `details`, `rate_limit`,
    /// `modify`, `delete`, `inputs`, `modify_inputs`, `bulk_get`, `any`) or the documented form
    /// (`GET /v2/tasks/{id}`, `POST /v2/tasks/{id}/actions/run`, `POST /v2/bulk/tasks/get`, ...).
    fn from_str(s: &str) -> Result<Self, MockError> {
        let norm = s.trim().to_ascii_lowercase();
        let r = match norm.as_str() {
            "any" | "*" => Route::Any,
            "get" | "get /v2/tasks/{id}" => Route::GetTask,
            "run" | "post /v2/tasks/{id}/actions/run" => Route::RunTask,
            "clone" | "rerun" | "post /v2/tasks/{id}/actions/clone" => Route::CloneTask,
            "abort" | "post /v2/tasks/{id}/actions/abort" => Route::AbortTask,
            "create" | "post /v2/tasks" => Route::CreateTask,
            "list" | "get /v2/tasks" => Route::ListTasks,
            "details" | "execution_details" | "get /v2/tasks/{id}/execution_details" => {
                Route::ExecutionDetails
            }
            "rate_limit" | "get /v2/rate_limit" => Route::RateLimit,
            "modify" | "patch /v2/tasks/{id}" => Route::ModifyTask,
            "delete" | "delete /v2/tasks/{id}" => Route::DeleteTask,
            "inputs" | "get /v2/tasks/{id}/inputs" => Route::GetInputs,
            "modify_inputs" | "patch /v2/tasks/{id}/inputs" => Route::ModifyInputs,
            "bulk_get" | "bulk" | "post /v2/bulk/tasks/get" => Route::BulkGet,
            "other" => Route::Other,
            _ => return Err(MockError::parse("route", s, "unknown route")),
        };
        Ok(r)
    }
}

/// Which requests a fault fires for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// The next N requests, whatever their route; then the fault is gone.
    Next(u32),
    /// Every request of this route.
    Route(Route),
    /// The next N requests of this route; then the fault is gone.
    RouteNext(Route, u32),
    /// Every request.
    Always,
}

impl Scope {
    fn split(self) -> (Route, Option<u32>) {
        match self {
            Scope::Next(n) => (Route::Any, Some(n)),
            Scope::Route(r) => (r, None),
            Scope::RouteNext(r, n) => (r, Some(n)),
            Scope::Always => (Route::Any, None),
        }
    }
}

/// A fault with its scope, parsed from the binary's `--fault` syntax:
/// `KIND[@ROUTE][*N]`.
///
/// KIND is `maintenance` (or `503`), `proxy502`, `proxy504` (or `proxy:STATUS`), `delay:MS`,
/// `truncate`, `drop-before`, `drop-after`, `malformed:VARIANT` (`doc-batch`, `single-quotes`,
/// `missing-comma`, `trailing-comma`, `snip`, `not-json`, `empty`), `429` (or `rate-limited`),
/// `error:STATUS:CODE`, `gzip-bomb:BYTES` (BYTES with an optional `k`, `m` or `g`: KiB, MiB,
/// GiB; e.g. `gzip-bomb:64m`). ROUTE is as in [`Route`]'s `FromStr`. Without `*N` the fault stays.
/// Examples: `503*2`, `proxy504@get*1`, `delay:250@clone`, `drop-after@clone*1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// The fault.
    pub fault: Fault,
    /// For which requests.
    pub scope: Scope,
}

impl FromStr for FaultSpec {
    type Err = MockError;
    fn from_str(s: &str) -> Result<Self, MockError> {
        let err = |reason: &str| MockError::parse("fault", s, reason);
        let (rest, count) = match s.rsplit_once('*') {
            Some((rest, n)) => (
                rest,
                Some(
                    n.trim()
                        .parse::<u32>()
                        .map_err(|_| err("bad count after *"))?,
                ),
            ),
            None => (s, None),
        };
        let (kind, route) = match rest.split_once('@') {
            Some((k, r)) => (k, Some(r.parse::<Route>()?)),
            None => (rest, None),
        };
        let kind = kind.trim().to_ascii_lowercase();
        let mut parts = kind.split(':');
        let head = parts.next().unwrap_or_default();
        let arg = parts.next();
        let arg2 = parts.next();
        let num = |a: Option<&str>| -> Result<u64, MockError> {
            a.ok_or_else(|| err("missing number"))?
                .trim_end_matches("ms")
                .parse::<u64>()
                .map_err(|_| err("not a number"))
        };
        let fault = match head {
            "maintenance" | "503" => Fault::Maintenance,
            "proxy502" => Fault::ProxyHtml(502),
            "proxy504" => Fault::ProxyHtml(504),
            "proxy" => {
                Fault::ProxyHtml(u16::try_from(num(arg)?).map_err(|_| err("status out of range"))?)
            }
            "delay" => Fault::Delay(Duration::from_millis(num(arg)?)),
            "truncate" | "truncated" => Fault::TruncatedBody,
            "drop-before" => Fault::DropBeforeRead,
            "drop-after" => Fault::DropAfterRead,
            "429" | "rate-limited" => Fault::RateLimited,
            "malformed" => Fault::MalformedBody(match arg.unwrap_or("doc-batch") {
                "doc-batch" => Malformed::DocBatchExample,
                "single-quotes" => Malformed::SingleQuotes,
                "missing-comma" => Malformed::MissingComma,
                "trailing-comma" => Malformed::TrailingComma,
                "snip" => Malformed::Snip,
                "not-json" => Malformed::NotJson,
                "empty" => Malformed::Empty,
                _ => return Err(err("unknown malformed variant")),
            }),
            "gzip-bomb" | "gzipbomb" => Fault::GzipBomb {
                inflated: parse_size(arg.ok_or_else(|| err("missing size"))?)
                    .ok_or_else(|| err("bad size"))?,
            },
            "error" => Fault::Status {
                status: u16::try_from(num(arg)?).map_err(|_| err("status out of range"))?,
                code: u32::try_from(num(arg2)?).map_err(|_| err("code out of range"))?,
            },
            _ => return Err(err("unknown fault kind")),
        };
        if let Fault::ProxyHtml(st) | Fault::Status { status: st, .. } = fault {
            if !(100..=999).contains(&st) {
                return Err(err("status out of range"));
            }
        }
        let scope = match (route, count) {
            (None, None) => Scope::Always,
            (None, Some(n)) => Scope::Next(n),
            (Some(r), None) => Scope::Route(r),
            (Some(r), Some(n)) => Scope::RouteNext(r, n),
        };
        Ok(FaultSpec { fault, scope })
    }
}

/// `123`, `64k`, `64m`, `1g` (KiB, MiB, GiB).
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let s = s
        .strip_suffix("ib")
        .or_else(|| s.strip_suffix('b'))
        .unwrap_or(&s);
    let (n, mult) = match s.char_indices().last()? {
        (i, 'k') => (&s[..i], 1u64 << 10),
        (i, 'm') => (&s[..i], 1 << 20),
        (i, 'g') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    n.trim().parse::<u64>().ok()?.checked_mul(mult)
}

struct Rule {
    fault: Fault,
    route: Route,
    remaining: Option<u32>,
}

/// The installed faults. The first matching rule fires; counted rules disappear when spent.
#[derive(Default)]
pub(crate) struct FaultTable {
    any: AtomicBool,
    rules: Mutex<Vec<Rule>>,
}

impl FaultTable {
    pub(crate) fn inject(&self, fault: Fault, scope: Scope) {
        let (route, remaining) = scope.split();
        if remaining == Some(0) {
            return;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.push(Rule {
            fault,
            route,
            remaining,
        });
        self.any.store(true, Ordering::Release);
    }

    pub(crate) fn clear(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.clear();
        self.any.store(false, Ordering::Release);
    }

    pub(crate) fn pending(&self) -> Vec<(Fault, Scope)> {
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules
            .iter()
            .map(|r| {
                let scope = match (r.route, r.remaining) {
                    (Route::Any, None) => Scope::Always,
                    (Route::Any, Some(n)) => Scope::Next(n),
                    (route, None) => Scope::Route(route),
                    (route, Some(n)) => Scope::RouteNext(route, n),
                };
                (r.fault.clone(), scope)
            })
            .collect()
    }

    /// The fault for a request of `route`, consuming one use of it.
    pub(crate) fn take(&self, route: Route) -> Option<Fault> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let idx = rules.iter().position(|r| r.route.matches(route))?;
        let rule = &mut rules[idx];
        let fault = rule.fault.clone();
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(idx);
            }
        }
        if rules.is_empty() {
            self.any.store(false, Ordering::Release);
        }
        Some(fault)
    }
}
