//! Prices, with amounts kept as the exact decimal text sent.

use std::fmt;

/// A decimal amount exactly as the platform sent it (`"0.23"`), never through a float.
///
/// A number sent instead of a string is accepted and kept as the shortest text of that number
/// (`0.230` becomes `"0.23"`): the platform documents strings, so this only happens off-spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Amount(String);

impl Amount {
    /// Wraps decimal text.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                Ok(Amount(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Amount, E> {
                Ok(Amount(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Amount, E> {
                Ok(Amount(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Amount, E> {
                serde_json::Number::from_f64(v)
                    .map(|n| Amount(n.to_string()))
                    .ok_or_else(|| E::custom("a decimal amount that is not finite"))
            }
        }
        d.deserialize_any(V)
    }
}

impl super::FromLenient for Amount {
    const EXPECTED: &'static str = "a decimal amount";
    fn from_lenient(
        v: serde_json::Value,
        cx: &mut super::LenientCx,
    ) -> Result<Self, serde_json::Value> {
        match v {
            serde_json::Value::String(s) => Ok(Amount(s)),
            serde_json::Value::Number(n) => {
                cx.record(super::CoercionKind::NumberToDecimalText);
                Ok(Amount(n.to_string()))
            }
            other => Err(other),
        }
    }
}

model_struct! {
    /// What a task cost.
    pub struct Price {
        /// Currency code, e.g. `USD`.
        currency: String = "currency",
        /// Total amount.
        amount: Amount = "amount",
        /// Parts of the total.
        breakdown: PriceBreakdown = "breakdown",
    }
}

model_struct! {
    /// Parts of a price.
    pub struct PriceBreakdown {
        /// Storage.
        storage: Amount = "storage",
        /// Computation.
        computation: Amount = "computation",
        /// Data transfer.
        data_transfer: Amount = "data_transfer",
    }
}
