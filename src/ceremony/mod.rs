//! The ceremony directory: settings, key records, age-encrypted private
//! keys, the root history, staged metadata and exports. Every command reads
//! and checks everything it needs first and writes last, so a refusal leaves
//! the directory as it was.
//!
//! ```text
//! DIR/ceremony.json          dialect, GUN
//! DIR/keys/<id>.json         public key record (role, label, key object)
//! DIR/keys/<id>.age          private key: PKCS#8 in age, passphrase-encrypted
//! DIR/root/<N>.root.json     the signed root history
//! DIR/staged/root.json       the next root while it collects signatures
//! DIR/metadata/<role>.json   latest signed targets, snapshot, timestamp
//! DIR/exported.json          what the last export carried (SHA-256 per file)
//! DIR/transcript.jsonl       the hash-chained transcript (see [`transcript`])
//! ```

pub mod airgap;
pub mod custody;
pub mod delegations;
pub mod export;
pub mod import;
pub mod journal;
pub mod keyholders;
pub mod keys;
pub mod lost;
pub mod requests;
pub mod roles;
pub mod root;
pub mod run;
pub mod shares;
pub mod step;
pub mod strength;
pub mod transcript;
pub mod ui;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::metadata::root::Root;
use crate::metadata::{Dialect, Envelope};
use crate::secret::Passphrase;
use crate::signature::verify::{Options, verify_files};
use crate::transfer;

pub use keys::KeyRecord;

/// A parsed root with the exact bytes of its file.
pub type RootFile = (Root, Vec<u8>);

/// Where passphrases come from: the CLI answers with a file, the
/// environment or a prompt; tests answer directly.
pub trait Passphrases {
    /// The passphrase that unlocks `key`.
    fn unlock(&mut self, key: &KeyRecord) -> Result<Passphrase>;
    /// A new passphrase for a key being created (labelled `label`).
    fn new_key(&mut self, label: &str) -> Result<Passphrase>;
    /// The passphrase that seals (`new`) or opens the share of custodian
    /// `name`.
    fn custodian(&mut self, name: &str, new: bool) -> Result<Passphrase> {
        let _ = new;
        Err(Error::input(format!("no passphrase for custodian {name}")))
    }
    /// A new passphrase was refused (`why`: too weak). True to be asked
    /// again, as a screen does, showing why; false (the default) ends the
    /// command with the refusal.
    fn ask_again(&mut self, why: &Error) -> bool {
        let _ = why;
        false
    }
}

/// The settings file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Layout version of the ceremony directory.
    pub format: u32,
    /// `notary` or `tuf`.
    pub dialect: String,
    /// Notary's globally unique name of the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gun: Option<String>,
    /// A rehearsal's throwaway ceremony: everything it exports says so, and
    /// the online side refuses to publish it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
}

/// An open ceremony directory.
#[derive(Debug)]
pub struct Workspace {
    dir: PathBuf,
    dialect: Dialect,
    gun: Option<String>,
    rehearsal: bool,
    /// Confirmations given, written to the transcript with what follows.
    pending: transcript::Pending,
    /// New passphrases below the strength rule are let through (recorded).
    weak_passphrases: bool,
    /// This process's hold on the directory: its lock and undo journal.
    held: std::sync::Arc<journal::Held>,
}

const SETTINGS: &str = "ceremony.json";

/// Reads a file of the ceremony directory (a regular file, size-capped:
/// the directory may have been tampered with).
fn read(path: &Path) -> Result<Vec<u8>> {
    transfer::input::read_file(path, transfer::input::Limit::Metadata)
}

impl Workspace {
    /// Creates a ceremony directory (new, or empty).
    pub fn init(dir: &Path, dialect: Dialect, gun: Option<&str>) -> Result<Self> {
        if dialect == Dialect::Notary {
            let gun = gun.ok_or_else(|| {
                Error::input("a Notary ceremony needs its GUN")
                    .hint("add --gun registry.example.com/org/repo")
            })?;
            check_gun(gun)?;
        }
        if dir.join(SETTINGS).exists() {
            return Err(Error::input(format!(
                "{} is already a ceremony directory",
                dir.display()
            )));
        }
        if dir.exists()
            && std::fs::read_dir(dir)
                .map_err(|e| Error::io(dir, e))?
                .next()
                .is_some()
        {
            return Err(
                Error::input(format!("{} exists and is not empty", dir.display()))
                    .hint("choose a new directory for the ceremony"),
            );
        }
        let settings = Settings {
            format: 1,
            dialect: dialect.name().into(),
            gun: gun.map(str::to_string),
            rehearsal: false,
        };
        let text = serde_json::to_vec_pretty(&settings).map_err(|e| Error::input(e.to_string()))?;
        for sub in ["", "keys", "root", "staged", "metadata"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        }
        transfer::write_new(&dir.join(SETTINGS), &text)?;
        let ws = Self::open(dir)?;
        ws.record(transcript::Record::Created {
            dialect: dialect.name().into(),
            gun: gun.map(str::to_string),
        })?;
        Ok(ws)
    }

