//! Delegations from targets to other roles: Notary's `targets/releases` and
//! Docker's per-signer roles, TUF's path-scoped roles. Edits are staged in
//! the targets body and take effect with `targets sign`.

use serde_json::{Map, Value, json};

use super::Workspace;
use crate::error::{Error, Result};
use crate::metadata::Dialect;
use crate::metadata::keys::MetaKey;
use crate::metadata::names::{delegated_name_problem, name_hint};
use crate::metadata::roles::Targets;

/// A delegation to add.
#[derive(Debug, Clone, Default)]
pub struct DelegationSpec {
    /// Role name (`targets/releases` in Notary).
    pub name: String,
    /// Keys (ID, prefix or label).
    pub keys: Vec<String>,
    /// Signatures needed (default 1).
    pub threshold: Option<u64>,
    /// Notary path prefixes or TUF path globs.
    pub paths: Vec<String>,
    /// TUF hashed-bin prefixes (hex).
    pub path_hash_prefixes: Vec<String>,
    /// TUF: stop looking further once this role matches.
    pub terminating: bool,
}

/// One delegation as the staged targets holds it.
#[derive(Debug, Clone)]
pub struct DelegationInfo {
    /// Role name.
    pub name: String,
    /// Threshold.
    pub threshold: u64,
    /// Key labels (or short IDs).
    pub keys: Vec<String>,
    /// Paths or hash prefixes.
    pub scope: Vec<String>,
}

fn roles_mut(body: &mut Value) -> Result<(&mut Map<String, Value>, &mut Vec<Value>)> {
    let m = body
        .as_object_mut()
        .ok_or_else(|| Error::input("targets body is not an object"))?;
    let d = m
        .entry("delegations")
        .or_insert_with(|| json!({"keys": {}, "roles": []}));
    let d = d
        .as_object_mut()
        .ok_or_else(|| Error::input("delegations is not an object"))?;
    if !d.contains_key("keys") {
        d.insert("keys".into(), json!({}));
    }
    if !d.contains_key("roles") {
        d.insert("roles".into(), json!([]));
    }
    // Split borrows of the two fields.
    let mut keys = None;
    let mut roles = None;
    for (k, v) in d.iter_mut() {
        match k.as_str() {
            "keys" => keys = v.as_object_mut(),
            "roles" => roles = v.as_array_mut(),
            _ => {}
        }
    }
    match (keys, roles) {
        (Some(k), Some(r)) => Ok((k, r)),
        _ => Err(Error::input(
            "delegations.keys / delegations.roles have the wrong type",
        )),
    }
}

