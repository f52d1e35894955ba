//! Task ids that can never change the request path.

use std::fmt;

/// Longest task id accepted. Platform ids are 36-character UUIDs.
pub const MAX_TASK_ID_LEN: usize = 128;

/// The id of a task, safe to put in a URL path segment.
///
/// Platform ids are UUIDs (`08c5ce64-1551-4b7d-b054-63a1517bc7bb`), but any id made only of
/// unreserved URL characters (`A-Z a-z 0-9 - . _ ~`) is accepted, so a future id format keeps
/// working. `/`, `?`, `#`, `%`, spaces, non-ASCII, and the dot segments `.` and `..` are rejected,
/// so an id can never change which path a request goes to.
///
/// ```
/// use sbg_tasks_proto::TaskId;
/// let id: TaskId = "08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap();
/// assert!(id.is_uuid());
/// assert!("../admin".parse::<TaskId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(String);

/// Why a string is not a task id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskIdError {
    /// A task from the platform has no `id` (the answer left it out, e.g. a `fields`
    /// selector without `id`).
    #[error("the task has no id (the answer did not include one)")]
    Missing,
    /// The id is empty.
    #[error("the task id is empty")]
    Empty,
    /// The id is longer than [`MAX_TASK_ID_LEN`] bytes.
    #[error("the task id is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character that is not an unreserved URL character.
    #[error("the task id has {ch:?} at byte {position}; only A-Z, a-z, 0-9, '-', '.', '_' and '~' are allowed")]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its byte offset in the id.
        position: usize,
    },
    /// The id is `.` or `..`, which a URL resolver would treat as a path step.
    #[error("the task id {0:?} is a dot segment and would change the request path")]
    DotSegment(String),
}

impl TaskId {
    /// Validates an id.
    pub fn new(id: impl Into<String>) -> Result<Self, TaskIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(TaskIdError::Empty);
        }
        if let Some((position, ch)) = id.char_indices().find(|&(_, c)| !is_unreserved(c)) {
            return Err(TaskIdError::InvalidChar { ch, position });
        }
        if id.len() > MAX_TASK_ID_LEN {
            return Err(TaskIdError::TooLong {
                len: id.len(),
                max: MAX_TASK_ID_LEN,
            });
        }
        if id == "." || id == ".." {
            return Err(TaskIdError::DotSegment(id));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the id has the canonical UUID form (8-4-4-4-12 hex digits) that the platform uses.
    pub fn is_uuid(&self) -> bool {
        let b = self.0.as_bytes();
        b.len() == 36
            && b.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    }
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TaskId {
    type Err = TaskIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for TaskId {
    type Error = TaskIdError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for TaskId {
    type Error = TaskIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl AsRef<str> for TaskId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for TaskId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for TaskId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TaskId::new(s).map_err(serde::de::Error::custom)
    }
}
