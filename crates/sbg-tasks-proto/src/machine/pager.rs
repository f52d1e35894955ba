//! A sans-IO pager over `GET /v2/tasks`: says which page to fetch next, takes each page, hands
//! back the tasks not seen before.
//!
//! # Strategy
//!
//! The list is paged by `offset`/`limit`, and the platform's list can change between two page
//! fetches. The pager keeps the set of task ids it has handed out and never hands out an id
//! twice. After each page at offset `o` with `n` items it picks the next offset:
//!
//! - **Nothing removed** (the `X-Total-Matching-Query` total did not shrink since the previous
//!   page): next offset `o + n`. Tasks inserted before the position — new tasks at the front
//!   of a newest-first list — shift already-seen tasks into the next page; they are dropped as
//!   repeats, and nothing is skipped.
//! - **The total shrank by `d`**: tasks before the position may have been removed, shifting up
//!   to `d` unseen tasks to before `o`. The pager steps back and reads from `o - d` (never
//!   before the first request's offset); repeats are dropped.
//! - A `links` entry with `rel: next` supplies the next offset and limit when nothing was
//!   removed, the link is same-origin with the configured [`BaseUrl`] (or relative), points at
//!   the same `/tasks` path, and its offset lies in `o + 1 ..= o + n` (it never skips or stalls).
//!   The request is always rebuilt from the first [`ListTasks`] against the configured base
//!   URL: a link can neither send the token to another host nor change the filters. An
//!   unusable link is ignored (see [`Pager::ignored_links`]) and offset arithmetic is used.
//!
//! The walk ends on an empty page (when nothing was removed), when the next offset reaches the
//! total, or — without a total — when the page is shorter than the limit or has `links` but no
//! `next`.
//!
//! # Guarantees
//!
//! No task id is ever handed out twice. Every task present for the whole walk is handed out
//! exactly once when, between any two page fetches, tasks were only inserted (anywhere), only
//! removed (anywhere), or inserted at the front and removed anywhere — provided the platform
//! sends the total on every page. Tasks inserted or removed during the walk may or may not be
//! handed out. Without a total, removals can make the walk skip tasks (an offset API cannot
//! tell); so can insertions behind the position mixed with removals in the same interval
//! (their effects on the total cancel out). Tasks are handed out in the list's order, except
//! that a step back hands out the recovered tasks after later ones.
//!
//! Tasks without an `id` cannot be deduplicated and are always handed out; the pager adds `id`
//! to a `fields` selector that lacks it.
//!
//! # Driving it
//!
//! ```
//! use sbg_tasks_proto::machine::pager::Pager;
//! use sbg_tasks_proto::{http, AuthToken, Config, Decoding, Endpoint, ListTasks};
//! use sbg_tasks_proto::endpoints::PageLimit;
//! use sbg_tasks_proto::Platform;
//!
//! let config = Config::new(Platform::SevenBridges, AuthToken::new("token")?);
//! let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2)?));
//! let mut ids = Vec::new();
//! while let Some(call) = pager.next_request(&config) {
//!     let request = call.prepare_request(&config)?;
//!     // A transport sends `request`; here a canned server answers three tasks in all.
//!     let offset = call.offset.unwrap_or(0);
//!     let items: Vec<_> = ["a", "b", "c"].iter().skip(offset as usize).take(2)
//!         .map(|id| format!(r#"{{"id":"{id}"}}"#)).collect();
//!     let response = http::Response::builder()
//!         .header("X-Total-Matching-Query", "3")
//!         .body(format!(r#"{{"items":[{}]}}"#, items.join(",")))?;
//!     let answer = call.parse_response(&response, &Decoding::default())?;
//!     for task in pager.on_page(answer)? {
//!         ids.push(task.id.unwrap());
//!     }
//!     # let _ = request;
//! }
//! assert_eq!(ids, ["a", "b", "c"]);
//! assert!(pager.is_done());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashSet, VecDeque};

use super::call::Call;
use super::{InFlight as _, Now, Operation, Reply, Settings, Shared, Step};
use crate::error::ClientError;

use crate::endpoint::Answer;
use crate::endpoints::PageLimit;
use crate::error::PagerError;
use crate::fields::{FieldName, Fields};
use crate::model::{Link, Task, TaskPage};
use crate::{BaseUrl, Config, ListTasks};

/// Consecutive non-empty pages without a single new task after which the pager gives up.
pub const MAX_STALLED_PAGES: u32 = 64;

/// Walks every page of a task list; see the [module docs](self) for the strategy and its
/// guarantees.
///
/// A state machine: [`Pager::next_request`] gives the call to make (or `None` when done), the
/// caller sends it and feeds the decoded answer to [`Pager::on_page`], which returns the tasks
/// not handed out before.
#[derive(Debug, Clone)]
pub struct Pager {
    template: ListTasks,
    start_offset: u64,
    offset: u64,
    limit: Option<PageLimit>,
    first: bool,
    in_flight: Option<ListTasks>,
    base_url: Option<BaseUrl>,
    seen: HashSet<String>,
    last_total: Option<u64>,
    done: bool,
    pages: u64,
    yielded: u64,
    stalled: u32,
    ignored_links: u64,
    last_ignored_link: Option<IgnoredLink>,
}

