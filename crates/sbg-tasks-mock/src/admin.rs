//! The mock's own endpoints, under `/__mock/` (outside `/v2/`, so no API path can be one):
//! statistics, the journal, fleets, faults and tasks, for scripts, tools and benchmarks in
//! other processes: the HTTP face of [`MockControl`](crate::MockControl). They take no token,
//! count against no rate limit, are not journaled and never show a token.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::body::MockBody;
use crate::config::{parse_duration, Outcome};
use crate::fault::{FaultSpec, Route, Scope};
use crate::fleet::{Fleet, FleetSpec};
use crate::journal::{AuthScheme, JournalEntry, MockStats};
use crate::query;
use crate::state::Shared;
use crate::store::TaskCopy;
use crate::sync::lock;

/// The prefix of the mock's own endpoints.
pub(crate) const PREFIX: &str = "/__mock";

/// Most journal entries one `GET /__mock/journal` answers.
pub(crate) const JOURNAL_PAGE_MAX: usize = 10_000;

pub(crate) fn is_admin(path: &str) -> bool {
    path == PREFIX || path.starts_with("/__mock/")
}

fn respond(status: StatusCode, v: &Value) -> Response<MockBody> {
    let body = Bytes::from(serde_json::to_vec(v).unwrap_or_default());
    let len = body.len();
    let mut r = Response::new(MockBody::full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len as u64));
    r
}

fn bad(msg: impl Into<String>) -> Response<MockBody> {
    respond(StatusCode::BAD_REQUEST, &json!({"error": msg.into()}))
}

pub(crate) fn stats_json(s: &MockStats) -> Value {
    let tokens: Vec<Value> = s
        .tokens
        .iter()
        .map(|t| {
            json!({
                "token": t.token,
                "user": t.user,
                "requests": t.requests,
                "counted": t.counted,
                "rate_limited": t.rate_limited,
                "routes": t.routes,
                "body_bytes": t.body_bytes,
                "sent_bytes": t.sent_bytes,
                "gzip_answers": t.gzip_answers,
            })
        })
        .collect();
    json!({
        "requests": s.requests,
        "counted": s.counted,
        "rate_limited": s.rate_limited,
        "tokens": tokens,
    })
}

fn entry_json(e: &JournalEntry) -> Value {
    let auth = match e.auth {
        AuthScheme::None => "none",
        AuthScheme::XSbgAuthToken => "x-sbg-auth-token",
        AuthScheme::Bearer => "bearer",
        _ => "other",
    };
    json!({
        "seq": e.seq,
        "at_ms": u64::try_from(e.at.as_millis()).unwrap_or(u64::MAX),
        "method": e.method.as_str(),
        "path": e.path,
        "query": e.query,
        "token": e.token,
        "user": e.user,
        "auth": auth,
        "authorized": e.authorized,
        "route": e.route.name(),
        "status": e.status,
        "fault": e.fault.as_ref().map(|f| format!("{f:?}")),
        "counted": e.counted,
        "request_bytes": e.body_len,
        "response_bytes": e.response_bytes,
        "sent_bytes": e.sent_bytes,
        "gzip": e.gzip,
        "copy_of": e.copy_of,
        "copy": e.copy,
    })
}

pub(crate) fn fleet_json(f: &Fleet) -> Value {
    json!({
        "index": f.index,
        "count": f.spec.count,
        "duration_ms": u64::try_from(f.spec.duration.as_millis()).unwrap_or(u64::MAX),
        "fail_ratio": f.spec.fail_ratio,
        "seed": f.spec.seed,
        "failing": f.failing,
        "project": f.project,
        "parent": f.parent,
        "ids": f.ids,
    })
}

/// `completed`, `failed` or `aborted` (any case).
fn parse_outcome(s: &str) -> Result<Outcome, String> {
    match s.to_ascii_lowercase().as_str() {
        "completed" => Ok(Outcome::Completed),
        "failed" => Ok(Outcome::Failed),
        "aborted" => Ok(Outcome::Aborted),
        _ => Err(format!(
            "`outcome` is completed, failed or aborted, not {s:?}"
        )),
    }
}

