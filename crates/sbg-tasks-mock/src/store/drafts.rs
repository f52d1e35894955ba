//! New drafts: create, clone (each optionally followed by a run).

use std::time::Instant;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::actions::RunOpts;
use super::validation::validate;
use super::{new_id, Store, TaskRecord};
use crate::api_error::{codes, ApiError};

/// What the `action` query parameter of create and clone asks for once the draft is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DraftAction {
    /// No `action`: the new task stays a DRAFT.
    #[default]
    Keep,
    /// `action=run`: the new draft is run (create runs it only without validation errors).
    Run,
}

impl DraftAction {
    /// Parse `action` (absent, `run`); 400/7014 when empty, 400/7013 for anything else.
    pub(crate) fn parse(action: Option<&str>) -> Result<DraftAction, ApiError> {
        match action {
            None => Ok(DraftAction::Keep),
            Some("run") => Ok(DraftAction::Run),
            Some("") => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::EMPTY_ACTION,
                "Action parameter must not be null or an empty string.",
            )),
            Some(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_ACTION,
                "Invalid task action.",
            )),
        }
    }
}

/// Options of clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct CloneOpts {
    pub(crate) action: DraftAction,
    pub(crate) batch: Option<bool>,
    pub(crate) interruptible: Option<bool>,
}

/// 400/7023: `batch_input` and `batch_by` come together or not at all.
pub(super) fn batch_not_together() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        codes::BATCH_FIELDS_TOGETHER,
        "Missing batch_by or batch_input fields. These fields must be included together.",
    )
}

/// Check a `batch_input` and `batch_by` pair against the task's `inputs`: 400/7018 when the
/// input is not one of them, 400/7020 for a type other than ITEM or CRITERIA, 400/7019 for
/// CRITERIA without criteria.
pub(super) fn check_batch(
    inputs: Option<&Value>,
    input: &Value,
    by: &Value,
) -> Result<(), ApiError> {
    let batch_err = |code, msg: &str| ApiError::new(StatusCode::BAD_REQUEST, code, msg);
    let input = input.as_str().unwrap_or_default();
    let exists = inputs.and_then(|i| i.get(input)).is_some();
    if input.is_empty() || !exists {
        return Err(batch_err(
            codes::BATCH_INPUT_INVALID,
            "Batch input property should reference input identifier or omitted. Empty value is not allowed.",
        ));
    }
    let kind = by
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    match kind.as_str() {
        "ITEM" => Ok(()),
        "CRITERIA" => {
            let has = by
                .get("criteria")
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty());
            if has {
                Ok(())
            } else {
                Err(batch_err(
                    codes::BATCH_CRITERIA_MISSING,
                    "Missing batch criteria.",
                ))
            }
        }
        _ => Err(batch_err(
            codes::BATCH_TYPE_INVALID,
            "Invalid batch type supplied. Allowed values: [criteria, item].",
        )),
    }
}

impl Store {
    /// `POST /v2/tasks/{id}/actions/clone`: returns the new id.
    pub(crate) fn clone_task(
        &mut self,
        id: &str,
        opts: &CloneOpts,
        user: &str,
        now: Instant,
    ) -> Result<String, ApiError> {
        let src = &self
            .tasks
            .get(id)
            .ok_or_else(ApiError::not_found_task)?
            .body;
        let mut draft = Map::new();
        for k in [
            "name",
            "description",
            "project",
            "app",
            "type",
            "batch",
            "batch_input",
            "batch_by",
            "use_interruptible_instances",
            "execution_settings",
            "output_location",
            "inputs",
        ] {
            if let Some(v) = src.get(k) {
                draft.insert(k.to_owned(), v.clone());
            }
        }
        let outputs: Map<String, Value> = src
            .get("outputs")
            .and_then(Value::as_object)
            .map(|o| o.keys().map(|k| (k.clone(), json!({}))).collect())
            .unwrap_or_default();
        draft.insert("outputs".into(), Value::Object(outputs));
        if opts.batch == Some(false) {
            draft.insert("batch".into(), false.into());
            draft.shift_remove("batch_input");
            draft.shift_remove("batch_by");
        }
        if let Some(i) = opts.interruptible {
            draft.insert("use_interruptible_instances".into(), i.into());
        }
        let new = self.add_draft(draft, user, now);
        if let Some(r) = self.tasks.get_mut(&new) {
            r.copy_of = Some(id.to_owned());
        }
        if opts.action == DraftAction::Run {
            self.run(&new, RunOpts::default(), user, now)?;
        }
        Ok(new)
    }

