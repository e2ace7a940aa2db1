//! Root metadata in the ceremony: stage version 1 or the next version, sign
//! it with held keys, and promote it to the history once the previous root's
//! threshold and its own are both met — checked by the same code `verify`
//! uses.

use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

use super::lost::LostLine;
use super::{KeyRecord, RootFile, Workspace, parse_expiry};
use crate::error::{Error, Result};
use crate::metadata::keys::MetaKey;
use crate::metadata::root::{RoleKeys, Root, TOP_ROLES, short};
use crate::metadata::{Dialect, Envelope, format_time};
use crate::signature::verify::{Options, verify_files};
use crate::signature::{CertPolicy, Tally, check_unique_signatures, tally};

mod adopt;
mod sign;
pub use adopt::{Adopted, Payload};
pub use sign::{NotSigned, RootSignPlan};

const STAGED: &str = "staged/root.json";

/// Notary re-signs root on every publish once it is within this of expiry,
/// which fails without the offline root key.
pub const NOTARY_RESIGN_WINDOW: Duration = Duration::days(183);

/// Keys and settings for a new root (version 1).
#[derive(Debug, Clone, Default)]
pub struct RootInit {
    /// Root keys (ID, prefix or label).
    pub root_keys: Vec<String>,
    /// Root threshold (default 1).
    pub threshold: Option<u64>,
    /// Targets key(s).
    pub targets_keys: Vec<String>,
    /// Snapshot key(s).
    pub snapshot_keys: Vec<String>,
    /// Timestamp key(s).
    pub timestamp_keys: Vec<String>,
    /// Expiry (duration or date).
    pub expires: Option<String>,
    /// Accept a Notary root expiring within 6 months.
    pub allow_short_expiry: bool,
}

/// Changes for the next root version.
#[derive(Debug, Clone, Default)]
pub struct RootRotate {
    /// Root keys to add.
    pub add: Vec<String>,
    /// Root keys to remove (lost, compromised or retired).
    pub remove: Vec<String>,
    /// New root threshold.
    pub threshold: Option<u64>,
    /// Replace the targets key(s).
    pub targets_keys: Vec<String>,
    /// Replace the snapshot key(s).
    pub snapshot_keys: Vec<String>,
    /// Replace the timestamp key(s).
    pub timestamp_keys: Vec<String>,
    /// Expiry (duration or date).
    pub expires: Option<String>,
    /// Accept a Notary root expiring within 6 months.
    pub allow_short_expiry: bool,
}

/// Signatures on a staged root: against the previous root and its own.
#[derive(Debug, Clone)]
pub struct RootTally {
    /// The staged version.
    pub version: u64,
    /// The previous version and its threshold count (none for version 1).
    pub old: Option<(u64, Tally)>,
    /// The staged root's own threshold count.
    pub new: Tally,
}

impl RootTally {
    /// Both thresholds met.
    pub fn complete(&self) -> bool {
        self.new.met() && self.old.as_ref().is_none_or(|(_, t)| t.met())
    }
}

/// What `root sign` did.
#[derive(Debug, Clone)]
pub struct SignOutcome {
    /// Labels of keys that signed now.
    pub signed_by: Vec<String>,
    /// The count after signing.
    pub tally: RootTally,
    /// True when the version was added to the history.
    pub completed: bool,
    /// Keys that could have signed and did not, with the reason.
    pub not_signed: Vec<NotSigned>,
}

/// The staged root as a signing request needs it.
#[derive(Debug, Clone)]
pub struct ForRequest {
    /// The staged root with its signatures.
    pub env: Envelope,
    /// Keys that may sign: the previous and the staged root keys.
    pub keys: BTreeMap<String, MetaKey>,
    /// The thresholds to meet, named.
    pub thresholds: Vec<(String, RoleKeys)>,
}

/// What `root status` shows.
#[derive(Debug, Clone)]
pub struct RootStatus {
    /// The newest complete version, if any.
    pub current: Option<u64>,
    /// The staged root's count, if one is staged.
    pub staged: Option<RootTally>,
    /// What the staged version changes, one line each.
    pub changes: Vec<String>,
    /// The expiry of the staged root, or the current one.
    pub expires: Option<OffsetDateTime>,
    /// Lost keys the current or the staged root still names.
    pub lost: Vec<LostLine>,
}

