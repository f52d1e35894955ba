//! The bytes on the wire: gzip (and the gzip bomb), the proxy's HTML error pages, and the
//! corruptions of a JSON answer that the faults inject.

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use http::header::{HeaderValue, ACCEPT_ENCODING};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::examples;
use crate::fault::Malformed;
use crate::platform::Answer;

const PROXY_HTML: &str = "<html>\r\n<head><title>{S}</title></head>\r\n<body>\r\n<center><h1>{S}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

pub(crate) fn proxy_page(status: StatusCode) -> Answer {
    let s = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    Answer {
        status,
        body: Bytes::from(PROXY_HTML.replace("{S}", &s)),
        content_type: "text/html",
        rate: None,
        total: None,
        copy: None,
    }
}

/// Corrupt a JSON answer as `variant` says (the documentation's batch example with its
/// `href` at `base_url`). The result is never valid JSON (except `Empty`, which is empty).
pub(crate) fn malform(variant: Malformed, body: &[u8], base_url: &str) -> Bytes {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let last = lines.len().saturating_sub(1);
    match variant {
        Malformed::DocBatchExample => {
            return Bytes::from(examples::at_base(
                examples::GET_TASK_BATCH_MALFORMED,
                base_url,
            ))
        }
        Malformed::NotJson => return Bytes::from_static(b"this is not JSON\n"),
        Malformed::Empty => return Bytes::new(),
        Malformed::SingleQuotes => {
            if let Some(l) = lines.iter_mut().find(|l| l.split_once("\": \"").is_some()) {
                if let Some((key, value)) = l.clone().split_once("\": ") {
                    let comma = if value.ends_with(',') { "," } else { "" };
                    let inner = value.trim_end_matches(',');
                    let inner = &inner[1..inner.len().saturating_sub(1).max(1)];
                    *l = format!("{key}\": '{inner}'{comma}");
                }
            }
        }
        Malformed::MissingComma => {
            if let Some(l) = lines.iter_mut().find(|l| l.ends_with(',')) {
                l.pop();
            }
        }
        Malformed::TrailingComma => {
            if last > 0 {
                lines[last - 1].push(',');
            }
        }
        Malformed::Snip => {
            if last > 0 {
                lines[last - 1].push(',');
                lines.insert(last, "  <snip>".to_owned());
            }
        }
    }
    let mut out = lines.join("\n");
    if serde_json::from_str::<Value>(&out).is_ok() {
        out.push_str("\n<snip>");
    }
    out.push('\n');
    Bytes::from(out)
}

pub(crate) fn header(v: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&v.to_string()).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Smallest answer body compressed when the client accepts gzip.
pub(crate) const GZIP_MIN: usize = 1024;

/// Does `Accept-Encoding` accept gzip (`gzip` or `x-gzip`, not with `q=0`)?
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
}

/// gzip at level 1 (nginx's default `gzip_comp_level`: cheap for the server).
pub(crate) fn gzip(body: &[u8]) -> Bytes {
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::fast());
    let _ = enc.write_all(body);
    Bytes::from(enc.finish().unwrap_or_default())
}

/// A gzip body that inflates to `{"bomb":"aaa…"}` of `inflated` bytes (at least the braces).
pub(crate) fn gzip_bomb(inflated: u64) -> Bytes {
    let head = b"{\"bomb\":\"";
    let tail = b"\"}";
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let fill = inflated.saturating_sub((head.len() + tail.len()) as u64);
    let _ = enc.write_all(head);
    let chunk = vec![b'a'; 1 << 16];
    let mut left = fill;
    while left > 0 {
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
        let _ = enc.write_all(&chunk[..n]);
        left -= n as u64;
    }
    let _ = enc.write_all(tail);
    Bytes::from(enc.finish().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_malformed_variant_is_not_json() {
        let body = br#"{"id":"a","status":"DRAFT","n":1}"#;
        for v in [
            Malformed::DocBatchExample,
            Malformed::SingleQuotes,
            Malformed::MissingComma,
            Malformed::TrailingComma,
            Malformed::Snip,
            Malformed::NotJson,
        ] {
            let out = malform(v, body, "http://m/v2");
            assert!(
                serde_json::from_slice::<Value>(&out).is_err(),
                "{v:?}: {out:?}"
            );
        }
        assert!(malform(Malformed::Empty, body, "http://m/v2").is_empty());
        let sq = malform(Malformed::SingleQuotes, body, "http://m/v2");
        assert!(String::from_utf8_lossy(&sq).contains("\"id\": 'a'"));
    }
}
