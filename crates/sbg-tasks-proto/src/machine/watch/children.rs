//! Batch children (see the [parent module's docs](super)): what the watcher keeps of each
//! batch parent, the listings of its children and their answers, and when they are listed
//! again or the parent is forgotten.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{moves_on, order_by, page_limit, rank, wall, InFlight, WatchEvent, Watcher};
use crate::endpoint::Answer;
use crate::endpoints::{ListTasks, SortOrder};
use crate::fields::Fields;
use crate::model::{BatchCounts, TaskPage, TaskStatus};
use crate::TaskId;

/// Which children a listing asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChildKind {
    /// All of them (the first listing of a parent).
    All,
    /// Those started since the last listing (`started_from`).
    Started,
    /// Those ended since the last listing (`ended_from`).
    Ended,
}

#[derive(Debug, Clone)]
pub(super) struct ChildListing {
    parent: TaskId,
    kind: ChildKind,
    /// The lower bound of this listing: the start of the previous one of its kind (minus the
    /// margin), so that nothing is missed; repeats are dropped by id.
    since: Option<time::OffsetDateTime>,
    pub(super) offset: u64,
    /// When its first page was asked for (set when that page is sent).
    pub(super) started: Option<Duration>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ParentState {
    /// Ended children already reported.
    reported: HashSet<TaskId>,
    /// Children that have not ended, in their status as last listed.
    seen: HashMap<TaskId, Option<TaskStatus>>,
    /// Where the next ended (started) listing starts, wall clock: the margin before the last
    /// listing's first page was asked for. `None`: the first listing (all children) is due.
    ended_from: Option<time::OffsetDateTime>,
    started_from: Option<time::OffsetDateTime>,
    /// Listings queued (not yet answered in full), by kind.
    queued: Vec<ChildKind>,
    /// Ended children by the parent's counts, as last seen, and when that last grew.
    ended_count: u64,
    changed_at: Option<Duration>,
    /// Started children (running or ended) by the parent's counts, and when that last grew.
    started_count: u64,
    started_changed_at: Option<Duration>,
    /// Another ended listing is due then: the last one showed fewer endings than the counts.
    pub(super) retry_at: Option<Duration>,
    /// Another started listing is due then: the last one showed fewer starts than the counts.
    pub(super) retry_started_at: Option<Duration>,
    /// Ended listings answered after the parent ended.
    tries_after_end: u32,
}

/// How many tasks a listing page asks for.
pub(super) const CHILD_PAGE: u32 = 100;

/// Ended listings of a parent after it ended, at most (then it is forgotten).
const MAX_TRIES_AFTER_END: u32 = 8;

fn ended_of(c: Option<BatchCounts>) -> u64 {
    c.map_or(0, |c| c.completed + c.failed + c.aborted)
}

fn started_of(c: Option<BatchCounts>) -> u64 {
    c.map_or(0, |c| c.running + c.completed + c.failed + c.aborted)
}

impl Watcher {
    /// A batch parent's counts changed: its children are listed (all of them the first time;
    /// then those started, those ended).
    pub(super) fn on_counts(
        &mut self,
        id: &TaskId,
        old: Option<BatchCounts>,
        new: Option<BatchCounts>,
        now: Duration,
    ) {
        let p = self.parents.entry(id.clone()).or_default();
        let ended = ended_of(new);
        if ended > p.ended_count {
            p.ended_count = ended;
            p.changed_at = Some(now);
        }
        let started = started_of(new);
        if started > p.started_count {
            p.started_count = started;
            p.started_changed_at = Some(now);
        }
        let listed = p.ended_from.is_some();
        if !listed {
            if new.is_some_and(|c| c.total() > 0) {
                self.want_children(id, ChildKind::All);
            }
            return;
        }
        if ended > ended_of(old) {
            self.want_children(id, ChildKind::Ended);
        }
        if started_of(new) > started_of(old) {
            self.want_children(id, ChildKind::Started);
        }
    }

    /// Queues a listing of `parent`'s children of this kind, unless one is queued already.
    pub(super) fn want_children(&mut self, parent: &TaskId, kind: ChildKind) {
        let p = self.parents.entry(parent.clone()).or_default();
        let kind = if p.ended_from.is_none() {
            ChildKind::All
        } else {
            kind
        };
        if p.queued.contains(&kind) || p.queued.contains(&ChildKind::All) {
            return;
        }
        p.queued.push(kind);
        let since = match kind {
            ChildKind::All => None,
            ChildKind::Started => p.started_from,
            ChildKind::Ended => p.ended_from,
        };
        self.children_queue.push_back(ChildListing {
            parent: parent.clone(),
            kind,
            since,
            offset: 0,
            started: None,
        });
    }

