//! Where keys meet canonical bytes: signing an envelope, and counting the
//! signatures on one file against a role as a strict client would. Whole
//! repositories are verified in [`verify`].

pub mod verify;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::metadata::keys::{MetaKey, is_unknown_type};
use crate::metadata::root::{KeyEntry, RoleKeys, Root, short};
use crate::metadata::{Dialect, Envelope, Signature};

/// Adds (or replaces) the signature of `key`, listed as `keyid`, over the
/// canonical `signed` of `env`.
pub fn sign(
    dialect: Dialect,
    env: &mut Envelope,
    keyid: &str,
    meta: &MetaKey,
    key: &PrivateKey,
) -> Result<()> {
    if meta.public.algorithm().is_none() {
        return Err(Error::input(format!(
            "key {} is {}: this tool verifies such keys but signs only with ed25519 and ecdsa-p256 keys",
            short(keyid),
            meta.public.key_type()
        ))
        .hint("sign with that key in the tool that holds it, or rotate it out"));
    }
    if key.public() != meta.public {
        return Err(Error::input(format!(
            "the private key does not match key {}",
            short(keyid)
        )));
    }
    let bytes = env.canonical_signed();
    let raw = key.sign(&bytes, meta.sig_encoding(dialect));
    let sig = Signature {
        keyid: keyid.to_string(),
        method: (dialect == Dialect::Notary).then(|| meta.notary_method().to_string()),
        sig: MetaKey::encode_sig(dialect, &raw),
    };
    env.signatures.retain(|s| s.keyid != keyid);
    env.signatures.push(sig);
    Ok(())
}

/// Notary's certificate rules for root keys.
#[derive(Debug, Clone)]
pub struct CertPolicy {
    /// The repository's GUN: the CN must equal it or be a `prefix*` wildcard
    /// that matches it.
    pub gun: String,
    /// Check validity at this time (None: expiry ignored, as Notary does for
    /// the previous root's certificates).
    pub at: Option<OffsetDateTime>,
}

impl CertPolicy {
    /// Why `key` cannot act as a Notary root key, if it cannot.
    pub fn refuse(&self, key: &MetaKey) -> Option<String> {
        let Some(cert) = &key.cert else {
            return Some("a Notary root key must be an X.509 certificate (ecdsa-x509)".into());
        };
        if cert.is_ca {
            return Some("its certificate is a CA (basicConstraints CA:TRUE); Notary ignores CA certificates as root keys".into());
        }
        let cn = cert.common_name.clone().unwrap_or_default();
        let cn_ok = cn == self.gun
            || cn
                .strip_suffix('*')
                .is_some_and(|prefix| self.gun.starts_with(prefix));
        if !cn_ok {
            return Some(format!(
                "its certificate CN {cn:?} is not the GUN {:?}",
                self.gun
            ));
        }
        if cert.sha1_signature {
            return Some("its certificate is signed with SHA-1".into());
        }
        if cert.not_before > cert.not_after {
            return Some("its certificate's validity ends before it starts".into());
        }
        if let Some(at) = self.at {
            // A day of grace for clocks; at the end of time there is none
            // to add (`--at 9999-12-31T23:59:59Z` must not overflow).
            let grace = at.checked_add(Duration::days(1)).unwrap_or(at);
            if cert.not_before > grace {
                return Some(format!(
                    "its certificate is not valid before {}",
                    crate::metadata::format_time(cert.not_before)
                ));
            }
            if at > cert.not_after {
                return Some(format!(
                    "its certificate expired on {}",
                    crate::metadata::format_time(cert.not_after)
                ));
            }
        }
        None
    }
}

/// Signatures on one file counted against one role.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Signatures needed.
    pub threshold: u64,
    /// Key IDs with a valid signature, each key counted once.
    pub valid: Vec<String>,
    /// Role key IDs without a valid signature.
    pub missing: Vec<String>,
    /// Why some signatures did not count.
    pub problems: Vec<String>,
    /// Role key IDs whose signatures were not judged: the key, or the
    /// signature's method, is of a type this tool does not know. Such a
    /// signature is unusable input, not a failed signature.
    pub unknown: Vec<String>,
}

