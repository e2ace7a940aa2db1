//! Confirmations, under one rule for the whole tool: a question is asked
//! only at a terminal, and no terminal means no implied yes. Automation
//! answers with `--yes`, and the answer says which way it was given so the
//! caller can record it.

use std::io::{BufRead, IsTerminal, Write};

use crate::ceremony::ui::{Confirmation, Event, Preview, Ui};
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

/// The command line's [`Ui`]: passphrases from a file, the environment or
/// a prompt; previews on stderr; confirmations under the one rule above.
pub struct CliUi {
    passphrases: super::passphrase::CliPassphrases,
    yes: bool,
}

impl CliUi {
    /// A Ui answering with `passphrases` and, for confirmations, `yes`.
    pub fn new(passphrases: super::passphrase::CliPassphrases, yes: bool) -> Self {
        CliUi { passphrases, yes }
    }
}

impl crate::ceremony::Passphrases for CliUi {
    fn unlock(&mut self, key: &crate::ceremony::KeyRecord) -> Result<crate::secret::Passphrase> {
        self.passphrases.unlock(key)
    }
    fn new_key(&mut self, label: &str) -> Result<crate::secret::Passphrase> {
        self.passphrases.new_key(label)
    }
    fn custodian(&mut self, name: &str, new: bool) -> Result<crate::secret::Passphrase> {
        self.passphrases.custodian(name, new)
    }
}

/// The preview as lines of text for stderr.
fn preview_lines(p: &Preview<'_>) -> Vec<String> {
    use crate::metadata::format_time;
    let mut out = Vec::new();
    match p {
        Preview::RootSign(plan) => {
            out.push(format!("root version {} to sign:", plan.version));
            out.extend(plan.changes.iter().map(|c| format!("  {c}")));
            if !plan.changes.iter().any(|c| c.starts_with("expires")) {
                out.push(format!("  expires {}", format_time(plan.expires)));
            }
            for w in &plan.warnings {
                out.push(format!("warning: {w}"));
            }
            out.push(format!("  signing with: {}", plan.signers.join(", ")));
            for n in &plan.not_signing {
                out.push(format!("  not signing: {}", n.reason));
            }
            out.push(format!("  digest words: {}", plan.words));
        }
        Preview::RequestSign { review, key } => {
            out.push(format!(
                "about to sign root version {} with key {}; read the words back to the coordinator:",
                review.version,
                crate::metadata::root::short(key)
            ));
            out.push(format!("  {}", review.words));
        }
        Preview::DestroyKeyFile { key } => out.push(format!(
            "after the split, key {} will exist only as shares: its encrypted key file is overwritten with zeros and removed",
            key.display()
        )),
        Preview::MarkLost { key, reason } => {
            out.push(format!(
                "key {} ({} key, {})",
                key.display(),
                key.role,
                crate::transfer::words::key_phrase(&key.id)
            ));
            if let Some(r) = reason {
                out.push(format!("  reason: {r}"));
            }
            out.push("  once marked lost it never signs again: its key file (if any) is kept but never opened, shares of it are refused, it cannot be added to a role".into());
            out.push("  this cannot be undone with this tool".into());
        }
    }
    out
}

impl Ui for CliUi {
    fn confirm(&mut self, p: Preview<'_>) -> Result<Confirmation> {
        for line in preview_lines(&p) {
            crate::errln!("{line}");
        }
        let (question, declined) = match p {
            Preview::RootSign(_) => ("sign it?", "not signed: the officer declined"),
            Preview::RequestSign { .. } => (
                "do the words match what the coordinator reads, and is this the root you mean to sign?",
                "not signed: declined",
            ),
            Preview::DestroyKeyFile { .. } => (
                "after the split the key will exist only as shares; destroy the key file?",
                "not split: the officer declined",
            ),
            Preview::MarkLost { .. } => {
                ("mark it lost for good?", "not marked: the officer declined")
            }
        };
        Ok(match confirm(self.yes, &p.what(), question, declined)? {
            Confirmed::AtTerminal => Confirmation::AtTerminal,
            Confirmed::ByYesFlag => Confirmation::ByYesFlag,
        })
    }

    fn event(&mut self, e: Event) {
        match e {
            Event::Signed { key } => crate::errln!("signed with {key}"),
            Event::NotSigned { reason, .. } => crate::errln!("not signed: {reason}"),
            Event::Note(n) => crate::errln!("{n}"),
        }
    }
}
