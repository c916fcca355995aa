//! The wrapper's response type and the spec's component schema must agree: same property
//! names, JSON types and required list.

use std::collections::BTreeSet;

use avepoint_graph::TenantSeats;

fn spec() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/avepoint-graph.yaml"
    );
    let text = std::fs::read_to_string(path).expect("spec is readable");
    serde_yaml::from_str(&text).expect("spec is YAML")
}

fn summary(schema: &serde_json::Value) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let props = schema["properties"]
        .as_object()
        .expect("properties")
        .iter()
        .map(|(name, p)| {
            let ty = match &p["type"] {
                serde_json::Value::String(s) => s.clone(),
                other => panic!("property {name} has type {other}"),
            };
            (name.clone(), ty)
        })
        .collect();
    let required = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect();
    (props, required)
}

#[test]
fn tenant_seats_schema_matches_the_spec() {
    let spec = spec();
    let from_spec = &spec["components"]["schemas"]["TenantUserSeats"];
    let ours = serde_json::to_value(schemars::schema_for!(TenantSeats)).expect("schema");
    assert_eq!(summary(&ours), summary(from_spec));
    assert_eq!(ours["title"], "TenantUserSeats");
    for count in ["availableUserSeat", "assignedUserSeat"] {
        assert_eq!(ours["properties"][count]["minimum"], 0);
        assert_eq!(from_spec["properties"][count]["minimum"], 0);
    }
}

#[test]
fn enum_values_match_the_spec() {
    let spec = spec();
    let codes = |name: &str| -> Vec<i64> {
        spec["components"]["schemas"][name]["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .map(|v| v.as_i64().expect("integer"))
            .collect()
    };
    let ours: Vec<i64> = avepoint_graph::TenantType::ALL
        .iter()
        .map(|t| i64::from(t.code()))
        .collect();
    assert_eq!(ours, codes("TenantType"));
    let statuses: Vec<i64> = [
        avepoint_graph::SeatStatus::Available,
        avepoint_graph::SeatStatus::Assigned,
    ]
    .iter()
    .map(|s| i64::from(s.code()))
    .collect();
    assert_eq!(statuses, codes("LicenseAssignedStatus"));
}

fn property_names(schema: &serde_json::Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect()
}

/// The wrapper's customers and paginated seats records serialise with the spec's property
/// names, and the open code enums are plain integers on both sides (no `enum` in responses).
#[test]
fn paginated_types_match_the_spec() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let customer =
        serde_json::to_value(schemars::schema_for!(avepoint_graph::Customer)).expect("schema");
    assert_eq!(
        property_names(&customer),
        property_names(&schemas["PartnerCustomer"])
    );
    let record = serde_json::to_value(schemars::schema_for!(avepoint_graph::TenantSeatsRecord))
        .expect("schema");
    assert_eq!(
        property_names(&record),
        property_names(&schemas["TenantSeatsBatchItem"])
    );
    for (schema, field) in [
        ("PartnerCustomer", "jobStatus"),
        ("PartnerCustomer", "managementMode"),
        ("TenantSeatsBatchItem", "type"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["type"], "integer", "{schema}.{field}");
        assert!(
            property.get("enum").is_none(),
            "{schema}.{field} must stay open"
        );
    }
    let statuses: Vec<i32> = avepoint_graph::JobStatus::KNOWN
        .iter()
        .map(|s| s.code())
        .collect();
    assert_eq!(statuses, (0..=6).collect::<Vec<_>>());
    let modes: Vec<i32> = avepoint_graph::ManagementMode::KNOWN
        .iter()
        .map(|m| m.code())
        .collect();
    assert_eq!(modes, (0..=2).collect::<Vec<_>>());
}
