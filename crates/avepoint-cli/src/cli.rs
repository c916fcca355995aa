//! The command line: `avepoint seats ...`, `avepoint customers ...`, the licensing commands
//! (`overview`, `products`, `services`, `reconcile`; their flags live in their modules) and
//! `avepoint fake-server ...` (clap derive).

use std::path::PathBuf;

use avepoint_graph::{SeatStatus, TenantType};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;

const ABOUT: &str = "User seats of AvePoint customers' Microsoft 365, Salesforce, Google and Dynamics 365 tenants, from the AvePoint Graph API partner endpoint.";

const SEATS_AFTER_HELP: &str = "\
Credentials (never on the command line):
  AVEPOINT_CLIENT_ID             the app's client id (or --client-id)
  AVEPOINT_CLIENT_SECRET         the app's client secret (or --client-secret-file)
  AVEPOINT_CERTIFICATE           a .pfx/.p12 file, or a PEM file holding the private key and
                                 the certificate (or --certificate); used instead of a secret
  AVEPOINT_CERTIFICATE_PASSWORD  the .pfx password (or --certificate-password-file)
A flag beats its environment variable. Setting both AVEPOINT_CLIENT_SECRET and
AVEPOINT_CERTIFICATE (without a flag choosing one) is a configuration error.

Where (default: the commercial data center):
  AVEPOINT_REGION     data center: au, sg, ca, ne, we, fr, de, jp, kr, ch, uk, us, uae, za,
                      qa, gov, aos2, fedramp, gcp-au, gcp-jp, gcp-us, gcp-we, gcp-kr
  AVEPOINT_BASE_URL   API base URL override (https; plain http only to loopback)
  AVEPOINT_TOKEN_URL  token URL override (https; plain http only to loopback)
  AVEPOINT_SCOPE      OAuth scopes of the seats calls, space-separated
                      (default elements.license.read.all)
  AVEPOINT_CUSTOMERS_SCOPE  OAuth scopes of the customers listing (--all-customers),
                      space-separated (default elements.customers.read.all)

Output: stdout carries only data, diagnostics go to stderr. json and csv rows stream out
while the customers are fetched: in input order by default (a customer's rows are written
as soon as every customer before it is done; at most 64 x --concurrency finished
customers wait), or exactly as answers arrive with --order arrival; memory does not grow
with the number of customers either way, and the JSON array is closed even when some
customers fail. table is for people: it buffers every row until the end to align the
columns, keeps input order and adds a totals row. A customer without tenants of the type
has no json/csv rows (the table shows it). Per-customer errors on stderr follow the same
order as the rows.

Every customer (--all-customers): the customers listing is walked page by page while the
seats are fetched (memory stays flat), each customer once per requested type
(--tenant-type, or --all-types for m365, salesforce, google and d365 in that order); rows
gain an `organization` column after `customerId` (empty/null when the listing has no
name). One token per scope set: elements.customers.read.all for the listing,
elements.license.read.all for the seats. With more than one type, table output ends with
one totals row per type before the grand total. If the listing fails part-way, the rows
of the customers listed so far stay valid output and the run exits 1 (3 when the listing
is refused outright: 401/403 or no token).

Rate limits: when the service answers 429 or 503, the client slows down for the whole run
(all concurrent calls share one limiter) and finds the rate the service accepts, honouring
Retry-After; --rate-limit RPS (AVEPOINT_RATE_LIMIT) caps it from the start. With -v the
run ends with the number of throttling responses and the rate the client settled at.

--endpoint chooses the seats operation: `users` (default; one call per customer and type)
or `batch` (the paginated tenants/batch report, all pages). Both give the same rows;
--status needs `users`.

Examples:
  avepoint seats --demo --tenant-type m365
  avepoint seats --demo --all-customers --all-types
  avepoint seats --all-customers --tenant-type m365 --output csv > m365-seats.csv
  AVEPOINT_CLIENT_ID=... AVEPOINT_CLIENT_SECRET=... \\
    avepoint seats --customer f162a7c1-b9d4-4e0b-a165-97db3c2afc15 --tenant-type m365
  avepoint seats --customers-file customers.txt --tenant-type d365 --output csv > seats.csv
  cut -d, -f1 ids.csv | avepoint seats --customers-file - --tenant-type google -o json
