//! `avepoint-bench suite`: the whole benchmark, as `cargo xtask bench` runs it.
//!
//! 1. Starts the fake service in this process (release build, its own multi-threaded Tokio
//!    runtime) on loopback with a generated dataset, and writes the workload file (customers
//!    and the answers the dataset gives for them).
//! 2. Runs, in interleaved rounds (the client order rotates every round), each workload
//!    through each client, every run in a fresh process: `avepoint-bench client --client sdk`,
//!    `... --client bare`, and the Python script. Workloads: (a) sequential latency, (b)
//!    throughput at each concurrency.
//! 3. Runs the `avepoint` CLI's fan-out over N customers to `/dev/null`: wall time, peak RSS
//!    (`VmHWM`), token requests and TCP connections (the fake's counters, reset per run);
//!    in interleaved rounds, without and with `--record` (a fresh history database each
//!    time, checked afterwards with `avepoint history runs`), for the recording's cost.
//! 4. Returns a [`Report`]: every figure, the SDK/bare and SDK/Python ratios, the issue's
//!    targets (met or missed), and every correctness problem.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use avepoint_fake::{CountersSnapshot, Dataset, FakeConfig, FakeControl, FakeServer, TenantKind};
use serde::Serialize;

use crate::measure::{Mode, Plan, RunResult};
use crate::process::{self, Machine};
use crate::python;
use crate::runner;
use crate::target::Target;
use crate::workload::Workload;

/// Options of `avepoint-bench suite` (and of `cargo xtask bench`, which passes them on).
#[derive(Clone, Debug, clap::Args)]
pub struct SuiteArgs {
    /// Smoke run: fewer rounds, calls and customers; takes about a minute once built.
    #[arg(long)]
    pub quick: bool,
    /// Customer counts of the CLI fan-out (scale workload), repeatable or comma-separated
    /// [default: 10000,100000; --quick: 2000,20000].
    #[arg(long = "customers", value_name = "N", value_delimiter = ',')]
    pub customers: Vec<u64>,
    /// Interleaved rounds of the latency and throughput workloads [default: 7; --quick: 3].
    /// Odd, so that the median is one round's figure.
    #[arg(long, value_name = "R")]
    pub rounds: Option<usize>,
    /// Timed calls per latency run [default: 2000; --quick: 200].
    #[arg(long, value_name = "N")]
    pub latency_calls: Option<usize>,
    /// Timed calls per throughput run of the Rust clients [default: 20000; --quick: 5000].
    /// A run under about 0.1 s is mostly scheduling noise on a small machine.
    #[arg(long, value_name = "N")]
    pub throughput_calls: Option<usize>,
    /// Timed calls per throughput run of the Python client, which is ~50 x slower (a rate
    /// needs fewer calls) [default: the Rust clients' count, at most 3000; --quick: 500].
    #[arg(long, value_name = "N")]
    pub python_throughput_calls: Option<usize>,
    /// Concurrencies of the throughput workload.
    #[arg(long, value_name = "C", value_delimiter = ',', default_values_t = [8usize, 64])]
    pub concurrency: Vec<usize>,
    /// `--concurrency` of the CLI fan-out.
    #[arg(long, value_name = "C", default_value_t = 64)]
    pub cli_concurrency: usize,
    /// Interleaved rounds of the CLI fan-out without and with `--record`, per customer count
    /// [default: 3; --quick: 3].
    #[arg(long, value_name = "R")]
    pub record_rounds: Option<usize>,
    /// The `avepoint` CLI binary (release build); without it the scale workload is skipped.
    #[arg(long, value_name = "PATH")]
    pub cli: Option<PathBuf>,
    /// The Python interpreter (needs `requests`).
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: PathBuf,
    /// Skip the Python client.
    #[arg(long)]
    pub no_python: bool,
    /// The Python script [default: python/seats_bench.py of this crate's sources].
    #[arg(long, value_name = "PATH")]
    pub python_script: Option<PathBuf>,
    /// The runner binary for the Rust clients [default: this executable].
    #[arg(long, value_name = "PATH")]
    pub runner: Option<PathBuf>,
    /// Folder of the workload, customer files and the JSON report (`latest.json`).
    #[arg(long, value_name = "DIR", default_value = "target/bench")]
    pub out_dir: PathBuf,
    /// Seed of the generated dataset.
    #[arg(long, value_name = "SEED", default_value_t = 1)]
    pub seed: u64,
    /// Skip the service-limit scenarios (rate limit, latency; see `limits`).
    #[arg(long)]
    pub no_limits: bool,
    /// Rounds of the service-limit scenarios [default: 3; --quick: 1].
    #[arg(long, value_name = "R")]
    pub limits_rounds: Option<usize>,
}

/// The settings a run used (defaults resolved).
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// Smoke mode.
    pub quick: bool,
    /// Interleaved rounds.
    pub rounds: usize,
    /// Timed calls per latency run.
    pub latency_calls: usize,
    /// Untimed warm-up calls per latency run.
    pub latency_warmup: usize,
    /// Timed calls per throughput run (Rust clients).
    pub throughput_calls: usize,
    /// Timed calls per throughput run (Python client).
    pub python_throughput_calls: usize,
    /// Throughput concurrencies.
    pub concurrencies: Vec<usize>,
    /// Customers of the CLI fan-out runs.
    pub scale_customers: Vec<u64>,
    /// `--concurrency` of the CLI fan-out.
    pub cli_concurrency: usize,
    /// Rounds of the CLI fan-out without and with `--record`, per customer count.
    pub record_rounds: usize,
    /// Customers in the latency/throughput workload (called round-robin).
    pub workload_customers: usize,
    /// Dataset seed.
    pub seed: u64,
    /// The Python client: versions, or why it was skipped.
    pub python: String,
}

