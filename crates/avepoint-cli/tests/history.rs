//! End-to-end tests of the seat history: `avepoint seats --record` into a real SQLite file,
//! and `avepoint history runs|show|diff` reading it back, against an in-process fake
//! AvePoint service (real HTTP on loopback) whose seats change between runs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use avepoint_fake::{BackgroundFakeServer, Dataset, FakeConfig, Fault, FaultTarget, TenantKind};
use common::{Run, avepoint, bare, json, run};
use serde_json::Value;

/// The demo customers, in dataset order.
fn demo_ids() -> Vec<String> {
    Dataset::demo().customer_ids().collect()
}

fn demo_server() -> BackgroundFakeServer {
    BackgroundFakeServer::start(FakeConfig::demo()).expect("fake server starts")
}

/// `avepoint` against `server`, recording into `db` (never into a default location).
fn cli(server: &BackgroundFakeServer, db: &Path) -> Command {
    let mut cmd = avepoint(server);
    cmd.env("AVEPOINT_DB", db).env_remove("XDG_DATA_HOME");
    cmd
}

/// `avepoint history <args> --db <db>`.
/// A database path in a fresh folder (removed with the returned guard).
fn scratch_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.sqlite3");
    (dir, db)
}

fn history(db: &Path, args: &[&str]) -> Run {
    let mut cmd = bare();
    cmd.env_remove("AVEPOINT_DB")
        .arg("history")
        .args(args)
        .arg("--db")
        .arg(db);
    run(&mut cmd)
}

/// `seats --record` of the demo customers (every type, in input order).
fn record_demo(server: &BackgroundFakeServer, db: &Path, output: &str) -> Run {
    let mut cmd = cli(server, db);
    cmd.args(["seats", "--all-types", "--record", "-o", output]);
    for id in demo_ids() {
        cmd.args(["-c", &id]);
    }
    run(&mut cmd)
}

fn runs(db: &Path) -> Vec<Value> {
    let r = history(db, &["runs", "-o", "json"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    json(&r.stdout)
}

fn kind_name(kind: TenantKind) -> &'static str {
    match kind {
        TenantKind::Microsoft365 => "m365",
        TenantKind::Salesforce => "salesforce",
        TenantKind::Google => "google",
        TenantKind::Dynamics365 => "d365",
        TenantKind::Unknown(_) => "?",
    }
}

/// The diff rows two datasets should give, computed from the fake's data directly:
/// (customer, type, tenant) -> (change, available before/after, assigned before/after).
type Expected = BTreeMap<(String, String, String), (String, Value, Value, Value, Value)>;

fn expected_changes(before: &Dataset, after: &Dataset, customers: &[String]) -> Expected {
    let mut expected = BTreeMap::new();
    for id in customers {
        let (Some(b), Some(a)) = (before.customer(id), after.customer(id)) else {
            continue;
        };
        let side = |c: &avepoint_fake::Customer| -> BTreeMap<(String, String), (u32, u32)> {
            c.tenants
                .iter()
                .map(|t| {
                    (
                        (kind_name(t.kind).to_owned(), t.id.clone()),
                        (t.available_user_seats, t.assigned_user_seats),
                    )
                })
                .collect()
        };
        let (b, a) = (side(&b), side(&a));
        let keys: BTreeSet<&(String, String)> = b.keys().chain(a.keys()).collect();
        for key in keys {
            let (change, before, after) = match (b.get(key), a.get(key)) {
                (Some(x), Some(y)) if x == y => continue,
                (Some(x), Some(y)) => ("changed", Some(*x), Some(*y)),
                (None, Some(y)) => ("added", None, Some(*y)),
                (Some(x), None) => ("removed", Some(*x), None),
                (None, None) => continue,
            };
            let v = |s: Option<(u32, u32)>, pick: fn((u32, u32)) -> u32| {
                s.map_or(Value::Null, |s| Value::from(pick(s)))
            };
            expected.insert(
                (id.clone(), key.0.clone(), key.1.clone()),
                (
                    change.to_owned(),
                    v(before, |s| s.0),
                    v(after, |s| s.0),
                    v(before, |s| s.1),
                    v(after, |s| s.1),
                ),
            );
        }
    }
    expected
}

fn diff_rows(rows: &[Value]) -> Expected {
    rows.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().expect("a string").to_owned();
            (
                (s("customerId"), s("tenantType"), s("tenantId")),
                (
                    s("change"),
                    r["availableBefore"].clone(),
                    r["availableAfter"].clone(),
                    r["assignedBefore"].clone(),
                    r["assignedAfter"].clone(),
                ),
            )
        })
        .collect()
}

