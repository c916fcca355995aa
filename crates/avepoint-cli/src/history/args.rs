//! The command line of the history: `--record`/`--db` of `avepoint seats` ([`RecordArgs`])
//! and `avepoint history runs|show|diff` ([`HistoryArgs`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::OutputFormat;

/// `--record` and `--db` of `avepoint seats`.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "History")]
pub(crate) struct RecordArgs {
    /// Record this run in the history database: its rows as they stream, each customer and
    /// type's outcome, and how the run ended (complete, partial or interrupted).
    #[arg(long)]
    pub(crate) record: bool,

    /// The history database (a SQLite file, created when missing) [env: AVEPOINT_DB]
    /// [default: history.sqlite3 in the platform data directory, e.g.
    /// ~/.local/share/avepoint]. Needs --record.
    #[arg(long, value_name = "PATH", requires = "record")]
    pub(crate) db: Option<PathBuf>,
}

const HISTORY_AFTER_HELP: &str = "\
The database: --db PATH, else AVEPOINT_DB, else history.sqlite3 in the platform data
directory (e.g. ~/.local/share/avepoint/history.sqlite3). Record runs into it with
`avepoint seats ... --record`. A run is `running` while it records (and stays so when the
process is killed outright), `complete` when every customer was reported, `partial` when
some failed (or the recording itself failed, e.g. a full disk), `interrupted` after Ctrl-C
or SIGTERM.

Examples:
  avepoint seats --all-customers --all-types --record
  avepoint history runs
  avepoint history show 3 --output csv
  avepoint history diff                    # the two most recent complete runs
  avepoint history diff --from 1 --to 3 --fail-on-change -o json

Exit codes:
  0  done
  2  usage error, or a database that cannot be used (missing, not a SQLite database,
     written by a newer avepoint), or an unknown run id
  4  history diff --fail-on-change: at least one row reported";

/// `avepoint history`.
#[derive(Debug, Args)]
#[command(after_help = HISTORY_AFTER_HELP)]
pub(crate) struct HistoryArgs {
    /// The history database [env: AVEPOINT_DB] [default: history.sqlite3 in the platform
    /// data directory].
    #[arg(long, value_name = "PATH", global = true)]
    pub(crate) db: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: HistoryCommand,
}

/// The history subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum HistoryCommand {
    /// One row per recorded run: runId, startedAt, finishedAt, state, customers,
    /// failedCustomers, rows (oldest first).
    Runs(RunsArgs),

    /// A recorded run's rows, in exactly the output format of `avepoint seats`.
    Show(ShowArgs),

    /// What changed between two runs, tenant by tenant (default: the two most recent
    /// complete runs).
    #[command(after_help = DIFF_AFTER_HELP)]
    Diff(DiffArgs),
}

/// `avepoint history runs`.
#[derive(Debug, Args)]
pub(crate) struct RunsArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,
}

/// `avepoint history show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The run id (`runId` of `avepoint history runs`).
    #[arg(value_name = "RUN", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) run: u64,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,
}

const DIFF_AFTER_HELP: &str = "\
Only customer x type pairs that succeeded in both runs are compared; a pair that failed
or is missing in either run is named on stderr as not compared (never reported as
removed). A tenant is `added` when only the later run has it, `removed` when only the
earlier one has it, `changed` when its available or assigned seats differ.

Rows (json keys; csv has the same header): customerId, tenantType, tenantId, tenantName,
change (added|removed|changed), availableBefore, availableAfter, assignedBefore,
assignedAfter; the side that does not exist is null (empty in csv). The table ends with
the totals of the available and assigned deltas per tenant type.

--from defaults to the most recent complete run before --to; --to to the most recent
complete run.";

/// `avepoint history diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The earlier run [default: the complete run before --to].
    #[arg(long, value_name = "RUN", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) from: Option<u64>,

    /// The later run [default: the most recent complete run].
    #[arg(long, value_name = "RUN", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) to: Option<u64>,

    /// Exit with 4 when any row is reported.
    #[arg(long)]
    pub(crate) fail_on_change: bool,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,
}
