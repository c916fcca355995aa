//! The limiter's state machine, free of clocks and locks: every method takes the current
//! time (seconds since the limiter was created), so the tests drive it on a simulated clock.
//!
//! Pacing: requests are spaced `1 / rate` apart (no burst: a client paced below the
//! service's limit never empties the service's bucket, whatever its size). A caller reserves
//! the next free slot and sleeps until then; when the rate drops while it sleeps, its
//! reservation is stale and it reserves again at the new rate.
//!
//! Adaptation (when adaptive mode is on):
//! * before the first throttling response (429 or 503) nothing is paced;
//! * the first one engages the limiter at `β ×` the measured send rate and starts a slow
//!   start: each success adds `1 / round-trip` requests/s (the rate doubles every round trip,
//!   like TCP's slow start), so a conservative first guess costs little time;
//! * later throttling responses for requests sent at the current rate start a CUBIC epoch
//!   ([`Cubic`]): the rate drops to `β ×` the rate that was throttled and climbs back along
//!   the cubic. Like TCP, which does not take one duplicate acknowledgement for a loss, the
//!   limiter decreases only when a throttle is confirmed by another for a request sent after
//!   the first arrived, within [`CONFIRM_WINDOW`]: a lone `429` (or a clump of them, sent
//!   together) comes from a moment of jitter or a stall draining the service's bucket (the
//!   callers wait out their `Retry-After`), while a rate above the limit keeps drawing them. Responses to requests sent before the last decrease are counted but do not
//!   decrease again (they say nothing about the new rate);
//! * slow start only grows while the rate is used (at most twice the measured send rate: a
//!   client that does not use its rate learns nothing about a higher one); the rate never
//!   falls below [`MIN_RATE`].

use super::cubic::{BETA, Cubic};

/// The lowest adaptive rate, in requests per second.
pub(crate) const MIN_RATE: f64 = 0.5;

/// Time constant of the measured send rate, in seconds.
const SMOOTHING: f64 = 0.5;

/// Once engaged, a throttle decreases the rate only if it confirms an earlier one: its
/// request was sent after that one arrived, at most this many seconds before.
const CONFIRM_WINDOW: f64 = 1.0;

/// An exponentially decayed rate of events: each event adds `1 / SMOOTHING`, and the sum
/// decays with time constant `SMOOTHING`; for a steady stream it converges to the events
/// per second.
#[derive(Debug, Clone, Copy, Default)]
struct MeasuredRate {
    value: f64,
    at: f64,
}

impl MeasuredRate {
    fn get(&self, now: f64) -> f64 {
        self.value * (-(now - self.at).max(0.0) / SMOOTHING).exp()
    }

    fn add(&mut self, now: f64) {
        self.value = self.get(now) + 1.0 / SMOOTHING;
        self.at = self.at.max(now);
    }
}

/// Where the adaptive rate is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Phase {
    /// No throttling response yet: not paced.
    Off,
    /// Engaged, growing one request per round trip per success until the next throttle.
    SlowStart,
    /// Engaged, following the cubic since the last throttle.
    Cubic(Cubic),
}

/// A request allowed to go, with what the feedback needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Permit {
    /// When it was sent.
    pub(crate) sent: f64,
    /// The rate it was paced at (`None`: not paced).
    rate: Option<f64>,
    /// Whether it waited for its slot (the client was sending at the full rate).
    waited: bool,
}

impl Permit {
    /// The permit of a request let through unpaced at `now`.
    pub(crate) fn unpaced(now: f64) -> Self {
        Self {
            sent: now,
            rate: None,
            waited: false,
        }
    }
}

/// The answer to a reservation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Slot {
    /// Send now.
    Now(Permit),
    /// Sleep until `at`, then [`Core::confirm`] with `generation`.
    At {
        /// When the slot comes.
        at: f64,
        /// The rate generation the slot belongs to.
        generation: u64,
    },
    /// The slot is `wait` seconds away, more than the caller may wait; nothing was reserved.
    TooLate {
        /// How long the caller would have to wait.
        wait: f64,
    },
}

/// How a request ended, as far as the limiter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A response that is not a throttle (a success, or an error the service chose to send).
    Answered,
    /// `429` or `503`.
    Throttled,
    /// No response (transport failure, timeout): says nothing about the rate.
    NoResponse,
}

