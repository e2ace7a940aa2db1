//! The ceremony's transcript: `transcript.jsonl` in the ceremony directory,
//! one JSON line per entry, each naming the SHA-256 of the line before it,
//! so a line changed, removed or moved breaks the chain at the next one.
//! Entries are only ever appended (one whole line, then fsync); earlier
//! lines are never rewritten. A close ([`Workspace::close_transcript`])
//! signs a statement over everything before it with the root keys held
//! here; [`verify`] checks the chain and every close against the
//! ceremony's own verified root history, or a copy of it (exported with
//! its root history) against a root the checker trusts.
//!
//! Only public facts enter it: key IDs, labels, set IDs, versions, digests,
//! names of the people in the room, the words they read back and how each
//! confirmation was given. Never a passphrase, a share or a private key.

mod away;
mod chain;
mod close;

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;
use time::OffsetDateTime;

use super::Workspace;
use super::step::Outcome;
use super::ui::{Confirmation, Preview, Ui};
use crate::error::{Error, Result};
use crate::metadata::format_time;
use crate::transfer::sha256_hex;

pub use away::{ROOTS, TranscriptExport, TrustedRoots, read_roots, roots_from};
pub use chain::{CloseReport, Context, Line, Problem, Report, read_lines, verify};
pub use close::{Close, CloseOutcome, STATEMENT_TYPE, Statement, TranscriptSignature};

/// The transcript's file name in the ceremony directory.
pub const FILE: &str = "transcript.jsonl";

/// `prev` of the first entry: there is no line before it.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 1, 2, 3, … with no gap.
    pub seq: u64,
    /// When it was written, `YYYY-MM-DDTHH:MM:SSZ`.
    pub at: String,
    /// SHA-256 (hex) of the previous line's bytes, without its newline;
    /// [`GENESIS`] for the first.
    pub prev: String,
    /// What happened.
    pub event: Record,
}

/// Where in a script a step stands, for records of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRef {
    /// The step's index in the script (from 0).
    pub index: usize,
    /// Its title.
    pub title: String,
    /// The role that acts.
    pub actor: String,
}

/// What an entry records: public facts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Record {
    /// The ceremony directory was made.
    Created {
        /// `notary` or `tuf`.
        dialect: String,
        /// The GUN (Notary).
        gun: Option<String>,
    },
    /// A run of a ceremony script started, or resumed.
    RunStarted {
        /// The script's name.
        script: String,
        /// The script's SHA-256.
        digest: String,
        /// A rehearsal's throwaway ceremony.
        rehearsal: bool,
        /// `--allow-network` was given.
        allow_network: bool,
        /// The index of the step it starts at (0 for a new run).
        next_step: usize,
    },
    /// A step of the script was done.
    StepDone {
        /// The step.
        step: StepRef,
        /// What it did.
        outcome: Outcome,
    },
    /// A step of the script failed; the run stopped there.
    StepFailed {
        /// The step.
        step: StepRef,
        /// Why, as the person was told.
        reason: String,
    },
    /// A witness's read-back did not match the words shown.
    ReadBackRefused {
        /// What the words were of.
        what: String,
        /// Who read.
        witness: String,
        /// What was typed (the words are public: a fingerprint or digest).
        typed: String,
    },
    /// A custodian did not read back the check words of her share.
    HandOutRefused {
        /// The custodian.
        custodian: String,
        /// The share set.
        set_id: String,
    },
    /// A person confirmed a preview.
    Confirmed {
        /// What was confirmed ("signing root version 1").
        what: String,
        /// The words shown for a read-back, when the preview had them.
        words: Option<String>,
        /// How it was given (`Confirmation::describe`).
        how: String,
    },
    /// The ceremony changed (a command, or a step's engine work).
    Changed {
        /// What changed.
        outcome: Outcome,
    },
    /// A delegation was added to (or removed from) the staged targets.
    DelegationStaged {
        /// The delegated role.
        role: String,
        /// Removed rather than added.
        removed: bool,
    },
    /// The staged root was put aside.
    RootDiscarded {
        /// Where it is kept, in the ceremony directory.
        kept_as: String,
    },
    /// A new passphrase weaker than the rule was accepted
    /// (`--weak-passphrase`); written with the change it protects. Never
    /// the passphrase, nor its score.
    WeakPassphraseAccepted {
        /// What it protects ("key root-1", "ann's share of key root-1").
        what: String,
    },
    /// The transcript so far was signed with root keys.
    Close(close::Close),
}

