//! The lenient repair pass on the documentation's malformed examples and on each defect kind.

use sbg_tasks_proto::lenient::{
    line_col, repair, repair_counting, Policy, Repair, RepairError, RepairKind, RepairReport,
    NOT_JSON_EXCERPT_LEN,
};
use serde_json::{json, Value};

const MALFORMED: &[u8] = include_bytes!("data/get-task-batch.malformed.json");
const FRAGMENT: &[u8] = include_bytes!("data/task-validation-errors.fragment.json");

/// Byte offset of the only occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &str) -> usize {
    let n = needle.as_bytes();
    let mut hits = hay
        .windows(n.len())
        .enumerate()
        .filter(|(_, w)| *w == n)
        .map(|(i, _)| i);
    let first = hits
        .next()
        .unwrap_or_else(|| panic!("{needle:?} not found"));
    assert!(hits.next().is_none(), "{needle:?} occurs more than once");
    first
}

fn value(json: &[u8]) -> Value {
    serde_json::from_slice(json).unwrap_or_else(|e| {
        panic!(
            "repaired output is not JSON ({e}): {}",
            String::from_utf8_lossy(json)
        )
    })
}

fn fix(input: &str) -> (Value, Vec<Repair>) {
    let r = repair(input.as_bytes(), &Policy::default())
        .unwrap_or_else(|e| panic!("{input:?} was not repaired: {e}"));
    (value(&r.json), r.report.repairs)
}

fn rep(kind: RepairKind, range: std::ops::Range<usize>) -> Repair {
    Repair { kind, range }
}

/// Asserts that `input` repairs to `expected` with exactly one repair of `kind` over the
/// bytes `covered` (searched in `input`; an empty `covered` means the empty range at `at`).
fn one(input: &str, expected: Value, kind: RepairKind, range: std::ops::Range<usize>) {
    let (v, repairs) = fix(input);
    assert_eq!(v, expected, "value of {input:?}");
    assert_eq!(repairs, [rep(kind, range)], "repairs of {input:?}");
}

#[test]
fn golden_malformed_batch_task() {
    let body = MALFORMED;
    let fixed = repair(body, &Policy::default()).unwrap();
    let v = value(&fixed.json);
    let expected = json!({
        "href": "https://staging-api.sbgenomics.com/v2/tasks/a547a1c4-45c3-441e-857e-caf2a2df96ad",
        "id": "a547a1c4-45c3-441e-857e-caf2a2df96ad",
        "name": "Tengfei and Damir playing",
        "status": "ABORTED",
        "project": "damirk/batch-test",
        "app": "damirk/batch-test/whole-exome-sequencing-gatk-2-3-9-lite/2",
        "type": "v2",
        "created_by": "damirk",
        "executed_by": "damirk",
        "start_time": "2016-04-05T12:18:14Z",
        "end_time": "2016-04-07T11:04:42Z",
        "batch": true,
        "batch_input": "FASTQ",
        "batch_by": {
            "type": "CRITERIA",
            "criteria": ["metadata.sample_id", "metadata.library_id"]
        },
        "execution_status": {
            "duration": "123456789",
            "running_duration": "120453636",
            "queued_duration": "3456789",
            "message": "Batch tasks list initialization.",
            "queued": 0,
            "running": 0,
            "completed": 0,
            "failed": 0,
            "aborted": 0,
            "execution_duration": 0,
            "system_limit": false,
            "account_limit": false
        },
        "price": {"currency": "USD", "amount": "0.00"},
        "inputs": {
            "Known_SNPs": [{
                "class": "File",
                "path": "5702cd5a60b27cfe6e8c13bf",
                "name": "dbsnp_137.b37.vcf"
            }]
        }
    });
    assert_eq!(v, expected);
    // Member order is kept too.
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let want: Vec<&String> = expected.as_object().unwrap().keys().collect();
    assert_eq!(keys, want);

    let q1 = find(body, "'123456789'");
    let q2 = find(body, "'120453636'");
    let q3 = find(body, "'3456789'");
    let missing = find(body, "\"execution_duration\": 0") + "\"execution_duration\": 0".len();
    let c1 = find(body, "\"account_limit\": false,") + "\"account_limit\": false".len();
    let c2 = find(body, "\"amount\": \"0.00\",") + "\"amount\": \"0.00\"".len();
    let c3 = find(body, "],\n        <snip>") + 1;
    let snip = find(body, "<snip>");
    assert_eq!(
        fixed.report.repairs,
        [
            rep(RepairKind::SingleQuotedString, q1..q1 + 11),
            rep(RepairKind::SingleQuotedString, q2..q2 + 11),
            rep(RepairKind::SingleQuotedString, q3..q3 + 9),
            rep(RepairKind::MissingComma, missing..missing),
            rep(RepairKind::TrailingComma, c1..c1 + 1),
            rep(RepairKind::TrailingComma, c2..c2 + 1),
            rep(RepairKind::TrailingComma, c3..c3 + 1),
            rep(RepairKind::ElisionLine, snip..snip + 6),
        ]
    );
    // Line and column of each repair, as an editor shows them.
    let at: Vec<(usize, usize)> = fixed.report.iter().map(|r| r.line_col(body)).collect();
    assert_eq!(
        at,
        [
            (23, 21),
            (24, 29),
            (25, 28),
            (32, 32),
            (34, 31),
            (38, 25),
            (47, 10),
            (48, 9)
        ]
    );
    assert_eq!(RepairReport::line_col(body, snip), (48, 9));
    // Outside the repaired spots the output is the input: the repair is surgical.
    assert!(fixed.json.starts_with(&body[..q1]));
    assert!(fixed.json.ends_with(b"\n    }\n}"));
    // A re-encode of the value is valid JSON that reads back the same.
    let again = serde_json::to_vec(&v).unwrap();
    assert_eq!(value(&again), v);
    // Repairing the output again changes nothing.
    let twice = repair(&fixed.json, &Policy::default()).unwrap();
    assert!(twice.report.is_empty());
    assert_eq!(twice.json, fixed.json);
}

