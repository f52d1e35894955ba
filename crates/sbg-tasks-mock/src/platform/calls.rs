//! The calls: what each route does to the store, and the bodies it answers.

use std::collections::HashSet;
use std::time::Instant;

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

use super::{Answer, MockPlatform, Params, Target};
use crate::api_error::{codes, ApiError};
use crate::query;
use crate::ratelimit::RateInfo;
use crate::store::{whole_seconds, CloneOpts, DraftAction, Fields, ListQuery, RunOpts, ORDER_BY};
use crate::sync::lock;

/// Most ids a bulk call takes (the platform's bulk limit).
pub(crate) const BULK_MAX: usize = 100;

impl MockPlatform {
    pub(super) fn dispatch(
        &self,
        target: &Target,
        params: &Params,
        user: &str,
        body: &[u8],
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
                        let mut a = ok(store.view(&new, &params.fields(), now)?);
                        a.copy = Some((id.clone(), new));
                        Ok(a)
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
    fn bulk_get(&self, params: &Params, body: &[u8], now: Instant) -> Result<Answer, ApiError> {
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
            let bound = |k: &str| -> Result<Option<i64>, ApiError> {
                params
                    .get(k)
                    .map(|v| {
                        whole_seconds(v).ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "Bad request: `{k}` must be a date and time such as 2016-04-07T11:04:42Z."
                            ))
                        })
                    })
                    .transpose()
            };
            let (f, t) = (bound(from)?, bound(to)?);
            if f.is_some() || t.is_some() {
                ranges.push((field, f, t));
            }
        }
        let order_by = params.get("order_by");
        if let Some(o) = order_by {
            if !ORDER_BY.contains(&o) {
                return Err(ApiError::bad_request(format!(
                    "Bad request: `order_by` is one of {}.",
                    ORDER_BY.join(", ")
                )));
            }
        }
        let q = ListQuery {
            project: params.get("project").map(str::to_owned),
            status: params.get("status").map(str::to_owned),
            parent: params.get("parent").map(str::to_owned),
            batch: params.bool("batch")?,
            origin_id: params.get("origin_id").map(str::to_owned),
            ranges,
            order_by: order_by.map(str::to_owned),
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