    /// After a parent ended, or one of its children's listings was answered in full
    /// (`listing`: when its first page was asked for): when the listings lag behind the
    /// parent's counts (fewer ended or started children listed than counted), another listing
    /// a little later, until one was sent a margin after the counts last grew. An ended
    /// parent whose ended children are all reported (or that was listed long enough after
    /// its last count changed, or [`MAX_TRIES_AFTER_END`] times) is forgotten.
    pub(super) fn settle_parent(&mut self, id: &TaskId, now: Duration, listing: Option<Duration>) {
        let followed = self.tasks.contains_key(id);
        let margin = self.policy.feed_margin;
        let pause = (margin / 4).max(self.policy.feed_interval);
        let Some(p) = self.parents.get_mut(id) else {
            return;
        };
        // A listing sent a margin after the last change saw every change a lagging listing
        // could hide.
        let late = |changed: Option<Duration>| match (listing, changed) {
            (Some(sent), Some(changed)) => sent >= changed + margin,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let ended_ok = p.reported.len() as u64 >= p.ended_count || late(p.changed_at);
        if !followed {
            if listing.is_some() {
                p.tries_after_end += 1;
            }
            if ended_ok || p.tries_after_end >= MAX_TRIES_AFTER_END {
                // Settled again when a listing still queued is answered.
                if p.queued.is_empty() {
                    self.parents.remove(id);
                }
                return;
            }
            if p.queued.is_empty() && p.retry_at.is_none() {
                if listing.is_none() {
                    // Ended with endings not reported yet: list them now.
                    self.want_children(id, ChildKind::Ended);
                } else {
                    p.retry_at = Some(now + pause);
                }
            }
            return;
        }
        if listing.is_none() {
            return;
        }
        if !ended_ok && !p.queued.contains(&ChildKind::Ended) && p.retry_at.is_none() {
            p.retry_at = Some(now + pause);
        }
        let running = rank(Some(&TaskStatus::Running));
        let started = p.reported.len()
            + p.seen
                .values()
                .filter(|s| rank(s.as_ref()) >= running)
                .count();
        let started_ok = started as u64 >= p.started_count || late(p.started_changed_at);
        if !started_ok && !p.queued.contains(&ChildKind::Started) && p.retry_started_at.is_none() {
            p.retry_started_at = Some(now + pause);
        }
    }

    /// The answer to the [`WatchWant::Children`](super::WatchWant::Children) request.
    pub(crate) fn on_children(&mut self, now: Duration, page: Answer<TaskPage>) {
        let Some(InFlight::Children(listing)) = self.in_flight.take() else {
            return;
        };
        let total = page.meta.total_matching;
        let items = page.value.items.unwrap_or_default();
        let n = items.len() as u64;
        let state = self.parents.entry(listing.parent.clone()).or_default();
        for child in items {
            let Some(cid) = child.id.as_deref().and_then(|s| s.parse::<TaskId>().ok()) else {
                continue;
            };
            if state.reported.contains(&cid) {
                continue;
            }
            if child.status.as_ref().is_some_and(TaskStatus::is_terminal) {
                state.seen.remove(&cid);
                state.reported.insert(cid);
                self.events.push_back(WatchEvent::ChildEnded {
                    parent: listing.parent.clone(),
                    child: Box::new(child),
                });
                continue;
            }
            let before = state.seen.get(&cid).cloned().flatten();
            let known = state.seen.contains_key(&cid);
            if !known || moves_on(before.as_ref(), child.status.as_ref()) {
                state.seen.insert(cid, child.status.clone());
                self.events.push_back(WatchEvent::ChildStatus {
                    parent: listing.parent.clone(),
                    from: before,
                    child: Box::new(child),
                });
            }
        }
        let next_offset = listing.offset + n;
        let more = match total {
            Some(total) => next_offset < total,
            None => n == u64::from(CHILD_PAGE),
        };
        if more && n > 0 {
            self.children_queue.push_front(ChildListing {
                offset: next_offset,
                ..listing
            });
            return;
        }
        state.queued.retain(|k| *k != listing.kind);
        // The next listing reaches a margin before this one's first page was asked for: a
        // child that ended while the pages were read (a 429 can pause them for long) is not
        // missed, the platform's listings may lag, its clock and ours may differ, and
        // repeats are dropped by id.
        let sent = listing.started.unwrap_or(now);
        let from = wall(sent, self.policy.feed_margin);
        match listing.kind {
            ChildKind::All => {
                state.ended_from = from;
                state.started_from = from;
            }
            ChildKind::Started => state.started_from = from,
            ChildKind::Ended => state.ended_from = from,
        }
        self.settle_parent(&listing.parent, now, Some(sent));
    }
}

/// The fields a children listing asks for.
const CHILD_FIELDS: &str = "id,name,status,start_time,end_time,parent";

pub(super) fn child_listing(l: &ChildListing) -> ListTasks {
    let fields: Fields = CHILD_FIELDS.parse().unwrap_or(Fields::All);
    let mut call = ListTasks::children_of(l.parent.clone())
        .fields(fields)
        .limit(page_limit())
        .offset(l.offset);
    let by = match l.kind {
        ChildKind::All => None,
        ChildKind::Started => {
            if let Some(since) = l.since {
                call = call.started_from(since);
            }
            order_by("start_time")
        }
        ChildKind::Ended => {
            if let Some(since) = l.since {
                call = call.ended_from(since);
            }
            order_by("end_time")
        }
    };
    if let Some(by) = by {
        call = call.order_by(by).order(SortOrder::Asc);
    }
    call
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::{BulkGetTasks, BulkTasks};
    use crate::machine::watch::tests::{at, drain, T0};
    use crate::machine::watch::{WatchWant, WatcherPolicy};
    use crate::{Decoding, Endpoint};

    /// A bulk answer of parent `p` (RUNNING unless `status`) with these children counts.
    fn parent_answer(
        call: &BulkGetTasks,
        status: &str,
        [queued, running, completed]: [u32; 3],
    ) -> Answer<BulkTasks> {
        let body = format!(
            r#"{{"items":[{{"resource":{{"id":"p","status":"{status}","batch":true,
            "execution_status":{{"queued":{queued},"running":{running},"completed":{completed},"failed":0,"aborted":0}}}}}}]}}"#
        );
        let r = http::Response::builder().status(200).body(body).unwrap();
        call.parse_response(&r, &Decoding::Strict).unwrap()
    }

    /// A page of children `(id, status)`, with the total when given.
    fn children_page(list: &ListTasks, children: &[(&str, &str)]) -> Answer<TaskPage> {
        let items: Vec<String> = children
            .iter()
            .map(|(c, s)| format!(r#"{{"id":"{c}","status":"{s}","parent":"p"}}"#))
            .collect();
        let body = format!(r#"{{"items":[{}]}}"#, items.join(","));
        let r = http::Response::builder()
            .status(200)
            .header("X-Total-Matching-Query", children.len().to_string())
            .body(body)
            .unwrap();
        list.parse_response(&r, &Decoding::Strict).unwrap()
    }

    /// The children events, as `ChildStatus c2 QUEUED->RUNNING` / `ChildEnded c1 COMPLETED`.
    fn child_events(w: &mut Watcher) -> Vec<String> {
        drain(w)
            .into_iter()
            .filter_map(|e| match e {
                WatchEvent::ChildStatus { from, child, .. } => Some(format!(
                    "ChildStatus {} {}->{}",
                    child.id.unwrap_or_default(),
                    from.as_ref().map_or("-", TaskStatus::as_str),
                    child.status.as_ref().map_or("-", TaskStatus::as_str)
                )),
                WatchEvent::ChildEnded { child, .. } => Some(format!(
                    "ChildEnded {} {}",
                    child.id.unwrap_or_default(),
                    child.status.as_ref().map_or("-", TaskStatus::as_str)
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn children_are_listed_at_first_sight_then_when_their_counts_move() {
        let mut w = Watcher::new(WatcherPolicy::default().with_min_interval(Duration::ZERO));
        let parent: TaskId = "p".parse().unwrap();
        w.add([parent.clone()]);
        let sweep = |w: &mut Watcher, t: u64, counts: [u32; 3]| {
            let WatchWant::Bulk(call) = w.next_request(at(t)) else {
                panic!("a sweep, not a listing")
            };
            w.on_bulk(at(t), parent_answer(&call, "RUNNING", counts));
        };
        // First sight: every child is listed once, with no lower bound.
        sweep(&mut w, 0, [1, 1, 0]);
        let WatchWant::Children(list) = w.next_request(at(0)) else {
            panic!("the first listing of the children")
        };
        assert_eq!(list.parent.as_ref(), Some(&parent));
        assert!(list.ended_from.is_none() && list.started_from.is_none());
        w.on_children(
            at(1),
            children_page(&list, &[("c1", "RUNNING"), ("c2", "QUEUED")]),
        );
        assert_eq!(
            child_events(&mut w),
            ["ChildStatus c1 -->RUNNING", "ChildStatus c2 -->QUEUED"]
        );
        // Same counts: no listing (`sweep` panics otherwise).
        sweep(&mut w, 2, [1, 1, 0]);
        // c2 started: the children started since a margin before the last listing.
        sweep(&mut w, 3, [0, 2, 0]);
        let WatchWant::Children(list) = w.next_request(at(3)) else {
            panic!("a started listing")
        };
        let from = list.started_from.expect("a lower bound").datetime();
        assert_eq!(from.unix_timestamp(), (T0 - 60) as i64);
        assert!(list.ended_from.is_none());
        // The listing shows c1 again (the overlap): only c2's change is news.
        w.on_children(
            at(3),
            children_page(&list, &[("c1", "RUNNING"), ("c2", "RUNNING")]),
        );
        assert_eq!(child_events(&mut w), ["ChildStatus c2 QUEUED->RUNNING"]);
        // c1 ended: an ended listing, from a margin before the first listing.
        sweep(&mut w, 4, [0, 1, 1]);
        let WatchWant::Children(list) = w.next_request(at(4)) else {
            panic!("an ended listing")
        };
        assert_eq!(
            list.ended_from
                .expect("a lower bound")
                .datetime()
                .unix_timestamp(),
            (T0 - 60) as i64
        );
        // Answered long after it was asked for (a 429 held it): the next listing still
        // reaches back from when this one was ASKED for.
        w.on_children(at(500), children_page(&list, &[("c1", "COMPLETED")]));
        assert_eq!(child_events(&mut w), ["ChildEnded c1 COMPLETED"]);
        sweep(&mut w, 501, [0, 0, 2]);
        let WatchWant::Children(list) = w.next_request(at(501)) else {
            panic!()
        };
        assert_eq!(
            list.ended_from.unwrap().datetime().unix_timestamp(),
            (T0 + 4 - 60) as i64
        );
        // c1 again is not reported twice; a lagging listing showing c2 still RUNNING is no
        // news either.
        w.on_children(
            at(501),
            children_page(&list, &[("c1", "COMPLETED"), ("c2", "RUNNING")]),
        );
        assert!(child_events(&mut w).is_empty());
        // The counts say 2 ended, the listing showed 1: asked again a little later.
        let WatchWant::Bulk(_) = w.next_request(at(502)) else {
            panic!("the parent is swept")
        };
        w.on_failed();
        let mut t = 502;
        let list = loop {
            match w.next_request(at(t)) {
                WatchWant::Children(list) => break list,
                WatchWant::Bulk(call) => {
                    w.on_bulk(at(t), parent_answer(&call, "RUNNING", [0, 0, 2]));
                    t += 1;
                }
                WatchWant::Wait(d) => t += d.as_secs().max(1),
                other => panic!("{other:?}"),
            }
            assert!(t < 700, "no listing asked again");
        };
        assert!(
            t >= 501 + 15,
            "retried a quarter of the margin later, not at once: {t}"
        );
        w.on_children(at(t), children_page(&list, &[("c2", "FAILED")]));
        assert_eq!(child_events(&mut w), ["ChildEnded c2 FAILED"]);
    }

    #[test]
    fn an_ended_parent_is_kept_until_its_lagging_children_are_listed() {
        let policy = WatcherPolicy::default();
        let margin = policy.feed_margin.as_secs();
        let mut w = Watcher::new(policy);
        let parent: TaskId = "p".parse().unwrap();
        w.add([parent.clone()]);
        let WatchWant::Bulk(call) = w.next_request(at(0)) else {
            panic!()
        };
        w.on_bulk(at(0), parent_answer(&call, "RUNNING", [0, 2, 0]));
        let WatchWant::Children(list) = w.next_request(at(0)) else {
            panic!()
        };
        w.on_children(
            at(0),
            children_page(&list, &[("c1", "RUNNING"), ("c2", "RUNNING")]),
        );
        drain(&mut w);
        // The parent ends with both children ended; the listings lag and show c1 only.
        let WatchWant::Bulk(call) = w.next_request(at(10)) else {
            panic!()
        };
        w.on_bulk(at(10), parent_answer(&call, "COMPLETED", [0, 0, 2]));
        assert!(w.is_empty(), "the parent ended");
        let mut t = 10;
        let mut listings = 0;
        let mut events = Vec::new();
        loop {
            match w.next_request(at(t)) {
                WatchWant::Children(list) => {
                    listings += 1;
                    // Listings show c2's ending only from 40 s on (a lag of 30 s).
                    let page: &[(&str, &str)] = if t >= 40 {
                        &[("c1", "COMPLETED"), ("c2", "COMPLETED")]
                    } else {
                        &[("c1", "COMPLETED")]
                    };
                    w.on_children(at(t), children_page(&list, page));
                    events.extend(child_events(&mut w));
                }
                WatchWant::Wait(d) => t += d.as_secs().max(1),
                WatchWant::Done => break,
                other => panic!("{other:?}"),
            }
            assert!(t < 10 + 4 * margin, "kept too long: {t}");
        }
        assert_eq!(
            events,
            ["ChildEnded c1 COMPLETED", "ChildEnded c2 COMPLETED"]
        );
        assert!(listings >= 2, "{listings}");
        assert!(
            w.parents.is_empty(),
            "forgotten once every child was reported"
        );
    }

    #[test]
    fn an_ended_parent_whose_children_never_show_is_forgotten_after_a_margin() {
        let mut w = Watcher::new(WatcherPolicy::default());
        w.add(["p".parse().unwrap()]);
        let WatchWant::Bulk(call) = w.next_request(at(0)) else {
            panic!()
        };
        w.on_bulk(at(0), parent_answer(&call, "FAILED", [0, 0, 3]));
        let mut t = 0;
        let mut listings = 0;
        loop {
            match w.next_request(at(t)) {
                WatchWant::Children(list) => {
                    listings += 1;
                    w.on_children(at(t), children_page(&list, &[]));
                }
                WatchWant::Wait(d) => t += d.as_secs().max(1),
                WatchWant::Done => break,
                other => panic!("{other:?}"),
            }
            assert!(t < 1000, "kept for ever");
        }
        assert!(
            (60..=80).contains(&t),
            "given up a margin after its end: {t}"
        );
        assert!(listings <= MAX_TRIES_AFTER_END as usize, "{listings}");
        assert!(w.parents.is_empty());
    }

    #[test]
    fn an_ended_parent_is_forgotten_after_its_last_listing() {
        let mut w = Watcher::new(WatcherPolicy::default());
        let parent: TaskId = "p".parse().unwrap();
        w.add([parent.clone()]);
        let WatchWant::Bulk(call) = w.next_request(at(0)) else {
            panic!()
        };
        let body = r#"{"items":[{"resource":{"id":"p","status":"COMPLETED","batch":true,
            "execution_status":{"queued":0,"running":0,"completed":1,"failed":0,"aborted":0}}}]}"#;
        let r = http::Response::builder().status(200).body(body).unwrap();
        w.on_bulk(at(0), call.parse_response(&r, &Decoding::Strict).unwrap());
        assert!(w.is_empty(), "the parent ended");
        let WatchWant::Children(list) = w.next_request(at(0)) else {
            panic!("its last children are still listed")
        };
        let r = http::Response::builder()
            .status(200)
            .body(r#"{"items":[{"id":"c1","status":"COMPLETED"}]}"#)
            .unwrap();
        w.on_children(at(0), list.parse_response(&r, &Decoding::Strict).unwrap());
        let events = drain(&mut w);
        assert!(matches!(&events[0], WatchEvent::Ended { .. }));
        assert!(matches!(&events[1], WatchEvent::ChildEnded { .. }));
        assert!(
            w.parents.is_empty(),
            "nothing kept for a parent no longer followed"
        );
        assert_eq!(w.next_request(at(1)), WatchWant::Done);
    }
}
