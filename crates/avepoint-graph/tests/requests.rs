//! Snapshots of the exact API requests the wrapper sends, and where the token may go.

mod common;

use avepoint_graph::{SeatStatus, TenantType};
use common::Harness;
use wiremock::ResponseTemplate;

fn describe(r: &wiremock::Request) -> serde_json::Value {
    let header = |name: &str| {
        r.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
            if name == "authorization" {
                // The token is a test value; keep its shape, not its text.
                v.split_once(' ')
                    .map_or("[malformed]".to_owned(), |(scheme, _)| {
                        format!("{scheme} [token]")
                    })
            } else if name == "user-agent" {
                v.replace(env!("CARGO_PKG_VERSION"), "[version]")
            } else {
                v.to_owned()
            }
        })
    };
    let mut names: Vec<String> = r.headers.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    serde_json::json!({
        "method": r.method.as_str(),
        "path": r.url.path(),
        "query": r.url.query(),
        "content-type": header("content-type"),
        "accept": header("accept"),
        "authorization": header("authorization"),
        "user-agent": header("user-agent"),
        "header-names": names,
        "body": serde_json::from_slice::<serde_json::Value>(&r.body).ok(),
    })
}

async fn last_api_request(h: &Harness) -> serde_json::Value {
    let requests = h.server.received_requests().await.unwrap_or_default();
    let r = requests
        .iter()
        .rev()
        .find(|r| r.url.path() != "/connect/token")
        .expect("an API request was made");
    describe(r)
}

#[tokio::test]
async fn seats_requests_for_every_tenant_type_and_status() {
    let h = Harness::start(3600).await;
    h.seats_ok().await;
    let client = h.client();
    for tenant_type in TenantType::ALL {
        for status in [
            None,
            Some(SeatStatus::Available),
            Some(SeatStatus::Assigned),
        ] {
            let mut call =
                client.tenant_user_seats("f162a7c1-b9d4-4e0b-a165-97db3c2afc15", tenant_type);
            if let Some(s) = status {
                call = call.status(s);
            }
            call.send().await.expect("ok");
            let name = format!(
                "seats_request_{}_{}",
                tenant_type.short_name(),
                status.map_or("no_status", |s| s.short_name())
            );
            insta::assert_json_snapshot!(name, last_api_request(&h).await);
        }
    }
}

#[tokio::test]
async fn a_customer_id_is_percent_encoded_into_one_path_segment() {
    let h = Harness::start(3600).await;
    h.seats_ok().await;
    h.client()
        .tenant_user_seats("a/b c?#%", TenantType::Microsoft365)
        .send()
        .await
        .expect("ok");
    insta::assert_json_snapshot!(
        "seats_request_percent_encoded_customer",
        last_api_request(&h).await
    );
}

#[tokio::test]
async fn an_empty_customer_id_is_refused_before_sending() {
    let h = Harness::start(3600).await;
    let err = h
        .client()
        .tenant_user_seats("", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("refused");
    assert!(
        matches!(err, avepoint_graph::Error::InvalidInput(_)),
        "{err:?}"
    );
    assert_eq!(
        h.server.received_requests().await.unwrap_or_default().len(),
        0
    );
}

#[tokio::test]
async fn dot_segments_are_refused_before_sending() {
    let h = Harness::start(3600).await;
    for id in [".", ".."] {
        let err = h
            .client()
            .tenant_user_seats(id, TenantType::Microsoft365)
            .send()
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, avepoint_graph::Error::InvalidInput(m) if m.contains("normalisation")),
            "{err:?}"
        );
        let err = h
            .client()
            .tenant_seats_batch(id, TenantType::Microsoft365)
            .collect_all()
            .await
            .expect_err("refused");
        assert!(
            matches!(err, avepoint_graph::Error::InvalidInput(_)),
            "{err:?}"
        );
    }
    assert_eq!(
        h.server.received_requests().await.unwrap_or_default().len(),
        0
    );
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_token_stays_on_the_api_origin() {
    let h = Harness::start(3600).await;
    let elsewhere = wiremock::MockServer::start().await;
    h.seats_respond(
        ResponseTemplate::new(307)
            .insert_header("Location", format!("{}/steal", elsewhere.uri()).as_str()),
        None,
        1,
    )
    .await;
    let err = h
        .client()
        .tenant_user_seats("c1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("a redirect is an unexpected answer");
    assert_eq!(err.status(), Some(307));
    assert!(
        elsewhere
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_at_build_time() {
    let err = avepoint_graph::Client::builder()
        .api_base_url("http://graph.example.com")
        .credentials(avepoint_graph::Credentials::static_token("t"))
        .build()
        .expect_err("refused");
    assert!(err.to_string().contains("plain http"), "{err}");
}
