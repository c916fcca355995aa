//! How a client authenticates: the [`Credentials`] handed to the client builder.

use std::sync::Arc;

use super::IdentityClient;
use super::identity::ClientAuth;
use super::{ClientCertificate, Secret, StaticToken, TokenProvider};
use crate::error::Error;
use crate::retry::RetryRuntime;

/// How the client gets its access tokens.
///
/// * [`Credentials::client_secret`]: the app's client id and secret (OAuth 2.0 client
///   credentials);
/// * [`Credentials::certificate`]: the app's client id and its certificate, which signs an
///   RS256 client assertion for every token request (no secret leaves the machine);
/// * [`Credentials::static_token`]: a bearer token you already have (never refreshed);
/// * [`Credentials::provider`]: your own [`TokenProvider`].
///
/// `Debug` never shows a secret, a token or key material.
///
/// ```
/// use avepoint_graph::{ClientCertificate, Credentials, Secret};
///
/// # fn demo(pfx: &[u8]) -> Result<(), avepoint_graph::Error> {
/// let by_secret = Credentials::client_secret("my-client-id", "my-client-secret");
/// let certificate = ClientCertificate::from_pkcs12(pfx, &Secret::new("pfx-password"))?;
/// let by_certificate = Credentials::certificate("my-client-id", certificate);
/// assert_eq!(by_certificate.client_id(), Some("my-client-id"));
/// # let _ = by_secret;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// A client id and its client secret.
    ClientSecret {
        /// The Application (Client) ID from Elements.
        client_id: String,
        /// The client secret.
        secret: Secret,
    },
    /// A client id and the certificate registered for it.
    Certificate {
        /// The Application (Client) ID from Elements.
        client_id: String,
        /// The certificate and its private key.
        certificate: Arc<ClientCertificate>,
    },
    /// A ready bearer token, used as is and never refreshed.
    StaticToken(Secret),
    /// Your own token source.
    Provider(Arc<dyn TokenProvider>),
}

impl Credentials {
    /// Authenticates with the app's client id and client secret.
    pub fn client_secret(client_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self::ClientSecret {
            client_id: client_id.into(),
            secret: secret.into(),
        }
    }

    /// Authenticates with the app's client id and the certificate registered for it: each
    /// token request carries a fresh client assertion signed with the certificate's key.
    pub fn certificate(client_id: impl Into<String>, certificate: ClientCertificate) -> Self {
        Self::Certificate {
            client_id: client_id.into(),
            certificate: Arc::new(certificate),
        }
    }

    /// Uses a bearer token you already have. It is never refreshed: once it expires, calls
    /// fail with HTTP 401.
    pub fn static_token(token: impl Into<Secret>) -> Self {
        Self::StaticToken(token.into())
    }

    /// Uses your own token source; the client caches what it returns.
    pub fn provider(provider: impl TokenProvider + 'static) -> Self {
        Self::Provider(Arc::new(provider))
    }

    /// The client id, for the secret and certificate flows.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::ClientSecret { client_id, .. } | Self::Certificate { client_id, .. } => {
                Some(client_id)
            }
            Self::StaticToken(_) | Self::Provider(_) => None,
        }
    }

    /// Refuses credentials that cannot work (an empty client id, secret or token) before
    /// anything is sent.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(id) = self.client_id() {
            if id.trim().is_empty() {
                return Err(Error::Config(
                    "the client id is empty; pass the Application (Client) ID from Elements (Settings > API app registration)".to_owned(),
                ));
            }
        }
        match self {
            Self::ClientSecret { secret, .. } if secret.is_empty() => Err(Error::Config(
                "the client secret is empty; pass the secret created for the app in Elements, or use a certificate".to_owned(),
            )),
            Self::StaticToken(token) if token.is_empty() => Err(Error::Config(
                "the static token is empty; pass an access token, or use client credentials".to_owned(),
            )),
            _ => Ok(()),
        }
    }

    /// The token provider for these credentials: the identity service client (secret and
    /// certificate), the static token, or the caller's provider.
    pub(crate) fn into_provider(
        self,
        token_url: &reqwest::Url,
        http: reqwest::Client,
        retry: RetryRuntime,
    ) -> Arc<dyn TokenProvider> {
        match self {
            Self::ClientSecret { client_id, secret } => Arc::new(IdentityClient::new(
                token_url.clone(),
                client_id,
                ClientAuth::Secret(secret),
                http,
                retry,
            )),
            Self::Certificate {
                client_id,
                certificate,
            } => Arc::new(IdentityClient::new(
                token_url.clone(),
                client_id,
                ClientAuth::Certificate(certificate),
                http,
                retry,
            )),
            Self::StaticToken(token) => Arc::new(StaticToken(token)),
            Self::Provider(provider) => provider,
        }
    }
}
