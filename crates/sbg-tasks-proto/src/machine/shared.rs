//! [`Shared`]: what the concurrent operations of one client share.

use std::collections::HashMap;
use std::time::Duration;

use super::budget::{Budget, BudgetPolicy};
use super::bulk::Bulks;
use crate::id::TaskId;
use crate::model::Task;

/// What the concurrent operations of one client (and its clones) share, in one place: the
/// rate-limit [`Budget`] every call spends from, and the waits' polls (concurrent
/// [`Wait`](super::Wait)s refresh each other's tasks in one request).
///
/// A driver holds it in a `Mutex` and locks it only around [`Operation::step`] and
/// [`Operation::on_answer`](super::Operation::on_answer), never across a request or a sleep.
///
/// [`Operation::step`]: super::Operation::step
#[derive(Debug, Clone)]
pub struct Shared {
    budget: Budget,
    pub(crate) waits: Waits,
    /// The bulk actions started on the client: their queues, shared by their workers.
    pub(crate) bulks: Bulks,
}

impl Shared {
    /// Nothing shared yet, with a budget following `policy`.
    pub fn new(policy: BudgetPolicy) -> Self {
        Self {
            budget: Budget::new(policy),
            waits: Waits::default(),
            bulks: Bulks::default(),
        }
    }

    /// The rate-limit budget.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The rate-limit budget, to change (e.g. [`Budget::want_probe`]).
    pub fn budget_mut(&mut self) -> &mut Budget {
        &mut self.budget
    }

    /// How many tasks the waits of the client are following.
    pub fn waited(&self) -> usize {
        self.waits.entries.len()
    }
}

/// The tasks the [`Wait`](super::Wait)s of a client follow: whoever polls next also
/// refreshes the others due soon, in one bulk get, and the others use that answer instead of
/// a request of their own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Waits {
    entries: HashMap<TaskId, Entry>,
    /// A poll is in flight; the others wait for its answer.
    in_flight: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    waiters: usize,
    /// When the earliest of its waiters polls next (monotonic).
    due: Duration,
    /// The task as last fetched, and when (monotonic).
    latest: Option<(Duration, Task)>,
}

impl Waits {
    /// A wait for `id` begins at `now`.
    pub(crate) fn register(&mut self, id: &TaskId, now: Duration) {
        let e = self.entries.entry(id.clone()).or_insert(Entry {
            waiters: 0,
            due: now,
            latest: None,
        });
        e.waiters += 1;
        e.due = e.due.min(now);
    }

    /// A wait for `id` is over.
    pub(crate) fn unregister(&mut self, id: &TaskId) {
        if let Some(e) = self.entries.get_mut(id) {
            e.waiters = e.waiters.saturating_sub(1);
            if e.waiters == 0 {
                self.entries.remove(id);
            }
        }
    }

    /// A waiter of `id` polls next at `due`.
    pub(crate) fn set_due(&mut self, id: &TaskId, due: Duration) {
        if let Some(e) = self.entries.get_mut(id) {
            e.due = due;
        }
    }

    /// The task as fetched after `since`, if a poll did.
    pub(crate) fn fresh(&self, id: &TaskId, since: Duration) -> Option<&Task> {
        let (at, task) = self.entries.get(id)?.latest.as_ref()?;
        (*at > since).then_some(task)
    }

    /// Whether a poll is in flight.
    pub(crate) fn busy(&self) -> bool {
        self.in_flight
    }

    /// Leads a poll for `id` at `now`: `id` first, then the other waited-for ids due before
    /// `now + lookahead`, soonest first (at most `max` in all). Hand the answer to
    /// [`Waits::finish`].
    pub(crate) fn lead(
        &mut self,
        id: &TaskId,
        now: Duration,
        lookahead: Duration,
        max: usize,
    ) -> Vec<TaskId> {
        self.in_flight = true;
        let mut others: Vec<(Duration, &TaskId)> = self
            .entries
            .iter()
            .filter(|(other, e)| *other != id && e.due <= now + lookahead)
            .map(|(other, e)| (e.due, other))
            .collect();
        others.sort();
        let mut ids = vec![id.clone()];
        ids.extend(
            others
                .into_iter()
                .take(max.saturating_sub(1))
                .map(|(_, other)| other.clone()),
        );
        ids
    }

    /// The answer of a poll led by [`Waits::lead`] (the tasks fetched; nothing when it
    /// failed or was abandoned).
    pub(crate) fn finish(&mut self, fetched: Vec<(TaskId, Task)>, now: Duration) {
        for (id, task) in fetched {
            if let Some(e) = self.entries.get_mut(&id) {
                e.latest = Some((now, task));
            }
        }
        self.in_flight = false;
    }
}
