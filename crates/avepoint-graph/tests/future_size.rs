//! The size of every operation's future. Async state machines nest: each layer (the span,
//! the retry loop, the attempt's timeout) holds the one below it, and every move of a future
//! copies all of it. The generated call alone is over 1.5 KiB; held inline it made the seats
//! call's future 12 KiB, copied several times per call. The client boxes it (and the rare
//! paths: error bodies, the token refresh after a 401), which keeps these futures small. The
//! attempt timeout is a future of its own: as an `async fn` it held the attempt twice (its
//! argument and the pinned copy it awaited), over 600 bytes more in every call's future.

use avepoint_graph::{Client, Credentials, ProductType, TenantType};

/// A future this large or larger is copied at real cost on every move (the largest today,
/// `services()`, is about 1.5 KiB).
const MAX_FUTURE_BYTES: usize = 2 * 1024;

fn client() -> Client {
    Client::builder()
        .api_base_url("http://127.0.0.1:9")
        .token_url("http://127.0.0.1:9/connect/token")
        .credentials(Credentials::client_secret("client", "secret"))
        .build()
        .expect("client")
}

fn check<F: std::future::Future>(name: &str, future: F) {
    let size = std::mem::size_of_val(&future);
    assert!(
        size < MAX_FUTURE_BYTES,
        "the future of {name} is {size} bytes (limit {MAX_FUTURE_BYTES})"
    );
}

#[test]
fn operation_futures_stay_small() {
    let client = client();
    check(
        "tenant_user_seats().send()",
        client
            .tenant_user_seats("customer", TenantType::Microsoft365)
            .send(),
    );
    check(
        "tenant_seats_batch().collect_all()",
        client
            .tenant_seats_batch("customer", TenantType::Microsoft365)
            .collect_all(),
    );
    check(
        "customers().collect_all()",
        client.customers().collect_all(),
    );
    check(
        "seat_overview()",
        client.seat_overview("customer", TenantType::Microsoft365),
    );
    check(
        "product_seats()",
        client.product_seats("customer", ProductType::from_code(0)),
    );
    check("services()", client.services("customer"));
    check("authenticate()", client.authenticate());
}
