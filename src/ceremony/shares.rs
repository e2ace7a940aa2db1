//! Root keys as Shamir shares held by custodians: split with a proof that
//! every M-subset recovers the key and M − 1 shares do not, a manifest signed
//! by the key itself, a share each custodian can check alone, and recovery
//! that names every bad share before anything is combined.
//!
//! ```text
//! DIR/shares/<set-id>/manifest.json        signed by the split key
//! DIR/shares/<set-id>/<custodian>.share.age the sealed share (age, armored)
//! DIR/shares/<set-id>/<custodian>.sheet.txt a printable sheet
//! DIR/shares/<set-id>/SUPERSEDED           when a newer set replaced it
//! DIR/shares/<set-id>/REHEARSAL            when made in a rehearsal
//! ```
//!
//! A rehearsal's set keeps these file names: the run's hand-out, the
//! screens and answers files name a custodian's files `NAME.share.age` …,
//! and a passphrase custodian is found by her file's stem, so a
//! `REHEARSAL-` prefix would send people after files that are not there.
//! The mark goes into the files instead: the `REHEARSAL` file, the signed
//! manifest's `rehearsal` field, a banner at the top and bottom of each
//! sheet, a text note in each QR image, and a REHEARSAL line inside each
//! sealed share's text (what `age -d` shows; the armor has no room for a
//! readable line that `age` would still accept).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

use super::strength::NewPassphrase;
use super::{KeyRecord, Passphrases, Workspace, read};
use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::metadata::root::short;
use crate::metadata::{Envelope, format_time};
use crate::secret::os_rng;
use crate::share::seal::{self, Custodian};
use crate::share::{self, Problem, Share};
use crate::transfer;

/// Exhaustive subset proof up to this many shares; a random sample beyond.
const EXHAUSTIVE_UP_TO: usize = 10;
const SAMPLED_SUBSETS: usize = 256;

/// One custodian in a split request: a name and `age1…` or `passphrase`.
#[derive(Debug, Clone)]
pub struct CustodianSpec {
    /// A name, used in file names and messages.
    pub name: String,
    /// An age X25519 recipient, or `passphrase`.
    pub recipient: String,
}

impl CustodianSpec {
    /// Reads `NAME=RECIPIENT`.
    pub fn parse(s: &str) -> Result<Self> {
        let (name, recipient) = s.split_once('=').ok_or_else(|| {
            Error::input(format!("{s:?} is not NAME=RECIPIENT"))
                .hint("e.g. --custodian alice=age1… or --custodian bob=passphrase")
        })?;
        check_custodian_name(name)?;
        Ok(CustodianSpec {
            name: name.into(),
            recipient: recipient.into(),
        })
    }
}

/// A custodian's name names her files (`NAME.share.age`): letters,
/// digits, `-`, `_` and `.`, not starting with a dot, at most 64 bytes.
pub fn check_custodian_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.starts_with('.');
    if !ok {
        return Err(Error::input(format!(
            "custodian name {name:?} must be letters, digits, - _ ."
        )));
    }
    Ok(())
}

/// The manifest's record of one custodian.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestCustodian {
    /// Custodian name.
    pub name: String,
    /// Share index (x).
    pub index: u8,
    /// `age1…` or `passphrase`.
    pub recipient: String,
    /// SHA-256 of the share's binary form.
    pub commitment: String,
}

/// The signed description of a share set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Always `ceremony-share-manifest`.
    #[serde(rename = "_type")]
    pub kind: String,
    /// Share format version.
    pub format: u8,
    /// Hex set ID.
    pub set_id: String,
    /// The split key's ID.
    pub key_id: String,
    /// The key's label.
    pub key_label: String,
    /// M.
    pub threshold: u8,
    /// N.
    pub total: u8,
    /// When the set was made.
    pub created: String,
    /// One entry per share.
    pub custodians: Vec<ManifestCustodian>,
    /// The set this one replaces, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// Made in a rehearsal: throwaway shares. Signed with the rest of the
    /// manifest; a manifest without it (older ones too) is a real set's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
}

