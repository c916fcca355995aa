//! The signals that stop a run early and cleanly: Ctrl-C (SIGINT) and, on Unix, SIGTERM
//! (what service managers and `kill` send). The rows fetched so far are written, the
//! output closed, and a recorded run is marked `interrupted`.

use std::io;

/// Completes when Ctrl-C or SIGTERM arrives; an error when no handler can be installed.
pub(crate) async fn requested() -> io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