/// A `rel: next` link the pager did not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredLink {
    /// The link's `href` as sent.
    pub href: String,
    /// Why it was not used.
    pub reason: IgnoredLinkReason,
}

/// Why a `rel: next` link was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IgnoredLinkReason {
    /// It points at another scheme, host or port than the configured base URL.
    CrossOrigin,
    /// It is not a URL, or not the base URL's `/tasks` path.
    NotTheListPath,
    /// It has no numeric `offset` parameter.
    NoOffset,
    /// Its offset would skip tasks or not advance (not in `o + 1 ..= o + n`).
    OffsetOutOfRange {
        /// The link's offset.
        offset: u64,
    },
}

impl Pager {
    /// A pager starting with `first` (its filters, offset, limit and fields are kept for every
    /// page; `id` is added to a `fields` selector that lacks it).
    pub fn new(first: ListTasks) -> Self {
        let first = ensure_id_field(first);
        let start_offset = first.offset.unwrap_or(0);
        Self {
            limit: first.limit,
            template: first,
            start_offset,
            offset: start_offset,
            first: true,
            in_flight: None,
            base_url: None,
            seen: HashSet::new(),
            last_total: None,
            done: false,
            pages: 0,
            yielded: 0,
            stalled: 0,
            ignored_links: 0,
            last_ignored_link: None,
        }
    }

    /// The call to make next, or `None` when the walk is over. Calling it again before
    /// [`Pager::on_page`] gives the same call (e.g. for a retry). Remembers `config`'s base URL
    /// to judge the `links` of the answer.
    pub fn next_request(&mut self, config: &Config) -> Option<ListTasks> {
        if self.done {
            return None;
        }
        self.base_url = Some(config.base_url().clone());
        if let Some(call) = &self.in_flight {
            return Some(call.clone());
        }
        let call = if self.first {
            self.template.clone()
        } else {
            let mut c = self.template.clone().offset(self.offset);
            if let Some(l) = self.limit {
                c = c.limit(l);
            }
            c
        };
        self.in_flight = Some(call.clone());
        Some(call)
    }

    /// Takes the answer to the pending call; returns its tasks not handed out before, in page
    /// order, and decides the next call.
    pub fn on_page(&mut self, answer: Answer<TaskPage>) -> Result<Vec<Task>, PagerError> {
        let call = self.in_flight.take().ok_or(PagerError::NoRequestPending)?;
        self.first = false;
        self.pages += 1;
        let o = call.offset.unwrap_or(0);
        let total = answer.meta.total_matching;
        let page = answer.value;
        if page.items_unusable() {
            self.done = true;
            return Err(PagerError::UnusableItems { offset: o });
        }
        let shrink = match (self.last_total, total) {
            (Some(before), Some(now)) if now < before => before - now,
            _ => 0,
        };
        if total.is_some() {
            self.last_total = total;
        }
        let next_link = page.next_link().cloned();
        let has_links = page.links.is_some();
        let items = page.items.unwrap_or_default();
        let n = items.len() as u64;
        let mut fresh = Vec::with_capacity(items.len());
        for task in items {
            let new = match &task.id {
                Some(id) => self.seen.insert(id.clone()),
                None => true,
            };
            if new {
                fresh.push(task);
            }
        }
        self.yielded += fresh.len() as u64;

        if n > 0 && fresh.is_empty() {
            self.stalled += 1;
            if self.stalled >= MAX_STALLED_PAGES {
                self.done = true;
                return Err(PagerError::Stalled {
                    pages: self.stalled,
                    offset: o,
                });
            }
        } else {
            self.stalled = 0;
        }

        if shrink > 0 {
            // Unseen tasks may have moved to before `o`: read again from `o - shrink`.
            self.offset = o.saturating_sub(shrink).max(self.start_offset);
        } else if n == 0 {
            self.done = true;
        } else {
            self.offset = o + n;
            match next_link {
                Some(link) => match self.link_target(&link, o, n) {
                    Ok((offset, limit)) => {
                        self.offset = offset;
                        if let Some(l) = limit {
                            self.limit = Some(l);
                        }
                    }
                    Err(reason) => {
                        self.ignored_links += 1;
                        self.last_ignored_link = Some(IgnoredLink {
                            href: link.href.clone().unwrap_or_default(),
                            reason,
                        });
                    }
                },
                None if total.is_none() => {
                    let limit = u64::from(self.limit.unwrap_or(PageLimit::DEFAULT).get());
                    if has_links || n < limit {
                        self.done = true;
                    }
                }
                None => {}
            }
        }
        if let Some(t) = self.last_total.filter(|_| total.is_some()) {
            if self.offset >= t {
                self.done = true;
            }
        }
        Ok(fresh)
    }

