//! Client-side rate limiting: an optional hard cap and an adaptive limiter that backs off
//! when the service throttles, shared by every clone of a [`crate::Client`].
//!
//! * **Hard cap** ([`crate::ClientBuilder::max_requests_per_second`]): API requests are
//!   spaced at least `1 / cap` apart, retries included.
//! * **Adaptive** ([`crate::ClientBuilder::adaptive_rate_limit`], on by default): nothing is
//!   paced until the service answers `429` or `503`. Then the limiter paces every request of
//!   the client at a send rate it lowers on each throttling response and grows back along
//!   the CUBIC curve (β = 0.7, C = 0.4) toward the last rate that throttled, probing above it
//!   later; see `core` for the rules.
//!
//! Waits for the limiter count toward the call's deadline ([`crate::RetryPolicy::deadline`]):
//! a call whose slot would come after its deadline fails at once instead of waiting.
//! Changes of the rate are traced at debug level (target `avepoint_graph::rate_limit`).
//!
//! Time: the algorithm (`core`) takes the current time as an argument and is unit-tested on
//! a simulated clock; the limiter reads the time from the client's [`crate::Clock`] and
//! waits for a slot with [`crate::Clock::sleep`], like the retry loop (see [`crate::Clock`]).

mod core;
mod cubic;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use std::time::Instant;

use self::core::{Change, Core, Outcome, Permit, Slot};
use crate::clock::Clock;
use crate::error::DisplayDuration;

/// The limiter settings of a [`crate::ClientBuilder`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateLimitConfig {
    pub(crate) max_requests_per_second: Option<f64>,
    pub(crate) adaptive: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            max_requests_per_second: None,
            adaptive: true,
        }
    }
}

impl RateLimitConfig {
    /// The limiter these settings describe; a cap that is not a positive, finite number is a
    /// configuration error.
    pub(crate) fn build(self, clock: Arc<dyn Clock>) -> Result<Arc<RateLimiter>, crate::Error> {
        if let Some(cap) = self.max_requests_per_second
            && !(cap.is_finite() && cap > 0.0)
        {
            return Err(crate::Error::Config(format!(
                "max_requests_per_second must be a positive number of requests per second, not {cap}"
            )));
        }
        Ok(Arc::new(RateLimiter::new(
            self.max_requests_per_second,
            self.adaptive,
            clock,
        )))
    }
}

/// What the rate limiter has seen and where it stands; see [`crate::Client::rate_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct RateLimitStats {
    /// API requests sent so far (attempts, retries included).
    pub requests: u64,
    /// Throttling responses (`429` and `503`) to API requests so far.
    pub throttled_responses: u64,
    /// How many times the adaptive limiter lowered the rate.
    pub decreases: u64,
    /// Whether the adaptive limiter has engaged (a throttling response was seen with
    /// adaptive mode on).
    pub adaptive_engaged: bool,
    /// The rate requests are paced at now, in requests per second (`None`: not paced).
    pub current_rate: Option<f64>,
    /// The hard cap ([`crate::ClientBuilder::max_requests_per_second`]).
    pub max_requests_per_second: Option<f64>,
}

/// The limiter of one client (and its clones).
///
/// While requests go unpaced (no hard cap, adaptive mode not engaged: the common case) a
/// request needs no slot, and the limiter only counts it. Concurrent calls then neither wait
/// for each other nor write shared state beyond one counter: a send is counted in
/// `unpaced_sends` (folded into the state by the next holder of the lock, as sent then), and
/// only one answer in [`UNPACED_SAMPLE`] takes the lock, if it is free, to refine the
/// round-trip estimate. On a multi-core machine every write to a shared cache line costs the
/// other cores a transfer, so the common path keeps them to one. Throttles and every paced
/// request take the lock.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    state: Mutex<State>,
    /// Mirrors `Core::unpaced`, updated under the lock.
    unpaced: AtomicBool,
    /// Sends let through unpaced, not yet folded into the state. On a cache line of its own:
    /// every unpaced call writes it, and the fields beside it are read by every call.
    unpaced_sends: OwnCacheLine<AtomicU64>,
    origin: Instant,
    clock: Arc<dyn Clock>,
}

/// A value on cache lines of its own (two: adjacent-line prefetching pairs them).
#[derive(Debug, Default)]
#[repr(align(128))]
struct OwnCacheLine<T>(T);

impl<T> std::ops::Deref for OwnCacheLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The algorithm's state and the rate last traced.
#[derive(Debug)]
struct State {
    core: Core,
    traced_rate: Option<f64>,
}

/// A request's pass: hand it back with the outcome.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass {
    permit: Permit,
    /// Whether its answer is taken as a round-trip sample while unpaced (one in
    /// [`UNPACED_SAMPLE`]; paced requests and throttles always count).
    sampled: bool,
    /// Whether `acquire` slept for it (time passed on the client's clock).
    slept: bool,
}

