//! The customers, tenants and user seats the fake service reports.
//!
//! A [`Dataset`] is a list of explicit [`Customer`]s (the readable [`Dataset::demo`] set, or
//! any added with [`Dataset::with_customer`]) optionally followed by a large *generated* set
//! ([`Dataset::generated`]). Generated customers are never stored: each is derived on demand
//! from `(seed, index)`, and its id encodes the index through a keyed permutation, so a
//! lookup by id is O(1) and 100,000 customers cost a few bytes of memory.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::revision::{Revision, revise};
use avepoint_graph_raw::types::{
    CustomerTenant, LicenseAssignedStatus, PartnerCustomer, TenantSeatsBatchItem, TenantType,
    TenantUserSeats,
};

use crate::licensing::{self, Subscription};

avepoint_graph_raw::open_code! {
    /// The tenant type of a tenant (the `type` path parameter and the reports' `type`): the
    /// four types of the spec, or `Unknown(code)` for a tenant of a type added later. The
    /// routes serve only the spec's types (another `type` is a `400`).
    pub enum TenantKind: i32 {
        /// `0` - Microsoft 365.
        Microsoft365 = 0,
        /// `1` - Salesforce.
        Salesforce = 1,
        /// `2` - Google.
        Google = 2,
        /// `3` - Dynamics 365.
        Dynamics365 = 3,
    }
}

impl TenantKind {
    /// A human-readable name ("Microsoft 365", ...); `unknown` for an unknown code.
    pub fn label(self) -> &'static str {
        match self {
            TenantKind::Microsoft365 => "Microsoft 365",
            TenantKind::Salesforce => "Salesforce",
            TenantKind::Google => "Google",
            TenantKind::Dynamics365 => "Dynamics 365",
            TenantKind::Unknown(_) => "unknown",
        }
    }
}

impl From<&TenantType> for TenantKind {
    fn from(value: &TenantType) -> Self {
        Self::from_code(**value)
    }
}

/// Which tenants the seats report includes, from the request's `licenseAssignedStatus`.
///
/// AvePoint documents the field only as "the type of the user seats" (0 available,
/// 1 assigned) and the response always carries both counts. The fake therefore treats it as
/// a *filter on tenants*: see the variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SeatFilter {
    /// No `licenseAssignedStatus`: every tenant of the type.
    #[default]
    All,
    /// `licenseAssignedStatus: 0`: only tenants with `availableUserSeat > 0`.
    Available,
    /// `licenseAssignedStatus: 1`: only tenants with `assignedUserSeat > 0`.
    Assigned,
}

impl From<Option<&LicenseAssignedStatus>> for SeatFilter {
    fn from(value: Option<&LicenseAssignedStatus>) -> Self {
        match value.map(|s| **s) {
            None => SeatFilter::All,
            Some(0) => SeatFilter::Available,
            Some(_) => SeatFilter::Assigned,
        }
    }
}

/// One third-party tenant of a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Tenant id (a GUID in the built-in datasets).
    pub id: String,
    /// Tenant name.
    pub name: String,
    /// Tenant type.
    pub kind: TenantKind,
    /// Number of available (unassigned) user seats.
    pub available_user_seats: u32,
    /// Number of assigned user seats.
    pub assigned_user_seats: u32,
}

impl Tenant {
    /// A tenant with the given id, name, type and seat counts.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        kind: TenantKind,
        available_user_seats: u32,
        assigned_user_seats: u32,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            kind,
            available_user_seats,
            assigned_user_seats,
        }
    }

    /// Whether the tenant passes `filter`.
    pub fn matches(&self, filter: SeatFilter) -> bool {
        match filter {
            SeatFilter::All => true,
            SeatFilter::Available => self.available_user_seats > 0,
            SeatFilter::Assigned => self.assigned_user_seats > 0,
        }
    }

    /// The tenant as the API serves it.
    pub fn to_wire(&self) -> TenantUserSeats {
        TenantUserSeats {
            id: self.id.clone(),
            name: self.name.clone(),
            available_user_seat: i64::from(self.available_user_seats),
            assigned_user_seat: i64::from(self.assigned_user_seats),
        }
    }
}

