//! Shared helpers of the wrapper's integration tests: a wiremock identity + API server on
//! loopback, a client pointed at it, and the test clock (`avepoint_graph::TestClock`): it
//! records the waits of the retry loop and the rate limiter and skips them.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use avepoint_graph::TestClock;
use avepoint_graph::{Client, ClientBuilder, Credentials, RetryPolicy};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "s3cr3t-value-never-logged";
pub const SEATS_PATH_RE: &str =
    r"^/partner/external/v3/general/customers/[^/]+/3rd-party-products/type/[0-9]+/users$";

/// Issues `token-1`, `token-2`, ... with the given lifetime, counting requests.
#[derive(Debug, Clone)]
pub struct TokenResponder {
    pub issued: Arc<AtomicUsize>,
    pub expires_in: u64,
    pub delay: Duration,
}

impl TokenResponder {
    pub fn new(expires_in: u64) -> Self {
        Self {
            issued: Arc::new(AtomicUsize::new(0)),
            expires_in,
            delay: Duration::ZERO,
        }
    }
}

impl Respond for TokenResponder {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({
                "access_token": format!("token-{n}"),
                "expires_in": self.expires_in,
                "token_type": "Bearer",
                "scope": "elements.license.read.all",
            }))
            .set_delay(self.delay)
    }
}

pub struct Harness {
    pub server: MockServer,
    pub tokens: TokenResponder,
    /// The clients' clock: `clock.waits()` are the waits asked for.
    pub clock: Arc<TestClock>,
}

pub fn sample_body() -> serde_json::Value {
    serde_json::json!([
        {"id": "f04d7aee-1c2b-4d3e-8f9a-65215f92e596", "name": "TenantABC", "availableUserSeat": 25, "assignedUserSeat": 25},
        {"id": "0b6c1f6e-2a3b-4c5d-9e8f-7a6b5c4d3e2f", "name": "Contoso EU", "availableUserSeat": 3, "assignedUserSeat": 120}
    ])
}

impl Harness {
    /// A server with a token endpoint (tokens valid `expires_in` seconds) and nothing else.
    pub async fn start(expires_in: u64) -> Self {
        Self::start_with(TokenResponder::new(expires_in)).await
    }

    pub async fn start_with(tokens: TokenResponder) -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/connect/token"))
            .respond_with(tokens.clone())
            .mount(&server)
            .await;
        Self {
            server,
            tokens,
            clock: Arc::new(TestClock::new()),
        }
    }

    pub fn builder(&self) -> ClientBuilder {
        Client::builder()
            .api_base_url(self.server.uri())
            .token_url(format!("{}/connect/token", self.server.uri()))
            .credentials(Credentials::client_secret(CLIENT_ID, CLIENT_SECRET))
            .clock(self.clock.clone())
            .retry_policy(RetryPolicy::default())
    }

    pub fn client(&self) -> Client {
        self.builder().build().expect("client builds")
    }

    /// Answers the seats route with `template`, `times` times (then falls through), at
    /// the given priority (1 is tried first).
    pub async fn seats_respond(
        &self,
        template: ResponseTemplate,
        times: Option<u64>,
        priority: u8,
    ) {
        let mock = Mock::given(method("POST"))
            .and(path_regex(SEATS_PATH_RE))
            .respond_with(template)
            .with_priority(priority);
        let mock = match times {
            Some(n) => mock.up_to_n_times(n),
            None => mock,
        };
        mock.mount(&self.server).await;
    }

    pub async fn seats_ok(&self) {
        self.seats_respond(
            ResponseTemplate::new(200).set_body_json(sample_body()),
            None,
            5,
        )
        .await;
    }

    pub async fn count(&self, predicate: impl Fn(&Request) -> bool) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| predicate(r))
            .count()
    }

    pub async fn token_requests(&self) -> usize {
        self.count(|r| r.url.path() == "/connect/token").await
    }

    pub async fn api_requests(&self) -> usize {
        self.count(|r| r.url.path() != "/connect/token").await
    }
}

/// A `tracing` writer that keeps what it is given, for tests that read the logs.
#[derive(Clone, Default)]
pub struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