/// What the `REHEARSAL` file of a rehearsal's share set says.
pub const REHEARSAL_SET_TEXT: &str =
    "REHEARSAL: throwaway shares made in a rehearsal; never keep them as real shares.\n";

/// A request to split a key.
#[derive(Debug, Clone)]
pub struct SplitRequest {
    /// The key (ID, prefix or label).
    pub key: String,
    /// M.
    pub threshold: u8,
    /// One per share.
    pub custodians: Vec<CustodianSpec>,
    /// Destroy the encrypted key file after the verified split.
    pub only_shares: bool,
    /// The set this one replaces (reissue).
    pub replaces: Option<String>,
}

/// What a split wrote.
#[derive(Debug, Clone)]
pub struct SplitOutcome {
    /// The new set.
    pub manifest: Manifest,
    /// Its folder.
    pub folder: PathBuf,
    /// Subsets checked to recover the key.
    pub subsets_checked: usize,
    /// Whether the encrypted key file was destroyed.
    pub only_shares: bool,
}

/// A share's verdict in verify or recover.
#[derive(Debug, Clone)]
pub struct ShareVerdict {
    /// The file.
    pub file: PathBuf,
    /// Custodian name (from the manifest) when known.
    pub custodian: Option<String>,
    /// None = good; else why it cannot be used.
    pub problem: Option<String>,
    /// The share (or its set's manifest) says it is a rehearsal's.
    pub rehearsal: bool,
}

/// A share file opened, with its custodian hint.
struct Opened {
    file: PathBuf,
    share: std::result::Result<Share, String>,
    /// The share's text carries the rehearsal line.
    rehearsal: bool,
}

fn file_custodian(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.split('.').next().unwrap_or("").to_string()
}

/// One share set as `shares list` shows it.
#[derive(Debug, Clone)]
pub struct ShareSetInfo {
    /// The verified manifest.
    pub manifest: Manifest,
    /// Whether a newer set replaced it.
    pub superseded: bool,
}

impl Workspace {
    /// Every share set of the ceremony, each manifest verified, by set ID.
    pub fn share_sets(&self) -> Result<Vec<ShareSetInfo>> {
        let dir = self.dir.join("shares");
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
            .collect();
        ids.sort();
        ids.into_iter()
            .map(|id| {
                let (manifest, _) = self.load_manifest(&id)?;
                Ok(ShareSetInfo {
                    manifest,
                    superseded: dir.join(&id).join("SUPERSEDED").exists(),
                })
            })
            .collect()
    }

    fn manifest_path(&self, set_id: &str) -> PathBuf {
        self.dir.join(format!("shares/{set_id}/manifest.json"))
    }

    /// Reads a set's manifest and checks its signature by the split key.
    pub fn load_manifest(&self, set_id: &str) -> Result<(Manifest, KeyRecord)> {
        let path = self.manifest_path(set_id);
        if !path.exists() {
            return Err(Error::input(format!(
                "no share set {set_id} in this ceremony"
            )));
        }
        let env = Envelope::parse(&read(&path)?)?;
        let m: Manifest = serde_json::from_value(env.signed.clone())
            .map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        let rec = self.key_by_id(&m.key_id)?.ok_or_else(|| {
            Error::verification(format!(
                "share set {set_id} is for key {} which this ceremony does not know",
                short(&m.key_id)
            ))
        })?;
        let meta = rec.meta(self.dialect)?;
        let msg = env.canonical_signed();
        let signed = env.signatures.iter().any(|s| {
            s.keyid == rec.id && meta.verify(self.dialect, &msg, s.method.as_deref(), &s.sig)
        });
        if !signed || m.kind != "ceremony-share-manifest" || m.set_id != set_id {
            return Err(Error::verification(format!(
                "the manifest of share set {set_id} is not signed by key {}",
                rec.display()
            ))
            .hint("the manifest was changed; restore it from a copy"));
        }
        Ok((m, rec))
    }