/// What a response changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Change {
    /// Nothing.
    None,
    /// The rate grew (or was capped) to this.
    Rate(f64),
    /// A throttle lowered the rate to this (the first one engages the limiter).
    Decreased(f64),
}

/// The limiter's state.
#[derive(Debug, Clone)]
pub(crate) struct Core {
    cap: Option<f64>,
    adaptive: bool,
    phase: Phase,
    /// The adaptive rate (meaningful once engaged).
    rate: f64,
    /// When the current phase began (the last decrease).
    epoch_start: f64,
    /// Bumped at each decrease: reservations of older generations are redone.
    generation: u64,
    next_slot: f64,
    sends: MeasuredRate,
    /// Smoothed round-trip time of answered requests.
    srtt: Option<f64>,
    requests: u64,
    throttled: u64,
    decreases: u64,
    /// When the candidate throttle (unconfirmed) arrived.
    last_throttle: f64,
    /// When the last request was let through.
    last_send: f64,
}

impl Core {
    /// A limiter with an optional hard cap (requests per second) and adaptive mode on or off.
    pub(crate) fn new(cap: Option<f64>, adaptive: bool) -> Self {
        Self {
            cap,
            adaptive,
            phase: Phase::Off,
            rate: 0.0,
            epoch_start: f64::NEG_INFINITY,
            generation: 0,
            next_slot: 0.0,
            sends: MeasuredRate::default(),
            srtt: None,
            requests: 0,
            throttled: 0,
            decreases: 0,
            last_throttle: f64::NEG_INFINITY,
            last_send: f64::NEG_INFINITY,
        }
    }

    /// The rate requests are paced at now (`None`: not paced).
    pub(crate) fn effective_rate(&self) -> Option<f64> {
        let adaptive = (self.phase != Phase::Off).then_some(self.rate);
        match (self.cap, adaptive) {
            (Some(c), Some(a)) => Some(c.min(a)),
            (c, a) => c.or(a),
        }
    }

    /// Whether adaptive mode has engaged (a throttling response was seen).
    pub(crate) fn engaged(&self) -> bool {
        self.phase != Phase::Off
    }

    /// The current phase.
    #[cfg(test)]
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// Requests let through.
    pub(crate) fn requests(&self) -> u64 {
        self.requests
    }

