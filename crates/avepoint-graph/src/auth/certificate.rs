//! Certificate credentials: an X.509 certificate with its RSA private key, and the RS256 JWT
//! client assertion the identity service accepts in place of a client secret.
//!
//! The certificate is loaded from PEM (a key + certificate pair, or one bundle file) or from a
//! password-protected PKCS#12 (`.pfx`/`.p12`) file, including OpenSSL 3's default encryption
//! (PBES2: PBKDF2-SHA256 + AES-256-CBC) and the legacy one (3DES, RC2-40, SHA-1 MAC). Loading
//! checks that the key is RSA and belongs to the certificate, so a wrong pairing fails at
//! start-up with a clear message instead of as an `invalid_client` at the first call.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rsa::sha2::Sha256;
use serde::Serialize;
use sha1::{Digest as _, Sha1};
use x509_cert::Certificate;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::KeyUsage;

use super::Secret;
use crate::error::Error;

/// How long a client assertion is valid: 5 minutes, as azure_identity and .NET's
/// IdentityModel issue them. A fresh assertion is made for every token request, so the
/// lifetime only has to cover one request plus clock skew.
pub(crate) const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// The `client_assertion_type` of a JWT bearer client assertion (RFC 7523).
pub(crate) const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An X.509 client certificate and its RSA private key, for the certificate flow of the
/// identity service.
///
/// Load it with [`ClientCertificate::from_pem`], [`ClientCertificate::from_pem_bundle`],
/// [`ClientCertificate::from_pkcs12`] or [`ClientCertificate::from_file`], then hand it to
/// [`Credentials::certificate`](crate::Credentials::certificate). Register the
/// certificate (not the key) with the app in Elements (Settings > API app registration).
///
/// `Debug` shows the subject and the SHA-1 thumbprint only, never key material.
#[derive(Clone)]
pub struct ClientCertificate {
    key: rsa::PrivateKey,
    cert_der: Vec<u8>,
    thumbprint: [u8; 20],
    subject: String,
    /// The PKCS#12 password, kept only so that it is redacted from server text like every
    /// other credential.
    password: Option<Secret>,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject)
            .field("thumbprint_sha1", &self.thumbprint_sha1_hex())
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Loads a certificate from a PEM private key and a PEM certificate.
    ///
    /// The key may be PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`); it
    /// must be unencrypted (use [`ClientCertificate::from_pkcs12`] for a protected key). The
    /// certificate text may hold a chain: the certificate matching the key is used.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when either text holds no usable block, the key is not RSA, or the
    /// key does not belong to the certificate.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self, Error> {
        let key_blocks = parse_pem(key_pem, "private key")?;
        let key = key_from_pem_blocks(&key_blocks)?.ok_or_else(|| {
            Error::Config(
                "the private key PEM holds no `BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY` block; pass the key file as the first argument".to_owned(),
            )
        })?;
        let cert_blocks = parse_pem(cert_pem, "certificate")?;
        let certs = certs_from_pem_blocks(&cert_blocks);
        if certs.is_empty() {
            return Err(Error::Config(
                "the certificate PEM holds no `BEGIN CERTIFICATE` block; pass the certificate file as the second argument".to_owned(),
            ));
        }
        Self::from_parts(key, &certs)
    }

    /// Loads a certificate from one PEM text holding both the private key and the
    /// certificate, in any order (e.g. `cat key.pem cert.pem`). Text outside the blocks (such
    /// as OpenSSL's `Bag Attributes`) is ignored; extra chain certificates are allowed.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the key or the certificate is missing, the key is not RSA, or
    /// the key does not belong to the certificate.
    pub fn from_pem_bundle(pem: &str) -> Result<Self, Error> {
        let blocks = parse_pem(pem, "PEM bundle")?;
        let key = key_from_pem_blocks(&blocks)?.ok_or_else(|| {
            Error::Config(
                "the PEM bundle holds no `BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY` block; append the private key to the file (e.g. `cat key.pem cert.pem > bundle.pem`) or use ClientCertificate::from_pem".to_owned(),
            )
        })?;
        let certs = certs_from_pem_blocks(&blocks);
        if certs.is_empty() {
            return Err(Error::Config(
                "the PEM bundle holds no `BEGIN CERTIFICATE` block; append the certificate to the file (e.g. `cat key.pem cert.pem > bundle.pem`) or use ClientCertificate::from_pem".to_owned(),
            ));
        }
        Self::from_parts(key, &certs)
    }

    /// Loads a certificate from a password-protected PKCS#12 (`.pfx`/`.p12`) file's bytes.
    ///
    /// Reads OpenSSL 3's defaults (PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, SHA-256
    /// MAC), files written by Windows and .NET, and legacy ones (3DES and RC2-40, SHA-1 MAC).
    /// The password is checked with the file's MAC. When the file holds several
    /// certificates, the one matching the private key is used.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the password is wrong, the bytes are not PKCS#12, the file uses
    /// an unsupported encryption, holds no private key or certificate, or the key is not RSA
    /// or does not belong to the certificate. The message never contains the password.
    pub fn from_pkcs12(der: &[u8], password: &Secret) -> Result<Self, Error> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(der, password.expose())
            .map_err(pkcs12_error)?;
        if archive.keys.is_empty() {
            return Err(Error::Config(
                "the PKCS#12 file holds no private key; export it again with the private key included (e.g. `openssl pkcs12 -export -inkey key.pem -in cert.pem -out client.pfx`)".to_owned(),
            ));
        }
        let certs: Vec<Vec<u8>> = archive
            .certs
            .iter()
            .map(|bag| bag.cert.as_der().to_vec())
            .collect();
        if certs.is_empty() {
            return Err(Error::Config(
                "the PKCS#12 file holds no certificate; export it again with the certificate included (`-in cert.pem`)".to_owned(),
            ));
        }
        let mut first_error = None;
        for bag in &archive.keys {
            let attempt =
                key_from_pkcs8_der(bag.key.as_der()).and_then(|key| Self::from_parts(key, &certs));
            match attempt {
                Ok(mut cert) => {
                    cert.password = (!password.is_empty()).then(|| password.clone());
                    return Ok(cert);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            Error::Config("the PKCS#12 file holds no usable private key".to_owned())
        }))
    }

    /// Loads a certificate from a file.
    ///
    /// PEM text (by content, whatever the extension) is read as a bundle holding the private
    /// key and the certificate (see [`ClientCertificate::from_pem_bundle`]; `password` is not
    /// used). Anything else, `.pfx` and `.p12` files and binary (DER) content, is read as
    /// PKCS#12 with `password` (no password: the empty one).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the file cannot be read or its content cannot be used; the
    /// message names the file and what to do.
    pub fn from_file(path: impl AsRef<Path>, password: Option<&Secret>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = crate::body::read_file_capped(path, crate::body::MAX_CREDENTIAL_FILE_BYTES)
            .map_err(|e| {
            Error::Config(format!(
                "could not read the certificate file {}: {e}; check the path and its permissions",
                path.display()
            ))
        })?;
        let by_extension = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("pfx") || e.eq_ignore_ascii_case("p12"));
        let is_pem = contains(&bytes, b"-----BEGIN");
        let looks_like_der = bytes.first() == Some(&0x30);
        let in_file = |e: Error| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", path.display())),
            other => other,
        };
        if !is_pem && (by_extension || looks_like_der) {
            let empty = Secret::new("");
            return Self::from_pkcs12(&bytes, password.unwrap_or(&empty)).map_err(|e| {
                match (e, password) {
                    (Error::Config(m), None) if m.contains("password") => Error::Config(format!(
                        "{} needs a password: it is password-protected and no password was given; pass the password it was exported with",
                        path.display()
                    )),
                    (e, _) => in_file(e),
                }
            });
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::Config(format!(
                "{} is neither a PKCS#12 (.pfx/.p12) file nor PEM text; pass a .pfx file or a PEM file holding the private key and the certificate",
                path.display()
            ))
        })?;
        Self::from_pem_bundle(text).map_err(in_file)
    }

    /// Pairs `key` with the certificate (out of `certs`, DER) whose public key it matches.
    fn from_parts(key: rsa::PrivateKey, certs: &[Vec<u8>]) -> Result<Self, Error> {
        let public = key.to_public_key();
        let mut first_error = None;
        for der in certs {
            match cert_public_key(der) {
                Ok((cert, cert_key)) if cert_key == public => {
                    return Self::from_matching(key, der.clone(), &cert);
                }
                Ok(_) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            Error::Config(
                "the private key does not belong to the certificate (their public keys differ); pass the key that was generated with this certificate".to_owned(),
            )
        }))
    }

    fn from_matching(
        key: rsa::PrivateKey,
        cert_der: Vec<u8>,
        cert: &Certificate,
    ) -> Result<Self, Error> {
        let tbs = cert.tbs_certificate();
        if let Ok(Some((_, usage))) = tbs.get_extension::<KeyUsage>()
            && !usage.digital_signature()
        {
            return Err(Error::Config(
                "the certificate's key usage does not allow digital signatures, so the identity service will refuse its assertions; issue a certificate with keyUsage=digitalSignature".to_owned(),
            ));
        }
        let subject = tbs.subject().to_string();
        let now = SystemTime::now();
        let validity = tbs.validity();
        if validity.not_after.to_system_time() < now {
            tracing::warn!(
                subject = %subject,
                not_after = ?validity.not_after.to_system_time(),
                "the client certificate has expired; the identity service will refuse it"
            );
        } else if validity.not_before.to_system_time() > now {
            tracing::warn!(subject = %subject, "the client certificate is not valid yet");
        }
        let thumbprint: [u8; 20] = Sha1::digest(&cert_der).into();
        Ok(Self {
            key,
            cert_der,
            thumbprint,
            subject,
            password: None,
        })
    }

    /// The PKCS#12 password the certificate was loaded with, for redaction.
    pub(crate) fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// The certificate's SHA-1 thumbprint as 40 uppercase hex digits, as Elements and the
    /// Windows certificate store show it.
    pub fn thumbprint_sha1_hex(&self) -> String {
        self.thumbprint.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// The `x5t` JWS header value: the SHA-1 thumbprint of the certificate (DER),
    /// base64url-encoded without padding.
    pub fn x5t(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.thumbprint)
    }

    /// The certificate's subject, e.g. `CN=my-app,O=Contoso`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The certificate in DER form (public data: this is what is registered in Elements).
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// Makes a signed client assertion (a compact JWS, RS256) for `client_id` at the token
    /// endpoint `audience`, valid from `now` for [`ASSERTION_LIFETIME`], with a fresh `jti`.
    pub(crate) fn client_assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: SystemTime,
    ) -> Result<String, Error> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| {
                Error::Config(
                    "the system clock is before 1970, so no client assertion can be dated; fix the clock".to_owned(),
                )
            })?
            .as_secs();
        let thumbprint = self.thumbprint_sha1_hex();
        let header = JwsHeader {
            alg: "RS256",
            typ: "JWT",
            x5t: &self.x5t(),
            kid: &thumbprint,
        };
        let claims = AssertionClaims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: &uuid::Uuid::new_v4().to_string(),
            iat,
            nbf: iat,
            exp: iat + ASSERTION_LIFETIME.as_secs(),
        };
        let signing_input = format!("{}.{}", base64_json(&header)?, base64_json(&claims)?);
        let signature = self
            .key
            .pkcs1v15_sign::<Sha256>(signing_input.as_bytes())
            .map_err(|e| {
                Error::Config(format!(
                    "could not sign the client assertion with the certificate's key ({e}); check that the key is a valid RSA key of at least 2048 bits"
                ))
            })?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The JOSE header of a client assertion, in the order .NET's IdentityModel writes it.
