//! The token cache: one token shared by all calls and clones of a client.
//!
//! * A cached token is used until `refresh margin` before it expires. The margin is the
//!   smaller of the configured margin (default 5 minutes, like azure_core and the PowerShell
//!   module) and half the token's lifetime, so short-lived tokens are still reused.
//! * However many calls find the token stale at once, one refresh runs: the others wait for
//!   it and use its result (an async mutex for the refresh). The fast path writes no shared
//!   state: each thread uses its own copy of the current token (`super::local`), checked
//!   against the cache's generation, and the refusal check below is one atomic read.
//! * When a refresh fails while the old token has not actually expired yet, the old token is
//!   used (as azure_core does) and the next call tries again.
//! * When the API rejects a token (401), [`TokenCache::refresh_after_rejection`] replaces it
//!   once, unless another call already did.
//! * The lifetime a token is trusted for has a floor ([`MIN_TRUSTED_LIFETIME`]): an identity
//!   service that says `expires_in: 0` (or 1) would otherwise make every call fetch a token
//!   first, one at a time. A token that really is dead is still covered: the API's 401 forces
//!   a refresh and a replay.
//! * When even the replay with a fresh token is refused ([`TokenCache::refused`]), the cache
//!   stops refreshing for [`REFUSAL_COOLDOWN`]: every call in that time fails at once with the
//!   same error, instead of hammering the identity service and the API with tokens the API
//!   will refuse.
//!
//! Time is the client's [`Clock`] (see [`crate::Clock`]): a token expires its lifetime after
//! the cache received it, measured on that clock, as is the refusal cooldown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::{AccessToken, TokenProvider, local};
use crate::clock::{Clock, TokioClock};
use crate::error::{ApiError, Error};

/// The default refresh margin: 5 minutes before expiry.
pub(crate) const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The shortest lifetime the cache trusts a token for, whatever the token provider says: one
/// minute (so a token is reused for at least 30 s, half of it). A token issued with a
/// lifetime of 30 s or more is never used past its real expiry.
pub const MIN_TRUSTED_LIFETIME: Duration = Duration::from_secs(60);

/// How long the cache stops refreshing after the API refused a freshly refreshed token too.
pub const REFUSAL_COOLDOWN: Duration = Duration::from_secs(60);

/// The API refused a fresh token: calls fail with `error` until `until`.
#[derive(Debug, Clone)]
struct Refusal {
    until: Instant,
    error: ApiError,
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    scopes: Vec<String>,
    margin: Duration,
    /// The shortest lifetime a token is trusted for ([`MIN_TRUSTED_LIFETIME`] by default).
    floor: Duration,
    clock: Arc<dyn Clock>,
    current: RwLock<Option<Cached>>,
    /// This cache among all of the process (the key of the threads' copies of its token).
    id: u64,
    /// Bumped whenever a token is stored: a thread's copy of an older generation is stale.
    generation: AtomicU64,
    refresh: tokio::sync::Mutex<()>,
    /// Set when the API refused a token even after a forced refresh (the circuit breaker).
    refusal: RwLock<Option<Refusal>>,
    /// Whether `refusal` may be set (so that the common path only reads this flag).
    refusing: AtomicBool,
}

/// A cached token and when it expires on the cache's clock (`None`: never).
#[derive(Debug, Clone)]
struct Cached {
    token: AccessToken,
    expires_at: Option<Instant>,
}

impl Cached {
    /// `token`, received at `now`: it expires its lifetime later.
    fn received(token: AccessToken, now: Instant) -> Self {
        let expires_at = token.lifetime().map(|l| now.checked_add(l).unwrap_or(now));
        Self { token, expires_at }
    }

