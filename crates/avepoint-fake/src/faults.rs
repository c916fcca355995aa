//! Fault injection: scripted and random failures, periodic rate limiting and latency,
//! separately for the token endpoint and the API.
//!
//! Faults act like a gateway in front of the service: they are decided before the request
//! is authenticated or validated. For each request of an endpoint the server, in order,
//! 1. sleeps the endpoint's latency (if any),
//! 2. answers `429` if the API's rate limit ([`crate::rate_limit`]) has no token left for
//!    the client,
//! 3. takes the next scripted fault from the endpoint's queue (see
//!    [`crate::FakeControl::inject`]),
//! 4. otherwise answers `429` if this is every `n`-th request ([`EndpointFaults::rate_limit_every`]),
//! 5. otherwise draws a random fault ([`EndpointFaults::random`]),
//! 6. otherwise serves the request normally.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::dataset::SplitMix;
use crate::rate_limit::{RateLimit, RateLimitState};

/// Which endpoint a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultTarget {
    /// `POST /connect/token`.
    Token,
    /// The API routes: the seats reports (`users`, `tenants/batch`) and the customers
    /// listing.
    Api,
}

/// The value of a `Retry-After` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// Delay-seconds form: `Retry-After: 2`.
    Seconds(u64),
    /// HTTP-date form, this long after the response is sent:
    /// `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`. HTTP dates have a one-second
    /// resolution, so use at least two seconds for a predictable wait.
    HttpDate(Duration),
}

impl RetryAfter {
    /// The header value, relative to `now`.
    pub fn header_value(&self, now: SystemTime) -> String {
        match self {
            RetryAfter::Seconds(s) => s.to_string(),
            RetryAfter::HttpDate(d) => httpdate::fmt_http_date(now + *d),
        }
    }
}

impl Default for RetryAfter {
    fn default() -> Self {
        RetryAfter::Seconds(1)
    }
}

/// One injected failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests`, with `Retry-After` if given.
    TooManyRequests {
        /// The `Retry-After` header to send.
        retry_after: Option<RetryAfter>,
    },
    /// `503 Service Unavailable`, with `Retry-After` if given.
    ServiceUnavailable {
        /// The `Retry-After` header to send.
        retry_after: Option<RetryAfter>,
    },
    /// `500 Internal Server Error`.
    InternalServerError,
    /// `200 OK` with `Content-Type: application/json` and a body cut in half (the first half
    /// of what the request would otherwise have returned).
    MalformedJson,
    /// The request is read, then its connection is closed without any response.
    DropConnection,
    /// The request is served normally after this extra delay.
    Delay(Duration),
}

impl Fault {
    /// `429` with `Retry-After: <seconds>`.
    pub fn rate_limited(seconds: u64) -> Self {
        Fault::TooManyRequests {
            retry_after: Some(RetryAfter::Seconds(seconds)),
        }
    }

    /// `503` with `Retry-After: <seconds>`.
    pub fn unavailable(seconds: u64) -> Self {
        Fault::ServiceUnavailable {
            retry_after: Some(RetryAfter::Seconds(seconds)),
        }
    }
}

/// Random faults: each request fails with probability `rate`, with a fault picked
/// uniformly from `kinds`. Deterministic for a given `seed` and request order.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomFaults {
    /// Probability in `0.0..=1.0` that a request gets a fault.
    pub rate: f64,
    /// Seed of the generator.
    pub seed: u64,
    /// The faults to pick from; empty means [`RandomFaults::default_kinds`].
    pub kinds: Vec<Fault>,
}

impl RandomFaults {
    /// Random faults at `rate` with the default, retryable kinds.
    pub fn new(rate: f64, seed: u64) -> Self {
        Self {
            rate,
            seed,
            kinds: Vec::new(),
        }
    }

