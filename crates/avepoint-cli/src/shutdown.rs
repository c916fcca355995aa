//! Stop requests: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what `kill`, systemd, Kubernetes
//! and CI runners send). Both stop a run the same way: the rows fetched so far are written,
//! the JSON array is closed, the customers left unreported are named on stderr; the exit
//! code says which signal it was (130 or 143).

use crate::exit::Status;

/// Which stop was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Ctrl-C (SIGINT): exit code 130.
    Interrupt,
    /// SIGTERM: exit code 143.
    Terminate,
}

impl Stop {
    /// The exit status of a run stopped this way.
    pub(crate) fn status(self) -> Status {
        match self {
            Self::Interrupt => Status::Interrupted,
            Self::Terminate => Status::Terminated,
        }
    }

    /// How it reads in a message.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Interrupt => "interrupted (Ctrl-C)",
            Self::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// Resolves when Ctrl-C or SIGTERM arrives; `None` when no handler could be installed (the
/// run then goes on without one). The handlers are installed when this is first polled.
pub(crate) async fn requested() -> Option<Stop> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.ok().map(|()| Stop::Interrupt);
        };
        tokio::select! {
            interrupt = tokio::signal::ctrl_c() => match interrupt {
                Ok(()) => Some(Stop::Interrupt),
                // No Ctrl-C handler: still watch SIGTERM.
                Err(_) => term.recv().await.map(|()| Stop::Terminate),
            },
            terminate = term.recv() => terminate.map(|()| Stop::Terminate),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|()| Stop::Interrupt)
    }
}
