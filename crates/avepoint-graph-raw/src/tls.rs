//! The TLS crypto provider of every HTTP client of this workspace.
//!
//! `reqwest` is built with `rustls-no-provider`, and rustls with its `ring` provider only:
//! rustls's default provider, `aws-lc-rs`, compiles the `aws-lc-sys` C library, which made a
//! cold build of the workspace minutes longer. Without a provider, `reqwest` panics when a
//! client is built, so every client must be built after [`install_crypto_provider`]; use
//! [`http_client_builder`], which does that, instead of `reqwest::Client::builder()`.

/// Makes `ring` the process-wide rustls crypto provider, unless one is installed already (a
/// provider the application chose is kept). Idempotent and cheap after the first call.
pub fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // An Err means another thread installed one in between: also fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    });
}

/// `reqwest::Client::builder()`, after [`install_crypto_provider`]: the way to start a
/// `reqwest::Client` for [`crate::Client::new_with_client`] (or anything else) in a
/// program that uses this crate.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_and_the_provider_stays_installed() {
        let client = http_client_builder().build();
        assert!(client.is_ok(), "{client:?}");
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        // A second call keeps the installed provider and still builds.
        assert!(http_client_builder().build().is_ok());
    }
}
