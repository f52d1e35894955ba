//! The rate-limit budget of one client: may a call be sent now, or wait how long?
//!
//! The platform gives each user a fixed window of requests (1000 per 5 minutes): once they are
//! spent, nothing is accepted until `X-RateLimit-Reset`. The budget is a sans-IO machine, held
//! in the client's [`Shared`](super::Shared), that every [`Call`](super::Call) of a client
//! (and of its clones) asks before each attempt — go, wait this long, or first ask
//! `GET /v2/rate_limit`, which the platform does not count — and tells about each answer (or
//! its absence).
//!
//! Time is passed in (`now` is the wall clock, since the Unix epoch, as `X-RateLimit-Reset` is);
//! nothing here reads a clock or sleeps.
//!
//! # Rules
//! - **The platform's counters are the state.** Every answer's `X-RateLimit-*` headers say what
//!   is left of the window; within one window the lowest `remaining` seen wins (answers of
//!   concurrent calls arrive out of order), a later `reset` starts a new window. Requests
//!   granted and not yet answered count as spent. Other processes sharing the token show up
//!   as a faster falling `remaining`: there is no coordination service, and none is needed.
//! - **Nothing is sent into a spent window** (as go-github): after a 429, or when nothing is
//!   left, every lane waits until the reset.
//! - **A reserve for changes.** Calls that change something ([`Lane::Change`]: run, rerun,
//!   create, abort, modify, delete) may spend the window to the last request; reads
//!   ([`Lane::Read`], [`Lane::Watch`]) stop [`BudgetPolicy::reserve`] requests short, so that
//!   following tasks never starves the calls that act on them.
//! - **Watching is paced and capped.** [`Lane::Watch`] (the bulk sweeps of a watcher) may
//!   spend at most [`BudgetPolicy::watch_share`] of each window, spread evenly over what is
//!   left of it: one request every `time left / requests left`, so sweeps never burst the
//!   window empty and then starve. Plain reads and changes are not paced: a user's script
//!   runs at full speed until the reserve.
//! - **A bulk action leaves the watcher its share.** [`Lane::Bulk`] (the changes of a bulk
//!   action) spends like a change, except that while a watcher is active (it sent in the
//!   last window's length) it stops short of what is left of the watcher's share and the
//!   reserve: the watcher is capped at its share, the action gets the rest, neither starves.
//! - **Many processes on one token share the watch lane fairly.** Nothing but the headers is
//!   shared. Other processes' use of a window is what `remaining` fell by beyond this process's
//!   own requests (answered, and granted but not yet answered, which the platform may have
//!   counted: so peers are never overestimated). A process that sees no one else paces its
//!   watch lane exactly as above. Once it sees peers (and while it saw them within two
//!   windows), with [`BudgetPolicy::peer_aware`] on (the default), its watch lane is paced
//!   evenly at an allowance of requests per window, steered by additive increase and
//!   multiplicative decrease (AIMD): when the window's use so far plus what this process and
//!   its peers will spend at their pace until the reset passes the token-wide target
//!   ([`BudgetPolicy::peer_target`]: the watch share plus half of the rest, 0.8 of the window at
//!   the default share), the allowance falls to 0.7 of itself (at most once a quarter of a
//!   window); otherwise it grows by 1/64 of the target per window, up to the share. All
//!   processes see the same window, so they fall together and grow alike, and their paces
//!   converge to equal shares, with no coordinator. A process that starts seeing peers begins
//!   at what the target leaves beside their pace so far (at least an eighth of its share), and
//!   for an eighth of a window (or a few of its requests) measures its part of the token's
//!   use: then its allowance is the target times that part (processes that start together all
//!   measure 1/K). Among peers the watch lane asks the platform (free probe) before a request
//!   when the window was last told a sixteenth of a window ago or more, and after a 429 or a
//!   spent window it restarts at a random moment of its first interval (from
//!   [`Now::random`](super::Now::random)), so that K processes do not all burst at the reset.
//!   The window's length is taken as the longest time seen from an answer to its reset, when
//!   shorter than the length learned (processes that share a token seldom see a window's first
//!   answers).
//! - **Probing is free.** `GET /v2/rate_limit` is not counted: [`Lane::Free`] always goes.
//!   The budget asks for a probe when a watcher starts ([`Budget::want_probe`]) and after a
//!   429 that did not say when the window resets.
//!
//! ```
//! use std::time::Duration;
//! use sbg_tasks_proto::machine::{Call, Now, Operation, Settings, Shared, Step};
//! use sbg_tasks_proto::{http, AbortTask, AuthToken, BudgetPolicy, Config, GetTask, Platform};
//!
//! let settings = Settings::new(Config::new(Platform::Cgc, AuthToken::new("token")?));
//! let mut shared = Shared::new(BudgetPolicy::default().with_reserve(10));
//! let now = Now { mono: Duration::ZERO, unix: Duration::from_secs(1_700_000_000), random: 0 };
//! let get = GetTask::new("t1".parse()?);
//! // A first read's answer says 11 requests are left in this window, which resets in 60 s.
//! let mut first = Call::new(&settings, &get);
//! let Step::Send(_) = first.step(now, &mut shared) else { unreachable!() };
//! let answer = http::Response::builder()
//!     .header("X-RateLimit-Limit", "1000")
//!     .header("X-RateLimit-Remaining", "11")
//!     .header("X-RateLimit-Reset", "1700000060")
//!     .body(br#"{"id": "t1"}"#.to_vec())?;
//! first.on_answer(Ok(answer), now, &mut shared);
//! assert_eq!(shared.budget().window().unwrap().remaining, 11);
//! // The 11th-to-last goes (and is not answered yet)...
//! assert!(matches!(Call::new(&settings, &get).step(now, &mut shared), Step::Send(_)));
//! // ... then reads wait for the reset, and changes still go.
//! let read = Call::new(&settings, &get).step(now, &mut shared);
//! assert!(matches!(read, Step::SleepUntil(t) if t == Duration::from_secs(60)));
//! let abort = AbortTask::new("t1".parse()?);
//! assert!(matches!(Call::new(&settings, &abort).step(now, &mut shared), Step::Send(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

pub use crate::endpoint::Lane;
use crate::machine::retry::rate_limit_wait;
use crate::meta::{RateLimit, ResponseMeta};