/// The copies made by `clone`, grouped by original (in the order of their first copy):
/// `{"copies": N, "originals": N, "orphan_drafts": N, "by_original": [{"original", "copies":
/// [{"id", "status", "ran"}], "ran": N}]}`. An orphan draft is a copy still a DRAFT.
pub(crate) fn copies_json(copies: &[TaskCopy]) -> Value {
    let mut order: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<&TaskCopy>> = Default::default();
    for c in copies {
        let g = groups.entry(c.original.as_str()).or_default();
        if g.is_empty() {
            order.push(c.original.as_str());
        }
        g.push(c);
    }
    let by_original: Vec<Value> = order
        .iter()
        .map(|o| {
            let g = &groups[o];
            let list: Vec<Value> = g
                .iter()
                .map(|c| json!({"id": c.id, "status": c.status, "ran": c.ran}))
                .collect();
            json!({"original": o, "copies": list, "ran": g.iter().filter(|c| c.ran).count()})
        })
        .collect();
    json!({
        "copies": copies.len(),
        "originals": order.len(),
        "orphan_drafts": copies.iter().filter(|c| c.status == "DRAFT").count(),
        "by_original": by_original,
    })
}

/// A fleet's spec from a query: `count` (required), `duration_ms` or `duration` (seconds),
/// `fail_ratio`, `seed`, `batch_parent`, `project`.
fn fleet_spec(q: &[(String, String)]) -> Result<FleetSpec, String> {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let count: usize = get("count")
        .ok_or("`count` is required")?
        .parse()
        .map_err(|_| "`count` is not a number")?;
    let duration = match (get("duration_ms"), get("duration")) {
        (Some(ms), _) => Duration::from_millis(ms.parse().map_err(|_| "bad `duration_ms`")?),
        (None, Some(secs)) => parse_duration(secs).map_err(|e| e.to_string())?,
        (None, None) => Duration::from_secs(60),
    };
    let mut spec = FleetSpec::new(count, duration);
    if let Some(r) = get("fail_ratio") {
        spec = spec.fail_ratio(r.parse().map_err(|_| "bad `fail_ratio`")?);
    }
    if let Some(s) = get("seed") {
        spec = spec.seed(s.parse().map_err(|_| "bad `seed`")?);
    }
    match get("batch_parent") {
        None | Some("false") => {}
        Some("true") => spec = spec.batch_parent(true),
        Some(_) => return Err("`batch_parent` is true or false".into()),
    }
    if let Some(p) = get("project") {
        spec = spec.project(p);
    }
    Ok(spec)
}

/// The faults still installed, as `{"pending": N, "faults": [{"fault", "scope"}...]}`; with a
/// route, only those waiting for a request of that route.
fn faults_json(shared: &Shared, route: Option<&str>) -> Result<Value, String> {
    let route = match route {
        None => None,
        Some(r) => Some(r.parse::<Route>().map_err(|e| e.to_string())?),
    };
    let faults: Vec<Value> = shared
        .faults
        .pending()
        .into_iter()
        .filter(|(_, scope)| match (scope, route) {
            (_, None) => true,
            (Scope::RouteNext(r, _) | Scope::Route(r), Some(want)) => *r == want,
            (_, Some(_)) => false,
        })
        .map(|(f, s)| json!({"fault": format!("{f:?}"), "scope": format!("{s:?}")}))
        .collect();
    Ok(json!({"pending": faults.len(), "faults": faults}))
}

