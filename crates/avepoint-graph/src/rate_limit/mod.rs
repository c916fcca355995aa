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

use std::sync::{Arc, Mutex};
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
#[derive(Debug)]
pub(crate) struct RateLimiter {
    state: Mutex<State>,
    origin: Instant,
    clock: Arc<dyn Clock>,
}

/// The algorithm's state and the rate last traced.
#[derive(Debug)]
struct State {
    core: Core,
    traced_rate: Option<f64>,
}

/// A request's pass: hand it back with the outcome.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass(Permit);

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
        Self {
            state: Mutex::new(State {
                core: Core::new(cap, adaptive),
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

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the request's turn; fails without waiting when the turn would come `max_wait`
    /// or later.
    pub(crate) async fn acquire(
        &self,
        max_wait: Option<Duration>,
    ) -> Result<Pass, WouldPassDeadline> {
        let started = self.now();
        loop {
            let now = self.now();
            let left = max_wait.map(|m| (m.as_secs_f64() - (now - started)).max(0.0));
            let slot = self.lock().core.reserve(now, left);
            match slot {
                Slot::Now(permit) => return Ok(Pass(permit)),
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
                    let now = self.now();
                    if let Some(permit) = self.lock().core.confirm(now, at, generation) {
                        return Ok(Pass(permit));
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
        let mut state = self.lock();
        let change = state.core.on_response(self.now(), pass.0, outcome);
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