/// A partner's customer and its tenants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// Customer id (`customerId` path parameter; any non-empty string).
    pub id: String,
    /// Organization name of the customer.
    pub organization: String,
    /// E-mail address of the customer's owner (`ownerEmail`; omitted when `None`).
    pub owner_email: Option<String>,
    /// Country or region (`countryOrRegion`; omitted when `None`).
    pub country_or_region: Option<String>,
    /// Backup job status code (`jobStatus`: 0 N/A, 1 Working, 2 Failed, 3 Waiting for
    /// configuration, 4 Multiple issues found, 5 Finished with exception, 6 No backup
    /// updates; any other value is served as is).
    pub job_status: i32,
    /// Management mode code (`managementMode`: 0 customer-managed, 1 partner-managed, 2 to be
    /// configured; any other value is served as is).
    pub management_mode: i32,
    /// The customer's tenants, of any types.
    pub tenants: Vec<Tenant>,
    /// When set, the customers listing serves this customer without its optional members
    /// (`organization`, `ownerEmail`, `countryOrRegion`, `tenants`): omitted or `null`, as
    /// the spec allows ([`Customer::sparse`]).
    pub missing_members: Option<MissingMembers>,
    /// The customer's AvePoint subscriptions (product seats and services).
    pub subscriptions: Vec<Subscription>,
}

/// How the customers listing serves the optional members of a [`Customer::sparse`] customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingMembers {
    /// The members are left out of the object.
    Omitted,
    /// The members are present with the value `null`.
    Null,
}

/// The ids of the customers [`Dataset::with_sparse_customers`] adds.
pub const SPARSE_CUSTOMER_IDS: [&str; 2] = [
    "00000000-0000-4000-8000-00000000a0a0",
    "00000000-0000-4000-8000-00000000a0a1",
];

impl Customer {
    /// A customer without tenants, owner or country, job status 0 (N/A), customer-managed.
    pub fn new(id: impl Into<String>, organization: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            organization: organization.into(),
            owner_email: None,
            country_or_region: None,
            job_status: 0,
            management_mode: 0,
            tenants: Vec::new(),
            missing_members: None,
            subscriptions: Vec::new(),
        }
    }

    /// Adds an AvePoint subscription.
    pub fn with_subscription(mut self, subscription: Subscription) -> Self {
        self.subscriptions.push(subscription);
        self
    }

    /// Sets the owner's e-mail address and the country or region.
    pub fn with_contact(
        mut self,
        owner_email: impl Into<String>,
        country_or_region: impl Into<String>,
    ) -> Self {
        self.owner_email = Some(owner_email.into());
        self.country_or_region = Some(country_or_region.into());
        self
    }

    /// Sets the `jobStatus` and `managementMode` codes.
    pub fn with_status(mut self, job_status: i32, management_mode: i32) -> Self {
        self.job_status = job_status;
        self.management_mode = management_mode;
        self
    }

    /// A customer the listing knows by id, job status and management mode only: no
    /// organization, owner, country or tenants, served as `missing` says.
    pub fn sparse(id: impl Into<String>, missing: MissingMembers) -> Self {
        Self {
            missing_members: Some(missing),
            ..Self::new(id, "")
        }
    }

    /// The customer as the customers listing serves it, as JSON: [`Customer::to_wire`], with
    /// the optional members of a sparse customer omitted or `null`.
    pub fn to_wire_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self.to_wire()).unwrap_or_default();
        if let (Some(missing), Some(object)) = (self.missing_members, value.as_object_mut()) {
            for member in ["organization", "ownerEmail", "countryOrRegion", "tenants"] {
                match missing {
                    MissingMembers::Omitted => {
                        object.remove(member);
                    }
                    MissingMembers::Null => {
                        object.insert(member.to_owned(), serde_json::Value::Null);
                    }
                }
            }
        }
        value
    }

    /// The customer as the customers listing serves it.
    pub fn to_wire(&self) -> PartnerCustomer {
        PartnerCustomer {
            id: self.id.clone(),
            organization: Some(self.organization.clone()),
            owner_email: self.owner_email.clone(),
            job_status: self.job_status,
            country_or_region: self.country_or_region.clone(),
            management_mode: self.management_mode,
            tenants: Some(
                self.tenants
                    .iter()
                    .map(|t| CustomerTenant {
                        id: t.id.clone(),
                        name: t.name.clone(),
                    })
                    .collect(),
            ),
        }
    }

    /// The tenants of type `kind` as the paginated seats report serves them, restricted to
    /// `tenant_ids` when it is not empty (in dataset order).
    pub fn batch_seats(
        &self,
        kind: TenantKind,
        tenant_ids: &[String],
    ) -> Vec<TenantSeatsBatchItem> {
        self.tenants_of(kind, SeatFilter::All)
            .filter(|t| tenant_ids.is_empty() || tenant_ids.contains(&t.id))
            .map(|t| TenantSeatsBatchItem {
                type_: t.kind.code(),
                tenant_id: t.id.clone(),
                tenant_name: t.name.clone(),
                available_user_seat: i64::from(t.available_user_seats),
                assigned_user_seat: i64::from(t.assigned_user_seats),
            })
            .collect()
    }

    /// Adds a tenant.
    pub fn with_tenant(mut self, tenant: Tenant) -> Self {
        self.tenants.push(tenant);
        self
    }

    /// The tenants of type `kind` that pass `filter`, in dataset order.
    pub fn tenants_of(
        &self,
        kind: TenantKind,
        filter: SeatFilter,
    ) -> impl Iterator<Item = &Tenant> {
        self.tenants
            .iter()
            .filter(move |t| t.kind == kind && t.matches(filter))
    }

    /// The seats report the API returns for this customer.
    pub fn seats(&self, kind: TenantKind, filter: SeatFilter) -> Vec<TenantUserSeats> {
        self.tenants_of(kind, filter).map(Tenant::to_wire).collect()
    }
}

