//! A stateful fake of the platform's task calls, in memory, for the bulk-action tests: clone,
//! run, abort, delete, modify, get, bulk get and list (project, parent, status,
//! `created_from`, offset, limit), 1-second timestamps, and faults injected per request.
//! It answers a request at the moment it is handed one (`handle`), at the time given.

use std::collections::{BTreeMap, HashMap};

use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::transport::{TransportErrorKind, TransportFailure};
use serde_json::{json, Value};

pub type Outcome = Result<Response<Vec<u8>>, TransportFailure>;

/// A fault for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The platform acts, the answer is lost (the connection drops after the request).
    LostAfterAct,
    /// 503 (maintenance) before acting.
    Unavailable,
    /// 429 before acting, the window resets a second later.
    RateLimited,
}

#[derive(Debug, Clone)]
pub struct FakeTask {
    pub id: String,
    pub status: String,
    pub project: String,
    pub app: String,
    pub name: String,
    pub inputs: Value,
    pub created: u64,
    pub parent: Option<String>,
    /// The task this one is a copy of.
    pub cloned_from: Option<String>,
    /// Runs accepted.
    pub runs: u32,
}

/// What the fake saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub clones: u64,
    pub clones_acted: u64,
    pub runs: u64,
    pub gets: u64,
    pub bulk_gets: u64,
    /// List pages of a selection (not `status=DRAFT&created_from`).
    pub selection_pages: u64,
    /// List pages of the orphan rule (`status=DRAFT` with `created_from`).
    pub recovery_pages: u64,
    pub other: u64,
    pub faults: u64,
}

/// A fixed rate-limit window, as the platform keeps one per user.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub limit: u64,
    pub len: u64,
    pub remaining: u64,
    pub reset: u64,
}

#[derive(Debug, Default)]
pub struct FakePlatform {
    /// The rate-limit window, when the fake keeps one (`X-RateLimit-*` on every answer, 429
    /// once it is spent).
    pub window: Option<Window>,
    /// 429s answered because the window was spent.
    pub rate_limited: u64,
    /// When each request came (Unix seconds).
    pub times: Vec<u64>,
    pub tasks: BTreeMap<String, FakeTask>,
    pub deleted: Vec<String>,
    pub counts: Counts,
    next: u64,
    /// Faults to inject, by request number (0-based).
    pub faults: HashMap<u64, Fault>,
}

pub fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn rfc3339(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn parse_time(s: &str) -> u64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp() as u64
}

/// A query value, percent- and `+`-decoded.
pub fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn answer(status: u16, body: Value) -> Outcome {
    Ok(Response::builder()
        .status(status)
        .body(body.to_string().into_bytes())
        .unwrap())
}

fn error(status: u16, code: u32) -> Outcome {
    answer(
        status,
        json!({"status": status, "code": code, "message": "fake"}),
    )
}

impl FakeTask {
    pub fn json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "href": format!("https://fake/v2/tasks/{}", self.id),
            "status": self.status, "project": self.project, "app": self.app,
            "name": self.name, "inputs": self.inputs, "created_time": rfc3339(self.created),
        });
        if let Some(p) = &self.parent {
            v["parent"] = json!(p);
        }
        v
    }
}

impl FakePlatform {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a task; its id.
    pub fn add(&mut self, status: &str, project: &str, created: u64) -> String {
        self.next += 1;
        let id = uuid(self.next);
        let n = self.next;
        self.tasks.insert(
            id.clone(),
            FakeTask {
                id: id.clone(),
                status: status.into(),
                project: project.into(),
                app: "me/p/bwa/1".into(),
                name: format!("task {n}"),
                inputs: json!({"reads": {"class": "File", "path": format!("f{n}")}}),
                created,
                parent: None,
                cloned_from: None,
                runs: 0,
            },
        );
        id
    }

    /// The copies of `original`.
    pub fn copies_of(&self, original: &str) -> Vec<&FakeTask> {
        self.tasks
            .values()
            .filter(|t| t.cloned_from.as_deref() == Some(original))
            .collect()
    }

    /// Answers `req` at Unix second `now`, with the fault scheduled for it, if any.
    pub fn handle(&mut self, req: &Request<Vec<u8>>, now: u64) -> Outcome {
        let Some(mut w) = self.window else {
            return self.handle_unlimited(req, now);
        };
        if now >= w.reset {
            w.remaining = w.limit;
            while w.reset <= now {
                w.reset += w.len;
            }
        }
        let spent = w.remaining == 0;
        w.remaining = w.remaining.saturating_sub(1);
        self.window = Some(w);
        let answer = if spent {
            self.counts.requests += 1;
            self.times.push(now);
            self.rate_limited += 1;
            error(429, 1000)
        } else {
            self.handle_unlimited(req, now)
        };
        answer.map(|mut a| {
            let h = a.headers_mut();
            h.insert("x-ratelimit-limit", w.limit.into());
            h.insert("x-ratelimit-remaining", w.remaining.into());
            h.insert("x-ratelimit-reset", w.reset.into());
            a
        })
    }

