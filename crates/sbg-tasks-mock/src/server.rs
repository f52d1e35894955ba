//! The HTTP side: accepting connections, routing, answering, faults and the journal.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_TYPE, VARY,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::api_error::{codes, ApiError};
use crate::body::MockBody;
use crate::config::MalformedIdPolicy;
use crate::fault::{Fault, FaultTable, Malformed, Route};
use crate::journal::{token_fingerprint, AuthScheme, Journal, JournalEntry};
use crate::query;
use crate::ratelimit::{Limiter, RateInfo};
use crate::store::{is_uuid, CloneOpts, DraftAction, Fields, ListQuery, RunOpts, Store};

/// Largest request body read (create bodies are small).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Most ids a bulk call takes (the platform's bulk limit).
pub(crate) const BULK_MAX: usize = 100;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// State shared by the connections and the control handle.
pub(crate) struct Shared {
    pub(crate) started: Instant,
    pub(crate) base_url: String,
    pub(crate) addr: SocketAddr,
    pub(crate) cert_pem: Option<String>,
    /// token → user; empty: any non-empty token is accepted as `mock-user`.
    pub(crate) tokens: HashMap<String, String>,
    pub(crate) malformed_id: MalformedIdPolicy,
    pub(crate) store: Mutex<Store>,
    pub(crate) faults: FaultTable,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) limiter: Option<Mutex<Limiter>>,
    /// The user of fleet tasks: the first token's, else `mock-user`.
    pub(crate) default_user: String,
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub(crate) struct Dropped;

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    List,
    Create,
    Get(String),
    Modify(String),
    Delete(String),
    Inputs(String),
    ModifyInputs(String),
    BulkGet,
    Action(String, String),
    Details(String),
    RateLimit,
    MethodNotAllowed(Route),
    NotFound,
}

impl Target {
    fn route(&self) -> Route {
        match self {
            Target::List => Route::ListTasks,
            Target::Create => Route::CreateTask,
            Target::Get(_) => Route::GetTask,
            Target::Modify(_) => Route::ModifyTask,
            Target::Delete(_) => Route::DeleteTask,
            Target::Inputs(_) => Route::GetInputs,
            Target::ModifyInputs(_) => Route::ModifyInputs,
            Target::BulkGet => Route::BulkGet,
            Target::Action(_, a) => match a.as_str() {
                "run" => Route::RunTask,
                "clone" => Route::CloneTask,
                "abort" => Route::AbortTask,
                _ => Route::Other,
            },
            Target::Details(_) => Route::ExecutionDetails,
            Target::RateLimit => Route::RateLimit,
            Target::MethodNotAllowed(r) => *r,
            Target::NotFound => Route::Other,
        }
    }
}

