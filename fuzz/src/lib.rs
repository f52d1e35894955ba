//! Shared pieces of the fuzz targets: structure-aware generators (via `arbitrary`) of task
//! values and JSON, and a JSON writer that can inject the defects the lenient pass promises to
//! undo without losing anything.
//!
//! Nothing here is used outside `fuzz/`; the targets live in `fuzz_targets/`.

use arbitrary::{Arbitrary, Result, Unstructured};
use sbg_tasks_proto::lenient::RepairKind;
use serde_json::{Map, Number, Value};

/// Deepest nesting of generated free-form JSON (inputs, outputs, extra members).
pub const MAX_JSON_DEPTH: usize = 5;

/// Words the lenient pass reads as literals; never used as unquoted keys or strings.
const KEYWORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "none",
    "undefined",
    "nan",
    "infinity",
    "while",
    "for",
];

/// An arbitrary JSON value, at most `depth` levels deep.
pub fn arb_json(u: &mut Unstructured<'_>, depth: usize) -> Result<Value> {
    let pick = if depth == 0 {
        u.int_in_range(0..=5)?
    } else {
        u.int_in_range(0..=7)?
    };
    Ok(match pick {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(u.arbitrary::<u64>()?.into()),
        3 => Value::Number(u.arbitrary::<i64>()?.into()),
        4 => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        5 => Value::String(arb_string(u)?),
        6 => {
            let n = u.int_in_range(0..=4)?;
            let mut a = Vec::with_capacity(n);
            for _ in 0..n {
                a.push(arb_json(u, depth - 1)?);
            }
            Value::Array(a)
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut m = Map::new();
            for _ in 0..n {
                let k = arb_key(u)?;
                let v = arb_json(u, depth - 1)?;
                m.insert(k, v);
            }
            Value::Object(m)
        }
    })
}

/// A string: mostly short words from a small alphabet (so defects apply often), sometimes any
/// Unicode text.
pub fn arb_string(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 3)? {
        return u.arbitrary();
    }
    let n = u.int_in_range(0..=12)?;
    let mut s = String::with_capacity(n);
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_- ./:'\"\\\n\t";
    for _ in 0..n {
        s.push(*u.choose(ALPHABET)? as char);
    }
    Ok(s)
}

/// An object key: usually an identifier, sometimes any text.
pub fn arb_key(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 4)? {
        return u.arbitrary();
    }
    let n = u.int_in_range(1..=10)?;
    let mut s = String::with_capacity(n);
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyz_ABCXYZ";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyz_0123456789";
    s.push(*u.choose(FIRST)? as char);
    for _ in 1..n {
        s.push(*u.choose(REST)? as char);
    }
    Ok(s)
}

/// A JSON value wrapper whose `Arbitrary` impl builds free-form JSON.
#[derive(Debug, Clone)]
pub struct ArbJson(pub Value);

impl<'a> Arbitrary<'a> for ArbJson {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(ArbJson(arb_json(u, MAX_JSON_DEPTH)?))
    }
}

#[derive(Debug, Arbitrary)]
enum ArbStatus {
    Known(u8),
    Other(String),
}

const STATUSES: &[&str] = &[
    "DRAFT",
    "CREATING",
    "QUEUED",
    "RUNNING",
    "ABORTING",
    "COMPLETED",
    "ABORTED",
    "FAILED",
];

#[derive(Debug, Arbitrary)]
enum ArbTime {
    Parts {
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        offset_minutes: Option<i16>,
    },
    Raw(String),
}

