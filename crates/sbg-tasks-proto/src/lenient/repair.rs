//! The repair pass: one forward pass over the bytes, an explicit-stack state machine.
//!
//! The machine reads the input once, front to back, and writes JSON as it goes. Containers are
//! tracked on an explicit stack (never by recursion) whose depth is capped by
//! [`Policy::max_depth`]. Lookahead is bounded: it never goes past blanks after a quote or a
//! word, 66 bytes for a `<...>` marker, or one token. Output is only ever rewound to drop the
//! member being read (elision as a value, truncation) or to move a comma, and each output byte
//! is rewound at most once, so the whole pass is linear in the input. Every unit of work is
//! counted in `steps`, so tests can check linearity without timing anything.

use super::error::RepairError;
use super::lexical::{
    classify_number, ends_bare_value, ends_junk, is_ident, is_key_byte, is_number_byte, is_ws,
    utf8_char, Number, STR_STOP_CHECK, STR_STOP_UTF8,
};
use super::policy::Policy;
use super::report::{Repair, RepairKind};

/// What the machine expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The top-level value.
    Start,
    /// A key (or `}`) in an object.
    Key,
    /// The `:` after a key.
    Colon,
    /// A member's value (after `:`).
    ObjValue,
    /// An element (or `]`) in an array.
    ArrValue,
    /// A `,` or the closing bracket, after a member or element.
    AfterValue,
    /// Nothing: the top-level value is complete.
    Done,
}

/// A comma between the last member and the next one, not yet known to be needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// No comma read since the last value (or the container is empty).
    None,
    /// A comma was read at `pos` and written to the output at `out_at`; removed again if the
    /// container closes.
    Comma { pos: usize, out_at: usize },
    /// No comma after the value that ended at input `pos` / output `out_at`; one is inserted
    /// there if another member follows.
    Missing { pos: usize, out_at: usize },
}

/// Where the current member of a container started, to drop it again.
#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    /// Output length before the member (and its comma).
    out: usize,
    /// Number of repairs before the member.
    reps: usize,
    /// Input offset of the member's comma, or of the member when it has none.
    start: usize,
    /// Input offset of the member's first token.
    tok: usize,
    /// The pending comma before the member.
    pending: Pending,
    /// Whether the container had members before this one.
    had_members: bool,
}

const NO_CHECKPOINT: Checkpoint = Checkpoint {
    out: 0,
    reps: 0,
    start: 0,
    tok: 0,
    pending: Pending::None,
    had_members: false,
};

/// One open object or array.
#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    /// The braces of a members-only fragment, absent from the input.
    virt: bool,
    has_members: bool,
    cp: Checkpoint,
}

/// How a string is quoted in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Double,
    Single,
    SmartDouble,
    SmartSingle,
}

/// Where a value stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    Obj,
    Arr,
}

/// What the top-level value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Nothing,
    Container,
    String,
    Scalar,
}

/// Anti-XSSI prefixes dropped at the start of a body.
const XSSI: [&[u8]; 3] = [b")]}'", b"while(1);", b"for(;;);"];
const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// The outcome of a run: the JSON and the repairs, or why not; and the steps taken.
pub(super) type Outcome = (Result<(Vec<u8>, Vec<Repair>), RepairError>, u64);

/// Runs the repair pass over `input`.
pub(super) fn run(input: &[u8], policy: &Policy) -> Outcome {
    let mut m = Machine {
        input,
        policy,
        pos: 0,
        out: Vec::with_capacity(input.len() + 16),
        repairs: Vec::new(),
        stack: Vec::new(),
        objects: 0,
        arrays: 0,
        state: State::Start,
        pending: Pending::None,
        value_end: 0,
        value_out_end: 0,
        key_end: 0,
        steps: 0,
        junk_run: false,
        stop: if std::str::from_utf8(input).is_ok() {
            &STR_STOP_UTF8
        } else {
            &STR_STOP_CHECK
        },
        top: Top::Nothing,
        top_start: 0,
        done: false,
        scratch: Vec::new(),
    };
    m.steps = input.len() as u64 / 16; // the UTF-8 check above
    let r = m.drive();
    let steps = m.steps;
    match r {
        Ok(()) => {
            let mut repairs = m.repairs;
            if !repairs.is_sorted_by_key(|r| r.range.start) {
                repairs.sort_by_key(|r| r.range.start);
            }
            (Ok((m.out, repairs)), steps)
        }
        Err(e) => (Err(e), steps),
    }
}