    /// Whether the token can still be used at `now` without refreshing first.
    fn is_fresh(&self, now: Instant, margin: Duration) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => {
                let margin = self.token.lifetime().map_or(margin, |l| margin.min(l / 2));
                now.checked_add(margin).is_some_and(|due| due < at)
            }
        }
    }

    fn is_unexpired(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

impl TokenCache {
    pub(crate) fn new(
        provider: Arc<dyn TokenProvider>,
        scopes: Vec<String>,
        margin: Duration,
    ) -> Self {
        Self {
            provider,
            scopes,
            margin,
            floor: MIN_TRUSTED_LIFETIME,
            clock: Arc::new(TokioClock),
            current: RwLock::new(None),
            id: {
                static NEXT_CACHE: AtomicU64 = AtomicU64::new(0);
                NEXT_CACHE.fetch_add(1, Ordering::Relaxed)
            },
            generation: AtomicU64::new(0),
            refresh: tokio::sync::Mutex::new(()),
            refusal: RwLock::new(None),
            refusing: AtomicBool::new(false),
        }
    }

    /// Trusts every token for at least `floor`.
    pub(crate) fn with_floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// Reads the time from `clock` (default: [`TokioClock`]).
    pub(crate) fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn cached(&self) -> Option<Cached> {
        self.current.read().ok().and_then(|t| t.clone())
    }

    fn store(&self, cached: Cached) {
        if let Ok(mut slot) = self.current.write() {
            *slot = Some(cached);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The current token if it is fresh at `now`, from this thread's copy of it (made from
    /// the shared one when the thread has none of this generation).
    fn fresh(&self, now: Instant) -> Option<AccessToken> {
        // Read before the token: a copy is never tagged newer than what it holds.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((token, expires_at)) = local::get(self.id, generation) {
            let copy = Cached { token, expires_at };
            return copy.is_fresh(now, self.margin).then_some(copy.token);
        }
        let shared = self.cached().filter(|c| c.is_fresh(now, self.margin))?;
        let copy = shared.token.thread_copy();
        local::put(self.id, generation, copy.clone(), shared.expires_at);
        Some(copy)
    }

    /// The error of the API's refusal while the breaker is open (see [`TokenCache::refused`]).
    fn refusal(&self) -> Result<(), Error> {
        if !self.refusing.load(Ordering::Acquire) {
            return Ok(());
        }
        let refusal = self.refusal.read().ok().and_then(|r| r.clone());
        match refusal {
            Some(r) if self.clock.now() < r.until => Err(Error::Api(Box::new(r.error))),
            _ => Ok(()),
        }
    }

    /// Records that the API refused a token even after a forced refresh: for
    /// [`REFUSAL_COOLDOWN`], [`TokenCache::token`] and [`TokenCache::refresh_after_rejection`]
    /// fail at once with `error` instead of fetching tokens the API will refuse.
    pub(crate) fn refused(&self, error: &ApiError) {
        if let Ok(mut slot) = self.refusal.write() {
            let now = self.clock.now();
            if slot.as_ref().is_none_or(|r| now >= r.until) {
                tracing::warn!(
                    cooldown_s = REFUSAL_COOLDOWN.as_secs(),
                    status = error.status,
                    "the API refused a freshly issued access token too; not refreshing it again for a while, calls fail at once until then"
                );
            }
            *slot = Some(Refusal {
                until: now.checked_add(REFUSAL_COOLDOWN).unwrap_or(now),
                error: error.clone(),
            });
            // Stays set: after a refusal, calls read the lock to see whether it still holds.
            self.refusing.store(true, Ordering::Release);
        }
    }

    /// A token that is fresh now, fetching one if needed.
    pub(crate) async fn token(&self) -> Result<AccessToken, Error> {
        self.refusal()?;
        if let Some(token) = self.fresh(self.clock.now()) {
            return Ok(token);
        }
        let _guard = self.refresh.lock().await;
        self.refusal()?;
        let stale = match self.cached() {
            Some(c) if c.is_fresh(self.clock.now(), self.margin) => return Ok(c.token),
            other => other,
        };
        match self.fetch().await {
            Ok(t) => Ok(t),
            Err(e) => match stale.filter(|c| c.is_unexpired(self.clock.now())) {
                Some(still_valid) => {
                    tracing::warn!(
                        error = &e as &(dyn std::error::Error + 'static),
                        "token refresh failed; using the current token until it expires"
                    );
                    Ok(still_valid.token)
                }
                None => Err(e),
            },
        }
    }

    /// A new token after the API rejected `rejected`, unless another call replaced it already.
    pub(crate) async fn refresh_after_rejection(
        &self,
        rejected: &AccessToken,
    ) -> Result<AccessToken, Error> {
        let _guard = self.refresh.lock().await;
        self.refusal()?;
        // Another call already replaced the rejected token (compared by issue, not by value:
        // a service that issues the same string again must not cost a fetch per caller).
        if let Some(c) = self.cached().filter(|c| !c.token.same_issue(rejected)) {
            return Ok(c.token);
        }
        self.fetch().await
    }

    async fn fetch(&self) -> Result<AccessToken, Error> {
        let token = with_lifetime_floor(self.provider.fetch_token(&self.scopes).await?, self.floor);
        self.store(Cached::received(token.clone(), self.clock.now()));
        Ok(token)
    }
}

/// `token`, trusted for at least `floor` (logged when the floor applies).
fn with_lifetime_floor(token: AccessToken, floor: Duration) -> AccessToken {
    match token.lifetime() {
        Some(lifetime) if lifetime < floor => {
            tracing::info!(
                issued_lifetime_s = lifetime.as_secs_f64(),
                trusted_lifetime_s = floor.as_secs_f64(),
                "the access token was issued with a very short lifetime; trusting it for the minimum lifetime instead (a 401 still forces a refresh)"
            );
            AccessToken::new(token.secret().clone(), Some(floor))
        }
        _ => token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicU32,
        lifetime: Option<Duration>,
        fail_after_first: bool,
    }

    impl TokenProvider for Counting {
        fn fetch_token<'a>(
            &'a self,
            _scopes: &'a [String],
        ) -> futures::future::BoxFuture<'a, Result<AccessToken, Error>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                if self.fail_after_first && n > 1 {
                    return Err(Error::Config("identity service down".into()));
                }
                Ok(AccessToken::new(format!("token-{n}"), self.lifetime))
            })
        }
    }

    fn cache(provider: Arc<Counting>) -> Arc<TokenCache> {
        Arc::new(TokenCache::new(
            provider,
            vec!["s".into()],
            DEFAULT_REFRESH_MARGIN,
        ))
    }

    /// A cache on a test clock, for moving time on without waiting.
    fn cache_on(provider: Arc<Counting>, clock: &TestClock) -> Arc<TokenCache> {
        Arc::new(
            TokenCache::new(provider, vec!["s".into()], DEFAULT_REFRESH_MARGIN)
                .with_clock(Arc::new(clock.clone())),
        )
    }

    /// Every thread keeps its own copy of the token; a replaced token reaches them all, and a
    /// copy is still the same issue as the shared token (so a 401 replaces it only once).
    #[test]
    fn each_thread_copies_the_token_and_sees_it_replaced() {
        let provider = Arc::new(Counting {
            lifetime: Some(Duration::from_secs(3600)),
            ..Default::default()
        });
        let cache = cache(provider.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let on_other_thread = |cache: &Arc<TokenCache>| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(cache.token()).expect("token")
            })
            .join()
            .expect("thread")
        };
        let first = runtime.block_on(cache.token()).expect("token");
        let again = runtime.block_on(cache.token()).expect("token");
        let third = runtime.block_on(cache.token()).expect("token");
        let elsewhere = on_other_thread(&cache);
        assert_eq!(first.secret().expose(), "token-1");
        assert!(first.same_issue(&again) && first.same_issue(&elsewhere));
        // The copies share nothing: not the token, not its header.
        assert!(!Arc::ptr_eq(&again.issued, &elsewhere.issued));
        // This thread reuses its copy.
        assert!(Arc::ptr_eq(&again.issued, &third.issued));

        let second = runtime
            .block_on(cache.refresh_after_rejection(&elsewhere))
            .expect("refresh");
        assert_eq!(second.secret().expose(), "token-2");
        // A second rejection of the old issue (from another thread's copy) does not fetch again.
        let same = runtime
            .block_on(cache.refresh_after_rejection(&first))
            .expect("refresh");
        assert!(same.same_issue(&second));
        assert_eq!(
            runtime
                .block_on(cache.token())
                .expect("token")
                .secret()
                .expose(),
            "token-2"
        );
        assert_eq!(on_other_thread(&cache).secret().expose(), "token-2");
        assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn freshness_respects_the_margin() {
        let now = Instant::now();
        let at = |secs| now + Duration::from_secs(secs);
        let hour = Cached::received(AccessToken::new("t", Some(Duration::from_secs(3600))), now);
        assert!(hour.is_fresh(now, DEFAULT_REFRESH_MARGIN));
        assert!(hour.is_fresh(at(3200), DEFAULT_REFRESH_MARGIN));
        assert!(!hour.is_fresh(at(3301), DEFAULT_REFRESH_MARGIN));
        assert!(hour.is_unexpired(at(3599)));
        assert!(!hour.is_unexpired(at(3600)));
        // A 60 s token is refreshed after half its life, not at once.
        let short = Cached::received(AccessToken::new("t", Some(Duration::from_secs(60))), now);
        assert!(short.is_fresh(at(20), DEFAULT_REFRESH_MARGIN));
        assert!(!short.is_fresh(at(31), DEFAULT_REFRESH_MARGIN));
        let forever = Cached::received(AccessToken::new("t", None), now);
        assert!(forever.is_fresh(at(1_000_000), DEFAULT_REFRESH_MARGIN));
        // Received later, expires later: the lifetime counts from receipt.
        let late = Cached::received(
            AccessToken::new("t", Some(Duration::from_secs(60))),
            at(100),
        );
        assert!(late.is_fresh(at(120), DEFAULT_REFRESH_MARGIN));
    }

    #[tokio::test]
    async fn concurrent_cold_calls_fetch_once() {
        let provider = Arc::new(Counting {
            lifetime: Some(Duration::from_secs(3600)),
            ..Default::default()
        });
        let cache = cache(provider.clone());
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let c = cache.clone();
                tokio::spawn(async move { c.token().await.map(|t| t.secret().expose().to_owned()) })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("join").expect("token"), "token-1");
        }
        assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn rejection_refreshes_once_for_many_callers() {
        let provider = Arc::new(Counting {
            lifetime: Some(Duration::from_secs(3600)),
            ..Default::default()
        });
        let cache = cache(provider.clone());
        let first = cache.token().await.expect("token");
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (c, f) = (cache.clone(), first.clone());
                tokio::spawn(async move {
                    c.refresh_after_rejection(&f)
                        .await
                        .map(|t| t.secret().expose().to_owned())
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("join").expect("token"), "token-2");
        }
        assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_an_unexpired_token() {
        // Lifetime 120 s: fresh for 60 s, then refreshed ahead; the refresh fails.
        let provider = Arc::new(Counting {
            lifetime: Some(Duration::from_secs(120)),
            fail_after_first: true,
            ..Default::default()
        });
        let clock = TestClock::new();
        let cache = cache_on(provider.clone(), &clock);
        assert_eq!(
            cache.token().await.expect("first").secret().expose(),
            "token-1"
        );
        clock.advance(Duration::from_secs(61));
        assert_eq!(
            cache
                .token()
                .await
                .expect("stale but valid")
                .secret()
                .expose(),
            "token-1"
        );
        assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_zero_lifetime_is_trusted_for_the_floor() {
        let provider = Arc::new(Counting {
            lifetime: Some(Duration::ZERO),
            ..Default::default()
        });
        let clock = TestClock::new();
        let cache = cache_on(provider.clone(), &clock);
        for _ in 0..100 {
            cache.token().await.expect("token");
        }
        assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
        // Half the floor later, the token is refreshed ahead of the (floored) expiry.
        clock.advance(MIN_TRUSTED_LIFETIME / 2 + Duration::from_secs(1));
        assert_eq!(
            cache.token().await.expect("token").secret().expose(),
            "token-2"
        );
    }

    fn refusal(status: u16) -> ApiError {
        ApiError {
            operation: "op",
            status,
            request_id: None,
            retry_after: None,
            message: Some("token refused".into()),
            body_snippet: String::new(),
            hints: &crate::operation::StatusHints::LICENSE,
        }
    }

    #[tokio::test]
    async fn after_a_refusal_calls_fail_at_once_for_the_cooldown() {
        let provider = Arc::new(Counting {
            lifetime: Some(Duration::from_secs(3600)),
            ..Default::default()
        });
        let clock = TestClock::new();
        let cache = cache_on(provider.clone(), &clock);
        let first = cache.token().await.expect("token");
        cache.refused(&refusal(401));
        for _ in 0..10 {
            let e = cache.token().await.expect_err("refused");
            assert_eq!(e.status(), Some(401), "{e}");
            assert!(e.to_string().contains("token refused"), "{e}");
            let e = cache
                .refresh_after_rejection(&first)
                .await
                .expect_err("refused");
            assert_eq!(e.status(), Some(401), "{e}");
        }
        assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
        clock.advance(REFUSAL_COOLDOWN + Duration::from_secs(1));
        assert_eq!(
            cache
                .refresh_after_rejection(&first)
                .await
                .expect("refreshed after the cooldown")
                .secret()
                .expose(),
            "token-2"
        );
    }
}