    /// Splits the private key `key` into shares for `custodians`.
    ///
    /// The key comes from its encrypted file, or is `recovered` from shares
    /// (a reissue of a key that exists only as shares).
    pub fn shares_split(
        &self,
        req: &SplitRequest,
        recovered: Option<&PrivateKey>,
        passphrases: &mut dyn Passphrases,
        now: OffsetDateTime,
    ) -> Result<SplitOutcome> {
        let (key, threshold, custodians, only_shares) = (
            req.key.as_str(),
            req.threshold,
            req.custodians.as_slice(),
            req.only_shares,
        );
        let replaces = req.replaces.clone();
        let n = custodians.len();
        if n == 0 || n > 255 || threshold == 0 || threshold as usize > n {
            return Err(
                Error::input(format!("cannot make {threshold}-of-{n} shares"))
                    .hint("use 1 ≤ M ≤ N ≤ 255: one --custodian per share"),
            );
        }
        let mut names: Vec<&str> = custodians.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::input("each custodian needs a different name"));
        }
        let rec = self.find_key(key)?;
        rec.refuse_if_lost("be split into shares")?;
        // Seal targets are read before anything secret is touched.
        let mut seals = Vec::new();
        for c in custodians {
            seals.push(if c.recipient == "passphrase" {
                Custodian::Passphrase(self.new_passphrase(
                    passphrases,
                    NewPassphrase::Custodian {
                        name: &c.name,
                        key: &rec.label,
                    },
                )?)
            } else {
                Custodian::parse_recipient(&c.recipient)?
            });
        }
        refuse_shared_custodians(custodians, &seals)?;
        if let Some(old) = &req.replaces {
            let (m, _) = self.load_manifest(old)?;
            if m.key_id != rec.id {
                return Err(Error::input(format!("share set {old} is for another key")));
            }
        }
        let private = match recovered {
            Some(k) => PrivateKey::from_secret_bytes(&k.secret_bytes())?,
            None => self.unlock(&rec, passphrases)?,
        };
        if private.public() != rec.meta(self.dialect)?.public {
            return Err(Error::input(format!(
                "that key material is not key {}",
                rec.display()
            )));
        }
        let secret = private.secret_bytes();
        let mut set_id = [0u8; 16];
        rand::Rng::fill_bytes(&mut os_rng(), &mut set_id);
        let key_id: [u8; 32] = hex::decode(&rec.id)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| Error::input("key ID is not 32 bytes of hex"))?;
        let shares = share::split(&secret, threshold, n as u8, set_id, key_id)?;
        let subsets_checked = prove_split(&shares, &secret, threshold as usize)?;

        let set_hex = hex::encode(set_id);
        let mut entries = Vec::new();
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for ((c, sh), to) in custodians.iter().zip(&shares).zip(&seals) {
            let sealed = seal::seal(sh.to_text_marked(self.rehearsal).as_bytes(), to)?;
            entries.push(ManifestCustodian {
                name: c.name.clone(),
                index: sh.index,
                recipient: to.describe(),
                commitment: sh.commitment(),
            });
            files.push((format!("{}.share.age", c.name), sealed));
        }
        let manifest = Manifest {
            kind: "ceremony-share-manifest".into(),
            format: share::VERSION,
            set_id: set_hex.clone(),
            key_id: rec.id.clone(),
            key_label: rec.label.clone(),
            threshold,
            total: n as u8,
            created: format_time(now),
            custodians: entries,
            replaces,
            rehearsal: self.rehearsal,
        };
        let mut env = Envelope {
            signed: serde_json::to_value(&manifest).map_err(|e| Error::input(e.to_string()))?,
            signatures: Vec::new(),
        };
        crate::signature::sign(
            self.dialect,
            &mut env,
            &rec.id,
            &rec.meta(self.dialect)?,
            &private,
        )?;
        drop(private);
        let mut printed = Vec::new();
        for ((c, e), (_, sealed)) in custodians.iter().zip(&manifest.custodians).zip(&files) {
            printed.push((
                format!("{}.sheet.txt", c.name),
                sheet(&manifest, e, &rec, sealed)?.into_bytes(),
            ));
            let mut png = transfer::qr::png(sealed)?;
            if manifest.rehearsal {
                png = transfer::qr::png_with_text(&png, "Comment", REHEARSAL_SET_TEXT.trim_end())?;
            }
            printed.push((format!("{}.qr.png", c.name), png));
        }
        files.extend(printed);
        if manifest.rehearsal {
            files.push((
                crate::ceremony::export::REHEARSAL_MARK.into(),
                REHEARSAL_SET_TEXT.as_bytes().to_vec(),
            ));
        }
        files.push(("manifest.json".into(), env.to_bytes(self.dialect)));

        let folder = self.dir.join(format!("shares/{set_hex}"));
        self.make_dirs(&folder)?;
        for (name, bytes) in &files {
            self.write_new(&folder.join(name), bytes)?;
        }
        if let Some(old) = &req.replaces {
            self.mark_superseded(old, &set_hex, now)?;
        }
        if only_shares && rec.private {
            self.destroy_private(&rec)?;
        }
        self.record_change(crate::ceremony::step::Outcome::Split {
            set_id: manifest.set_id.clone(),
            threshold: manifest.threshold,
            custodians: manifest.custodians.iter().map(|c| c.name.clone()).collect(),
            only_shares,
            replaces: req.replaces.clone(),
        })?;
        Ok(SplitOutcome {
            manifest,
            folder,
            subsets_checked,
            only_shares,
        })
    }

    /// Overwrites and removes the encrypted key file: the key then exists
    /// only as shares.
    pub(crate) fn destroy_private(&self, rec: &KeyRecord) -> Result<()> {
        let mut updated = rec.clone();
        updated.private = false;
        let text = serde_json::to_vec_pretty(&updated).map_err(|e| Error::input(e.to_string()))?;
        self.write_state(&format!("keys/{}.json", rec.id), &text)?;
        let age_path = self.dir.join(format!("keys/{}.age", rec.id));
        self.wipe_file(&age_path)
    }

    /// Checks one share against its set's manifest, alone: nothing is
    /// combined.
    pub fn shares_verify(
        &self,
        file: &Path,
        identities: &[Box<dyn age::Identity>],
        passphrases: &mut dyn Passphrases,
    ) -> Result<(Manifest, ShareVerdict)> {
        let opened = open_share(file, identities, passphrases);
        let sh = opened
            .share
            .map_err(|why| Error::verification(format!("{}: {why}", file.display())))?;
        self.refuse_rehearsal_shares(opened.rehearsal)?;
        let (m, _) = self.load_manifest(&hex::encode(sh.set_id))?;
        self.refuse_rehearsal_shares(m.rehearsal)?;
        let mut verdict = judge(&m, &sh, file);
        verdict.rehearsal = opened.rehearsal || m.rehearsal;
        if let Some(p) = &verdict.problem {
            return Err(Error::verification(format!("{}: {p}", file.display())));
        }
        Ok((m, verdict))
    }

    /// Opens and checks every share, names each bad one, and recovers the
    /// key from M good ones. The key's public half must match its record.
    pub fn shares_recover(
        &self,
        files: &[PathBuf],
        identities: &[Box<dyn age::Identity>],
        passphrases: &mut dyn Passphrases,
    ) -> Result<(KeyRecord, PrivateKey, Vec<ShareVerdict>)> {
        if files.is_empty() {
            return Err(Error::input("no share files given"));
        }
        let opened: Vec<Opened> = files
            .iter()
            .map(|f| open_share(f, identities, passphrases))
            .collect();
        self.refuse_rehearsal_shares(opened.iter().any(|o| o.rehearsal))?;
        // The set most of the readable shares belong to is the one recovered.
        let mut counts: BTreeMap<[u8; 16], usize> = BTreeMap::new();
        for o in &opened {
            if let Ok(s) = &o.share {
                *counts.entry(s.set_id).or_default() += 1;
            }
        }
        let Some((set, _)) = counts
            .iter()
            .max_by_key(|(_, c)| **c)
            .map(|(s, c)| (*s, *c))
        else {
            let why: Vec<String> = opened
                .iter()
                .map(|o| {
                    format!(
                        "{}: {}",
                        o.file.display(),
                        o.share.as_ref().err().cloned().unwrap_or_default()
                    )
                })
                .collect();
            return Err(Error::verification(format!(
                "no share could be read: {}",
                why.join("; ")
            )));
        };
        let (m, rec) = self.load_manifest(&hex::encode(set))?;
        self.refuse_rehearsal_shares(m.rehearsal)?;
        // A reissue (or a withdrawn hand-out) retired this set: its shares
        // no longer open the key here.
        let retired = self.dir.join(format!("shares/{}/SUPERSEDED", m.set_id));
        if retired.exists() {
            return Err(Error::verification(format!(
                "these are shares of set {}, which was superseded (reissued or withdrawn)",
                m.set_id
            ))
            .hint("bring the shares of the set in use (`ceremony shares list`)"));
        }
        let mut verdicts = Vec::new();
        let mut good: Vec<Share> = Vec::new();
        for o in opened {
            let v = match &o.share {
                // Unreadable: the file name is the best guess at whose it is.
                Err(why) => ShareVerdict {
                    file: o.file.clone(),
                    custodian: Some(format!("{}?", file_custodian(&o.file))),
                    problem: Some(why.clone()),
                    rehearsal: m.rehearsal,
                },
                Ok(s) => {
                    let mut v = judge(&m, s, &o.file);
                    v.rehearsal = o.rehearsal || m.rehearsal;
                    if v.problem.is_none() && good.iter().any(|g| g.index == s.index) {
                        v.problem = Some(Problem::Duplicate(s.index).to_string());
                    }
                    if v.problem.is_none() {
                        good.push(s.clone());
                    }
                    v
                }
            };
            verdicts.push(v);
        }
        if good.len() < m.threshold as usize {
            return Err(Error::verification(format!(
                "{} good share(s) of the {} needed; {}",
                good.len(),
                m.threshold,
                describe_bad(&verdicts)
            ))
            .hint("bring more custodians' shares"));
        }
        let secret = share::combine(&good[..m.threshold as usize])?;
        let key = PrivateKey::from_secret_bytes(&secret)?;
        if key.public() != rec.meta(self.dialect)?.public {
            return Err(Error::verification(format!(
                "the shares combine to a key other than {}: they were forged or belong to another key",
                rec.display()
            )));
        }
        Ok((rec, key, verdicts))
    }

    /// Re-encrypts a recovered key into the ceremony (it must not hold it).
    pub fn store_recovered(
        &self,
        rec: &KeyRecord,
        key: &PrivateKey,
        passphrases: &mut dyn Passphrases,
    ) -> Result<()> {
        rec.refuse_if_lost("be stored in the ceremony")?;
        if rec.private {
            return Err(Error::input(format!(
                "the private key of {} is already held here",
                rec.display()
            )));
        }
        let pass = self.new_passphrase(
            passphrases,
            NewPassphrase::Key {
                label: &rec.label,
                role: &rec.role,
            },
        )?;
        let file = key.encrypt(&pass)?;
        let age_path = self.dir.join(format!("keys/{}.age", rec.id));
        self.write_new(&age_path, &file)?;
        let mut updated = rec.clone();
        updated.private = true;
        let text = serde_json::to_vec_pretty(&updated).map_err(|e| Error::input(e.to_string()))?;
        self.write_state(&format!("keys/{}.json", rec.id), &text)?;
        // A weak passphrase let through for it is recorded.
        self.record_pending()
    }

    /// Refuses a rehearsal's shares (`rehearsal`: a share or its manifest
    /// says so) in a real ceremony: throwaway keys must never reach it.
    fn refuse_rehearsal_shares(&self, rehearsal: bool) -> Result<()> {
        if rehearsal && !self.rehearsal {
            return Err(Error::input(
                "REHEARSAL shares: these are a rehearsal's throwaway shares, and this is a real ceremony directory",
            )
            .hint("use them only with the rehearsal's directory (-C REHEARSAL-DIR); a real ceremony needs its real custodians' shares; nothing was changed"));
        }
        Ok(())
    }

    /// Marks set `old` superseded by `new`.
    pub fn mark_superseded(&self, old: &str, new: &str, now: OffsetDateTime) -> Result<()> {
        let p = self.dir.join(format!("shares/{old}/SUPERSEDED"));
        self.write_new(
            &p,
            format!("superseded by share set {new} on {}\n", format_time(now)).as_bytes(),
        )
    }
}

