//! From flags and environment variables to a configured [`ClientBuilder`].
//!
//! Secrets (the client secret, the certificate password) come from environment variables or
//! files, never from the command line, and are held as [`Secret`]s so they cannot end up in
//! a log line or an error message.

use std::path::{Path, PathBuf};

use avepoint_graph::{
    Client, ClientBuilder, ClientCertificate, Credentials, DataCenter, RetryPolicy, Secret,
};

use crate::cli::ConnectionArgs;
use crate::exit::Fatal;

/// The client secret (when no `--client-secret-file`).
pub(crate) const ENV_CLIENT_SECRET: &str = "AVEPOINT_CLIENT_SECRET";
/// The certificate file (when no `--certificate`).
pub(crate) const ENV_CERTIFICATE: &str = "AVEPOINT_CERTIFICATE";
/// The certificate password (when no `--certificate-password-file`).
pub(crate) const ENV_CERTIFICATE_PASSWORD: &str = "AVEPOINT_CERTIFICATE_PASSWORD";

/// Looks up an environment variable; empty values count as unset.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty values treated as unset.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Builds the client the connection settings describe.
///
/// Errors are configuration errors (exit code 2): a missing client id or secret, both a
/// secret and a certificate, an unknown region, an unusable URL, an unreadable secret file or
/// certificate.
pub(crate) fn build_client(args: &ConnectionArgs, env: EnvLookup<'_>) -> Result<Client, Fatal> {
    client_builder(args, env)?
        .build()
        .map_err(|e| Fatal::config(&e))
}

/// The [`ClientBuilder`] the connection settings describe (not built yet).
pub(crate) fn client_builder(
    args: &ConnectionArgs,
    env: EnvLookup<'_>,
) -> Result<ClientBuilder, Fatal> {
    let non_empty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut builder = with_call_settings(avepoint_graph::Client::builder(), args);
    let region = match non_empty(&args.region) {
        Some(name) => name
            .parse::<DataCenter>()
            .map_err(|e| Fatal::usage(format!("--region/AVEPOINT_REGION: {e}")))?,
        None => DataCenter::default(),
    };
    builder = builder.data_center(region);
    if let Some(url) = non_empty(&args.base_url) {
        builder = builder.api_base_url(url);
    }
    if let Some(url) = non_empty(&args.token_url) {
        builder = builder.token_url(url);
    }
    if let Some(scopes) = scope_list(args.scope.as_deref()) {
        builder = builder.scopes(scopes);
    }
    if let Some(scopes) = scope_list(args.customers_scope.as_deref()) {
        builder = builder.customers_scopes(scopes);
    }
    let credentials = credentials(args, env)?;
    // The URLs as configured, not yet checked: logged without user info or query.
    tracing::info!(
        region = region.name(),
        base_url = %avepoint_graph::redact_url_text(
            non_empty(&args.base_url)
                .as_deref()
                .unwrap_or(region.api_base_url())
        ),
        token_url = %avepoint_graph::redact_url_text(
            non_empty(&args.token_url)
                .as_deref()
                .unwrap_or(region.token_url())
        ),
        client_id = credentials.client_id().unwrap_or_default(),
        "configured the AvePoint client"
    );
    Ok(builder.credentials(credentials))
}

/// How the calls are made, whichever service they go to (the demo service too): the retry
/// attempts, the rate cap and the connection pooling.
pub(crate) fn with_call_settings(
    mut builder: ClientBuilder,
    args: &ConnectionArgs,
) -> ClientBuilder {
    // A nightly fan-out talks HTTP/1.1 (often over TLS) at a fixed concurrency: surplus
    // connections cost more there than the per-request bookkeeping of the option.
    builder = builder.pool_first_connections(true);
    if let Some(attempts) = args.max_attempts {
        builder = builder.retry_policy(RetryPolicy::default().max_attempts(attempts));
    }
    if let Some(rps) = args.rate_limit {
        builder = builder.max_requests_per_second(rps);
    }
    builder
}

/// The scopes of a space- or comma-separated list; `None` when it names none.
fn scope_list(list: Option<&str>) -> Option<Vec<&str>> {
    let scopes: Vec<&str> = list?
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    (!scopes.is_empty()).then_some(scopes)
}

/// Which credential the settings choose.
enum CredentialSource {
    SecretFile(PathBuf),
    SecretEnv(Secret),
    Certificate(PathBuf),
}

/// Picks and loads the credentials: a flag beats an environment variable; a secret and a
/// certificate both from the environment are ambiguous.
fn credentials(args: &ConnectionArgs, env: EnvLookup<'_>) -> Result<Credentials, Fatal> {
    let source = if let Some(path) = &args.certificate {
        CredentialSource::Certificate(path.clone())
    } else if let Some(path) = &args.client_secret_file {
        CredentialSource::SecretFile(path.clone())
    } else {
        match (env(ENV_CERTIFICATE), env(ENV_CLIENT_SECRET)) {
            (Some(_), Some(_)) => {
                return Err(Fatal::usage(format!(
                    "both {ENV_CLIENT_SECRET} and {ENV_CERTIFICATE} are set; unset one of them, or choose with --client-secret-file or --certificate"
                )));
            }
            (Some(path), None) => CredentialSource::Certificate(PathBuf::from(path)),
            (None, Some(secret)) => CredentialSource::SecretEnv(Secret::new(secret)),
            (None, None) => {
                return Err(Fatal::usage(format!(
                    "no credentials: set {ENV_CLIENT_SECRET} (or pass --client-secret-file PATH), or {ENV_CERTIFICATE} (or --certificate PATH); try --demo to see the tool work without an account"
                )));
            }
        }
    };
    let client_id = args
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            Fatal::usage(
                "no client id: set AVEPOINT_CLIENT_ID or pass --client-id (the Application (Client) ID from Elements > Settings > API app registration)",
            )
        })?
        .to_owned();
    match source {
        CredentialSource::SecretEnv(secret) => Ok(Credentials::client_secret(client_id, secret)),
        CredentialSource::SecretFile(path) => {
            let secret = read_secret_file(&path, "--client-secret-file")?;
            Ok(Credentials::client_secret(client_id, secret))
        }
        CredentialSource::Certificate(path) => {
            let password = match &args.certificate_password_file {
                Some(file) => Some(read_secret_file(file, "--certificate-password-file")?),
                None => env(ENV_CERTIFICATE_PASSWORD).map(Secret::new),
            };
            let certificate =
                ClientCertificate::from_file(&path, password.as_ref()).map_err(|e| {
                    if password.is_none() && e.to_string().contains("no password was given") {
                        Fatal::usage(format!(
                            "the certificate file {} needs a password: set {ENV_CERTIFICATE_PASSWORD} or pass --certificate-password-file PATH",
                            path.display()
                        ))
                    } else {
                        Fatal::config(&e)
                    }
                })?;
            Ok(Credentials::certificate(client_id, certificate))
        }
    }
}

