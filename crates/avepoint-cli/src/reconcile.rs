//! `avepoint reconcile`: for each customer and tenant type, the users assigned on its
//! tenants (the seat overview's `assignedUserSeat`) against the seats it holds of the
//! matching AvePoint backup product (the product seats' `availableUserSeat`), with a status
//! per pair. A `404` from either side counts as 0; pairs where both sides are 0 are left
//! out.

use std::collections::BTreeMap;

use avepoint_graph::{ProductType, TenantType};
use clap::{ArgGroup, Args, ValueEnum};
use futures::future::try_join_all;
use serde_json::json;

use crate::per_customer::{Calls, Licensing, Rows, found, is_not_found, value};
use crate::rows::{Column, Footer, Row};
use crate::selection::SelectionArgs;
use crate::work::CustomerRef;

/// The status of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub(crate) enum ReconcileStatus {
    /// Covered, without too many idle seats.
    Ok,
    /// Some seats, fewer than the assigned users.
    Under,
    /// Unused seats beyond --idle-percent of the seats held.
    Idle,
    /// Assigned users and no seats of the backup product.
    Unlicensed,
}

impl ReconcileStatus {
    /// Every status, in the order the table counts them.
    const ALL: [ReconcileStatus; 4] = [Self::Ok, Self::Under, Self::Idle, Self::Unlicensed];

    /// The name in output and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Under => "under",
            Self::Idle => "idle",
            Self::Unlicensed => "unlicensed",
        }
    }

    /// The status of `assigned` users against `purchased` seats; `None` when both are 0.
    /// `idle_percent` is the share of the seats that may sit unused.
    pub(crate) fn of(assigned: u64, purchased: u64, idle_percent: f64) -> Option<Self> {
        Some(match (assigned, purchased) {
            (0, 0) => return None,
            (_, 0) => Self::Unlicensed,
            (a, p) if p < a => Self::Under,
            (a, p) if (p - a) as f64 > idle_percent / 100.0 * p as f64 => Self::Idle,
            _ => Self::Ok,
        })
    }
}

/// `avepoint reconcile`. At most one of `--tenant-type` and `--all-types` (the default is
/// every type).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("types").required(false).multiple(false)))]
pub(crate) struct ReconcileArgs {
    /// Only this tenant type and its backup product: m365, salesforce, google or d365, or its
    /// number 0..3. Also accepted,
    /// in any case and with or without spaces, `-` or `_`: microsoft365, "Microsoft 365",
    /// office365, o365 (0); sf (1); googleworkspace, gws (2); dynamics365, dynamics (3).
    #[arg(short = 't', long, value_name = "TYPE", group = "types")]
    pub(crate) tenant_type: Option<TenantType>,

    /// Every tenant type with its backup product (the default).
    #[arg(long, group = "types")]
    pub(crate) all_types: bool,

    /// A pair is `idle` when more than P % of the seats held are unused (0..=100).
    #[arg(long, value_name = "P", default_value_t = 20.0, value_parser = parse_percent)]
    pub(crate) idle_percent: f64,

    /// Exit with 4 when any row has one of these statuses (ok, under, idle, unlicensed;
    /// comma-separated or repeated). A failed customer (exit 1) takes precedence.
    #[arg(
        long,
        value_name = "STATUS[,STATUS...]",
        value_enum,
        value_delimiter = ','
    )]
    pub(crate) fail_on: Vec<ReconcileStatus>,

    /// Customers, output, concurrency and connection.
    #[command(flatten)]
    pub(crate) selection: SelectionArgs,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage between 0 and 100")),
    }
}

/// The command: the pairs to check, the idle threshold and the statuses that fail the run.
pub(crate) struct Reconcile {
    types: Vec<TenantType>,
    idle_percent: f64,
    fail_on: Vec<ReconcileStatus>,
}

impl Reconcile {
    /// The command for the parsed flags.
    pub(crate) fn new(
        tenant_type: Option<TenantType>,
        idle_percent: f64,
        fail_on: Vec<ReconcileStatus>,
    ) -> Self {
        Self {
            types: tenant_type.map_or_else(|| TenantType::ALL.to_vec(), |t| vec![t]),
            idle_percent,
            fail_on,
        }
    }
}

