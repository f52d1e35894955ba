//! `GET /v2/tasks`: filters, order and paging.

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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

/// What `order_by` may name.
pub(crate) const ORDER_BY: &[&str] = &[
    "created_time",
    "start_time",
    "name",
    "end_time",
    "created_by",
];

/// A timestamp (RFC 3339) as whole Unix seconds: the platform's 1-second precision, so
/// `11:04:42.9Z` is `11:04:42Z`. `None` when it is not RFC 3339.
pub(crate) fn whole_seconds(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

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

/// The members whose change makes a new version for lagging listings.
const LISTED_KEYS: &[&str] = &["status", "start_time", "end_time", "name"];

impl TaskRecord {
    /// With a listing lag, remember the task as it is at `now` if listings have not seen
    /// this version yet; without one, forget what was remembered.
    pub(super) fn note_listed(&mut self, lag: Duration, now: Instant) {
        if lag.is_zero() {
            if !self.listed.is_empty() {
                self.listed.clear();
            }
            return;
        }
        let same = self.listed.back().is_some_and(|(_, seen)| {
            LISTED_KEYS
                .iter()
                .all(|k| seen.get(*k) == self.body.get(*k))
        });
        if !same {
            self.listed.push_back((Some(now), self.body.clone()));
        }
    }

    /// Drop the versions a listing at `now` with `lag` will never show again (all but the
    /// latest one noticed at or before `now - lag`).
    fn prune_listed(&mut self, lag: Duration, now: Instant) {
        if let Some(last) = self.listed_index(lag, now) {
            self.listed.drain(..last);
        }
    }

    /// The task as a listing at `now` sees it with `lag`: the latest version noticed at or
    /// before `now - lag`; `None` if there is none yet.
    fn listed_at(&self, lag: Duration, now: Instant) -> Option<&Map<String, Value>> {
        if lag.is_zero() {
            return Some(&self.body);
        }
        self.listed_index(lag, now)
            .and_then(|i| self.listed.get(i))
            .map(|(_, b)| b)
    }

    /// Where in `listed` the version a listing at `now` with `lag` sees is.
    fn listed_index(&self, lag: Duration, now: Instant) -> Option<usize> {
        if lag.is_zero() {
            return None;
        }
        let cutoff = now.checked_sub(lag);
        let visible = |at: &Option<Instant>| at.is_none_or(|t| cutoff.is_some_and(|c| t <= c));
        self.listed.iter().rposition(|(at, _)| visible(at))
    }
}

/// What a listing sorts by (one kind per listing), before the order tasks were made in.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    None,
    Time(Option<i64>),
    Text(Option<String>),
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
    /// (field, from, to): inclusive bounds in whole Unix seconds.
    pub(crate) ranges: Vec<(&'static str, Option<i64>, Option<i64>)>,
    pub(crate) order_by: Option<String>,
    pub(crate) desc: bool,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    pub(crate) fields: Option<Fields>,
}

impl Store {
    /// Listings lag by `lag` from now on; every task as it is now is listed at once.
    pub(crate) fn set_listing_lag(&mut self, lag: Duration) {
        self.ctx.cfg.listing_lag = lag;
        for r in self.tasks.values_mut() {
            r.listed.clear();
            if !lag.is_zero() {
                r.listed.push_back((None, r.body.clone()));
            }
        }
    }

    /// How long listings lag.
    pub(crate) fn listing_lag(&self) -> Duration {
        self.ctx.cfg.listing_lag
    }

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
        // Only what the listing can show is brought up to date and read: a project's tasks
        // when it names one, so that listing one project of many costs that project's
        // tasks, not the store's.
        let ids = match &q.project {
            Some(p) => self.project_ids(p).to_vec(),
            None => self.ids(),
        };
        let lag = self.ctx.cfg.listing_lag;
        for id in &ids {
            self.refresh(id, now);
            if let Some(r) = self.tasks.get_mut(id) {
                r.prune_listed(lag, now);
            }
        }
        let mut matching: Vec<(&Map<String, Value>, u64)> = ids
            .iter()
            .filter_map(|id| self.tasks.get(id))
            .filter_map(|r| r.listed_at(lag, now).map(|b| (b, r.seq)))
            .filter(|(body, _)| {
                let s = |k: &str| body.get(k).and_then(Value::as_str);
                q.project.as_deref().is_none_or(|p| s("project") == Some(p))
                    && q.status.as_deref().is_none_or(|p| s("status") == Some(p))
                    && q.parent.as_deref().is_none_or(|p| s("parent") == Some(p))
                    && q.batch.is_none_or(|b| is_batch(body) == b)
                    && q.origin_id
                        .as_deref()
                        .is_none_or(|o| origin_of(body) == Some(o))
                    && q.ranges.iter().all(|(field, from, to)| {
                        match s(field).and_then(whole_seconds) {
                            None => false,
                            Some(v) => from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t),
                        }
                    })
            })
            .collect();
        // Each item's key is computed once (a time is parsed once, not at every comparison).
        let order_by = q.order_by.as_deref();
        matching.sort_by_cached_key(|(body, seq)| {
            let key = match order_by {
                // Times compare at the platform's precision (whole seconds); a task without
                // one (not started, not ended) sorts first.
                Some(k) if k.ends_with("_time") => {
                    SortKey::Time(body.get(k).and_then(Value::as_str).and_then(whole_seconds))
                }
                Some(k) => SortKey::Text(body.get(k).map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                })),
                None => SortKey::None,
            };
            (key, *seq)
        });
        if q.desc {
            matching.reverse();
        }
        let total = matching.len();
        let items = matching
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|(body, _)| match &q.fields {
                Some(f) => Value::Object(f.filter(body)),
                None => {
                    let mut m = Map::new();
                    for k in ["href", "id", "name"] {
                        if let Some(v) = body.get(k) {
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
