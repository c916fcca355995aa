//! The history database: a SQLite file (compiled in through `rusqlite`'s `bundled` feature,
//! so no system library is needed), its versioned schema (`rusqlite_migration`, on SQLite's
//! `user_version`), and how it is opened.
//!
//! Opening never harms a file that is not ours: the path is checked first (a directory,
//! a file whose header is not SQLite's, a SQLite database of another application, or one
//! written by a newer schema version are refused before anything is written), and only
//! then opened for writing. Writers use WAL (readers never block the writer, nor the
//! writer them), a busy timeout (two recording runs take turns instead of failing) and
//! `BEGIN IMMEDIATE` transactions.

use std::fmt;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, params};
use rusqlite_migration::{HookResult, M, Migrations};

use super::location::DbLocation;
use super::tenants_blob::Encoder;
use crate::exit::Fatal;

/// `PRAGMA application_id` of a history database ("AVPH").
const APPLICATION_ID: i32 = 0x4156_5048;

/// How long a connection waits for another one's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The length of a SQLite database header.
const HEADER_LEN: usize = 100;

/// Schema version 1.
///
/// * `runs`: one row per run; `selection` is the command's selection as JSON (never a
///   secret), `tenant_types` the requested type codes in order and `organization` whether
///   rows carry the organization column (together: the output layout of `history show`);
///   `customers`, `failed_customers` and `seat_rows` are set when the run ends.
/// * `reports`: one row per customer x tenant type, `seq` its position in the input;
///   `ok` 1 with the tenants in `seats`, or 0 with the `error`.
/// * `seats`: the rows of a report, `position` their order in the answer.
const SCHEMA_V1: &str = "
PRAGMA application_id = 1096175688;
CREATE TABLE runs (
    run_id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    state            TEXT NOT NULL
                     CHECK (state IN ('running', 'complete', 'partial', 'interrupted')),
    selection        TEXT NOT NULL,
    base_url         TEXT NOT NULL,
    tenant_types     TEXT NOT NULL,
    organization     INTEGER NOT NULL CHECK (organization IN (0, 1)),
    customers        INTEGER,
    failed_customers INTEGER,
    seat_rows        INTEGER,
    error            TEXT
);
CREATE TABLE reports (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    seq          INTEGER NOT NULL,
    customer_id  TEXT NOT NULL,
    organization TEXT,
    tenant_type  INTEGER NOT NULL,
    ok           INTEGER NOT NULL CHECK (ok IN (0, 1)),
    error        TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE seats (
    run_id      INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    tenant_id   TEXT NOT NULL,
    tenant_name TEXT NOT NULL,
    available   INTEGER NOT NULL,
    assigned    INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq, position),
    FOREIGN KEY (run_id, seq) REFERENCES reports (run_id, seq)
) WITHOUT ROWID;
";

/// Schema version 2: a report's tenants move into the report, one blob in the order of the
/// answer (`tenants`, see [`super::tenants_blob`]) with their number (`tenant_count`), so that
/// recording costs one insert per report instead of one more per tenant. The `seats` rows
/// of older runs are moved by [`move_seats_into_reports`], then the table is dropped.
const SCHEMA_V2: &str = "
ALTER TABLE reports ADD COLUMN tenant_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN tenants BLOB;
";

/// The migrations, oldest first; the schema version is their count.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(SCHEMA_V1),
        M::up_with_hook(SCHEMA_V2, move_seats_into_reports),
    ])
}

