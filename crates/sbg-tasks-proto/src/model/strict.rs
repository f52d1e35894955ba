//! Strict reading of the untyped parts of the model — unknown members, `origin` and
//! `output_location`, port maps, job logs, batch group fields: an object that names a member
//! twice is an error, as it is for the typed members, never a silent choice of one value.
//!
//! (`serde_json::Value` and `IndexMap` keep the last value without a word.) The lenient path
//! reads such a body through [`super::untyped`] instead, which keeps the last value and reports
//! each earlier one.

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Extra;

/// The error for a member named twice in one object (the same words as the typed members').
pub(crate) fn duplicate<E: Error>(key: &str) -> E {
    E::custom(format_args!("duplicate member `{key}`"))
}

/// Any JSON value; every object in it names each member once.
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(StrictValue)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    super::untyped::json_value_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        ObjectVisitor.visit_map(map).map(Value::Object)
    }
}

/// A JSON object of any values, each member named once.
pub(crate) struct StrictObject(pub(crate) Extra);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ObjectVisitor).map(StrictObject)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Extra;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extra, A::Error> {
        let mut out = Extra::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(duplicate(&key));
            }
            out.insert(key, v);
        }
        Ok(out)
    }
}

/// A JSON object read into an `IndexMap` in the order sent, each member named once.
pub(crate) struct StrictMap<V>(pub(crate) IndexMap<String, V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for StrictMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MapVisitor(PhantomData)).map(StrictMap)
    }
}

struct MapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
    type Value = IndexMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some((key, value)) = map.next_entry::<String, V>()? {
            if out.contains_key(&key) {
                return Err(duplicate(&key));
            }
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// The first name repeated among `members`, if any. Pairwise for the small objects of real
/// bodies (no allocation), sorted past 16 members so that a huge object stays `n log n`.
pub(crate) fn first_repeated<V>(members: &[(String, V)]) -> Option<&str> {
    if members.len() <= 16 {
        members
            .iter()
            .enumerate()
            .find(|(i, (k, _))| members[..*i].iter().any(|(earlier, _)| earlier == k))
            .map(|(_, (k, _))| k.as_str())
    } else {
        let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    }
}
