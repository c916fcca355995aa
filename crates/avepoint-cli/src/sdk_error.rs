//! SDK errors as this command reports them: the same text, except that a call which gave up
//! retrying points to the command's own flag (`--max-attempts`) instead of the SDK's
//! `RetryPolicy` method, with its durations rounded.

use std::fmt;

use avepoint_graph::{DisplayDuration, Error as SdkError, RetryLimit};

/// The most attempts `--max-attempts` accepts (its range is 1..=this).
pub(crate) const MAX_ATTEMPTS_LIMIT: u32 = 20;

/// An SDK error in the command's words (`format!("{}", Described(&e))`).
pub(crate) struct Described<'a>(pub(crate) &'a SdkError);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SdkError::RetriesExhausted {
            attempts,
            elapsed,
            reason,
            last,
        } = self.0
        else {
            return write!(f, "{}", self.0);
        };
        write!(
            f,
            "gave up after {attempts} attempt(s) in {} ({}",
            DisplayDuration(*elapsed),
            reason.summary()
        )?;
        match reason.limit() {
            Some(RetryLimit::MaxAttempts) if *attempts < MAX_ATTEMPTS_LIMIT => write!(
                f,
                "; raise --max-attempts (up to {MAX_ATTEMPTS_LIMIT}) to try longer"
            )?,
            Some(RetryLimit::MaxAttempts | RetryLimit::Deadline | RetryLimit::MaxRetryAfter) => {
                f.write_str("; try again later")?
            }
            _ => {}
        }
        write!(f, "); last error: {}", Described(last))
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
                message: "connection refused".into(),
                timed_out: false,
                source: None,
            }),
        }
    }

    #[test]
    fn giving_up_points_to_the_flag_and_rounds() {
        let text = message(&gave_up(4, GiveUpReason::MaxAttempts));
        assert!(
            text.starts_with(
                "gave up after 4 attempt(s) in 2.3s (maximum attempts reached; raise --max-attempts (up to 20) to try longer); last error: could not reach https://graph.example/x"
            ),
            "{text}"
        );
        assert!(!text.contains("RetryPolicy"), "{text}");
        assert!(!text.contains("345678"), "{text}");
    }

    #[test]
    fn no_flag_to_raise_means_try_later() {
        let text = message(&gave_up(20, GiveUpReason::MaxAttempts));
        assert!(
            text.contains("maximum attempts reached; try again later)"),
            "{text}"
        );
        let text = message(&gave_up(
            2,
            GiveUpReason::RetryAfterTooLong {
                requested: Duration::from_secs(600),
                cap: Duration::from_secs(60),
            },
        ));
        assert!(
            text.contains("the server asked to wait 10m, more than the 60s cap; try again later)"),
            "{text}"
        );
        assert!(!text.contains("RetryPolicy"), "{text}");
        let other = SdkError::InvalidInput("empty".into());
        assert_eq!(message(&other), other.to_string());
    }
}
