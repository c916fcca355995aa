//! Request counters that tests read through [`crate::FakeControl::counters`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A point-in-time copy of the server's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// TCP connections accepted.
    pub connections: u64,
    /// Requests to `POST /connect/token` (including faulted and failed ones).
    pub token_requests: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// Requests to the user-seats endpoint (including faulted and failed ones).
    pub api_requests: u64,
    /// Requests to any other path (answered 404).
    pub other_requests: u64,
    /// Requests answered by an injected fault (status, malformed body or drop); latency alone
    /// does not count.
    pub faults_injected: u64,
    /// Requests whose connection was dropped without a response.
    pub dropped_requests: u64,
    /// Connections closed right after accept, before any request was read
    /// ([`crate::FakeControl::refuse_connections`]).
    pub refused_connections: u64,
    /// API requests answered `429` by the rate limit ([`crate::rate_limit`]); not counted in
    /// `faults_injected`.
    pub rate_limited: u64,
    /// Responses sent, by HTTP status code.
    pub responses_by_status: BTreeMap<u16, u64>,
}

impl CountersSnapshot {
    /// Responses sent with status `status`.
    pub fn responses(&self, status: u16) -> u64 {
        self.responses_by_status.get(&status).copied().unwrap_or(0)
    }

    /// Responses sent, all statuses.
    pub fn total_responses(&self) -> u64 {
        self.responses_by_status.values().sum()
    }
}

/// Live counters, shared by the server's tasks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) connections: AtomicU64,
    pub(crate) token_requests: AtomicU64,
    pub(crate) tokens_issued: AtomicU64,
    pub(crate) api_requests: AtomicU64,
    pub(crate) other_requests: AtomicU64,
    pub(crate) faults_injected: AtomicU64,
    pub(crate) dropped_requests: AtomicU64,
    pub(crate) refused_connections: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    statuses: Mutex<BTreeMap<u16, u64>>,
}

impl Counters {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a response with status `status`.
    pub(crate) fn record_status(&self, status: u16) {
        let mut map = self.statuses.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(status).or_default() += 1;
    }

    /// A copy of the counters.
    pub(crate) fn snapshot(&self) -> CountersSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            connections: get(&self.connections),
            token_requests: get(&self.token_requests),
            tokens_issued: get(&self.tokens_issued),
            api_requests: get(&self.api_requests),
            other_requests: get(&self.other_requests),
            faults_injected: get(&self.faults_injected),
            dropped_requests: get(&self.dropped_requests),
            refused_connections: get(&self.refused_connections),
            rate_limited: get(&self.rate_limited),
            responses_by_status: self
                .statuses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    /// Sets every counter to zero.
    pub(crate) fn reset(&self) {
        for c in [
            &self.connections,
            &self.token_requests,
            &self.tokens_issued,
            &self.api_requests,
            &self.other_requests,
            &self.faults_injected,
            &self.dropped_requests,
            &self.refused_connections,
            &self.rate_limited,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.statuses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
