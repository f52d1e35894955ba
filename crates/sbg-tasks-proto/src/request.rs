//! Request assembly shared by every endpoint.

use std::fmt::Write as _;

use http::{header, HeaderValue, Method, Request};

use crate::endpoint::BuildError;
use crate::Config;

/// Builds a request for `path` (after the base prefix) with `query` and an optional JSON body.
///
/// Scheme, authority and every fixed header value are parsed once, in [`Config`]; only the
/// path and query are new per request.
pub(crate) fn build(
    config: &Config,
    method: Method,
    path: &str,
    query: &[(&'static str, String)],
    body: Option<Vec<u8>>,
) -> Result<Request<Vec<u8>>, BuildError> {
    let prefix = config.base_url().path_prefix();
    let mut pq = String::with_capacity(
        prefix.len()
            + path.len()
            + query
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>(),
    );
    pq.push_str(prefix);
    pq.push_str(path);
    for (i, (k, v)) in query.iter().enumerate() {
        pq.push(if i == 0 { '?' } else { '&' });
        pq.push_str(k);
        pq.push('=');
        encode_query_value(&mut pq, v);
    }
    let path_and_query =
        http::uri::PathAndQuery::from_maybe_shared(pq).map_err(|e: http::uri::InvalidUri| {
            BuildError::Url {
                url: format!("{}{path}", config.base_url()),
                reason: e.to_string(),
            }
        })?;
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(config.scheme().clone());
    parts.authority = Some(config.authority().clone());
    parts.path_and_query = Some(path_and_query);
    let uri = http::Uri::from_parts(parts).map_err(|e| BuildError::Url {
        url: format!("{}{path}", config.base_url()),
        reason: e.to_string(),
    })?;

    let has_body = body.is_some();
    let body = body.unwrap_or_default();
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    headers.reserve(7);
    let (auth_name, auth_value) = config.auth_header();
    headers.insert(header::HOST, config.host_header().clone());
    headers.insert(auth_name, auth_value);
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(header::USER_AGENT, config.user_agent().clone());
    if has_body {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let len = HeaderValue::from(req.body().len());
        req.headers_mut().insert(header::CONTENT_LENGTH, len);
    }
    Ok(req)
}

/// Percent-encodes a query value: unreserved characters and `,` stay, all else is `%XX`.
fn encode_query_value(out: &mut String, v: &str) {
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}
