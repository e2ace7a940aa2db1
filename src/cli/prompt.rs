//! Confirmations, under one rule for the whole tool: a question is asked
//! only at a terminal, and no terminal means no implied yes. Automation
//! answers with `--yes`, and the answer says which way it was given so the
//! caller can record it.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// How a confirmation was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The person at the terminal answered yes.
    AtTerminal,
    /// `--yes` was given; no question was asked.
    ByYesFlag,
}

impl Confirmed {
    /// A short phrase for records and narration.
    pub fn describe(self) -> &'static str {
        match self {
            Confirmed::AtTerminal => "confirmed at the terminal",
            Confirmed::ByYesFlag => "confirmed by --yes, no question asked",
        }
    }
}

/// Asks `question` (after the caller has shown what it is about). With
/// `yes`, answers yes without asking and says so on stderr. Without a
/// terminal on stdin and without `yes`, refuses (exit 2): `what` names the
/// step. Anything but yes at the prompt refuses with `declined`.
pub fn confirm(yes: bool, what: &str, question: &str, declined: &str) -> Result<Confirmed> {
    if yes {
        crate::errln!("{what}: {}", Confirmed::ByYesFlag.describe());
        return Ok(Confirmed::ByYesFlag);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::input(format!(
            "{what} needs a confirmation and there is no terminal to ask at"
        ))
        .hint(
            "run it at a terminal, or add --yes to confirm in a script (the answer is recorded)",
        ));
    }
    crate::errout!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::input(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "yes" | "Y" | "YES" | "Yes") {
        Ok(Confirmed::AtTerminal)
    } else {
        Err(Error::input(declined.to_string()).hint("nothing was changed"))
    }
}
