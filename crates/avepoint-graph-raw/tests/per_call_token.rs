//! Tokens given per call (`with_authorization`) on one shared client: each call sends its
//! own token, only to the allowed origin, and the context's fixed token is the fallback.

use avepoint_graph_raw::{Client, Error, RequestContext, bearer_header, types, with_authorization};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A `reqwest` client that never goes through a proxy, whatever the environment says.
fn http_client() -> reqwest::Client {
    avepoint_graph_raw::http_client_builder()
        .no_proxy()
        .build()
        .expect("a reqwest client builds")
}

/// The requests `server` received so far.
async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on by default")
}

/// The one row a server answers to the call that sent token `n`.
fn row(n: usize) -> serde_json::Value {
    serde_json::json!([{
        "id": format!("tenant-{n}"),
        "name": format!("sent token {n}"),
        "availableUserSeat": n,
        "assignedUserSeat": 0,
    }])
}

/// A server that answers each of `tokens` tokens with its own row, and anything else 401.
async fn server_per_token(tokens: usize) -> MockServer {
    let server = MockServer::start().await;
    for n in 0..tokens {
        Mock::given(method("POST"))
            .and(header(
                "authorization",
                format!("Bearer token-{n}").as_str(),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(row(n))
                    // Holds calls in flight together, so that they overlap on the client.
                    .set_delay(std::time::Duration::from_millis(20)),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// The seats call; an error is described as text (its status, or the refusal).
async fn seats(client: &Client) -> Result<Vec<types::TenantUserSeats>, String> {
    client
        .retrieve_customer_tenant_user_seats(
            &"f162a7c1-b9d4-4e0b-a165-97db3c2afc15"
                .parse()
                .expect("a customer id"),
            &types::TenantType::try_from(0).expect("a tenant type"),
            &types::UserSeatsRequest::default(),
        )
        .await
        .map(|r| r.into_inner())
        .map_err(|e| match e {
            Error::ErrorResponse(rv) => format!("HTTP {}", rv.status()),
            Error::UnexpectedResponse(r) => format!("HTTP {}", r.status()),
            other => other.to_string(),
        })
}

/// 64 concurrent calls on one client, on a multi-threaded runtime, each with its own token:
/// every call gets the answer of the token it was given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_each_send_their_own_token() {
    const CALLS: usize = 64;
    let server = server_per_token(CALLS).await;
    let client = std::sync::Arc::new(Client::new_with_client(
        &server.uri(),
        http_client(),
        RequestContext::for_origin(&server.uri()).expect("a valid origin"),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..CALLS {
        let client = client.clone();
        tasks.spawn(async move {
            let token = bearer_header(&format!("token-{n}")).expect("a valid token");
            (n, with_authorization(token, seats(&client)).await)
        });
    }
    let mut answered = 0;
    while let Some(joined) = tasks.join_next().await {
        let (n, outcome) = joined.expect("the task ran");
        let rows = outcome.unwrap_or_else(|e| panic!("call {n}: {e}"));
        assert_eq!(rows.len(), 1, "call {n}");
        assert_eq!(rows[0].name, format!("sent token {n}"), "call {n}");
        answered += 1;
    }
    assert_eq!(answered, CALLS);
    assert_eq!(received(&server).await.len(), CALLS);
}

/// A per-call token replaces the context's fixed one; outside `with_authorization` the fixed
/// one is sent.
#[tokio::test]
async fn the_per_call_token_takes_precedence() {
    let server = server_per_token(2).await;
    let ctx = RequestContext::with_bearer("token-0".to_owned(), &server.uri()).expect("valid");
    let client = Client::new_with_client(&server.uri(), http_client(), ctx);
    let fixed = seats(&client).await.expect("the fixed token is sent");
    assert_eq!(fixed[0].name, "sent token 0");
    let per_call = with_authorization(bearer_header("token-1").expect("valid"), seats(&client))
        .await
        .expect("the per-call token is sent");
    assert_eq!(per_call[0].name, "sent token 1");
}

/// A per-call token is refused, before anything is sent, by a client whose base URL is not
/// the allowed origin, and by a context that allows no origin at all.
#[tokio::test]
async fn a_per_call_token_only_goes_to_the_allowed_origin() {
    let server = server_per_token(1).await;
    let other = format!("http://localhost:{}", server.address().port());
    for ctx in [
        RequestContext::for_origin(&other).expect("a valid origin"),
        RequestContext::anonymous(),
    ] {
        let client = Client::new_with_client(&server.uri(), http_client(), ctx);
        let err = with_authorization(bearer_header("token-0").expect("valid"), seats(&client))
            .await
            .expect_err("the token must not be sent");
        let message = err.to_string();
        assert!(
            message.contains("refusing to send the access token"),
            "{message}"
        );
        assert!(!message.contains("token-0"), "{message}");
    }
    assert!(received(&server).await.is_empty(), "nothing may be sent");
}

/// `bearer_header` refuses a token that would break the header, without repeating it.
#[test]
fn bearer_header_refuses_header_injection() {
    let err = bearer_header("secret-token\r\nX-Injected: 1").expect_err("CR LF is refused");
    assert!(!err.to_string().contains("secret-token"), "{err}");
    let header = bearer_header("secret-token").expect("valid");
    assert!(header.is_sensitive());
}