/// A side of a pair: the count, or 0 when the service answers 404.
fn or_zero<T>(
    result: Result<T, avepoint_graph::Error>,
    count: impl FnOnce(T) -> u64,
) -> Result<u64, avepoint_graph::Error> {
    Ok(found(result, true)?.map_or(0, count))
}

impl Licensing for Reconcile {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::text("customerId", "CUSTOMER"),
            Column::text("tenantType", "TYPE"),
            Column::number("productType", "PRODUCT"),
            Column::count("assignedUserSeat", "ASSIGNED"),
            Column::count("purchasedUserSeat", "PURCHASED"),
            Column::count("gap", "GAP"),
            Column::text("status", "STATUS"),
        ]
    }

    async fn fetch(
        &self,
        calls: &Calls,
        customer: &CustomerRef,
    ) -> Result<Rows, avepoint_graph::Error> {
        let id = customer.id.as_str();
        let pairs = try_join_all(self.types.iter().map(|&t| async move {
            let product = ProductType::backup_for(t);
            let (assigned, purchased) = futures::join!(
                calls.call(calls.client.seat_overview(id, t)),
                calls.call(calls.client.product_seats(id, product)),
            );
            let overview_missing = assigned.as_ref().is_err_and(is_not_found);
            let assigned = or_zero(assigned, |o| o.assigned_seats)?;
            let purchased = or_zero(purchased, |s| s.available_seats)?;
            Ok::<_, avepoint_graph::Error>((t, product, assigned, purchased, overview_missing))
        }))
        .await?;
        let mut warnings = Vec::new();
        if pairs.iter().all(|pair| pair.4) {
            warnings.push(
                "the seat overview answered 404 for every tenant type (counted as 0); check the customer id"
                    .to_owned(),
            );
        }
        let rows = pairs
            .into_iter()
            .filter_map(|(t, product, assigned, purchased, _)| {
                let status = ReconcileStatus::of(assigned, purchased, self.idle_percent)?;
                let gap = i128::from(purchased) - i128::from(assigned);
                Some(vec![
                    json!(id),
                    json!(t.short_name()),
                    json!(product.code()),
                    json!(assigned),
                    json!(purchased),
                    json!(i64::try_from(gap).unwrap_or(i64::MIN)),
                    json!(status.name()),
                ])
            })
            .collect();
        Ok(Rows { rows, warnings })
    }

    /// The counts per status.
    fn footer(&self) -> Footer {
        Box::new(|columns, rows| {
            let mut counts: BTreeMap<ReconcileStatus, u64> =
                ReconcileStatus::ALL.iter().map(|&s| (s, 0)).collect();
            for row in rows {
                if let Some(status) = status_of(columns, row) {
                    *counts.entry(status).or_default() += 1;
                }
            }
            let counts: Vec<String> = counts
                .into_iter()
                .map(|(s, n)| format!("{n} {}", s.name()))
                .collect();
            vec![format!("status: {}", counts.join(", "))]
        })
    }

    fn is_finding(&self, columns: &[Column], row: &Row) -> bool {
        status_of(columns, row).is_some_and(|s| self.fail_on.contains(&s))
    }
}

fn status_of(columns: &[Column], row: &Row) -> Option<ReconcileStatus> {
    let name = value(columns, row, "status")?.as_str()?;
    ReconcileStatus::ALL.into_iter().find(|s| s.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_rules() {
        let of = |a, p| ReconcileStatus::of(a, p, 20.0);
        assert_eq!(of(0, 0), None);
        assert_eq!(of(5, 0), Some(ReconcileStatus::Unlicensed));
        assert_eq!(of(10, 9), Some(ReconcileStatus::Under));
        assert_eq!(of(10, 10), Some(ReconcileStatus::Ok));
        // 20 % of 100 may sit unused; 21 may not.
        assert_eq!(of(80, 100), Some(ReconcileStatus::Ok));
        assert_eq!(of(79, 100), Some(ReconcileStatus::Idle));
        assert_eq!(of(0, 10), Some(ReconcileStatus::Idle));
        assert_eq!(ReconcileStatus::of(0, 10, 100.0), Some(ReconcileStatus::Ok));
        assert_eq!(
            ReconcileStatus::of(99, 100, 0.0),
            Some(ReconcileStatus::Idle)
        );
    }

    #[test]
    fn percentages_are_bounded() {
        assert_eq!(parse_percent("12.5"), Ok(12.5));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("-1").is_err());
        assert!(parse_percent("x").is_err());
    }
}