/// How a client spends its rate-limit window.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BudgetPolicy {
    /// Whether the budget is kept at all (`false`: every call goes, as before it existed; a
    /// 429 is still retried after the reset).
    pub enabled: bool,
    /// Requests of each window kept for [`Lane::Change`]: reads wait when no more than this
    /// many are left. Default 50 (5 % of the platform's 1000). Never more than a tenth of the
    /// window's limit, so that a small window is not all reserve.
    pub reserve: u64,
    /// Share of each window a watcher may spend, from 0 to 1. Default 0.6.
    pub watch_share: f64,
    /// The window assumed until an answer or a probe tells: 1000 requests per 5 minutes.
    pub assumed_limit: u64,
    /// The window's length, for pacing, until the answers show it (the platform says when a
    /// window resets, not how long it is: the first answers of a new window do). Default 5
    /// minutes.
    pub window: Duration,
    /// Whether the watch lane adapts to other processes on the same token (default `true`):
    /// see [the module docs](self), "Many processes on one token". `false` paces the watch
    /// lane as a process alone on its token would, whatever the headers show of others.
    pub peer_aware: bool,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            reserve: 50,
            watch_share: 0.6,
            assumed_limit: 1000,
            window: Duration::from_secs(300),
            peer_aware: true,
        }
    }
}

impl BudgetPolicy {
    /// No budget: every call goes at once.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Sets [`reserve`](Self::reserve).
    pub fn with_reserve(self, reserve: u64) -> Self {
        Self { reserve, ..self }
    }

    /// Sets [`watch_share`](Self::watch_share) (clamped to 0..=1).
    pub fn with_watch_share(self, share: f64) -> Self {
        let watch_share = if share.is_nan() {
            0.0
        } else {
            share.clamp(0.0, 1.0)
        };
        Self {
            watch_share,
            ..self
        }
    }

    /// Sets [`peer_aware`](Self::peer_aware).
    pub fn with_peer_aware(self, peer_aware: bool) -> Self {
        Self { peer_aware, ..self }
    }

    /// The token-wide use of a window the peer-aware watch lane steers to: the watch share
    /// plus half of the rest (0.8 of the window at the default share of 0.6).
    pub fn peer_target(&self) -> f64 {
        self.watch_share + (1.0 - self.watch_share) / 2.0
    }

    /// Sets the assumed window: `limit` requests per `window`.
    pub fn with_window(self, limit: u64, window: Duration) -> Self {
        Self {
            assumed_limit: limit,
            window,
            ..self
        }
    }
}

/// What the caller of [`Budget::acquire`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub(crate) enum BudgetStep {
    /// Send the call now (the budget counts it as spent until [`Budget::observe`] or
    /// [`Budget::release`]).
    Go,
    /// Ask again after this long.
    Wait(Duration),
    /// First send `GET /v2/rate_limit` (free) and hand its answer to [`Budget::observe_probe`]
    /// (or call [`Budget::probe_failed`]); then ask again.
    Probe,
}

/// The window as last seen: limit, what was left, when it resets (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    limit: u64,
    remaining: u64,
    reset: u64,
    /// Rolled over from a past window rather than told by an answer: the next answer's
    /// numbers replace it, whatever its reset.
    assumed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Nothing asked.
    Idle,
    /// Wanted: the next acquire says [`BudgetStep::Probe`].
    Wanted,
    /// Sent; waiting for its answer.
    InFlight,
}

/// The rate-limit budget of one client: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Budget {
    policy: BudgetPolicy,
    window: Option<Window>,
    /// Granted and not yet answered.
    outstanding: u64,
    /// After a 429: nothing is sent before this moment.
    blocked_until: Option<Duration>,
    probe: Probe,
    /// Watch requests granted in the window that resets at `watch_reset`.
    watch_spent: u64,
    watch_reset: Option<u64>,
    /// When the last watch request was granted (wall clock): a watcher is active.
    last_watch: Option<Duration>,
    /// The earliest moment of the next watch request (pacing).
    next_watch: Duration,
    /// Requests sent in total, and 429s seen (for reports).
    sent: u64,
    rate_limited: u64,
    /// The window's length as seen from the first answers of a window.
    window_len: Option<Duration>,
    /// The latest reset an answer told (not an assumed one).
    told_reset: Option<u64>,
    /// Other processes on the token, as the headers show them.
    peers: Peers,
}

/// What the headers show of other processes spending the same token, and the watch lane's
/// pace among them (additive increase, multiplicative decrease).
#[derive(Debug, Clone, PartialEq)]
struct Peers {
    /// The window (its reset) whose own answers are counted in `own`.
    reset: Option<u64>,
    /// This process's requests the platform counted in that window (answered, not 429).
    own: u64,
    /// The peers' use of that window, as last estimated.
    used: u64,
    /// When (wall clock) peers' use was last seen: peer-aware pacing while it is recent.
    seen: Option<Duration>,
    /// The peers' rate (requests per second), smoothed; with the moment and use of the
    /// sample it was last updated from.
    rate: f64,
    rate_at: Option<(Duration, u64)>,
    /// Watch requests per window this process allows itself while peers are seen.
    allow: f64,
    /// Last pace update, last decrease (wall clock).
    updated: Option<Duration>,
    decreased: Option<Duration>,
    /// When the window was last told (an answer's headers or a probe).
    sampled: Option<Duration>,
    /// This process's counted requests, all windows; the token's, as sampled; the window
    /// (reset) and use the token's count was last sampled at.
    own_total: u64,
    token_total: u64,
    token_at: Option<(u64, u64)>,
    /// Slow start: since when, and both counts then, this process has paced at a modest
    /// rate to measure its part of the token's use.
    calibrating: Option<(Duration, u64, u64)>,
    /// The longest time from a sample to its window's reset: the window is at least this
    /// long (a process sharing its token seldom sees a window's first answers).
    len_seen: Duration,
}

impl Peers {
    fn new() -> Self {
        Self {
            reset: None,
            own: 0,
            used: 0,
            seen: None,
            rate: 0.0,
            rate_at: None,
            allow: 0.0,
            updated: None,
            decreased: None,
            sampled: None,
            own_total: 0,
            token_total: 0,
            token_at: None,
            calibrating: None,
            len_seen: Duration::ZERO,
        }
    }
}

/// The multiplicative decrease of the peer-aware watch pace.
const DECREASE: f64 = 0.7;
/// The additive increase: this fraction of the token-wide target per window.
const INCREASE: f64 = 1.0 / 64.0;
/// The slowest peer-aware watch pace: one request per this many windows.
const SLOWEST: f64 = 10.0;

impl Budget {
    /// A budget that knows nothing yet.
    pub fn new(policy: BudgetPolicy) -> Self {
        Self {
            policy,
            window: None,
            outstanding: 0,
            blocked_until: None,
            probe: Probe::Idle,
            watch_spent: 0,
            watch_reset: None,
            last_watch: None,
            next_watch: Duration::ZERO,
            sent: 0,
            rate_limited: 0,
            window_len: None,
            told_reset: None,
            peers: Peers::new(),
        }
    }

    /// The rate-limit window's length: as learned from the answers (a window's first
    /// answers, consecutive resets, a probe of an unspent window), else as the policy assumes.
    pub fn window_len(&self) -> Duration {
        self.window_len.unwrap_or(self.policy.window)
    }

