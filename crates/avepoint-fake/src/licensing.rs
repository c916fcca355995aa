//! The licensing family: a customer's seat overview per tenant type, the seats it holds of
//! each AvePoint product, and its services.
//!
//! * `GET …/customers/{customerId}/3rd-party-products/type/{type}/overview`: the sums of the
//!   customer's tenants of the type (the seats report's rows added up; zeros when it has
//!   none); `404` for an unknown customer.
//! * `GET …/customers/{customerId}/avpt-products/type/{productType}/overview`: the seats of
//!   the customer's [`Subscription`] of that product; `404` when the customer is unknown or
//!   holds no such subscription.
//! * `GET …/customers/{customerId}/services`: one product per subscription, every field a
//!   string (`"N/A"` for no value), agreeing with the two overviews.
//!
//! Every route checks the token and the scope `elements.license.read.all` first (`401`,
//! `403`), like the seats report, and sits behind the same fault gate and counters.

use std::sync::Arc;

use avepoint_graph_raw::types::{
    CustomerServices, ProductSeatOverview, ProductTypeCode, ServiceProduct, TenantSeatOverview,
};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use crate::dataset::{Customer, SeatFilter, SplitMix, TenantKind};
use crate::demo::SCOPE_LICENSE_READ_ALL;
use crate::request::{authorize, customer_and_segment, customer_and_type, customer_id};
use crate::responses::{api_error, json};
use crate::server::Shared;

/// The route of the tenant seat overview, in axum's syntax.
pub const OVERVIEW_ROUTE: &str =
    "/partner/external/v3/general/customers/{customer_id}/3rd-party-products/type/{type}/overview";
/// The route of the product seats, in axum's syntax.
pub const PRODUCT_SEATS_ROUTE: &str = "/partner/external/v3/general/customers/{customer_id}/avpt-products/type/{product_type}/overview";
/// The route of the customer's services, in axum's syntax.
pub const SERVICES_ROUTE: &str = "/partner/external/v3/general/customers/{customer_id}/services";

/// The AvePoint product codes and names the fake knows (the services' `service` field).
pub const PRODUCTS: [(i64, &str); 22] = [
    (1, "DocAve Online"),
    (4, "Cloud Governance"),
    (32, "Cloud Backup for Salesforce"),
    (40, "Baseline Management"),
    (41, "Risk Management"),
    (42, "Workspace Management"),
    (49, "User Management"),
    (60, "MyHub"),
    (65, "Workspace Management - Storage Optimization"),
    (257, "TyGraph"),
    (2048, "Cloud Backup for Microsoft 365"),
    (4096, "Cloud Management"),
    (8192, "Cloud Archiving"),
    (65536, "Opus"),
    (131072, "Cloud Backup for Dynamics 365"),
    (4194304, "Insights"),
    (8388608, "Policies for Microsoft 365"),
    (16777216, "Fly"),
    (33554432, "Cloud Backup for Google Workspace"),
    (67108864, "Cense"),
    (134217728, "Enpower"),
    (1073741824, "Cloud Backup for IaaS + PaaS"),
];

/// The backup product of each tenant type; `None` for a type the fake does not know.
pub fn backup_product(kind: TenantKind) -> Option<i64> {
    match kind {
        TenantKind::Microsoft365 => Some(2048),
        TenantKind::Salesforce => Some(32),
        TenantKind::Google => Some(33554432),
        TenantKind::Dynamics365 => Some(131072),
        TenantKind::Unknown(_) => None,
    }
}

/// A customer's subscription of one AvePoint product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The product code (`productType`); any value, known or not.
    pub product_type: i64,
    /// User seats purchased: `availableUserSeat` of the product seats, `purchasedUserSeats`
    /// of the services.
    pub seats: u32,
    /// Serve `productType` as a string (`"2048"`), as AvePoint's field table types it.
    pub product_type_as_string: bool,
    /// `expirationDate` and `contractEndDate` as served (`"2026/09/30"`, or `"N/A"`).
    pub expiration_date: String,
    /// Service fields served instead of the derived ones, by wire name (`None` omits the
    /// field): to serve `"N/A"`, or a value that does not parse.
    pub overrides: Vec<(String, Option<String>)>,
}

