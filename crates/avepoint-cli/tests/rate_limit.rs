//! End-to-end tests of the tool against a rate-limited fake service: the fleet report
//! adapts to the service's limit (every customer reported, exit 0, few 429s), `--rate-limit`
//! caps the rate from the start, and `-v` ends with the throttling summary.

mod common;

use avepoint_fake::{
    BackgroundFakeServer, Dataset, FakeConfig, FaultConfig, RateLimit, TenantKind,
};
use common::{avepoint, bare, json, run};

fn server(customers: u64, limit: RateLimit) -> BackgroundFakeServer {
    BackgroundFakeServer::start(
        FakeConfig::demo()
            .with_dataset(Dataset::generated(customers, 3))
            .with_faults(FaultConfig {
                rate_limit: Some(limit),
                ..FaultConfig::default()
            }),
    )
    .expect("the fake starts")
}

/// The Microsoft 365 rows of `dataset`, in listing order.
fn m365_rows(dataset: &Dataset) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for customer in dataset.customers() {
        for t in customer
            .tenants
            .iter()
            .filter(|t| t.kind == TenantKind::Microsoft365)
        {
            rows.push(serde_json::json!({
                "customerId": customer.id,
                "organization": customer.organization,
                "tenantType": "m365",
                "tenantId": t.id,
                "tenantName": t.name,
                "availableUserSeat": t.available_user_seats,
                "assignedUserSeat": t.assigned_user_seats,
            }));
        }
    }
    rows
}

/// The number before `of` in the summary line: `rate limit: N of M requests throttled ...`.
fn throttled_in_summary(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.starts_with("rate limit: "))?;
    let rest = line.strip_prefix("rate limit: ")?;
    if rest.starts_with("none of") {
        return Some(0);
    }
    rest.split_whitespace().next()?.parse().ok()
}

#[test]
fn a_fleet_report_adapts_to_the_services_rate_limit() {
    let server = server(400, RateLimit::per_second(100.0).with_burst(10));
    let r = run(avepoint(&server).args([
        "-v",
        "seats",
        "--all-customers",
        "--tenant-type",
        "m365",
        "--concurrency",
        "64",
        "--output",
        "json",
    ]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(json(&r.stdout), m365_rows(server.control().dataset()));
    assert!(!r.stderr.contains("error:"), "{}", r.stderr);
    let counters = server.counters();
    assert!(counters.rate_limited > 0, "{counters:?}");
    assert_eq!(
        throttled_in_summary(&r.stderr),
        Some(counters.rate_limited),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("the client-side rate settled at"),
        "{}",
        r.stderr
    );
    // A small share of the requests (the listing's pages and the 400 seats calls), beyond
    // the first round trip: before any answer arrives, the 64 calls in flight meet a bucket
    // of 10, and nothing can tell the client to slow down until the first 429 comes back.
    let first_burst = 64 - 10;
    assert!(
        counters.rate_limited <= first_burst + counters.api_requests / 10,
        "{counters:?}"
    );
}

#[test]
fn rate_limit_caps_the_rate_from_the_start() {
    let server = server(30, RateLimit::per_second(100.0).with_burst(5));
    let r = run(avepoint(&server).env("AVEPOINT_RATE_LIMIT", "50").args([
        "-v",
        "seats",
        "--all-customers",
        "-t",
        "m365",
        "--concurrency",
        "16",
        "-o",
        "csv",
    ]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(server.counters().rate_limited, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("rate limit: none of 31 requests throttled; paced at the --rate-limit cap of 50.0 requests/s"),
        "{}",
        r.stderr
    );
}

/// `--demo` replaces the connection's URLs and credentials, not how calls are made: the cap
/// applies to the demo service too.
#[test]
fn the_demo_service_is_called_at_the_rate_limit() {
    let r = run(bare().args([
        "-v",
        "seats",
        "--demo",
        "-t",
        "m365",
        "--rate-limit",
        "50",
        "-o",
        "csv",
    ]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains("paced at the --rate-limit cap of 50.0 requests/s"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_rate_limit_must_be_positive() {
    let server = server(1, RateLimit::per_second(1.0));
    for bad in [
        "--rate-limit=0",
        "--rate-limit=-3",
        "--rate-limit=fast",
        "--rate-limit=inf",
    ] {
        let r = run(avepoint(&server).args([
            "seats",
            "--all-customers",
            "-t",
            "m365",
            "--rate-limit",
            bad,
        ]));
        assert_eq!(r.code, Some(2), "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("--rate-limit"), "{}", r.stderr);
    }
    assert_eq!(server.counters().api_requests, 0);
}
