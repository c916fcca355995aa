//! A customer's services (`GET …/customers/{customerId}/services`): its AvePoint
//! subscriptions.
//!
//! Every field of a service product is a string on the wire, numbers and dates included,
//! and `"N/A"` stands for "no value". Each field becomes a [`ServiceField`] that keeps the
//! string the service sent next to the parsed value: counts as integers, capacities as
//! bytes, dates as [`time::Date`]. A value that does not parse is kept raw, reported (a
//! `tracing` warning and [`ServiceProduct::unparsable`]) and never fails the call.

use avepoint_graph_raw::types as raw;
use time::{Date, Month};

use crate::client::Client;
use crate::error::Error;
use crate::operation::{self, Operation, Scopes, StatusHints};
use crate::products::ProductType;

/// `GET .../customers/{customerId}/services`.
pub(crate) static OPERATION: Operation = Operation {
    name: "retrieve_customer_services",
    scopes: Scopes::License,
    hints: StatusHints::LICENSE,
    paged: false,
};

/// The string that stands for "no value" in every field.
pub const NOT_APPLICABLE: &str = "N/A";

/// One field of a service product: what the service sent and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceField<T> {
    raw: Option<String>,
    value: Option<T>,
}

impl<T> ServiceField<T> {
    /// Parses `raw` with `parse`; absent, `null`, empty and `"N/A"` mean no value.
    fn parse(raw: Option<String>, parse: impl FnOnce(&str) -> Option<T>) -> Self {
        let value = raw
            .as_deref()
            .map(str::trim)
            .filter(|s| !is_no_value(s))
            .and_then(parse);
        Self { raw, value }
    }

    /// The string the service sent (`"N/A"` included); `None` when the field was absent or
    /// `null`.
    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// The parsed value; `None` for no value (absent, `null`, empty, `"N/A"`) and for a
    /// value that did not parse (see [`ServiceField::is_unparsable`]).
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// Whether the service sent a value (not `"N/A"`) that did not parse; [`raw`](Self::raw)
    /// has it.
    pub fn is_unparsable(&self) -> bool {
        self.value.is_none() && self.raw.as_deref().is_some_and(|s| !is_no_value(s.trim()))
    }
}

fn is_no_value(s: &str) -> bool {
    s.is_empty() || s.eq_ignore_ascii_case(NOT_APPLICABLE)
}

/// Used and total storage of a capacity such as `"0/1 GB"`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capacity {
    /// The storage used, in bytes.
    pub used_bytes: u64,
    /// The storage purchased, in bytes.
    pub total_bytes: u64,
}

/// One AvePoint service (subscription) of a customer. Fields are named as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ServiceProduct {
    /// `service`: the product name (e.g. `Cloud Backup for Microsoft 365`).
    pub service: ServiceField<String>,
    /// `subscriptionModel`.
    pub subscription_model: ServiceField<String>,
    /// `purchasedUserSeats`: user seats purchased.
    pub purchased_user_seats: ServiceField<u64>,
    /// `purchasedUnits`: units purchased.
    pub purchased_units: ServiceField<u64>,
    /// `microsoftLicenseAssigned`: Microsoft licenses assigned.
    pub microsoft_license_assigned: ServiceField<u64>,
    /// `microsoftLicenseAvailable`: Microsoft licenses available.
    pub microsoft_license_available: ServiceField<u64>,
    /// `purchasedCapacity` (`"0/1 GB"`): used and purchased bytes.
    pub purchased_capacity: ServiceField<Capacity>,
    /// `protectedCapacity` (`"0 GB"`), in bytes.
    pub protected_capacity: ServiceField<u64>,
    /// `storage`.
    pub storage: ServiceField<String>,
    /// `retention`.
    pub retention: ServiceField<String>,
    /// `consumedStorage` (`"0 GB"`), in bytes.
    pub consumed_storage: ServiceField<u64>,
    /// `expirationDate` (`"2025/09/30"`).
    pub expiration_date: ServiceField<Date>,
    /// `change`.
    pub change: ServiceField<String>,
    /// `source` (e.g. `AvePoint subscription`).
    pub source: ServiceField<String>,
    /// `paymentType` (e.g. `Prepaid`).
    pub payment_type: ServiceField<String>,
    /// `subscriptionName`.
    pub subscription_name: ServiceField<String>,
    /// `package`.
    pub package: ServiceField<String>,
    /// `contractEndDate` (`"2025/09/30"`).
    pub contract_end_date: ServiceField<Date>,
}

