//! Closing the transcript: a statement over everything written so far (its
//! SHA-256, the last seq, the root version) signed by the root keys held
//! here, as a root is signed — canonical JSON, the dialect's signature
//! encoding — and appended as the close entry. Its signatures are counted
//! against that root version by the same code that counts a root's.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::chain::{Context, verify};
use super::{FILE, Record, Report, StepRef, append_after, read_existing};
use crate::ceremony::{Passphrases, Workspace};
use crate::error::{Error, Result};
use crate::metadata::root::{Root, short};
use crate::metadata::{Dialect, Envelope, Signature};
use crate::signature::{CertPolicy, check_unique_signatures, sign, tally};
use crate::transfer::{sha256_hex, words};

/// `_type` of a transcript statement, so its signature can never be taken
/// for a signature over metadata.
pub const STATEMENT_TYPE: &str = "ceremony-transcript";

/// What a close signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub kind: String,
    /// The ceremony's dialect.
    pub dialect: String,
    /// Its GUN (Notary).
    pub gun: Option<String>,
    /// SHA-256 (hex) of the transcript file's bytes before the close line.
    pub transcript_sha256: String,
    /// The seq of the last entry covered.
    pub last_seq: u64,
    /// The root version whose keys sign.
    pub root_version: u64,
}

/// A signature on a statement, as metadata lists one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptSignature {
    /// The root key's ID.
    pub keyid: String,
    /// Notary's `method`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The signature, encoded as the dialect encodes metadata signatures.
    pub sig: String,
}

/// The close entry's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Close {
    /// The script step that closed, when a run did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepRef>,
    /// What is signed (its canonical JSON).
    pub statement: Statement,
    /// The root keys' signatures.
    pub signatures: Vec<TranscriptSignature>,
}

/// What closing did.
#[derive(Debug, Clone)]
pub struct CloseOutcome {
    /// The close entry's seq.
    pub seq: u64,
    /// The root version whose keys signed.
    pub root_version: u64,
    /// SHA-256 of the transcript signed.
    pub digest: String,
    /// That digest as twelve words, to write down apart from the machine.
    pub words: String,
    /// `label (id)` of each key that signed.
    pub signed_by: Vec<String>,
    /// Why the other root keys held here did not.
    pub not_signed: Vec<String>,
}

fn envelope(c: &Close) -> Result<Envelope> {
    Ok(Envelope {
        signed: serde_json::to_value(&c.statement)
            .map_err(|e| Error::input(format!("cannot write the statement: {e}")))?,
        signatures: c
            .signatures
            .iter()
            .map(|s| Signature {
                keyid: s.keyid.clone(),
                method: s.method.clone(),
                sig: s.sig.clone(),
            })
            .collect(),
    })
}

/// The key IDs whose signature on `c` verifies against the root version it
/// names; an error (the reason) when one does not, or none does.
pub(super) fn check_signatures(
    c: &Close,
    cx: &Context<'_>,
) -> std::result::Result<Vec<String>, String> {
    let st = &c.statement;
    if st.kind != STATEMENT_TYPE {
        return Err(format!("the close signs a {:?}, not a transcript", st.kind));
    }
    if st.dialect != cx.dialect.name() || st.gun.as_deref() != cx.gun {
        return Err(
            "the close signs the transcript of another ceremony (dialect or GUN differ)".into(),
        );
    }
    let root = cx.roots.get(&st.root_version).ok_or_else(|| {
        format!(
            "the close names root version {}, which is not in {}",
            st.root_version, cx.roots_are
        )
    })?;
    let env = envelope(c).map_err(|e| e.reason().to_string())?;
    check_unique_signatures(&env).map_err(|e| e.reason().to_string())?;
    let role = root.role("root").map_err(|e| e.reason().to_string())?;
    let certs = (cx.dialect == Dialect::Notary).then(|| CertPolicy {
        gun: cx.gun.unwrap_or_default().to_string(),
        at: None,
    });
    let t = tally(cx.dialect, &env, role, &root.keys, certs.as_ref());
    for s in &env.signatures {
        if !t.valid.contains(&s.keyid) {
            let why = if role.keyids.contains(&s.keyid) {
                "its signature does not verify"
            } else {
                "it is not a root key of that version"
            };
            return Err(format!(
                "the close is signed by key {} for root version {}: {why}",
                short(&s.keyid),
                st.root_version
            ));
        }
    }
    if t.valid.is_empty() {
        return Err("the close carries no signature".into());
    }
    Ok(t.valid)
}

