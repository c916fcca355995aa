//! Helpers shared by the raw client's integration tests: a loopback `wiremock` server and a
//! generated client pointed at it, authenticated with a fixed test token.

use avepoint_graph_raw::{Client, RequestContext, types};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The bearer token the tests send; snapshots show it as `[token]`.
pub(crate) const TOKEN: &str = "test-access-token-5f3c2a";

/// The customer id used where the id itself does not matter (the seed's masked id, unmasked).
pub(crate) const CUSTOMER_ID: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";

/// A loopback server that answers every request with `response` and records what it receives.
pub(crate) async fn server_responding(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// A `reqwest` client that never goes through a proxy, whatever the environment says.
pub(crate) fn http_client() -> reqwest::Client {
    avepoint_graph_raw::http_client_builder()
        .no_proxy()
        .build()
        .expect("a reqwest client builds")
}

/// The generated client for `server`, sending [`TOKEN`] to the server's origin.
pub(crate) fn client_for(server: &MockServer) -> Client {
    let base = server.uri();
    let ctx = RequestContext::with_bearer(TOKEN.to_owned(), &base).expect("a valid origin");
    Client::new_with_client(&base, http_client(), ctx)
}

/// A customer id path parameter.
pub(crate) fn customer_id(id: &str) -> types::RetrieveCustomerTenantUserSeatsCustomerId {
    id.parse().expect("a non-empty customer id")
}

/// A tenant type path parameter (0..=3).
pub(crate) fn tenant_type(value: i32) -> types::TenantType {
    types::TenantType::try_from(value).expect("a tenant type in 0..=3")
}

/// The requests `server` received so far.
pub(crate) async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on by default")
}
