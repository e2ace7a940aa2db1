//! root.json: the keys and thresholds of the four top-level roles.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

use super::keys::{MetaKey, is_unknown_type, parse_key_map};
use super::{Common, Dialect, RoleKind, TUF_SPEC_VERSION, common, format_time};
use crate::error::{Error, Result};

/// The four top-level roles, in the order the tool shows them.
pub const TOP_ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

/// The keys and threshold of one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKeys {
    /// Key IDs allowed to sign, in file order.
    pub keyids: Vec<String>,
    /// Signatures needed.
    pub threshold: u64,
}

/// A key entry: the key, or why the tool cannot use it.
pub type KeyEntry = std::result::Result<MetaKey, String>;

/// A parsed root.
#[derive(Debug, Clone)]
pub struct Root {
    /// Version and expiry.
    pub common: Common,
    /// All listed keys by ID.
    pub keys: BTreeMap<String, KeyEntry>,
    /// The four roles.
    pub roles: BTreeMap<String, RoleKeys>,
    /// `consistent_snapshot` (absent = false).
    pub consistent_snapshot: bool,
}

/// Reads a role's `{keyids, threshold}`.
pub fn parse_role_keys(name: &str, v: &Value) -> Result<RoleKeys> {
    let m = v
        .as_object()
        .ok_or_else(|| Error::verification(format!("role {name} is not an object")))?;
    let keyids = match m.get("keyids") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|k| {
                k.as_str().map(str::to_string).ok_or_else(|| {
                    Error::verification(format!("role {name}: a keyid is not a string"))
                })
            })
            .collect::<Result<Vec<_>>>()?,
        _ => {
            return Err(Error::verification(format!(
                "role {name} has no keyids list"
            )));
        }
    };
    let threshold = m
        .get("threshold")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::verification(format!("role {name}: threshold is not an integer")))?;
    if threshold < 1 {
        return Err(Error::verification(format!(
            "role {name}: threshold {threshold} is below 1"
        )));
    }
    let distinct: BTreeSet<&String> = keyids.iter().collect();
    if distinct.len() != keyids.len() {
        return Err(Error::verification(format!(
            "role {name} lists a keyid twice"
        )));
    }
    if threshold > keyids.len() as u64 {
        return Err(Error::verification(format!(
            "role {name}: threshold {threshold} can never be met by its {} key(s)",
            keyids.len()
        )));
    }
    Ok(RoleKeys { keyids, threshold })
}

impl Root {
    /// Reads root metadata and checks its structure: the four roles, sane
    /// thresholds, every keyid listed, key IDs that match their keys, and no
    /// key under two IDs.
    pub fn parse(dialect: Dialect, signed: &Value) -> Result<Self> {
        let common = common(dialect, signed, RoleKind::Root)?;
        let keys = parse_key_map(dialect, signed.get("keys"))?;
        let roles_v = signed
            .get("roles")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::verification("root has no \"roles\" object"))?;
        let mut roles = BTreeMap::new();
        for (name, v) in roles_v {
            if !TOP_ROLES.contains(&name.as_str()) {
                return Err(Error::verification(format!(
                    "root lists role {name:?}; only root, targets, snapshot and timestamp are allowed"
                )));
            }
            roles.insert(name.clone(), parse_role_keys(name, v)?);
        }
        for name in TOP_ROLES {
            let Some(role) = roles.get(name) else {
                return Err(Error::verification(format!("root has no {name} role")));
            };
            for id in &role.keyids {
                if !keys.contains_key(id) {
                    return Err(Error::verification(format!(
                        "role {name} names key {} which root does not list",
                        short(id)
                    )));
                }
            }
        }
        check_key_ids(dialect, &keys)?;
        let consistent_snapshot = match signed.get("consistent_snapshot") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Error::verification("consistent_snapshot is not a boolean")),
        };
        Ok(Root {
            common,
            keys,
            roles,
            consistent_snapshot,
        })
    }

    /// A role's keys (the four always exist after [`Root::parse`]).
    pub fn role(&self, name: &str) -> Result<&RoleKeys> {
        self.roles
            .get(name)
            .ok_or_else(|| Error::verification(format!("root has no {name} role")))
    }

    /// The usable keys of a role, by ID.
    pub fn role_keys(&self, name: &str) -> BTreeMap<String, KeyEntry> {
        let mut out = BTreeMap::new();
        if let Some(r) = self.roles.get(name) {
            for id in &r.keyids {
                if let Some(k) = self.keys.get(id) {
                    out.insert(id.clone(), k.clone());
                }
            }
        }
        out
    }

    /// Builds the `signed` body of a root.
    pub fn build(
        dialect: Dialect,
        version: u64,
        expires: OffsetDateTime,
        keys: &BTreeMap<String, MetaKey>,
        roles: &BTreeMap<String, RoleKeys>,
    ) -> Value {
        let keys_v: Map<String, Value> = keys
            .iter()
            .map(|(id, k)| (id.clone(), k.object.clone()))
            .collect();
        let roles_v: Map<String, Value> = roles
            .iter()
            .map(|(n, r)| {
                (
                    n.clone(),
                    json!({"keyids": r.keyids, "threshold": r.threshold}),
                )
            })
            .collect();
        let mut m = Map::new();
        m.insert("_type".into(), json!(dialect.type_name(RoleKind::Root)));
        m.insert("expires".into(), json!(format_time(expires)));
        m.insert("keys".into(), Value::Object(keys_v));
        m.insert("roles".into(), Value::Object(roles_v));
        m.insert("version".into(), json!(version));
        match dialect {
            // Notary always writes false and ignores it.
            Dialect::Notary => {
                m.insert("consistent_snapshot".into(), json!(false));
            }
            Dialect::Tuf => {
                m.insert("consistent_snapshot".into(), json!(true));
                m.insert("spec_version".into(), json!(TUF_SPEC_VERSION));
            }
        }
        Value::Object(m)
    }
}

