//! `avepoint overview`: each customer's seat overview per tenant type (available and
//! assigned user seats summed over its tenants of the type), one row per customer x type.
//! With `--all-types` a type the service answers `404` for is left out (as `products
//! --all-products` does); a type named with `--tenant-type` must answer.

use avepoint_graph::TenantType;
use clap::{ArgGroup, Args};
use futures::future::try_join_all;
use serde_json::json;

use crate::per_customer::{Calls, Licensing, Rows, found};
use crate::rows::Column;
use crate::selection::SelectionArgs;
use crate::work::CustomerRef;

/// `avepoint overview`. Exactly one of `--tenant-type` and `--all-types`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("types").required(true).multiple(false)))]
pub(crate) struct OverviewArgs {
    /// The tenant type: m365, salesforce, google or d365, or its number 0..3. Also accepted,
    /// in any case and with or without spaces, `-` or `_`: microsoft365, "Microsoft 365",
    /// office365, o365 (0); sf (1); googleworkspace, gws (2); dynamics365, dynamics (3).
    #[arg(short = 't', long, value_name = "TYPE", group = "types")]
    pub(crate) tenant_type: Option<TenantType>,

    /// Every tenant type: m365, salesforce, google and d365, in that order.
    #[arg(long, group = "types")]
    pub(crate) all_types: bool,

    /// Customers, output, concurrency and connection.
    #[command(flatten)]
    pub(crate) selection: SelectionArgs,
}

/// The command: the tenant types to report, and whether a 404 leaves a type out.
pub(crate) struct Overview {
    types: Vec<TenantType>,
    skip_not_found: bool,
}

impl Overview {
    /// The command for `args` (the selection is run by [`crate::per_customer::run`]).
    pub(crate) fn new(tenant_type: Option<TenantType>, all_types: bool) -> Self {
        match tenant_type {
            Some(t) if !all_types => Self {
                types: vec![t],
                skip_not_found: false,
            },
            _ => Self {
                types: TenantType::ALL.to_vec(),
                skip_not_found: true,
            },
        }
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
        let skip_not_found = self.skip_not_found;
        let overviews = try_join_all(self.types.iter().map(|&t| async move {
            let overview = calls
                .call(calls.client.seat_overview(&customer.id, t))
                .await;
            found(overview, skip_not_found).map(|o| o.map(|o| (t, o)))
        }))
        .await?;
        let rows = overviews
            .into_iter()
            .flatten()
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
