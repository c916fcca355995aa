//! Retries: which failures are retried, how long to wait, and when to give up.
//!
//! One mechanism serves API calls and token requests alike: `run` repeats a whole attempt
//! (a fresh request each time) while the error is transient ([`Error::is_transient`]: 408, 429,
//! 500, 502, 503, 504, connection errors and timeouts). 400, 401 (handled by the client with a
//! single token refresh), 403 and 404 are never retried.
//!
//! Defaults, chosen against the retry behaviour of established SDKs (Microsoft Kiota, the
//! AvePoint PowerShell module, the AWS SDKs, azure_core):
//!
//! | | default | why |
//! |---|---|---|
//! | attempts | 4 (1 + 3 retries) | like Kiota and the PowerShell module; AWS stops at 3 in total |
//! | backoff | full jitter, `rand[0,1) × min(250 ms × 2^n, 8 s)` | AWS's spread (no synchronised retry storms, unlike Kiota and the PowerShell module) with a shorter base |
//! | `Retry-After` | honoured in seconds and HTTP-date forms (plus `retry-after-ms`), up to 60 s; a longer one ends the call at once with [`GiveUpReason::RetryAfterTooLong`] | azure_core waits uncapped; the PowerShell module breaks on dates |
//! | deadline | 60 s for the whole call, waits included | azure_core's total cap; AWS has none |
//! | budget | a client-wide token bucket (500, 5 per blind retry, 1 back per success); a retry the server paced with `Retry-After` is not charged | AWS's, so a failing service is not hammered by a fan-out, while a rate limit that says when to come back is simply obeyed |
//!
//! Time goes through the client's [`Clock`] (see [`crate::Clock`]): the call's deadline and
//! elapsed time are read from it, backoff and `Retry-After` are waits on it
//! ([`Clock::sleep`]), and each attempt races its timer ([`Clock::timeout`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::clock::{self, Clock};
use crate::error::{DisplayDuration, Error, GiveUpReason};
use crate::rate_limit::RateLimiter;

/// How failed calls are retried. Build one with [`RetryPolicy::default`] and the setters, or
/// turn retries off with [`RetryPolicy::disabled`].
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    deadline: Option<Duration>,
    budget: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            deadline: Some(Duration::from_secs(60)),
            budget: Some(500),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in total, the first included (at least 1). Default 4.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff base: the n-th retry waits a random time below `min(base × 2^n, cap)`.
    /// Default 250 ms.
    pub fn initial_backoff(mut self, base: Duration) -> Self {
        self.initial_backoff = base;
        self
    }

    /// The cap on one computed backoff. Default 8 s.
    pub fn max_backoff(mut self, cap: Duration) -> Self {
        self.max_backoff = cap;
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the call with
    /// [`GiveUpReason::RetryAfterTooLong`]. Default 60 s.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// The overall deadline of one call, all attempts and waits included (`None`: no
    /// deadline, only the attempt count bounds the call). Default 60 s.
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The client-wide retry budget (`None` to disable it): a token bucket of this capacity
    /// from which each blind retry (no `Retry-After` from the server) takes 5 and each
    /// success returns 1. Retries the server paced with `Retry-After` are not charged: the
    /// client already waits as long as it was told. Default 500.
    pub fn budget(mut self, capacity: Option<u32>) -> Self {
        self.budget = capacity;
        self
    }

    /// Attempts in total.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The configured overall deadline.
    pub fn overall_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The upper bound of the wait before retry number `retry` (1-based), before jitter.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The client-wide retry budget: a token bucket shared by all clones of a client.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    available: AtomicU32,
}

const RETRY_COST: u32 = 5;
const SUCCESS_REFUND: u32 = 1;

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            capacity,
            available: AtomicU32::new(capacity),
        }
    }

    fn try_take(&self) -> bool {
        self.available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                n.checked_sub(RETRY_COST)
            })
            .is_ok()
    }

    fn refund(&self) {
        let _ = self
            .available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then(|| (n + SUCCESS_REFUND).min(self.capacity))
            });
    }
}

/// What the retry loop needs besides the policy: the clock and the shared budget.
#[derive(Debug, Clone)]
pub(crate) struct RetryRuntime {
    pub(crate) policy: RetryPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) budget: Option<Arc<RetryBudget>>,
    /// The longest one attempt may take (the client's attempt timeout), if bounded.
    pub(crate) attempt_timeout: Option<Duration>,
    /// The client-side rate limiter each attempt waits for (API calls only).
    pub(crate) limiter: Option<Arc<RateLimiter>>,
}

