//! Authentication: credentials, access tokens and the token cache.
//!
//! * [`Credentials`] says how the client authenticates: a client secret, a certificate
//!   (RS256 JWT client assertion), a static bearer token, or your own [`TokenProvider`].
//! * [`TokenProvider`] fetches a fresh [`AccessToken`] for a set of scopes; the identity
//!   service client in `identity` implements it for the OAuth 2.0 client credentials grant.
//! * `cache::TokenCache` reuses one token across calls and clones until shortly before it
//!   expires, with a single refresh in flight however many calls need one.
//! * `scoped::TokenCaches` keeps one such cache per scope set: each operation asks for the
//!   scopes it needs, and each set gets its own token.

mod cache;
mod certificate;
mod credentials;
mod identity;
mod scoped;
mod secret;

pub(crate) use cache::{DEFAULT_REFRESH_MARGIN, TokenCache};
pub use cache::{MIN_TRUSTED_LIFETIME, REFUSAL_COOLDOWN};
pub use certificate::ClientCertificate;
pub use credentials::Credentials;
pub(crate) use identity::IdentityClient;
pub(crate) use scoped::TokenCaches;
pub use secret::Secret;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;

use crate::error::Error;

/// The scope the seats reports need (`users` and `tenants/batch`); the default scope of the
/// license operations.
pub const LICENSE_READ_SCOPE: &str = "elements.license.read.all";

/// The scope the customers listing needs; the default scope of the customers operations.
pub const CUSTOMERS_READ_SCOPE: &str = "elements.customers.read.all";

/// An OAuth 2.0 access token and the lifetime it was issued with.
///
/// The client's token cache counts the lifetime from when it received the token, on the
/// client's [`Clock`](crate::Clock).
#[derive(Clone, Debug)]
pub struct AccessToken {
    value: Secret,
    lifetime: Option<Duration>,
    /// The raw client's bearer context for this token, built once per token and API origin.
    context: Arc<OnceLock<(String, avepoint_graph_raw::RequestContext)>>,
}

impl AccessToken {
    /// Whether `self` and `other` are clones of one issued token (not merely equal strings:
    /// an identity service may hand out the same string twice).
    pub(crate) fn same_issue(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.context, &other.context)
    }

    /// A token that is valid for `lifetime` from now (`None`: never expires, e.g. a static
    /// token).
    pub fn new(value: impl Into<Secret>, lifetime: Option<Duration>) -> Self {
        Self {
            value: value.into(),
            lifetime,
            context: Arc::default(),
        }
    }

    /// The raw client's context that sends this token to `api_base` (and nowhere else),
    /// built on first use and shared by the clones of this token.
    pub(crate) fn request_context(
        &self,
        api_base: &str,
        body_limit: usize,
    ) -> Result<avepoint_graph_raw::RequestContext, Error> {
        let build = || {
            avepoint_graph_raw::RequestContext::with_bearer(
                self.value.expose().to_owned(),
                api_base,
            )
            .map(|ctx| ctx.with_body_limit(body_limit))
            .map_err(|e| Error::Config(e.to_string()))
        };
        if let Some((base, ctx)) = self.context.get() {
            return if base == api_base {
                Ok(ctx.clone())
            } else {
                build()
            };
        }
        let ctx = build()?;
        let (base, cached) = self
            .context
            .get_or_init(|| (api_base.to_owned(), ctx.clone()));
        Ok(if base == api_base {
            cached.clone()
        } else {
            ctx
        })
    }

    /// The bearer token. Do not log it.
    pub fn secret(&self) -> &Secret {
        &self.value
    }

    /// The lifetime the token was issued with, if known.
    pub fn lifetime(&self) -> Option<Duration> {
        self.lifetime
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