impl Settings {
    fn resolve(args: &SuiteArgs) -> Self {
        let quick = args.quick;
        let pick =
            |v: Option<usize>, full: usize, q: usize| v.unwrap_or(if quick { q } else { full });
        let latency_calls = pick(args.latency_calls, 2000, 200).max(1);
        let throughput_calls = pick(args.throughput_calls, 20_000, 5_000).max(1);
        let python_throughput_calls = args
            .python_throughput_calls
            .unwrap_or(if quick { 500 } else { 3_000 })
            .min(throughput_calls)
            .max(1);
        let mut concurrencies: Vec<usize> = args.concurrency.iter().map(|c| (*c).max(1)).collect();
        concurrencies.dedup();
        let scale_customers = if args.customers.is_empty() {
            if quick {
                vec![2_000, 20_000]
            } else {
                vec![10_000, 100_000]
            }
        } else {
            args.customers.iter().map(|n| (*n).max(1)).collect()
        };
        Self {
            quick,
            rounds: pick(args.rounds, 7, 3).max(1),
            latency_calls,
            latency_warmup: if quick { 20 } else { 50 },
            throughput_calls,
            python_throughput_calls,
            concurrencies,
            scale_customers,
            cli_concurrency: args.cli_concurrency.clamp(1, 256),
            record_rounds: pick(args.record_rounds, 3, 3).max(1),
            workload_customers: latency_calls.max(throughput_calls).min(10_000),
            seed: args.seed,
            python: String::new(),
        }
    }
}

/// One run of one client in the latency or throughput workload.
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    /// Round (from 1).
    pub round: usize,
    /// `sdk`, `bare` or `python`.
    pub client: String,
    /// Latency or throughput.
    pub mode: Mode,
    /// Calls in flight.
    pub concurrency: usize,
    /// Calls per second of the timed part.
    pub calls_per_sec: f64,
    /// Median latency (latency runs), microseconds.
    pub median_us: Option<f64>,
    /// 99th percentile latency (latency runs), microseconds.
    pub p99_us: Option<f64>,
    /// Token requests the fake received during the run (warm-up included).
    pub token_requests: u64,
    /// TCP connections the fake accepted during the run.
    pub connections: u64,
    /// Seats requests the fake received beyond the run's calls (warm-up included): retries.
    pub extra_api_requests: u64,
    /// Failed calls.
    pub errors: u64,
    /// Wrong answers.
    pub mismatches: u64,
}

/// Latency figures of one client, all rounds pooled.
#[derive(Clone, Debug, Serialize)]
pub struct LatencyRow {
    /// Client.
    pub client: String,
    /// Latency samples pooled over the rounds.
    pub samples: usize,
    /// Median per-call latency, microseconds.
    pub median_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// Median over rounds of the calls per second at concurrency 1.
    pub calls_per_sec: f64,
    /// Most token requests in one run.
    pub token_requests_max: u64,
    /// Most connections in one run.
    pub connections_max: u64,
    /// Seats requests beyond the calls (retries), all runs.
    pub extra_api_requests: u64,
    /// SDK/this client's median (SDK row: 1).
    pub sdk_median_ratio: Option<f64>,
    /// SDK/this client's calls per second.
    pub sdk_throughput_ratio: Option<f64>,
}

/// Throughput figures of one client at one concurrency.
#[derive(Clone, Debug, Serialize)]
pub struct ThroughputRow {
    /// Client.
    pub client: String,
    /// Calls in flight.
    pub concurrency: usize,
    /// Median over rounds of the calls per second.
    pub calls_per_sec: f64,
    /// Lowest round.
    pub calls_per_sec_min: f64,
    /// Highest round.
    pub calls_per_sec_max: f64,
    /// Most token requests in one run.
    pub token_requests_max: u64,
    /// Most connections in one run.
    pub connections_max: u64,
    /// Seats requests beyond the calls (retries), all runs.
    pub extra_api_requests: u64,
    /// SDK/this client's calls per second.
    pub sdk_ratio: Option<f64>,
}

/// One CLI fan-out run.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleRow {
    /// Customers in the file.
    pub customers: u64,
    /// `--concurrency`.
    pub concurrency: usize,
    /// Spawn to exit, seconds.
    pub wall_s: f64,
    /// Customers per second over the wall time (start-up included).
    pub calls_per_sec: f64,
    /// Peak resident set size (`VmHWM`), MiB.
    pub peak_rss_mib: Option<f64>,
    /// Token requests the fake received.
    pub token_requests: u64,
    /// TCP connections the fake accepted.
    pub connections: u64,
    /// Seats requests the fake received.
    pub api_requests: u64,
    /// Responses other than 200.
    pub failed_responses: u64,
    /// The CLI's exit code.
    pub exit_code: Option<i32>,
    /// Exit 0, one 200 per customer, no other response (with `--record`: and the run
    /// recorded `complete` with every customer).
    pub correct: bool,
    /// Whether the run had `--record`.
    pub record: bool,
}