impl Subscription {
    /// A subscription of `seats` seats of `product_type`, expiring on `expiration_date`
    /// (`YYYY/MM/DD`).
    pub fn new(product_type: i64, seats: u32, expiration_date: impl Into<String>) -> Self {
        Self {
            product_type,
            seats,
            product_type_as_string: false,
            expiration_date: expiration_date.into(),
            overrides: Vec::new(),
        }
    }

    /// Serves `productType` as a string.
    pub fn with_string_product_type(mut self) -> Self {
        self.product_type_as_string = true;
        self
    }

    /// Serves `value` (or omits the field, with `None`) as the service field `field`.
    pub fn with_field(mut self, field: impl Into<String>, value: Option<&str>) -> Self {
        self.overrides
            .push((field.into(), value.map(str::to_owned)));
        self
    }

    /// The product's name, or `None` for a code the fake does not know.
    pub fn product_name(&self) -> Option<&'static str> {
        PRODUCTS
            .iter()
            .find(|(code, _)| *code == self.product_type)
            .map(|(_, name)| *name)
    }

    /// The product seats as the API serves them.
    pub fn to_wire(&self) -> ProductSeatOverview {
        ProductSeatOverview {
            product_type: Some(if self.product_type_as_string {
                ProductTypeCode::String(self.product_type.to_string())
            } else {
                ProductTypeCode::Int64(self.product_type)
            }),
            available_user_seat: i64::from(self.seats),
        }
    }

    /// The subscription as one product of the services, for `customer`.
    pub fn to_service(&self, customer: &Customer) -> ServiceProduct {
        let na = || Some("N/A".to_owned());
        let covered = TenantKind::KNOWN
            .into_iter()
            .find(|&k| backup_product(k) == Some(self.product_type));
        let (licenses_assigned, licenses_available) = match covered {
            Some(TenantKind::Microsoft365) => {
                let (available, assigned) = overview_sums(customer, TenantKind::Microsoft365);
                (Some(assigned.to_string()), Some(available.to_string()))
            }
            _ => (na(), na()),
        };
        let total_gb = (self.seats / 10).max(1);
        let used_gb = total_gb / 3;
        let mut product = ServiceProduct {
            service: Some(self.product_name().unwrap_or("N/A").to_owned()),
            subscription_model: Some("User-based".to_owned()),
            purchased_user_seats: Some(self.seats.to_string()),
            purchased_units: na(),
            microsoft_license_assigned: licenses_assigned,
            microsoft_license_available: licenses_available,
            purchased_capacity: Some(format!("{used_gb}/{total_gb} GB")),
            protected_capacity: Some(format!("{used_gb} GB")),
            storage: Some("AvePoint Storage".to_owned()),
            retention: Some("Unlimited".to_owned()),
            consumed_storage: Some(format!("{used_gb} GB")),
            expiration_date: Some(self.expiration_date.clone()),
            change: na(),
            source: Some("AvePoint subscription".to_owned()),
            payment_type: Some("Prepaid".to_owned()),
            subscription_name: na(),
            package: na(),
            contract_end_date: Some(self.expiration_date.clone()),
        };
        for (field, value) in &self.overrides {
            if let Some(slot) = field_slot(&mut product, field) {
                *slot = value.clone();
            }
        }
        product
    }
}