    /// Opens an existing ceremony directory and holds it for this process
    /// (an advisory lock and an undo journal, see [`journal`]). The hold
    /// lasts until the process exits or calls [`journal::end_command`],
    /// which keeps or undoes the change in hand.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(SETTINGS);
        if !path.exists() {
            return Err(Error::input(format!("{} is not a ceremony directory", dir.display()))
                .hint("create one with `ceremony init DIR --dialect notary --gun GUN`, or pass -C DIR"));
        }
        // Held before anything is read: a change a stopped process left
        // unfinished is undone first (it may have been to the settings).
        let held = journal::hold(dir)?;
        let s: Settings = serde_json::from_slice(&read(&path)?)
            .map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        if s.format != 1 {
            return Err(Error::input(format!(
                "{}: unknown layout version {}",
                path.display(),
                s.format
            )));
        }
        Ok(Workspace {
            dir: dir.to_path_buf(),
            dialect: Dialect::parse(&s.dialect)?,
            gun: s.gun,
            rehearsal: s.rehearsal,
            pending: Default::default(),
            weak_passphrases: false,
            held,
        })
    }

    /// Whether this is a rehearsal's throwaway ceremony.
    pub fn rehearsal(&self) -> bool {
        self.rehearsal
    }

    /// Marks a new ceremony directory as a rehearsal's: from then on every
    /// export carries a `REHEARSAL` file. It cannot be unmarked.
    pub fn mark_rehearsal(&mut self) -> Result<()> {
        let settings = Settings {
            format: 1,
            dialect: self.dialect.name().into(),
            gun: self.gun.clone(),
            rehearsal: true,
        };
        let text = serde_json::to_vec_pretty(&settings).map_err(|e| Error::input(e.to_string()))?;
        self.write_state(SETTINGS, &text)?;
        self.rehearsal = true;
        Ok(())
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The GUN (Notary).
    pub fn gun(&self) -> Option<&str> {
        self.gun.as_deref()
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The signed root history: version → file bytes.
    pub fn history(&self) -> Result<BTreeMap<u64, Vec<u8>>> {
        let dir = self.path("root");
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(v) = name
                .strip_suffix(".root.json")
                .and_then(|v| v.parse::<u64>().ok())
            {
                out.insert(v, read(&entry.path())?);
            }
        }
        Ok(out)
    }

    /// The newest complete root, parsed, with its bytes. The whole history
    /// is verified first (each version N+1 signed by N's threshold and its
    /// own, no gaps), so nothing is ever built on a damaged history. Time is
    /// not judged here: an expired root must stay rotatable.
    pub fn latest_root(&self) -> Result<Option<RootFile>> {
        let history = self.history()?;
        let Some((_, bytes)) = history.iter().next_back().map(|(v, b)| (*v, b.clone())) else {
            return Ok(None);
        };
        let files = history
            .iter()
            .map(|(v, b)| (format!("{v}.root.json"), b.clone()))
            .collect();
        let opts = Options {
            dialect: Some(self.dialect),
            gun: self.gun.clone(),
            at: OffsetDateTime::now_utc(),
            trusted_root: None,
            ignore_time: true,
        };
        verify_files(&files, &opts)?.into_result().map_err(|e| {
            e.context("the root history in this ceremony does not verify")
                .hint("restore the root/ folder from a backup; nothing was changed")
        })?;
        let env = Envelope::parse(&bytes)?;
        Ok(Some((Root::parse(self.dialect, &env.signed)?, bytes)))
    }

    /// The newest root, or a clear error when there is none yet.
    pub fn require_root(&self) -> Result<RootFile> {
        self.latest_root()?.ok_or_else(|| {
            Error::input("this ceremony has no signed root yet")
                .hint("stage one with `ceremony root init …` and sign it with `ceremony root sign`")
        })
    }

    /// Reads a file of the ceremony's own state, if present.
    pub fn read_state(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let p = self.path(rel);
        if p.exists() {
            read(&p).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Replaces a file of the ceremony's own state (staged or latest signed
    /// metadata), atomically.
    pub fn write_state(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(rel);
        self.held.before_write(&p)?;
        transfer::replace(&p, bytes)
    }

    /// Removes a file of the ceremony's own state.
    pub fn remove_state(&self, rel: &str) -> Result<()> {
        let p = self.path(rel);
        self.held.before_write(&p)?;
        std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))
    }

    /// Adds version `v` to the root history; never replaces one.
    pub fn add_history(&self, v: u64, bytes: &[u8]) -> Result<()> {
        self.write_new(&self.path(&format!("root/{v}.root.json")), bytes)
    }

    /// Writes a new file (in the directory, or of an export it makes),
    /// atomically and noted in the journal; never replaces one.
    pub fn write_new(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.held.before_write(path)?;
        transfer::write_new(path, bytes)
    }

    /// Removes a file, noted in the journal.
    pub fn remove_file(&self, path: &Path) -> Result<()> {
        self.held.before_write(path)?;
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    /// Overwrites a file with zeros (synced) and removes it, noted in the
    /// journal. The journal copies the old bytes first, so a crash can still
    /// be undone; those copies go when the change is committed. What the
    /// overwrite does not reach is in `crate::secret::wipe`.
    pub fn wipe_file(&self, path: &Path) -> Result<()> {
        self.held.before_write(path)?;
        crate::secret::wipe::zero_file(path)?;
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    /// Makes a folder and the missing ones above it, noted in the journal.
    pub fn make_dirs(&self, path: &Path) -> Result<()> {
        self.held.make_dirs(path)
    }

    /// Finishes the change in hand: from now on a crash keeps it. (A
    /// command's change is finished when it ends; a run finishes each step.)
    pub fn commit(&self) -> Result<()> {
        self.held.commit()
    }

    /// Undoes the change in hand (a run's step that failed), keeping the
    /// transcript lines it appended: they say what was refused.
    pub fn rollback_step(&self) -> Result<()> {
        self.held.rollback(Some(&self.dir.join(transcript::FILE)))
    }
}

/// Finds the ceremony directory as git finds a repository: `start` or the
/// nearest parent holding the marker file (`ceremony.json`), else `env`
/// (`CEREMONY_DIR`).
pub fn discover(start: &Path, env: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = start.ancestors().find(|d| d.join(SETTINGS).is_file()) {
        return Ok(d.to_path_buf());
    }
    env.filter(|e| !e.as_os_str().is_empty()).ok_or_else(|| {
        Error::input(format!(
            "no ceremony directory: neither {} nor a parent holds {SETTINGS}, and CEREMONY_DIR is not set",
            start.display()
        ))
        .hint("pass -C DIR, run inside the ceremony directory, or set CEREMONY_DIR")
    })
}

/// Checks a Notary GUN the way Notary's role-name rules would accept it in
/// a certificate CN and URL path.
pub fn check_gun(gun: &str) -> Result<()> {
    let ok = !gun.is_empty()
        && gun.len() < 256
        && gun
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:".contains(&b))
        && !gun.starts_with('/')
        && !gun.ends_with('/');
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!("{gun:?} is not a usable GUN"))
            .hint("a GUN looks like registry.example.com/org/repo"))
    }
}

