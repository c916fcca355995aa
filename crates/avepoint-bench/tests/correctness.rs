//! Correctness of the benchmark's clients (never timing): a tiny latency and throughput run
//! of the SDK, the bare client and, when `AVEPOINT_BENCH_PYTHON` names an interpreter with
//! `requests`, the Python script, against an in-process fake service. Every answer must
//! match the fake's dataset. `.ci/run` sets `AVEPOINT_BENCH_PYTHON` to its venv's python.

use std::path::PathBuf;
use std::sync::Arc;

use avepoint_bench::runner::{self, RustClient};
use avepoint_bench::suite::{self, SuiteArgs};
use avepoint_bench::{Mode, Plan, RunResult, Target, Workload, python, table};
use avepoint_fake::{BackgroundFakeServer, Dataset, FakeConfig, TenantKind};

const PYTHON_ENV: &str = "AVEPOINT_BENCH_PYTHON";

fn plans() -> [Plan; 2] {
    [
        Plan {
            mode: Mode::Latency,
            calls: 25,
            concurrency: 1,
            warmup: 3,
        },
        Plan {
            mode: Mode::Throughput,
            calls: 120,
            concurrency: 8,
            warmup: 8,
        },
    ]
}

fn assert_all_right(result: &RunResult, plan: Plan, what: &str) {
    assert_eq!(result.errors, 0, "{what}: {:?}", result.first_problem);
    assert_eq!(result.mismatches, 0, "{what}: {:?}", result.first_problem);
    assert_eq!(result.first_problem, None, "{what}");
    assert_eq!(result.calls, plan.calls, "{what}");
    assert_eq!(result.mode, plan.mode, "{what}");
    if plan.mode == Mode::Latency {
        assert_eq!(result.latencies_us.len(), plan.calls, "{what}");
    }
}

/// The interpreter named by `AVEPOINT_BENCH_PYTHON`, or `None` (with a note) to skip Python.
fn python() -> Option<PathBuf> {
    match std::env::var_os(PYTHON_ENV) {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            if let Err(why) = python::check_interpreter(&p) {
                panic!("{PYTHON_ENV} is set but unusable: {why}");
            }
            Some(p)
        }
        _ => {
            eprintln!(
                "note: skipping the Python client: set {PYTHON_ENV} to a python with `requests` to check it"
            );
            None
        }
    }
}

#[test]
fn every_client_gets_every_answer_right() {
    let server =
        BackgroundFakeServer::start(FakeConfig::demo().with_dataset(Dataset::generated(40, 7)))
            .expect("fake server");
    let target = Target::fake_demo(server.base_url(), server.token_url());
    let workload = Arc::new(Workload::from_dataset(
        server.control().dataset(),
        TenantKind::Microsoft365,
        40,
    ));
    assert_eq!(workload.customers.len(), 40);
    assert!(
        workload.customers.iter().any(|c| !c.tenants.is_empty()),
        "the workload should hold tenants to compare"
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for client in [RustClient::Sdk, RustClient::Raw, RustClient::Bare] {
        for plan in plans() {
            server.control().reset_counters();
            let result = rt
                .block_on(runner::run(client, &target, workload.clone(), plan))
                .expect("run");
            let what = format!("{} {:?}", client.as_str(), plan.mode);
            assert_all_right(&result, plan, &what);
            assert_eq!(result.client, client.as_str());
            assert_eq!(
                server.counters().token_requests,
                1,
                "{what}: one token per run"
            );
        }
    }

    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("workload.json");
    workload.save(&path).expect("workload file");
    for plan in plans() {
        server.control().reset_counters();
        let result = python::run(&python, &python::default_script(), &target, &path, plan)
            .expect("python run");
        assert_all_right(&result, plan, &format!("python {:?}", plan.mode));
        assert_eq!(result.client, "python");
        assert_eq!(
            server.counters().token_requests,
            1,
            "python: one token per run"
        );
    }
}

/// A wrong answer is counted, not hidden: the workload expects other tenants than served.
#[test]
fn a_wrong_answer_is_reported_as_a_mismatch() {
    let server =
        BackgroundFakeServer::start(FakeConfig::demo().with_dataset(Dataset::generated(10, 7)))
            .expect("fake server");
    let target = Target::fake_demo(server.base_url(), server.token_url());
    // The expected answers of another seed's customers do not match: every call is a 404
    // (error); a changed expectation for a real customer is a mismatch.
    let mut workload =
        Workload::from_dataset(server.control().dataset(), TenantKind::Microsoft365, 10);
    workload.customers[0]
        .tenants
        .push(avepoint_bench::WireTenant {
            id: "extra".to_owned(),
            name: "not served".to_owned(),
            available_user_seat: 1,
            assigned_user_seat: 1,
        });
    workload.customers[1].id = "no-such-customer".to_owned();
    let plan = Plan {
        mode: Mode::Latency,
        calls: 10,
        concurrency: 1,
        warmup: 0,
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for client in [RustClient::Sdk, RustClient::Raw, RustClient::Bare] {
        let result = rt
            .block_on(runner::run(
                client,
                &target,
                Arc::new(workload.clone()),
                plan,
            ))
            .expect("run");
        assert_eq!(result.mismatches, 1, "{}", client.as_str());
        assert_eq!(result.errors, 1, "{}", client.as_str());
        assert!(result.first_problem.is_some());
    }
}

/// The suite end to end, tiny, with the runner binary in its own processes (no CLI; Python
/// only with `AVEPOINT_BENCH_PYTHON`): the report is complete and correct.
#[test]
fn the_suite_runs_end_to_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    let python = python();
    let args = SuiteArgs {
        quick: true,
        customers: vec![],
        rounds: Some(1),
        latency_calls: Some(10),
        throughput_calls: Some(40),
        python_throughput_calls: None,
        concurrency: vec![4],
        cli_concurrency: 4,
        record_rounds: None,
        cli: None,
        python: python.clone().unwrap_or_else(|| PathBuf::from("python3")),
        no_python: python.is_none(),
        python_script: None,
        runner: Some(PathBuf::from(env!("CARGO_BIN_EXE_avepoint-bench"))),
        out_dir: dir.path().to_path_buf(),
        seed: 3,
        no_limits: true,
        limits_rounds: None,
    };
    let report = suite::run(&args).expect("suite");
    assert!(report.correct(), "{:?}", report.problems);
    let clients = if python.is_some() { 3 } else { 2 };
    assert_eq!(report.runs.len(), 2 * clients);
    assert_eq!(report.latency.len(), clients);
    assert_eq!(report.throughput.len(), clients);
    assert!(report.scale.is_empty());
    assert!(report.scale_record.is_empty() && report.record.is_empty());
    assert!(report.runs.iter().all(|r| r.token_requests == 1));
    let text = table::render(&report);
    assert!(text.contains("(a) sequential latency"), "{text}");
    assert!(
        text.contains("every client got every answer right"),
        "{text}"
    );
    serde_json::to_string(&report).expect("report JSON");
}