impl Workspace {
    fn default_root_expiry(&self, now: OffsetDateTime) -> OffsetDateTime {
        match self.dialect {
            Dialect::Notary => now + Duration::days(3650),
            Dialect::Tuf => now + Duration::days(365),
        }
    }

    fn role_records(&self, specs: &[String], role: &str) -> Result<Vec<KeyRecord>> {
        let mut out: Vec<KeyRecord> = Vec::new();
        for s in specs {
            let k = self.find_key(s)?;
            k.refuse_if_lost(&format!("be added to a root as a {role} key"))?;
            if k.role != role {
                return Err(Error::input(format!(
                    "key {} was made for the {} role, not {role}",
                    k.display(),
                    k.role
                ))
                .hint(format!("pick a {role} key from `ceremony key list`")));
            }
            if out.iter().any(|o| o.id == k.id) {
                return Err(Error::input(format!("key {} is named twice", k.display())));
            }
            out.push(k);
        }
        Ok(out)
    }

    fn check_expiry(
        &self,
        expires: OffsetDateTime,
        now: OffsetDateTime,
        allow_short: bool,
    ) -> Result<()> {
        if expires <= now {
            return Err(Error::input(format!(
                "the root would be expired already ({})",
                format_time(expires)
            ))
            .hint("give an expiry in the future, e.g. --expires 10y"));
        }
        if self.dialect == Dialect::Notary && expires < now + NOTARY_RESIGN_WINDOW && !allow_short {
            return Err(Error::input(format!(
                "the root would expire within 6 months ({}): Notary then re-signs root on every publish, which needs this offline key",
                format_time(expires)
            ))
            .hint("give a longer --expires (Notary's default is 10y), or pass --allow-short-expiry"));
        }
        Ok(())
    }

    /// Builds, checks and stages a root body.
    fn stage_root(
        &self,
        version: u64,
        expires: OffsetDateTime,
        keys: BTreeMap<String, MetaKey>,
        roles: BTreeMap<String, RoleKeys>,
        now: OffsetDateTime,
    ) -> Result<Envelope> {
        let signed = Root::build(self.dialect, version, expires, &keys, &roles);
        let root = Root::parse(self.dialect, &signed)?;
        if self.dialect == Dialect::Notary {
            let policy = CertPolicy {
                gun: self.gun.clone().unwrap_or_default(),
                at: Some(now),
            };
            for id in &root.role("root")?.keyids {
                if let Some(Ok(k)) = root.keys.get(id)
                    && let Some(why) = policy.refuse(k)
                {
                    return Err(Error::input(format!(
                        "root key {} cannot be used: {why}",
                        short(id)
                    )));
                }
            }
        }
        let env = Envelope {
            signed,
            signatures: Vec::new(),
        };
        Ok(env)
    }

    fn records_to_keys(
        &self,
        recs: &[KeyRecord],
        keys: &mut BTreeMap<String, MetaKey>,
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for r in recs {
            let m = r.meta(self.dialect)?;
            ids.push(r.id.clone());
            keys.insert(r.id.clone(), m);
        }
        Ok(ids)
    }

    /// Stages root version 1.
    pub fn root_init(&self, plan: &RootInit, now: OffsetDateTime) -> Result<Envelope> {
        if !self.history()?.is_empty() {
            return Err(Error::input("this ceremony has a root already")
                .hint("use `ceremony root rotate` for the next version"));
        }
        if self.read_state(STAGED)?.is_some() {
            return Err(Error::input("a root is staged already")
                .hint("sign it with `ceremony root sign`, or `ceremony root discard`"));
        }
        let mut keys = BTreeMap::new();
        let mut roles = BTreeMap::new();
        let root_recs = self.role_records(&plan.root_keys, "root")?;
        if root_recs.is_empty() {
            return Err(Error::input("a root needs at least one --root-key"));
        }
        let threshold = plan.threshold.unwrap_or(1);
        let ids = self.records_to_keys(&root_recs, &mut keys)?;
        if threshold < 1 || threshold > ids.len() as u64 {
            return Err(Error::input(format!(
                "threshold {threshold} cannot be met by {} root key(s)",
                ids.len()
            )));
        }
        roles.insert(
            "root".to_string(),
            RoleKeys {
                keyids: ids,
                threshold,
            },
        );
        for (role, specs) in [
            ("targets", &plan.targets_keys),
            ("snapshot", &plan.snapshot_keys),
            ("timestamp", &plan.timestamp_keys),
        ] {
            let recs = self.role_records(specs, role)?;
            if recs.is_empty() {
                return Err(Error::input(format!("root needs a {role} key"))
                    .hint(format!("add --{role}-key ID")));
            }
            let ids = self.records_to_keys(&recs, &mut keys)?;
            roles.insert(
                role.to_string(),
                RoleKeys {
                    keyids: ids,
                    threshold: 1,
                },
            );
        }
        let expires = match &plan.expires {
            Some(s) => parse_expiry(s, now)?,
            None => self.default_root_expiry(now),
        };
        self.check_expiry(expires, now, plan.allow_short_expiry)?;
        let env = self.stage_root(1, expires, keys, roles, now)?;
        self.write_state(STAGED, &env.to_bytes(self.dialect))?;
        self.record_change(crate::ceremony::step::Outcome::RootStaged { version: 1 })?;
        Ok(env)
    }