/// Every key ID must be the hash of its key, and one public key may not
/// appear under two IDs (it would count twice toward a threshold).
pub fn check_key_ids(dialect: Dialect, keys: &BTreeMap<String, KeyEntry>) -> Result<()> {
    let mut seen: BTreeMap<String, &String> = BTreeMap::new();
    for (id, entry) in keys {
        // A key of a type this tool does not know is unusable for itself
        // alone (its signatures are reported as such); a key of a known
        // type that does not read — bad encoding, a private part, RSA
        // under 2048 bits — fails the whole file, as tough refuses such a
        // file outright.
        let k = match entry {
            Ok(k) => k,
            Err(why) if is_unknown_type(why) => continue,
            Err(why) => {
                return Err(Error::verification(format!(
                    "cannot read key {}: {why}",
                    short(id)
                )));
            }
        };
        let computed = k.id(dialect);
        if &computed != id {
            let legacy = dialect == Dialect::Tuf && legacy_key_ids(&k.object).contains(id);
            if !legacy {
                return Err(Error::verification(format!(
                    "key ID {} does not match its key (computed {})",
                    short(id),
                    short(&computed)
                )));
            }
            if !super::reading::current().legacy_keyids {
                return Err(Error::verification(format!(
                    "key ID {} is the hash of its key with python-tuf 0.x's keyid_hash_algorithms, not of the key as written (computed {}); go-tuf and python-tuf read it, the specification and tough do not: pass --legacy-keyids to read it anyway",
                    short(id),
                    short(&computed)
                )));
            }
        }
        if let Some(other) = seen.insert(k.public.fingerprint(), id) {
            return Err(Error::verification(format!(
                "one public key is listed under two key IDs ({} and {})",
                short(other),
                short(id)
            )));
        }
    }
    Ok(())
}

/// The IDs python-tuf 0.x could have given a TUF key object: the hash of
/// the object with `keyid_hash_algorithms` set to its default
/// `["sha256", "sha512"]`, and of the object without that member.
fn legacy_key_ids(object: &Value) -> Vec<String> {
    let Value::Object(m) = object else {
        return Vec::new();
    };
    let mut with = m.clone();
    with.insert(
        "keyid_hash_algorithms".into(),
        serde_json::json!(["sha256", "sha512"]),
    );
    let mut without = m.clone();
    without.remove("keyid_hash_algorithms");
    [Value::Object(with), Value::Object(without)]
        .iter()
        .map(|v| hex::encode(Sha256::digest(super::json::canonical(v))))
        .collect()
}

/// The first 12 hex digits of a key ID, for messages.
pub fn short(id: &str) -> String {
    // IDs in hostile metadata can be any string: never raw on a terminal.
    crate::text::printable(&id.chars().take(12).collect::<String>()).into_owned()
}