/// A field whose value did not parse, by its wire name, with the string the service sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnparsableField {
    /// The wire name of the field (`expirationDate`, ...).
    pub field: &'static str,
    /// What the service sent.
    pub raw: String,
}

impl ServiceProduct {
    fn from_raw(p: raw::ServiceProduct) -> Self {
        Self {
            service: ServiceField::parse(p.service, text),
            subscription_model: ServiceField::parse(p.subscription_model, text),
            purchased_user_seats: ServiceField::parse(p.purchased_user_seats, count),
            purchased_units: ServiceField::parse(p.purchased_units, count),
            microsoft_license_assigned: ServiceField::parse(p.microsoft_license_assigned, count),
            microsoft_license_available: ServiceField::parse(p.microsoft_license_available, count),
            purchased_capacity: ServiceField::parse(p.purchased_capacity, capacity),
            protected_capacity: ServiceField::parse(p.protected_capacity, bytes),
            storage: ServiceField::parse(p.storage, text),
            retention: ServiceField::parse(p.retention, text),
            consumed_storage: ServiceField::parse(p.consumed_storage, bytes),
            expiration_date: ServiceField::parse(p.expiration_date, date),
            change: ServiceField::parse(p.change, text),
            source: ServiceField::parse(p.source, text),
            payment_type: ServiceField::parse(p.payment_type, text),
            subscription_name: ServiceField::parse(p.subscription_name, text),
            package: ServiceField::parse(p.package, text),
            contract_end_date: ServiceField::parse(p.contract_end_date, date),
        }
    }

    /// The AvePoint product of this service, when its `service` name is a known product's.
    pub fn product_type(&self) -> Option<ProductType> {
        self.service.value()?.parse().ok()
    }

    /// The fields whose value did not parse (kept raw), in wire order.
    pub fn unparsable(&self) -> Vec<UnparsableField> {
        fn check<T>(out: &mut Vec<UnparsableField>, field: &'static str, f: &ServiceField<T>) {
            if f.is_unparsable() {
                out.push(UnparsableField {
                    field,
                    raw: f.raw().unwrap_or_default().to_owned(),
                });
            }
        }
        let mut out = Vec::new();
        check(&mut out, "purchasedUserSeats", &self.purchased_user_seats);
        check(&mut out, "purchasedUnits", &self.purchased_units);
        check(
            &mut out,
            "microsoftLicenseAssigned",
            &self.microsoft_license_assigned,
        );
        check(
            &mut out,
            "microsoftLicenseAvailable",
            &self.microsoft_license_available,
        );
        check(&mut out, "purchasedCapacity", &self.purchased_capacity);
        check(&mut out, "protectedCapacity", &self.protected_capacity);
        check(&mut out, "consumedStorage", &self.consumed_storage);
        check(&mut out, "expirationDate", &self.expiration_date);
        check(&mut out, "contractEndDate", &self.contract_end_date);
        out
    }
}

/// A customer and its AvePoint services.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CustomerServices {
    /// `customerId` as the service sent it (`None` when absent).
    pub customer_id: Option<String>,
    /// `organization`: the organization name (`None` when absent, `null` or `"N/A"`).
    pub organization: Option<String>,
    /// `customer`: the e-mail address of the customer's owner (`None` when absent, `null` or
    /// `"N/A"`).
    pub owner_email: Option<String>,
    /// `products`: the services, in the order the service sent them.
    pub products: Vec<ServiceProduct>,
}