    /// Stages the next root version from the newest one.
    pub fn root_rotate(&self, plan: &RootRotate, now: OffsetDateTime) -> Result<Envelope> {
        let (prev, _) = self.require_root()?;
        if self.read_state(STAGED)?.is_some() {
            return Err(Error::input("a root is staged already")
                .hint("sign it with `ceremony root sign`, or `ceremony root discard`"));
        }
        let mut keys: BTreeMap<String, MetaKey> = BTreeMap::new();
        let mut roles: BTreeMap<String, RoleKeys> = BTreeMap::new();
        for name in TOP_ROLES {
            let role = prev.role(name)?.clone();
            for id in &role.keyids {
                match prev.keys.get(id) {
                    Some(Ok(k)) => {
                        keys.insert(id.clone(), k.clone());
                    }
                    _ => {
                        return Err(Error::input(format!(
                            "key {} of the current root cannot be read",
                            short(id)
                        )));
                    }
                }
            }
            roles.insert(name.to_string(), role);
        }
        // Root keys: remove, then add.
        let mut root_ids = prev.role("root")?.keyids.clone();
        for spec in &plan.remove {
            let id = match self.find_key(spec) {
                Ok(k) => k.id,
                Err(e) => {
                    let hits: Vec<&String> = root_ids
                        .iter()
                        .filter(|id| spec.len() >= 6 && id.starts_with(spec.as_str()))
                        .collect();
                    match hits.as_slice() {
                        [id] => (*id).clone(),
                        _ => return Err(e),
                    }
                }
            };
            if !root_ids.contains(&id) {
                return Err(Error::input(format!(
                    "key {} is not a root key of version {}",
                    short(&id),
                    prev.common.version
                )));
            }
            root_ids.retain(|x| x != &id);
        }
        let added = self.role_records(&plan.add, "root")?;
        for r in &added {
            if root_ids.contains(&r.id) {
                return Err(Error::input(format!(
                    "key {} is a root key already",
                    r.display()
                )));
            }
        }
        root_ids.extend(self.records_to_keys(&added, &mut keys)?);
        if root_ids.is_empty() {
            return Err(Error::input("the new root would have no root keys"));
        }
        let threshold = plan.threshold.unwrap_or(prev.role("root")?.threshold);
        if threshold < 1 || threshold > root_ids.len() as u64 {
            return Err(Error::input(format!(
                "threshold {threshold} cannot be met by {} root key(s)",
                root_ids.len()
            ))
            .hint("pass --threshold N"));
        }
        roles.insert(
            "root".into(),
            RoleKeys {
                keyids: root_ids,
                threshold,
            },
        );
        for (role, specs) in [
            ("targets", &plan.targets_keys),
            ("snapshot", &plan.snapshot_keys),
            ("timestamp", &plan.timestamp_keys),
        ] {
            if specs.is_empty() {
                continue;
            }
            let recs = self.role_records(specs, role)?;
            let ids = self.records_to_keys(&recs, &mut keys)?;
            roles.insert(
                role.into(),
                RoleKeys {
                    keyids: ids,
                    threshold: 1,
                },
            );
        }
        // Only keys some role names stay listed.
        let used: Vec<&String> = roles.values().flat_map(|r| r.keyids.iter()).collect();
        keys.retain(|id, _| used.contains(&id));
        let expires = match &plan.expires {
            Some(s) => parse_expiry(s, now)?,
            None => self.default_root_expiry(now),
        };
        self.check_expiry(expires, now, plan.allow_short_expiry)?;
        let env = self.stage_root(
            next_root_version(prev.common.version)?,
            expires,
            keys,
            roles,
            now,
        )?;
        self.write_state(STAGED, &env.to_bytes(self.dialect))?;
        self.record_change(crate::ceremony::step::Outcome::RootStaged {
            version: env.version().unwrap_or(0),
        })?;
        Ok(env)
    }

