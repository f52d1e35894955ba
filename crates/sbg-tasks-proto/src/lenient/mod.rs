//! Lenient repair of malformed JSON bodies (placeholder: the lenient engineer replaces this file).
//!
//! Contract used by the rest of the crate (keep these names and shapes):
//! `repair(input, &Policy) -> Result<Repaired, RepairError>`, `Repaired { json, report }`,
//! `RepairReport { repairs: Vec<Repair> }`, `Repair { kind: RepairKind, range }`.

use std::ops::Range;

/// What the repair pass may do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Repair kinds that make the decode fail instead of being repaired.
    pub reject: Vec<RepairKind>,
}

/// One kind of repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RepairKind {
    /// A value in single quotes.
    SingleQuotedString,
}

/// One repair made, at a byte range of the original input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// What was repaired.
    pub kind: RepairKind,
    /// Where, in the original input.
    pub range: Range<usize>,
}

/// Every repair made to one body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// The repairs in input order.
    pub repairs: Vec<Repair>,
}

/// A repaired body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// Valid JSON.
    pub json: Vec<u8>,
    /// What was done to get it.
    pub report: RepairReport,
}

/// The repair pass gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RepairError {
    /// Not implemented yet.
    #[error("lenient repair is not available")]
    Unavailable,
}

/// Repairs `input` into valid JSON.
pub fn repair(_input: &[u8], _policy: &Policy) -> Result<Repaired, RepairError> {
    Err(RepairError::Unavailable)
}
