//! End-to-end tests of the fleet report, `avepoint seats --all-customers`: the built binary
//! against an in-process fake AvePoint service (real HTTP on loopback), with the customers
//! listing walked page by page.

mod common;

use std::collections::BTreeMap;

use avepoint_fake::{
    BackgroundFakeServer, Customer, Dataset, FakeConfig, Fault, PagingFault, Tenant, TenantKind,
    demo,
};
use avepoint_graph::TenantType;
use common::{avepoint, bare, json, run};

/// Every tenant type, as the tool names them, in the order of `--all-types`.
const TYPES: [&str; 4] = ["m365", "salesforce", "google", "d365"];

/// A listed customer whose seats cannot be asked for: its ID is empty (refused by the SDK
/// before any call).
const NAMELESS_ID: &str = "";
/// A listed customer whose ID the SDK refuses before sending: `..` is a dot-segment of the
/// URL path, which normalisation would turn into another resource.
const DOTS_ID: &str = "..";

fn kind_name(kind: TenantKind) -> &'static str {
    TenantType::from_code(kind.code()).map_or("?", TenantType::short_name)
}

/// The rows `seats --all-customers --all-types -o json` must give for `dataset`, in listing
/// order (customer, then type, then the dataset's tenant order), leaving out `failing`.
fn expected_rows(dataset: &Dataset, failing: &[&str]) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for customer in dataset.customers() {
        if failing.contains(&customer.id.as_str()) {
            continue;
        }
        for kind in [
            TenantKind::Microsoft365,
            TenantKind::Salesforce,
            TenantKind::Google,
            TenantKind::Dynamics365,
        ] {
            for t in customer.tenants.iter().filter(|t| t.kind == kind) {
                rows.push(serde_json::json!({
                    "customerId": customer.id,
                    "organization": customer.organization,
                    "tenantType": kind_name(kind),
                    "tenantId": t.id,
                    "tenantName": t.name,
                    "availableUserSeat": t.available_user_seats,
                    "assignedUserSeat": t.assigned_user_seats,
                }));
            }
        }
    }
    rows
}

