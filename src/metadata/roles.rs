//! targets.json (and delegated roles), snapshot.json and timestamp.json.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::keys::parse_key_map;
use super::names::check_delegated_name;
pub use super::names::notary_role_name_ok;
use super::root::{KeyEntry, check_key_ids, parse_role_keys};
use super::{Common, Dialect, RoleKind, TUF_SPEC_VERSION, common, format_time};
use crate::error::{Error, Result};

/// A role delegated from a targets role.
#[derive(Debug, Clone)]
pub struct DelegatedRole {
    /// Role name (`targets/releases` in Notary, any name in TUF).
    pub name: String,
    /// Keys allowed to sign it.
    pub keyids: Vec<String>,
    /// Signatures needed.
    pub threshold: u64,
}

/// A parsed targets role.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Version and expiry.
    pub common: Common,
    /// Keys of the delegations.
    pub keys: BTreeMap<String, KeyEntry>,
    /// Delegated roles, in priority order.
    pub roles: Vec<DelegatedRole>,
}

impl Targets {
    /// Reads a targets role named `name` and checks its delegations.
    pub fn parse(dialect: Dialect, signed: &Value, name: &str) -> Result<Self> {
        let common = common(dialect, signed, RoleKind::Targets)?;
        if !signed.get("targets").is_some_and(Value::is_object) {
            return Err(Error::verification("\"targets\" is not an object"));
        }
        let (keys, roles) = match signed.get("delegations") {
            None | Some(Value::Null) => (BTreeMap::new(), Vec::new()),
            Some(d) => {
                let keys = parse_key_map(dialect, d.get("keys"))?;
                check_key_ids(dialect, &keys)?;
                let list = match d.get("roles") {
                    Some(Value::Array(a)) => a.clone(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(_) => return Err(Error::verification("delegations.roles is not a list")),
                };
                let mut roles = Vec::new();
                let mut names = std::collections::BTreeSet::new();
                for r in &list {
                    let rname = r
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| Error::verification("a delegated role has no name"))?
                        .to_string();
                    check_delegation_shape(dialect, name, &rname, r)?;
                    let rk = parse_role_keys(&rname, r)?;
                    for id in &rk.keyids {
                        if !keys.contains_key(id) {
                            return Err(Error::verification(format!(
                                "delegation {rname} names a key the delegations do not list"
                            )));
                        }
                    }
                    // A set, not a scan: a hostile file may list 100,000s.
                    if !names.insert(rname.clone()) {
                        return Err(Error::verification(format!(
                            "delegation {rname} is listed twice"
                        )));
                    }
                    roles.push(DelegatedRole {
                        name: rname,
                        keyids: rk.keyids,
                        threshold: rk.threshold,
                    });
                }
                (keys, roles)
            }
        };
        Ok(Targets {
            common,
            keys,
            roles,
        })
    }

    /// The `signed` body of an empty targets role.
    pub fn build_empty(dialect: Dialect, version: u64, expires: OffsetDateTime) -> Value {
        match dialect {
            Dialect::Notary => json!({
                "_type": "Targets",
                "delegations": {"keys": {}, "roles": []},
                "expires": format_time(expires),
                "targets": {},
                "version": version,
            }),
            Dialect::Tuf => json!({
                "_type": "targets",
                "expires": format_time(expires),
                "spec_version": TUF_SPEC_VERSION,
                "targets": {},
                "version": version,
            }),
        }
    }
}

fn check_delegation_shape(dialect: Dialect, parent: &str, name: &str, r: &Value) -> Result<()> {
    // The name becomes a file name wherever the tool writes the role.
    check_delegated_name(dialect, name)?;
    match dialect {
        Dialect::Notary => {
            // A role may delegate only to its direct children.
            let parent_ok = name.rsplit_once('/').is_some_and(|(p, _)| p == parent);
            if !parent_ok {
                return Err(Error::verification(format!(
                    "{parent} may not delegate to {name} (only to its direct children)"
                )));
            }
        }
        Dialect::Tuf => {
            let has_paths = r.get("paths").is_some();
            let has_prefixes = r.get("path_hash_prefixes").is_some();
            if has_paths == has_prefixes {
                return Err(Error::verification(format!(
                    "delegation {name} must have exactly one of paths and path_hash_prefixes"
                )));
            }
            if !r.get("terminating").is_some_and(Value::is_boolean) {
                return Err(Error::verification(format!(
                    "delegation {name} has no terminating flag"
                )));
            }
        }
    }
    Ok(())
}

