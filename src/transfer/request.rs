//! The signing-request file: a staged root body carried to keyholders at
//! other machines, with the root history a holder needs to check it against
//! a root she already trusts, and the signatures gathered so far.
//!
//! Nothing in a request is believed. Its `keys`, `thresholds`, `role`,
//! `version` and `gun` are claims that a holder's tool recomputes from the
//! body and the verified history and refuses when they disagree
//! ([`crate::ceremony::requests`]); they stay in the file so a reader can
//! see what the coordinator claimed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::metadata::keys::MetaKey;
use crate::metadata::root::{KeyEntry, RoleKeys, short};
use crate::metadata::{Dialect, Envelope, Signature, json};
use crate::transfer::{sha256_hex, words};

const KIND: &str = "ceremony-signing-request";
/// The request format this tool writes and reads. Format 1 carried no root
/// history, so a holder could not check it; it is refused.
pub const FORMAT: u32 = 2;

/// One threshold the request claims the body must meet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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

/// One version of the root history, as its file's exact bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The version the file claims to be.
    pub version: u64,
    /// The file, base64.
    pub file: String,
}

/// What a holder's tool noted when it signed: what the body was checked
/// against and how the holder confirmed. Informative only: it is not
/// covered by any signature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignRecord {
    /// The key that signed.
    pub keyid: String,
    /// What the chain was checked against ("root version 3 held by the
    /// signer (sha256 …)", or trust on first use).
    pub checked_against: String,
    /// `confirmed at the terminal` or `confirmed by --yes …`.
    pub confirmed: String,
    /// When, by the signer's clock.
    pub at: String,
}

/// A signing request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// Always `ceremony-signing-request`.
    #[serde(rename = "_type")]
    pub kind: String,
    /// Format version, [`FORMAT`].
    pub format: u32,
    /// `notary` or `tuf`.
    pub dialect: String,
    /// Notary GUN (a claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gun: Option<String>,
    /// The role whose metadata is to be signed (a claim: always `root`).
    pub role: String,
    /// Its version (a claim).
    pub version: u64,
    /// SHA-256 (hex) of the canonical bytes to sign.
    pub digest: String,
    /// The body to sign.
    pub signed: Value,
    /// The root history up to the version before `signed`, oldest first.
    pub history: Vec<HistoryEntry>,
    /// The keys that may sign, as metadata lists them (a claim).
    pub keys: BTreeMap<String, Value>,
    /// The thresholds to meet (a claim).
    pub thresholds: Vec<Threshold>,
    /// Signatures gathered so far.
    pub signatures: Vec<RequestSignature>,
    /// What each signer's tool noted.
    #[serde(default)]
    pub records: Vec<SignRecord>,
    /// Made by a rehearsal's ceremony: its keys are throwaway. No signature
    /// covers this flag, so anyone can add or remove it: it guards against
    /// a mix-up (a rehearsal's request signed or merged as if it were
    /// real), not against an attacker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
}

impl Request {
    /// A request for `env`, the next root after `history` (version → file
    /// bytes); its signatures come along.
    pub fn new(
        dialect: Dialect,
        gun: Option<String>,
        env: &Envelope,
        history: &BTreeMap<u64, Vec<u8>>,
        keys: &BTreeMap<String, MetaKey>,
        thresholds: Vec<(String, RoleKeys)>,
    ) -> Request {
        Request {
            kind: KIND.into(),
            format: FORMAT,
            dialect: dialect.name().into(),
            gun,
            role: "root".into(),
            version: env.version().unwrap_or(0),
            digest: sha256_hex(&env.canonical_signed()),
            signed: env.signed.clone(),
            history: history
                .iter()
                .map(|(v, b)| HistoryEntry {
                    version: *v,
                    file: STANDARD.encode(b),
                })
                .collect(),
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
            records: Vec::new(),
            rehearsal: false,
        }
    }

    /// Reads a request and checks that its digest is its body's.
    pub fn parse(bytes: &[u8]) -> Result<Request> {
        let v = json::parse_strict(bytes)?;
        if v.get("_type").and_then(Value::as_str) != Some(KIND) {
            return Err(Error::input("not a signing request"));
        }
        if v.get("format").and_then(Value::as_u64) != Some(u64::from(FORMAT)) {
            return Err(Error::input(format!(
                "not a signing request of format {FORMAT} (format {} has no root history to check it against)",
                v.get("format").map(Value::to_string).unwrap_or_default()
            ))
            .hint("ask the coordinator for a new request made with this version of the tool"));
        }
        let r: Request = serde_json::from_value(v)
            .map_err(|e| Error::input(format!("not a signing request: {e}")))?;
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

    /// The words of the body's digest, for reading aloud: twelve BIP-39
    /// words, 132 bits.
    pub fn words(&self) -> String {
        words::digest_phrase(&json::canonical(&self.signed))
    }

    /// The history files, by version, decoded. A version listed twice or an
    /// entry that is not base64 is refused.
    pub fn history_files(&self) -> Result<BTreeMap<u64, Vec<u8>>> {
        let mut out = BTreeMap::new();
        for h in &self.history {
            let bytes = STANDARD.decode(&h.file).map_err(|_| {
                Error::input(format!(
                    "the request's root history version {} is not base64",
                    h.version
                ))
            })?;
            if out.insert(h.version, bytes).is_some() {
                return Err(Error::verification(format!(
                    "the request's root history lists version {} twice",
                    h.version
                )));
            }
        }
        Ok(out)
    }

    /// The key objects the request claims, parsed.
    pub fn claimed_keys(&self) -> Result<BTreeMap<String, KeyEntry>> {
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

    /// Replaces the signatures with those of `env` (same body).
    pub fn set_signatures(&mut self, env: &Envelope) {
        self.signatures = env
            .signatures
            .iter()
            .map(|s| RequestSignature {
                keyid: s.keyid.clone(),
                method: s.method.clone(),
                sig: s.sig.clone(),
            })
            .collect();
    }

    /// Signatures by keys the request does not list, or that do not verify:
    /// a first check on the coordinator's side before the merge checks each
    /// against the staged root itself.
    pub fn bad_signatures(&self) -> Result<Vec<String>> {
        let d = self.dialect()?;
        let keys = self.claimed_keys()?;
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
