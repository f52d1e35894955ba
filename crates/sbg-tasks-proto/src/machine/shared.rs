//! [`Shared`]: what the concurrent operations of one client share.

use super::budget::{Budget, BudgetPolicy};
use super::bulk::Bulks;
use super::watch::{Watcher, WatcherPolicy};

/// What the concurrent operations of one client (and its clones) share, in one place: the
/// rate-limit [`Budget`] every call spends from, and the client's [`Watcher`] for waits: each
/// [`Wait`](super::Wait) follows its id on it, and concurrent waits refresh each other's
/// tasks in one request (a bulk get; `GET /tasks/{id}` when one id is due alone).
///
/// A driver holds it in a `Mutex` and locks it only around [`Operation::step`] and
/// [`Operation::on_answer`](super::Operation::on_answer), never across a request or a sleep.
///
/// [`Operation::step`]: super::Operation::step
#[derive(Debug, Clone)]
pub struct Shared {
    budget: Budget,
    /// The watcher the [`Wait`](super::Wait)s follow their ids on.
    pub(crate) waits: Watcher,
    /// The bulk actions started on the client: their queues, shared by their workers.
    pub(crate) bulks: Bulks,
}

impl Shared {
    /// Nothing shared yet, with a budget following `policy`.
    pub fn new(policy: BudgetPolicy) -> Self {
        Self {
            budget: Budget::new(policy),
            waits: Watcher::new(
                WatcherPolicy::default()
                    .with_follow_children(false)
                    .with_feed(false),
            ),
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
        self.waits.len()
    }
}
