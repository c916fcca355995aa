//! End-to-end tests of the licensing commands (`overview`, `products`, `services`,
//! `reconcile`): the built binary against an in-process fake AvePoint service (real HTTP on
//! loopback), or, where one side must answer what the fake never does, a `wiremock` API on
//! loopback next to the fake's identity service.

mod common;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use avepoint_fake::{
    BackgroundFakeServer, Customer, Dataset, FakeConfig, Subscription, Tenant, TenantKind,
};
use common::{avepoint, bare, json, run};
use serde_json::json;

/// Every command of the family with the flags its demo snapshot uses.
const COMMANDS: [(&str, &[&str]); 4] = [
    ("overview", &["overview", "--all-types"]),
    ("products", &["products", "--all-products"]),
    ("services", &["services"]),
    ("reconcile", &["reconcile", "--all-customers"]),
];

#[test]
fn every_command_in_every_format_against_the_demo() {
    for (name, args) in COMMANDS {
        for output in ["table", "json", "csv"] {
            let r = run(bare().args(args).args(["--demo", "--output", output]));
            assert_eq!(r.code, Some(0), "{name} {output}: stderr: {}", r.stderr);
            assert!(r.stderr.starts_with("note: demo mode"), "{}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
            insta::assert_snapshot!(format!("demo_{name}_{output}"), r.stdout);
        }
    }
}

/// A customer with one Microsoft 365 tenant of `assigned` users.
fn m365_customer(id: &str, assigned: u32) -> Customer {
    Customer::new(id, format!("{id} Ltd")).with_tenant(Tenant::new(
        format!("{id}-tenant"),
        format!("{id}.onmicrosoft.com"),
        TenantKind::Microsoft365,
        3,
        assigned,
    ))
}

/// Customers with every reconciliation status on the Microsoft 365 pair, a pair left out
/// (both sides 0), a product code no client knows, a string `productType`, `"N/A"`
/// everywhere and a services field that does not parse.
fn dataset() -> Dataset {
    Dataset::empty()
        .with_customer(
            m365_customer("ok", 100).with_subscription(Subscription::new(2048, 110, "2030/01/31")),
        )
        .with_customer(
            m365_customer("under", 100).with_subscription(Subscription::new(
                2048,
                60,
                "2030/01/31",
            )),
        )
        .with_customer(m365_customer("idle", 100).with_subscription(
            Subscription::new(2048, 200, "2030/01/31").with_string_product_type(),
        ))
        .with_customer(m365_customer("unlicensed", 100))
        .with_customer(Customer::new("empty", "Empty Ltd"))
        .with_customer(
            m365_customer("odd", 0)
                .with_subscription(
                    Subscription::new(999, 7, "N/A").with_field("service", Some("Future Product")),
                )
                .with_subscription(na_everywhere(Subscription::new(8192, 5, "N/A")))
                .with_subscription(
                    Subscription::new(4096, 9, "2030/02/30")
                        .with_field("purchasedUserSeats", Some("nine")),
                ),
        )
}

/// Every services field of `s` served as `"N/A"`.
fn na_everywhere(s: Subscription) -> Subscription {
    [
        "service",
        "subscriptionModel",
        "purchasedUserSeats",
        "purchasedUnits",
        "microsoftLicenseAssigned",
        "microsoftLicenseAvailable",
        "purchasedCapacity",
        "protectedCapacity",
        "storage",
        "retention",
        "consumedStorage",
        "expirationDate",
        "change",
        "source",
        "paymentType",
        "subscriptionName",
        "package",
        "contractEndDate",
    ]
    .into_iter()
    .fold(s, |s, field| s.with_field(field, Some("N/A")))
}

fn server() -> BackgroundFakeServer {
    BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset()))
        .expect("fake server starts")
}

/// `--customer` flags for `ids`.
fn customers<'a>(ids: &[&'a str]) -> Vec<&'a str> {
    ids.iter().flat_map(|id| ["--customer", id]).collect()
}

