//! End-to-end tests: the built `avepoint` binary against an in-process fake AvePoint service
//! (real HTTP on loopback).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use avepoint_fake::{
    BackgroundFakeServer, Customer, Dataset, FakeConfig, Fault, RegisteredClient, SeatFilter,
    Tenant, TenantKind, demo,
};
use common::{avepoint, bare, json, run};

/// A customer id that needs percent-encoding in the URL path.
const ODD_CUSTOMER: &str = "a/b c?#%";
/// A client whose secret is distinctive enough to search logs for.
const LOG_CLIENT_ID: &str = "log-test-client";
const LOG_CLIENT_SECRET: &str = "Zq8-log-test-secret-value-7Yx";

/// The demo customers, in dataset order.
fn demo_ids() -> Vec<String> {
    Dataset::demo().customer_ids().collect()
}

fn config() -> FakeConfig {
    let odd = Customer::new(ODD_CUSTOMER, "Odd Customer").with_tenant(Tenant::new(
        "0dd0dd00-0000-4000-8000-000000000001",
        "Smith, \"Jones\" & Co.",
        TenantKind::Microsoft365,
        7,
        3,
    ));
    FakeConfig::demo()
        .with_dataset(Dataset::demo().with_customer(odd))
        .with_client(RegisteredClient::with_secret(
            LOG_CLIENT_ID,
            LOG_CLIENT_SECRET,
        ))
}

fn server() -> BackgroundFakeServer {
    BackgroundFakeServer::start(config()).expect("fake server starts")
}

/// `seats` over every demo customer and the odd one, in input order (`--concurrency 1`).
fn all_customers_args(output: &str) -> Vec<String> {
    let mut args: Vec<String> = ["seats", "--tenant-type", "m365", "--output", output]
        .map(str::to_owned)
        .to_vec();
    for id in demo_ids().into_iter().chain([ODD_CUSTOMER.to_owned()]) {
        args.push("--customer".into());
        args.push(id);
    }
    args
}

fn fixtures() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = demo::write_fixtures(dir.path()).expect("fixtures written");
    (dir, path)
}

#[test]
fn json_output() {
    let server = server();
    // Default concurrency: rows still come out in input order.
    let r = run(avepoint(&server).args(all_customers_args("json")));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!("json_m365_all", r.stdout);
    let rows = json(&r.stdout);
    assert!(rows.iter().all(|row| row["availableUserSeat"].is_u64()));
}

#[test]
fn csv_output() {
    let server = server();
    let r = run(avepoint(&server).args(all_customers_args("csv")));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    insta::assert_snapshot!("csv_m365_all", r.stdout);
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    let odd: Vec<csv::StringRecord> = reader
        .records()
        .filter_map(Result::ok)
        .filter(|rec| &rec[0] == ODD_CUSTOMER)
        .collect();
    assert_eq!(odd.len(), 1);
    assert_eq!(&odd[0][3], "Smith, \"Jones\" & Co.");
}

#[test]
fn table_output() {
    let server = server();
    // The table is sorted by input order whatever the concurrency.
    let r = run(avepoint(&server).args(all_customers_args("table")));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    insta::assert_snapshot!("table_m365_all", r.stdout);
}

#[test]
fn status_filter_and_other_types() {
    let server = server();
    let r = run(avepoint(&server)
        .args([
            "seats",
            "-t",
            "1",
            "--status",
            "available",
            "-o",
            "json",
            "--concurrency",
            "1",
        ])
        .args(demo_ids().iter().flat_map(|id| ["-c", id.as_str()])));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    insta::assert_snapshot!("json_salesforce_available", r.stdout);
}

