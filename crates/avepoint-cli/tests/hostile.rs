//! The `avepoint` binary against hostile identity and API servers on loopback (wiremock
//! servers started by each test) and against bad input: credentials echoed back, control
//! characters, endless bodies, tokens refused for ever or malformed, signals mid-run, a
//! closed stderr, a byte order mark, endless files.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{ENV_VARS, Run};

const SEATS_PATH_RE: &str =
    r"^/partner/external/v3/general/customers/[^/]+/3rd-party-products/type/[0-9]+/users$";

fn token_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": "issued-token-0123456789",
        "expires_in": 3600,
        "token_type": "Bearer",
    }))
}

fn seats_ok(customer: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!([
        {"id": format!("tenant-of-{customer}"), "name": "T", "availableUserSeat": 1, "assignedUserSeat": 2}
    ]))
}

/// Answers each customer with one tenant named after it.
struct SeatsOk;

impl Respond for SeatsOk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let customer = request
            .url
            .path()
            .split('/')
            .nth(6)
            .unwrap_or("?")
            .to_owned();
        seats_ok(&customer)
    }
}

async fn server_with_token() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_ok())
        .mount(&server)
        .await;
    server
}

/// The binary pointed at `server`, with a client secret.
fn avepoint(server: &MockServer, secret: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avepoint"));
    for var in ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.env_remove("AVEPOINT_MAX_ATTEMPTS")
        .env("AVEPOINT_BASE_URL", server.uri())
        .env(
            "AVEPOINT_TOKEN_URL",
            format!("{}/connect/token", server.uri()),
        )
        .env("AVEPOINT_CLIENT_ID", "app")
        .env("AVEPOINT_CLIENT_SECRET", secret)
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("the binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn requests_to(server: &MockServer, needle: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().contains(needle))
        .count()
}

const SECRET: &str = "Azure~style.Secret/with+plus=and space";

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_service_echoing_the_form_never_gets_the_secret_to_stderr() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(|r: &Request| {
            let form = String::from_utf8_lossy(&r.body).into_owned();
            ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client",
                "error_description": format!("{}bad credentials in {form}", "x".repeat(500)),
            }))
        })
        .mount(&server)
        .await;
    let out = run(avepoint(&server, SECRET).args(["-vv", "seats", "-t", "m365", "-c", "c1"]));
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let form: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    for leak in [
        SECRET,
        &form,
        "Azure~style",
        "Azure%7Estyle",
        "Azure%7estyle",
        &base64::engine::general_purpose::STANDARD.encode(SECRET),
    ] {
        assert!(
            !out.stderr.contains(leak),
            "`{leak}` leaked: {}",
            out.stderr
        );
        assert!(!out.stdout.contains(leak));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_text_cannot_forge_stderr_lines_or_drive_the_terminal() {
    let server = server_with_token().await;
    Mock::given(method("POST"))
        .and(path_regex(SEATS_PATH_RE))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "message": "no such customer\nerror: customer forged: all good\u{1b}[31m",
        })))
        .mount(&server)
        .await;
    let out = run(avepoint(&server, "secret").args([
        "seats",
        "-t",
        "m365",
        "-c",
        "c1",
        "-c",
        "evil\u{1b}[2Jid",
    ]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(
        !out.stderr
            .lines()
            .any(|l| l.starts_with("error: customer forged")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("no such customer\\nerror: customer forged"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stderr_is_not_a_panic() {
    let server = server_with_token().await;
    Mock::given(method("POST"))
        .and(path_regex(SEATS_PATH_RE))
        .respond_with(ResponseTemplate::new(404).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let mut child = avepoint(&server, "secret")
        .args(["seats", "-t", "m365", "-c", "c1", "-c", "c2", "-o", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the read end before the tool writes its error lines.
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(1), "{status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_byte_order_mark_in_the_customers_file_is_stripped() {
    let server = server_with_token().await;
    Mock::given(method("POST"))
        .and(path_regex(SEATS_PATH_RE))
        .respond_with(SeatsOk)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, "\u{feff}cust-1\r\ncust-2\r\n").expect("write");
    let out = run(avepoint(&server, "secret")
        .args(["seats", "-t", "m365", "-o", "json", "--customers-file"])
        .arg(&file));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rows = common::json(&out.stdout);
    assert_eq!(rows[0]["customerId"], "cust-1");
    assert_eq!(requests_to(&server, "%EF%BB%BF").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persistent_401_stops_the_run_early_with_exit_3() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_ok())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(SEATS_PATH_RE))
        .respond_with(ResponseTemplate::new(401).set_body_string("token refused"))
        .mount(&server)
        .await;
    let ids: Vec<String> = (0..2000).map(|i| format!("customer-{i}")).collect();
    let mut child = avepoint(&server, "secret")
        .args(["seats", "-t", "m365", "-o", "json", "--customers-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(ids.join("\n").as_bytes());
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("stopped early"), "{stderr}");
    common::json(&String::from_utf8_lossy(&out.stdout));
    let tokens = requests_to(&server, "/connect/token").await;
    let calls = requests_to(&server, "/users").await;
    // One up front, one forced refresh, at most one more by a call whose first attempt
    // used the refreshed token before the breaker opened.
    assert!(tokens <= 3, "{tokens} token requests");
    assert!(calls <= 3 * 8, "{calls} API calls");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_a_line_break_is_exit_3() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "abc\r\nX-Injected: yes",
            "expires_in": 3600,
        })))
        .mount(&server)
        .await;
    let out = run(avepoint(&server, "secret").args(["seats", "-t", "m365", "-c", "c1"]));
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(!out.stderr.contains("X-Injected"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_info_in_a_url_is_refused_and_never_shown() {
    let server = server_with_token().await;
    for (flag, url) in [
        (
            "--base-url",
            "http://user:hunter2@graph.example.com".to_owned(),
        ),
        (
            "--token-url",
            format!("http://user:hunter2@{}", server.address()),
        ),
    ] {
        let out = run(avepoint(&server, "secret")
            .args(["-vv", "seats", "-t", "m365", "-c", "c1", flag, &url]));
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
        assert!(out.stderr.contains("user info"), "{}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_secret_file_is_refused() {
    let server = server_with_token().await;
    let started = Instant::now();
    let mut cmd = avepoint(&server, "secret");
    cmd.env_remove("AVEPOINT_CLIENT_SECRET");
    let out = run(cmd.args([
        "seats",
        "-t",
        "m365",
        "-c",
        "c1",
        "--client-secret-file",
        "/dev/zero",
    ]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("larger than"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Starts the tool on customers `slow-1` (answered after a long delay) and `fast-2..=5`,
/// waits until every call was made, then sends `signal`.
async fn stopped_by(signal: &str, order: &str) -> (Option<i32>, String, String) {
    let server = server_with_token().await;
    Mock::given(method("POST"))
        .and(path_regex(r"/customers/slow-1/"))
        .respond_with(seats_ok("slow-1").set_delay(Duration::from_secs(60)))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(SEATS_PATH_RE))
        .respond_with(SeatsOk)
        .mount(&server)
        .await;
    let child = avepoint(&server, "secret")
        .args([
            "seats", "-t", "m365", "-o", "json", "--order", order, "-c", "slow-1", "-c", "fast-2",
            "-c", "fast-3", "-c", "fast-4", "-c", "fast-5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while requests_to(&server, "/users").await < 5 {
        assert!(Instant::now() < deadline, "the calls were not made");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The fast answers are written (or waiting for the slow one in input order).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_writes_the_rows_so_far_closes_json_and_exits_143() {
    let (code, stdout, stderr) = stopped_by("-TERM", "arrival").await;
    assert_eq!(code, Some(143), "{stderr}");
    let rows = common::json(&stdout);
    assert_eq!(rows.len(), 4, "{stdout}");
    assert!(stderr.contains("terminated (SIGTERM)"), "{stderr}");
    assert!(
        stderr.contains("error: customer slow-1: not reported"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_in_input_order_names_the_customer_left_unreported() {
    let (code, stdout, stderr) = stopped_by("-INT", "input").await;
    assert_eq!(code, Some(130), "{stderr}");
    let rows = common::json(&stdout);
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["customerId"].as_str())
        .collect();
    assert_eq!(ids, ["fast-2", "fast-3", "fast-4", "fast-5"], "{stdout}");
    assert!(
        stderr.contains("error: customer slow-1: not reported"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_ends_at_the_cap_with_exit_1_and_closed_json() {
    // A plain TCP server: the token, then a 200 whose chunked body never ends.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                if buf[..n].starts_with(b"POST /connect/token") {
                    let body = r#"{"access_token":"tok-0123456789","expires_in":3600}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(format!("{head}{body}").as_bytes()).await;
                    return;
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await;
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    let base = format!("http://{addr}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avepoint"));
    for var in ENV_VARS {
        cmd.env_remove(var);
    }
    let out = run(cmd
        .env("AVEPOINT_BASE_URL", &base)
        .env("AVEPOINT_TOKEN_URL", format!("{base}/connect/token"))
        .env("AVEPOINT_CLIENT_ID", "app")
        .env("AVEPOINT_CLIENT_SECRET", "secret")
        .args(["seats", "-t", "m365", "-c", "c1", "-o", "json"]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("8388608-byte cap"), "{}", out.stderr);
    assert!(common::json(&out.stdout).is_empty());
}
