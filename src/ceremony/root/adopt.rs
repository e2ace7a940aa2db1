//! Taking over a repository made elsewhere: its root history becomes this
//! ceremony's (`root adopt`), and a root key the tool does not sign with (an
//! RSA or P-384 key, or one held by another tool) signs the staged root
//! outside it: `root payload` writes the exact bytes to sign and
//! `root add-signature` checks the detached signature before keeping it.

use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::{SignOutcome, Workspace};
use crate::error::{Error, Result};
use crate::key::KeyType;
use crate::metadata::keys::MetaKey;
use crate::metadata::root::{Root, short};
use crate::metadata::{Dialect, Envelope, Signature};
use crate::signature::verify::{Options, verify_files};

/// What `root adopt` took in.
#[derive(Debug, Clone)]
pub struct Adopted {
    /// The versions now in the history, oldest first.
    pub versions: Vec<u64>,
    /// The newest root, parsed.
    pub root: Root,
}

/// The bytes every signature on the staged root covers.
#[derive(Debug, Clone)]
pub struct Payload {
    /// The staged version.
    pub version: u64,
    /// The canonical signed body.
    pub bytes: Vec<u8>,
    /// Its SHA-256, hex.
    pub digest: String,
}

/// The version a root file holds: from `N.root.json`, which must agree with
/// its body, else from the body alone (`root.json`).
fn file_version(name: &str, root: &Root) -> Result<u64> {
    let v = root.common.version;
    match name.strip_suffix(".root.json").map(str::parse::<u64>) {
        Some(Ok(n)) if n != v => Err(Error::verification(format!(
            "{name} holds root version {v}, not {n}"
        ))
        .hint("give the repository's files as they were published")),
        _ => Ok(v),
    }
}

impl Workspace {
    /// Makes `files` (name, bytes: a repository's `N.root.json` files, or
    /// its `root.json`) this ceremony's root history. The chain must verify
    /// as `verify` judges it, time aside (an expired root must still be
    /// rotatable), from `trusted` when given (the root the officer's clients
    /// already hold), else taken on first use; nothing is written otherwise.
    pub fn root_adopt(
        &self,
        files: &[(String, Vec<u8>)],
        trusted: Option<Vec<u8>>,
        now: OffsetDateTime,
    ) -> Result<Adopted> {
        if !self.history()?.is_empty() {
            return Err(Error::input("this ceremony has a root history already")
                .hint("adopt into a new ceremony directory (`ceremony init`)"));
        }
        if self.read_state(super::STAGED)?.is_some() {
            return Err(Error::input("a root is staged already")
                .hint("`ceremony root discard` it first, or adopt into a new directory"));
        }
        if files.is_empty() {
            return Err(Error::input("no root file given")
                .hint("name the repository's N.root.json files, root.json, or their folder"));
        }
        let mut chain: BTreeMap<u64, (Vec<u8>, Root)> = BTreeMap::new();
        for (name, bytes) in files {
            let env = Envelope::parse(bytes).map_err(|e| e.context(name))?;
            let root = Root::parse(self.dialect, &env.signed).map_err(|e| e.context(name))?;
            let v = file_version(name, &root)?;
            if let Some((other, _)) = chain.get(&v) {
                if other != bytes {
                    return Err(Error::input(format!(
                        "{name}: two different files hold root version {v}"
                    ))
                    .hint("give each version once"));
                }
                continue;
            }
            chain.insert(v, (bytes.clone(), root));
        }
        // A client stops at the first missing version: a later one given
        // after a gap would be kept unverified.
        let versions: Vec<u64> = chain.keys().copied().collect();
        if let Some(w) = versions.windows(2).find(|w| w[1] != w[0] + 1) {
            return Err(Error::input(format!(
                "root version {} is missing between {} and {}",
                w[0] + 1,
                w[0],
                w[1]
            ))
            .hint("give every version from the oldest on"));
        }
        let named = chain
            .iter()
            .map(|(v, (b, _))| (format!("{v}.root.json"), b.clone()))
            .collect();
        if let Some(t) = &trusted {
            self.check_holds_trusted(&chain, t)?;
        }
        // The whole chain as the history will be checked from now on, and
        // from the trusted root when there is one.
        for trusted_root in [None, trusted] {
            let opts = Options {
                dialect: Some(self.dialect),
                gun: self.gun.clone(),
                at: now,
                trusted_root,
                ignore_time: true,
            };
            verify_files(&named, &opts)?.into_result().map_err(|e| {
                e.context("the root history does not verify")
                    .hint("adopt only a chain a client accepts; nothing was changed")
            })?;
        }
        for (v, (bytes, _)) in &chain {
            self.add_history(*v, bytes)?;
        }
        let newest = versions.last().copied().unwrap_or(0);
        let digest = crate::transfer::sha256_hex(
            chain.get(&newest).map(|(b, _)| b.as_slice()).unwrap_or(&[]),
        );
        self.record_change(crate::ceremony::step::Outcome::RootAdopted {
            versions: versions.clone(),
            sha256: digest,
        })?;
        let root = chain
            .remove(&newest)
            .map(|(_, r)| r)
            .ok_or_else(|| Error::input("no root file given"))?;
        Ok(Adopted { versions, root })
    }