/// The field of `product` named `field` on the wire.
fn field_slot<'a>(product: &'a mut ServiceProduct, field: &str) -> Option<&'a mut Option<String>> {
    Some(match field {
        "service" => &mut product.service,
        "subscriptionModel" => &mut product.subscription_model,
        "purchasedUserSeats" => &mut product.purchased_user_seats,
        "purchasedUnits" => &mut product.purchased_units,
        "microsoftLicenseAssigned" => &mut product.microsoft_license_assigned,
        "microsoftLicenseAvailable" => &mut product.microsoft_license_available,
        "purchasedCapacity" => &mut product.purchased_capacity,
        "protectedCapacity" => &mut product.protected_capacity,
        "storage" => &mut product.storage,
        "retention" => &mut product.retention,
        "consumedStorage" => &mut product.consumed_storage,
        "expirationDate" => &mut product.expiration_date,
        "change" => &mut product.change,
        "source" => &mut product.source,
        "paymentType" => &mut product.payment_type,
        "subscriptionName" => &mut product.subscription_name,
        "package" => &mut product.package,
        "contractEndDate" => &mut product.contract_end_date,
        _ => return None,
    })
}

/// Available and assigned seats summed over the customer's tenants of `kind`.
pub fn overview_sums(customer: &Customer, kind: TenantKind) -> (u64, u64) {
    customer
        .tenants_of(kind, SeatFilter::All)
        .fold((0, 0), |(available, assigned), t| {
            (
                available + u64::from(t.available_user_seats),
                assigned + u64::from(t.assigned_user_seats),
            )
        })
}

/// The services of `customer` as the API serves them.
pub fn services(customer: &Customer) -> CustomerServices {
    CustomerServices {
        customer_id: Some(customer.id.clone()),
        organization: Some(customer.organization.clone()),
        customer: Some(
            customer
                .owner_email
                .clone()
                .unwrap_or_else(|| "N/A".to_owned()),
        ),
        products: Some(
            customer
                .subscriptions
                .iter()
                .map(|s| s.to_service(customer))
                .collect(),
        ),
    }
}

/// The demo customers' subscriptions, by customer id. Between them they show every
/// reconciliation status (assigned users against the backup product's seats): `ok`,
/// `under` (fewer seats than users), `idle` (seats unused beyond 20 %), `unlicensed` (users
/// but no subscription, a `404`), and a pair left out because both sides are zero; plus a
/// product code no client knows, a `productType` served as a string, and `"N/A"` fields.
pub fn demo_subscriptions(customer_id: &str) -> Vec<Subscription> {
    match customer_id {
        // Contoso: m365 25 assigned / 30 seats ok, Salesforce 90 / 100 ok, Google 120 / none
        // unlicensed, Dynamics 48 / 40 under.
        "f162a7c1-b9d4-4e0b-a165-97db3c2afc15" => vec![
            Subscription::new(2048, 30, "2027/06/30"),
            Subscription::new(32, 100, "2027/01/31"),
            Subscription::new(131072, 40, "2026/12/31"),
            Subscription::new(16777216, 50, "2027/06/30"),
        ],
        // Fabrikam: m365 1350 / 2000 idle, Dynamics 75 / 75 ok.
        "3b9e4d2a-6c1f-4a8e-9d7b-2e5f8a1c0b34" => vec![
            Subscription::new(2048, 2000, "2027/03/31"),
            Subscription::new(131072, 75, "2027/03/31").with_string_product_type(),
        ],
        // Northwind: m365 288 / 250 under, Google 70 / 100 idle.
        "8d2c6f1e-0a4b-4c9d-b3e7-5f1a9c2d8e60" => vec![
            Subscription::new(2048, 250, "2026/12/15"),
            Subscription::new(33554432, 100, "2027/09/30"),
            Subscription::new(4194304, 20, "2025/09/30"),
        ],
        // Adventure Works: m365 500 / 500 ok, Salesforce 185 / none unlicensed; a product
        // code this version of any client may not know.
        "c4a1e9b7-2d3f-4e5a-8b6c-7d9e0f1a2b3c" => vec![
            Subscription::new(2048, 500, "2027/12/31"),
            Subscription::new(536870912, 10, "2027/12/31")
                .with_field("service", Some("Cloud Backup for Power Platform")),
        ],
        // Tailspin: m365 57 / 60 ok, Google 0 assigned / 10 seats idle; "N/A" wherever a
        // field can be.
        "5e7f9a1b-3c5d-4f7e-9a1b-3c5d7e9f1a2b" => vec![
            Subscription::new(2048, 60, "N/A")
                .with_field("subscriptionModel", Some("N/A"))
                .with_field("purchasedCapacity", Some("N/A"))
                .with_field("protectedCapacity", Some("N/A"))
                .with_field("consumedStorage", Some("N/A"))
                .with_field("storage", Some("N/A"))
                .with_field("retention", Some("N/A"))
                .with_field("source", Some("AvePoint pooled subscription"))
                .with_field("paymentType", Some("N/A")),
            Subscription::new(33554432, 10, "2027/02/28"),
        ],
        // Woodgrove: m365 2790 / 3000 ok, Salesforce 440 / 400 under, Dynamics 0 assigned
        // and no subscription (left out).
        "9a0b1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" => vec![
            Subscription::new(2048, 3000, "2027/04/30"),
            Subscription::new(32, 400, "2027/04/30"),
        ],
        _ => Vec::new(),
    }
}

