//! `root sign`: every key that can sign does; the others are named with
//! their reason (lost, not held here, key file missing, wrong passphrase,
//! a file holding another key); and what was signed is kept, the staged file
//! replaced once. Nothing signed is an error, and then nothing is written.

use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::{RootTally, SignOutcome, Workspace};
use crate::ceremony::{KeyRecord, Passphrases};
use crate::error::{Error, Kind, Result};
use crate::key::private::PrivateKey;
use crate::metadata::Envelope;
use crate::metadata::root::{KeyEntry, Root, short};
use crate::signature::sign;

/// A key that could have signed and did not.
#[derive(Debug, Clone)]
pub struct NotSigned {
    /// `label (id-prefix)`, or the short ID of a key this ceremony does not know.
    pub key: String,
    /// Why, as a sentence that names the key.
    pub reason: String,
}

/// One key's attempt: its record and where its private half comes from.
enum Source<'a> {
    File,
    Shares(&'a PrivateKey),
}

/// What `root sign` will do, computed before anyone is asked: the front-end
/// shows it, the person confirms it, and [`Workspace::commit_root_sign`]
/// does exactly it — refusing if the staged root changed in between.
#[derive(Debug, Clone)]
pub struct RootSignPlan {
    /// The staged version.
    pub version: u64,
    /// SHA-256 (hex) of the canonical staged body: what will be signed.
    pub digest: String,
    /// The digest as twelve words, for a witness to read back.
    pub words: String,
    /// What the staged version changes, one line each.
    pub changes: Vec<String>,
    /// The staged root's expiry.
    pub expires: OffsetDateTime,
    /// The signatures so far.
    pub tally: RootTally,
    /// Keys that will try to sign (`label (id)`), in order.
    pub signers: Vec<String>,
    /// Keys known already not to sign, with why.
    pub not_signing: Vec<NotSigned>,
    /// Lost keys the staged root keeps, and the like.
    pub warnings: Vec<String>,
    attempts: Vec<(KeyRecord, bool)>,
}

impl Workspace {
    /// Plans `root sign`: every root key (of the staged version or the
    /// previous one) that can sign — held keys that have not signed yet
    /// when `specs` is empty, else the named keys — and `recovered`, keys
    /// recovered from shares for this signing only.
    ///
    /// A staged root that adds a lost key is refused, and so is a name
    /// that is no key, or no root key of the two versions.
    pub fn plan_root_sign(
        &self,
        specs: &[String],
        recovered: &[(KeyRecord, PrivateKey)],
        now: OffsetDateTime,
    ) -> Result<RootSignPlan> {
        let (env, root, prev) = self.load_staged(now)?;
        self.refuse_lost_additions(&root, prev.as_ref().map(|(p, _)| p))?;
        let eligible = eligible(&root, prev.as_ref().map(|(p, _)| p));
        for (rec, _) in recovered {
            if !eligible.contains_key(&rec.id) {
                return Err(Error::input(format!(
                    "the key recovered from shares, {}, is not a root key of the staged version nor of the previous one",
                    rec.display()
                )));
            }
        }
        let has_signed = |id: &str| env.signatures.iter().any(|s| s.keyid == id);
        let mut not_signing = Vec::new();
        let mut attempts: Vec<(KeyRecord, bool)> = Vec::new();
        if specs.is_empty() {
            let records = self.keys()?;
            let open = |id: &str| !has_signed(id) && !recovered.iter().any(|(r, _)| r.id == id);
            for rec in records
                .iter()
                .filter(|r| eligible.contains_key(&r.id) && open(&r.id))
            {
                if rec.private || rec.is_lost() {
                    attempts.push((rec.clone(), false));
                } else {
                    let why = self.not_held_reason(rec)?;
                    not_signing.push(NotSigned {
                        key: rec.display(),
                        reason: format!("key {} is {why}", rec.display()),
                    });
                }
            }
            for id in eligible.keys() {
                if open(id) && !records.iter().any(|r| &r.id == id) {
                    not_signing.push(NotSigned {
                        key: short(id),
                        reason: format!(
                            "key {} is not known in this ceremony: its holder signs elsewhere",
                            short(id)
                        ),
                    });
                }
            }
        } else {
            for s in specs {
                let k = self.find_key(s)?;
                if !eligible.contains_key(&k.id) {
                    return Err(Error::input(format!(
                        "key {} is neither a root key of the staged version nor of the previous one",
                        k.display()
                    )));
                }
                if !attempts.iter().any(|(x, _)| x.id == k.id)
                    && !recovered.iter().any(|(r, _)| r.id == k.id)
                {
                    attempts.push((k, false));
                }
            }
        }
        for (rec, _) in recovered {
            attempts.push((rec.clone(), true));
        }
        let status = self.root_status(now)?;
        let canonical = env.canonical_signed();
        Ok(RootSignPlan {
            version: root.common.version,
            digest: crate::transfer::sha256_hex(&canonical),
            words: crate::transfer::words::digest_phrase(&canonical),
            changes: status.changes,
            expires: root.common.expires,
            tally: self.root_tally(&env, &root, prev.as_ref().map(|(p, _)| p), now)?,
            signers: attempts.iter().map(|(r, _)| r.display()).collect(),
            not_signing,
            warnings: status
                .lost
                .into_iter()
                .filter(|l| l.staged_keeps)
                .map(|l| l.text)
                .collect(),
            attempts,
        })
    }

