//! Every error's text, produced by real calls against loopback servers, printed the two ways
//! applications print errors: `{}` (one level) and anyhow's `{:#}` (the error and its
//! causes). Snapshotted, and checked: no text appears twice in the chain, and the words
//! about retries match the attempts the server really saw.

mod common;

use std::time::Duration;

use avepoint_graph::{Client, Credentials, Error, RetryPolicy, TenantType};
use common::Harness;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One error case: its name, the error, and how many API attempts the server saw (when the
/// case went through the API).
struct Case {
    name: String,
    error: Error,
    api_attempts: Option<usize>,
}

async fn seats(h: &Harness, builder: avepoint_graph::ClientBuilder) -> (Error, Option<usize>) {
    let error = builder
        .build()
        .expect("client")
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails");
    (error, Some(h.api_requests().await))
}

async fn seats_error(h: &Harness, policy: RetryPolicy) -> (Error, Option<usize>) {
    seats(h, h.builder().retry_policy(policy)).await
}

async fn api_status_error(
    status: u16,
    body: Option<serde_json::Value>,
    retry_after: Option<&str>,
) -> (Error, Option<usize>) {
    let h = Harness::start(3600).await;
    let mut t = ResponseTemplate::new(status).insert_header("X-Request-Id", "req-42");
    if let Some(b) = body {
        t = t.set_body_json(b);
    }
    if let Some(r) = retry_after {
        t = t.insert_header("Retry-After", r);
    }
    h.seats_respond(t, None, 1).await;
    seats_error(&h, RetryPolicy::disabled()).await
}

async fn token_error(status: u16, body: serde_json::Value) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    Client::builder()
        .api_base_url(server.uri())
        .token_url(format!("{}/connect/token", server.uri()))
        .credentials(Credentials::client_secret(
            common::CLIENT_ID,
            common::CLIENT_SECRET,
        ))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails")
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut push = |name: &str, (error, api_attempts): (Error, Option<usize>)| {
        cases.push(Case {
            name: name.to_owned(),
            error,
            api_attempts,
        })
    };
    for status in [400u16, 401, 403, 404, 500, 503] {
        push(
            &format!("api {status} with a JSON message"),
            api_status_error(
                status,
                Some(serde_json::json!({"code": "E1", "message": "the service said no"})),
                None,
            )
            .await,
        );
    }
    push(
        "api 404 with a non-JSON body",
        api_status_error(404, None, None).await,
    );
    push(
        "api 429 with retry-after, retries off",
        api_status_error(429, None, Some("7")).await,
    );
    push(
        "identity invalid_client",
        (
            token_error(
                401,
                serde_json::json!({"error": "invalid_client", "error_description": "Unknown client"}),
            )
            .await,
            None,
        ),
    );
    push(
        "identity invalid_scope",
        (
            token_error(400, serde_json::json!({"error": "invalid_scope"})).await,
            None,
        ),
    );

    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(502), None, 1).await;
    push(
        "retries exhausted",
        seats_error(&h, RetryPolicy::default().max_attempts(2)).await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
        None,
        1,
    )
    .await;
    push(
        "retry-after too long",
        seats_error(&h, RetryPolicy::default()).await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(503).insert_header("Retry-After", "30"),
        None,
        1,
    )
    .await;
    push(
        "deadline",
        seats_error(
            &h,
            RetryPolicy::default().deadline(Some(Duration::from_secs(20))),
        )
        .await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(503).insert_header("Retry-After", "12"),
        None,
        1,
    )
    .await;
    push(
        "deadline after a retry",
        seats_error(
            &h,
            RetryPolicy::default().deadline(Some(Duration::from_secs(20))),
        )
        .await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(503), None, 1).await;
    push(
        "retry budget spent",
        seats_error(&h, RetryPolicy::default().budget(Some(5))).await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"),
        None,
        1,
    )
    .await;
    push("decode", seats_error(&h, RetryPolicy::default()).await);
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200).set_body_json(common::sample_body()),
        None,
        1,
    )
    .await;
    push(
        "response too large",
        seats(&h, h.builder().max_response_bytes(64)).await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200)
            .set_body_json(common::sample_body())
            .set_delay(Duration::from_secs(5)),
        None,
        1,
    )
    .await;
    push(
        "attempt timeout, retries off",
        seats(
            &h,
            h.builder()
                .retry_policy(RetryPolicy::disabled())
                .attempt_timeout(Duration::from_millis(200)),
        )
        .await,
    );
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200).set_body_json(common::sample_body()),
        None,
        1,
    )
    .await;
    let client = h
        .builder()
        .max_requests_per_second(0.5)
        .retry_policy(RetryPolicy::default().deadline(Some(Duration::from_millis(500))))
        .build()
        .expect("client");
    client
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect("the first call goes at once");
    let error = client
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("its slot is 2 s away");
    push("rate limit past the deadline", (error, None));

    let h = Harness::start(3600).await;
    let port = closed_port();
    push(
        "transport: connection refused, retries off",
        (
            // The harness's server is not the one called: no count of attempts there.
            seats(
                &h,
                h.builder()
                    .api_base_url(format!("http://127.0.0.1:{port}"))
                    .retry_policy(RetryPolicy::disabled()),
            )
            .await
            .0,
            None,
        ),
    );
    push(
        "transport: connection refused, retried",
        (
            // The harness's server is not the one called: no count of attempts there.
            seats(
                &h,
                h.builder()
                    .api_base_url(format!("http://127.0.0.1:{port}"))
                    .retry_policy(RetryPolicy::default().max_attempts(3)),
            )
            .await
            .0,
            None,
        ),
    );
    push(
        "identity unreachable, retried",
        (
            h.builder()
                .token_url(format!("http://127.0.0.1:{port}/connect/token"))
                .retry_policy(RetryPolicy::default().max_attempts(2))
                .build()
                .expect("client")
                .tenant_user_seats("c-1", TenantType::Microsoft365)
                .send()
                .await
                .expect_err("fails"),
            None,
        ),
    );

    let h = Harness::start(3600).await;
    push(
        "invalid input",
        (
            h.client()
                .tenant_user_seats("", TenantType::Google)
                .send()
                .await
                .expect_err("refused"),
            None,
        ),
    );
    push(
        "config: plain http",
        (
            Client::builder()
                .api_base_url("http://graph.example.com")
                .credentials(Credentials::static_token("t"))
                .build()
                .expect_err("refused"),
            None,
        ),
    );
    push(
        "config: no credentials",
        (Client::builder().build().expect_err("refused"), None),
    );
    push(
        "config: unknown data center",
        (
            "atlantis"
                .parse::<avepoint_graph::DataCenter>()
                .expect_err("refused"),
            None,
        ),
    );
    push(
        "paging",
        (
            Error::Paging {
                operation: "list_customers_batch",
                message: "page 3 repeated page 2".into(),
            },
            None,
        ),
    );
    cases
}