struct Machine<'a> {
    input: &'a [u8],
    policy: &'a Policy,
    pos: usize,
    out: Vec<u8>,
    repairs: Vec<Repair>,
    stack: Vec<Frame>,
    /// Open objects and arrays on the stack (not counting a fragment's braces).
    objects: usize,
    arrays: usize,
    state: State,
    pending: Pending,
    /// Input offset and output length right after the last complete value.
    value_end: usize,
    value_out_end: usize,
    /// Input offset right after the last key.
    key_end: usize,
    steps: u64,
    /// The token before the current one was junk (to report a run of junk once).
    junk_run: bool,
    /// Bytes that end a run of plain string content.
    stop: &'static [bool; 256],
    top: Top,
    top_start: usize,
    /// Trailing garbage was dropped: stop reading.
    done: bool,
    scratch: Vec<u8>,
}

impl Machine<'_> {
    fn drive(&mut self) -> Result<(), RepairError> {
        self.prologue()?;
        loop {
            self.steps += 1;
            self.copy_ws();
            if self.done || self.pos >= self.input.len() {
                return self.finish();
            }
            let was_junk = std::mem::replace(&mut self.junk_run, false);
            let b = self.input[self.pos];
            let next = self.input.get(self.pos + 1).copied();
            if (b == b'/' && matches!(next, Some(b'/' | b'*')))
                || (b == b'#' && self.state != State::Start)
            {
                self.comment()?;
                continue;
            }
            match self.state {
                State::Start => self.on_value(b, Ctx::Top, was_junk)?,
                State::ObjValue => self.on_value(b, Ctx::Obj, was_junk)?,
                State::ArrValue => self.on_value(b, Ctx::Arr, was_junk)?,
                State::Key => self.on_key(b, was_junk)?,
                State::Colon => self.on_colon(b, was_junk)?,
                State::AfterValue => self.on_after(b)?,
                State::Done => self.on_done(b)?,
            }
        }
    }

    // ----- reporting -----

    fn report(
        &mut self,
        kind: RepairKind,
        range: std::ops::Range<usize>,
    ) -> Result<(), RepairError> {
        if self.policy.rejects(kind) {
            return Err(RepairError::Rejected { kind, range });
        }
        if self.repairs.len() >= self.policy.max_repairs {
            return Err(RepairError::TooManyRepairs {
                max: self.policy.max_repairs,
                offset: range.start,
            });
        }
        self.repairs.push(Repair { kind, range });
        Ok(())
    }

    /// Reports `kind` at `range`, extending the last repair instead when it is of the same
    /// kind and ends where this one starts (or, with `gap`, anywhere before it).
    fn report_joined(
        &mut self,
        kind: RepairKind,
        range: std::ops::Range<usize>,
        gap: bool,
    ) -> Result<(), RepairError> {
        if let Some(last) = self.repairs.last_mut() {
            if last.kind == kind
                && (last.range.end == range.start || gap && last.range.end <= range.start)
            {
                last.range.end = range.end;
                return Ok(());
            }
        }
        self.report(kind, range)
    }

    // ----- start and end -----

    fn prologue(&mut self) -> Result<(), RepairError> {
        let input = self.input;
        if input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]) {
            return Err(RepairError::not_json(input, 0));
        }
        if input.starts_with(BOM) {
            self.report(RepairKind::ByteOrderMark, 0..3)?;
            self.pos = 3;
        }
        let mut j = self.pos;
        while j < input.len() && is_ws(input[j]) {
            j += 1;
        }
        self.steps += (j - self.pos) as u64;
        for prefix in XSSI {
            if input[j..].starts_with(prefix) {
                let mut end = j + prefix.len();
                if prefix == b")]}'" && input.get(end) == Some(&b',') {
                    end += 1;
                }
                self.report(RepairKind::XssiPrefix, j..end)?;
                self.pos = end;
                break;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), RepairError> {
        let n = self.input.len();
        match self.state {
            State::Start => return Err(RepairError::Empty),
            State::Done => return Ok(()),
            State::Colon | State::ObjValue => self.drop_partial()?,
            _ => {}
        }
        let mut truncated = false;
        while let Some(f) = self.stack.last().copied() {
            if matches!(self.state, State::Key | State::ArrValue) {
                self.drop_trailing_comma()?;
            }
            self.pending = Pending::None;
            self.pop_frame();
            truncated |= !f.virt;
            self.value_done();
        }
        if truncated {
            self.report(RepairKind::Truncated, n..n)?;
        }
        Ok(())
    }

    // ----- whitespace, comments, junk -----

    fn copy_ws(&mut self) {
        let input = self.input;
        let s = self.pos;
        let i = input[s..]
            .iter()
            .position(|&b| !is_ws(b))
            .map_or(input.len(), |k| s + k);
        if i > s {
            self.steps += (i - s) as u64;
            self.out.extend_from_slice(&input[s..i]);
            self.pos = i;
        }
    }

    fn comment(&mut self) -> Result<(), RepairError> {
        let input = self.input;
        let p = self.pos;
        let end = if input[p] == b'#' || input[p + 1] == b'/' {
            input[p..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(input.len(), |e| p + e)
        } else {
            input[p + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(input.len(), |e| p + 2 + e + 2)
        };
        self.steps += (end - p) as u64;
        self.report(RepairKind::Comment, p..end)?;
        self.pos = end;
        Ok(())
    }

    /// Skips a run of junk starting at the current byte (at least that byte).
    fn junk(&mut self, was_junk: bool) -> Result<(), RepairError> {
        let input = self.input;
        let p = self.pos;
        let mut e = p + 1;
        if !ends_junk(input[p]) {
            while e < input.len() && !ends_junk(input[e]) {
                e += 1;
            }
        }
        self.junk_to(p, e, was_junk)
    }

    fn junk_to(&mut self, p: usize, e: usize, was_junk: bool) -> Result<(), RepairError> {
        self.steps += (e - p) as u64;
        self.report_joined(RepairKind::Junk, p..e, was_junk)?;
        self.pos = e;
        self.junk_run = true;
        Ok(())
    }

    // ----- containers and members -----

    fn frame(&mut self) -> &mut Frame {
        let i = self.stack.len() - 1;
        &mut self.stack[i]
    }

    fn member_state(&self) -> State {
        match self.stack.last() {
            Some(f) if f.object => State::Key,
            Some(_) => State::ArrValue,
            None => State::Done,
        }
    }

    fn open(&mut self, b: u8) -> Result<(), RepairError> {
        // Counted as serde_json counts its recursion limit: `max_depth` levels are too many.
        if self.stack.len() + 1 >= self.policy.max_depth {
            return Err(RepairError::TooDeep {
                offset: self.pos,
                max: self.policy.max_depth,
            });
        }
        let object = b == b'{';
        self.stack.push(Frame {
            object,
            virt: false,
            has_members: false,
            cp: NO_CHECKPOINT,
        });
        if object {
            self.objects += 1;
        } else {
            self.arrays += 1;
        }
        self.out.push(b);
        self.pos += 1;
        self.state = if object { State::Key } else { State::ArrValue };
        Ok(())
    }

    /// Pops the innermost frame and writes its closing bracket.
    fn pop_frame(&mut self) {
        if let Some(f) = self.stack.pop() {
            if f.virt {
            } else if f.object {
                self.objects -= 1;
            } else {
                self.arrays -= 1;
            }
            self.out.push(if f.object { b'}' } else { b']' });
        }
    }

    /// A value is complete at the current position.
    fn value_done(&mut self) {
        self.value_end = self.pos;
        self.value_out_end = self.out.len();
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::AfterValue
        };
    }

    /// A member (key or element) starts at `tok`: write its comma and remember where it began.
    fn begin_member(&mut self, tok: usize) -> Result<(), RepairError> {
        let had = self.frame().has_members;
        let pending = self.pending;
        let (out, start) = match pending {
            Pending::Comma { pos, out_at } => (out_at, pos),
            Pending::Missing { out_at, .. } => (out_at, tok),
            Pending::None => (self.out.len(), tok),
        };
        let cp = Checkpoint {
            out,
            reps: self.repairs.len(),
            start,
            tok,
            pending,
            had_members: had,
        };
        match pending {
            Pending::Comma { pos, out_at } if !had => {
                self.steps += (self.out.len() - out_at) as u64;
                self.out.remove(out_at);
                self.report(RepairKind::ExtraComma, pos..pos + 1)?;
            }
            Pending::Comma { .. } => {}
            Pending::Missing { pos, out_at } => {
                self.steps += (self.out.len() - out_at) as u64;
                self.out.insert(out_at, b',');
                self.report(RepairKind::MissingComma, pos..pos)?;
            }
            Pending::None if had => {
                self.out.push(b',');
                self.report(RepairKind::MissingComma, tok..tok)?;
            }
            Pending::None => {}
        }
        self.pending = Pending::None;
        let f = self.frame();
        f.has_members = true;
        f.cp = cp;
        Ok(())
    }

    fn begin_element(&mut self, ctx: Ctx, tok: usize) -> Result<(), RepairError> {
        match ctx {
            Ctx::Arr => self.begin_member(tok),
            Ctx::Top => {
                self.top_start = tok;
                Ok(())
            }
            Ctx::Obj => Ok(()),
        }
    }

    /// Drops the member being read, which the input cuts off; the input is used up.
    fn drop_partial(&mut self) -> Result<(), RepairError> {
        let n = self.input.len();
        let cp = self.frame().cp;
        self.out.truncate(cp.out);
        self.repairs.truncate(cp.reps);
        self.frame().has_members = cp.had_members;
        self.pending = Pending::None;
        self.state = self.member_state();
        self.pos = n;
        self.report(RepairKind::PartialMemberDropped, cp.start..n)
    }

    /// Whether a token that runs to the end of the input may have been cut there.
    fn cut_at_eof(&self, ctx: Ctx) -> bool {
        ctx != Ctx::Top && self.stack.last().is_some_and(|f| !f.virt)
    }

    fn drop_trailing_comma(&mut self) -> Result<(), RepairError> {
        if let Pending::Comma { pos, out_at } = self.pending {
            self.steps += (self.out.len() - out_at) as u64;
            self.out.remove(out_at);
            self.pending = Pending::None;
            self.report(RepairKind::TrailingComma, pos..pos + 1)?;
        }
        Ok(())
    }

    /// Closes the innermost frame as its state allows (the input is at `at`).
    fn close_frame(&mut self, at: usize) -> Result<(), RepairError> {
        match self.state {
            State::Key | State::ArrValue => self.drop_trailing_comma()?,
            State::Colon => {
                self.out.extend_from_slice(b":null");
                self.report(RepairKind::MissingValue, at..at)?;
            }
            State::ObjValue => {
                self.out.extend_from_slice(b"null");
                self.report(RepairKind::MissingValue, at..at)?;
            }
            State::AfterValue | State::Start | State::Done => {}
        }
        self.pending = Pending::None;
        self.pop_frame();
        self.value_done();
        Ok(())
    }

    /// A `}` or `]` inside a container.
    fn closer(&mut self, b: u8, was_junk: bool) -> Result<(), RepairError> {
        let want_object = b == b'}';
        let p = self.pos;
        let Some(top) = self.stack.last().copied() else {
            return self.junk(was_junk);
        };
        if top.object == want_object && !top.virt {
            self.pos += 1;
            return self.close_frame(p);
        }
        let open = if want_object {
            self.objects
        } else {
            self.arrays
        };
        if open == 0 {
            return self.junk_to(p, p + 1, was_junk);
        }
        self.report(RepairKind::MismatchedBracket, p..p + 1)?;
        self.pos += 1;
        while let Some(f) = self.stack.last().copied() {
            self.steps += 1;
            self.close_frame(p)?;
            if f.object == want_object && !f.virt {
                break;
            }
        }
        Ok(())
    }

    /// A comma where a member or element belongs.
    fn stray_comma(&mut self) -> Result<(), RepairError> {
        let p = self.pos;
        self.pos += 1;
        let has_members = self.stack.last().is_some_and(|f| f.has_members);
        match self.pending {
            Pending::Comma { .. } => self.report(RepairKind::ExtraComma, p..p + 1),
            Pending::None if !has_members => self.report(RepairKind::ExtraComma, p..p + 1),
            Pending::Missing { .. } | Pending::None => {
                self.pending = Pending::Comma {
                    pos: p,
                    out_at: self.out.len(),
                };
                self.out.push(b',');
                Ok(())
            }
        }
    }

    // ----- states -----

    fn on_value(&mut self, b: u8, ctx: Ctx, was_junk: bool) -> Result<(), RepairError> {
        let p = self.pos;
        let nested = ctx != Ctx::Top;
        match b {
            b'{' | b'[' => {
                self.begin_element(ctx, p)?;
                if ctx == Ctx::Top {
                    self.top = Top::Container;
                }
                self.open(b)
            }
            b'"' => self.string_value(Quote::Double, ctx),
            b'\'' => self.string_value(Quote::Single, ctx),
            b',' if ctx == Ctx::Obj => {
                self.out.extend_from_slice(b"null");
                self.report(RepairKind::MissingValue, p..p)?;
                self.value_done();
                Ok(())
            }
            b',' if ctx == Ctx::Arr => self.stray_comma(),
            b'}' | b']' if nested => self.closer(b, was_junk),
            0xE2 => {
                if let Some(q) = self.smart_quote_at(p) {
                    self.string_value(q, ctx)
                } else if nested && self.elision_at(p).is_some() {
                    self.elision()
                } else if nested {
                    self.junk(was_junk)
                } else {
                    Err(RepairError::not_json(self.input, p))
                }
            }
            b'<' | b'.' if nested && self.elision_at(p).is_some() => self.elision(),
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number_value(ctx),
            _ if is_ident(b) => self.word_value(ctx),
            _ if nested => self.junk(was_junk),
            _ => Err(RepairError::not_json(self.input, p)),
        }
    }

    fn on_key(&mut self, b: u8, was_junk: bool) -> Result<(), RepairError> {
        let p = self.pos;
        match b {
            b'"' => self.key_string(Quote::Double),
            b'\'' => self.key_string(Quote::Single),
            b',' => self.stray_comma(),
            b'}' | b']' => self.closer(b, was_junk),
            0xE2 => {
                if let Some(q) = self.smart_quote_at(p) {
                    self.key_string(q)
                } else if self.elision_at(p).is_some() {
                    self.elision()
                } else {
                    self.junk(was_junk)
                }
            }
            b'<' | b'.' if self.elision_at(p).is_some() => self.elision(),
            _ if is_ident(b) => self.unquoted_key(was_junk),
            _ => self.junk(was_junk),
        }
    }

    fn on_colon(&mut self, b: u8, was_junk: bool) -> Result<(), RepairError> {
        let p = self.pos;
        match b {
            b':' => {
                self.out.push(b':');
                self.pos += 1;
                self.state = State::ObjValue;
                Ok(())
            }
            b',' => {
                self.out.extend_from_slice(b":null");
                self.report(RepairKind::MissingValue, p..p)?;
                self.value_done();
                Ok(())
            }
            b'}' | b']' => self.closer(b, was_junk),
            b'"' | b'\'' | b'{' | b'[' | b'-' | b'+' | b'0'..=b'9' => self.missing_colon(),
            0xE2 if self.smart_quote_at(p).is_some() => self.missing_colon(),
            _ if is_ident(b) => self.missing_colon(),
            _ => self.junk(was_junk),
        }
    }

    fn missing_colon(&mut self) -> Result<(), RepairError> {
        let k = self.key_end;
        self.report(RepairKind::MissingColon, k..k)?;
        self.out.push(b':');
        self.state = State::ObjValue;
        Ok(())
    }

    fn on_after(&mut self, b: u8) -> Result<(), RepairError> {
        let p = self.pos;
        match b {
            b',' => {
                self.pending = Pending::Comma {
                    pos: p,
                    out_at: self.out.len(),
                };
                self.out.push(b',');
                self.pos += 1;
                self.state = self.member_state();
                Ok(())
            }
            b'}' | b']' => self.closer(b, false),
            b'<' | b'.' | 0xE2 if self.elision_at(p).is_some() => {
                // Here the marker keeps a comma after it: that comma separates the members.
                let (marker_end, _) = self.elision_at(p).unwrap_or((p + 1, p + 1));
                self.report(RepairKind::ElisionLine, p..marker_end)?;
                self.pos = marker_end;
                Ok(())
            }
            _ => {
                self.pending = Pending::Missing {
                    pos: self.value_end,
                    out_at: self.value_out_end,
                };
                self.state = self.member_state();
                Ok(())
            }
        }
    }

    fn on_done(&mut self, b: u8) -> Result<(), RepairError> {
        let p = self.pos;
        if b == b':' && self.top == Top::String {
            return self.fragment();
        }
        if self.top == Top::Container {
            self.report(RepairKind::TrailingGarbage, p..self.input.len())?;
            self.steps += (self.input.len() - p) as u64 / 16;
            self.pos = self.input.len();
            self.done = true;
            return Ok(());
        }
        Err(RepairError::not_json(self.input, self.top_start))
    }

    /// The top-level string is followed by `:`: the body is an object's members without
    /// braces. Wrap them.
    fn fragment(&mut self) -> Result<(), RepairError> {
        let input = self.input;
        let mut end = input.len();
        while end > self.top_start && is_ws(input[end - 1]) {
            end -= 1;
        }
        self.steps += (input.len() - end + self.out.len()) as u64;
        self.report(RepairKind::MembersFragment, self.top_start..end)?;
        if self.policy.max_depth <= 1 {
            return Err(RepairError::TooDeep {
                offset: self.top_start,
                max: 0,
            });
        }
        self.out.insert(0, b'{');
        self.stack.push(Frame {
            object: true,
            virt: true,
            has_members: true,
            cp: Checkpoint {
                out: 1,
                reps: self.repairs.len(),
                start: self.top_start,
                tok: self.top_start,
                pending: Pending::None,
                had_members: false,
            },
        });
        self.top = Top::Container;
        self.out.push(b':');
        self.pos += 1;
        self.state = State::ObjValue;
        Ok(())
    }

    // ----- elisions -----

    /// If an elision marker standing on its own starts at `p`: the end of the marker, and the
    /// end including one comma right after it.
    fn elision_at(&mut self, p: usize) -> Option<(usize, usize)> {
        let input = self.input;
        let n = input.len();
        let marker_end = match input[p] {
            b'<' => {
                let lim = (p + 66).min(n);
                let mut j = p + 1;
                while j < lim
                    && !matches!(
                        input[j],
                        b'>' | b'<' | b'\n' | b'\r' | b'"' | b'{' | b'}' | b'[' | b']' | b','
                    )
                {
                    j += 1;
                }
                self.steps += (j - p) as u64;
                if j < lim && input[j] == b'>' {
                    j + 1
                } else {
                    return None;
                }
            }
            b'.' => {
                let mut j = p;
                while j < n && input[j] == b'.' {
                    j += 1;
                }
                self.steps += (j - p) as u64;
                if j - p < 3 {
                    return None;
                }
                j
            }
            _ => {
                let mut j = p;
                while input[j..].starts_with("…".as_bytes()) {
                    j += 3;
                }
                self.steps += (j - p) as u64;
                if j == p {
                    return None;
                }
                j
            }
        };
        let mut k = marker_end;
        while k < n && matches!(input[k], b' ' | b'\t') {
            k += 1;
        }
        self.steps += (k - marker_end) as u64;
        match input.get(k) {
            None | Some(b'\n' | b'\r' | b'}' | b']') => Some((marker_end, marker_end)),
            Some(b',') => Some((marker_end, k + 1)),
            Some(_) => None,
        }
    }

    /// Drops the elision marker at the current position (in a key or value position).
    fn elision(&mut self) -> Result<(), RepairError> {
        let p = self.pos;
        let (marker_end, end) = self.elision_at(p).unwrap_or((p + 1, p + 1));
        if self.state == State::ObjValue {
            // `"key": <snip>`: the whole member goes.
            let cp = self.frame().cp;
            self.out.truncate(cp.out);
            self.repairs.truncate(cp.reps);
            self.frame().has_members = cp.had_members;
            self.pending = cp.pending;
            if let Pending::Comma { .. } = cp.pending {
                self.out.push(b',');
            }
            self.report(RepairKind::ElisionLine, cp.tok..marker_end)?;
            self.state = State::Key;
        } else {
            self.report(RepairKind::ElisionLine, p..marker_end)?;
        }
        self.pos = end;
        Ok(())
    }

    // ----- keys -----

    fn key_string(&mut self, q: Quote) -> Result<(), RepairError> {
        let p = self.pos;
        self.begin_member(p)?;
        if !self.scan_string(q)? {
            return self.drop_partial();
        }
        self.report_quotes(q, p)?;
        self.key_end = self.pos;
        self.state = State::Colon;
        Ok(())
    }

    fn unquoted_key(&mut self, was_junk: bool) -> Result<(), RepairError> {
        let input = self.input;
        let p = self.pos;
        let mut e = p;
        while e < input.len() && is_key_byte(input[e]) {
            e += 1;
        }
        let mut j = e;
        while j < input.len() && matches!(input[j], b' ' | b'\t') {
            j += 1;
        }
        self.steps += (j - p) as u64;
        if input.get(j) != Some(&b':') {
            return self.junk_to(p, e, was_junk);
        }
        self.begin_member(p)?;
        self.out.push(b'"');
        self.out.extend_from_slice(&input[p..e]);
        self.out.push(b'"');
        self.report(RepairKind::UnquotedKey, p..e)?;
        self.pos = e;
        self.key_end = e;
        self.state = State::Colon;
        Ok(())
    }

    // ----- values -----

    fn string_value(&mut self, q: Quote, ctx: Ctx) -> Result<(), RepairError> {
        let p = self.pos;
        self.begin_element(ctx, p)?;
        if ctx == Ctx::Top {
            self.top = Top::String;
        }
        if !self.scan_string(q)? {
            return match ctx {
                Ctx::Top => Err(RepairError::Unrecoverable {
                    offset: p,
                    reason: "the body ends inside its only string",
                }),
                _ => self.drop_partial(),
            };
        }
        self.report_quotes(q, p)?;
        self.value_done();
        Ok(())
    }

    fn report_quotes(&mut self, q: Quote, p: usize) -> Result<(), RepairError> {
        match q {
            Quote::Double => Ok(()),
            Quote::Single => self.report(RepairKind::SingleQuotedString, p..self.pos),
            Quote::SmartDouble | Quote::SmartSingle => {
                self.report(RepairKind::SmartQuotes, p..self.pos)
            }
        }
    }

    fn number_value(&mut self, ctx: Ctx) -> Result<(), RepairError> {
        let input = self.input;
        let p = self.pos;
        let mut e = p;
        while e < input.len() && is_number_byte(input[e]) {
            e += 1;
        }
        self.steps += (e - p) as u64;
        if e == input.len() && self.cut_at_eof(ctx) {
            self.begin_element(ctx, p)?;
            return self.drop_partial();
        }
        let tok = &input[p..e];
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let class = classify_number(tok, &mut scratch);
        if class == Number::Invalid {
            self.scratch = scratch;
            return if ctx == Ctx::Top {
                Err(RepairError::not_json(input, p))
            } else {
                self.bare_value(ctx)
            };
        }
        self.begin_element(ctx, p)?;
        if ctx == Ctx::Top {
            self.top = Top::Scalar;
        }
        match class {
            Number::Json => self.out.extend_from_slice(tok),
            Number::Rewritten => {
                self.out.extend_from_slice(&scratch);
                self.report(RepairKind::InvalidNumber, p..e)?;
            }
            Number::NonFinite => {
                self.out.extend_from_slice(b"null");
                self.report(RepairKind::NonFiniteNumber, p..e)?;
            }
            Number::OutOfRange | Number::Invalid => {
                self.out.push(b'"');
                self.out.extend_from_slice(tok);
                self.out.push(b'"');
                self.report(RepairKind::NumberOutOfRange, p..e)?;
            }
        }
        self.scratch = scratch;
        self.pos = e;
        self.value_done();
        Ok(())
    }

    fn word_value(&mut self, ctx: Ctx) -> Result<(), RepairError> {
        let input = self.input;
        let p = self.pos;
        let mut e = p;
        while e < input.len() && is_ident(input[e]) {
            e += 1;
        }
        self.steps += (e - p) as u64;
        let literal: Option<(&[u8], Option<RepairKind>)> = match &input[p..e] {
            w @ (b"true" | b"false" | b"null") => Some((w, None)),
            b"True" => Some((b"true", Some(RepairKind::PythonLiteral))),
            b"False" => Some((b"false", Some(RepairKind::PythonLiteral))),
            b"None" => Some((b"null", Some(RepairKind::PythonLiteral))),
            b"NaN" | b"Infinity" => Some((b"null", Some(RepairKind::NonFiniteNumber))),
            b"undefined" => Some((b"null", Some(RepairKind::UndefinedLiteral))),
            _ => None,
        };
        if let Some((text, kind)) = literal {
            self.begin_element(ctx, p)?;
            if ctx == Ctx::Top {
                self.top = Top::Scalar;
            }
            self.out.extend_from_slice(text);
            if let Some(k) = kind {
                self.report(k, p..e)?;
            }
            self.pos = e;
            self.value_done();
            return Ok(());
        }
        if ctx == Ctx::Top {
            return Err(RepairError::not_json(input, p));
        }
        self.bare_value(ctx)
    }

    /// Unquoted text in a value position, up to the end of the value: a string.
    fn bare_value(&mut self, ctx: Ctx) -> Result<(), RepairError> {
        let input = self.input;
        let p = self.pos;
        let mut e = p;
        while e < input.len() && !ends_bare_value(input[e]) {
            e += 1;
        }
        self.steps += (e - p) as u64;
        if e == input.len() && self.cut_at_eof(ctx) {
            self.begin_element(ctx, p)?;
            return self.drop_partial();
        }
        let mut t = e;
        while t > p + 1 && matches!(input[t - 1], b' ' | b'\t') {
            t -= 1;
        }
        self.begin_element(ctx, p)?;
        self.report(RepairKind::UnquotedString, p..t)?;
        self.emit_text(p, t)?;
        self.pos = t;
        self.value_done();
        Ok(())
    }

    // ----- strings -----

    /// The kind of typographic quote at `p`, if any.
    fn smart_quote_at(&self, p: usize) -> Option<Quote> {
        match self.input.get(p..p + 3)? {
            [0xE2, 0x80, 0x9C | 0x9D] => Some(Quote::SmartDouble),
            [0xE2, 0x80, 0x98 | 0x99] => Some(Quote::SmartSingle),
            _ => None,
        }
    }

    /// Whether a quote that may close a string, ending at `j`, is followed (after blanks) by
    /// something that can follow a string.
    fn closing_ok(&mut self, j: usize) -> bool {
        let input = self.input;
        let mut k = j;
        while k < input.len() && matches!(input[k], b' ' | b'\t') {
            k += 1;
        }
        self.steps += (k - j) as u64;
        match input.get(k) {
            None => true,
            Some(&b) => matches!(
                b,
                b',' | b'}' | b']' | b':' | b'\n' | b'\r' | b'\'' | b'"' | b'/' | b'#' | 0xE2
            ),
        }
    }

    /// Reads the string whose opening quote is at the current position and writes it as a
    /// JSON string. Returns whether it was closed (`false`: the input ended inside it).
    fn scan_string(&mut self, q: Quote) -> Result<bool, RepairError> {
        let input = self.input;
        let n = input.len();
        let stop = self.stop;
        let mut i = self.pos
            + if matches!(q, Quote::Double | Quote::Single) {
                1
            } else {
                3
            };
        self.out.push(b'"');
        loop {
            let s = i;
            i = input[s..]
                .iter()
                .position(|&b| stop[b as usize])
                .map_or(n, |k| s + k);
            self.steps += (i - s) as u64 + 1;
            self.out.extend_from_slice(&input[s..i]);
            if i >= n {
                self.pos = n;
                return Ok(false);
            }
            match input[i] {
                b'"' => {
                    let close = match q {
                        Quote::Double => true,
                        Quote::SmartDouble => self.closing_ok(i + 1),
                        Quote::Single | Quote::SmartSingle => false,
                    };
                    i += 1;
                    if close {
                        break;
                    }
                    self.out.extend_from_slice(b"\\\"");
                }
                b'\'' => {
                    i += 1;
                    if matches!(q, Quote::Single | Quote::SmartSingle) && self.closing_ok(i) {
                        break;
                    }
                    self.out.push(b'\'');
                }
                b'\\' => i = self.escape(i, q)?,
                c @ 0..=0x1F => {
                    push_control(&mut self.out, c);
                    self.report_joined(RepairKind::ControlCharacterInString, i..i + 1, false)?;
                    i += 1;
                }
                b => {
                    if b == 0xE2 && input.get(i + 1) == Some(&0x80) {
                        let close = match (q, input.get(i + 2)) {
                            (Quote::SmartDouble, Some(0x9D)) => true,
                            (Quote::SmartDouble, Some(0x9C)) | (Quote::SmartSingle, Some(0x99)) => {
                                self.closing_ok(i + 3)
                            }
                            _ => false,
                        };
                        if close {
                            i += 3;
                            break;
                        }
                    }
                    i = self.utf8_char(i, n)?;
                }
            }
        }
        self.out.push(b'"');
        self.pos = i;
        Ok(true)
    }

    /// Copies the UTF-8 character at `i` (input up to `end`), or writes U+FFFD for invalid
    /// bytes. Returns the offset after it.
    fn utf8_char(&mut self, i: usize, end: usize) -> Result<usize, RepairError> {
        match utf8_char(&self.input[i..end]) {
            Ok(l) => {
                self.out.extend_from_slice(&self.input[i..i + l]);
                Ok(i + l)
            }
            Err(l) => {
                self.out.extend_from_slice(REPLACEMENT);
                self.report_joined(RepairKind::InvalidUtf8, i..i + l, false)?;
                Ok(i + l)
            }
        }
    }

    fn hex4(&self, j: usize) -> Option<u32> {
        let h = self.input.get(j..j + 4)?;
        h.iter()
            .try_fold(0u32, |acc, &b| Some((acc << 4) | (b as char).to_digit(16)?))
    }

    /// Handles the escape whose backslash is at `i`; returns the offset after it.
    fn escape(&mut self, i: usize, q: Quote) -> Result<usize, RepairError> {
        let input = self.input;
        let Some(&c) = input.get(i + 1) else {
            return Ok(input.len());
        };
        self.steps += 1;
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                self.out.extend_from_slice(&input[i..i + 2]);
                Ok(i + 2)
            }
            b'\'' => {
                self.out.push(b'\'');
                if matches!(q, Quote::Double | Quote::SmartDouble) {
                    self.report(RepairKind::InvalidEscape, i..i + 2)?;
                }
                Ok(i + 2)
            }
            b'u' => match self.hex4(i + 2) {
                Some(0xD800..=0xDBFF) => {
                    let low = if input.get(i + 6..i + 8) == Some(b"\\u") {
                        self.hex4(i + 8)
                    } else {
                        None
                    };
                    if matches!(low, Some(0xDC00..=0xDFFF)) {
                        self.out.extend_from_slice(&input[i..i + 12]);
                        Ok(i + 12)
                    } else {
                        self.out.extend_from_slice(b"\\ufffd");
                        self.report(RepairKind::InvalidEscape, i..i + 6)?;
                        Ok(i + 6)
                    }
                }
                Some(0xDC00..=0xDFFF) => {
                    self.out.extend_from_slice(b"\\ufffd");
                    self.report(RepairKind::InvalidEscape, i..i + 6)?;
                    Ok(i + 6)
                }
                Some(_) => {
                    self.out.extend_from_slice(&input[i..i + 6]);
                    Ok(i + 6)
                }
                None => self.bad_escape(i),
            },
            b'x' if input
                .get(i + 2..i + 4)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                self.out.extend_from_slice(b"\\u00");
                self.out.extend_from_slice(&input[i + 2..i + 4]);
                self.report(RepairKind::InvalidEscape, i..i + 4)?;
                Ok(i + 4)
            }
            _ => self.bad_escape(i),
        }
    }

    /// An escape JSON does not have: keep the backslash as text.
    fn bad_escape(&mut self, i: usize) -> Result<usize, RepairError> {
        self.out.extend_from_slice(b"\\\\");
        self.report(RepairKind::InvalidEscape, i..i + 2)?;
        Ok(i + 1)
    }

    /// Writes `input[s..e]` (unquoted text) as a JSON string.
    fn emit_text(&mut self, s: usize, e: usize) -> Result<(), RepairError> {
        let input = self.input;
        let stop = self.stop;
        self.out.push(b'"');
        let mut i = s;
        while i < e {
            let r = i;
            while i < e && !stop[input[i] as usize] {
                i += 1;
            }
            self.out.extend_from_slice(&input[r..i]);
            if i >= e {
                break;
            }
            match input[i] {
                b'"' => {
                    self.out.extend_from_slice(b"\\\"");
                    i += 1;
                }
                b'\\' => {
                    self.out.extend_from_slice(b"\\\\");
                    i += 1;
                }
                b'\'' => {
                    self.out.push(b'\'');
                    i += 1;
                }
                c @ 0..=0x1F => {
                    push_control(&mut self.out, c);
                    i += 1;
                }
                _ => i = self.utf8_char(i, e)?,
            }
        }
        self.steps += (e - s) as u64;
        self.out.push(b'"');
        Ok(())
    }
}

/// Writes the JSON escape of control character `c`.
fn push_control(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0C => out.extend_from_slice(b"\\f"),
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 0xF) as usize]);
        }
    }
}
