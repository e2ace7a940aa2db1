//! Signing requests: a staged metadata body carried to keyholders at other
//! machines, each adding her signature without the ceremony directory, and
//! carried back to be merged. The request names the keys that may sign and
//! the thresholds to meet, and its digest travels as words for readback.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::metadata::keys::MetaKey;
use crate::metadata::root::{KeyEntry, RoleKeys, short};
use crate::metadata::{Dialect, Envelope, Signature, json};
use crate::signature::{Tally, sign, tally};
use crate::transfer::{sha256_hex, words};

const KIND: &str = "ceremony-signing-request";

/// One threshold the request must meet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Threshold {
    /// What it is ("previous root (version 1)").
    pub name: String,
    /// Keys that count.
    pub keyids: Vec<String>,
    /// Signatures needed.
    pub threshold: u64,
}

/// A signature in a request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestSignature {
    /// Key ID.
    pub keyid: String,
    /// Notary's method, when the dialect has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The signature.
    pub sig: String,
}

/// A signing request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// Always `ceremony-signing-request`.
    #[serde(rename = "_type")]
    pub kind: String,
    /// Format version, 1.
    pub format: u32,
    /// `notary` or `tuf`.
    pub dialect: String,
    /// Notary GUN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gun: Option<String>,
    /// The role whose metadata is to be signed.
    pub role: String,
    /// Its version.
    pub version: u64,
    /// SHA-256 (hex) of the canonical bytes to sign.
    pub digest: String,
    /// The body to sign.
    pub signed: Value,
    /// The keys that may sign, as metadata lists them.
    pub keys: BTreeMap<String, Value>,
    /// The thresholds to meet.
    pub thresholds: Vec<Threshold>,
    /// Signatures gathered so far.
    pub signatures: Vec<RequestSignature>,
}

impl Request {
    /// A request for `env` (its signatures come along).
    pub fn new(
        dialect: Dialect,
        gun: Option<String>,
        role: &str,
        env: &Envelope,
        keys: &BTreeMap<String, MetaKey>,
        thresholds: Vec<(String, RoleKeys)>,
    ) -> Result<Request> {
        Ok(Request {
            kind: KIND.into(),
            format: 1,
            dialect: dialect.name().into(),
            gun,
            role: role.into(),
            version: env.version().unwrap_or(0),
            digest: sha256_hex(&env.canonical_signed()),
            signed: env.signed.clone(),
            keys: keys
                .iter()
                .map(|(id, k)| (id.clone(), k.object.clone()))
                .collect(),
            thresholds: thresholds
                .into_iter()
                .map(|(name, r)| Threshold {
                    name,
                    keyids: r.keyids,
                    threshold: r.threshold,
                })
                .collect(),
            signatures: env
                .signatures
                .iter()
                .map(|s| RequestSignature {
                    keyid: s.keyid.clone(),
                    method: s.method.clone(),
                    sig: s.sig.clone(),
                })
                .collect(),
        })
    }

    /// Reads a request and checks that its digest is its body's.
    pub fn parse(bytes: &[u8]) -> Result<Request> {
        let v = json::parse_strict(bytes)?;
        let r: Request = serde_json::from_value(v)
            .map_err(|e| Error::input(format!("not a signing request: {e}")))?;
        if r.kind != KIND || r.format != 1 {
            return Err(Error::input("not a signing request of format 1"));
        }
        if sha256_hex(&json::canonical(&r.signed)) != r.digest {
            return Err(Error::verification(
                "the request's body does not match its digest: it was changed on the way",
            ));
        }
        Dialect::parse(&r.dialect)?;
        Ok(r)
    }

    /// The dialect.
    pub fn dialect(&self) -> Result<Dialect> {
        Dialect::parse(&self.dialect)
    }

    /// The file form.
    pub fn to_bytes(&self) -> Vec<u8> {
        match serde_json::to_value(self) {
            Ok(v) => {
                let mut b = json::python_pretty(&v);
                b.push(b'\n');
                b
            }
            Err(_) => Vec::new(),
        }
    }

    /// Six words of the digest, for reading aloud.
    pub fn words(&self) -> String {
        let d = hex::decode(&self.digest).unwrap_or_default();
        words::of_bytes(&d[..6.min(d.len())]).join(" ")
    }

    fn key_map(&self) -> Result<BTreeMap<String, KeyEntry>> {
        let d = self.dialect()?;
        Ok(self
            .keys
            .iter()
            .map(|(id, v)| {
                (
                    id.clone(),
                    MetaKey::from_value(d, v).map_err(|e| e.reason().to_string()),
                )
            })
            .collect())
    }

    /// The envelope the signatures make.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            signed: self.signed.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| Signature {
                    keyid: s.keyid.clone(),
                    method: s.method.clone(),
                    sig: s.sig.clone(),
                })
                .collect(),
        }
    }

    /// The signatures as metadata signature entries.
    pub fn metadata_signatures(&self) -> Vec<Signature> {
        self.envelope().signatures
    }

    /// Signs with `key`, which must be one of the request's keys. Returns
    /// the key ID it signed as.
    pub fn sign(&mut self, key: &PrivateKey) -> Result<String> {
        let d = self.dialect()?;
        let keys = self.key_map()?;
        let public = key.public();
        let (id, meta) = keys
            .iter()
            .find_map(|(id, k)| {
                k.as_ref()
                    .ok()
                    .filter(|m| m.public == public)
                    .map(|m| (id.clone(), m.clone()))
            })
            .ok_or_else(|| {
                Error::input("this key is not one of the keys the request asks for")
                    .hint("check you hold the right key for this ceremony")
            })?;
        let mut env = self.envelope();
        sign(d, &mut env, &id, &meta, key)?;
        self.signatures = env
            .signatures
            .into_iter()
            .map(|s| RequestSignature {
                keyid: s.keyid,
                method: s.method,
                sig: s.sig,
            })
            .collect();
        Ok(id)
    }

    /// The signatures counted against each threshold.
    pub fn tallies(&self) -> Result<Vec<(String, Tally)>> {
        let d = self.dialect()?;
        let keys = self.key_map()?;
        let env = self.envelope();
        Ok(self
            .thresholds
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    tally(
                        d,
                        &env,
                        &RoleKeys {
                            keyids: t.keyids.clone(),
                            threshold: t.threshold,
                        },
                        &keys,
                        None,
                    ),
                )
            })
            .collect())
    }

    /// Signatures by keys the request does not list, or that do not verify.
    pub fn bad_signatures(&self) -> Result<Vec<String>> {
        let d = self.dialect()?;
        let keys = self.key_map()?;
        let msg = json::canonical(&self.signed);
        let mut out = Vec::new();
        for s in &self.signatures {
            match keys.get(&s.keyid) {
                Some(Ok(k)) if k.verify(d, &msg, s.method.as_deref(), &s.sig) => {}
                Some(_) => out.push(format!(
                    "the signature by {} does not verify",
                    short(&s.keyid)
                )),
                None => out.push(format!(
                    "signature by key {} which the request does not list",
                    short(&s.keyid)
                )),
            }
        }
        Ok(out)
    }
}