/// The texts of an error's chain, outermost first.
fn levels(error: &Error) -> Vec<String> {
    let mut levels = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        levels.push(cause.to_string());
        source = cause.source();
    }
    levels
}

/// No text appears twice in `chain` (anyhow's `{:#}` of an error whose chain is `levels`):
/// no level repeats another, and no long word (a URL, an operation, a message) occurs twice.
fn assert_nothing_twice(name: &str, levels: &[String], chain: &str) {
    assert_eq!(chain, levels.join(": "), "{name}: anyhow prints the chain");
    for (i, outer) in levels.iter().enumerate() {
        for inner in &levels[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()) && !inner.contains(outer.as_str()),
                "{name}: a level repeats another: {chain}"
            );
        }
    }
    let words: Vec<&str> = chain
        .split(|c: char| c.is_whitespace() || "();,\"".contains(c))
        .map(|w| w.trim_end_matches([':', '.']))
        .filter(|w| w.len() >= 12)
        .collect();
    for word in &words {
        assert_eq!(
            words.iter().filter(|w| *w == word).count(),
            1,
            "{name}: `{word}` appears twice: {chain}"
        );
    }
}

/// The words about retries say what happened: "N attempts" with N the attempts the server
/// saw, "without a retry" exactly when there was one attempt, and nothing about retries on
/// an error that was not retried.
fn assert_retry_wording(case: &Case, chain: &str) {
    let name = &case.name;
    let text = case.error.to_string();
    assert!(!chain.contains("transient"), "{name}: {chain}");
    assert!(!chain.contains("retried"), "{name}: {chain}");
    assert!(!chain.contains("attempt(s)"), "{name}: {chain}");
    match &case.error {
        Error::RetriesExhausted { attempts, .. } => {
            if let Some(seen) = case.api_attempts {
                assert_eq!(*attempts as usize, seen, "{name}: {chain}");
            }
            if *attempts == 1 {
                assert!(
                    text.starts_with("gave up after 1 attempt in ")
                        && text.contains(", without a retry ("),
                    "{name}: {text}"
                );
            } else {
                assert!(
                    text.starts_with(&format!("gave up after {attempts} attempts in "))
                        && !text.contains("without a retry"),
                    "{name}: {text}"
                );
            }
            assert_eq!(chain.matches("gave up").count(), 1, "{name}: {chain}");
        }
        _ => {
            assert!(!chain.contains("gave up"), "{name}: {chain}");
            assert!(!chain.contains("without a retry"), "{name}: {chain}");
            // One request, or two for a 401: the replay with a fresh token is not a retry.
            let most = if case.error.status() == Some(401) {
                2
            } else {
                1
            };
            if let Some(seen) = case.api_attempts {
                assert!(
                    seen <= most,
                    "{name}: {seen} requests but no word of it: {chain}"
                );
            }
        }
    }
}

#[tokio::test]
async fn error_messages() {
    let mut text = String::new();
    for case in cases().await {
        let one = case.error.to_string();
        let levels = levels(&case.error);
        let chain = levels.join(": ");
        assert_retry_wording(&case, &chain);
        let name = case.name;
        // What an application using anyhow prints: the same chain, each level once.
        let printed = format!("{:#}", anyhow::Error::from(case.error));
        assert_nothing_twice(&name, &levels, &printed);
        assert!(!printed.contains(common::CLIENT_SECRET), "{printed}");
        assert!(
            !printed.contains("RetryPolicy") && !printed.contains("ClientBuilder::max"),
            "{name}: texts name settings in words, not Rust paths: {printed}"
        );
        text.push_str(&format!("{name}:\n  {{}}   {one}\n"));
        if printed != one {
            text.push_str(&format!("  {{:#}} {printed}\n"));
        }
    }
    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"in \d+(\.\d+)?[µm]?s", "in [elapsed]"),
        (r"\(\d+(\.\d+)?m?s already spent\)", "([elapsed] already spent)"),
    ]}, {
        insta::assert_snapshot!("error_messages", text);
    });
}