fn classify(method: &Method, path: &str) -> Target {
    let Some(rest) = path.strip_prefix("/v2/") else {
        return Target::NotFound;
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    let patch = method == Method::PATCH;
    match segs.as_slice() {
        ["tasks"] | ["tasks", ""] => {
            if get {
                Target::List
            } else if post {
                Target::Create
            } else {
                Target::MethodNotAllowed(Route::ListTasks)
            }
        }
        ["tasks", id] => {
            let id = (*id).to_owned();
            if get {
                Target::Get(id)
            } else if patch {
                Target::Modify(id)
            } else if method == Method::DELETE {
                Target::Delete(id)
            } else {
                Target::MethodNotAllowed(Route::GetTask)
            }
        }
        ["tasks", id, "inputs"] => {
            if get {
                Target::Inputs((*id).to_owned())
            } else if patch {
                Target::ModifyInputs((*id).to_owned())
            } else {
                Target::MethodNotAllowed(Route::GetInputs)
            }
        }
        ["bulk", "tasks", "get"] => {
            if post {
                Target::BulkGet
            } else {
                Target::MethodNotAllowed(Route::BulkGet)
            }
        }
        ["tasks", id, "actions"] | ["tasks", id, "actions", ""] => {
            if post {
                Target::Action((*id).to_owned(), String::new())
            } else {
                Target::MethodNotAllowed(Route::Other)
            }
        }
        ["tasks", id, "actions", action] => {
            if post {
                Target::Action((*id).to_owned(), (*action).to_owned())
            } else {
                let t = Target::Action(String::new(), (*action).to_owned());
                Target::MethodNotAllowed(t.route())
            }
        }
        ["tasks", id, "execution_details"] => {
            if get {
                Target::Details((*id).to_owned())
            } else {
                Target::MethodNotAllowed(Route::ExecutionDetails)
            }
        }
        ["rate_limit"] => {
            if get {
                Target::RateLimit
            } else {
                Target::MethodNotAllowed(Route::RateLimit)
            }
        }
        _ => Target::NotFound,
    }
}

fn auth_of(headers: &HeaderMap) -> (AuthScheme, Option<String>) {
    if let Some(v) = headers.get("x-sbg-auth-token") {
        return (
            AuthScheme::XSbgAuthToken,
            Some(v.to_str().unwrap_or_default().trim().to_owned()),
        );
    }
    if let Some(v) = headers.get(AUTHORIZATION) {
        let v = v.to_str().unwrap_or_default().trim();
        let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return (AuthScheme::Bearer, Some(rest.trim().to_owned()));
        }
        return (AuthScheme::Other, None);
    }
    (AuthScheme::None, None)
}

/// An answer before faults that change its bytes.
struct Answer {
    status: StatusCode,
    body: Bytes,
    content_type: &'static str,
    rate: Option<RateInfo>,
    total: Option<usize>,
}

impl Answer {
    fn json(status: StatusCode, body: Bytes) -> Self {
        Answer {
            status,
            body,
            content_type: "application/json; charset=utf-8",
            rate: None,
            total: None,
        }
    }

    fn error(e: &ApiError) -> Self {
        Self::json(e.status, e.body())
    }
}

struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    fn bool(&self, k: &str) -> Result<Option<bool>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_request(format!(
                "Bad request: query parameter `{k}` must be true or false, not {other:?}."
            ))),
        }
    }

    fn fields(&self) -> Fields {
        Fields::parse(self.get("fields"))
    }
}

impl Shared {
    pub(crate) fn record(&self, entry: JournalEntry) {
        lock(&self.journal).push(entry);
    }

    fn check_id(&self, id: &str) -> Result<(), ApiError> {
        self.check_id_in(&lock(&self.store), id)
    }

