//! Authentication: credentials, access tokens and the token cache.
//!
//! * [`Credentials`] says how the client authenticates: a client secret, a certificate
//!   (RS256 JWT client assertion), a static bearer token, or your own [`TokenProvider`].
//! * [`TokenProvider`] fetches a fresh [`AccessToken`] for a set of scopes; the identity
//!   service client in `identity` implements it for the OAuth 2.0 client credentials grant.
//! * `cache::TokenCache` reuses one token across calls and clones until shortly before it
//!   expires, with a single refresh in flight however many calls need one. The client keeps
//!   one per scope set its operations ask for (see `ClientBuilder::scopes`).

mod cache;
mod certificate;
mod credentials;
mod identity;
mod local;
mod secret;

pub(crate) use cache::{DEFAULT_REFRESH_MARGIN, TokenCache};
pub use cache::{MIN_TRUSTED_LIFETIME, REFUSAL_COOLDOWN};
pub use certificate::ClientCertificate;
pub use credentials::Credentials;
pub(crate) use identity::IdentityClient;
pub use secret::Secret;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::HeaderValue;

use crate::error::Error;

/// The scope the seats reports need (`users` and `tenants/batch`); the default scope of the
/// license operations.
pub const LICENSE_READ_SCOPE: &str = "elements.license.read.all";

/// The scope the customers listing needs; the default scope of the customers operations.
pub const CUSTOMERS_READ_SCOPE: &str = "elements.customers.read.all";

/// An OAuth 2.0 access token and the lifetime it was issued with.
///
/// The client's token cache counts the lifetime from when it received the token, on the
/// client's [`Clock`](crate::Clock). Cheap to clone: clones share one issued token. Two tokens
/// are the same issue only when one is a copy of the other, even if an identity service hands
/// out the same string twice.
#[derive(Clone)]
pub struct AccessToken {
    issued: Arc<Issued>,
}

/// One token as issued, shared by its clones.
struct Issued {
    /// Which issue this is (unique in the process; copies keep it).
    issue: u64,
    value: Secret,
    lifetime: Option<Duration>,
    /// `Bearer <token>`, built once per token (`None`: the token has characters an HTTP
    /// header cannot carry).
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &self.issued.value)
            .field("lifetime", &self.issued.lifetime)
            .finish()
    }
}

impl AccessToken {
    /// Whether `self` and `other` are clones of one issued token (not merely equal strings:
    /// an identity service may hand out the same string twice).
    pub(crate) fn same_issue(&self, other: &AccessToken) -> bool {
        self.issued.issue == other.issued.issue
    }

    /// A copy of this issue that shares nothing with it: the token cache gives each thread
    /// its own, so that concurrent calls on different cores do not all write the reference
    /// counts of one allocation (see `local`).
    pub(crate) fn thread_copy(&self) -> AccessToken {
        let authorization = self.issued.authorization.as_ref().and_then(|header| {
            let mut copy = HeaderValue::from_bytes(header.as_bytes()).ok()?;
            copy.set_sensitive(true);
            Some(copy)
        });
        Self {
            issued: Arc::new(Issued {
                issue: self.issued.issue,
                value: self.issued.value.clone(),
                lifetime: self.issued.lifetime,
                authorization,
            }),
        }
    }

    /// A token that is valid for `lifetime` from now (`None`: never expires, e.g. a static
    /// token).
    pub fn new(value: impl Into<Secret>, lifetime: Option<Duration>) -> Self {
        let value = value.into();
        let authorization = avepoint_graph_raw::bearer_header(value.expose()).ok();
        /// The issue of the next token.
        static NEXT_ISSUE: AtomicU64 = AtomicU64::new(0);
        Self {
            issued: Arc::new(Issued {
                issue: NEXT_ISSUE.fetch_add(1, Ordering::Relaxed),
                lifetime,
                value,
                authorization,
            }),
        }
    }

    /// The `Authorization` header value that presents this token (`Bearer <token>`, marked
    /// sensitive), built when the token was issued.
    pub(crate) fn authorization(&self) -> Result<HeaderValue, Error> {
        self.issued.authorization.clone().ok_or_else(|| {
            Error::Config(
                "the access token contains characters not allowed in an HTTP header".to_owned(),
            )
        })
    }

    /// The bearer token. Do not log it.
    pub fn secret(&self) -> &Secret {
        &self.issued.value
    }

    /// The lifetime the token was issued with, if known.
    pub fn lifetime(&self) -> Option<Duration> {
        self.issued.lifetime
    }
}

/// Something that can fetch an access token for a set of scopes.
///
/// Implement it to bring your own token source (a vault, a sidecar, another OAuth library);
/// the client caches what it returns (see [`AccessToken::new`]) and calls it again shortly
/// before the token expires or when the API rejects the token.
pub trait TokenProvider: Send + Sync + std::fmt::Debug {
    /// Fetches a new token for `scopes`.
    fn fetch_token<'a>(&'a self, scopes: &'a [String])
    -> BoxFuture<'a, Result<AccessToken, Error>>;
}

/// A fixed bearer token, for quick use and tests: it is never refreshed.
#[derive(Clone, Debug)]
pub(crate) struct StaticToken(pub(crate) Secret);

impl TokenProvider for StaticToken {
    fn fetch_token<'a>(
        &'a self,
        _scopes: &'a [String],
    ) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move { Ok(AccessToken::new(self.0.clone(), None)) })
    }
}

impl<T: TokenProvider + ?Sized> TokenProvider for std::sync::Arc<T> {
    fn fetch_token<'a>(
        &'a self,
        scopes: &'a [String],
    ) -> BoxFuture<'a, Result<AccessToken, Error>> {
        (**self).fetch_token(scopes)
    }
}
