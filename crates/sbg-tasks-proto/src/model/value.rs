//! Values of task inputs and outputs: files and directories, arrays, maps, primitives, null.

use std::fmt;

use indexmap::IndexMap;
use serde_json::{Number, Value};

use super::{Extra, FromLenient, LenientCx};

/// The value of one input or output port.
///
/// A JSON object whose `class` is `"File"` or `"Directory"` (and whose `path`/`name` are strings
/// and `secondaryFiles` an array, when present) is a [`FileRef`]; any other object is a
/// [`PortValue::Map`]. Nothing is lost: decode → encode → decode gives an equal value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum PortValue {
    /// `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, exactly as serde_json read it.
    Number(Number),
    /// A string.
    String(String),
    /// A file or directory.
    File(FileRef),
    /// An array.
    Array(Vec<PortValue>),
    /// An object that is not a file (a record, or `{}` for a not-yet-produced output).
    Map(IndexMap<String, PortValue>),
}

/// Whether a [`FileRef`] is a file or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileClass {
    /// `"File"`.
    File,
    /// `"Directory"`.
    Directory,
}

impl FileClass {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            FileClass::File => "File",
            FileClass::Directory => "Directory",
        }
    }
}

/// A file or directory in an input or output: `{class, path, name, secondaryFiles, ...}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FileRef {
    /// File or directory.
    pub class: FileClass,
    /// The platform's file id (the `path` member).
    pub path: Option<String>,
    /// The file name.
    pub name: Option<String>,
    /// Secondary (index) files, e.g. a `.bai` beside a `.bam`.
    pub secondary_files: Option<Vec<PortValue>>,
    /// Any other members (`size`, `metadata`, `contents`, `listing`, ...), kept as sent.
    pub extra: Extra,
}

impl FileRef {
    /// A file with the given platform id.
    pub fn file(path: impl Into<String>) -> Self {
        Self {
            class: FileClass::File,
            path: Some(path.into()),
            name: None,
            secondary_files: None,
            extra: Extra::new(),
        }
    }

    /// Sets the name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

impl PortValue {
    /// The file, if this is one.
    pub fn as_file(&self) -> Option<&FileRef> {
        match self {
            PortValue::File(f) => Some(f),
            _ => None,
        }
    }