    /// Moves the staged root aside (kept as `staged/discarded-<time>.root.json`).
    pub fn root_discard(&self, now: OffsetDateTime) -> Result<String> {
        let Some(bytes) = self.read_state(STAGED)? else {
            return Err(Error::input("no root is staged"));
        };
        let name = format!("staged/discarded-{}.root.json", now.unix_timestamp());
        self.write_new(&self.dir.join(&name), &bytes)?;
        self.remove_state(STAGED)?;
        self.record(super::transcript::Record::RootDiscarded {
            kept_as: name.clone(),
        })?;
        Ok(name)
    }

    /// Reads the staged root and checks it has not been altered: exact next
    /// version, well formed, and every signature on it valid.
    fn load_staged(&self, now: OffsetDateTime) -> Result<(Envelope, Root, Option<RootFile>)> {
        let bytes = self.read_state(STAGED)?.ok_or_else(|| {
            Error::input("no root is staged")
                .hint("stage one with `ceremony root init …` or `ceremony root rotate …`")
        })?;
        let env = Envelope::parse(&bytes).map_err(|e| e.context(STAGED))?;
        check_unique_signatures(&env).map_err(|e| e.context(STAGED))?;
        let root = Root::parse(self.dialect, &env.signed).map_err(|e| e.context(STAGED))?;
        let prev = self.latest_root()?;
        let want = match &prev {
            Some((p, _)) => next_root_version(p.common.version)?,
            None => 1,
        };
        if root.common.version != want {
            return Err(Error::verification(format!(
                "{STAGED}: version skip: it is version {} but the next version is {want}",
                root.common.version
            ))
            .hint("the staged file was changed outside the tool; `ceremony root discard` and stage again"));
        }
        if root.common.expires <= now {
            return Err(Error::verification(format!(
                "{STAGED}: expired on {}",
                format_time(root.common.expires)
            ))
            .hint("`ceremony root discard` and stage it again with a later --expires"));
        }
        let msg = env.canonical_signed();
        for s in &env.signatures {
            let key = root
                .keys
                .get(&s.keyid)
                .or_else(|| prev.as_ref().and_then(|(p, _)| p.keys.get(&s.keyid)));
            let ok = matches!(key, Some(Ok(k)) if k.verify(self.dialect, &msg, s.method.as_deref(), &s.sig));
            if !ok {
                return Err(Error::verification(format!(
                    "{STAGED}: the signature by {} does not verify: the file was changed after it was signed",
                    short(&s.keyid)
                ))
                .hint("`ceremony root discard` and stage the root again"));
            }
        }
        Ok((env, root, prev))
    }

    fn root_tally(
        &self,
        env: &Envelope,
        root: &Root,
        prev: Option<&Root>,
        now: OffsetDateTime,
    ) -> Result<RootTally> {
        let gun = self.gun.clone().unwrap_or_default();
        let notary = self.dialect == Dialect::Notary;
        let new_policy = notary.then(|| CertPolicy {
            gun: gun.clone(),
            at: Some(now),
        });
        let old_policy = notary.then_some(CertPolicy { gun, at: None });
        let new = tally(
            self.dialect,
            env,
            root.role("root")?,
            &root.keys,
            new_policy.as_ref(),
        );
        let old = match prev {
            Some(p) => Some((
                p.common.version,
                tally(
                    self.dialect,
                    env,
                    p.role("root")?,
                    &p.keys,
                    old_policy.as_ref(),
                ),
            )),
            None => None,
        };
        Ok(RootTally {
            version: root.common.version,
            old,
            new,
        })
    }