/// Reads a secret from a file, dropping trailing line breaks; an empty secret is refused.
pub(crate) fn read_secret_file(path: &Path, flag: &str) -> Result<Secret, Fatal> {
    let secret = Secret::from_file(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Fatal::usage(format!("{flag}: {} is not UTF-8 text", path.display()))
        } else {
            Fatal::usage(format!("{flag}: could not read {}: {e}", path.display()))
        }
    })?;
    if secret.is_empty() {
        return Err(Fatal::usage(format!("{flag}: {} is empty", path.display())));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Status;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            vars.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        }
    }

    fn args() -> ConnectionArgs {
        ConnectionArgs {
            client_id: Some("app".into()),
            ..ConnectionArgs::default()
        }
    }

    fn message(r: Result<Client, Fatal>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => {
                assert_eq!(e.status, Status::Usage);
                e.message
            }
        }
    }

    #[test]
    fn secret_from_env_builds() {
        let env = env_of(&[(ENV_CLIENT_SECRET, "s3cret")]);
        let client = build_client(&args(), &env).expect("builds");
        assert_eq!(
            client.endpoints().api_base(),
            "https://graph.avepointonlineservices.com"
        );
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[test]
    fn missing_pieces_are_usage_errors() {
        let m = message(build_client(&args(), &env_of(&[])));
        assert!(m.contains("no credentials"), "{m}");
        let no_id = ConnectionArgs::default();
        let m = message(build_client(&no_id, &env_of(&[(ENV_CLIENT_SECRET, "x")])));
        assert!(m.contains("AVEPOINT_CLIENT_ID"), "{m}");
        let both = env_of(&[(ENV_CLIENT_SECRET, "x"), (ENV_CERTIFICATE, "c.pfx")]);
        let m = message(build_client(&args(), &both));
        assert!(m.contains("both"), "{m}");
    }

    #[test]
    fn region_and_urls_are_checked() {
        let env = env_of(&[(ENV_CLIENT_SECRET, "x")]);
        let mut a = args();
        a.region = Some("mars".into());
        assert!(message(build_client(&a, &env)).contains("unknown data center"));
        a.region = Some("gcp-us".into());
        let c = build_client(&a, &env).expect("builds");
        assert_eq!(
            c.endpoints().api_base(),
            "https://graph-gcp-us.avepointonlineservices.com"
        );
        a.base_url = Some("http://example.com".into());
        assert!(message(build_client(&a, &env)).contains("plain http"));
        a.base_url = Some("http://127.0.0.1:9".into());
        a.token_url = Some("not a url".into());
        assert!(message(build_client(&a, &env)).contains("token URL"));
    }

    #[test]
    fn secret_files_are_trimmed_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("secret");
        std::fs::write(&file, "abc \r\n\n").expect("write");
        let s = read_secret_file(&file, "--f").expect("reads");
        assert_eq!(s.expose(), "abc ");
        std::fs::write(&file, "\n").expect("write");
        assert!(read_secret_file(&file, "--f").is_err());
        let e = read_secret_file(Path::new("/dev/zero"), "--f").expect_err("endless");
        assert!(e.message.contains("larger than"), "{}", e.message);
        let missing = dir.path().join("missing");
        let e = read_secret_file(&missing, "--f").expect_err("missing");
        assert_eq!(e.status, Status::Usage);
    }

    #[test]
    fn unreadable_certificate_is_a_usage_error() {
        let mut a = args();
        a.certificate = Some(PathBuf::from("/nonexistent/cert.pfx"));
        let m = message(build_client(&a, &env_of(&[(ENV_CLIENT_SECRET, "x")])));
        assert!(m.contains("certificate"), "{m}");
    }

    #[test]
    fn a_pfx_without_a_password_names_the_variable_and_the_flag() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pfx = dir.path().join("app.pfx");
        std::fs::write(&pfx, avepoint_fake::demo::PFX).expect("write the pfx");
        let mut a = args();
        a.certificate = Some(pfx.clone());
        let m = message(build_client(&a, &env_of(&[])));
        assert_eq!(
            m,
            format!(
                "the certificate file {} needs a password: set AVEPOINT_CERTIFICATE_PASSWORD or pass --certificate-password-file PATH",
                pfx.display()
            )
        );
        // With the password it loads.
        let password = dir.path().join("password");
        std::fs::write(&password, avepoint_fake::demo::PFX_PASSWORD).expect("write");
        a.certificate_password_file = Some(password);
        assert!(build_client(&a, &env_of(&[])).is_ok());
    }
}
