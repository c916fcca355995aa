//! Conformance of the fake with `openapi/avepoint-graph.yaml`: every response of every route
//! the fake serves (successes, errors, faults, token responses) is validated against the
//! spec's schemas, its status must be one the spec lists for the operation, and the headers
//! the spec declares must be present.
//!
//! The validator below implements the subset of OpenAPI 3.0 schema keywords the spec uses
//! (`$ref`, `oneOf`, `type`, `format` int32/int64, `enum`, `required`, `properties`,
//! `additionalProperties`, `items`, `minimum`, `maximum`, `minLength`, `nullable`) and refuses any
//! other keyword, so a spec change it cannot check fails loudly instead of passing silently.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use avepoint_fake::{
    Customer, Dataset, FakeConfig, Fault, PagingFault, RetryAfter, Tenant, TenantKind,
    customers::CUSTOMERS_ROUTE, demo, seats::SEATS_ROUTE, tenants_batch::TENANTS_BATCH_ROUTE,
    token::TOKEN_PATH,
};
use common::*;
use serde_json::{Value, json};

const SPEC_PATH: &str =
    "/partner/external/v3/general/customers/{customerId}/3rd-party-products/type/{type}/users";
const SPEC_BATCH_PATH: &str = "/partner/external/v3/general/customers/{customerId}/3rd-party-products/type/{type}/tenants/batch";
const SPEC_CUSTOMERS_PATH: &str = "/partner/external/v3/general/customers/batch";

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/avepoint-graph.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local $ref");
            let target = spec
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling {reference}"));
            resolve(spec, target)
        }
        None => value,
    }
}

const KEYWORDS: [&str; 16] = [
    "$ref",
    "oneOf",
    "type",
    "format",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "minLength",
    "nullable",
    "description",
    "example",
    "title",
];

