//! Property tests over untrusted inputs: ids, tokens, bodies, and the task model's round trip.

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use sbg_tasks_proto::endpoints::TaskIdError;
use sbg_tasks_proto::http::Response;
use sbg_tasks_proto::model::{
    Amount, BatchBy, BatchByType, ExecutionStatus, FileClass, FileRef, IssueKind, PortMap,
    PortValue, Price, PriceBreakdown, TaskStatus, Timestamp, ValidationIssue,
};
use sbg_tasks_proto::Task;
use sbg_tasks_proto::{
    AuthToken, Config, Decoding, Endpoint, GetTask, Platform, RerunTask, ResponseError, RunTask,
    TaskId,
};

fn config() -> Config {
    Config::new(Platform::SevenBridges, AuthToken::new("tok").unwrap())
}

/// Strings heavy in the characters that could bend a path, plus arbitrary unicode.
fn id_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._~/?#% \\-]{0,40}",
        "\\PC{0,40}",
        Just("..".to_owned()),
        Just(".".to_owned()),
        "[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn an_accepted_id_never_changes_the_path(s in id_like()) {
        let id = match TaskId::new(s.clone()) {
            Ok(id) => id,
            // A rejected id is rejected for a defect it really has.
            Err(TaskIdError::Empty) => {
                prop_assert!(s.is_empty());
                return Ok(());
            }
            Err(TaskIdError::InvalidChar { ch, position }) => {
                prop_assert_eq!(s[position..].chars().next(), Some(ch));
                prop_assert!(!(ch.is_ascii_alphanumeric() || "-._~".contains(ch)), "{:?}", ch);
                return Ok(());
            }
            Err(TaskIdError::TooLong { len, max }) => {
                prop_assert_eq!(len, s.len());
                prop_assert!(len > max);
                return Ok(());
            }
            Err(TaskIdError::DotSegment(d)) => {
                prop_assert!(s == "." || s == "..");
                prop_assert_eq!(d, s);
                return Ok(());
            }
            Err(e) => {
                prop_assert!(false, "{:?}: unexpected {:?}", s, e);
                return Ok(());
            }
        };
        let cfg = config();
        let get = GetTask::new(id.clone()).prepare_request(&cfg).unwrap();
        prop_assert_eq!(get.uri().path(), format!("/v2/tasks/{s}"));
        prop_assert_eq!(get.uri().query(), None);
        let run = RunTask::new(id.clone()).prepare_request(&cfg).unwrap();
        prop_assert_eq!(run.uri().path(), format!("/v2/tasks/{s}/actions/run"));
        let rerun = RerunTask::new(id).run(true).prepare_request(&cfg).unwrap();
        prop_assert_eq!(rerun.uri().path(), format!("/v2/tasks/{s}/actions/clone"));
        prop_assert_eq!(rerun.uri().query(), Some("action=run"));
        prop_assert_eq!(rerun.uri().host(), Some("api.sbgenomics.com"));
    }

    #[test]
    fn a_token_is_rejected_or_never_shown(s in prop_oneof!["[!-~]{8,64}", "\\PC{8,64}", "[ -~\\r\\n\\t]{8,64}"]) {
        match AuthToken::new(s.clone()) {
            Ok(t) => {
                prop_assert_eq!(format!("{t:?}"), "AuthToken(<redacted>)");
                prop_assert_eq!(t.to_string(), "<redacted>");
                let cfg = Config::new(Platform::Cgc, t);
                let shown = format!("{:?}", cfg);
                prop_assert!(!shown.contains(&s));
                let req = GetTask::new("x".parse().unwrap()).prepare_request(&cfg).unwrap();
                prop_assert!(req.headers()["x-sbg-auth-token"].is_sensitive());
                let shown = format!("{:?}", req);
                prop_assert!(!shown.contains(&s));
            }
            Err(e) => {
                prop_assert!(!e.to_string().contains(&s));
                let shown = format!("{:?}", e);
                prop_assert!(!shown.contains(&s));
            }
        }
    }

    #[test]
    fn any_body_gives_a_value_or_an_error(
        status in prop_oneof![Just(200u16), Just(201), Just(400), Just(404), Just(429), Just(502), 100u16..600],
        body in prop_oneof![vec(any::<u8>(), 0..512), "\\PC{0,256}".prop_map(String::into_bytes)],
    ) {
        let resp = Response::builder().status(status).body(body).unwrap();
        let get = GetTask::new("x".parse().unwrap());
        for decoding in [Decoding::Strict, Decoding::default()] {
            let got = get.parse_response(&resp, &decoding);
            if (200..300).contains(&status) {
                // 2xx: the decoded value, or a decode error naming this status.
                match got {
                    Ok(answer) => prop_assert_eq!(answer.meta.status, status),
                    Err(ResponseError::Decode { status: s, meta, .. }) => {
                        prop_assert_eq!(s, status);
                        prop_assert_eq!(meta.status, status);
                    }
                    Err(other) => prop_assert!(false, "HTTP {} gave {:?}", status, other),
                }
            } else {
                // Anything else: the API error, carrying this status, whatever the body.
                match got {
                    Err(ResponseError::Api(e)) => {
                        prop_assert_eq!(e.status, status);
                        prop_assert_eq!(e.meta.status, status);
                    }
                    other => prop_assert!(false, "HTTP {} gave {:?}", status, other),
                }
            }
        }
    }
}

fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _./:-]{0,16}"
}

fn key() -> impl Strategy<Value = String> {
    "[a-z_]{1,8}".prop_filter("not a file member", |k| {
        !matches!(k.as_str(), "class" | "path" | "name" | "secondaryFiles")
    })
}

fn number() -> impl Strategy<Value = serde_json::Number> {
    prop_oneof![
        any::<i64>().prop_map(Into::into),
        any::<u64>().prop_map(Into::into),
        (-1e12f64..1e12).prop_map(|f| serde_json::Number::from_f64(f).unwrap()),
    ]
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(Into::into),
        number().prop_map(serde_json::Value::Number),
        word().prop_map(Into::into),
    ]
}

fn file_ref() -> impl Strategy<Value = FileRef> {
    (
        prop_oneof![Just(FileClass::File), Just(FileClass::Directory)],
        option::of(word()),
        option::of(word()),
        btree_map(key(), json_leaf(), 0..3),
    )
        .prop_map(|(class, path, name, extra)| {
            let mut f = FileRef::file("");
            f.class = class;
            f.path = path;
            f.name = name;
            f.extra = extra.into_iter().collect();
            f
        })
}

fn port_value() -> impl Strategy<Value = PortValue> {
    let leaf = prop_oneof![
        Just(PortValue::Null),
        any::<bool>().prop_map(PortValue::Bool),
        number().prop_map(PortValue::Number),
        word().prop_map(PortValue::String),
        file_ref().prop_map(PortValue::File),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(PortValue::Array),
            btree_map(key(), inner.clone(), 0..4)
                .prop_map(|m| PortValue::Map(m.into_iter().collect())),
            (file_ref(), vec(inner, 0..2)).prop_map(|(mut f, sf)| {
                f.secondary_files = Some(sf);
                PortValue::File(f)
            }),
        ]
    })
}

fn port_map() -> impl Strategy<Value = PortMap> {
    btree_map(key(), port_value(), 0..5).prop_map(|m| m.into_iter().collect())
}

fn status() -> impl Strategy<Value = TaskStatus> {
    prop_oneof![
        Just(TaskStatus::Draft),
        Just(TaskStatus::Queued),
        Just(TaskStatus::Running),
        Just(TaskStatus::Completed),
        Just(TaskStatus::Failed),
        Just(TaskStatus::Aborted),
        "[A-Za-z]{1,10}".prop_map(|w| TaskStatus::from_word(&w)),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (0i64..4_000_000_000).prop_map(|s| Timestamp::from_datetime(
            time::OffsetDateTime::from_unix_timestamp(s).unwrap()
        )),
        word().prop_map(Timestamp::new),
    ]
}

fn extra() -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    btree_map("x_[a-z]{1,6}", json_leaf(), 0..3).prop_map(|m| m.into_iter().collect())
}

