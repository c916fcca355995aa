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

    /// A redactor of every secret these credentials send or hold: the client secret, the
    /// static token, the certificate's password.
    pub(crate) fn redactor(&self) -> crate::redact::Redactor {
        let mut redactor = crate::redact::Redactor::new();
        match self {
            Self::ClientSecret { secret, .. } | Self::StaticToken(secret) => redactor.add(secret),
            Self::Certificate { certificate, .. } => {
                if let Some(password) = certificate.password() {
                    redactor.add(password);
                }
            }
            Self::Provider(_) => {}
        }
        redactor
    }

    /// Refuses credentials that cannot work (an empty client id, secret or token) before
    /// anything is sent.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(id) = self.client_id()
            && id.trim().is_empty()
        {
            return Err(Error::Config(
                "the client id is empty; pass the Application (Client) ID from Elements (Settings > API app registration)".to_owned(),
            ));
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::future::BoxFuture;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::auth::AccessToken;
    use crate::clock::TokioClock;
    use crate::retry::RetryPolicy;

    const SECRET: &str = "hunter2-client-secret-value";
    const DEMO_KEY: &str = include_str!("../../../avepoint-fake/fixtures/demo-key.pem");
    const DEMO_COMBINED: &str = include_str!("../../../avepoint-fake/fixtures/demo-combined.pem");

    #[derive(Debug)]
    struct Fixed;

    impl TokenProvider for Fixed {
        fn fetch_token<'a>(
            &'a self,
            _scopes: &'a [String],
        ) -> BoxFuture<'a, Result<AccessToken, Error>> {
            Box::pin(async {
                Ok(AccessToken::new(
                    "from-my-vault",
                    Some(Duration::from_secs(60)),
                ))
            })
        }
    }

    fn retry() -> RetryRuntime {
        RetryRuntime::new(RetryPolicy::disabled(), Arc::new(TokioClock))
    }

    fn certificate() -> ClientCertificate {
        ClientCertificate::from_pem_bundle(DEMO_COMBINED).expect("demo bundle loads")
    }

    #[test]
    fn debug_never_shows_secrets_or_key_material() {
        let by_secret = Credentials::client_secret("my-client", SECRET);
        let by_certificate = Credentials::certificate("my-cert-client", certificate());
        let token = Credentials::static_token("eyJhbGciOi.static.token-value");
        let provider = Credentials::provider(Fixed);
        let text =
            format!("{by_secret:?}\n{by_certificate:?}\n{token:?}\n{provider:?}\n{by_secret:#?}");
        assert!(
            text.contains("my-client") && text.contains("my-cert-client"),
            "{text}"
        );
        assert!(
            text.contains(&certificate().thumbprint_sha1_hex()),
            "{text}"
        );
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("token-value"), "{text}");
        assert!(!text.contains("PRIVATE"), "{text}");
        for line in DEMO_KEY.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "key material in {text}");
        }
    }

    #[test]
    fn client_id_is_known_for_the_client_credentials_flows() {
        assert_eq!(
            Credentials::client_secret("a", SECRET).client_id(),
            Some("a")
        );
        assert_eq!(
            Credentials::certificate("b", certificate()).client_id(),
            Some("b")
        );
        assert_eq!(Credentials::static_token("t").client_id(), None);
        assert_eq!(Credentials::provider(Fixed).client_id(), None);
    }

    #[test]
    fn empty_credentials_are_refused_up_front() {
        let message = |c: Credentials| match c.validate() {
            Err(Error::Config(m)) => m,
            other => panic!("expected a configuration error, got {other:?}"),
        };
        assert!(message(Credentials::client_secret(" ", SECRET)).contains("client id is empty"));
        assert!(message(Credentials::client_secret("id", "")).contains("client secret is empty"));
        assert!(
            message(Credentials::certificate("", certificate())).contains("client id is empty")
        );
        assert!(message(Credentials::static_token("")).contains("static token is empty"));
        assert!(Credentials::client_secret("id", SECRET).validate().is_ok());
        assert!(Credentials::provider(Fixed).validate().is_ok());
    }

    #[tokio::test]
    async fn each_kind_becomes_the_right_provider() {
        let url = reqwest::Url::parse("https://identity.example/connect/token").expect("URL");
        let scopes = vec![crate::auth::LICENSE_READ_SCOPE.to_owned()];

        let fixed: Arc<dyn TokenProvider> = Arc::new(Fixed);
        let same = Credentials::Provider(fixed.clone()).into_provider(
            &url,
            avepoint_graph_raw::http_client_builder()
                .build()
                .expect("client"),
            retry(),
        );
        assert!(
            Arc::ptr_eq(&fixed, &same),
            "a caller's provider is used as is"
        );

        let token = Credentials::static_token("static-value")
            .into_provider(
                &url,
                avepoint_graph_raw::http_client_builder()
                    .build()
                    .expect("client"),
                retry(),
            )
            .fetch_token(&scopes)
            .await
            .expect("static token");
        assert_eq!(token.secret().expose(), "static-value");
        assert_eq!(token.lifetime(), None);

        let certificate = Credentials::certificate("c", certificate()).into_provider(
            &url,
            avepoint_graph_raw::http_client_builder()
                .build()
                .expect("client"),
            retry(),
        );
        assert!(format!("{certificate:?}").contains("IdentityClient"));
    }

    #[tokio::test]
    async fn a_client_secret_becomes_an_identity_client_for_the_token_url() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "issued", "expires_in": 3600, "token_type": "Bearer"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let url = reqwest::Url::parse(&format!("{}/connect/token", server.uri())).expect("URL");
        let provider = Credentials::client_secret("id", SECRET).into_provider(
            &url,
            avepoint_graph_raw::http_client_builder()
                .build()
                .expect("client"),
            retry(),
        );
        let token = provider
            .fetch_token(&[crate::auth::LICENSE_READ_SCOPE.to_owned()])
            .await
            .expect("token");
        assert_eq!(token.secret().expose(), "issued");
        let received = server.received_requests().await.expect("recorded");
        assert_eq!(received[0].url.path(), "/connect/token");
        assert!(!format!("{provider:?}").contains(SECRET));
    }

    #[test]
    fn the_redactor_knows_the_secret_the_token_and_the_certificate_password() {
        let text = |c: &Credentials| {
            c.redactor()
                .scrub("a hunter2-client-secret-value b demo-password c static-token-value")
        };
        let by_secret = Credentials::client_secret("app", SECRET);
        assert!(!text(&by_secret).contains(SECRET));
        let by_token = Credentials::static_token("static-token-value");
        assert!(!text(&by_token).contains("static-token-value"));
        let pfx = include_bytes!("../../../avepoint-fake/fixtures/demo.pfx");
        let certificate =
            ClientCertificate::from_pkcs12(pfx, &Secret::new("demo-password")).expect("demo.pfx");
        let by_certificate = Credentials::certificate("app", certificate);
        assert!(!text(&by_certificate).contains("demo-password"));
        assert!(format!("{by_certificate:?}").contains("ClientCertificate"));
        assert!(!format!("{by_certificate:?}").contains("demo-password"));
    }
}
