//! Signing requests: made by the coordinator from the staged root, reviewed
//! and signed by each keyholder at her own machine, merged back.
//!
//! A holder trusts only what her tool derives from the bytes she signs,
//! checked against a root she already trusts: [`review`] verifies the
//! request's root history from that root (the code `verify` uses), computes
//! what the body changes from the two bodies alone, recomputes the keys and
//! thresholds the request claims, and refuses any disagreement. The request's
//! own summary is never shown as fact.

use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::Workspace;
use super::root::SignOutcome;
use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::metadata::keys::MetaKey;
use crate::metadata::root::{RoleKeys, Root, short};
use crate::metadata::root_diff::{KNOWN_FIELDS, RootChanges, diff};
use crate::metadata::{Dialect, Envelope, RoleKind, Signature, format_time, json};
use crate::signature::verify::{Options, verify_files};
use crate::signature::{CertPolicy, Tally, sign, tally};
use crate::transfer::request::{Request, SignRecord, Threshold};
use crate::transfer::{sha256_hex, words};

/// What a holder checks a request against.
#[derive(Debug, Clone)]
pub enum Trust {
    /// A root she already trusts: the file's bytes.
    Root(Vec<u8>),
    /// Nothing: the request's own history (or, for version 1, nothing at
    /// all) is taken on first use. Shown and recorded as such.
    FirstUse,
}

/// What the review checked the chain against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// From a root the holder trusts, through verified steps.
    TrustedRoot {
        /// Its version.
        version: u64,
        /// SHA-256 of the file the holder gave.
        sha256: String,
        /// Verified rotations from it to the previous root.
        steps: u64,
    },
    /// Taken on first use: the history's lowest version (None for a
    /// version-1 request, which has no history).
    FirstUse {
        /// Where the history starts.
        start: Option<u64>,
    },
}

impl Checked {
    /// One line for the screen and the signer's record.
    pub fn describe(&self) -> String {
        match self {
            Checked::TrustedRoot {
                version,
                sha256,
                steps,
            } => format!(
                "checked against root version {version} that the signer trusts (sha256 {}…), then {steps} verified rotation(s)",
                &sha256[..16.min(sha256.len())]
            ),
            Checked::FirstUse { start: Some(s) } => format!(
                "TRUST ON FIRST USE: the request's own root history from version {s}, checked against nothing the signer held"
            ),
            Checked::FirstUse { start: None } => {
                "TRUST ON FIRST USE: a first root (version 1), with nothing before it to check against"
                    .to_string()
            }
        }
    }

    /// True when nothing the holder held vouched for the chain.
    pub fn first_use(&self) -> bool {
        matches!(self, Checked::FirstUse { .. })
    }
}

/// A request as its holder's tool sees it: everything derived from the body
/// and the verified history.
#[derive(Debug, Clone)]
pub struct Review {
    /// The dialect.
    pub dialect: Dialect,
    /// The GUN, from the trusted root's certificates (Notary).
    pub gun: Option<String>,
    /// The version the body makes.
    pub version: u64,
    /// SHA-256 (hex) of the canonical body.
    pub digest: String,
    /// The digest as twelve words.
    pub words: String,
    /// What the chain was checked against.
    pub checked: Checked,
    /// What the body changes against the previous root.
    pub changes: RootChanges,
    /// Signatures so far against each threshold the roots set.
    pub tallies: Vec<(String, Tally)>,
    /// Keys that may sign: the previous and the new root's root keys.
    pub eligible: BTreeMap<String, MetaKey>,
    /// Things to know before signing.
    pub warnings: Vec<String>,
}

impl Review {
    /// The key ID under which `key` may sign, if it is a root key of the
    /// previous or the new root.
    pub fn signer_id(&self, key: &PrivateKey) -> Option<String> {
        let public = key.public();
        self.eligible
            .iter()
            .find(|(_, m)| m.public == public)
            .map(|(id, _)| id.clone())
    }
}

fn refuse(reason: impl Into<String>) -> Error {
    Error::verification(reason.into())
        .hint("do not sign it; tell the coordinator and compare with the root you hold")
}