#[test]
fn input_order_survives_slow_answers_and_arrival_order_has_the_same_rows() {
    let server = server();
    let sorted = |stdout: &str| {
        let mut rows: Vec<String> = json(stdout).iter().map(|r| r.to_string()).collect();
        rows.sort();
        rows
    };
    let one = run(avepoint(&server)
        .args(all_customers_args("json"))
        .args(["--concurrency", "1"]));
    assert_eq!(one.code, Some(0), "stderr: {}", one.stderr);
    // The first requests the server sees are slow: later customers finish first.
    server
        .control()
        .inject_api(Fault::Delay(Duration::from_millis(400)), 2);
    let ordered = run(avepoint(&server)
        .args(all_customers_args("json"))
        .args(["--concurrency", "16"]));
    assert_eq!(ordered.code, Some(0), "stderr: {}", ordered.stderr);
    assert_eq!(ordered.stdout, one.stdout);
    server
        .control()
        .inject_api(Fault::Delay(Duration::from_millis(400)), 2);
    let arrival = run(avepoint(&server).args(all_customers_args("json")).args([
        "--concurrency",
        "16",
        "--order",
        "arrival",
    ]));
    assert_eq!(arrival.code, Some(0), "stderr: {}", arrival.stderr);
    assert_eq!(sorted(&arrival.stdout), sorted(&one.stdout));
    // One token per run, whatever the concurrency.
    assert_eq!(server.counters().tokens_issued, 3);
}

