//! What the blocking and the async client share besides the machines, written once for both:
//! construction, settings and accessors ([`client_common!`]), and every call method
//! ([`client_methods!`]), whose bodies differ only by `.await`.

/// Writes the `with_*` constructors and setters and the accessors of a client struct
/// `$client<T, E> { settings: Settings, transport: T, env: E }`, in an
/// `impl<T, E> $client<T, E> where $bounds` block (the bounds keep type inference for
/// closure transports what it was).
macro_rules! client_common {
    ($client:ident where $($bounds:tt)*) => {
        impl<T, E> $client<T, E>
        where
            $($bounds)*
        {
            /// A client with `config`, the default settings otherwise (see
            /// [`Settings::new`]), over `transport` in environment `env`.
            pub fn with_env(config: $crate::Config, transport: T, env: E) -> Self {
                Self::with_settings(Settings::new(config), transport, env)
            }

            /// A client with `settings`, over `transport` in environment `env`.
            pub fn with_settings(settings: Settings, transport: T, env: E) -> Self {
                let budget = $crate::Budget::new(settings.budget.clone());
                Self {
                    settings,
                    transport,
                    env,
                    budget: std::sync::Arc::new(std::sync::Mutex::new(budget)),
                    hub: std::sync::Arc::default(),
                }
            }

            /// Replaces the rate-limit budget with a new one following `policy` (clones made
            /// before keep sharing the old one).
            pub fn with_budget(mut self, policy: $crate::BudgetPolicy) -> Self {
                self.settings.budget = policy.clone();
                self.budget = std::sync::Arc::new(std::sync::Mutex::new($crate::Budget::new(policy)));
                self
            }

            /// Replaces the watcher policy (how `watch`, `wait_all` and `wait_any` follow).
            pub fn with_watcher(mut self, policy: $crate::WatcherPolicy) -> Self {
                self.settings.watcher = policy;
                self
            }

            /// Asks the budget for a probe (`GET /rate_limit`, which the platform does not
            /// count) before the next call, so that the next calls are paced by what is really
            /// left of the window (`watch`, `wait_all` and `wait_any` do this when they start).
            pub fn want_probe(&self) {
                self.budget
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .want_probe();
            }

            /// A snapshot of the rate-limit budget this client and its clones share: what is
            /// known of the window, requests sent, 429s seen.
            pub fn budget(&self) -> $crate::Budget {
                self.budget.lock().unwrap_or_else(|e| e.into_inner()).clone()
            }

            /// Replaces the retry policy.
            pub fn with_retry(mut self, retry: $crate::RetryPolicy) -> Self {
                self.settings.retry = retry;
                self
            }

            /// Replaces the wait policy (how `wait` polls).
            pub fn with_wait(mut self, wait: $crate::WaitPolicy) -> Self {
                self.settings.wait = wait;
                self
            }

            /// Sets strict or lenient decoding.
            pub fn with_decoding(mut self, decoding: $crate::Decoding) -> Self {
                self.settings.decoding = decoding;
                self
            }

            /// The settings.
            pub fn settings(&self) -> &Settings {
                &self.settings
            }

            /// The transport.
            pub fn transport(&self) -> &T {
                &self.transport
            }

            /// The environment.
            pub fn env(&self) -> &E {
                &self.env
            }
        }
    };
}

