//! The Python client: `python/seats_bench.py` run with an interpreter that has `requests`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Result;

use crate::measure::{self, Plan, RunResult};
use crate::target::Target;

/// The script in this crate's source tree.
pub fn default_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/seats_bench.py")
}

/// Checks that `python` runs and can import `requests`; the error says what is missing.
pub fn check_interpreter(python: &Path) -> Result<String, String> {
    let output = Command::new(python)
        .args([
            "-c",
            "import sys, requests; print(sys.version.split()[0], requests.__version__)",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} cannot import `requests` (pip install requests): {}",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let versions = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let mut parts = versions.split_whitespace();
    Ok(format!(
        "Python {}, requests {}",
        parts.next().unwrap_or("?"),
        parts.next().unwrap_or("?")
    ))
}

/// Runs the script once with `plan` against `target` and parses its result.
pub fn run(
    python: &Path,
    script: &Path,
    target: &Target,
    workload: &Path,
    plan: Plan,
) -> Result<RunResult> {
    run_with(python, script, target, workload, plan, &[])
}

/// [`run`] with extra options of the script (e.g. `--honour-retry-after`).
pub fn run_with(
    python: &Path,
    script: &Path,
    target: &Target,
    workload: &Path,
    plan: Plan,
    extra: &[&str],
) -> Result<RunResult> {
    let mut command = Command::new(python);
    command.arg(script).args(extra);
    measure::run_process(
        command,
        &format!("Python script ({} {})", python.display(), script.display()),
        workload,
        target,
        plan,
    )
}
