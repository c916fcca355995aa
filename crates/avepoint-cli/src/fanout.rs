//! The concurrent fan-out every per-customer command shares: at most `concurrency` entries
//! of the input in flight, each outcome handed over in input order (finished entries wait
//! in a bounded window for slower earlier ones) or as it arrives. Ctrl-C or SIGTERM, or an
//! outcome that makes further calls pointless (the API refused the token), stops the run with
//! what was fetched still handed over and the entries left unreported named.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;

use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt as _};

use crate::cli::Order;
use crate::shutdown::{self, Stop};

/// How many finished entries may wait for an earlier, slower one in `--order input`, per
/// unit of concurrency. Bounds memory while keeping every slot busy behind a slow customer.
pub(crate) const REORDER_WINDOW_PER_SLOT: u64 = 64;

/// How the fan-out ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Every entry of the input was fetched and handed over.
    Complete,
    /// Ctrl-C or SIGTERM: the entries fetched so far were handed over, the rest dropped.
    Stopped(Stop),
    /// `arrived` asked to stop (e.g. the API refused the token): the entries fetched so far
    /// were handed over, the rest dropped.
    Halted,
}

/// What `arrived` says after an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on.
    Continue,
    /// Stop starting new entries and end the run ([`Ended::Halted`]).
    Halt,
}

/// How a fan-out ended, and which started entries were never handed over.
pub(crate) struct Outcome {
    /// Why it ended.
    pub(crate) ended: Ended,
    /// The labels (see [`run`]'s `label`) of the entries started but not handed over, in
    /// input order: empty after a complete run.
    pub(crate) unreported: Vec<String>,
}

/// Fetches every entry of `input` with `fetch(seq, entry)` (`seq` is the entry's position,
/// from 0), at most `concurrency` at a time; calls `arrived` as each outcome arrives and
/// `report` with each in the chosen `order`. `label` names an entry for the list of those
/// left unreported when the run stops early (`None`: not worth naming). A `report` error
/// (e.g. a closed stdout) stops the run and is returned.
pub(crate) async fn run<W, D, F, Fut>(
    mut input: impl Stream<Item = W> + Unpin,
    concurrency: usize,
    order: Order,
    fetch: F,
    label: impl Fn(&W) -> Option<String>,
    mut arrived: impl FnMut(&D) -> Flow,
    mut report: impl FnMut(D) -> io::Result<()>,
) -> io::Result<Outcome>
where
    F: Fn(u64, W) -> Fut,
    Fut: Future<Output = D>,
{
    let concurrency = concurrency.max(1);
    let window = REORDER_WINDOW_PER_SLOT * concurrency as u64;
    let mut input_done = false;
    let mut in_flight = FuturesUnordered::new();
    let mut waiting: BTreeMap<u64, D> = BTreeMap::new();
    // The entries started and not handed over yet, to name them if the run stops early.
    let mut unreported: BTreeMap<u64, String> = BTreeMap::new();
    let (mut started, mut next_out) = (0u64, 0u64);
    let mut ended = Ended::Complete;
    // Ctrl-C or SIGTERM stops the fan-out; what was fetched is handed over.
    let stop = shutdown::requested();
    tokio::pin!(stop);
    let mut watch_stop = true;
    loop {
        // Done: `else` below never fires while the stop branch is still armed.
        if input_done && in_flight.is_empty() {
            break;
        }
        let room = in_flight.len() < concurrency
            && (order == Order::Arrival || started - next_out < window);
        tokio::select! {
            biased;
            Some((seq, done)) = in_flight.next(), if !in_flight.is_empty() => {
                let flow = arrived(&done);
                match order {
                    Order::Arrival => {
                        unreported.remove(&seq);
                        report(done)?;
                    }
                    Order::Input => {
                        waiting.insert(seq, done);
                        while let Some(done) = waiting.remove(&next_out) {
                            unreported.remove(&next_out);
                            report(done)?;
                            next_out += 1;
                        }
                    }
                }
                if flow == Flow::Halt {
                    ended = Ended::Halted;
                    break;
                }
            }
            // Cancel-safe: the input streams keep their pending read or page fetch.
            entry = input.next(), if room && !input_done => match entry {
                Some(entry) => {
                    let seq = started;
                    if let Some(name) = label(&entry) {
                        unreported.insert(seq, name);
                    }
                    let fetching = fetch(seq, entry);
                    in_flight.push(async move { (seq, fetching.await) });
                    started += 1;
                }
                None => input_done = true,
            },
            signal = &mut stop, if watch_stop => {
                if let Some(signal) = signal {
                    ended = Ended::Stopped(signal);
                    break;
                }
                // No signal handler: keep going without one.
                watch_stop = false;
            }
            else => break,
        }
    }
    drop(in_flight);
    // After a complete run nothing is left. After a stop, the entries that finished while an
    // earlier one was still running are handed over, in input order.
    for (seq, done) in std::mem::take(&mut waiting) {
        unreported.remove(&seq);
        report(done)?;
    }
    Ok(Outcome {
        ended,
        unreported: unreported.into_values().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn outcomes(order: Order) -> Vec<u64> {
        let input = futures::stream::iter(0u64..20);
        let mut out = Vec::new();
        let outcome = run(
            input,
            4,
            order,
            |_, n| async move {
                // Later entries finish first.
                tokio::time::sleep(Duration::from_millis(20 - n)).await;
                n
            },
            |n| Some(n.to_string()),
            |_| Flow::Continue,
            |n| {
                out.push(n);
                Ok(())
            },
        )
        .await
        .expect("no report error");
        assert_eq!(outcome.ended, Ended::Complete);
        assert!(outcome.unreported.is_empty());
        out
    }

    #[tokio::test]
    async fn input_order_is_kept_and_arrival_order_is_not() {
        let expected: Vec<u64> = (0..20).collect();
        assert_eq!(outcomes(Order::Input).await, expected);
        let mut arrival = outcomes(Order::Arrival).await;
        assert_ne!(arrival, expected);
        arrival.sort_unstable();
        assert_eq!(arrival, expected);
    }
}