/// One person must not hold two shares: custodians who share an age
/// recipient, or were given one passphrase, are refused by name.
fn refuse_shared_custodians(custodians: &[CustodianSpec], seals: &[Custodian]) -> Result<()> {
    use secrecy::ExposeSecret;
    for (i, a) in seals.iter().enumerate() {
        for (j, b) in seals.iter().enumerate().skip(i + 1) {
            let what = match (a, b) {
                (Custodian::X25519(x), Custodian::X25519(y)) if x.to_string() == y.to_string() => {
                    format!("one age recipient ({x})")
                }
                (Custodian::Passphrase(x), Custodian::Passphrase(y))
                    if x.expose_secret() == y.expose_secret() =>
                {
                    "one passphrase".to_string()
                }
                _ => continue,
            };
            return Err(Error::input(format!(
                "custodians {} and {} were given {what}: whoever opens one share opens both",
                custodians[i].name, custodians[j].name
            ))
            .hint("give each custodian her own age key (age-keygen) or her own passphrase; nothing was split"));
        }
    }
    Ok(())
}

fn open_share(
    file: &Path,
    identities: &[Box<dyn age::Identity>],
    passphrases: &mut dyn Passphrases,
) -> Opened {
    let res = (|| -> Result<(Share, bool)> {
        // Read as a secret: it may be a share in clear.
        let bytes = transfer::input::read_secret_file(file, transfer::input::Limit::Small)?;
        let text = if bytes.starts_with(b"-----BEGIN CEREMONY SHARE-----") {
            // Already decrypted, e.g. by `age -d`.
            bytes
        } else {
            let pass = if seal::needs_passphrase(&bytes)? {
                Some(passphrases.custodian(&file_custodian(file), false)?)
            } else {
                None
            };
            seal::open(&bytes, identities, pass.as_ref(), file)?
        };
        let text = std::str::from_utf8(&text).map_err(|_| Error::input("not a share"))?;
        let share = Share::from_text(text).map_err(|p| Error::input(p.to_string()))?;
        Ok((share, Share::text_is_rehearsal(text)))
    })();
    match res {
        Ok((share, rehearsal)) => Opened {
            file: file.to_path_buf(),
            share: Ok(share),
            rehearsal,
        },
        Err(e) => Opened {
            file: file.to_path_buf(),
            share: Err(e.reason().to_string()),
            rehearsal: false,
        },
    }
}