    /// 400/7004 for an empty id; for an id that is neither a UUID nor a task's, 400/7005 (or
    /// 404/7002 as the malformed-id policy says).
    fn check_id_in(&self, store: &Store, id: &str) -> Result<(), ApiError> {
        if id.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::EMPTY_ID,
                "Task ID must not be empty or null or an empty string.",
            ));
        }
        if is_uuid(id) || store.contains(id) {
            return Ok(());
        }
        Err(match self.malformed_id {
            MalformedIdPolicy::NotFound => ApiError::not_found_task(),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::ID_NOT_UUID,
                "Task ID must be a valid UUID.",
            ),
        })
    }

    fn user_of(&self, token: Option<&str>) -> Option<String> {
        let token = token.filter(|t| !t.is_empty())?;
        if self.tokens.is_empty() {
            return Some("mock-user".to_owned());
        }
        self.tokens.get(token).cloned()
    }

    /// The answer of the platform proper (rate limit, auth, the call).
    fn answer(
        &self,
        target: &Target,
        params: &Params,
        token: Option<&str>,
        body: &Bytes,
        force_429: bool,
        entry: &mut JournalEntry,
    ) -> Answer {
        let now = Instant::now();
        let key = token.unwrap_or_default();
        let rate = self.limiter.as_ref().map(|l| {
            let mut l = lock(l);
            if force_429 {
                RateInfo {
                    allowed: false,
                    remaining: 0,
                    ..l.peek(key, now)
                }
            } else if *target == Target::RateLimit {
                l.peek(key, now)
            } else {
                l.hit(key, now)
            }
        });
        let limited =
            force_429 || (*target != Target::RateLimit && rate.is_some_and(|r| !r.allowed));
        entry.counted = !limited && *target != Target::RateLimit && rate.is_some();
        let mut answer = if limited {
            Answer::error(&ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::RATE_LIMITED,
                "Rate limit exceeded! Check response headers.",
            ))
        } else {
            match self.user_of(token) {
                None => Answer::error(&ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    codes::UNAUTHORIZED,
                    "Unauthorized.",
                )),
                Some(user) => {
                    entry.authorized = true;
                    entry.user = Some(user.clone());
                    match self.dispatch(target, params, &user, body, rate, now) {
                        Ok(a) => a,
                        Err(e) => Answer::error(&e),
                    }
                }
            }
        };
        answer.rate = rate;
        answer
    }

    fn dispatch(
        &self,
        target: &Target,
        params: &Params,
        user: &str,
        body: &Bytes,
        rate: Option<RateInfo>,
        now: Instant,
    ) -> Result<Answer, ApiError> {
        let ok = |b: Bytes| Answer::json(StatusCode::OK, b);
        match target {
            Target::Get(id) => {
                self.check_id(id)?;
                let b = lock(&self.store).get(id, &params.fields(), now)?;
                Ok(ok(b))
            }
            Target::Modify(id) => {
                self.check_id(id)?;
                let mut store = lock(&self.store);
                if !store.contains(id) {
                    return Err(ApiError::not_found_task());
                }
                store.modify(id, &decode(body)?, now)?;
                Ok(ok(store.view(id, &params.fields(), now)?))
            }
            Target::Delete(id) => {
                self.check_id(id)?;
                lock(&self.store).delete(id, now)?;
                let mut a = Answer::json(StatusCode::NO_CONTENT, Bytes::new());
                a.content_type = "";
                Ok(a)
            }
            Target::Inputs(id) => {
                self.check_id(id)?;
                let v = lock(&self.store).inputs(id, &params.fields(), now)?;
                Ok(ok(Bytes::from(serde_json::to_vec(&v).unwrap_or_default())))
            }
            Target::ModifyInputs(id) => {
                self.check_id(id)?;
                let mut store = lock(&self.store);
                if !store.contains(id) {
                    return Err(ApiError::not_found_task());
                }
                let v = store.modify_inputs(id, &decode(body)?, now)?;
                Ok(ok(Bytes::from(serde_json::to_vec(&v).unwrap_or_default())))
            }
            Target::BulkGet => self.bulk_get(params, body, now),
            Target::Action(id, action) => {
                self.check_id(id)?;
                match action.as_str() {
                    "run" => {
                        let opts = RunOpts {
                            batch: params.bool("batch")?,
                            interruptible: params.bool("use_interruptible_instances")?,
                        };
                        let mut store = lock(&self.store);
                        store.run(id, opts, user, now)?;
                        Ok(ok(store.view(id, &params.fields(), now)?))
                    }
                    "clone" => {
                        let batch = params.bool("batch")?;
                        let interruptible = params.bool("use_interruptible_instances")?;
                        let opts = CloneOpts {
                            action: DraftAction::parse(params.get("action"))?,
                            batch,
                            interruptible,
                        };
                        let mut store = lock(&self.store);
                        let new = store.clone_task(id, &opts, user, now)?;
                        Ok(ok(store.view(&new, &params.fields(), now)?))
                    }
                    "abort" => {
                        let mut store = lock(&self.store);
                        store.abort(id, now)?;
                        Ok(ok(store.view(id, &params.fields(), now)?))
                    }
                    "" => Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        codes::EMPTY_ACTION,
                        "Action parameter must not be null or an empty string.",
                    )),
                    _ => Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        codes::INVALID_ACTION,
                        "Invalid task action.",
                    )),
                }
            }
            Target::Create => {
                let req = decode(body)?;
                let action = DraftAction::parse(params.get("action"))?;
                let batch = params.bool("batch")?;
                let mut store = lock(&self.store);
                let id = store.create(&req, action, batch, user, now)?;
                let b = store.view(&id, &params.fields(), now)?;
                Ok(Answer::json(StatusCode::CREATED, b))
            }
            Target::List => self.list(params, now),
            Target::Details(id) => {
                self.check_id(id)?;
                let v = lock(&self.store).execution_details(id, now)?;
                Ok(ok(Bytes::from(serde_json::to_vec(&v).unwrap_or_default())))
            }
            Target::RateLimit => {
                let rate = match rate {
                    Some(r) => {
                        json!({"limit": r.limit, "remaining": r.remaining, "reset": r.reset})
                    }
                    None => json!({"limit": null, "remaining": null, "reset": null}),
                };
                let v = json!({"rate": rate, "instance_limit": {"limit": 25, "remaining": 25}});
                Ok(ok(Bytes::from(serde_json::to_vec(&v).unwrap_or_default())))
            }
            Target::MethodNotAllowed(_) => Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                "Method not allowed.",
            )),
            Target::NotFound => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "Not found.",
            )),
        }
    }

    /// `POST /v2/bulk/tasks/get`: one item per id asked, in order. Each task found counts one
    /// poll (as a GET does), however often it is asked for in the call.
    fn bulk_get(&self, params: &Params, body: &Bytes, now: Instant) -> Result<Answer, ApiError> {
        let ids = bulk_ids(&decode(body)?)?;
        let fields = params.fields();
        let mut store = lock(&self.store);
        let mut polled = HashSet::new();
        let mut out = b"{\"items\":[".to_vec();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let task = self.check_id_in(&store, id).and_then(|()| {
                if polled.insert(id.as_str()) {
                    store.get(id, &fields, now)
                } else {
                    store.view(id, &fields, now)
                }
            });
            match task {
                Ok(b) => {
                    out.extend_from_slice(b"{\"resource\":");
                    out.extend_from_slice(&b);
                }
                Err(e) => {
                    out.extend_from_slice(b"{\"error\":");
                    out.extend_from_slice(&e.body());
                }
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        Ok(Answer::json(StatusCode::OK, Bytes::from(out)))
    }

    fn list(&self, params: &Params, now: Instant) -> Result<Answer, ApiError> {
        let num = |k: &str, default: usize| -> Result<usize, ApiError> {
            match params.get(k) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| {
                    ApiError::bad_request(format!("Bad request: `{k}` must be a number."))
                }),
            }
        };
        let offset = num("offset", 0)?;
        let limit = num("limit", 50)?;
        if !(1..=100).contains(&limit) {
            return Err(ApiError::bad_request(
                "Bad request: `limit` must be between 1 and 100.",
            ));
        }
        let desc = match params.get("order") {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "Bad request: `order` is asc or desc.",
                ))
            }
        };
        let mut ranges = Vec::new();
        for (field, from, to) in [
            ("created_time", "created_from", "created_to"),
            ("start_time", "started_from", "started_to"),
            ("end_time", "ended_from", "ended_to"),
        ] {
            let (f, t) = (params.get(from), params.get(to));
            if f.is_some() || t.is_some() {
                ranges.push((field, f.map(str::to_owned), t.map(str::to_owned)));
            }
        }
        let q = ListQuery {
            project: params.get("project").map(str::to_owned),
            status: params.get("status").map(str::to_owned),
            parent: params.get("parent").map(str::to_owned),
            batch: params.bool("batch")?,
            origin_id: params.get("origin_id").map(str::to_owned),
            ranges,
            order_by: params.get("order_by").map(str::to_owned),
            desc,
            offset,
            limit,
            fields: params.get("fields").map(|f| Fields::parse(Some(f))),
        };
        let (items, total) = lock(&self.store).list(&q, now)?;
        let page_url = |off: usize| {
            let mut parts: Vec<String> = params
                .0
                .iter()
                .filter(|(k, _)| k != "offset" && k != "limit")
                .map(|(k, v)| format!("{}={}", query::encode(k), query::encode(v)))
                .collect();
            parts.push(format!("offset={off}"));
            parts.push(format!("limit={limit}"));
            format!("{}/tasks?{}", self.base_url, parts.join("&"))
        };
        let mut links = Vec::new();
        if offset + limit < total {
            links.push(json!({"href": page_url(offset + limit), "rel": "next", "method": "GET"}));
        }
        if offset > 0 {
            links.push(json!({"href": page_url(offset.saturating_sub(limit)), "rel": "prev", "method": "GET"}));
        }
        let v = json!({"href": page_url(offset), "items": items, "links": links});
        let mut a = Answer::json(
            StatusCode::OK,
            Bytes::from(serde_json::to_vec(&v).unwrap_or_default()),
        );
        a.total = Some(total);
        Ok(a)
    }
}