    /// `429` and `503`, each with `Retry-After: 1`: the failures a well-behaved client retries.
    pub fn default_kinds() -> Vec<Fault> {
        vec![Fault::rate_limited(1), Fault::unavailable(1)]
    }
}

/// A fault repeated for the next `times` requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptedFault {
    /// The fault.
    pub fault: Fault,
    /// How many consecutive requests get it.
    pub times: u32,
}

/// The fault settings of one endpoint.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndpointFaults {
    /// Faults for the first requests, in order.
    pub script: Vec<ScriptedFault>,
    /// Delay added to every request.
    pub latency: Duration,
    /// Answer every `n`-th request (the `n`-th, `2n`-th, ...) with `429`.
    pub rate_limit_every: Option<NonZeroU32>,
    /// Random faults.
    pub random: Option<RandomFaults>,
}

/// Fault settings of the whole server, given at start ([`crate::FakeConfig::faults`]) and
/// changeable at run time through [`crate::FakeControl`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    /// Faults of `POST /connect/token`.
    pub token: EndpointFaults,
    /// Faults of the user-seats endpoint.
    pub api: EndpointFaults,
    /// `Retry-After` of the periodic rate limiting ([`EndpointFaults::rate_limit_every`]).
    pub retry_after: RetryAfter,
    /// Close this many first TCP connections right after accept, before reading a request
    /// (see [`crate::FakeControl::refuse_connections`]).
    pub refuse_connections: u64,
    /// Paging faults for the first page responses of the paginated routes, in order (see
    /// [`crate::FakeControl::inject_paging`]).
    pub paging: Vec<crate::paging::ScriptedPagingFault>,
    /// The API's rate limit per client id (see [`crate::rate_limit`]); checked after the
    /// latency and before every other fault.
    pub rate_limit: Option<RateLimit>,
}

/// What to do with one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) fault: Option<Fault>,
}

#[derive(Debug)]
struct EndpointState {
    queue: VecDeque<ScriptedFault>,
    latency: Duration,
    every: Option<NonZeroU32>,
    requests: u64,
    random: Option<(f64, SplitMix, Vec<Fault>)>,
}

impl EndpointState {
    fn new(config: &EndpointFaults) -> Self {
        let mut state = Self {
            queue: VecDeque::new(),
            latency: config.latency,
            every: config.rate_limit_every,
            requests: 0,
            random: None,
        };
        for s in &config.script {
            state.push(s.fault.clone(), s.times);
        }
        state.set_random(config.random.clone());
        state
    }

    fn push(&mut self, fault: Fault, times: u32) {
        if times > 0 {
            self.queue.push_back(ScriptedFault { fault, times });
        }
    }

    fn set_random(&mut self, random: Option<RandomFaults>) {
        self.random = random.map(|r| {
            let kinds = if r.kinds.is_empty() {
                RandomFaults::default_kinds()
            } else {
                r.kinds
            };
            (r.rate.clamp(0.0, 1.0), SplitMix(r.seed), kinds)
        });
    }

    fn next(&mut self, retry_after: RetryAfter) -> Decision {
        self.requests += 1;
        let mut decision = Decision {
            latency: self.latency,
            fault: None,
        };
        if let Some(front) = self.queue.front_mut() {
            decision.fault = Some(front.fault.clone());
            front.times -= 1;
            if front.times == 0 {
                self.queue.pop_front();
            }
        } else if self
            .every
            .is_some_and(|n| self.requests.is_multiple_of(u64::from(n.get())))
        {
            decision.fault = Some(Fault::TooManyRequests {
                retry_after: Some(retry_after),
            });
        } else if let Some((rate, rng, kinds)) = &mut self.random
            && rng.unit() < *rate
        {
            let i = rng.below(kinds.len() as u64) as usize;
            decision.fault = kinds.get(i).cloned();
        }
        if let Some(Fault::Delay(extra)) = decision.fault {
            decision.latency += extra;
            decision.fault = None;
        }
        decision
    }
}