    /// The policy.
    pub fn policy(&self) -> &BudgetPolicy {
        &self.policy
    }

    /// Asks for a probe (`GET /v2/rate_limit`) before the next call, unless one is in flight:
    /// a watcher does this when it starts, to pace its first sweep by what is really left.
    pub fn want_probe(&mut self) {
        if self.policy.enabled && self.probe == Probe::Idle {
            self.probe = Probe::Wanted;
        }
    }

    /// May a call of `lane` be sent at wall-clock time `now` (since the Unix epoch)?
    /// `random` jitters the watch lane's restart after a 429 or a spent window while other
    /// processes share the token.
    pub(crate) fn acquire(&mut self, now: Duration, lane: Lane, random: u64) -> BudgetStep {
        let peered = lane == Lane::Watch && self.peered(now);
        if !self.policy.enabled || lane == Lane::Free {
            return self.grant(lane, now);
        }
        if let Some(until) = self.blocked_until {
            if now < until {
                if peered {
                    // Not all at the reset: each process restarts at a random moment of its
                    // first interval.
                    let restart = until + self.jitter(random);
                    self.next_watch = self.next_watch.max(restart);
                    return BudgetStep::Wait(restart - now);
                }
                return BudgetStep::Wait(until - now);
            }
            self.blocked_until = None;
        }
        match self.probe {
            Probe::Wanted => {
                self.probe = Probe::InFlight;
                return BudgetStep::Probe;
            }
            // Another call is probing: its answer is a moment away.
            Probe::InFlight => return BudgetStep::Wait(Duration::from_millis(50)),
            Probe::Idle => {}
        }
        self.roll(now);
        let Some(w) = self.window else {
            // Nothing known yet: the first answers will tell.
            return self.grant(lane, now);
        };
        let available = w.remaining.saturating_sub(self.outstanding);
        let until_reset = Duration::from_secs(w.reset).saturating_sub(now);
        let reserve = self.policy.reserve.min(w.limit / 10);
        let floor = match lane {
            Lane::Change => 0,
            Lane::Bulk => self.left_to_watcher(now, w, reserve),
            _ => reserve,
        };
        if available <= floor {
            if peered {
                let restart = now + until_reset.max(Duration::from_millis(100));
                let restart = restart + self.jitter(random);
                self.next_watch = self.next_watch.max(restart);
                return BudgetStep::Wait(restart - now);
            }
            return BudgetStep::Wait(until_reset.max(Duration::from_millis(100)));
        }
        if peered {
            return self.acquire_peered(now, w, available - floor, random);
        }
        if lane == Lane::Watch {
            let cap = self.watch_cap(w.limit);
            if self.watch_reset != Some(w.reset) {
                self.watch_reset = Some(w.reset);
                self.watch_spent = 0;
            }
            if self.watch_spent >= cap {
                return BudgetStep::Wait(until_reset.max(Duration::from_millis(100)));
            }
            if now < self.next_watch {
                return BudgetStep::Wait(self.next_watch - now);
            }
            // Spread what the watcher may still spend over what is left of the window (and
            // never faster than its share over a whole window).
            let left = (cap - self.watch_spent).min(available - floor).max(1);
            let even = self.window_len().as_secs_f64() / cap.max(1) as f64;
            let now_rate = until_reset.as_secs_f64() / left as f64;
            self.next_watch = now + Duration::from_secs_f64(even.max(now_rate));
            self.watch_spent += 1;
        }
        self.grant(lane, now)
    }

    /// Whether other processes were seen spending the token lately (within two windows), and
    /// the policy lets the watch lane adapt to them.
    fn peered(&self, now: Duration) -> bool {
        self.policy.enabled
            && self.policy.peer_aware
            && self
                .peers
                .seen
                .is_some_and(|t| now.saturating_sub(t) < self.peer_len() * 2)
    }

    /// The window's length as the peer-aware pacing takes it: the longest time seen from a
    /// sample to its reset, when that is shorter than the length learned or assumed (a
    /// process that shares its token seldom sees a window's first answers, which tell the
    /// length; the time from any answer to its window's reset is a bound that samples
    /// early in a window reach).
    fn peer_len(&self) -> Duration {
        let len = self.window_len();
        if self.peers.len_seen.is_zero() {
            len
        } else {
            len.min(self.peers.len_seen).max(Duration::from_secs(1))
        }
    }

    /// The peer-aware watch interval: the window over this process's allowance.
    fn peer_interval(&self) -> Duration {
        let len = self.peer_len().as_secs_f64();
        let allow = self.peers.allow.max(1.0 / SLOWEST);
        Duration::from_secs_f64((len / allow).min(len * SLOWEST))
    }

    /// A random part of one interval (at most half a window): where in its first interval
    /// a process restarts after a 429 or a spent window.
    fn jitter(&self, random: u64) -> Duration {
        let most = self.peer_interval().min(self.peer_len() / 2);
        most.mul_f64((random % 10_000) as f64 / 10_000.0)
    }

    /// The watch lane while peers share the token: paced evenly at this process's allowance
    /// (see [`Budget::adapt`]), after a free probe when the window was last told too long ago.
    fn acquire_peered(
        &mut self,
        now: Duration,
        w: Window,
        available: u64,
        random: u64,
    ) -> BudgetStep {
        let until_reset = Duration::from_secs(w.reset).saturating_sub(now);
        let cap = self.watch_cap(w.limit);
        if self.watch_reset != Some(w.reset) {
            self.watch_reset = Some(w.reset);
            self.watch_spent = 0;
        }
        if self.watch_spent >= cap {
            let restart = now + until_reset.max(Duration::from_millis(100)) + self.jitter(random);
            self.next_watch = self.next_watch.max(restart);
            return BudgetStep::Wait(restart - now);
        }
        if now < self.next_watch {
            return BudgetStep::Wait(self.next_watch - now);
        }
        // What others spent since the last answer is unknown: ask the platform (free) when
        // that was a sixteenth of a window ago or more, or when the window is nearly spent.
        let stale = self
            .peers
            .sampled
            .is_none_or(|t| now.saturating_sub(t) >= self.peer_len() / 16);
        if (stale || available <= 2) && self.probe == Probe::Idle && !w.assumed {
            self.probe = Probe::InFlight;
            return BudgetStep::Probe;
        }
        self.next_watch = now + self.peer_interval();
        self.watch_spent += 1;
        self.grant(Lane::Watch, now)
    }

    fn grant(&mut self, lane: Lane, now: Duration) -> BudgetStep {
        if lane == Lane::Watch {
            self.last_watch = Some(now);
        }
        if lane != Lane::Free {
            self.outstanding += 1;
            self.sent += 1;
        }
        BudgetStep::Go
    }

