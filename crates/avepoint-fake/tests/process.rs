//! The `avepoint-fake` binary and [`BackgroundFakeServer`], driven from synchronous code.
#![allow(missing_docs, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use avepoint_fake::{BackgroundFakeServer, FakeConfig, Fault, demo};

/// Sends one HTTP/1.1 request over a plain socket and returns the raw response.
fn raw_http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

fn token_request(host: &str) -> String {
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    );
    format!(
        "POST /connect/token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn background_server_serves_synchronous_callers() {
    let server = BackgroundFakeServer::start(FakeConfig::demo()).unwrap();
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(
        server.token_url(),
        format!("{}/connect/token", server.base_url())
    );
    let host = server.addr().to_string();
    let response = raw_http(server.addr(), &token_request(&host));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.to_ascii_lowercase().contains("x-request-id:"));
    assert!(response.contains("\"token_type\":\"Bearer\""));

    server.control().inject_token(Fault::DropConnection, 1);
    let response = raw_http(server.addr(), &token_request(&host));
    assert_eq!(response, "", "dropped without a response");

    let counters = server.counters();
    assert_eq!((counters.connections, counters.token_requests), (2, 2));
    assert_eq!(counters.dropped_requests, 1);
    let addr = server.addr();
    server.shutdown();
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn binary_prints_urls_and_credentials_then_serves() {
    let fixtures =
        std::env::temp_dir().join(format!("avepoint-fake-fixtures-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_avepoint-fake"))
        .args([
            "--port",
            "0",
            "--customers",
            "25",
            "--seed",
            "3",
            "--write-fixtures",
        ])
        .arg(&fixtures)
        .env_remove("AVEPOINT_FAKE_PORT")
        .env_remove("AVEPOINT_FAKE_BIND")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("Ctrl-C") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        banner.push_str(&line);
    }
    let base_url = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("base URL:"))
        .map(|s| s.trim().to_owned());
    let result = std::panic::catch_unwind(|| {
        let base_url = base_url.clone().expect("base URL printed");
        assert!(
            banner.contains(&format!("{base_url}/connect/token")),
            "{banner}"
        );
        for needle in [
            demo::CLIENT_ID,
            demo::CLIENT_SECRET,
            demo::CERT_CLIENT_ID,
            demo::PFX_PASSWORD,
            "customers:  25",
        ] {
            assert!(banner.contains(needle), "{needle} missing from:\n{banner}");
        }
        for name in demo::FIXTURE_FILES {
            assert!(fixtures.join(name).is_file(), "{name} written");
            assert!(banner.contains(&fixtures.join(name).display().to_string()));
        }
        assert_eq!(std::fs::read(fixtures.join("demo.pfx")).unwrap(), demo::PFX);
        let addr: std::net::SocketAddr = base_url.trim_start_matches("http://").parse().unwrap();
        let response = raw_http(addr, &token_request(&addr.to_string()));
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&fixtures);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn binary_rejects_bad_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_avepoint-fake"))
        .args(["--fault-rate", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("probability"));
}

#[test]
fn binary_reports_a_busy_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_avepoint-fake"))
        .args(["--port", &port])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen"));
}