/// Reads an expiry: a duration from `now` (`30d`, `12w`, `10y`, `36h`) or
/// an RFC 3339 time / `YYYY-MM-DD` date.
pub fn parse_expiry(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    let bad = || {
        Error::input(format!("cannot read expiry {s:?}"))
            .hint("use a duration like 365d, 26w or 10y, or a date like 2030-01-01T00:00:00Z")
    };
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return crate::metadata::in_utc(t).ok_or_else(bad);
    }
    if let Ok(t) = OffsetDateTime::parse(&format!("{s}T00:00:00Z"), &Rfc3339) {
        return Ok(t);
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = num.parse().map_err(|_| bad())?;
    // Duration::hours and friends panic on overflow: count seconds checked.
    let unit_secs: i64 = match unit {
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(unit_secs).ok_or_else(bad)?;
    now.checked_add(Duration::seconds(secs)).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_too_far_to_count_is_refused_not_a_panic() {
        let now = OffsetDateTime::now_utc();
        for s in [
            "9999999999999999h",
            "153722867280912931w",
            "25000000000000000d",
            "9999999999y",
        ] {
            assert!(parse_expiry(s, now).is_err(), "{s}");
        }
        assert!(parse_expiry("10y", now).is_ok());
        assert!(parse_expiry("9999-12-31T23:59:59Z", now).is_ok());
    }
}