/// What snapshot or timestamp says about one file.
#[derive(Debug, Clone, Default)]
pub struct FileMeta {
    /// TUF's version of the file.
    pub version: Option<u64>,
    /// Length in bytes.
    pub length: Option<u64>,
    /// Hashes by algorithm name.
    pub hashes: BTreeMap<String, Vec<u8>>,
}

impl FileMeta {
    /// Describes `bytes` for a snapshot or timestamp of `dialect`.
    pub fn describe(dialect: Dialect, bytes: &[u8], version: u64) -> Value {
        match dialect {
            Dialect::Notary => json!({
                "hashes": {
                    "sha256": STANDARD.encode(Sha256::digest(bytes)),
                    "sha512": STANDARD.encode(Sha512::digest(bytes)),
                },
                "length": bytes.len(),
            }),
            Dialect::Tuf => json!({
                "hashes": {"sha256": hex::encode(Sha256::digest(bytes))},
                "length": bytes.len(),
                "version": version,
            }),
        }
    }

    /// Checks `bytes` against the length and every known hash.
    pub fn check(&self, bytes: &[u8]) -> std::result::Result<(), String> {
        if let Some(len) = self.length
            && len != bytes.len() as u64
        {
            return Err(format!("length is {}, expected {len}", bytes.len()));
        }
        for (alg, want) in &self.hashes {
            let got: Vec<u8> = match alg.as_str() {
                "sha256" => Sha256::digest(bytes).to_vec(),
                "sha512" => Sha512::digest(bytes).to_vec(),
                _ => continue,
            };
            if &got != want {
                return Err(format!("{alg} hash does not match"));
            }
        }
        Ok(())
    }
}

/// A parsed snapshot or timestamp.
#[derive(Debug, Clone)]
pub struct MetaList {
    /// Version and expiry.
    pub common: Common,
    /// File descriptions by name (`root`/`targets` in Notary,
    /// `targets.json` in TUF).
    pub meta: BTreeMap<String, FileMeta>,
}

impl MetaList {
    /// Reads snapshot (`kind` Snapshot) or timestamp (`kind` Timestamp).
    pub fn parse(dialect: Dialect, signed: &Value, kind: RoleKind) -> Result<Self> {
        let common = common(dialect, signed, kind)?;
        let m = signed
            .get("meta")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::verification("\"meta\" is not an object"))?;
        let mut meta = BTreeMap::new();
        for (name, v) in m {
            meta.insert(name.clone(), parse_file_meta(dialect, name, v)?);
        }
        Ok(MetaList { common, meta })
    }

    /// Builds a snapshot or timestamp body.
    pub fn build(
        dialect: Dialect,
        kind: RoleKind,
        version: u64,
        expires: OffsetDateTime,
        meta: Map<String, Value>,
    ) -> Value {
        let mut m = Map::new();
        m.insert("_type".into(), json!(dialect.type_name(kind)));
        m.insert("expires".into(), json!(format_time(expires)));
        m.insert("meta".into(), Value::Object(meta));
        m.insert("version".into(), json!(version));
        if dialect == Dialect::Tuf {
            m.insert("spec_version".into(), json!(TUF_SPEC_VERSION));
        }
        Value::Object(m)
    }
}

fn parse_file_meta(dialect: Dialect, name: &str, v: &Value) -> Result<FileMeta> {
    let bad = |what: &str| Error::verification(format!("meta for {name}: {what}"));
    let m = v.as_object().ok_or_else(|| bad("not an object"))?;
    let version = match m.get("version") {
        None => None,
        Some(x) => Some(
            x.as_u64()
                .filter(|v| *v >= 1)
                .ok_or_else(|| bad("version is not an integer ≥ 1"))?,
        ),
    };
    let length = match m.get("length") {
        None => None,
        Some(x) => Some(x.as_u64().ok_or_else(|| bad("length is not an integer"))?),
    };
    let mut hashes = BTreeMap::new();
    if let Some(h) = m.get("hashes") {
        let h = h
            .as_object()
            .ok_or_else(|| bad("hashes is not an object"))?;
        for (alg, val) in h {
            let s = val.as_str().ok_or_else(|| bad("a hash is not a string"))?;
            let bytes = match dialect {
                Dialect::Notary => STANDARD
                    .decode(s)
                    .map_err(|_| bad("a hash is not base64"))?,
                Dialect::Tuf => hex::decode(s).map_err(|_| bad("a hash is not hex"))?,
            };
            hashes.insert(alg.clone(), bytes);
        }
    }
    if dialect == Dialect::Notary && !hashes.contains_key("sha256") {
        return Err(bad("no sha256 hash"));
    }
    if dialect == Dialect::Tuf && version.is_none() {
        return Err(bad("no version"));
    }
    Ok(FileMeta {
        version,
        length,
        hashes,
    })
}