/// The cost of `--record` at one customer count: rounds of the same fan-out without and
/// with it, interleaved.
#[derive(Clone, Debug, Serialize)]
pub struct RecordRow {
    /// Customers in the file.
    pub customers: u64,
    /// Rounds (runs of each kind).
    pub rounds: usize,
    /// Median wall time without `--record`, seconds.
    pub plain_wall_s: f64,
    /// Fastest and slowest run without `--record`.
    pub plain_wall_min_s: f64,
    /// See `plain_wall_min_s`.
    pub plain_wall_max_s: f64,
    /// Median wall time with `--record`, seconds.
    pub record_wall_s: f64,
    /// Fastest and slowest run with `--record`.
    pub record_wall_min_s: f64,
    /// See `record_wall_min_s`.
    pub record_wall_max_s: f64,
    /// Median with / median without.
    pub ratio: f64,
    /// Highest peak RSS without `--record`, MiB.
    pub plain_peak_rss_mib: Option<f64>,
    /// Highest peak RSS with `--record`, MiB.
    pub record_peak_rss_mib: Option<f64>,
    /// Size of the history database after one recorded run (database and WAL), MiB.
    pub db_mib: Option<f64>,
}

/// An issue-5 target and whether this run met it.
#[derive(Clone, Debug, Serialize)]
pub struct TargetCheck {
    /// The target.
    pub target: String,
    /// The measured value.
    pub value: String,
    /// Met, missed, or not measured (`None`).
    pub met: Option<bool>,
}

/// Everything one suite run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Seconds since the Unix epoch at the end of the run.
    pub finished_unix: u64,
    /// The machine.
    pub machine: Machine,
    /// The settings.
    pub settings: Settings,
    /// (a) sequential latency, per client.
    pub latency: Vec<LatencyRow>,
    /// (b) throughput, per client and concurrency.
    pub throughput: Vec<ThroughputRow>,
    /// (c) the CLI fan-out, per customer count (every round, without `--record`).
    pub scale: Vec<ScaleRow>,
    /// (d) the service-limit scenarios (rate limit, latency), unless skipped.
    pub limits: Option<crate::limits::LimitsReport>,
    /// (d) the same fan-out with `--record`, every round.
    pub scale_record: Vec<ScaleRow>,
    /// (d) the cost of `--record`, per customer count.
    pub record: Vec<RecordRow>,
    /// The targets.
    pub targets: Vec<TargetCheck>,
    /// Every run of (a) and (b).
    pub runs: Vec<RunRecord>,
    /// Failed calls over every run.
    pub errors: u64,
    /// Wrong answers over every run.
    pub mismatches: u64,
    /// Descriptions of the correctness problems (failed runs, errors, mismatches).
    pub problems: Vec<String>,
}

impl Report {
    /// Whether every client got every answer right and every run completed.
    pub fn correct(&self) -> bool {
        self.problems.is_empty() && self.errors == 0 && self.mismatches == 0
    }
}

/// The clients of the latency and throughput workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    Sdk,
    Bare,
    Python,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Sdk => "sdk",
            Client::Bare => "bare",
            Client::Python => "python",
        }
    }
}

/// Everything a run needs.
struct Ctx {
    settings: Settings,
    runner: PathBuf,
    python: Option<(PathBuf, PathBuf)>,
    cli: Option<PathBuf>,
    target: Target,
    control: FakeControl,
    workload_path: PathBuf,
    dataset: Arc<Dataset>,
    out_dir: PathBuf,
    /// Rounds of the service-limit scenarios (0: skipped).
    limits_rounds: usize,
}

