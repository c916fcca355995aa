//! `avepoint man`: the manual pages, generated from the command-line definition
//! (clap_mangen): `avepoint.1` on stdout, or one page per command in a directory.

use std::io::{self, Write as _};
use std::path::PathBuf;

use clap::{Args, CommandFactory as _};

use crate::cli::Cli;
use crate::diag::diag;
use crate::exit::{Fatal, Status};

/// `avepoint man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write avepoint.1 and one page per subcommand (avepoint-seats.1, ...) into this
    /// directory (created if missing) instead of printing avepoint.1 to stdout.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
}

/// Where the pages go, shown in `avepoint man --help`.
pub(crate) const MAN_AFTER_HELP: &str = "\
Examples:
  avepoint man | man -l -
  avepoint man --out-dir ~/.local/share/man/man1 && man avepoint-seats";

/// Prints `avepoint.1`, or writes every page into `args.out_dir`.
pub(crate) fn run(args: &ManArgs) -> Result<Status, Fatal> {
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Fatal::usage(format!(
                    "--out-dir: could not create {}: {e}",
                    dir.display()
                ))
            })?;
            clap_mangen::generate_to(Cli::command(), dir).map_err(|e| Fatal {
                status: Status::SomeFailed,
                message: format!("could not write the manual pages to {}: {e}", dir.display()),
            })?;
            diag!("wrote the manual pages to {}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Fatal::output(&e))?;
            let mut out = io::stdout().lock();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .map_err(|e| Fatal::output(&e))?;
        }
    }
    Ok(Status::Success)
}
