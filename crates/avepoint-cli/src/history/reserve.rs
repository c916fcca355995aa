//! Room kept for the end of a run. A recording run writes a small file next to the database
//! when it starts and removes it when the run is marked. If the run's rows fill the disk,
//! removing it first frees the room the update that marks the run `partial` needs, so a
//! full disk never leaves a run `running` (which would read as a killed run).
//!
//! Concurrent recorders share the one file: whichever ends first removes it, and the other
//! then ends as it would without it. A file left by a killed run is reused by the next one.

use std::path::{Path, PathBuf};

/// How much room is kept: the marking update writes a few pages to the WAL.
pub(crate) const RESERVE_BYTES: usize = 64 * 1024;

/// The reserve of one recording run; removed when dropped.
#[derive(Debug)]
pub(crate) struct Reserve {
    path: Option<PathBuf>,
}

impl Reserve {
    /// Writes the reserve next to the database at `db`. Without room for it the run goes on
    /// without one.
    pub(crate) fn claim(db: &Path) -> Self {
        let mut name = db.as_os_str().to_owned();
        name.push("-reserve");
        let path = PathBuf::from(name);
        match std::fs::write(&path, vec![0u8; RESERVE_BYTES]) {
            Ok(()) => Self { path: Some(path) },
            Err(e) => {
                tracing::debug!("no room kept for the end of the run: {e}");
                let _ = std::fs::remove_file(&path);
                Self { path: None }
            }
        }
    }

    /// Frees the room (once).
    pub(crate) fn release(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_written_next_to_the_database_and_removed_once_released() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("h.sqlite3");
        let reserve_path = dir.path().join("h.sqlite3-reserve");
        let mut reserve = Reserve::claim(&db);
        let written = std::fs::metadata(&reserve_path).expect("reserve written");
        assert_eq!(written.len(), RESERVE_BYTES as u64);
        reserve.release();
        assert!(!reserve_path.exists());
        drop(Reserve::claim(&db));
        assert!(!reserve_path.exists(), "dropped with the run");
    }

    #[test]
    fn without_room_the_run_goes_on_without_a_reserve() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("missing-dir").join("h.sqlite3");
        let mut reserve = Reserve::claim(&db);
        assert!(reserve.path.is_none());
        reserve.release();
    }
}
