//! What the repair pass is allowed to do: [`Policy`].

use super::report::RepairKind;

/// Default cap on the number of repairs of one body ([`Policy::max_repairs`]).
pub const DEFAULT_MAX_REPAIRS: usize = 10_000;

/// Default nesting limit ([`Policy::max_depth`]): `serde_json`'s recursion limit, counted the
/// same way (127 levels pass, 128 do not), so that every repaired body is accepted by
/// `serde_json` and the strict and lenient decoders refuse the same depths.
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// What the repair pass may do.
///
/// ```
/// use sbg_tasks_proto::lenient::{Policy, RepairKind};
///
/// let policy = Policy::default()
///     .rejecting(RepairKind::Truncated)
///     .rejecting(RepairKind::PartialMemberDropped);
/// assert!(policy.rejects(RepairKind::Truncated));
/// assert!(!policy.rejects(RepairKind::TrailingComma));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Repair kinds that make the repair fail with
    /// [`RepairError::Rejected`](super::RepairError::Rejected) instead of being made.
    pub reject: Vec<RepairKind>,
    /// The most repairs one body may need; one more ends in
    /// [`RepairError::TooManyRepairs`](super::RepairError::TooManyRepairs). `0` accepts only
    /// valid JSON.
    pub max_repairs: usize,
    /// Nesting limit, counted as `serde_json` counts its recursion limit: an object or array
    /// opened `max_depth` levels deep ends in
    /// [`RepairError::TooDeep`](super::RepairError::TooDeep), so at most `max_depth - 1`
    /// levels pass. Above the default (128) the output may nest deeper than `serde_json`'s
    /// default recursion limit accepts.
    pub max_depth: usize,
}

impl Default for Policy {
    /// Repairs everything, up to [`DEFAULT_MAX_REPAIRS`] repairs and [`DEFAULT_MAX_DEPTH`] levels.
    fn default() -> Self {
        Policy {
            reject: Vec::new(),
            max_repairs: DEFAULT_MAX_REPAIRS,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl Policy {
    /// This policy, also refusing repairs of `kind`.
    #[must_use]
    pub fn rejecting(mut self, kind: RepairKind) -> Self {
        if !self.reject.contains(&kind) {
            self.reject.push(kind);
        }
        self
    }

    /// This policy, refusing every kind in `kinds`.
    #[must_use]
    pub fn rejecting_all(mut self, kinds: impl IntoIterator<Item = RepairKind>) -> Self {
        for k in kinds {
            self = self.rejecting(k);
        }
        self
    }

    /// This policy with another cap on the number of repairs.
    #[must_use]
    pub fn with_max_repairs(mut self, max: usize) -> Self {
        self.max_repairs = max;
        self
    }

    /// This policy with another cap on the nesting depth.
    #[must_use]
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// Whether repairs of `kind` are refused.
    pub fn rejects(&self, kind: RepairKind) -> bool {
        self.reject.contains(&kind)
    }
}