/// Recovers a key from shares away from the ceremony directory (a
/// keyholder's machine): every share is checked on its own (checksum, set,
/// key, numbers, duplicates) and named when bad; the manifest's commitments
/// are not at hand, so the caller must check the recovered key against the
/// public key it expects.
pub fn recover_standalone(
    files: &[PathBuf],
    identities: &[Box<dyn age::Identity>],
    passphrases: &mut dyn Passphrases,
) -> Result<(PrivateKey, Vec<ShareVerdict>)> {
    let opened: Vec<Opened> = files
        .iter()
        .map(|f| open_share(f, identities, passphrases))
        .collect();
    // With no manifest at hand, what the set is (its ID, key, M and N) is
    // what most readable shares agree on — never what the first one claims:
    // one forged share saying M = 1 must not decide how many are needed.
    type SetClaim = ([u8; 16], [u8; 32], u8, u8);
    let mut counts: BTreeMap<SetClaim, usize> = BTreeMap::new();
    for o in &opened {
        if let Ok(s) = &o.share {
            *counts
                .entry((s.set_id, s.key_id, s.threshold, s.total))
                .or_default() += 1;
        }
    }
    let most = counts.values().copied().max().unwrap_or(0);
    let leaders: Vec<&SetClaim> = counts
        .iter()
        .filter(|(_, c)| **c == most)
        .map(|(k, _)| k)
        .collect();
    let claim = match leaders.as_slice() {
        [] => return Err(Error::verification("no share could be read")),
        [one] => **one,
        several => {
            let named: Vec<String> = opened
                .iter()
                .filter_map(|o| {
                    let s = o.share.as_ref().ok()?;
                    several
                        .contains(&&(s.set_id, s.key_id, s.threshold, s.total))
                        .then(|| {
                            format!(
                                "{} (set {}…, {}-of-{})",
                                o.file.display(),
                                &hex::encode(s.set_id)[..8],
                                s.threshold,
                                s.total
                            )
                        })
                })
                .collect();
            return Err(Error::verification(format!(
                "the shares disagree on what set they belong to and no set has a majority: {}",
                named.join("; ")
            ))
            .hint("set aside the shares you cannot vouch for, or bring more shares of the set"));
        }
    };
    let (set_id, key_id, threshold, total) = claim;
    let mut verdicts = Vec::new();
    let mut good: Vec<Share> = Vec::new();
    for o in opened {
        let problem = match &o.share {
            Err(why) => Some(why.clone()),
            Ok(s) => {
                let p = share::check_set(
                    &good
                        .iter()
                        .cloned()
                        .chain(std::iter::once(s.clone()))
                        .collect::<Vec<_>>(),
                    set_id,
                    key_id,
                    threshold,
                    total,
                )
                .pop()
                .flatten();
                if p.is_none() {
                    good.push(s.clone());
                }
                p.map(|p| p.to_string())
            }
        };
        verdicts.push(ShareVerdict {
            file: o.file.clone(),
            custodian: Some(format!("{}?", file_custodian(&o.file))),
            problem,
            rehearsal: o.rehearsal,
        });
    }
    if good.len() < threshold as usize {
        return Err(Error::verification(format!(
            "{} good share(s) of the {} needed; {}",
            good.len(),
            threshold,
            describe_bad(&verdicts)
        )));
    }
    let secret = share::combine(&good[..threshold as usize])?;
    Ok((PrivateKey::from_secret_bytes(&secret)?, verdicts))
}

