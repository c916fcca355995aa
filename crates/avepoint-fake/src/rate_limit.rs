//! The service's rate limit: a token bucket per client id over the API routes.
//!
//! Each app (client id of the bearer token; requests without a known token share one
//! anonymous bucket) gets a bucket of `burst` tokens refilled at `rps` tokens per second.
//! A request takes one token; when none is left it is answered `429 Too Many Requests`
//! with `Retry-After` set to the time until the next token, in whole seconds rounded up
//! (so at least 1). Set it at start ([`crate::FaultConfig::rate_limit`], `--rate-limit
//! RPS[:BURST]`) or at run time ([`crate::FakeControl::set_rate_limit`]); the `429`s are
//! counted in [`crate::CountersSnapshot::rate_limited`].

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};

use crate::server::Shared;

/// A rate limit: `rps` requests per second per client, with bursts of up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second (positive).
    pub rps: f64,
    /// Bucket size: requests that may go at once after a quiet spell (at least 1).
    pub burst: u32,
}

impl RateLimit {
    /// `rps` requests per second with a burst of one second's worth (at least 1).
    pub fn per_second(rps: f64) -> Self {
        Self {
            rps,
            burst: default_burst(rps),
        }
    }

    /// Replaces the burst (at least 1).
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }
}

fn default_burst(rps: f64) -> u32 {
    // A saturating cast: huge rates get the largest burst.
    (rps.ceil() as u32).max(1)
}

impl FromStr for RateLimit {
    type Err = String;

    /// `RPS` or `RPS:BURST`, e.g. `200:20`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (rps, burst) = match s.split_once(':') {
            Some((rps, burst)) => (rps, Some(burst)),
            None => (s, None),
        };
        let rps: f64 = rps
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r > 0.0)
            .ok_or_else(|| format!("`{s}`: the rate must be a positive number (RPS[:BURST])"))?;
        let limit = Self::per_second(rps);
        match burst {
            None => Ok(limit),
            Some(b) => match b.trim().parse::<u32>() {
                Ok(b) if b > 0 => Ok(limit.with_burst(b)),
                _ => Err(format!(
                    "`{s}`: the burst must be a whole number of requests, at least 1 (RPS[:BURST])"
                )),
            },
        }
    }
}

/// The bucket key of a request: the client id its bearer token was issued to, or `""` for
/// requests without a token the service issued.
pub(crate) fn client_key(shared: &Shared, headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .and_then(|(_, token)| shared.tokens.lookup(token.trim()))
        .map(|issued| issued.client_id)
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The live buckets.
#[derive(Debug, Default)]
pub(crate) struct RateLimitState {
    inner: Mutex<(Option<RateLimit>, HashMap<String, Bucket>)>,
}

impl RateLimitState {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            inner: Mutex::new((limit, HashMap::new())),
        }
    }

    /// Replaces the limit; every bucket starts full again.
    pub(crate) fn set(&self, limit: Option<RateLimit>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner = (limit, HashMap::new());
    }

    /// Takes a token of `client`'s bucket at `now`: `None` if the request may go, else the
    /// `Retry-After` in whole seconds.
    pub(crate) fn check(&self, client: &str, now: Instant) -> Option<u64> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (Some(limit), buckets) = &mut *inner else {
            return None;
        };
        let burst = f64::from(limit.burst.max(1));
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.rps).min(burst);
        bucket.at = bucket.at.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return None;
        }
        let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / limit.rps);
        Some(whole_seconds_up(wait))
    }
}

/// `d` in whole seconds, rounded up, at least 1.
fn whole_seconds_up(d: Duration) -> u64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_and_burst() {
        assert_eq!(
            "200:20".parse(),
            Ok(RateLimit {
                rps: 200.0,
                burst: 20
            })
        );
        assert_eq!("2.5".parse(), Ok(RateLimit { rps: 2.5, burst: 3 }));
        assert_eq!("0.2".parse(), Ok(RateLimit { rps: 0.2, burst: 1 }));
        for bad in ["", "0", "-1", "x", "10:0", "10:", "10:1.5", "inf", "NaN"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets_are_per_client_and_refill() {
        let state = RateLimitState::new(Some(RateLimit { rps: 2.0, burst: 2 }));
        let t0 = Instant::now();
        assert_eq!(state.check("a", t0), None);
        assert_eq!(state.check("a", t0), None);
        // Empty: the next token is 0.5 s away, rounded up to 1 s.
        assert_eq!(state.check("a", t0), Some(1));
        // Another client has its own bucket.
        assert_eq!(state.check("b", t0), None);
        // Half a second later one token is back.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(state.check("a", t1), None);
        assert_eq!(state.check("a", t1), Some(1));
        // Slow refills say so in whole seconds.
        state.set(Some(RateLimit {
            rps: 0.25,
            burst: 1,
        }));
        assert_eq!(state.check("a", t1), None);
        assert_eq!(state.check("a", t1), Some(4));
        state.set(None);
        assert_eq!(state.check("a", t1), None);
    }

    #[test]
    fn whole_seconds_round_up() {
        assert_eq!(whole_seconds_up(Duration::from_millis(5)), 1);
        assert_eq!(whole_seconds_up(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds_up(Duration::from_millis(2001)), 3);
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
    }
}