impl Tally {
    /// Whether the threshold is met.
    pub fn met(&self) -> bool {
        self.valid.len() as u64 >= self.threshold
    }

    /// Whether the threshold is unmet only for want of the signatures not
    /// judged: the keys of unknown type could make up the difference, so
    /// the tool cannot decide (no failure does).
    pub fn undecided(&self) -> bool {
        !self.met()
            && !self.unknown.is_empty()
            && (self.valid.len() + self.unknown.len()) as u64 >= self.threshold
    }

    /// Whether this count is the reason to refuse the file, when another
    /// reason (`other_failure`: expiry, another count) may also apply: an
    /// undecided count gives way to a real failure, so that is reported
    /// and decides the exit.
    pub fn refuses(&self, other_failure: bool) -> bool {
        if self.met() {
            return false;
        }
        !(self.undecided() && other_failure)
    }

    /// `2/3` style.
    pub fn fraction(&self) -> String {
        format!("{}/{}", self.valid.len(), self.threshold)
    }
}

/// Refuses an envelope that carries two signatures with one key ID.
pub fn check_unique_signatures(env: &Envelope) -> Result<()> {
    let mut seen = BTreeSet::new();
    for s in &env.signatures {
        if !seen.insert(s.keyid.as_str()) {
            return Err(Error::verification(format!(
                "duplicate signature: key {} signs twice",
                short(&s.keyid)
            )));
        }
    }
    Ok(())
}

/// Counts the signatures of `env` that `role` accepts: listed key, valid
/// signature over the canonical body, each public key once, and for Notary
/// roots only certificates that pass `certs`.
pub fn tally(
    dialect: Dialect,
    env: &Envelope,
    role: &RoleKeys,
    keys: &BTreeMap<String, KeyEntry>,
    certs: Option<&CertPolicy>,
) -> Tally {
    let mut checked = Checked::new(env);
    tally_checked(dialect, env, &mut checked, role, keys, certs)
}

/// The canonical bytes of one envelope and the signatures already checked
/// over them, so a file that several delegations name is canonicalised
/// once and each signature verified once.
#[derive(Debug, Clone)]
pub struct Checked<'a> {
    msg: Cow<'a, [u8]>,
    /// (signature's place in the file, key and scheme: [`check_id`]) →
    /// whether it verified.
    seen: BTreeMap<(usize, String), bool>,
}

impl Checked<'static> {
    /// Starts with nothing checked.
    pub fn new(env: &Envelope) -> Self {
        Checked {
            msg: Cow::Owned(env.canonical_signed()),
            seen: BTreeMap::new(),
        }
    }
}

impl<'a> Checked<'a> {
    /// Starts with nothing checked, over canonical bytes made already.
    pub fn over(msg: &'a [u8]) -> Self {
        Checked {
            msg: Cow::Borrowed(msg),
            seen: BTreeMap::new(),
        }
    }

    /// Checks (once each) the signatures of `env` by keys `root`'s root
    /// role lists, as [`tally_checked`] would check them.
    pub fn check_all(&mut self, dialect: Dialect, env: &Envelope, root: &Root) {
        let Ok(role) = root.role("root") else {
            return;
        };
        for (i, s) in env.signatures.iter().enumerate() {
            if !role.keyids.contains(&s.keyid) {
                continue;
            }
            if let Some(Ok(key)) = root.keys.get(&s.keyid) {
                let msg = &self.msg;
                self.seen
                    .entry((i, check_id(dialect, key, s.method.as_deref())))
                    .or_insert_with(|| key.verify(dialect, msg, s.method.as_deref(), &s.sig));
            }
        }
    }
}

