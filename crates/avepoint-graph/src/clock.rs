//! Time: one [`Clock`] for every wait and every deadline of a client. The design is
//! documented on the trait.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The time source and timer of a client ([`ClientBuilder::clock`](crate::ClientBuilder::clock)):
/// every wait and every deadline of the client goes through it, and nothing else does.
///
/// | what | reads the time | waits |
/// |---|---|---|
/// | retry loop | the call's deadline, the time a call took ([`Error::RetriesExhausted`](crate::Error::RetriesExhausted)) | backoff and `Retry-After` ([`Clock::sleep`]); each attempt's timeout ([`Clock::timeout`]) |
/// | rate limiter | when the next request may go | until its slot ([`Clock::sleep`]) |
/// | token cache | when a token was received and is due for refresh; the refusal cooldown | — |
///
/// Durations that only go into logs (span latencies) are measured with
/// [`std::time::Instant`]: they decide nothing.
///
/// # Why a clock of the SDK's own rather than tokio's paused time
///
/// Tokio's paused clock jumps ahead whenever the runtime is idle, and waiting for a real
/// socket is idle: against a real server on loopback (how this crate is tested), every
/// attempt timeout would fire at once. So the clock tells apart the two kinds of timer an
/// SDK has:
///
/// * a **wait** ([`Clock::sleep`]): the SDK chose to do nothing for a while (backoff,
///   `Retry-After`, rate-limit pacing). A test clock may skip it and move its time forward;
/// * a **timeout** ([`Clock::timeout`]): a bound racing real work in flight (an attempt's
///   request and response). Real work takes real time, so a test clock keeps it real.
///
/// [`TokioClock`] (the default) is tokio's timer and clock, so a program that pauses tokio's
/// time in its own tests sees the SDK follow. [`TestClock`] records and skips every wait,
/// keeps timeouts real, and reads real time plus everything it skipped, so the deadline,
/// the pacing and token expiry all see the skipped time. This follows the split of
/// `aws-smithy-async` (`AsyncSleep` + `TimeSource`), in one trait: the retry loop, the rate
/// limiter and the token cache must agree on one clock.
///
/// Implementations must be cheap: every attempt reads the time and arms one timeout.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant of this clock (monotonic).
    fn now(&self) -> Instant;

    /// Waits for `duration`: a retry's backoff, a server's `Retry-After`, a rate-limit slot.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

    /// The timer of a timeout: completes after `duration` unless the work it races (one
    /// attempt: request sent, response read) finishes first. Defaults to [`Clock::sleep`];
    /// a clock whose waits return at once must keep this one real.
    fn timeout(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.sleep(duration)
    }
}

/// Tokio's clock and timer: the default of every client.
///
/// Reads `tokio::time::Instant`, so paused tokio time (`#[tokio::test(start_paused = true)]`)
/// applies to the SDK too; mind that paused time jumps ahead while a real socket is awaited.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: every wait is recorded and returns at once, moving this clock's time
/// forward by its length; timeouts run in real time (they race real I/O).
///
/// Its time is the real time plus everything skipped, so the call's deadline, the rate
/// limiter and token expiry see each skipped wait as time that passed. Waits are skipped in
/// the order they are requested: concurrent waits add up instead of overlapping. Clones
/// share one record.
///
/// ```
/// # use std::{sync::Arc, time::Duration};
/// use avepoint_graph::{Client, Credentials, TestClock};
///
/// let clock = Arc::new(TestClock::new());
/// let client = Client::builder()
///     .credentials(Credentials::static_token("t"))
///     .clock(clock.clone())
///     .build()?;
/// // ... make calls; then look at the waits the retry loop and the limiter asked for:
/// assert!(clock.waits().is_empty());
/// // Move time on without a wait, e.g. past a token's refresh point.
/// clock.advance(Duration::from_secs(3600));
/// # Ok::<(), avepoint_graph::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct TestClock {
    state: Arc<Mutex<Skipped>>,
}

#[derive(Debug, Default)]
struct Skipped {
    total: Duration,
    waits: Vec<Duration>,
}

impl TestClock {
    /// A clock at real time, nothing skipped yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The waits requested so far ([`Clock::sleep`]), in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.lock().waits.clone()
    }

    /// How far this clock is ahead of real time: every wait and advance so far.
    pub fn skipped(&self) -> Duration {
        self.lock().total
    }

    /// Moves this clock's time forward by `duration` without recording a wait.
    pub fn advance(&self, duration: Duration) {
        let mut state = self.lock();
        state.total = state.total.saturating_add(duration);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Skipped> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        let real = tokio::time::Instant::now().into_std();
        real.checked_add(self.skipped()).unwrap_or(real)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut state = self.lock();
        state.waits.push(duration);
        state.total = state.total.saturating_add(duration);
        Box::pin(std::future::ready(()))
    }

    fn timeout(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The time elapsed on `clock` since `start` (zero if the clock went back).
pub(crate) fn elapsed(clock: &dyn Clock, start: Instant) -> Duration {
    clock.now().saturating_duration_since(start)
}

/// Runs `work` under a timeout of `limit` on `clock`: `None` when the timer fired first.
///
/// A future of its own rather than an `async fn`: an `async fn` keeps its argument and the
/// pinned copy it awaits side by side in its state, which doubled the attempt's share of
/// every call's future.
pub(crate) fn within<F: Future>(clock: &dyn Clock, limit: Duration, work: F) -> Within<F> {
    Within {
        work,
        timeout: clock.timeout(limit),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`within`]: `work` first, then the timer.
    pub(crate) struct Within<F> {
        #[pin]
        work: F,
        timeout: Pin<Box<dyn Future<Output = ()> + Send>>,
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(value) = this.work.poll(cx) {
            return Poll::Ready(Some(value));
        }
        this.timeout.as_mut().poll(cx).map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_test_clock_skips_waits_and_keeps_timeouts_real() {
        let clock = TestClock::new();
        let start = clock.now();
        clock.sleep(Duration::from_secs(30)).await;
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.waits(), vec![Duration::from_secs(30)]);
        assert!(elapsed(&clock, start) >= Duration::from_secs(35));
        assert!(elapsed(&clock, start) < Duration::from_secs(36));
        // A timeout races real work: quick work wins, slow work loses in real time.
        let quick = within(&clock, Duration::from_secs(5), async { 7 }).await;
        assert_eq!(quick, Some(7));
        let slow = within(
            &clock,
            Duration::from_millis(20),
            tokio::time::sleep(Duration::from_secs(30)),
        )
        .await;
        assert_eq!(slow, None);
        assert_eq!(clock.waits().len(), 1, "a timeout is not a wait");
    }

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_follows_paused_time() {
        let clock = TokioClock;
        let start = clock.now();
        clock.sleep(Duration::from_secs(90)).await;
        assert_eq!(elapsed(&clock, start), Duration::from_secs(90));
    }
}
