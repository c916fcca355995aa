//! The wrapper's response types and the spec's component schemas must agree on the wire:
//! same property names and JSON types, the same required properties, the same minimums.
//!
//! Checked on the types' serde behaviour, which is what users and the wire see: a sample
//! object is built from the spec schema's examples, decoded into our type and encoded back.

use std::collections::{BTreeMap, BTreeSet};

use avepoint_graph::{Customer, TenantSeats, TenantSeatsRecord};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn spec() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/avepoint-graph.yaml"
    );
    let text = std::fs::read_to_string(path).expect("spec is readable");
    serde_yaml::from_str(&text).expect("spec is YAML")
}

fn component<'a>(spec: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let schema = &spec["components"]["schemas"][name];
    assert!(schema.is_object(), "the spec has no schema {name}");
    schema
}

/// A value of property schema `p`: its `example`, or one item of an array of references.
fn sample_value(spec: &serde_json::Value, p: &serde_json::Value) -> serde_json::Value {
    if let Some(example) = p.get("example") {
        return example.clone();
    }
    let reference = |s: &serde_json::Value| {
        s["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_owned)
    };
    if let Some(name) = reference(p) {
        return sample(spec, component(spec, &name));
    }
    match p["type"].as_str() {
        Some("array") => serde_json::json!([sample_value(spec, &p["items"])]),
        Some("string") => "text".into(),
        Some("integer") => 1.into(),
        Some("boolean") => true.into(),
        other => panic!("no sample for a property of type {other:?}"),
    }
}

/// An object with every property of `schema`.
fn sample(spec: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    let properties = schema["properties"].as_object().expect("properties");
    properties
        .iter()
        .map(|(name, p)| (name.clone(), sample_value(spec, p)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Property name to JSON type (`integer` for whole numbers).
fn wire_types(value: &serde_json::Value) -> BTreeMap<String, &'static str> {
    value
        .as_object()
        .expect("an object")
        .iter()
        .map(|(name, v)| {
            let ty = match v {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "boolean",
                serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                serde_json::Value::Number(_) => "number",
                serde_json::Value::String(_) => "string",
                serde_json::Value::Array(_) => "array",
                serde_json::Value::Object(_) => "object",
            };
            (name.clone(), ty)
        })
        .collect()
}

fn spec_types(schema: &serde_json::Value) -> BTreeMap<String, &'static str> {
    schema["properties"]
        .as_object()
        .expect("properties")
        .iter()
        .map(|(name, p)| {
            let ty = match p["type"].as_str() {
                Some("string") => "string",
                Some("integer") => "integer",
                Some("number") => "number",
                Some("boolean") => "boolean",
                Some("array") => "array",
                _ => "object",
            };
            (name.clone(), ty)
        })
        .collect()
}

/// Our type `T` decodes the spec's sample of schema `name` and encodes it back with the
/// same property names and JSON types. Returns the sample.
fn round_trips<T: Serialize + DeserializeOwned>(
    spec: &serde_json::Value,
    name: &str,
) -> serde_json::Value {
    let schema = component(spec, name);
    let sample = sample(spec, schema);
    let ours: T = serde_json::from_value(sample.clone())
        .unwrap_or_else(|e| panic!("{name}: the spec's sample does not decode: {e}"));
    let back = serde_json::to_value(&ours).expect("encodes");
    assert_eq!(wire_types(&back), spec_types(schema), "{name}");
    assert_eq!(
        back, sample,
        "{name}: the sample changed on the way through"
    );
    sample
}

/// Exactly the spec's required properties are needed to decode, and every property with
/// `minimum: 0` refuses a negative value.
fn required_and_minimums<T: DeserializeOwned>(
    spec: &serde_json::Value,
    name: &str,
    sample: &serde_json::Value,
) {
    let schema = component(spec, name);
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect();
    for (property, p) in schema["properties"].as_object().expect("properties") {
        let mut without = sample.clone();
        without.as_object_mut().expect("object").remove(property);
        let decodes = serde_json::from_value::<T>(without).is_ok();
        assert_eq!(
            decodes,
            !required.contains(property.as_str()),
            "{name}.{property}: required in the spec is {}",
            required.contains(property.as_str())
        );
        if p["minimum"] == 0 {
            let mut negative = sample.clone();
            negative[property] = (-1).into();
            assert!(
                serde_json::from_value::<T>(negative).is_err(),
                "{name}.{property} must refuse a negative value"
            );
        }
    }
}

#[test]
fn tenant_seats_match_the_spec() {
    let spec = spec();
    let sample = round_trips::<TenantSeats>(&spec, "TenantUserSeats");
    required_and_minimums::<TenantSeats>(&spec, "TenantUserSeats", &sample);
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

/// The wrapper's customers and paginated seats records serialise with the spec's property
/// names and types, and the open code enums are plain integers on both sides (no `enum` in
/// responses).
#[test]
fn paginated_types_match_the_spec() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    round_trips::<Customer>(&spec, "PartnerCustomer");
    let record = round_trips::<TenantSeatsRecord>(&spec, "TenantSeatsBatchItem");
    required_and_minimums::<TenantSeatsRecord>(&spec, "TenantSeatsBatchItem", &record);
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
