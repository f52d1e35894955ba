//! Compressed answers, written once for every transport: [`ask_for_gzip`] puts
//! `Accept-Encoding: gzip` on a request, [`decode_body`] turns the answer's body back into the
//! plain bytes the rest of the stack reads, within the body cap.
//!
//! A bulk answer of 100 full tasks built from the documented example task (distinct ids) is
//! 98 KB of compact JSON and 4 KB gzipped at the default level (the unit test
//! `gzip_shrinks_a_bulk_answer_of_100_tasks` prints the figures). Real tasks differ from each
//! other more than these copies do and compress less, but a sweep of 10 000 tasks still moves a
//! small fraction of the ~10 MB it would otherwise.
//!
//! ```
//! use std::io::Write;
//! use sbg_tasks_proto::http::{header, HeaderMap};
//! use sbg_tasks_proto::transport::{ask_for_gzip, decode_body, TransportErrorKind};
//!
//! let mut request_headers = HeaderMap::new();
//! ask_for_gzip(&mut request_headers);
//! assert_eq!(request_headers[header::ACCEPT_ENCODING], "gzip");
//!
//! let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
//! gz.write_all(br#"{"items": []}"#)?;
//! let compressed = gz.finish()?;
//! let mut headers = HeaderMap::new();
//! headers.insert(header::CONTENT_ENCODING, "gzip".parse()?);
//! headers.insert(header::CONTENT_LENGTH, compressed.len().into());
//! let body = decode_body(&mut headers, compressed.clone(), 1024)?;
//! assert_eq!(body, br#"{"items": []}"#);
//! assert!(headers.get(header::CONTENT_ENCODING).is_none());
//! assert_eq!(headers[header::CONTENT_LENGTH], "13");
//!
//! // The cap is on the decoded size.
//! headers.insert(header::CONTENT_ENCODING, "gzip".parse()?);
//! let refused = decode_body(&mut headers, compressed, 12).unwrap_err();
//! assert_eq!(refused.kind(), TransportErrorKind::BodyTooLarge);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use http::{header, HeaderMap, HeaderValue};

use super::{TransportErrorKind, TransportFailure};

/// Puts `Accept-Encoding: gzip` on a request's headers, unless the request already says which
/// encodings it accepts (the caller's own header wins; [`decode_body`] still decodes only gzip
/// and refuses any other encoding with a typed error).
pub fn ask_for_gzip(headers: &mut HeaderMap) {
    if !headers.contains_key(header::ACCEPT_ENCODING) {
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    }
}

/// The encodings an answer's `Content-Encoding` lists, as far as decoding is concerned.
enum Coding {
    /// None, or only `identity`: the body is as sent.
    Plain,
    /// `gzip` (or its old name `x-gzip`), once.
    Gzip,
    /// Anything else, as the header said it (shortened, printable).
    Unsupported(String),
}

fn coding(headers: &HeaderMap) -> Coding {
    let mut names = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let Ok(text) = value.to_str() else {
            return Coding::Unsupported(shown(&String::from_utf8_lossy(value.as_bytes())));
        };
        names.extend(
            text.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("identity"))
                .map(str::to_owned),
        );
    }
    match names.as_slice() {
        [] => Coding::Plain,
        [one] if one.eq_ignore_ascii_case("gzip") || one.eq_ignore_ascii_case("x-gzip") => {
            Coding::Gzip
        }
        _ => Coding::Unsupported(shown(&names.join(", "))),
    }
}

/// At most 64 printable characters of what a server said, for a message.
fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(64)
        .collect()
}

/// The answer's body as plain bytes, decoded as its `Content-Encoding` says, at most `cap`
/// bytes once decoded.
///
/// - No `Content-Encoding`, or `identity`: `body` as it is, headers untouched.
/// - `gzip` or `x-gzip` (any case; several members are read as one stream): decoded through a
///   reader that stops after `cap + 1` bytes, so a small body that inflates without end (a
///   "gzip bomb") is refused with [`TransportErrorKind::BodyTooLarge`] and never held past the
///   cap. An empty body stays empty (e.g. a 204 that names an encoding).
/// - Any other encoding: a [`TransportErrorKind::Other`] failure naming it, never the
///   compressed bytes passed on as if they were JSON.
/// - A corrupt or truncated gzip stream: a [`TransportErrorKind::Io`] failure (the answer
///   arrived, but it cannot be used).
///
/// Every failure says the request was sent (an answer came back). Once decoded,
/// `Content-Encoding` is removed and `Content-Length` is the decoded length, so what follows
/// sees a plain answer. The compressed `body` itself is the transport's to cap while reading.
pub fn decode_body(
    headers: &mut HeaderMap,
    body: Vec<u8>,
    cap: u64,
) -> Result<Vec<u8>, TransportFailure> {
    match coding(headers) {
        Coding::Plain => Ok(body),
        Coding::Unsupported(name) => Err(TransportFailure::new(
            TransportErrorKind::Other,
            format!(
                "the answer's body is encoded as `{name}`, which cannot be decoded \
                 (only gzip is asked for)"
            ),
        )
        .with_request_sent(true)),
        Coding::Gzip => {
            let plain = if body.is_empty() {
                body
            } else {
                inflate(&body, cap)?
            };
            headers.remove(header::CONTENT_ENCODING);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(plain.len()));
            Ok(plain)
        }
    }
}

