//! Verification of RS256 JWT client assertions (RFC 7523, `private_key_jwt`).
//!
//! Checked, in order: three base64url segments; header `alg` = `RS256` (and `typ`, if
//! present, `JWT`); header `x5t` / `x5t#S256`, if present, equal to the registered
//! certificate's thumbprints; the PKCS#1 v1.5 SHA-256 signature against the certificate's
//! public key; the certificate's validity period; `iss` = `sub` = client id; `aud` (a string
//! or an array) containing one of the accepted token URLs; `exp` in the future and at most
//! [`AssertionPolicy::max_lifetime`] ahead; `nbf` and `iat`, if present, not in the future;
//! `jti` present and non-empty. All time checks allow [`AssertionPolicy::clock_skew`].
//! Replay of `jti` is checked by the caller ([`crate::token`]).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use serde_json::Value;
use sha2::Sha256;

use crate::clients::ClientCertificate;

/// What an assertion is checked against.
#[derive(Clone, Debug)]
pub(crate) struct AssertionPolicy {
    /// Accepted `aud` values (the token URL under the names the server is reached by).
    pub(crate) audiences: Vec<String>,
    /// Current Unix time, in seconds.
    pub(crate) now: u64,
    /// Tolerated clock difference.
    pub(crate) clock_skew: Duration,
    /// Longest accepted time from now to `exp`.
    pub(crate) max_lifetime: Duration,
}

/// A verified assertion's replay key and expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VerifiedAssertion {
    pub(crate) jti: String,
    pub(crate) expires_at: u64,
}

/// Verifies `jwt` for `client_id` against `cert`. The error is a description for
/// `error_description` (it never contains the assertion itself).
pub(crate) fn verify(
    jwt: &str,
    client_id: &str,
    cert: &ClientCertificate,
    policy: &AssertionPolicy,
) -> Result<VerifiedAssertion, String> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the client assertion is not a JWS compact serialization (3 segments)".into());
    };
    let header = decode_json(h, "header")?;
    let claims = decode_json(p, "payload")?;
    let signature = URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| "the client assertion signature is not base64url".to_owned())?;

    match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        Some(other) => {
            return Err(format!(
                "unsupported client assertion alg `{other}` (RS256 required)"
            ));
        }
        None => return Err("the client assertion header has no alg".into()),
    }
    if let Some(typ) = header.get("typ")
        && !typ.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT"))
    {
        return Err("the client assertion typ must be JWT".into());
    }
    for (name, expected) in [
        ("x5t", cert.sha1_thumbprint()),
        ("x5t#S256", cert.sha256_thumbprint()),
    ] {
        if let Some(v) = header.get(name)
            && v.as_str().map(|t| t.trim_end_matches('=')) != Some(expected)
        {
            return Err(format!(
                "the client assertion {name} does not match the registered certificate"
            ));
        }
    }

    let signature = Signature::try_from(signature.as_slice())
        .map_err(|_| "the client assertion signature is malformed".to_owned())?;
    let signed = &jwt[..h.len() + 1 + p.len()];
    VerifyingKey::<Sha256>::new(cert.public_key.clone())
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| {
            "the client assertion signature does not verify against the registered certificate"
                .to_owned()
        })?;

    let now = policy.now;
    let skew = policy.clock_skew.as_secs();
    if now + skew < cert.not_before || now > cert.not_after + skew {
        return Err("the registered certificate is not valid at this time".into());
    }

    let claim_str = |name: &str| claims.get(name).and_then(Value::as_str);
    if claim_str("iss") != Some(client_id) {
        return Err("the client assertion iss must be the client id".into());
    }
    if claim_str("sub") != Some(client_id) {
        return Err("the client assertion sub must be the client id".into());
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => policy.audiences.iter().any(|x| x == a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| policy.audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "the client assertion aud must be the token endpoint URL ({})",
            policy.audiences.first().map_or("", String::as_str)
        ));
    }
    let exp = numeric_date(&claims, "exp")?.ok_or("the client assertion has no exp")?;
    if exp + skew <= now {
        return Err("the client assertion has expired".into());
    }
    if exp > now + skew + policy.max_lifetime.as_secs() {
        return Err(format!(
            "the client assertion exp is too far in the future (at most {} s)",
            policy.max_lifetime.as_secs()
        ));
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = numeric_date(&claims, name)?
            && t > now + skew
        {
            return Err(format!("the client assertion {name} is in the future"));
        }
    }
    match claim_str("jti") {
        Some(jti) if !jti.is_empty() => Ok(VerifiedAssertion {
            jti: jti.to_owned(),
            expires_at: exp,
        }),
        _ => Err("the client assertion has no jti".into()),
    }
}

fn decode_json(segment: &str, what: &str) -> Result<serde_json::Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| format!("the client assertion {what} is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("the client assertion {what} is not a JSON object")),
    }
}

/// A NumericDate claim: seconds since the epoch, an integer or a (truncated) decimal.
fn numeric_date(
    claims: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<u64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| *f >= 0.0 && f.is_finite())
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| format!("the client assertion {name} is not a NumericDate")),
    }
}