impl ArbTime {
    fn to_value(&self) -> Value {
        match self {
            ArbTime::Parts {
                year,
                month,
                day,
                hour,
                minute,
                second,
                offset_minutes,
            } => {
                let off = match offset_minutes {
                    None => "Z".to_owned(),
                    Some(m) => {
                        let m = i32::from(*m) % (24 * 60);
                        let sign = if m < 0 { '-' } else { '+' };
                        format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
                    }
                };
                Value::String(format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{off}",
                    year % 10_000,
                    month % 13,
                    day % 32,
                    hour % 24,
                    minute % 60,
                    second % 61
                ))
            }
            ArbTime::Raw(s) => Value::String(s.clone()),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct ArbExec {
    steps_completed: Option<u64>,
    steps_total: Option<u64>,
    message: Option<String>,
    message_code: Option<String>,
    system_limit: Option<bool>,
    account_limit: Option<bool>,
    instance_init: Option<bool>,
    duration: Option<u64>,
    queued_duration: Option<u64>,
    running_duration: Option<u64>,
    execution_duration: Option<u64>,
    counts: Option<[u64; 5]>,
}

#[derive(Debug, Arbitrary)]
struct ArbPrice {
    currency: Option<String>,
    amount: Option<(u32, u8)>,
    breakdown: Option<[(u32, u8); 3]>,
}

fn amount((units, cents): (u32, u8)) -> Value {
    Value::String(format!("{units}.{:02}", cents % 100))
}

#[derive(Debug, Arbitrary)]
struct ArbIssue {
    kind: Option<(u8, String)>,
    message: Option<String>,
    input_id: Option<String>,
}

const ISSUE_KINDS: &[&str] = &[
    "error/task_validation/input/schema",
    "error/task_validation/input/invalid_name_files",
    "error/task_validation/input/files_missing",
    "error/task_validation/input/secondary_files_missing",
];

#[derive(Debug, Arbitrary)]
enum ArbPort {
    File {
        directory: bool,
        path: Option<String>,
        name: Option<String>,
        secondary: Option<Vec<(Option<String>, Option<String>)>>,
        extra: Option<(String, ArbJson)>,
    },
    Any(ArbJson),
}

impl ArbPort {
    fn to_value(&self) -> Value {
        match self {
            ArbPort::File {
                directory,
                path,
                name,
                secondary,
                extra,
            } => {
                let mut m = Map::new();
                let class = if *directory { "Directory" } else { "File" };
                m.insert("class".into(), class.into());
                if let Some(p) = path {
                    m.insert("path".into(), p.clone().into());
                }
                if let Some(n) = name {
                    m.insert("name".into(), n.clone().into());
                }
                if let Some(sf) = secondary {
                    let files = sf
                        .iter()
                        .map(|(p, n)| {
                            let mut f = Map::new();
                            f.insert("class".into(), "File".into());
                            if let Some(p) = p {
                                f.insert("path".into(), p.clone().into());
                            }
                            if let Some(n) = n {
                                f.insert("name".into(), n.clone().into());
                            }
                            Value::Object(f)
                        })
                        .collect();
                    m.insert("secondaryFiles".into(), Value::Array(files));
                }
                if let Some((k, v)) = extra {
                    m.entry(k.clone()).or_insert_with(|| v.0.clone());
                }
                Value::Object(m)
            }
            ArbPort::Any(v) => v.0.clone(),
        }
    }
}

/// `batch_group`: its value and fields.
type ArbBatchGroup = (Option<String>, Vec<(String, ArbJson)>);

/// `execution_settings`: instance type, max parallel instances, memoization, elastic disk.
type ArbSettings = (Option<String>, Option<u64>, Option<bool>, Option<bool>);

/// An arbitrary, well-typed task answer (every member optional; some null; unknown members).
#[derive(Debug, Arbitrary)]
pub struct ArbTask {
    strings: [Option<String>; 11],
    status: Option<ArbStatus>,
    times: [Option<ArbTime>; 3],
    batch: Option<bool>,
    batch_by: Option<(bool, Vec<String>)>,
    batch_group: Option<ArbBatchGroup>,
    execution_status: Option<ArbExec>,
    price: Option<ArbPrice>,
    errors: Option<Vec<ArbIssue>>,
    warnings: Option<Vec<ArbIssue>>,
    inputs: Option<Vec<(String, ArbPort)>>,
    outputs: Option<Vec<(String, ArbPort)>>,
    use_interruptible_instances: Option<bool>,
    settings: Option<ArbSettings>,
    output_location: Option<ArbJson>,
    origin: Option<ArbJson>,
    extra: Vec<(String, ArbJson)>,
    /// Bit i set: member i, when absent, is sent as `null` instead.
    nulls: u32,
}

const STRING_MEMBERS: [&str; 11] = [
    "href",
    "id",
    "name",
    "description",
    "project",
    "app",
    "type",
    "created_by",
    "executed_by",
    "batch_input",
    "parent",
];

/// Every member name the task model knows (extra members must avoid them).
pub const TASK_MEMBERS: &[&str] = sbg_tasks_proto::Task::KNOWN_MEMBERS;

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>, null: bool) {
    match v {
        Some(v) => {
            m.insert(k.to_owned(), v);
        }
        None if null => {
            m.insert(k.to_owned(), Value::Null);
        }
        None => {}
    }
}

fn opt_members(pairs: &[(&str, Option<Value>)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            m.insert((*k).to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

impl ArbTask {
    /// The task as a JSON object, members in a fixed order, unknown ones last.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        let mut bit = 0u32;
        let mut null = || {
            bit += 1;
            self.nulls & (1 << (bit % 32)) != 0
        };
        for (k, v) in STRING_MEMBERS.iter().zip(&self.strings) {
            put(&mut m, k, v.clone().map(Value::String), null());
        }
        let status = self.status.as_ref().map(|s| match s {
            ArbStatus::Known(i) => Value::from(STATUSES[usize::from(*i) % STATUSES.len()]),
            ArbStatus::Other(s) => Value::from(s.clone()),
        });
        put(&mut m, "status", status, null());
        for (k, t) in ["created_time", "start_time", "end_time"]
            .iter()
            .zip(&self.times)
        {
            put(&mut m, k, t.as_ref().map(ArbTime::to_value), null());
        }
        put(&mut m, "batch", self.batch.map(Value::Bool), null());
        let batch_by = self.batch_by.as_ref().map(|(item, criteria)| {
            let kind = if *item { "ITEM" } else { "CRITERIA" };
            let mut o = Map::new();
            o.insert("type".into(), kind.into());
            if !criteria.is_empty() {
                o.insert("criteria".into(), criteria.clone().into());
            }
            Value::Object(o)
        });
        put(&mut m, "batch_by", batch_by, null());
        let batch_group = self.batch_group.as_ref().map(|(value, fields)| {
            let mut o = Map::new();
            if let Some(v) = value {
                o.insert("value".into(), v.clone().into());
            }
            let f: Map<String, Value> = fields
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect();
            o.insert("fields".into(), Value::Object(f));
            Value::Object(o)
        });
        put(&mut m, "batch_group", batch_group, null());
        let exec = self.execution_status.as_ref().map(|e| {
            let u = |x: Option<u64>| x.map(Value::from);
            let b = |x: Option<bool>| x.map(Value::from);
            let s = |x: &Option<String>| x.clone().map(Value::from);
            let c = |i: usize| e.counts.map(|c| Value::from(c[i]));
            opt_members(&[
                ("steps_completed", u(e.steps_completed)),
                ("steps_total", u(e.steps_total)),
                ("message", s(&e.message)),
                ("message_code", s(&e.message_code)),
                ("system_limit", b(e.system_limit)),
                ("account_limit", b(e.account_limit)),
                ("instance_init", b(e.instance_init)),
                ("duration", u(e.duration)),
                ("queued_duration", u(e.queued_duration)),
                ("running_duration", u(e.running_duration)),
                ("execution_duration", u(e.execution_duration)),
                ("queued", c(0)),
                ("running", c(1)),
                ("completed", c(2)),
                ("failed", c(3)),
                ("aborted", c(4)),
            ])
        });
        put(&mut m, "execution_status", exec, null());
        let price = self.price.as_ref().map(|p| {
            let breakdown = p.breakdown.map(|b| {
                opt_members(&[
                    ("storage", Some(amount(b[0]))),
                    ("computation", Some(amount(b[1]))),
                    ("data_transfer", Some(amount(b[2]))),
                ])
            });
            opt_members(&[
                ("currency", p.currency.clone().map(Value::from)),
                ("amount", p.amount.map(amount)),
                ("breakdown", breakdown),
            ])
        });
        put(&mut m, "price", price, null());
        let issues = |v: &Option<Vec<ArbIssue>>| {
            v.as_ref().map(|list| {
                Value::Array(
                    list.iter()
                        .map(|i| {
                            let kind = i.kind.as_ref().map(|(k, other)| {
                                if *k < 200 {
                                    Value::from(ISSUE_KINDS[usize::from(*k) % ISSUE_KINDS.len()])
                                } else {
                                    Value::from(other.clone())
                                }
                            });
                            opt_members(&[
                                ("type", kind),
                                ("message", i.message.clone().map(Value::from)),
                                ("input_id", i.input_id.clone().map(Value::from)),
                            ])
                        })
                        .collect(),
                )
            })
        };
        put(&mut m, "errors", issues(&self.errors), null());
        put(&mut m, "warnings", issues(&self.warnings), null());
        let ports = |p: &Option<Vec<(String, ArbPort)>>| {
            p.as_ref().map(|list| {
                let mut o = Map::new();
                for (k, v) in list {
                    o.insert(k.clone(), v.to_value());
                }
                Value::Object(o)
            })
        };
        put(&mut m, "inputs", ports(&self.inputs), null());
        put(&mut m, "outputs", ports(&self.outputs), null());
        put(
            &mut m,
            "use_interruptible_instances",
            self.use_interruptible_instances.map(Value::Bool),
            null(),
        );
        let settings = self.settings.as_ref().map(|(t, n, a, b)| {
            opt_members(&[
                ("instance_type", t.clone().map(Value::from)),
                ("max_parallel_instances", n.map(Value::from)),
                ("use_memoization", a.map(Value::from)),
                ("use_elastic_disk", b.map(Value::from)),
            ])
        });
        put(&mut m, "execution_settings", settings, null());
        put(
            &mut m,
            "output_location",
            self.output_location.as_ref().map(|v| v.0.clone()),
            null(),
        );
        put(
            &mut m,
            "origin",
            self.origin.as_ref().map(|v| v.0.clone()),
            null(),
        );
        for (k, v) in &self.extra {
            if !m.contains_key(k) && !TASK_MEMBERS.contains(&k.as_str()) {
                m.insert(k.clone(), v.0.clone());
            }
        }
        Value::Object(m)
    }
}

/// Defects the writer can inject; each is one the lenient pass undoes without loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// A UTF-8 byte order mark before the body.
    Bom,
    /// An anti-XSSI prefix before the body.
    Xssi,
    /// A string value or key in single quotes.
    SingleQuotes,
    /// A string value in typographic double quotes.
    SmartQuotes,
    /// A key without quotes.
    UnquotedKey,
    /// A one-word lowercase string value without quotes.
    UnquotedString,
    /// `True`, `False`, `None`.
    PythonLiteral,
    /// A non-negative integer written `+N`.
    PlusSign,
    /// A raw control character inside a string.
    RawControl,
    /// A comment between two tokens.
    Comment,
    /// A comma after the last member or element.
    TrailingComma,
    /// The comma between two members or elements left out (a newline stands there).
    MissingComma,
    /// The colon after a key left out.
    MissingColon,
    /// Text after the complete body.
    TrailingGarbage,
    /// The closing brackets at the end cut off.
    Truncated,
}

impl Defect {
    /// The repair kinds the lenient pass may report for this defect.
    pub fn kinds(self) -> &'static [RepairKind] {
        use RepairKind as K;
        match self {
            Defect::Bom => &[K::ByteOrderMark],
            Defect::Xssi => &[K::XssiPrefix],
            Defect::SingleQuotes => &[K::SingleQuotedString, K::InvalidEscape],
            Defect::SmartQuotes => &[K::SmartQuotes],
            Defect::UnquotedKey => &[K::UnquotedKey],
            Defect::UnquotedString => &[K::UnquotedString],
            Defect::PythonLiteral => &[K::PythonLiteral],
            Defect::PlusSign => &[K::InvalidNumber],
            Defect::RawControl => &[K::ControlCharacterInString],
            Defect::Comment => &[K::Comment],
            Defect::TrailingComma => &[K::TrailingComma],
            Defect::MissingComma => &[K::MissingComma],
            Defect::MissingColon => &[K::MissingColon],
            Defect::TrailingGarbage => &[K::TrailingGarbage],
            Defect::Truncated => &[K::Truncated, K::TrailingComma],
        }
    }
}

/// Writes JSON, injecting defects where a stream of choice bytes says so.
pub struct DefectWriter<'c> {
    choices: &'c [u8],
    at: usize,
    /// One byte in `rate` becomes a defect (the rest of the choice byte picks nothing).
    rate: u8,
    out: Vec<u8>,
    /// The defects injected, in order.
    pub applied: Vec<Defect>,
}