/// What a signature check depends on besides the signature and the bytes:
/// the public key and the scheme it is checked under. One RSA key listed
/// for PSS in one root and for PKCS#1 v1.5 in the next is two checks, not
/// one answer reused.
fn check_id(dialect: Dialect, key: &MetaKey, method: Option<&str>) -> String {
    format!(
        "{} {:?}",
        key.public.fingerprint(),
        key.sig_scheme(dialect, method)
    )
}

/// [`tally`] over an envelope whose bytes and earlier checks are in
/// `checked`.
pub fn tally_checked(
    dialect: Dialect,
    env: &Envelope,
    checked: &mut Checked<'_>,
    role: &RoleKeys,
    keys: &BTreeMap<String, KeyEntry>,
    certs: Option<&CertPolicy>,
) -> Tally {
    let mut out = Tally {
        threshold: role.threshold,
        ..Tally::default()
    };
    let listed: BTreeSet<&str> = role.keyids.iter().map(String::as_str).collect();
    let mut counted = BTreeSet::new();
    for (i, s) in env.signatures.iter().enumerate() {
        if !listed.contains(s.keyid.as_str()) {
            continue;
        }
        let key = match keys.get(&s.keyid) {
            Some(Ok(k)) => k,
            Some(Err(why)) => {
                if is_unknown_type(why) {
                    out.unknown.push(s.keyid.clone());
                    out.problems.push(format!(
                        "key {} is {why}: its signature is not judged",
                        short(&s.keyid)
                    ));
                } else {
                    out.problems.push(format!("key {}: {why}", short(&s.keyid)));
                }
                continue;
            }
            None => continue,
        };
        if let Err(why) = key.sig_scheme(dialect, s.method.as_deref())
            && is_unknown_type(&why)
        {
            out.unknown.push(s.keyid.clone());
            out.problems.push(format!(
                "signature by {} is {why}: it is not judged",
                short(&s.keyid)
            ));
            continue;
        }
        if let Some(policy) = certs
            && let Some(why) = policy.refuse(key)
        {
            out.problems
                .push(format!("key {} does not count: {why}", short(&s.keyid)));
            continue;
        }
        let fingerprint = key.public.fingerprint();
        let valid = *checked
            .seen
            .entry((i, check_id(dialect, key, s.method.as_deref())))
            .or_insert_with(|| key.verify(dialect, &checked.msg, s.method.as_deref(), &s.sig));
        if !valid {
            out.problems
                .push(format!("signature by {} is not valid", short(&s.keyid)));
            continue;
        }
        if counted.insert(fingerprint) {
            out.valid.push(s.keyid.clone());
        }
    }
    let valid: BTreeSet<&str> = out.valid.iter().map(String::as_str).collect();
    out.missing = role
        .keyids
        .iter()
        .filter(|id| !valid.contains(id.as_str()))
        .cloned()
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(threshold: u64, valid: usize, unknown: usize) -> Tally {
        let ids = |n: usize, p: &str| (0..n).map(|i| format!("{p}{i}")).collect();
        Tally {
            threshold,
            valid: ids(valid, "v"),
            unknown: ids(unknown, "u"),
            ..Tally::default()
        }
    }

    #[test]
    fn undecided_only_when_unknown_keys_could_meet_the_threshold() {
        assert!(!tally(2, 2, 1).undecided(), "met");
        assert!(tally(2, 1, 1).undecided());
        assert!(tally(3, 0, 3).undecided());
        assert!(!tally(3, 1, 1).undecided(), "a failure decides");
        assert!(!tally(2, 1, 0).undecided(), "no unknown keys");
    }

    #[test]
    fn an_undecided_count_gives_way_to_a_real_failure() {
        assert!(tally(2, 1, 1).refuses(false));
        assert!(
            !tally(2, 1, 1).refuses(true),
            "the other failure is reported"
        );
        assert!(tally(3, 1, 1).refuses(true), "a failed count stands");
        assert!(!tally(1, 1, 0).refuses(true), "met");
    }
}
