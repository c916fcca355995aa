//! `avepoint services`: each customer's AvePoint subscriptions, one row per customer x
//! product, with the fields named as on the wire: `"N/A"` becomes `null`, counts become
//! numbers, dates `YYYY-MM-DD`; capacities stay as sent and gain byte columns. A value that
//! does not parse is written as sent and named in a warning on stderr (not a failure).

use std::time::{SystemTime, UNIX_EPOCH};

use avepoint_graph::{Date, ServiceField, ServiceProduct};
use clap::Args;
use serde_json::{Value, json};

use crate::per_customer::{Calls, Licensing, Rows};
use crate::rows::Column;
use crate::selection::SelectionArgs;
use crate::work::CustomerRef;

/// `avepoint services`.
#[derive(Debug, Args)]
pub(crate) struct ServicesArgs {
    /// Keep only products whose expirationDate is on or before today (UTC) + DAYS; products
    /// without an expiration date are left out.
    #[arg(long, value_name = "DAYS",
          value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub(crate) expiring_within: Option<u32>,

    /// Customers, output, concurrency and connection.
    #[command(flatten)]
    pub(crate) selection: SelectionArgs,
}

/// The command: the expiry cut-off, if any.
pub(crate) struct Services {
    expiring_by: Option<Date>,
}

impl Services {
    /// The command; `expiring_within` keeps products expiring on or before today + DAYS.
    pub(crate) fn new(expiring_within: Option<u32>) -> Self {
        Self {
            expiring_by: expiring_within.and_then(|days| {
                Date::from_julian_day(today().to_julian_day().checked_add(days as i32)?).ok()
            }),
        }
    }
}

/// Today's date in UTC.
fn today() -> Date {
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    i32::try_from(UNIX_EPOCH_JULIAN_DAY + days as i64)
        .ok()
        .and_then(|jd| Date::from_julian_day(jd).ok())
        .unwrap_or(Date::MIN)
}

/// A field as JSON: the parsed value, the string as sent when it did not parse, `null` for
/// no value.
fn field<T>(f: &ServiceField<T>, to_json: impl Fn(&T) -> Value) -> Value {
    match (f.value(), f.raw()) {
        (Some(v), _) => to_json(v),
        (None, Some(raw)) if f.is_unparsable() => json!(raw),
        _ => Value::Null,
    }
}

fn text(f: &ServiceField<String>) -> Value {
    field(f, |s| json!(s))
}

fn number(f: &ServiceField<u64>) -> Value {
    field(f, |n| json!(n))
}

fn date(f: &ServiceField<Date>) -> Value {
    field(f, |d| json!(d.to_string()))
}

/// A capacity field as sent (`null` for "N/A").
fn as_sent<T>(f: &ServiceField<T>) -> Value {
    if f.value().is_some() || f.is_unparsable() {
        f.raw().map_or(Value::Null, |raw| json!(raw))
    } else {
        Value::Null
    }
}

impl Licensing for Services {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::text("customerId", "CUSTOMER"),
            Column::text("organization", "ORGANIZATION"),
            Column::data("customer"),
            Column::text("service", "SERVICE"),
            Column::data("subscriptionModel"),
            Column::count("purchasedUserSeats", "SEATS"),
            Column::data("purchasedUnits"),
            Column::data("microsoftLicenseAssigned"),
            Column::data("microsoftLicenseAvailable"),
            Column::text("purchasedCapacity", "CAPACITY"),
            Column::data("purchasedCapacityUsedBytes"),
            Column::data("purchasedCapacityTotalBytes"),
            Column::data("protectedCapacity"),
            Column::data("protectedCapacityBytes"),
            Column::data("storage"),
            Column::data("retention"),
            Column::data("consumedStorage"),
            Column::data("consumedStorageBytes"),
            Column::text("expirationDate", "EXPIRES"),
            Column::data("change"),
            Column::text("source", "SOURCE"),
            Column::text("paymentType", "PAYMENT"),
            Column::data("subscriptionName"),
            Column::data("package"),
            Column::data("contractEndDate"),
        ]
    }

    /// The services carry their own `organization`.
    fn listing_organization(&self) -> bool {
        false
    }

    async fn fetch(
        &self,
        calls: &Calls,
        customer: &CustomerRef,
    ) -> Result<Rows, avepoint_graph::Error> {
        let services = calls.call(calls.client.services(&customer.id)).await?;
        let mut out = Rows::default();
        for product in &services.products {
            if let Some(by) = self.expiring_by
                && product.expiration_date.value().is_none_or(|d| *d > by)
            {
                continue;
            }
            for bad in product.unparsable() {
                out.warnings.push(format!(
                    "services field `{}` of {} is `{}`, which does not parse; written as sent",
                    bad.field,
                    product.service.raw().map_or_else(
                        || "a product".to_owned(),
                        |s| format!("`{}`", s.escape_debug())
                    ),
                    bad.raw.escape_debug()
                ));
            }
            out.rows.push(row(
                &customer.id,
                services.organization.as_deref(),
                services.owner_email.as_deref(),
                product,
            ));
        }
        Ok(out)
    }
}

fn row(
    id: &str,
    organization: Option<&str>,
    owner: Option<&str>,
    p: &ServiceProduct,
) -> Vec<Value> {
    let capacity = p.purchased_capacity.value();
    vec![
        json!(id),
        organization.map_or(Value::Null, |o| json!(o)),
        owner.map_or(Value::Null, |o| json!(o)),
        text(&p.service),
        text(&p.subscription_model),
        number(&p.purchased_user_seats),
        number(&p.purchased_units),
        number(&p.microsoft_license_assigned),
        number(&p.microsoft_license_available),
        as_sent(&p.purchased_capacity),
        capacity.map_or(Value::Null, |c| json!(c.used_bytes)),
        capacity.map_or(Value::Null, |c| json!(c.total_bytes)),
        as_sent(&p.protected_capacity),
        p.protected_capacity
            .value()
            .map_or(Value::Null, |b| json!(b)),
        text(&p.storage),
        text(&p.retention),
        as_sent(&p.consumed_storage),
        p.consumed_storage.value().map_or(Value::Null, |b| json!(b)),
        date(&p.expiration_date),
        text(&p.change),
        text(&p.source),
        text(&p.payment_type),
        text(&p.subscription_name),
        text(&p.package),
        date(&p.contract_end_date),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_plausible_date() {
        assert!(today().year() >= 2024);
    }

    #[test]
    fn expiry_cut_off_is_today_plus_days() {
        let s = Services::new(Some(10));
        let by = s.expiring_by.expect("a cut-off");
        assert_eq!(by.to_julian_day() - today().to_julian_day(), 10);
        assert!(Services::new(None).expiring_by.is_none());
    }
}
