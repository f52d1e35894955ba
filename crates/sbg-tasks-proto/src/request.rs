//! Request assembly shared by every endpoint.

use std::fmt::Write as _;

use http::{header, HeaderValue, Method, Request};

use crate::endpoint::{BuildError, Endpoint};
use crate::{Config, Fields};

/// Builds `endpoint`'s request against `config`.
///
/// Scheme, authority and every fixed header value are parsed once, in [`Config`]; only the
/// path and query are new per request, written by [`Endpoint::write_target`] into one buffer.
pub(crate) fn build<E: Endpoint + ?Sized>(
    config: &Config,
    endpoint: &E,
) -> Result<Request<Vec<u8>>, BuildError> {
    let body = endpoint.body()?;
    let prefix = config.base_url().path_prefix();
    let mut pq = String::with_capacity(prefix.len() + 128);
    pq.push_str(prefix);
    endpoint.write_target(&mut pq);
    // The error path writes the target again rather than keep a copy on the fast path.
    let url_error = |e: &dyn std::fmt::Display| {
        let mut target = String::new();
        endpoint.write_target(&mut target);
        BuildError::Url {
            url: format!("{}{target}", config.base_url()),
            reason: e.to_string(),
        }
    };
    let path_and_query = http::uri::PathAndQuery::from_maybe_shared(pq)
        .map_err(|e: http::uri::InvalidUri| url_error(&e))?;
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(config.scheme().clone());
    parts.authority = Some(config.authority().clone());
    parts.path_and_query = Some(path_and_query);
    let uri = http::Uri::from_parts(parts).map_err(|e| url_error(&e))?;

    let method = endpoint.method();
    let has_body = body.is_some();
    let mut req = Request::new(body.unwrap_or_default());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    // The fixed headers were made once, in `Config`: a clone is cheaper than inserting them.
    let bodyless = matches!(*req.method(), Method::GET | Method::HEAD);
    *req.headers_mut() = match (bodyless, has_body) {
        (true, false) => config.headers().clone(),
        (false, false) => config.headers_empty_body().clone(),
        (_, true) => {
            let mut headers = config.headers().clone();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if !bodyless {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(req.body().len()));
            }
            headers
        }
    };
    Ok(req)
}

/// The target [`Endpoint::write_target`] writes by default: [`Endpoint::path`], then
/// [`Endpoint::query`] percent-encoded.
pub(crate) fn default_target<E: Endpoint + ?Sized>(endpoint: &E, out: &mut String) {
    out.push_str(&endpoint.path());
    let mut w = QueryWriter::new(out);
    for (k, v) in endpoint.query() {
        w.param(k, &v);
    }
}

/// Receives query parameters in the order sent: the list [`Endpoint::query`] returns, or a
/// request target being written in place ([`QueryWriter`]). Endpoints describe their
/// parameters once, generically over the sink, so both forms always agree.
pub(crate) trait QuerySink {
    /// One `key=value` parameter (the value not yet encoded).
    fn param(&mut self, key: &'static str, value: &str);

    /// A `fields=` selector.
    fn fields(&mut self, key: &'static str, fields: &Fields) {
        self.param(key, &fields.to_string());
    }
}

impl QuerySink for Vec<(&'static str, String)> {
    fn param(&mut self, key: &'static str, value: &str) {
        self.push((key, value.to_owned()));
    }
}

/// Appends `?k=v&k=v…` to a path, percent-encoding the values, without building a list first.
pub(crate) struct QueryWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> QueryWriter<'a> {
    /// Writes after what `out` holds (a path).
    pub(crate) fn new(out: &'a mut String) -> Self {
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) {
        self.out.push(if self.first { '?' } else { '&' });
        self.first = false;
        self.out.push_str(key);
        self.out.push('=');
    }
}

impl QuerySink for QueryWriter<'_> {
    fn param(&mut self, key: &'static str, value: &str) {
        self.key(key);
        encode_query_value(self.out, value);
    }

    fn fields(&mut self, key: &'static str, fields: &Fields) {
        self.key(key);
        match fields {
            Fields::All => self.out.push_str("_all"),
            Fields::Only(names) => {
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    encode_query_value(self.out, n.as_str());
                }
            }
        }
    }
}

/// Percent-encodes a query value: unreserved characters, `,` and `:` stay, all else is `%XX`.
fn encode_query_value(out: &mut String, v: &str) {
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::default_target;
    use crate::{Endpoint, Fields, GetTask, RerunTask, RunOptions, RunTask, TaskId};

    fn both<E: Endpoint>(e: &E) -> (String, String) {
        let mut fast = String::from("/v2");
        e.write_target(&mut fast);
        let mut reference = String::from("/v2");
        default_target(e, &mut reference);
        (fast, reference)
    }

    #[test]
    fn the_task_calls_write_what_path_and_query_say() {
        let id: TaskId = "08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap();
        let e = RerunTask::new(id)
            .run(true)
            .batch(false)
            .use_interruptible_instances(true)
            .fields("id,status,inputs.x".parse().unwrap());
        let (fast, reference) = both(&e);
        assert_eq!(fast, reference);
        assert_eq!(
            fast,
            "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb/actions/clone?action=run&batch=false\
             &use_interruptible_instances=true&fields=id,status,inputs.x"
        );
    }

    fn fields() -> impl Strategy<Value = Option<Fields>> {
        prop_oneof![
            Just(None),
            Just(Some(Fields::All)),
            "[A-Za-z0-9_.-]{1,12}(,[A-Za-z0-9_.-]{1,12}){0,4}"
                .prop_map(|s| Some(s.parse().expect("valid names"))),
        ]
    }

    proptest! {
        #[test]
        fn in_place_targets_equal_the_reference(
            id in "[A-Za-z0-9_~-]{1,40}",
            fields in fields(),
            batch in any::<Option<bool>>(),
            interruptible in any::<Option<bool>>(),
            run in any::<bool>(),
        ) {
            let Ok(id) = id.parse::<TaskId>() else { return Ok(()) };
            let mut options = RunOptions::new();
            options.batch = batch;
            options.use_interruptible_instances = interruptible;
            options.fields = fields.clone();
            let get = match fields {
                Some(f) => GetTask::new(id.clone()).fields(f),
                None => GetTask::new(id.clone()),
            };
            let (a, b) = both(&get);
            prop_assert_eq!(a, b);
            let (a, b) = both(&RunTask::new(id.clone()).options(options.clone()));
            prop_assert_eq!(a, b);
            let (a, b) = both(&RerunTask::new(id).run(run).options(options));
            prop_assert_eq!(a, b);
        }
    }
}
