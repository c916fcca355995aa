//! The scenarios bounded by the service rather than by the client: a per-client rate limit,
//! and round-trip latency. Each run's wall time is divided by the bound the service implies.
//!
//! * **Rate limit**: the fake at 20 ms latency and 200 requests/s per client (burst 20); a
//!   fan-out of 4,000 calls at concurrency 64, by the SDK (adaptive rate limiting, the
//!   default), the SDK with adaptive mode off (retries honouring `Retry-After` only), the
//!   `avepoint` CLI (`seats --customers-file`), and the Python script honouring
//!   `Retry-After`. Bound: calls ÷ rate. `--quick` runs 2,000 calls by the two clients with
//!   targets (the SDK and the CLI) in the same time: with fewer calls the first round trip
//!   (64 calls into a bucket of 20, before the client knows the limit) would be most of the
//!   `429`s.
//! * **Latency**: 100 ms latency, no limit; 2,000 calls by the SDK at concurrency 8, 32
//!   and 64. Bound: calls × latency ÷ concurrency.
//!
//! Reported per client: wall ÷ bound (median, min..max over the rounds), the share of
//! requests answered `429` (the fake's counters), and failed calls; plus the load average
//! before and after, since other work on the machine moves these figures.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use avepoint_fake::{Dataset, FakeControl, FaultTarget, RateLimit};
use serde::Serialize;

use crate::measure::{Mode, Plan, RunResult};
use crate::process;
use crate::python;
use crate::runner;
use crate::suite::TargetCheck;
use crate::target::Target;

/// The rate-limit scenario's service: requests per second per client, and burst.
pub const LIMIT_RPS: f64 = 200.0;
/// The rate-limit scenario's bucket size.
pub const LIMIT_BURST: u32 = 20;
/// The rate-limit scenario's latency.
pub const LIMIT_LATENCY: Duration = Duration::from_millis(20);
/// Concurrency of the rate-limit scenario.
pub const LIMIT_CONCURRENCY: usize = 64;
/// The latency scenario's latency.
pub const LATENCY: Duration = Duration::from_millis(100);
/// Calls per run of the latency scenario.
pub const LATENCY_CALLS: usize = 2000;
/// Concurrencies of the latency scenario.
pub const LATENCY_CONCURRENCIES: [usize; 3] = [8, 32, 64];

/// What the scenarios run against and with.
pub struct Env<'a> {
    /// The `avepoint-bench` runner (Rust clients).
    pub runner: &'a Path,
    /// The Python interpreter and script, when available.
    pub python: Option<(&'a Path, &'a Path)>,
    /// The `avepoint` CLI, when given.
    pub cli: Option<&'a Path>,
    /// The fake service.
    pub target: &'a Target,
    /// Its control handle (latency, rate limit, counters).
    pub control: &'a FakeControl,
    /// The workload file of the Rust runner and the Python script.
    pub workload_path: &'a Path,
    /// The dataset (customer ids of the CLI's input file).
    pub dataset: &'a Dataset,
    /// Where the CLI's input file goes.
    pub out_dir: &'a Path,
    /// Smoke mode.
    pub quick: bool,
}

/// One run of one client.
#[derive(Clone, Debug, Serialize)]
pub struct LimitRun {
    /// `rate-limit` or `latency`.
    pub scenario: &'static str,
    /// Round (from 1).
    pub round: usize,
    /// The client.
    pub client: String,
    /// Calls in flight.
    pub concurrency: usize,
    /// Calls.
    pub calls: usize,
    /// The bound the service implies, seconds.
    pub bound_s: f64,
    /// Wall time of the calls, seconds (the CLI: spawn to exit).
    pub wall_s: f64,
    /// API requests the fake received (retries included).
    pub requests: u64,
    /// Of which answered `429` by the rate limit.
    pub throttled: u64,
    /// Calls that failed or got a wrong answer (the CLI: customers without a `200`, or a
    /// non-zero exit).
    pub failures: u64,
}

