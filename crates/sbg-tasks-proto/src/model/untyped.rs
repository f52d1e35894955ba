//! Reading a body into an untyped `serde_json::Value` for the lenient path, without losing
//! anything silently: a member that appears twice in one object is reported, with the value
//! that was set aside.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{Coercion, CoercionKind};

/// `expecting` and the scalar `visit_*` methods of a visitor that builds a
/// `serde_json::Value` (objects and arrays are each visitor's own business).
macro_rules! json_value_scalars {
    () => {
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E>(self) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Null)
        }
        fn visit_bool<E>(self, v: bool) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Number(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Number(v.into()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<serde_json::Value, E> {
            serde_json::Number::from_f64(v)
                .map(serde_json::Value::Number)
                .ok_or_else(|| E::custom("a number that is not finite"))
        }
        fn visit_str<E>(self, v: &str) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::String(v))
        }
    };
}
pub(crate) use json_value_scalars;

/// Parses `body` (valid JSON) into a `Value`. Where an object repeats a member, the last value
/// is kept (as JavaScript and most JSON readers do) and each earlier one is reported as a
/// [`CoercionKind::DuplicateMember`] holding the value set aside.
///
/// A UTF-8 body is read as text (one UTF-8 check for the whole body instead of one per
/// string, as in [`crate::decode`]); any other is read as bytes, for the error's position.
pub(crate) fn parse(body: &[u8]) -> Result<(Value, Vec<Coercion>), serde_json::Error> {
    match std::str::from_utf8(body) {
        Ok(text) => parse_with(serde_json::Deserializer::from_str(text)),
        Err(_) => parse_with(serde_json::Deserializer::from_slice(body)),
    }
}

fn parse_with<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<(Value, Vec<Coercion>), serde_json::Error> {
    let mut dups = Vec::new();
    let v = Seed {
        pointer: &mut String::new(),
        dups: &mut dups,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((v, dups))
}

struct Seed<'a> {
    pointer: &'a mut String,
    dups: &'a mut Vec<Coercion>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    json_value_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let len = self.pointer.len();
            push_index(self.pointer, out.len());
            let next = seq.next_element_seed(Seed {
                pointer: self.pointer,
                dups: self.dups,
            })?;
            self.pointer.truncate(len);
            match next {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let len = self.pointer.len();
            push_key(self.pointer, &key);
            let v = map.next_value_seed(Seed {
                pointer: self.pointer,
                dups: self.dups,
            })?;
            if let Some(dropped) = out.insert(key, v) {
                self.dups.push(Coercion {
                    pointer: self.pointer.clone(),
                    kind: CoercionKind::DuplicateMember { dropped },
                });
            }
            self.pointer.truncate(len);
        }
        Ok(Value::Object(out))
    }
}

/// Appends `/key` to a JSON pointer, escaped as RFC 6901 says.
pub(crate) fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    if key.contains(['~', '/']) {
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
    } else {
        pointer.push_str(key);
    }
}

/// Appends `/index` to a JSON pointer.
pub(crate) fn push_index(pointer: &mut String, i: usize) {
    use std::fmt::Write as _;
    let _ = write!(pointer, "/{i}");
}
