//! Property tests of the lenient repair pass: injected defects come back repaired and
//! reported, valid JSON passes untouched, truncation gives a prefix or an error, and arbitrary
//! bytes give valid JSON or an error that says where.

use std::collections::BTreeSet;

use proptest::prelude::*;
use sbg_tasks_proto::lenient::{repair, repair_counting, Policy, RepairError, RepairKind};
use serde_json::Value;

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _'\"\\\\/.,:<>{}\\[\\]#-]{0,12}",
        any::<String>(),
        "[…“”‘’<snip>\\. ]{0,8}",
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z_$][a-zA-Z0-9_$]{0,8}", arb_string()]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_container() -> impl Strategy<Value = Value> {
    arb_value().prop_map(|v| match v {
        Value::Array(_) | Value::Object(_) => v,
        other => Value::Array(vec![other]),
    })
}

/// Prints a value as JSON, injecting defects where `choices` say so, and records the kinds of
/// the injected defects.
struct Printer<'a> {
    choices: &'a [u8],
    k: usize,
    pretty: bool,
    kinds: BTreeSet<RepairKind>,
}

/// Defect codes drawn from `choices` (anything else: no defect).
const SINGLE: u8 = 1;
const SMART: u8 = 2;
const UNQUOTED_KEY: u8 = 3;
const PYTHON: u8 = 4;
const DROP_COMMA: u8 = 5;
const EXTRA_COMMA: u8 = 6;
const TRAILING_COMMA: u8 = 7;
const ELISION: u8 = 8;
const BLOCK_COMMENT: u8 = 9;
const LINE_COMMENT: u8 = 10;

impl Printer<'_> {
    fn pick(&mut self) -> u8 {
        if self.choices.is_empty() {
            return 0;
        }
        let c = self.choices[self.k % self.choices.len()];
        self.k += 1;
        c
    }

    fn string(&mut self, s: &str, key: bool) -> Vec<u8> {
        let json = serde_json::to_string(s).unwrap();
        let inner = &json[1..json.len() - 1];
        match self.pick() {
            SINGLE => {
                self.kinds.insert(RepairKind::SingleQuotedString);
                format!("'{}'", inner.replace('\'', "\\'")).into_bytes()
            }
            SMART if !inner.contains(['“', '”', '‘', '’']) => {
                self.kinds.insert(RepairKind::SmartQuotes);
                format!("“{inner}”").into_bytes()
            }
            UNQUOTED_KEY
                if key
                    && s.bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') =>
            {
                self.kinds.insert(RepairKind::UnquotedKey);
                s.as_bytes().to_vec()
            }
            _ => json.into_bytes(),
        }
    }

    /// Text before a member (after `[`, `{` or a comma).
    fn before_member(&mut self, out: &mut Vec<u8>) {
        match self.pick() {
            ELISION => {
                self.kinds.insert(RepairKind::ElisionLine);
                let marker = ["<snip>", "...", "…", "<...>"][self.k % 4];
                out.extend_from_slice(format!("\n{marker}\n").as_bytes());
            }
            BLOCK_COMMENT => {
                self.kinds.insert(RepairKind::Comment);
                out.extend_from_slice(b"/* c, ] } */");
            }
            LINE_COMMENT => {
                self.kinds.insert(RepairKind::Comment);
                out.extend_from_slice(b"// c, ] }\n");
            }
            _ => {}
        }
    }

    fn value(&mut self, v: &Value, depth: usize) -> Vec<u8> {
        match v {
            Value::Null | Value::Bool(_) => {
                let text = v.to_string();
                if self.pick() == PYTHON {
                    self.kinds.insert(RepairKind::PythonLiteral);
                    return match v {
                        Value::Bool(true) => b"True".to_vec(),
                        Value::Bool(false) => b"False".to_vec(),
                        _ => b"None".to_vec(),
                    };
                }
                text.into_bytes()
            }
            Value::Number(_) => v.to_string().into_bytes(),
            Value::String(s) => self.string(s, false),
            Value::Array(items) => {
                let members: Vec<Vec<u8>> =
                    items.iter().map(|i| self.value(i, depth + 1)).collect();
                self.container(b'[', b']', members, depth)
            }
            Value::Object(map) => {
                let members: Vec<Vec<u8>> = map
                    .iter()
                    .map(|(k, v)| {
                        let mut m = self.string(k, true);
                        m.extend_from_slice(if self.pretty { b": " } else { b":" });
                        m.extend(self.value(v, depth + 1));
                        m
                    })
                    .collect();
                self.container(b'{', b'}', members, depth)
            }
        }
    }

    fn container(&mut self, open: u8, close: u8, members: Vec<Vec<u8>>, depth: usize) -> Vec<u8> {
        let indent = |d: usize| -> Vec<u8> {
            let mut s = b"\n".to_vec();
            s.extend(std::iter::repeat_n(b' ', 2 * d));
            s
        };
        let mut out = vec![open];
        let n = members.len();
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                let prev = &members[i - 1];
                match self.pick() {
                    // After a single-quoted string, a missing comma is only found when a quote
                    // follows on the same line (or on a new line).
                    DROP_COMMA
                        if self.pretty
                            || !prev.ends_with(b"'")
                            || m.first()
                                .is_some_and(|&b| b == b'"' || b == b'\'' || b == 0xE2) =>
                    {
                        self.kinds.insert(RepairKind::MissingComma);
                        out.push(b' ');
                    }
                    EXTRA_COMMA => {
                        self.kinds.insert(RepairKind::ExtraComma);
                        out.extend_from_slice(b",,");
                    }
                    _ => out.push(b','),
                }
            }
            if self.pretty {
                out.extend(indent(depth + 1));
            }
            self.before_member(&mut out);
            out.extend_from_slice(m);
        }
        if n > 0 && self.pick() == TRAILING_COMMA {
            self.kinds.insert(RepairKind::TrailingComma);
            out.push(b',');
        }
        if n == 0 {
            self.before_member(&mut out);
        }
        if self.pretty && n > 0 {
            out.extend(indent(depth));
        }
        out.push(close);
        out
    }
}