/// The thresholds the roots set, with the names requests use.
fn derived_thresholds(prev: Option<&Root>, next: &Root) -> Result<Vec<(String, RoleKeys)>> {
    let mut out = Vec::new();
    if let Some(p) = prev {
        out.push((
            format!("previous root (version {})", p.common.version),
            p.role("root")?.clone(),
        ));
    }
    out.push((
        format!("new root (version {})", next.common.version),
        next.role("root")?.clone(),
    ));
    Ok(out)
}

/// The root keys of the previous and the new root that can be read.
fn derived_keys(prev: Option<&Root>, next: &Root) -> BTreeMap<String, MetaKey> {
    let mut out = BTreeMap::new();
    for r in prev.into_iter().chain(std::iter::once(next)) {
        for (id, k) in r.role_keys("root") {
            if let Ok(k) = k {
                out.insert(id, k);
            }
        }
    }
    out
}

/// The GUN all root certificates of `root` name, if they agree.
fn gun_of(root: &Root) -> Option<String> {
    let mut cns = root
        .role("root")
        .ok()?
        .keyids
        .iter()
        .filter_map(|id| match root.keys.get(id) {
            Some(Ok(k)) => k.cert.as_ref().and_then(|c| c.common_name.clone()),
            _ => None,
        });
    let first = cns.next()?;
    (cns.all(|c| c == first) && !first.ends_with('*')).then_some(first)
}