/// The schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// Moves every `seats` row into its report's blob (in the order of `position`), then drops
/// `seats`. Reads the rows in key order, one report at a time, so memory does not grow with
/// the history.
fn move_seats_into_reports(tx: &Transaction<'_>) -> HookResult {
    {
        let mut seats = tx.prepare(
            "SELECT run_id, seq, tenant_id, tenant_name, available, assigned
             FROM seats ORDER BY run_id, seq, position",
        )?;
        let mut update = tx.prepare(
            "UPDATE reports SET tenant_count = ?3, tenants = ?4 WHERE run_id = ?1 AND seq = ?2",
        )?;
        let mut store = |report: Option<(i64, i64, Encoder)>| match report {
            Some((run, seq, tenants)) => update
                .execute(params![
                    run,
                    seq,
                    to_sql_int(tenants.count()),
                    tenants.finish()
                ])
                .map(drop),
            None => Ok(()),
        };
        let mut rows = seats.query([])?;
        let mut current: Option<(i64, i64, Encoder)> = None;
        while let Some(row) = rows.next()? {
            let (run, seq): (i64, i64) = (row.get(0)?, row.get(1)?);
            if current.as_ref().is_none_or(|c| (c.0, c.1) != (run, seq)) {
                store(current.take())?;
                current = Some((run, seq, Encoder::new()));
            }
            if let Some((_, _, tenants)) = current.as_mut() {
                let id: String = row.get(2)?;
                let name: String = row.get(3)?;
                tenants.push(&id, &name, row.get(4)?, row.get(5)?);
            }
        }
        store(current.take())?;
    }
    tx.execute_batch("DROP TABLE seats;")?;
    Ok(())
}

/// What a path holds, found without writing to it.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// Nothing: a new database is created there.
    Missing,
    /// An empty file (e.g. `touch`ed): used as a new database.
    Empty,
    /// A SQLite database.
    Database {
        application_id: i32,
        user_version: i64,
        objects: i64,
    },
}

/// Why a database cannot be used; all are usage errors (exit 2), raised before anything is
/// written to the file.
#[derive(Debug)]
pub(crate) struct StoreError {
    path: PathBuf,
    problem: String,
}

impl StoreError {
    fn new(path: &Path, problem: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    fn sqlite(path: &Path, what: &str, e: &rusqlite::Error) -> Self {
        Self::new(path, format!("{what}: {e}"))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "history database {}: {}",
            self.path.display(),
            self.problem
        )
    }
}

impl From<StoreError> for Fatal {
    fn from(e: StoreError) -> Self {
        Fatal::usage(e.to_string())
    }
}

/// Looks at `path` without writing to it, and without creating anything next to it.
fn inspect(path: &Path) -> Result<Found, StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(StoreError::new(path, format!("cannot read it: {e}"))),
    };
    if meta.is_dir() {
        return Err(StoreError::new(path, "is a directory, not a database file"));
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    File::open(path)
        .and_then(|f| f.take(HEADER_LEN as u64).read_to_end(&mut header))
        .map_err(|e| StoreError::new(path, format!("cannot read it: {e}")))?;
    if header.is_empty() {
        return Ok(Found::Empty);
    }
    if !header.starts_with(SQLITE_HEADER) {
        return Err(StoreError::new(
            path,
            "is not a SQLite database; it was left untouched (choose another file with --db or AVEPOINT_DB)",
        ));
    }
    // A reader of a WAL database creates its `-wal` and `-shm` files when they are missing,
    // and leaves them behind (only a writer removes them). Without a `-wal` file the
    // database file holds everything, so it is read as immutable (no lock, no side file);
    // should it change meanwhile (a writer starting), it is read again the usual way.
    if is_wal_mode(&header)
        && !side_file(path, "-wal").exists()
        && let Some(found) = immutable_uri(path).and_then(|uri| {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(uri, flags).ok()?;
            read_found(&conn).ok()
        })
    {
        return Ok(found);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::sqlite(path, "cannot open it", &e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(path, "cannot open it", &e))?;
    read_found(&conn).map_err(|e| StoreError::sqlite(path, "is not a usable SQLite database", &e))
}

/// What an opened database is.
fn read_found(conn: &Connection) -> rusqlite::Result<Found> {
    let read = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, i64>(0));
    Ok(Found::Database {
        application_id: i32::try_from(read("PRAGMA application_id")?).unwrap_or(-1),
        user_version: read("PRAGMA user_version")?,
        objects: read("SELECT count(*) FROM sqlite_schema")?,
    })
}

/// Whether a database header says WAL mode (file format write and read versions 2).
fn is_wal_mode(header: &[u8]) -> bool {
    header.get(18..20) == Some(&[2, 2])
}

