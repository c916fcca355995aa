//! The apps registered with the fake identity service, and their credentials.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::PublicKey;
use rsa::pkcs8::DecodePublicKey as _;
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::KeyUsage;

use crate::FakeError;
use crate::demo;

/// The object identifier of the X.509 key usage extension (2.5.29.15).
const KEY_USAGE_OID: &str = "2.5.29.15";

/// An app registration: client id, credential and permissions.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    /// The Application (Client) ID.
    pub client_id: String,
    /// How the app authenticates.
    pub credential: ClientCredential,
    /// Scopes the app may request.
    pub allowed_scopes: Vec<String>,
    /// Scopes granted when the token request names none.
    pub default_scopes: Vec<String>,
}

impl RegisteredClient {
    /// A client-secret app with the demo scopes (license and customers read).
    pub fn with_secret(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(client_id, ClientCredential::Secret(secret.into()))
    }

    /// A certificate app whose X.509 certificate is the first `CERTIFICATE` block of `pem`
    /// (a combined key + certificate file works), with the demo scopes.
    pub fn with_certificate_pem(
        client_id: impl Into<String>,
        pem: &str,
    ) -> Result<Self, FakeError> {
        Ok(Self::new(
            client_id,
            ClientCredential::Certificate(ClientCertificate::from_pem(pem)?),
        ))
    }

    fn new(client_id: impl Into<String>, credential: ClientCredential) -> Self {
        let scopes = vec![
            demo::SCOPE_LICENSE_READ_ALL.to_owned(),
            demo::SCOPE_CUSTOMERS_READ_ALL.to_owned(),
        ];
        Self {
            client_id: client_id.into(),
            credential,
            allowed_scopes: scopes.clone(),
            default_scopes: scopes,
        }
    }

    /// Replaces the allowed scopes, and the default scopes with the same list.
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.allowed_scopes = scopes.into_iter().map(Into::into).collect();
        self.default_scopes = self.allowed_scopes.clone();
        self
    }

    /// Replaces the default scopes.
    pub fn with_default_scopes<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.default_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The demo clients: [`demo::CLIENT_ID`] (secret), [`demo::CERT_CLIENT_ID`] (certificate)
    /// and [`demo::LIMITED_CLIENT_ID`] (secret, without the license scope).
    pub fn demo_clients() -> Vec<Self> {
        let mut clients = vec![Self::with_secret(demo::CLIENT_ID, demo::CLIENT_SECRET)];
        match Self::with_certificate_pem(demo::CERT_CLIENT_ID, demo::CERT_PEM) {
            Ok(c) => clients.push(c),
            Err(e) => tracing::error!("the bundled demo certificate is unusable: {e}"),
        }
        clients.push(
            Self::with_secret(demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET)
                .with_scopes([demo::SCOPE_CUSTOMERS_READ_ALL]),
        );
        clients
    }
}

/// How an app authenticates to the token endpoint.
#[derive(Clone)]
pub enum ClientCredential {
    /// A shared secret (`client_secret` form field or HTTP Basic).
    Secret(String),
    /// An X.509 certificate: the app signs a JWT client assertion with its private key.
    Certificate(ClientCertificate),
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientCredential::Secret(_) => f.write_str("Secret(<redacted>)"),
            ClientCredential::Certificate(c) => f.debug_tuple("Certificate").field(c).finish(),
        }
    }
}

/// A registered X.509 certificate: its RSA public key, thumbprints and validity.
#[derive(Clone)]
pub struct ClientCertificate {
    pub(crate) public_key: PublicKey,
    sha1_thumbprint: String,
    sha256_thumbprint: String,
    pub(crate) not_before: u64,
    pub(crate) not_after: u64,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.sha1_thumbprint)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Parses the first `-----BEGIN CERTIFICATE-----` block of `pem`.
    pub fn from_pem(pem: &str) -> Result<Self, FakeError> {
        let der = pem_block(pem, "CERTIFICATE").ok_or_else(|| {
            FakeError::InvalidCertificate("no valid CERTIFICATE block in the PEM text".into())
        })?;
        Self::from_der(&der)
    }

    /// Parses a DER-encoded certificate. It must hold an RSA key, and if it has a key usage
    /// extension that extension must allow `digitalSignature`.
    pub fn from_der(der: &[u8]) -> Result<Self, FakeError> {
        let invalid = |what: &str| FakeError::InvalidCertificate(what.to_owned());
        let cert =
            Certificate::from_der(der).map_err(|e| invalid(&format!("not X.509 DER: {e}")))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| invalid(&format!("bad public key info: {e}")))?;
        let public_key = PublicKey::from_public_key_der(&spki)
            .map_err(|e| invalid(&format!("not an RSA public key: {e}")))?;
        if let Some(ext) = tbs
            .extensions()
            .into_iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == KEY_USAGE_OID)
        {
            let usage = KeyUsage::from_der(ext.extn_value.as_bytes())
                .map_err(|e| invalid(&format!("bad key usage extension: {e}")))?;
            if !usage.digital_signature() {
                return Err(invalid("the key usage does not allow digitalSignature"));
            }
        }
        let validity = tbs.validity();
        Ok(Self {
            public_key,
            sha1_thumbprint: URL_SAFE_NO_PAD.encode(Sha1::digest(der)),
            sha256_thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(der)),
            not_before: validity.not_before.to_unix_duration().as_secs(),
            not_after: validity.not_after.to_unix_duration().as_secs(),
        })
    }

    /// The SHA-1 thumbprint, base64url without padding (a JWT header's `x5t`).
    pub fn sha1_thumbprint(&self) -> &str {
        &self.sha1_thumbprint
    }

    /// The SHA-256 thumbprint, base64url without padding (a JWT header's `x5t#S256`).
    pub fn sha256_thumbprint(&self) -> &str {
        &self.sha256_thumbprint
    }
}

/// The DER bytes of the first PEM block labelled `label` in `text`.
pub(crate) fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let len = text.get(start..)?.find(&end)?;
    let body: String = text
        .get(start..start + len)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_certificate_parses_from_every_pem() {
        let a = ClientCertificate::from_pem(demo::CERT_PEM).expect("cert");
        let b = ClientCertificate::from_pem(demo::COMBINED_PEM).expect("combined");
        assert_eq!(a.sha1_thumbprint(), b.sha1_thumbprint());
        assert_eq!(a.sha1_thumbprint().len(), 27);
        assert!(a.not_before < a.not_after);
        assert!(ClientCertificate::from_pem(demo::KEY_PEM).is_err());
        assert!(ClientCertificate::from_der(b"garbage").is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        let c = RegisteredClient::with_secret("x", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
