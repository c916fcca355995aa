//! One token cache per scope set.
//!
//! Each operation asks for the scopes it needs (`elements.license.read.all` for the seats
//! reports, `elements.customers.read.all` for the customers listing). [`TokenCaches`] keeps
//! one [`TokenCache`] per distinct set of scopes, created the first time that set is asked
//! for and shared from then on by every call and clone of the client, so each set has its
//! own token, cached and refreshed one at a time like the first.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{TokenCache, TokenProvider};
use crate::clock::{Clock, TokioClock};

/// The token caches of one client, keyed by scope set.
#[derive(Debug)]
pub(crate) struct TokenCaches {
    provider: Arc<dyn TokenProvider>,
    margin: Duration,
    /// The shortest lifetime a token is trusted for.
    floor: Duration,
    /// The client's clock, for every cache.
    clock: Arc<dyn Clock>,
    caches: Mutex<HashMap<BTreeSet<String>, Arc<TokenCache>>>,
}

impl TokenCaches {
    /// Caches that fetch tokens from `provider`, refreshed `margin` before expiry.
    /// A token is trusted for at least `floor`, whatever lifetime it was issued with.
    pub(crate) fn new(provider: Arc<dyn TokenProvider>, margin: Duration, floor: Duration) -> Self {
        Self {
            provider,
            margin,
            floor,
            clock: Arc::new(TokioClock),
            caches: Mutex::new(HashMap::new()),
        }
    }

    /// Caches that read the time from `clock` (default: [`TokioClock`]).
    pub(crate) fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache of the scope set `scopes` (order and repeats do not matter), created on
    /// first use. The token is requested with the scopes in the order first given.
    pub(crate) fn for_scopes(&self, scopes: &[String]) -> Arc<TokenCache> {
        let key: BTreeSet<String> = scopes.iter().cloned().collect();
        let mut caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        caches
            .entry(key)
            .or_insert_with(|| {
                let mut requested: Vec<String> = Vec::with_capacity(scopes.len());
                for scope in scopes {
                    if !requested.contains(scope) {
                        requested.push(scope.clone());
                    }
                }
                Arc::new(
                    TokenCache::new(self.provider.clone(), requested, self.margin)
                        .with_floor(self.floor)
                        .with_clock(self.clock.clone()),
                )
            })
            .clone()
    }

    /// Number of scope sets a cache exists for.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.caches.lock().map(|c| c.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AccessToken;
    use crate::error::Error;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, Default)]
    struct Recording {
        calls: AtomicU32,
        scopes: Mutex<Vec<Vec<String>>>,
    }

    impl TokenProvider for Recording {
        fn fetch_token<'a>(
            &'a self,
            scopes: &'a [String],
        ) -> futures::future::BoxFuture<'a, Result<AccessToken, Error>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                if let Ok(mut s) = self.scopes.lock() {
                    s.push(scopes.to_vec());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(AccessToken::new(
                    format!("token-{n}"),
                    Some(Duration::from_secs(3600)),
                ))
            })
        }
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn one_token_per_scope_set_fetched_once_each() {
        let provider = Arc::new(Recording::default());
        let caches = Arc::new(TokenCaches::new(
            provider.clone(),
            Duration::from_secs(300),
            super::super::MIN_TRUSTED_LIFETIME,
        ));
        let sets = [
            strings(&["a"]),
            strings(&["b"]),
            strings(&["a", "b"]),
            strings(&["b", "a", "b"]),
        ];
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let caches = caches.clone();
                let scopes = sets[i % sets.len()].clone();
                tokio::spawn(async move { caches.for_scopes(&scopes).token().await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            t.await.expect("join").expect("token");
        }
        assert_eq!(caches.len(), 3, "{{a}}, {{b}} and {{a, b}}");
        assert_eq!(provider.calls.load(Ordering::SeqCst), 3);
        let mut requested = provider.scopes.lock().expect("lock").clone();
        requested.sort();
        assert!(requested.iter().all(|s| s.len() <= 2));
        assert!(Arc::ptr_eq(
            &caches.for_scopes(&strings(&["a", "b"])),
            &caches.for_scopes(&strings(&["b", "a"]))
        ));
    }
}
