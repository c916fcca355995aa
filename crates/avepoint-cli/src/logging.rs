//! `-v`/`-vv`: `tracing` logs on stderr. Nothing logs secrets or tokens: the SDK keeps them
//! in `Secret`s, and this tool never formats one.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// The filter for `-v` counts; targets are prefixes, so `avepoint` covers this binary and
/// the `avepoint_graph` and `avepoint_fake` crates.
fn directives(verbose: u8) -> &'static str {
    match verbose {
        // Quiet by default: per-customer failures are reported by the tool itself; only an
        // unusable certificate (expired, not yet valid) is worth a warning.
        0 => "avepoint_graph::auth::certificate=warn",
        // The in-process fake service of --demo logs one line per request: one level quieter.
        1 => "avepoint=info,avepoint_fake=warn",
        2 => "avepoint=debug,avepoint_fake=info",
        _ => "avepoint=trace",
    }
}

/// Installs the stderr subscriber. `RUST_LOG`, when set, replaces the `-v` levels.
pub(crate) fn init(verbose: u8) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok());
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(directives(verbose)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A failed write (stderr closed, e.g. `2>&1 | head -1`) is dropped: the default
        // reports it with `eprintln!`, which panics on that same closed stderr.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_parse() {
        for v in 0..4 {
            assert!(EnvFilter::try_new(directives(v)).is_ok());
        }
    }
}
