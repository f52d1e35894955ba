//! [`Target`]: the path and query of a request, written in place.

use std::fmt::Write as _;

use crate::fields::Fields;
use crate::id::TaskId;

/// The request target an [`Endpoint`](crate::Endpoint) writes after the base URL's path
/// prefix: its path, then its query parameters, straight into the request's one buffer.
///
/// Path text is written as given except that any byte outside the unreserved set and `/` is
/// percent-encoded, so nothing an endpoint writes can add a query or a fragment; query values
/// are percent-encoded (`,` and `:` kept, as the platform's `fields=` expects). Write the
/// whole path first, then the parameters, in the order they are to be sent.
///
/// ```
/// use sbg_tasks_proto::endpoints::Target;
/// let mut out = String::from("/v2");
/// let mut target = Target::new(&mut out);
/// target.path("/tasks/abc");
/// target.param("fields", "id,status");
/// target.param("q", "a b&c");
/// assert_eq!(out, "/v2/tasks/abc?fields=id,status&q=a%20b%26c");
/// ```
#[derive(Debug)]
pub struct Target<'a> {
    out: &'a mut String,
    query_started: bool,
}

impl<'a> Target<'a> {
    /// A target written after what `out` already holds (the base URL's path prefix).
    pub fn new(out: &'a mut String) -> Self {
        Self {
            out,
            query_started: false,
        }
    }

    /// Appends path text (e.g. `/tasks/`, a validated id, `/actions/run`). Bytes outside the
    /// unreserved set and `/` are percent-encoded. Call before the first parameter.
    pub fn path(&mut self, text: &str) {
        debug_assert!(
            !self.query_started,
            "path text written after a query parameter"
        );
        push_encoded(self.out, text, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
        });
    }

    /// Appends a task id. A [`TaskId`] holds unreserved characters only (checked when it was
    /// made), so it is copied as it is.
    pub fn task_id(&mut self, id: &TaskId) {
        debug_assert!(
            !self.query_started,
            "path text written after a query parameter"
        );
        self.out.push_str(id.as_str());
    }

    /// Appends a fixed piece of path that this crate wrote itself (`/tasks/`, `/actions/run`):
    /// nothing in it needs encoding.
    pub(crate) fn literal(&mut self, text: &'static str) {
        debug_assert!(
            !self.query_started,
            "path text written after a query parameter"
        );
        debug_assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b)));
        self.out.push_str(text);
    }

    fn key(&mut self, key: &str) {
        self.out.push(if self.query_started { '&' } else { '?' });
        self.query_started = true;
        self.out.push_str(key);
        self.out.push('=');
    }

    /// Appends one `key=value` parameter, the value percent-encoded.
    pub fn param(&mut self, key: &str, value: &str) {
        self.key(key);
        encode_query_value(self.out, value);
    }

    /// Appends `key=true` or `key=false`.
    pub fn bool_param(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
    }

    /// Appends a number parameter.
    pub fn number_param(&mut self, key: &str, value: u64) {
        self.key(key);
        let _ = write!(self.out, "{value}");
    }

    /// Appends a `fields=`-style selector: `_all`, or the names joined by `,`.
    pub fn fields(&mut self, key: &str, fields: &Fields) {
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
    push_encoded(out, v, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',' | b':')
    });
}

/// Appends `text` to `out`, each byte that `keep` refuses as `%XX`; runs of kept bytes are
/// copied at once (ids and names are usually nothing but kept bytes).
fn push_encoded(out: &mut String, text: &str, keep: impl Fn(u8) -> bool) {
    let bytes = text.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !keep(b) {
            // A non-empty run holds kept (ASCII) bytes only, so both its ends are character
            // boundaries.
            if i > run {
                out.push_str(&text[run..i]);
            }
            let _ = write!(out, "%{b:02X}");
            run = i + 1;
        }
    }
    if run < bytes.len() {
        out.push_str(&text[run..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_bytes_that_could_change_the_target_are_encoded() {
        let mut out = String::new();
        let mut t = Target::new(&mut out);
        t.path("/tasks/a?b#c d");
        t.bool_param("batch", false);
        t.number_param("offset", 42);
        t.fields("fields", &"id,inputs.x".parse().unwrap());
        assert_eq!(
            out,
            "/tasks/a%3Fb%23c%20d?batch=false&offset=42&fields=id,inputs.x"
        );
        // Multi-byte characters are encoded byte by byte, whatever surrounds them.
        let mut out = String::new();
        let mut t = Target::new(&mut out);
        t.path("é/x€");
        t.param("q", "ü,ok");
        assert_eq!(out, "%C3%A9/x%E2%82%AC?q=%C3%BC,ok");
    }
}