fn execution_status() -> impl Strategy<Value = ExecutionStatus> {
    (
        vec(option::of(any::<u64>()), 11),
        option::of(word()),
        vec(option::of(any::<bool>()), 3),
        extra(),
    )
        .prop_map(|(n, message, b, extra)| {
            let mut e = ExecutionStatus::default();
            e.steps_completed = n[0];
            e.steps_total = n[1];
            e.duration = n[2];
            e.queued_duration = n[3];
            e.running_duration = n[4];
            e.execution_duration = n[5];
            e.queued = n[6];
            e.running = n[7];
            e.completed = n[8];
            e.failed = n[9];
            e.aborted = n[10];
            e.message = message;
            e.system_limit = b[0];
            e.account_limit = b[1];
            e.instance_init = b[2];
            e.extra = extra;
            e
        })
}

fn issue() -> impl Strategy<Value = ValidationIssue> {
    (
        prop_oneof![
            Just(IssueKind::Schema),
            Just(IssueKind::FilesMissing),
            "[a-z/_]{1,20}".prop_map(|w| IssueKind::from_word(&w)),
        ],
        option::of(word()),
        option::of(word()),
    )
        .prop_map(|(kind, message, input_id)| {
            let mut v = ValidationIssue::default();
            v.kind = Some(kind);
            v.message = message;
            v.input_id = input_id;
            v
        })
}