#[test]
fn demo_fleet_report_in_every_format() {
    for (output, snapshot) in [
        ("table", "demo_all_types_table"),
        ("json", "demo_all_types_json"),
        ("csv", "demo_all_types_csv"),
    ] {
        let r = run(bare().args([
            "seats",
            "--demo",
            "--all-customers",
            "--all-types",
            "--output",
            output,
        ]));
        assert_eq!(r.code, Some(0), "{output}: stderr: {}", r.stderr);
        assert!(r.stderr.starts_with("note: demo mode"), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        insta::assert_snapshot!(snapshot, r.stdout);
    }
    let r = run(bare().args([
        "seats",
        "--demo",
        "--all-customers",
        "--all-types",
        "-o",
        "json",
    ]));
    assert_eq!(json(&r.stdout), expected_rows(&Dataset::demo(), &[]));
}

#[test]
fn one_type_keeps_a_single_totals_row() {
    let r = run(bare().args([
        "seats",
        "--demo",
        "--all-customers",
        "--tenant-type",
        "google",
    ]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    insta::assert_snapshot!("demo_google_table", r.stdout);
}

#[test]
fn thousand_customers_with_faults_each_once_per_type() {
    let dataset = Dataset::generated(1_000, 42)
        .with_customer(
            Customer::new(NAMELESS_ID, "Nameless Ltd").with_tenant(Tenant::new(
                "00000000-0000-4000-8000-00000000aaaa",
                "nameless.onmicrosoft.com",
                TenantKind::Microsoft365,
                1,
                1,
            )),
        )
        .with_customer(Customer::new(DOTS_ID, "Dots & Co"));
    let expected = expected_rows(&dataset, &[NAMELESS_ID, DOTS_ID]);
    let listed = dataset.len();
    assert_eq!(listed, 1_002);
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset.clone()))
        .expect("fake server starts");
    let control = server.control();
    // 429s and 503s on the API (the listing and the seats calls alike): the first two
    // requests (the listing's first page), then every 97th ...
    control.inject_api(Fault::rate_limited(1), 1);
    control.inject_api(Fault::unavailable(1), 1);
    control.set_rate_limit_every(
        avepoint_fake::FaultTarget::Api,
        std::num::NonZeroU32::new(97),
    );
    // ... and on the listing's pages: page 1 with a short totalCount, page 2 answered with
    // page 1 (the SDK fetches it again).
    control.inject_paging(PagingFault::TotalCountOffset(-5), 1);
    control.inject_paging(PagingFault::RepeatPreviousPage, 1);
    let r = run(avepoint(&server).args([
        "seats",
        "--all-customers",
        "--all-types",
        "--output",
        "json",
        "--concurrency",
        "16",
    ]));
    assert_eq!(r.code, Some(1), "two customers fail: {}", r.stderr);
    let rows = json(&r.stdout);
    // Every row once, in listing order, equal to the dataset's.
    assert_eq!(rows.len(), expected.len(), "stderr: {}", r.stderr);
    assert!(rows == expected, "the rows differ from the dataset's");
    // Every (customer, type) with tenants appears, and only once (as a block of rows).
    let mut blocks: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut previous: Option<(String, String)> = None;
    for row in &rows {
        let key = (
            row["customerId"].as_str().unwrap_or_default().to_owned(),
            row["tenantType"].as_str().unwrap_or_default().to_owned(),
        );
        if previous.as_ref() != Some(&key) {
            *blocks.entry(key.clone()).or_default() += 1;
        }
        previous = Some(key);
    }
    assert!(
        blocks.values().all(|&n| n == 1),
        "a customer/type came twice"
    );
    // The failures: one line per customer and type.
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: customer "))
        .collect();
    assert_eq!(errors.len(), 8, "{}", r.stderr);
    for t in TYPES {
        assert!(
            errors.iter().any(|l| l.starts_with(&format!(
                "error: customer  (Nameless Ltd) {t}: invalid input"
            ))),
            "{}",
            r.stderr
        );
        assert!(
            errors.iter().any(|l| l.starts_with(&format!(
                "error: customer .. (Dots & Co) {t}: invalid input"
            ))),
            "{}",
            r.stderr
        );
    }
    assert!(
        r.stderr.contains("error: 8 of 4008 reports failed"),
        "{}",
        r.stderr
    );
    let counters = server.counters();
    assert!(counters.responses(429) > 10 && counters.responses(503) == 1);
    assert_eq!(control.pending_paging_faults(), 0);
    // One token per scope set: the listing's and the seats calls'.
    assert_eq!(counters.tokens_issued, 2);
}

#[test]
fn batch_endpoint_gives_the_same_rows_as_users() {
    let dataset = Dataset::generated(300, 9).with_customer(
        // More than one page of tenants/batch for one customer and type.
        (0..130).fold(Customer::new("many-tenants", "Many Tenants"), |c, i| {
            c.with_tenant(Tenant::new(
                format!("00000000-0000-4000-8000-{i:012}"),
                format!("tenant-{i}.onmicrosoft.com"),
                TenantKind::Microsoft365,
                i,
                2 * i,
            ))
        }),
    );
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset.clone()))
        .expect("fake server starts");
    let mut outputs = BTreeMap::new();
    for endpoint in ["users", "batch"] {
        for output in ["json", "csv", "table"] {
            let r = run(avepoint(&server).args([
                "seats",
                "--all-customers",
                "--all-types",
                "--endpoint",
                endpoint,
                "--output",
                output,
            ]));
            assert_eq!(r.code, Some(0), "{endpoint} {output}: stderr: {}", r.stderr);
            outputs.insert((endpoint, output), r.stdout);
        }
    }
    for output in ["json", "csv", "table"] {
        assert_eq!(
            outputs[&("users", output)],
            outputs[&("batch", output)],
            "{output}"
        );
    }
    assert_eq!(
        json(&outputs[&("batch", "json")]),
        expected_rows(&dataset, &[])
    );
    // One token per scope set in each of the six runs.
    assert_eq!(server.counters().tokens_issued, 12);
}

