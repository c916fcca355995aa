//! SDK errors as this command reports them: the error and its causes on one line (each cause
//! once, joined with `": "`), in the SDK's words except where the SDK advises raising a
//! retry setting: there the command names its own flag, from one table ([`advice`]).

use std::error::Error as _;
use std::fmt;

use avepoint_graph::{Error as SdkError, GaveUp, RetryLimit};

/// The most attempts `--max-attempts` accepts (its range is 1..=this).
pub(crate) const MAX_ATTEMPTS_LIMIT: u32 = 20;

/// What this command tells the user to do when the SDK stopped retrying at `limit` after
/// `attempts` attempts: the SDK's retry settings mapped to this command's flags. Only the
/// number of attempts has a flag (`--max-attempts`); at its top, or for a setting without a
/// flag, waiting is all that is left.
fn advice(limit: RetryLimit, attempts: u32) -> String {
    match limit {
        RetryLimit::MaxAttempts if attempts < MAX_ATTEMPTS_LIMIT => {
            format!("raise --max-attempts (up to {MAX_ATTEMPTS_LIMIT}) to try longer")
        }
        _ => "try again later".to_owned(),
    }
}

/// An SDK error in the command's words (`format!("{}", Described(&e))`): the whole chain.
pub(crate) struct Described<'a>(pub(crate) &'a SdkError);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        level(f, self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            f.write_str(": ")?;
            match cause.downcast_ref::<SdkError>() {
                Some(sdk) => level(f, sdk)?,
                None => write!(f, "{cause}")?,
            }
            source = cause.source();
        }
        Ok(())
    }
}

/// One level of the chain: the SDK's text, with this command's advice on giving up.
fn level(f: &mut fmt::Formatter<'_>, e: &SdkError) -> fmt::Result {
    let SdkError::RetriesExhausted {
        attempts,
        elapsed,
        reason,
        ..
    } = e
    else {
        return write!(f, "{e}");
    };
    let head = GaveUp::new(*attempts, *elapsed);
    match reason.limit() {
        Some(limit) => write!(
            f,
            "{head} ({}; {})",
            reason.summary(),
            advice(limit, *attempts)
        ),
        None => write!(f, "{head} ({})", reason.summary()),
    }
}

/// The message of `e` as this command reports it.
pub(crate) fn message(e: &SdkError) -> String {
    Described(e).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use avepoint_graph::GiveUpReason;

    use super::*;

    fn gave_up(attempts: u32, reason: GiveUpReason) -> SdkError {
        SdkError::RetriesExhausted {
            attempts,
            elapsed: Duration::from_nanos(2_345_678_901),
            reason,
            last: Box::new(SdkError::Transport {
                url: "https://graph.example/x".into(),
                message: "the connection failed".into(),
                timed_out: false,
                source: Some(Box::new(std::io::Error::other("connection refused"))),
            }),
        }
    }

    #[test]
    fn giving_up_points_to_the_flag_and_rounds() {
        let text = message(&gave_up(4, GiveUpReason::MaxAttempts));
        assert_eq!(
            text,
            "gave up after 4 attempts in 2.3s (maximum attempts reached; raise --max-attempts (up to 20) to try longer): could not reach https://graph.example/x: the connection failed; check the network, a proxy and the URL: connection refused"
        );
        assert!(!text.contains("RetryPolicy"), "{text}");
    }

    #[test]
    fn no_flag_to_raise_means_try_later() {
        let text = message(&gave_up(20, GiveUpReason::MaxAttempts));
        assert!(
            text.contains("maximum attempts reached; try again later)"),
            "{text}"
        );
        let text = message(&gave_up(
            1,
            GiveUpReason::RetryAfterTooLong {
                requested: Duration::from_secs(600),
                cap: Duration::from_secs(60),
            },
        ));
        assert!(
            text.starts_with("gave up after 1 attempt in 2.3s, without a retry (the server asked to wait 10m, more than the 60s cap; try again later): "),
            "{text}"
        );
        let text = message(&gave_up(3, GiveUpReason::BudgetExhausted));
        assert!(
            text.starts_with("gave up after 3 attempts in 2.3s (the client's retry budget is spent because many calls failed; the service looks unhealthy, try again later): could not reach"),
            "{text}"
        );
        let other = SdkError::InvalidInput("empty".into());
        assert_eq!(message(&other), other.to_string());
    }

    /// The command's text is the SDK's whole chain, with the advice on giving up as the
    /// only difference.
    #[test]
    fn only_the_advice_differs_from_the_sdk_chain() {
        for (attempts, reason) in [
            (4, GiveUpReason::MaxAttempts),
            (20, GiveUpReason::MaxAttempts),
            (2, GiveUpReason::Deadline),
        ] {
            let error = gave_up(attempts, reason);
            let mut sdk = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                sdk.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            let limit = reason.limit().expect("a limit");
            let ours = message(&error);
            assert_eq!(
                ours,
                sdk.replace(limit.advice(), &advice(limit, attempts)),
                "{ours}"
            );
            for cause in ["the connection failed", "connection refused"] {
                assert_eq!(ours.matches(cause).count(), 1, "{ours}");
            }
        }
    }
}
