//! The response types are `#[non_exhaustive]` (the service may add fields), so code outside
//! the crate builds them through their constructors: for tests, or values read back from a
//! store. Each constructor sets every field it is given, and the value serialises in the
//! wire shape it would have come in.

use avepoint_graph::{
    CustomerServices, ProductSeats, ProductType, ReportedTenantType, SeatOverview, ServiceProduct,
    TenantSeats, TenantSeatsRecord, raw,
};
use serde_json::json;

#[test]
fn response_types_can_be_built_outside_the_crate() {
    let overview = SeatOverview::new(ReportedTenantType::from(2), 5, 120);
    assert_eq!(
        serde_json::to_value(overview).expect("serialises"),
        json!({"type": 2, "availableUserSeat": 5, "assignedUserSeat": 120})
    );

    let product = ProductSeats::new(ProductType::from_code(2048), 300);
    assert_eq!(
        serde_json::to_value(product).expect("serialises"),
        json!({"productType": 2048, "availableUserSeat": 300})
    );

    let record = TenantSeatsRecord::new(
        ReportedTenantType::from(0),
        "t1",
        "contoso.onmicrosoft.com",
        10,
        90,
    );
    assert_eq!(
        serde_json::to_value(&record).expect("serialises"),
        json!({
            "type": 0, "tenantId": "t1", "tenantName": "contoso.onmicrosoft.com",
            "availableUserSeat": 10, "assignedUserSeat": 90
        })
    );
    assert_eq!(
        TenantSeats::from(record),
        TenantSeats::new("t1", "contoso.onmicrosoft.com", 10, 90)
    );
}

/// Services are read from their wire form (every field a string), as the SDK reads them.
#[test]
fn services_are_built_from_their_wire_form() {
    let wire = raw::types::ServiceProduct {
        service: Some("Cloud Backup for Microsoft 365".to_owned()),
        purchased_user_seats: Some("25".to_owned()),
        purchased_capacity: Some("1/2 GB".to_owned()),
        expiration_date: Some("2025/09/30".to_owned()),
        consumed_storage: Some("a lot".to_owned()),
        storage: Some("N/A".to_owned()),
        ..Default::default()
    };
    let product = ServiceProduct::from(wire.clone());
    assert_eq!(product.purchased_user_seats.value(), Some(&25));
    let capacity = product.purchased_capacity.value().expect("a capacity");
    assert_eq!(
        (capacity.used_bytes, capacity.total_bytes),
        (1 << 30, 2 << 30)
    );
    assert_eq!(
        product.expiration_date.value().map(ToString::to_string),
        Some("2025-09-30".to_owned())
    );
    assert_eq!(product.storage.raw(), Some("N/A"));
    assert_eq!(product.storage.value(), None);
    assert_eq!(product.consumed_storage.raw(), Some("a lot"));
    assert!(product.consumed_storage.is_unparsable());

    let services = CustomerServices::from(raw::types::CustomerServices {
        customer_id: Some("c1".to_owned()),
        organization: Some("N/A".to_owned()),
        customer: Some("owner@contoso.com".to_owned()),
        products: Some(vec![wire]),
    });
    assert_eq!(services.customer_id.as_deref(), Some("c1"));
    assert_eq!(services.organization, None);
    assert_eq!(services.owner_email.as_deref(), Some("owner@contoso.com"));
    assert_eq!(services.products, vec![product]);
}
