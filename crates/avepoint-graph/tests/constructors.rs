//! The response types are `#[non_exhaustive]` (the service may add fields), so code outside
//! the crate builds them through their constructors: for tests, or values read back from a
//! store. Each constructor sets every field it is given, and the value serialises in the
//! wire shape it would have come in.

use avepoint_graph::{
    ProductSeats, ProductType, ReportedTenantType, SeatOverview, TenantSeats, TenantSeatsRecord,
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
