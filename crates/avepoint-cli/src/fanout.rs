//! The concurrent fan-out every per-customer command shares: at most `concurrency` entries
//! of the input in flight, each outcome handed over in input order (finished entries wait
//! in a bounded window for slower earlier ones) or as it arrives, and Ctrl-C stopping the
//! run with what was fetched still handed over.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;

use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt as _};

use crate::cli::Order;

/// How many finished entries may wait for an earlier, slower one in `--order input`, per
/// unit of concurrency. Bounds memory while keeping every slot busy behind a slow customer.
pub(crate) const REORDER_WINDOW_PER_SLOT: u64 = 64;

/// How the fan-out ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Every entry of the input was fetched and handed over.
    Complete,
    /// Ctrl-C: the entries fetched so far were handed over, the rest dropped.
    Interrupted,
}

/// Fetches every entry of `input` with `fetch(seq, entry)` (`seq` is the entry's position,
/// from 0), at most `concurrency` at a time; calls `arrived` as each outcome arrives and
/// `report` with each in the chosen `order`. A `report` error (e.g. a closed stdout) stops
/// the run and is returned.
pub(crate) async fn run<W, D, F, Fut>(
    mut input: impl Stream<Item = W> + Unpin,
    concurrency: usize,
    order: Order,
    fetch: F,
    mut arrived: impl FnMut(&D),
    mut report: impl FnMut(D) -> io::Result<()>,
) -> io::Result<Ended>
where
    F: Fn(u64, W) -> Fut,
    Fut: Future<Output = D>,
{
    let concurrency = concurrency.max(1);
    let window = REORDER_WINDOW_PER_SLOT * concurrency as u64;
    let mut input_done = false;
    let mut in_flight = FuturesUnordered::new();
    let mut waiting: BTreeMap<u64, D> = BTreeMap::new();
    let (mut started, mut next_out) = (0u64, 0u64);
    let mut ended = Ended::Complete;
    // Ctrl-C stops the fan-out; what was fetched is handed over.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut watch_ctrl_c = true;
    loop {
        // Done: `else` below never fires while the Ctrl-C branch is still armed.
        if input_done && in_flight.is_empty() {
            break;
        }
        let room = in_flight.len() < concurrency
            && (order == Order::Arrival || started - next_out < window);
        tokio::select! {
            biased;
            Some((seq, done)) = in_flight.next(), if !in_flight.is_empty() => {
                arrived(&done);
                match order {
                    Order::Arrival => report(done)?,
                    Order::Input => {
                        waiting.insert(seq, done);
                        while let Some(done) = waiting.remove(&next_out) {
                            report(done)?;
                            next_out += 1;
                        }
                    }
                }
            }
            // Cancel-safe: the input streams keep their pending read or page fetch.
            entry = input.next(), if room && !input_done => match entry {
                Some(entry) => {
                    let seq = started;
                    let fetching = fetch(seq, entry);
                    in_flight.push(async move { (seq, fetching.await) });
                    started += 1;
                }
                None => input_done = true,
            },
            signal = &mut ctrl_c, if watch_ctrl_c => {
                if signal.is_ok() {
                    ended = Ended::Interrupted;
                    break;
                }
                // No signal handler: keep going without one.
                watch_ctrl_c = false;
            }
            else => break,
        }
    }
    drop(in_flight);
    // Sequence numbers are contiguous, so nothing is left; flush defensively anyway.
    for (_, done) in std::mem::take(&mut waiting) {
        report(done)?;
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn outcomes(order: Order) -> Vec<u64> {
        let input = futures::stream::iter(0u64..20);
        let mut out = Vec::new();
        let ended = run(
            input,
            4,
            order,
            |_, n| async move {
                // Later entries finish first.
                tokio::time::sleep(Duration::from_millis(20 - n)).await;
                n
            },
            |_| {},
            |n| {
                out.push(n);
                Ok(())
            },
        )
        .await
        .expect("no report error");
        assert_eq!(ended, Ended::Complete);
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
