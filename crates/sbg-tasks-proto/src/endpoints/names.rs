//! Validated project and app names, as the create and list calls send them.

use std::fmt;

/// Longest project or app name accepted.
pub const MAX_NAME_LEN: usize = 512;

/// A project, `owner/project` (e.g. `rfranklin/my-project`).
///
/// Exactly one `/` with text on both sides; no whitespace or control characters.
///
/// ```
/// use sbg_tasks_proto::ProjectId;
/// assert!("rfranklin/my-project".parse::<ProjectId>().is_ok());
/// assert!("my-project".parse::<ProjectId>().is_err());
/// assert!("".parse::<ProjectId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectId(String);

/// An app, `owner/project/app` with an optional `/revision` (e.g.
/// `rfranklin/my-project/bamtools-index-2-4-0/0`).
///
/// Three or four `/`-separated parts, none empty; no whitespace or control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(String);

/// Why a project or app name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("the {what} name is empty")]
    Empty {
        /// `project` or `app`.
        what: &'static str,
    },
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    #[error("the {what} name is {len} bytes long; at most {MAX_NAME_LEN} are accepted")]
    TooLong {
        /// `project` or `app`.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A whitespace or control character.
    #[error("the {what} name has {ch:?} at byte {position}; whitespace and control characters are not allowed")]
    InvalidChar {
        /// `project` or `app`.
        what: &'static str,
        /// The offending character.
        ch: char,
        /// Its byte offset.
        position: usize,
    },
    /// Not made of the expected `/`-separated parts.
    #[error("the {what} name {name:?} is not of the form {expected}")]
    Shape {
        /// `project` or `app`.
        what: &'static str,
        /// The name given.
        name: String,
        /// The form expected.
        expected: &'static str,
    },
}

fn check(
    what: &'static str,
    name: &str,
    parts: std::ops::RangeInclusive<usize>,
    expected: &'static str,
) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { what });
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong {
            what,
            len: name.len(),
        });
    }
    if let Some((position, ch)) = name
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        return Err(NameError::InvalidChar { what, ch, position });
    }
    let n = name.split('/').count();
    if !parts.contains(&n) || name.split('/').any(str::is_empty) {
        return Err(NameError::Shape {
            what,
            name: name.to_owned(),
            expected,
        });
    }
    Ok(())
}

impl ProjectId {
    /// Validates `owner/project`.
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        check("project", &name, 2..=2, "owner/project")?;
        Ok(Self(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AppId {
    /// Validates `owner/project/app[/revision]`.
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        check("app", &name, 3..=4, "owner/project/app[/revision]")?;
        Ok(Self(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! name_impls {
    ($t:ident) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($t), "({})"), self.0)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $t {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}
name_impls!(ProjectId);
name_impls!(AppId);
