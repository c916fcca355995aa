//! `avepoint products`: the user seats each customer holds of AvePoint products, one row per
//! customer x product. With `--all-products` (the 22 known products) a product the service
//! answers `404` for is left out; a product asked for with `--product` must answer.

use avepoint_graph::ProductType;
use clap::{ArgGroup, Args};
use futures::future::try_join_all;
use serde_json::json;

use crate::per_customer::{Calls, Licensing, Rows, found};
use crate::rows::Column;
use crate::selection::SelectionArgs;
use crate::work::CustomerRef;

/// `avepoint products`. Exactly one of `--product` and `--all-products`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selected").required(true).multiple(false)))]
pub(crate) struct ProductsArgs {
    /// A product: its code (any non-negative integer, known or not) or its name
    /// (`Cloud Backup for Microsoft 365`, case and `-`/`_`/spaces ignored). Repeat, or
    /// separate with commas, for several.
    #[arg(
        short = 'p',
        long = "product",
        value_name = "P",
        value_delimiter = ',',
        group = "selected"
    )]
    pub(crate) products: Vec<ProductType>,

    /// Every product this version knows (22); a product the service answers 404 for (the
    /// customer holds none) is left out.
    #[arg(long, group = "selected")]
    pub(crate) all_products: bool,

    /// Customers, output, concurrency and connection.
    #[command(flatten)]
    pub(crate) selection: SelectionArgs,
}

/// The command: the products to report, and whether a 404 leaves a product out.
pub(crate) struct Products {
    products: Vec<ProductType>,
    skip_not_found: bool,
}

impl Products {
    /// The command for the `--product` list, or every known product with `all_products`.
    pub(crate) fn new(products: Vec<ProductType>, all_products: bool) -> Self {
        let mut products = if all_products {
            ProductType::KNOWN.to_vec()
        } else {
            products
        };
        // Each product once, in the order given.
        let mut seen = std::collections::HashSet::new();
        products.retain(|p| seen.insert(*p));
        Self {
            products,
            skip_not_found: all_products,
        }
    }
}

impl Licensing for Products {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::text("customerId", "CUSTOMER"),
            Column::number("productType", "CODE"),
            Column::text("product", "PRODUCT"),
            Column::count("availableUserSeat", "SEATS"),
        ]
    }

    async fn fetch(
        &self,
        calls: &Calls,
        customer: &CustomerRef,
    ) -> Result<Rows, avepoint_graph::Error> {
        let skip_not_found = self.skip_not_found;
        let answers = try_join_all(self.products.iter().map(|&p| async move {
            let seats = calls
                .call(calls.client.product_seats(&customer.id, p))
                .await;
            found(seats, skip_not_found)
        }))
        .await?;
        let rows = answers
            .into_iter()
            .flatten()
            .map(|s| {
                vec![
                    json!(customer.id),
                    json!(s.product_type.code()),
                    json!(s.product_type.to_string()),
                    json!(s.available_seats),
                ]
            })
            .collect();
        Ok(Rows {
            rows,
            warnings: Vec::new(),
        })
    }
}
