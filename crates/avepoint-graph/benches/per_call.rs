//! Micro-benchmarks of the work the SDK adds to each call on top of the raw client:
//! token lookup in the warm cache, the per-attempt raw client and bearer context, and
//! response decoding into the wrapper's types. Run with `cargo bench -p avepoint-graph`.

#![allow(missing_docs)]

use avepoint_graph::{Client, Credentials, TenantSeats, TenantType, raw};

fn main() {
    divan::main();
}

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

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    }
}

fn client() -> Client {
    match Client::builder()
        .api_base_url("http://127.0.0.1:9")
        .credentials(Credentials::static_token("bench-token"))
        .build()
    {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

/// A token lookup in the warm cache (what every call does before sending).
#[divan::bench]
fn token_lookup_warm(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let client = client();
    rt.block_on(client.authenticate()).ok();
    bencher.bench_local(|| rt.block_on(client.authenticate()).is_ok());
}

/// The per-attempt raw client and bearer context the wrapper builds.
#[divan::bench]
fn attempt_context(bencher: divan::Bencher<'_, '_>) {
    let base = "https://graph.avepointonlineservices.com";
    let http = avepoint_graph_raw::http_client_builder()
        .build()
        .expect("client");
    bencher.bench_local(|| {
        let ctx = raw::RequestContext::with_bearer(
            divan::black_box("eyJhbGciOiJSUzI1NiJ9.payload.signature").to_owned(),
            base,
        )
        .unwrap_or_default();
        raw::Client::new_with_client(base, http.clone(), ctx)
    });
}

/// Preparing a call with the typed request builder.
#[divan::bench]
fn request_builder(bencher: divan::Bencher<'_, '_>) {
    let client = client();
    bencher.bench_local(|| {
        client
            .tenant_user_seats(
                divan::black_box("f162a7c1-b9d4-4e0b-a165-97db3c2afc15"),
                TenantType::Microsoft365,
            )
            .status(avepoint_graph::SeatStatus::Assigned)
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