#[test]
fn two_runs_are_recorded_shown_and_diffed() {
    let server = demo_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("history.sqlite3");

    let first = record_demo(&server, &db, "json");
    assert_eq!(first.code, Some(0), "stderr: {}", first.stderr);
    assert_eq!(first.stderr, "", "recording is silent");
    let first_table = record_demo(&server, &db, "table");
    assert_eq!(first_table.code, Some(0), "stderr: {}", first_table.stderr);
    server.control().set_revision(1);
    let second = record_demo(&server, &db, "csv");
    assert_eq!(second.code, Some(0), "stderr: {}", second.stderr);

    // runs: exactly the documented keys, one row per run, oldest first.
    let listed = runs(&db);
    assert_eq!(listed.len(), 3);
    let keys: Vec<&str> = listed[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_keys = vec![
        "runId",
        "startedAt",
        "finishedAt",
        "state",
        "customers",
        "failedCustomers",
        "rows",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);
    let first_rows = json(&first.stdout);
    for (i, run) in listed.iter().enumerate() {
        assert_eq!(run["runId"], i as u64 + 1);
        assert_eq!(run["state"], "complete");
        assert_eq!(run["customers"], 6);
        assert_eq!(run["failedCustomers"], 0);
        assert!(run["finishedAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    assert_eq!(listed[0]["rows"], first_rows.len() as u64);

    // show: byte for byte what seats wrote, in every format.
    let shown = history(&db, &["show", "1", "-o", "json"]);
    assert_eq!(shown.code, Some(0), "stderr: {}", shown.stderr);
    assert_eq!(shown.stdout, first.stdout);
    assert_eq!(shown.stderr, "");
    let shown = history(&db, &["show", "2"]);
    assert_eq!(shown.stdout, first_table.stdout);
    let shown = history(&db, &["show", "3", "--output", "csv"]);
    assert_eq!(shown.stdout, second.stdout);

    // diff: the defaults are the two most recent complete runs (2 and 3).
    let expected = expected_changes(
        &Dataset::demo(),
        &Dataset::demo().with_revision(1),
        &demo_ids(),
    );
    assert!(
        expected.len() >= 3,
        "revision 1 changes the demo: {expected:?}"
    );
    let diff = history(&db, &["diff", "-o", "json"]);
    assert_eq!(diff.code, Some(0), "stderr: {}", diff.stderr);
    assert_eq!(diff.stderr, "", "every pair compared");
    let rows = json(&diff.stdout);
    assert_eq!(diff_rows(&rows), expected);
    let keys: Vec<&str> = rows[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_keys = vec![
        "customerId",
        "tenantType",
        "tenantId",
        "tenantName",
        "change",
        "availableBefore",
        "availableAfter",
        "assignedBefore",
        "assignedAfter",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);
    let explicit = history(&db, &["diff", "--from", "1", "--to", "3", "-o", "json"]);
    assert_eq!(explicit.stdout, diff.stdout);
    let reverse = history(&db, &["diff", "--from", "3", "--to", "1", "-o", "json"]);
    let reversed = diff_rows(&json(&reverse.stdout));
    assert_eq!(reversed.len(), expected.len());
    for (key, (change, ..)) in &reversed {
        let forward = &expected[key].0;
        let flipped = match forward.as_str() {
            "added" => "removed",
            "removed" => "added",
            other => other,
        };
        assert_eq!(change, flipped, "{key:?}");
    }

    // --fail-on-change exits 4 with rows, 0 without; a run against itself has no rows.
    let failing = history(&db, &["diff", "--fail-on-change"]);
    assert_eq!(failing.code, Some(4), "stderr: {}", failing.stderr);
    let same = history(
        &db,
        &[
            "diff",
            "--from",
            "3",
            "--to",
            "3",
            "--fail-on-change",
            "-o",
            "json",
        ],
    );
    assert_eq!(same.code, Some(0), "stderr: {}", same.stderr);
    assert_eq!(same.stdout, "[]\n");
    let unchanged = history(&db, &["diff", "--from", "1", "--to", "2", "-o", "csv"]);
    assert_eq!(
        unchanged.stdout,
        "customerId,tenantType,tenantId,tenantName,change,availableBefore,availableAfter,assignedBefore,assignedAfter\n"
    );

    // csv: null sides are empty fields; the table ends with the deltas per tenant type.
    let csv = history(&db, &["diff", "-o", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv")).collect();
    assert_eq!(records.len(), expected.len());
    for r in &records {
        match &r[4] {
            "added" => assert!(r[5].is_empty() && r[7].is_empty() && !r[6].is_empty()),
            "removed" => assert!(r[6].is_empty() && r[8].is_empty() && !r[5].is_empty()),
            _ => assert!(!r[5].is_empty() && !r[6].is_empty()),
        }
    }
    let table = history(&db, &["diff"]);
    let totals: Vec<&str> = table
        .stdout
        .lines()
        .filter(|l| l.starts_with("TOTAL"))
        .collect();
    assert_eq!(totals.len(), 4, "{}", table.stdout);
    assert!(
        table
            .stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("TOTAL"))
    );
    let mut deltas: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for ((_, kind, _), (_, ab, aa, sb, sa)) in &expected {
        let n = |v: &Value| v.as_i64().unwrap_or(0);
        let d = deltas.entry(kind.as_str()).or_default();
        d.0 += n(aa) - n(ab);
        d.1 += n(sa) - n(sb);
    }
    for line in totals {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let kind = cells[1];
        let (available, assigned) = deltas.get(kind).copied().unwrap_or_default();
        let signed = |n: i64| {
            if n > 0 {
                format!("+{n}")
            } else {
                n.to_string()
            }
        };
        assert_eq!(
            &cells[cells.len() - 2..],
            [signed(available).as_str(), signed(assigned).as_str()],
            "{line}"
        );
    }
}

#[test]
fn failed_and_missing_pairs_are_not_compared() {
    let server = demo_server();
    let (_dir, db) = scratch_db();
    let ids = demo_ids();
    // Run 1: customers 0, 1, 2 and one that does not exist (404): partial.
    let r = run(cli(&server, &db).args([
        "seats",
        "-t",
        "m365",
        "--record",
        "-o",
        "json",
        "--concurrency",
        "1",
        "-c",
        &ids[0],
        "-c",
        &ids[1],
        "-c",
        "no-such-customer",
        "-c",
        &ids[2],
    ]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    // Run 2: customer 0 fails (500, no retries), 1 and 3 succeed; 2 is not asked for.
    server.control().set_revision(3);
    server.control().inject_api(Fault::InternalServerError, 1);
    let r = run(cli(&server, &db).args([
        "seats",
        "-t",
        "m365",
        "--record",
        "-o",
        "json",
        "--concurrency",
        "1",
        "--max-attempts",
        "1",
        "-c",
        &ids[0],
        "-c",
        &ids[1],
        "-c",
        &ids[3],
    ]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let listed = runs(&db);
    assert_eq!(listed[0]["state"], "partial");
    assert_eq!(listed[0]["customers"], 4);
    assert_eq!(listed[0]["failedCustomers"], 1);
    assert_eq!(listed[1]["state"], "partial");
    assert_eq!(listed[1]["failedCustomers"], 1);

    // No two complete runs: the defaults cannot be used.
    let r = history(&db, &["diff"]);
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("two complete runs"), "{}", r.stderr);

    let r = history(&db, &["diff", "--from", "1", "--to", "2", "-o", "json"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let rows = json(&r.stdout);
    for row in &rows {
        assert_eq!(
            row["customerId"],
            ids[1].as_str(),
            "only customer 1 is compared: {row}"
        );
    }
    let expected = expected_changes(
        &Dataset::demo(),
        &Dataset::demo().with_revision(3),
        &ids[1..2],
    );
    let expected: Expected = expected
        .into_iter()
        .filter(|((_, kind, _), _)| kind == "m365")
        .collect();
    assert_eq!(diff_rows(&rows), expected);
    for (who, why) in [
        (ids[0].as_str(), "failed in run 2"),
        (ids[2].as_str(), "missing from run 2"),
        (ids[3].as_str(), "missing from run 1"),
        ("no-such-customer", "failed in run 1"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(who))
            .unwrap_or_else(|| panic!("{who} is named: {}", r.stderr));
        assert!(
            line.contains("not compared") && line.contains(why),
            "{line}"
        );
    }
    assert!(!r.stdout.contains("removed"), "{}", r.stdout);

    // show names the failures of a partial run on stderr and writes the others.
    let shown = history(&db, &["show", "1", "-o", "json"]);
    assert_eq!(shown.code, Some(0));
    assert_eq!(json(&shown.stdout).len(), 4, "{}", shown.stdout);
    assert!(
        shown.stderr.contains("no-such-customer"),
        "{}",
        shown.stderr
    );
}

#[test]
fn unknown_runs_and_unusable_databases_exit_2_and_are_left_untouched() {
    let server = demo_server();
    let (dir, db) = scratch_db();
    assert_eq!(record_demo(&server, &db, "json").code, Some(0));
    for args in [
        &["show", "2"][..],
        &["show", "0"],
        &["show", "abc"],
        &["diff", "--from", "1", "--to", "7"],
        &["diff", "--from", "9"],
    ] {
        let r = history(&db, args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
    }
    assert!(history(&db, &["show", "2"]).stderr.contains("no run 2"));

    // Not a SQLite file, a directory, a missing directory: nothing written, no API call.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "my notes\nnot a database\n").expect("write");
    let missing_dir = dir.path().join("no/such/dir/h.sqlite3");
    let counters = server.counters().api_requests;
    for (path, says) in [
        (text.clone(), "not a SQLite database"),
        (dir.path().to_path_buf(), "directory"),
        (missing_dir.clone(), "does not exist"),
    ] {
        let before = std::fs::read(&path).ok();
        let r = run(cli(&server, &path).args(["seats", "-t", "m365", "--record", "-c", "x"]));
        assert_eq!(r.code, Some(2), "{}: {}", path.display(), r.stderr);
        assert!(r.stderr.contains(says), "{}", r.stderr);
        assert_eq!(
            std::fs::read(&path).ok(),
            before,
            "{} untouched",
            path.display()
        );
        let r = history(&path, &["runs"]);
        assert_eq!(r.code, Some(2), "{}: {}", path.display(), r.stderr);
    }
    assert!(!missing_dir.parent().expect("parent").exists());
    assert_eq!(server.counters().api_requests, counters, "no API call");
    let siblings: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().starts_with(&*text.to_string_lossy()))
        .collect();
    assert_eq!(siblings, [text], "no -wal or -shm next to the text file");

    // Written by a newer schema version: refused by both, byte for byte untouched.
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        let mode: String = conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .expect("one file");
        assert_eq!(mode, "delete");
    }
    let before = std::fs::read(&db).expect("read");
    let r = record_demo(&server, &db, "json");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("newer version") && r.stderr.contains("99"),
        "{}",
        r.stderr
    );
    let r = history(&db, &["runs"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("newer version"), "{}", r.stderr);
    assert_eq!(std::fs::read(&db).expect("read"), before);

    // A usage error creates no database.
    let fresh = dir.path().join("fresh.sqlite3");
    let r = run(cli(&server, &fresh).args([
        "seats",
        "-t",
        "m365",
        "--record",
        "--customers-file",
        "/no/such/customers.txt",
    ]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(!fresh.exists());

    // --db needs --record; history of a database that does not exist is an error.
    let r = run(cli(&server, &db).args(["seats", "-t", "m365", "-c", "x", "--db", "x.sqlite3"]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = history(&dir.path().join("nothing-here.sqlite3"), &["runs"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
}

#[test]
fn demo_record_goes_to_the_default_database_unless_told_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let r = run(bare()
        .env_remove("AVEPOINT_DB")
        .env("XDG_DATA_HOME", &data)
        .args(["seats", "--demo", "-t", "google", "--record", "-o", "csv"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let default_db = data.join("avepoint").join("history.sqlite3");
    assert!(default_db.is_file(), "{}", default_db.display());
    let shown = history(&default_db, &["show", "1", "-o", "csv"]);
    assert_eq!(shown.stdout, r.stdout);
    // AVEPOINT_DB beats the default; --db beats AVEPOINT_DB.
    let env_db = dir.path().join("env.sqlite3");
    let flag_db = dir.path().join("flag.sqlite3");
    let r = run(bare()
        .env("AVEPOINT_DB", &env_db)
        .env("XDG_DATA_HOME", &data)
        .args(["seats", "--demo", "-t", "google", "--record"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let r = run(bare()
        .env("AVEPOINT_DB", &env_db)
        .args(["seats", "--demo", "-t", "google", "--record", "--db"])
        .arg(&flag_db));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(runs(&default_db).len(), 1);
    assert_eq!(runs(&env_db).len(), 1);
    assert_eq!(runs(&flag_db).len(), 1);
    let r = run(bare()
        .env("AVEPOINT_DB", &env_db)
        .args(["history", "runs", "-o", "csv"]));
    assert_eq!(
        r.stdout.lines().next(),
        Some("runId,startedAt,finishedAt,state,customers,failedCustomers,rows")
    );
}

/// A fan-out over the customers in `ids`, recording into `db`, as a child process whose
/// stdout goes to the file `stdout` (a pipe nobody reads would stall it).
fn spawn_recording(server: &BackgroundFakeServer, db: &Path, ids: &Path, stdout: &Path) -> Child {
    let cmd = cli(server, db);
    std::process::Command::new(cmd.get_program())
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .args([
            "seats",
            "-t",
            "m365",
            "-o",
            "json",
            "--record",
            "--customers-file",
        ])
        .arg(ids)
        .stdout(std::fs::File::create(stdout).expect("stdout file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns")
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait_for_requests(server: &BackgroundFakeServer, n: u64) {
    let started = Instant::now();
    while server.counters().api_requests < n && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn killed_runs_stay_running_and_signals_mark_runs_interrupted() {
    let dataset = Dataset::generated(3_000, 3);
    let customer_ids: Vec<String> = dataset.customer_ids().collect();
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    server
        .control()
        .set_latency(FaultTarget::Api, Duration::from_millis(20));
    let (dir, db) = scratch_db();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, customer_ids.join("\n")).expect("write");

    let mut seen = 0;
    let stdout_file = dir.path().join("stdout.json");
    for (run_id, name) in [(1u64, "KILL"), (2, "TERM"), (3, "INT")] {
        let child = spawn_recording(&server, &db, &ids, &stdout_file);
        seen += 200;
        wait_for_requests(&server, seen);
        // Let the writer commit what was fetched.
        std::thread::sleep(Duration::from_millis(300));
        signal(&child, name);
        let out = child.wait_with_output().expect("exits");
        seen = server.counters().api_requests;
        let listed = runs(&db);
        let run = &listed[run_id as usize - 1];
        assert_eq!(run["runId"], run_id);
        let stdout = std::fs::read_to_string(&stdout_file).expect("stdout");
        if name == "KILL" {
            assert_eq!(out.status.code(), None);
            assert_eq!(run["state"], "running");
            assert!(run["finishedAt"].is_null());
            assert!(run["rows"].as_u64().is_some_and(|n| n > 0), "{run}");
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let expected = if name == "TERM" { 143 } else { 130 };
            assert_eq!(out.status.code(), Some(expected), "{name}: {stderr}");
            assert_eq!(run["state"], "interrupted", "{name}");
            assert!(run["finishedAt"].is_string());
            // What was written to stdout is what was recorded.
            let written = json(&stdout);
            assert_eq!(run["rows"], written.len() as u64, "{name}");
            let shown = history(&db, &["show", &run_id.to_string(), "-o", "json"]);
            assert_eq!(json(&shown.stdout).len(), written.len());
        }
        assert!(
            run["customers"].as_u64().is_some_and(|n| n < 3_000),
            "{run}"
        );
    }
    // Neither a killed nor an interrupted run is taken for a finished one.
    let r = history(&db, &["diff"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn two_recorders_at_the_same_time_both_complete() {
    let dataset = Dataset::generated(2_000, 7);
    let customer_ids: Vec<String> = dataset.customer_ids().collect();
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset.clone()))
        .expect("fake server starts");
    let (dir, db) = scratch_db();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, customer_ids.join("\n")).expect("write");
    let files = [dir.path().join("one.json"), dir.path().join("two.json")];
    let children: Vec<Child> = files
        .iter()
        .map(|file| spawn_recording(&server, &db, &ids, file))
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("exits"))
        .collect();
    let expected_rows: usize = customer_ids
        .iter()
        .filter_map(|id| dataset.customer(id))
        .map(|c| {
            c.tenants
                .iter()
                .filter(|t| t.kind == TenantKind::Microsoft365)
                .count()
        })
        .sum();
    for (out, file) in outputs.iter().zip(&files) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let stdout = std::fs::read_to_string(file).expect("stdout");
        assert_eq!(json(&stdout).len(), expected_rows);
    }
    let listed = runs(&db);
    assert_eq!(listed.len(), 2);
    for run in &listed {
        assert_eq!(run["state"], "complete");
        assert_eq!(run["customers"], 2_000);
        assert_eq!(run["rows"], expected_rows as u64);
    }
    let conn = rusqlite::Connection::open(&db).expect("open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    let r = history(&db, &["diff", "--fail-on-change"]);
    assert_eq!(r.code, Some(0), "the same data twice: {}", r.stdout);
}

/// Disk full: a real one, a small tmpfs mounted in a private user and mount namespace
/// (`unshare`), so no privilege is needed. Skipped (saying so) where namespaces are not
/// available.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_ends_the_run_partial_and_keeps_earlier_runs() {
    let probe = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: user and mount namespaces (unshare) are not available here");
        return;
    }
    let dataset = Dataset::generated(6_000, 11);
    let customer_ids: Vec<String> = dataset.customer_ids().collect();
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("disk");
    std::fs::create_dir(&small).expect("mount point");
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, customer_ids.join("\n")).expect("write");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("out dir");
    let script = r#"
        set -u
        mount -t tmpfs -o size=512k tmpfs "$DISK" || exit 99
        db="$DISK/h.sqlite3"
        "$AVEPOINT" seats -t m365 -o json --record --db "$db" -c "$FIRST" > "$OUT/first.json" 2> "$OUT/first.err"
        echo $? > "$OUT/first.code"
        "$AVEPOINT" seats -t m365 -o json --record --db "$db" --customers-file "$IDS" > "$OUT/second.json" 2> "$OUT/second.err"
        echo $? > "$OUT/second.code"
        "$AVEPOINT" history runs -o json --db "$db" > "$OUT/runs.json"
        "$AVEPOINT" history show 1 -o json --db "$db" > "$OUT/show.json"
    "#;
    let cmd = cli(&server, Path::new("unused"));
    let status = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("AVEPOINT", cmd.get_program())
        .env("DISK", &small)
        .env("OUT", &out)
        .env("IDS", &ids)
        .env("FIRST", &customer_ids[0])
        .status()
        .expect("unshare runs");
    if status.code() == Some(99) {
        eprintln!("skipped: cannot mount a tmpfs in a user namespace here");
        return;
    }
    let read = |name: &str| std::fs::read_to_string(out.join(name)).expect("written");
    assert_eq!(read("first.code").trim(), "0", "{}", read("first.err"));
    assert_eq!(read("second.code").trim(), "1", "{}", read("second.err"));
    let stderr = read("second.err");
    assert!(
        stderr.contains("could not record run 2") && stderr.contains("full"),
        "{stderr}"
    );
    assert!(stderr.contains("marked partial"), "{stderr}");
    // The output itself is complete.
    assert!(json(&read("second.json")).len() > 6_000);
    let listed = json(&read("runs.json"));
    assert_eq!(listed[0]["state"], "complete");
    assert_eq!(listed[1]["state"], "partial");
    assert!(listed[1]["finishedAt"].is_string());
    assert_eq!(
        read("show.json"),
        read("first.json"),
        "the earlier run is intact"
    );
}

#[test]
fn a_pair_reported_twice_in_a_run_counts_once() {
    let server = demo_server();
    let (_dir, db) = scratch_db();
    let ids = demo_ids();
    let twice = |db: &Path| {
        run(cli(&server, db).args([
            "seats", "-t", "m365", "--record", "-o", "json", "-c", &ids[0], "-c", &ids[1], "-c",
            &ids[0],
        ]))
    };
    assert_eq!(twice(&db).code, Some(0));
    server.control().set_revision(1);
    assert_eq!(twice(&db).code, Some(0));
    let listed = runs(&db);
    assert_eq!(listed[0]["customers"], 2);
    let r = history(&db, &["diff", "-o", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let expected: Expected = expected_changes(
        &Dataset::demo(),
        &Dataset::demo().with_revision(1),
        &ids[..2],
    )
    .into_iter()
    .filter(|((_, kind, _), _)| kind == "m365")
    .collect();
    assert_eq!(diff_rows(&json(&r.stdout)), expected, "each tenant once");
    let same = history(&db, &["diff", "--from", "2", "--to", "2", "-o", "json"]);
    assert_eq!(same.stdout, "[]\n");
}

/// The files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn refused_wal_databases_get_no_side_files() {
    let server = demo_server();
    let dir = tempfile::tempdir().expect("tempdir");
    // Ours, written by a newer schema version, and another application's, both in WAL mode
    // and cleanly closed (so no -wal or -shm next to them).
    let newer = dir.path().join("newer.sqlite3");
    assert_eq!(record_demo(&server, &newer, "json").code, Some(0));
    let foreign = dir.path().join("foreign.sqlite3");
    for (path, setup) in [
        (&newer, "PRAGMA user_version = 99;"),
        (
            &foreign,
            "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');",
        ),
    ] {
        let conn = rusqlite::Connection::open(path).expect("open");
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .expect("wal");
        assert_eq!(mode, "wal");
        conn.execute_batch(setup).expect("set up");
    }
    let files = files_in(dir.path());
    assert_eq!(files, [foreign.clone(), newer.clone()], "closed cleanly");
    for (path, says) in [(&newer, "newer version"), (&foreign, "another application")] {
        let before = std::fs::read(path).expect("read");
        let runs = [
            history(path, &["runs"]),
            history(path, &["show", "1"]),
            history(path, &["diff"]),
            record_demo(&server, path, "json"),
        ];
        for r in runs {
            assert_eq!(r.code, Some(2), "{}: {}", path.display(), r.stderr);
            assert!(r.stderr.contains(says), "{}", r.stderr);
            assert_eq!(r.stdout, "");
        }
        assert_eq!(std::fs::read(path).expect("read"), before, "untouched");
        assert_eq!(
            files_in(dir.path()),
            files,
            "no -wal or -shm created or left"
        );
    }
}

/// A file of `tests/fixtures`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `history-v1.sqlite3` was recorded by a build that wrote schema version 1 (a seat row per
/// tenant), against the demo fake: runs 1 and 3 of every customer (`--all-customers`,
/// revisions 0 and 1), 2 and 4 of five given customers (4 with one of them twice), 5 partial
/// (an unknown customer), 6 killed mid-way (`running`). `history-v1-outputs.json` holds what
/// that build's `history runs`, `show` and `diff` printed for it (arguments, exit code,
/// stdout, stderr). The current build migrates the database on first use and prints exactly
/// the same, before and after; runs recorded after the migration diff against the old ones.
#[test]
fn a_version_1_database_migrates_and_reads_exactly_as_before() {
    let (_dir, db) = scratch_db();
    std::fs::copy(fixture("history-v1.sqlite3"), &db).expect("copied");
    let outputs = std::fs::read_to_string(fixture("history-v1-outputs.json")).expect("read");
    let cases: Vec<Value> = serde_json::from_str(&outputs).expect("json");
    assert_eq!(cases.len(), 33);
    let args_of = |case: &Value| -> Vec<String> {
        case["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("arg").to_owned())
            .collect()
    };
    for pass in ["migrating", "migrated"] {
        for case in &cases {
            let args = args_of(case);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = history(&db, &args);
            assert_eq!(
                (r.code.map(i64::from), r.stdout.as_str(), r.stderr.as_str()),
                (
                    case["code"].as_i64(),
                    case["stdout"].as_str().expect("stdout"),
                    case["stderr"].as_str().expect("stderr")
                ),
                "{pass}: history {}",
                args.join(" ")
            );
        }
    }
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, 2);
        let seats: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'seats'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert_eq!(seats, 0, "the seat rows moved into their reports");
    }
    // Run 7: the same as run 4 (five given customers, revision 1), recorded by this build.
    let given: Vec<String> = {
        let conn = rusqlite::Connection::open(&db).expect("open");
        let mut stmt = conn
            .prepare("SELECT DISTINCT customer_id FROM reports WHERE run_id = 4 ORDER BY seq")
            .expect("prepared");
        stmt.query_map([], |r| r.get(0))
            .expect("queried")
            .collect::<Result<_, _>>()
            .expect("read")
    };
    assert_eq!(given.len(), 5);
    let server = demo_server();
    server.control().set_revision(1);
    let mut cmd = cli(&server, &db);
    cmd.args(["seats", "--all-types", "--record", "-o", "json"]);
    for id in &given {
        cmd.args(["-c", id]);
    }
    let r = run(&mut cmd);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let same = history(&db, &["diff", "--from", "4", "--to", "7", "-o", "json"]);
    assert_eq!((same.stdout.as_str(), same.stderr.as_str()), ("[]\n", ""));
    let from_2 = cases
        .iter()
        .filter(|c| args_of(c).join(" ").starts_with("diff --from 2 --to 4 -o"));
    assert_eq!(from_2.clone().count(), 3);
    for case in from_2 {
        let mut args = args_of(case);
        args[4] = "7".to_owned();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = history(&db, &args);
        assert_eq!(r.code.map(i64::from), case["code"].as_i64());
        assert_eq!(
            r.stdout,
            case["stdout"].as_str().expect("stdout"),
            "{args:?}"
        );
        assert_eq!(
            r.stderr,
            case["stderr"].as_str().expect("stderr"),
            "{args:?}"
        );
    }
    let listed = runs(&db);
    assert_eq!(listed[6]["state"], "complete");
    assert_eq!(listed[6]["customers"], listed[3]["customers"]);
}