/// Writes a method per API call for a client that has `call` (async or not): `$async` is
/// `async` or nothing, `$await` is `.await` or nothing, `$send` is `+ Send` or nothing (the
/// bound on a progress callback held across an await), `$listing` the client's lazy listing,
/// `$listen` how to wait for an `event_listener::EventListener` (`.wait()` or `.await`).
macro_rules! client_methods {
    (async = [$($async:ident)?], await = [$($await:tt)*], send = [$($send:tt)*], listing = $listing:ident, listen = [$($listen:tt)*]) => {
        /// Gets a task (`GET /tasks/{id}`).
        pub $($async)? fn get(
            &self,
            call: &$crate::GetTask,
        ) -> Result<$crate::Answer<$crate::Task>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// Runs a DRAFT task (`POST /tasks/{id}/actions/run`). When a retry finds the task
        /// already running because an earlier attempt's answer was lost, the task is fetched
        /// (with the call's `fields`) and returned: the run happened once.
        pub $($async)? fn run(
            &self,
            call: &$crate::RunTask,
        ) -> Result<$crate::Answer<$crate::Task>, $crate::ClientError> {
            match self.call(call) $($await)* {
                Err($crate::ClientError::RunAlreadyAccepted { .. }) => {
                    self.get(&call.as_get()) $($await)*
                }
                other => other,
            }
        }

        /// Reruns (copies) a task (`POST /tasks/{id}/actions/clone`); the answer is the NEW
        /// task. Never retried once the request may have reached the platform, so at most
        /// one copy is made.
        pub $($async)? fn rerun(
            &self,
            call: &$crate::RerunTask,
        ) -> Result<$crate::Answer<$crate::Task>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// Creates a task (`POST /tasks`), as a DRAFT or run at once. A task the platform
        /// created but cannot run (validation errors) is
        /// [`CreateOutcome::CreatedWithErrors`](crate::endpoints::CreateOutcome::CreatedWithErrors),
        /// not an error. Never retried once the request may have reached the platform.
        pub $($async)? fn create(
            &self,
            call: &$crate::CreateTask,
        ) -> Result<$crate::Answer<$crate::endpoints::CreateOutcome>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// Modifies a task (`PATCH /tasks/{id}`): a DRAFT, or only the name of a task that is no
        /// longer one. Retried like a read (the same body leaves the same task).
        pub $($async)? fn update(
            &self,
            call: &$crate::UpdateTask,
        ) -> Result<$crate::Answer<$crate::Task>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// Deletes a DRAFT task (`DELETE /tasks/{id}`). A retry that finds the task gone after
        /// an earlier attempt may have deleted it succeeds with
        /// [`Deletion::AlreadyGone`](crate::endpoints::Deletion::AlreadyGone).
        pub $($async)? fn delete(
            &self,
            call: &$crate::DeleteTask,
        ) -> Result<$crate::Answer<$crate::endpoints::Deletion>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// A task's inputs alone (`GET /tasks/{id}/inputs`).
        pub $($async)? fn inputs(
            &self,
            call: &$crate::GetTaskInputs,
        ) -> Result<$crate::Answer<$crate::model::TaskInputs>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// Changes some of a DRAFT's inputs (`PATCH /tasks/{id}/inputs`); the answer is the
        /// whole inputs map.
        pub $($async)? fn update_inputs(
            &self,
            call: &$crate::UpdateTaskInputs,
        ) -> Result<$crate::Answer<$crate::model::TaskInputs>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// Gets any number of tasks, [`MAX_BULK_IDS`](crate::endpoints::MAX_BULK_IDS) a request
        /// (`POST /bulk/tasks/get`): one result per id, in the order
        /// asked — the task, or that id's error (an unknown or malformed id is an item error,
        /// never a failed call). `ceil(n / 100)` requests for `n` ids, none for none. A
        /// request that fails (after its retries) fails the call.
        pub $($async)? fn bulk_get(
            &self,
            ids: &[$crate::TaskId],
        ) -> Result<$crate::endpoints::BulkTasks, $crate::ClientError> {
            let mut out = $crate::endpoints::BulkTasks::default();
            for call in $crate::BulkGetTasks::batches(ids) {
                out.extend(self.call(&call) $($await)* ?.value);
            }
            Ok(out)
        }

        /// Aborts a QUEUED or RUNNING task (`POST /tasks/{id}/actions/abort`).
        pub $($async)? fn abort(
            &self,
            call: &$crate::AbortTask,
        ) -> Result<$crate::Answer<$crate::Task>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// The execution details of a task (`GET /tasks/{id}/execution_details`): its jobs,
        /// their instances and logs.
        pub $($async)? fn execution_details(
            &self,
            call: &$crate::GetExecutionDetails,
        ) -> Result<$crate::Answer<$crate::model::ExecutionDetails>, $crate::ClientError> {
            self.call(call) $($await)*
        }

        /// The caller's rate limit (`GET /rate_limit`), which the platform does not count.
        pub $($async)? fn rate_limit(
            &self,
        ) -> Result<$crate::Answer<$crate::model::RateLimitInfo>, $crate::ClientError> {
            self.call(&$crate::GetRateLimit::new()) $($await)*
        }

        /// Polls task `id` until it ends, as the client's
        /// [`WaitPolicy`](crate::WaitPolicy) says. Ends with the terminal task,
        /// [`ClientError::NotStarted`](crate::ClientError::NotStarted) for a DRAFT, or
        /// [`ClientError::Timeout`](crate::ClientError::Timeout) with the last task seen.
        pub $($async)? fn wait(
            &self,
            id: &$crate::TaskId,
        ) -> Result<$crate::Task, $crate::ClientError> {
            self.wait_with_progress(id, |_| {}) $($await)*
        }

        /// [`wait`](Self::wait), calling `progress` after each poll (status, poll count,
        /// elapsed time, a batch's counts).
        pub $($async)? fn wait_with_progress(
            &self,
            id: &$crate::TaskId,
            progress: impl FnMut(&$crate::Progress<'_>) $($send)*,
        ) -> Result<$crate::Task, $crate::ClientError> {
            self.wait_with(id, &self.settings.wait, progress) $($await)*
        }

        /// [`wait_with_progress`](Self::wait_with_progress) with another policy than the
        /// client's (an interval or a timeout for this one wait).
        ///
        /// Concurrent waits on one client (and its clones) share their polls: the waiter that
        /// polls next also refreshes every other waited-for task due within half its interval,
        /// in one bulk get, and those waiters use that answer instead of a request of their
        /// own. A single wait polls its task alone (`GET /tasks/{id}`), as before.
        pub $($async)? fn wait_with(
            &self,
            id: &$crate::TaskId,
            policy: &$crate::WaitPolicy,
            mut progress: impl FnMut(&$crate::Progress<'_>) $($send)*,
        ) -> Result<$crate::Task, $crate::ClientError> {
            use $crate::machine::wait::{WaitState, WaitStep};
            let start = self.env.now();
            self.hub.register(id, start);
            let mut wait = WaitState::new(policy.clone(), start);
            let mut since = start;
            let lookahead = policy.interval / 2;
            let result = loop {
                let task = match self.refresh(id, since, lookahead) $($await)* {
                    Ok(task) => task,
                    Err(e) => break Err(e),
                };
                since = self.env.now();
                match wait.on_task(task, since, &mut progress) {
                    WaitStep::Sleep(d) => {
                        self.hub.set_due(id, since + d);
                        self.env.sleep(d) $($await)*;
                    }
                    WaitStep::Done(result) => break result,
                }
            };
            self.hub.unregister(id);
            result
        }

        /// A fresh view of `id` for a waiter that last looked at `since`: from another
        /// waiter's poll when one fetched it since, else by leading a poll (that refreshes the
        /// other waited-for tasks due soon too).
        $($async)? fn refresh(
            &self,
            id: &$crate::TaskId,
            since: std::time::Duration,
            lookahead: std::time::Duration,
        ) -> Result<$crate::Task, $crate::ClientError> {
            use $crate::client::hub::Refresh;
            loop {
                let now = self.env.now();
                match self.hub.begin(id, since, now, lookahead, $crate::endpoints::MAX_BULK_IDS) {
                    Refresh::Have(task) => return Ok(*task),
                    Refresh::Follow(listener) => {
                        listener $($listen)*;
                    }
                    Refresh::Lead(ids) if ids.len() == 1 => {
                        let answer = self.call(&$crate::GetTask::new(id.clone())) $($await)*;
                        let fetched = match &answer {
                            Ok(a) => vec![(id.clone(), a.value.clone())],
                            Err(_) => Vec::new(),
                        };
                        self.hub.finish(fetched, self.env.now());
                        return answer.map(|a| a.value);
                    }
                    Refresh::Lead(ids) => {
                        let call = $crate::BulkGetTasks::new(ids);
                        let answer = self.call(&call) $($await)*;
                        let mut fetched = Vec::new();
                        if let Ok(a) = &answer {
                            for (asked, item) in call.ids().iter().zip(&a.value.items) {
                                if let Ok(task) = item {
                                    fetched.push((asked.clone(), task.clone()));
                                }
                            }
                        }
                        self.hub.finish(fetched.clone(), self.env.now());
                        answer?;
                        if let Some(task) = fetched.into_iter().find(|(asked, _)| asked == id) {
                            return Ok(task.1);
                        }
                        // This id's own error in the bulk answer: ask for it alone, so the
                        // caller gets the platform's error as a plain call would.
                        return self.call(&$crate::GetTask::new(id.clone())) $($await)* .map(|a| a.value);
                    }
                }
            }
        }

        /// Waits until every task of `ids` has ended, following them all with bulk gets (100
        /// ids a request, in the budget's watch lane, each task refreshed at most every
        /// [`WatcherPolicy::min_interval`](crate::WatcherPolicy::min_interval)): one result per
        /// id, in the order given — the last task, or the platform's error for an id it does
        /// not know. [`ClientError::NotStarted`](crate::ClientError::NotStarted) when one is a
        /// DRAFT (it would never end); the first request that fails after its retries ends the
        /// wait with its error.
        pub $($async)? fn wait_all(
            &self,
            ids: &[$crate::TaskId],
        ) -> Result<Vec<Result<$crate::Task, $crate::endpoints::BulkItemError>>, $crate::ClientError> {
            let found = self.wait_any(ids, usize::MAX, None) $($await)* ?;
            let by_id: std::collections::HashMap<_, _> = found.ended.into_iter().collect();
            Ok(ids
                .iter()
                .filter_map(|id| by_id.get(id).cloned())
                .collect())
        }

        /// Waits until `n` of the tasks of `ids` have ended (or are unknown to the platform),
        /// or `timeout` has passed (checked between requests), following them with bulk gets
        /// as [`wait_all`](Self::wait_all) does: the tasks that ended, in the order they did,
        /// and the ids still pending — the shape of `ray.wait`.
        pub $($async)? fn wait_any(
            &self,
            ids: &[$crate::TaskId],
            n: usize,
            timeout: Option<std::time::Duration>,
        ) -> Result<$crate::client::WaitAny, $crate::ClientError> {
            use $crate::machine::watch::{WatchEvent, WatchWant, Watcher};
            let mut watcher = Watcher::new(self.settings.watcher.clone().with_follow_children(false));
            watcher.add(ids.iter().cloned());
            self.want_probe();
            let deadline = timeout.map(|t| self.env.now() + t);
            let mut ended = Vec::new();
            loop {
                while let Some(event) = watcher.pop_event() {
                    match event {
                        WatchEvent::Ended { id, task } => ended.push((id, Ok(*task))),
                        WatchEvent::Gone { id, error } => ended.push((id, Err(error))),
                        WatchEvent::Status { task, .. }
                            if task.status == Some($crate::model::TaskStatus::Draft) =>
                        {
                            return Err($crate::ClientError::NotStarted { task });
                        }
                        _ => {}
                    }
                }
                let now = self.env.now();
                if ended.len() >= n || watcher.is_empty() || deadline.is_some_and(|d| now >= d) {
                    break;
                }
                match watcher.next_request(self.env.unix_now()) {
                    WatchWant::Bulk(call) => {
                        let answer = self.call_in($crate::endpoint::Lane::Watch, &call) $($await)*;
                        match answer {
                            Ok(a) => watcher.on_bulk(self.env.unix_now(), a),
                            Err(e) => return Err(e),
                        }
                    }
                    WatchWant::Wait(d) => {
                        let d = deadline.map_or(d, |dl| d.min(dl.saturating_sub(now)));
                        self.env.sleep(d) $($await)*;
                    }
                    _ => break,
                }
            }
            let done: std::collections::HashSet<_> = ended.iter().map(|(id, _)| id.clone()).collect();
            let mut pending = Vec::new();
            for id in ids {
                if !done.contains(id) && !pending.contains(id) {
                    pending.push(id.clone());
                }
            }
            Ok($crate::client::WaitAny { ended, pending })
        }

        /// The children of batch task `parent`, 100 a page (a `list` with `parent=`).
        pub fn children(&self, parent: &$crate::TaskId) -> $listing<'_, T, E> {
            self.list(&$crate::ListTasks::children_of(parent.clone()).limit($crate::endpoints::PageLimit::MAX))
        }
    };
}
