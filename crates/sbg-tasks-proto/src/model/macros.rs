//! `model_struct!`: a model object with optional known members and a bag for the rest.
//!
//! Generates the struct, a strict `Deserialize` (no buffering, duplicate members rejected), a
//! `Serialize` that omits absent members and re-emits unknown ones, and the lenient conversion.

macro_rules! model_struct {
    // A member's value: through its own `Deserialize`, or through a strict reader (see
    // `model::strict`) whose `.0` is the member's type.
    (@read $map:ident, $ty:ty) => {
        $map.next_value::<Option<$ty>>()?
    };
    (@read $map:ident, $ty:ty, $strict:ty) => {
        $map.next_value::<Option<$strict>>()?.map(|s| s.0)
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal $(as $strict:ty)?, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Members this crate does not know — or, after a lenient decode, members whose value
            /// had a type that could not be used — kept as sent and re-emitted on encode.
            pub extra: $crate::model::Extra,
        }

        impl $name {
            /// The member names this type knows, as sent on the wire.
            pub const KNOWN_MEMBERS: &'static [&'static str] = &[$($key),*];
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( if let Some(v) = &self.$field { m.serialize_entry($key, v)?; } )*
                for (k, v) in &self.extra {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }

        const _: () = {
            use std::fmt;
            use serde::de::{self, MapAccess, Visitor};

            #[allow(non_camel_case_types)]
            enum __Field { $($field,)* __Other(String) }

            struct __FieldVisitor;
            impl<'de> Visitor<'de> for __FieldVisitor {
                type Value = __Field;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a member name")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<__Field, E> {
                    Ok(match v {
                        $( $key => __Field::$field, )*
                        other => __Field::__Other(other.to_owned()),
                    })
                }
            }
            impl<'de> serde::Deserialize<'de> for __Field {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_identifier(__FieldVisitor)
                }
            }

            struct __Visitor;
            impl<'de> Visitor<'de> for __Visitor {
                type Value = $name;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(concat!("a ", stringify!($name), " object"))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                    let mut out = $name::default();
                    while let Some(k) = map.next_key::<__Field>()? {
                        match k {
                            $( __Field::$field => {
                                if out.$field.is_some() {
                                    return Err(de::Error::duplicate_field($key));
                                }
                                out.$field = model_struct!(@read map, $ty $(, $strict)?);
                            } )*
                            __Field::__Other(k) => {
                                let $crate::model::strict::StrictValue(v) = map.next_value()?;
                                if out.extra.contains_key(&k) {
                                    return Err(de::Error::custom(format_args!("duplicate member `{k}`")));
                                }
                                out.extra.insert(k, v);
                            }
                        }
                    }
                    Ok(out)
                }
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_map(__Visitor)
                }
            }

            impl $crate::model::FromLenient for $name {
                const EXPECTED: &'static str = "an object";
                fn from_lenient(
                    v: serde_json::Value,
                    cx: &mut $crate::model::LenientCx,
                ) -> Result<Self, serde_json::Value> {
                    let serde_json::Value::Object(map) = v else { return Err(v) };
                    let mut out = $name::default();
                    for (k, v) in map {
                        match k.as_str() {
                            $( $key => {
                                out.$field = cx.member(&k, v, &mut out.extra);
                            } )*
                            _ => {
                                out.extra.insert(k, v);
                            }
                        }
                    }
                    Ok(out)
                }
            }
        };
    };
}

/// A string-valued enum with named variants and an `Unknown(String)` variant keeping any other
/// word. Serializes back to the exact word.
macro_rules! word_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A word this crate does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The word as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $word, )*
                    $name::Unknown(s) => s,
                }
            }

            /// Parses a word; never fails (unknown words are kept).
            pub fn from_word(s: &str) -> Self {
                match s {
                    $( $word => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_word(s))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_word(v))
                    }
                }
                d.deserialize_str(V)
            }
        }

        impl $crate::model::FromLenient for $name {
            const EXPECTED: &'static str = "a string";
            fn from_lenient(
                v: serde_json::Value,
                _cx: &mut $crate::model::LenientCx,
            ) -> Result<Self, serde_json::Value> {
                match v {
                    serde_json::Value::String(s) => Ok($name::from_word(&s)),
                    other => Err(other),
                }
            }
        }
    };
}