/// Runs the suite. Progress goes to stderr.
pub fn run(args: &SuiteArgs) -> Result<Report> {
    let mut settings = Settings::resolve(args);
    let machine = Machine::detect();
    let runner = match &args.runner {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("locating the runner (this executable)")?,
    };
    let python = if args.no_python {
        settings.python = "skipped (--no-python)".to_owned();
        None
    } else {
        match python::check_interpreter(&args.python) {
            Ok(versions) => {
                settings.python = versions;
                let script = args
                    .python_script
                    .clone()
                    .unwrap_or_else(python::default_script);
                Some((args.python.clone(), script))
            }
            Err(why) => {
                eprintln!("bench: skipping the Python client: {why}");
                settings.python = format!("skipped: {why}");
                None
            }
        }
    };
    if args.cli.is_none() {
        eprintln!("bench: no --cli binary given; skipping the CLI fan-out (scale) workload");
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;

    let dataset_size = settings
        .scale_customers
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(settings.workload_customers as u64);
    let dataset = Arc::new(Dataset::generated(dataset_size, settings.seed));
    let workload = Workload::from_dataset(
        &dataset,
        TenantKind::Microsoft365,
        settings.workload_customers,
    );
    let workload_path = args.out_dir.join("workload.json");
    workload.save(&workload_path)?;

    // The fake runs on its own runtime (threads = cores), in this process; the clients are
    // separate processes, so they never share its runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(machine.cores.max(1))
        .thread_name("fake-server")
        .enable_all()
        .build()
        .context("starting the fake server's runtime")?;
    let mut config = FakeConfig::demo();
    config.dataset = dataset.clone();
    let server = runtime
        .block_on(FakeServer::start(config))
        .context("starting the fake service")?;
    eprintln!(
        "bench: fake service at {} with {} generated customers (seed {}); machine: {}",
        server.base_url(),
        dataset_size,
        settings.seed,
        machine.describe()
    );
    let ctx = Ctx {
        settings,
        runner,
        python,
        cli: args.cli.clone(),
        target: Target::fake_demo(server.base_url(), server.token_url()),
        control: server.control().clone(),
        workload_path,
        dataset,
        out_dir: args.out_dir.clone(),
        limits_rounds: if args.no_limits {
            0
        } else {
            args.limits_rounds.unwrap_or(if args.quick { 1 } else { 3 })
        },
    };
    let result = ctx.measure(machine);
    runtime.block_on(server.shutdown());
    result
}

impl Ctx {
    fn clients(&self) -> Vec<Client> {
        let mut clients = vec![Client::Sdk, Client::Bare];
        if self.python.is_some() {
            clients.push(Client::Python);
        }
        clients
    }

    fn measure(&self, machine: Machine) -> Result<Report> {
        let s = &self.settings;
        let clients = self.clients();
        let mut plans = vec![Plan {
            mode: Mode::Latency,
            calls: s.latency_calls,
            concurrency: 1,
            warmup: s.latency_warmup,
        }];
        for &c in &s.concurrencies {
            plans.push(Plan {
                mode: Mode::Throughput,
                calls: s.throughput_calls,
                concurrency: c,
                warmup: 2 * c,
            });
        }
        let mut runs: Vec<(RunRecord, Vec<f64>)> = Vec::new();
        let mut problems = Vec::new();
        for round in 0..s.rounds {
            for plan in &plans {
                // Rotate the order every round so no client always runs first or last.
                let n = clients.len();
                for k in 0..n {
                    let client = clients[(k + round) % n];
                    eprintln!(
                        "bench: round {}/{}: {} c={} {}",
                        round + 1,
                        s.rounds,
                        plan.mode.as_str(),
                        plan.concurrency,
                        client.name()
                    );
                    let mut plan = *plan;
                    if client == Client::Python && plan.mode == Mode::Throughput {
                        plan.calls = s.python_throughput_calls;
                    }
                    match self.run_client(client, plan) {
                        Ok((result, counters)) => {
                            if let Some(p) = &result.first_problem {
                                problems.push(format!(
                                    "{} {} c={} round {}: {} error(s), {} mismatch(es); first: {p}",
                                    client.name(),
                                    plan.mode.as_str(),
                                    plan.concurrency,
                                    round + 1,
                                    result.errors,
                                    result.mismatches
                                ));
                            }
                            let mut sorted = result.latencies_us.clone();
                            sorted.sort_by(f64::total_cmp);
                            runs.push((
                                RunRecord {
                                    round: round + 1,
                                    client: client.name().to_owned(),
                                    mode: plan.mode,
                                    concurrency: result.concurrency,
                                    calls_per_sec: result.calls_per_sec,
                                    median_us: quantile(&sorted, 0.5),
                                    p99_us: quantile(&sorted, 0.99),
                                    token_requests: counters.token_requests,
                                    connections: counters.connections,
                                    extra_api_requests: counters
                                        .api_requests
                                        .saturating_sub((plan.calls + plan.warmup) as u64),
                                    errors: result.errors,
                                    mismatches: result.mismatches,
                                },
                                result.latencies_us,
                            ));
                        }
                        Err(e) => problems.push(format!(
                            "{} {} c={} round {}: the run failed: {e:#}",
                            client.name(),
                            plan.mode.as_str(),
                            plan.concurrency,
                            round + 1
                        )),
                    }
                }
            }
        }
        let mut scale = Vec::new();
        let mut scale_record = Vec::new();
        let mut record = Vec::new();
        if let Some(cli) = &self.cli {
            for &n in &s.scale_customers {
                let mut db_mib = None;
                for round in 0..s.record_rounds {
                    // Alternate which kind runs first, so neither always gets the warmer cache.
                    let kinds = if round % 2 == 0 {
                        [false, true]
                    } else {
                        [true, false]
                    };
                    for with_record in kinds {
                        eprintln!(
                            "bench: CLI fan-out over {n} customers (--concurrency {}){}, round {}/{}",
                            s.cli_concurrency,
                            if with_record { " with --record" } else { "" },
                            round + 1,
                            s.record_rounds
                        );
                        match self.run_cli(cli, n, with_record) {
                            Ok((row, size)) if with_record => {
                                db_mib = db_mib.or(size);
                                scale_record.push(row);
                            }
                            Ok((row, _)) => scale.push(row),
                            Err(e) => problems.push(format!(
                                "CLI fan-out over {n} customers{}: {e:#}",
                                if with_record { " with --record" } else { "" }
                            )),
                        }
                    }
                }
                if let Some(row) = record_row(n, s.record_rounds, &scale, &scale_record, db_mib) {
                    record.push(row);
                }
            }
        }
        for row in scale.iter().chain(&scale_record) {
            if !row.correct {
                problems.push(format!(
                    "CLI fan-out over {} customers: exit code {:?}, {} seats requests, {} non-200 responses",
                    row.customers, row.exit_code, row.api_requests, row.failed_responses
                ));
            }
        }
        let limits = (self.limits_rounds > 0).then(|| {
            let env = crate::limits::Env {
                runner: &self.runner,
                python: self
                    .python
                    .as_ref()
                    .map(|(p, s)| (p.as_path(), s.as_path())),
                cli: self.cli.as_deref(),
                target: &self.target,
                control: &self.control,
                workload_path: &self.workload_path,
                dataset: &self.dataset,
                out_dir: &self.out_dir,
                quick: s.quick,
            };
            crate::limits::run(&env, self.limits_rounds)
        });
        if let Some(l) = &limits {
            problems.extend(l.problems.iter().cloned());
        }
        let latency = latency_rows(&clients, &runs);
        let throughput = throughput_rows(&clients, &s.concurrencies, &runs);
        let records: Vec<RunRecord> = runs.into_iter().map(|(r, _)| r).collect();
        let mut targets = targets(s, &latency, &throughput, &scale, &records);
        targets.extend(record_targets(&record));
        Ok(Report {
            finished_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            machine,
            settings: s.clone(),
            latency,
            throughput,
            scale,
            limits,
            scale_record,
            record,
            targets,
            errors: records.iter().map(|r| r.errors).sum(),
            mismatches: records.iter().map(|r| r.mismatches).sum(),
            runs: records,
            problems,
        })
    }

    /// One run of one client in its own process; returns its result and the fake's counters
    /// of the run.
    fn run_client(&self, client: Client, plan: Plan) -> Result<(RunResult, CountersSnapshot)> {
        self.control.reset_counters();
        let result = match client {
            Client::Python => {
                let Some((python, script)) = &self.python else {
                    bail!("no Python interpreter");
                };
                python::run(python, script, &self.target, &self.workload_path, plan)?
            }
            Client::Sdk | Client::Bare => runner::spawn(
                &self.runner,
                client.name(),
                &self.workload_path,
                &self.target,
                plan,
            )?,
        };
        Ok((result, self.control.counters()))
    }

    /// `avepoint seats --customers-file <n ids> --tenant-type m365 --output json` to
    /// `/dev/null`, secret auth through the environment; with `record`, into a fresh
    /// history database (whose size is returned, in MiB).
    fn run_cli(&self, cli: &Path, n: u64, record: bool) -> Result<(ScaleRow, Option<f64>)> {
        let file = self.out_dir.join(format!("customers-{n}.txt"));
        if !file.is_file() {
            write_customers(&self.dataset, n, &file)?;
        }
        let db = self.out_dir.join(format!("history-{n}.sqlite3"));
        let mut record_args: Vec<std::ffi::OsString> = Vec::new();
        if record {
            remove_database(&db)?;
            record_args.push("--record".into());
            record_args.push("--db".into());
            record_args.push(db.clone().into());
        }
        let concurrency = self.settings.cli_concurrency;
        self.control.reset_counters();
        let started = Instant::now();
        let child = Command::new(cli)
            .arg("seats")
            .arg("--customers-file")
            .arg(&file)
            .args(["--tenant-type", "m365", "--output", "json"])
            .args(["--concurrency", &concurrency.to_string()])
            .args(&record_args)
            .env_remove("AVEPOINT_DB")
            .envs(self.target.env())
            .env_remove("AVEPOINT_CERTIFICATE")
            .env_remove("AVEPOINT_CERTIFICATE_PASSWORD")
            .env_remove("AVEPOINT_REGION")
            .env_remove("AVEPOINT_SCOPE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", cli.display()))?;
        // Generous: 1 ms per customer plus a minute (a healthy run needs a fraction of it).
        let limit = Duration::from_secs(60) + Duration::from_millis(n);
        let watched = process::watch(child, started, limit).context("waiting for the CLI")?;
        if watched.timed_out {
            bail!(
                "the CLI was still running after {limit:?} and was killed; stderr: {}",
                watched.stderr_tail.trim()
            );
        }
        let counters = self.control.counters();
        let failed_responses = counters.total_responses() - counters.responses(200);
        let exit_code = watched.status.code();
        if !watched.status.success() {
            eprintln!(
                "bench: the CLI exited with {}: {}",
                watched.status,
                watched.stderr_tail.trim()
            );
        }
        let wall_s = watched.wall.as_secs_f64();
        let (recorded, db_mib) = if record {
            let size = ["", "-wal"]
                .iter()
                .filter_map(|suffix| {
                    let mut path = db.clone().into_os_string();
                    path.push(suffix);
                    std::fs::metadata(path).ok().map(|m| m.len())
                })
                .sum::<u64>();
            (
                check_recorded(cli, &db, n)?,
                Some(size as f64 / (1024.0 * 1024.0)),
            )
        } else {
            (true, None)
        };
        let row = ScaleRow {
            customers: n,
            concurrency,
            wall_s,
            calls_per_sec: if wall_s > 0.0 { n as f64 / wall_s } else { 0.0 },
            peak_rss_mib: watched.peak_rss_kib.map(|k| k as f64 / 1024.0),
            token_requests: counters.token_requests,
            connections: counters.connections,
            api_requests: counters.api_requests,
            failed_responses,
            exit_code,
            correct: watched.status.success()
                && counters.api_requests == n
                && failed_responses == 0
                && recorded,
            record,
        };
        Ok((row, db_mib))
    }
}

