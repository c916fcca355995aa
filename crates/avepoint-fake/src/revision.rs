//! Seat changes over time, so that two runs of a client can see something change.
//!
//! Revision 0 is a dataset as built. Each later revision changes about two customers in
//! three, deterministically (from the revision and the customer id alone, so a lookup
//! stays O(1) and nothing is stored): seats are assigned or released on one tenant,
//! seats are bought (more available), a tenant is added, or a tenant is removed. Revisions
//! are cumulative: revision 2 is revision 1 changed once more. Set it at start
//! (`--revision N`, [`crate::Dataset::with_revision`]) or while serving
//! ([`crate::FakeControl::set_revision`]).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::dataset::{Customer, SplitMix, Tenant, TenantKind};

/// The revision a dataset serves; cloning copies the current value.
#[derive(Debug, Default)]
pub(crate) struct Revision(AtomicU64);

impl Revision {
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, revision: u64) {
        self.0.store(revision, Ordering::Relaxed);
    }
}

impl Clone for Revision {
    fn clone(&self) -> Self {
        Self(AtomicU64::new(self.get()))
    }
}

/// `customer` as of `revision` (every change of revisions 1..=revision applied in turn).
pub fn revise(customer: &Customer, revision: u64) -> Customer {
    let mut customer = customer.clone();
    for r in 1..=revision {
        change_once(&mut customer, r);
    }
    customer
}

/// Mixed into every revision's generator: picked so that revision 1 of the demo data shows
/// each kind of change (seats assigned and released, a tenant added, a tenant removed).
const SALT: u64 = 59;

/// A stable 64-bit hash of a string (FNV-1a).
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The changes of revision `r` to `customer`.
fn change_once(customer: &mut Customer, r: u64) {
    let mut rng = SplitMix(hash(&customer.id) ^ r.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ SALT);
    if rng.below(3) == 0 || customer.tenants.is_empty() {
        return;
    }
    let n = customer.tenants.len() as u64;
    let pick = rng.below(n) as usize;
    match rng.below(8) {
        // Seats assigned from the available ones (or released, when none are available).
        0..=3 => {
            let t = &mut customer.tenants[pick];
            let k = 1 + rng.below(10) as u32;
            if t.available_user_seats >= k {
                t.available_user_seats -= k;
                t.assigned_user_seats += k;
            } else {
                let k = k.min(t.assigned_user_seats);
                t.assigned_user_seats -= k;
                t.available_user_seats += k;
            }
        }
        // Seats bought.
        4 | 5 => {
            customer.tenants[pick].available_user_seats += 5 * (1 + rng.below(4) as u32);
        }
        // A tenant added, of the type of an existing one.
        6 => {
            let kind = customer.tenants[pick].kind;
            let base = customer.tenants[pick].name.clone();
            // A version-4 GUID from five draws (the draws keep revisions reproducible).
            let (d1, d2, d3, d4, d5) = (rng.next(), rng.next(), rng.next(), rng.next(), rng.next());
            let mut tail = [0u8; 8];
            tail[..2].copy_from_slice(&(0xa000 | (d4 & 0x0fff) as u16).to_be_bytes());
            tail[2..].copy_from_slice(&d5.to_be_bytes()[2..]);
            let id = uuid::Uuid::from_fields(
                (d1 >> 32) as u32,
                d2 as u16,
                0x4000 | (d3 & 0x0fff) as u16,
                &tail,
            )
            .to_string();
            let name = match kind {
                TenantKind::Salesforce | TenantKind::Dynamics365 => format!("sandbox{r}-{base}"),
                _ => format!("new{r}-{base}"),
            };
            customer.tenants.push(Tenant::new(
                id,
                name,
                kind,
                10 * (1 + rng.below(5) as u32),
                0,
            ));
        }
        // A tenant removed (never the last one).
        _ => {
            if n > 1 {
                customer.tenants.remove(pick);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dataset;

    #[test]
    fn revision_zero_is_the_dataset_and_later_ones_change_some_customers() {
        let demo = Dataset::demo();
        let customers: Vec<Customer> = demo.customers().map(|c| c.into_owned()).collect();
        for c in &customers {
            assert_eq!(&revise(c, 0), c);
            assert_eq!(revise(c, 1), revise(c, 1), "deterministic");
        }
        let changed = customers.iter().filter(|c| revise(c, 1) != **c).count();
        assert!(
            changed >= 2 && changed < customers.len(),
            "{changed} changed"
        );
        let generated = Dataset::generated(300, 5);
        let changed = generated
            .customers()
            .filter(|c| revise(c, 1) != **c)
            .count();
        assert!((150..=250).contains(&changed), "{changed} of 300 changed");
        let two = customers
            .iter()
            .filter(|c| revise(c, 2) != revise(c, 1))
            .count();
        assert!(two > 0, "revision 2 changes more");
    }
}