/// A share against the manifest: set, key, numbers, and its commitment.
fn judge(m: &Manifest, s: &Share, file: &Path) -> ShareVerdict {
    let same_set = hex::encode(s.set_id) == m.set_id;
    let entry = m.custodians.iter().find(|c| same_set && c.index == s.index);
    let custodian = entry.map(|e| e.name.clone());
    let key_id = hex::decode(&m.key_id).unwrap_or_default();
    let problem = if hex::encode(s.set_id) != m.set_id {
        Some(
            if s.key_id.as_slice() != key_id.as_slice() {
                Problem::OtherKey
            } else {
                Problem::OtherSet
            }
            .to_string(),
        )
    } else if s.key_id.as_slice() != key_id.as_slice() {
        Some(Problem::OtherKey.to_string())
    } else if s.threshold != m.threshold || s.total != m.total {
        Some(Problem::Inconsistent(format!("{}-of-{}", s.threshold, s.total)).to_string())
    } else {
        match entry {
            None => Some(format!("share number {} is not in the manifest", s.index)),
            Some(e) if e.commitment != s.commitment() => {
                Some("does not match the manifest's commitment: altered or forged".into())
            }
            Some(_) => None,
        }
    };
    ShareVerdict {
        file: file.to_path_buf(),
        custodian,
        problem,
        rehearsal: m.rehearsal,
    }
}