prop_compose! {
    fn task()(
        strings in vec(option::of(word()), 10),
        status in option::of(status()),
        times in vec(option::of(timestamp()), 3),
        batch in option::of(any::<bool>()),
        criteria in option::of(vec(word(), 0..3)),
        es in option::of(execution_status()),
        amount in option::of("[0-9]{1,4}\\.[0-9]{2}"),
        errors in option::of(vec(issue(), 0..3)),
        inputs in option::of(port_map()),
        outputs in option::of(port_map()),
        interruptible in option::of(any::<bool>()),
        extra in extra(),
    ) -> Task {
        let mut t = Task::default();
        t.href = strings[0].clone();
        t.id = strings[1].clone();
        t.name = strings[2].clone();
        t.description = strings[3].clone();
        t.project = strings[4].clone();
        t.app = strings[5].clone();
        t.task_type = strings[6].clone();
        t.created_by = strings[7].clone();
        t.parent = strings[8].clone();
        t.batch_input = strings[9].clone();
        t.status = status;
        t.created_time = times[0].clone();
        t.start_time = times[1].clone();
        t.end_time = times[2].clone();
        t.batch = batch;
        t.batch_by = criteria.map(|c| {
            let mut b = BatchBy::default();
            b.kind = Some(BatchByType::Criteria);
            b.criteria = Some(c);
            b
        });
        t.execution_status = es;
        t.price = amount.map(|a| {
            let mut p = Price::default();
            p.currency = Some("USD".into());
            p.amount = Some(Amount::new(a.clone()));
            let mut bd = PriceBreakdown::default();
            bd.computation = Some(Amount::new(a));
            p.breakdown = Some(bd);
            p
        });
        t.errors = errors;
        t.inputs = inputs;
        t.outputs = outputs;
        t.use_interruptible_instances = interruptible;
        t.extra = extra;
        t
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn tasks_round_trip_through_encode_and_decode(t in task()) {
        let bytes = serde_json::to_vec(&t).unwrap();
        let strict: Task = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(&strict, &t);
        let pretty = serde_json::to_vec_pretty(&t).unwrap();
        let lenient = sbg_tasks_proto::decode::decode::<Task>(&pretty, &Decoding::default()).unwrap();
        prop_assert_eq!(&lenient.value, &t);
        prop_assert!(lenient.report.is_clean());
        // And through the untyped lenient path (what a repaired body takes).
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut cx = sbg_tasks_proto::model::LenientCx::new();
        let via_value = <Task as sbg_tasks_proto::model::FromLenient>::from_lenient(v, &mut cx).unwrap();
        prop_assert_eq!(&via_value, &t);
        prop_assert!(cx.coercions.is_empty());
    }
}

/// Defects a proxy or a hand-edited document puts into a pretty-printed body, one line at a time.
#[derive(Debug, Clone, Copy)]
enum Defect {
    TrailingComma,
    MissingComma,
    SingleQuotes,
    PythonLiteral,
    Comment,
    Elision,
}

fn defect() -> impl Strategy<Value = Defect> {
    prop_oneof![
        Just(Defect::TrailingComma),
        Just(Defect::MissingComma),
        Just(Defect::SingleQuotes),
        Just(Defect::PythonLiteral),
        Just(Defect::Comment),
        Just(Defect::Elision),
    ]
}

/// Applies `defect` to line `i` of `lines` when the line has the shape for it; returns the
/// repair kind expected, if any was applied.
fn inject(
    lines: &mut Vec<String>,
    i: usize,
    defect: Defect,
) -> Option<sbg_tasks_proto::lenient::RepairKind> {
    use sbg_tasks_proto::lenient::RepairKind as K;
    // Lines this generator inserted itself are left as they are: a comma added to a comment
    // line is part of the comment, not a trailing comma (a case CI found).
    let is_inserted = |l: &str| l.trim_start().starts_with("//") || l.trim() == "<snip>";
    let line = lines[i].clone();
    // The next line of the document itself: a comment inserted after a trailing comma must
    // not make a later defect take that comma for an ordinary separator and remove it.
    let next_closes = lines[i + 1..]
        .iter()
        .find(|n| !is_inserted(n))
        .is_some_and(|n| n.trim_start().starts_with(['}', ']']));
    let opens = line.ends_with('{') || line.ends_with('[');
    let inserted = is_inserted(&line);
    match defect {
        Defect::TrailingComma
        | Defect::MissingComma
        | Defect::SingleQuotes
        | Defect::PythonLiteral
            if inserted =>
        {
            None
        }
        Defect::TrailingComma if next_closes && !opens && !line.ends_with(',') => {
            lines[i].push(',');
            Some(K::TrailingComma)
        }
        Defect::MissingComma if line.ends_with(',') && !next_closes => {
            lines[i].pop();
            Some(K::MissingComma)
        }
        Defect::SingleQuotes => {
            // `"key": "value"` → `"key": 'value'` for plain values.
            let (head, tail) = line.split_once("\": \"")?;
            let (value, rest) = tail.rsplit_once('"')?;
            if value.contains(['\'', '"', '\\']) || !(rest.is_empty() || rest == ",") {
                return None;
            }
            lines[i] = format!("{head}\": '{value}'{rest}");
            Some(K::SingleQuotedString)
        }
        Defect::PythonLiteral => {
            for (from, to) in [
                (": true", ": True"),
                (": false", ": False"),
                (": null", ": None"),
            ] {
                if let Some(pos) = line.find(from) {
                    let after = &line[pos + from.len()..];
                    if after.is_empty() || after == "," {
                        lines[i] = format!("{}{}{}", &line[..pos], to, after);
                        return Some(K::PythonLiteral);
                    }
                }
            }
            None
        }
        Defect::Comment => {
            lines.insert(i + 1, "  // a comment, as in a hand-edited file".into());
            Some(K::Comment)
        }
        Defect::Elision if opens || line.ends_with(',') => {
            lines.insert(i + 1, "        <snip>".into());
            Some(K::ElisionLine)
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn tasks_with_injected_defects_decode_back_to_the_original(
        t in task(),
        defects in vec((any::<prop::sample::Index>(), defect()), 1..6),
    ) {
        let pretty = serde_json::to_string_pretty(&t).unwrap();
        let mut lines: Vec<String> = pretty.lines().map(str::to_owned).collect();
        let mut injected = Vec::new();
        for (at, d) in defects {
            let i = at.index(lines.len());
            if let Some(kind) = inject(&mut lines, i, d) {
                injected.push(kind);
            }
        }
        let body = lines.join("\n");
        let d = sbg_tasks_proto::decode::decode::<Task>(body.as_bytes(), &Decoding::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{body}")))?;
        prop_assert_eq!(&d.value, &t, "{}", body);
        for kind in &injected {
            prop_assert!(
                d.report.repairs.kinds().any(|k| k == *kind),
                "{:?} not reported in {:?}\n{}", kind, d.report.repairs, body
            );
        }
        if injected.is_empty() {
            prop_assert!(d.report.is_clean());
        }
    }
}
