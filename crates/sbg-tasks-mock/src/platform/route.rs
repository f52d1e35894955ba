//! Where a request goes: its route ([`Target`]), its token and its query parameters.

use http::header::AUTHORIZATION;
use http::{HeaderMap, Method};

use crate::api_error::ApiError;
use crate::fault::Route;
use crate::journal::AuthScheme;
use crate::store::Fields;

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
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
    pub(crate) fn route(&self) -> Route {
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

pub(crate) fn classify(method: &Method, path: &str) -> Target {
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

pub(crate) fn auth_of(headers: &HeaderMap) -> (AuthScheme, Option<String>) {
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

/// The query's parameters, in order.
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    pub(crate) fn bool(&self, k: &str) -> Result<Option<bool>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_request(format!(
                "Bad request: query parameter `{k}` must be true or false, not {other:?}."
            ))),
        }
    }

    pub(crate) fn fields(&self) -> Fields {
        Fields::parse(self.get("fields"))
    }
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
}