/// The live fault state of a server.
#[derive(Debug)]
pub(crate) struct FaultState {
    token: Mutex<EndpointState>,
    api: Mutex<EndpointState>,
    retry_after: Mutex<RetryAfter>,
    pub(crate) rate_limit: RateLimitState,
}

impl FaultState {
    pub(crate) fn new(config: &FaultConfig) -> Self {
        Self {
            token: Mutex::new(EndpointState::new(&config.token)),
            api: Mutex::new(EndpointState::new(&config.api)),
            retry_after: Mutex::new(config.retry_after),
            rate_limit: RateLimitState::new(config.rate_limit),
        }
    }

    fn with<R>(&self, target: FaultTarget, f: impl FnOnce(&mut EndpointState) -> R) -> R {
        let lock = match target {
            FaultTarget::Token => &self.token,
            FaultTarget::Api => &self.api,
        };
        f(&mut lock.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn next(&self, target: FaultTarget) -> Decision {
        let retry_after = *self.retry_after.lock().unwrap_or_else(|e| e.into_inner());
        self.with(target, |s| s.next(retry_after))
    }

    pub(crate) fn inject(&self, target: FaultTarget, fault: Fault, times: u32) {
        self.with(target, |s| s.push(fault, times));
    }

    pub(crate) fn pending(&self, target: FaultTarget) -> u64 {
        self.with(target, |s| s.queue.iter().map(|f| u64::from(f.times)).sum())
    }

    pub(crate) fn set_latency(&self, target: FaultTarget, latency: Duration) {
        self.with(target, |s| s.latency = latency);
    }

    pub(crate) fn set_rate_limit_every(&self, target: FaultTarget, every: Option<NonZeroU32>) {
        self.with(target, |s| {
            s.every = every;
            s.requests = 0;
        });
    }

    pub(crate) fn set_random(&self, target: FaultTarget, random: Option<RandomFaults>) {
        self.with(target, |s| s.set_random(random));
    }

    pub(crate) fn set_retry_after(&self, retry_after: RetryAfter) {
        *self.retry_after.lock().unwrap_or_else(|e| e.into_inner()) = retry_after;
    }

    pub(crate) fn clear(&self) {
        self.rate_limit.set(None);
        for target in [FaultTarget::Token, FaultTarget::Api] {
            self.with(target, |s| {
                *s = EndpointState::new(&EndpointFaults::default())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_then_periodic_then_none() {
        let state = FaultState::new(&FaultConfig {
            api: EndpointFaults {
                script: vec![ScriptedFault {
                    fault: Fault::InternalServerError,
                    times: 2,
                }],
                rate_limit_every: NonZeroU32::new(3),
                ..EndpointFaults::default()
            },
            ..FaultConfig::default()
        });
        let faults: Vec<_> = (0..7).map(|_| state.next(FaultTarget::Api).fault).collect();
        let r = Some(Fault::rate_limited(1));
        assert_eq!(
            faults,
            [
                Some(Fault::InternalServerError),
                Some(Fault::InternalServerError),
                r.clone(),
                None,
                None,
                r,
                None
            ]
        );
        assert_eq!(state.next(FaultTarget::Token).fault, None);
    }

    #[test]
    fn random_faults_are_seeded() {
        let run = || {
            let state = FaultState::new(&FaultConfig::default());
            state.set_random(FaultTarget::Api, Some(RandomFaults::new(0.5, 9)));
            (0..200)
                .map(|_| state.next(FaultTarget::Api).fault)
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let n = a.iter().filter(|f| f.is_some()).count();
        assert!((60..140).contains(&n), "{n}");
    }

    #[test]
    fn retry_after_forms() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(RetryAfter::Seconds(3).header_value(t), "3");
        assert_eq!(
            RetryAfter::HttpDate(Duration::from_secs(2)).header_value(t),
            "Sun, 09 Sep 2001 01:46:42 GMT"
        );
    }
}
