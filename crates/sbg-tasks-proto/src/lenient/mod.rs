//! Lenient repair of malformed JSON bodies, with a report of every repair.
//!
//! [`repair`] turns a body that is almost JSON into JSON that `serde_json` accepts, and says
//! exactly what it changed and where: each [`Repair`] has a [`RepairKind`] and a byte range of
//! the ORIGINAL input ([`line_col`] turns an offset into a line and column on demand). When
//! nothing trustworthy can be recovered it returns a typed [`RepairError`] instead.
//!
//! The pass only fixes syntax. It never guesses types: `'123456789'` becomes the string
//! `"123456789"`, and it is the typed layer ([`crate::decode`]) that may then accept that
//! string where the model expects a number, and report the coercion.
//!
//! ```
//! use sbg_tasks_proto::lenient::{repair, Policy, RepairKind};
//!
//! let body = b"{'id': 'a1', \"n\": 1 \"ok\": True,}";
//! let fixed = repair(body, &Policy::default())?;
//! assert_eq!(fixed.json, br#"{"id": "a1", "n": 1, "ok": true}"#);
//! let kinds: Vec<RepairKind> = fixed.report.kinds().collect();
//! assert_eq!(kinds, [
//!     RepairKind::SingleQuotedString, // 'id'
//!     RepairKind::SingleQuotedString, // 'a1'
//!     RepairKind::MissingComma,       // after 1
//!     RepairKind::PythonLiteral,      // True
//!     RepairKind::TrailingComma,      // before }
//! ]);
//! assert_eq!(fixed.report.repairs[2].range, 19..19);
//! # Ok::<(), sbg_tasks_proto::lenient::RepairError>(())
//! ```
//!
//! # In scope (what is repaired)
//! - Strings in single quotes and in typographic quotes (`“…”`, `‘…’`); a quote that would
//!   end such a string only ends it when what follows can follow a string, so `'it's'` works.
//! - Missing commas (inserted), trailing and doubled commas (dropped), missing colons, keys
//!   without a value (`null` is inserted so the key survives).
//! - Elision markers standing as an element or line of their own inside an object or array —
//!   `<snip>`, `<...>` (any `<word>` up to 64 bytes), `...`, `…` — are dropped and never become
//!   members. Inside strings they are text.
//! - `//`, `/* */` and `#` comments; unquoted keys (`{id: 1}`); unquoted text values
//!   (become strings); `True`/`False`/`None`; `undefined`; `NaN`/`Infinity`/`-Infinity`
//!   (become `null`); numbers in other spellings (`+1`, `01`, `.5`, `1.`, `0x1F`); numbers too
//!   large for a double (become strings holding their digits).
//! - A UTF-8 byte order mark and an anti-XSSI prefix (`)]}'`, `while(1);`, `for(;;);`).
//! - Inside strings: raw control characters (escaped), escapes JSON lacks (`\'`, `\xHH`, `\q`,
//!   lone surrogates), bytes that are not UTF-8 (U+FFFD).
//! - Closing brackets that do not match (the open containers up to the partner are closed),
//!   stray bytes (skipped as junk), trailing garbage after a complete object or array.
//! - A truncated body: every open container is closed; a member the end cut through (an
//!   unterminated string, a number or word running into the end, a key without its value) is
//!   dropped, never guessed.
//! - A members-only fragment (`"errors": [...]` without braces) is wrapped into an object.
//!
//! # Out of scope (what is not repaired)
//! - Text with nothing JSON-like at its start (an HTML page from a proxy, `Bad Gateway`,
//!   `404 Not Found`, UTF-16): [`RepairError::NotJson`] says what it looks like, with a
//!   bounded excerpt. A top-level scalar followed by more text is treated the same way.
//! - An unterminated top-level string: [`RepairError::Unrecoverable`].
//! - A string whose closing quote is missing in the middle of a body is read up to the next
//!   quote (no backtracking: the pass stays linear); what follows is repaired as best it can
//!   be, and reported.
//! - A missing comma right after a single-quoted string is found only when a quote or a line
//!   break follows (`['a' 'b']`, or the next member on its own line): in `['a' 1]` the quote
//!   before ` 1` cannot be told from an apostrophe, so the string runs on.
//! - Several top-level values (NDJSON, concatenated JSON): everything after the first is
//!   trailing garbage.
//! - JSONP wrappers (`callback({...})`) are not unwrapped.
//!
//! # Guarantees
//! - Valid JSON comes back byte for byte, with an empty report.
//! - The output is always valid JSON that `serde_json::from_slice::<serde_json::Value>`
//!   accepts (with the default `max_depth`), or the result is an error; no input makes it
//!   panic.
//! - One forward pass, an explicit stack (no recursion), linear time: `repair_counting`
//!   (feature `test-util`)
//!   returns the number of steps taken, which is at most a small constant times the input
//!   length. Depth and number of repairs are capped by the [`Policy`].
//! - Report ranges lie inside the input and are sorted by start.

mod error;
mod lexical;
mod policy;
mod repair;
mod report;

pub use error::{RepairError, NOT_JSON_EXCERPT_LEN};
pub use policy::{Policy, DEFAULT_MAX_DEPTH, DEFAULT_MAX_REPAIRS};
pub use report::{line_col, Repair, RepairKind, RepairReport};

/// A repaired body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// Valid JSON (for valid JSON input: the input itself).
    pub json: Vec<u8>,
    /// What was done to get it (empty for valid JSON).
    pub report: RepairReport,
}

/// Repairs `input` into valid JSON, as `policy` allows.
///
/// # Errors
/// [`RepairError`] when the input is empty, is not JSON-like at all, cannot be trusted, nests
/// too deep, or needs more repairs (or other kinds of repair) than `policy` allows.
pub fn repair(input: &[u8], policy: &Policy) -> Result<Repaired, RepairError> {
    finish(repair::run(input, policy).0)
}

fn finish(r: Result<(Vec<u8>, Vec<Repair>), RepairError>) -> Result<Repaired, RepairError> {
    r.map(|(json, repairs)| Repaired {
        json,
        report: RepairReport { repairs },
    })
}

/// [`repair`], also returning the number of steps the pass took: one per byte examined, per
/// token, and per output byte moved. It grows linearly with the input; tests use it to check
/// that without timing anything.
#[cfg(any(test, feature = "test-util"))]
pub fn repair_counting(input: &[u8], policy: &Policy) -> (Result<Repaired, RepairError>, u64) {
    let (r, steps) = repair::run(input, policy);
    (finish(r), steps)
}