/// The database's side file with `suffix` (`-wal`, `-shm`).
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The `file:` URI opening `path` as immutable (see `inspect`), or `None` when the path
/// cannot be written as one (then it is opened the usual way).
fn immutable_uri(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt as _;
        absolute.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = {
        // `C:\dir\h.sqlite3` is `file:///C:/dir/h.sqlite3`.
        let text = absolute.to_str()?.replace('\\', "/");
        let text = text.strip_prefix("//?/").unwrap_or(&text).to_owned();
        format!("/{}", text.trim_start_matches('/')).into_bytes()
    };
    let mut uri = String::from("file://");
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || b"/:-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    Some(uri)
}

/// Refuses a database that is not ours or is newer than this build.
fn check_compatible(path: &Path, found: &Found) -> Result<(), StoreError> {
    let Found::Database {
        application_id,
        user_version,
        objects,
    } = *found
    else {
        return Ok(());
    };
    let ours = application_id == APPLICATION_ID;
    let blank = application_id == 0 && user_version == 0 && objects == 0;
    if !ours && !blank {
        return Err(StoreError::new(
            path,
            "is a SQLite database of another application; it was left untouched (choose another file with --db or AVEPOINT_DB)",
        ));
    }
    if user_version > SCHEMA_VERSION {
        return Err(StoreError::new(
            path,
            format!(
                "was written by a newer version of avepoint (schema version {user_version}; this version knows up to {SCHEMA_VERSION}): upgrade avepoint to use it; it was left untouched"
            ),
        ));
    }
    Ok(())
}

/// Sets a connection up: the busy timeout. (Foreign keys are declared for the reader of the
/// schema but not enforced: the writer inserts a report before its seats in one
/// transaction, and checking each seat row would cost a lookup.)
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)
}

/// Opens the database for recording: checks it, creates it when missing (and its directory
/// when it is the default location), switches it to WAL and migrates it to the current
/// schema.
pub(crate) fn open_for_writing(location: &DbLocation) -> Result<Connection, StoreError> {
    let path = location.path.as_path();
    let found = inspect(path)?;
    check_compatible(path, &found)?;
    if found == Found::Missing
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        if location.default {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::new(path, format!("cannot create its directory: {e}")))?;
        } else {
            return Err(StoreError::new(
                path,
                format!("its directory {} does not exist", dir.display()),
            ));
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::sqlite(path, "cannot open it for writing", &e))?;
    if conn.is_readonly("main").unwrap_or(true) {
        return Err(StoreError::new(
            path,
            "cannot be written (read-only file or directory)",
        ));
    }
    configure(&conn).map_err(|e| StoreError::sqlite(path, "cannot set it up", &e))?;
    let mode = switch_to_wal(&conn)
        .map_err(|e| StoreError::sqlite(path, "cannot switch it to WAL", &e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::new(
            path,
            format!("cannot switch it to WAL (journal mode stays `{mode}`)"),
        ));
    }
    // NORMAL is durable across a crash of the process in WAL mode (a power loss may undo the
    // last transactions, never corrupt the file) and saves a sync per batch.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| StoreError::sqlite(path, "cannot set it up", &e))?;
    migrate(&mut conn).map_err(|e| StoreError::new(path, format!("cannot migrate it: {e}")))?;
    Ok(conn)
}

/// Switches the database to WAL and returns the journal mode it ends in. SQLite answers
/// `SQLITE_BUSY` at once (without the busy handler) while another connection, e.g. a second
/// recorder creating the same new database, holds a lock the switch needs: it is tried again
/// until the busy timeout has passed.
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<String> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Migrates to the current schema. Another process may be doing the same at the same
/// time: the migration transaction waits for its lock, and when it then fails because the
/// other one already migrated, that is success.
fn migrate(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    let result = migrations().to_latest(conn);
    conn.set_transaction_behavior(TransactionBehavior::Deferred);
    match result {
        Err(_) if schema_version(conn).ok() == Some(SCHEMA_VERSION) => Ok(()),
        other => other,
    }
}

