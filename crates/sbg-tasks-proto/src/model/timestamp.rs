//! Timestamps that never fail a decode.

use std::fmt;
use std::sync::OnceLock;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A timestamp as the platform sent it (RFC 3339, e.g. `2015-11-26T14:14:14Z`).
///
/// The original text is always kept and re-emitted unchanged; [`Timestamp::datetime`] gives the
/// parsed moment when the text is valid RFC 3339. An unparseable timestamp does not fail the
/// task: it keeps its text and `datetime()` is `None`. Equality compares the text.
///
/// The text is parsed on first use, not while decoding: most programs never look at most
/// timestamps of most tasks.
#[derive(Clone)]
pub struct Timestamp {
    raw: String,
    parsed: OnceLock<Option<OffsetDateTime>>,
}

impl Timestamp {
    /// Wraps the text (parsed when first asked for).
    pub fn new(raw: impl Into<String>) -> Self {
        Self {
            raw: raw.into(),
            parsed: OnceLock::new(),
        }
    }

    /// A timestamp for a moment, formatted as RFC 3339.
    pub fn from_datetime(t: OffsetDateTime) -> Self {
        let raw = t.format(&Rfc3339).unwrap_or_else(|_| t.to_string());
        Self {
            raw,
            parsed: OnceLock::from(Some(t)),
        }
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed moment, when the text is RFC 3339.
    pub fn datetime(&self) -> Option<OffsetDateTime> {
        *self
            .parsed
            .get_or_init(|| OffsetDateTime::parse(self.raw.trim(), &Rfc3339).ok())
    }

    /// Unix seconds, when the text is RFC 3339.
    pub fn unix_seconds(&self) -> Option<i64> {
        self.datetime().map(OffsetDateTime::unix_timestamp)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl Eq for Timestamp {}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.datetime() {
            Some(_) => write!(f, "Timestamp({:?})", self.raw),
            None => write!(f, "Timestamp({:?}, unparsed)", self.raw),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Ok(Timestamp::new(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Timestamp, E> {
                Ok(Timestamp::new(v))
            }
        }
        d.deserialize_str(V)
    }
}

impl super::FromLenient for Timestamp {
    const EXPECTED: &'static str = "a timestamp string";
    fn from_lenient(
        v: serde_json::Value,
        _cx: &mut super::LenientCx,
    ) -> Result<Self, serde_json::Value> {
        match v {
            serde_json::Value::String(s) => Ok(Timestamp::new(s)),
            other => Err(other),
        }
    }
}