/// The customers the fake service knows. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    explicit: Vec<Customer>,
    index: HashMap<String, usize>,
    generated: Option<Generated>,
    /// The seat changes served ([`crate::revision`]); 0 serves the customers as built.
    revision: Revision,
}

impl Dataset {
    /// A dataset without customers.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The readable demo dataset: six customers with fixed GUIDs and well-known organization
    /// names, tenants of every type overall, customers lacking some types, and tenants
    /// without available or without assigned seats.
    pub fn demo() -> Self {
        use TenantKind::*;
        let customers = [
            Customer::new("f162a7c1-b9d4-4e0b-a165-97db3c2afc15", "Contoso Ltd")
                .with_contact("admin@contoso.com", "United States")
                .with_status(1, 1)
                .with_tenant(Tenant::new(
                    "f04d7aee-1c2b-4d3e-8f9a-65215f92e596",
                    "contoso.onmicrosoft.com",
                    Microsoft365,
                    25,
                    25,
                ))
                .with_tenant(Tenant::new(
                    "0a3c5e7f-9b1d-4f3a-8c5e-7f9b1d3f5a7c",
                    "contosolab.onmicrosoft.com",
                    Microsoft365,
                    40,
                    0,
                ))
                .with_tenant(Tenant::new(
                    "1b4d6f8a-0c2e-4a4b-9d6f-8a0c2e4a6b8d",
                    "contoso.my.salesforce.com",
                    Salesforce,
                    10,
                    90,
                ))
                .with_tenant(Tenant::new(
                    "2c5e7a9b-1d3f-4b5c-8e7a-9b1d3f5b7c9e",
                    "contoso.com",
                    Google,
                    5,
                    120,
                ))
                .with_tenant(Tenant::new(
                    "3d6f8b0c-2e4a-4c6d-9f8b-0c2e4a6c8d0f",
                    "contoso.crm.dynamics.com",
                    Dynamics365,
                    2,
                    48,
                )),
            Customer::new("3b9e4d2a-6c1f-4a8e-9d7b-2e5f8a1c0b34", "Fabrikam, Inc.")
                .with_contact("it@fabrikam.com", "Germany")
                .with_status(2, 1)
                .with_tenant(Tenant::new(
                    "4e7a9c1d-3f5b-4d7e-8a9c-1d3f5b7d9e1a",
                    "fabrikam.onmicrosoft.com",
                    Microsoft365,
                    150,
                    1350,
                ))
                .with_tenant(Tenant::new(
                    "5f8b0d2e-4a6c-4e8f-9b0d-2e4a6c8e0f2b",
                    "fabrikam.crm4.dynamics.com",
                    Dynamics365,
                    0,
                    75,
                )),
            Customer::new("8d2c6f1e-0a4b-4c9d-b3e7-5f1a9c2d8e60", "Northwind Traders")
                .with_contact("owner@northwindtraders.com", "United Kingdom")
                .with_status(3, 0)
                .with_tenant(Tenant::new(
                    "6a9c1e3f-5b7d-4f9a-8c1e-3f5b7d9f1a3c",
                    "northwindtraders.onmicrosoft.com",
                    Microsoft365,
                    12,
                    288,
                ))
                .with_tenant(Tenant::new(
                    "7b0d2f4a-6c8e-4a0b-9d2f-4a6c8e0a2b4d",
                    "northwindtraders.com",
                    Google,
                    30,
                    70,
                ))
                .with_tenant(Tenant::new(
                    "8c1e3a5b-7d9f-4b1c-8e3a-5b7d9f1b3c5e",
                    "northwind-eu.com",
                    Google,
                    8,
                    0,
                )),
            Customer::new(
                "c4a1e9b7-2d3f-4e5a-8b6c-7d9e0f1a2b3c",
                "Adventure Works Cycles",
            )
            .with_contact("admin@adventure-works.com", "Japan")
            .with_status(4, 2)
            .with_tenant(Tenant::new(
                "9d2f4b6c-8e0a-4c2d-9f4b-6c8e0a2c4d6f",
                "adventureworks.onmicrosoft.com",
                Microsoft365,
                0,
                500,
            ))
            .with_tenant(Tenant::new(
                "ae3a5c7d-9f1b-4d3e-8a5c-7d9f1b3d5e7a",
                "adventureworks.my.salesforce.com",
                Salesforce,
                20,
                180,
            ))
            .with_tenant(Tenant::new(
                "bf4b6d8e-0a2c-4e4f-9b6d-8e0a2c4e6f8b",
                "adventureworks-sandbox.my.salesforce.com",
                Salesforce,
                15,
                5,
            )),
            Customer::new("5e7f9a1b-3c5d-4f7e-9a1b-3c5d7e9f1a2b", "Tailspin Toys")
                .with_contact("admin@tailspintoys.com", "Australia")
                .with_status(0, 2)
                .with_tenant(Tenant::new(
                    "c05c7e9f-1b3d-4f5a-8c7e-9f1b3d5f7a9c",
                    "tailspintoys.onmicrosoft.com",
                    Microsoft365,
                    3,
                    57,
                ))
                .with_tenant(Tenant::new(
                    "d16d8f0a-2c4e-4a6b-9d8f-0a2c4e6a8b0d",
                    "tailspintoys.com",
                    Google,
                    0,
                    0,
                )),
            Customer::new("9a0b1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Woodgrove Bank")
                .with_contact("licensing@woodgrovebank.com", "Canada")
                .with_status(6, 1)
                .with_tenant(Tenant::new(
                    "e27e9a1b-3d5f-4b7c-8e9a-1b3d5f7b9c1e",
                    "woodgrovebank.onmicrosoft.com",
                    Microsoft365,
                    210,
                    2790,
                ))
                .with_tenant(Tenant::new(
                    "f38f0b2c-4e6a-4c8d-9f0b-2c4e6a8c0d2f",
                    "woodgrovebank.my.salesforce.com",
                    Salesforce,
                    60,
                    440,
                ))
                .with_tenant(Tenant::new(
                    "049a1c3d-5f7b-4d9e-8a1c-3d5f7b9d1e3a",
                    "woodgrove.crm.dynamics.com",
                    Dynamics365,
                    100,
                    0,
                )),
        ];
        customers
            .into_iter()
            .map(|mut c| {
                c.subscriptions = licensing::demo_subscriptions(&c.id);
                c
            })
            .fold(Self::empty(), |d, c| d.with_customer(c))
    }