    /// What a bulk action leaves in window `w`: nothing when no watcher has sent in the last
    /// window's length; else what is left of the watcher's share, and the reserve it stops
    /// at.
    fn left_to_watcher(&self, now: Duration, w: Window, reserve: u64) -> u64 {
        let active = self
            .last_watch
            .is_some_and(|t| now.saturating_sub(t) < self.window_len());
        if !active {
            return 0;
        }
        let spent = if self.watch_reset == Some(w.reset) {
            self.watch_spent
        } else {
            0
        };
        self.watch_cap(w.limit).saturating_sub(spent) + reserve
    }

    fn watch_cap(&self, limit: u64) -> u64 {
        ((limit as f64) * self.policy.watch_share).floor() as u64
    }

    /// A window whose reset has passed is over: the next one is assumed full until an answer
    /// says otherwise.
    fn roll(&mut self, now: Duration) {
        if let Some(w) = self.window {
            if Duration::from_secs(w.reset) <= now {
                let window = self.window_len().as_secs().max(1);
                // The next reset is at least one window after the old one; an answer corrects it.
                let mut reset = w.reset;
                while Duration::from_secs(reset) <= now {
                    reset += window;
                }
                self.window = Some(Window {
                    limit: w.limit,
                    remaining: w.limit,
                    reset,
                    assumed: true,
                });
            }
        }
    }

    /// The answer to a call granted by [`Budget::acquire`] (with any status): what its headers
    /// say of the window. A 429 blocks every lane until the window resets.
    pub(crate) fn observe(&mut self, now: Duration, meta: &ResponseMeta) {
        self.outstanding = self.outstanding.saturating_sub(1);
        if meta.status != 429 {
            self.count_own(meta.rate_limit.map(|r| r.reset));
        }
        if let Some(r) = meta.rate_limit {
            self.learn(now, r);
            self.sample(now);
        }
        if meta.status == 429 {
            self.rate_limited += 1;
            match rate_limit_wait(meta, now) {
                Some(wait) => {
                    self.blocked_until = Some(now + wait);
                    // Only a 429 that says so spends the window (its headers were learned
                    // above); a bare `Retry-After` holds calls that long and no longer.
                }
                None => {
                    // A 429 that does not say when: ask the platform (for free).
                    self.probe = Probe::Wanted;
                    if let Some(w) = self.window.as_mut() {
                        w.remaining = 0;
                    }
                }
            }
        }
    }

    /// A granted call that got no answer (the transport failed): it may have been counted, so
    /// it stays spent.
    pub(crate) fn release(&mut self) {
        self.outstanding = self.outstanding.saturating_sub(1);
        self.count_own(None);
        if let Some(w) = self.window.as_mut() {
            w.remaining = w.remaining.saturating_sub(1);
        }
    }

    /// The answer of the probe asked for by [`BudgetStep::Probe`]: the window as the platform
    /// counts it now.
    pub(crate) fn observe_probe(&mut self, now: Duration, rate: Option<RateLimit>) {
        self.probe = Probe::Idle;
        if let Some(r) = rate {
            // A window nobody has spent from yet resets a whole window from now: its length.
            if r.remaining >= r.limit {
                let len = Duration::from_secs(r.reset).saturating_sub(now);
                if !len.is_zero() {
                    self.window_len = Some(len.max(Duration::from_secs(1)));
                }
            }
            // Authoritative for this moment: replace, not merge.
            self.window = Some(Window {
                limit: r.limit,
                remaining: r.remaining,
                reset: r.reset,
                assumed: false,
            });
            if r.remaining == 0 && Duration::from_secs(r.reset) > now {
                self.blocked_until = Some(Duration::from_secs(r.reset));
            }
            if self.peers.reset.is_none_or(|p| r.reset > p) {
                self.peers.reset = Some(r.reset);
                self.peers.own = 0;
            }
            self.sample(now);
        }
    }

    /// One of this process's requests counted in the window that resets at `reset` (the
    /// current one when the answer did not say).
    fn count_own(&mut self, reset: Option<u64>) {
        self.peers.own_total += 1;
        match reset {
            Some(r) if self.peers.reset.is_none_or(|p| r > p) => {
                self.peers.reset = Some(r);
                self.peers.own = 1;
            }
            // An answer of a window that is over: its request is not in this one.
            Some(r) if self.peers.reset.is_some_and(|p| r < p) => {}
            _ => self.peers.own += 1,
        }
    }

    /// The window was just told: what did others spend of it, and how fast? Peers' use is
    /// the window's use less this process's (answered, and granted but not yet answered,
    /// which may have been counted already: so it is never overestimated).
    fn sample(&mut self, now: Duration) {
        let Some(w) = self.window.filter(|w| !w.assumed) else {
            return;
        };
        if self.peers.reset != Some(w.reset) {
            // This window's own answers have not come yet (a probe told it first).
            self.peers.reset = Some(w.reset);
            self.peers.own = 0;
        }
        self.peers.sampled = Some(now);
        let to_reset = Duration::from_secs(w.reset).saturating_sub(now);
        if to_reset <= self.window_len() {
            self.peers.len_seen = self.peers.len_seen.max(to_reset);
        }
        let used = w.limit.saturating_sub(w.remaining);
        let grown = match self.peers.token_at {
            Some((reset, before)) if reset == w.reset => used.saturating_sub(before),
            Some((reset, _)) if reset > w.reset => 0,
            _ => used,
        };
        self.peers.token_total += grown;
        if self
            .peers
            .token_at
            .is_none_or(|(reset, _)| w.reset >= reset)
        {
            let before = self.peers.token_at.map_or(0, |t| t.1);
            let keep = if self.peers.token_at.is_some_and(|t| t.0 == w.reset) {
                before.max(used)
            } else {
                used
            };
            self.peers.token_at = Some((w.reset, keep));
        }
        let peers = used.saturating_sub(self.peers.own + self.outstanding);
        let len = self.peer_len();
        let start = Duration::from_secs(w.reset).saturating_sub(len);
        // The peers' rate: from this window's start at its first sample, then smoothed over
        // the samples (a quarter of a window's memory).
        let rate = match self.peers.rate_at {
            Some((at, before)) if at >= start && now > at => {
                let dt = (now - at).as_secs_f64();
                let fresh = peers.saturating_sub(before) as f64 / dt;
                let weight = (dt / (len.as_secs_f64() / 4.0)).min(1.0);
                self.peers.rate + (fresh - self.peers.rate) * weight
            }
            Some((at, _)) if at >= start => self.peers.rate,
            _ => {
                let elapsed = now.saturating_sub(start).max(len / 20).as_secs_f64();
                peers as f64 / elapsed
            }
        };
        self.peers.rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
        self.peers.rate_at = Some((now, peers));
        self.peers.used = peers;
        if peers > 0 && self.policy.peer_aware {
            if !self.peered(now) {
                // Slow start among peers: what the target leaves beside the peers' pace
                // so far, at least an eighth of the share (a modest pace when they are
                // busy; light peers, such as a few waits, barely slow a watcher), while this
                // process measures its part of what the token spends.
                let cap = self.watch_cap(w.limit) as f64;
                let beside = self.target(w.limit) - self.peers.rate * len.as_secs_f64();
                self.peers.allow = self.clamp_allow(beside.max(cap / 8.0), w.limit);
                self.peers.calibrating = Some((now, self.peers.own_total, self.peers.token_total));
                self.peers.updated = Some(now);
                self.peers.decreased = None;
            }
            self.peers.seen = Some(now);
        }
        if !self.peered(now) {
            return;
        }
        if let Some((since, own0, token0)) = self.peers.calibrating {
            // Long enough for a few requests of each: then the target split by this
            // process's part (processes that started together all measure 1/K).
            let len = self.peer_len();
            let few = len.mul_f64(4.0 / self.peers.allow.max(1.0 / SLOWEST));
            if now.saturating_sub(since) >= (len / 8).max(few.min(len * 2)) {
                let own = self.peers.own_total.saturating_sub(own0) as f64;
                let token = self.peers.token_total.saturating_sub(token0) as f64;
                if token > 0.0 {
                    let part = (own / token).min(1.0);
                    self.peers.allow = self.clamp_allow(self.target(w.limit) * part, w.limit);
                }
                self.peers.calibrating = None;
                self.peers.updated = Some(now);
            }
            return;
        }
        self.adapt(now, w, used);
    }

