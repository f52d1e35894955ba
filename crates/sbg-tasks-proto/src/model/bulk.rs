//! The body of `POST /v2/bulk/tasks/get`: one entry per id asked, a task or an error.

use serde_json::Value;

use super::{FromLenient, LenientCx, Task};

model_struct! {
    /// One entry of a bulk answer, as sent: `{"resource": task}` for an id that was found, or
    /// `{"error": {status, code, message, more_info}}` for one that was not.
    pub struct BulkEntry {
        /// The task.
        resource: Task = "resource",
        /// Why there is no task for this id.
        error: BulkEntryError = "error",
    }
}

model_struct! {
    /// The error of one bulk entry, shaped like an error answer's body.
    pub struct BulkEntryError {
        /// The HTTP status the call would have had alone (e.g. 404).
        status: u64 = "status",
        /// The platform code (e.g. 7002).
        code: i64 = "code",
        /// The platform's message.
        message: String = "message",
        /// The platform's `more_info` link.
        more_info: String = "more_info",
    }
}

model_struct! {
    /// The body of a bulk answer: `{"items": [...]}`, one entry per id asked, in order.
    pub struct BulkEntries {
        /// The entries.
        items: Vec<BulkSlot> = "items",
    }
}

/// One place in a bulk answer's `items`: an entry object, or — after a lenient decode only —
/// whatever else was sent there, kept as it was (strict decoding refuses it).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BulkSlot {
    /// An object, read as an entry.
    Entry(Box<BulkEntry>),
    /// Something that is not an object.
    Other(Value),
}

impl serde::Serialize for BulkSlot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BulkSlot::Entry(e) => e.serialize(s),
            BulkSlot::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> serde::Deserialize<'de> for BulkSlot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BulkEntry::deserialize(d).map(|e| BulkSlot::Entry(Box::new(e)))
    }
}

impl FromLenient for BulkSlot {
    const EXPECTED: &'static str = "an object";
    /// Never fails: one unusable entry must not cost the others.
    fn from_lenient(v: Value, cx: &mut LenientCx) -> Result<Self, Value> {
        match v {
            Value::Object(_) => {
                BulkEntry::from_lenient(v, cx).map(|e| BulkSlot::Entry(Box::new(e)))
            }
            other => Ok(BulkSlot::Other(other)),
        }
    }
}