    /// A deterministic generated dataset of `customers` customers derived from `seed`: each
    /// has 1..=[`GENERATED_MAX_TENANTS`] tenants spread over the types (Microsoft 365 most
    /// often) with varied seat counts, some of them zero. Nothing is stored per customer.
    pub fn generated(customers: u64, seed: u64) -> Self {
        Self {
            generated: Some(Generated {
                count: customers,
                seed,
            }),
            ..Self::default()
        }
    }

    /// Serves the customers as of `revision` (see [`crate::revision`]).
    pub fn with_revision(self, revision: u64) -> Self {
        self.revision.set(revision);
        self
    }

    /// Switches to `revision` while serving (see [`crate::revision`]).
    pub fn set_revision(&self, revision: u64) {
        self.revision.set(revision);
    }

    /// The revision served.
    pub fn revision(&self) -> u64 {
        self.revision.get()
    }

    /// `customer` as of the revision served.
    fn revised<'a>(&self, customer: Cow<'a, Customer>) -> Cow<'a, Customer> {
        match self.revision.get() {
            0 => customer,
            r => Cow::Owned(revise(&customer, r)),
        }
    }

    /// Adds `customer`, replacing an explicit or generated customer with the same id.
    pub fn with_customer(mut self, customer: Customer) -> Self {
        self.insert(customer);
        self
    }

    /// Adds two customers whose optional members the listing omits and serves as `null`
    /// ([`SPARSE_CUSTOMER_IDS`]; no tenants), so that clients and conformance tools see
    /// every shape the spec allows.
    pub fn with_sparse_customers(self) -> Self {
        self.with_customer(
            Customer::sparse(SPARSE_CUSTOMER_IDS[0], MissingMembers::Omitted).with_status(0, 2),
        )
        .with_customer(Customer::sparse(
            SPARSE_CUSTOMER_IDS[1],
            MissingMembers::Null,
        ))
    }

    /// Adds `customer`, replacing an explicit or generated customer with the same id.
    pub fn insert(&mut self, customer: Customer) {
        match self.index.get(&customer.id) {
            Some(&i) => self.explicit[i] = customer,
            None => {
                self.index.insert(customer.id.clone(), self.explicit.len());
                self.explicit.push(customer);
            }
        }
    }

    /// Number of customers.
    pub fn len(&self) -> u64 {
        let generated = self.generated.map_or(0, |g| {
            let shadowed = self
                .explicit
                .iter()
                .filter(|c| g.index_of(&c.id).is_some())
                .count() as u64;
            g.count - shadowed
        });
        self.explicit.len() as u64 + generated
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The customer with id `id` (exact, case-sensitive match).
    pub fn customer(&self, id: &str) -> Option<Cow<'_, Customer>> {
        let built = match self.index.get(id) {
            Some(&i) => self.explicit.get(i).map(Cow::Borrowed),
            None => {
                let g = self.generated?;
                g.index_of(id).map(|i| Cow::Owned(g.customer(i)))
            }
        };
        built.map(|c| self.revised(c))
    }

    /// Whether a customer with id `id` exists.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id) || self.generated.is_some_and(|g| g.index_of(id).is_some())
    }

    /// All customers: the explicit ones in insertion order, then the generated ones by index
    /// (each generated on the fly).
    pub fn customers(&self) -> impl Iterator<Item = Cow<'_, Customer>> + '_ {
        let generated = self.generated.into_iter().flat_map(move |g| {
            (0..g.count)
                .map(move |i| g.customer(i))
                .filter(|c| !self.index.contains_key(&c.id))
                .map(Cow::Owned)
        });
        self.explicit
            .iter()
            .map(Cow::Borrowed)
            .chain(generated)
            .map(|c| self.revised(c))
    }

    /// The ids of all customers, in the order of [`Dataset::customers`]. Generated ids are
    /// computed without building the customers.
    pub fn customer_ids(&self) -> impl Iterator<Item = String> + '_ {
        let generated = self.generated.into_iter().flat_map(move |g| {
            (0..g.count)
                .map(move |i| g.customer_id(i))
                .filter(|id| !self.index.contains_key(id))
        });
        self.explicit.iter().map(|c| c.id.clone()).chain(generated)
    }

    /// The customer at `position` in the order of [`Dataset::customers`], built without
    /// walking the customers before it (O(explicit customers)).
    pub fn customer_at(&self, position: u64) -> Option<Cow<'_, Customer>> {
        self.built_at(position).map(|c| self.revised(c))
    }

    /// The customer at `position`, as built (revision 0).
    fn built_at(&self, position: u64) -> Option<Cow<'_, Customer>> {
        if let Some(c) = usize::try_from(position)
            .ok()
            .and_then(|p| self.explicit.get(p))
        {
            return Some(Cow::Borrowed(c));
        }
        let g = self.generated?;
        let mut index = position - self.explicit.len() as u64;
        // Skip the generated customers an explicit one replaces, in index order.
        let mut shadowed: Vec<u64> = self
            .explicit
            .iter()
            .filter_map(|c| g.index_of(&c.id))
            .collect();
        shadowed.sort_unstable();
        for s in shadowed {
            if s <= index {
                index += 1;
            } else {
                break;
            }
        }
        (index < g.count).then(|| Cow::Owned(g.customer(index)))
    }

    /// One page of the customers listing: the customers at `offset..offset + limit` of the
    /// listing, and the listing's size. Without `ids` the listing is every customer (in the
    /// order of [`Dataset::customers`], each built on demand); with `ids` it is those that
    /// exist, in the order given, each once.
    pub fn customers_page(
        &self,
        ids: &[String],
        offset: u64,
        limit: u64,
    ) -> (Vec<Cow<'_, Customer>>, u64) {
        if ids.is_empty() {
            let total = self.len();
            let end = offset.saturating_add(limit).min(total);
            let page = (offset..end).filter_map(|p| self.customer_at(p)).collect();
            return (page, total);
        }
        let mut unique: Vec<&String> = Vec::new();
        for id in ids {
            if !unique.contains(&id) && self.contains(id) {
                unique.push(id);
            }
        }
        let total = unique.len() as u64;
        let page = unique
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .filter_map(|id| self.customer(id))
            .collect();
        (page, total)
    }

    /// The seats report for customer `id`, or `None` if there is no such customer.
    pub fn seats(
        &self,
        id: &str,
        kind: TenantKind,
        filter: SeatFilter,
    ) -> Option<Vec<TenantUserSeats>> {
        self.customer(id).map(|c| c.seats(kind, filter))
    }
}