    /// Keeps a staged root with new signatures: back to `staged/` while a
    /// threshold is short, into the history once the verifier accepts it.
    fn record_root_signatures(
        &self,
        env: Envelope,
        root: &Root,
        prev: Option<&RootFile>,
        signed_by: Vec<String>,
        now: OffsetDateTime,
    ) -> Result<SignOutcome> {
        let tally = self.root_tally(&env, root, prev.map(|(p, _)| p), now)?;
        let bytes = env.to_bytes(self.dialect);
        if !tally.complete() {
            self.write_state(STAGED, &bytes)?;
            return Ok(SignOutcome {
                signed_by,
                tally,
                completed: false,
                not_signed: Vec::new(),
            });
        }
        // Complete: the verifier must accept this exact step before it
        // joins the history.
        let mut files = BTreeMap::new();
        let mut trusted = None;
        if let Some((p, pbytes)) = prev {
            files.insert(format!("{}.root.json", p.common.version), pbytes.clone());
            trusted = Some(pbytes.clone());
        }
        files.insert(format!("{}.root.json", tally.version), bytes.clone());
        let opts = Options {
            dialect: Some(self.dialect),
            gun: self.gun.clone(),
            at: now,
            trusted_root: trusted,
            ignore_time: false,
        };
        verify_files(&files, &opts)?.into_result()?;
        self.add_history(tally.version, &bytes)?;
        self.remove_state(STAGED)?;
        Ok(SignOutcome {
            signed_by,
            tally,
            completed: true,
            not_signed: Vec::new(),
        })
    }

    /// The staged root, checked, for a signing request: the envelope, the
    /// keys that may sign it and the thresholds to meet.
    pub fn staged_for_request(&self, now: OffsetDateTime) -> Result<ForRequest> {
        let (env, root, prev) = self.load_staged(now)?;
        let mut eligible = BTreeMap::new();
        let mut thresholds = Vec::new();
        if let Some((p, _)) = &prev {
            for (id, k) in p.role_keys("root") {
                if let Ok(k) = k {
                    eligible.insert(id, k);
                }
            }
            thresholds.push((
                format!("previous root (version {})", p.common.version),
                p.role("root")?.clone(),
            ));
        }
        for (id, k) in root.role_keys("root") {
            if let Ok(k) = k {
                eligible.insert(id, k);
            }
        }
        thresholds.push((
            format!("new root (version {})", root.common.version),
            root.role("root")?.clone(),
        ));
        Ok(ForRequest {
            env,
            keys: eligible,
            thresholds,
        })
    }

    /// Adds signatures collected elsewhere to the staged root. Each must be
    /// over the staged body (same digest), by a key of the previous or the
    /// new root, and valid; otherwise nothing is changed.
    pub fn merge_root_signatures(
        &self,
        sigs: &[(String, crate::metadata::Signature)],
        now: OffsetDateTime,
    ) -> Result<SignOutcome> {
        let (mut env, root, prev) = self.load_staged(now)?;
        self.refuse_lost_additions(&root, prev.as_ref().map(|(p, _)| p))?;
        let msg = env.canonical_signed();
        let mut signed_by = Vec::new();
        for (from, sig) in sigs {
            // A key marked lost here may be in someone else's hands: what
            // it signs is not taken in, whoever carried it.
            if let Some(rec) = self.key_by_id(&sig.keyid)? {
                rec.refuse_if_lost("sign")
                    .map_err(|e| Error::verification(format!("{from}: {}", e.reason())))?;
            }
            let key = root
                .keys
                .get(&sig.keyid)
                .filter(|_| {
                    root.role("root")
                        .is_ok_and(|r| r.keyids.contains(&sig.keyid))
                })
                .or_else(|| {
                    prev.as_ref().and_then(|(p, _)| {
                        p.role("root")
                            .ok()
                            .filter(|r| r.keyids.contains(&sig.keyid))
                            .and_then(|_| p.keys.get(&sig.keyid))
                    })
                });
            let Some(Ok(key)) = key else {
                return Err(Error::verification(format!(
                    "{from}: signature by key {} which is not a root key of the staged or the previous version",
                    short(&sig.keyid)
                )));
            };
            if !key.verify(self.dialect, &msg, sig.method.as_deref(), &sig.sig) {
                return Err(Error::verification(format!(
                    "{from}: the signature by {} does not verify over the staged root",
                    self.label_of(&sig.keyid)?
                )));
            }
            env.signatures.retain(|s| s.keyid != sig.keyid);
            env.signatures.push(sig.clone());
            signed_by.push(self.label_of(&sig.keyid)?);
        }
        let digest = crate::transfer::sha256_hex(&env.canonical_signed());
        let o = self.record_root_signatures(env, &root, prev.as_ref(), signed_by, now)?;
        self.record_change(crate::ceremony::step::Outcome::RootSigned {
            version: o.tally.version,
            signed_by: o.signed_by.clone(),
            complete: o.completed,
            digest,
        })?;
        Ok(o)
    }

