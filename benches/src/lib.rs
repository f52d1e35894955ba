//! Inputs for the sbg-tasks benchmarks: the documentation's example bodies, a large malformed
//! task body, and pathological inputs for the repair pass.
//!
//! The benchmarks themselves are in `benches/benches/`; run them with
//! `cargo bench -p sbg-tasks-benches` (see `benches/README.md`). Everything here is
//! deterministic, so two runs measure the same bytes.
//!
//! # In scope
//! - The example bodies (`get-task.json`, the malformed batch example).
//! - [`large_malformed_task`]: a task of about 1 MiB with the defects real bodies show.
//! - [`Pathological`]: inputs built to stress one part of the repair pass, at any size.
//!
//! # Out of scope
//! - Measuring: that is criterion's job, in the bench targets.

use std::fmt::Write as _;

pub mod sim;

/// The documentation's `get-task.json` answer (valid JSON).
pub const GET_TASK: &[u8] = include_bytes!("../../crates/sbg-tasks-proto/tests/data/get-task.json");

/// The documentation's malformed batch answer (single quotes, a missing comma, trailing
/// commas, a `<snip>` line).
pub const GET_TASK_BATCH_MALFORMED: &[u8] =
    include_bytes!("../../crates/sbg-tasks-proto/tests/data/get-task-batch.malformed.json");

/// A task answer of at least `min_len` bytes whose `inputs` hold many file entries, written
/// with the defects seen in real bodies: single-quoted strings, missing and trailing commas,
/// Python literals, comments, `<snip>` lines, raw tabs in strings, unquoted keys.
///
/// It is not valid JSON, and the lenient decode turns it into a task without error.
pub fn large_malformed_task(min_len: usize) -> Vec<u8> {
    let mut s = String::with_capacity(min_len + 4096);
    s.push_str(
        "{\n    \"href\": \"https://api.sbgenomics.com/v2/tasks/a547a1c4-45c3-441e-857e-caf2a2df96ad\",\n    \
         \"id\": 'a547a1c4-45c3-441e-857e-caf2a2df96ad',\n    \"name\": \"large batch\",\n    \
         \"status\": \"RUNNING\"\n    \"batch\": True,\n    \"execution_status\": {\n        \
         \"duration\": '123456789',\n        \"queued\": 3,\n        \"running\": 5,\n    },\n    \
         \"inputs\": {\n",
    );
    let mut i = 0usize;
    while s.len() < min_len {
        // One port per 8 entries; each entry a small file object with one defect or two.
        if i.is_multiple_of(8) {
            if i > 0 {
                s.push_str("        ],\n");
            }
            let _ = writeln!(s, "        \"port_{}\": [", i / 8);
        }
        let _ = match i % 6 {
            0 => writeln!(
                s,
                "            {{'class': 'File', 'path': '5702cd5a60b27cfe6e8c{i:04x}', 'name': 'sample_{i}.vcf'}},"
            ),
            1 => writeln!(
                s,
                "            {{\"class\": \"File\" \"path\": \"5702cd5a60b27cfe6e8c{i:04x}\", \"name\": \"sample\t{i}.bam\",}},"
            ),
            2 => writeln!(
                s,
                "            {{class: \"File\", path: \"5702cd5a60b27cfe6e8c{i:04x}\", size: {i}, indexed: False}}, // kept"
            ),
            3 => writeln!(s, "            <snip>"),
            4 => writeln!(
                s,
                "            {{\"class\": \"File\", \"path\": \"5702cd5a60b27cfe6e8c{i:04x}\", \"metadata\": {{\"sample_id\": None, \"lane\": +{i}}}}},"
            ),
            _ => writeln!(
                s,
                "            /* entry {i} */ {{\"class\": \"File\", \"path\": \"5702cd5a60b27cfe6e8c{i:04x}\", \"name\": \"r_{i}.fastq\"}},"
            ),
        };
        i += 1;
    }
    s.push_str(
        "        ],\n    },\n    \"price\": {\"currency\": \"USD\", \"amount\": \"0.00\",},\n}\n",
    );
    s.into_bytes()
}