/// Most tenants a generated customer has.
pub const GENERATED_MAX_TENANTS: u64 = 6;

/// The parameters of the generated part of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Generated {
    count: u64,
    seed: u64,
}

const ADJECTIVES: [&str; 24] = [
    "Blue",
    "Northern",
    "Silver",
    "Bright",
    "Golden",
    "Quiet",
    "Rapid",
    "Green",
    "Crimson",
    "Summit",
    "Coastal",
    "Urban",
    "Prairie",
    "Harbor",
    "Granite",
    "Cedar",
    "Maple",
    "Iron",
    "Lunar",
    "Solar",
    "Atlas",
    "Pioneer",
    "Evergreen",
    "Redwood",
];
const NOUNS: [&str; 24] = [
    "Logistics",
    "Dental",
    "Analytics",
    "Foods",
    "Energy",
    "Legal",
    "Health",
    "Robotics",
    "Media",
    "Capital",
    "Motors",
    "Textiles",
    "Pharma",
    "Aviation",
    "Studios",
    "Consulting",
    "Realty",
    "Outfitters",
    "Brewing",
    "Systems",
    "Clinics",
    "Farms",
    "Insurance",
    "Labs",
];
const COUNTRIES: [&str; 10] = [
    "United States",
    "Canada",
    "United Kingdom",
    "Germany",
    "France",
    "Netherlands",
    "Japan",
    "Australia",
    "Singapore",
    "Brazil",
];
const SUFFIXES: [&str; 8] = [
    "Ltd", "Inc.", "GmbH", "LLC", "Group", "Partners", "S.A.", "Pty Ltd",
];