    /// The token-wide target of a window of `limit`.
    fn target(&self, limit: u64) -> f64 {
        limit as f64 * self.policy.peer_target()
    }

    fn clamp_allow(&self, allow: f64, limit: u64) -> f64 {
        let cap = self.watch_cap(limit).max(1) as f64;
        let lo = (1.0 / SLOWEST).min(cap);
        if allow.is_finite() {
            allow.clamp(lo, cap)
        } else {
            lo
        }
    }

    /// Additive increase, multiplicative decrease: when the window's use so far, plus what
    /// this process and its peers will spend at their pace until the reset, passes the
    /// target, the pace falls by [`DECREASE`] (at most once a quarter of a window);
    /// otherwise it grows by [`INCREASE`] of the target per window. Every process sees the
    /// same window, so they decrease together and grow alike: their paces converge to equal
    /// shares.
    fn adapt(&mut self, now: Duration, w: Window, used: u64) {
        let len = self.peer_len();
        let until = Duration::from_secs(w.reset)
            .saturating_sub(now)
            .min(len)
            .as_secs_f64();
        let len_s = len.as_secs_f64().max(1e-3);
        let own_rate = self.peers.allow / len_s;
        let projected = used as f64 + (own_rate + self.peers.rate) * until;
        let target = self.target(w.limit);
        let last = self.peers.updated.unwrap_or(now);
        let dt = now.saturating_sub(last).min(len).as_secs_f64();
        let allow = if projected > target {
            let cooled = self
                .peers
                .decreased
                .is_none_or(|t| now.saturating_sub(t) >= len / 4);
            if cooled {
                self.peers.decreased = Some(now);
                self.peers.allow * DECREASE
            } else {
                self.peers.allow
            }
        } else {
            self.peers.allow + target * INCREASE * dt / len_s
        };
        self.peers.allow = self.clamp_allow(allow, w.limit);
        self.peers.updated = Some(now);
    }

    /// While other processes share the token: the watch requests per window this process
    /// allows itself, and the peers' use of the current window as last seen. `None` while it
    /// sees no one else (it then paces as alone: its share, evenly).
    pub fn peer_pace(&self) -> Option<(f64, u64)> {
        let seen = self.peers.seen?;
        let recent = self.peers.sampled.unwrap_or(seen);
        (self.policy.peer_aware && recent.saturating_sub(seen) < self.peer_len() * 2)
            .then_some((self.peers.allow, self.peers.used))
    }

    /// The probe got no usable answer: go on with what is known (or assumed).
    pub(crate) fn probe_failed(&mut self) {
        self.probe = Probe::Idle;
    }

    fn learn(&mut self, now: Duration, r: RateLimit) {
        let new_window = self.window.is_none_or(|w| w.assumed || r.reset > w.reset);
        // Consecutive windows: a window is no longer than the time between their resets (a
        // process that shares its token may never see a window's first answers).
        if let Some(prev) = self.told_reset.filter(|prev| r.reset > *prev) {
            let between = Duration::from_secs(r.reset - prev);
            if between < self.window_len() {
                self.window_len = Some(between.max(Duration::from_secs(1)));
            }
        }
        self.told_reset = Some(self.told_reset.map_or(r.reset, |p| p.max(r.reset)));
        if new_window && r.remaining.saturating_add(2) >= r.limit {
            // One of the first answers of a window: the window ends this long after it began.
            let len = Duration::from_secs(r.reset).saturating_sub(now);
            if !len.is_zero() {
                self.window_len = Some(len.max(Duration::from_secs(1)));
            }
        }
        match self.window.as_mut() {
            Some(w) if !w.assumed && r.reset == w.reset => {
                w.remaining = w.remaining.min(r.remaining);
                w.limit = r.limit;
            }
            // An answer from a window that is already over: nothing to learn.
            Some(w) if !w.assumed && r.reset < w.reset => {}
            _ => {
                // The window assumed at a reset, now told (its reset as the platform rounds
                // it): the watch requests granted under the assumption were spent in this
                // window, and still count against the watcher's share of it.
                let stood_for = self.window.filter(|w| w.assumed).map(|w| w.reset);
                if stood_for.is_some()
                    && self.watch_reset == stood_for
                    && Duration::from_secs(r.reset) > now
                {
                    self.watch_reset = Some(r.reset);
                }
                self.window = Some(Window {
                    limit: r.limit,
                    remaining: r.remaining,
                    reset: r.reset,
                    assumed: false,
                })
            }
        }
    }

    /// What is known of the window: limit, requests left (minus those granted and not yet
    /// answered), reset (Unix seconds).
    pub fn window(&self) -> Option<RateLimit> {
        self.window.map(|w| RateLimit {
            limit: w.limit,
            remaining: w.remaining.saturating_sub(self.outstanding),
            reset: w.reset,
        })
    }

