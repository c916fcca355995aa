//! The command line: `avepoint seats ...`, `avepoint customers ...` and
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

    /// Recorded runs (`avepoint seats --record`): list them, show one, compare two.
    History(Box<crate::history::HistoryArgs>),

    /// Run the local fake AvePoint service (identity + seats API) for tests and demos.
    #[command(name = "fake-server")]
    FakeServer(Box<avepoint_fake::FakeServerArgs>),
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

    /// The tenant type: m365, salesforce, google, d365 (or 0..3).
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
    /// account needed; connection settings are ignored). Without --customer,
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

/// `avepoint customers`.
#[derive(Debug, Args)]
pub(crate) struct CustomersArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,

    /// Run against a built-in fake AvePoint service with demo data and demo credentials (no
    /// account needed; connection settings are ignored).
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

    /// Attempts per call, the first included (1 turns retries off; default 4). Transient
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
}

/// Refuses empty customer IDs (and trims surrounding whitespace) at parse time.
fn parse_customer_id(s: &str) -> Result<String, String> {
    let id = s.trim();
    if id.is_empty() {
        Err("a customer ID must not be empty".to_owned())
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
    fn bad_values_are_usage_errors() {
        for bad in [
            &["seats", "--tenant-type", "teams", "-c", "x"][..],
            &["seats", "--tenant-type", "m365", "-c", ""],
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
