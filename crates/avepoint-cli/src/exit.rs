//! Exit codes of the `avepoint` command and the fatal error that ends a run early.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | every customer was reported |
//! | 1 | at least one customer failed (each failure is on stderr), the customers listing failed part-way, or the output could not be written |
//! | 2 | usage or configuration error (clap's own errors are 2 as well) |
//! | 3 | authentication failed: no access token could be obtained, or the API refused it (also a customers listing refused with 401/403 before any customer) |
//! | 4 | `reconcile --fail-on`: a row has one of the named statuses (and no customer failed) |
//! | 4 | `history diff --fail-on-change` reported changes |
//! | 130 | interrupted by Ctrl-C; the rows fetched so far are written and the JSON array closed |
//! | 143 | terminated by SIGTERM; the same as 130 |

use std::fmt;
use std::process::ExitCode;

use avepoint_graph::Error as SdkError;

/// The exit-code table as shown in `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every customer was reported
  1  at least one customer failed (each failure is reported on stderr as
     `error: customer <id>: <message>`; the other customers are in the output),
     or a line of the customers file was unusable, or the customers listing
     failed part-way (the rows of the customers listed before are valid
     output), or the output could not be written
  2  usage or configuration error: a bad flag or value, a missing client id or
     secret, an unknown region, a bad URL (plain http is only allowed to
     loopback), an unreadable certificate, secret file or customers file
  3  authentication failed: no access token could be obtained (credentials
     refused, a scope not granted, identity service unreachable), or the API
     refused the token (also: the customers listing answered 401/403)
  4  reconcile --fail-on STATUS,...: every customer was reported and at least
     one row has one of the named statuses (a failure, 1, takes precedence);
     history diff --fail-on-change: at least one change was reported
  130 interrupted (Ctrl-C): the rows fetched so far are written, JSON is closed,
      the customers left unreported are named on stderr
  143 terminated (SIGTERM): the same as 130";

/// How a run ended, from best to worst; the worst outcome of all customers wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    /// Exit code 0.
    Success,
    /// Exit code 4: `reconcile --fail-on` found a row with a named status, or `history diff
    /// --fail-on-change` reported changes (any failure outranks it).
    Findings,
    /// Exit code 1.
    SomeFailed,
    /// Exit code 2.
    Usage,
    /// Exit code 3.
    Authentication,
    /// Exit code 130: stopped by Ctrl-C (the output written so far is complete and valid).
    Interrupted,
    /// Exit code 143: stopped by SIGTERM (the output written so far is complete and valid).
    Terminated,
}

impl Status {
    /// The numeric exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Findings => 4,
            Self::SomeFailed => 1,
            Self::Usage => 2,
            Self::Authentication => 3,
            Self::Interrupted => 130,
            Self::Terminated => 143,
        }
    }

    /// Classifies the failure of one customer's call.
    ///
    /// A 401 that survives the SDK's one token refresh, or a token that could not be renewed,
    /// is an authentication failure; a configuration error is a usage error; anything else
    /// (404, 403, 5xx after retries, transport) is a failure of that customer only.
    pub(crate) fn of_call_error(e: &SdkError) -> Self {
        if e.is_authentication() || e.status() == Some(401) {
            Self::Authentication
        } else if matches!(e, SdkError::Config(_)) {
            Self::Usage
        } else {
            Self::SomeFailed
        }
    }

    /// Classifies a failure of the customers listing, after `listed` customers came out of
    /// it: refused outright (401, 403, no token) is an authentication failure, a
    /// configuration error a usage error; anything else, or any failure after some
    /// customers, fails the run (exit 1) with the rows so far kept (a 401 that survives the
    /// token refresh stays an authentication failure, as for a seats call).
    pub(crate) fn of_listing_error(e: &SdkError, listed: u64) -> Self {
        let refused = e.is_authentication() || matches!(e.status(), Some(401 | 403));
        if listed == 0 && refused {
            Self::Authentication
        } else {
            Self::of_call_error(e).max(Self::SomeFailed)
        }
    }

    /// Classifies a failure of the up-front token request: a configuration error is a usage
    /// error, anything else means no token could be obtained.
    pub(crate) fn of_authentication_error(e: &SdkError) -> Self {
        if matches!(e, SdkError::Config(_)) {
            Self::Usage
        } else {
            Self::Authentication
        }
    }
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(s.code())
    }
}

/// An error that ends the run before or outside the per-customer work, with its exit status.
#[derive(Debug)]
pub(crate) struct Fatal {
    /// The exit status.
    pub(crate) status: Status,
    /// What to tell the user (printed as `error: <message>`).
    pub(crate) message: String,
}

impl Fatal {
    /// A usage or configuration error (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            status: Status::Usage,
            message: message.into(),
        }
    }

    /// An error of the SDK while configuring the client: always a configuration error.
    pub(crate) fn config(e: &SdkError) -> Self {
        Self::usage(crate::sdk_error::message(e))
    }

    /// A failed up-front authentication.
    pub(crate) fn authentication(e: &SdkError) -> Self {
        Self {
            status: Status::of_authentication_error(e),
            message: crate::sdk_error::message(e),
        }
    }

    /// The output could not be written (exit code 1).
    pub(crate) fn output(e: &std::io::Error) -> Self {
        Self {
            status: Status::SomeFailed,
            message: format!("could not write the output: {e}"),
        }
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_wins() {
        let all = [
            Status::Success,
            Status::SomeFailed,
            Status::Usage,
            Status::Authentication,
        ];
        assert_eq!(all.iter().max(), Some(&Status::Authentication));
        assert_eq!(Status::Success.max(Status::SomeFailed), Status::SomeFailed);
        assert_eq!(Status::Findings.max(Status::SomeFailed), Status::SomeFailed);
        assert_eq!(Status::Success.max(Status::Findings), Status::Findings);
        assert_eq!(Status::Findings.code(), 4);
        let codes: Vec<u8> = all.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }

    #[test]
    fn sdk_errors_are_classified() {
        let config = SdkError::Config("bad".into());
        assert_eq!(Status::of_call_error(&config), Status::Usage);
        assert_eq!(Status::of_authentication_error(&config), Status::Usage);
        let input = SdkError::InvalidInput("empty".into());
        assert_eq!(Status::of_call_error(&input), Status::SomeFailed);
        assert_eq!(
            Status::of_authentication_error(&input),
            Status::Authentication
        );
        let paging = SdkError::Paging {
            operation: "listCustomersBatch",
            message: "page 3 repeated page 2".into(),
        };
        assert_eq!(Status::of_listing_error(&paging, 0), Status::SomeFailed);
        assert_eq!(Status::of_listing_error(&paging, 250), Status::SomeFailed);
        assert_eq!(Status::of_listing_error(&config, 0), Status::Usage);
    }
}
