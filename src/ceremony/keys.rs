//! Key records in the ceremony directory: generating keys (the private half
//! only ever written age-encrypted), importing public keys from the online
//! side, finding keys by ID, prefix or label.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::lost::Lost;
use super::strength::NewPassphrase;
use super::{Passphrases, Workspace, read};
use crate::error::{Error, Result};
use crate::key::cert::{self, CertInfo};
use crate::key::private::PrivateKey;
use crate::key::{Algorithm, PublicKey};
use crate::metadata::keys::MetaKey;
use crate::metadata::names::role_name_problem;
use crate::metadata::root::short;
use crate::metadata::{Dialect, format_time, json};
use crate::signature::CertPolicy;
use crate::transfer;

/// A key known to the ceremony.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key ID metadata lists it under (for a Notary root key: the
    /// certificate's ID).
    pub id: String,
    /// Notary's canonical ID of a certificate key (the bare key's ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_id: Option<String>,
    /// `root`, `targets`, `snapshot`, `timestamp` or a delegation name.
    pub role: String,
    /// A human name.
    pub label: String,
    /// `ed25519` or `ecdsa-p256`.
    pub algorithm: String,
    /// The key object as metadata lists it.
    pub key: Value,
    /// Whether the private key is held here (age-encrypted); cleared when
    /// the key is marked lost (its file is kept, see [`Lost`]).
    pub private: bool,
    /// When the record was made.
    pub created: String,
    /// Set once the key is marked lost: it never signs again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<Lost>,
}

impl KeyRecord {
    /// The key as metadata lists it.
    pub fn meta(&self, dialect: Dialect) -> Result<MetaKey> {
        MetaKey::from_value(dialect, &self.key)
            .map_err(|e| e.context(format!("key {}", self.label)))
    }

    /// `label (id-prefix)` for messages.
    pub fn display(&self) -> String {
        format!("{} ({})", self.label, short(&self.id))
    }

    /// Whether `spec` names this key: full ID, canonical ID or label.
    fn named_by(&self, spec: &str) -> bool {
        self.id == spec || self.canonical_id.as_deref() == Some(spec) || self.label == spec
    }

    fn prefixed_by(&self, spec: &str) -> bool {
        spec.len() >= 6
            && (self.id.starts_with(spec)
                || self
                    .canonical_id
                    .as_deref()
                    .is_some_and(|c| c.starts_with(spec)))
    }
}

/// Checks a role name given on the command line: a top-level role or a
/// delegation the dialect allows, safe as a file name (one rule for every
/// place a role name is used: [`role_name_problem`]).
pub fn check_role(dialect: Dialect, role: &str) -> Result<()> {
    match role_name_problem(dialect, role) {
        None => Ok(()),
        Some(why) => Err(Error::input(why).hint(match dialect {
            Dialect::Notary => "use root, targets, snapshot, timestamp, or a lowercase delegation like targets/releases",
            Dialect::Tuf => "use root, targets, snapshot, timestamp, or a delegated role name without '/'",
        })),
    }
}