/// The subscriptions of a generated customer, derived from its tenants and `seed` alone
/// (O(tenants)): per tenant type it has, the backup product with seats that cover its users
/// (most often), fall short, sit idle, or are missing; sometimes another product too.
pub(crate) fn generated_subscriptions(customer: &Customer, seed: u64) -> Vec<Subscription> {
    let mut rng = SplitMix(seed);
    let mut subscriptions = Vec::new();
    for kind in TenantKind::KNOWN {
        let Some(product) = backup_product(kind) else {
            continue;
        };
        if customer.tenants_of(kind, SeatFilter::All).next().is_none() {
            continue;
        }
        let (_, assigned) = overview_sums(customer, kind);
        let assigned = u32::try_from(assigned).unwrap_or(u32::MAX);
        let seats = match rng.below(10) {
            0 => continue,
            1..=2 => assigned.saturating_mul(3) / 4,
            3..=4 => assigned.saturating_mul(2).saturating_add(10),
            _ => assigned.saturating_add(assigned / 10),
        };
        subscriptions.push(Subscription::new(product, seats, expiration(&mut rng)));
    }
    if rng.below(4) == 0 {
        let (code, _) = PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
        if !subscriptions.iter().any(|s| s.product_type == code) {
            let seats = 10 + rng.below(500) as u32;
            subscriptions.push(Subscription::new(code, seats, expiration(&mut rng)));
        }
    }
    subscriptions
}

fn expiration(rng: &mut SplitMix) -> String {
    format!(
        "{}/{:02}/{:02}",
        2025 + rng.below(4),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

/// `GET …/3rd-party-products/type/{type}/overview`.
pub(crate) async fn overview(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authorize(&shared, &headers, SCOPE_LICENSE_READ_ALL) {
        return *response;
    }
    let (customer_id, kind) = match customer_and_type(&uri) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    match shared.dataset.customer(&customer_id) {
        Some(customer) => {
            let (available, assigned) = overview_sums(&customer, kind);
            json(
                StatusCode::OK,
                &TenantSeatOverview {
                    type_: Some(kind.code()),
                    available_user_seat: i64::try_from(available).unwrap_or(i64::MAX),
                    assigned_user_seat: i64::try_from(assigned).unwrap_or(i64::MAX),
                },
            )
        }
        None => customer_not_found(&customer_id),
    }
}

/// `GET …/avpt-products/type/{productType}/overview`.
pub(crate) async fn product_seats(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authorize(&shared, &headers, SCOPE_LICENSE_READ_ALL) {
        return *response;
    }
    let (customer_id, raw_code) = match customer_and_segment(&uri, 2) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let code = Some(raw_code)
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse::<i64>().ok());
    let Some(code) = code else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid product type: use a non-negative integer product code",
        );
    };
    let Some(customer) = shared.dataset.customer(&customer_id) else {
        return customer_not_found(&customer_id);
    };
    match customer
        .subscriptions
        .iter()
        .find(|s| s.product_type == code)
    {
        Some(subscription) => json(StatusCode::OK, &subscription.to_wire()),
        None => api_error(
            StatusCode::NOT_FOUND,
            format!("customer `{customer_id}` has no subscription of product {code}"),
        ),
    }
}

