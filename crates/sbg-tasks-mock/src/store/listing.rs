//! `GET /v2/tasks`: filters, order and paging.

use std::time::Instant;

use http::StatusCode;
use serde_json::{Map, Value};

use super::fields::Fields;
use super::{Store, TaskRecord};
use crate::api_error::{codes, ApiError};

/// Statuses a `status` filter may name.
const STATUSES: &[&str] = &[
    "DRAFT",
    "CREATING",
    "QUEUED",
    "RUNNING",
    "ABORTING",
    "COMPLETED",
    "ABORTED",
    "FAILED",
];

/// Is the task a batch parent (`batch: true`)?
fn is_batch(body: &Map<String, Value>) -> bool {
    body.get("batch").and_then(Value::as_bool).unwrap_or(false)
}

/// The id of what made the task: `origin_id`, or `origin` as a string or as an object's `id`.
fn origin_of(body: &Map<String, Value>) -> Option<&str> {
    if let Some(o) = body.get("origin_id").and_then(Value::as_str) {
        return Some(o);
    }
    match body.get("origin")? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Filters and paging of a list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub(crate) project: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) parent: Option<String>,
    /// `batch=true`: only batch parents; `batch=false`: only tasks that are not.
    pub(crate) batch: Option<bool>,
    /// Only tasks made by this origin (an automation run).
    pub(crate) origin_id: Option<String>,
    /// (field, from, to)
    pub(crate) ranges: Vec<(&'static str, Option<String>, Option<String>)>,
    pub(crate) order_by: Option<String>,
    pub(crate) desc: bool,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    pub(crate) fields: Option<Fields>,
}

impl Store {
    /// `GET /v2/tasks`: the page's items and the total matching.
    pub(crate) fn list(
        &mut self,
        q: &ListQuery,
        now: Instant,
    ) -> Result<(Vec<Value>, usize), ApiError> {
        if let Some(s) = &q.status {
            if !STATUSES.contains(&s.as_str()) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::INVALID_STATUS,
                    "Invalid task status. Allowed values: [QUEUED, DRAFT, RUNNING, COMPLETED, ABORTED, ABORTING, FAILED]",
                ));
            }
        }
        for id in self.ids() {
            self.refresh(&id, now);
        }
        let mut matching: Vec<&TaskRecord> = self
            .tasks
            .values()
            .filter(|r| {
                let s = |k: &str| r.body.get(k).and_then(Value::as_str);
                q.project.as_deref().is_none_or(|p| s("project") == Some(p))
                    && q.status.as_deref().is_none_or(|p| s("status") == Some(p))
                    && q.parent.as_deref().is_none_or(|p| s("parent") == Some(p))
                    && q.batch.is_none_or(|b| is_batch(&r.body) == b)
                    && q.origin_id
                        .as_deref()
                        .is_none_or(|o| origin_of(&r.body) == Some(o))
                    && q.ranges.iter().all(|(field, from, to)| match s(field) {
                        None => false,
                        Some(v) => {
                            from.as_deref().is_none_or(|f| v >= f)
                                && to.as_deref().is_none_or(|t| v <= t)
                        }
                    })
            })
            .collect();
        let order_by = q.order_by.clone();
        matching.sort_by(|a, b| {
            let primary = match &order_by {
                Some(k) => {
                    let key = |r: &TaskRecord| {
                        r.body.get(k.as_str()).map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string())
                        })
                    };
                    key(a).cmp(&key(b))
                }
                None => std::cmp::Ordering::Equal,
            };
            primary.then(a.seq.cmp(&b.seq))
        });
        if q.desc {
            matching.reverse();
        }
        let total = matching.len();
        let items = matching
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|r| match &q.fields {
                Some(f) => Value::Object(f.filter(&r.body)),
                None => {
                    let mut m = Map::new();
                    for k in ["href", "id", "name"] {
                        if let Some(v) = r.body.get(k) {
                            m.insert(k.into(), v.clone());
                        }
                    }
                    Value::Object(m)
                }
            })
            .collect();
        Ok((items, total))
    }
}