impl CustomerServices {
    fn from_raw(s: raw::CustomerServices) -> Self {
        let known = |v: Option<String>| v.filter(|s| !is_no_value(s.trim()));
        Self {
            customer_id: s.customer_id,
            organization: known(s.organization),
            owner_email: known(s.customer),
            products: s
                .products
                .unwrap_or_default()
                .into_iter()
                .map(ServiceProduct::from_raw)
                .collect(),
        }
    }
}

/// A service product read from its wire form (the generated type, every field a string), as
/// the SDK reads the service's answer: the way to build one outside the crate, since the type
/// is `#[non_exhaustive]`.
impl From<raw::ServiceProduct> for ServiceProduct {
    fn from(p: raw::ServiceProduct) -> Self {
        Self::from_raw(p)
    }
}

/// A customer's services read from their wire form (see `From<raw::ServiceProduct>`).
impl From<raw::CustomerServices> for CustomerServices {
    fn from(s: raw::CustomerServices) -> Self {
        Self::from_raw(s)
    }
}

fn text(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// A count: decimal digits, optionally with `,` thousands separators.
fn count(s: &str) -> Option<u64> {
    let digits: String = s.chars().filter(|&c| c != ',').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A unit's size in bytes (binary multiples: `1 GB` is 2^30 bytes, as AvePoint's console
/// counts storage).
fn unit_bytes(unit: &str) -> Option<u64> {
    let exp = match unit.to_ascii_uppercase().as_str() {
        "B" | "BYTES" => 0,
        "KB" | "KIB" => 1,
        "MB" | "MIB" => 2,
        "GB" | "GIB" => 3,
        "TB" | "TIB" => 4,
        "PB" | "PIB" => 5,
        _ => return None,
    };
    Some(1024u64.pow(exp))
}

/// A number (digits, optionally with a `.` fraction) times `unit` bytes, rounded.
fn scaled(number: &str, unit: u64) -> Option<u64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let valid = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !valid(whole) || !valid(fraction) || fraction.len() > 9 {
        return None;
    }
    let whole_bytes = whole.parse::<u64>().ok()?.checked_mul(unit)?;
    if fraction.is_empty() {
        return Some(whole_bytes);
    }
    let denominator = 10u128.pow(fraction.len() as u32);
    let numerator = fraction.parse::<u128>().ok()? * u128::from(unit);
    let fraction_bytes = u64::try_from((numerator + denominator / 2) / denominator).ok()?;
    whole_bytes.checked_add(fraction_bytes)
}

/// A size such as `"0 GB"`, `"1.5TB"` or `"512 B"`, in bytes.
fn bytes(s: &str) -> Option<u64> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    scaled(number.trim(), unit_bytes(unit.trim())?)
}

/// A capacity `"<used>/<total> <unit>"` (`"0/1 GB"`), or with a unit on each side
/// (`"512 MB/1 GB"`).
fn capacity(s: &str) -> Option<Capacity> {
    let (used, total) = s.split_once('/')?;
    let total_bytes = bytes(total.trim())?;
    let used = used.trim();
    let used_bytes = if used.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // The unit is written once, after the total.
        let unit = total
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        scaled(used, unit_bytes(unit.trim())?)?
    } else {
        bytes(used)?
    };
    Some(Capacity {
        used_bytes,
        total_bytes,
    })
}