/// The request body as JSON; 400/90009 when it is not JSON.
fn decode(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::DECODE_ERROR,
            "An error occurred during the decoding of the request content.",
        )
    })
}

/// The `task_ids` of a bulk body: 400/90000 unless it is an object whose `task_ids` is an
/// array of at most [`BULK_MAX`] strings.
fn bulk_ids(req: &Value) -> Result<Vec<String>, ApiError> {
    let ids = req
        .get("task_ids")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::bad_request("Bad request: `task_ids` must be an array of task ids.")
        })?;
    if ids.len() > BULK_MAX {
        return Err(ApiError::bad_request(format!(
            "Bad request: a bulk call takes at most {BULK_MAX} ids, not {}.",
            ids.len()
        )));
    }
    ids.iter()
        .map(|v| {
            v.as_str().map(str::to_owned).ok_or_else(|| {
                ApiError::bad_request("Bad request: every member of `task_ids` must be a string.")
            })
        })
        .collect()
}

const PROXY_HTML: &str = "<html>\r\n<head><title>{S}</title></head>\r\n<body>\r\n<center><h1>{S}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn proxy_page(status: StatusCode) -> Answer {
    let s = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    Answer {
        status,
        body: Bytes::from(PROXY_HTML.replace("{S}", &s)),
        content_type: "text/html",
        rate: None,
        total: None,
    }
}