";

/// `avepoint`: the command line.
#[derive(Debug, Parser)]
#[command(
    name = "avepoint",
    version,
    about = ABOUT,
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// Log to stderr: -v info, -vv debug (RUST_LOG overrides). Secrets and tokens are never
    /// logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Report the user seats of one, many or all customers' tenants of one or all types.
    #[command(after_help = format!("{SEATS_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
    Seats(Box<SeatsArgs>),

    /// List the partner's customers (all pages of the customers listing).
    #[command(after_help = format!("{CUSTOMERS_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
    Customers(Box<CustomersArgs>),

    /// Each customer's seat overview per tenant type: available and assigned user seats
    /// over its tenants of the type.
    #[command(after_help = format!("{OVERVIEW_AFTER_HELP}\n{LICENSING_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
    Overview(Box<crate::overview::OverviewArgs>),

    /// The user seats each customer holds of AvePoint products.
    #[command(after_help = format!("{PRODUCTS_AFTER_HELP}\n{LICENSING_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
    Products(Box<crate::products::ProductsArgs>),

    /// Each customer's AvePoint services (subscriptions), one row per product.
    #[command(after_help = format!("{SERVICES_AFTER_HELP}\n{LICENSING_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
    Services(Box<crate::services::ServicesArgs>),

    /// Users assigned on each customer's tenants against the seats it holds of the matching
    /// AvePoint backup product, with a status per pair.
    #[command(after_help = format!("{RECONCILE_AFTER_HELP}\n{LICENSING_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
    Reconcile(Box<crate::reconcile::ReconcileArgs>),

    /// Recorded runs (`avepoint seats --record`): list them, show one, compare two.
    History(Box<crate::history::HistoryArgs>),

    /// Run the local fake AvePoint service (identity + seats API) for tests and demos.
    #[command(name = "fake-server")]
    FakeServer(Box<avepoint_fake::FakeServerArgs>),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    #[command(after_help = crate::completions::COMPLETIONS_AFTER_HELP)]
    Completions(crate::completions::CompletionsArgs),

    /// Print the manual page (roff) to stdout, or write one page per command to a directory.
    #[command(after_help = crate::man_page::MAN_AFTER_HELP)]
    Man(crate::man_page::ManArgs),
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned columns with totals, for people (buffers all rows).
    Table,
    /// A JSON array of objects, one per line, streamed.
    Json,
    /// The same columns as CSV with a header row, streamed.
    Csv,
}

/// The seats operation to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Endpoint {
    /// `.../type/{type}/users`: one call per customer and type.
    Users,
    /// `.../type/{type}/tenants/batch`: the paginated report, every page.
    Batch,
}

/// The order of output rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Order {
    /// The order of the input customers.
    Input,
    /// The order the answers arrive in.
    Arrival,
}

/// `avepoint seats`. Exactly one of `--tenant-type` and `--all-types`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("types").required(true).multiple(false)))]
pub(crate) struct SeatsArgs {
    /// A customer ID (repeat for several).
    #[arg(short = 'c', long = "customer", value_name = "ID", value_parser = parse_customer_id)]
    pub(crate) customers: Vec<String>,

    /// Read customer IDs from a file, or from stdin with `-`: one per line; blank lines and
    /// lines starting with `#` are skipped. Read lazily, after the --customer IDs.
    #[arg(long, value_name = "PATH|-")]
    pub(crate) customers_file: Option<PathBuf>,

    /// Every customer of the partner, from the customers listing (all pages, walked while
    /// the seats are fetched); rows gain an `organization` column.
    #[arg(long, conflicts_with_all = ["customers", "customers_file"])]
    pub(crate) all_customers: bool,

