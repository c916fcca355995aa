//! The measurement driver shared by the Rust clients: a sequential latency run or a
//! concurrent throughput run over a [`Workload`], and the [`RunResult`] every client (the
//! Python script too) prints as one JSON object.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::workload::{WireTenant, Workload};

/// One seats call of a client under test.
pub trait SeatsCaller: Clone + Send + Sync + 'static {
    /// Fetches the tenants of `customer_id` (the workload's tenant type); a failure is
    /// described as text.
    fn call(
        &self,
        customer_id: &str,
    ) -> impl Future<Output = Result<Vec<WireTenant>, String>> + Send;
}

/// What a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `calls` calls one after the other; every call's latency is recorded.
    Latency,
    /// `calls` calls spread over `concurrency` workers; calls per second.
    Throughput,
}

impl Mode {
    /// `latency` or `throughput`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Latency => "latency",
            Mode::Throughput => "throughput",
        }
    }
}

/// The shape of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Latency or throughput.
    pub mode: Mode,
    /// Timed calls.
    pub calls: usize,
    /// Calls in flight at once (1 for latency).
    pub concurrency: usize,
    /// Untimed calls first, at the same concurrency (token fetch, connections, caches).
    pub warmup: usize,
}

/// Runs `command` (a client process: the runner's `client` command or the Python script)
/// with `workload` and `plan` as its arguments and the target's settings in its environment,
/// and reads the one [`RunResult`] it prints. `what` names the client in errors.
pub fn run_process(
    mut command: std::process::Command,
    what: &str,
    workload: &std::path::Path,
    target: &crate::target::Target,
    plan: Plan,
) -> anyhow::Result<RunResult> {
    use anyhow::{Context as _, bail};
    let output = command
        .arg("--workload")
        .arg(workload)
        .args(["--mode", plan.mode.as_str()])
        .args(["--calls", &plan.calls.to_string()])
        .args(["--concurrency", &plan.concurrency.to_string()])
        .args(["--warmup", &plan.warmup.to_string()])
        .envs(target.env())
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running the {what}"))?;
    if !output.status.success() {
        bail!(
            "the {what} exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let result: RunResult = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "parsing the {what}'s result: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })?;
    if result.mode != plan.mode {
        bail!("the {what} ran {:?}, not {:?}", result.mode, plan.mode);
    }
    Ok(result)
}

/// The result of one run of one client: the JSON object the runner and the Python script
/// print on stdout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// `sdk`, `bare` or `python`.
    pub client: String,
    /// `latency` or `throughput`.
    pub mode: Mode,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Timed calls.
    pub calls: usize,
    /// Wall time of the timed calls, in seconds.
    pub elapsed_s: f64,
    /// `calls / elapsed_s`.
    pub calls_per_sec: f64,
    /// Per-call latencies in microseconds (latency mode only; empty otherwise).
    #[serde(default)]
    pub latencies_us: Vec<f64>,
    /// Calls (warm-up included) that failed.
    pub errors: u64,
    /// Calls (warm-up included) that succeeded with an answer other than the expected one.
    pub mismatches: u64,
    /// The first failure or mismatch, for the report.
    #[serde(default)]
    pub first_problem: Option<String>,
}

/// Outcomes of calls, by call index, checked after the timed part.
type Outcomes = Vec<(usize, Result<Vec<WireTenant>, String>)>;

/// Runs `plan` with `caller` over `workload` and checks every answer.
pub async fn run<C: SeatsCaller>(
    client: &str,
    caller: C,
    workload: Arc<Workload>,
    plan: Plan,
) -> RunResult {
    let concurrency = match plan.mode {
        Mode::Latency => 1,
        Mode::Throughput => plan.concurrency.max(1),
    };
    let mut outcomes = Outcomes::new();
    let mut latencies_us = Vec::new();
    let elapsed;
    match plan.mode {
        Mode::Latency => {
            for i in 0..plan.warmup {
                outcomes.push((i, call(&caller, &workload, i).await));
            }
            latencies_us.reserve(plan.calls);
            let started = Instant::now();
            for i in 0..plan.calls {
                let t = Instant::now();
                let outcome = call(&caller, &workload, i).await;
                latencies_us.push(micros(t.elapsed()));
                outcomes.push((i, outcome));
            }
            elapsed = started.elapsed();
        }
        Mode::Throughput => {
            if plan.warmup > 0 {
                let (_, warm) = concurrent(
                    &caller,
                    &workload,
                    plan.warmup,
                    concurrency.min(plan.warmup),
                )
                .await;
                outcomes.extend(warm);
            }
            let (took, timed) = concurrent(&caller, &workload, plan.calls, concurrency).await;
            elapsed = took;
            outcomes.extend(timed);
        }
    }
    let (errors, mismatches, first_problem) = check(&workload, &outcomes);
    let elapsed_s = elapsed.as_secs_f64();
    RunResult {
        client: client.to_owned(),
        mode: plan.mode,
        concurrency,
        calls: plan.calls,
        elapsed_s,
        calls_per_sec: if elapsed_s > 0.0 {
            plan.calls as f64 / elapsed_s
        } else {
            0.0
        },
        latencies_us,
        errors,
        mismatches,
        first_problem,
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn call<C: SeatsCaller>(
    caller: &C,
    workload: &Workload,
    i: usize,
) -> Result<Vec<WireTenant>, String> {
    match workload.customer(i) {
        Some(c) => caller.call(&c.id).await,
        None => Err("the workload has no customers".to_owned()),
    }
}

/// `calls` calls over `concurrency` tokio tasks pulling call indexes from a shared counter.
async fn concurrent<C: SeatsCaller>(
    caller: &C,
    workload: &Arc<Workload>,
    calls: usize,
    concurrency: usize,
) -> (Duration, Outcomes) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for _ in 0..concurrency.max(1) {
        let (caller, workload, next) = (caller.clone(), workload.clone(), next.clone());
        tasks.spawn(async move {
            let mut local = Outcomes::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    break;
                }
                local.push((i, call(&caller, &workload, i).await));
            }
            local
        });
    }
    let mut outcomes = Outcomes::with_capacity(calls);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(local) => outcomes.extend(local),
            Err(e) => outcomes.push((usize::MAX, Err(format!("a worker task failed: {e}")))),
        }
    }
    (started.elapsed(), outcomes)
}

/// Counts failed and wrong answers; returns the first problem's description.
fn check(workload: &Workload, outcomes: &Outcomes) -> (u64, u64, Option<String>) {
    let (mut errors, mut mismatches, mut first) = (0u64, 0u64, None);
    for (i, outcome) in outcomes {
        let expected = workload.customer(*i);
        match (outcome, expected) {
            (Err(e), _) => {
                errors += 1;
                first.get_or_insert_with(|| format!("call {i} failed: {e}"));
            }
            (Ok(got), Some(want)) if *got == want.tenants => {}
            (Ok(got), want) => {
                mismatches += 1;
                first.get_or_insert_with(|| {
                    format!(
                        "call {i} (customer {}): got {} tenant(s), expected {}",
                        want.map_or("?", |w| w.id.as_str()),
                        got.len(),
                        want.map_or(0, |w| w.tenants.len()),
                    )
                });
            }
        }
    }
    (errors, mismatches, first)
}