    fn handle_unlimited(&mut self, req: &Request<Vec<u8>>, now: u64) -> Outcome {
        let n = self.counts.requests;
        self.counts.requests += 1;
        self.times.push(now);
        let fault = self.faults.get(&n).copied();
        match fault {
            Some(Fault::Unavailable) => {
                self.counts.faults += 1;
                return error(503, 0);
            }
            Some(Fault::RateLimited) => {
                self.counts.faults += 1;
                return Ok(Response::builder()
                    .status(429)
                    .header("x-ratelimit-limit", "1000")
                    .header("x-ratelimit-remaining", "0")
                    .header("x-ratelimit-reset", (now + 1).to_string())
                    .body(br#"{"status":429,"code":1000,"message":"limited"}"#.to_vec())
                    .unwrap());
            }
            _ => {}
        }
        let answer = self.act(req, now);
        if fault == Some(Fault::LostAfterAct) {
            self.counts.faults += 1;
            return Err(
                TransportFailure::new(TransportErrorKind::Io, "fake: connection reset")
                    .with_request_sent(true),
            );
        }
        answer
    }

    /// Does what `req` asks (no fault).
    pub fn act(&mut self, req: &Request<Vec<u8>>, now: u64) -> Outcome {
        let path = req.uri().path().to_owned();
        let query: HashMap<String, String> = req
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), decode(v)))
            .collect();
        let parts: Vec<&str> = path.trim_start_matches("/v2/").split('/').collect();
        let method = req.method().as_str().to_owned();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["tasks"]) => self.list(&query),
            ("POST", ["bulk", "tasks", "get"]) => {
                self.counts.bulk_gets += 1;
                let body: Value = serde_json::from_slice(req.body()).unwrap();
                let items: Vec<Value> = body["task_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| match self.tasks.get(id.as_str().unwrap()) {
                        Some(t) => json!({"resource": t.json()}),
                        None => json!({"error": {"status": 404, "code": 7002, "message": "no"}}),
                    })
                    .collect();
                answer(200, json!({ "items": items }))
            }
            ("GET", ["tasks", id]) => {
                self.counts.gets += 1;
                match self.tasks.get(*id) {
                    Some(t) => answer(200, t.json()),
                    None => error(404, 7002),
                }
            }
            ("POST", ["tasks", id, "actions", "clone"]) => {
                self.counts.clones += 1;
                assert!(
                    query.get("action").is_none_or(|a| a != "run"),
                    "a bulk rerun never clones with action=run"
                );
                let Some(src) = self.tasks.get(*id).cloned() else {
                    return error(404, 7002);
                };
                self.counts.clones_acted += 1;
                self.next += 1;
                let copy = FakeTask {
                    id: uuid(self.next),
                    status: "DRAFT".into(),
                    created: now,
                    cloned_from: Some(src.id.clone()),
                    runs: 0,
                    parent: None,
                    ..src
                };
                let body = copy.json();
                self.tasks.insert(copy.id.clone(), copy);
                answer(200, body)
            }
            ("POST", ["tasks", id, "actions", "run"]) => {
                self.counts.runs += 1;
                match self.tasks.get_mut(*id) {
                    Some(t) if t.status == "DRAFT" => {
                        t.status = "RUNNING".into();
                        t.runs += 1;
                        answer(200, t.json())
                    }
                    Some(_) => error(400, 7007),
                    None => error(404, 7002),
                }
            }
            ("POST", ["tasks", id, "actions", "abort"]) => {
                self.counts.other += 1;
                match self.tasks.get_mut(*id) {
                    Some(t) if ["QUEUED", "RUNNING", "CREATING"].contains(&t.status.as_str()) => {
                        t.status = "ABORTED".into();
                        answer(200, t.json())
                    }
                    Some(_) => error(400, 7011),
                    None => error(404, 7002),
                }
            }
            ("DELETE", ["tasks", id]) => {
                self.counts.other += 1;
                match self.tasks.get(*id) {
                    Some(t) if t.status == "DRAFT" => {
                        self.tasks.remove(*id);
                        self.deleted.push((*id).to_owned());
                        Ok(Response::builder().status(204).body(Vec::new()).unwrap())
                    }
                    Some(_) => error(400, 7010),
                    None => error(404, 7002),
                }
            }
            ("PATCH", ["tasks", id]) => {
                self.counts.other += 1;
                let body: Value = serde_json::from_slice(req.body()).unwrap();
                match self.tasks.get_mut(*id) {
                    Some(t) if t.status == "DRAFT" => {
                        if let Some(n) = body["name"].as_str() {
                            t.name = n.into();
                        }
                        answer(200, t.json())
                    }
                    Some(_) => error(400, 7026),
                    None => error(404, 7002),
                }
            }
            _ => error(404, 90000),
        }
    }

    fn list(&mut self, q: &HashMap<String, String>) -> Outcome {
        if q.get("status").is_some_and(|s| s == "DRAFT") && q.contains_key("created_from") {
            self.counts.recovery_pages += 1;
        } else {
            self.counts.selection_pages += 1;
        }
        let created_from = q.get("created_from").map(|s| parse_time(s));
        let mut matching: Vec<&FakeTask> = self
            .tasks
            .values()
            .filter(|t| q.get("project").is_none_or(|p| *p == t.project))
            .filter(|t| q.get("parent").is_none_or(|p| Some(p) == t.parent.as_ref()))
            .filter(|t| q.get("status").is_none_or(|s| *s == t.status))
            .filter(|t| created_from.is_none_or(|c| t.created >= c))
            .collect();
        matching.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        let offset: usize = q.get("offset").map_or(0, |o| o.parse().unwrap());
        let limit: usize = q.get("limit").map_or(50, |l| l.parse().unwrap());
        let items: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|t| t.json())
            .collect();
        Ok(Response::builder()
            .status(200)
            .header("x-total-matching-query", matching.len().to_string())
            .body(json!({ "items": items }).to_string().into_bytes())
            .unwrap())
    }
}