    /// The tenant type: m365, salesforce, google or d365, or its number 0..3. Also accepted,
    /// in any case and with or without spaces, `-` or `_`: microsoft365, "Microsoft 365",
    /// office365, o365 (0); sf (1); googleworkspace, gws (2); dynamics365, dynamics (3).
    #[arg(short = 't', long, value_name = "TYPE", group = "types")]
    pub(crate) tenant_type: Option<TenantType>,

    /// Every tenant type: m365, salesforce, google and d365, in that order.
    #[arg(long, group = "types")]
    pub(crate) all_types: bool,

    /// The seats operation: `users` (one call per customer and type) or `batch` (the
    /// paginated tenants/batch report). Same rows either way.
    #[arg(long, value_enum, value_name = "users|batch", default_value_t = Endpoint::Users)]
    pub(crate) endpoint: Endpoint,

    /// Only available or only assigned seats (the API's licenseAssignedStatus; needs
    /// `--endpoint users`).
    #[arg(short = 's', long, value_name = "available|assigned")]
    pub(crate) status: Option<SeatStatus>,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,

    /// Order of json/csv rows: `input` (the customers' order; a finished customer waits for
    /// slower earlier ones, at most 64 x concurrency are held) or `arrival` (as answers come
    /// in). Both stream.
    #[arg(long, value_enum, value_name = "ORDER", default_value_t = Order::Input)]
    pub(crate) order: Order,

    /// How many seats calls run at the same time (1..=256).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,

    /// Run against a built-in fake AvePoint service with demo data and demo credentials (no
    /// account needed; its URLs and credentials replace the connection settings, and
    /// --max-attempts and --rate-limit still apply). Without --customer,
    /// --customers-file or --all-customers, every demo customer is queried.
    #[arg(long)]
    pub(crate) demo: bool,

    /// Recording the run in the history database.
    #[command(flatten)]
    pub(crate) record: crate::history::RecordArgs,

    /// Connection and credentials.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
}

impl SeatsArgs {
    /// The tenant types to report, in order.
    pub(crate) fn tenant_types(&self) -> Vec<TenantType> {
        match self.tenant_type {
            Some(t) if !self.all_types => vec![t],
            _ => TenantType::ALL.to_vec(),
        }
    }
}

const CUSTOMERS_AFTER_HELP: &str = "\
Output: json and csv stream the customers as the pages arrive; table buffers them.
  json  one object per customer: id, organization, ownerEmail, jobStatus (the wire
        integer), jobStatusLabel, countryOrRegion, managementMode (the wire integer),
        managementModeLabel, tenants ([{id, name}]); missing values are null
  csv   id, organization, ownerEmail, jobStatus, jobStatusLabel, countryOrRegion,
        managementMode, managementModeLabel, tenantCount, tenantIds, tenantNames (the
        last two `;`-joined, in the same order; use json if names may contain `;`)
  table ID, ORGANIZATION, OWNER, COUNTRY, JOB STATUS, MANAGEMENT, TENANTS (a count)
Labels: jobStatus 0 N/A, 1 Working, 2 Failed, 3 Waiting for configuration, 4 Multiple
issues found, 5 Finished with exception, 6 No backup updates; managementMode 0
Customer-managed, 1 Partner-managed, 2 To be configured; a code this version does not know
is labelled `unknown (<code>)`.
The listing needs the scope elements.customers.read.all (AVEPOINT_CUSTOMERS_SCOPE).

Examples:
  avepoint customers --demo
  avepoint customers --output csv > customers.csv
";

const LICENSING_AFTER_HELP: &str = "\
Customers, output and connection as for `avepoint seats` (see `avepoint seats --help` for
credentials and environment variables): --customer/--customers-file/--all-customers/--demo,
--output table|json|csv, --order, --concurrency (API calls at the same time). One token for
the whole run. A customer is written whole or not at all: when one of its calls fails it is
named on stderr (`error: customer <id>: <message>`), the other customers are complete, and
the run exits 1. With --all-customers rows gain `organization` after `customerId`.";

