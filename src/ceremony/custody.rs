//! Where each key stands: in which roles of the current root, and where its
//! private half is (held here, only as custodians' shares, elsewhere, lost).
//! Read-only: share sets are read from their signed manifests.

use std::collections::BTreeMap;

use super::{KeyRecord, Workspace};
use crate::error::Result;
use crate::metadata::root::TOP_ROLES;

/// Where a key's private half is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Custody {
    /// Its encrypted file is here.
    Held,
    /// The record says held, but the encrypted file is gone.
    FileMissing,
    /// Only custodians' shares hold it (the sets are in [`KeyView::sets`]).
    SharesOnly,
    /// Public key only: its holder keeps it elsewhere.
    Elsewhere,
    /// Marked lost: it never signs again.
    Lost,
}

/// A share set of a key, from its signed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRef {
    /// The set ID (`shares/<set>/`).
    pub set_id: String,
    /// Shares needed.
    pub threshold: u8,
    /// Shares made.
    pub total: u8,
}

/// One key as `key list` shows it.
#[derive(Debug, Clone)]
pub struct KeyView {
    /// The record.
    pub rec: KeyRecord,
    /// The top-level roles of the current root that list it.
    pub in_root: Vec<String>,
    /// Where its private half is.
    pub custody: Custody,
    /// Its share sets in use (superseded sets left out).
    pub sets: Vec<SetRef>,
}

/// Every key with its standing.
#[derive(Debug, Clone)]
pub struct KeyListing {
    /// The current root version, if any.
    pub root_version: Option<u64>,
    /// The keys, in `keys()` order.
    pub keys: Vec<KeyView>,
    /// Things that could not be read (a damaged history or share manifest).
    pub problems: Vec<String>,
}

impl SetRef {
    /// `set <id> (M-of-N)`.
    pub fn describe(&self) -> String {
        format!("set {} ({}-of-{})", self.set_id, self.threshold, self.total)
    }
}

impl KeyView {
    /// The custody in words, with the share sets.
    pub fn describe(&self) -> String {
        let sets = || {
            self.sets
                .iter()
                .map(SetRef::describe)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.custody {
            Custody::Held if self.sets.is_empty() => "held here".into(),
            Custody::Held => format!("held here, and as shares: {}", sets()),
            Custody::FileMissing => "key file missing".into(),
            Custody::SharesOnly => format!("only as shares: {}", sets()),
            Custody::Elsewhere => "elsewhere (public key only)".into(),
            Custody::Lost => format!("LOST: {}", self.rec.lost_note().unwrap_or_default()),
        }
    }
}

impl Workspace {
    /// The share sets in use, by key ID; sets whose manifest cannot be
    /// read or does not verify are named in `problems`.
    pub fn share_sets_by_key(
        &self,
        problems: &mut Vec<String>,
    ) -> Result<BTreeMap<String, Vec<SetRef>>> {
        let mut out: BTreeMap<String, Vec<SetRef>> = BTreeMap::new();
        let dir = self.path("shares");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(out);
        };
        let mut sets: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        sets.sort();
        for set in sets {
            if dir.join(&set).join("SUPERSEDED").exists() {
                continue;
            }
            match self.load_manifest(&set) {
                Ok((m, _)) => out.entry(m.key_id.clone()).or_default().push(SetRef {
                    set_id: m.set_id,
                    threshold: m.threshold,
                    total: m.total,
                }),
                Err(e) => problems.push(format!("share set {set}: {}", e.reason())),
            }
        }
        Ok(out)
    }

    /// Where `rec`'s private half is.
    pub fn custody(&self, rec: &KeyRecord, sets: &[SetRef]) -> Custody {
        if rec.is_lost() {
            Custody::Lost
        } else if rec.private {
            if self
                .path(&format!("keys/{}.age", rec.id))
                .symlink_metadata()
                .is_ok()
            {
                Custody::Held
            } else {
                Custody::FileMissing
            }
        } else if !sets.is_empty() {
            Custody::SharesOnly
        } else {
            Custody::Elsewhere
        }
    }

    /// Every key: its roles in the current root and where it is held.
    pub fn key_listing(&self) -> Result<KeyListing> {
        let mut problems = Vec::new();
        let root = match self.latest_root() {
            Ok(r) => r.map(|(r, _)| r),
            Err(e) => {
                problems.push(format!("the root history: {}", e.reason()));
                None
            }
        };
        let sets = self.share_sets_by_key(&mut problems)?;
        let mut keys = Vec::new();
        for rec in self.keys()? {
            let mut in_root = Vec::new();
            if let Some(r) = &root {
                for name in TOP_ROLES {
                    if r.role(name)?.keyids.contains(&rec.id) {
                        in_root.push(name.to_string());
                    }
                }
            }
            let mine = sets.get(&rec.id).cloned().unwrap_or_default();
            keys.push(KeyView {
                custody: self.custody(&rec, &mine),
                rec,
                in_root,
                sets: mine,
            });
        }
        Ok(KeyListing {
            root_version: root.map(|r| r.common.version),
            keys,
            problems,
        })
    }

    /// Why a key not held here cannot sign from this ceremony, and what
    /// to do instead.
    pub fn not_held_reason(&self, rec: &KeyRecord) -> Result<String> {
        let mut problems = Vec::new();
        let sets = self.share_sets_by_key(&mut problems)?;
        let mine = sets.get(&rec.id).cloned().unwrap_or_default();
        let view = KeyView {
            custody: self.custody(rec, &mine),
            rec: rec.clone(),
            in_root: Vec::new(),
            sets: mine,
        };
        Ok(match view.custody {
            Custody::SharesOnly => format!(
                "not held here, {}: sign with --from-shares",
                view.describe()
            ),
            _ => "not held here (public key only): its holder signs on their own machine".into(),
        })
    }
}
