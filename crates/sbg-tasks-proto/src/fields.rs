//! The `fields` selector: which members of the task the platform should send.

use std::fmt;

/// A `fields` query parameter: `_all`, or a comma-separated list of field names.
///
/// ```
/// use sbg_tasks_proto::fields::Fields;
/// let f: Fields = "id,status,execution_status".parse().unwrap();
/// assert_eq!(f.to_string(), "id,status,execution_status");
/// assert_eq!(Fields::All.to_string(), "_all");
/// assert!("id,&evil=1".parse::<Fields>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fields {
    /// `_all`: every field.
    All,
    /// Only these fields (never empty).
    Only(Vec<FieldName>),
}

/// One field name in a selector: ASCII letters, digits, `_`, `.` (nested fields) and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldName(String);

/// Why a fields selector was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldsError {
    /// No field names at all.
    #[error("the fields selector is empty")]
    Empty,
    /// An empty name between commas.
    #[error("the fields selector has an empty name at position {index}")]
    EmptyName {
        /// 0-based position in the list.
        index: usize,
    },
    /// A character that cannot be in a field name.
    #[error("field name {name:?} has {ch:?}; only A-Z, a-z, 0-9, '_', '.' and '-' are allowed")]
    InvalidChar {
        /// The name.
        name: String,
        /// The offending character.
        ch: char,
    },
    /// A name too long to be real (over 128 bytes).
    #[error("field name of {len} bytes is too long (max 128)")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

impl FieldName {
    /// Validates a field name.
    pub fn new(name: impl Into<String>) -> Result<Self, FieldsError> {
        let name = name.into();
        if name.is_empty() {
            return Err(FieldsError::EmptyName { index: 0 });
        }
        if name.len() > 128 {
            return Err(FieldsError::TooLong { len: name.len() });
        }
        if let Some(ch) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(FieldsError::InvalidChar { name, ch });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Fields {
    /// A selector of the given names.
    pub fn only<I, S>(names: I) -> Result<Self, FieldsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut out = Vec::new();
        for (index, n) in names.into_iter().enumerate() {
            let n = n.into();
            if n.is_empty() {
                return Err(FieldsError::EmptyName { index });
            }
            out.push(FieldName::new(n)?);
        }
        if out.is_empty() {
            return Err(FieldsError::Empty);
        }
        Ok(Fields::Only(out))
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fields::All => f.write_str("_all"),
            Fields::Only(names) => {
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(&n.0)?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for Fields {
    type Err = FieldsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "_all" {
            return Ok(Fields::All);
        }
        if s.is_empty() {
            return Err(FieldsError::Empty);
        }
        Fields::only(s.split(',').map(str::trim))
    }
}