const OVERVIEW_AFTER_HELP: &str = "\
Rows (one per customer x tenant type): customerId, tenantType (m365, salesforce, google,
d365), availableUserSeat, assignedUserSeat. The table ends with a totals row. With
--all-types a type the service answers 404 for is left out; a type named with
--tenant-type that answers 404 fails that customer.

Examples:
  avepoint overview --demo --all-types
  avepoint overview --all-customers --tenant-type m365 -o csv > m365-overview.csv";

const PRODUCTS_AFTER_HELP: &str = "\
Rows (one per customer x product): customerId, productType (the integer code), product (the
name, or `unknown (<code>)` for a code this version does not know), availableUserSeat.
With --all-products a product the service answers 404 for (the customer holds none) is left
out; a product named with --product that answers 404 fails that customer.

Examples:
  avepoint products --demo --all-products
  avepoint products --customer <id> --product 2048,\"Cloud Backup for Salesforce\" -o json";

const SERVICES_AFTER_HELP: &str = "\
Rows (one per customer x service product), keys as on the wire: customerId, organization,
customer (the owner's e-mail), service, subscriptionModel, purchasedUserSeats,
purchasedUnits, microsoftLicenseAssigned, microsoftLicenseAvailable, purchasedCapacity (as
sent, e.g. \"0/1 GB\"), purchasedCapacityUsedBytes, purchasedCapacityTotalBytes,
protectedCapacity, protectedCapacityBytes, storage, retention, consumedStorage,
consumedStorageBytes, expirationDate, change, source, paymentType, subscriptionName,
package, contractEndDate. \"N/A\" is null; counts are numbers; dates are YYYY-MM-DD; sizes
count 1 GB as 2^30 bytes. A value that does not parse is written as sent and named in a
`warning:` line on stderr (the run still exits 0).

Examples:
  avepoint services --demo
  avepoint services --all-customers --expiring-within 30 -o csv > renewals.csv";

const RECONCILE_AFTER_HELP: &str = "\
Pairs: m365 <-> Cloud Backup for Microsoft 365 (2048), salesforce <-> Cloud Backup for
Salesforce (32), google <-> Cloud Backup for Google Workspace (33554432), d365 <-> Cloud
Backup for Dynamics 365 (131072). assigned = the overview's assignedUserSeat for the type,
purchased = the product's availableUserSeat; a 404 from either side counts as 0.
Rows: customerId, tenantType, productType, assignedUserSeat, purchasedUserSeat, gap
(purchased - assigned) and status:
  unlicensed  assigned > 0 and purchased = 0
  under       0 < purchased < assigned
  idle        purchased - assigned > P % of purchased (--idle-percent, default 20)
  ok          otherwise
Pairs where both sides are 0 are left out. The table ends with the counts per status. A
customer whose overview answers 404 for every type is pointed out in a `warning:` line.
--fail-on STATUS[,STATUS...] exits 4 when a row has one of them and no customer failed.

Examples:
  avepoint reconcile --demo --all-customers
  avepoint reconcile --all-customers --fail-on unlicensed,under -o json > reconcile.json";

/// `avepoint customers`.
#[derive(Debug, Args)]
pub(crate) struct CustomersArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,

    /// Run against a built-in fake AvePoint service with demo data and demo credentials (no
    /// account needed; its URLs and credentials replace the connection settings, and
    /// --max-attempts and --rate-limit still apply).
    #[arg(long)]
    pub(crate) demo: bool,

    /// Connection and credentials.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
}

/// Where to connect and how to authenticate.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Connection")]
pub(crate) struct ConnectionArgs {
    /// The app's client (application) ID from Elements > API app registration.
    #[arg(
        long,
        value_name = "ID",
        env = "AVEPOINT_CLIENT_ID",
        hide_env_values = true
    )]
    pub(crate) client_id: Option<String>,

    /// Read the client secret from this file (a trailing newline is ignored) instead of
    /// AVEPOINT_CLIENT_SECRET.
    #[arg(long, value_name = "PATH", conflicts_with = "certificate")]
    pub(crate) client_secret_file: Option<PathBuf>,

    /// Authenticate with this certificate instead of a secret: a .pfx/.p12 file, or a PEM
    /// file holding the private key and the certificate [env: AVEPOINT_CERTIFICATE].
    #[arg(long, value_name = "PATH")]
    pub(crate) certificate: Option<PathBuf>,

    /// Read the certificate's password from this file instead of
    /// AVEPOINT_CERTIFICATE_PASSWORD.
    #[arg(long, value_name = "PATH")]
    pub(crate) certificate_password_file: Option<PathBuf>,

    /// The data center (au, uk, us, gov, gcp-us, ...; default: commercial).
    #[arg(
        long,
        value_name = "NAME",
        env = "AVEPOINT_REGION",
        hide_env_values = true
    )]
    pub(crate) region: Option<String>,

    /// Override the API base URL.
    #[arg(
        long,
        value_name = "URL",
        env = "AVEPOINT_BASE_URL",
        hide_env_values = true
    )]
    pub(crate) base_url: Option<String>,

    /// Override the identity service's token URL.
    #[arg(
        long,
        value_name = "URL",
        env = "AVEPOINT_TOKEN_URL",
        hide_env_values = true
    )]
    pub(crate) token_url: Option<String>,

    /// OAuth scopes of the seats calls, space-separated (default:
    /// elements.license.read.all).
    #[arg(
        long,
        value_name = "SCOPES",
        env = "AVEPOINT_SCOPE",
        hide_env_values = true
    )]
    pub(crate) scope: Option<String>,

    /// OAuth scopes of the customers listing, space-separated (default:
    /// elements.customers.read.all).
    #[arg(
        long,
        value_name = "SCOPES",
        env = "AVEPOINT_CUSTOMERS_SCOPE",
        hide_env_values = true
    )]
    pub(crate) customers_scope: Option<String>,

    /// Attempts per call, the first included: 1..=20 (1 turns retries off; default 4). Transient
    /// failures (429, 5xx, connection errors, timeouts) are retried with jittered backoff,
    /// honouring Retry-After up to 60 s.
    #[arg(
        long,
        value_name = "N",
        env = "AVEPOINT_MAX_ATTEMPTS",
        hide_env_values = true,
        value_parser = clap::value_parser!(u32).range(1..=20)
    )]
    pub(crate) max_attempts: Option<u32>,

    /// Send at most RPS API requests per second (retries included), across all of the run's
    /// concurrent calls. Without it the client still adapts: after the service's first 429 or
    /// 503 it paces its requests near the rate the service accepts (-v reports it).
    #[arg(
        long,
        value_name = "RPS",
        env = "AVEPOINT_RATE_LIMIT",
        hide_env_values = true,
        value_parser = parse_rate_limit
    )]
    pub(crate) rate_limit: Option<f64>,
}