    /// Throttling responses seen.
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled
    }

    /// Rate decreases made.
    pub(crate) fn decreases(&self) -> u64 {
        self.decreases
    }

    /// The hard cap.
    pub(crate) fn cap(&self) -> Option<f64> {
        self.cap
    }

    /// Reserves the next slot for a request at `now`, unless it is `max_wait` or more away.
    pub(crate) fn reserve(&mut self, now: f64, max_wait: Option<f64>) -> Slot {
        let Some(rate) = self.effective_rate() else {
            return Slot::Now(self.send(now, None, false));
        };
        let slot = self.next_slot.max(now);
        let wait = slot - now;
        if max_wait.is_some_and(|max| wait >= max) {
            return Slot::TooLate { wait };
        }
        self.next_slot = slot + 1.0 / rate;
        if wait <= 0.0 {
            Slot::Now(self.send(now, Some(rate), false))
        } else {
            Slot::At {
                at: slot,
                generation: self.generation,
            }
        }
    }

    /// After sleeping until a slot `at` of `generation`: the permit, or `None` if the rate dropped
    /// meanwhile or the caller woke too late (reserve again).
    ///
    /// A caller that wakes late (the process was descheduled) does not catch up in a burst:
    /// if it is more than half an interval late and the last request went less than half an
    /// interval ago, it reserves again. (A clock whose wait returns early is trusted.)
    pub(crate) fn confirm(&mut self, now: f64, at: f64, generation: u64) -> Option<Permit> {
        if generation != self.generation {
            return None;
        }
        let rate = self.effective_rate();
        if let Some(r) = rate
            && now - at > 0.5 / r
            && now - self.last_send < 0.5 / r
        {
            return None;
        }
        let permit = self.send(now, rate, true);
        if let Some(r) = rate {
            // The next slot is an interval after this request, even when it went late.
            self.next_slot = self.next_slot.max(now + 1.0 / r);
        }
        Some(permit)
    }

    /// Whether a request needs no slot: no hard cap, and adaptive mode has not engaged.
    pub(crate) fn unpaced(&self) -> bool {
        self.effective_rate().is_none()
    }

    /// Counts `count` requests let through unpaced without the state at hand (see
    /// `RateLimiter`), as sent at `now`.
    pub(crate) fn count_unpaced_sends(&mut self, now: f64, count: u64) {
        for _ in 0..count {
            self.send(now, None, false);
        }
    }

    fn send(&mut self, now: f64, rate: Option<f64>, waited: bool) -> Permit {
        self.sends.add(now);
        self.requests += 1;
        self.last_send = self.last_send.max(now);
        Permit {
            sent: now,
            rate,
            waited,
        }
    }

    /// Feeds back how the request of `permit` ended, at `now`.
    pub(crate) fn on_response(&mut self, now: f64, permit: Permit, outcome: Outcome) -> Change {
        match outcome {
            Outcome::NoResponse => Change::None,
            Outcome::Throttled => {
                self.throttled += 1;
                self.throttle(now, permit)
            }
            Outcome::Answered => self.answered(now, permit),
        }
    }

    fn throttle(&mut self, now: f64, permit: Permit) -> Change {
        if !self.adaptive || (self.engaged() && permit.sent < self.epoch_start) {
            return Change::None;
        }
        let measured = self.sends.get(now);
        if self.engaged() {
            // A lone throttle is noise (a moment of jitter drains a small bucket): it
            // becomes the candidate, and so does a clump of throttles for requests all sent
            // before it arrived. A throttle for a request sent after the candidate arrived,
            // within the window, confirms that the rate is too high.
            let candidate = self.last_throttle;
            if permit.sent <= candidate {
                return Change::None;
            }
            if now - candidate > CONFIRM_WINDOW {
                self.last_throttle = now;
                return Change::None;
            }
            let at_send = permit.rate.unwrap_or(measured);
            let throttled_at = if permit.waited {
                at_send
            } else {
                at_send.min(measured)
            };
            let cubic = Cubic::after_throttle(throttled_at.max(MIN_RATE));
            self.rate = cubic.start_rate().max(MIN_RATE);
            self.phase = Phase::Cubic(cubic);
        } else {
            self.rate = (measured * BETA).max(MIN_RATE);
            self.phase = Phase::SlowStart;
        }
        self.decreases += 1;
        self.last_throttle = f64::NEG_INFINITY;
        self.epoch_start = now;
        self.generation += 1;
        // Slots reserved at the old rate are void; the schedule restarts now.
        self.next_slot = now;
        Change::Decreased(self.rate)
    }

    fn answered(&mut self, now: f64, permit: Permit) -> Change {
        let rtt = (now - permit.sent).max(1e-4);
        let srtt = match self.srtt {
            Some(s) => s + (rtt - s) / 8.0,
            None => rtt,
        };
        self.srtt = Some(srtt);
        if permit.sent < self.epoch_start {
            return Change::None;
        }
        let rate = match self.phase {
            Phase::Off => return Change::None,
            // Slow start only grows while the rate is used.
            Phase::SlowStart => (self.rate + 1.0 / srtt)
                .min((2.0 * self.sends.get(now)).max(self.rate))
                .max(MIN_RATE),
            Phase::Cubic(cubic) => cubic.rate_at(now - self.epoch_start).max(MIN_RATE),
        };
        if rate == self.rate {
            return Change::None;
        }
        self.rate = rate;
        Change::Rate(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    fn now(slot: Slot) -> Permit {
        match slot {
            Slot::Now(p) => p,
            other => panic!("expected to send now, got {other:?}"),
        }
    }

    #[test]
    fn unthrottled_client_is_never_paced() {
        let mut core = Core::new(None, true);
        for i in 0..1000 {
            let t = f64::from(i) * 1e-4;
            let p = now(core.reserve(t, None));
            assert_eq!(
                core.on_response(t + 0.01, p, Outcome::Answered),
                Change::None
            );
        }
        assert_eq!(core.effective_rate(), None);
        assert!(!core.engaged());
    }

    #[test]
    fn hard_cap_spaces_requests() {
        let mut core = Core::new(Some(4.0), true);
        let first = now(core.reserve(10.0, None));
        assert_eq!(first.sent, 10.0);
        let slots: Vec<Slot> = (0..3).map(|_| core.reserve(10.0, None)).collect();
        assert_eq!(
            slots,
            [0.25, 0.5, 0.75].map(|d| Slot::At {
                at: 10.0 + d,
                generation: 0
            })
        );
        // A caller that may not wait that long reserves nothing.
        assert_eq!(core.reserve(10.0, Some(0.5)), Slot::TooLate { wait: 1.0 });
        assert_eq!(
            core.reserve(10.0, None),
            Slot::At {
                at: 11.0,
                generation: 0
            }
        );
        // Idle time is not saved up as a burst.
        let later = now(core.reserve(100.0, None));
        assert_eq!(later.sent, 100.0);
        assert!(matches!(core.reserve(100.0, None), Slot::At { at, .. } if at == 100.25));
    }

    #[test]
    fn callers_waking_late_do_not_catch_up_in_a_burst() {
        let mut core = Core::new(Some(10.0), true);
        now(core.reserve(0.0, None));
        let slots: Vec<(f64, u64)> = (0..2)
            .map(|_| match core.reserve(0.0, None) {
                Slot::At { at, generation } => (at, generation),
                other => panic!("{other:?}"),
            })
            .collect();
        // The process stalled: both wake at 5 s. One goes, the other reserves again.
        assert!(core.confirm(5.0, slots[0].0, slots[0].1).is_some());
        assert_eq!(core.confirm(5.0, slots[1].0, slots[1].1), None);
        assert_eq!(
            core.reserve(5.0, None),
            Slot::At {
                at: 5.1,
                generation: 0
            }
        );
    }

    #[test]
    fn adaptive_off_counts_throttles_but_never_paces() {
        let mut core = Core::new(None, false);
        let p = now(core.reserve(0.0, None));
        assert_eq!(core.on_response(0.1, p, Outcome::Throttled), Change::None);
        assert_eq!(core.throttled(), 1);
        assert_eq!(core.effective_rate(), None);
    }

    #[test]
    fn first_throttle_engages_and_stale_ones_do_not_decrease_again() {
        let mut core = Core::new(None, true);
        // 50 requests in 0.1 s: a measured send rate near 100/s.
        let permits: Vec<Permit> = (0..50)
            .map(|i| now(core.reserve(f64::from(i) * 0.002, None)))
            .collect();
        let change = core.on_response(0.12, permits[40], Outcome::Throttled);
        let Change::Decreased(rate) = change else {
            panic!("{change:?}")
        };
        assert!((40.0..=70.0).contains(&rate), "{rate}");
        assert_eq!(core.phase(), Phase::SlowStart);
        // The others were sent before the decrease: counted, no second decrease.
        for p in &permits[41..] {
            assert_eq!(core.on_response(0.13, *p, Outcome::Throttled), Change::None);
        }
        assert_eq!(core.throttled(), 10);
        assert_eq!(core.decreases(), 1);
        assert_eq!(core.effective_rate(), Some(rate));
    }

    #[test]
    fn once_engaged_a_lone_throttle_is_noise_and_a_second_within_the_window_decreases() {
        let mut core = Core::new(None, true);
        let p = now(core.reserve(0.0, None));
        assert!(matches!(
            core.on_response(0.02, p, Outcome::Throttled),
            Change::Decreased(_)
        ));
        let engaged = core.effective_rate();
        let send = |core: &mut Core, t: f64| match core.reserve(t, None) {
            Slot::Now(p) => p,
            Slot::At { at, generation } => core.confirm(at, at, generation).expect("same rate"),
            Slot::TooLate { .. } => unreachable!(),
        };
        // Alone: counted, no decrease.
        let p = send(&mut core, 1.0);
        assert_eq!(core.on_response(1.02, p, Outcome::Throttled), Change::None);
        // The next one comes after the window: noise again.
        let p = send(&mut core, 3.0);
        assert_eq!(core.on_response(3.02, p, Outcome::Throttled), Change::None);
        assert_eq!(core.effective_rate(), engaged);
        // A second within the window: a decrease into a CUBIC epoch.
        let p = send(&mut core, 3.5);
        assert!(matches!(
            core.on_response(3.52, p, Outcome::Throttled),
            Change::Decreased(_)
        ));
        assert!(matches!(core.phase(), Phase::Cubic(_)));
        assert_eq!((core.throttled(), core.decreases()), (4, 2));
    }

    #[test]
    fn a_rate_drop_invalidates_sleeping_reservations() {
        let mut core = Core::new(Some(10.0), true);
        let p = now(core.reserve(0.0, None));
        let Slot::At { generation, .. } = core.reserve(0.0, None) else {
            panic!("expected a slot")
        };
        core.on_response(0.05, p, Outcome::Throttled);
        assert_eq!(core.confirm(0.1, 0.1, generation), None);
        assert!(matches!(
            core.reserve(0.1, None),
            Slot::At { .. } | Slot::Now(_)
        ));
    }

    #[test]
    fn after_a_throttle_the_rate_climbs_back_along_the_cubic() {
        let mut core = Core::new(None, true);
        let mut t = 0.0;
        // Engage, then a throttle of a request paced at the engaged rate starts the cubic.
        let p = now(core.reserve(t, None));
        core.on_response(t + 0.02, p, Outcome::Throttled);
        let mut last;
        let mut throttles = 0;
        let mut first_answer = f64::INFINITY;
        let mut rates = Vec::new();
        while t < 20.0 {
            t += 0.001;
            match core.reserve(t, None) {
                Slot::Now(p) => last = Some(p),
                Slot::At { at, generation } => {
                    t = at;
                    last = core.confirm(t, at, generation);
                }
                Slot::TooLate { .. } => unreachable!(),
            }
            let Some(p) = last else { continue };
            let rate = core.effective_rate().unwrap_or_default();
            // A service limit of 100/s, seen on the first request above it, and confirmed by
            // the first one sent after that answer came.
            let outcome =
                if rate > 100.0 && (throttles == 0 || (throttles == 1 && p.sent > first_answer)) {
                    throttles += 1;
                    first_answer = first_answer.min(t + 0.02);
                    Outcome::Throttled
                } else {
                    Outcome::Answered
                };
            core.on_response(t + 0.02, p, outcome);
            if let Phase::Cubic(_) = core.phase() {
                rates.push((t, core.effective_rate().unwrap_or_default()));
            }
        }
        let Phase::Cubic(cubic) = core.phase() else {
            panic!("no cubic epoch: {:?}", core.phase())
        };
        assert!((100.0..=110.0).contains(&cubic.w_max), "{}", cubic.w_max);
        let (t0, r0) = rates[0];
        assert!((r0 - BETA * cubic.w_max).abs() < 2.0, "{r0}");
        // Back near w_max after K (∛(w_max · 0.3 / 0.4) ≈ 4.3 s), never above it before.
        let k = (cubic.w_max * 0.3 / 0.4).cbrt();
        for &(t, r) in &rates {
            if t < t0 + k - 0.1 {
                assert!(r <= cubic.w_max + 1e-9, "{t} {r}");
            }
        }
        let near_k = rates
            .iter()
            .find(|(t, _)| *t >= t0 + k)
            .map(|(_, r)| *r)
            .unwrap_or_default();
        assert!((near_k - cubic.w_max).abs() < 3.0, "{near_k}");
    }

    /// The service of the benchmark, simulated: a token bucket of `rate`/s and `burst`,
    /// `latency` per request, `429` with `Retry-After` in whole seconds rounded up; and
    /// `workers` callers that each make calls one after another, retrying a 429 after its
    /// `Retry-After` (up to `max_attempts` attempts).
    struct Scenario {
        rate: f64,
        burst: f64,
        latency: f64,
        workers: usize,
        calls: u64,
        max_attempts: u32,
    }

    #[derive(Debug)]
    struct Run {
        seconds: f64,
        requests: u64,
        throttled: u64,
        failed: u64,
        final_rate: Option<f64>,
    }

    /// Events of the simulation, ordered by time then sequence number.
    #[derive(Debug)]
    struct Event(f64, u64, usize, Step);

    impl PartialEq for Event {
        fn eq(&self, other: &Self) -> bool {
            self.1 == other.1
        }
    }
    impl Eq for Event {}
    impl PartialOrd for Event {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Event {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
        }
    }

    #[derive(Debug)]
    enum Step {
        /// The worker wants to send (attempt number).
        Ready(u32),
        /// Its slot of this generation has come.
        Slot(u32, u64),
        /// The response arrives.
        Response(u32, Permit, bool, f64),
    }

    impl Scenario {
        fn run(&self, mut core: Core) -> Run {
            let mut queue = BinaryHeap::new();
            let mut seq = 0u64;
            let mut push = |q: &mut BinaryHeap<Reverse<Event>>, t: f64, w: usize, s: Step| {
                seq += 1;
                q.push(Reverse(Event(t, seq, w, s)));
            };
            for w in 0..self.workers {
                push(&mut queue, 0.0, w, Step::Ready(1));
            }
            let (mut tokens, mut refilled) = (self.burst, 0.0f64);
            let (mut started, mut done, mut requests, mut throttled, mut failed) =
                (self.workers as u64, 0u64, 0u64, 0u64, 0u64);
            let mut end = 0.0f64;
            while let Some(Reverse(Event(t, _, w, step))) = queue.pop() {
                let send = |core: &mut Core, permit: Permit, attempt: u32| {
                    let _ = core;
                    // The service decides after the latency, as the fake does.
                    let arrive = permit.sent + self.latency;
                    (arrive, attempt, permit)
                };
                let sent = match step {
                    Step::Ready(attempt) => match core.reserve(t, None) {
                        Slot::Now(p) => Some(send(&mut core, p, attempt)),
                        Slot::At { at, generation } => {
                            push(&mut queue, at, w, Step::Slot(attempt, generation));
                            None
                        }
                        Slot::TooLate { .. } => unreachable!(),
                    },
                    Step::Slot(attempt, generation) => match core.confirm(t, t, generation) {
                        Some(p) => Some(send(&mut core, p, attempt)),
                        None => {
                            push(&mut queue, t, w, Step::Ready(attempt));
                            None
                        }
                    },
                    Step::Response(attempt, permit, ok, retry_after) => {
                        end = end.max(t);
                        let outcome = if ok {
                            Outcome::Answered
                        } else {
                            Outcome::Throttled
                        };
                        core.on_response(t, permit, outcome);
                        if !ok && attempt < self.max_attempts {
                            push(&mut queue, t + retry_after, w, Step::Ready(attempt + 1));
                        } else {
                            if !ok {
                                failed += 1;
                            }
                            done += 1;
                            if started < self.calls {
                                started += 1;
                                push(&mut queue, t, w, Step::Ready(1));
                            }
                        }
                        None
                    }
                };
                if let Some((arrive, attempt, permit)) = sent {
                    requests += 1;
                    // Server-side bucket, evaluated in send order (latency is constant).
                    tokens = (tokens + (arrive - refilled) * self.rate).min(self.burst);
                    refilled = arrive;
                    let (ok, retry_after) = if tokens >= 1.0 {
                        tokens -= 1.0;
                        (true, 0.0)
                    } else {
                        throttled += 1;
                        (false, ((1.0 - tokens) / self.rate).ceil().max(1.0))
                    };
                    push(
                        &mut queue,
                        arrive,
                        w,
                        Step::Response(attempt, permit, ok, retry_after),
                    );
                }
            }
            assert_eq!(done, self.calls);
            Run {
                seconds: end,
                requests,
                throttled,
                failed,
                final_rate: core.effective_rate(),
            }
        }
    }

    /// The benchmark's scenario (a), on the simulated clock: 4,000 calls at concurrency 64
    /// against 200/s with burst 20 and 20 ms latency finish near the bound (20 s), with few
    /// throttles, no failure, and the rate settled near the limit.
    #[test]
    fn adaptive_limiter_settles_near_the_service_limit() {
        let scenario = Scenario {
            rate: 200.0,
            burst: 20.0,
            latency: 0.02,
            workers: 64,
            calls: 4000,
            max_attempts: 4,
        };
        let run = scenario.run(Core::new(None, true));
        let bound = 4000.0 / 200.0;
        let share = run.throttled as f64 / run.requests as f64;
        assert_eq!(run.failed, 0, "{run:?}");
        assert!(share < 0.05, "{share} {run:?}");
        assert!(run.seconds < bound * 1.15, "{run:?}");
        let rate = run.final_rate.unwrap_or_default();
        assert!((120.0..=260.0).contains(&rate), "{run:?}");

        // Without adaptation the same run is a storm of 429s.
        let blind = scenario.run(Core::new(None, false));
        assert!(blind.throttled > 10 * run.throttled, "{blind:?} vs {run:?}");
    }

    /// A hard cap below the service's limit: no throttle at all, paced at the cap.
    #[test]
    fn hard_cap_below_the_limit_avoids_every_throttle() {
        let scenario = Scenario {
            rate: 200.0,
            burst: 20.0,
            latency: 0.02,
            workers: 64,
            calls: 1000,
            max_attempts: 4,
        };
        let run = scenario.run(Core::new(Some(150.0), true));
        assert_eq!(run.throttled, 0, "{run:?}");
        assert!(run.seconds >= 1000.0 / 150.0 - 0.1, "{run:?}");
    }
}
