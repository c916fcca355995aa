//! The per-call breakdown: what the SDK adds to each call on top of a bare `reqwest` call.
//! Run with `cargo bench -p avepoint-graph`.
//!
//! * `call_*`: one whole seats call against the fake service on loopback (its own runtime
//!   thread), from a bare `reqwest` call up to the SDK with its defaults; the differences
//!   between the rows are what each layer costs (network and server time included in all).
//! * the other rows: the SDK's own pieces one by one, without I/O.

#![allow(missing_docs)]

use std::sync::OnceLock;
use std::time::Duration;

use avepoint_fake::{FakeConfig, FakeServer};
use avepoint_graph::{Client, Credentials, RetryPolicy, TenantSeats, TenantType, raw};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

fn main() {
    divan::main();
}

/// A customer of the fake's demo dataset with Microsoft 365 tenants.
const CUSTOMER: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";
/// A JWT-sized token.
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCIsInNjb3BlIjoiZWxlbWVudHMubGljZW5zZS5yZWFkLmFsbCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZQ";

fn body(tenants: usize) -> Vec<u8> {
    let rows: Vec<serde_json::Value> = (0..tenants)
        .map(|i| {
            serde_json::json!({
                "id": format!("f04d7aee-1c2b-4d3e-8f9a-{i:012}"),
                "name": format!("Tenant {i}"),
                "availableUserSeat": i * 3,
                "assignedUserSeat": i * 7,
            })
        })
        .collect();
    serde_json::to_vec(&rows).unwrap_or_default()
}

/// The runtime of the whole-call rows: multi-threaded, like a `#[tokio::main]` program and
/// the `cargo xtask bench` runner (timers and wake-ups cross threads there).
fn multi_thread() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    }
}

/// The fake service (demo data) on loopback, on a runtime thread of its own, started once.
fn fake() -> &'static (String, String) {
    static FAKE: OnceLock<(String, String)> = OnceLock::new();
    FAKE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = runtime();
            rt.block_on(async move {
                let server = match FakeServer::start(FakeConfig::demo()).await {
                    Ok(s) => s,
                    Err(e) => panic!("fake: {e}"),
                };
                let _ = tx.send((server.base_url().to_owned(), server.token_url()));
                std::future::pending::<()>().await;
            });
        });
        match rx.recv() {
            Ok(urls) => urls,
            Err(e) => panic!("fake did not start: {e}"),
        }
    })
}