/// Inputs that stress one part of the repair pass; [`Pathological::build`] makes one of any
/// size, so growth can be compared at n and 10 n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pathological {
    /// `[1 2 3 ...]`: a missing comma between every two elements.
    MissingCommas,
    /// `['a'b' ...]`-like single-quoted strings full of inner quotes followed by blanks, so
    /// the "does this quote end the string?" look-ahead runs at every quote.
    QuoteLookahead,
    /// `{"a": [[[[...1}` nested to just under the depth cap, again and again, each closed by a
    /// single mismatched `}` that must close 100 levels.
    MismatchedDeep,
    /// A body cut in the middle of a long string inside deep nesting.
    TruncatedLongString,
    /// Runs of junk bytes between elements.
    Junk,
    /// `<` elision-marker look-alikes that never close within the marker limit.
    ElisionLookalikes,
    /// Comments between every two tokens.
    Comments,
}

impl Pathological {
    /// Every kind, in declaration order.
    pub const ALL: [Pathological; 7] = [
        Pathological::MissingCommas,
        Pathological::QuoteLookahead,
        Pathological::MismatchedDeep,
        Pathological::TruncatedLongString,
        Pathological::Junk,
        Pathological::ElisionLookalikes,
        Pathological::Comments,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Pathological::MissingCommas => "missing_commas",
            Pathological::QuoteLookahead => "quote_lookahead",
            Pathological::MismatchedDeep => "mismatched_deep",
            Pathological::TruncatedLongString => "truncated_long_string",
            Pathological::Junk => "junk",
            Pathological::ElisionLookalikes => "elision_lookalikes",
            Pathological::Comments => "comments",
        }
    }

    /// An input of about `len` bytes (at least `len`, at most one unit more).
    pub fn build(self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 256);
        match self {
            Pathological::MissingCommas => {
                out.push(b'[');
                while out.len() < len {
                    out.extend_from_slice(b"12345 ");
                }
                out.push(b']');
            }
            Pathological::QuoteLookahead => {
                out.extend_from_slice(b"['");
                while out.len() < len {
                    out.extend_from_slice(b"it'                                      s ");
                }
                out.extend_from_slice(b"']");
            }
            Pathological::MismatchedDeep => {
                out.push(b'[');
                while out.len() < len {
                    out.extend_from_slice(b"{\"a\": ");
                    out.extend_from_slice(&[b'['; 100]);
                    out.extend_from_slice(b"1}");
                    out.push(b',');
                }
                out.pop();
                out.push(b']');
            }
            Pathological::TruncatedLongString => {
                out.extend_from_slice(&[b'['; 100]);
                out.extend_from_slice(b"{\"a\": \"");
                while out.len() < len {
                    out.extend_from_slice(b"abcdefghij\\n\\\"klmnop ");
                }
            }
            Pathological::Junk => {
                out.push(b'[');
                while out.len() < len {
                    out.extend_from_slice(b"1, @@@@@@@@@@@@@@@@ ");
                }
                out.extend_from_slice(b"2]");
            }
            Pathological::ElisionLookalikes => {
                out.push(b'[');
                while out.len() < len {
                    out.extend_from_slice(b"<");
                    out.extend_from_slice(&[b'a'; 70]);
                    out.extend_from_slice(b" 1, ");
                }
                out.extend_from_slice(b"2]");
            }
            Pathological::Comments => {
                out.push(b'{');
                while out.len() < len {
                    out.extend_from_slice(b"/* c */ \"k\" /* c */ : // c\n [1] # c\n, ");
                }
                out.extend_from_slice(b"\"end\": 1}");
            }
        }
        out
    }
}

/// The workspace README's library example (it uses `sbg-tasks-ureq`, a dependency of this
/// unpublished crate), compiled as a doctest so it cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