#[test]
fn percent_encoded_customer_id() {
    let server = server();
    let r = run(avepoint(&server).args(["seats", "-t", "m365", "-o", "json", "-c", ODD_CUSTOMER]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let rows = json(&r.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["customerId"], ODD_CUSTOMER);
    assert_eq!(rows[0]["tenantName"], "Smith, \"Jones\" & Co.");
    assert_eq!(rows[0]["availableUserSeat"], 7);
    assert_eq!(rows[0]["assignedUserSeat"], 3);
}

#[test]
fn partial_failure_exits_1_and_keeps_the_others() {
    let server = server();
    let ids = demo_ids();
    for output in ["json", "csv", "table"] {
        let r = run(avepoint(&server).args([
            "seats",
            "-t",
            "m365",
            "-o",
            output,
            "-c",
            &ids[0],
            "-c",
            "no-such-customer",
            "-c",
            &ids[1],
        ]));
        assert_eq!(r.code, Some(1), "{output}: stderr: {}", r.stderr);
        assert!(
            r.stderr.contains("error: customer no-such-customer: ") && r.stderr.contains("404"),
            "{output}: stderr: {}",
            r.stderr
        );
        assert!(r.stderr.contains("1 of 3 customers failed"), "{}", r.stderr);
        assert!(!r.stdout.contains("no-such-customer"), "{}", r.stdout);
        assert!(r.stdout.contains(&ids[0]) && r.stdout.contains(&ids[1]));
        if output == "json" {
            assert_eq!(json(&r.stdout).len(), 3);
        }
    }
}

#[test]
fn every_customer_failing_still_gives_valid_json() {
    let server = server();
    let r =
        run(avepoint(&server).args(["seats", "-t", "m365", "-o", "json", "-c", "x", "-c", "y"]));
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout, "[]\n");
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let server = server();
    let ids = demo_ids();
    let id = ids[0].as_str();
    let cases: Vec<(&str, Command)> = vec![
        ("missing tenant type", {
            let mut c = avepoint(&server);
            c.args(["seats", "-c", id]);
            c
        }),
        ("bad tenant type", {
            let mut c = avepoint(&server);
            c.args(["seats", "-t", "teams", "-c", id]);
            c
        }),
        ("no --client-secret flag", {
            let mut c = avepoint(&server);
            c.args(["seats", "-t", "m365", "-c", id, "--client-secret", "x"]);
            c
        }),
        ("no customers", {
            let mut c = avepoint(&server);
            c.args(["seats", "-t", "m365"]);
            c
        }),
        ("missing secret", {
            let mut c = avepoint(&server);
            c.env_remove("AVEPOINT_CLIENT_SECRET")
                .args(["seats", "-t", "m365", "-c", id]);
            c
        }),
        ("missing client id", {
            let mut c = avepoint(&server);
            c.env_remove("AVEPOINT_CLIENT_ID")
                .args(["seats", "-t", "m365", "-c", id]);
            c
        }),
        ("bad region", {
            let mut c = avepoint(&server);
            c.env("AVEPOINT_REGION", "mars")
                .args(["seats", "-t", "m365", "-c", id]);
            c
        }),
        ("plain http to a remote host", {
            let mut c = avepoint(&server);
            c.args([
                "seats",
                "-t",
                "m365",
                "-c",
                id,
                "--base-url",
                "http://example.com",
            ]);
            c
        }),
        ("unreadable certificate", {
            let mut c = avepoint(&server);
            c.args([
                "seats",
                "-t",
                "m365",
                "-c",
                id,
                "--certificate",
                "/nonexistent/c.pfx",
            ]);
            c
        }),
        ("missing customers file", {
            let mut c = avepoint(&server);
            c.args([
                "seats",
                "-t",
                "m365",
                "--customers-file",
                "/nonexistent/ids.txt",
            ]);
            c
        }),
        ("missing secret file", {
            let mut c = avepoint(&server);
            c.args([
                "seats",
                "-t",
                "m365",
                "-c",
                id,
                "--client-secret-file",
                "/nonexistent/s",
            ]);
            c
        }),
    ];
    for (name, mut cmd) in cases {
        let r = run(&mut cmd);
        assert_eq!(r.code, Some(2), "{name}: stderr: {}", r.stderr);
        assert_eq!(r.stdout, "", "{name}");
        assert!(!r.stderr.is_empty(), "{name}");
    }
    assert_eq!(server.counters().api_requests, 0);
}

#[test]
fn wrong_secret_exits_3_before_any_api_call() {
    let server = server();
    let ids = demo_ids();
    let mut cmd = avepoint(&server);
    cmd.env("AVEPOINT_CLIENT_SECRET", "wrong-secret")
        .args(["seats", "-t", "m365", "-o", "json"]);
    for id in &ids {
        cmd.args(["-c", id]);
    }
    let r = run(&mut cmd);
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("invalid_client"), "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one error, not one per customer: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("wrong-secret"));
    assert_eq!(r.stdout, "");
    assert_eq!(server.counters().api_requests, 0);
}

#[test]
fn unreachable_identity_service_exits_3() {
    let server = server();
    let ids = demo_ids();
    // A loopback port nobody listens on (the fake's own port after it stopped).
    let dead = BackgroundFakeServer::start(FakeConfig::demo()).expect("starts");
    let dead_url = dead.token_url();
    dead.shutdown();
    let r = run(avepoint(&server)
        .env("AVEPOINT_TOKEN_URL", dead_url)
        .args(["seats", "-t", "m365", "-c", &ids[0]]));
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
}

#[test]
fn api_refusing_the_token_exits_3() {
    let server = server();
    let ids = demo_ids();
    // Every token expires at once: the API answers 401 even after the SDK's refresh.
    server.control().set_token_lifetime(Duration::ZERO);
    let r = run(avepoint(&server).args(["seats", "-t", "m365", "-o", "json", "-c", &ids[0]]));
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
}

#[test]
fn secret_from_a_file() {
    let server = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("secret");
    std::fs::write(&file, format!("{}\n", demo::CLIENT_SECRET)).expect("write");
    let ids = demo_ids();
    let r = run(avepoint(&server)
        .env("AVEPOINT_CLIENT_SECRET", "ignored-because-the-flag-wins")
        .arg("seats")
        .args([
            "-t",
            "m365",
            "-o",
            "csv",
            "-c",
            &ids[0],
            "--client-secret-file",
        ])
        .arg(&file));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
}

#[test]
fn certificate_authentication() {
    let server = server();
    let (_dir, fixtures) = fixtures();
    let ids = demo_ids();
    for (file, password) in [
        ("demo.pfx", Some(demo::PFX_PASSWORD)),
        ("demo-legacy.pfx", Some(demo::PFX_PASSWORD)),
        ("demo-combined.pem", None),
    ] {
        let mut cmd = avepoint(&server);
        cmd.env_remove("AVEPOINT_CLIENT_SECRET")
            .env("AVEPOINT_CLIENT_ID", demo::CERT_CLIENT_ID)
            .env("AVEPOINT_CERTIFICATE", fixtures.join(file))
            .args([
                "seats", "-t", "d365", "-o", "json", "-c", &ids[0], "-c", &ids[1],
            ]);
        if let Some(p) = password {
            cmd.env("AVEPOINT_CERTIFICATE_PASSWORD", p);
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, Some(0), "{file}: stderr: {}", r.stderr);
        assert_eq!(json(&r.stdout).len(), 2, "{file}: {}", r.stdout);
    }
    // A wrong password is a configuration error.
    let r = run(avepoint(&server)
        .env_remove("AVEPOINT_CLIENT_SECRET")
        .env("AVEPOINT_CLIENT_ID", demo::CERT_CLIENT_ID)
        .env("AVEPOINT_CERTIFICATE_PASSWORD", "not-the-password")
        .arg("seats")
        .args(["-t", "d365", "-c", &ids[0], "--certificate"])
        .arg(fixtures.join("demo.pfx")));
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(!r.stderr.contains("not-the-password"));
    // A certificate the identity service does not know for this client: exit 3.
    let r = run(avepoint(&server)
        .env_remove("AVEPOINT_CLIENT_SECRET")
        .env("AVEPOINT_CLIENT_ID", demo::CLIENT_ID)
        .env("AVEPOINT_CERTIFICATE", fixtures.join("demo-combined.pem"))
        .args(["seats", "-t", "d365", "-c", &ids[0]]));
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
}

#[test]
fn secret_and_certificate_from_env_are_ambiguous() {
    let server = server();
    let (_dir, fixtures) = fixtures();
    let ids = demo_ids();
    let r = run(avepoint(&server)
        .env("AVEPOINT_CERTIFICATE", fixtures.join("demo-combined.pem"))
        .args(["seats", "-t", "m365", "-c", &ids[0]]));
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    // A flag settles it.
    let r = run(avepoint(&server)
        .env("AVEPOINT_CLIENT_ID", demo::CERT_CLIENT_ID)
        .arg("seats")
        .args(["-t", "m365", "-c", &ids[0], "--certificate"])
        .arg(fixtures.join("demo-combined.pem")));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
}

#[test]
fn retries_through_429_and_503() {
    let server = server();
    let ids = demo_ids();
    server.control().inject_api(Fault::rate_limited(1), 1);
    server.control().inject_api(Fault::unavailable(1), 1);
    let r = run(avepoint(&server).args(["seats", "-t", "m365", "-o", "json", "-c", &ids[0]]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(json(&r.stdout).len(), 2);
    let counters = server.counters();
    assert_eq!(counters.responses(429), 1);
    assert_eq!(counters.responses(503), 1);
    assert_eq!(counters.api_requests, 3);
    assert_eq!(counters.tokens_issued, 1);
}

#[test]
fn max_attempts_bounds_the_retries() {
    let server = server();
    let ids = demo_ids();
    server.control().inject_api(Fault::unavailable(0), 3);
    let r = run(avepoint(&server).args([
        "seats",
        "-t",
        "m365",
        "-o",
        "json",
        "-c",
        &ids[0],
        "--max-attempts",
        "2",
    ]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("gave up after 2 attempts in "),
        "{}",
        r.stderr
    );
    // The hint names the flag, not the SDK's Rust API, and the duration is rounded.
    assert!(
        r.stderr
            .contains("(maximum attempts reached; raise --max-attempts (up to 20) to try longer)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("RetryPolicy"), "{}", r.stderr);
    let elapsed = r
        .stderr
        .split(" attempts in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    assert!(
        elapsed.ends_with("ms") || elapsed.ends_with('s'),
        "{elapsed}: {}",
        r.stderr
    );
    let digits = elapsed.trim_end_matches(['m', 's']);
    assert!(
        digits.len() <= 4 && digits.parse::<f64>().is_ok(),
        "not rounded: {elapsed}"
    );
    assert_eq!(server.counters().api_requests, 2);

    let r = run(avepoint(&server)
        .args(["seats", "-t", "m365", "-o", "json", "-c", &ids[0]])
        .env("AVEPOINT_MAX_ATTEMPTS", "1"));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(server.counters().api_requests, 3, "one attempt, no retry");

    let r =
        run(avepoint(&server).args(["seats", "-t", "m365", "-c", &ids[0], "--max-attempts", "0"]));
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
}

#[test]
fn retries_the_token_request_through_503() {
    let server = server();
    let ids = demo_ids();
    server
        .control()
        .inject(avepoint_fake::FaultTarget::Token, Fault::unavailable(1), 1);
    let r = run(avepoint(&server).args(["seats", "-t", "m365", "-o", "json", "-c", &ids[0]]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let counters = server.counters();
    assert_eq!(counters.token_requests, 2);
    assert_eq!(counters.tokens_issued, 1);
}

#[test]
fn debug_logs_hold_no_secret_and_no_token() {
    let server = server();
    let ids = demo_ids();
    let r = run(avepoint(&server)
        .env("AVEPOINT_CLIENT_ID", LOG_CLIENT_ID)
        .env("AVEPOINT_CLIENT_SECRET", LOG_CLIENT_SECRET)
        .args([
            "-vv", "seats", "-t", "m365", "-o", "json", "-c", &ids[0], "-c", "missing",
        ]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("DEBUG"),
        "-vv gives debug logs: {}",
        r.stderr
    );
    assert!(r.stderr.contains(LOG_CLIENT_ID), "{}", r.stderr);
    assert!(!r.stderr.contains(LOG_CLIENT_SECRET), "{}", r.stderr);
    assert!(
        !r.stderr.to_ascii_lowercase().contains("bearer "),
        "{}",
        r.stderr
    );
    // The fake's tokens are 32 random bytes in unpadded base64url: 43 characters.
    let token_like = r
        .stderr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() >= 40 && !w.contains("avepoint"))
        .collect::<Vec<_>>();
    assert!(
        token_like.is_empty(),
        "token-like strings in the logs: {token_like:?}"
    );
    assert_eq!(server.counters().tokens_issued, 1);
    // Without -v there are no logs at all.
    let quiet = run(avepoint(&server).args(["seats", "-t", "m365", "-c", &ids[0]]));
    assert_eq!(quiet.stderr, "");
}

#[test]
fn demo_mode_needs_no_credentials() {
    let r = run(bare().args(["seats", "--demo", "--tenant-type", "m365"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(r.stderr.starts_with("note: demo mode"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    insta::assert_snapshot!("demo_table_m365", r.stdout);
    let r = run(bare().args([
        "seats",
        "--demo",
        "-t",
        "google",
        "-o",
        "json",
        "--concurrency",
        "1",
    ]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(json(&r.stdout).len(), 4, "{}", r.stdout);
    let r = run(bare().args(["seats", "--demo", "-t", "m365", "-c", "unknown"]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
}

#[test]
fn usage_errors_come_before_the_demo_note() {
    let r = run(bare().args([
        "seats",
        "--demo",
        "-t",
        "m365",
        "--customers-file",
        "/nonexistent/ids.txt",
    ]));
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: --customers-file: could not open /nonexistent/ids.txt"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("demo mode"), "{}", r.stderr);
    let r = run(bare().args(["seats", "--demo", "-t", "m365", "-c", ".."]));
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(!r.stderr.contains("demo mode"), "{}", r.stderr);
}

#[test]
fn customers_from_stdin() {
    let server = server();
    let ids = demo_ids();
    let input = format!(
        "# customers to bill\n\n{}\r\n  {}  \n# the odd one\n{}\n{}",
        ids[0], ids[1], ODD_CUSTOMER, ids[0]
    );
    let r = run(avepoint(&server)
        .args([
            "seats",
            "-t",
            "m365",
            "-o",
            "csv",
            "--concurrency",
            "1",
            "--customers-file",
            "-",
        ])
        .write_stdin(input));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    insta::assert_snapshot!("csv_from_stdin", r.stdout);
}

#[test]
fn customers_from_a_file_after_the_flags() {
    let server = server();
    let ids = demo_ids();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, format!("{}\n{}\n", ids[2], ids[3])).expect("write");
    let r = run(avepoint(&server)
        .args([
            "seats",
            "-t",
            "m365",
            "-o",
            "table",
            "-c",
            &ids[1],
            "--customers-file",
        ])
        .arg(&file));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let customers: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(customers.first(), Some(&ids[1].as_str()));
    assert!(customers.contains(&ids[2].as_str()) && customers.contains(&ids[3].as_str()));
    assert_eq!(customers.last(), Some(&"TOTAL"));
}

#[test]
fn unusable_lines_of_the_customers_file_are_not_counted_as_customers() {
    let server = server();
    let ids = demo_ids();
    let mut input = format!("{}\n", ids[0]).into_bytes();
    input.extend_from_slice(b"\xff\xfe\n..\n");
    input.extend_from_slice(format!("{}\n", ids[1]).as_bytes());
    let r = run(avepoint(&server)
        .args(["seats", "-t", "m365", "-o", "json", "--customers-file", "-"])
        .write_stdin(input));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        errors,
        [
            "error: stdin line 2: not valid UTF-8; skipped",
            "error: stdin line 3: `..` is not a customer ID (URL path normalisation would change it); skipped",
            "error: 2 input lines of the customers file could not be used and were skipped",
        ],
        "{}",
        r.stderr
    );
    let customers: std::collections::BTreeSet<String> = json(&r.stdout)
        .iter()
        .map(|row| row["customerId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(customers, [ids[0].clone(), ids[1].clone()].into());
}

#[test]
fn many_generated_customers_from_stdin_share_one_token() {
    let dataset = Dataset::generated(2_000, 7);
    let ids: Vec<String> = dataset.customer_ids().collect();
    let expected: usize = ids
        .iter()
        .map(|id| {
            dataset
                .seats(id, TenantKind::Microsoft365, SeatFilter::All)
                .map_or(0, |rows| rows.len())
        })
        .sum();
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    let mut input = ids.join("\n");
    input.push_str("\nmissing-1\n");
    let r = run(avepoint(&server)
        .args([
            "seats",
            "-t",
            "m365",
            "-o",
            "json",
            "--concurrency",
            "32",
            "--customers-file",
            "-",
        ])
        .write_stdin(input));
    assert_eq!(r.code, Some(1), "one missing customer: {}", r.stderr);
    assert_eq!(
        r.stderr
            .lines()
            .filter(|l| l.starts_with("error: customer "))
            .count(),
        1
    );
    assert!(
        r.stderr.contains("1 of 2001 customers failed"),
        "{}",
        r.stderr
    );
    assert_eq!(json(&r.stdout).len(), expected);
    let counters = server.counters();
    assert_eq!(counters.tokens_issued, 1);
    assert_eq!(counters.api_requests, 2_001);
}

#[test]
fn help_documents_exit_codes_and_hides_secrets() {
    let r = run(bare()
        .env("AVEPOINT_CLIENT_ID", "client-id-value-123")
        .env("AVEPOINT_CLIENT_SECRET", "secret-value-456")
        .env("AVEPOINT_BASE_URL", "https://base-url-value-789")
        .args(["seats", "--help"]));
    assert_eq!(r.code, Some(0));
    for needle in [
        "Exit codes:",
        "AVEPOINT_CLIENT_SECRET",
        "--client-secret-file",
        "--demo",
    ] {
        assert!(r.stdout.contains(needle), "{needle} missing from help");
    }
    for value in [
        "client-id-value-123",
        "secret-value-456",
        "base-url-value-789",
    ] {
        assert!(!r.stdout.contains(value), "help shows {value}");
    }
    assert!(
        !r.stdout.contains("--client-secret "),
        "there is no --client-secret flag"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_closes_the_json_array_and_exits_130() {
    let dataset = Dataset::generated(5_000, 3);
    let ids: Vec<String> = dataset.customer_ids().collect();
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    server
        .control()
        .set_latency(avepoint_fake::FaultTarget::Api, Duration::from_millis(50));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, ids.join("\n")).expect("write");
    let cmd = avepoint(&server);
    let child = std::process::Command::new(cmd.get_program())
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env_remove("AVEPOINT_CERTIFICATE")
        .args(["seats", "-t", "m365", "-o", "json", "--customers-file"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    // Wait until some customers were fetched, then interrupt.
    let started = std::time::Instant::now();
    while server.counters().api_requests < 20 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let rows = json(&String::from_utf8(out.stdout).expect("utf-8"));
    assert!(server.counters().api_requests < 5_000);
    assert!(rows.len() < 5_000 * 6);
}
