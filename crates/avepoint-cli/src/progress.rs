//! The progress bar of long runs: on stderr, only when stderr is a terminal and no logs are
//! on (`-v` would fight it). A spinner until the total is known, then a bar.

use std::io::{self, IsTerminal as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress indicator counting `unit`s (e.g. `customers`), with `len` of them when known.
pub(crate) fn start(len: Option<u64>, unit: &str, verbose: u8) -> Option<ProgressBar> {
    if verbose > 0 || !io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        .with_style(spinner_style(unit));
    if let Some(n) = len {
        set_total(&pb, n, unit);
    }
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

/// Tells the bar the total (again, when it changes): it turns from a spinner into a bar.
pub(crate) fn set_total(pb: &ProgressBar, total: u64, unit: &str) {
    if pb.length() != Some(total) {
        if pb.length().is_none() {
            pb.set_style(bar_style(unit));
        }
        pb.set_length(total);
    }
}

fn bar_style(unit: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{spinner}} {{pos}}/{{len}} {unit} [{{bar:30}}] {{elapsed}} {{msg}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn spinner_style(unit: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!("{{spinner}} {{pos}} {unit} {{elapsed}} {{msg}}"))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// Runs `f` with the progress bar hidden, so output and messages do not mix with it.
pub(crate) fn quiet<T>(progress: Option<&ProgressBar>, f: impl FnOnce() -> T) -> T {
    match progress {
        Some(pb) => pb.suspend(f),
        None => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_parse() {
        assert!(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} customers [{bar:30}] {elapsed} {msg}"
            )
            .is_ok()
        );
        let pb = ProgressBar::hidden();
        set_total(&pb, 8, "reports");
        assert_eq!(pb.length(), Some(8));
    }
}