fn is_keyword(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    KEYWORDS.iter().any(|k| lower == *k)
}

fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && !is_keyword(s)
}

fn is_bare_word(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
        && !is_keyword(s)
}

/// The JSON text of `s` without its surrounding quotes.
fn escaped_inner(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    q[1..q.len() - 1].to_owned()
}

impl<'c> DefectWriter<'c> {
    /// A writer driven by `choices`; roughly one decision point in `rate` gets a defect.
    pub fn new(choices: &'c [u8], rate: u8) -> Self {
        Self {
            choices,
            at: 0,
            rate: rate.max(1),
            out: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// The next choice: `Some(k)` (k < n) when a defect should be made here.
    fn choose(&mut self, n: u8) -> Option<u8> {
        let b = *self.choices.get(self.at)?;
        self.at += 1;
        if b % self.rate != 0 {
            return None;
        }
        Some((b / self.rate) % n.max(1))
    }

    fn apply(&mut self, d: Defect) {
        self.applied.push(d);
    }

    /// Writes `v` as a complete body with defects; returns the bytes.
    pub fn write_body(mut self, v: &Value) -> (Vec<u8>, Vec<Defect>) {
        match self.choose(3) {
            Some(0) => {
                self.out.extend_from_slice(b"\xEF\xBB\xBF");
                self.apply(Defect::Bom);
            }
            Some(1) => {
                self.out.extend_from_slice(b")]}',\n");
                self.apply(Defect::Xssi);
            }
            _ => {}
        }
        self.value(v);
        match self.choose(2) {
            Some(0) if matches!(v, Value::Object(_) | Value::Array(_)) => {
                self.out.extend_from_slice(b"\n<html>oops</html>");
                self.apply(Defect::TrailingGarbage);
            }
            Some(1) => {
                // Cut the closing brackets at the end, back to a complete string, container
                // or comma (a number or word running into the end would be dropped, not kept).
                let is_closer = |b: u8| matches!(b, b'}' | b']');
                let mut start = self.out.len();
                while start > 0 && matches!(self.out[start - 1], b'}' | b']' | b' ' | b'\n') {
                    start -= 1;
                }
                let ok = |b: u8| matches!(b, b'"' | b'}' | b']' | b'{' | b'[' | b',');
                let cut_from = if start > 0 && ok(self.out[start - 1]) {
                    Some(start)
                } else {
                    // Keep the first closer; cut the rest.
                    (start..self.out.len())
                        .find(|&i| is_closer(self.out[i]))
                        .map(|i| i + 1)
                };
                if let Some(at) = cut_from {
                    if self.out[at..].iter().any(|&b| is_closer(b)) {
                        self.out.truncate(at);
                        self.apply(Defect::Truncated);
                    }
                }
            }
            _ => {}
        }
        (self.out, self.applied)
    }

    fn gap(&mut self) {
        match self.choose(4) {
            Some(0) => self.out.extend_from_slice(b" /* note */ "),
            Some(1) => self.out.extend_from_slice(b" // note\n"),
            Some(2) => self.out.extend_from_slice(b" # note\n"),
            _ => {
                self.out.push(b' ');
                return;
            }
        }
        self.apply(Defect::Comment);
    }

    fn string(&mut self, s: &str, key: bool) {
        let has_control = s.chars().any(|c| (c as u32) < 0x20);
        match self.choose(4) {
            Some(0) => {
                let inner = escaped_inner(s).replace('\'', "\\'");
                self.out.push(b'\'');
                self.out.extend_from_slice(inner.as_bytes());
                self.out.push(b'\'');
                self.apply(Defect::SingleQuotes);
            }
            Some(1) if !key && !s.contains(['“', '”', '‘', '’']) => {
                let inner = escaped_inner(s);
                self.out.extend_from_slice("“".as_bytes());
                self.out.extend_from_slice(inner.as_bytes());
                self.out.extend_from_slice("”".as_bytes());
                self.apply(Defect::SmartQuotes);
            }
            Some(2) if key && is_identifier(s) => {
                self.out.extend_from_slice(s.as_bytes());
                self.apply(Defect::UnquotedKey);
            }
            Some(2) if !key && is_bare_word(s) => {
                self.out.extend_from_slice(s.as_bytes());
                self.apply(Defect::UnquotedString);
            }
            Some(3) if has_control => {
                // Raw control characters instead of their escapes; everything else escaped.
                self.out.push(b'"');
                for ch in s.chars() {
                    if (ch as u32) < 0x20 {
                        self.out.push(ch as u8);
                    } else {
                        let mut buf = [0u8; 4];
                        let e = escaped_inner(ch.encode_utf8(&mut buf));
                        self.out.extend_from_slice(e.as_bytes());
                    }
                }
                self.out.push(b'"');
                self.apply(Defect::RawControl);
            }
            _ => {
                let q = serde_json::to_string(s).unwrap_or_default();
                self.out.extend_from_slice(q.as_bytes());
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => match self.choose(1) {
                Some(_) => {
                    self.out.extend_from_slice(b"None");
                    self.apply(Defect::PythonLiteral);
                }
                None => self.out.extend_from_slice(b"null"),
            },
            Value::Bool(b) => match self.choose(1) {
                Some(_) => {
                    self.out
                        .extend_from_slice(if *b { b"True" } else { b"False" });
                    self.apply(Defect::PythonLiteral);
                }
                None => self
                    .out
                    .extend_from_slice(if *b { b"true" } else { b"false" }),
            },
            Value::Number(n) => {
                if n.is_u64() && self.choose(1).is_some() {
                    self.out.push(b'+');
                    self.apply(Defect::PlusSign);
                }
                self.out.extend_from_slice(n.to_string().as_bytes());
            }
            Value::String(s) => self.string(s, false),
            Value::Array(a) => {
                self.out.push(b'[');
                for (i, item) in a.iter().enumerate() {
                    let sep = self.separator(i);
                    self.gap();
                    let start = self.out.len();
                    self.value(item);
                    let next_opens = matches!(self.out.get(start), Some(b'"' | b'{' | b'['));
                    self.maybe_drop_comma(sep, next_opens);
                }
                self.close(!a.is_empty(), b']');
            }
            Value::Object(m) => {
                self.out.push(b'{');
                for (i, (k, item)) in m.iter().enumerate() {
                    let sep = self.separator(i);
                    self.gap();
                    let before = self.out.len();
                    self.string(k, true);
                    let quoted_key = self.out.get(before) == Some(&b'"');
                    self.maybe_drop_comma(sep, quoted_key);
                    if quoted_key && self.choose(1).is_some() {
                        self.out.push(b' ');
                        self.apply(Defect::MissingColon);
                    } else {
                        self.out.push(b':');
                    }
                    self.gap();
                    self.value(item);
                }
                self.close(!m.is_empty(), b'}');
            }
        }
    }

    /// Writes the comma before member or element `i > 0`; returns where it is, and whether
    /// the value before it was written as a bare word.
    fn separator(&mut self, i: usize) -> Option<(usize, bool)> {
        if i == 0 {
            return None;
        }
        let after_bare = self.applied.last() == Some(&Defect::UnquotedString)
            && self.out.last().is_some_and(u8::is_ascii_alphanumeric);
        self.out.push(b',');
        Some((self.out.len() - 1, after_bare))
    }

    /// Turns the comma at `sep` into a newline (a missing comma) when the next token opens
    /// with a quote or bracket, so the gap is unambiguous.
    fn maybe_drop_comma(&mut self, sep: Option<(usize, bool)>, next_opens: bool) {
        if let Some((at, after_bare)) = sep {
            if next_opens && !after_bare && self.choose(1).is_some() {
                self.out[at] = b'\n';
                self.apply(Defect::MissingComma);
            }
        }
    }

    fn close(&mut self, nonempty: bool, closer: u8) {
        if nonempty && self.choose(1).is_some() {
            self.out.push(b',');
            self.apply(Defect::TrailingComma);
        }
        self.out.push(b'\n');
        self.out.push(closer);
    }
}

/// Checks what every repair promises: ranges inside the input, sorted by start.
pub fn check_report_ranges(input: &[u8], report: &sbg_tasks_proto::lenient::RepairReport) {
    let mut last = 0;
    for r in report.iter() {
        assert!(
            r.range.start <= r.range.end && r.range.end <= input.len(),
            "repair {r} lies outside the input of {} bytes",
            input.len()
        );
        assert!(
            r.range.start >= last,
            "repairs not sorted by start: {report}"
        );
        last = r.range.start;
    }
}

/// The number of object members with a value other than `null`, at every depth of a JSON body
/// that `serde_json` accepts — counted as written, so a member named twice counts twice.
///
/// A lossless decode keeps this number through decode → encode: known members that are `null`
/// become absent (every member of the model is optional), nothing else may appear or vanish.
pub fn count_members(body: &[u8]) -> usize {
    let mut n = 0;
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::de::DeserializeSeed::deserialize(Count(&mut n), &mut de).expect("valid JSON");
    n
}

/// Counts members below one value; yields whether the value was `null`.
struct Count<'a>(&'a mut usize);

impl<'de> serde::de::DeserializeSeed<'de> for Count<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Count<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> std::result::Result<bool, E> {
        Ok(true)
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<bool, A::Error> {
        while seq.next_element_seed(Count(&mut *self.0))?.is_some() {}
        Ok(false)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<bool, A::Error> {
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            if !map.next_value_seed(Count(&mut *self.0))? {
                *self.0 += 1;
            }
        }
        Ok(false)
    }
}

/// Members a file object gives meaning to; a generated file's `extra` avoids them.
const FILE_MEMBERS: &[&str] = &["class", "path", "name", "secondaryFiles"];

/// A port value (or record member) name: usually an identifier, sometimes one of the names a
/// file object gives meaning to, sometimes any text.
fn arb_port_key(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 4)? {
        return Ok((*u.choose(FILE_MEMBERS)?).to_owned());
    }
    arb_key(u)
}

/// Whether an object with these members reads as a file or directory (the documented rule:
/// `class` is `"File"` or `"Directory"`, `path` and `name` are strings when present,
/// `secondaryFiles` an array when present). Written from the documentation, not the code.
pub fn is_file_shaped(m: &sbg_tasks_proto::model::PortMap) -> bool {
    use sbg_tasks_proto::model::PortValue as P;
    let text = |k: &str| matches!(m.get(k), None | Some(P::String(_)));
    matches!(m.get("class"), Some(P::String(c)) if c == "File" || c == "Directory")
        && text("path")
        && text("name")
        && matches!(m.get("secondaryFiles"), None | Some(P::Array(_)))
}

/// An arbitrary port value, at most `depth` levels deep, in the one form that survives
/// encode → decode: a record that has the shape of a file is a file (a generated record that
/// would read as one gets `"class": "file"` instead), and a file's `extra` never holds a member
/// the file object gives meaning to.
pub fn arb_port_value(
    u: &mut Unstructured<'_>,
    depth: usize,
) -> Result<sbg_tasks_proto::model::PortValue> {
    use sbg_tasks_proto::model::{FileClass, FileRef, PortValue as P};
    let pick = if depth == 0 {
        u.int_in_range(0..=5)?
    } else {
        u.int_in_range(0..=8)?
    };
    Ok(match pick {
        0 => P::Null,
        1 => P::Bool(u.arbitrary()?),
        2 => P::Number(u.arbitrary::<u64>()?.into()),
        3 => P::Number(u.arbitrary::<i64>()?.into()),
        4 => Number::from_f64(u.arbitrary()?).map_or(P::Null, P::Number),
        5 => {
            if u.ratio(1, 8)? {
                P::String((*u.choose(&["File", "Directory"])?).to_owned())
            } else {
                P::String(arb_string(u)?)
            }
        }
        6 => {
            let n = u.int_in_range(0..=4)?;
            let mut a = Vec::with_capacity(n);
            for _ in 0..n {
                a.push(arb_port_value(u, depth - 1)?);
            }
            P::Array(a)
        }
        7 => {
            let n = u.int_in_range(0..=4)?;
            let mut m = sbg_tasks_proto::model::PortMap::new();
            for _ in 0..n {
                let k = arb_port_key(u)?;
                let v = arb_port_value(u, depth - 1)?;
                m.insert(k, v);
            }
            if is_file_shaped(&m) {
                m.insert("class".into(), P::String("file".into()));
            }
            P::Map(m)
        }
        _ => {
            let mut f = FileRef::file(String::new());
            if u.arbitrary()? {
                f.class = FileClass::Directory;
            }
            f.path = if u.arbitrary()? {
                Some(arb_string(u)?)
            } else {
                None
            };
            f.name = if u.arbitrary()? {
                Some(arb_string(u)?)
            } else {
                None
            };
            if u.arbitrary()? {
                let n = u.int_in_range(0..=3)?;
                let mut sf = Vec::with_capacity(n);
                for _ in 0..n {
                    sf.push(arb_port_value(u, depth - 1)?);
                }
                f.secondary_files = Some(sf);
            }
            for _ in 0..u.int_in_range(0..=2)? {
                let k = arb_key(u)?;
                if !FILE_MEMBERS.contains(&k.as_str()) {
                    f.extra.insert(k, arb_json(u, depth - 1)?);
                }
            }
            P::File(f)
        }
    })
}

/// Ports as a caller sets them one by one: (port, value) pairs, a port sometimes named again.
#[derive(Debug, Clone)]
pub struct ArbPorts(pub Vec<(String, sbg_tasks_proto::model::PortValue)>);

impl<'a> Arbitrary<'a> for ArbPorts {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let n = u.int_in_range(0..=8)?;
        let mut pairs: Vec<(String, _)> = Vec::with_capacity(n);
        for _ in 0..n {
            let port = if !pairs.is_empty() && u.ratio(1, 5)? {
                pairs[u.choose_index(pairs.len())?].0.clone()
            } else if u.ratio(1, 8)? {
                u.arbitrary()?
            } else {
                arb_key(u)?
            };
            pairs.push((port, arb_port_value(u, 3)?));
        }
        Ok(ArbPorts(pairs))
    }
}

