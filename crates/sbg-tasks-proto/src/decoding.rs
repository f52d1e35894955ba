//! [`Decoding`]: strict or lenient, the one decoding setting a caller names (it lives at the
//! crate root; the rest of decoding is in [`crate::decode`]).

use crate::lenient::Policy;

/// How bodies are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoding {
    /// Valid JSON of the right types only; anything else is an error.
    Strict,
    /// Valid JSON decodes exactly as [`Decoding::Strict`] does (fast path, empty report);
    /// otherwise the body is repaired and typed leniently as `Policy` allows, and every repair
    /// and coercion is reported.
    Lenient(Policy),
}

impl Default for Decoding {
    /// Lenient with the default policy: the right default for task answers.
    fn default() -> Self {
        Decoding::Lenient(Policy::default())
    }
}
