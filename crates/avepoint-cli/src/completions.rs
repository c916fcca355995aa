//! `avepoint completions <shell>`: a shell completion script for every command and flag,
//! generated from the command-line definition (clap_complete), written to stdout.

use std::io::{self, Write as _};

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::{Fatal, Status};

/// `avepoint completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// Where each shell looks for completions, shown in `avepoint completions --help`.
pub(crate) const COMPLETIONS_AFTER_HELP: &str = "\
Install (then open a new shell):
  bash        avepoint completions bash > ~/.local/share/bash-completion/completions/avepoint
  zsh         avepoint completions zsh > ~/.zfunc/_avepoint
              (with `fpath+=~/.zfunc; autoload -U compinit; compinit` in ~/.zshrc)
  fish        avepoint completions fish > ~/.config/fish/completions/avepoint.fish
  powershell  avepoint completions powershell >> $PROFILE
  elvish      avepoint completions elvish >> ~/.config/elvish/rc.elv";

/// Writes the script for `args.shell` to stdout.
pub(crate) fn run(args: &CompletionsArgs) -> Result<Status, Fatal> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "avepoint", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .map_err(|e| Fatal::output(&e))?;
    Ok(Status::Success)
}