/// Appends one entry for `record` to the transcript in `dir`, chained to
/// the last line there; returns it. The file is locked while its end is
/// read and the whole line written (one write to a file opened for
/// appending), then synced.
pub fn append(dir: &Path, record: Record, at: OffsetDateTime) -> Result<Entry> {
    append_after(dir, record, at, None)
}

/// [`append`], refused when the transcript is no longer `signed` (a close
/// appends only right after the bytes it signed).
pub(crate) fn append_after(
    dir: &Path,
    record: Record,
    at: OffsetDateTime,
    signed: Option<&[u8]>,
) -> Result<Entry> {
    let path = dir.join(FILE);
    let created = match std::fs::symlink_metadata(&path) {
        Ok(m) if !m.file_type().is_file() => {
            return Err(Error::input(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        Ok(_) => false,
        Err(_) => true,
    };
    // Noted in the journal first: a crash mid-change takes this line back
    // out with the rest of the change.
    if let Some(h) = crate::ceremony::journal::held(dir) {
        h.before_append(&path)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    // Another process appending at the same moment would fork the chain.
    rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| Error::io(&path, e.into()))?;
    let limit = crate::transfer::input::Limit::Metadata.bytes();
    let mut existing = Vec::new();
    (&f).take(limit + 1)
        .read_to_end(&mut existing)
        .map_err(|e| Error::io(&path, e))?;
    if existing.len() as u64 > limit {
        return Err(Error::input(format!(
            "{} is larger than {limit} bytes",
            path.display()
        )));
    }
    if let Some(signed) = signed
        && signed != existing.as_slice()
    {
        return Err(Error::input(
            "the transcript changed while it was being signed: nothing was added",
        )
        .hint("close again"));
    }
    let (seq, prev) = next_link(&existing);
    let entry = Entry {
        seq,
        at: format_time(at),
        prev,
        event: record,
    };
    let mut line = serde_json::to_vec(&entry)
        .map_err(|e| Error::input(format!("cannot write a transcript entry: {e}")))?;
    line.push(b'\n');
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        // A line cut off by a crash stays as it is (verify names it);
        // this entry starts on a line of its own.
        line.insert(0, b'\n');
    }
    f.write_all(&line)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(&path, e))?;
    if created && let Ok(d) = std::fs::File::open(dir) {
        // The new file's name must survive a crash too.
        let _ = d.sync_all();
    }
    Ok(entry)
}

/// The transcript's bytes, or none when there is no transcript yet.
fn read_existing(path: &Path) -> Result<Vec<u8>> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(path, e)),
        Ok(_) => crate::transfer::input::read_file(path, crate::transfer::input::Limit::Metadata),
    }
}

/// The seq and prev of the entry that follows `bytes`. A damaged last line
/// does not stop a record: the next entry follows it by count, and verify
/// names the damage.
fn next_link(bytes: &[u8]) -> (u64, String) {
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let Some(last) = lines.last() else {
        return (1, GENESIS.to_string());
    };
    let seq = serde_json::from_slice::<serde_json::Value>(last)
        .ok()
        .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64))
        .and_then(|s| s.checked_add(1))
        .unwrap_or(lines.len() as u64 + 1);
    (seq, sha256_hex(last))
}

