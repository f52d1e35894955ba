//! The authentication token: a secret that never shows itself.

use std::fmt;

/// Longest token accepted, in bytes. Platform tokens are 32 hex digits; the cap only keeps
/// absurd inputs out of headers.
pub const MAX_TOKEN_LEN: usize = 4096;

/// A platform authentication token (developer token or OAuth access token).
///
/// `Debug` and `Display` print `AuthToken(<redacted>)`; the value is only reachable through
/// [`AuthToken::expose_secret`], which the request builder calls to fill the auth header (marked
/// sensitive there). Errors about a token never contain the token or any of its bytes.
///
/// ```
/// use sbg_tasks_proto::AuthToken;
/// let t = AuthToken::new("3259c50e1ac5426ea8f1273259740f74").unwrap();
/// assert_eq!(format!("{t:?}"), "AuthToken(<redacted>)");
/// assert!(AuthToken::new("abc\r\nX-Evil: 1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

/// Why a token was rejected. Never holds the token or any byte of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is empty (or only white space was given).
    #[error("the auth token is empty")]
    Empty,
    /// The token is longer than [`MAX_TOKEN_LEN`].
    #[error("the auth token is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A byte that is not a visible ASCII character (a space, a control character such as CR or
    /// LF, or a non-ASCII byte) — it could break or inject into the HTTP header.
    #[error("the auth token has a {class} at byte {position}; only visible ASCII characters are allowed")]
    InvalidByte {
        /// Byte offset of the first offending byte.
        position: usize,
        /// What kind of byte it is ("space", "control character", "non-ASCII byte").
        class: &'static str,
    },
}

impl AuthToken {
    /// Validates and wraps a token. Leading/trailing white space is NOT trimmed: a token read
    /// from a file should be trimmed by the caller, on purpose.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let token = token.into();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong {
                len: token.len(),
                max: MAX_TOKEN_LEN,
            });
        }
        if let Some((position, b)) = token
            .bytes()
            .enumerate()
            .find(|(_, b)| !(0x21..=0x7e).contains(b))
        {
            let class = match b {
                b' ' => "space",
                0..=0x1f | 0x7f => "control character",
                _ => "non-ASCII byte",
            };
            return Err(TokenError::InvalidByte { position, class });
        }
        Ok(Self(token))
    }

    /// The secret itself. Call it only to put the token on the wire.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

impl fmt::Display for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for AuthToken {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}