/// Removes a history database and its WAL files.
fn remove_database(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.to_path_buf().into_os_string();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", db.display())),
        }
    }
    Ok(())
}

/// Whether `avepoint history runs` shows one `complete` run of `n` customers in `db`.
fn check_recorded(cli: &Path, db: &Path, n: u64) -> Result<bool> {
    let output = Command::new(cli)
        .args(["history", "runs", "--output", "json", "--db"])
        .arg(db)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} history runs", cli.display()))?;
    let runs: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing `avepoint history runs`")?;
    let ok = runs.as_array().is_some_and(|runs| {
        runs.len() == 1 && runs[0]["state"] == "complete" && runs[0]["customers"] == n
    });
    if !ok {
        eprintln!("bench: the recorded run is not what was fetched: {runs}");
    }
    Ok(ok)
}

/// The cost of `--record` at `n` customers, from the rounds of both kinds.
fn record_row(
    n: u64,
    rounds: usize,
    plain: &[ScaleRow],
    recorded: &[ScaleRow],
    db_mib: Option<f64>,
) -> Option<RecordRow> {
    let walls = |rows: &[ScaleRow]| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.customers == n)
            .map(|r| r.wall_s)
            .collect()
    };
    let rss = |rows: &[ScaleRow]| {
        rows.iter()
            .filter(|r| r.customers == n)
            .filter_map(|r| r.peak_rss_mib)
            .reduce(f64::max)
    };
    let (mut a, mut b) = (walls(plain), walls(recorded));
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (ma, mb) = (median(&mut a), median(&mut b));
    Some(RecordRow {
        customers: n,
        rounds,
        plain_wall_s: ma,
        plain_wall_min_s: a[0],
        plain_wall_max_s: a[a.len() - 1],
        record_wall_s: mb,
        record_wall_min_s: b[0],
        record_wall_max_s: b[b.len() - 1],
        ratio: if ma > 0.0 { mb / ma } else { 0.0 },
        plain_peak_rss_mib: rss(plain),
        record_peak_rss_mib: rss(recorded),
        db_mib,
    })
}