/// Prints `v` with the defects `choices` select; returns the body and the injected kinds.
fn print_with_defects(
    v: &Value,
    pretty: bool,
    choices: &[u8],
    start: (bool, bool, bool),
) -> (Vec<u8>, BTreeSet<RepairKind>) {
    let mut p = Printer {
        choices,
        k: 0,
        pretty,
        kinds: BTreeSet::new(),
    };
    let (bom, xssi, garbage) = start;
    let mut body = Vec::new();
    if bom {
        p.kinds.insert(RepairKind::ByteOrderMark);
        body.extend_from_slice("\u{FEFF}".as_bytes());
    }
    if xssi {
        p.kinds.insert(RepairKind::XssiPrefix);
        body.extend_from_slice(b")]}'\n");
    }
    body.extend(p.value(v, 0));
    if garbage && matches!(v, Value::Array(_) | Value::Object(_)) {
        p.kinds.insert(RepairKind::TrailingGarbage);
        body.extend_from_slice(b"\n<!-- garbage {\"a\": 1} -->\n");
    }
    (body, p.kinds)
}

/// Whether `got` is what remains of `orig` when its text is cut short: every member equal,
/// except that the last one may itself be cut.
fn prefix_consistent(got: &Value, orig: &Value) -> bool {
    match (got, orig) {
        (Value::Array(g), Value::Array(o)) => {
            g.len() <= o.len()
                && g.iter().zip(o).enumerate().all(|(i, (a, b))| {
                    if i + 1 == g.len() {
                        prefix_consistent(a, b)
                    } else {
                        a == b
                    }
                })
        }
        (Value::Object(g), Value::Object(o)) => {
            g.len() <= o.len()
                && g.iter().zip(o).enumerate().all(|(i, ((ka, a), (kb, b)))| {
                    ka == kb
                        && if i + 1 == g.len() {
                            prefix_consistent(a, b)
                        } else {
                            a == b
                        }
                })
        }
        _ => got == orig,
    }
}

