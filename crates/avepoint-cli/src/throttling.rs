//! The `-v` end-of-run line about the service's rate limiting: how many requests were
//! throttled (429/503) and the rate the client-side limiter settled at.

use avepoint_graph::RateLimitStats;

/// The line, e.g. `rate limit: 37 of 4051 requests throttled (429/503, 0.9%); the
/// client-side rate settled at 193.4 requests/s`.
pub(crate) fn summary(stats: &RateLimitStats) -> String {
    let throttled = stats.throttled_responses;
    let mut line = if throttled == 0 {
        format!("rate limit: none of {} requests throttled", stats.requests)
    } else {
        let share = 100.0 * throttled as f64 / stats.requests.max(1) as f64;
        format!(
            "rate limit: {throttled} of {} requests throttled (429/503, {share:.1}%)",
            stats.requests
        )
    };
    match (stats.current_rate, stats.adaptive_engaged) {
        (Some(rate), true) => {
            line.push_str(&format!(
                "; the client-side rate settled at {rate:.1} requests/s"
            ));
            if stats.max_requests_per_second.is_some_and(|cap| cap <= rate) {
                line.push_str(" (the --rate-limit cap)");
            }
        }
        (Some(rate), false) => {
            line.push_str(&format!(
                "; paced at the --rate-limit cap of {rate:.1} requests/s"
            ));
        }
        (None, _) => line.push_str("; requests were not paced"),
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(
        requests: u64,
        throttled: u64,
        engaged: bool,
        rate: Option<f64>,
        cap: Option<f64>,
    ) -> RateLimitStats {
        let mut s = RateLimitStats::default();
        s.requests = requests;
        s.throttled_responses = throttled;
        s.adaptive_engaged = engaged;
        s.current_rate = rate;
        s.max_requests_per_second = cap;
        s
    }

    #[test]
    fn lines() {
        assert_eq!(
            summary(&stats(12, 0, false, None, None)),
            "rate limit: none of 12 requests throttled; requests were not paced"
        );
        assert_eq!(
            summary(&stats(4051, 37, true, Some(193.44), None)),
            "rate limit: 37 of 4051 requests throttled (429/503, 0.9%); the client-side rate settled at 193.4 requests/s"
        );
        assert_eq!(
            summary(&stats(100, 0, false, Some(20.0), Some(20.0))),
            "rate limit: none of 100 requests throttled; paced at the --rate-limit cap of 20.0 requests/s"
        );
        assert_eq!(
            summary(&stats(100, 3, true, Some(20.0), Some(20.0))),
            "rate limit: 3 of 100 requests throttled (429/503, 3.0%); the client-side rate settled at 20.0 requests/s (the --rate-limit cap)"
        );
    }
}