/// Inflates `compressed`, holding at most `cap + 1` decoded bytes (and never reserving more).
fn inflate(compressed: &[u8], cap: u64) -> Result<Vec<u8>, TransportFailure> {
    let stop = cap.saturating_add(1);
    let most = usize::try_from(stop).unwrap_or(usize::MAX);
    let mut reader = MultiGzDecoder::new(compressed).take(stop);
    // Room for a typical ratio up front; grown by doubling, but never past `cap + 1`.
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(8).min(most));
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(corrupt(e)),
        };
        let needed = out.len() + n;
        if needed > out.capacity() {
            let grown = out.capacity().saturating_mul(2).max(needed).min(most);
            out.reserve_exact(grown - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
    if out.len() as u64 > cap {
        return Err(TransportFailure::new(
            TransportErrorKind::BodyTooLarge,
            format!("the answer's gzip body inflates past the cap of {cap} bytes"),
        )
        .with_request_sent(true));
    }
    Ok(out)
}

fn corrupt(e: io::Error) -> TransportFailure {
    TransportFailure::new(
        TransportErrorKind::Io,
        format!("the answer's gzip body cannot be decoded: {e}"),
    )
    .with_request_sent(true)
    .with_source(e)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn encoded(values: &[&str], length: usize) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::CONTENT_ENCODING, v.parse().unwrap());
        }
        h.insert(header::CONTENT_LENGTH, length.into());
        h
    }

    #[test]
    fn asks_for_gzip_unless_the_request_already_says() {
        let mut h = HeaderMap::new();
        ask_for_gzip(&mut h);
        assert_eq!(h[header::ACCEPT_ENCODING], "gzip");
        let mut own = HeaderMap::new();
        own.insert(header::ACCEPT_ENCODING, "identity".parse().unwrap());
        ask_for_gzip(&mut own);
        assert_eq!(own.get_all(header::ACCEPT_ENCODING).iter().count(), 1);
        assert_eq!(own[header::ACCEPT_ENCODING], "identity");
    }

    #[test]
    fn gzip_and_x_gzip_decode_to_the_exact_bytes_and_the_headers_say_plain() {
        let plain: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let gz = gzip(&plain);
        for name in ["gzip", "x-gzip", "GZip", "identity, gzip"] {
            let mut h = encoded(&[name], gz.len());
            let out = decode_body(&mut h, gz.clone(), plain.len() as u64).unwrap();
            assert!(out == plain, "{name}");
            assert!(h.get(header::CONTENT_ENCODING).is_none(), "{name}");
            assert_eq!(h[header::CONTENT_LENGTH], plain.len().to_string().as_str());
        }
        // Two members are one stream (as gzip files may be).
        let mut two = gzip(b"{\"a\":");
        two.extend(gzip(b"1}"));
        let out = decode_body(&mut encoded(&["gzip"], two.len()), two, 100).unwrap();
        assert_eq!(out, b"{\"a\":1}");
    }

    #[test]
    fn plain_and_identity_bodies_pass_as_they_are() {
        for values in [&[][..], &["identity"][..], &["Identity", ""][..]] {
            let mut h = encoded(values, 4);
            let before = h.clone();
            assert_eq!(decode_body(&mut h, b"{}{}".to_vec(), 4).unwrap(), b"{}{}");
            assert_eq!(h, before);
        }
        // The cap is the transport's to apply on plain bodies (it read them already).
        assert_eq!(
            decode_body(&mut HeaderMap::new(), b"12345".to_vec(), 1).unwrap(),
            b"12345"
        );
        // An empty body naming gzip (a 204, a HEAD) stays empty.
        let mut h = encoded(&["gzip"], 0);
        assert!(decode_body(&mut h, Vec::new(), 10).unwrap().is_empty());
        assert!(h.get(header::CONTENT_ENCODING).is_none());
    }

    #[test]
    fn the_cap_is_on_the_decoded_size() {
        let plain = vec![b'x'; 1000];
        let gz = gzip(&plain);
        assert!(gz.len() < 100);
        let exact = decode_body(&mut encoded(&["gzip"], gz.len()), gz.clone(), 1000).unwrap();
        assert_eq!(exact.len(), 1000);
        let over = decode_body(&mut encoded(&["gzip"], gz.len()), gz, 999).unwrap_err();
        assert_eq!(over.kind(), TransportErrorKind::BodyTooLarge);
        assert!(over.request_sent());
        assert!(over.message().contains("999"), "{over}");
    }

    #[test]
    fn a_bomb_is_refused_without_holding_more_than_the_cap() {
        // 8 MiB of zeros in a few KB; a 64 KiB cap.
        let bomb = gzip(&vec![0u8; 8 << 20]);
        assert!(bomb.len() < 16 * 1024, "{}", bomb.len());
        let cap = 64 * 1024;
        let err = inflate(&bomb, cap).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
        // What is held is bounded by the cap: the buffer never grows past cap + 1.
        let held = inflate(&gzip(&vec![0u8; cap as usize]), cap).unwrap();
        assert!(held.capacity() <= cap as usize + 1, "{}", held.capacity());
        // A cap at the top of the range does not overflow.
        assert_eq!(inflate(&gzip(b"ok"), u64::MAX).unwrap(), b"ok");
    }

    #[test]
    fn a_corrupt_stream_is_an_io_failure_after_sending() {
        let gz = gzip(b"{\"id\": \"t1\", \"status\": \"RUNNING\"}");
        let mut flipped = gz.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xff;
        let truncated = gz[..gz.len() - 6].to_vec();
        for body in [b"not gzip at all".to_vec(), flipped, truncated] {
            let mut h = encoded(&["gzip"], body.len());
            let err = decode_body(&mut h, body, 1000).unwrap_err();
            assert_eq!(err.kind(), TransportErrorKind::Io, "{err}");
            assert!(err.request_sent());
            assert!(err.to_string().contains("gzip"), "{err}");
        }
    }

    #[test]
    fn other_encodings_are_named_in_a_typed_failure() {
        for (values, named) in [
            (&["br"][..], "`br`"),
            (&["deflate"][..], "`deflate`"),
            (&["gzip", "br"][..], "`gzip, br`"),
            (&["gzip, gzip"][..], "`gzip, gzip`"),
        ] {
            let mut h = encoded(values, 3);
            let err = decode_body(&mut h, b"abc".to_vec(), 10).unwrap_err();
            assert_eq!(err.kind(), TransportErrorKind::Other);
            assert!(err.request_sent());
            assert!(err.message().contains(named), "{err}");
            // Nothing is changed on a refusal.
            assert!(h.contains_key(header::CONTENT_ENCODING));
        }
        let mut odd = HeaderMap::new();
        odd.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_bytes(b"z\xff\tz").unwrap(),
        );
        let err = decode_body(&mut odd, b"abc".to_vec(), 10).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.message().contains("`z??z`"), "{err}");
    }

    /// The figures of the issue: a bulk answer of 100 full tasks (the documented example
    /// `get-task.json` with distinct random ids), compact and pretty-printed, plain and
    /// gzipped at flate2's default level.
    /// `cargo test -p sbg-tasks-proto --lib gzip_shrinks -- --nocapture` prints them.
    #[test]
    fn gzip_shrinks_a_bulk_answer_of_100_tasks() {
        let task: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/get-task.json")).unwrap();
        let mut rng = fastrand::Rng::with_seed(7);
        let items: Vec<serde_json::Value> = (0..100)
            .map(|_| {
                let hex = format!("{:032x}", rng.u128(..));
                let id = format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                );
                let mut t = task.clone();
                t["id"] = id.clone().into();
                t["href"] = format!("https://api.sbgenomics.com/v2/tasks/{id}").into();
                serde_json::json!({ "resource": t })
            })
            .collect();
        let bulk = serde_json::json!({ "items": items });
        for (layout, answer) in [
            ("compact", serde_json::to_vec(&bulk).unwrap()),
            ("pretty", serde_json::to_vec_pretty(&bulk).unwrap()),
        ] {
            let gz = gzip(&answer);
            println!(
                "bulk answer of 100 tasks, {layout}: {} bytes plain, {} bytes gzip \
                 ({:.1}x smaller)",
                answer.len(),
                gz.len(),
                answer.len() as f64 / gz.len() as f64
            );
            assert!(answer.len() > 50_000);
            assert!(gz.len() * 5 < answer.len());
            let mut h = encoded(&["gzip"], gz.len());
            assert!(decode_body(&mut h, gz, DEFAULT_CAP).unwrap() == answer);
        }
    }

    const DEFAULT_CAP: u64 = crate::transport::DEFAULT_MAX_BODY_SIZE;
}