/// `PRAGMA user_version`.
fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// The database opened for reading, or `None` when it holds no history yet (an empty file
/// or a SQLite file without our schema).
pub(crate) fn open_for_reading(location: &DbLocation) -> Result<Option<Connection>, StoreError> {
    let path = location.path.as_path();
    let found = inspect(path)?;
    check_compatible(path, &found)?;
    let version = match found {
        Found::Missing => {
            return Err(StoreError::new(
                path,
                "does not exist: record a run with `avepoint seats --record` first (or choose the database with --db or AVEPOINT_DB)",
            ));
        }
        Found::Empty => return Ok(None),
        Found::Database { user_version, .. } => user_version,
    };
    if version == 0 {
        return Ok(None);
    }
    if version < SCHEMA_VERSION {
        // An older schema: bring it up to date first (this writes to it).
        return open_for_writing(location).map(Some);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::sqlite(path, "cannot open it", &e))?;
    configure(&conn).map_err(|e| StoreError::sqlite(path, "cannot set it up", &e))?;
    Ok(Some(conn))
}

/// How a run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// Recording, or killed before it could say how it ended.
    Running,
    /// Every customer was reported.
    Complete,
    /// Some customers failed, the customers listing failed part-way, or the recording
    /// itself failed.
    Partial,
    /// Stopped by Ctrl-C or SIGTERM (or its output was closed).
    Interrupted,
}

impl RunState {
    /// The stored (and shown) name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Partial => "partial",
            Self::Interrupted => "interrupted",
        }
    }
}