    /// The chain must hold the trusted root itself (the same signed body at
    /// its version): a verifier starting from it skips the files up to its
    /// version, so a chain from another repository would otherwise pass.
    fn check_holds_trusted(
        &self,
        chain: &BTreeMap<u64, (Vec<u8>, Root)>,
        trusted: &[u8],
    ) -> Result<()> {
        let env = Envelope::parse(trusted).map_err(|e| e.context("--trusted-root"))?;
        let root =
            Root::parse(self.dialect, &env.signed).map_err(|e| e.context("--trusted-root"))?;
        let v = root.common.version;
        let same = chain
            .get(&v)
            .and_then(|(b, _)| Envelope::parse(b).ok())
            .is_some_and(|e| e.canonical_signed() == env.canonical_signed());
        if same {
            Ok(())
        } else {
            Err(Error::verification(format!(
                "the root history given does not hold the trusted root (version {v})"
            ))
            .hint("give the repository's history including the root your clients trust"))
        }
    }

    /// The exact bytes a signature on the staged root covers.
    pub fn root_payload(&self, now: OffsetDateTime) -> Result<Payload> {
        let (env, root, _) = self.load_staged(now)?;
        let bytes = env.canonical_signed();
        Ok(Payload {
            version: root.common.version,
            digest: crate::transfer::sha256_hex(&bytes),
            bytes,
        })
    }

    /// Adds a signature made outside the tool by root key `spec` (of the
    /// previous or the staged root) over the staged root's payload. `raw`
    /// is the signature's bytes, or the same as hex or base64 text. It must
    /// verify before it is kept; otherwise nothing is changed.
    pub fn add_detached_signature(
        &self,
        spec: &str,
        from: &str,
        raw: &[u8],
        now: OffsetDateTime,
    ) -> Result<SignOutcome> {
        let req = self.staged_for_request(now)?;
        let (id, key) = self.eligible_key(spec, &req.keys)?;
        let msg = req.env.canonical_signed();
        let methods: Vec<Option<&str>> = match self.dialect {
            Dialect::Tuf => vec![None],
            // notary verifies either RSA padding; it signs with PSS.
            Dialect::Notary if key.public.key_type() == KeyType::Rsa => {
                vec![Some("rsapss"), Some("rsapkcs1v15")]
            }
            Dialect::Notary => vec![Some(key.notary_method())],
        };
        // An ECDSA signature may come in the encoding the dialect does not
        // use (openssl writes DER, Notary keeps r‖s): both are tried.
        let mut forms = decodings(raw);
        let converted: Vec<Vec<u8>> = forms
            .iter()
            .filter_map(|b| key.public.ecdsa_other_encoding(b))
            .collect();
        forms.extend(converted);
        let sig = forms
            .into_iter()
            .flat_map(|bytes| methods.iter().map(move |m| (bytes.clone(), *m)))
            .map(|(bytes, m)| Signature {
                keyid: id.clone(),
                method: m.map(str::to_string),
                sig: MetaKey::encode_sig(self.dialect, &bytes),
            })
            .find(|s| key.verify(self.dialect, &msg, s.method.as_deref(), &s.sig))
            .ok_or_else(|| {
                Error::verification(format!(
                    "{from}: not a signature by root key {} over the staged root (version {})",
                    short(&id),
                    req.env.version().unwrap_or(0)
                ))
                .hint(format!(
                    "sign exactly the bytes `ceremony root payload` writes, with the key's scheme ({})",
                    key.sig_scheme(self.dialect, methods.first().copied().flatten())
                        .map(|s| s.describe())
                        .unwrap_or_else(|why| why)
                ))
            })?;
        self.merge_root_signatures(&[(from.to_string(), sig)], now)
    }

    /// The root key of the previous or the staged root that `spec` names:
    /// a full key ID, a unique prefix of 6 or more, or a key record's label.
    fn eligible_key(
        &self,
        spec: &str,
        keys: &BTreeMap<String, MetaKey>,
    ) -> Result<(String, MetaKey)> {
        let by_record = self.find_key(spec).ok().map(|r| r.id);
        let hits: Vec<(&String, &MetaKey)> = keys
            .iter()
            .filter(|(id, _)| {
                by_record.as_deref() == Some(id.as_str())
                    || *id == spec
                    || (spec.len() >= 6 && id.starts_with(spec))
            })
            .collect();
        match hits.as_slice() {
            [(id, k)] => Ok(((*id).clone(), (*k).clone())),
            [] => Err(Error::input(format!(
                "{spec:?} is not a root key of the previous or the staged root"
            ))
            .hint("`ceremony root status` shows which keys must sign")),
            _ => Err(Error::input(format!("{spec:?} matches several root keys"))
                .hint("give more of the key ID")),
        }
    }
}

/// The ways a signature file may hold its bytes: as they are, or as hex or
/// base64 text (what python scripts tend to print).
fn decodings(raw: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut out = vec![raw.to_vec()];
    if let Ok(text) = std::str::from_utf8(raw) {
        let t = text.trim();
        if let Ok(b) = hex::decode(t) {
            out.push(b);
        }
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(t) {
            out.push(b);
        }
    }
    out
}