#[test]
fn golden_members_fragment() {
    let fixed = repair(FRAGMENT, &Policy::default()).unwrap();
    let v = value(&fixed.json);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1);
    let ids: Vec<&str> = errors
        .iter()
        .map(|e| e["input_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["FASTQ", "SnpEff_Database", "Reference"]);
    assert!(errors
        .iter()
        .all(|e| e["type"] == "error/task_validation/input/schema"));
    let end = FRAGMENT.len()
        - FRAGMENT
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    assert_eq!(
        fixed.report.repairs,
        [rep(RepairKind::MembersFragment, 0..end)]
    );
}

#[test]
fn valid_json_is_returned_unchanged() {
    for body in [
        &b"{}"[..],
        b"[]",
        b"0",
        b"-1.5e-3",
        b"\"x\"",
        b"null",
        b" {\"a\" : [1, 2.5, \"\\u00e9\\ud83d\\ude00\", true, false, null, {}] }\n",
        include_bytes!("data/get-task.json"),
        include_bytes!("data/run-task.json"),
        include_bytes!("data/rerun-task.json"),
    ] {
        let (r, _) = repair_counting(body, &Policy::default());
        let r = r.unwrap();
        assert!(r.report.is_empty(), "{:?}", r.report);
        assert_eq!(r.report.len(), 0);
        assert_eq!(r.json, body);
    }
}

#[test]
fn single_quoted_strings_keep_their_text() {
    one(
        "['123456789']",
        json!(["123456789"]),
        RepairKind::SingleQuotedString,
        1..12,
    );
    one(
        r#"['say "hi"']"#,
        json!(["say \"hi\""]),
        RepairKind::SingleQuotedString,
        1..11,
    );
    one(
        r"['it\'s']",
        json!(["it's"]),
        RepairKind::SingleQuotedString,
        1..8,
    );
    // An apostrophe that cannot end the string is text.
    let (v, repairs) = fix("{'k': 'rock 'n' roll'}");
    assert_eq!(v, json!({"k": "rock 'n' roll"}));
    assert_eq!(
        repairs,
        [
            rep(RepairKind::SingleQuotedString, 1..4),
            rep(RepairKind::SingleQuotedString, 6..21)
        ]
    );
}

#[test]
fn smart_quotes() {
    let input = "{“a”: ‘b’}";
    let (v, repairs) = fix(input);
    assert_eq!(v, json!({"a": "b"}));
    let a = find(input.as_bytes(), "“a”");
    let b = find(input.as_bytes(), "‘b’");
    assert_eq!(
        repairs,
        [
            rep(RepairKind::SmartQuotes, a..a + 7),
            rep(RepairKind::SmartQuotes, b..b + 7)
        ]
    );
    // Inside a normal string they are text.
    let (v, repairs) = fix("[\"“quoted” ‘too’\"]");
    assert_eq!(v, json!(["“quoted” ‘too’"]));
    assert!(repairs.is_empty());
}

#[test]
fn commas() {
    one("[1 2]", json!([1, 2]), RepairKind::MissingComma, 2..2);
    one(
        "{\"a\": 1\n \"b\": 2}",
        json!({"a": 1, "b": 2}),
        RepairKind::MissingComma,
        7..7,
    );
    one("[1, 2,]", json!([1, 2]), RepairKind::TrailingComma, 5..6);
    one(
        "{\"a\": 1 , }",
        json!({"a": 1}),
        RepairKind::TrailingComma,
        8..9,
    );
    one("[1,,2]", json!([1, 2]), RepairKind::ExtraComma, 3..4);
    one("[,1]", json!([1]), RepairKind::ExtraComma, 1..2);
    // The comma is inserted right after the value, not before the next one.
    let r = repair(b"[1\n  2]", &Policy::default()).unwrap();
    assert_eq!(r.json, b"[1,\n  2]");
}

#[test]
fn colons_and_missing_values() {
    one("{\"a\" 1}", json!({"a": 1}), RepairKind::MissingColon, 4..4);
    one(
        "{\"a\": }",
        json!({"a": null}),
        RepairKind::MissingValue,
        6..6,
    );
    one(
        "{\"a\", \"b\": 1}",
        json!({"a": null, "b": 1}),
        RepairKind::MissingValue,
        4..4,
    );
}

#[test]
fn elision_markers_are_dropped_never_members() {
    for marker in ["<snip>", "...", "…", "<...>", "<omitted>"] {
        let input = format!("{{\n  \"a\": 1,\n  {marker}\n  \"b\": 2\n}}");
        let at = find(input.as_bytes(), marker);
        let (v, repairs) = fix(&input);
        assert_eq!(v, json!({"a": 1, "b": 2}), "{marker}");
        assert_eq!(
            repairs,
            [rep(RepairKind::ElisionLine, at..at + marker.len())],
            "{marker}"
        );
        let input = format!("[1, {marker}, 3]");
        let at = find(input.as_bytes(), marker);
        let (v, repairs) = fix(&input);
        assert_eq!(v, json!([1, 3]), "{marker}");
        assert_eq!(
            repairs,
            [rep(RepairKind::ElisionLine, at..at + marker.len())]
        );
    }
    // An elided value drops its whole member.
    let input = "{\"a\": 1, \"b\": <snip>, \"c\": 3}";
    let (v, repairs) = fix(input);
    assert_eq!(v, json!({"a": 1, "c": 3}));
    let b = find(input.as_bytes(), "\"b\"");
    let end = find(input.as_bytes(), "<snip>") + 6;
    assert_eq!(repairs, [rep(RepairKind::ElisionLine, b..end)]);
    // In strings, and where they are not on their own, markers are not elisions.
    let (v, repairs) = fix("{\"a\": \"<snip>\", \"b\": \"...\"}");
    assert_eq!(v, json!({"a": "<snip>", "b": "..."}));
    assert!(repairs.is_empty());
    let (v, _) = fix("[1, ... and more]");
    assert_eq!(v, json!([1, "... and more"]));
}

#[test]
fn comments() {
    one(
        "{\"a\": 1 // one\n}",
        json!({"a": 1}),
        RepairKind::Comment,
        8..14,
    );
    one("[/* x */ 1]", json!([1]), RepairKind::Comment, 1..8);
    one("[1] # done", json!([1]), RepairKind::Comment, 4..10);
    // An unclosed block comment runs to the end: the body is then truncated.
    let (v, repairs) = fix("[1, /* 2]");
    assert_eq!(v, json!([1]));
    assert_eq!(
        repairs,
        [
            rep(RepairKind::TrailingComma, 2..3),
            rep(RepairKind::Comment, 4..9),
            rep(RepairKind::Truncated, 9..9)
        ]
    );
    // `//` inside a string is text.
    let (v, repairs) = fix("{\"u\": \"http://x\"}");
    assert_eq!(v, json!({"u": "http://x"}));
    assert!(repairs.is_empty());
}

#[test]
fn unquoted_keys_and_values() {
    one("{id: 1}", json!({"id": 1}), RepairKind::UnquotedKey, 1..3);
    one(
        "{\"a\": hello world}",
        json!({"a": "hello world"}),
        RepairKind::UnquotedString,
        6..17,
    );
    one(
        "{\"t\": 2016-04-05T12:18:14Z}",
        json!({"t": "2016-04-05T12:18:14Z"}),
        RepairKind::UnquotedString,
        6..26,
    );
}

#[test]
fn literals_and_numbers() {
    one("[True]", json!([true]), RepairKind::PythonLiteral, 1..5);
    one("[False]", json!([false]), RepairKind::PythonLiteral, 1..6);
    one(
        "{\"a\": None}",
        json!({"a": null}),
        RepairKind::PythonLiteral,
        6..10,
    );
    one(
        "[undefined]",
        json!([null]),
        RepairKind::UndefinedLiteral,
        1..10,
    );
    one("[NaN]", json!([null]), RepairKind::NonFiniteNumber, 1..4);
    one(
        "[Infinity]",
        json!([null]),
        RepairKind::NonFiniteNumber,
        1..9,
    );
    one(
        "[-Infinity]",
        json!([null]),
        RepairKind::NonFiniteNumber,
        1..10,
    );
    one("[+1]", json!([1]), RepairKind::InvalidNumber, 1..3);
    one("[007]", json!([7]), RepairKind::InvalidNumber, 1..4);
    one("[.5]", json!([0.5]), RepairKind::InvalidNumber, 1..3);
    one("[0x1F]", json!([31]), RepairKind::InvalidNumber, 1..5);
    one(
        "[1e400]",
        json!(["1e400"]),
        RepairKind::NumberOutOfRange,
        1..6,
    );
    // Missing commas between literals are still found.
    let (v, _) = fix("[true false null]");
    assert_eq!(v, json!([true, false, null]));
}

#[test]
fn start_of_body() {
    one(
        "\u{FEFF}{\"a\": 1}",
        json!({"a": 1}),
        RepairKind::ByteOrderMark,
        0..3,
    );
    one(
        ")]}'\n{\"a\": 1}",
        json!({"a": 1}),
        RepairKind::XssiPrefix,
        0..4,
    );
    one(")]}',\n[1]", json!([1]), RepairKind::XssiPrefix, 0..5);
    one("while(1);[1]", json!([1]), RepairKind::XssiPrefix, 0..9);
    one("for(;;);[1]", json!([1]), RepairKind::XssiPrefix, 0..8);
}

#[test]
fn inside_strings() {
    one(
        "[\"a\nb\"]",
        json!(["a\nb"]),
        RepairKind::ControlCharacterInString,
        3..4,
    );
    // Adjacent control characters make one repair.
    one(
        "[\"a\r\n\tb\"]",
        json!(["a\r\n\tb"]),
        RepairKind::ControlCharacterInString,
        3..6,
    );
    one("[\"\\q\"]", json!(["\\q"]), RepairKind::InvalidEscape, 2..4);
    one("[\"\\x41\"]", json!(["A"]), RepairKind::InvalidEscape, 2..6);
    one("[\"\\'\"]", json!(["'"]), RepairKind::InvalidEscape, 2..4);
    one(
        "[\"\\ud800x\"]",
        json!(["\u{FFFD}x"]),
        RepairKind::InvalidEscape,
        2..8,
    );
    one(
        "[\"\\udc00\"]",
        json!(["\u{FFFD}"]),
        RepairKind::InvalidEscape,
        2..8,
    );
    // A valid surrogate pair is kept as is.
    let (v, repairs) = fix("[\"\\ud83d\\ude00\"]");
    assert_eq!(v, json!(["😀"]));
    assert!(repairs.is_empty());
    let r = repair(b"[\"a\xFFb\xC3\"]", &Policy::default()).unwrap();
    assert_eq!(value(&r.json), json!(["a\u{FFFD}b\u{FFFD}"]));
    assert_eq!(
        r.report.repairs,
        [
            rep(RepairKind::InvalidUtf8, 3..4),
            rep(RepairKind::InvalidUtf8, 5..6)
        ]
    );
}

#[test]
fn brackets_junk_and_garbage() {
    one(
        "{\"a\": [1, 2}",
        json!({"a": [1, 2]}),
        RepairKind::MismatchedBracket,
        11..12,
    );
    one("[1, 2]]", json!([1, 2]), RepairKind::TrailingGarbage, 6..7);
    let page = "{\"a\": 1}\n<!-- served by proxy -->\n";
    one(
        page,
        json!({"a": 1}),
        RepairKind::TrailingGarbage,
        9..page.len(),
    );
    one("[1, @@@ 2]", json!([1, 2]), RepairKind::Junk, 4..7);
    // A run of junk separated only by blanks is one repair.
    one(
        "{\"a\": 1,\n  %% junk ; line\n  \"b\": 2}",
        json!({"a": 1, "b": 2}),
        RepairKind::Junk,
        11..25,
    );
}

#[test]
fn truncated_bodies() {
    let (v, repairs) = fix("{\"a\": [1, 2");
    assert_eq!(v, json!({"a": [1]}));
    assert_eq!(
        repairs,
        [
            rep(RepairKind::PartialMemberDropped, 8..11),
            rep(RepairKind::Truncated, 11..11)
        ]
    );
    let body = "{\"a\": 1, \"b\": \"unfinished";
    let (v, repairs) = fix(body);
    assert_eq!(v, json!({"a": 1}));
    let n = body.len();
    // The dropped member's range starts at its comma.
    assert_eq!(
        repairs,
        [
            rep(RepairKind::PartialMemberDropped, 7..n),
            rep(RepairKind::Truncated, n..n)
        ]
    );
    let (v, repairs) = fix("{\"a\": true");
    assert_eq!(v, json!({"a": true}));
    assert_eq!(repairs, [rep(RepairKind::Truncated, 10..10)]);
    let (v, _) = fix("[{\"a\": {\"b\": [");
    assert_eq!(v, json!([{"a": {"b": []}}]));
    // The policy may refuse truncation.
    let err = repair(
        b"[1, 2",
        &Policy::default().rejecting(RepairKind::Truncated),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RepairError::Rejected {
            kind: RepairKind::Truncated,
            range: 5..5
        }
    );
    let policy = Policy::default().rejecting(RepairKind::PartialMemberDropped);
    assert_eq!(
        repair(b"[1, 2", &policy).unwrap_err(),
        RepairError::Rejected {
            kind: RepairKind::PartialMemberDropped,
            range: 2..5
        }
    );
    let err = repair(
        b"[1, 2 ",
        &Policy::default().rejecting(RepairKind::Truncated),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RepairError::Rejected {
            kind: RepairKind::Truncated,
            range: 6..6
        }
    );
}

#[test]
fn not_json_is_not_repaired() {
    let page = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>";
    match repair(page, &Policy::default()) {
        Err(RepairError::NotJson {
            looks_like,
            excerpt,
        }) => {
            assert_eq!(looks_like, "an HTML page starting `<!DOCTYPE html>`");
            assert!(excerpt.starts_with("<!DOCTYPE html>"));
        }
        other => panic!("{other:?}"),
    }
    match repair(b"  <html><body>x</body></html>", &Policy::default()) {
        Err(RepairError::NotJson { looks_like, .. }) => {
            assert_eq!(looks_like, "an HTML page starting `<html>`")
        }
        other => panic!("{other:?}"),
    }
    for text in [
        &b"Bad Gateway"[..],
        b"404 Not Found",
        b"\"quoted\" text",
        b"upstream connect error",
    ] {
        match repair(text, &Policy::default()) {
            Err(RepairError::NotJson { looks_like, .. }) => {
                assert!(looks_like.starts_with("text starting `"), "{looks_like}")
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(text)),
        }
    }
    // The excerpt is bounded, even for bytes that are not UTF-8.
    let long: Vec<u8> = std::iter::once(b'<')
        .chain(std::iter::repeat_n(0xFF, 5000))
        .collect();
    match repair(&long, &Policy::default()) {
        Err(RepairError::NotJson { excerpt, .. }) => assert!(excerpt.len() <= NOT_JSON_EXCERPT_LEN),
        other => panic!("{other:?}"),
    }
    assert_eq!(repair(b"", &Policy::default()), Err(RepairError::Empty));
    assert_eq!(
        repair(b" \n\t", &Policy::default()),
        Err(RepairError::Empty)
    );
    assert_eq!(
        repair(b"\"abc", &Policy::default()),
        Err(RepairError::Unrecoverable {
            offset: 0,
            reason: "the body ends inside its only string"
        })
    );
}

#[test]
fn policy_caps_and_rejections() {
    let err = repair(
        b"{'a': 1}",
        &Policy::default().rejecting(RepairKind::SingleQuotedString),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RepairError::Rejected {
            kind: RepairKind::SingleQuotedString,
            range: 1..4
        }
    );
    assert!(err
        .to_string()
        .contains("single-quoted string at bytes 1..4"));
    let err = repair(b"[1 2 3 4]", &Policy::default().with_max_repairs(2)).unwrap_err();
    assert_eq!(err, RepairError::TooManyRepairs { max: 2, offset: 6 });
    assert!(repair(b"[1 2 3]", &Policy::default().with_max_repairs(2)).is_ok());
    let err = repair(b"[[[1]]]", &Policy::default().with_max_depth(2)).unwrap_err();
    assert_eq!(err, RepairError::TooDeep { offset: 1, max: 2 });
    assert!(repair(b"[[1]]", &Policy::default().with_max_depth(3)).is_ok());
    // max_repairs 0 accepts only valid JSON.
    assert!(repair(b"[1]", &Policy::default().with_max_repairs(0)).is_ok());
}

#[test]
fn depth_limit_is_serde_jsons() {
    // The limit counts as serde_json's recursion limit does: the deepest nesting serde_json
    // accepts is repaired, one level more is refused by both.
    let max = Policy::default().max_depth;
    assert_eq!(max, 128);
    let deepest = max - 1;
    let body = format!("{}{}", "[".repeat(deepest), "]".repeat(deepest));
    assert!(serde_json::from_str::<Value>(&body).is_ok());
    let r = repair(format!("{body} ,").as_bytes(), &Policy::default()).unwrap();
    assert_eq!(value(&r.json), value(body.as_bytes()));
    let body = format!("{}{}", "[".repeat(max), "]".repeat(max));
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert_eq!(
        repair(body.as_bytes(), &Policy::default()),
        Err(RepairError::TooDeep {
            offset: deepest,
            max
        })
    );
    // Truncated at the deepest level: closed, and still accepted.
    let r = repair("[".repeat(deepest).as_bytes(), &Policy::default()).unwrap();
    value(&r.json);
}

#[test]
fn report_api() {
    let r = repair(b"{'a': True,}", &Policy::default()).unwrap();
    let report = &r.report;
    assert_eq!(report.len(), 3);
    assert!(!report.is_empty());
    assert!(report.contains(RepairKind::PythonLiteral));
    assert!(!report.contains(RepairKind::Comment));
    let kinds: Vec<RepairKind> = report.kinds().collect();
    assert_eq!(
        kinds,
        [
            RepairKind::SingleQuotedString,
            RepairKind::PythonLiteral,
            RepairKind::TrailingComma
        ]
    );
    assert_eq!((&r.report).into_iter().count(), 3);
    assert_eq!(
        report.to_string(),
        "single-quoted string at bytes 1..4; Python literal at bytes 6..10; trailing comma at bytes 10..11"
    );
    assert_eq!(RepairKind::MissingComma.to_string(), "missing comma");
    // Every kind has its own phrase.
    let mut phrases: Vec<String> = RepairKind::ALL.iter().map(|k| k.to_string()).collect();
    phrases.sort();
    phrases.dedup();
    assert_eq!(phrases.len(), RepairKind::ALL.len());
}

#[test]
fn line_and_column() {
    let text = "ab\ncé\r\nxyz";
    assert_eq!(line_col(text.as_bytes(), 0), (1, 1));
    assert_eq!(line_col(text.as_bytes(), 2), (1, 3));
    assert_eq!(line_col(text.as_bytes(), 3), (2, 1));
    // Columns count characters, not bytes.
    assert_eq!(line_col(text.as_bytes(), 6), (2, 3));
    assert_eq!(line_col(text.as_bytes(), 8), (3, 1));
    assert_eq!(line_col(text.as_bytes(), 999), (3, 4));
}