/// One client at one concurrency, over the rounds.
#[derive(Clone, Debug, Serialize)]
pub struct LimitRow {
    /// `rate-limit` or `latency`.
    pub scenario: &'static str,
    /// The client.
    pub client: String,
    /// Calls in flight.
    pub concurrency: usize,
    /// Calls per run.
    pub calls: usize,
    /// The bound, seconds.
    pub bound_s: f64,
    /// Median of wall ÷ bound.
    pub ratio: f64,
    /// Lowest wall ÷ bound.
    pub ratio_min: f64,
    /// Highest wall ÷ bound.
    pub ratio_max: f64,
    /// `429`s ÷ requests, all rounds pooled.
    pub throttled_share: f64,
    /// Failed calls, all rounds.
    pub failures: u64,
    /// Rounds measured.
    pub rounds: usize,
}

/// Everything the scenarios measured.
#[derive(Clone, Debug, Serialize)]
pub struct LimitsReport {
    /// Rows of both scenarios.
    pub rows: Vec<LimitRow>,
    /// Every run.
    pub runs: Vec<LimitRun>,
    /// The targets, met or missed.
    pub targets: Vec<TargetCheck>,
    /// Runs that could not be measured.
    pub problems: Vec<String>,
    /// `/proc/loadavg` before the scenarios.
    pub load_before: String,
    /// `/proc/loadavg` after.
    pub load_after: String,
}