fn describe_bad(v: &[ShareVerdict]) -> String {
    let bad: Vec<String> = v
        .iter()
        .filter_map(|x| {
            x.problem.as_ref().map(|p| match &x.custodian {
                Some(c) => format!("{} ({c}): {p}", x.file.display()),
                None => format!("{}: {p}", x.file.display()),
            })
        })
        .collect();
    if bad.is_empty() {
        "no bad shares".into()
    } else {
        format!("bad: {}", bad.join("; "))
    }
}

/// Proves the split before any share is written: every M-subset (all of
/// them up to N = 10, a random sample beyond) recovers the secret, and M − 1
/// shares do not.
fn prove_split(shares: &[Share], secret: &[u8], m: usize) -> Result<usize> {
    let n = shares.len();
    let mut checked = 0usize;
    let mut check = |idx: &[usize]| -> Result<()> {
        let subset: Vec<Share> = idx.iter().map(|&i| shares[i].clone()).collect();
        if share::combine(&subset)?.as_slice() != secret {
            return Err(Error::input(
                "a share subset does not recover the key: refusing to write shares",
            ));
        }
        if m >= 2 && share::interpolate(&subset[..m - 1])?.as_slice() == secret {
            return Err(Error::input(
                "fewer than M shares reveal the key: refusing to write shares",
            ));
        }
        checked += 1;
        Ok(())
    };
    if n <= EXHAUSTIVE_UP_TO {
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize == m {
                let idx: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                check(&idx)?;
            }
        }
    } else {
        let mut rng = os_rng();
        for _ in 0..SAMPLED_SUBSETS {
            let mut idx: Vec<usize> = (0..n).collect();
            // Partial Fisher–Yates: the first m are a uniform subset.
            for i in 0..m {
                let j = i + (rand::Rng::next_u32(&mut rng) as usize) % (n - i);
                idx.swap(i, j);
            }
            idx.truncate(m);
            check(&idx)?;
        }
    }
    Ok(checked)
}