/// Wall time with `--record` at most this many times the same fan-out without.
const RECORD_WALL_RATIO: f64 = 1.15;

/// The targets of the history: `--record` costs at most 15 % wall time, and its peak RSS
/// stays flat as the customers grow.
fn record_targets(record: &[RecordRow]) -> Vec<TargetCheck> {
    let mut out: Vec<TargetCheck> = record
        .iter()
        .map(|r| TargetCheck {
            target: format!(
                "--record fan-out over {} customers: wall time <= {RECORD_WALL_RATIO} x without",
                r.customers
            ),
            value: format!(
                "{:.3} x ({:.2} s, {:.2}..{:.2} vs {:.2} s, {:.2}..{:.2}; medians of {})",
                r.ratio,
                r.record_wall_s,
                r.record_wall_min_s,
                r.record_wall_max_s,
                r.plain_wall_s,
                r.plain_wall_min_s,
                r.plain_wall_max_s,
                r.rounds
            ),
            met: Some(r.ratio <= RECORD_WALL_RATIO),
        })
        .collect();
    let smallest = record.iter().min_by_key(|r| r.customers);
    let largest = record.iter().max_by_key(|r| r.customers);
    let flat = match (smallest, largest) {
        (Some(a), Some(b)) if a.customers < b.customers => {
            match (a.record_peak_rss_mib, b.record_peak_rss_mib) {
                (Some(x), Some(y)) => Some((a.customers, x, b.customers, y)),
                _ => None,
            }
        }
        _ => None,
    };
    out.push(flat_rss_check(
        "--record peak RSS flat as N grows (<= +10% or +2 MiB)",
        flat,
    ));
    out
}

/// The check that peak RSS stays flat from the smallest to the largest customer count:
/// `flat` is (smaller count, its MiB, larger count, its MiB), when both were measured.
fn flat_rss_check(target: &str, flat: Option<(u64, f64, u64, f64)>) -> TargetCheck {
    TargetCheck {
        target: target.to_owned(),
        value: flat.map_or_else(
            || "not measured".to_owned(),
            |(a, x, b, y)| {
                format!(
                    "{x:.1} MiB at {a} -> {y:.1} MiB at {b} ({:+.1}%)",
                    (y / x - 1.0) * 100.0
                )
            },
        ),
        met: flat
            .map(|(_, x, _, y)| y <= (x * (1.0 + FLAT_RSS_GROWTH)).max(x + FLAT_RSS_SLACK_MIB)),
    }
}

/// Writes the first `n` customer ids of `dataset`, one per line.
fn write_customers(dataset: &Dataset, n: u64, path: &Path) -> Result<()> {
    use std::io::Write as _;
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let mut written = 0u64;
    for id in dataset
        .customer_ids()
        .take(usize::try_from(n).unwrap_or(usize::MAX))
    {
        writeln!(w, "{id}")?;
        written += 1;
    }
    w.flush()?;
    if written != n {
        bail!("the dataset has only {written} customers, {n} asked for");
    }
    Ok(())
}