/// A root a holder is asked to sign must be one she can be shown whole:
/// no field the tool does not interpret (at any level), every key one the
/// tool can read (so its ID is checked against it and its type, fingerprint
/// and certificate are real), and no certificate name that could repaint
/// her terminal. The tool's own staged roots always pass.
fn check_showable(dialect: Dialect, body: &Value, root: &Root) -> Result<()> {
    let unknown = |what: &str, m: Option<&serde_json::Map<String, Value>>, known: &[&str]| match m
        .and_then(|m| m.keys().find(|k| !known.contains(&k.as_str())))
    {
        Some(k) => Err(refuse(format!(
            "{what} holds a field this tool does not interpret ({}): refusing to sign what cannot be shown",
            crate::text::printable(k)
        ))),
        None => Ok(()),
    };
    unknown("the body", body.as_object(), &KNOWN_FIELDS)?;
    if let Some(roles) = body.get("roles").and_then(Value::as_object) {
        for (name, r) in roles {
            unknown(
                &format!("role {name}"),
                r.as_object(),
                &["keyids", "threshold"],
            )?;
        }
    }
    let (key_fields, keyval_fields): (&[&str], &[&str]) = match dialect {
        Dialect::Notary => (&["keytype", "keyval"], &["private", "public"]),
        Dialect::Tuf => (&["keytype", "keyval", "scheme"], &["public"]),
    };
    if let Some(keys) = body.get("keys").and_then(Value::as_object) {
        for (id, k) in keys {
            let what = format!("key {}", short(id));
            unknown(&what, k.as_object(), key_fields)?;
            unknown(
                &what,
                k.get("keyval").and_then(Value::as_object),
                keyval_fields,
            )?;
        }
    }
    for (id, entry) in &root.keys {
        match entry {
            Err(why) => {
                return Err(refuse(format!(
                    "the body lists key {} that this tool cannot read ({why}): refusing to sign a root whose keys cannot be shown",
                    short(id)
                )));
            }
            Ok(k) => {
                let cn = k.cert.as_ref().and_then(|c| c.common_name.as_deref());
                if cn.is_some_and(crate::text::has_hazard) {
                    return Err(refuse(format!(
                        "the certificate of key {} has a common name with control or invisible characters",
                        short(id)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Verifies the request's history from `trust` and returns the previous
/// root (with its body), what it was checked against, and the GUN the
/// trusted root names.
#[allow(clippy::type_complexity)]
fn check_history(
    req: &Request,
    dialect: Dialect,
    next: &Root,
    trust: &Trust,
    now: OffsetDateTime,
) -> Result<(Option<(Root, Value)>, Checked, Option<String>)> {
    let history = req.history_files()?;
    for (v, bytes) in &history {
        let claimed = Envelope::parse(bytes)
            .ok()
            .and_then(|e| e.version())
            .unwrap_or(0);
        if claimed != *v {
            return Err(refuse(format!(
                "the request's root history lists a file as version {v} that is version {claimed}"
            )));
        }
    }
    let version = next.common.version;
    let prev_version = version - 1;
    if let Some(v) = history.keys().find(|v| **v == 0 || **v > prev_version) {
        return Err(refuse(format!(
            "the request's root history holds version {v}, which cannot come before the body's version {version}: a rollback or a replay"
        )));
    }
    let newest = history.keys().next_back().copied().unwrap_or(0);
    if newest != prev_version {
        return Err(refuse(format!(
            "version skip: the body is version {version}, but the root history ends at version {newest}; a new root must be exactly the next version"
        )));
    }
    if prev_version == 0 {
        return match trust {
            Trust::Root(b) => {
                let t = Envelope::parse(b)
                    .ok()
                    .and_then(|e| e.version())
                    .unwrap_or(0);
                Err(refuse(format!(
                    "the body is a first root (version 1), but you trust root version {t} of an existing repository: this request starts the repository over"
                )))
            }
            Trust::FirstUse => {
                let gun = match dialect {
                    Dialect::Notary => Some(gun_of(next).ok_or_else(|| {
                        refuse("the new root's certificates do not name one GUN")
                    })?),
                    Dialect::Tuf => None,
                };
                Ok((None, Checked::FirstUse { start: None }, gun))
            }
        };
    }
    let Some(prev_bytes) = history.get(&prev_version) else {
        return Err(refuse(format!(
            "version skip: the root history does not hold version {prev_version}, the root the body follows"
        )));
    };
    let files: BTreeMap<String, Vec<u8>> = history
        .iter()
        .map(|(v, b)| (format!("{v}.root.json"), b.clone()))
        .collect();
    let (trusted, checked) = match trust {
        Trust::Root(b) => {
            let env = Envelope::parse(b).map_err(|e| e.context("--trusted-root"))?;
            let t = env.version().unwrap_or(0);
            if t > prev_version {
                return Err(refuse(format!(
                    "you trust root version {t}, newer than version {prev_version} this request rotates from: it is stale, or from a forked history"
                )));
            }
            (
                Some(b.clone()),
                Checked::TrustedRoot {
                    version: t,
                    sha256: sha256_hex(b),
                    steps: prev_version - t,
                },
            )
        }
        Trust::FirstUse => (
            None,
            Checked::FirstUse {
                start: history.keys().next().copied(),
            },
        ),
    };
    let opts = Options {
        dialect: Some(dialect),
        gun: None,
        at: now,
        trusted_root: trusted.clone(),
        // A rotation may replace an expired root; the new root's own time
        // is judged below.
        ignore_time: true,
    };
    let against = match &checked {
        Checked::TrustedRoot { version, .. } => format!("the root version {version} you trust"),
        Checked::FirstUse { .. } => "its own first version".to_string(),
    };
    let report = verify_files(&files, &opts)
        .map_err(|e| refuse(format!("the request's root history: {}", e.reason())))?;
    let gun = report.gun.clone();
    report.into_result().map_err(|e| {
        refuse(format!(
            "the request's root history does not continue {against}: {}",
            e.reason()
        ))
    })?;
    let prev_env = Envelope::parse(prev_bytes)?;
    if let Some(t) = &trusted {
        let trusted_env = Envelope::parse(t)?;
        if trusted_env.version() == Some(prev_version)
            && json::canonical(&trusted_env.signed) != json::canonical(&prev_env.signed)
        {
            return Err(refuse(format!(
                "the request's root history does not continue the root version {prev_version} you trust: its version {prev_version} is another root (a forked history)"
            )));
        }
    }
    let prev = Root::parse(dialect, &prev_env.signed)?;
    Ok((Some((prev, prev_env.signed)), checked, gun))
}

/// Reviews `req` for a holder who trusts `trust`, at time `now`. Refuses,
/// naming the reason, a body that is not a root, a version that does not
/// follow the previous root, any claim of the request that disagrees with
/// the body, a history that does not reach the trusted root, and a new root
/// that `verify` would reject.
pub fn review(req: &Request, trust: &Trust, now: OffsetDateTime) -> Result<Review> {
    let dialect = req.dialect()?;
    let want = dialect.type_name(RoleKind::Root);
    let ty = req.signed.get("_type").and_then(Value::as_str);
    if ty != Some(want) {
        return Err(refuse(format!(
            "the body to sign is not a root: its _type is {} ({dialect} roots say {want:?}); a root key must not sign it",
            ty.map(|t| format!("{t:?}"))
                .unwrap_or_else(|| "missing".into())
        )));
    }
    let next = Root::parse(dialect, &req.signed)
        .map_err(|e| refuse(format!("the body to sign: {}", e.reason())))?;
    check_showable(dialect, &req.signed, &next)?;
    let version = next.common.version;
    if req.role != "root" {
        return Err(refuse(format!(
            "the request says it is for role {:?}, but its body is a root",
            req.role
        )));
    }
    if req.version != version {
        return Err(refuse(format!(
            "the request says version {}, but its body is version {version}",
            req.version
        )));
    }
    let (prev, checked, gun) = check_history(req, dialect, &next, trust, now)?;
    let prev_root = prev.as_ref().map(|(r, _)| r);
    if let Some(p) = prev_root
        && p.common.version.checked_add(1) != Some(version)
    {
        return Err(refuse(format!(
            "version skip: the body is version {version}, the previous root is version {}",
            p.common.version
        )));
    }
    match (dialect, &req.gun, &gun) {
        (Dialect::Notary, Some(claim), Some(g)) if claim == g => {}
        (Dialect::Notary, claim, g) => {
            return Err(refuse(format!(
                "the request names GUN {claim:?}, but the roots' certificates name {g:?}"
            )));
        }
        (Dialect::Tuf, None, _) => {}
        (Dialect::Tuf, Some(g), _) => {
            return Err(refuse(format!(
                "the request names a GUN ({g:?}), which a TUF root has not"
            )));
        }
    }
    if next.common.expires <= now {
        return Err(refuse(format!(
            "the body expired on {}",
            format_time(next.common.expires)
        )));
    }
    let gun_text = gun.clone().unwrap_or_default();
    let new_policy = (dialect == Dialect::Notary).then(|| CertPolicy {
        gun: gun_text.clone(),
        at: Some(now),
    });
    let old_policy = (dialect == Dialect::Notary).then_some(CertPolicy {
        gun: gun_text,
        at: None,
    });
    let mut warnings = Vec::new();
    for (id, k) in next.role_keys("root") {
        let k = k.map_err(|why| {
            refuse(format!(
                "root key {} of the new root cannot be read: {why}",
                short(&id)
            ))
        })?;
        if let Some(why) = new_policy.as_ref().and_then(|p| p.refuse(&k)) {
            return Err(refuse(format!(
                "root key {} of the new root would not count: {why}",
                short(&id)
            )));
        }
        // A day's slack: a certificate made with the root ends with it.
        if let Some(c) = &k.cert
            && c.not_after.checked_add(time::Duration::days(1)) < Some(next.common.expires)
        {
            warnings.push(format!(
                "the certificate of root key {} ends on {}, before the root expires ({}): clients refuse this root from that day",
                short(&id),
                format_time(c.not_after),
                format_time(next.common.expires)
            ));
        }
    }

    // The request's claims must be what the roots say.
    let eligible = derived_keys(prev_root, &next);
    let claimed: BTreeMap<String, Value> = req.keys.clone();
    let derived: BTreeMap<String, Value> = eligible
        .iter()
        .map(|(id, k)| (id.clone(), k.object.clone()))
        .collect();
    if claimed != derived {
        let extra: Vec<String> = claimed
            .keys()
            .filter(|id| !derived.contains_key(*id))
            .map(|id| short(id))
            .collect();
        let missing: Vec<String> = derived
            .keys()
            .filter(|id| !claimed.contains_key(*id))
            .map(|id| short(id))
            .collect();
        return Err(refuse(format!(
            "the request's list of keys that may sign is not the roots' root keys (listed but not root keys: [{}]; root keys not listed: [{}]; or a key object differs)",
            extra.join(", "),
            missing.join(", ")
        )));
    }
    let thresholds = derived_thresholds(prev_root, &next)?;
    let as_claims: Vec<Threshold> = thresholds
        .iter()
        .map(|(name, r)| Threshold {
            name: name.clone(),
            keyids: r.keyids.clone(),
            threshold: r.threshold,
        })
        .collect();
    if req.thresholds != as_claims {
        let say = |t: &[Threshold]| {
            t.iter()
                .map(|t| format!("{}: {} of {}", t.name, t.threshold, t.keyids.len()))
                .collect::<Vec<_>>()
                .join("; ")
        };
        return Err(refuse(format!(
            "the request's thresholds are not the roots': it claims [{}], the roots say [{}]",
            say(&req.thresholds),
            say(&as_claims)
        )));
    }

    let env = req.envelope();
    let mut tallies = Vec::new();
    if let Some(p) = prev_root {
        tallies.push((
            thresholds[0].0.clone(),
            tally(dialect, &env, p.role("root")?, &p.keys, old_policy.as_ref()),
        ));
    }
    tallies.push((
        format!("new root (version {version})"),
        tally(
            dialect,
            &env,
            next.role("root")?,
            &next.keys,
            new_policy.as_ref(),
        ),
    ));
    let changes = diff(prev.as_ref().map(|(r, b)| (r, b)), &next, &req.signed);
    let canonical = json::canonical(&req.signed);
    Ok(Review {
        dialect,
        gun,
        version,
        digest: sha256_hex(&canonical),
        words: words::digest_phrase(&canonical),
        checked,
        changes,
        tallies,
        eligible,
        warnings,
    })
}

/// Adds the signature of `key` to `req` after `review` accepted it, and a
/// record of what it was checked against and how it was confirmed.
pub fn sign_request(
    req: &mut Request,
    review: &Review,
    key: &PrivateKey,
    confirmed: &str,
    now: OffsetDateTime,
) -> Result<String> {
    let id = review.signer_id(key).ok_or_else(|| {
        Error::input(format!(
            "this key is neither a root key of the previous root nor of the new root (version {}): it has no place in this request",
            review.version
        ))
        .hint("check you hold the right key for this ceremony")
    })?;
    let meta = review
        .eligible
        .get(&id)
        .ok_or_else(|| Error::input("the signing key vanished from the review"))?;
    let mut env = req.envelope();
    sign(review.dialect, &mut env, &id, meta, key)?;
    req.set_signatures(&env);
    req.records.retain(|r| r.keyid != id);
    req.records.push(SignRecord {
        keyid: id.clone(),
        checked_against: review.checked.describe(),
        confirmed: confirmed.to_string(),
        at: format_time(now),
    });
    Ok(id)
}

impl Workspace {
    /// A signing request for the staged root, carrying the whole root
    /// history so each holder can check it from the root she trusts; a
    /// rehearsal's request says so.
    pub fn make_request(&self, now: OffsetDateTime) -> Result<Request> {
        let f = self.staged_for_request(now)?;
        let history = self.history()?;
        let mut r = Request::new(
            self.dialect,
            self.gun.clone(),
            &f.env,
            &history,
            &f.keys,
            f.thresholds,
        );
        r.rehearsal = self.rehearsal;
        Ok(r)
    }

    /// How this ceremony's holders will see `req`: reviewed against the
    /// ceremony's own newest root.
    pub fn review_own_request(&self, req: &Request, now: OffsetDateTime) -> Result<Review> {
        let trust = match self.latest_root()? {
            Some((_, bytes)) => Trust::Root(bytes),
            None => Trust::FirstUse,
        };
        review(req, &trust, now)
    }

    /// Merges the signatures of signed requests into the staged root. Each
    /// request must be over the staged body; every signature is checked
    /// against the staged and previous roots themselves, never against what
    /// a request claims. Nothing changes unless all are good.
    pub fn merge_requests(
        &self,
        requests: &[(String, Request)],
        now: OffsetDateTime,
    ) -> Result<SignOutcome> {
        let env = self.staged_for_request(now)?.env;
        let staged_digest = sha256_hex(&env.canonical_signed());
        let mut sigs: Vec<(String, Signature)> = Vec::new();
        for (name, r) in requests {
            if r.digest != staged_digest {
                return Err(Error::verification(format!(
                    "{name}: signs another body (digest {}…), not the staged root ({}…)",
                    &r.digest[..12.min(r.digest.len())],
                    &staged_digest[..12]
                ))
                .hint("the request was made for a different staged version; make a new one with `request create`"));
            }
            for s in r.metadata_signatures() {
                if !env.signatures.contains(&s) && !sigs.iter().any(|(_, x)| x == &s) {
                    sigs.push((name.clone(), s));
                }
            }
        }
        self.merge_root_signatures(&sigs, now)
    }
}
