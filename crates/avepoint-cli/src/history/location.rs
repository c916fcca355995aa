//! Where the history database is: `--db PATH`, else `AVEPOINT_DB`, else
//! `history.sqlite3` in the platform data directory (`directories`: e.g.
//! `~/.local/share/avepoint` on Linux, `~/Library/Application Support/avepoint` on macOS,
//! `%APPDATA%\avepoint\data` on Windows).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::exit::Fatal;

/// The environment variable naming the database.
pub(crate) const DB_ENV: &str = "AVEPOINT_DB";

/// The database file name in the platform data directory.
const FILE_NAME: &str = "history.sqlite3";

/// The database to use, and whether it is the default location (whose directory may be
/// created).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DbLocation {
    /// The database file.
    pub(crate) path: PathBuf,
    /// Whether no flag or variable chose it.
    pub(crate) default: bool,
}

impl DbLocation {
    /// Resolves the database from the flag and the process environment.
    pub(crate) fn resolve(flag: Option<&Path>) -> Result<Self, Fatal> {
        Self::resolve_with(flag, std::env::var_os(DB_ENV), default_path)
    }

    /// Resolves the database from the flag, the variable's value and the default.
    fn resolve_with(
        flag: Option<&Path>,
        env: Option<OsString>,
        default: impl FnOnce() -> Option<PathBuf>,
    ) -> Result<Self, Fatal> {
        if let Some(path) = flag {
            return Self::explicit(path.to_path_buf(), "--db");
        }
        if let Some(value) = env {
            return Self::explicit(PathBuf::from(value), DB_ENV);
        }
        match default() {
            Some(path) => Ok(Self {
                path,
                default: true,
            }),
            None => Err(Fatal::usage(format!(
                "no platform data directory (is HOME set?): choose the history database with --db PATH or {DB_ENV}"
            ))),
        }
    }

    fn explicit(path: PathBuf, source: &str) -> Result<Self, Fatal> {
        if path.as_os_str().is_empty() {
            return Err(Fatal::usage(format!("{source} must not be empty")));
        }
        Ok(Self {
            path,
            default: false,
        })
    }
}

/// `history.sqlite3` in the platform data directory of `avepoint`.
fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "avepoint").map(|dirs| dirs.data_dir().join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_variable_beats_default() {
        let flag = Path::new("flag.sqlite3");
        let env = || Some(OsString::from("env.sqlite3"));
        let default = || Some(PathBuf::from("/data/avepoint/history.sqlite3"));
        let got = DbLocation::resolve_with(Some(flag), env(), default).map(|l| l.path);
        assert_eq!(got.ok(), Some(PathBuf::from("flag.sqlite3")));
        let got = DbLocation::resolve_with(None, env(), default).ok();
        assert_eq!(
            got,
            Some(DbLocation {
                path: PathBuf::from("env.sqlite3"),
                default: false
            })
        );
        let got = DbLocation::resolve_with(None, None, default).ok();
        assert_eq!(
            got,
            Some(DbLocation {
                path: PathBuf::from("/data/avepoint/history.sqlite3"),
                default: true
            })
        );
        assert!(DbLocation::resolve_with(None, None, || None).is_err());
        assert!(DbLocation::resolve_with(None, Some(OsString::new()), default).is_err());
    }

    #[test]
    fn the_default_is_in_a_data_directory_named_after_the_tool() {
        if let Some(path) = default_path() {
            assert!(path.ends_with("history.sqlite3"));
            assert!(path.to_string_lossy().contains("avepoint"));
        }
    }
}