#[test]
fn reconcile_gives_every_status_leaves_empty_pairs_out_and_uses_one_token() {
    let server = server();
    let ids = [
        "ok",
        "under",
        "idle",
        "unlicensed",
        "empty",
        "odd",
        "nobody",
    ];
    let r = run(avepoint(&server)
        .args(["reconcile", "-t", "m365", "-o", "json"])
        .args(customers(&ids)));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    // An unknown customer is no failure (404 counts as 0), but it is pointed out.
    assert_eq!(
        r.stderr,
        "warning: customer nobody: the seat overview answered 404 for every tenant type (counted as 0); check the customer id\n"
    );
    let row = |id: &str, assigned: u64, purchased: u64, status: &str| {
        json!({
            "customerId": id, "tenantType": "m365", "productType": 2048,
            "assignedUserSeat": assigned, "purchasedUserSeat": purchased,
            "gap": purchased as i64 - assigned as i64, "status": status,
        })
    };
    // `empty` (no tenants, no subscription) and `nobody` (404 on both sides) are left out;
    // `unlicensed` has no subscription: the product side answers 404 and counts as 0.
    assert_eq!(
        json(&r.stdout),
        [
            row("ok", 100, 110, "ok"),
            row("under", 100, 60, "under"),
            row("idle", 100, 200, "idle"),
            row("unlicensed", 100, 0, "unlicensed"),
        ]
    );
    let counters = server.counters();
    assert_eq!(counters.tokens_issued, 1, "one token for the whole run");
    assert_eq!(counters.api_requests, 2 * ids.len() as u64);
}

#[test]
fn idle_percent_moves_the_idle_threshold() {
    let server = server();
    let status = |percent: &str| {
        let r = run(avepoint(&server).args([
            "reconcile",
            "-t",
            "m365",
            "-c",
            "idle",
            "-o",
            "csv",
            "--idle-percent",
            percent,
        ]));
        assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
        r.stdout
            .lines()
            .nth(1)
            .map(|l| l.rsplit(',').next().unwrap_or("").to_owned())
    };
    // 100 assigned of 200 seats: half idle.
    assert_eq!(status("20").as_deref(), Some("idle"));
    assert_eq!(status("50").as_deref(), Some("ok"));
}