/// `GET …/customers/{customerId}/services`.
pub(crate) async fn services_of(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authorize(&shared, &headers, SCOPE_LICENSE_READ_ALL) {
        return *response;
    }
    let customer_id = match customer_id(&uri) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    match shared.dataset.customer(&customer_id) {
        Some(customer) => json(StatusCode::OK, &services(&customer)),
        None => customer_not_found(&customer_id),
    }
}

/// The fallback of the GET routes for other methods: `405` with `Allow: GET`.
pub(crate) async fn get_only() -> Response {
    let mut response = api_error(StatusCode::METHOD_NOT_ALLOWED, "use GET");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET"));
    response
}

fn customer_not_found(customer_id: &str) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        format!("customer `{customer_id}` was not found"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    /// The status the reconciliation gives a pair (default idle threshold 20 %).
    fn status(assigned: u64, purchased: u64) -> Option<&'static str> {
        match (assigned, purchased) {
            (0, 0) => None,
            (a, 0) if a > 0 => Some("unlicensed"),
            (a, p) if p < a => Some("under"),
            (a, p) if (p - a) * 100 > 20 * p => Some("idle"),
            _ => Some("ok"),
        }
    }

    #[test]
    fn demo_shows_every_status_and_a_left_out_pair() {
        let d = Dataset::demo();
        let mut seen = std::collections::BTreeMap::new();
        let mut left_out = 0;
        for c in d.customers() {
            for kind in TenantKind::KNOWN {
                let (_, assigned) = overview_sums(&c, kind);
                let purchased = c
                    .subscriptions
                    .iter()
                    .find(|s| Some(s.product_type) == backup_product(kind))
                    .map_or(0, |s| u64::from(s.seats));
                match status(assigned, purchased) {
                    Some(s) => *seen.entry(s).or_insert(0) += 1,
                    None => left_out += 1,
                }
            }
        }
        assert_eq!(
            seen.keys().copied().collect::<Vec<_>>(),
            ["idle", "ok", "under", "unlicensed"]
        );
        assert!(left_out > 0);
    }

    #[test]
    fn services_agree_with_the_product_seats() {
        for c in Dataset::demo().customers() {
            let services = services(&c);
            let products = services.products.unwrap_or_default();
            assert_eq!(products.len(), c.subscriptions.len());
            for (p, s) in products.iter().zip(&c.subscriptions) {
                assert_eq!(p.purchased_user_seats, Some(s.seats.to_string()));
            }
        }
    }

    #[test]
    fn generated_subscriptions_are_deterministic_and_consistent() {
        let d = Dataset::generated(1000, 7);
        let mut with = 0;
        for c in d.customers().take(1000) {
            let again = d.customer(&c.id).expect("exists");
            assert_eq!(again.subscriptions, c.subscriptions);
            for s in &c.subscriptions {
                assert!(s.expiration_date.len() == 10);
            }
            with += usize::from(!c.subscriptions.is_empty());
        }
        assert!(with > 500, "{with}");
    }

    #[test]
    fn overrides_replace_or_omit_fields() {
        let c = Customer::new("c", "C");
        let p = Subscription::new(7, 3, "2026/01/01")
            .with_field("expirationDate", Some("soon"))
            .with_field("service", None)
            .to_service(&c);
        assert_eq!(p.expiration_date.as_deref(), Some("soon"));
        assert_eq!(p.service, None);
        assert_eq!(p.purchased_user_seats.as_deref(), Some("3"));
    }
}