impl ArbPorts {
    /// The map the pairs make when set in order: a port named again keeps its first place
    /// and takes its last value (what `input(port, value)` documents).
    pub fn map(&self) -> sbg_tasks_proto::model::PortMap {
        let mut m = sbg_tasks_proto::model::PortMap::new();
        for (k, v) in &self.0 {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    /// The pairs written as one JSON object, every pair a member (a port named again is a
    /// repeated member).
    pub fn to_json_with_repeats(&self) -> Vec<u8> {
        let mut out = b"{".to_vec();
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend(serde_json::to_vec(k).expect("a key encodes"));
            out.push(b':');
            out.extend(serde_json::to_vec(v).expect("a port value encodes"));
        }
        out.push(b'}');
        out
    }
}

/// Asserts two port maps are equal, member order included at every depth (`IndexMap`'s `==`
/// ignores order, so the encodings are compared too).
pub fn assert_same_ports(
    got: &sbg_tasks_proto::model::PortMap,
    want: &sbg_tasks_proto::model::PortMap,
    what: &str,
) {
    assert_eq!(got, want, "{what}: the maps differ");
    let (g, w) = (
        serde_json::to_string(got).expect("encodes"),
        serde_json::to_string(want).expect("encodes"),
    );
    assert_eq!(g, w, "{what}: same members, different order");
}

/// The number of repeated members (each copy after the first) in the objects of a JSON body
/// that `serde_json` accepts, at every depth.
pub fn count_repeats(body: &[u8]) -> usize {
    let mut n = 0;
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::de::DeserializeSeed::deserialize(Repeats(&mut n), &mut de).expect("valid JSON");
    n
}

struct Repeats<'a>(&'a mut usize);

impl<'de> serde::de::DeserializeSeed<'de> for Repeats<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Repeats<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Repeats(&mut *self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(k) = map.next_key::<String>()? {
            if !seen.insert(k) {
                *self.0 += 1;
            }
            map.next_value_seed(Repeats(&mut *self.0))?;
        }
        Ok(())
    }
}