/// A positive, finite number of requests per second.
fn parse_rate_limit(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "`{s}` is not a positive number of requests per second"
        )),
    }
}

/// Refuses empty customer IDs and the IDs `.` and `..` (which URL path normalisation would
/// turn into another path) at parse time, and trims surrounding whitespace.
pub(crate) fn parse_customer_id(s: &str) -> Result<String, String> {
    let id = s.trim();
    if id.is_empty() {
        Err("a customer ID must not be empty".to_owned())
    } else if matches!(id, "." | "..") {
        Err(format!(
            "`{id}` is not a customer ID (URL path normalisation would change it)"
        ))
    } else {
        Ok(id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seats_flags_parse() {
        let cli = Cli::try_parse_from([
            "avepoint",
            "seats",
            "--customer",
            " a/b c?#% ",
            "-c",
            "x",
            "--tenant-type",
            "3",
            "--status",
            "assigned",
            "-o",
            "csv",
            "--concurrency",
            "2",
            "-vv",
        ]);
        let Ok(Cli {
            verbose,
            command: Command::Seats(args),
        }) = cli
        else {
            panic!("did not parse: {cli:?}");
        };
        assert_eq!(verbose, 2);
        assert_eq!(args.customers, ["a/b c?#%", "x"]);
        assert_eq!(args.tenant_type, Some(TenantType::Dynamics365));
        assert_eq!(args.tenant_types(), [TenantType::Dynamics365]);
        assert_eq!(args.status, Some(SeatStatus::Assigned));
        assert_eq!(args.output, OutputFormat::Csv);
        assert_eq!(args.concurrency, 2);
    }

    #[test]
    fn fleet_and_customers_flags_parse() {
        let cli = Cli::try_parse_from([
            "avepoint",
            "seats",
            "--all-customers",
            "--all-types",
            "--endpoint",
            "batch",
        ]);
        let Ok(Cli {
            command: Command::Seats(args),
            ..
        }) = cli
        else {
            panic!("did not parse: {cli:?}");
        };
        assert!(args.all_customers);
        assert_eq!(args.tenant_types(), TenantType::ALL);
        assert_eq!(args.endpoint, Endpoint::Batch);
        let cli = Cli::try_parse_from(["avepoint", "customers", "-o", "csv", "--demo"]);
        let Ok(Cli {
            command: Command::Customers(args),
            ..
        }) = cli
        else {
            panic!("did not parse: {cli:?}");
        };
        assert_eq!(args.output, OutputFormat::Csv);
        assert!(args.demo);
    }

    #[test]
    fn licensing_flags_parse() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("avepoint").chain(args.iter().copied()))
        };
        let Ok(Cli {
            command: Command::Reconcile(args),
            ..
        }) = parse(&[
            "reconcile",
            "--demo",
            "--fail-on",
            "under,unlicensed",
            "--fail-on",
            "idle",
            "--idle-percent",
            "12.5",
            "-t",
            "google",
        ])
        else {
            panic!("reconcile did not parse");
        };
        assert_eq!(args.fail_on.len(), 3);
        assert_eq!(args.idle_percent, 12.5);
        assert_eq!(args.tenant_type, Some(TenantType::Google));
        let Ok(Cli {
            command: Command::Products(args),
            ..
        }) = parse(&["products", "-p", "2048,fly", "--product", "7", "-c", "x"])
        else {
            panic!("products did not parse");
        };
        let codes: Vec<i64> = args.products.iter().map(|p| p.code()).collect();
        assert_eq!(codes, [2048, 16777216, 7]);
        for bad in [
            &["products", "-c", "x"][..],
            &["products", "-p", "teams", "-c", "x"],
            &["products", "-p", "2048", "--all-products", "-c", "x"],
            &["overview", "-c", "x"],
            &["overview", "-t", "m365", "--all-types", "-c", "x"],
            &["reconcile", "--fail-on", "bad", "-c", "x"],
            &["reconcile", "--idle-percent", "120", "-c", "x"],
            &["reconcile", "-t", "m365", "--all-types", "-c", "x"],
            &["services", "--expiring-within", "-3", "-c", "x"],
            &["services", "--all-customers", "-c", "x"],
        ] {
            let err = parse(bad).expect_err("must be refused");
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for bad in [
            &["seats", "--tenant-type", "teams", "-c", "x"][..],
            &["seats", "--tenant-type", "m365", "-c", ""],
            &["seats", "--tenant-type", "m365", "-c", ".."],
            &["seats", "--tenant-type", "m365", "-c", " . "],
            &["seats", "--tenant-type", "m365", "--concurrency", "0"],
            &["seats", "--tenant-type", "m365", "--status", "used"],
            &["seats", "--tenant-type", "m365", "--client-secret", "x"],
            &["seats", "--tenant-type", "m365", "-o", "xml"],
            &["seats", "--all-customers"],
            &["seats", "--all-customers", "--all-types", "-t", "m365"],
            &["seats", "--all-customers", "--all-types", "-c", "x"],
            &["seats", "-t", "m365", "--endpoint", "rest"],
        ] {
            let args = std::iter::once("avepoint").chain(bad.iter().copied());
            let err = Cli::try_parse_from(args).expect_err("must be refused");
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
