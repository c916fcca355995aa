//! Seat history: `avepoint seats --record` keeps every run in an embedded SQLite database
//! ([`store`]: schema, migrations, WAL, busy timeout), written by a dedicated thread as the
//! rows stream ([`recorder`]); `avepoint history runs|show|diff` reads it back (`runs`,
//! `show`, `diff`).
//!
//! The database is `--db PATH`, else `AVEPOINT_DB`, else `history.sqlite3` in the platform
//! data directory (`location`).

mod args;
mod customer_tally;
mod diff;
mod location;
pub(crate) mod recorder;
mod reserve;
mod runs;
mod show;
pub(crate) mod store;
mod tenants_blob;

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

pub(crate) use args::{HistoryArgs, RecordArgs};

use crate::exit::{Fatal, Status};
use args::HistoryCommand;
use location::DbLocation;

/// Runs `avepoint history ...`.
pub(crate) fn run(args: HistoryArgs) -> Result<Status, Fatal> {
    let db = Database::open(args.db.as_deref())?;
    match args.command {
        HistoryCommand::Runs(args) => runs::run(&db, &args),
        HistoryCommand::Show(args) => show::run(&db, &args),
        HistoryCommand::Diff(args) => diff::run(&db, &args),
    }
}

/// The database the history commands read; `conn` is `None` when it holds no runs yet.
pub(crate) struct Database {
    path: PathBuf,
    conn: Option<Connection>,
}

/// What the history commands need to know about a run.
#[derive(Debug)]
pub(crate) struct RunMeta {
    /// The run id.
    pub(crate) id: i64,
    /// `running`, `complete`, `partial` or `interrupted`.
    pub(crate) state: String,
    /// The requested tenant type codes, in order.
    pub(crate) tenant_types: String,
    /// Whether its rows carry the organization column.
    pub(crate) organization: bool,
    /// What went wrong, when something did.
    pub(crate) error: Option<String>,
}

impl Database {
    /// Opens the database of `--db`/`AVEPOINT_DB`/the default for reading.
    fn open(flag: Option<&Path>) -> Result<Self, Fatal> {
        let location = DbLocation::resolve(flag)?;
        let conn = store::open_for_reading(&location)?;
        Ok(Self {
            path: location.path,
            conn,
        })
    }

    /// A query failed: the database is damaged or locked for too long.
    fn failed(&self, e: &rusqlite::Error) -> Failure {
        Failure::Db(Fatal::usage(format!(
            "history database {}: cannot read it: {e}",
            self.path.display()
        )))
    }

    /// A stored value could not be read back: the database is damaged.
    fn damaged(&self, e: &tenants_blob::BlobError) -> Failure {
        Failure::Db(Fatal::usage(format!(
            "history database {}: cannot read it: {e}",
            self.path.display()
        )))
    }

    /// Run `id`, or exit 2 when there is no such run.
    fn run_meta(&self, id: u64) -> Result<RunMeta, Failure> {
        let unknown = || {
            Fatal::usage(format!(
                "no run {id} in the history database {} (see `avepoint history runs`)",
                self.path.display()
            ))
        };
        let Some(conn) = &self.conn else {
            return Err(unknown().into());
        };
        conn.query_row(
            "SELECT run_id, state, tenant_types, organization, error FROM runs WHERE run_id = ?1",
            params![store::to_sql_int(id)],
            |row| {
                Ok(RunMeta {
                    id: row.get(0)?,
                    state: row.get(1)?,
                    tenant_types: row.get(2)?,
                    organization: row.get(3)?,
                    error: row.get(4)?,
                })
            },
        )
        .optional()
        .map_err(|e| self.failed(&e))?
        .ok_or_else(|| unknown().into())
    }
}

/// Why a history command stopped: its database or its output.
enum Failure {
    /// Reading the database failed, or the request was wrong (exit 2).
    Db(Fatal),
    /// Writing to stdout failed.
    Output(io::Error),
}

impl From<Fatal> for Failure {
    fn from(fatal: Fatal) -> Self {
        Self::Db(fatal)
    }
}

impl Failure {
    /// The command's result: a closed stdout ends it quietly, anything else is an error.
    fn into_result(self) -> Result<Status, Fatal> {
        match self {
            Self::Db(fatal) => Err(fatal),
            Self::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Status::Success),
            Self::Output(e) => Err(Fatal::output(&e)),
        }
    }
}

/// Makes stored text (server data, error messages) safe for one stderr line.
fn escaped(s: &str) -> String {
    s.escape_debug().to_string()
}