    /// Make a DRAFT from the given members (validation errors computed); returns its id.
    fn add_draft(&mut self, src: Map<String, Value>, user: &str, now: Instant) -> String {
        let id = new_id();
        let errors = validate(src.get("inputs"), self.ctx.cfg.known_files.as_ref());
        let get = |k: &str| src.get(k).cloned();
        let mut body = Map::new();
        body.insert("href".into(), self.ctx.href(&id).into());
        body.insert("id".into(), id.clone().into());
        if let Some(v) = get("name") {
            body.insert("name".into(), v);
        }
        if let Some(v) = get("description") {
            body.insert("description".into(), v);
        }
        body.insert("status".into(), "DRAFT".into());
        for k in ["project", "app"] {
            if let Some(v) = get(k) {
                body.insert(k.into(), v);
            }
        }
        body.insert("type".into(), get("type").unwrap_or_else(|| "v2".into()));
        body.insert("created_by".into(), user.into());
        body.insert("created_time".into(), self.ctx.wall(now).into());
        let batch = get("batch")
            .and_then(|b| b.as_bool())
            .unwrap_or_else(|| src.contains_key("batch_input"));
        body.insert("batch".into(), batch.into());
        for k in ["batch_input", "batch_by"] {
            if let Some(v) = get(k) {
                body.insert(k.into(), v);
            }
        }
        body.insert(
            "use_interruptible_instances".into(),
            get("use_interruptible_instances").unwrap_or(Value::Bool(false)),
        );
        for k in ["execution_settings", "output_location"] {
            if let Some(v) = get(k) {
                body.insert(k.into(), v);
            }
        }
        body.insert("errors".into(), Value::Array(errors));
        body.insert("warnings".into(), json!([]));
        body.insert("inputs".into(), get("inputs").unwrap_or_else(|| json!({})));
        body.insert(
            "outputs".into(),
            get("outputs").unwrap_or_else(|| json!({})),
        );
        self.insert_record(id.clone(), TaskRecord::new(body, 0));
        id
    }

    /// `POST /v2/tasks`: returns the new id. `batch == Some(false)` (the `batch=false` query)
    /// makes the draft with batching off: `batch: false`, no `batch_input`/`batch_by`.
    pub(crate) fn create(
        &mut self,
        req: &Value,
        action: DraftAction,
        batch: Option<bool>,
        user: &str,
        now: Instant,
    ) -> Result<String, ApiError> {
        let Value::Object(src) = req else {
            return Err(ApiError::bad_request(
                "The request body must be a JSON object.",
            ));
        };
        let app = src.get("app").and_then(Value::as_str).unwrap_or_default();
        if app.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::EMPTY_APP,
                "App Id must not be null or an empty string.",
            ));
        }
        if src
            .get("project")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .is_empty()
        {
            return Err(ApiError::bad_request("Bad request: `project` is required."));
        }
        if src.get("inputs").is_some_and(|i| !i.is_object()) {
            return Err(ApiError::bad_request(
                "Bad request: `inputs` must be an object.",
            ));
        }
        match (src.get("batch_input"), src.get("batch_by")) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => return Err(batch_not_together()),
            (Some(input), Some(by)) => check_batch(src.get("inputs"), input, by)?,
        }
        let mut draft = src.clone();
        if !draft.contains_key("name") {
            let short = app.rsplit('/').nth(1).unwrap_or(app);
            draft.insert(
                "name".into(),
                format!("{short} run - {}", self.ctx.wall(now)).into(),
            );
        }
        draft.shift_remove("type");
        if batch == Some(false) {
            draft.insert("batch".into(), false.into());
            draft.shift_remove("batch_input");
            draft.shift_remove("batch_by");
        }
        let id = self.add_draft(draft, user, now);
        let has_errors = self
            .tasks
            .get(&id)
            .and_then(|r| r.body.get("errors"))
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty());
        if action == DraftAction::Run && !has_errors {
            self.run(&id, RunOpts::default(), user, now)?;
        }
        Ok(id)
    }
}