/// The `q` quantile (nearest rank) of sorted samples.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn latency_rows(clients: &[Client], runs: &[(RunRecord, Vec<f64>)]) -> Vec<LatencyRow> {
    let mut rows: Vec<LatencyRow> = clients
        .iter()
        .filter_map(|c| {
            let mine: Vec<&(RunRecord, Vec<f64>)> = runs
                .iter()
                .filter(|(r, _)| r.client == c.name() && r.mode == Mode::Latency)
                .collect();
            if mine.is_empty() {
                return None;
            }
            let mut samples: Vec<f64> = mine.iter().flat_map(|(_, l)| l.iter().copied()).collect();
            samples.sort_by(f64::total_cmp);
            let mut cps: Vec<f64> = mine.iter().map(|(r, _)| r.calls_per_sec).collect();
            Some(LatencyRow {
                client: c.name().to_owned(),
                samples: samples.len(),
                median_us: quantile(&samples, 0.5).unwrap_or(0.0),
                p99_us: quantile(&samples, 0.99).unwrap_or(0.0),
                calls_per_sec: median(&mut cps),
                token_requests_max: mine
                    .iter()
                    .map(|(r, _)| r.token_requests)
                    .max()
                    .unwrap_or(0),
                connections_max: mine.iter().map(|(r, _)| r.connections).max().unwrap_or(0),
                extra_api_requests: mine.iter().map(|(r, _)| r.extra_api_requests).sum(),
                sdk_median_ratio: None,
                sdk_throughput_ratio: None,
            })
        })
        .collect();
    let sdk = rows
        .iter()
        .find(|r| r.client == "sdk")
        .map(|r| (r.median_us, r.calls_per_sec));
    for row in &mut rows {
        row.sdk_median_ratio = ratio(sdk.map(|s| s.0), Some(row.median_us));
        row.sdk_throughput_ratio = ratio(sdk.map(|s| s.1), Some(row.calls_per_sec));
    }
    rows
}

fn throughput_rows(
    clients: &[Client],
    concurrencies: &[usize],
    runs: &[(RunRecord, Vec<f64>)],
) -> Vec<ThroughputRow> {
    let mut rows = Vec::new();
    for &c in concurrencies {
        let mut group: Vec<ThroughputRow> = clients
            .iter()
            .filter_map(|client| {
                let mine: Vec<&RunRecord> = runs
                    .iter()
                    .map(|(r, _)| r)
                    .filter(|r| {
                        r.client == client.name()
                            && r.mode == Mode::Throughput
                            && r.concurrency == c
                    })
                    .collect();
                if mine.is_empty() {
                    return None;
                }
                let mut cps: Vec<f64> = mine.iter().map(|r| r.calls_per_sec).collect();
                Some(ThroughputRow {
                    client: client.name().to_owned(),
                    concurrency: c,
                    calls_per_sec: median(&mut cps),
                    calls_per_sec_min: cps.first().copied().unwrap_or(0.0),
                    calls_per_sec_max: cps.last().copied().unwrap_or(0.0),
                    token_requests_max: mine.iter().map(|r| r.token_requests).max().unwrap_or(0),
                    connections_max: mine.iter().map(|r| r.connections).max().unwrap_or(0),
                    extra_api_requests: mine.iter().map(|r| r.extra_api_requests).sum(),
                    sdk_ratio: None,
                })
            })
            .collect();
        let sdk = group
            .iter()
            .find(|r| r.client == "sdk")
            .map(|r| r.calls_per_sec);
        for row in &mut group {
            row.sdk_ratio = ratio(sdk, Some(row.calls_per_sec));
        }
        rows.extend(group);
    }
    rows
}

/// The SDK/bare throughput ratio of each round at concurrency `c`: median, min and max
/// (`None` without a round that ran both).
fn per_round_ratios(runs: &[RunRecord], c: usize) -> Option<(f64, f64, f64)> {
    let cps = |client: &str, round: usize| {
        runs.iter()
            .find(|r| {
                r.client == client
                    && r.round == round
                    && r.mode == Mode::Throughput
                    && r.concurrency == c
            })
            .map(|r| r.calls_per_sec)
    };
    let mut ratios: Vec<f64> = runs
        .iter()
        .filter(|r| r.client == "sdk" && r.mode == Mode::Throughput && r.concurrency == c)
        .filter_map(|r| ratio(Some(r.calls_per_sec), cps("bare", r.round)))
        .collect();
    if ratios.is_empty() {
        return None;
    }
    let m = median(&mut ratios);
    Some((m, ratios[0], ratios[ratios.len() - 1]))
}

/// How much the peak RSS may grow from the smallest to the largest fan-out and still count
/// as flat: 10 % (or 2 MiB, whichever is larger; allocator noise).
const FLAT_RSS_GROWTH: f64 = 0.10;
const FLAT_RSS_SLACK_MIB: f64 = 2.0;

/// SDK throughput / bare throughput the SDK must reach at every throughput concurrency.
const THROUGHPUT_TARGET: f64 = 0.95;
/// SDK median / bare median the SDK must stay under.
const MEDIAN_TARGET: f64 = 1.05;
/// Connections a run may open beyond its concurrency (the token request's, and the few a
/// pool opens while a finished connection is on its way back; see the README).
const CONNECTION_SLACK: u64 = 4;