fn check_output(input: &[u8], policy: &Policy) -> Result<Value, RepairError> {
    let (r, steps) = repair_counting(input, policy);
    assert!(
        steps <= 8 * input.len() as u64 + 64,
        "{steps} steps for {} bytes",
        input.len()
    );
    let r = r?;
    let v: Value = serde_json::from_slice(&r.json).unwrap_or_else(|e| {
        panic!(
            "invalid output ({e}) for {:?}: {:?}",
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(&r.json)
        )
    });
    let mut last = 0;
    for rep in r.report.iter() {
        assert!(
            rep.range.start <= rep.range.end && rep.range.end <= input.len(),
            "{rep:?}"
        );
        assert!(rep.range.start >= last, "report not sorted: {:?}", r.report);
        last = rep.range.start;
    }
    Ok(v)
}

/// Whatever the input, an outcome: JSON serde_json reads comes back as the same value; anything
/// else gives valid JSON (checked by [`check_output`]) or an error that says where, inside the
/// input, and never a refusal the default policy does not make.
fn check_any(input: &[u8]) -> Result<(), TestCaseError> {
    let got = check_output(input, &Policy::default());
    let text = String::from_utf8_lossy(input);
    if let Ok(v) = serde_json::from_slice::<Value>(input) {
        prop_assert_eq!(got.as_ref().ok(), Some(&v), "valid JSON {:?}", text);
        return Ok(());
    }
    match got {
        Ok(_) | Err(RepairError::Empty) => {}
        Err(RepairError::NotJson { looks_like, .. }) => {
            prop_assert!(!looks_like.is_empty(), "{:?}", text);
        }
        Err(
            RepairError::TooDeep { offset, .. }
            | RepairError::TooManyRepairs { offset, .. }
            | RepairError::Unrecoverable { offset, .. },
        ) => {
            prop_assert!(offset <= input.len(), "offset {} in {:?}", offset, text);
        }
        Err(e) => prop_assert!(false, "{} for {:?}", e, text),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_json_passes_untouched(v in arb_value(), pretty in any::<bool>()) {
        let body = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
        let r = repair(&body, &Policy::default()).unwrap();
        prop_assert!(r.report.is_empty(), "{:?}", r.report);
        prop_assert_eq!(&r.json, &body);
        let back: Value = serde_json::from_slice(&r.json).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn injected_defects_are_repaired_and_reported(
        v in arb_value(),
        pretty in any::<bool>(),
        choices in prop::collection::vec(0u8..24, 0..64),
        start in (prop::bool::weighted(0.2), prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
    ) {
        let (body, injected) = print_with_defects(&v, pretty, &choices, start);
        let text = String::from_utf8_lossy(&body).into_owned();
        let r = repair(&body, &Policy::default())
            .map_err(|e| TestCaseError::fail(format!("{e} for {text:?}")))?;
        let back: Value = serde_json::from_slice(&r.json)
            .map_err(|e| TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(&r.json))))?;
        prop_assert_eq!(&back, &v, "body {:?}", text);
        let reported: BTreeSet<RepairKind> = r.report.kinds().collect();
        prop_assert_eq!(reported, injected, "body {:?}", text);
    }

    #[test]
    fn truncation_gives_a_prefix_or_an_error(v in arb_container(), pretty in any::<bool>()) {
        let body = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
        for cut in 0..body.len() {
            match check_output(&body[..cut], &Policy::default()) {
                Ok(got) => {
                    prop_assert!(prefix_consistent(&got, &v), "cut {} of {:?} gave {}", cut, String::from_utf8_lossy(&body), got);
                }
                Err(e) => prop_assert!(
                    matches!(e, RepairError::Empty),
                    "cut {} of {:?}: {}", cut, String::from_utf8_lossy(&body), e
                ),
            }
        }
    }

    #[test]
    fn truncated_reports_say_so(v in arb_container(), cut in any::<prop::sample::Index>()) {
        let body = serde_json::to_vec_pretty(&v).unwrap();
        let cut = 1 + cut.index(body.len() - 1);
        let r = repair(&body[..cut], &Policy::default()).unwrap();
        prop_assert!(r.report.contains(RepairKind::Truncated), "{:?}", r.report);
        let refused = repair(&body[..cut], &Policy::default().rejecting(RepairKind::Truncated));
        let refused_kind = matches!(refused, Err(RepairError::Rejected { kind: RepairKind::Truncated, .. }));
        prop_assert!(refused_kind);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_any(&bytes)?;
    }

    #[test]
    fn json_like_noise_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\"", "'", "“", "”", "\\", "\\u", "d800", "a", "1",
                "-", ".", "e", "true", "None", "NaN", "<snip>", "...", "…", "//", "/*", "*/", "#",
                "\n", " ", "\t", "\u{1}", "\u{feff}", ")]}'", "<html>", "é", "\u{ff}",
            ]),
            0..64,
        ),
        raw in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        let mut body: Vec<u8> = parts.concat().into_bytes();
        body.extend(raw);
        check_any(&body)?;
    }

    #[test]
    fn mutated_json_never_panics(
        v in arb_container(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut body = serde_json::to_vec(&v).unwrap();
        for (at, byte, op) in edits {
            let i = at.index(body.len() + 1);
            match op {
                0 => body.insert(i, byte),
                1 if i < body.len() => { body.remove(i); }
                _ if i < body.len() => body[i] = byte,
                _ => {}
            }
        }
        check_any(&body)?;
    }
}