#[test]
fn fail_on_exits_4_and_a_failing_customer_exits_1_with_the_others_complete() {
    let server = server();
    let r = run(avepoint(&server).args([
        "reconcile",
        "-t",
        "m365",
        "-c",
        "ok",
        "-c",
        "under",
        "--fail-on",
        "idle,under",
    ]));
    assert_eq!(r.code, Some(4), "stderr: {}", r.stderr);
    assert!(
        r.stdout
            .ends_with("status: 1 ok, 1 under, 0 idle, 0 unlicensed\n"),
        "{}",
        r.stdout
    );
    let r =
        run(avepoint(&server).args(["reconcile", "-t", "m365", "-c", "ok", "--fail-on", "under"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);

    // A listed customer whose ID the SDK refuses to send (`..`, which URL normalisation
    // would turn into another path): that customer fails, the others are complete, and the
    // failure outranks --fail-on.
    let listed = Dataset::empty()
        .with_customer(
            m365_customer("under", 100).with_subscription(Subscription::new(
                2048,
                60,
                "2030/01/31",
            )),
        )
        .with_customer(m365_customer("..", 5))
        .with_customer(
            m365_customer("ok", 100).with_subscription(Subscription::new(2048, 110, "2030/01/31")),
        );
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(listed))
        .expect("fake server starts");
    let r = run(avepoint(&server).args([
        "reconcile",
        "-o",
        "json",
        "-t",
        "m365",
        "--all-customers",
        "--fail-on",
        "under",
    ]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let rows = json(&r.stdout);
    let customers: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["customerId"].as_str())
        .collect();
    assert_eq!(customers, ["under", "ok"]);
    assert!(
        r.stderr.contains("error: customer .. (.. Ltd): "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("error: 1 of 3 customers failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_server_error_fails_the_customer_not_the_run() {
    let server = server();
    // Every API answer is a 500 (after the SDK's retries): both customers fail, named.
    server
        .control()
        .inject_api(avepoint_fake::Fault::InternalServerError, 1_000);
    let r = run(avepoint(&server)
        .args([
            "overview",
            "-t",
            "m365",
            "-o",
            "json",
            "--max-attempts",
            "1",
        ])
        .args(customers(&["ok", "under"])));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(json(&r.stdout), Vec::<serde_json::Value>::new());
    assert!(r.stderr.contains("error: customer ok: "), "{}", r.stderr);
    assert!(r.stderr.contains("error: customer under: "), "{}", r.stderr);
}

#[test]
fn products_name_unknown_codes_and_leave_404s_out_with_all_products() {
    let server = server();
    let r = run(avepoint(&server).args([
        "products",
        "-c",
        "odd",
        "-c",
        "idle",
        "-p",
        "999,Cloud Management",
        "-o",
        "json",
    ]));
    // `idle` holds neither product: named with --product, a 404 fails the customer.
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        json(&r.stdout),
        [
            json!({"customerId": "odd", "productType": 999, "product": "unknown (999)", "availableUserSeat": 7}),
            json!({"customerId": "odd", "productType": 4096, "product": "Cloud Management", "availableUserSeat": 9}),
        ]
    );
    assert!(r.stderr.contains("error: customer idle: "), "{}", r.stderr);

    let r = run(avepoint(&server).args(["products", "-c", "idle", "--all-products", "-o", "csv"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    // The string productType "2048" is read as the code 2048.
    assert_eq!(
        r.stdout,
        "customerId,productType,product,availableUserSeat\nidle,2048,Cloud Backup for Microsoft 365,200\n"
    );
}

#[test]
fn services_null_na_and_keep_unparsable_values_with_a_warning() {
    let server = server();
    let r = run(avepoint(&server).args(["services", "-c", "odd", "-o", "json"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let rows = json(&r.stdout);
    assert_eq!(rows.len(), 3);
    // "N/A" everywhere: every product field is null.
    let na = &rows[1];
    let object = na.as_object().expect("an object");
    assert_eq!(object.len(), 25);
    for (key, value) in object {
        if !["customerId", "organization", "customer"].contains(&key.as_str()) {
            assert_eq!(value, &serde_json::Value::Null, "{key}");
        }
    }
    // Values that do not parse are written as sent and named on stderr.
    assert_eq!(rows[2]["purchasedUserSeats"], "nine");
    assert_eq!(rows[2]["expirationDate"], "2030/02/30");
    assert_eq!(rows[2]["contractEndDate"], "2030/02/30");
    assert_eq!(rows[0]["service"], "Future Product");
    let warnings: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(warnings.len(), 3, "{}", r.stderr);
    assert!(
        warnings[0].starts_with("warning: customer odd: services field `purchasedUserSeats` of `Cloud Management` is `nine`"),
        "{}",
        r.stderr
    );
    insta::assert_snapshot!(
        "services_odd_table",
        run(avepoint(&server).args(["services", "-c", "odd"])).stdout
    );
}

/// Today (UTC) plus `days`, as the service writes dates.
fn date_in(days: u64) -> String {
    let today = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = (today + days) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}/{m:02}/{d:02}")
}

#[test]
fn expiring_within_keeps_products_expiring_by_today_plus_days() {
    let dataset = Dataset::empty().with_customer(
        Customer::new("renewals", "Renewals Ltd")
            .with_subscription(Subscription::new(2048, 1, date_in(0)))
            .with_subscription(Subscription::new(32, 2, date_in(30)))
            .with_subscription(Subscription::new(16777216, 3, date_in(31)))
            .with_subscription(Subscription::new(4096, 4, "N/A"))
            .with_subscription(Subscription::new(8192, 5, "2001/01/01")),
    );
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    let seats = |days: &str| {
        let r = run(avepoint(&server).args([
            "services",
            "-c",
            "renewals",
            "-o",
            "json",
            "--expiring-within",
            days,
        ]));
        assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
        json(&r.stdout)
            .iter()
            .map(|r| r["purchasedUserSeats"].as_u64().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    assert_eq!(seats("30"), [1, 2, 5]);
    assert_eq!(seats("0"), [1, 5]);
    assert_eq!(seats("31"), [1, 2, 3, 5]);
}

#[test]
fn overview_sums_the_seats_report_of_every_type() {
    let r = run(bare().args(["overview", "--demo", "--all-types", "-o", "json"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let mut expected = Vec::new();
    for customer in Dataset::demo().customers() {
        for (kind, name) in
            TenantKind::KNOWN
                .into_iter()
                .zip(["m365", "salesforce", "google", "d365"])
        {
            let (available, assigned) = avepoint_fake::licensing::overview_sums(&customer, kind);
            expected.push(json!({
                "customerId": customer.id, "tenantType": name,
                "availableUserSeat": available, "assignedUserSeat": assigned,
            }));
        }
    }
    assert_eq!(json(&r.stdout), expected);
}

#[test]
fn reconcile_over_all_customers_counts_every_status() {
    let r = run(bare().args(["reconcile", "--demo", "--all-customers", "-o", "json"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in json(&r.stdout) {
        assert!(row["organization"].is_string(), "{row}");
        *counts
            .entry(row["status"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        ["idle", "ok", "under", "unlicensed"]
    );
}

/// The API of `wiremock` answering the overview with 404 and the product with 50 seats,
/// tokens from the fake: a 404 on the overview side counts as 0 assigned (`idle`).
#[tokio::test(flavor = "multi_thread")]
async fn a_404_on_the_overview_side_counts_as_zero() {
    use wiremock::matchers::path_regex;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let identity = BackgroundFakeServer::start(FakeConfig::demo()).expect("fake server starts");
    let api = MockServer::start().await;
    Mock::given(path_regex("/3rd-party-products/type/0/overview$"))
        .respond_with(ResponseTemplate::new(404).set_body_raw("{}", "application/json"))
        .mount(&api)
        .await;
    Mock::given(path_regex("/avpt-products/type/2048/overview$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"productType": "2048", "availableUserSeat": 50}"#,
            "application/json",
        ))
        .mount(&api)
        .await;
    let mut cmd = avepoint(&identity);
    cmd.env("AVEPOINT_BASE_URL", api.uri()).args([
        "reconcile",
        "-t",
        "m365",
        "-c",
        "c1",
        "-o",
        "json",
    ]);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("the run finishes");
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(
        json(&r.stdout),
        [json!({
            "customerId": "c1", "tenantType": "m365", "productType": 2048,
            "assignedUserSeat": 0, "purchasedUserSeat": 50, "gap": 50, "status": "idle",
        })]
    );
}

/// An API answering 404 for the Salesforce overview: `--all-types` leaves that type out,
/// naming it with `--tenant-type` fails the customer.
#[tokio::test(flavor = "multi_thread")]
async fn overview_404s_are_left_out_with_all_types_only() {
    use wiremock::matchers::path_regex;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let identity = BackgroundFakeServer::start(FakeConfig::demo()).expect("fake server starts");
    let api = MockServer::start().await;
    Mock::given(path_regex("/3rd-party-products/type/1/overview$"))
        .respond_with(ResponseTemplate::new(404).set_body_raw("{}", "application/json"))
        .mount(&api)
        .await;
    Mock::given(path_regex("/3rd-party-products/type/[023]/overview$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"availableUserSeat": 2, "assignedUserSeat": 3}"#,
            "application/json",
        ))
        .mount(&api)
        .await;
    let overview = |args: &'static [&'static str]| {
        let mut cmd = avepoint(&identity);
        cmd.env("AVEPOINT_BASE_URL", api.uri())
            .args(["overview", "-c", "c1", "-o", "json"])
            .args(args);
        tokio::task::spawn_blocking(move || run(&mut cmd))
    };
    let r = overview(&["--all-types"]).await.expect("the run finishes");
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let types: Vec<String> = json(&r.stdout)
        .iter()
        .map(|row| row["tenantType"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(types, ["m365", "google", "d365"]);
    let r = overview(&["-t", "salesforce"])
        .await
        .expect("the run finishes");
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("error: customer c1: "), "{}", r.stderr);
}