    /// Requests granted so far (not counting free ones), and 429 answers seen.
    pub fn counts(&self) -> (u64, u64) {
        (self.sent, self.rate_limited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    fn at(s: u64) -> Duration {
        Duration::from_secs(T0 + s)
    }

    /// A 200 of a window of `limit` with `remaining` left, resetting at `reset_in`.
    fn told(limit: u64, remaining: u64, reset_in: u64) -> ResponseMeta {
        ResponseMeta {
            status: 200,
            rate_limit: Some(RateLimit {
                limit,
                remaining,
                reset: T0 + reset_in,
            }),
            ..ResponseMeta::default()
        }
    }

    fn meta(status: u16, remaining: u64, reset_in: u64) -> ResponseMeta {
        ResponseMeta {
            status,
            rate_limit: Some(RateLimit {
                limit: 1000,
                remaining,
                reset: T0 + reset_in,
            }),
            ..ResponseMeta::default()
        }
    }

    #[test]
    fn the_lowest_remaining_of_a_window_wins_and_a_later_reset_starts_a_new_one() {
        let mut b = Budget::new(BudgetPolicy::default());
        for _ in 0..3 {
            assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        }
        b.observe(at(1), &meta(200, 500, 300));
        b.observe(at(1), &meta(200, 498, 300));
        b.observe(at(1), &meta(200, 499, 300)); // out of order: ignored
        assert_eq!(b.window().unwrap().remaining, 498);
        b.observe(at(1), &meta(200, 100, 200)); // an older window: ignored
        assert_eq!(b.window().unwrap().remaining, 498);
        assert_eq!(b.acquire(at(2), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(301), &meta(200, 999, 600));
        assert_eq!(b.window().unwrap().remaining, 999);
    }

    #[test]
    fn reads_stop_at_the_reserve_and_changes_spend_it() {
        let mut b = Budget::new(BudgetPolicy::default().with_reserve(2));
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(0), &meta(200, 4, 30));
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(
            b.acquire(at(0), Lane::Read, 0),
            BudgetStep::Wait(Duration::from_secs(30))
        );
        assert_eq!(b.acquire(at(0), Lane::Change, 0), BudgetStep::Go);
        assert_eq!(b.acquire(at(0), Lane::Change, 0), BudgetStep::Go);
        assert_eq!(
            b.acquire(at(0), Lane::Change, 0),
            BudgetStep::Wait(Duration::from_secs(30))
        );
        assert_eq!(b.acquire(at(0), Lane::Free, 0), BudgetStep::Go);
        // The window is over: a full one is assumed.
        assert_eq!(b.acquire(at(30), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(b.window().unwrap().reset, T0 + 330);
    }

    #[test]
    fn a_429_blocks_every_lane_until_the_reset_and_one_without_a_reset_asks_for_a_probe() {
        let mut b = Budget::new(BudgetPolicy::default());
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(0), &meta(429, 0, 40));
        for lane in [Lane::Read, Lane::Change, Lane::Watch] {
            assert_eq!(
                b.acquire(at(10), lane, 0),
                BudgetStep::Wait(Duration::from_secs(30))
            );
        }
        assert_eq!(b.counts(), (1, 1));
        assert_eq!(b.acquire(at(40), Lane::Change, 0), BudgetStep::Go);

        let mut b = Budget::new(BudgetPolicy::default());
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(
            at(0),
            &ResponseMeta {
                status: 429,
                ..ResponseMeta::default()
            },
        );
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Probe);
        assert_eq!(
            b.acquire(at(0), Lane::Change, 0),
            BudgetStep::Wait(Duration::from_millis(50))
        );
        b.observe_probe(
            at(0),
            Some(RateLimit {
                limit: 1000,
                remaining: 0,
                reset: T0 + 20,
            }),
        );
        assert_eq!(
            b.acquire(at(5), Lane::Change, 0),
            BudgetStep::Wait(Duration::from_secs(15))
        );
    }

    /// A window of 10 per 100 s, no reserve, the watcher's share half of it.
    fn half_of_ten() -> Budget {
        Budget::new(
            BudgetPolicy::default()
                .with_reserve(0)
                .with_watch_share(0.5)
                .with_window(10, Duration::from_secs(100)),
        )
    }

    /// The moments (since `at(0)`) watch requests are granted from `from` until `to`, each
    /// answered at once with `answer(k)` for the `k`-th.
    fn watch_grants(
        b: &mut Budget,
        from: Duration,
        to: Duration,
        answer: impl Fn(usize) -> ResponseMeta,
    ) -> Vec<u64> {
        let mut sent = Vec::new();
        let mut t = from;
        while t < to {
            match b.acquire(t, Lane::Watch, 0) {
                BudgetStep::Go => {
                    b.observe(t, &answer(sent.len()));
                    sent.push((t - at(0)).as_secs());
                }
                BudgetStep::Wait(d) => t += d,
                BudgetStep::Probe => unreachable!(),
            }
        }
        sent
    }

    #[test]
    fn watching_is_capped_at_its_share_and_spread_over_the_window() {
        let mut b = half_of_ten();
        assert_eq!(b.acquire(at(0), Lane::Watch, 0), BudgetStep::Go);
        b.observe(at(0), &told(10, 9, 100));
        // A new window seen: the share (5) starts again; one every 100 s / 5 = 20 s.
        let sent = watch_grants(&mut b, at(0), at(100), |_| ResponseMeta::default());
        assert_eq!(sent, [0, 20, 40, 60, 80]);
    }

    #[test]
    fn watch_requests_granted_in_an_assumed_window_count_once_it_is_told() {
        // Regression: the watcher spent its share plus what it was granted between a reset
        // and the first answer of the new window (the assumed window's reset, 200 here, is
        // not the told one, 201: the platform rounds it up), so a bulk action's lane and the
        // watcher's cap disagreed by that much in every window.
        let mut b = half_of_ten();
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(0), &told(10, 9, 100));
        // At the reset the next window is assumed (reset 200); the watcher's first request
        // in it is answered by the window the platform opened for it (reset 201).
        let sent = watch_grants(&mut b, at(100), at(201), |k| match k {
            0 => told(10, 9, 201),
            _ => ResponseMeta::default(),
        });
        // The share of the window the platform counted (5 of 10), not 5 more after the
        // first answer.
        assert_eq!(sent, [100, 120, 140, 160, 180]);
    }

    #[test]
    fn a_rolled_over_window_is_a_guess_that_the_next_answer_replaces() {
        let mut b = Budget::new(BudgetPolicy::default());
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(0), &meta(429, 0, 2));
        assert_eq!(
            b.acquire(at(0), Lane::Read, 0),
            BudgetStep::Wait(Duration::from_secs(2))
        );
        // The window reset: a full one is assumed, ending a policy window later ...
        assert_eq!(b.acquire(at(2), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(b.window().unwrap().reset, T0 + 302);
        // ... until an answer says it ends sooner: that is the window now.
        b.observe(at(2), &meta(429, 0, 3));
        assert_eq!(b.window().unwrap().reset, T0 + 3);
        assert_eq!(
            b.acquire(at(2), Lane::Read, 0),
            BudgetStep::Wait(Duration::from_secs(1))
        );
        assert_eq!(b.acquire(at(3), Lane::Read, 0), BudgetStep::Go);
    }

    #[test]
    fn a_small_window_is_not_all_reserve_and_its_length_is_learned() {
        let mut b = Budget::new(BudgetPolicy::default());
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(
            at(0),
            &ResponseMeta {
                status: 200,
                rate_limit: Some(RateLimit {
                    limit: 2,
                    remaining: 1,
                    reset: T0 + 2,
                }),
                ..ResponseMeta::default()
            },
        );
        // A reserve of 50 would stop every read of a 2-request window.
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(
            b.acquire(at(0), Lane::Read, 0),
            BudgetStep::Wait(Duration::from_secs(2))
        );
        assert_eq!(b.acquire(at(2), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(
            b.window().unwrap().reset,
            T0 + 4,
            "rolled by the learned 2 s"
        );
    }

    #[test]
    fn a_lost_answer_stays_spent_and_off_lets_everything_through() {
        let mut b = Budget::new(BudgetPolicy::default().with_reserve(0));
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(0), &meta(200, 2, 60));
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.release();
        assert_eq!(b.window().unwrap().remaining, 1);
        let mut off = Budget::new(BudgetPolicy::off());
        off.observe(at(0), &meta(200, 0, 60));
        assert_eq!(off.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
    }

    #[test]
    fn the_window_length_is_learned_from_a_fresh_probe_and_from_consecutive_resets() {
        let mut b = Budget::new(BudgetPolicy::default());
        b.want_probe();
        assert_eq!(b.acquire(at(0), Lane::Watch, 0), BudgetStep::Probe);
        b.observe_probe(
            at(0),
            Some(RateLimit {
                limit: 200,
                remaining: 200,
                reset: T0 + 10,
            }),
        );
        assert_eq!(b.window_len(), Duration::from_secs(10));

        // Sharing a token: never a window's first answer, but two resets 10 s apart.
        let mut b = Budget::new(BudgetPolicy::default());
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(0), &meta(200, 120, 7));
        assert_eq!(b.window_len(), Duration::from_secs(300));
        assert_eq!(b.acquire(at(8), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(8), &meta(200, 150, 17));
        assert_eq!(b.window_len(), Duration::from_secs(10));
    }

    /// A window of 100 per 100 s (share 0.6, reserve 0), peer-aware or not.
    fn hundred(peer_aware: bool) -> Budget {
        Budget::new(
            BudgetPolicy::default()
                .with_reserve(0)
                .with_window(100, Duration::from_secs(100))
                .with_peer_aware(peer_aware),
        )
    }

    /// Steps `b`'s watch lane from `from` to `to` (seconds after `at(0)`), answering each
    /// grant at once with a window of 100 resetting every 100 s in which peers spent
    /// `peers_per_s` a second besides this process's own requests. Returns the grant times.
    fn watch_among(b: &mut Budget, from: f64, to: f64, peers_per_s: f64) -> Vec<f64> {
        let mut t = Duration::from_secs_f64(from);
        let end = Duration::from_secs_f64(to);
        let mut sent = Vec::new();
        let mut own_in = (0u64, 0u64); // (window index, own requests in it)
        while t < end {
            let now = at(0) + t;
            match b.acquire(now, Lane::Watch, (t.as_millis() as u64) * 7919) {
                BudgetStep::Go => {
                    let idx = t.as_secs() / 100;
                    if own_in.0 != idx {
                        own_in = (idx, 0);
                    }
                    own_in.1 += 1;
                    let into = t.as_secs_f64() - (idx * 100) as f64;
                    let peers = (peers_per_s * into) as u64;
                    let remaining = 100u64.saturating_sub(own_in.1 + peers);
                    b.observe(now, &told(100, remaining, (idx + 1) * 100));
                    sent.push(t.as_secs_f64());
                }
                BudgetStep::Wait(d) => t += d,
                BudgetStep::Probe => {
                    let idx = t.as_secs() / 100;
                    let own = if own_in.0 == idx { own_in.1 } else { 0 };
                    let into = t.as_secs_f64() - (idx * 100) as f64;
                    let peers = (peers_per_s * into) as u64;
                    b.observe_probe(
                        now,
                        Some(RateLimit {
                            limit: 100,
                            remaining: 100u64.saturating_sub(own + peers),
                            reset: T0 + (idx + 1) * 100,
                        }),
                    );
                }
            }
        }
        sent
    }

    #[test]
    fn alone_on_its_token_the_watch_lane_paces_exactly_as_without_peer_awareness() {
        let mut aware = hundred(true);
        let mut blind = hundred(false);
        let a = watch_among(&mut aware, 0.0, 350.0, 0.0);
        let b = watch_among(&mut blind, 0.0, 350.0, 0.0);
        assert_eq!(a, b);
        // 60 a window, evenly: one every 100/60 s.
        assert!(a.len() >= 3 * 60, "{}", a.len());
        assert_eq!(aware.peer_pace(), None);
    }

    #[test]
    fn peers_are_what_the_window_lost_beyond_this_processs_own_requests() {
        let mut b = hundred(true);
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        assert_eq!(b.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        // Two own requests in flight: the first answer says 98 left, all ours.
        b.observe(at(1), &told(100, 98, 100));
        assert_eq!(b.peer_pace(), None);
        b.observe(at(1), &told(100, 98, 100));
        assert_eq!(b.peer_pace(), None);
        // One more of ours, and the window fell by 5: 4 were someone else's.
        assert_eq!(b.acquire(at(2), Lane::Read, 0), BudgetStep::Go);
        b.observe(at(2), &told(100, 93, 100));
        let (allow, used) = b.peer_pace().expect("peers seen");
        assert_eq!(used, 4);
        // Slow start: what the target (80) leaves beside the peers' pace so far, here all of
        // the share (60): 4 in a few seconds is a light pace, smoothed.
        assert!((allow - 60.0).abs() < 1e-9, "{allow}");
        // Busy peers: 40 more within the next second leave an eighth of the share (60 / 8).
        let mut busy = hundred(true);
        assert_eq!(busy.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        busy.observe(at(5), &told(100, 59, 100));
        let (allow, used) = busy.peer_pace().expect("peers seen");
        assert_eq!(used, 40);
        assert!((allow - 7.5).abs() < 1e-9, "{allow}");
        // The blind budget sees nothing.
        let mut blind = hundred(false);
        assert_eq!(blind.acquire(at(0), Lane::Read, 0), BudgetStep::Go);
        blind.observe(at(1), &told(100, 50, 100));
        assert_eq!(blind.peer_pace(), None);
    }

    #[test]
    fn among_busy_peers_the_pace_falls_and_among_idle_ones_it_grows_to_the_share() {
        // Peers spend 0.7 a second (70 of each window): with this process's own, past the
        // target of 80 — its pace settles where the sum stays near the target.
        let mut b = hundred(true);
        let sent = watch_among(&mut b, 0.0, 2000.0, 0.7);
        let (allow, _) = b.peer_pace().expect("peers seen");
        assert!(allow < 20.0, "{allow}");
        let last: Vec<&f64> = sent.iter().filter(|&&t| t >= 1000.0).collect();
        let per_window = last.len() as f64 / 10.0;
        assert!(per_window > 3.0 && per_window < 20.0, "{per_window}");
        // Peers that spend little: the pace grows back to the share (60 a window).
        let mut b = hundred(true);
        watch_among(&mut b, 0.0, 3000.0, 0.05);
        let (allow, _) = b.peer_pace().expect("peers seen");
        assert!(allow > 50.0, "{allow}");
    }

    #[test]
    fn among_peers_a_429_restarts_at_a_jittered_moment_and_alone_at_the_reset() {
        let mut waits = Vec::new();
        for random in [1u64, 5_000, 9_999] {
            let mut b = hundred(true);
            // Peers seen, then a 429 until 100 s.
            watch_among(&mut b, 0.0, 50.0, 0.5);
            assert!(b.peer_pace().is_some());
            b.observe(
                at(50),
                &ResponseMeta {
                    status: 429,
                    ..told(100, 0, 100)
                },
            );
            let BudgetStep::Wait(d) = b.acquire(at(50), Lane::Watch, random) else {
                panic!("a 429 holds the lane");
            };
            assert!(d >= Duration::from_secs(50), "{d:?}");
            waits.push(d);
            // Reads are held until the reset, not jittered.
            assert_eq!(
                b.acquire(at(50), Lane::Read, random),
                BudgetStep::Wait(Duration::from_secs(50))
            );
        }
        assert!(waits[0] < waits[1] && waits[1] < waits[2], "{waits:?}");
        let mut alone = hundred(true);
        watch_among(&mut alone, 0.0, 50.0, 0.0);
        // Its own requests, and nothing else, spent the window.
        let own = alone.counts().0;
        let spent = ResponseMeta {
            status: 429,
            ..told(own, 0, 100)
        };
        alone.observe(at(50), &spent);
        assert_eq!(alone.peer_pace(), None);
        assert_eq!(
            alone.acquire(at(50), Lane::Watch, 9_999),
            BudgetStep::Wait(Duration::from_secs(50))
        );
    }

    #[test]
    fn a_lone_watcher_asking_every_3_s_is_never_held_back() {
        // The change feed's small listings: one every 3 s at the platform's window. Pacing
        // holds a request at most by the even spacing (300 s / 600 = 0.5 s), so never here.
        let mut b = Budget::new(BudgetPolicy::default());
        let mut spent = 0u64;
        let mut longest = Duration::ZERO;
        for i in 0..400u64 {
            let asked = at(3 * i);
            let mut t = asked;
            let window = 3 * i / 300;
            loop {
                match b.acquire(t, Lane::Watch, i) {
                    BudgetStep::Go => break,
                    BudgetStep::Wait(d) => t += d,
                    BudgetStep::Probe => b.probe_failed(),
                }
            }
            longest = longest.max(t - asked);
            spent = if 3 * (i.max(1) - 1) / 300 == window {
                spent + 1
            } else {
                1
            };
            b.observe(t, &meta(200, 1000 - spent, (window + 1) * 300));
        }
        assert!(longest <= Duration::from_secs(1), "{longest:?}");
        assert_eq!(longest, Duration::ZERO);
        assert_eq!(b.peer_pace(), None);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Acquire(u8, u64),
            Answer(u16, u64, u64),
            Bare(u16),
            Release,
            Probe(u64, u64),
            Pass(u64),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0u8..4, any::<u64>()).prop_map(|(l, r)| Op::Acquire(l, r)),
                4 => (prop_oneof![Just(200u16), Just(429), Just(500)], 0u64..120, 0u64..400)
                    .prop_map(|(s, rem, reset)| Op::Answer(s, rem, reset)),
                1 => prop_oneof![Just(200u16), Just(429)].prop_map(Op::Bare),
                1 => Just(Op::Release),
                1 => (0u64..120, 0u64..400).prop_map(|(rem, reset)| Op::Probe(rem, reset)),
                2 => (0u64..30_000).prop_map(Op::Pass),
            ]
        }

        proptest! {
            #[test]
            fn never_more_than_remaining_less_the_reserve_never_a_panic_and_paces_stay_sane(
                ops in proptest::collection::vec(op(), 1..200),
                reserve in 0u64..12,
                limit in 1u64..120,
            ) {
                let mut b = Budget::new(
                    BudgetPolicy::default()
                        .with_reserve(reserve)
                        .with_window(limit, Duration::from_secs(60)),
                );
                let mut t = at(0);
                for op in ops {
                    match op {
                        Op::Acquire(l, random) => {
                            let lane = [Lane::Read, Lane::Watch, Lane::Change, Lane::Bulk][l as usize];
                            let before = b.window;
                            if b.acquire(t, lane, random) == BudgetStep::Go {
                                if let (Some(w), Lane::Read | Lane::Watch) = (b.window, lane) {
                                    // Granted only above the reserve of the window it was
                                    // granted in (a rolled-over window is assumed full).
                                    let rolled = before.is_some_and(|p| p.reset != w.reset);
                                    let reserve = reserve.min(w.limit / 10);
                                    prop_assert!(
                                        rolled || w.remaining.saturating_sub(b.outstanding) >= reserve,
                                        "{w:?} outstanding {}", b.outstanding
                                    );
                                }
                            }
                        }
                        Op::Answer(status, rem, reset) => b.observe(t, &ResponseMeta {
                            status,
                            rate_limit: Some(RateLimit {
                                limit: limit.max(rem),
                                remaining: rem,
                                reset: T0 + reset,
                            }),
                            ..ResponseMeta::default()
                        }),
                        Op::Bare(status) => b.observe(t, &ResponseMeta {
                            status,
                            ..ResponseMeta::default()
                        }),
                        Op::Release => b.release(),
                        Op::Probe(rem, reset) => b.observe_probe(t, Some(RateLimit {
                            limit: limit.max(rem),
                            remaining: rem,
                            reset: T0 + reset,
                        })),
                        Op::Pass(ms) => t += Duration::from_millis(ms),
                    }
                    let p = &b.peers;
                    prop_assert!(p.allow.is_finite() && p.allow >= 0.0, "{p:?}");
                    prop_assert!(p.rate.is_finite() && p.rate >= 0.0, "{p:?}");
                    if let Some((allow, _)) = b.peer_pace() {
                        prop_assert!(allow > 0.0 && allow.is_finite(), "{p:?}");
                    }
                    prop_assert!(b.peer_interval() > Duration::ZERO);
                }
            }
        }
    }
}
