//! The licensing family against the real fake service on loopback: the seat overview, the
//! product seats and the services of demo and generated customers, through the same call
//! path as the seats report (one token, retries, typed errors).

use std::time::Duration;

use avepoint_fake::{Customer, Dataset, FakeConfig, FakeServer, Fault, Subscription, demo};
use avepoint_graph::{Client, Credentials, ProductType, RetryPolicy, TenantType};

const CONTOSO: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";
const FABRIKAM: &str = "3b9e4d2a-6c1f-4a8e-9d7b-2e5f8a1c0b34";

fn client(server: &FakeServer) -> Client {
    Client::builder()
        .api_base_url(server.base_url())
        .token_url(server.token_url())
        .credentials(Credentials::client_secret(
            demo::CLIENT_ID,
            demo::CLIENT_SECRET,
        ))
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5))
                .max_retry_after(Duration::from_secs(2)),
        )
        .build()
        .expect("client")
}

async fn start(dataset: Dataset) -> FakeServer {
    FakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .await
        .expect("the fake starts")
}

/// The overview of each type equals the sum of the seats report's rows; product seats and
/// services agree; a string `productType` decodes; one token serves every call, and a 503
/// is retried on the same path as the seats report.
#[tokio::test]
async fn demo_customers_agree_across_the_operations() {
    let server = start(Dataset::demo()).await;
    let client = client(&server);
    server.control().inject_api(Fault::unavailable(0), 1);
    for t in TenantType::ALL {
        let overview = client.seat_overview(CONTOSO, t).await.expect("overview");
        let tenants = client
            .tenant_user_seats(CONTOSO, t)
            .send()
            .await
            .expect("seats");
        assert_eq!(overview.tenant_type.known(), Some(t));
        assert_eq!(
            overview.available_seats,
            tenants.iter().map(|t| t.available_seats).sum::<u64>()
        );
        assert_eq!(
            overview.assigned_seats,
            tenants.iter().map(|t| t.assigned_seats).sum::<u64>()
        );
    }
    // Fabrikam's Dynamics 365 backup seats come with a string productType.
    let seats = client
        .product_seats(FABRIKAM, ProductType::CloudBackupForDynamics365)
        .await
        .expect("product seats");
    assert_eq!(seats.product_type, ProductType::CloudBackupForDynamics365);
    assert_eq!(seats.available_seats, 75);

    let services = client.services(CONTOSO).await.expect("services");
    assert_eq!(services.organization.as_deref(), Some("Contoso Ltd"));
    assert!(!services.products.is_empty());
    for product in &services.products {
        assert!(product.unparsable().is_empty());
        let kind = product.product_type().expect("a known product");
        let seats = client
            .product_seats(CONTOSO, kind)
            .await
            .expect("the product is held");
        assert_eq!(
            product.purchased_user_seats.value(),
            Some(&seats.available_seats)
        );
        assert!(product.expiration_date.value().is_some());
    }
    let counters = server.counters();
    assert_eq!(counters.tokens_issued, 1);
    assert_eq!(counters.responses(503), 1);
}

/// A product the customer does not hold, and an unknown customer, are 404s with the status
/// on the error; an unknown product code is sent and kept.
#[tokio::test]
async fn not_found_and_unknown_codes() {
    let dataset = Dataset::demo().with_customer(
        Customer::new("future", "Future Ltd").with_subscription(Subscription::new(
            1 << 31,
            4,
            "2030/01/01",
        )),
    );
    let server = start(dataset).await;
    let client = client(&server);
    let err = client
        .product_seats(CONTOSO, ProductType::Opus)
        .await
        .expect_err("Contoso holds no Opus");
    assert_eq!(err.status(), Some(404));
    assert!(
        err.to_string()
            .contains("the customer holds no subscription of this product"),
        "{err}"
    );
    let err = client
        .services("nobody")
        .await
        .expect_err("unknown customer");
    assert_eq!(err.status(), Some(404));
    let err = client
        .seat_overview("nobody", TenantType::Google)
        .await
        .expect_err("unknown customer");
    assert_eq!(err.status(), Some(404));
    let seats = client
        .product_seats("future", ProductType::from_code(1 << 31))
        .await
        .expect("unknown codes are sent as they are");
    assert_eq!(seats.product_type, ProductType::Unknown(1 << 31));
    assert!(!seats.product_type.is_known());
    let err = client
        .product_seats("..", ProductType::Fly)
        .await
        .expect_err("refused before sending");
    assert_eq!(err.status(), None);
}

/// Services fields that do not parse are kept raw and reported; the call succeeds.
#[tokio::test]
async fn unparsable_services_fields_do_not_fail_the_call() {
    let dataset = Dataset::empty().with_customer(
        Customer::new("odd", "Odd Ltd").with_subscription(
            Subscription::new(2048, 4, "someday")
                .with_field("purchasedCapacity", Some("lots"))
                .with_field("microsoftLicenseAssigned", Some("N/A")),
        ),
    );
    let server = start(dataset).await;
    let services = client(&server).services("odd").await.expect("services");
    let product = &services.products[0];
    assert_eq!(
        product
            .unparsable()
            .iter()
            .map(|u| (u.field, u.raw.clone()))
            .collect::<Vec<_>>(),
        [
            ("purchasedCapacity", "lots".to_owned()),
            ("expirationDate", "someday".to_owned()),
            ("contractEndDate", "someday".to_owned()),
        ]
    );
    assert_eq!(product.microsoft_license_assigned.raw(), Some("N/A"));
    assert_eq!(product.microsoft_license_assigned.value(), None);
    assert!(!product.microsoft_license_assigned.is_unparsable());
    assert_eq!(product.purchased_user_seats.value(), Some(&4));
}

/// The generated dataset serves the licensing routes at 100,000 customers: the last
/// customer's answers agree with each other (each built from its id alone).
#[tokio::test]
async fn generated_customers_at_100k() {
    let dataset = Dataset::generated(100_000, 11);
    let last = dataset
        .customer_at(99_999)
        .expect("the last customer")
        .into_owned();
    let server = start(dataset).await;
    let client = client(&server);
    for t in TenantType::ALL {
        let overview = client.seat_overview(&last.id, t).await.expect("overview");
        let tenants = client
            .tenant_user_seats(&last.id, t)
            .send()
            .await
            .expect("seats");
        assert_eq!(
            overview.assigned_seats,
            tenants.iter().map(|t| t.assigned_seats).sum::<u64>()
        );
    }
    let services = client.services(&last.id).await.expect("services");
    assert_eq!(services.products.len(), last.subscriptions.len());
    for (product, subscription) in services.products.iter().zip(&last.subscriptions) {
        let seats = client
            .product_seats(&last.id, ProductType::from_code(subscription.product_type))
            .await
            .expect("held");
        assert_eq!(
            product.purchased_user_seats.value(),
            Some(&seats.available_seats)
        );
    }
}
