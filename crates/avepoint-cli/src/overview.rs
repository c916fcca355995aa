//! `avepoint overview`: each customer's seat overview per tenant type (available and
//! assigned user seats summed over its tenants of the type), one row per customer x type.

use avepoint_graph::TenantType;
use clap::{ArgGroup, Args};
use futures::future::try_join_all;
use serde_json::json;

use crate::per_customer::{Calls, Licensing, Rows};
use crate::rows::Column;
use crate::selection::SelectionArgs;
use crate::work::CustomerRef;

/// `avepoint overview`. Exactly one of `--tenant-type` and `--all-types`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("types").required(true).multiple(false)))]
pub(crate) struct OverviewArgs {
    /// The tenant type: m365, salesforce, google, d365 (or 0..3).
    #[arg(short = 't', long, value_name = "TYPE", group = "types")]
    pub(crate) tenant_type: Option<TenantType>,

    /// Every tenant type: m365, salesforce, google and d365, in that order.
    #[arg(long, group = "types")]
    pub(crate) all_types: bool,

    /// Customers, output, concurrency and connection.
    #[command(flatten)]
    pub(crate) selection: SelectionArgs,
}

/// The command: the tenant types to report.
pub(crate) struct Overview {
    types: Vec<TenantType>,
}

impl Overview {
    /// The command for `args` (the selection is run by [`crate::per_customer::run`]).
    pub(crate) fn new(tenant_type: Option<TenantType>, all_types: bool) -> Self {
        let types = match tenant_type {
            Some(t) if !all_types => vec![t],
            _ => TenantType::ALL.to_vec(),
        };
        Self { types }
    }
}

impl Licensing for Overview {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::text("customerId", "CUSTOMER"),
            Column::text("tenantType", "TYPE"),
            Column::count("availableUserSeat", "AVAILABLE"),
            Column::count("assignedUserSeat", "ASSIGNED"),
        ]
    }

    async fn fetch(
        &self,
        calls: &Calls,
        customer: &CustomerRef,
    ) -> Result<Rows, avepoint_graph::Error> {
        let overviews = try_join_all(self.types.iter().map(|&t| async move {
            let overview = calls
                .call(calls.client.seat_overview(&customer.id, t))
                .await?;
            Ok::<_, avepoint_graph::Error>((t, overview))
        }))
        .await?;
        let rows = overviews
            .into_iter()
            .map(|(t, o)| {
                vec![
                    json!(customer.id),
                    json!(t.short_name()),
                    json!(o.available_seats),
                    json!(o.assigned_seats),
                ]
            })
            .collect();
        Ok(Rows {
            rows,
            warnings: Vec::new(),
        })
    }
}