    /// The state of the root: current version, and the staged one's changes
    /// and signatures.
    pub fn root_status(&self, now: OffsetDateTime) -> Result<RootStatus> {
        let current = self.latest_root()?;
        if self.read_state(STAGED)?.is_none() {
            return Ok(RootStatus {
                current: current.as_ref().map(|(r, _)| r.common.version),
                staged: None,
                changes: Vec::new(),
                expires: current.as_ref().map(|(r, _)| r.common.expires),
                lost: self.lost_report(current.as_ref().map(|(r, _)| r), None)?,
            });
        }
        let (env, root, prev) = self.load_staged(now)?;
        let tally = self.root_tally(&env, &root, prev.as_ref().map(|(p, _)| p), now)?;
        let changes = match &prev {
            Some((p, _)) => self.describe_changes(p, &root)?,
            None => vec!["initial root (version 1)".into()],
        };
        Ok(RootStatus {
            current: prev.as_ref().map(|(r, _)| r.common.version),
            staged: Some(tally),
            changes,
            expires: Some(root.common.expires),
            lost: self.lost_report(prev.as_ref().map(|(r, _)| r), Some(&root))?,
        })
    }

    /// Things the officer should know about the staged root before signing
    /// it: root certificates that end before the root does, and root keys
    /// whose holders must sign elsewhere.
    pub fn root_warnings(&self, env: &Envelope) -> Result<Vec<String>> {
        let root = Root::parse(self.dialect, &env.signed)?;
        let mut out = Vec::new();
        for (id, k) in root.role_keys("root") {
            let Ok(k) = k else { continue };
            // A certificate valid to the end of time (9999-12-31) has no
            // day of grace to add.
            if let Some(c) = &k.cert
                && c.not_after
                    .checked_add(Duration::days(1))
                    .is_some_and(|end| end < root.common.expires)
            {
                out.push(format!(
                    "the certificate of root key {} ends on {}, before the root expires ({}): clients refuse this root from that day; rotate before it",
                    self.label_of(&id)?,
                    format_time(c.not_after),
                    format_time(root.common.expires)
                ));
            }
            let rec = self.key_by_id(&id)?;
            if !rec.as_ref().is_some_and(|r| r.private || r.is_lost()) {
                out.push(format!(
                    "root key {} is not held here: its holder signs on their own machine",
                    self.label_of(&id)?
                ));
            }
        }
        for l in self.lost_in_root(&root)? {
            out.push(self.lost_staged_line(&l, root.common.version));
        }
        Ok(out)
    }

    /// A label for a key ID: the record's label, else the short ID.
    pub fn label_of(&self, id: &str) -> Result<String> {
        Ok(match self.key_by_id(id)? {
            Some(k) => k.display(),
            None => short(id),
        })
    }

    fn describe_changes(&self, prev: &Root, next: &Root) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for name in TOP_ROLES {
            let (a, b) = (prev.role(name)?, next.role(name)?);
            for id in &b.keyids {
                if !a.keyids.contains(id) {
                    out.push(format!("{name}: adds key {}", self.label_of(id)?));
                }
            }
            for id in &a.keyids {
                if !b.keyids.contains(id) {
                    let lost = self
                        .key_by_id(id)?
                        .and_then(|r| r.lost_note())
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default();
                    out.push(format!("{name}: removes key {}{lost}", self.label_of(id)?));
                }
            }
            if a.threshold != b.threshold {
                out.push(format!(
                    "{name}: threshold {} → {}",
                    a.threshold, b.threshold
                ));
            }
        }
        if prev.common.expires != next.common.expires {
            out.push(format!(
                "expires {} → {}",
                format_time(prev.common.expires),
                format_time(next.common.expires)
            ));
        }
        for name in ["snapshot", "timestamp"] {
            if prev.role(name)?.keyids != next.role(name)?.keyids {
                out.push(format!(
                    "{name} key changed: clients discard their cached timestamp and snapshot"
                ));
            }
        }
        if out.is_empty() {
            out.push("no change but the version (a re-signing)".into());
        }
        Ok(out)
    }
}

/// The version after `v`; none after 2^64−1.
fn next_root_version(v: u64) -> Result<u64> {
    v.checked_add(1).ok_or_else(|| {
        Error::verification(format!(
            "the root is at version {v} (2^64−1), the last there can be: no version can follow it"
        ))
    })
}
