//! Where the clients under test connect and with which credentials.

/// The service under test and the client-secret credentials every client uses.
///
/// The runner, the Python script and the CLI read the same environment variables:
/// `AVEPOINT_BASE_URL`, `AVEPOINT_TOKEN_URL`, `AVEPOINT_CLIENT_ID`, `AVEPOINT_CLIENT_SECRET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// API base URL, e.g. `http://127.0.0.1:41234`.
    pub base_url: String,
    /// Token endpoint URL.
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (the fake's public demo secret in benchmarks).
    pub client_secret: String,
}

impl Target {
    /// The fake service's demo client-secret app at `base_url` / `token_url`.
    pub fn fake_demo(base_url: impl Into<String>, token_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token_url: token_url.into(),
            client_id: avepoint_fake::demo::CLIENT_ID.to_owned(),
            client_secret: avepoint_fake::demo::CLIENT_SECRET.to_owned(),
        }
    }

    /// The environment variables that point a client (runner, Python script, CLI) at this
    /// target.
    pub fn env(&self) -> [(&'static str, &str); 4] {
        [
            ("AVEPOINT_BASE_URL", self.base_url.as_str()),
            ("AVEPOINT_TOKEN_URL", self.token_url.as_str()),
            ("AVEPOINT_CLIENT_ID", self.client_id.as_str()),
            ("AVEPOINT_CLIENT_SECRET", self.client_secret.as_str()),
        ]
    }
}
