//! Changes to an existing task: modify (`PATCH`), its inputs, delete.
//!
//! Only a DRAFT can be changed; a task in any other status can only be renamed (400/7026) and
//! cannot be deleted (400/7010). Members the call does not know, and members of the wrong type,
//! are refused with 400/90000 naming the member: a client that sends them has a bug the mock
//! should show rather than hide.

use std::time::Instant;

use http::StatusCode;
use serde_json::{Map, Value};

use super::drafts::{batch_not_together, check_batch};
use super::fields::Fields;
use super::validation::validate;
use super::{Store, TaskCopy};
use crate::api_error::{codes, ApiError};

/// `execution_settings` members and the JSON type each takes (null is always accepted).
const SETTINGS: &[(&str, Kind)] = &[
    ("instance_type", Kind::String),
    ("max_parallel_instances", Kind::Count),
    ("use_memoization", Kind::Bool),
    ("use_elastic_disk", Kind::Bool),
];

#[derive(Clone, Copy)]
enum Kind {
    String,
    NullableString,
    Bool,
    Count,
    Object,
    Any,
}

impl Kind {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Kind::String => v.is_string(),
            Kind::NullableString => v.is_string() || v.is_null(),
            Kind::Bool => v.is_boolean(),
            Kind::Count => v.as_u64().is_some_and(|n| n > 0),
            Kind::Object => v.is_object(),
            Kind::Any => true,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::NullableString => "a string or null",
            Kind::Bool => "true or false",
            Kind::Count => "a positive integer",
            Kind::Object => "an object",
            Kind::Any => "a value",
        }
    }
}

/// Members `PATCH /v2/tasks/{id}` takes, and their types.
const MEMBERS: &[(&str, Kind)] = &[
    ("name", Kind::String),
    ("description", Kind::NullableString),
    ("use_interruptible_instances", Kind::Bool),
    ("execution_settings", Kind::Object),
    ("inputs", Kind::Object),
    ("output_location", Kind::Any),
    ("batch", Kind::Bool),
    ("batch_input", Kind::Any),
    ("batch_by", Kind::Any),
];

fn not_draft_change() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        codes::ONLY_RENAME,
        "A task that is RUNNING or COMPLETED can only be renamed.",
    )
}

fn object(req: &Value) -> Result<&Map<String, Value>, ApiError> {
    req.as_object().ok_or_else(|| {
        ApiError::bad_request("Bad request: the request body must be a JSON object.")
    })
}

/// 400/90000 for an unknown member or one of the wrong type.
fn check_members(patch: &Map<String, Value>) -> Result<(), ApiError> {
    for (k, v) in patch {
        let Some((_, kind)) = MEMBERS.iter().find(|(m, _)| m == k) else {
            return Err(ApiError::bad_request(format!(
                "Bad request: `{k}` is not a member that can be modified."
            )));
        };
        if !kind.accepts(v) {
            return Err(ApiError::bad_request(format!(
                "Bad request: `{k}` must be {}.",
                kind.what()
            )));
        }
    }
    if let Some(Value::Object(es)) = patch.get("execution_settings") {
        for (k, v) in es {
            let Some((_, kind)) = SETTINGS.iter().find(|(m, _)| m == k) else {
                return Err(ApiError::bad_request(format!(
                    "Bad request: `execution_settings.{k}` is not an execution setting."
                )));
            };
            if !v.is_null() && !kind.accepts(v) {
                return Err(ApiError::bad_request(format!(
                    "Bad request: `execution_settings.{k}` must be {} or null.",
                    kind.what()
                )));
            }
        }
    }
    Ok(())
}

/// What a modify does to batching.
enum Batching {
    Keep,
    Off,
    On(Option<(Value, Value)>),
}

fn batching(
    patch: &Map<String, Value>,
    current: &Map<String, Value>,
    inputs: &Value,
) -> Result<Batching, ApiError> {
    let flag = patch.get("batch").and_then(Value::as_bool);
    let conflict = || {
        ApiError::bad_request(
            "Bad request: `batch` contradicts `batch_input` and `batch_by` in the same request.",
        )
    };
    match (patch.get("batch_input"), patch.get("batch_by")) {
        (Some(_), None) | (None, Some(_)) => Err(batch_not_together()),
        (Some(Value::Null), Some(Value::Null)) => match flag {
            Some(true) => Err(conflict()),
            _ => Ok(Batching::Off),
        },
        (Some(Value::Null), Some(_)) | (Some(_), Some(Value::Null)) => Err(batch_not_together()),
        (Some(input), Some(by)) => {
            if flag == Some(false) {
                return Err(conflict());
            }
            check_batch(Some(inputs), input, by)?;
            Ok(Batching::On(Some((input.clone(), by.clone()))))
        }
        (None, None) => match flag {
            None => Ok(Batching::Keep),
            Some(false) => Ok(Batching::Off),
            Some(true) => {
                let has = |k: &str| current.get(k).is_some_and(|v| !v.is_null());
                if has("batch_input") && has("batch_by") {
                    Ok(Batching::On(None))
                } else {
                    Err(batch_not_together())
                }
            }
        },
    }
}

