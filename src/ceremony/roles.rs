//! Offline signing of targets, snapshot and (TUF) timestamp with keys held
//! in the ceremony. Each new file is verified together with the rest of the
//! repository before it is kept.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

use super::{KeyRecord, Passphrases, Workspace, parse_expiry};
use crate::error::{Error, Result};
use crate::metadata::roles::{FileMeta, MetaList, Targets};
use crate::metadata::root::{Root, short};
use crate::metadata::{Dialect, Envelope, RoleKind, common};
use crate::signature::verify::{Options, verify_files};
use crate::signature::{sign, tally};

/// What a role signing produced.
#[derive(Debug, Clone)]
pub struct RoleSigned {
    /// The role.
    pub role: String,
    /// Its new version.
    pub version: u64,
    /// Labels of the keys that signed.
    pub signed_by: Vec<String>,
    /// The file name it will be exported under.
    pub file: String,
}

impl Workspace {
    fn default_expiry(&self, kind: RoleKind, now: OffsetDateTime) -> OffsetDateTime {
        let days = match (self.dialect, kind) {
            (Dialect::Notary, RoleKind::Timestamp) => 14,
            (Dialect::Notary, _) => 3 * 365,
            (Dialect::Tuf, RoleKind::Targets) => 365,
            (Dialect::Tuf, RoleKind::Snapshot) => 30,
            (Dialect::Tuf, _) => 7,
        };
        now + Duration::days(days)
    }

    /// The latest signed file of a top-level role held in the ceremony.
    pub fn role_file(&self, role: &str) -> Result<Option<Vec<u8>>> {
        self.read_state(&format!("metadata/{role}.json"))
    }

    /// The files of the repository as a client or server names them:
    /// `N.root.json` and `root.json`, then targets, snapshot and timestamp
    /// (`N.role.json` for TUF's consistent snapshots).
    pub fn repo_files(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut files = BTreeMap::new();
        let history = self.history()?;
        for (v, b) in &history {
            files.insert(format!("{v}.root.json"), b.clone());
        }
        if let Some((_, b)) = history.iter().next_back() {
            files.insert("root.json".into(), b.clone());
        }
        for role in ["targets", "snapshot", "timestamp"] {
            if let Some(b) = self.role_file(role)? {
                files.insert(self.file_name(role, &b)?, b);
            }
        }
        Ok(files)
    }

    fn file_name(&self, role: &str, bytes: &[u8]) -> Result<String> {
        Ok(match (self.dialect, role) {
            (Dialect::Tuf, "targets" | "snapshot") => {
                let v = Envelope::parse(bytes)?.version().unwrap_or(0);
                format!("{v}.{role}.json")
            }
            _ => format!("{role}.json"),
        })
    }

    fn role_signers(&self, root: &Root, role: &str, specs: &[String]) -> Result<Vec<KeyRecord>> {
        let keyids = &root.role(role)?.keyids;
        let recs: Vec<KeyRecord> = if specs.is_empty() {
            self.keys()?
                .into_iter()
                .filter(|k| k.private && keyids.contains(&k.id))
                .collect()
        } else {
            let mut v = Vec::new();
            for s in specs {
                let k = self.find_key(s)?;
                if !keyids.contains(&k.id) {
                    return Err(Error::input(format!(
                        "key {} is not a {role} key of the current root",
                        k.display()
                    )));
                }
                v.push(k);
            }
            v
        };
        let held: Vec<KeyRecord> = recs.into_iter().filter(|k| k.private).collect();
        let need = root.role(role)?.threshold as usize;
        if held.len() < need {
            let hint = if role == "snapshot" && self.dialect == Dialect::Notary {
                "the root names a snapshot key not held here: the Notary server makes the snapshot (Docker style); export root and targets only"
            } else {
                "sign on the machine that holds the keys"
            };
            return Err(Error::verification(format!(
                "{role} needs {need} signature(s) but only {} of its keys are held here",
                held.len()
            ))
            .hint(hint));
        }
        Ok(held)
    }

    /// Signs `signed` as `role`, checks it against the root and the rest of
    /// the repository, and keeps it.
    fn sign_role(
        &self,
        role: &str,
        kind: RoleKind,
        signed: Value,
        specs: &[String],
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        let (root, _) = self.require_root()?;
        let signers = self.role_signers(&root, role, specs)?;
        let version = common(self.dialect, &signed, kind)?.version;
        let mut env = Envelope {
            signed,
            signatures: Vec::new(),
        };
        let mut signed_by = Vec::new();
        for rec in &signers {
            let meta = match root.keys.get(&rec.id) {
                Some(Ok(m)) => m.clone(),
                _ => {
                    return Err(Error::input(format!(
                        "key {} cannot be read from the root",
                        short(&rec.id)
                    )));
                }
            };
            let key = self.unlock(rec, passphrases)?;
            sign(self.dialect, &mut env, &rec.id, &meta, &key)?;
            signed_by.push(rec.label.clone());
        }
        let t = tally(self.dialect, &env, root.role(role)?, &root.keys, None);
        if !t.met() {
            return Err(Error::verification(format!(
                "{role}: threshold not met ({})",
                t.fraction()
            )));
        }
        let bytes = env.to_bytes(self.dialect);
        let file = self.file_name(role, &bytes)?;
        // The repository with this file in it must verify as far as this
        // file goes.
        let mut files = self.repo_files()?;
        // Files made from this one are stale until re-signed: leave them out.
        let stale: &[&str] = match role {
            "targets" => &["targets", "snapshot", "timestamp"],
            "snapshot" => &["snapshot", "timestamp"],
            _ => &["timestamp"],
        };
        files.retain(|n, _| !stale.iter().any(|r| is_role_file(n, r)));
        files.insert(file.clone(), bytes.clone());
        let opts = Options {
            dialect: Some(self.dialect),
            gun: self.gun.clone(),
            at: now,
            trusted_root: None,
            ignore_time: false,
        };
        let report = verify_files(&files, &opts)?;
        if let Some(f) = report
            .files
            .iter()
            .find(|f| !f.ok && (f.name == file || f.name.ends_with("root.json")))
        {
            return Err(Error::verification(format!("{}: {}", f.name, f.detail)));
        }
        self.write_state(&format!("metadata/{role}.json"), &bytes)?;
        Ok(RoleSigned {
            role: role.into(),
            version,
            signed_by,
            file,
        })
    }