/// The printable sheet of one custodian: what the share is, how to check
/// it, words to read back, and the sealed share as text and as a QR code.
fn sheet(m: &Manifest, e: &ManifestCustodian, rec: &KeyRecord, sealed: &[u8]) -> Result<String> {
    let commitment = hex::decode(&e.commitment).unwrap_or_default();
    let words = transfer::words::of_bytes(&commitment[..4.min(commitment.len())]).join(" ");
    let body = format!(
        "CEREMONY KEY SHARE — custodian copy\n\n\
         Custodian:     {}\n\
         Share:         {} of {} ({} needed to recover)\n\
         Key:           {} ({})\n\
         Key ID:        {}\n\
         Share set:     {}\n\
         Made:          {}\n\
         Readback:      {}\n\
         Sealed to:     {}\n\n\
         Keep this sheet and the share file apart from the other custodians'.\n\
         Check your share alone at any time: ceremony -C DIR shares verify {}.share.age\n\
         The readback words are the start of the share's commitment in the signed manifest;\n\
         `shares verify` prints them too.\n\n\
         The sealed share (age, armored). The QR code below holds exactly this text.\n\n{}\n{}",
        e.name,
        e.index,
        m.total,
        m.threshold,
        rec.label,
        short(&rec.id),
        rec.id,
        m.set_id,
        m.created,
        words,
        e.recipient,
        e.name,
        String::from_utf8_lossy(sealed),
        transfer::qr::text(sealed)?
    );
    Ok(if m.rehearsal {
        format!("{REHEARSAL_BANNER}\n{body}\n{REHEARSAL_BANNER}")
    } else {
        body
    })
}

/// Opens and closes a rehearsal's sheet, so neither end of a printout can
/// pass for a real share.
const REHEARSAL_BANNER: &str = "\
########################################################################
##  REHEARSAL  REHEARSAL  REHEARSAL  REHEARSAL  REHEARSAL  REHEARSAL  ##
##  A throwaway share from a rehearsal, made with a throwaway key.    ##
##  It is NOT a real share: never keep it as one; destroy it after.   ##
########################################################################
";

/// The readback words of a share's commitment.
pub fn readback(commitment_hex: &str) -> String {
    let c = hex::decode(commitment_hex).unwrap_or_default();
    transfer::words::of_bytes(&c[..4.min(c.len())]).join(" ")
}