/// Merge `patch` into the object `target` member by member (null is stored as null).
fn merge(target: &mut Value, patch: &Map<String, Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch {
            t.insert(k.clone(), v.clone());
        }
    }
}

impl Store {
    /// `PATCH /v2/tasks/{id}`: change a DRAFT (or rename any task).
    pub(crate) fn modify(&mut self, id: &str, req: &Value, now: Instant) -> Result<(), ApiError> {
        self.refresh(id, now);
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        let patch = object(req)?;
        check_members(patch)?;
        if rec.status() != "DRAFT" && patch.keys().any(|k| k != "name") {
            return Err(not_draft_change());
        }
        let mut inputs = rec
            .body
            .get("inputs")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let new_inputs = patch.get("inputs").and_then(Value::as_object);
        if let Some(p) = new_inputs {
            merge(&mut inputs, p);
        }
        let batch = batching(patch, &rec.body, &inputs)?;
        let errors = new_inputs.map(|_| validate(Some(&inputs), self.ctx.cfg.known_files.as_ref()));
        let rec = self
            .tasks
            .get_mut(id)
            .ok_or_else(ApiError::not_found_task)?;
        for k in [
            "name",
            "description",
            "use_interruptible_instances",
            "output_location",
        ] {
            if let Some(v) = patch.get(k) {
                rec.set(k, v.clone());
            }
        }
        if let Some(Value::Object(es)) = patch.get("execution_settings") {
            let mut current = rec
                .body
                .get("execution_settings")
                .cloned()
                .unwrap_or(Value::Null);
            merge(&mut current, es);
            rec.set("execution_settings", current);
        }
        if let Some(errors) = errors {
            rec.set("inputs", inputs);
            rec.set("errors", Value::Array(errors));
        }
        match batch {
            Batching::Keep => {}
            Batching::Off => {
                rec.set("batch", false.into());
                rec.body.shift_remove("batch_input");
                rec.body.shift_remove("batch_by");
            }
            Batching::On(members) => {
                rec.set("batch", true.into());
                if let Some((input, by)) = members {
                    rec.set("batch_input", input);
                    rec.set("batch_by", by);
                }
            }
        }
        Ok(())
    }

    /// `GET /v2/tasks/{id}/inputs`: the inputs map, its ports selected by `fields`.
    pub(crate) fn inputs(
        &mut self,
        id: &str,
        fields: &Fields,
        now: Instant,
    ) -> Result<Value, ApiError> {
        self.refresh(id, now);
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        let inputs = rec
            .body
            .get("inputs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Ok(Value::Object(fields.filter(&inputs)))
    }

    /// `PATCH /v2/tasks/{id}/inputs`: merge a partial inputs map into a DRAFT's (400/7026
    /// otherwise), re-validate, answer the whole map.
    pub(crate) fn modify_inputs(
        &mut self,
        id: &str,
        req: &Value,
        now: Instant,
    ) -> Result<Value, ApiError> {
        self.refresh(id, now);
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        let patch = object(req)?;
        if rec.status() != "DRAFT" {
            return Err(not_draft_change());
        }
        let mut inputs = rec
            .body
            .get("inputs")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        merge(&mut inputs, patch);
        let errors = validate(Some(&inputs), self.ctx.cfg.known_files.as_ref());
        let rec = self
            .tasks
            .get_mut(id)
            .ok_or_else(ApiError::not_found_task)?;
        rec.set("inputs", inputs.clone());
        rec.set("errors", Value::Array(errors));
        Ok(inputs)
    }

    /// `DELETE /v2/tasks/{id}`: only a DRAFT (400/7010 otherwise).
    pub(crate) fn delete(&mut self, id: &str, now: Instant) -> Result<(), ApiError> {
        self.refresh(id, now);
        let rec = self.tasks.get(id).ok_or_else(ApiError::not_found_task)?;
        if rec.status() != "DRAFT" {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::NOT_DRAFT,
                "Only DRAFT tasks can be deleted.",
            ));
        }
        if let Some(rec) = self.tasks.remove(id) {
            self.unindex(id, &rec);
            if let Some(original) = rec.copy_of {
                let copy = TaskCopy {
                    original,
                    id: id.to_owned(),
                    status: "DELETED".to_owned(),
                    ran: false,
                };
                self.deleted_copies.push((rec.seq, copy));
            }
        }
        Ok(())
    }
}