fn targets(
    s: &Settings,
    latency: &[LatencyRow],
    throughput: &[ThroughputRow],
    scale: &[ScaleRow],
    runs: &[RunRecord],
) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let lat = |client: &str| latency.iter().find(|r| r.client == client);
    let tp = |client: &str, concurrency: usize| {
        throughput
            .iter()
            .find(|r| r.client == client && r.concurrency == concurrency)
    };
    let check = |target: String,
                 value: Option<f64>,
                 fmt: &dyn Fn(f64) -> String,
                 ok: &dyn Fn(f64) -> bool| {
        TargetCheck {
            target,
            value: value.map_or_else(|| "not measured".to_owned(), fmt),
            met: value.map(ok),
        }
    };
    for &c in &s.concurrencies {
        // Each round's own SDK/bare ratio too: the two runs of a round are seconds apart, so
        // their ratio is less moved by the machine's slow spells than the medians are.
        let paired = per_round_ratios(runs, c);
        out.push(check(
            format!("SDK throughput at concurrency {c} >= {THROUGHPUT_TARGET} x bare"),
            ratio(
                tp("sdk", c).map(|r| r.calls_per_sec),
                tp("bare", c).map(|r| r.calls_per_sec),
            ),
            &|v| match &paired {
                Some((median, lo, hi)) => format!(
                    "{v:.3} x bare (each round's ratio: median {median:.3}, {lo:.3}..{hi:.3})"
                ),
                None => format!("{v:.3} x bare"),
            },
            &|v| v >= THROUGHPUT_TARGET,
        ));
    }
    out.push(check(
        format!(
            "SDK per-call median within {:.0}% of bare",
            (MEDIAN_TARGET - 1.0) * 100.0
        ),
        ratio(
            lat("sdk").map(|r| r.median_us),
            lat("bare").map(|r| r.median_us),
        ),
        &|v| format!("{v:.3} x bare ({:+.1}%)", (v - 1.0) * 100.0),
        &|v| v <= MEDIAN_TARGET,
    ));
    out.push(check(
        "SDK throughput at concurrency 1 >= 3 x Python".to_owned(),
        ratio(
            lat("sdk").map(|r| r.calls_per_sec),
            lat("python").map(|r| r.calls_per_sec),
        ),
        &|v| format!("{v:.2} x Python"),
        &|v| v >= 3.0,
    ));
    // Token requests and connections: the SDK's runs and the CLI's fan-outs.
    let sdk_runs: Vec<&RunRecord> = runs.iter().filter(|r| r.client == "sdk").collect();
    let mut tokens: Vec<u64> = sdk_runs.iter().map(|r| r.token_requests).collect();
    tokens.extend(scale.iter().map(|r| r.token_requests));
    let (tmin, tmax) = (tokens.iter().min(), tokens.iter().max());
    out.push(TargetCheck {
        target: "exactly 1 token request per run (SDK runs and CLI fan-outs)".to_owned(),
        value: match (tmin, tmax) {
            (Some(a), Some(b)) => format!("{a}..={b} over {} runs", tokens.len()),
            _ => "not measured".to_owned(),
        },
        met: tmin.map(|&a| a == 1 && tmax == Some(&1)),
    });
    // Per concurrency, the most connections any SDK run (or CLI fan-out) opened.
    let mut worst: std::collections::BTreeMap<(bool, usize), u64> = Default::default();
    for r in &sdk_runs {
        let w = worst.entry((false, r.concurrency)).or_default();
        *w = (*w).max(r.connections);
    }
    for r in scale {
        let w = worst.entry((true, r.concurrency)).or_default();
        *w = (*w).max(r.connections);
    }
    out.push(TargetCheck {
        target: format!(
            "TCP connections opened <= concurrency + {CONNECTION_SLACK} (SDK runs and CLI fan-outs)"
        ),
        value: if worst.is_empty() {
            "not measured".to_owned()
        } else {
            worst
                .iter()
                .map(|((cli, c), n)| format!("{} c={c}: {n}", if *cli { "CLI" } else { "SDK" }))
                .collect::<Vec<_>>()
                .join(", ")
        },
        met: (!worst.is_empty()).then(|| {
            worst
                .iter()
                .all(|((_, c), n)| *n <= *c as u64 + CONNECTION_SLACK)
        }),
    });
    let largest = scale.iter().max_by_key(|r| r.customers);
    let smallest = scale.iter().min_by_key(|r| r.customers);
    out.push(check(
        format!(
            "peak RSS of the {}-customer fan-out < 64 MiB",
            largest.map_or(0, |r| r.customers)
        ),
        largest.and_then(|r| r.peak_rss_mib),
        &|v| format!("{v:.1} MiB"),
        &|v| v < 64.0,
    ));
    let flat = match (smallest, largest) {
        (Some(a), Some(b)) if a.customers < b.customers => match (a.peak_rss_mib, b.peak_rss_mib) {
            (Some(x), Some(y)) => Some((a.customers, x, b.customers, y)),
            _ => None,
        },
        _ => None,
    };
    out.push(flat_rss_check(
        "peak RSS flat as N grows (<= +10% or +2 MiB)",
        flat,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throughput(round: usize, client: &str, concurrency: usize, calls_per_sec: f64) -> RunRecord {
        RunRecord {
            round,
            client: client.to_owned(),
            mode: Mode::Throughput,
            concurrency,
            calls_per_sec,
            median_us: None,
            p99_us: None,
            token_requests: 1,
            connections: 1,
            extra_api_requests: 0,
            errors: 0,
            mismatches: 0,
        }
    }

    #[test]
    fn per_round_ratios_pair_the_runs_of_each_round() {
        let runs = [
            throughput(1, "sdk", 8, 90.0),
            throughput(1, "bare", 8, 100.0),
            throughput(2, "bare", 8, 50.0),
            throughput(2, "sdk", 8, 50.0),
            throughput(3, "sdk", 8, 160.0),
            throughput(3, "bare", 8, 200.0),
            // Another concurrency, and a round without a bare run: not paired.
            throughput(1, "sdk", 64, 10.0),
            throughput(4, "sdk", 8, 1.0),
        ];
        assert_eq!(per_round_ratios(&runs, 8), Some((0.9, 0.8, 1.0)));
        assert_eq!(per_round_ratios(&runs, 64), None);
        assert_eq!(per_round_ratios(&runs, 1), None);
    }
}