/// A stored count or id: SQLite integers are signed.
pub(crate) fn to_sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use avepoint_graph::TenantSeats;

    use super::*;

    fn location(path: PathBuf) -> DbLocation {
        DbLocation {
            path,
            default: false,
        }
    }

    #[test]
    fn the_migrations_are_valid() {
        assert!(migrations().validate().is_ok());
        let mut conn = Connection::open_in_memory().expect("in memory");
        migrations().to_latest(&mut conn).expect("migrates");
        assert_eq!(schema_version(&conn).ok(), Some(SCHEMA_VERSION));
        let id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .expect("id");
        assert_eq!(id, APPLICATION_ID);
    }

    #[test]
    fn version_1_seat_rows_move_into_their_reports_in_answer_order() {
        let mut conn = Connection::open_in_memory().expect("in memory");
        Migrations::new(vec![M::up(SCHEMA_V1)])
            .to_latest(&mut conn)
            .expect("version 1");
        conn.execute_batch(
            "INSERT INTO runs (started_at, state, selection, base_url, tenant_types, organization)
                 VALUES ('t', 'complete', '{}', 'http://x', '0', 0);
             INSERT INTO reports VALUES (1, 0, 'c1', NULL, 0, 1, NULL);
             INSERT INTO reports VALUES (1, 1, 'c2', 'Org', 0, 1, NULL);
             INSERT INTO reports VALUES (1, 2, 'c3', NULL, 0, 0, 'boom');
             INSERT INTO seats VALUES (1, 0, 1, 'b', 'second', 5, 6);
             INSERT INTO seats VALUES (1, 0, 0, 'z', 'first', 1, 2);
             INSERT INTO seats VALUES (1, 0, 2, 'a', 'third', -3, 4);",
        )
        .expect("version 1 rows");
        migrations().to_latest(&mut conn).expect("migrated");
        assert_eq!(schema_version(&conn).ok(), Some(SCHEMA_VERSION));
        let mut stmt = conn
            .prepare("SELECT seq, tenant_count, tenants, ok, error FROM reports ORDER BY seq")
            .expect("prepared");
        type Stored = (i64, i64, Option<Vec<u8>>, bool, Option<String>);
        let reports: Vec<Stored> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .expect("queried")
            .collect::<Result<_, _>>()
            .expect("read");
        let tenants = |blob: &Option<Vec<u8>>| {
            super::super::tenants_blob::decode(blob.as_deref()).expect("decoded")
        };
        assert_eq!(reports.len(), 3);
        assert_eq!(reports[0].1, 3);
        assert_eq!(
            tenants(&reports[0].2),
            [
                TenantSeats::new("z", "first", 1, 2),
                TenantSeats::new("b", "second", 5, 6),
                TenantSeats::new("a", "third", 0, 4),
            ]
        );
        assert_eq!((reports[1].1, reports[1].2.as_ref()), (0, None));
        assert!(tenants(&reports[1].2).is_empty());
        assert_eq!(
            (reports[2].1, reports[2].3, reports[2].4.as_deref()),
            (0, false, Some("boom"))
        );
        let seats: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'seats'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert_eq!(seats, 0);
    }

    #[test]
    fn a_new_database_is_created_in_wal_mode_and_reopened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loc = location(dir.path().join("h.sqlite3"));
        let conn = open_for_writing(&loc).expect("created");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        drop(conn);
        assert!(open_for_writing(&loc).is_ok());
        assert!(open_for_reading(&loc).expect("readable").is_some());
    }

    #[test]
    fn an_empty_file_is_a_new_database_and_a_blank_one_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loc = location(dir.path().join("empty.sqlite3"));
        std::fs::write(&loc.path, b"").expect("write");
        assert!(open_for_reading(&loc).expect("no history").is_none());
        assert!(open_for_writing(&loc).is_ok());
    }

    #[test]
    fn foreign_files_are_refused_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"these are my notes, not a database\n").expect("write");
        let other = dir.path().join("other.sqlite3");
        {
            let conn = Connection::open(&other).expect("other db");
            conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                .expect("other schema");
        }
        for path in [text, other] {
            let before = std::fs::read(&path).expect("read");
            let e = open_for_writing(&location(path.clone())).expect_err("refused");
            assert!(e.to_string().contains("untouched"), "{e}");
            assert!(open_for_reading(&location(path.clone())).is_err());
            assert_eq!(std::fs::read(&path).expect("read"), before);
        }
        let e = open_for_writing(&location(dir.path().to_path_buf())).expect_err("a directory");
        assert!(e.to_string().contains("directory"), "{e}");
        let e = open_for_writing(&location(dir.path().join("no/such/dir/h.sqlite3")))
            .expect_err("no directory");
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn a_newer_schema_is_refused_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loc = location(dir.path().join("h.sqlite3"));
        drop(open_for_writing(&loc).expect("created"));
        {
            let conn = Connection::open(&loc.path).expect("open");
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("bump");
            conn.pragma_update(None, "journal_mode", "DELETE")
                .expect("checkpointed into one file");
        }
        let before = std::fs::read(&loc.path).expect("read");
        for e in [
            open_for_writing(&loc).map(drop).expect_err("newer"),
            open_for_reading(&loc).map(drop).expect_err("newer"),
        ] {
            assert!(e.to_string().contains("newer version"), "{e}");
        }
        assert_eq!(std::fs::read(&loc.path).expect("read"), before);
    }

    #[test]
    fn inspecting_a_wal_database_creates_no_side_file_whatever_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let odd = dir.path().join("a b%20?#&=é");
        std::fs::create_dir(&odd).expect("dir");
        let loc = location(odd.join("h ?#.sqlite3"));
        drop(open_for_writing(&loc).expect("created"));
        {
            let conn = Connection::open(&loc.path).expect("open");
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("bump");
        }
        let listing = || {
            let mut names: Vec<_> = std::fs::read_dir(&odd)
                .expect("dir")
                .map(|e| e.expect("entry").file_name())
                .collect();
            names.sort();
            names
        };
        assert_eq!(listing(), ["h ?#.sqlite3"], "closed cleanly");
        let before = std::fs::read(&loc.path).expect("read");
        assert!(is_wal_mode(&before[..HEADER_LEN]));
        assert_eq!(
            inspect(&loc.path).expect("inspected"),
            Found::Database {
                application_id: APPLICATION_ID,
                user_version: SCHEMA_VERSION + 1,
                objects: 3, // the two tables and `sqlite_sequence`
            }
        );
        let e = open_for_reading(&loc).map(drop).expect_err("newer");
        assert!(e.to_string().contains("newer version"), "{e}");
        assert_eq!(listing(), ["h ?#.sqlite3"], "no -wal or -shm");
        assert_eq!(std::fs::read(&loc.path).expect("read"), before);
    }
}
