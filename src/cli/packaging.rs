//! Shell completions and the man page, generated from the clap definition
//! so they never drift from the real command line. Hidden subcommands:
//! packagers and `scripts/install.sh` call them, officers do not need to.

use clap::{CommandFactory, ValueEnum};
use std::path::Path;

use crate::error::{Error, Result};

/// The shells `ceremony completions` writes a script for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Shell {
    /// bash (source it, or put it in bash-completion's directory).
    Bash,
    /// zsh (put it on $fpath as `_ceremony`).
    Zsh,
    /// fish (put it in fish's `completions` directory).
    Fish,
}

/// Writes the completion script for `shell` to stdout.
pub(super) fn completions(shell: Shell) -> Result<()> {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut cmd, "ceremony", &mut buf);
    emit(buf)
}

/// Writes the man pages (roff, section 1) into `dir`, made if missing:
/// `ceremony.1` and one page per subcommand (`ceremony-key-generate.1`, …),
/// the pages `ceremony.1` refers to.
pub(super) fn man(dir: &Path) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::input(format!(
            "cannot write man pages into {}: {e}",
            dir.display()
        ))
        .hint("give a directory you can write to")
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    clap_mangen::generate_to(super::Cli::command(), dir).map_err(fail)?;
    crate::errln!("wrote the man pages into {}", dir.display());
    Ok(())
}

/// Through the crate's output, so a failed write fails the command.
fn emit(buf: Vec<u8>) -> Result<()> {
    let text = String::from_utf8(buf)
        .map_err(|_| Error::input("the generated text is not UTF-8 (a bug)"))?;
    crate::out!("{text}");
    Ok(())
}