impl Workspace {
    fn check_delegation_name(&self, name: &str) -> Result<()> {
        // The rule every delegated name meets, wherever it comes from.
        if let Some(why) = delegated_name_problem(self.dialect, name) {
            return Err(Error::input(why).hint(name_hint(self.dialect)));
        }
        // Names made here are also plain and portable.
        let ok = match self.dialect {
            // Targets may delegate only to its direct children.
            Dialect::Notary => name.matches('/').count() == 1,
            Dialect::Tuf => name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::input(format!("{name:?} is not a delegation name targets can use")).hint(match self.dialect {
                Dialect::Notary => "Notary delegations are lowercase and directly under targets/, e.g. targets/releases",
                Dialect::Tuf => "use letters, digits, '.', '_' and '-'",
            }))
        }
    }

    /// Adds (or replaces) a delegation in the staged targets.
    pub fn delegation_add(&self, spec: &DelegationSpec) -> Result<()> {
        self.check_delegation_name(&spec.name)?;
        if spec.keys.is_empty() {
            return Err(Error::input("a delegation needs at least one --key"));
        }
        let mut metas = Vec::new();
        for k in &spec.keys {
            let rec = self.find_key(k)?;
            rec.refuse_if_lost("be added to a delegation")?;
            let meta = rec.meta(self.dialect)?;
            if metas
                .iter()
                .any(|(id, _): &(String, MetaKey)| id == &rec.id)
            {
                return Err(Error::input(format!(
                    "key {} is named twice",
                    rec.display()
                )));
            }
            metas.push((rec.id.clone(), meta));
        }
        let threshold = spec.threshold.unwrap_or(1);
        if threshold < 1 || threshold > metas.len() as u64 {
            return Err(Error::input(format!(
                "threshold {threshold} cannot be met by {} key(s)",
                metas.len()
            )));
        }
        let mut role = Map::new();
        role.insert(
            "keyids".into(),
            json!(metas.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()),
        );
        role.insert("name".into(), json!(spec.name));
        role.insert("threshold".into(), json!(threshold));
        match self.dialect {
            Dialect::Notary => {
                if !spec.path_hash_prefixes.is_empty() || spec.terminating {
                    return Err(Error::input(
                        "Notary delegations have path prefixes only (no hash prefixes, no terminating)",
                    ));
                }
                // Docker's convention: "" is every path.
                let paths = if spec.paths.is_empty() {
                    vec![String::new()]
                } else {
                    spec.paths.clone()
                };
                role.insert("paths".into(), json!(paths));
            }
            Dialect::Tuf => {
                match (spec.paths.is_empty(), spec.path_hash_prefixes.is_empty()) {
                    (false, true) => role.insert("paths".into(), json!(spec.paths)),
                    (true, false) => {
                        if spec
                            .path_hash_prefixes
                            .iter()
                            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_hexdigit()))
                        {
                            return Err(Error::input("a path hash prefix is hex digits"));
                        }
                        role.insert("path_hash_prefixes".into(), json!(spec.path_hash_prefixes))
                    }
                    _ => {
                        return Err(Error::input(
                            "a TUF delegation needs exactly one of --paths and --path-hash-prefix",
                        ));
                    }
                };
                role.insert("terminating".into(), json!(spec.terminating));
            }
        }
        let mut body = self.targets_body()?;
        {
            let (keys, roles) = roles_mut(&mut body)?;
            for (id, m) in &metas {
                keys.insert(id.clone(), m.object.clone());
            }
            let new = Value::Object(role);
            match roles
                .iter()
                .position(|r| r.get("name").and_then(Value::as_str) == Some(&spec.name))
            {
                Some(i) => roles[i] = new,
                None => roles.push(new),
            }
        }
        prune_keys(&mut body)?;
        self.stage_targets(&body)?;
        self.record(super::transcript::Record::DelegationStaged {
            role: spec.name.clone(),
            removed: false,
        })
    }

    /// Docker's `trust signer add`: the signer's key joins `targets/<signer>`
    /// and `targets/releases` (both all paths), each made if missing.
    pub fn delegation_add_signer(&self, signer: &str, key: &str) -> Result<()> {
        if self.dialect != Dialect::Notary {
            return Err(Error::input(
                "signers are a Docker Content Trust (Notary) convention",
            ));
        }
        let own = if signer.starts_with("targets/") {
            signer.to_string()
        } else {
            format!("targets/{signer}")
        };
        if own == "targets/releases" {
            return Err(Error::input(
                "targets/releases is the shared role; name the signer, e.g. alice",
            ));
        }
        let rec = self.find_key(key)?;
        for role in [own.as_str(), "targets/releases"] {
            let mut keys: Vec<String> = self.delegation_keys(role)?;
            if !keys.contains(&rec.id) {
                keys.push(rec.id.clone());
            }
            let threshold = self.delegation_threshold(role)?;
            self.delegation_add(&DelegationSpec {
                name: role.into(),
                keys,
                threshold,
                ..Default::default()
            })?;
        }
        self.record_change(crate::ceremony::step::Outcome::SignerAdded {
            name: signer.to_string(),
        })?;
        Ok(())
    }

    fn delegation_keys(&self, role: &str) -> Result<Vec<String>> {
        let body = self.targets_body()?;
        let t = Targets::parse(self.dialect, &body, "targets")?;
        Ok(t.roles
            .into_iter()
            .find(|d| d.name == role)
            .map(|d| d.keyids)
            .unwrap_or_default())
    }

    fn delegation_threshold(&self, role: &str) -> Result<Option<u64>> {
        let body = self.targets_body()?;
        let t = Targets::parse(self.dialect, &body, "targets")?;
        Ok(t.roles
            .into_iter()
            .find(|d| d.name == role)
            .map(|d| d.threshold))
    }

    /// Removes a delegation from the staged targets.
    pub fn delegation_remove(&self, name: &str) -> Result<()> {
        let mut body = self.targets_body()?;
        {
            let (_, roles) = roles_mut(&mut body)?;
            let before = roles.len();
            roles.retain(|r| r.get("name").and_then(Value::as_str) != Some(name));
            if roles.len() == before {
                return Err(Error::input(format!("targets has no delegation {name:?}")));
            }
        }
        prune_keys(&mut body)?;
        self.stage_targets(&body)?;
        self.record(super::transcript::Record::DelegationStaged {
            role: name.to_string(),
            removed: true,
        })
    }

    /// The delegations of the staged (or latest) targets.
    pub fn delegation_list(&self) -> Result<Vec<DelegationInfo>> {
        let body = self.targets_body()?;
        let t = Targets::parse(self.dialect, &body, "targets")?;
        let list = body
            .get("delegations")
            .and_then(|d| d.get("roles"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for d in t.roles {
            let raw = list
                .iter()
                .find(|r| r.get("name").and_then(Value::as_str) == Some(&d.name));
            let scope: Vec<String> = raw
                .and_then(|r| r.get("paths").or_else(|| r.get("path_hash_prefixes")))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|p| {
                            if p.is_empty() {
                                "\"\" (all paths)".to_string()
                            } else {
                                p.to_string()
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let keys = d
                .keyids
                .iter()
                .map(|id| self.label_of(id))
                .collect::<Result<Vec<_>>>()?;
            out.push(DelegationInfo {
                name: d.name,
                threshold: d.threshold,
                keys,
                scope,
            });
        }
        Ok(out)
    }
}

/// Drops delegation keys no role names any more.
fn prune_keys(body: &mut Value) -> Result<()> {
    let (keys, roles) = roles_mut(body)?;
    let used: Vec<String> = roles
        .iter()
        .flat_map(|r| {
            r.get("keyids")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    keys.retain(|id, _| used.contains(id));
    Ok(())
}