    fn next_body(
        &self,
        role: &str,
        kind: RoleKind,
        expires: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(Option<Value>, u64, OffsetDateTime)> {
        let expires = match expires {
            Some(s) => parse_expiry(s, now)?,
            None => self.default_expiry(kind, now),
        };
        if expires <= now {
            return Err(Error::input("that expiry is in the past"));
        }
        match self.role_file(role)? {
            Some(b) => {
                let env = Envelope::parse(&b)?;
                let c = common(self.dialect, &env.signed, kind)?;
                Ok((Some(env.signed), c.version + 1, expires))
            }
            None => Ok((None, 1, expires)),
        }
    }

    /// Signs the next version of targets (the first one empty).
    pub fn targets_sign(
        &self,
        specs: &[String],
        expires: Option<&str>,
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        let (prev, version, expires) =
            self.next_body("targets", RoleKind::Targets, expires, now)?;
        let signed = match prev {
            Some(mut v) => {
                set_common(&mut v, version, expires);
                Targets::parse(self.dialect, &v, "targets")?;
                v
            }
            None => Targets::build_empty(self.dialect, version, expires),
        };
        self.sign_role(
            "targets",
            RoleKind::Targets,
            signed,
            specs,
            passphrases,
            now,
        )
    }

    /// Signs a new snapshot over the current root (Notary) and targets.
    pub fn snapshot_sign(
        &self,
        specs: &[String],
        expires: Option<&str>,
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        let (_, root_bytes) = self.require_root()?;
        let targets = self.role_file("targets")?.ok_or_else(|| {
            Error::input("there is no signed targets metadata yet")
                .hint("run `ceremony targets sign` first")
        })?;
        let tv = Envelope::parse(&targets)?.version().unwrap_or(1);
        let (_, version, expires) = self.next_body("snapshot", RoleKind::Snapshot, expires, now)?;
        let mut meta = Map::new();
        match self.dialect {
            Dialect::Notary => {
                meta.insert(
                    "root".into(),
                    FileMeta::describe(self.dialect, &root_bytes, 0),
                );
                meta.insert(
                    "targets".into(),
                    FileMeta::describe(self.dialect, &targets, tv),
                );
            }
            Dialect::Tuf => {
                meta.insert(
                    "targets.json".into(),
                    FileMeta::describe(self.dialect, &targets, tv),
                );
            }
        }
        let signed = MetaList::build(self.dialect, RoleKind::Snapshot, version, expires, meta);
        self.sign_role(
            "snapshot",
            RoleKind::Snapshot,
            signed,
            specs,
            passphrases,
            now,
        )
    }

    /// Signs a new timestamp over the current snapshot (TUF only: Notary's
    /// server always makes its own).
    pub fn timestamp_sign(
        &self,
        specs: &[String],
        expires: Option<&str>,
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        if self.dialect == Dialect::Notary {
            return Err(Error::input(
                "notary-server makes and signs the timestamp itself; there is nothing to sign offline",
            ));
        }
        let snapshot = self.role_file("snapshot")?.ok_or_else(|| {
            Error::input("there is no signed snapshot yet")
                .hint("run `ceremony snapshot sign` first")
        })?;
        let sv = Envelope::parse(&snapshot)?.version().unwrap_or(1);
        let (_, version, expires) =
            self.next_body("timestamp", RoleKind::Timestamp, expires, now)?;
        let mut meta = Map::new();
        meta.insert(
            "snapshot.json".into(),
            FileMeta::describe(self.dialect, &snapshot, sv),
        );
        let signed = MetaList::build(self.dialect, RoleKind::Timestamp, version, expires, meta);
        self.sign_role(
            "timestamp",
            RoleKind::Timestamp,
            signed,
            specs,
            passphrases,
            now,
        )
    }
}

fn is_role_file(name: &str, role: &str) -> bool {
    name == format!("{role}.json")
        || name
            .strip_suffix(&format!(".{role}.json"))
            .is_some_and(|v| v.parse::<u64>().is_ok())
}

fn set_common(v: &mut Value, version: u64, expires: OffsetDateTime) {
    if let Some(m) = v.as_object_mut() {
        m.insert("version".into(), Value::from(version));
        m.insert(
            "expires".into(),
            Value::from(crate::metadata::format_time(expires)),
        );
    }
}