impl Pass {
    /// Whether getting it took a sleep (time passed on the client's clock), whichever slot
    /// the request finally got.
    pub(crate) fn slept(&self) -> bool {
        self.slept
    }

    fn paced(permit: Permit, slept: bool) -> Self {
        Self {
            permit,
            sampled: true,
            slept,
        }
    }
}

/// While unpaced, one answer in this many refines the round-trip estimate (and folds the
/// sends counted meanwhile into the state); the others touch no shared state at all.
const UNPACED_SAMPLE: u64 = 16;

/// The limiter would make the call wait past its deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WouldPassDeadline {
    /// How long the slot is away.
    pub(crate) wait: Duration,
    /// The rate requests are paced at, per second.
    pub(crate) rate: f64,
}

impl RateLimiter {
    /// A limiter with an optional hard cap and adaptive mode on or off.
    pub(crate) fn new(cap: Option<f64>, adaptive: bool, clock: Arc<dyn Clock>) -> Self {
        let core = Core::new(cap, adaptive);
        Self {
            unpaced: AtomicBool::new(core.unpaced()),
            unpaced_sends: OwnCacheLine(AtomicU64::new(0)),
            state: Mutex::new(State {
                core,
                traced_rate: None,
            }),
            origin: clock.now(),
            clock,
        }
    }

    /// Seconds since the limiter was made, on the client's clock.
    fn now(&self) -> f64 {
        crate::clock::elapsed(&*self.clock, self.origin).as_secs_f64()
    }

    /// The state, with the sends counted without it folded in.
    fn lock(&self) -> MutexGuard<'_, State> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.fold(state)
    }

    /// The state if no other call holds it (`None`: it is busy).
    fn try_lock(&self) -> Option<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(state) => Some(self.fold(state)),
            Err(TryLockError::Poisoned(e)) => Some(self.fold(e.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    fn fold<'a>(&self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        let missed = self.unpaced_sends.swap(0, Ordering::AcqRel);
        if missed > 0 {
            state.core.count_unpaced_sends(self.now(), missed);
        }
        state
    }

    /// Publishes whether requests go unpaced, after a change of the state (written only when
    /// it changed: every call reads it).
    fn publish(&self, state: &State) {
        let unpaced = state.core.unpaced();
        if self.unpaced.load(Ordering::Acquire) != unpaced {
            self.unpaced.store(unpaced, Ordering::Release);
        }
    }

    /// Waits for the request's turn; fails without waiting when the turn would come `max_wait`
    /// or later.
    pub(crate) async fn acquire(
        &self,
        max_wait: Option<Duration>,
    ) -> Result<Pass, WouldPassDeadline> {
        let started = self.now();
        if self.unpaced.load(Ordering::Acquire) {
            // Counted aside (folded in by the next holder of the lock): no lock taken.
            let sends = self.unpaced_sends.fetch_add(1, Ordering::AcqRel);
            return Ok(Pass {
                permit: Permit::unpaced(started),
                sampled: sends.is_multiple_of(UNPACED_SAMPLE),
                slept: false,
            });
        }
        let mut now = started;
        let mut slept = false;
        loop {
            let left = max_wait.map(|m| (m.as_secs_f64() - (now - started)).max(0.0));
            let slot = self.lock().core.reserve(now, left);
            match slot {
                Slot::Now(permit) => return Ok(Pass::paced(permit, slept)),
                Slot::TooLate { wait } => {
                    return Err(WouldPassDeadline {
                        wait: Duration::from_secs_f64(wait.max(0.0)),
                        rate: self.lock().core.effective_rate().unwrap_or_default(),
                    });
                }
                Slot::At { at, generation } => {
                    self.clock
                        .sleep(Duration::from_secs_f64((at - now).max(0.0)))
                        .await;
                    slept = true;
                    now = self.now();
                    if let Some(permit) = self.lock().core.confirm(now, at, generation) {
                        return Ok(Pass::paced(permit, slept));
                    }
                }
            }
        }
    }

    /// Feeds back the HTTP status of the response to `pass` (`None`: no response).
    pub(crate) fn record(&self, pass: Pass, status: Option<u16>) {
        let outcome = match status {
            Some(429 | 503) => Outcome::Throttled,
            Some(_) => Outcome::Answered,
            None => Outcome::NoResponse,
        };
        let mut state = if outcome == Outcome::Answered && self.unpaced.load(Ordering::Acquire) {
            // An answer while unpaced only refines the round-trip estimate: samples may go.
            if !pass.sampled {
                return;
            }
            match self.try_lock() {
                Some(state) => state,
                None => return,
            }
        } else {
            self.lock()
        };
        let change = state.core.on_response(self.now(), pass.permit, outcome);
        self.publish(&state);
        let rate = state.core.effective_rate();
        let decreases = state.core.decreases();
        // Traced on every decrease, and when the rate has moved by a tenth since last traced.
        let trace = match (change, rate, state.traced_rate) {
            (Change::Decreased(_), ..) => true,
            (Change::Rate(_), Some(now), Some(then)) => (now - then).abs() >= then * 0.1,
            (Change::Rate(_), Some(_), None) => true,
            _ => false,
        };
        if trace {
            state.traced_rate = rate;
        }
        drop(state);
        if trace {
            let rate = rate.unwrap_or_default();
            if matches!(change, Change::Decreased(_)) {
                tracing::debug!(
                    target: "avepoint_graph::rate_limit",
                    rate,
                    decreases,
                    status,
                    "the service throttled; client-side rate lowered"
                );
            } else {
                tracing::debug!(target: "avepoint_graph::rate_limit", rate, "client-side rate grew");
            }
        }
    }

    /// A snapshot of the counters and the current rate.
    pub(crate) fn stats(&self) -> RateLimitStats {
        let state = self.lock();
        let core = &state.core;
        RateLimitStats {
            requests: core.requests(),
            throttled_responses: core.throttled(),
            decreases: core.decreases(),
            adaptive_engaged: core.engaged(),
            current_rate: core.effective_rate(),
            max_requests_per_second: core.cap(),
        }
    }
}

