//! Typed leniency: turning a `serde_json::Value` into the model while coercing what can be
//! coerced and setting aside what cannot, with a report of each.

use std::fmt;

use serde_json::Value;

use super::Extra;

/// What the typed layer did to one member.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoercionKind {
    /// A string holding exactly one number was used as the number (`"123456789"` → 123456789).
    StringToNumber,
    /// A string holding exactly `true` or `false` was used as the bool.
    StringToBool,
    /// A number was used where the model keeps exact decimal text (e.g. a price amount).
    NumberToDecimalText,
    /// An object had this member more than once: the last value was kept (as JavaScript and
    /// most JSON readers do), and this earlier one was set aside here.
    DuplicateMember {
        /// The earlier value, not used.
        dropped: serde_json::Value,
    },
    /// The member had a type that could not be used; it was kept in the object's `extra` bag
    /// instead of failing the whole task.
    MovedToExtra {
        /// What the model expected, e.g. "an unsigned integer".
        expected: &'static str,
        /// What came, e.g. "an array".
        found: &'static str,
    },
}

impl fmt::Display for CoercionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoercionKind::StringToNumber => f.write_str("number given as a string"),
            CoercionKind::StringToBool => f.write_str("boolean given as a string"),
            CoercionKind::NumberToDecimalText => f.write_str("decimal amount given as a number"),
            CoercionKind::DuplicateMember { dropped } => {
                write!(
                    f,
                    "member repeated; the last value is used, this one was set aside: "
                )?;
                let text = dropped.to_string();
                match text.char_indices().nth(80) {
                    Some((cut, _)) => write!(f, "{}…", &text[..cut]),
                    None => f.write_str(&text),
                }
            }
            CoercionKind::MovedToExtra { expected, found } => {
                write!(f, "expected {expected}, found {found}; kept in `extra`")
            }
        }
    }
}

/// One coercion, at a JSON pointer into the decoded value (e.g. `/execution_status/duration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coercion {
    /// Where, as a JSON pointer (RFC 6901).
    pub pointer: String,
    /// What was done.
    pub kind: CoercionKind,
}

impl fmt::Display for Coercion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.kind)
    }
}

/// State of one lenient conversion: where we are, and what was done so far.
#[derive(Debug, Default)]
pub struct LenientCx {
    pointer: String,
    /// Coercions so far, in document order.
    pub coercions: Vec<Coercion>,
}

impl LenientCx {
    /// A fresh context at the document root.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a coercion at the current position.
    pub fn record(&mut self, kind: CoercionKind) {
        self.coercions.push(Coercion {
            pointer: self.pointer.clone(),
            kind,
        });
    }

    /// Converts member `key` of an object: `null` gives `None`; a value that cannot be typed is
    /// moved to `extra` (and reported).
    pub fn member<T: FromLenient>(&mut self, key: &str, v: Value, extra: &mut Extra) -> Option<T> {
        if v.is_null() {
            return None;
        }
        let len = self.pointer.len();
        super::untyped::push_key(&mut self.pointer, key);
        let mark = self.coercions.len();
        let out = match T::from_lenient(v, self) {
            Ok(t) => Some(t),
            Err(v) => {
                self.coercions.truncate(mark);
                self.record(CoercionKind::MovedToExtra {
                    expected: T::EXPECTED,
                    found: kind_of(&v),
                });
                extra.insert(key.to_owned(), v);
                None
            }
        };
        self.pointer.truncate(len);
        out
    }

    fn index<T: FromLenient>(&mut self, i: usize, v: Value) -> Result<T, Value> {
        let len = self.pointer.len();
        super::untyped::push_index(&mut self.pointer, i);
        let out = T::from_lenient(v, self);
        self.pointer.truncate(len);
        out
    }
}

/// Conversion from an untyped JSON value into a model type, coercing where allowed.
///
/// `Err` hands the value back untouched when it cannot be typed; the caller keeps it.
pub trait FromLenient: Sized {
    /// What the type expects, for reports ("an unsigned integer", "a string", ...).
    const EXPECTED: &'static str;
    /// Converts `v`, recording coercions in `cx`.
    fn from_lenient(v: Value, cx: &mut LenientCx) -> Result<Self, Value>;
}

/// A short name of a JSON value's type, for reports.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl FromLenient for String {
    const EXPECTED: &'static str = "a string";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
}

impl FromLenient for bool {
    const EXPECTED: &'static str = "a boolean";
    fn from_lenient(v: Value, cx: &mut LenientCx) -> Result<Self, Value> {
        match &v {
            Value::Bool(b) => Ok(*b),
            Value::String(s) => match s.trim() {
                "true" => {
                    cx.record(CoercionKind::StringToBool);
                    Ok(true)
                }
                "false" => {
                    cx.record(CoercionKind::StringToBool);
                    Ok(false)
                }
                _ => Err(v),
            },
            _ => Err(v),
        }
    }
}

macro_rules! lenient_int {
    ($($t:ty => $as:ident, $exp:literal;)*) => {$(
        impl FromLenient for $t {
            const EXPECTED: &'static str = $exp;
            fn from_lenient(v: Value, cx: &mut LenientCx) -> Result<Self, Value> {
                match &v {
                    Value::Number(n) => n.$as().and_then(|x| <$t>::try_from(x).ok()).ok_or(v),
                    Value::String(s) => match s.trim().parse::<$t>() {
                        Ok(x) => {
                            cx.record(CoercionKind::StringToNumber);
                            Ok(x)
                        }
                        Err(_) => Err(v),
                    },
                    _ => Err(v),
                }
            }
        }
    )*};
}
lenient_int! {
    u64 => as_u64, "an unsigned integer";
    i64 => as_i64, "an integer";
}

impl FromLenient for Value {
    const EXPECTED: &'static str = "any value";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        Ok(v)
    }
}

impl FromLenient for Extra {
    const EXPECTED: &'static str = "an object";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        match v {
            Value::Object(m) => Ok(m),
            other => Err(other),
        }
    }
}

impl<T: FromLenient> FromLenient for Vec<T> {
    const EXPECTED: &'static str = "an array";
    fn from_lenient(v: Value, cx: &mut LenientCx) -> Result<Self, Value> {
        let Value::Array(items) = v else {
            return Err(v);
        };
        // Keep a copy so a failing element hands the whole array back untouched.
        let backup = items.clone();
        let mark = cx.coercions.len();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match cx.index(i, item) {
                Ok(t) => out.push(t),
                Err(_) => {
                    cx.coercions.truncate(mark);
                    return Err(Value::Array(backup));
                }
            }
        }
        Ok(out)
    }
}