pub(crate) fn handle(shared: &Shared, req: &Request<Incoming>) -> Response<MockBody> {
    let q = query::parse(req.uri().query());
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let path = req.uri().path().trim_end_matches('/');
    let method = req.method();
    match (method, path) {
        (&Method::GET, "/__mock/stats") => {
            respond(StatusCode::OK, &stats_json(&lock(&shared.journal).stats()))
        }
        (&Method::POST, "/__mock/stats/reset") => {
            lock(&shared.journal).reset_stats();
            respond(StatusCode::OK, &json!({"reset": true}))
        }
        (&Method::GET, "/__mock/journal") => {
            let since = match get("since").map(str::parse::<u64>) {
                None => 0,
                Some(Ok(n)) => n,
                Some(Err(_)) => return bad("`since` is not a number"),
            };
            let limit = match get("limit").map(str::parse::<usize>) {
                None => JOURNAL_PAGE_MAX,
                Some(Ok(n)) => n.min(JOURNAL_PAGE_MAX),
                Some(Err(_)) => return bad("`limit` is not a number"),
            };
            let j = lock(&shared.journal);
            let entries: Vec<Value> = j.since(since, limit).iter().map(entry_json).collect();
            let next = entries
                .last()
                .and_then(|e| e["seq"].as_u64())
                .map_or(since.max(j.first_kept()), |s| s + 1);
            respond(
                StatusCode::OK,
                &json!({
                    "total": j.total(),
                    "first_kept": j.first_kept(),
                    "next": next,
                    "entries": entries,
                }),
            )
        }
        (&Method::GET, "/__mock/fleet") => {
            let fleets: Vec<Value> = shared.platform.fleets().iter().map(fleet_json).collect();
            respond(StatusCode::OK, &json!({"fleets": fleets}))
        }
        (&Method::POST, "/__mock/fleet") => match fleet_spec(&q) {
            Ok(spec) => {
                let f = shared.platform.spawn_fleet(&spec, Instant::now());
                respond(StatusCode::CREATED, &fleet_json(&f))
            }
            Err(e) => bad(e),
        },
        (&Method::GET, "/__mock/faults") => match faults_json(shared, get("route")) {
            Ok(v) => respond(StatusCode::OK, &v),
            Err(e) => bad(e),
        },
        (&Method::POST, "/__mock/faults") => match get("spec").map(str::parse::<FaultSpec>) {
            Some(Ok(spec)) => {
                let v = json!({"fault": format!("{:?}", spec.fault), "scope": format!("{:?}", spec.scope)});
                shared.faults.inject(spec.fault, spec.scope);
                respond(StatusCode::CREATED, &v)
            }
            Some(Err(e)) => bad(e.to_string()),
            None => bad("`spec` is required (the CLI's --fault syntax, e.g. 503@get*2)"),
        },
        (&Method::DELETE, "/__mock/faults") => {
            shared.faults.clear();
            respond(StatusCode::OK, &json!({"cleared": true}))
        }
        (&Method::POST, "/__mock/listing_lag") => match get("secs").map(parse_duration) {
            Some(Ok(lag)) => {
                shared.platform.set_listing_lag(lag);
                respond(
                    StatusCode::OK,
                    &json!({"listing_lag_ms": u64::try_from(lag.as_millis()).unwrap_or(u64::MAX)}),
                )
            }
            Some(Err(e)) => bad(e.to_string()),
            None => bad("`secs` is required (seconds, or Nms)"),
        },
        (&Method::GET, "/__mock/copies") => respond(
            StatusCode::OK,
            &copies_json(&shared.platform.copies(Instant::now())),
        ),
        (&Method::POST, "/__mock/outcome") => {
            match (get("id"), get("outcome").map(parse_outcome)) {
                (Some(id), Some(Ok(outcome))) => {
                    if shared.platform.set_outcome(id, outcome) {
                        respond(
                            StatusCode::OK,
                            &json!({"id": id, "outcome": format!("{outcome:?}")}),
                        )
                    } else {
                        respond(StatusCode::NOT_FOUND, &json!({"error": "no such task"}))
                    }
                }
                (_, Some(Err(e))) => bad(e),
                _ => bad("`id` and `outcome` (completed, failed or aborted) are required"),
            }
        }
        (&Method::GET, p) if p.starts_with("/__mock/tasks/") => {
            let id = &p["/__mock/tasks/".len()..];
            match shared.platform.task(id, Instant::now()) {
                Some(task) => respond(StatusCode::OK, &task),
                None => respond(StatusCode::NOT_FOUND, &json!({"error": "no such task"})),
            }
        }
        (
            _,
            "/__mock/stats"
            | "/__mock/stats/reset"
            | "/__mock/journal"
            | "/__mock/fleet"
            | "/__mock/faults"
            | "/__mock/copies"
            | "/__mock/outcome"
            | "/__mock/listing_lag",
        ) => respond(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"error": "method not allowed"}),
        ),
        _ => respond(
            StatusCode::NOT_FOUND,
            &json!({"error": "no such mock endpoint", "endpoints": [
                "GET /__mock/stats", "POST /__mock/stats/reset",
                "GET /__mock/journal?since=N&limit=M",
                "GET /__mock/fleet", "POST /__mock/fleet?count=N&duration_ms=D&fail_ratio=F&seed=S&batch_parent=B&project=P",
                "GET /__mock/faults?route=R", "POST /__mock/faults?spec=SPEC", "DELETE /__mock/faults",
                "GET /__mock/tasks/ID", "GET /__mock/copies",
                "POST /__mock/outcome?id=ID&outcome=completed|failed|aborted",
                "POST /__mock/listing_lag?secs=S",
            ]}),
        ),
    }
}