/// Records held back until the ceremony changes: a confirmation is written
/// with the change it allowed, so a command refused after it was confirmed
/// leaves the directory as it was.
#[derive(Debug, Default)]
pub struct Pending(std::sync::Mutex<Vec<Record>>);

impl Pending {
    pub(super) fn push(&self, r: Record) {
        if let Ok(mut p) = self.0.lock() {
            p.push(r);
        }
    }

    fn take(&self) -> Vec<Record> {
        self.0
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }
}

impl Workspace {
    /// Appends `record` to this ceremony's transcript, after the
    /// confirmations that led to it.
    pub fn record(&self, record: Record) -> Result<()> {
        for r in self.pending.take().into_iter().chain([record]) {
            append(self.dir(), r, OffsetDateTime::now_utc())
                .map_err(|e| e.context("the transcript"))?;
        }
        Ok(())
    }

    /// Writes the records held back, when a command changed nothing to
    /// write them with.
    pub fn record_pending(&self) -> Result<()> {
        for r in self.pending.take() {
            append(self.dir(), r, OffsetDateTime::now_utc())
                .map_err(|e| e.context("the transcript"))?;
        }
        Ok(())
    }

    /// Records that the ceremony changed, as `outcome` says.
    pub fn record_change(&self, outcome: Outcome) -> Result<()> {
        self.record(Record::Changed { outcome })
    }

    /// Asks `ui` to confirm `preview`; how it was given is recorded with
    /// the next record (the change it allowed, or a run's failed step). A
    /// command that fails after it leaves the directory as it was.
    pub fn confirm(&self, ui: &mut dyn Ui, preview: Preview<'_>) -> Result<Confirmation> {
        let c = ui.confirm(preview)?;
        self.pending.push(Record::Confirmed {
            what: preview.what(),
            words: preview.words().map(str::to_string),
            how: c.describe(),
        });
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn appended_entries_chain_and_count_on() {
        let t = tempfile::tempdir().unwrap();
        let now = OffsetDateTime::now_utc();
        let a = append(
            t.path(),
            Record::HandOutRefused {
                custodian: "ann".into(),
                set_id: "s".into(),
            },
            now,
        )
        .unwrap();
        assert_eq!((a.seq, a.prev.as_str()), (1, GENESIS));
        let b = append(
            t.path(),
            Record::HandOutRefused {
                custodian: "ben".into(),
                set_id: "s".into(),
            },
            now,
        )
        .unwrap();
        let bytes = std::fs::read(t.path().join(FILE)).unwrap();
        let first = bytes.split(|b| *b == b'\n').next().unwrap();
        assert_eq!(b.seq, 2);
        assert_eq!(b.prev, sha256_hex(first));
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 2);
    }

    #[test]
    fn a_close_is_not_appended_after_bytes_it_did_not_sign() {
        let t = tempfile::tempdir().unwrap();
        let rec = || Record::HandOutRefused {
            custodian: "ann".into(),
            set_id: "s".into(),
        };
        let now = OffsetDateTime::now_utc();
        append(t.path(), rec(), now).unwrap();
        let signed = std::fs::read(t.path().join(FILE)).unwrap();
        append(t.path(), rec(), now).unwrap();
        let before = std::fs::read(t.path().join(FILE)).unwrap();
        assert!(append_after(t.path(), rec(), now, Some(&signed)).is_err());
        assert_eq!(std::fs::read(t.path().join(FILE)).unwrap(), before);
        assert!(append_after(t.path(), rec(), now, Some(&before)).is_ok());
    }

    #[test]
    fn a_line_cut_off_is_left_and_the_next_entry_starts_a_new_line() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(FILE), b"{\"seq\":1,\"at\"").unwrap();
        let e = append(
            t.path(),
            Record::HandOutRefused {
                custodian: "ann".into(),
                set_id: "s".into(),
            },
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        assert_eq!(e.seq, 2);
        let text = std::fs::read_to_string(t.path().join(FILE)).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.starts_with("{\"seq\":1,\"at\"\n"));
    }
}
