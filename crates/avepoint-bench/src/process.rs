//! Child processes: wall time and peak resident memory, and the machine's description.

use std::io::Read as _;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How often a watched child's `VmHWM` is read.
const POLL: Duration = Duration::from_millis(5);

/// The peak resident set size (`VmHWM`) of process `pid` so far, in KiB, from
/// `/proc/<pid>/status`; `None` when unreadable (not Linux, or the process is gone).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix("VmHWM:")?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// What [`watch`] saw of a child.
#[derive(Debug)]
pub struct Watched {
    /// How the child ended.
    pub status: ExitStatus,
    /// From the call to [`watch`] to the child's exit (measured to within the poll interval).
    pub wall: Duration,
    /// The highest `VmHWM` read while the child ran, in KiB (a high-water mark, so the last
    /// successful read before exit is the peak up to then).
    pub peak_rss_kib: Option<u64>,
    /// The tail (last 4 KiB) of what the child wrote to stderr, if it was piped.
    pub stderr_tail: String,
    /// The child ran past the time limit and was killed.
    pub timed_out: bool,
}

/// Waits for `child`, reading its `VmHWM` every 5 ms, and drains its piped stderr on a
/// thread. `started` is when the child was spawned; a child still running `limit` after it
/// is killed (this child only, through its handle).
pub fn watch(mut child: Child, started: Instant, limit: Duration) -> std::io::Result<Watched> {
    let pid = child.id();
    let stderr = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 8192 {
                    tail.drain(..tail.len() - 4096);
                }
            }
            if tail.len() > 4096 {
                tail.drain(..tail.len() - 4096);
            }
            String::from_utf8_lossy(&tail).into_owned()
        })
    });
    let mut peak: Option<u64> = None;
    let mut timed_out = false;
    let status = loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak = Some(peak.map_or(kib, |p| p.max(kib)));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if !timed_out && started.elapsed() > limit {
            timed_out = true;
            child.kill()?;
        }
        std::thread::sleep(POLL);
    };
    let wall = started.elapsed();
    let stderr_tail = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok(Watched {
        status,
        wall,
        peak_rss_kib: peak,
        stderr_tail,
        timed_out,
    })
}

/// The machine the figures were measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// The CPU model (`/proc/cpuinfo`), when readable.
    pub cpu_model: Option<String>,
    /// Total memory in MiB (`/proc/meminfo`), when readable.
    pub memory_mib: Option<u64>,
    /// Operating system and kernel release.
    pub os: String,
    /// The 1-minute load average when the run started (`/proc/loadavg`): other work on the
    /// machine adds noise to every figure.
    pub load_average: Option<f64>,
}

impl Machine {
    /// Describes this machine.
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
        let memory_mib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kib| kib / 1024)
        });
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!(" {}", s.trim()))
            .unwrap_or_default();
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()));
        Self {
            cores,
            cpu_model,
            memory_mib,
            os: format!("{}{release}", std::env::consts::OS),
            load_average,
        }
    }

    /// One line: `2 cores, <model>, 7.7 GiB, linux 6.1`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} core{}",
            self.cores,
            if self.cores == 1 { "" } else { "s" }
        );
        if let Some(m) = &self.cpu_model {
            s.push_str(&format!(", {m}"));
        }
        if let Some(mib) = self.memory_mib {
            s.push_str(&format!(", {:.1} GiB RAM", mib as f64 / 1024.0));
        }
        s.push_str(&format!(", {}", self.os));
        if let Some(load) = self.load_average {
            s.push_str(&format!("; load average {load:.2} at start"));
        }
        s
    }
}
