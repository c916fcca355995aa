//! The flags every per-customer licensing command shares with `seats`: which customers
//! (`--customer`, `--customers-file`, `--all-customers`, `--demo`), the output format and
//! order, the concurrency, and the connection.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{ConnectionArgs, Order, OutputFormat, parse_customer_id};

/// Which customers, how to write them, how many calls at once, and where to connect.
#[derive(Debug, Args)]
pub(crate) struct SelectionArgs {
    /// A customer ID (repeat for several).
    #[arg(short = 'c', long = "customer", value_name = "ID", value_parser = parse_customer_id)]
    pub(crate) customers: Vec<String>,

    /// Read customer IDs from a file, or from stdin with `-`: one per line; blank lines and
    /// lines starting with `#` are skipped. Read lazily, after the --customer IDs.
    #[arg(long, value_name = "PATH|-")]
    pub(crate) customers_file: Option<PathBuf>,

    /// Every customer of the partner, from the customers listing (all pages, walked while
    /// the calls run); rows gain an `organization` column after `customerId`.
    #[arg(long, conflicts_with_all = ["customers", "customers_file"])]
    pub(crate) all_customers: bool,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,

    /// Order of json/csv rows: `input` (the customers' order) or `arrival` (as answers come
    /// in). Both stream.
    #[arg(long, value_enum, value_name = "ORDER", default_value_t = Order::Input)]
    pub(crate) order: Order,

    /// How many API calls run at the same time (1..=256).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,

    /// Run against a built-in fake AvePoint service with demo data and demo credentials (no
    /// account needed; its URLs and credentials replace the connection settings, and
    /// --max-attempts and --rate-limit still apply). Without --customer,
    /// --customers-file or --all-customers, every demo customer is queried.
    #[arg(long)]
    pub(crate) demo: bool,

    /// Connection and credentials.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
}
