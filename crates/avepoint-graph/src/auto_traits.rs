//! Compile-time guarantees about the public types' auto traits: a [`Client`] is shared across
//! tasks and threads (`Send + Sync`, cheap to `Clone`), the request builders and errors can
//! cross threads, and the futures and streams of every operation can be spawned on a
//! multi-threaded runtime. A change that breaks one of these fails the build of this crate,
//! not a user's.

use crate::{
    ApiError, AuthenticationError, Client, ClientBuilder, Credentials, Customer, CustomersListing,
    Error, PageStream, PagedRequest, ProductType, TenantSeatsBatch, TenantSeatsRecord, TenantType,
    TenantUserSeatsRequest,
};

const fn send_sync<T: Send + Sync>() {}
const fn clone<T: Clone>() {}

const _: () = {
    send_sync::<Client>();
    clone::<Client>();
    send_sync::<ClientBuilder>();
    send_sync::<Credentials>();
    send_sync::<TenantUserSeatsRequest>();
    send_sync::<PagedRequest<CustomersListing>>();
    send_sync::<PagedRequest<TenantSeatsBatch>>();
    send_sync::<Error>();
    send_sync::<ApiError>();
    send_sync::<AuthenticationError>();
};

/// Type-checked, never run: every operation's future and stream is `Send`, so it can be
/// `tokio::spawn`ed.
const _: fn(&Client) = |client| {
    fn send<T: Send>(_: T) {}
    send(client.authenticate());
    send(
        client
            .tenant_user_seats("customer", TenantType::Microsoft365)
            .send(),
    );
    send::<PageStream<Customer>>(client.customers().stream());
    send(client.customers().collect_all());
    send::<PageStream<TenantSeatsRecord>>(
        client
            .tenant_seats_batch("customer", TenantType::Microsoft365)
            .stream(),
    );
    send(
        client
            .tenant_seats_batch("customer", TenantType::Microsoft365)
            .collect_all(),
    );
    send(client.seat_overview("customer", TenantType::Microsoft365));
    send(client.product_seats("customer", ProductType::from_code(0)));
    send(client.services("customer"));
};