/// Corrupt a JSON answer as `variant` says. The result is never valid JSON (except `Empty`,
/// which is empty).
pub(crate) fn malform(variant: Malformed, body: &[u8]) -> Bytes {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let last = lines.len().saturating_sub(1);
    match variant {
        Malformed::DocBatchExample => {
            return Bytes::from_static(crate::examples::GET_TASK_BATCH_MALFORMED)
        }
        Malformed::NotJson => return Bytes::from_static(b"this is not JSON\n"),
        Malformed::Empty => return Bytes::new(),
        Malformed::SingleQuotes => {
            if let Some(l) = lines.iter_mut().find(|l| l.split_once("\": \"").is_some()) {
                if let Some((key, value)) = l.clone().split_once("\": ") {
                    let comma = if value.ends_with(',') { "," } else { "" };
                    let inner = value.trim_end_matches(',');
                    let inner = &inner[1..inner.len().saturating_sub(1).max(1)];
                    *l = format!("{key}\": '{inner}'{comma}");
                }
            }
        }
        Malformed::MissingComma => {
            if let Some(l) = lines.iter_mut().find(|l| l.ends_with(',')) {
                l.pop();
            }
        }
        Malformed::TrailingComma => {
            if last > 0 {
                lines[last - 1].push(',');
            }
        }
        Malformed::Snip => {
            if last > 0 {
                lines[last - 1].push(',');
                lines.insert(last, "  <snip>".to_owned());
            }
        }
    }
    let mut out = lines.join("\n");
    if serde_json::from_str::<Value>(&out).is_ok() {
        out.push_str("\n<snip>");
    }
    out.push('\n');
    Bytes::from(out)
}

fn header(v: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&v.to_string()).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Smallest answer body compressed when the client accepts gzip.
pub(crate) const GZIP_MIN: usize = 1024;

