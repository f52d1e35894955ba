//! Concurrent `wait` calls on one client (and its clones) share their polls: whoever polls
//! next also refreshes the other waited-for tasks that are due soon, in one bulk get, and the
//! others use that answer instead of a request of their own.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use event_listener::{Event, EventListener};

use crate::model::Task;
use crate::TaskId;

/// The tasks the `wait` calls of a client are waiting for, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct WaitHub {
    state: Mutex<HubState>,
    changed: Event,
}

#[derive(Debug, Default)]
struct HubState {
    entries: HashMap<TaskId, Entry>,
    /// A poll is in flight; the others wait for its answer.
    in_flight: bool,
}

#[derive(Debug)]
struct Entry {
    waiters: usize,
    /// When the earliest of its waiters polls next (monotonic).
    due: Duration,
    /// The task as last fetched, and when (monotonic).
    latest: Option<(Duration, Task)>,
}

/// What a waiter does to get a fresh view of its task.
#[derive(Debug)]
pub(crate) enum Refresh {
    /// Another waiter's poll fetched it since this one's last look.
    Have(Box<Task>),
    /// Poll these ids (the caller's first) and hand the answer to [`WaitHub::finish`].
    Lead(Vec<TaskId>),
    /// A poll is in flight: wait for it, then ask again.
    Follow(EventListener),
}

impl WaitHub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A `wait` for `id` begins at `now`.
    pub(crate) fn register(&self, id: &TaskId, now: Duration) {
        let mut s = self.lock();
        let e = s.entries.entry(id.clone()).or_insert(Entry {
            waiters: 0,
            due: now,
            latest: None,
        });
        e.waiters += 1;
        e.due = e.due.min(now);
    }

    /// A `wait` for `id` is over.
    pub(crate) fn unregister(&self, id: &TaskId) {
        let mut s = self.lock();
        if let Some(e) = s.entries.get_mut(id) {
            e.waiters -= 1;
            if e.waiters == 0 {
                s.entries.remove(id);
            }
        }
    }

    /// A waiter of `id` polls next at `due`.
    pub(crate) fn set_due(&self, id: &TaskId, due: Duration) {
        if let Some(e) = self.lock().entries.get_mut(id) {
            e.due = due;
        }
    }

    /// A waiter of `id` that last looked at `since` wants a fresh view at `now`: ids due
    /// before `now + lookahead` ride along when it leads a poll (at most `max` ids).
    pub(crate) fn begin(
        &self,
        id: &TaskId,
        since: Duration,
        now: Duration,
        lookahead: Duration,
        max: usize,
    ) -> Refresh {
        let mut s = self.lock();
        if let Some((at, task)) = s.entries.get(id).and_then(|e| e.latest.as_ref()) {
            if *at > since {
                return Refresh::Have(Box::new(task.clone()));
            }
        }
        if s.in_flight {
            let listener = self.changed.listen();
            return Refresh::Follow(listener);
        }
        s.in_flight = true;
        let mut others: Vec<(Duration, &TaskId)> = s
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
        Refresh::Lead(ids)
    }

    /// The answer of a poll led by [`Refresh::Lead`] (the tasks fetched; nothing when it
    /// failed): the waiters that follow are woken.
    pub(crate) fn finish(&self, fetched: Vec<(TaskId, Task)>, now: Duration) {
        let mut s = self.lock();
        for (id, task) in fetched {
            if let Some(e) = s.entries.get_mut(&id) {
                e.latest = Some((now, task));
            }
        }
        s.in_flight = false;
        drop(s);
        self.changed.notify(usize::MAX);
    }
}