#[test]
fn given_customers_with_every_type_and_the_batch_endpoint() {
    let ids: Vec<String> = Dataset::demo().customer_ids().take(2).collect();
    let mut runs = Vec::new();
    for endpoint in ["users", "batch"] {
        let r = run(bare().args([
            "seats",
            "--demo",
            "--all-types",
            "--endpoint",
            endpoint,
            "-o",
            "csv",
            "-c",
            &ids[0],
            "-c",
            &ids[1],
        ]));
        assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
        // No organization column without --all-customers.
        assert!(r.stdout.starts_with(
            "customerId,tenantType,tenantId,tenantName,availableUserSeat,assignedUserSeat\n"
        ));
        runs.push(r.stdout);
    }
    assert_eq!(runs[0], runs[1]);
    let types: Vec<&str> = runs[0]
        .lines()
        .skip(1)
        .filter(|l| l.starts_with(ids[0].as_str()))
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    assert_eq!(types, ["m365", "m365", "salesforce", "google", "d365"]);
}

#[test]
fn listing_failing_midway_keeps_the_rows_so_far_and_exits_1() {
    let server =
        BackgroundFakeServer::start(FakeConfig::demo().with_dataset(Dataset::generated(250, 3)))
            .expect("fake server starts");
    // Page 1 normally, then page 2 keeps coming back as page 1: Error::Paging.
    server
        .control()
        .inject_paging(PagingFault::TotalCountOffset(0), 1);
    server
        .control()
        .inject_paging(PagingFault::RepeatPreviousPage, 1_000);
    let r = run(avepoint(&server).args([
        "seats",
        "--all-customers",
        "-t",
        "m365",
        "-o",
        "json",
        "--concurrency",
        "4",
    ]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains("error: the customers listing failed after 100 customer(s): paging"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("listing is incomplete"), "{}", r.stderr);
    let customers: std::collections::BTreeSet<String> = json(&r.stdout)
        .iter()
        .map(|row| row["customerId"].as_str().unwrap_or_default().to_owned())
        .collect();
    let first_page: std::collections::BTreeSet<String> = Dataset::generated(250, 3)
        .customers()
        .take(100)
        .filter(|c| c.tenants.iter().any(|t| t.kind == TenantKind::Microsoft365))
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(customers, first_page);
}

#[test]
fn listing_refused_exits_3_with_an_empty_output() {
    let server = BackgroundFakeServer::start(FakeConfig::demo()).expect("fake server starts");
    let r = run(avepoint(&server)
        .env("AVEPOINT_CUSTOMERS_SCOPE", demo::SCOPE_LICENSE_READ_ALL)
        .args(["seats", "--all-customers", "--all-types", "-o", "json"]));
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("error: could not list the customers: ") && r.stderr.contains("403"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "[]\n");
    // One token: license and customers scopes are the same set here.
    assert_eq!(server.counters().tokens_issued, 1);
}

#[test]
fn fleet_usage_errors_exit_2() {
    let server = BackgroundFakeServer::start(FakeConfig::demo()).expect("fake server starts");
    for bad in [
        &["seats", "--all-customers", "-c", "x", "-t", "m365"][..],
        &[
            "seats",
            "--all-customers",
            "--customers-file",
            "-",
            "-t",
            "m365",
        ],
        &["seats", "--all-customers", "--all-types", "-t", "m365"],
        &["seats", "--all-customers"],
        &[
            "seats",
            "--all-customers",
            "--all-types",
            "--endpoint",
            "soap",
        ],
        &[
            "seats",
            "--all-customers",
            "--all-types",
            "--endpoint",
            "batch",
            "--status",
            "assigned",
        ],
        &["customers", "--output", "xml"],
    ] {
        let r = run(avepoint(&server).args(bad));
        assert_eq!(r.code, Some(2), "{bad:?}: stderr: {}", r.stderr);
        assert_eq!(r.stdout, "", "{bad:?}");
    }
    assert_eq!(server.counters().api_requests, 0);
}
