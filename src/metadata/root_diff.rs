//! What a new root changes against the previous one, computed from the two
//! signed bodies alone: nothing a request or a coordinator asserts enters
//! here. Signers are shown this, so it covers everything a root decides:
//! every role's keys and threshold, expiry, and fields the tool does not
//! interpret.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

use super::root::{KeyEntry, Root, TOP_ROLES};

/// One key as the body lists it.
#[derive(Debug, Clone)]
pub struct KeyView {
    /// Key ID.
    pub id: String,
    /// `keytype` as written.
    pub keytype: String,
    /// First 16 hex digits of SHA-256 over the public key (SPKI), or why the
    /// key cannot be read.
    pub fingerprint: std::result::Result<String, String>,
    /// For certificate keys: subject CN and validity.
    pub cert: Option<CertView>,
}

/// What a signer needs to know of a root certificate.
#[derive(Debug, Clone)]
pub struct CertView {
    /// The subject common name (Notary: must be the GUN).
    pub common_name: Option<String>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
}

/// One role before and after.
#[derive(Debug, Clone)]
pub struct RoleChange {
    /// `root`, `targets`, `snapshot` or `timestamp`.
    pub role: String,
    /// The threshold before (None for a first root).
    pub threshold_before: Option<u64>,
    /// The threshold after.
    pub threshold_after: u64,
    /// Key IDs the new root adds to the role.
    pub added: Vec<String>,
    /// Key IDs the new root removes from the role.
    pub removed: Vec<String>,
    /// Key IDs in both.
    pub kept: Vec<String>,
}

impl RoleChange {
    /// True when keys or threshold change.
    pub fn changed(&self) -> bool {
        !self.added.is_empty()
            || !self.removed.is_empty()
            || self.threshold_before != Some(self.threshold_after)
    }
}

/// The difference between two roots.
#[derive(Debug, Clone)]
pub struct RootChanges {
    /// The previous version, if any.
    pub from_version: Option<u64>,
    /// The new version.
    pub to_version: u64,
    /// Expiry before, if any.
    pub expires_before: Option<OffsetDateTime>,
    /// Expiry after.
    pub expires_after: OffsetDateTime,
    /// `consistent_snapshot` before and after, when it changes.
    pub consistent_snapshot: Option<(bool, bool)>,
    /// `spec_version` before and after (TUF), when it changes.
    pub spec_version: Option<(String, String)>,
    /// The four roles, in the order the tool shows them.
    pub roles: Vec<RoleChange>,
    /// Every key either root's roles name, by ID.
    pub keys: BTreeMap<String, KeyView>,
    /// Keys the new root lists that no role uses.
    pub unused_keys: Vec<String>,
    /// Top-level fields of the new body this tool does not interpret.
    pub uninterpreted: Vec<String>,
}

/// The fields of a root body the tool interprets.
pub const KNOWN_FIELDS: [&str; 7] = [
    "_type",
    "consistent_snapshot",
    "expires",
    "keys",
    "roles",
    "spec_version",
    "version",
];

fn view(id: &str, entry: &KeyEntry, body_keys: Option<&Value>) -> KeyView {
    let keytype = body_keys
        .and_then(|k| k.get(id))
        .and_then(|k| k.get("keytype"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    match entry {
        Ok(k) => KeyView {
            id: id.to_string(),
            keytype,
            fingerprint: Ok(k.public.short_fingerprint()),
            cert: k.cert.as_ref().map(|c| CertView {
                common_name: c.common_name.clone(),
                not_before: c.not_before,
                not_after: c.not_after,
            }),
        },
        Err(why) => KeyView {
            id: id.to_string(),
            keytype,
            fingerprint: Err(why.clone()),
            cert: None,
        },
    }
}

/// Compares `next` (whose signed body is `next_body`) with `prev`.
pub fn diff(prev: Option<(&Root, &Value)>, next: &Root, next_body: &Value) -> RootChanges {
    let mut roles = Vec::new();
    let mut keys = BTreeMap::new();
    for name in TOP_ROLES {
        let after = next.roles.get(name);
        let before = prev.and_then(|(p, _)| p.roles.get(name));
        let after_ids: Vec<String> = after.map(|r| r.keyids.clone()).unwrap_or_default();
        let before_ids: Vec<String> = before.map(|r| r.keyids.clone()).unwrap_or_default();
        for id in &after_ids {
            if let Some(e) = next.keys.get(id) {
                keys.insert(id.clone(), view(id, e, next_body.get("keys")));
            }
        }
        if let Some((p, pbody)) = prev {
            for id in &before_ids {
                if let (false, Some(e)) = (keys.contains_key(id), p.keys.get(id)) {
                    keys.insert(id.clone(), view(id, e, pbody.get("keys")));
                }
            }
        }
        // Kept means the same ID with the same key object on both sides: an
        // ID is only a name, and a body could put other key material under it.
        let same = |id: &String| {
            prev.is_some_and(|(_, pbody)| {
                before_ids.contains(id)
                    && pbody.get("keys").and_then(|k| k.get(id))
                        == next_body.get("keys").and_then(|k| k.get(id))
            })
        };
        roles.push(RoleChange {
            role: name.to_string(),
            threshold_before: before.map(|r| r.threshold),
            threshold_after: after.map(|r| r.threshold).unwrap_or(0),
            added: after_ids.iter().filter(|id| !same(id)).cloned().collect(),
            removed: before_ids
                .iter()
                .filter(|id| !after_ids.contains(id) || !same(id))
                .cloned()
                .collect(),
            kept: after_ids.iter().filter(|id| same(id)).cloned().collect(),
        });
    }
    let used: BTreeSet<&String> = next.roles.values().flat_map(|r| &r.keyids).collect();
    let unused_keys = next
        .keys
        .keys()
        .filter(|id| !used.contains(id))
        .cloned()
        .collect();
    let uninterpreted = next_body
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !KNOWN_FIELDS.contains(&k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let consistent_snapshot = prev
        .map(|(p, _)| (p.consistent_snapshot, next.consistent_snapshot))
        .filter(|(a, b)| a != b);
    let spec = |b: &Value| {
        b.get("spec_version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let spec_version = prev
        .map(|(_, pbody)| (spec(pbody), spec(next_body)))
        .filter(|(a, b)| a != b);
    RootChanges {
        spec_version,
        from_version: prev.map(|(p, _)| p.common.version),
        to_version: next.common.version,
        expires_before: prev.map(|(p, _)| p.common.expires),
        expires_after: next.common.expires,
        consistent_snapshot,
        roles,
        keys,
        unused_keys,
        uninterpreted,
    }
}