fn validate(spec: &Value, schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    let Some(object) = schema.as_object() else {
        errors.push(format!("{at}: schema is not an object"));
        return;
    };
    for key in object.keys() {
        assert!(
            KEYWORDS.contains(&key.as_str()),
            "unsupported schema keyword `{key}` at {at}"
        );
    }
    if instance.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = alternatives
            .iter()
            .filter(|alternative| {
                let mut inner = Vec::new();
                validate(spec, alternative, instance, at, &mut inner);
                inner.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!(
                "{at}: {instance} matches {matching} of the oneOf alternatives, not exactly one"
            ));
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => instance.is_object(),
            "array" => instance.is_array(),
            "string" => instance.is_string(),
            "integer" => instance.is_i64() || instance.is_u64(),
            "number" => instance.is_number(),
            "boolean" => instance.is_boolean(),
            other => panic!("unknown type {other}"),
        };
        if !ok {
            errors.push(format!("{at}: expected {t}, got {instance}"));
            return;
        }
    }
    match schema.get("format").and_then(Value::as_str) {
        Some("int32") if instance.as_i64().is_none_or(|i| i32::try_from(i).is_err()) => {
            errors.push(format!("{at}: not an int32: {instance}"));
        }
        Some("int64") if instance.as_i64().is_none() => {
            errors.push(format!("{at}: not an int64: {instance}"));
        }
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(instance)
    {
        errors.push(format!("{at}: {instance} not in {allowed:?}"));
    }
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
        && instance.as_f64().is_some_and(|v| v < min)
    {
        errors.push(format!("{at}: {instance} < {min}"));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
        && instance.as_f64().is_some_and(|v| v > max)
    {
        errors.push(format!("{at}: {instance} > {max}"));
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && instance
            .as_str()
            .is_some_and(|s| (s.chars().count() as u64) < min)
    {
        errors.push(format!("{at}: shorter than {min}"));
    }
    if let Some(map) = instance.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap();
            if !map.contains_key(name) {
                errors.push(format!("{at}: missing required `{name}`"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, value) in map {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => validate(spec, property, value, &format!("{at}.{name}"), errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{at}: unexpected `{name}`")),
                    Some(extra @ Value::Object(_)) => {
                        validate(spec, extra, value, &format!("{at}.{name}"), errors);
                    }
                    // OpenAPI 3.0 default: additional properties allowed.
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), instance.as_array()) {
        for (i, item) in list.iter().enumerate() {
            validate(spec, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Checks one response of the seats operation against the spec.
async fn check_seats_response(spec: &Value, label: &str, response: reqwest::Response) -> u16 {
    check_response(spec, SPEC_PATH, label, response).await
}

/// Checks one response of the operation at `spec_path` against the spec.
async fn check_response(
    spec: &Value,
    spec_path: &str,
    label: &str,
    response: reqwest::Response,
) -> u16 {
    let status = response.status().as_u16();
    let path = &spec["paths"][spec_path];
    let operation = path.get("post").unwrap_or(&path["get"]);
    let declared = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{label}: status {status} is not listed for the operation"));
    let declared = resolve(spec, declared);
    for header in declared["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(h, _)| h)
    {
        // Retry-After is optional for the service to send; the fake sends it when configured.
        if header.eq_ignore_ascii_case("retry-after") {
            continue;
        }
        assert!(
            response.headers().contains_key(header.as_str()),
            "{label}: header {header} missing"
        );
    }
    let content = declared["content"].as_object().expect("content");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let (media, body_schema) = content
        .iter()
        .find(|(media, _)| *media == "*/*" || content_type.starts_with(media.as_str()))
        .unwrap_or_else(|| panic!("{label}: content type {content_type} not declared"));
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{label}: body is not JSON ({media}): {e}"));
    let mut errors = Vec::new();
    validate(spec, &body_schema["schema"], &body, "$", &mut errors);
    assert!(errors.is_empty(), "{label}: {errors:#?}\n{body}");
    status
}

#[test]
fn routes_match_the_spec() {
    let spec = spec();
    let normalize = |p: &str| {
        let mut out = String::new();
        let mut inside = false;
        for c in p.chars() {
            match c {
                '{' => {
                    inside = true;
                    out.push_str("{}");
                }
                '}' => inside = false,
                c if !inside => out.push(c),
                _ => {}
            }
        }
        out
    };
    assert!(spec["paths"].get(SPEC_PATH).is_some());
    assert_eq!(normalize(SEATS_ROUTE), normalize(SPEC_PATH));
    assert_eq!(normalize(TENANTS_BATCH_ROUTE), normalize(SPEC_BATCH_PATH));
    assert_eq!(CUSTOMERS_ROUTE, SPEC_CUSTOMERS_PATH);
    assert_eq!(
        spec["paths"][SPEC_BATCH_PATH]["post"]["security"][0]["oauth2"][0],
        demo::SCOPE_LICENSE_READ_ALL
    );
    assert_eq!(
        spec["paths"][SPEC_CUSTOMERS_PATH]["post"]["security"][0]["oauth2"][0],
        demo::SCOPE_CUSTOMERS_READ_ALL
    );
    let token_url =
        spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"]
            .as_str()
            .unwrap();
    assert!(token_url.ends_with(TOKEN_PATH), "{token_url}");
    let scopes =
        spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
            .as_object()
            .unwrap();
    assert!(scopes.contains_key(demo::SCOPE_LICENSE_READ_ALL));
    assert!(scopes.contains_key(demo::SCOPE_CUSTOMERS_READ_ALL));
    assert_eq!(
        spec["paths"][SPEC_PATH]["post"]["security"][0]["oauth2"][0],
        demo::SCOPE_LICENSE_READ_ALL
    );
}

#[tokio::test]
async fn every_seats_response_conforms() {
    let spec = spec();
    let dataset =
        Dataset::demo().with_customer(Customer::new("a/b c?#%", "Odd").with_tenant(Tenant::new(
            "t",
            "odd",
            TenantKind::Google,
            0,
            3,
        )));
    let server = start_with(FakeConfig::demo().with_dataset(dataset.clone())).await;
    let token = demo_token(&server).await;
    let limited = token_for(&server, demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET).await;
    let mut statuses = std::collections::BTreeSet::new();

    // 200: every customer, type and filter.
    for id in dataset.customer_ids() {
        for t in ["0", "1", "2", "3"] {
            for body in [
                None,
                Some("{}"),
                Some(r#"{"licenseAssignedStatus":0}"#),
                Some(r#"{"licenseAssignedStatus":1}"#),
            ] {
                let r = seats(&server, Some(&token), &id, t, body).await;
                let label = format!("{id} type {t} body {body:?}");
                assert_eq!(r.status(), 200, "{label}");
                statuses.insert(check_seats_response(&spec, &label, r).await);
            }
        }
    }
    // A generated customer.
    let generated = Dataset::generated(10, 5);
    let server_generated = start_with(FakeConfig::demo().with_dataset(generated.clone())).await;
    let token_generated = demo_token(&server_generated).await;
    for id in generated.customer_ids() {
        let r = seats(&server_generated, Some(&token_generated), &id, "0", None).await;
        statuses.insert(check_seats_response(&spec, &id, r).await);
    }

    // Errors.
    // (label, token, customer, type, body)
    type Case<'a> = (&'a str, Option<&'a str>, &'a str, &'a str, Option<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        ("bad type", Some(&token), CONTOSO, "9", None),
        ("bad body", Some(&token), CONTOSO, "0", Some("{")),
        (
            "bad status",
            Some(&token),
            CONTOSO,
            "0",
            Some(r#"{"licenseAssignedStatus":5}"#),
        ),
        ("no token", None, CONTOSO, "0", None),
        ("bad token", Some("nope"), CONTOSO, "0", None),
        ("no scope", Some(&limited), CONTOSO, "0", None),
        ("unknown customer", Some(&token), "nobody", "0", None),
    ];
    for (label, token, customer, t, body) in cases {
        let r = seats(&server, token, customer, t, body).await;
        statuses.insert(check_seats_response(&spec, label, r).await);
    }

    // Faults.
    let control = server.control();
    control.inject_api(Fault::rate_limited(1), 1);
    control.inject_api(
        Fault::TooManyRequests {
            retry_after: Some(RetryAfter::HttpDate(std::time::Duration::from_secs(5))),
        },
        1,
    );
    control.inject_api(Fault::TooManyRequests { retry_after: None }, 1);
    control.inject_api(Fault::unavailable(2), 1);
    control.inject_api(Fault::InternalServerError, 1);
    for label in ["429", "429 date", "429 bare", "503", "500"] {
        let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
        if let Some(retry_after) = r.headers().get("retry-after") {
            let value = retry_after.to_str().unwrap();
            assert!(
                value.parse::<u64>().is_ok() || httpdate::parse_http_date(value).is_ok(),
                "{label}: Retry-After {value}"
            );
        }
        statuses.insert(check_seats_response(&spec, label, r).await);
    }
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        [200, 400, 401, 403, 404, 429, 500, 503],
        "every status the spec lists was exercised"
    );
}

/// Every response of the paginated operations (customers listing, `tenants/batch`) conforms:
/// pages of the demo and a generated dataset, filters, paging faults, errors and faults;
/// every status the spec lists is exercised for both.
#[tokio::test]
async fn every_paginated_response_conforms() {
    let spec = spec();
    let dataset = Dataset::generated(30, 2).with_customer(
        Customer::new("a/b c?#%", "Odd").with_tenant(Tenant::new(
            "t",
            "odd",
            TenantKind::Google,
            0,
            3,
        )),
    );
    let server = start_with(FakeConfig::demo().with_dataset(dataset.clone())).await;
    let demo_server = start().await;
    let token = demo_token(&server).await;
    let demo_token_ = demo_token(&demo_server).await;
    let limited = token_for(&server, demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET).await;
    let mut customer_statuses = std::collections::BTreeSet::new();
    let mut batch_statuses = std::collections::BTreeSet::new();

    // 200: pages of both datasets, filters, paging faults.
    for (srv, tok) in [(&server, &token), (&demo_server, &demo_token_)] {
        for query in ["", "pageSize=7", "pageIndex=2&pageSize=7", "pageIndex=99"] {
            for body in [
                None,
                Some("{}"),
                Some(r#"{"customerIds":["a/b c?#%","x"]}"#),
            ] {
                let r = customers(srv, Some(tok), query, body).await;
                let label = format!("customers {query} {body:?}");
                assert_eq!(r.status(), 200, "{label}");
                customer_statuses
                    .insert(check_response(&spec, SPEC_CUSTOMERS_PATH, &label, r).await);
            }
        }
    }
    for id in dataset.customer_ids().take(8) {
        for t in ["0", "1", "2", "3"] {
            for (query, body) in [
                ("", None),
                ("pageSize=1&pageIndex=2", Some("{}")),
                ("", Some(r#"{"tenantIds":["t","nope"]}"#)),
            ] {
                let r = tenants_batch(&server, Some(&token), &id, t, query, body).await;
                let label = format!("batch {id} {t} {query} {body:?}");
                assert_eq!(r.status(), 200, "{label}");
                batch_statuses.insert(check_response(&spec, SPEC_BATCH_PATH, &label, r).await);
            }
        }
    }
    let control = server.control();
    control.inject_paging(PagingFault::RepeatPreviousPage, 1);
    control.inject_paging(PagingFault::TotalCountOffset(-1000), 1);
    control.inject_paging(PagingFault::TotalCountOffset(5), 1);
    for label in ["repeat", "total down", "total up"] {
        let r = customers(&server, Some(&token), "pageIndex=2&pageSize=5", None).await;
        customer_statuses.insert(check_response(&spec, SPEC_CUSTOMERS_PATH, label, r).await);
    }

    // Errors.
    let customer_errors: Vec<(&str, Option<&str>, &str, Option<&str>)> = vec![
        ("bad index", Some(&token), "pageIndex=0", None),
        ("bad size", Some(&token), "pageSize=101", None),
        ("bad body", Some(&token), "", Some("{")),
        ("no token", None, "", None),
        ("wrong scope", Some("nope"), "", None),
    ];
    for (label, tok, query, body) in customer_errors {
        let r = customers(&server, tok, query, body).await;
        customer_statuses.insert(check_response(&spec, SPEC_CUSTOMERS_PATH, label, r).await);
    }
    let license_only = {
        let response = token_request(
            &server,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("scope", demo::SCOPE_LICENSE_READ_ALL),
            ],
        )
        .await;
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let r = customers(&server, Some(&license_only), "", None).await;
    customer_statuses.insert(check_response(&spec, SPEC_CUSTOMERS_PATH, "no scope", r).await);
    // (label, token, customer, type, query, body)
    type BatchCase<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
    );
    let batch_errors: Vec<BatchCase<'_>> = vec![
        ("bad type", Some(&token), CONTOSO, "9", "", None),
        ("bad size", Some(&token), CONTOSO, "0", "pageSize=0", None),
        (
            "bad body",
            Some(&token),
            CONTOSO,
            "0",
            "",
            Some(r#"{"tenantIds":"x"}"#),
        ),
        ("no token", None, CONTOSO, "0", "", None),
        ("no scope", Some(&limited), CONTOSO, "0", "", None),
        ("unknown customer", Some(&token), "nobody", "0", "", None),
    ];
    for (label, tok, customer, t, query, body) in batch_errors {
        let r = tenants_batch(&server, tok, customer, t, query, body).await;
        batch_statuses.insert(check_response(&spec, SPEC_BATCH_PATH, label, r).await);
    }
    // The customers listing has no customer to miss: its 404 is the unknown path's.
    let r = post_api(
        &server,
        Some(&token),
        "/partner/external/v3/general/customers",
        "",
        None,
    )
    .await;
    customer_statuses.insert(check_response(&spec, SPEC_CUSTOMERS_PATH, "404", r).await);

    // Faults.
    for (path, statuses) in [
        (SPEC_CUSTOMERS_PATH, &mut customer_statuses),
        (SPEC_BATCH_PATH, &mut batch_statuses),
    ] {
        control.inject_api(Fault::rate_limited(1), 1);
        control.inject_api(Fault::unavailable(2), 1);
        control.inject_api(Fault::InternalServerError, 1);
        for label in ["429", "503", "500"] {
            let r = if path == SPEC_CUSTOMERS_PATH {
                customers(&server, Some(&token), "", None).await
            } else {
                tenants_batch(&server, Some(&token), CONTOSO, "0", "", None).await
            };
            statuses.insert(check_response(&spec, path, label, r).await);
        }
    }
    let all = [200, 400, 401, 403, 404, 429, 500, 503];
    assert_eq!(customer_statuses.into_iter().collect::<Vec<_>>(), all);
    assert_eq!(batch_statuses.into_iter().collect::<Vec<_>>(), all);
}

/// The token response of RFC 6749 §5.1 (the spec names the flow but has no schema for it).
fn token_success_schema() -> Value {
    json!({
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
            "access_token": {"type": "string", "minLength": 1},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "format": "int64", "minimum": 0},
            "scope": {"type": "string"}
        }
    })
}

/// An OAuth error (RFC 6749 §5.2) must also satisfy the spec's `Error` schema.
fn token_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "enum": [
                "invalid_request", "invalid_client", "invalid_grant",
                "unauthorized_client", "unsupported_grant_type", "invalid_scope"
            ]},
            "error_description": {"type": "string"}
        }
    })
}

#[tokio::test]
async fn token_responses_conform() {
    let spec = spec();
    let error_schema = json!({"$ref": "#/components/schemas/Error"});
    let server = start().await;
    let ok = [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
            ("scope", demo::SCOPE_LICENSE_READ_ALL),
        ],
    ];
    let jwt = sign_jwt(
        &demo_header(),
        &demo_claims(&server.token_url(), "conf-1"),
        demo::KEY_PEM,
    );
    let mut responses = Vec::new();
    for fields in &ok {
        responses.push(("ok", token_request(&server, fields).await));
    }
    responses.push(("assertion", assertion_request(&server, &jwt).await));
    let bad: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "wrong secret",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", "x"),
            ],
        ),
        (
            "bad grant",
            vec![
                ("grant_type", "password"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        ),
        (
            "bad scope",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("scope", "x.y"),
            ],
        ),
        ("no grant", vec![("client_id", demo::CLIENT_ID)]),
    ];
    for (label, fields) in &bad {
        responses.push((label, token_request(&server, fields).await));
    }
    responses.push(("replay", assertion_request(&server, &jwt).await));

    for (label, response) in responses {
        let status = response.status().as_u16();
        assert!(response.headers().contains_key("x-request-id"), "{label}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{label}"
        );
        let body: Value = response.json().await.unwrap();
        let mut errors = Vec::new();
        if status == 200 {
            validate(&spec, &token_success_schema(), &body, "$", &mut errors);
        } else {
            assert!([400, 401].contains(&status), "{label}: {status}");
            validate(&spec, &token_error_schema(), &body, "$", &mut errors);
            validate(&spec, &error_schema, &body, "$", &mut errors);
        }
        assert!(errors.is_empty(), "{label}: {errors:#?} {body}");
    }
}

#[test]
fn the_validator_rejects_what_it_should() {
    let spec = spec();
    let seats_schema =
        json!({"type": "array", "items": {"$ref": "#/components/schemas/TenantUserSeats"}});
    for bad in [
        json!({}),
        json!([{"id": "x", "name": "y", "availableUserSeat": -1, "assignedUserSeat": 0}]),
        json!([{"id": "x", "name": "y", "availableUserSeat": 1.5, "assignedUserSeat": 0}]),
        json!([{"id": "x", "availableUserSeat": 1, "assignedUserSeat": 0}]),
        json!([{"id": 1, "name": "y", "availableUserSeat": 1, "assignedUserSeat": 0}]),
    ] {
        let mut errors = Vec::new();
        validate(&spec, &seats_schema, &bad, "$", &mut errors);
        assert!(!errors.is_empty(), "{bad}");
    }
    let mut errors = Vec::new();
    validate(
        &spec,
        &json!({"$ref": "#/components/schemas/TenantType"}),
        &json!(4),
        "$",
        &mut errors,
    );
    assert!(!errors.is_empty());
}

const SPEC_OVERVIEW_PATH: &str =
    "/partner/external/v3/general/customers/{customerId}/3rd-party-products/type/{type}/overview";
const SPEC_PRODUCT_SEATS_PATH: &str =
    "/partner/external/v3/general/customers/{customerId}/avpt-products/type/{productType}/overview";
const SPEC_SERVICES_PATH: &str = "/partner/external/v3/general/customers/{customerId}/services";

/// GETs `path` (already encoded) with an optional bearer token.
async fn get_api(
    server: &avepoint_fake::FakeServer,
    token: Option<&str>,
    path: &str,
) -> reqwest::Response {
    let mut request = http().get(format!("{}{path}", server.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn encoded(customer: &str) -> String {
    percent_encoding::utf8_percent_encode(customer, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Every response of the licensing family (tenant seat overview, product seats, services)
/// conforms: the demo and a generated dataset, a string `productType`, an unknown product
/// code, `"N/A"` fields, errors and faults; every status the spec lists is exercised.
#[tokio::test]
async fn every_licensing_response_conforms() {
    use avepoint_fake::licensing::{OVERVIEW_ROUTE, PRODUCT_SEATS_ROUTE, PRODUCTS, SERVICES_ROUTE};
    let spec = spec();
    let normalize = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    for (route, spec_path) in [
        (OVERVIEW_ROUTE, SPEC_OVERVIEW_PATH),
        (PRODUCT_SEATS_ROUTE, SPEC_PRODUCT_SEATS_PATH),
        (SERVICES_ROUTE, SPEC_SERVICES_PATH),
    ] {
        assert_eq!(normalize(route), normalize(spec_path));
        assert_eq!(
            spec["paths"][spec_path]["get"]["security"][0]["oauth2"][0],
            demo::SCOPE_LICENSE_READ_ALL
        );
    }
    let dataset = Dataset::generated(20, 3).with_customer(Customer::new("a/b c?#%", "Odd"));
    let dataset = Dataset::demo()
        .customers()
        .fold(dataset, |d, c| d.with_customer(c.into_owned()));
    let server = start_with(FakeConfig::demo().with_dataset(dataset.clone())).await;
    let token = demo_token(&server).await;
    let limited = token_for(&server, demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET).await;
    let mut statuses: std::collections::BTreeMap<&str, std::collections::BTreeSet<u16>> =
        Default::default();
    let mut string_codes = 0;
    let mut unknown_codes = 0;
    let mut na_fields = 0;

    for id in dataset.customer_ids() {
        let customer = encoded(&id);
        for t in 0..4 {
            let path = format!(
                "{}{customer}/3rd-party-products/type/{t}/overview",
                "/partner/external/v3/general/customers/"
            );
            let r = get_api(&server, Some(&token), &path).await;
            assert_eq!(r.status(), 200, "{path}");
            let s = check_response(&spec, SPEC_OVERVIEW_PATH, &path, r).await;
            statuses.entry("overview").or_default().insert(s);
        }
        let c = dataset.customer(&id).unwrap();
        let codes = c
            .subscriptions
            .iter()
            .map(|s| s.product_type)
            .chain(PRODUCTS.iter().take(3).map(|(code, _)| *code));
        for code in codes {
            let path = format!(
                "/partner/external/v3/general/customers/{customer}/avpt-products/type/{code}/overview"
            );
            let r = get_api(&server, Some(&token), &path).await;
            let body = r.bytes().await.unwrap();
            let value: Value = serde_json::from_slice(&body).unwrap();
            string_codes += usize::from(value["productType"].is_string());
            unknown_codes += usize::from(
                value["productType"]
                    .as_i64()
                    .is_some_and(|c| PRODUCTS.iter().all(|(k, _)| *k != c)),
            );
            let r = get_api(&server, Some(&token), &path).await;
            let s = check_response(&spec, SPEC_PRODUCT_SEATS_PATH, &path, r).await;
            statuses.entry("product").or_default().insert(s);
        }
        let path = format!("/partner/external/v3/general/customers/{customer}/services");
        let r = get_api(&server, Some(&token), &path).await;
        let body = r.bytes().await.unwrap();
        na_fields += String::from_utf8_lossy(&body).matches("\"N/A\"").count();
        let r = get_api(&server, Some(&token), &path).await;
        let s = check_response(&spec, SPEC_SERVICES_PATH, &path, r).await;
        statuses.entry("services").or_default().insert(s);
    }
    assert!(string_codes > 0 && unknown_codes > 0 && na_fields > 0);

    let contoso = "/partner/external/v3/general/customers/".to_owned() + CONTOSO;
    let cases = [
        (
            "overview",
            SPEC_OVERVIEW_PATH,
            format!("{contoso}/3rd-party-products/type/9/overview"),
        ),
        (
            "product",
            SPEC_PRODUCT_SEATS_PATH,
            format!("{contoso}/avpt-products/type/-1/overview"),
        ),
        (
            "product",
            SPEC_PRODUCT_SEATS_PATH,
            format!("{contoso}/avpt-products/type/x/overview"),
        ),
        (
            "overview",
            SPEC_OVERVIEW_PATH,
            "/partner/external/v3/general/customers/nobody/3rd-party-products/type/0/overview"
                .to_owned(),
        ),
        (
            "services",
            SPEC_SERVICES_PATH,
            "/partner/external/v3/general/customers/nobody/services".to_owned(),
        ),
    ];
    for (op, spec_path, path) in &cases {
        let r = get_api(&server, Some(&token), path).await;
        let s = check_response(&spec, spec_path, path, r).await;
        statuses.entry(op).or_default().insert(s);
    }
    let all = [
        (
            "overview",
            SPEC_OVERVIEW_PATH,
            format!("{contoso}/3rd-party-products/type/0/overview"),
        ),
        (
            "product",
            SPEC_PRODUCT_SEATS_PATH,
            format!("{contoso}/avpt-products/type/2048/overview"),
        ),
        (
            "services",
            SPEC_SERVICES_PATH,
            format!("{contoso}/services"),
        ),
    ];
    for (op, spec_path, path) in &all {
        for token in [None, Some("nope"), Some(limited.as_str())] {
            let r = get_api(&server, token, path).await;
            let s = check_response(&spec, spec_path, path, r).await;
            statuses.entry(op).or_default().insert(s);
        }
        // The routes answer 405 to other methods (not a status of the operation).
        let r = http()
            .post(format!("{}{path}", server.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "GET");
        let control = server.control();
        control.inject_api(Fault::rate_limited(1), 1);
        control.inject_api(Fault::unavailable(2), 1);
        control.inject_api(Fault::InternalServerError, 1);
        for _ in 0..3 {
            let r = get_api(&server, Some(&token), path).await;
            let s = check_response(&spec, spec_path, path, r).await;
            statuses.entry(op).or_default().insert(s);
        }
    }
    // 400 for the services needs an unreadable id: not valid UTF-8.
    let path = "/partner/external/v3/general/customers/%FF/services";
    let r = get_api(&server, Some(&token), path).await;
    let s = check_response(&spec, SPEC_SERVICES_PATH, path, r).await;
    statuses.entry("services").or_default().insert(s);
    for (op, seen) in statuses {
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            [200, 400, 401, 403, 404, 429, 500, 503],
            "{op}: every status the spec lists was exercised"
        );
    }
    assert!(server.counters().api_requests > 0);
}