/// The printer above really injects what the property claims: each defect code, alone, gives
/// a body serde_json refuses, and the repair brings the value back with exactly that kind.
#[test]
fn each_injected_defect_alone() {
    let v = serde_json::json!({
        "id": "a'b",
        "flags": [true, false, null, 1, "x"],
        "nested": {"k": [], "e": {}},
    });
    let cases: &[(u8, RepairKind)] = &[
        (SINGLE, RepairKind::SingleQuotedString),
        (SMART, RepairKind::SmartQuotes),
        (UNQUOTED_KEY, RepairKind::UnquotedKey),
        (PYTHON, RepairKind::PythonLiteral),
        (DROP_COMMA, RepairKind::MissingComma),
        (EXTRA_COMMA, RepairKind::ExtraComma),
        (TRAILING_COMMA, RepairKind::TrailingComma),
        (ELISION, RepairKind::ElisionLine),
        (BLOCK_COMMENT, RepairKind::Comment),
        (LINE_COMMENT, RepairKind::Comment),
    ];
    for &(code, kind) in cases {
        for pretty in [false, true] {
            let (body, injected) = print_with_defects(&v, pretty, &[code], (false, false, false));
            assert_eq!(injected, BTreeSet::from([kind]), "{code}");
            assert!(serde_json::from_slice::<Value>(&body).is_err(), "{code}");
            let r = repair(&body, &Policy::default()).unwrap();
            assert_eq!(serde_json::from_slice::<Value>(&r.json).unwrap(), v);
            assert!(r.report.kinds().all(|k| k == kind), "{:?}", r.report);
            assert!(!r.report.is_empty());
        }
    }
    let (body, injected) = print_with_defects(&v, true, &[], (true, true, true));
    assert_eq!(injected.len(), 3);
    let r = repair(&body, &Policy::default()).unwrap();
    assert_eq!(r.report.kinds().collect::<BTreeSet<_>>(), injected);
}