impl Generated {
    /// The customer id of index `i`: a GUID whose first 64 bits are a keyed permutation of
    /// `i` and whose last 64 bits are a hash of those.
    fn customer_id(self, i: u64) -> String {
        let p = feistel(i, self.seed, false);
        let tail = mix(self.seed ^ p ^ 0x9e37_79b9_7f4a_7c15);
        uuid::Uuid::from_u64_pair(p, tail).to_string()
    }

    /// The index whose id is `id`, if `id` is one of the generated ids.
    fn index_of(self, id: &str) -> Option<u64> {
        let (p, _) = uuid::Uuid::try_parse(id).ok()?.as_u64_pair();
        let i = feistel(p, self.seed, true);
        (i < self.count && self.customer_id(i) == id).then_some(i)
    }

    /// The customer of index `i`, derived from `(seed, i)` alone.
    fn customer(self, i: u64) -> Customer {
        let mut rng = SplitMix(mix(self.seed) ^ mix(i.wrapping_add(0x5151)));
        let adjective = pick(&mut rng, &ADJECTIVES);
        let noun = pick(&mut rng, &NOUNS);
        let suffix = pick(&mut rng, &SUFFIXES);
        let slug = format!(
            "{}{}{}",
            adjective.to_lowercase(),
            noun.to_lowercase(),
            i + 1
        );
        let organization = format!("{adjective} {noun} {suffix} #{}", i + 1);
        // The profile comes from its own generator so that adding it changed no tenant.
        let mut profile = SplitMix(mix(self.seed ^ 0x0c0f_fee0) ^ mix(i.wrapping_add(0x7e57)));
        let job_status = match profile.below(10) {
            0..=4 => 1,
            5 => 0,
            6 => 2,
            7 => 3,
            8 => 6,
            _ => 4 + profile.below(2) as i32,
        };
        let management_mode = profile.below(3) as i32;
        let country = pick(&mut profile, &COUNTRIES);
        let mut customer = Customer::new(self.customer_id(i), organization)
            .with_contact(format!("admin@{slug}.example.com"), country)
            .with_status(job_status, management_mode);
        let tenants = 1 + rng.below(GENERATED_MAX_TENANTS);
        let mut per_kind = [0u32; 4];
        for _ in 0..tenants {
            let (kind, domain) = match rng.below(10) {
                0..=4 => (TenantKind::Microsoft365, "onmicrosoft.com"),
                5..=6 => (TenantKind::Salesforce, "my.salesforce.com"),
                7..=8 => (TenantKind::Google, "com"),
                _ => (TenantKind::Dynamics365, "crm.dynamics.com"),
            };
            let slot = &mut per_kind[kind.code() as usize];
            *slot += 1;
            let n = if *slot == 1 {
                String::new()
            } else {
                slot.to_string()
            };
            let name = format!("{slug}{n}.{domain}");
            let assigned = match rng.below(10) {
                0 => 0,
                1..=6 => rng.below(200),
                _ => rng.below(5000),
            } as u32;
            let available = match rng.below(10) {
                0..=1 => 0,
                2..=7 => rng.below(50),
                _ => rng.below(1000),
            } as u32;
            let id = guid(rng.next(), rng.next());
            customer = customer.with_tenant(Tenant::new(id, name, kind, available, assigned));
        }
        // Subscriptions from their own generator, so adding them changed no tenant.
        let licensing_seed = mix(self.seed ^ 0x11ce_75e5) ^ mix(i.wrapping_add(0xa7b7));
        customer.subscriptions = licensing::generated_subscriptions(&customer, licensing_seed);
        customer
    }
}