#[derive(Serialize)]
struct JwsHeader<'a> {
    alg: &'static str,
    typ: &'static str,
    x5t: &'a str,
    kid: &'a str,
}

/// The claims of a client assertion (RFC 7523 section 3).
#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// JSON, base64url-encoded without padding: one JWS segment.
fn base64_json<T: Serialize>(value: &T) -> Result<String, Error> {
    let json = serde_json::to_vec(value)
        .map_err(|e| Error::Config(format!("could not encode the client assertion: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Splits a PEM text into its blocks (text outside them is ignored). `what` names the input
/// in error messages, which never quote the text: a block's body is key material.
fn parse_pem(text: &str, what: &str) -> Result<Vec<pem::Pem>, Error> {
    let malformed = |problem: &str| {
        Error::Config(format!(
            "the {what} PEM is malformed: {problem}; check that the file is not truncated, corrupted or mixed up"
        ))
    };
    let blocks = pem::parse_many(text).map_err(|e| match e {
        pem::PemError::MismatchedTags(begin, end) => malformed(&format!(
            "a `BEGIN {}` block ends with `END {}`",
            begin.escape_debug(),
            end.escape_debug()
        )),
        pem::PemError::InvalidData(_) => malformed("a block is not valid base64"),
        pem::PemError::InvalidHeader(_) => malformed("a block has a line that is neither a header nor base64 (a blank line inside the block?)"),
        pem::PemError::NotUtf8(_) => malformed("a block is not UTF-8 text"),
        _ => malformed("a block has no label or is not framed by BEGIN and END lines"),
    })?;
    // `parse_many` stops at a BEGIN line that no END line follows instead of failing.
    if text.matches("-----BEGIN ").count() > blocks.len() {
        return Err(malformed("a `BEGIN` line has no END line"));
    }
    if blocks.is_empty() {
        return Err(Error::Config(format!(
            "the {what} is not PEM text (no `-----BEGIN ...-----` block found); pass PEM text, or use ClientCertificate::from_pkcs12 for a .pfx file"
        )));
    }
    Ok(blocks)
}

/// The first private key among the blocks, if any.
fn key_from_pem_blocks(blocks: &[pem::Pem]) -> Result<Option<rsa::PrivateKey>, Error> {
    for block in blocks {
        // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) mark an encrypted PKCS#1 key.
        let encrypted = block
            .headers()
            .get("Proc-Type")
            .is_some_and(|v| v.contains("ENCRYPTED"));
        match block.tag() {
            "PRIVATE KEY" => return key_from_pkcs8_der(block.contents()).map(Some),
            "RSA PRIVATE KEY" if encrypted => {
                return Err(Error::Config(
                    "the RSA private key is encrypted (Proc-Type: 4,ENCRYPTED); decrypt it (`openssl rsa -in key.pem -out key-plain.pem`) or use a password-protected .pfx with ClientCertificate::from_pkcs12".to_owned(),
                ));
            }
            "RSA PRIVATE KEY" => {
                return rsa::PrivateKey::from_pkcs1_der(block.contents()).map(Some).map_err(|e| {
                    Error::Config(format!(
                        "the `RSA PRIVATE KEY` block is not a valid PKCS#1 RSA key ({e}); check that the file is not corrupted"
                    ))
                });
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::Config(
                    "the private key is encrypted (`BEGIN ENCRYPTED PRIVATE KEY`); decrypt it (`openssl pkcs8 -in key.pem -out key-plain.pem`) or put key and certificate in a password-protected .pfx and use ClientCertificate::from_pkcs12".to_owned(),
                ));
            }
            "EC PRIVATE KEY" | "OPENSSH PRIVATE KEY" | "DSA PRIVATE KEY" => {
                return Err(Error::Config(format!(
                    "the private key is a `{}`, but the identity service needs an RSA key (RS256 assertions); create an RSA certificate (e.g. `openssl req -x509 -newkey rsa:2048 ...`)",
                    block.tag()
                )));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Decodes an unencrypted PKCS#8 private key, which must be RSA.
fn key_from_pkcs8_der(der: &[u8]) -> Result<rsa::PrivateKey, Error> {
    let info = rsa::pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|e| {
        Error::Config(format!(
            "the private key is not a valid PKCS#8 key ({e}); check that the file is not corrupted"
        ))
    })?;
    if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err(Error::Config(format!(
            "the private key is not an RSA key (algorithm {}), but the identity service needs RS256 assertions; create an RSA certificate (e.g. `openssl req -x509 -newkey rsa:2048 ...`)",
            info.algorithm.oid
        )));
    }
    rsa::PrivateKey::from_pkcs8_der(der).map_err(|e| {
        Error::Config(format!(
            "the RSA private key could not be decoded ({e}); check that the file is not corrupted"
        ))
    })
}

fn certs_from_pem_blocks(blocks: &[pem::Pem]) -> Vec<Vec<u8>> {
    blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE" || b.tag() == "X509 CERTIFICATE")
        .map(|b| b.contents().to_vec())
        .collect()
}

/// Parses a DER certificate and returns it with its RSA public key.
fn cert_public_key(der: &[u8]) -> Result<(Certificate, rsa::PublicKey), Error> {
    let cert = Certificate::from_der(der).map_err(|e| {
        Error::Config(format!(
            "the certificate is not a valid X.509 certificate ({e}); check that the file is not corrupted"
        ))
    })?;
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err(Error::Config(format!(
            "the certificate's public key is not RSA (algorithm {}), but the identity service needs RS256 assertions; use an RSA certificate",
            spki.algorithm.oid
        )));
    }
    let spki_der = spki.to_der().map_err(|e| {
        Error::Config(format!(
            "the certificate's public key could not be read ({e})"
        ))
    })?;
    let public = rsa::PublicKey::from_public_key_der(&spki_der).map_err(|e| {
        Error::Config(format!(
            "the certificate's RSA public key could not be decoded ({e}); check that the certificate is not corrupted"
        ))
    })?;
    Ok((cert, public))
}

/// Turns a PKCS#12 reader error into a message that says what to do (never the password).
fn pkcs12_error(e: p12_keystore::error::Error) -> Error {
    use p12_keystore::error::Error as P;
    let message = match e {
        P::MacError(_) => {
            "the PKCS#12 password is wrong (the file's integrity check failed); pass the password the .pfx was exported with".to_owned()
        }
        P::UnsupportedEncryptionScheme | P::UnsupportedMacAlgorithm | P::UnsupportedContentType => format!(
            "the PKCS#12 file uses an unsupported protection ({e}); export it again with OpenSSL 3 defaults (`openssl pkcs12 -export -inkey key.pem -in cert.pem -out client.pfx`) or use PEM files"
        ),
        P::DerError(_) | P::InvalidVersion | P::InvalidData | P::InvalidLength => format!(
            "the data is not a valid PKCS#12 (.pfx/.p12) file ({e}); check the file, or load PEM files with ClientCertificate::from_pem"
        ),
        P::UnpadError => {
            "the PKCS#12 file could not be decrypted (bad padding): the password is probably wrong; pass the password the .pfx was exported with".to_owned()
        }
        other => format!(
            "the PKCS#12 file could not be read ({other}); check the file and its password"
        ),
    };
    Error::Config(message)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use x509_cert::der::DecodePem as _;

    const DEMO_CERT: &str = include_str!("../../../avepoint-fake/fixtures/demo-cert.pem");
    const DEMO_KEY: &str = include_str!("../../../avepoint-fake/fixtures/demo-key.pem");
    const DEMO_COMBINED: &str = include_str!("../../../avepoint-fake/fixtures/demo-combined.pem");
    const DEMO_PFX: &[u8] = include_bytes!("../../../avepoint-fake/fixtures/demo.pfx");
    const DEMO_LEGACY_PFX: &[u8] =
        include_bytes!("../../../avepoint-fake/fixtures/demo-legacy.pfx");
    const DEMO_KEY_PKCS1: &str = include_str!("../../tests/fixtures/demo-key-pkcs1.pem");
    const DEMO_AES128_PFX: &[u8] = include_bytes!("../../tests/fixtures/demo-aes128-sha1mac.pfx");
    const OTHER_KEY: &str = include_str!("../../tests/fixtures/other-key.pem");
    const OTHER_KEYENC_CERT: &str = include_str!("../../tests/fixtures/other-keyenc-cert.pem");
    const EC_KEY: &str = include_str!("../../tests/fixtures/ec-key.pem");
    const EC_CERT: &str = include_str!("../../tests/fixtures/ec-cert.pem");
    const FAKE_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../avepoint-fake/fixtures");

    fn demo_password() -> Secret {
        Secret::new("demo-password")
    }

    /// The demo certificate decoded by x509-cert's own PEM reader, not ours.
    fn reference_cert() -> Certificate {
        Certificate::from_pem(DEMO_CERT.as_bytes()).expect("the demo certificate parses")
    }

    /// SHA-1 over the certificate's DER, computed independently of the loader.
    fn reference_thumbprint() -> [u8; 20] {
        let der = reference_cert().to_der().expect("re-encodes");
        Sha1::digest(&der).into()
    }

    fn reference_public_key() -> rsa::PublicKey {
        let spki = reference_cert()
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .expect("spki encodes");
        rsa::PublicKey::from_public_key_der(&spki).expect("RSA public key")
    }

    fn assert_is_demo(cert: &ClientCertificate) {
        assert_eq!(cert.thumbprint, reference_thumbprint());
        assert_eq!(
            cert.certificate_der(),
            reference_cert().to_der().expect("der").as_slice()
        );
        assert!(
            cert.subject()
                .contains("CN=avepoint-fake demo certificate client"),
            "{}",
            cert.subject()
        );
        assert_eq!(cert.key.to_public_key(), reference_public_key());
    }

    fn config_message(result: Result<ClientCertificate, Error>) -> String {
        match result {
            Err(Error::Config(m)) => m,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "avepoint-graph-cert-test-{}-{name}",
            std::process::id()
        ))
    }

    #[test]
    fn loads_a_pem_pair_with_a_pkcs8_or_pkcs1_key() {
        assert_is_demo(&ClientCertificate::from_pem(DEMO_KEY, DEMO_CERT).expect("PKCS#8 key"));
        assert_is_demo(
            &ClientCertificate::from_pem(DEMO_KEY_PKCS1, DEMO_CERT).expect("PKCS#1 key"),
        );
        // Windows line endings and a chain with an unrelated certificate first.
        let chain = format!("{OTHER_KEYENC_CERT}{DEMO_CERT}").replace('\n', "\r\n");
        assert_is_demo(&ClientCertificate::from_pem(DEMO_KEY, &chain).expect("chain"));
    }

    #[test]
    fn loads_a_pem_bundle_in_any_order() {
        assert_is_demo(&ClientCertificate::from_pem_bundle(DEMO_COMBINED).expect("key then cert"));
        let reversed = format!(
            "Bag Attributes\n    friendlyName: demo\n{DEMO_CERT}\nsubject=CN = x\n{DEMO_KEY}"
        );
        assert_is_demo(&ClientCertificate::from_pem_bundle(&reversed).expect("cert then key"));
    }

    #[test]
    fn loads_pkcs12_files_modern_and_legacy() {
        for (name, pfx) in [
            (
                "OpenSSL 3 default (PBES2, AES-256-CBC, SHA-256 MAC)",
                DEMO_PFX,
            ),
            ("legacy (RC2-40 + 3DES, SHA-1 MAC)", DEMO_LEGACY_PFX),
            ("AES-128-CBC, SHA-1 MAC", DEMO_AES128_PFX),
        ] {
            let cert = ClientCertificate::from_pkcs12(pfx, &demo_password())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_is_demo(&cert);
        }
    }

    #[test]
    fn a_wrong_pkcs12_password_is_a_clear_error_without_the_password() {
        let wrong = "Tr0ub4dor&3-not-it";
        for pfx in [DEMO_PFX, DEMO_LEGACY_PFX] {
            let message = config_message(ClientCertificate::from_pkcs12(pfx, &Secret::new(wrong)));
            assert!(message.contains("password is wrong"), "{message}");
            assert!(!message.contains(wrong), "{message}");
            assert!(!message.contains("demo-password"), "{message}");
        }
        let message = config_message(ClientCertificate::from_pkcs12(
            b"\x30\x03\x02\x01\x03",
            &demo_password(),
        ));
        assert!(message.contains("not a valid PKCS#12"), "{message}");
    }

    #[test]
    fn from_file_picks_the_format_by_extension_or_content() {
        let pfx = format!("{FAKE_FIXTURES}/demo.pfx");
        assert_is_demo(&ClientCertificate::from_file(&pfx, Some(&demo_password())).expect("pfx"));
        let legacy = format!("{FAKE_FIXTURES}/demo-legacy.pfx");
        assert_is_demo(
            &ClientCertificate::from_file(&legacy, Some(&demo_password())).expect("legacy"),
        );
        let pem = format!("{FAKE_FIXTURES}/demo-combined.pem");
        assert_is_demo(&ClientCertificate::from_file(&pem, None).expect("PEM bundle"));

        // PKCS#12 content under a neutral name is recognised as DER.
        let neutral = temp_path("client.bin");
        std::fs::write(&neutral, DEMO_PFX).expect("write temp file");
        let loaded = ClientCertificate::from_file(&neutral, Some(&demo_password()));
        let without_password = ClientCertificate::from_file(&neutral, None);
        std::fs::remove_file(&neutral).expect("remove temp file");
        assert_is_demo(&loaded.expect("DER by content"));
        let message = config_message(without_password);
        assert!(message.contains("no password was given"), "{message}");

        // PEM content is recognised whatever the extension says.
        let misnamed = temp_path("bundle.pfx");
        std::fs::write(&misnamed, DEMO_COMBINED).expect("write temp file");
        let loaded = ClientCertificate::from_file(&misnamed, Some(&demo_password()));
        std::fs::remove_file(&misnamed).expect("remove temp file");
        assert_is_demo(&loaded.expect("PEM by content"));

        let missing = config_message(ClientCertificate::from_file(temp_path("missing.pfx"), None));
        assert!(
            missing.contains("could not read the certificate file"),
            "{missing}"
        );
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let message = config_message(ClientCertificate::from_pem(OTHER_KEY, DEMO_CERT));
        assert!(
            message.contains("does not belong to the certificate"),
            "{message}"
        );
        let bundle = format!("{OTHER_KEY}{DEMO_CERT}");
        let message = config_message(ClientCertificate::from_pem_bundle(&bundle));
        assert!(
            message.contains("does not belong to the certificate"),
            "{message}"
        );
    }

    #[test]
    fn unusable_inputs_get_messages_that_say_what_to_do() {
        let message = config_message(ClientCertificate::from_pem(EC_KEY, EC_CERT));
        assert!(message.contains("not an RSA key"), "{message}");
        let message = config_message(ClientCertificate::from_pem(OTHER_KEY, OTHER_KEYENC_CERT));
        assert!(message.contains("digital signatures"), "{message}");
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let message = config_message(ClientCertificate::from_pem(encrypted, DEMO_CERT));
        assert!(
            message.contains("encrypted") && message.contains("from_pkcs12"),
            "{message}"
        );
        let message = config_message(ClientCertificate::from_pem("not pem", DEMO_CERT));
        assert!(message.contains("not PEM text"), "{message}");
        let message = config_message(ClientCertificate::from_pem(DEMO_KEY, DEMO_KEY));
        assert!(
            message.contains("no `BEGIN CERTIFICATE` block"),
            "{message}"
        );
        let message = config_message(ClientCertificate::from_pem_bundle(DEMO_CERT));
        assert!(message.contains("no `BEGIN PRIVATE KEY`"), "{message}");
        let truncated = &DEMO_KEY[..DEMO_KEY.len() / 2];
        let message = config_message(ClientCertificate::from_pem(truncated, DEMO_CERT));
        assert!(message.contains("no END line"), "{message}");
        assert!(
            !message.contains(&DEMO_KEY[40..80]),
            "key material in {message}"
        );
    }

    #[test]
    fn malformed_pem_gets_a_typed_error_without_key_material() {
        let body: Vec<&str> = DEMO_KEY
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let no_key_material = |message: &str| {
            for line in &body {
                assert!(!message.contains(line), "key material in {message}");
            }
        };

        // A legacy encrypted PKCS#1 key is recognised by its RFC 1421 headers.
        let legacy = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n{}\n-----END RSA PRIVATE KEY-----\n",
            body.join("\n")
        );
        let message = config_message(ClientCertificate::from_pem(&legacy, DEMO_CERT));
        assert!(message.contains("Proc-Type: 4,ENCRYPTED"), "{message}");
        no_key_material(&message);

        // A key block closed by another label.
        let mixed = DEMO_KEY.replace("END PRIVATE KEY", "END CERTIFICATE");
        let message = config_message(ClientCertificate::from_pem(&mixed, DEMO_CERT));
        assert!(
            message.contains("`BEGIN PRIVATE KEY` block ends with `END CERTIFICATE`"),
            "{message}"
        );
        no_key_material(&message);

        // A body that is not base64, and one split by a blank line.
        let corrupted = DEMO_KEY.replacen(body[1], &format!("{}!*", &body[1][2..]), 1);
        let message = config_message(ClientCertificate::from_pem(&corrupted, DEMO_CERT));
        assert!(message.contains("not valid base64"), "{message}");
        no_key_material(&message);
        let split = DEMO_KEY.replacen(body[3], &format!("\n{}", body[3]), 1);
        let message = config_message(ClientCertificate::from_pem(&split, DEMO_CERT));
        assert!(message.contains("malformed"), "{message}");
        no_key_material(&message);

        // Text around the blocks (as `openssl x509 -text` writes it) is ignored.
        let annotated = format!(
            "Bag Attributes\n    friendlyName: demo\n{DEMO_KEY}\nsubject=CN = demo\n{DEMO_CERT}"
        );
        assert_is_demo(&ClientCertificate::from_pem_bundle(&annotated).expect("annotated bundle"));
    }

    #[test]
    fn thumbprint_x5t_and_kid_are_the_sha1_of_the_certificate() {
        let cert = ClientCertificate::from_pem(DEMO_KEY, DEMO_CERT).expect("loads");
        let expected = reference_thumbprint();
        let hex: String = expected.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(cert.thumbprint_sha1_hex(), hex);
        assert_eq!(cert.thumbprint_sha1_hex().len(), 40);
        assert_eq!(cert.x5t(), URL_SAFE_NO_PAD.encode(expected));
        assert!(
            !cert.x5t().contains('=') && !cert.x5t().contains('+') && !cert.x5t().contains('/')
        );
    }

    #[test]
    fn debug_shows_subject_and_thumbprint_but_no_key_material() {
        let cert = ClientCertificate::from_pkcs12(DEMO_PFX, &demo_password()).expect("loads");
        let debug = format!("{cert:?}");
        assert!(debug.contains(&cert.thumbprint_sha1_hex()), "{debug}");
        assert!(
            debug.contains("avepoint-fake demo certificate client"),
            "{debug}"
        );
        assert!(!debug.contains("demo-password"));
        for line in DEMO_KEY.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!debug.contains(line), "key material in {debug}");
        }
        // No long runs of digits either (a modulus or exponent printed in decimal or hex).
        let longest_digit_run = debug
            .split(|c: char| !c.is_ascii_hexdigit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_digit_run <= 40, "{debug}");
    }

    /// Splits and checks a compact JWS: returns (header, claims) once the signature verifies
    /// with the certificate's public key (decoded independently of the loader).
    pub(crate) fn verify_assertion(
        jwt: &str,
        public_key: &rsa::PublicKey,
    ) -> (serde_json::Value, serde_json::Value) {
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "a compact JWS has three parts: {jwt}");
        let signature = URL_SAFE_NO_PAD
            .decode(parts[2])
            .expect("signature is base64url");
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        public_key
            .pkcs1v15_verify::<Sha256>(signing_input.as_bytes(), &signature)
            .expect("RS256 signature verifies with the certificate's public key");
        let decode = |part: &str| -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
        };
        (decode(parts[0]), decode(parts[1]))
    }

    /// A random (version 4) UUID in its hyphenated lowercase form.
    fn is_uuid_v4(s: &str) -> bool {
        uuid::Uuid::try_parse(s).is_ok_and(|u| {
            u.get_version() == Some(uuid::Version::Random) && u.hyphenated().to_string() == s
        })
    }

    #[test]
    fn the_assertion_is_signed_rs256_and_carries_the_documented_claims() {
        let cert = ClientCertificate::from_pkcs12(DEMO_PFX, &demo_password()).expect("loads");
        let audience = "https://identity.avepointonlineservices.com/connect/token";
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let first = cert
            .client_assertion("demo-cert-client", audience, now)
            .expect("signs");
        let second = cert
            .client_assertion("demo-cert-client", audience, now)
            .expect("signs");
        let public_key = reference_public_key();
        let (header, claims) = verify_assertion(&first, &public_key);
        let (_, claims2) = verify_assertion(&second, &public_key);

        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(
            header["x5t"],
            URL_SAFE_NO_PAD.encode(reference_thumbprint())
        );
        let kid: String = reference_thumbprint()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(header["kid"], kid.as_str());
        assert_eq!(claims["iss"], "demo-cert-client");
        assert_eq!(claims["sub"], "demo-cert-client");
        assert_eq!(claims["aud"], audience);
        assert_eq!(claims["iat"], 1_767_225_600u64);
        assert_eq!(claims["nbf"], claims["iat"]);
        let lifetime = claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat");
        assert_eq!(lifetime, 300);
        assert_eq!(lifetime, ASSERTION_LIFETIME.as_secs());
        let jti = claims["jti"].as_str().expect("jti");
        assert!(is_uuid_v4(jti), "{jti}");
        assert_ne!(
            claims["jti"], claims2["jti"],
            "every assertion gets a fresh jti"
        );

        // A tampered assertion does not verify: the check above is meaningful.
        let mut parts: Vec<String> = first.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(br#"{"iss":"someone-else"}"#);
        let signature = URL_SAFE_NO_PAD.decode(&parts[2]).expect("base64url");
        let tampered_input = format!("{}.{}", parts[0], parts[1]);
        assert!(
            public_key
                .pkcs1v15_verify::<Sha256>(tampered_input.as_bytes(), &signature)
                .is_err()
        );

        insta::assert_json_snapshot!(
            "client_assertion_decoded",
            serde_json::json!({ "header": header, "claims": claims }),
            { ".header.x5t" => "[x5t]", ".header.kid" => "[thumbprint]", ".claims.jti" => "[jti]" }
        );
    }

    #[test]
    fn the_assertion_is_the_same_from_every_source_format() {
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let public_key = reference_public_key();
        for cert in [
            ClientCertificate::from_pem(DEMO_KEY_PKCS1, DEMO_CERT).expect("pem"),
            ClientCertificate::from_pkcs12(DEMO_LEGACY_PFX, &demo_password()).expect("legacy pfx"),
        ] {
            let jwt = cert
                .client_assertion("c", "https://id.example/connect/token", now)
                .expect("signs");
            let _ = verify_assertion(&jwt, &public_key);
        }
    }
}
