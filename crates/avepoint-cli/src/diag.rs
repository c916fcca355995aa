//! Diagnostics on stderr: one line per message, escaped, and never a panic.
//!
//! Every line this tool writes to stderr goes through [`line`] (the [`diag!`] macro):
//! control characters are escaped with the SDK's [`escape_control`], so text from a server
//! (an error message, a customer id or organization) cannot forge a line or drive the
//! terminal, and a write error (stderr closed, e.g. `2>&1 | head -1`) is ignored instead of
//! panicking as `eprintln!` does.

use std::io::Write as _;

use avepoint_graph::escape_control;

/// Writes `message` and a line break to stderr, escaped; write errors are ignored.
pub(crate) fn line(message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", escape_control(message));
}

/// `eprintln!` for this tool: formats, escapes control characters, ignores write errors.
macro_rules! diag {
    ($($arg:tt)*) => {
        $crate::diag::line(&format!($($arg)*))
    };
}

pub(crate) use diag;