impl RetryRuntime {
    pub(crate) fn new(policy: RetryPolicy, clock: Arc<dyn Clock>) -> Self {
        let budget = policy.budget.map(|c| Arc::new(RetryBudget::new(c)));
        Self {
            policy,
            clock,
            budget,
            attempt_timeout: None,
            limiter: None,
        }
    }

    /// Paces every attempt with `limiter` and feeds it each attempt's outcome.
    pub(crate) fn with_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Bounds each attempt to `timeout` (besides the call's deadline).
    pub(crate) fn with_attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The time left before the deadline of a call that started at `start` (on the clock).
    pub(crate) fn remaining(&self, start: Instant) -> Option<Duration> {
        self.policy
            .deadline
            .map(|d| d.saturating_sub(self.elapsed(start)))
    }

    /// The time spent since `start` (on the clock).
    pub(crate) fn elapsed(&self, start: Instant) -> Duration {
        clock::elapsed(&*self.clock, start)
    }
}

/// Runs `attempt` (given the 1-based attempt number) until it succeeds, fails with a
/// non-transient error, or the policy says stop. Each attempt is cut off at the attempt
/// timeout or the call's deadline, whichever comes first: one timer per attempt. `target`
/// (the URL called) names what timed out.
pub(crate) async fn run<T, F, Fut>(
    rt: &RetryRuntime,
    operation: &str,
    target: &str,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let start = rt.clock.now();
    let policy = &rt.policy;
    let give_up = |attempts: u32, reason: GiveUpReason, last: Error| Error::RetriesExhausted {
        attempts,
        elapsed: rt.elapsed(start),
        reason,
        last: Box::new(last),
    };
    let mut n = 0u32;
    // The error of the attempt before, while a retry is under way.
    let mut retrying: Option<Error> = None;
    loop {
        n += 1;
        // The limiter's wait is part of the call: it counts toward the deadline. A retry
        // whose slot would come too late is not made: the call gives up on the error before.
        // The first attempt starts with the whole deadline (the clock was read at `start`).
        let mut left = if n == 1 {
            policy.deadline
        } else {
            rt.remaining(start)
        };
        let pass = match &rt.limiter {
            Some(limiter) => match limiter.acquire(left).await {
                Ok(pass) => {
                    if pass.slept() {
                        left = rt.remaining(start);
                    }
                    Some(pass)
                }
                Err(refused) => {
                    return Err(match retrying.take() {
                        Some(last) => give_up(n - 1, GiveUpReason::Deadline, last),
                        None => refused.into_error(target, operation, n, rt.elapsed(start)),
                    });
                }
            },
            None => None,
        };
        let limit = match (left, rt.attempt_timeout) {
            (Some(left), Some(per_attempt)) => Some(left.min(per_attempt)),
            (left, per_attempt) => left.or(per_attempt),
        };
        let result = match limit {
            Some(limit) => match clock::within(&*rt.clock, limit, attempt(n)).await {
                Some(r) => r,
                None => Err(Error::Transport {
                    url: target.to_owned(),
                    message: if left == Some(limit) {
                        format!(
                            "the call's deadline of {} passed during attempt {n} of {operation}",
                            DisplayDuration(policy.deadline.unwrap_or_default())
                        )
                    } else {
                        format!(
                            "attempt {n} of {operation} timed out after {}",
                            DisplayDuration(limit)
                        )
                    },
                    timed_out: true,
                    source: None,
                }),
            },
            None => attempt(n).await,
        };
        if let (Some(limiter), Some(pass)) = (&rt.limiter, pass) {
            limiter.record(pass, crate::rate_limit::answered_status(&result));
        }
        let error = match result {
            Ok(value) => {
                if let Some(budget) = &rt.budget {
                    budget.refund();
                }
                return Ok(value);
            }
            Err(e) if !e.is_transient() => {
                return Err(e);
            }
            Err(e) => e,
        };

        if policy.max_attempts <= 1 {
            return Err(error);
        }
        if n >= policy.max_attempts {
            return Err(give_up(n, GiveUpReason::MaxAttempts, error));
        }
        let wait = match error.retry_after() {
            Some(requested) if requested > policy.max_retry_after => {
                return Err(give_up(
                    n,
                    GiveUpReason::RetryAfterTooLong {
                        requested,
                        cap: policy.max_retry_after,
                    },
                    error,
                ));
            }
            Some(requested) => requested,
            None => jittered(policy.backoff_ceiling(n)),
        };
        if rt.remaining(start).is_some_and(|left| wait >= left) {
            return Err(give_up(n, GiveUpReason::Deadline, error));
        }
        let paced_by_server = error.retry_after().is_some();
        if !paced_by_server && rt.budget.as_ref().is_some_and(|b| !b.try_take()) {
            return Err(give_up(n, GiveUpReason::BudgetExhausted, error));
        }
        tracing::warn!(
            operation,
            attempt = n,
            wait_ms = wait.as_millis() as u64,
            status = error.status(),
            error = %crate::error::Chain(&error),
            "transient failure; retrying"
        );
        rt.clock.sleep(wait).await;
        retrying = Some(error);
    }
}

/// Full jitter: a uniformly random wait in `[0, ceiling)`.
fn jittered(ceiling: Duration) -> Duration {
    ceiling.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;

    fn api(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Api(Box::new(crate::error::ApiError {
            operation: "op",
            status,
            request_id: None,
            retry_after,
            message: None,
            body_snippet: String::new(),
            hints: &crate::operation::StatusHints::LICENSE,
        }))
    }

    fn runtime(policy: RetryPolicy) -> (RetryRuntime, TestClock) {
        let clock = TestClock::new();
        (RetryRuntime::new(policy, Arc::new(clock.clone())), clock)
    }

    #[tokio::test]
    async fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(250));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(500));
        assert_eq!(p.backoff_ceiling(10), Duration::from_secs(8));
        assert_eq!(p.backoff_ceiling(100), Duration::from_secs(8));
        for _ in 0..100 {
            assert!(jittered(Duration::from_secs(1)) < Duration::from_secs(1));
        }
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let (rt, rec) = runtime(RetryPolicy::default());
        let out = run(&rt, "op", "http://127.0.0.1:1", |n| async move {
            if n < 3 { Err(api(503, None)) } else { Ok(n) }
        })
        .await;
        assert_eq!(out.expect("third attempt succeeds"), 3);
        let waits = rec.waits();
        assert_eq!(waits.len(), 2);
        assert!(waits[0] < Duration::from_millis(250));
        assert!(waits[1] < Duration::from_millis(500));
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        for status in [400, 401, 403, 404] {
            let (rt, rec) = runtime(RetryPolicy::default());
            let mut calls = 0;
            let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| {
                calls += 1;
                async move { Err(api(status, None)) }
            })
            .await;
            assert_eq!(out.expect_err("fails").status(), Some(status));
            assert_eq!(calls, 1);
            assert!(rec.waits().is_empty());
        }
    }

    #[tokio::test]
    async fn retry_after_is_honoured_and_capped() {
        let (rt, rec) = runtime(RetryPolicy::default());
        let out = run(&rt, "op", "http://127.0.0.1:1", |n| async move {
            if n == 1 {
                Err(api(429, Some(Duration::from_secs(7))))
            } else {
                Ok(())
            }
        })
        .await;
        assert!(out.is_ok());
        assert_eq!(rec.waits(), vec![Duration::from_secs(7)]);

        let (rt, rec) = runtime(RetryPolicy::default());
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            Err(api(429, Some(Duration::from_secs(3600))))
        })
        .await;
        match out.expect_err("gives up") {
            Error::RetriesExhausted {
                attempts: 1,
                reason: GiveUpReason::RetryAfterTooLong { requested, .. },
                ..
            } => {
                assert_eq!(requested, Duration::from_secs(3600));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(rec.waits().is_empty());
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let (rt, _) = runtime(RetryPolicy::default().max_attempts(3));
        let mut calls = 0;
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| {
            calls += 1;
            async { Err(api(500, None)) }
        })
        .await;
        assert!(matches!(
            out,
            Err(Error::RetriesExhausted {
                attempts: 3,
                reason: GiveUpReason::MaxAttempts,
                ..
            })
        ));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn disabled_policy_makes_one_attempt_and_returns_the_error() {
        let (rt, _) = runtime(RetryPolicy::disabled());
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            Err(api(503, None))
        })
        .await;
        assert_eq!(out.expect_err("fails").status(), Some(503));
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_gives_up() {
        let policy = RetryPolicy::default().deadline(Some(Duration::from_secs(5)));
        let (rt, rec) = runtime(policy);
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            Err(api(503, Some(Duration::from_secs(10))))
        })
        .await;
        assert!(matches!(
            out,
            Err(Error::RetriesExhausted {
                reason: GiveUpReason::Deadline,
                ..
            })
        ));
        assert!(rec.waits().is_empty());
    }

    #[tokio::test]
    async fn waits_count_toward_the_deadline_on_the_clock() {
        // 5 s deadline, the server asks for 3 s each time: the first wait fits, the second
        // would end past the deadline (3 s of it are spent, on the clock, not in real time).
        let policy = RetryPolicy::default().deadline(Some(Duration::from_secs(5)));
        let (rt, clock) = runtime(policy);
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            Err(api(503, Some(Duration::from_secs(3))))
        })
        .await;
        match out.expect_err("gives up") {
            Error::RetriesExhausted {
                attempts: 2,
                elapsed,
                reason: GiveUpReason::Deadline,
                ..
            } => assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(clock.waits(), vec![Duration::from_secs(3)]);
    }

    #[tokio::test]
    async fn a_retry_the_rate_limiter_would_delay_past_the_deadline_is_not_made() {
        // One request per second, a 900 ms deadline: after a 503 and its short backoff,
        // the retry's slot is a second after the first attempt, past the deadline.
        let clock = TestClock::new();
        let limiter = Arc::new(RateLimiter::new(Some(1.0), false, Arc::new(clock.clone())));
        let rt = RetryRuntime::new(
            RetryPolicy::default().deadline(Some(Duration::from_millis(900))),
            Arc::new(clock.clone()),
        )
        .with_limiter(limiter);
        let mut calls = 0;
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| {
            calls += 1;
            async { Err(api(503, None)) }
        })
        .await;
        assert_eq!(calls, 1);
        match out.expect_err("gives up") {
            Error::RetriesExhausted {
                attempts: 1,
                reason: GiveUpReason::Deadline,
                last,
                ..
            } => assert_eq!(last.status(), Some(503)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_limiters_wait_shortens_the_attempts_time() {
        // One request per second and a slot already taken: the call's first attempt waits
        // a second (skipped on the test clock) of its 1.2 s deadline, so it has 0.2 s left,
        // not 1.2 s, and an attempt of half a second is cut.
        let clock = TestClock::new();
        let limiter = Arc::new(RateLimiter::new(Some(1.0), false, Arc::new(clock.clone())));
        limiter.acquire(None).await.expect("the first slot");
        let rt = RetryRuntime::new(
            RetryPolicy::default()
                .deadline(Some(Duration::from_millis(1200)))
                .max_attempts(1),
            Arc::new(clock.clone()),
        )
        .with_limiter(limiter);
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(())
        })
        .await;
        assert!(
            matches!(
                out,
                Err(Error::Transport {
                    timed_out: true,
                    ..
                })
            ),
            "{out:?}"
        );
        assert_eq!(clock.waits().len(), 1, "{:?}", clock.waits());
    }

    #[tokio::test]
    async fn a_slow_attempt_is_cut_at_the_deadline() {
        let policy = RetryPolicy::default()
            .deadline(Some(Duration::from_millis(50)))
            .max_attempts(1);
        let (rt, _) = runtime(policy);
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        })
        .await;
        assert!(matches!(
            out,
            Err(Error::Transport {
                timed_out: true,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn retries_paced_by_retry_after_are_not_charged_to_the_budget() {
        let (rt, rec) = runtime(RetryPolicy::default().budget(Some(5)));
        for _ in 0..3 {
            let out = run(&rt, "op", "http://127.0.0.1:1", |n| async move {
                if n < 3 {
                    Err(api(429, Some(Duration::from_secs(1))))
                } else {
                    Ok(())
                }
            })
            .await;
            assert!(out.is_ok(), "{out:?}");
        }
        assert_eq!(rec.waits().len(), 6);
        // The budget is untouched: one blind retry still fits.
        let out = run(&rt, "op", "http://127.0.0.1:1", |n| async move {
            if n < 2 { Err(api(503, None)) } else { Ok(()) }
        })
        .await;
        assert!(out.is_ok(), "{out:?}");
    }

    #[tokio::test]
    async fn the_budget_stops_retry_storms() {
        let (rt, _) = runtime(RetryPolicy::default().budget(Some(10)));
        let out: Result<(), _> = run(&rt, "op", "http://127.0.0.1:1", |_| async {
            Err(api(503, None))
        })
        .await;
        assert!(matches!(
            out,
            Err(Error::RetriesExhausted {
                attempts: 3,
                reason: GiveUpReason::BudgetExhausted,
                ..
            })
        ));
    }
}