fn sdk(retry: RetryPolicy, adaptive: bool) -> Client {
    let (base, token_url) = fake();
    match Client::builder()
        .api_base_url(base.as_str())
        .token_url(token_url.as_str())
        .credentials(Credentials::client_secret("demo-client", "demo-secret"))
        .retry_policy(retry)
        .adaptive_rate_limit(adaptive)
        .build()
    {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

fn http() -> reqwest::Client {
    match raw::http_client_builder().build() {
        Ok(c) => c,
        Err(e) => panic!("reqwest: {e}"),
    }
}

/// A token from the fake, fetched once.
fn fake_token(rt: &tokio::runtime::Runtime) -> String {
    let (_, token_url) = fake();
    let form = "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret&scope=elements.license.read.all";
    rt.block_on(async {
        let r = http()
            .post(token_url.as_str())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await;
        let v: serde_json::Value = match r {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(e) => panic!("token: {e}"),
        };
        v["access_token"].as_str().unwrap_or_default().to_owned()
    })
}

/// A bare `reqwest` call: URL, `Authorization` header, `{}` body, JSON decode.
#[divan::bench(sample_count = 1000)]
fn call_1_bare_reqwest(bencher: divan::Bencher<'_, '_>) {
    let rt = multi_thread();
    let (base, _) = fake();
    let http = http();
    let authorization = match HeaderValue::try_from(format!("Bearer {}", fake_token(&rt))) {
        Ok(h) => h,
        Err(e) => panic!("header: {e}"),
    };
    let url = match reqwest::Url::parse(&format!(
        "{base}/partner/external/v3/general/customers/{CUSTOMER}/3rd-party-products/type/0/users"
    )) {
        Ok(u) => u,
        Err(e) => panic!("url: {e}"),
    };
    bencher.bench_local(|| {
        rt.block_on(async {
            let r = http
                .post(url.clone())
                .header(AUTHORIZATION, authorization.clone())
                .header(CONTENT_TYPE, "application/json")
                .body("{}")
                .send()
                .await
                .ok()?;
            r.json::<Vec<raw::types::TenantUserSeats>>().await.ok()
        })
    });
}

/// The generated raw client with the token given per call (what the SDK's attempt sends).
#[divan::bench(sample_count = 1000)]
fn call_2_raw_client(bencher: divan::Bencher<'_, '_>) {
    let rt = multi_thread();
    let (base, _) = fake();
    let authorization = match raw::bearer_header(&fake_token(&rt)) {
        Ok(h) => h,
        Err(e) => panic!("header: {e}"),
    };
    let context = match raw::RequestContext::for_origin(base) {
        Ok(c) => c.with_body_limit(8 << 20),
        Err(e) => panic!("context: {e}"),
    };
    let client = raw::Client::new_with_client(base, http(), context);
    let customer: raw::types::RetrieveCustomerTenantUserSeatsCustomerId = match CUSTOMER.parse() {
        Ok(c) => c,
        Err(e) => panic!("customer: {e}"),
    };
    let kind = raw::types::TenantType::from(TenantType::Microsoft365);
    let body = raw::types::UserSeatsRequest::default();
    bencher.bench_local(|| {
        rt.block_on(raw::with_authorization(
            authorization.clone(),
            client.retrieve_customer_tenant_user_seats(&customer, &kind, &body),
        ))
        .map(|r| r.into_inner().len())
        .ok()
    });
}

fn sdk_call(bencher: divan::Bencher<'_, '_>, client: Client) {
    let rt = multi_thread();
    rt.block_on(client.authenticate()).ok();
    bencher.bench_local(|| {
        rt.block_on(
            client
                .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
                .send(),
        )
        .map(|v| v.len())
        .ok()
    });
}

/// The SDK with one attempt, no retry budget and no adaptive rate limiter.
#[divan::bench(sample_count = 1000)]
fn call_3_sdk_no_retries_no_limiter(bencher: divan::Bencher<'_, '_>) {
    sdk_call(bencher, sdk(RetryPolicy::disabled().budget(None), false));
}

/// The SDK with its retries and retry budget, without the adaptive rate limiter.
#[divan::bench(sample_count = 1000)]
fn call_4_sdk_no_limiter(bencher: divan::Bencher<'_, '_>) {
    sdk_call(bencher, sdk(RetryPolicy::default(), false));
}

/// The SDK as a user calls it: defaults (retries, budget, adaptive rate limiter).
#[divan::bench(sample_count = 1000)]
fn call_5_sdk_default(bencher: divan::Bencher<'_, '_>) {
    sdk_call(bencher, sdk(RetryPolicy::default(), true));
}

/// A token lookup in the warm cache (what every call does before sending).
#[divan::bench]
fn token_lookup_warm(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let client = match Client::builder()
        .api_base_url("http://127.0.0.1:9")
        .credentials(Credentials::static_token(TOKEN))
        .build()
    {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    rt.block_on(client.authenticate()).ok();
    bencher.bench_local(|| rt.block_on(client.authenticate()).is_ok());
}

/// Handing the token to the raw client for one attempt (a task-local scope around the call).
#[divan::bench]
fn per_call_token(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let header = match raw::bearer_header(TOKEN) {
        Ok(h) => h,
        Err(e) => panic!("header: {e}"),
    };
    bencher.bench_local(|| {
        rt.block_on(raw::with_authorization(
            header.clone(),
            std::future::ready(divan::black_box(1)),
        ))
    });
}

/// The attempt timer: a timeout around an attempt that waits once (so the timer is armed),
/// against the same attempt without it.
#[divan::bench(args = [false, true])]
fn attempt_timer(bencher: divan::Bencher<'_, '_>, timer: bool) {
    let rt = runtime();
    bencher.bench_local(|| {
        rt.block_on(async {
            if timer {
                tokio::time::timeout(Duration::from_secs(30), tokio::task::yield_now())
                    .await
                    .is_ok()
            } else {
                tokio::task::yield_now().await;
                true
            }
        })
    });
}

/// A call's `avepoint.call` and `attempt` spans with no subscriber (the default).
#[divan::bench]
fn spans_disabled(bencher: divan::Bencher<'_, '_>) {
    bencher.bench_local(|| {
        let call = tracing::info_span!("avepoint.call", operation = "op", customer_id = %CUSTOMER);
        let attempt = tracing::debug_span!(
            "attempt",
            operation = "op",
            attempt = 1u32,
            status = tracing::field::Empty
        );
        (call.is_disabled(), attempt.is_disabled())
    });
}

/// Decoding a response into the raw generated type (what the raw client does).
#[divan::bench(args = [1, 10, 100])]
fn decode_raw(bencher: divan::Bencher<'_, '_>, tenants: usize) {
    let body = body(tenants);
    bencher.bench_local(|| {
        serde_json::from_slice::<Vec<raw::types::TenantUserSeats>>(divan::black_box(&body))
            .map(|v| v.len())
    });
}

/// Decoding a response straight into the wrapper's type.
#[divan::bench(args = [1, 10, 100])]
fn decode_wrapper(bencher: divan::Bencher<'_, '_>, tenants: usize) {
    let body = body(tenants);
    bencher.bench_local(|| {
        serde_json::from_slice::<Vec<TenantSeats>>(divan::black_box(&body)).map(|v| v.len())
    });
}
