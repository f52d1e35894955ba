//! Request assembly shared by every endpoint.

use std::fmt::Write as _;

use http::{header, Method, Request};

use crate::endpoint::BuildError;
use crate::Config;

/// Builds a request for `path` (after the base prefix) with `query` and an optional JSON body.
pub(crate) fn build(
    config: &Config,
    method: Method,
    path: &str,
    query: &[(&'static str, String)],
    body: Option<Vec<u8>>,
) -> Result<Request<Vec<u8>>, BuildError> {
    let base = config.base_url();
    let mut url = String::with_capacity(
        base.scheme().len() + base.authority().len() + base.path_prefix().len() + path.len() + 64,
    );
    url.push_str(base.scheme());
    url.push_str("://");
    url.push_str(base.authority());
    url.push_str(base.path_prefix());
    url.push_str(path);
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(k);
        url.push('=');
        encode_query_value(&mut url, v);
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| BuildError::Url {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let (auth_name, auth_value) = config.auth_header();
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, config.host_header().clone())
        .header(auth_name, auth_value)
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, config.user_agent().clone());
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            b
        }
        None => Vec::new(),
    };
    if method != Method::GET && method != Method::HEAD {
        req = req.header(header::CONTENT_LENGTH, body.len());
    }
    req.body(body).map_err(|e| BuildError::Url {
        url: String::new(),
        reason: e.to_string(),
    })
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