/// The clients of the rate-limit scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    Sdk,
    SdkRetriesOnly,
    Cli,
    Python,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Sdk => "sdk",
            Client::SdkRetriesOnly => "sdk-retries-only",
            Client::Cli => "cli",
            Client::Python => "python",
        }
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Runs both scenarios `rounds` times (client order rotated each round) and leaves the fake
/// without latency or rate limit.
pub fn run(env: &Env<'_>, rounds: usize) -> LimitsReport {
    let load_before = loadavg();
    let limit_calls = if env.quick { 2000 } else { 4000 };
    let mut clients = vec![Client::Sdk];
    if !env.quick {
        clients.push(Client::SdkRetriesOnly);
    }
    if env.cli.is_some() {
        clients.push(Client::Cli);
    }
    if env.python.is_some() && !env.quick {
        clients.push(Client::Python);
    }
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for round in 0..rounds.max(1) {
        let n = clients.len();
        for k in 0..n {
            let client = clients[(k + round) % n];
            eprintln!(
                "bench: round {}/{}: rate limit {LIMIT_RPS}/s, {limit_calls} calls, {}",
                round + 1,
                rounds,
                client.name()
            );
            env.control.clear_faults();
            env.control.set_latency(FaultTarget::Api, LIMIT_LATENCY);
            env.control.set_rate_limit(Some(
                RateLimit::per_second(LIMIT_RPS).with_burst(LIMIT_BURST),
            ));
            let bound = limit_calls as f64 / LIMIT_RPS;
            match run_one(env, client, limit_calls, LIMIT_CONCURRENCY) {
                Ok((wall, failures)) => {
                    runs.push(record(
                        env,
                        "rate-limit",
                        round,
                        client.name(),
                        LIMIT_CONCURRENCY,
                        limit_calls,
                        bound,
                        wall,
                        failures,
                    ));
                }
                Err(e) => problems.push(format!(
                    "rate limit, {} round {}: {e:#}",
                    client.name(),
                    round + 1
                )),
            }
        }
        for c in LATENCY_CONCURRENCIES {
            eprintln!(
                "bench: round {}/{}: latency {LATENCY:?}, {LATENCY_CALLS} calls, sdk c={c}",
                round + 1,
                rounds
            );
            env.control.clear_faults();
            env.control.set_latency(FaultTarget::Api, LATENCY);
            let bound = LATENCY_CALLS as f64 * LATENCY.as_secs_f64() / c as f64;
            match run_one(env, Client::Sdk, LATENCY_CALLS, c) {
                Ok((wall, failures)) => {
                    runs.push(record(
                        env,
                        "latency",
                        round,
                        "sdk",
                        c,
                        LATENCY_CALLS,
                        bound,
                        wall,
                        failures,
                    ));
                }
                Err(e) => problems.push(format!("latency, sdk c={c} round {}: {e:#}", round + 1)),
            }
        }
    }
    env.control.clear_faults();
    let rows = rows(&runs);
    let targets = targets(&rows);
    LimitsReport {
        rows,
        runs,
        targets,
        problems,
        load_before,
        load_after: loadavg(),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    env: &Env<'_>,
    scenario: &'static str,
    round: usize,
    client: &str,
    concurrency: usize,
    calls: usize,
    bound_s: f64,
    wall_s: f64,
    failures: u64,
) -> LimitRun {
    let counters = env.control.counters();
    LimitRun {
        scenario,
        round: round + 1,
        client: client.to_owned(),
        concurrency,
        calls,
        bound_s,
        wall_s,
        requests: counters.api_requests,
        throttled: counters.rate_limited,
        failures,
    }
}

/// One run: wall seconds and failed calls. Counters are reset first.
fn run_one(env: &Env<'_>, client: Client, calls: usize, concurrency: usize) -> Result<(f64, u64)> {
    env.control.reset_counters();
    let plan = Plan {
        mode: Mode::Throughput,
        calls,
        concurrency,
        warmup: 0,
    };
    let result: RunResult = match client {
        Client::Cli => return run_cli(env, calls, concurrency),
        Client::Python => {
            let Some((python, script)) = env.python else {
                bail!("no Python interpreter");
            };
            python::run_with(
                python,
                script,
                env.target,
                env.workload_path,
                plan,
                &["--honour-retry-after"],
            )?
        }
        Client::Sdk | Client::SdkRetriesOnly => runner::spawn(
            env.runner,
            client.name(),
            env.workload_path,
            env.target,
            plan,
        )?,
    };
    Ok((result.elapsed_s, result.errors + result.mismatches))
}

/// `avepoint seats --customers-file <calls ids> --tenant-type m365 --output json
/// --concurrency C > /dev/null`: spawn-to-exit wall time; a customer without a `200`, or a
/// non-zero exit, is a failure.
fn run_cli(env: &Env<'_>, calls: usize, concurrency: usize) -> Result<(f64, u64)> {
    let Some(cli) = env.cli else {
        bail!("no CLI binary");
    };
    let file = env.out_dir.join(format!("limits-customers-{calls}.txt"));
    let ids: Vec<String> = env.dataset.customer_ids().take(calls).collect();
    if ids.len() != calls {
        bail!("the dataset has only {} customers", ids.len());
    }
    std::fs::write(&file, ids.join("\n") + "\n")
        .with_context(|| format!("writing {}", file.display()))?;
    let started = Instant::now();
    let child = Command::new(cli)
        .arg("seats")
        .arg("--customers-file")
        .arg(&file)
        .args(["--tenant-type", "m365", "--output", "json"])
        .args(["--concurrency", &concurrency.to_string()])
        .envs(env.target.env())
        .env_remove("AVEPOINT_CERTIFICATE")
        .env_remove("AVEPOINT_RATE_LIMIT")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", cli.display()))?;
    let watched =
        process::watch(child, started, Duration::from_secs(300)).context("waiting for the CLI")?;
    if watched.timed_out {
        bail!("the CLI ran past 5 minutes: {}", watched.stderr_tail.trim());
    }
    let ok = env.control.counters().responses(200);
    let mut failures = (calls as u64).saturating_sub(ok);
    if !watched.status.success() {
        eprintln!(
            "bench: the CLI exited with {}: {}",
            watched.status,
            watched.stderr_tail.trim()
        );
        failures = failures.max(1);
    }
    Ok((watched.wall.as_secs_f64(), failures))
}

fn rows(runs: &[LimitRun]) -> Vec<LimitRow> {
    let mut keys: Vec<(&'static str, String, usize)> = Vec::new();
    for r in runs {
        let key = (r.scenario, r.client.clone(), r.concurrency);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(scenario, client, concurrency)| {
            let mine: Vec<&LimitRun> = runs
                .iter()
                .filter(|r| {
                    r.scenario == scenario && r.client == client && r.concurrency == concurrency
                })
                .collect();
            let mut ratios: Vec<f64> = mine.iter().map(|r| r.wall_s / r.bound_s).collect();
            ratios.sort_by(f64::total_cmp);
            let median = match ratios.len() {
                0 => 0.0,
                n if n % 2 == 1 => ratios[n / 2],
                n => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
            };
            let requests: u64 = mine.iter().map(|r| r.requests).sum();
            let throttled: u64 = mine.iter().map(|r| r.throttled).sum();
            LimitRow {
                scenario,
                client,
                concurrency,
                calls: mine.first().map_or(0, |r| r.calls),
                bound_s: mine.first().map_or(0.0, |r| r.bound_s),
                ratio: median,
                ratio_min: ratios.first().copied().unwrap_or(0.0),
                ratio_max: ratios.last().copied().unwrap_or(0.0),
                throttled_share: if requests > 0 {
                    throttled as f64 / requests as f64
                } else {
                    0.0
                },
                failures: mine.iter().map(|r| r.failures).sum(),
                rounds: mine.len(),
            }
        })
        .collect()
}

fn targets(rows: &[LimitRow]) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    for client in ["sdk", "cli"] {
        let row = rows
            .iter()
            .find(|r| r.scenario == "rate-limit" && r.client == client);
        out.push(TargetCheck {
            target: format!(
                "rate limit: {client} within 1.15 x calls/rate, < 5 % 429s, 0 failures"
            ),
            value: row.map_or_else(
                || "not measured".to_owned(),
                |r| {
                    format!(
                        "{:.3} x ({:.3}..{:.3}), {:.1} % 429s, {} failures",
                        r.ratio,
                        r.ratio_min,
                        r.ratio_max,
                        r.throttled_share * 100.0,
                        r.failures
                    )
                },
            ),
            met: row.map(|r| r.ratio <= 1.15 && r.throttled_share < 0.05 && r.failures == 0),
        });
    }
    for c in LATENCY_CONCURRENCIES {
        let row = rows
            .iter()
            .find(|r| r.scenario == "latency" && r.concurrency == c);
        out.push(TargetCheck {
            target: format!(
                "latency: sdk at concurrency {c} within 1.10 x calls x latency / concurrency"
            ),
            value: row.map_or_else(
                || "not measured".to_owned(),
                |r| {
                    format!(
                        "{:.3} x ({:.3}..{:.3}), {} failures",
                        r.ratio, r.ratio_min, r.ratio_max, r.failures
                    )
                },
            ),
            met: row.map(|r| r.ratio <= 1.10 && r.failures == 0),
        });
    }
    out
}

/// The scenarios as text tables.
pub fn render(report: &LimitsReport, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "\n(d) service limits: wall / bound (median, min..max over rounds), 429s / requests, failed calls; load average before {} after {}",
        report.load_before, report.load_after
    );
    let _ = writeln!(
        out,
        "    rate limit: {LIMIT_RPS}/s burst {LIMIT_BURST}, {} ms latency, concurrency {LIMIT_CONCURRENCY}, bound = calls / rate; latency: {} ms, no limit, bound = calls x latency / concurrency",
        LIMIT_LATENCY.as_millis(),
        LATENCY.as_millis()
    );
    let _ = writeln!(
        out,
        "{:<11} {:<17} {:>5} {:>6} {:>8} {:>11} {:>15} {:>7} {:>9}",
        "scenario",
        "client",
        "conc",
        "calls",
        "bound s",
        "wall/bound",
        "(min..max)",
        "429 %",
        "failures"
    );
    for r in &report.rows {
        let _ = writeln!(
            out,
            "{:<11} {:<17} {:>5} {:>6} {:>8.2} {:>11.3} {:>15} {:>7.2} {:>9}",
            r.scenario,
            r.client,
            r.concurrency,
            r.calls,
            r.bound_s,
            r.ratio,
            format!("({:.3}..{:.3})", r.ratio_min, r.ratio_max),
            r.throttled_share * 100.0,
            r.failures
        );
    }
    for t in &report.targets {
        let mark = match t.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "n/a   ",
        };
        let _ = writeln!(out, "  [{mark}] {}: {}", t.target, t.value);
    }
    for p in &report.problems {
        let _ = writeln!(out, "  problem: {p}");
    }
}