    /// Whether the walk is over (no further call will be given).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The offset of the next call.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The last total the platform reported (`X-Total-Matching-Query`).
    pub fn total(&self) -> Option<u64> {
        self.last_total
    }

    /// Pages taken so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Tasks handed out so far.
    pub fn yielded(&self) -> u64 {
        self.yielded
    }

    /// How many `rel: next` links were not used, and the last of them.
    pub fn ignored_links(&self) -> (u64, Option<&IgnoredLink>) {
        (self.ignored_links, self.last_ignored_link.as_ref())
    }

    /// The next offset and limit a `rel: next` link names, when it may be used.
    fn link_target(
        &self,
        link: &Link,
        o: u64,
        n: u64,
    ) -> Result<(u64, Option<PageLimit>), IgnoredLinkReason> {
        let href = link
            .href
            .as_deref()
            .ok_or(IgnoredLinkReason::NotTheListPath)?;
        let uri: http::Uri = href
            .parse()
            .map_err(|_| IgnoredLinkReason::NotTheListPath)?;
        let base = self.base_url.as_ref();
        let relative = uri.scheme().is_none() && uri.authority().is_none();
        if !relative && !base.is_some_and(|b| b.same_origin(&uri)) {
            return Err(IgnoredLinkReason::CrossOrigin);
        }
        let prefix = base.map_or("", BaseUrl::path_prefix);
        let path = uri.path().trim_end_matches('/');
        if path.strip_prefix(prefix) != Some("/tasks") {
            return Err(IgnoredLinkReason::NotTheListPath);
        }
        let mut offset = None;
        let mut limit = None;
        for pair in uri.query().unwrap_or_default().split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "offset" => offset = v.parse::<u64>().ok(),
                "limit" => limit = v.parse::<u64>().ok().and_then(|l| PageLimit::new(l).ok()),
                _ => {}
            }
        }
        let offset = offset.ok_or(IgnoredLinkReason::NoOffset)?;
        if offset <= o || offset > o + n {
            return Err(IgnoredLinkReason::OffsetOutOfRange { offset });
        }
        Ok((offset, limit))
    }
}

/// Adds `id` to a `fields` selector that names fields but not `id`.
fn ensure_id_field(list: ListTasks) -> ListTasks {
    match list.fields.as_ref() {
        Some(Fields::Only(names)) if !names.iter().any(|n| n.as_str() == "id") => {
            let mut names = names.clone();
            if let Ok(id) = FieldName::new("id") {
                names.push(id);
            }
            list.fields(Fields::Only(names))
        }
        _ => list,
    }
}

/// Lists tasks lazily (`GET /tasks`) as an [`Operation`]: every task matching the listing's
/// filters, one event each, fetching the next page (as the [`Pager`] says) only when the
/// tasks already fetched are handed out. The first error is an event too, and the last.
#[derive(Debug)]
pub struct List<'a> {
    settings: &'a Settings,
    pager: Pager,
    buffer: VecDeque<Task>,
    call: Option<Call<'a, ListTasks>>,
    over: bool,
}

impl<'a> List<'a> {
    /// A listing of `call` with `settings`.
    pub fn new(settings: &'a Settings, call: &ListTasks) -> Self {
        Self {
            settings,
            pager: Pager::new(call.clone()),
            buffer: VecDeque::new(),
            call: None,
            over: false,
        }
    }

    /// The pager (offsets, total, ignored `next` links, ...).
    pub fn pager(&self) -> &Pager {
        &self.pager
    }

    /// The number of matching tasks the platform last reported (`X-Total-Matching-Query`);
    /// `None` before the first page or when not sent.
    pub fn total(&self) -> Option<u64> {
        self.pager.total()
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.pager.pages()
    }
}

impl Operation for List<'_> {
    type Event = Result<Task, ClientError>;
    type Output = ();

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Self::Event, ()> {
        loop {
            if let Some(task) = self.buffer.pop_front() {
                return Step::Event(Ok(task));
            }
            if self.over {
                return Step::Done(());
            }
            let Some(call) = &mut self.call else {
                match self.pager.next_request(&self.settings.config) {
                    Some(page) => self.call = Some(Call::owned(self.settings, page)),
                    None => self.over = true,
                }
                continue;
            };
            let answer = match call.step(now, shared).outcome() {
                Ok(answer) => answer,
                Err(pass) => return pass,
            };
            self.call = None;
            match answer.and_then(|a| self.pager.on_page(a).map_err(ClientError::Pager)) {
                Ok(tasks) => self.buffer.extend(tasks),
                Err(e) => {
                    self.over = true;
                    return Step::Event(Err(e));
                }
            }
        }
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        self.call.answer(answer, now, shared);
    }

    fn abandon(&mut self, shared: &mut Shared) {
        self.call.give_back(shared);
    }
}
