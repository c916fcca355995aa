//! The run's customer counts (`customers`, `failed_customers`), taken by the writer as the
//! reports are written, so that marking the run's end need not sort every customer id of
//! the run (which takes as long as writing a few thousand reports, while the user waits).
//!
//! Reports of one customer normally come one after another (its tenant types in order),
//! and each customer once: the run then has as many customers as *blocks* of consecutive
//! reports of one customer, and as many failed customers as blocks with a failed report.
//! Whether a block's customer was seen before is asked of a Bloom filter of fixed size
//! (memory does not grow with the run): "no" is certain, so when it says "no" for every
//! block the counts are exact. A customer listed twice in the input (or a filter's false
//! positive, about 1 % of runs of 100,000 customers) makes the counts unknown, and they are
//! counted from the database instead, as before.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};

/// Bits of the filter (1 MiB).
const FILTER_BITS: usize = 1 << 23;

/// Bits set and tested per customer.
const HASHES: u64 = 5;

/// The counts of one run so far (see the module's documentation).
pub(crate) struct CustomerTally {
    /// The customer of the last report, and whether any report of its block failed.
    last: Option<(String, bool)>,
    /// Blocks so far.
    blocks: u64,
    /// Blocks with a failed report so far.
    failed_blocks: u64,
    /// The filter of the customers of the blocks so far; allocated with the first report.
    filter: Vec<u64>,
    /// Whether a block's customer may have had a block before.
    uncertain: bool,
}

impl CustomerTally {
    /// No reports yet.
    pub(crate) fn new() -> Self {
        Self {
            last: None,
            blocks: 0,
            failed_blocks: 0,
            filter: Vec::new(),
            uncertain: false,
        }
    }

    /// Counts one written report of `customer`, which failed or not.
    pub(crate) fn add(&mut self, customer: &str, failed: bool) {
        if let Some((id, block_failed)) = &mut self.last
            && id == customer
        {
            if failed && !*block_failed {
                *block_failed = true;
                self.failed_blocks += 1;
            }
            return;
        }
        self.blocks += 1;
        self.failed_blocks += u64::from(failed);
        if !self.uncertain && !self.insert(customer) {
            self.uncertain = true;
        }
        match &mut self.last {
            Some((id, block_failed)) => {
                id.clear();
                id.push_str(customer);
                *block_failed = failed;
            }
            None => self.last = Some((customer.to_owned(), failed)),
        }
    }

    /// `(customers, failed customers)` when they are known for certain.
    pub(crate) fn counts(&self) -> Option<(u64, u64)> {
        (!self.uncertain).then_some((self.blocks, self.failed_blocks))
    }

    /// Adds `customer` to the filter; whether it was certainly not in it.
    fn insert(&mut self, customer: &str) -> bool {
        if self.filter.is_empty() {
            self.filter = vec![0; FILTER_BITS / 64];
        }
        let mut hasher = DefaultHasher::new();
        customer.hash(&mut hasher);
        let hash = hasher.finish();
        // Double hashing: the i-th bit is h1 + i * h2 (h2 odd, so the bits differ).
        let (h1, h2) = (hash & 0xffff_ffff, (hash >> 32) | 1);
        let mut new = false;
        for i in 0..HASHES {
            let bit = (h1.wrapping_add(i.wrapping_mul(h2)) % FILTER_BITS as u64) as usize;
            let (word, mask) = (bit / 64, 1u64 << (bit % 64));
            if let Some(w) = self.filter.get_mut(word) {
                new |= *w & mask == 0;
                *w |= mask;
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_distinct_customers_are_counted_exactly() {
        let mut t = CustomerTally::new();
        assert_eq!(t.counts(), Some((0, 0)));
        for (customer, failed) in [
            ("a", false),
            ("a", true),
            ("a", true),
            ("b", false),
            ("c", true),
            ("c", false),
            ("d", false),
        ] {
            t.add(customer, failed);
        }
        assert_eq!(t.counts(), Some((4, 2)));
    }

    #[test]
    fn a_customer_seen_again_after_another_makes_the_counts_unknown() {
        let mut t = CustomerTally::new();
        for customer in ["a", "b", "a"] {
            t.add(customer, false);
        }
        assert_eq!(t.counts(), None);
    }

    #[test]
    fn many_distinct_customers_stay_certain() {
        let mut t = CustomerTally::new();
        for i in 0..20_000u32 {
            let id = format!("{i:08x}-0000-4000-8000-{i:012x}");
            t.add(&id, i % 1000 == 0);
            t.add(&id, false);
        }
        assert_eq!(t.counts(), Some((20_000, 20)));
    }
}
