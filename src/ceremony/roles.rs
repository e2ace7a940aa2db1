//! Offline signing of targets (and delegated targets roles), snapshot and
//! (TUF) timestamp with keys held in the ceremony. Each new file is verified
//! together with the rest of the repository before it is kept.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

use super::keys::check_role;
use super::{KeyRecord, Passphrases, Workspace, parse_expiry};
use crate::error::{Error, Result};
use crate::metadata::roles::{FileMeta, MetaList, Targets};
use crate::metadata::root::{KeyEntry, RoleKeys, short};
use crate::metadata::{Dialect, Envelope, RoleKind, common, format_time};
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

/// Who may sign a role: its keys and threshold, and where the keys are listed.
struct Authority {
    role: RoleKeys,
    keys: BTreeMap<String, KeyEntry>,
    from: &'static str,
}

const STAGED_TARGETS: &str = "staged/targets.json";

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

    /// The latest signed file of a role held in the ceremony.
    pub fn role_file(&self, role: &str) -> Result<Option<Vec<u8>>> {
        self.read_state(&role_state(self.dialect, role)?)
    }

    /// Delegated roles with a signed file here, parents before children.
    pub fn delegated_roles(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut queue = vec!["targets".to_string()];
        while let Some(parent) = queue.pop() {
            let Some(b) = self.role_file(&parent)? else {
                continue;
            };
            let t = Targets::parse(self.dialect, &Envelope::parse(&b)?.signed, &parent)?;
            for d in t.roles {
                if self.role_file(&d.name)?.is_some() && !out.contains(&d.name) {
                    out.push(d.name.clone());
                    queue.push(d.name);
                }
            }
        }
        Ok(out)
    }

    /// The files of the repository as a client or server names them:
    /// `N.root.json` and `root.json`, then targets and its delegations,
    /// snapshot and timestamp (`N.role.json` for TUF's consistent snapshots).
    pub fn repo_files(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut files = BTreeMap::new();
        let history = self.history()?;
        for (v, b) in &history {
            files.insert(format!("{v}.root.json"), b.clone());
        }
        if let Some((_, b)) = history.iter().next_back() {
            files.insert("root.json".into(), b.clone());
        }
        let mut roles: Vec<String> = vec!["targets".into(), "snapshot".into(), "timestamp".into()];
        roles.extend(self.delegated_roles()?);
        for role in roles {
            if let Some(b) = self.role_file(&role)? {
                files.insert(self.file_name(&role, &b)?, b);
            }
        }
        Ok(files)
    }

    fn file_name(&self, role: &str, bytes: &[u8]) -> Result<String> {
        check_role(self.dialect, role)?;
        Ok(match (self.dialect, role) {
            (Dialect::Tuf, "timestamp") | (Dialect::Notary, _) => format!("{role}.json"),
            (Dialect::Tuf, _) => {
                let v = Envelope::parse(bytes)?.version().unwrap_or(0);
                format!("{v}.{role}.json")
            }
        })
    }

    /// The keys that may sign `role`: the root for top-level roles, the
    /// parent's delegation for delegated ones.
    fn authority(&self, role: &str) -> Result<Authority> {
        let (root, _) = self.require_root()?;
        if ["targets", "snapshot", "timestamp"].contains(&role) {
            return Ok(Authority {
                role: root.role(role)?.clone(),
                keys: root.keys,
                from: "root",
            });
        }
        for parent in std::iter::once("targets".to_string()).chain(self.delegated_roles()?) {
            let Some(b) = self.role_file(&parent)? else {
                continue;
            };
            let t = Targets::parse(self.dialect, &Envelope::parse(&b)?.signed, &parent)?;
            if let Some(d) = t.roles.iter().find(|d| d.name == role) {
                return Ok(Authority {
                    role: RoleKeys {
                        keyids: d.keyids.clone(),
                        threshold: d.threshold,
                    },
                    keys: t.keys,
                    from: "its delegating role",
                });
            }
        }
        Err(
            Error::input(format!("no signed targets metadata delegates to {role:?}"))
                .hint("`ceremony delegation add` it, then `ceremony targets sign`"),
        )
    }

    fn role_signers(
        &self,
        auth: &Authority,
        role: &str,
        specs: &[String],
    ) -> Result<Vec<KeyRecord>> {
        let keyids = &auth.role.keyids;
        // A lost key never signs: left out when choosing, refused when named.
        let lost: Vec<String> = self
            .keys()?
            .into_iter()
            .filter(|k| k.is_lost() && keyids.contains(&k.id))
            .map(|k| k.display())
            .collect();
        let recs: Vec<KeyRecord> = if specs.is_empty() {
            self.keys()?
                .into_iter()
                .filter(|k| k.can_sign_here() && keyids.contains(&k.id))
                .collect()
        } else {
            let mut v = Vec::new();
            for s in specs {
                let k = self.find_key(s)?;
                k.refuse_if_lost("sign")?;
                if !keyids.contains(&k.id) {
                    return Err(Error::input(format!(
                        "key {} is not a {role} key of {}",
                        k.display(),
                        auth.from
                    )));
                }
                v.push(k);
            }
            v
        };
        let held: Vec<KeyRecord> = recs.into_iter().filter(|k| k.private).collect();
        let need = auth.role.threshold as usize;
        if held.len() < need {
            let hint = if role == "snapshot" && self.dialect == Dialect::Notary {
                "the root names a snapshot key not held here: the Notary server makes the snapshot (Docker style); export root and targets only"
            } else {
                "sign on the machine that holds the keys"
            };
            let lost = if lost.is_empty() {
                String::new()
            } else {
                format!(" ({} marked lost)", lost.join(", "))
            };
            return Err(Error::verification(format!(
                "{role} needs {need} signature(s) but only {} of its keys are held here{lost}",
                held.len()
            ))
            .hint(hint));
        }
        Ok(held)
    }

    /// Signs `signed` as `role`, checks it against its authority and the rest
    /// of the repository, and keeps it.
    fn sign_role(
        &self,
        role: &str,
        kind: RoleKind,
        signed: Value,
        specs: &[String],
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        let auth = self.authority(role)?;
        let signers = self.role_signers(&auth, role, specs)?;
        let version = common(self.dialect, &signed, kind)?.version;
        let mut env = Envelope {
            signed,
            signatures: Vec::new(),
        };
        let mut signed_by = Vec::new();
        for rec in &signers {
            let meta = match auth.keys.get(&rec.id) {
                Some(Ok(m)) => m.clone(),
                _ => {
                    return Err(Error::input(format!(
                        "key {} cannot be read from {}",
                        short(&rec.id),
                        auth.from
                    )));
                }
            };
            let key = self.unlock(rec, passphrases)?;
            sign(self.dialect, &mut env, &rec.id, &meta, &key)?;
            signed_by.push(rec.label.clone());
        }
        let t = tally(self.dialect, &env, &auth.role, &auth.keys, None);
        if !t.met() {
            return Err(Error::verification(format!(
                "{role}: threshold not met ({})",
                t.fraction()
            )));
        }
        let bytes = env.to_bytes(self.dialect);
        let file = self.file_name(role, &bytes)?;
        // The repository with this file in it must verify as far as this
        // file goes. Files made from this one are stale until re-signed:
        // leave them out.
        let mut files = self.repo_files()?;
        let mut stale: Vec<String> = vec!["timestamp".into()];
        if role != "timestamp" {
            stale.push("snapshot".into());
        }
        if kind == RoleKind::Targets {
            stale.push(role.into());
        }
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
        if kind == RoleKind::Targets && !report.files.iter().any(|f| f.ok && f.name == file) {
            return Err(Error::verification(format!(
                "{file} could not be checked against its delegating role"
            )));
        }
        let rel = role_state(self.dialect, role)?;
        if let Some(parent) = self.dir.join(&rel).parent() {
            self.make_dirs(parent)?;
        }
        self.write_state(&rel, &bytes)?;
        if role == "targets" && self.read_state(STAGED_TARGETS)?.is_some() {
            self.remove_state(STAGED_TARGETS)?;
        }
        self.record_change(crate::ceremony::step::Outcome::RoleSigned {
            role: role.into(),
            version,
        })?;
        Ok(RoleSigned {
            role: role.into(),
            version,
            signed_by,
            file,
        })
    }

    fn expiry_for(
        &self,
        kind: RoleKind,
        expires: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime> {
        let expires = match expires {
            Some(s) => parse_expiry(s, now)?,
            None => self.default_expiry(kind, now),
        };
        if expires <= now {
            return Err(Error::input("that expiry is in the past"));
        }
        Ok(expires)
    }

    /// The next version number of a role held here (1 when none yet).
    fn next_version(&self, role: &str, kind: RoleKind) -> Result<u64> {
        match self.role_file(role)? {
            Some(b) => {
                let v = common(self.dialect, &Envelope::parse(&b)?.signed, kind)?.version;
                v.checked_add(1).ok_or_else(|| {
                    Error::verification(format!(
                        "{role} is at version {v} (2^64−1), the last there can be: no version can follow it"
                    ))
                })
            }
            None => Ok(1),
        }
    }

    /// The targets body delegation edits work on: the staged one, else the
    /// latest signed one, else an empty one. It is checked before any edit,
    /// so an edit never launders a body the tool would refuse.
    pub fn targets_body(&self) -> Result<Value> {
        let body = if let Some(b) = self.read_state(STAGED_TARGETS)? {
            crate::metadata::json::parse_strict(&b).map_err(|e| e.context(STAGED_TARGETS))?
        } else {
            match self.role_file("targets")? {
                Some(b) => Envelope::parse(&b)?.signed,
                None => {
                    return Ok(Targets::build_empty(
                        self.dialect,
                        1,
                        OffsetDateTime::now_utc(),
                    ));
                }
            }
        };
        Targets::parse(self.dialect, &body, "targets")?;
        Ok(body)
    }

    /// Stages an edited targets body, after checking it.
    pub fn stage_targets(&self, body: &Value) -> Result<()> {
        Targets::parse(self.dialect, body, "targets")?;
        self.write_state(STAGED_TARGETS, &crate::metadata::json::python_pretty(body))
    }

    /// Signs the next version of targets (`role` = None) or of a delegated
    /// targets role: the staged delegation changes, else the same content.
    pub fn targets_sign(
        &self,
        role: Option<&str>,
        specs: &[String],
        expires: Option<&str>,
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        let role = role.unwrap_or("targets");
        let expires = self.expiry_for(RoleKind::Targets, expires, now)?;
        let version = self.next_version(role, RoleKind::Targets)?;
        let mut body = if role == "targets" {
            self.targets_body()?
        } else {
            match self.role_file(role)? {
                Some(b) => Envelope::parse(&b)?.signed,
                None => Targets::build_empty(self.dialect, version, expires),
            }
        };
        set_common(&mut body, version, expires);
        Targets::parse(self.dialect, &body, role)?;
        self.sign_role(role, RoleKind::Targets, body, specs, passphrases, now)
    }

    /// Signs a new snapshot over the current root (Notary), targets and the
    /// delegated roles held here.
    pub fn snapshot_sign(
        &self,
        specs: &[String],
        expires: Option<&str>,
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<RoleSigned> {
        let (_, root_bytes) = self.require_root()?;
        if self.role_file("targets")?.is_none() {
            return Err(Error::input("there is no signed targets metadata yet")
                .hint("run `ceremony targets sign` first"));
        }
        let expires = self.expiry_for(RoleKind::Snapshot, expires, now)?;
        let version = self.next_version("snapshot", RoleKind::Snapshot)?;
        let mut meta = Map::new();
        if self.dialect == Dialect::Notary {
            meta.insert(
                "root".into(),
                FileMeta::describe(self.dialect, &root_bytes, 0),
            );
        }
        let mut roles = vec!["targets".to_string()];
        roles.extend(self.delegated_roles()?);
        for role in roles {
            if let Some(b) = self.role_file(&role)? {
                let v = Envelope::parse(&b)?.version().unwrap_or(1);
                let name = match self.dialect {
                    Dialect::Notary => role.clone(),
                    Dialect::Tuf => format!("{role}.json"),
                };
                meta.insert(name, FileMeta::describe(self.dialect, &b, v));
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
        let expires = self.expiry_for(RoleKind::Timestamp, expires, now)?;
        let version = self.next_version("timestamp", RoleKind::Timestamp)?;
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

/// Where the latest signed file of `role` is kept in the ceremony, once
/// its name is known to be safe as a path.
fn role_state(dialect: Dialect, role: &str) -> Result<String> {
    check_role(dialect, role)?;
    Ok(format!("metadata/{role}.json"))
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
        m.insert("expires".into(), Value::from(format_time(expires)));
    }
}