impl WouldPassDeadline {
    /// The error of a call that would wait for the limiter past its deadline, `spent` into
    /// the call: a timed-out transport error, transient like any timeout.
    pub(crate) fn into_error(
        self,
        target: &str,
        operation: &str,
        attempt: u32,
        spent: std::time::Duration,
    ) -> crate::Error {
        crate::Error::Transport {
            url: target.to_owned(),
            message: format!(
                "attempt {attempt} of {operation} would wait {} for the client-side rate limit ({:.1} requests/s), past the call's deadline ({} already spent); lower the concurrency",
                DisplayDuration(self.wait),
                self.rate,
                DisplayDuration(spent)
            ),
            timed_out: true,
            source: None,
        }
    }
}

/// The API's HTTP status of an attempt's result: `Some(200)`-like for a success, the error
/// status for an API error, `None` when no API response came (transport, token or decode
/// failures say nothing about the rate limit).
pub(crate) fn answered_status<T>(result: &Result<T, crate::Error>) -> Option<u16> {
    match result {
        Ok(_) => Some(200),
        Err(crate::Error::Api(e)) => Some(e.status),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TokioClock;

    /// Calls on many threads at once, unpaced: each send is counted exactly once, whether
    /// it found the state free or counted itself aside, and the first throttle still engages
    /// the limiter (so later requests take the paced path).
    #[test]
    fn concurrent_unpaced_sends_are_all_counted() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_time()
            .build()
            .expect("runtime");
        let limiter = Arc::new(RateLimiter::new(None, true, Arc::new(TokioClock)));
        runtime.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let limiter = limiter.clone();
                    tokio::spawn(async move {
                        for _ in 0..2_000 {
                            let pass = limiter.acquire(None).await.expect("unpaced");
                            limiter.record(pass, Some(200));
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("task");
            }
        });
        let stats = limiter.stats();
        assert_eq!(stats.requests, 16_000);
        assert!(!stats.adaptive_engaged);
        assert!(limiter.unpaced.load(Ordering::Acquire));

        let pass = runtime
            .block_on(limiter.acquire(None))
            .expect("still unpaced");
        limiter.record(pass, Some(429));
        let stats = limiter.stats();
        assert_eq!(stats.requests, 16_001);
        assert!(stats.adaptive_engaged);
        assert!(stats.current_rate.is_some());
        assert!(!limiter.unpaced.load(Ordering::Acquire));
    }

    /// A call that finds the state held by another goes on without waiting; its send is
    /// counted by the next holder, and its answer's round-trip sample is let go.
    #[test]
    fn an_unpaced_call_never_waits_for_the_lock() {
        let limiter = RateLimiter::new(None, true, Arc::new(TokioClock));
        let held = limiter.state.lock().expect("lock");
        // Polled once: an unpaced pass is ready at once, without the lock.
        let pass = futures::executor::block_on(limiter.acquire(None)).expect("unpaced");
        limiter.record(pass, Some(200));
        assert_eq!(held.core.requests(), 0);
        assert_eq!(limiter.unpaced_sends.load(Ordering::Acquire), 1);
        drop(held);
        assert_eq!(limiter.stats().requests, 1);
        assert_eq!(limiter.unpaced_sends.load(Ordering::Acquire), 0);
    }
}
