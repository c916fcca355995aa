//! The workload every client runs, and the answers it must get.
//!
//! The suite writes a [`Workload`] as JSON (`target/bench/workload.json`): the tenant type,
//! and a list of customers, each with the tenants the fake service's deterministic dataset
//! holds for it. Call `i` of a run asks for customer `i % len`. Every client (the SDK, the
//! bare client, the Python script) reads the same file and checks its answers against it
//! after the timed part, so checking costs nothing in the figures.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use avepoint_fake::{Dataset, SeatFilter, TenantKind};
use serde::{Deserialize, Serialize};

/// One tenant as the API sends it (the wire shape of `TenantUserSeats`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireTenant {
    /// Tenant id.
    pub id: String,
    /// Tenant name.
    pub name: String,
    /// Available user seats.
    #[serde(rename = "availableUserSeat")]
    pub available_user_seat: i64,
    /// Assigned user seats.
    #[serde(rename = "assignedUserSeat")]
    pub assigned_user_seat: i64,
}

impl From<avepoint_graph::raw::types::TenantUserSeats> for WireTenant {
    fn from(t: avepoint_graph::raw::types::TenantUserSeats) -> Self {
        Self {
            id: t.id,
            name: t.name,
            available_user_seat: t.available_user_seat,
            assigned_user_seat: t.assigned_user_seat,
        }
    }
}

/// A customer of the workload and the tenants the service must report for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadCustomer {
    /// Customer id.
    pub id: String,
    /// The expected answer: the customer's tenants of the workload's type, in order.
    pub tenants: Vec<WireTenant>,
}

/// The customers the clients call, with the expected answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// The API's tenant type code (`0` Microsoft 365 ... `3` Dynamics 365).
    pub tenant_type: i32,
    /// The customers, called round-robin.
    pub customers: Vec<WorkloadCustomer>,
}

impl Workload {
    /// The first `count` customers of `dataset` with their tenants of type `kind` (no seat
    /// filter), i.e. exactly what the fake serves for them.
    pub fn from_dataset(dataset: &Dataset, kind: TenantKind, count: usize) -> Self {
        let customers = dataset
            .customer_ids()
            .take(count)
            .map(|id| {
                let tenants = dataset
                    .seats(&id, kind, SeatFilter::All)
                    .unwrap_or_default()
                    .into_iter()
                    .map(WireTenant::from)
                    .collect();
                WorkloadCustomer { id, tenants }
            })
            .collect();
        Self {
            tenant_type: kind.code(),
            customers,
        }
    }

    /// Reads a workload file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let workload: Self = serde_json::from_slice(&text)
            .with_context(|| format!("parsing the workload {}", path.display()))?;
        if workload.customers.is_empty() {
            bail!("the workload {} has no customers", path.display());
        }
        Ok(workload)
    }

    /// Writes the workload file (creating its folder).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = serde_json::to_vec(self)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// The customer call `call` asks for (round-robin). Panics never: an empty workload is
    /// refused by [`Workload::load`], and `from_dataset` with `count == 0` yields `None`.
    pub fn customer(&self, call: usize) -> Option<&WorkloadCustomer> {
        if self.customers.is_empty() {
            None
        } else {
            self.customers.get(call % self.customers.len())
        }
    }
}