impl Workspace {
    /// All key records, ordered by role then label.
    pub fn keys(&self) -> Result<Vec<KeyRecord>> {
        let dir = self.path("keys");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let p = entry.path();
            if p.extension().is_some_and(|x| x == "json") {
                let rec: KeyRecord = serde_json::from_slice(&read(&p)?)
                    .map_err(|e| Error::input(format!("{}: {e}", p.display())))?;
                out.push(rec);
            }
        }
        let rank = |r: &str| {
            ["root", "targets", "snapshot", "timestamp"]
                .iter()
                .position(|x| *x == r)
                .unwrap_or(4)
        };
        out.sort_by(|a, b| {
            (rank(&a.role), &a.role, &a.label).cmp(&(rank(&b.role), &b.role, &b.label))
        });
        Ok(out)
    }

    /// Finds one key by ID, canonical ID, label, or a unique prefix of an ID.
    pub fn find_key(&self, spec: &str) -> Result<KeyRecord> {
        let keys = self.keys()?;
        if let Some(k) = keys.iter().find(|k| k.named_by(spec)) {
            return Ok(k.clone());
        }
        let matches: Vec<&KeyRecord> = keys.iter().filter(|k| k.prefixed_by(spec)).collect();
        match matches.as_slice() {
            [k] => Ok((*k).clone()),
            [] => Err(Error::input(format!("no key {spec:?} in this ceremony"))
                .hint("`ceremony key list` shows the keys and their IDs")),
            _ => Err(Error::input(format!("{spec:?} matches several keys"))
                .hint("give more of the key ID")),
        }
    }

    /// The key record whose metadata ID is `id`, if any.
    pub fn key_by_id(&self, id: &str) -> Result<Option<KeyRecord>> {
        Ok(self.keys()?.into_iter().find(|k| k.id == id))
    }

    /// Decrypts the private key of `rec`. Refused, with the reason in
    /// words, for a lost key, a key not held here, a missing key file, a
    /// wrong passphrase and a file that holds another key.
    pub fn unlock(&self, rec: &KeyRecord, passphrases: &mut dyn Passphrases) -> Result<PrivateKey> {
        rec.refuse_if_lost("sign")?;
        if !rec.private {
            return Err(Error::input(format!(
                "the private key of {} is not held in this ceremony",
                rec.display()
            )));
        }
        let rel = format!("keys/{}.age", rec.id);
        let path = self.path(&rel);
        if path.symlink_metadata().is_err() {
            return Err(Error::input(format!(
                "key {}: its key file {rel} is missing",
                rec.display()
            ))
            .hint(format!(
                "restore it from a backup or recover the key from shares; if it is gone for good: `ceremony key mark-lost {}`",
                rec.spec()
            )));
        }
        let file = read(&path).map_err(|e| e.context(format!("key {}", rec.label)))?;
        let pass = passphrases
            .unlock(rec)
            .map_err(|e| e.context(format!("key {}", rec.label)))?;
        let key = PrivateKey::decrypt(&file, &pass)
            .map_err(|e| e.context(format!("key {}", rec.label)))?;
        if key.public() != rec.meta(self.dialect)?.public {
            return Err(Error::input(format!(
                "key {}: its key file holds a different key",
                rec.display()
            ))
            .hint("the file was swapped or damaged: restore it from a backup"));
        }
        Ok(key)
    }

    fn next_label(&self, role: &str) -> Result<String> {
        let keys = self.keys()?;
        let base = role.replace('/', "-");
        let n = (1..)
            .find(|n| !keys.iter().any(|k| k.label == format!("{base}-{n}")))
            .unwrap_or(1);
        Ok(format!("{base}-{n}"))
    }

    fn check_new_label(&self, label: &str) -> Result<()> {
        if label.is_empty() || label.len() > 64 || label.chars().any(char::is_control) {
            return Err(Error::input(format!("{label:?} is not a usable label")));
        }
        if self.keys()?.iter().any(|k| k.label == label) {
            return Err(
                Error::input(format!("a key labelled {label:?} exists already"))
                    .hint("choose another --label"),
            );
        }
        Ok(())
    }

    /// Generates a key for `role`, stores its private half age-encrypted and
    /// returns its record.
    pub fn generate_key(
        &self,
        role: &str,
        algorithm: Option<Algorithm>,
        label: Option<&str>,
        cert_validity: Duration,
        now: OffsetDateTime,
        passphrases: &mut dyn Passphrases,
    ) -> Result<KeyRecord> {
        check_role(self.dialect, role)?;
        let algorithm = algorithm.unwrap_or(match self.dialect {
            Dialect::Notary => Algorithm::EcdsaP256,
            Dialect::Tuf => Algorithm::Ed25519,
        });
        if self.dialect == Dialect::Notary && role == "root" && algorithm != Algorithm::EcdsaP256 {
            return Err(Error::input(
                "Notary root keys must be ECDSA P-256 with an X.509 certificate: Notary rejects Ed25519 root keys (the server answers 400, clients cannot find a valid leaf certificate)",
            )
            .hint("drop --algorithm (ecdsa-p256 is the default) for a Notary root key"));
        }
        if self.dialect == Dialect::Notary && role == "timestamp" {
            return Err(Error::input("notary-server always makes and signs the timestamp itself")
                .hint("fetch the server's key (GET /v2/<gun>/_trust/tuf/timestamp.key) and `ceremony key import --role timestamp FILE`"));
        }
        let label = match label {
            Some(l) => l.to_string(),
            None => self.next_label(role)?,
        };
        self.check_new_label(&label)?;
        let key = PrivateKey::generate(algorithm);
        let meta = if self.dialect == Dialect::Notary && role == "root" {
            let gun = self
                .gun
                .as_deref()
                .ok_or_else(|| Error::input("this Notary ceremony has no GUN"))?;
            let p256 = key
                .as_p256()
                .ok_or_else(|| Error::input("root key is not P-256"))?;
            let not_after = now
                .checked_add(cert_validity)
                .ok_or_else(|| Error::input("certificate validity too long"))?;
            MetaKey::from_cert(cert::notary_root_certificate(p256, gun, now, not_after)?)?
        } else {
            MetaKey::from_public(self.dialect, &key.public())?
        };
        let pass = self.new_passphrase(
            passphrases,
            NewPassphrase::Key {
                label: &label,
                role,
            },
        )?;
        let encrypted = key.encrypt(&pass)?;
        drop(key);
        let rec = KeyRecord {
            id: meta.id(self.dialect),
            canonical_id: meta
                .cert
                .is_some()
                .then(|| meta.canonical_id(self.dialect))
                .transpose()?,
            role: role.to_string(),
            label,
            algorithm: algorithm.name().into(),
            key: meta.object,
            private: true,
            created: format_time(now),
            lost: None,
        };
        self.store(&rec, Some(&encrypted))?;
        self.record_change(crate::ceremony::step::Outcome::KeyGenerated {
            id: rec.id.clone(),
            label: rec.label.clone(),
            role: rec.role.clone(),
        })?;
        Ok(rec)
    }

    /// Imports a public key (Notary key JSON, TUF key object, PEM public key
    /// or certificate) for `role`.
    pub fn import_key(
        &self,
        role: &str,
        bytes: &[u8],
        label: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<KeyRecord> {
        check_role(self.dialect, role)?;
        let meta = self.read_public(bytes)?;
        if self.dialect == Dialect::Notary && role == "root" {
            let policy = CertPolicy {
                gun: self.gun.clone().unwrap_or_default(),
                at: Some(now),
            };
            if let Some(why) = policy.refuse(&meta) {
                return Err(
                    Error::input(format!("cannot be a Notary root key: {why}")).hint(
                        "a Notary root key is a non-CA certificate with CN = the GUN, valid now",
                    ),
                );
            }
        }
        let id = meta.id(self.dialect);
        if let Some(k) = self.keys()?.iter().find(|k| k.id == id) {
            return Err(Error::input(format!(
                "this key is already in the ceremony as {}",
                k.display()
            )));
        }
        let label = match label {
            Some(l) => l.to_string(),
            None => self.next_label(role)?,
        };
        self.check_new_label(&label)?;
        let rec = KeyRecord {
            id,
            canonical_id: meta
                .cert
                .is_some()
                .then(|| meta.canonical_id(self.dialect))
                .transpose()?,
            role: role.to_string(),
            label,
            algorithm: meta.public.key_type().name().into(),
            key: meta.object,
            private: false,
            created: format_time(now),
            lost: None,
        };
        self.store(&rec, None)?;
        self.record_change(crate::ceremony::step::Outcome::Imported {
            keys: vec![rec.display()],
        })?;
        Ok(rec)
    }

    pub(crate) fn read_public(&self, bytes: &[u8]) -> Result<MetaKey> {
        let text = std::str::from_utf8(bytes).map_err(|_| Error::input("key file is not text"))?;
        if text.trim_start().starts_with('{') {
            let v = json::parse_strict(bytes)?;
            // Notary's key JSON or a TUF key object, in either dialect's
            // form; the ID is always recomputed, never taken from the file.
            let parsed = MetaKey::from_value(self.dialect, &v).or_else(|first| {
                let other = match self.dialect {
                    Dialect::Notary => Dialect::Tuf,
                    Dialect::Tuf => Dialect::Notary,
                };
                MetaKey::from_value(other, &v).map_err(|_| first)
            })?;
            return self.in_dialect(parsed);
        }
        let blocks = cert::pem_blocks(text)?;
        let first = match blocks.as_slice() {
            [one] => one,
            [] => {
                return Err(Error::input(
                    "no key found: expected key JSON or a PEM public key or certificate",
                ));
            }
            more => {
                return Err(Error::input(format!(
                    "the file holds {} PEM blocks where one key or certificate is expected",
                    more.len()
                ))
                .hint("import each key from a file of its own"));
            }
        };
        match first.label.as_str() {
            "CERTIFICATE" => {
                let leaf: CertInfo = cert::parse_der(&first.der)?;
                match self.dialect {
                    Dialect::Notary => MetaKey::from_cert(leaf),
                    Dialect::Tuf => MetaKey::from_public(Dialect::Tuf, &leaf.public_key?),
                }
            }
            "PUBLIC KEY" => {
                MetaKey::from_public(self.dialect, &PublicKey::from_spki_der(&first.der)?)
            }
            "RSA PUBLIC KEY" => {
                MetaKey::from_public(self.dialect, &crate::key::spki::from_pkcs1_der(&first.der)?)
            }
            l if l.contains("PRIVATE KEY") => Err(Error::input(
                "this file holds a private key; `key import` takes public keys and certificates only",
            )),
            l => Err(Error::input(format!("unexpected PEM block {l:?}"))),
        }
    }

    fn in_dialect(&self, k: MetaKey) -> Result<MetaKey> {
        if k.cert.is_some() && self.dialect == Dialect::Notary {
            return Ok(k);
        }
        // A TUF RSA key's scheme is its own choice (PSS or PKCS#1 v1.5,
        // which hash): re-encoding would change how its signatures verify.
        if self.dialect == Dialect::Tuf
            && k.scheme.is_some()
            && k.public.key_type() == crate::key::KeyType::Rsa
        {
            return Ok(k);
        }
        // Re-encode in this ceremony's dialect (a TUF key object into
        // Notary, a legacy keytype spelling into today's).
        MetaKey::from_public(self.dialect, &k.public)
    }

    /// Writes a held key in Notary's key file format, for `notary key
    /// import` on the online side. Root keys only with `allow_root`.
    pub fn export_notary_key(
        &self,
        spec: &str,
        out: &std::path::Path,
        allow_root: bool,
        export_pass: &crate::secret::Passphrase,
        passphrases: &mut dyn Passphrases,
    ) -> Result<KeyRecord> {
        if self.dialect != Dialect::Notary {
            return Err(Error::input("Notary key files are for Notary ceremonies"));
        }
        let rec = self.find_key(spec)?;
        rec.refuse_if_lost("be exported")?;
        if rec.role == "root" && !allow_root {
            return Err(
                Error::input("refusing to export a root key: it belongs offline")
                    .hint("pass --allow-root if the online side really must hold it"),
            );
        }
        if out.exists() {
            return Err(Error::input(format!(
                "{} already exists; refusing to overwrite it",
                out.display()
            )));
        }
        self.check_new_passphrase(
            export_pass,
            NewPassphrase::Export {
                label: &rec.label,
                role: &rec.role,
            },
        )?;
        let key = self.unlock(&rec, passphrases)?;
        let gun = matches!(rec.role.as_str(), "targets" | "snapshot")
            .then(|| self.gun.clone())
            .flatten();
        let canonical = rec.canonical_id.clone().unwrap_or_else(|| rec.id.clone());
        let pem = crate::key::notary_file::write(
            &key,
            &rec.role,
            gun.as_deref(),
            &canonical,
            export_pass,
        )?;
        transfer::write_new(out, pem.as_bytes())?;
        set_private_mode(out);
        // An export changes nothing here; a weak passphrase let through
        // for it is still recorded.
        self.record_pending()?;
        Ok(rec)
    }

    fn store(&self, rec: &KeyRecord, private: Option<&[u8]>) -> Result<()> {
        let json_path = self.path(&format!("keys/{}.json", rec.id));
        if json_path.exists() {
            return Err(Error::input(format!(
                "key {} exists already",
                short(&rec.id)
            )));
        }
        let text = serde_json::to_vec_pretty(rec).map_err(|e| Error::input(e.to_string()))?;
        if let Some(p) = private {
            let age_path = self.path(&format!("keys/{}.age", rec.id));
            self.write_new(&age_path, p)?;
            set_private_mode(&age_path);
            if let Err(e) = self.write_new(&json_path, &text) {
                let _ = std::fs::remove_file(&age_path);
                return Err(e);
            }
        } else {
            self.write_new(&json_path, &text)?;
        }
        Ok(())
    }
}

fn set_private_mode(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}