    /// Every file in this value, depth first (arrays and maps are searched; a file's secondary
    /// files come right after it).
    pub fn files(&self) -> Vec<&FileRef> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                PortValue::File(f) => {
                    out.push(f);
                    if let Some(sf) = &f.secondary_files {
                        stack.extend(sf.iter().rev());
                    }
                }
                PortValue::Array(a) => stack.extend(a.iter().rev()),
                PortValue::Map(m) => stack.extend(m.values().rev()),
                _ => {}
            }
        }
        out
    }

    /// Converts from an untyped JSON value (never fails).
    pub fn from_json(v: Value) -> Self {
        match v {
            Value::Null => PortValue::Null,
            Value::Bool(b) => PortValue::Bool(b),
            Value::Number(n) => PortValue::Number(n),
            Value::String(s) => PortValue::String(s),
            Value::Array(a) => PortValue::Array(a.into_iter().map(Self::from_json).collect()),
            Value::Object(o) => classify(
                o.into_iter()
                    .map(|(k, v)| (k, Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to an untyped JSON value (never fails, nothing lost).
    pub fn to_json(&self) -> Value {
        match self {
            PortValue::Null => Value::Null,
            PortValue::Bool(b) => Value::Bool(*b),
            PortValue::Number(n) => Value::Number(n.clone()),
            PortValue::String(s) => Value::String(s.clone()),
            PortValue::Array(a) => Value::Array(a.iter().map(Self::to_json).collect()),
            PortValue::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            PortValue::File(f) => {
                let mut o = Extra::new();
                o.insert("class".into(), Value::String(f.class.as_str().into()));
                if let Some(p) = &f.path {
                    o.insert("path".into(), Value::String(p.clone()));
                }
                if let Some(n) = &f.name {
                    o.insert("name".into(), Value::String(n.clone()));
                }
                if let Some(sf) = &f.secondary_files {
                    o.insert(
                        "secondaryFiles".into(),
                        Value::Array(sf.iter().map(Self::to_json).collect()),
                    );
                }
                for (k, v) in &f.extra {
                    o.insert(k.clone(), v.clone());
                }
                Value::Object(o)
            }
        }
    }
}

/// Makes an object a [`FileRef`] when it has the shape of one, else a [`PortValue::Map`].
///
/// Takes the members as a list, in the order sent: deciding before building a map keeps file
/// objects (the common case in inputs and outputs) free of hashing.
fn classify(members: Vec<(String, PortValue)>) -> PortValue {
    let get = |key: &str| members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    let class = match get("class") {
        Some(PortValue::String(s)) if s == "File" => FileClass::File,
        Some(PortValue::String(s)) if s == "Directory" => FileClass::Directory,
        _ => return PortValue::Map(members.into_iter().collect()),
    };
    let str_or_absent = |v: Option<&PortValue>| matches!(v, None | Some(PortValue::String(_)));
    if !str_or_absent(get("path"))
        || !str_or_absent(get("name"))
        || !matches!(get("secondaryFiles"), None | Some(PortValue::Array(_)))
    {
        return PortValue::Map(members.into_iter().collect());
    }
    let mut file = FileRef {
        class,
        path: None,
        name: None,
        secondary_files: None,
        extra: Extra::new(),
    };
    // A repeated member keeps its last value, as a map would.
    for (k, v) in members {
        match (k.as_str(), v) {
            ("class", _) => {}
            ("path", PortValue::String(s)) => file.path = Some(s),
            ("name", PortValue::String(s)) => file.name = Some(s),
            ("secondaryFiles", PortValue::Array(a)) => file.secondary_files = Some(a),
            (_, v) => {
                file.extra.insert(k, v.to_json());
            }
        }
    }
    PortValue::File(file)
}

impl serde::Serialize for FileRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("class", self.class.as_str())?;
        if let Some(p) = &self.path {
            m.serialize_entry("path", p)?;
        }
        if let Some(n) = &self.name {
            m.serialize_entry("name", n)?;
        }
        if let Some(sf) = &self.secondary_files {
            m.serialize_entry("secondaryFiles", sf)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl serde::Serialize for PortValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PortValue::Null => s.serialize_unit(),
            PortValue::Bool(b) => s.serialize_bool(*b),
            PortValue::Number(n) => n.serialize(s),
            PortValue::String(v) => s.serialize_str(v),
            PortValue::File(f) => f.serialize(s),
            PortValue::Array(a) => s.collect_seq(a),
            PortValue::Map(m) => s.collect_map(m),
        }
    }
}

impl<'de> serde::Deserialize<'de> for PortValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PortValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: Error>(self) -> Result<PortValue, E> {
                Ok(PortValue::Null)
            }
            fn visit_none<E: Error>(self) -> Result<PortValue, E> {
                Ok(PortValue::Null)
            }
            fn visit_some<D2: serde::Deserializer<'de>>(
                self,
                d: D2,
            ) -> Result<PortValue, D2::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_bool<E: Error>(self, v: bool) -> Result<PortValue, E> {
                Ok(PortValue::Bool(v))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<PortValue, E> {
                Ok(PortValue::Number(v.into()))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<PortValue, E> {
                Ok(PortValue::Number(v.into()))
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<PortValue, E> {
                Number::from_f64(v)
                    .map(PortValue::Number)
                    .ok_or_else(|| E::custom("a number that is not finite"))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<PortValue, E> {
                Ok(PortValue::String(v.to_owned()))
            }
            fn visit_string<E: Error>(self, v: String) -> Result<PortValue, E> {
                Ok(PortValue::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PortValue, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(PortValue::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PortValue, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4).min(64));
                while let Some(entry) = map.next_entry::<String, PortValue>()? {
                    members.push(entry);
                }
                if let Some(k) = super::strict::first_repeated(&members) {
                    return Err(super::strict::duplicate(k));
                }
                Ok(classify(members))
            }
        }
        d.deserialize_any(V)
    }
}

impl FromLenient for PortValue {
    const EXPECTED: &'static str = "any value";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        Ok(PortValue::from_json(v))
    }
}

/// Inputs or outputs of a task: port id → value, in the order sent.
pub type PortMap = IndexMap<String, PortValue>;

impl FromLenient for PortMap {
    const EXPECTED: &'static str = "an object";
    fn from_lenient(v: Value, _cx: &mut LenientCx) -> Result<Self, Value> {
        match v {
            Value::Object(o) => Ok(o
                .into_iter()
                .map(|(k, v)| (k, PortValue::from_json(v)))
                .collect()),
            other => Err(other),
        }
    }
}

/// The inputs of a task as `GET` and `PATCH /tasks/{id}/inputs` answer them: port id → value,
/// in the order sent, every shape kept (a record that is not a file is a [`PortValue::Map`])
/// and re-emitted. A port named twice is an error in strict decoding and a reported, set-aside
/// value in lenient decoding, never a silent choice.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct TaskInputs(pub PortMap);

impl<'de> serde::Deserialize<'de> for TaskInputs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::strict::StrictMap::<PortValue>::deserialize(d).map(|m| TaskInputs(m.0))
    }
}

impl FromLenient for TaskInputs {
    const EXPECTED: &'static str = "an object";
    fn from_lenient(v: Value, cx: &mut LenientCx) -> Result<Self, Value> {
        PortMap::from_lenient(v, cx).map(TaskInputs)
    }
}

impl std::ops::Deref for TaskInputs {
    type Target = PortMap;
    fn deref(&self) -> &PortMap {
        &self.0
    }
}

impl std::ops::DerefMut for TaskInputs {
    fn deref_mut(&mut self) -> &mut PortMap {
        &mut self.0
    }
}

impl From<PortMap> for TaskInputs {
    fn from(map: PortMap) -> Self {
        TaskInputs(map)
    }
}

impl From<FileRef> for PortValue {
    fn from(f: FileRef) -> Self {
        PortValue::File(f)
    }
}
impl From<&str> for PortValue {
    fn from(s: &str) -> Self {
        PortValue::String(s.to_owned())
    }
}
impl From<String> for PortValue {
    fn from(s: String) -> Self {
        PortValue::String(s)
    }
}
impl From<bool> for PortValue {
    fn from(b: bool) -> Self {
        PortValue::Bool(b)
    }
}
impl From<i32> for PortValue {
    fn from(n: i32) -> Self {
        PortValue::Number(n.into())
    }
}
impl From<u64> for PortValue {
    fn from(n: u64) -> Self {
        PortValue::Number(n.into())
    }
}
impl From<i64> for PortValue {
    fn from(n: i64) -> Self {
        PortValue::Number(n.into())
    }
}
impl<T: Into<PortValue>> From<Vec<T>> for PortValue {
    fn from(v: Vec<T>) -> Self {
        PortValue::Array(v.into_iter().map(Into::into).collect())
    }
}
