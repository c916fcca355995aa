//! The CUBIC growth curve (RFC 9438), applied to a send rate instead of a congestion window.
//!
//! After a throttling response at rate `w_max`, the rate drops to `β · w_max` and then follows
//! `W(t) = C · (t − K)³ + w_max`, where `t` is the time since the drop and
//! `K = ∛(w_max · (1 − β) / C)` is when the curve is back at `w_max`: a fast, concave climb
//! back toward the last rate that throttled, a plateau around it, then a convex probe above
//! it (the service's limit may have been raised).

/// Multiplicative decrease: the rate after a throttling response is `BETA` times the rate
/// that was throttled (RFC 9438's β).
pub(crate) const BETA: f64 = 0.7;

/// The scaling constant `C` of the cubic (RFC 9438's default), in requests/s per s³.
pub(crate) const SCALE: f64 = 0.4;

/// One CUBIC epoch: the curve from one throttling response to the next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cubic {
    /// The rate that was throttled (requests per second).
    pub(crate) w_max: f64,
    /// Seconds until the curve is back at `w_max`.
    k: f64,
}

impl Cubic {
    /// The epoch that starts when rate `w_max` was throttled.
    pub(crate) fn after_throttle(w_max: f64) -> Self {
        let w_max = w_max.max(0.0);
        Self {
            w_max,
            k: (w_max * (1.0 - BETA) / SCALE).cbrt(),
        }
    }

    /// The rate right after the decrease: `β · w_max`.
    pub(crate) fn start_rate(&self) -> f64 {
        self.w_max * BETA
    }

    /// The rate `t` seconds into the epoch.
    pub(crate) fn rate_at(&self, t: f64) -> f64 {
        let d = t.max(0.0) - self.k;
        SCALE * d * d * d + self.w_max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_beta_returns_to_w_max_at_k_then_probes_above() {
        let c = Cubic::after_throttle(200.0);
        assert!((c.rate_at(0.0) - 140.0).abs() < 1e-9);
        assert!((c.start_rate() - 140.0).abs() < 1e-9);
        // K = ∛(200 · 0.3 / 0.4) = ∛150.
        let k = 150f64.cbrt();
        assert!((c.rate_at(k) - 200.0).abs() < 1e-9);
        // Concave before K (fast at first), convex after.
        let early = c.rate_at(1.0) - c.rate_at(0.0);
        let late = c.rate_at(k) - c.rate_at(k - 1.0);
        assert!(early > late, "{early} {late}");
        assert!(c.rate_at(k + 3.0) > 200.0);
        assert!((c.rate_at(k + 3.0) - (200.0 + 0.4 * 27.0)).abs() < 1e-9);
    }

    #[test]
    fn negative_time_is_the_start() {
        let c = Cubic::after_throttle(50.0);
        assert_eq!(c.rate_at(-5.0), c.rate_at(0.0));
    }
}
