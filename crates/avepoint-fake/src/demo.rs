//! The demo credentials the fake service accepts out of the box, and the throwaway test
//! certificate behind the certificate client.
//!
//! **Everything here is a public, throwaway test credential.** The private key is committed
//! on purpose (see `fixtures/README.md`); nothing real trusts it.
//!
//! * [`CLIENT_ID`] / [`CLIENT_SECRET`]: a client-secret app with the scopes
//!   [`SCOPE_LICENSE_READ_ALL`] and [`SCOPE_CUSTOMERS_READ_ALL`].
//! * [`CERT_CLIENT_ID`]: a certificate app registered with [`CERT_PEM`]; authenticate with an
//!   RS256 JWT client assertion signed by [`KEY_PEM`] (also in [`COMBINED_PEM`], [`PFX`] and
//!   [`LEGACY_PFX`], password [`PFX_PASSWORD`]).
//! * [`LIMITED_CLIENT_ID`] / [`CLIENT_SECRET`]: a client-secret app that lacks
//!   [`SCOPE_LICENSE_READ_ALL`], to exercise `403 Forbidden` and `invalid_scope`.

use std::path::PathBuf;

/// The permission (OAuth scope) the user-seats endpoint requires.
pub const SCOPE_LICENSE_READ_ALL: &str = "elements.license.read.all";
/// The permission (OAuth scope) for the customers listing, granted for later endpoints.
pub const SCOPE_CUSTOMERS_READ_ALL: &str = "elements.customers.read.all";

/// Client id of the demo client-secret app.
pub const CLIENT_ID: &str = "demo-client";
/// Client secret of [`CLIENT_ID`] (and of [`LIMITED_CLIENT_ID`]).
pub const CLIENT_SECRET: &str = "demo-secret";
/// Client id of the demo certificate app (registered with [`CERT_PEM`]).
pub const CERT_CLIENT_ID: &str = "demo-cert-client";
/// Client id of a client-secret app that only has [`SCOPE_CUSTOMERS_READ_ALL`].
pub const LIMITED_CLIENT_ID: &str = "demo-limited-client";
/// Password of [`PFX`] and [`LEGACY_PFX`].
pub const PFX_PASSWORD: &str = "demo-password";

/// The demo certificate: self-signed X.509, RSA 2048, key usage `digitalSignature`.
pub const CERT_PEM: &str = include_str!("../fixtures/demo-cert.pem");
/// The private key of [`CERT_PEM`], unencrypted PKCS#8 PEM.
pub const KEY_PEM: &str = include_str!("../fixtures/demo-key.pem");
/// [`KEY_PEM`] followed by [`CERT_PEM`] in one PEM document.
pub const COMBINED_PEM: &str = include_str!("../fixtures/demo-combined.pem");
/// PKCS#12 of key and certificate, password [`PFX_PASSWORD`], OpenSSL 3 defaults
/// (PBES2/PBKDF2/AES-256-CBC, SHA-256 MAC).
pub const PFX: &[u8] = include_bytes!("../fixtures/demo.pfx");
/// PKCS#12 of key and certificate, password [`PFX_PASSWORD`], made with `openssl -legacy`
/// (RC2-40 and 3DES, SHA-1 MAC).
pub const LEGACY_PFX: &[u8] = include_bytes!("../fixtures/demo-legacy.pfx");

/// File names of the fixtures, as written by [`write_fixtures`] and as found in
/// [`source_fixtures_dir`].
pub const FIXTURE_FILES: [&str; 5] = [
    "demo-cert.pem",
    "demo-key.pem",
    "demo-combined.pem",
    "demo.pfx",
    "demo-legacy.pfx",
];

/// The `fixtures/` folder of this crate's source tree, if it still exists on this machine
/// (it does in a checkout; it may not for an installed binary: use [`write_fixtures`] then).
pub fn source_fixtures_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    dir.join("demo.pfx").is_file().then_some(dir)
}

/// Writes the five fixture files ([`FIXTURE_FILES`]) into `dir` (created if missing) and
/// returns `dir`.
pub fn write_fixtures(dir: &std::path::Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let contents: [&[u8]; 5] = [
        CERT_PEM.as_bytes(),
        KEY_PEM.as_bytes(),
        COMBINED_PEM.as_bytes(),
        PFX,
        LEGACY_PFX,
    ];
    for (name, bytes) in FIXTURE_FILES.iter().zip(contents) {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(dir.to_path_buf())
}