fn pick<'a>(rng: &mut SplitMix, items: &[&'a str]) -> &'a str {
    items
        .get(rng.below(items.len() as u64) as usize)
        .copied()
        .unwrap_or_default()
}

/// A version-4 GUID from 128 random bits (seeded, so the data set is reproducible).
fn guid(a: u64, b: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The SplitMix64 finalizer: a fixed, well-mixing bijection on `u64`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A four-round Feistel permutation of `u64` keyed by `seed` (or its inverse).
fn feistel(x: u64, seed: u64, inverse: bool) -> u64 {
    let round = |r: u64, half: u32| (mix(seed ^ (r << 32) ^ u64::from(half)) & 0xffff_ffff) as u32;
    let (mut l, mut r) = ((x >> 32) as u32, x as u32);
    if inverse {
        for k in (0..4).rev() {
            (l, r) = (r ^ round(k, l), l);
        }
    } else {
        for k in 0..4 {
            (l, r) = (r, l ^ round(k, r));
        }
    }
    (u64::from(l) << 32) | u64::from(r)
}

/// SplitMix64: a tiny deterministic generator, stable across crate versions.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..n` (`0` when `n == 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_version_4_guids_of_their_bits() {
        let id = guid(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        assert_eq!(id, "01234567-89ab-4def-bedc-ba9876543210");
        let parsed = uuid::Uuid::try_parse(&id).expect("a GUID");
        assert_eq!(parsed.get_version(), Some(uuid::Version::Random));
    }

    #[test]
    fn feistel_is_a_bijection() {
        for seed in [0, 1, 42, u64::MAX] {
            for x in [0, 1, 2, 99_999, u64::MAX, 0xdead_beef] {
                assert_eq!(feistel(feistel(x, seed, false), seed, true), x);
            }
        }
    }

    #[test]
    fn generated_ids_round_trip_and_are_unique() {
        let g = Generated {
            count: 10_000,
            seed: 7,
        };
        let mut seen = std::collections::HashSet::new();
        for i in 0..g.count {
            let id = g.customer_id(i);
            assert_eq!(g.index_of(&id), Some(i));
            assert!(seen.insert(id));
        }
        assert_eq!(
            g.index_of(
                &Generated {
                    count: 10_000,
                    seed: 8
                }
                .customer_id(3)
            ),
            None
        );
        assert_eq!(g.index_of("f162a7c1-b9d4-4e0b-a165-97db3c2afc15"), None);
        assert_eq!(g.index_of("not a guid"), None);
    }

    #[test]
    fn generated_customers_are_deterministic_and_well_formed() {
        let d = Dataset::generated(1000, 3);
        assert_eq!(d.len(), 1000);
        let a: Vec<_> = d.customers().map(Cow::into_owned).collect();
        let b: Vec<_> = Dataset::generated(1000, 3)
            .customers()
            .map(Cow::into_owned)
            .collect();
        assert_eq!(a, b);
        for c in &a {
            assert!((1..=GENERATED_MAX_TENANTS as usize).contains(&c.tenants.len()));
            assert_eq!(d.customer(&c.id).as_deref(), Some(c));
        }
        for kind in TenantKind::KNOWN {
            assert!(a.iter().any(|c| c.tenants.iter().any(|t| t.kind == kind)));
        }
    }

    #[test]
    fn demo_covers_every_type_and_gaps() {
        let d = Dataset::demo();
        assert_eq!(d.len(), 6);
        for kind in TenantKind::KNOWN {
            assert!(
                d.customers()
                    .any(|c| c.tenants_of(kind, SeatFilter::All).count() > 0)
            );
            assert!(
                kind == TenantKind::Microsoft365
                    || d.customers()
                        .any(|c| c.tenants_of(kind, SeatFilter::All).count() == 0)
            );
        }
    }

    #[test]
    fn customer_at_matches_the_iteration_order() {
        let g = Dataset::generated(50, 4);
        let ids: Vec<String> = g.customer_ids().collect();
        let d = g
            .with_customer(Customer::new(ids[3].clone(), "Mine"))
            .with_customer(Customer::new(ids[10].clone(), "Also mine"))
            .with_customer(Customer::new("explicit", "Explicit"));
        let all: Vec<Customer> = d.customers().map(Cow::into_owned).collect();
        assert_eq!(all.len() as u64, d.len());
        for (p, c) in all.iter().enumerate() {
            assert_eq!(d.customer_at(p as u64).as_deref(), Some(c), "position {p}");
        }
        assert!(d.customer_at(d.len()).is_none());
        let (page, total) = d.customers_page(&[], 45, 10);
        assert_eq!(total, 50 + 1);
        assert_eq!(page.len(), 6);
        let wanted = vec![
            ids[5].clone(),
            "nobody".to_owned(),
            ids[5].clone(),
            "explicit".to_owned(),
        ];
        let (page, total) = d.customers_page(&wanted, 0, 10);
        assert_eq!(total, 2);
        assert_eq!(page[1].organization, "Explicit");
    }

    #[test]
    fn generated_profiles_are_deterministic_and_in_range() {
        let d = Dataset::generated(500, 9);
        let mut statuses = std::collections::BTreeSet::new();
        for c in d.customers() {
            assert!((0..=6).contains(&c.job_status));
            assert!((0..=2).contains(&c.management_mode));
            assert!(c.owner_email.is_some() && c.country_or_region.is_some());
            statuses.insert(c.job_status);
        }
        assert_eq!(statuses.len(), 7, "every job status occurs");
    }

    #[test]
    fn explicit_customers_shadow_generated_ones() {
        let g = Dataset::generated(5, 1);
        let id = g.customer_ids().next().unwrap_or_default();
        let d = g.with_customer(Customer::new(id.clone(), "Mine"));
        assert_eq!(d.len(), 5);
        assert_eq!(d.customer_ids().count(), 5);
        assert_eq!(
            d.customer(&id).map(|c| c.organization.clone()),
            Some("Mine".into())
        );
    }
}
