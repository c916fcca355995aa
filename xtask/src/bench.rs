//! `cargo xtask bench [--quick] [--customers N ...] [--no-build] [suite options]`: the
//! benchmarks (SDK against a bare `reqwest` client and Python `requests`, and the CLI's
//! fan-out).
//!
//! Builds the `avepoint-bench` runner and the `avepoint` CLI in release, then runs
//! `avepoint-bench suite`, which starts the fake service in its own (optimised) process with a
//! generated dataset, runs the SDK, the bare `reqwest` client and the Python `requests`
//! script interleaved, then the CLI's fan-out, prints the table and writes
//! `target/bench/latest.json`. The fake runs in the release-built suite rather than in this
//! (debug-built) xtask so that the server is never the unoptimised bottleneck. Every other
//! option is passed to the suite: see `cargo xtask bench --help`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--customers N[,N...]] [--no-build] [suite options]

  --quick          smoke run (about a minute once built): fewer rounds, calls, customers
  --customers N    customer counts of the CLI fan-out (default 10000,100000)
  --no-build       use the release binaries already in target/release
  --help           this text (nothing is built), then every suite option (rounds, calls,
                   concurrency, --python PATH, --no-python, --cli-concurrency,
                   --record-rounds, --out-dir, --seed, --no-limits, --limits-rounds R for
                   the rate-limit and latency scenarios) when the runner was built before

Builds avepoint-bench and avepoint (release), runs `avepoint-bench suite`, prints a table
and writes target/bench/latest.json. Exits non-zero when any client got a wrong answer.";

/// Runs `cargo xtask bench`.
pub(crate) fn run(args: &[String], root: &Path) -> Result<()> {
    let mut build = true;
    let mut help = false;
    let mut pass: Vec<OsString> = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--no-build" => build = false,
            "-h" | "--help" => help = true,
            _ => pass.push(arg.into()),
        }
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root.join(p) } else { p })
        .unwrap_or_else(|| root.join("target"));
    if help {
        return print_help(&target_dir.join("release"));
    }
    if build {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        eprintln!("bench: building avepoint-bench and avepoint (release)...");
        let status = Command::new(cargo)
            .current_dir(root)
            .args([
                "build",
                "--release",
                "-p",
                "avepoint-bench",
                "-p",
                "avepoint-cli",
            ])
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("the release build failed ({status})");
        }
    }
    let release = target_dir.join("release");
    let runner = release.join(format!("avepoint-bench{}", std::env::consts::EXE_SUFFIX));
    let cli = release.join(format!("avepoint{}", std::env::consts::EXE_SUFFIX));
    if !runner.is_file() {
        bail!("{} is missing; run without --no-build", runner.display());
    }
    let given = |flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut cmd = Command::new(&runner);
    cmd.current_dir(root).arg("suite");
    if !given("--cli") && cli.is_file() {
        cmd.arg("--cli").arg(&cli);
    }
    if !given("--python-script") {
        cmd.arg("--python-script")
            .arg(root.join("crates/avepoint-bench/python/seats_bench.py"));
    }
    if !given("--out-dir") {
        cmd.arg("--out-dir").arg(target_dir.join("bench"));
    }
    cmd.args(&pass);
    let status = cmd
        .status()
        .with_context(|| format!("running {}", runner.display()))?;
    if !status.success() {
        bail!("the benchmark failed ({status})");
    }
    Ok(())
}

/// `--help`: the usage, then the suite's own options from a runner built earlier. Builds
/// nothing, so it answers at once on a fresh clone.
fn print_help(release: &Path) -> Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{USAGE}\n")?;
    let runner = release.join(format!("avepoint-bench{}", std::env::consts::EXE_SUFFIX));
    if !runner.is_file() {
        writeln!(
            out,
            "The suite's own options are listed here once the runner is built (any `cargo xtask bench` run builds it)."
        )?;
        return Ok(());
    }
    out.flush()?;
    drop(out);
    let status = Command::new(&runner)
        .args(["suite", "--help"])
        .status()
        .with_context(|| format!("running {}", runner.display()))?;
    if !status.success() {
        bail!("{} suite --help failed ({status})", runner.display());
    }
    Ok(())
}