impl Workspace {
    /// Each version of the root history, parsed, after the whole history
    /// verified.
    pub fn verified_roots(&self) -> Result<BTreeMap<u64, Root>> {
        let mut out = BTreeMap::new();
        if self.latest_root()?.is_none() {
            return Ok(out);
        }
        for (v, bytes) in self.history()? {
            let env = Envelope::parse(&bytes)?;
            out.insert(v, Root::parse(self.dialect(), &env.signed)?);
        }
        Ok(out)
    }

    /// Verifies transcript `bytes` (this ceremony's, or a copy of it)
    /// against this ceremony's verified root history.
    pub fn verify_transcript(&self, bytes: &[u8]) -> Result<Report> {
        let roots = self.verified_roots()?;
        Ok(verify(
            bytes,
            &Context {
                dialect: self.dialect(),
                gun: self.gun(),
                roots: &roots,
                roots_are: "this ceremony's verified root history",
            },
        ))
    }

    /// Signs everything in the transcript so far with the root keys of the
    /// newest root that are held here, and appends the close. Refused, with
    /// nothing written, when the transcript does not verify, when every
    /// entry is signed already, or when no key could sign.
    pub fn close_transcript(
        &self,
        passphrases: &mut dyn Passphrases,
        step: Option<StepRef>,
        now: OffsetDateTime,
    ) -> Result<CloseOutcome> {
        let path = self.dir().join(FILE);
        let bytes = read_existing(&path)?;
        let report = self.verify_transcript(&bytes)?;
        if let Some(p) = &report.problem {
            return Err(Error::verification(format!(
                "the transcript does not verify at line {}: {}",
                p.line, p.reason
            ))
            .hint("nothing was signed: find out what changed it (`ceremony transcript verify`) before closing"));
        }
        if report.unsigned == 0 && step.is_none() {
            return Err(
                Error::input("every entry of the transcript is signed already")
                    .hint("close again once something more is recorded"),
            );
        }
        let (root, _) = self.require_root()?;
        let ids = &root.role("root")?.keyids;
        let mut c = Close {
            step,
            statement: Statement {
                kind: STATEMENT_TYPE.into(),
                dialect: self.dialect().name().into(),
                gun: self.gun().map(str::to_string),
                transcript_sha256: sha256_hex(&bytes),
                last_seq: report.entries as u64,
                root_version: root.common.version,
            },
            signatures: Vec::new(),
        };
        let mut env = envelope(&c)?;
        let mut signed_by = Vec::new();
        let mut not_signed = Vec::new();
        for rec in self.keys()?.iter().filter(|r| ids.contains(&r.id)) {
            if !rec.private || rec.is_lost() {
                continue;
            }
            let attempt = match root.keys.get(&rec.id) {
                Some(Ok(meta)) => self
                    .unlock(rec, passphrases)
                    .and_then(|k| sign(self.dialect(), &mut env, &rec.id, meta, &k)),
                _ => Err(Error::input("it cannot be read from the root")),
            };
            match attempt {
                Ok(()) => signed_by.push(rec.display()),
                Err(e) => not_signed.push(format!("key {}: {}", rec.display(), e.reason())),
            }
        }
        if signed_by.is_empty() {
            let why = if not_signed.is_empty() {
                "no root key of this ceremony's root is held here".to_string()
            } else {
                not_signed.join("; ")
            };
            return Err(
                Error::input(format!("the transcript could not be signed: {why}"))
                    .hint("close where a root key is held, with its passphrase at hand"),
            );
        }
        c.signatures = env
            .signatures
            .into_iter()
            .map(|s| TranscriptSignature {
                keyid: s.keyid,
                method: s.method,
                sig: s.sig,
            })
            .collect();
        let root_version = c.statement.root_version;
        let digest = c.statement.transcript_sha256.clone();
        let entry = append_after(self.dir(), Record::Close(c), now, Some(&bytes))?;
        Ok(CloseOutcome {
            seq: entry.seq,
            root_version,
            digest,
            words: words::digest_phrase(&bytes),
            signed_by,
            not_signed,
        })
    }
}