    /// Does what `plan` says: every planned key that can sign does; the
    /// others are reported in [`SignOutcome::not_signed`]; the staged root
    /// with the new signatures is kept (or joins the history once
    /// complete). When no key could sign, the error says why and nothing is
    /// written. Refused when the staged root is no longer the one planned.
    pub fn commit_root_sign(
        &self,
        plan: &RootSignPlan,
        recovered: &[(KeyRecord, PrivateKey)],
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<SignOutcome> {
        let (mut env, root, prev) = self.load_staged(now)?;
        if crate::transfer::sha256_hex(&env.canonical_signed()) != plan.digest {
            return Err(Error::verification(
                "the staged root changed after it was shown: nothing was signed",
            )
            .hint("run `ceremony root sign` again and check what it shows"));
        }
        self.refuse_lost_additions(&root, prev.as_ref().map(|(p, _)| p))?;
        let eligible = eligible(&root, prev.as_ref().map(|(p, _)| p));
        let has_signed = |env: &Envelope, id: &str| env.signatures.iter().any(|s| s.keyid == id);
        let mut failed: Vec<(String, Error)> = plan
            .not_signing
            .iter()
            .map(|n| (n.key.clone(), Error::input(n.reason.clone())))
            .collect();
        let mut signed_by = Vec::new();
        for (rec, from_shares) in &plan.attempts {
            let source = if *from_shares {
                match recovered.iter().find(|(r, _)| r.id == rec.id) {
                    Some((_, key)) => Source::Shares(key),
                    None => {
                        failed.push((
                            rec.display(),
                            Error::input(format!(
                                "the key recovered from shares for {} is not at hand",
                                rec.display()
                            )),
                        ));
                        continue;
                    }
                }
            } else {
                Source::File
            };
            let attempt = if has_signed(&env, &rec.id) && matches!(source, Source::File) {
                Err(Error::input(format!(
                    "key {} has signed this root already",
                    rec.display()
                )))
            } else {
                self.sign_one(&mut env, &eligible, rec, &source, passphrases)
            };
            match attempt {
                Ok(()) => signed_by.push(rec.label.clone()),
                Err(e) => failed.push((rec.display(), e)),
            }
        }
        if signed_by.is_empty() {
            return Err(none_signed(failed));
        }
        let mut outcome = self.record_root_signatures(env, &root, prev.as_ref(), signed_by, now)?;
        outcome.not_signed = failed
            .into_iter()
            .map(|(key, e)| NotSigned {
                key,
                reason: e.reason().to_string(),
            })
            .collect();
        self.record_change(crate::ceremony::step::Outcome::RootSigned {
            version: plan.version,
            signed_by: outcome.signed_by.clone(),
            complete: outcome.completed,
            digest: plan.digest.clone(),
        })?;
        Ok(outcome)
    }

    /// Plans and commits `root sign` with no one asked: for callers that
    /// have confirmed already.
    pub fn root_sign(
        &self,
        specs: &[String],
        recovered: &[(KeyRecord, PrivateKey)],
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<SignOutcome> {
        let plan = self.plan_root_sign(specs, recovered, now)?;
        self.commit_root_sign(&plan, recovered, passphrases, now)
    }

    /// Adds `rec`'s signature to `env`, or says why it cannot.
    fn sign_one(
        &self,
        env: &mut Envelope,
        eligible: &BTreeMap<String, KeyEntry>,
        rec: &KeyRecord,
        source: &Source,
        passphrases: &mut dyn Passphrases,
    ) -> Result<()> {
        rec.refuse_if_lost("sign")?;
        let meta = match eligible.get(&rec.id) {
            Some(Ok(m)) => m.clone(),
            _ => {
                return Err(Error::input(format!(
                    "key {} cannot be read from the root",
                    rec.display()
                )));
            }
        };
        match source {
            Source::Shares(key) => sign(self.dialect, env, &rec.id, &meta, key),
            Source::File => {
                let key = self.unlock(rec, passphrases)?;
                sign(self.dialect, env, &rec.id, &meta, &key)
            }
        }
    }
}

/// The root keys of the staged root and of the previous one, by ID.
fn eligible(root: &Root, prev: Option<&Root>) -> BTreeMap<String, KeyEntry> {
    let mut out: BTreeMap<String, KeyEntry> = root.role_keys("root");
    if let Some(p) = prev {
        for (id, k) in p.role_keys("root") {
            out.entry(id).or_insert(k);
        }
    }
    out
}

/// The error when no key signed: the one reason, or all of them.
fn none_signed(failed: Vec<(String, Error)>) -> Error {
    match failed.as_slice() {
        [] => Error::input("no root key held here can add a signature to the staged root")
            .hint("sign on the machine that holds the other keys, or name one with --key"),
        [(_, e)] => e.clone(),
        many => {
            let kind = if many.iter().all(|(_, e)| e.kind() == Kind::Verification) {
                Kind::Verification
            } else {
                Kind::Input
            };
            let reasons: Vec<&str> = many.iter().map(|(_, e)| e.reason()).collect();
            let text = format!("no root key could sign: {}", reasons.join("; "));
            let err = match kind {
                Kind::Verification => Error::verification(text),
                Kind::Input => Error::input(text),
            };
            match many.iter().find_map(|(_, e)| e.hint_text()) {
                Some(h) => err.hint(h),
                None => err.hint("sign on the machine that holds the keys, or name one with --key"),
            }
        }
    }
}