/// Does `Accept-Encoding` accept gzip (`gzip` or `x-gzip`, not with `q=0`)?
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
}

/// gzip at level 1 (nginx's default `gzip_comp_level`: cheap for the server).
fn gzip(body: &[u8]) -> Bytes {
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::fast());
    let _ = enc.write_all(body);
    Bytes::from(enc.finish().unwrap_or_default())
}

/// A gzip body that inflates to `{"bomb":"aaa…"}` of `inflated` bytes (at least the braces).
fn gzip_bomb(inflated: u64) -> Bytes {
    let head = b"{\"bomb\":\"";
    let tail = b"\"}";
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let fill = inflated.saturating_sub((head.len() + tail.len()) as u64);
    let _ = enc.write_all(head);
    let chunk = vec![b'a'; 1 << 16];
    let mut left = fill;
    while left > 0 {
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
        let _ = enc.write_all(&chunk[..n]);
        left -= n as u64;
    }
    let _ = enc.write_all(tail);
    Bytes::from(enc.finish().unwrap_or_default())
}

/// Serve one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, Dropped> {
    if crate::admin::is_admin(req.uri().path()) {
        return Ok(crate::admin::handle(&shared, &req));
    }
    let arrival = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let (auth, token) = auth_of(req.headers());
    let wants_gzip = accepts_gzip(req.headers());
    let target = classify(&method, &path);
    let route = target.route();
    let fault = shared.faults.take(route);
    let mut entry = JournalEntry {
        method,
        path,
        query,
        auth,
        authorized: false,
        at: arrival.saturating_duration_since(shared.started),
        route,
        status: None,
        fault: fault.clone(),
        body_len: 0,
        seq: 0,
        token: token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(token_fingerprint),
        user: None,
        counted: false,
        response_bytes: 0,
        sent_bytes: 0,
        gzip: false,
    };
    match &fault {
        Some(Fault::DropBeforeRead) => {
            shared.record(entry);
            return Err(Dropped);
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            shared.record(entry);
            return Err(Dropped);
        }
    };
    entry.body_len = body.len();
    let params = Params(query::parse(entry.query.as_deref()));
    let mut answer = match &fault {
        Some(Fault::Maintenance) => Answer::error(&ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::MAINTENANCE,
            "The Platform is currently under maintenance.",
        )),
        Some(Fault::ProxyHtml(s)) => {
            proxy_page(StatusCode::from_u16(*s).unwrap_or(StatusCode::BAD_GATEWAY))
        }
        Some(Fault::Status { status, code }) => {
            let st = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Answer::error(&ApiError::new(
                st,
                *code,
                st.canonical_reason().unwrap_or("Error"),
            ))
        }
        _ => shared.answer(
            &target,
            &params,
            token.as_deref(),
            &body,
            fault == Some(Fault::RateLimited),
            &mut entry,
        ),
    };
    if let Some(Fault::MalformedBody(v)) = &fault {
        answer.body = malform(*v, &answer.body);
    }
    if fault == Some(Fault::DropAfterRead) {
        shared.record(entry);
        return Err(Dropped);
    }
    entry.status = Some(answer.status.as_u16());

    // The bytes on the wire: compressed when asked (or bombed).
    let no_body = answer.status == StatusCode::NO_CONTENT;
    entry.response_bytes = answer.body.len();
    let wire = if let Some(Fault::GzipBomb { inflated }) = fault {
        entry.response_bytes = usize::try_from(inflated).unwrap_or(usize::MAX);
        entry.gzip = true;
        tokio::task::spawn_blocking(move || gzip_bomb(inflated))
            .await
            .unwrap_or_default()
    } else if wants_gzip && !no_body && answer.body.len() >= GZIP_MIN {
        entry.gzip = true;
        gzip(&answer.body)
    } else {
        answer.body
    };
    let gzipped = entry.gzip;
    let full_len = wire.len();
    let body = if fault == Some(Fault::TruncatedBody) {
        entry.sent_bytes = full_len / 2;
        MockBody::truncated(wire.slice(..full_len / 2))
    } else {
        entry.sent_bytes = full_len;
        MockBody::full(wire)
    };
    shared.record(entry);

    let mut resp = Response::new(body);
    *resp.status_mut() = answer.status;
    let h = resp.headers_mut();
    if !answer.content_type.is_empty() {
        h.insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    }
    if gzipped {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if !no_body {
        h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let announced = if fault == Some(Fault::TruncatedBody) {
        full_len.max(1)
    } else {
        full_len
    };
    // A 204 carries neither a body nor a `Content-Length` (RFC 9110, 8.6).
    if !no_body {
        h.insert(CONTENT_LENGTH, header(announced));
    }
    if let Some(r) = answer.rate {
        h.insert(
            HeaderName::from_static("x-ratelimit-limit"),
            header(r.limit),
        );
        h.insert(
            HeaderName::from_static("x-ratelimit-remaining"),
            header(r.remaining),
        );
        h.insert(
            HeaderName::from_static("x-ratelimit-reset"),
            header(r.reset),
        );
    }
    if let Some(t) = answer.total {
        h.insert(HeaderName::from_static("x-total-matching-query"), header(t));
    }
    Ok(resp)
}

/// Accept connections until `stop` turns true, then finish the open ones (5 s at most).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of file descriptors and the like: wait a little, go on.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        let builder = builder.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            match tls {
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_classified() {
        let g = Method::GET;
        let p = Method::POST;
        assert_eq!(classify(&g, "/v2/tasks"), Target::List);
        assert_eq!(classify(&p, "/v2/tasks/"), Target::Create);
        assert_eq!(classify(&g, "/v2/tasks/x"), Target::Get("x".into()));
        assert_eq!(
            classify(&p, "/v2/tasks/x/actions/clone"),
            Target::Action("x".into(), "clone".into())
        );
        assert_eq!(
            classify(&p, "/v2/tasks//actions/run"),
            Target::Action("".into(), "run".into())
        );
        assert_eq!(
            classify(&g, "/v2/tasks/x/actions/run"),
            Target::MethodNotAllowed(Route::RunTask)
        );
        assert_eq!(classify(&g, "/v2/rate_limit"), Target::RateLimit);
        assert_eq!(
            classify(&Method::PATCH, "/v2/tasks/x"),
            Target::Modify("x".into())
        );
        assert_eq!(
            classify(&Method::DELETE, "/v2/tasks/x"),
            Target::Delete("x".into())
        );
        assert_eq!(
            classify(&Method::PUT, "/v2/tasks/x"),
            Target::MethodNotAllowed(Route::GetTask)
        );
        assert_eq!(
            classify(&g, "/v2/tasks/x/inputs"),
            Target::Inputs("x".into())
        );
        assert_eq!(
            classify(&Method::PATCH, "/v2/tasks/x/inputs"),
            Target::ModifyInputs("x".into())
        );
        assert_eq!(classify(&p, "/v2/bulk/tasks/get"), Target::BulkGet);
        assert_eq!(
            classify(&g, "/v2/bulk/tasks/get"),
            Target::MethodNotAllowed(Route::BulkGet)
        );
        assert_eq!(classify(&g, "/v1/tasks"), Target::NotFound);
    }

    #[test]
    fn every_malformed_variant_is_not_json() {
        let body = br#"{"id":"a","status":"DRAFT","n":1}"#;
        for v in [
            Malformed::DocBatchExample,
            Malformed::SingleQuotes,
            Malformed::MissingComma,
            Malformed::TrailingComma,
            Malformed::Snip,
            Malformed::NotJson,
        ] {
            let out = malform(v, body);
            assert!(
                serde_json::from_slice::<Value>(&out).is_err(),
                "{v:?}: {out:?}"
            );
        }
        assert!(malform(Malformed::Empty, body).is_empty());
        let sq = malform(Malformed::SingleQuotes, body);
        assert!(String::from_utf8_lossy(&sq).contains("\"id\": 'a'"));
    }
}