/// A date `YYYY/MM/DD` (or `YYYY-MM-DD`).
fn date(s: &str) -> Option<Date> {
    let mut parts = s.split(['/', '-']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(y, 4..=4) || !digits(m, 1..=2) || !digits(d, 1..=2) {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

impl Client {
    /// The services (AvePoint subscriptions) of customer `customer_id`.
    ///
    /// Fields that do not parse are kept raw and reported (a `tracing` warning per field;
    /// see [`ServiceProduct::unparsable`]); they never fail the call.
    pub async fn services(&self, customer_id: &str) -> Result<CustomerServices, Error> {
        let span = tracing::info_span!(
            "avepoint.call",
            operation = OPERATION.name,
            customer_id = %customer_id,
        );
        let services = operation::call(
            self,
            &OPERATION,
            customer_id,
            span.clone(),
            |raw, customer: raw::RetrieveCustomerServicesCustomerId| async move {
                raw.retrieve_customer_services(&customer).await
            },
        )
        .await?;
        let services = CustomerServices::from_raw(services);
        let _enter = span.enter();
        for (index, product) in services.products.iter().enumerate() {
            for bad in product.unparsable() {
                tracing::warn!(
                    product = index,
                    field = bad.field,
                    value = %bad.raw.escape_debug(),
                    "a services field did not parse; it is kept as sent"
                );
            }
        }
        Ok(services)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_the_raw_string() {
        let na = ServiceField::parse(Some("N/A".into()), count);
        assert_eq!(
            (na.raw(), na.value(), na.is_unparsable()),
            (Some("N/A"), None, false)
        );
        let absent = ServiceField::parse(None, count);
        assert_eq!((absent.raw(), absent.is_unparsable()), (None, false));
        let ok = ServiceField::parse(Some(" 25 ".into()), count);
        assert_eq!((ok.raw(), ok.value()), (Some(" 25 "), Some(&25)));
        let bad = ServiceField::parse(Some("twenty".into()), count);
        assert_eq!(
            (bad.raw(), bad.value(), bad.is_unparsable()),
            (Some("twenty"), None, true)
        );
    }

    #[test]
    fn counts() {
        assert_eq!(count("0"), Some(0));
        assert_eq!(count("1,250"), Some(1250));
        for bad in ["-1", "1.5", "", "25 users", "99999999999999999999"] {
            assert_eq!(count(bad), None, "{bad}");
        }
    }

    #[test]
    fn sizes_and_capacities() {
        const GB: u64 = 1 << 30;
        assert_eq!(bytes("0 GB"), Some(0));
        assert_eq!(bytes("1 GB"), Some(GB));
        assert_eq!(bytes("1.5TB"), Some(1536 * GB));
        assert_eq!(bytes("512 b"), Some(512));
        for bad in ["GB", "1 XB", "1..2 GB", "-1 GB", "1"] {
            assert_eq!(bytes(bad), None, "{bad}");
        }
        assert_eq!(
            capacity("0/1 GB"),
            Some(Capacity {
                used_bytes: 0,
                total_bytes: GB
            })
        );
        assert_eq!(
            capacity("512 MB/2 GB"),
            Some(Capacity {
                used_bytes: GB / 2,
                total_bytes: 2 * GB
            })
        );
        assert_eq!(capacity("0.5/1 TB").map(|c| c.used_bytes), Some(512 * GB));
        for bad in ["1 GB", "a/1 GB", "1/", "1/2 XB"] {
            assert_eq!(capacity(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        let d = date("2025/09/30").expect("valid");
        assert_eq!(d.to_string(), "2025-09-30");
        assert_eq!(
            date("2025-9-1").map(|d| d.to_string()).as_deref(),
            Some("2025-09-01")
        );
        for bad in [
            "2025/02/30",
            "2025/13/01",
            "25/09/30",
            "2025/09/30/1",
            "soon",
            "2025/09",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn unparsable_fields_are_listed_by_wire_name() {
        let p = ServiceProduct::from_raw(raw::ServiceProduct {
            service: Some("Cloud Backup for Salesforce".into()),
            expiration_date: Some("someday".into()),
            purchased_user_seats: Some("N/A".into()),
            consumed_storage: Some("lots".into()),
            ..Default::default()
        });
        assert_eq!(
            p.product_type(),
            Some(ProductType::CloudBackupForSalesforce)
        );
        let fields: Vec<&str> = p.unparsable().iter().map(|u| u.field).collect();
        assert_eq!(fields, ["consumedStorage", "expirationDate"]);
        assert_eq!(p.expiration_date.raw(), Some("someday"));
    }
}
